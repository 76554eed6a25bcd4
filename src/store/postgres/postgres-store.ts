/**
 * The shared store: PostgreSQL through a `pg` pool, for several server nodes on one database.
 *
 * The store decides nothing itself: it loads rows, asks the pure plans of `core/plans.ts` what
 * happens, chains the events in JavaScript, and writes the result back in one statement per
 * tenant (`unnest` of arrays), so a batch costs the same round trips as one row:
 * - creates are one statement (a transaction when idempotency keys must be looked up first);
 * - claims are one transaction that locks its batch with one `FOR UPDATE SKIP LOCKED` statement;
 * - lease writes (renew, append, complete, fail, release) are fenced by `(lease_id, tenant_id)`
 *   and refused once `lease_expires_at <= now`; concurrent ones are grouped (group commit, see
 *   `#enqueue`) into one statement that writes a row only if it is still as read, each caller
 *   still answered on its own;
 * - the tenant-wide event position is allocated under the tenant's position row lock, taken last
 *   and held to COMMIT, so positions commit in order and a reader never skips one
 *   (docs/postgres.md);
 * - time always comes in from the caller's clock, never `now()` in SQL.
 */
import pg from "pg";
import type {
  ApiKeyRecord,
  Attempt,
  EventType,
  PendingEvent,
  SigningKeyRecord,
  Task,
  TaskError,
  TaskEvent,
  TaskState,
  Tenant,
  TenantEvent,
  WorkerInfo,
} from "../../core/index.js";
import {
  ErrandError,
  decideRenewal,
  planCancel,
  planClaim,
  planComplete,
  planExpiry,
  planFailure,
  planRelease,
} from "../../core/index.js";
import { chainEvents, withEvents, withWorkerEvents } from "../change.js";
import type {
  AppendOutcome,
  ClaimRequest,
  Claimed,
  CreateOutcome,
  LeaseWrite,
  NewTask,
  Page,
  ReceiptAck,
  RenewOutcome,
  Store,
  TaskFilter,
  TransitionOutcome,
} from "../store.js";
import { isConnectionError, toStoreError } from "./connection-errors.js";
import { MIGRATIONS } from "./migrations.js";
import {
  PG_TYPES,
  json,
  rowToApiKey,
  rowToAttempt,
  rowToEvent,
  rowToSigningKey,
  rowToTask,
  rowToTenantEvent,
  rowToWorker,
  type ApiKeyRow,
  type AttemptRow,
  type EventRow,
  type SigningKeyRow,
  type TaskRow,
  type WorkerRow,
} from "./rows.js";
import { CREATE, TASK_COLUMNS } from "./sql.js";
import { LeaseWriter } from "./lease-writes.js";
import { newTaskOf } from "../change.js";
import { Writes, fenced, flushWrites, type Queryable } from "./writes.js";

export { isConnectionError };

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  /** Schema holding Errand's tables; created if missing. Default `errand`. */
  readonly schema?: string;
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number;
  /** How long to wait for a connection before answering `unavailable`. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Server-side cap on one statement. Default 30 s. */
  readonly statementTimeoutMs?: number;
  /** Lease-write groups that may run at once; more calls queue and share one. Default 4. */
  readonly writeConcurrency?: number;
  readonly logger?: { warn(obj: unknown, msg?: string): void };
}

export interface StoreHealth {
  readonly ok: boolean;
  readonly backend: "postgres";
  /** Why the store is degraded, when it is. */
  readonly reason?: string;
}

type Client = pg.PoolClient;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresStore implements Store {
  readonly backend = "postgres" as const;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly #options: PostgresStoreOptions;
  readonly #leaseWriter: LeaseWriter;
  #sweeper: pg.Client | null = null;
  #sweeperHeld = false;
  #closed = false;
  #lastError: { at: number; message: string } | null = null;

  constructor(options: PostgresStoreOptions) {
    const schema = options.schema ?? "errand";
    if (!SCHEMA_NAME.test(schema)) {
      throw new ErrandError(
        "bad_request",
        `schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`,
      );
    }
    this.schema = schema;
    this.#options = options;
    this.#leaseWriter = new LeaseWriter({
      concurrency: options.writeConcurrency ?? 4,
      read: (leases) => this.#readLeases(leases),
      write: (writes) => flushWrites(this.pool, writes),
      isClosed: () => this.#closed,
    });
    this.pool = new pg.Pool({
      ...this.#clientConfig(),
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    // An idle connection that dies (a restart, pg_terminate_backend) is reported here; the pool
    // drops it and the next request opens a fresh one. Unhandled, it would crash the process.
    this.pool.on("error", (err) => this.#noteError(err, "idle database connection failed"));
    // A checked-out client loses the pool's listener; keep one so that a connection dying
    // between two of our queries cannot raise an unhandled 'error'.
    this.pool.on("connect", (client) => {
      client.on("error", (err) => this.#noteError(err, "database connection failed"));
    });
  }

  #clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.#options.url,
      options: `-c search_path=${this.schema}`,
      types: PG_TYPES,
      statement_timeout: this.#options.statementTimeoutMs ?? 30_000,
      application_name: `errand:${this.schema}`,
      keepAlive: true,
    };
  }

  #noteError(err: Error, msg: string): void {
    this.#lastError = { at: Date.now(), message: err.message };
    this.#options.logger?.warn({ err }, msg);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Runs `fn` in one transaction. A connection that fails before BEGIN reached the server (a
   * pooled connection killed while idle) is replaced and the transaction retried: nothing was
   * sent. Deadlocks and serialization failures are retried too; the transaction rolled back.
   */
  async #tx<T>(fn: (client: Client) => Promise<T>, retryUnique = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new ErrandError("unavailable", "the store is closed");
      let client: Client;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw toStoreError(err);
      }
      let began = false;
      try {
        await client.query("BEGIN");
        began = true;
        const out = await fn(client);
        await client.query("COMMIT");
        client.release();
        return out;
      } catch (err) {
        const broken = isConnectionError(err);
        if (broken) client.release(err as Error);
        else {
          try {
            await client.query("ROLLBACK");
            client.release();
          } catch (rollbackErr) {
            client.release(rollbackErr as Error);
          }
        }
        const code = (err as { code?: string }).code;
        const retry =
          (broken && !began && attempt < 3) ||
          ((code === "40P01" || code === "40001") && attempt < 5) ||
          (retryUnique && code === "23505" && attempt < 3);
        if (retry) continue;
        if (broken) this.#noteError(err as Error, "database transaction failed");
        throw toStoreError(err);
      }
    }
  }

  /** One statement outside a transaction; retried once on a dead pooled connection. */
  async #query<R extends pg.QueryResultRow>(
    config: pg.QueryConfig | string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new ErrandError("unavailable", "the store is closed");
      try {
        return typeof config === "string"
          ? await this.pool.query<R>(config, values)
          : await this.pool.query<R>({ ...config, ...(values ? { values } : {}) });
      } catch (err) {
        if (isConnectionError(err) && attempt < 1) continue;
        if (isConnectionError(err)) this.#noteError(err as Error, "database query failed");
        throw toStoreError(err);
      }
    }
  }

  /** Inside a transaction the rows are locked: every task must have been written. */
  async #flushLocked(client: Client, writes: Writes): Promise<void> {
    const written = await flushWrites(client, writes);
    for (const w of writes.byTenant.values()) {
      for (const id of w.tasks.keys()) {
        if (!written.has(id)) throw new Error(`task ${id} changed under its row lock`);
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async migrate(): Promise<void> {
    const s = this.schema;
    await this.#tx(async (c) => {
      // Several nodes may start at once: the first applies, the others wait and find it done.
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        `errand.migrate.${s}`,
      ]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`SET LOCAL search_path TO ${s}`);
      await c.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
      );
      const applied = new Set(
        (await c.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
          [m.version, m.name, Date.now()],
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Let queued lease writes finish first: their callers are waiting for an answer.
    while (!this.#leaseWriter.idle) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.#closed = true;
    const sweeper = this.#sweeper;
    this.#sweeper = null;
    this.#sweeperHeld = false;
    if (sweeper) await sweeper.end().catch(() => undefined);
    await this.pool.end();
  }

  async ping(): Promise<void> {
    await this.#query("SELECT 1");
  }

  /** Whether the database answers now; `reason` says why not. */
  async health(): Promise<StoreHealth> {
    try {
      await this.ping();
      return { ok: true, backend: "postgres" };
    } catch (err) {
      return { ok: false, backend: "postgres", reason: (err as Error).message };
    }
  }

  /** The last connection-level failure seen, for diagnostics. */
  get lastError(): { readonly at: number; readonly message: string } | null {
    return this.#lastError;
  }

  // ---------------------------------------------------------------- tenants and keys

  async ensureTenant(tenant: Tenant): Promise<Tenant> {
    await this.#query(
      {
        name: "ensureTenant",
        text: "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
      },
      [tenant.id, tenant.name, tenant.createdAt],
    );
    return (await this.getTenant(tenant.id))!;
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const { rows } = await this.#query<{ id: string; name: string; created_at: number }>(
      { name: "getTenant", text: "SELECT id, name, created_at FROM tenants WHERE id = $1" },
      [id],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.#query(
      {
        name: "insertApiKey",
        text: `INSERT INTO api_keys (id, tenant_id, name, scopes, secret_hash, created_at, revoked_at, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      },
      [
        key.id,
        key.tenantId,
        key.name,
        JSON.stringify(key.scopes),
        key.secretHash,
        key.createdAt,
        key.revokedAt,
        key.createdBy,
      ],
    );
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.#query<ApiKeyRow>(
      { name: "getApiKey", text: "SELECT * FROM api_keys WHERE id = $1" },
      [id],
    );
    return rows[0] ? rowToApiKey(rows[0]) : null;
  }

  async listApiKeys(tenantId: string): Promise<readonly ApiKeyRecord[]> {
    const { rows } = await this.#query<ApiKeyRow>(
      {
        name: "listApiKeys",
        text: "SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
      },
      [tenantId],
    );
    return rows.map(rowToApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, now: number): Promise<boolean> {
    const result = await this.#query(
      {
        name: "revokeApiKey",
        text: "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3",
      },
      [now, tenantId, id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async countApiKeys(): Promise<number> {
    const { rows } = await this.#query<{ n: number }>("SELECT count(*)::bigint AS n FROM api_keys");
    return rows[0]!.n;
  }

  // ---------------------------------------------------------------- tasks

  async createTasks(tasks: readonly NewTask[]): Promise<readonly CreateOutcome[]> {
    if (tasks.length === 0) return [];
    const tenantId = tasks[0]!.tenantId;
    if (tasks.every((t) => t.idempotencyKey === null && t.tenantId === tenantId)) {
      // Nothing to look up first: one statement, committed on its own.
      const made = tasks.map(newTaskOf);
      try {
        await this.#insertTasks(this.pool, tenantId, made);
      } catch (err) {
        throw toStoreError(err);
      }
      return made.map((m) => ({ task: m.task, created: true }));
    }
    // A concurrent create with the same idempotency key makes the insert fail on the unique
    // index; the retry then finds that task and answers it.
    return this.#tx((c) => this.#createAll(c, tasks), true);
  }

  async #insertTasks(
    db: Queryable,
    tenantId: string,
    made: readonly { t: NewTask; task: Task; event: TaskEvent }[],
  ): Promise<void> {
    const f = made.map((x) => x.t);
    await db.query({
      name: "create",
      text: CREATE,
      values: [
        tenantId,
        f.map((t) => t.id),
        f.map((t) => t.kind),
        f.map((t) => json(t.input)),
        f.map((t) => t.queue),
        f.map((t) => t.priority),
        f.map((t) => t.runAt),
        f.map((t) => t.createdAt),
        f.map((t) => t.maxAttempts),
        f.map((t) => json(t.labels)),
        f.map((t) => (t.requirements.length === 0 ? null : JSON.stringify(t.requirements))),
        f.map((t) => t.idempotencyKey),
        f.map((t) => t.requestHash),
        f.map((t) => t.createdBy),
        f.map((t) => t.leaseTtlMs),
        f.map((t) => t.maxRenewals),
        f.map((t) => t.timeoutMs),
        f.map((t) => t.backoffBaseMs),
        f.map((t) => t.backoffMaxMs),
        made.map((x) => x.task.headHash),
        made.map((x) => x.event.taskId),
        made.map((x) => x.event.seq),
        made.map((x) => x.event.type),
        made.map((x) => x.event.at),
        made.map((x) => json(x.event.data)),
        made.map((x) => x.event.hash),
      ],
    });
  }

  async #createAll(c: Client, tasks: readonly NewTask[]): Promise<CreateOutcome[]> {
    const keyed = tasks.filter((t) => t.idempotencyKey !== null);
    const existing = new Map<string, TaskRow>();
    const keyOf = (tenantId: string, key: string) => `${tenantId}\u0000${key}`;
    if (keyed.length > 0) {
      const { rows } = await c.query<TaskRow>({
        name: "byIdempotency",
        text: `SELECT ${TASK_COLUMNS} FROM tasks
               WHERE (tenant_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        values: [keyed.map((t) => t.tenantId), keyed.map((t) => t.idempotencyKey)],
      });
      for (const row of rows) existing.set(keyOf(row.tenant_id, row.idempotency_key!), row);
    }
    const outcomes: CreateOutcome[] = [];
    const fresh: { t: NewTask; task: Task; event: TaskEvent }[] = [];
    const freshByKey = new Map<string, { t: NewTask; task: Task }>();
    for (const t of tasks) {
      if (t.idempotencyKey !== null) {
        const k = keyOf(t.tenantId, t.idempotencyKey);
        const row = existing.get(k);
        const earlier = freshByKey.get(k);
        const storedHash = row ? row.request_hash : earlier ? earlier.t.requestHash : undefined;
        if (storedHash !== undefined) {
          const id = row ? row.id : earlier!.task.id;
          if (storedHash !== t.requestHash) {
            throw new ErrandError(
              "idempotency_conflict",
              `idempotency key ${JSON.stringify(t.idempotencyKey)} was used with a different request`,
              { details: { task_id: id, idempotency_key: t.idempotencyKey } },
            );
          }
          outcomes.push({ task: row ? rowToTask(row) : earlier!.task, created: false });
          continue;
        }
      }
      const made = newTaskOf(t);
      fresh.push(made);
      if (t.idempotencyKey !== null)
        freshByKey.set(keyOf(t.tenantId, t.idempotencyKey), { t, task: made.task });
      outcomes.push({ task: made.task, created: true });
    }
    // Sorted by tenant, so that two writers lock tenant position rows in one order.
    const tenants = [...new Set(fresh.map((x) => x.task.tenantId))].sort();
    for (const tenantId of tenants) {
      await this.#insertTasks(
        c,
        tenantId,
        fresh.filter((x) => x.task.tenantId === tenantId),
      );
    }
    return outcomes;
  }

  async getTask(tenantId: string, id: string): Promise<Task | null> {
    const { rows } = await this.#query<TaskRow>(
      {
        name: "getTask",
        text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND tenant_id = $2`,
      },
      [id, tenantId],
    );
    return rows[0] ? rowToTask(rows[0]) : null;
  }

  async listTasks(
    tenantId: string,
    filter: TaskFilter,
    page: { readonly cursor: string | null; readonly limit: number },
  ): Promise<Page<Task>> {
    const params: unknown[] = [tenantId];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = ["tenant_id = $1"];
    if (filter.state !== undefined) {
      const states = (Array.isArray(filter.state) ? filter.state : [filter.state]) as TaskState[];
      where.push(`state = ANY(${p(states)}::text[])`);
    }
    if (filter.kind !== undefined) where.push(`kind = ${p(filter.kind)}`);
    if (filter.queue !== undefined) where.push(`queue = ${p(filter.queue)}`);
    if (filter.label !== undefined) {
      if (filter.label.value === undefined) where.push(`labels::jsonb ? ${p(filter.label.key)}`);
      else
        where.push(
          `labels::jsonb ->> ${p(filter.label.key)}::text = ${p(filter.label.value)}::text`,
        );
    }
    if (filter.createdBy !== undefined) where.push(`created_by = ${p(filter.createdBy)}`);
    if (filter.receiptUnacked) where.push("receipt_acked_at IS NULL");
    if (page.cursor !== null) where.push(`id < ${p(page.cursor)}`);
    const limit = p(page.limit + 1);
    const { rows } = await this.#query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit).map(rowToTask);
    return { items, nextCursor: more ? items.at(-1)!.id : null };
  }

  async countTasks(tenantId: string, state: TaskState): Promise<number> {
    const { rows } = await this.#query<{ n: number }>(
      {
        name: "countTasks",
        text: "SELECT count(*)::bigint AS n FROM tasks WHERE tenant_id = $1 AND state = $2",
      },
      [tenantId, state],
    );
    return rows[0]!.n;
  }

  async cancelTask(
    tenantId: string,
    id: string,
    now: number,
    reason: string | null,
  ): Promise<TransitionOutcome> {
    return this.#tx(async (c) => {
      const { rows } = await c.query<TaskRow>({
        name: "lockTask",
        text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
        values: [id, tenantId],
      });
      if (!rows[0]) throw new ErrandError("task_not_found", `no task ${id}`);
      const writes = new Writes();
      const task = writes.read(rowToTask(rows[0]));
      if (task.state === "canceled") return { task, events: [] };
      const outcome = writes.apply(task, planCancel(task, now, reason), now);
      await this.#flushLocked(c, writes);
      return outcome;
    });
  }

  // ---------------------------------------------------------------- leases

  async claimTasks(request: ClaimRequest): Promise<readonly Claimed[]> {
    if (request.kinds.length === 0 || request.max <= 0) return [];
    const withQueues = request.queues !== undefined && request.queues.length > 0;
    return this.#tx(async (c) => {
      const values: unknown[] = [
        request.tenantId,
        request.now,
        request.kinds,
        request.labels,
        request.max,
      ];
      if (withQueues) values.push(request.queues);
      const { rows } = await c.query<TaskRow>({
        name: withQueues ? "claimQ" : "claim",
        text: `SELECT ${TASK_COLUMNS} FROM tasks
               WHERE tenant_id = $1 AND state = 'queued' AND run_at <= $2
                 AND kind = ANY($3::text[])
                 AND (requirements IS NULL OR requirements <@ $4::text[])
                 ${withQueues ? "AND queue = ANY($6::text[])" : ""}
               ORDER BY priority DESC, run_at, id
               LIMIT $5
               FOR UPDATE SKIP LOCKED`,
        values,
      });
      if (rows.length === 0) return [];
      const writes = new Writes();
      const claimed = rows.map((row) => {
        const task = writes.read(rowToTask(row));
        const leaseId = request.newLeaseId();
        const change = planClaim(task, { leaseId, workerId: request.workerId, now: request.now });
        const outcome = writes.apply(task, change, request.now);
        writes.start(task, leaseId, request.workerId, request.now);
        return { task: outcome.task, leaseId, events: outcome.events };
      });
      await this.#flushLocked(c, writes);
      for (const x of claimed) this.#leaseWriter.remember(x.task);
      return claimed;
    });
  }

  /** The running tasks of these leases, each found by lease id and tenant. */
  async #readLeases(leases: readonly LeaseWrite[]): Promise<Task[]> {
    const { rows } = await this.#query<TaskRow>(
      {
        name: "byLeases",
        text: `SELECT ${TASK_COLUMNS} FROM tasks
               WHERE lease_id = ANY($1::text[])
                 AND (lease_id, tenant_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      },
      [leases.map((w) => w.leaseId), leases.map((w) => w.tenantId)],
    );
    return rows.map(rowToTask);
  }

  renewLease(write: LeaseWrite): Promise<RenewOutcome> {
    return this.#leaseWriter.enqueue<RenewOutcome>(write, 0, (row, writes) => {
      if (row && row.state === "canceled" && row.lease?.id === write.leaseId)
        return { value: { task: row, cancelRequested: true } };
      const task = fenced(row, write);
      const lease = task.lease!;
      const decision = decideRenewal(lease, write.now, task);
      if (!decision.ok) {
        throw new ErrandError(
          "lease_limit_reached",
          `lease ${lease.id} cannot be renewed (${decision.reason})`,
          {
            details: {
              lease_id: lease.id,
              reason: decision.reason,
              expires_at: new Date(lease.expiresAt).toISOString(),
            },
          },
        );
      }
      const next: Task = {
        ...task,
        lease: { ...lease, expiresAt: decision.expiresAt, renewals: lease.renewals + 1 },
        updatedAt: write.now,
      };
      writes.task(next);
      return { value: { task: next, cancelRequested: false }, next };
    });
  }

  appendEvents(write: LeaseWrite, pending: readonly PendingEvent[]): Promise<AppendOutcome> {
    return this.#leaseWriter.enqueue<AppendOutcome>(write, pending.length, (row, writes) => {
      const task = fenced(row, write);
      const events = chainEvents(task, pending, write.now);
      const next = withEvents(task, events, write.now);
      writes.task(next);
      writes.addEvents(task.tenantId, events);
      return { value: { task: next, events }, next };
    });
  }

  completeTask(
    write: LeaseWrite,
    result: unknown,
    events?: readonly PendingEvent[],
  ): Promise<TransitionOutcome> {
    return this.#leaseWriter.enqueue<TransitionOutcome>(
      write,
      1 + (events?.length ?? 0),
      (row, writes) => {
        const task = fenced(row, write);
        const change = withWorkerEvents(planComplete(task, result, write.now), events);
        const outcome = writes.apply(task, change, write.now);
        return { value: outcome, next: outcome.task };
      },
    );
  }

  failTask(
    write: LeaseWrite,
    failure: {
      readonly error: TaskError;
      readonly retryable: boolean;
      readonly random?: () => number;
      readonly events?: readonly PendingEvent[];
    },
  ): Promise<TransitionOutcome> {
    const weight = 1 + (failure.events?.length ?? 0);
    return this.#leaseWriter.enqueue<TransitionOutcome>(write, weight, (row, writes) => {
      const task = fenced(row, write);
      const change = withWorkerEvents(
        planFailure(task, { ...failure, now: write.now }),
        failure.events,
      );
      const outcome = writes.apply(task, change, write.now);
      return { value: outcome, next: outcome.task };
    });
  }

  releaseLease(write: LeaseWrite, reason: string | null): Promise<TransitionOutcome> {
    return this.#leaseWriter.enqueue<TransitionOutcome>(write, 1, (row, writes) => {
      const task = fenced(row, write);
      const outcome = writes.apply(task, planRelease(task, write.now, reason), write.now);
      return { value: outcome, next: outcome.task };
    });
  }

  async setAttemptMeta(write: LeaseWrite, meta: Readonly<Record<string, unknown>>): Promise<void> {
    await this.#tx(async (c) => {
      const { rows } = await c.query<TaskRow>({
        name: "lockLease",
        text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE lease_id = $1 AND tenant_id = $2 FOR UPDATE`,
        values: [write.leaseId, write.tenantId],
      });
      const task = fenced(rows[0] ? rowToTask(rows[0]) : null, write);
      const found = await c.query<{ meta: string | null }>({
        name: "attemptMeta",
        text: "SELECT meta FROM attempts WHERE task_id = $1 AND lease_id = $2",
        values: [task.id, write.leaseId],
      });
      const old = found.rows[0]?.meta;
      const merged = { ...(old ? (JSON.parse(old) as object) : {}), ...meta };
      await c.query({
        name: "setAttemptMeta",
        text: "UPDATE attempts SET meta = $1 WHERE task_id = $2 AND lease_id = $3",
        values: [JSON.stringify(merged), task.id, write.leaseId],
      });
    });
  }

  async expireLeases(now: number, limit: number): Promise<readonly TransitionOutcome[]> {
    return this.#tx(async (c) => {
      // SKIP LOCKED: a lease that a worker is completing right now is left to that worker.
      const { rows } = await c.query<TaskRow>({
        name: "expiring",
        text: `SELECT ${TASK_COLUMNS} FROM tasks WHERE state = 'running' AND lease_expires_at <= $1
               ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        values: [now, limit],
      });
      const writes = new Writes();
      const outcomes = rows.map((row) => {
        const task = writes.read(rowToTask(row));
        return writes.apply(task, planExpiry(task, now), now);
      });
      await this.#flushLocked(c, writes);
      return outcomes;
    });
  }

  async nextRunAt(tenantId: string | null, now: number): Promise<number | null> {
    const { rows } =
      tenantId === null
        ? await this.#query<{ at: number | null }>(
            {
              name: "nextRunAtAll",
              text: "SELECT min(run_at) AS at FROM tasks WHERE state = 'queued' AND run_at > $1",
            },
            [now],
          )
        : await this.#query<{ at: number | null }>(
            {
              name: "nextRunAt",
              text: "SELECT min(run_at) AS at FROM tasks WHERE tenant_id = $1 AND state = 'queued' AND run_at > $2",
            },
            [tenantId, now],
          );
    return rows[0]?.at ?? null;
  }

  /**
   * A session-level advisory lock on a connection of its own: held while that session lives.
   * When the holding node dies or its connection drops, PostgreSQL frees the lock and the next
   * node that asks gets it.
   */
  async holdSweeperLock(nodeId: string): Promise<boolean> {
    if (this.#closed) return false;
    try {
      if (this.#sweeper && this.#sweeperHeld) {
        await this.#sweeper.query("SELECT 1");
        return true;
      }
      if (!this.#sweeper) {
        // Named after the node, so that operators see in pg_stat_activity who sweeps.
        const client = new pg.Client({
          ...this.#clientConfig(),
          application_name: `errand-sweeper:${nodeId}`.slice(0, 63),
        });
        client.on("error", (err) => {
          this.#noteError(err, "sweeper connection failed");
          if (this.#sweeper === client) {
            this.#sweeper = null;
            this.#sweeperHeld = false;
          }
          void client.end().catch(() => undefined);
        });
        this.#sweeper = client;
        await client.connect();
      }
      const { rows } = await this.#sweeper.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok",
        [`errand.sweeper.${this.schema}`],
      );
      this.#sweeperHeld = rows[0]?.ok === true;
      return this.#sweeperHeld;
    } catch (err) {
      const client = this.#sweeper;
      this.#sweeper = null;
      this.#sweeperHeld = false;
      await client?.end().catch(() => undefined);
      if (!isConnectionError(err)) this.#noteError(err as Error, "sweeper lock failed");
      return false;
    }
  }

  /** Gives up sweeper leadership (closing its session) without closing the store. */
  async releaseSweeperLock(): Promise<void> {
    const client = this.#sweeper;
    this.#sweeper = null;
    this.#sweeperHeld = false;
    await client?.end().catch(() => undefined);
  }

  // ---------------------------------------------------------------- event log

  async readEvents(
    tenantId: string,
    taskId: string,
    afterSeq: number,
    limit: number,
  ): Promise<readonly TaskEvent[]> {
    const { rows } = await this.#query<EventRow>(
      {
        name: "readEvents",
        text: `SELECT id, task_id, seq, type, at, data, hash FROM events
               WHERE task_id = $1 AND tenant_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      },
      [taskId, tenantId, afterSeq, limit],
    );
    return rows.map(rowToEvent);
  }

  async readTenantEvents(
    tenantId: string,
    afterId: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<readonly TenantEvent[]> {
    const { rows } = await this.#query<EventRow>(
      {
        name: "readTenantEvents",
        text: `SELECT id, task_id, seq, type, at, data, hash FROM events
               WHERE tenant_id = $1 AND id > $2 AND type = ANY($3::text[])
               ORDER BY id LIMIT $4`,
      },
      [tenantId, afterId, types, limit],
    );
    return rows.map(rowToTenantEvent);
  }

  async lastTenantEventId(tenantId: string): Promise<number> {
    const { rows } = await this.#query<{ id: number }>(
      {
        name: "lastTenantEvent",
        text: "SELECT last_event_id AS id FROM tenant_positions WHERE tenant_id = $1",
      },
      [tenantId],
    );
    return rows[0]?.id ?? 0;
  }

  async listAttempts(tenantId: string, taskId: string): Promise<readonly Attempt[]> {
    const { rows } = await this.#query<AttemptRow>(
      {
        name: "listAttempts",
        text: "SELECT * FROM attempts WHERE task_id = $1 AND tenant_id = $2 ORDER BY number",
      },
      [taskId, tenantId],
    );
    return rows.map(rowToAttempt);
  }

  // ---------------------------------------------------------------- workers

  async upsertWorker(worker: WorkerInfo): Promise<WorkerInfo> {
    await this.#query(
      {
        name: "upsertWorker",
        text: `INSERT INTO workers (id, tenant_id, name, kinds, labels, capacity, version, principal_id, created_at, last_seen_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT (id) DO UPDATE SET name = excluded.name, kinds = excluded.kinds,
                 labels = excluded.labels, capacity = excluded.capacity, version = excluded.version,
                 principal_id = excluded.principal_id, last_seen_at = excluded.last_seen_at
               WHERE workers.tenant_id = excluded.tenant_id`,
      },
      [
        worker.id,
        worker.tenantId,
        worker.name,
        JSON.stringify(worker.kinds),
        JSON.stringify(worker.labels),
        worker.capacity,
        worker.version,
        worker.principalId,
        worker.createdAt,
        worker.lastSeenAt,
      ],
    );
    const stored = await this.getWorker(worker.tenantId, worker.id);
    if (!stored) throw new ErrandError("worker_not_found", `no worker ${worker.id}`);
    return stored;
  }

  async touchWorker(tenantId: string, id: string, now: number): Promise<boolean> {
    const result = await this.#query(
      {
        name: "touchWorker",
        text: "UPDATE workers SET last_seen_at = $1 WHERE id = $2 AND tenant_id = $3",
      },
      [now, id, tenantId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async getWorker(tenantId: string, id: string): Promise<WorkerInfo | null> {
    const { rows } = await this.#query<WorkerRow>(
      { name: "getWorker", text: "SELECT * FROM workers WHERE id = $1 AND tenant_id = $2" },
      [id, tenantId],
    );
    return rows[0] ? rowToWorker(rows[0]) : null;
  }

  async listWorkers(tenantId: string): Promise<readonly WorkerInfo[]> {
    const { rows } = await this.#query<WorkerRow>(
      {
        name: "listWorkers",
        text: "SELECT * FROM workers WHERE tenant_id = $1 ORDER BY last_seen_at DESC, id",
      },
      [tenantId],
    );
    return rows.map(rowToWorker);
  }

  // ---------------------------------------------------------------- receipts and signing keys

  async ackReceipt(ack: ReceiptAck): Promise<boolean> {
    const result = await this.#query(
      {
        name: "ackReceipt",
        text: `UPDATE tasks SET receipt_acked_at = COALESCE(receipt_acked_at, $1)
               WHERE id = $2 AND tenant_id = $3 AND state IN ('succeeded', 'failed', 'canceled')`,
      },
      [ack.now, ack.taskId, ack.tenantId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async listSigningKeys(): Promise<readonly SigningKeyRecord[]> {
    const { rows } = await this.#query<SigningKeyRow>(
      "SELECT * FROM signing_keys ORDER BY created_at",
    );
    return rows.map(rowToSigningKey);
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#query(
      "INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4, $5)",
      [key.kid, key.privateJwk, key.publicJwk, key.createdAt, key.retiredAt],
    );
  }
}
