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
  AttemptOutcome,
  EventType,
  PendingEvent,
  SigningKeyRecord,
  Task,
  TaskChange,
  TaskError,
  TaskEvent,
  TaskState,
  Tenant,
  TenantEvent,
  WorkerInfo,
} from "../../core/index.js";
import {
  ErrandError,
  GENESIS_HASH,
  chainHash,
  decideRenewal,
  planCancel,
  planClaim,
  planComplete,
  planExpiry,
  planFailure,
  planRelease,
} from "../../core/index.js";
import { applyChange, chainEvents, withEvents, withWorkerEvents } from "../change.js";
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
import { MIGRATIONS } from "./migrations.js";
import {
  PG_TYPES,
  json,
  jsonOrNull,
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
/** Events one group-commit statement may carry, to keep its parameters moderate. */
const BATCH_EVENT_CAP = 8_192;

const TASK_COLUMNS = `id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
  updated_at, started_at, finished_at, attempts, max_attempts, labels, requirements,
  idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals, timeout_ms,
  backoff_base_ms, backoff_max_ms, result, error, progress, lease_id, lease_worker_id,
  lease_acquired_at, lease_expires_at, lease_renewals, last_seq, head_hash, receipt_acked_at`;

/**
 * The tail every write statement shares: the tenant's events, numbered under the tenant's
 * position row lock. Only events of tasks listed in `done` are written. The position row is
 * locked after every task row the statement touches, and held until COMMIT: positions are
 * handed out in commit order, so a reader that saw position n has seen everything below it.
 */
function eventsTail(first: number, done: string): string {
  const p = (i: number) => `$${first + i}`;
  return `ev AS (
  SELECT x.task_id, x.seq, x.type, x.at, x.data, x.hash, row_number() OVER (ORDER BY x.ord) AS k
  FROM unnest(${p(0)}::text[], ${p(1)}::int[], ${p(2)}::text[], ${p(3)}::bigint[], ${p(4)}::text[],
    ${p(5)}::text[]) WITH ORDINALITY AS x(task_id, seq, type, at, data, hash, ord)
  WHERE x.task_id IN (SELECT id FROM ${done})
), n AS (
  SELECT count(*) AS n FROM ev
), pos AS (
  INSERT INTO tenant_positions AS p (tenant_id, last_event_id)
  SELECT $1, n.n FROM n WHERE n.n > 0
  ON CONFLICT (tenant_id) DO UPDATE SET last_event_id = p.last_event_id + excluded.last_event_id
  RETURNING p.last_event_id AS last
), appended AS (
  INSERT INTO events (tenant_id, id, task_id, seq, type, at, data, hash)
  SELECT $1, pos.last - n.n + ev.k, ev.task_id, ev.seq, ev.type, ev.at, ev.data, ev.hash
  FROM pos, n, ev
  RETURNING 1
)`;
}

/**
 * One statement writes everything a plan changed in one tenant: every mutable column of the
 * tasks, the attempts it ends and starts, and the events. Each task row is updated only if it
 * still is as it was read (same lease, last seq and renewal count): the fence in SQL, and what
 * lets lease writes run without holding row locks across round trips. Returns the ids written.
 */
const WRITE = `
WITH u AS (
  UPDATE tasks t SET state = u.state, run_at = u.run_at, updated_at = u.updated_at,
    started_at = u.started_at, finished_at = u.finished_at, attempts = u.attempts,
    result = u.result, error = u.error, progress = u.progress, lease_id = u.lease_id,
    lease_worker_id = u.lease_worker_id, lease_acquired_at = u.lease_acquired_at,
    lease_expires_at = u.lease_expires_at, lease_renewals = u.lease_renewals,
    last_seq = u.last_seq, head_hash = u.head_hash
  FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[],
    $15::bigint[], $16::int[], $17::int[], $18::text[], $19::text[], $20::int[], $21::int[])
    AS u(id, state, run_at, updated_at, started_at, finished_at, attempts, result, error,
      progress, lease_id, lease_worker_id, lease_acquired_at, lease_expires_at, lease_renewals,
      last_seq, head_hash, base_lease_id, base_last_seq, base_renewals)
  -- The primary key must find the rows: with fresh statistics on a just-filled table the
  -- planner would rather scan a tenant index (all of the tenant's rows), so the tenant fence is
  -- written as an expression no index serves.
  WHERE t.id = ANY($2::text[]) AND t.id = u.id AND (t.tenant_id || '') = $1
    AND t.lease_id IS NOT DISTINCT FROM u.base_lease_id
    AND t.last_seq = u.base_last_seq
    AND t.lease_renewals IS NOT DISTINCT FROM u.base_renewals
  RETURNING t.id
), ended AS (
  UPDATE attempts a SET ended_at = x.ended_at, outcome = x.outcome, error = x.error
  FROM unnest($22::text[], $23::text[], $24::bigint[], $25::text[], $26::text[])
    AS x(task_id, lease_id, ended_at, outcome, error)
  WHERE a.task_id = x.task_id AND a.lease_id = x.lease_id AND a.ended_at IS NULL
    AND x.task_id IN (SELECT id FROM u)
  RETURNING 1
), started AS (
  INSERT INTO attempts (task_id, number, tenant_id, lease_id, worker_id, started_at)
  SELECT x.task_id,
    COALESCE((SELECT max(number) FROM attempts p WHERE p.task_id = x.task_id), 0) + 1,
    $1, x.lease_id, x.worker_id, x.started_at
  FROM unnest($27::text[], $28::text[], $29::text[], $30::bigint[])
    AS x(task_id, lease_id, worker_id, started_at)
  WHERE x.task_id IN (SELECT id FROM u)
  RETURNING 1
), ${eventsTail(31, "u")}
SELECT id FROM u`;

/** One statement creates one tenant's tasks and their `task.created` events. */
const CREATE = `
WITH made AS (
  INSERT INTO tasks (id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
    updated_at, attempts, max_attempts, labels, requirements, idempotency_key, request_hash,
    created_by, lease_ttl_ms, max_renewals, timeout_ms, backoff_base_ms, backoff_max_ms,
    last_seq, head_hash)
  SELECT id, $1, kind, input, queue, priority, 'queued', run_at, created_at, created_at, 0,
    max_attempts, labels,
    CASE WHEN requirements IS NULL THEN NULL
      ELSE ARRAY(SELECT json_array_elements_text(requirements::json)) END,
    idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals, timeout_ms,
    backoff_base_ms, backoff_max_ms, 1, head_hash
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
    $8::bigint[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
    $15::bigint[], $16::int[], $17::bigint[], $18::bigint[], $19::bigint[], $20::text[])
    AS x(id, kind, input, queue, priority, run_at, created_at, max_attempts, labels,
      requirements, idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals,
      timeout_ms, backoff_base_ms, backoff_max_ms, head_hash)
  RETURNING id
), ${eventsTail(21, "made")}
SELECT count(*)::int AS n FROM made`;

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "57P01", // admin_shutdown: pg_terminate_backend or a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "53300", // too_many_connections
]);

/** Whether an error means the connection or the server is gone, not that the SQL was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08")))
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended/i.test(
    err.message,
  );
}

function toStoreError(err: unknown): unknown {
  if (err instanceof ErrandError) return err;
  if (isConnectionError(err)) {
    return new ErrandError("unavailable", "the database is unreachable; retry later", {
      cause: err,
    });
  }
  return err;
}

function leaseLost(leaseId: string, reason: string, task?: Task): ErrandError {
  return new ErrandError("lease_lost", `lease ${leaseId} is no longer current (${reason})`, {
    details: {
      lease_id: leaseId,
      reason,
      ...(task ? { task_id: task.id, state: task.state } : {}),
    },
  });
}

/** The fencing rule of every lease write, applied to the row loaded under its lock. */
function fenced(task: Task | null, write: LeaseWrite): Task {
  if (!task || task.lease?.id !== write.leaseId)
    throw leaseLost(write.leaseId, "unknown, released or superseded");
  if (task.state === "canceled") throw leaseLost(write.leaseId, "canceled", task);
  if (task.state !== "running") throw leaseLost(write.leaseId, task.state, task);
  if (task.lease.expiresAt <= write.now) throw leaseLost(write.leaseId, "expired", task);
  return task;
}

interface TenantWrites {
  readonly tasks: Map<string, Task>;
  readonly events: TaskEvent[];
  readonly ends: {
    taskId: string;
    leaseId: string;
    at: number;
    outcome: AttemptOutcome;
    error: TaskError | null;
  }[];
  readonly starts: { taskId: string; leaseId: string; workerId: string; at: number }[];
}

/** What one operation (or one group of lease writes) writes back, per tenant. */
class Writes {
  /** Each touched task as it was read: the fence of the write. */
  readonly bases = new Map<string, Task>();
  readonly byTenant = new Map<string, TenantWrites>();

  /** Records a task as read, before any change of this batch. */
  read(task: Task): Task {
    if (!this.bases.has(task.id)) this.bases.set(task.id, task);
    return task;
  }

  #of(tenantId: string): TenantWrites {
    let w = this.byTenant.get(tenantId);
    if (!w) {
      w = { tasks: new Map(), events: [], ends: [], starts: [] };
      this.byTenant.set(tenantId, w);
    }
    return w;
  }

  task(task: Task): void {
    this.#of(task.tenantId).tasks.set(task.id, task);
  }

  addEvents(tenantId: string, events: readonly TaskEvent[]): void {
    if (events.length > 0) this.#of(tenantId).events.push(...events);
  }

  start(task: Task, leaseId: string, workerId: string, at: number): void {
    this.#of(task.tenantId).starts.push({ taskId: task.id, leaseId, workerId, at });
  }

  /** Applies a plan to a loaded task: the row, its events and the attempt it ends. */
  apply(task: Task, change: TaskChange, now: number): TransitionOutcome {
    const events = chainEvents(task, change.events, now);
    const next = withEvents(applyChange(task, change, now), events, now);
    this.task(next);
    this.addEvents(task.tenantId, events);
    if (change.endAttempt && task.lease) {
      this.#of(task.tenantId).ends.push({
        taskId: task.id,
        leaseId: task.lease.id,
        at: now,
        outcome: change.endAttempt.outcome,
        error: change.endAttempt.error,
      });
    }
    return { task: next, events };
  }
}

/** What runs one statement: a pool (autocommit) or a client inside a transaction. */
interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

interface StepResult<T> {
  readonly value: T;
  /** The task after the step, when it changed. */
  readonly next?: Task;
}

/** One lease write waiting for the next group-commit statement. */
interface LeaseOp {
  readonly write: LeaseWrite;
  readonly weight: number;
  step(task: Task | null, writes: Writes): StepResult<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class PostgresStore implements Store {
  readonly backend = "postgres" as const;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly #options: PostgresStoreOptions;
  readonly #writeConcurrency: number;
  readonly #queue: LeaseOp[] = [];
  #writing = 0;
  #flushScheduled = false;
  #sweeper: pg.Client | null = null;
  #sweeperHeld = false;
  #closed = false;
  #lastError: { at: number; message: string } | null = null;
  /**
   * Running tasks as this store last wrote them, by lease. A lease write starts from here
   * instead of reading the row first; the write's fence (same lease, seq and renewal count)
   * catches a stale entry, and a refusal decided on a cached row is checked on a fresh read.
   */
  readonly #leases = new Map<string, Task>();

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
    this.#writeConcurrency = Math.max(1, options.writeConcurrency ?? 4);
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

  #remember(task: Task): void {
    const lease = task.lease;
    if (!lease) return;
    const key = `${task.tenantId}\u0000${lease.id}`;
    if (task.state !== "running") {
      this.#leases.delete(key);
      return;
    }
    this.#leases.delete(key);
    this.#leases.set(key, task);
    // Oldest first out: a Map iterates in insertion order.
    if (this.#leases.size > 50_000) this.#leases.delete(this.#leases.keys().next().value!);
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

  /**
   * Writes what `writes` collected, one statement per tenant (sorted, so that two writers lock
   * tenant position rows in one order). Returns the ids of the tasks written; a task missing
   * from it had changed since it was read, and none of its rows were written.
   */
  async #flush(db: Queryable, writes: Writes): Promise<Set<string>> {
    const written = new Set<string>();
    for (const tenantId of [...writes.byTenant.keys()].sort()) {
      const w = writes.byTenant.get(tenantId)!;
      const t = [...w.tasks.values()];
      const base = t.map((x) => writes.bases.get(x.id)!);
      const e = w.events;
      const { rows } = await db.query<{ id: string }>({
        name: "write",
        text: WRITE,
        values: [
          tenantId,
          t.map((x) => x.id),
          t.map((x) => x.state),
          t.map((x) => x.runAt),
          t.map((x) => x.updatedAt),
          t.map((x) => x.startedAt),
          t.map((x) => x.finishedAt),
          t.map((x) => x.attempts),
          t.map((x) => jsonOrNull(x.result)),
          t.map((x) => jsonOrNull(x.error)),
          t.map((x) => jsonOrNull(x.progress)),
          t.map((x) => x.lease?.id ?? null),
          t.map((x) => x.lease?.workerId ?? null),
          t.map((x) => x.lease?.acquiredAt ?? null),
          t.map((x) => x.lease?.expiresAt ?? null),
          t.map((x) => x.lease?.renewals ?? null),
          t.map((x) => x.lastSeq),
          t.map((x) => x.headHash),
          base.map((x) => x.lease?.id ?? null),
          base.map((x) => x.lastSeq),
          base.map((x) => x.lease?.renewals ?? null),
          w.ends.map((x) => x.taskId),
          w.ends.map((x) => x.leaseId),
          w.ends.map((x) => x.at),
          w.ends.map((x) => x.outcome),
          w.ends.map((x) => jsonOrNull(x.error)),
          w.starts.map((x) => x.taskId),
          w.starts.map((x) => x.leaseId),
          w.starts.map((x) => x.workerId),
          w.starts.map((x) => x.at),
          e.map((x) => x.taskId),
          e.map((x) => x.seq),
          e.map((x) => x.type),
          e.map((x) => x.at),
          e.map((x) => json(x.data)),
          e.map((x) => x.hash),
        ],
      });
      for (const row of rows) written.add(row.id);
    }
    return written;
  }

  /** Inside a transaction the rows are locked: every task must have been written. */
  async #flushLocked(client: Client, writes: Writes): Promise<void> {
    const written = await this.#flush(client, writes);
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
    while (this.#queue.length > 0 || this.#writing > 0) {
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
      for (const x of claimed) this.#remember(x.task);
      return claimed;
    });
  }

  /**
   * Queues a lease write for the next group-commit statement. When fewer than
   * `writeConcurrency` such transactions run, one starts on the next turn of the event loop with
   * everything queued by then; concurrent workers' completions so share one COMMIT (one WAL
   * flush) instead of paying one each.
   */
  #enqueue<T>(
    write: LeaseWrite,
    weight: number,
    step: (task: Task | null, writes: Writes) => StepResult<T>,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new ErrandError("unavailable", "the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        write,
        weight,
        step,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#queue.length === 0) return;
    if (this.#writing >= this.#writeConcurrency) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#writing >= this.#writeConcurrency || this.#queue.length === 0) return;
      let weight = 0;
      let n = 0;
      while (
        n < this.#queue.length &&
        (n === 0 || weight + this.#queue[n]!.weight <= BATCH_EVENT_CAP)
      ) {
        weight += this.#queue[n]!.weight;
        n++;
      }
      const batch = this.#queue.splice(0, n);
      this.#writing++;
      void this.#runBatch(batch).finally(() => {
        this.#writing--;
        this.#schedule();
      });
      this.#schedule();
    });
  }

  /**
   * Runs a group of lease writes in two round trips and no held locks: read the rows by lease,
   * apply each step in order, write each tenant's changes in one statement that updates a row
   * only if it is still as read. A task that changed in between (a cancel, an expiry, another
   * node) is not written at all; its writes are run again on a fresh read, where the fence
   * answers them.
   */
  async #runBatch(ops: readonly LeaseOp[]): Promise<void> {
    const keyOf = (w: LeaseWrite) => `${w.tenantId}\u0000${w.leaseId}`;
    let pending = ops;
    for (let round = 0; pending.length > 0; round++) {
      const retry: LeaseOp[] = [];
      try {
        const writes = new Writes();
        const current = new Map<string, Task>();
        const cached = new Set<string>();
        const missing = new Map<string, LeaseWrite>();
        for (const op of pending) {
          const key = keyOf(op.write);
          if (current.has(key) || missing.has(key)) continue;
          const hit = this.#leases.get(key);
          if (hit) {
            current.set(key, writes.read(hit));
            cached.add(key);
          } else missing.set(key, op.write);
        }
        if (missing.size > 0) {
          const list = [...missing.values()];
          const { rows } = await this.#query<TaskRow>(
            {
              name: "byLeases",
              text: `SELECT ${TASK_COLUMNS} FROM tasks
                     WHERE lease_id = ANY($1::text[])
                       AND (lease_id, tenant_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
            },
            [list.map((w) => w.leaseId), list.map((w) => w.tenantId)],
          );
          for (const row of rows)
            current.set(`${row.tenant_id}\u0000${row.lease_id}`, writes.read(rowToTask(row)));
        }
        const taskOf = new Map<LeaseOp, string>();
        const recheck = new Set<LeaseOp>();
        const out = pending.map((op) => {
          const key = keyOf(op.write);
          const task = current.get(key) ?? null;
          if (task) taskOf.set(op, task.id);
          try {
            const r = op.step(task, writes);
            if (r.next) current.set(key, r.next);
            return { ok: true, value: r.value };
          } catch (err) {
            if (!(err instanceof ErrandError)) throw err;
            // Refused on what this node last wrote: ask the database before answering.
            if (cached.has(key)) recheck.add(op);
            return { ok: false, value: err as unknown };
          }
        });
        const written = await this.#flush(this.pool, writes);
        const changed = new Set<string>();
        for (const w of writes.byTenant.values()) {
          for (const [id, task] of w.tasks) {
            if (written.has(id)) this.#remember(task);
            else changed.add(id);
          }
        }
        pending.forEach((op, i) => {
          const key = keyOf(op.write);
          const id = taskOf.get(op);
          const stale = (id !== undefined && changed.has(id)) || recheck.has(op);
          if (stale) this.#leases.delete(key);
          if (stale && round < 50) {
            retry.push(op);
            return;
          }
          const r = out[i]!;
          if (stale) op.reject(new Error(`task ${id} kept changing`));
          else if (r.ok) op.resolve(r.value);
          else op.reject(r.value);
        });
      } catch (err) {
        for (const op of pending) this.#leases.delete(keyOf(op.write));
        const mapped = toStoreError(err);
        for (const op of pending) op.reject(mapped);
        return;
      }
      pending = retry;
    }
  }

  renewLease(write: LeaseWrite): Promise<RenewOutcome> {
    return this.#enqueue<RenewOutcome>(write, 0, (row, writes) => {
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
    return this.#enqueue<AppendOutcome>(write, pending.length, (row, writes) => {
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
    return this.#enqueue<TransitionOutcome>(write, 1 + (events?.length ?? 0), (row, writes) => {
      const task = fenced(row, write);
      const change = withWorkerEvents(planComplete(task, result, write.now), events);
      const outcome = writes.apply(task, change, write.now);
      return { value: outcome, next: outcome.task };
    });
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
    return this.#enqueue<TransitionOutcome>(write, weight, (row, writes) => {
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
    return this.#enqueue<TransitionOutcome>(write, 1, (row, writes) => {
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

/** The row and first event of a new task. */
function newTaskOf(t: NewTask): { t: NewTask; task: Task; event: TaskEvent } {
  const data = t.createdEventData ?? null;
  const hash = chainHash(GENESIS_HASH, {
    taskId: t.id,
    seq: 1,
    type: "task.created",
    at: t.createdAt,
    data,
  });
  const event: TaskEvent = {
    taskId: t.id,
    seq: 1,
    type: "task.created",
    at: t.createdAt,
    data,
    hash,
  };
  const task: Task = {
    id: t.id,
    tenantId: t.tenantId,
    kind: t.kind,
    input: t.input ?? null,
    queue: t.queue,
    priority: t.priority,
    state: "queued",
    runAt: t.runAt,
    createdAt: t.createdAt,
    updatedAt: t.createdAt,
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    maxAttempts: t.maxAttempts,
    labels: t.labels,
    requirements: t.requirements,
    idempotencyKey: t.idempotencyKey,
    createdBy: t.createdBy,
    leaseTtlMs: t.leaseTtlMs,
    maxRenewals: t.maxRenewals,
    timeoutMs: t.timeoutMs,
    backoffBaseMs: t.backoffBaseMs,
    backoffMaxMs: t.backoffMaxMs,
    result: null,
    error: null,
    progress: null,
    lease: null,
    lastSeq: 1,
    headHash: hash,
    receiptAckedAt: null,
  };
  return { t, task, event };
}
