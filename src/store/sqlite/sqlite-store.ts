/**
 * The embedded store: one SQLite file through better-sqlite3, in WAL mode, every statement
 * prepared once. better-sqlite3 is synchronous, so each write is a synchronous function (no
 * `await` inside); the writes issued in one turn of the event loop run together in one
 * transaction, each in its own savepoint (group commit, see #write), and their promises settle
 * after the commit.
 */
import Database from "better-sqlite3";
import type {
  ApiKeyRecord,
  Attempt,
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
  decideRenewal,
  planCancel,
  planClaim,
  planComplete,
  planExpiry,
  planFailure,
  planRelease,
} from "../../core/index.js";
import { applyChange, chainEvents, newTaskOf, withEvents, withWorkerEvents } from "../change.js";
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

export interface SqliteStoreOptions {
  /** Path of the database file; `:memory:` for a throwaway database. */
  readonly path: string;
  /**
   * `NORMAL` (default) survives a crash of the process with nothing lost; a power loss may lose
   * the last transactions. `FULL` syncs every commit to disk, at a cost in throughput.
   */
  readonly synchronous?: "NORMAL" | "FULL";
}

type Db = Database.Database;
type Stmt = Database.Statement;

const TASK_COLUMNS = `id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
  updated_at, started_at, finished_at, attempts, max_attempts, labels, requirements,
  idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals, timeout_ms,
  backoff_base_ms, backoff_max_ms, result, error, progress, lease_id, lease_worker_id,
  lease_acquired_at, lease_expires_at, lease_renewals, last_seq, head_hash, receipt_acked_at`;

function leaseLost(leaseId: string, reason: string, task?: Task): ErrandError {
  return new ErrandError("lease_lost", `lease ${leaseId} is no longer current (${reason})`, {
    details: {
      lease_id: leaseId,
      reason,
      ...(task ? { task_id: task.id, state: task.state } : {}),
    },
  });
}

export class SqliteStore implements Store {
  readonly backend = "sqlite" as const;
  readonly db: Db;
  readonly #s: Record<string, Stmt> = {};
  #pending: { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] =
    [];
  #flushScheduled = false;
  /**
   * Tasks under a lease this connection granted or last wrote, by lease id, so that the lease
   * writes of a worker (events, renew, complete) skip reading the row back. Valid only while no
   * other connection writes: `PRAGMA data_version` changes when one commits, and then the
   * cache is dropped. Any failed write drops it too, since its cache changes are not undone.
   */
  readonly #leased = new Map<string, Task>();
  #dataVersion = -1;

  constructor(options: SqliteStoreOptions) {
    this.db = new Database(options.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    // Keep the WAL from growing without bound under a steady write load.
    this.db.pragma("wal_autocheckpoint = 4000");
  }

  #stmt(name: string, sql: string): Stmt {
    let s = this.#s[name];
    if (!s) {
      s = this.db.prepare(sql);
      this.#s[name] = s;
    }
    return s;
  }

  /**
   * Group commit: writes issued in the same turn of the event loop run in one SQLite
   * transaction, each inside its own savepoint (better-sqlite3 nests transaction functions as
   * savepoints), so one write's failure undoes only that write. Committing once for many
   * writes is what lets ten concurrent workers share the cost of a commit (each commit writes
   * every page it dirtied to the WAL). A write's promise settles only after the commit.
   */
  #write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const begin = this.#stmt("begin", "BEGIN IMMEDIATE");
    const commit = this.#stmt("commit", "COMMIT");
    try {
      begin.run();
      const version = this.#stmt("dataVersion", "PRAGMA data_version").pluck().get() as number;
      if (version !== this.#dataVersion) {
        this.#leased.clear();
        this.#dataVersion = version;
      }
      if (batch.length === 1) {
        // Alone in its transaction: a failure rolls the whole transaction back.
        try {
          outcomes.push({ ok: true, value: batch[0]!.run() });
        } catch (err) {
          this.#stmt("rollback", "ROLLBACK").run();
          this.#leased.clear();
          batch[0]!.reject(err);
          return;
        }
      } else {
        const savepoint = this.#stmt("savepoint", "SAVEPOINT op");
        const release = this.#stmt("release", "RELEASE op");
        const rollbackTo = this.#stmt("rollbackTo", "ROLLBACK TO op");
        for (const op of batch) {
          savepoint.run();
          try {
            outcomes.push({ ok: true, value: op.run() });
          } catch (err) {
            rollbackTo.run();
            this.#leased.clear();
            outcomes.push({ ok: false, value: err });
          }
          release.run();
        }
      }
      commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.#stmt("rollback", "ROLLBACK").run();
      this.#leased.clear();
      for (const op of batch) op.reject(err);
      return;
    }
    batch.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.value);
    });
  };

  async migrate(): Promise<void> {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    const applied = new Set(
      (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.db
        .transaction(() => {
          this.db.exec(m.sql);
          this.db
            .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .run(m.version, m.name, Date.now());
        })
        .immediate();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  // ---------------------------------------------------------------- tenants and keys

  async ensureTenant(tenant: Tenant): Promise<Tenant> {
    this.#stmt(
      "ensureTenant",
      "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
    ).run(tenant.id, tenant.name, tenant.createdAt);
    return (await this.getTenant(tenant.id))!;
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const row = this.#stmt(
      "getTenant",
      "SELECT id, name, created_at FROM tenants WHERE id = ?",
    ).get(id) as { id: string; name: string; created_at: number } | undefined;
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    this.#stmt(
      "insertApiKey",
      `INSERT INTO api_keys (id, tenant_id, name, scopes, secret_hash, created_at, revoked_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key.id,
      key.tenantId,
      key.name,
      JSON.stringify(key.scopes),
      key.secretHash,
      key.createdAt,
      key.revokedAt,
      key.createdBy,
    );
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = this.#stmt("getApiKey", "SELECT * FROM api_keys WHERE id = ?").get(id) as
      ApiKeyRow | undefined;
    return row ? rowToApiKey(row) : null;
  }

  async listApiKeys(tenantId: string): Promise<readonly ApiKeyRecord[]> {
    const rows = this.#stmt(
      "listApiKeys",
      "SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
    ).all(tenantId) as ApiKeyRow[];
    return rows.map(rowToApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, now: number): Promise<boolean> {
    const info = this.#stmt(
      "revokeApiKey",
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?",
    ).run(now, tenantId, id);
    return info.changes > 0;
  }

  async countApiKeys(): Promise<number> {
    return (this.#stmt("countApiKeys", "SELECT count(*) AS n FROM api_keys").get() as { n: number })
      .n;
  }

  // ---------------------------------------------------------------- task rows

  #getTaskRow(tenantId: string, id: string): Task | null {
    const row = this.#stmt(
      "getTask",
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ? AND tenant_id = ?`,
    ).get(id, tenantId) as TaskRow | undefined;
    return row ? rowToTask(row) : null;
  }

  #insertEvents(tenantId: string, events: readonly TaskEvent[]): void {
    const insert = this.#stmt(
      "insertEvent",
      "INSERT INTO events (tenant_id, task_id, seq, type, at, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    for (const e of events)
      insert.run(tenantId, e.taskId, e.seq, e.type, e.at, json(e.data), e.hash);
  }

  /** Writes every mutable column of `task` back. */
  #updateTask(task: Task): void {
    const lease = task.lease;
    this.#stmt(
      "updateTask",
      `UPDATE tasks SET state = ?, run_at = ?, updated_at = ?, started_at = ?, finished_at = ?,
         attempts = ?, result = ?, error = ?, progress = ?, lease_id = ?, lease_worker_id = ?,
         lease_acquired_at = ?, lease_expires_at = ?, lease_renewals = ?, last_seq = ?, head_hash = ?
       WHERE id = ? AND tenant_id = ?`,
    ).run(
      task.state,
      task.runAt,
      task.updatedAt,
      task.startedAt,
      task.finishedAt,
      task.attempts,
      jsonOrNull(task.result),
      jsonOrNull(task.error),
      jsonOrNull(task.progress),
      lease?.id ?? null,
      lease?.workerId ?? null,
      lease?.acquiredAt ?? null,
      lease?.expiresAt ?? null,
      lease?.renewals ?? null,
      task.lastSeq,
      task.headHash,
      task.id,
      task.tenantId,
    );
  }

  /** Keeps the lease cache in step with a task this connection just wrote. */
  #remember(before: Task, after: Task): void {
    if (before.lease && before.lease.id !== after.lease?.id) this.#leased.delete(before.lease.id);
    if (after.lease && after.state === "running") {
      if (this.#leased.size >= 100_000) this.#leased.clear();
      this.#leased.set(after.lease.id, after);
    } else if (after.lease) {
      this.#leased.delete(after.lease.id);
    }
  }

  /** Applies a plan: the row, its events, and the attempt it starts or ends. */
  #apply(task: Task, change: TaskChange, now: number): TransitionOutcome {
    const events = chainEvents(task, change.events, now);
    const next = withEvents(applyChange(task, change, now), events, now);
    this.#updateTask(next);
    this.#remember(task, next);
    this.#insertEvents(task.tenantId, events);
    if (change.endAttempt && task.lease) {
      this.#stmt(
        "endAttempt",
        `UPDATE attempts SET ended_at = ?, outcome = ?, error = ?
         WHERE task_id = ? AND lease_id = ? AND ended_at IS NULL`,
      ).run(
        now,
        change.endAttempt.outcome,
        jsonOrNull(change.endAttempt.error),
        task.id,
        task.lease.id,
      );
    }
    return { task: next, events };
  }

  /** Loads the task a lease write names, or throws `lease_lost`. */
  #fenced(write: LeaseWrite): Task {
    let task = this.#leased.get(write.leaseId);
    if (!task || task.tenantId !== write.tenantId) {
      const row = this.#stmt(
        "byLease",
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE lease_id = ? AND tenant_id = ?`,
      ).get(write.leaseId, write.tenantId) as TaskRow | undefined;
      if (!row) throw leaseLost(write.leaseId, "unknown, released or superseded");
      task = rowToTask(row);
    }
    if (task.state === "canceled") throw leaseLost(write.leaseId, "canceled", task);
    if (task.state !== "running") throw leaseLost(write.leaseId, task.state, task);
    if (task.lease!.expiresAt <= write.now) throw leaseLost(write.leaseId, "expired", task);
    return task;
  }

  // ---------------------------------------------------------------- tasks

  async createTasks(tasks: readonly NewTask[]): Promise<readonly CreateOutcome[]> {
    return this.#write(() => tasks.map((t) => this.#createOne(t)));
  }

  #createOne(t: NewTask): CreateOutcome {
    if (t.idempotencyKey !== null) {
      const row = this.#stmt(
        "byIdempotency",
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE tenant_id = ? AND idempotency_key = ?`,
      ).get(t.tenantId, t.idempotencyKey) as TaskRow | undefined;
      if (row) {
        if (row.request_hash !== t.requestHash) {
          throw new ErrandError(
            "idempotency_conflict",
            `idempotency key ${JSON.stringify(t.idempotencyKey)} was used with a different request`,
            { details: { task_id: row.id, idempotency_key: t.idempotencyKey } },
          );
        }
        return { task: rowToTask(row), created: false };
      }
    }
    const { task, event } = newTaskOf(t);
    this.#stmt(
      "insertTask",
      `INSERT INTO tasks (id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
         updated_at, attempts, max_attempts, labels, requirements, idempotency_key, request_hash,
         created_by, lease_ttl_ms, max_renewals, timeout_ms, backoff_base_ms, backoff_max_ms,
         last_seq, head_hash)
       VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
    ).run(
      t.id,
      t.tenantId,
      t.kind,
      json(t.input),
      t.queue,
      t.priority,
      t.runAt,
      t.createdAt,
      t.createdAt,
      t.maxAttempts,
      json(t.labels),
      t.requirements.length === 0 ? null : JSON.stringify(t.requirements),
      t.idempotencyKey,
      t.requestHash,
      t.createdBy,
      t.leaseTtlMs,
      t.maxRenewals,
      t.timeoutMs,
      t.backoffBaseMs,
      t.backoffMaxMs,
      task.headHash,
    );
    this.#insertEvents(t.tenantId, [event]);
    return { task, created: true };
  }

  async getTask(tenantId: string, id: string): Promise<Task | null> {
    return this.#getTaskRow(tenantId, id);
  }

  async listTasks(
    tenantId: string,
    filter: TaskFilter,
    page: { readonly cursor: string | null; readonly limit: number },
  ): Promise<Page<Task>> {
    const where: string[] = ["tenant_id = ?"];
    const params: unknown[] = [tenantId];
    if (filter.state !== undefined) {
      const states = (Array.isArray(filter.state) ? filter.state : [filter.state]) as TaskState[];
      where.push(`state IN (${states.map(() => "?").join(", ")})`);
      params.push(...states);
    }
    if (filter.kind !== undefined) {
      where.push("kind = ?");
      params.push(filter.kind);
    }
    if (filter.queue !== undefined) {
      where.push("queue = ?");
      params.push(filter.queue);
    }
    if (filter.label !== undefined) {
      // json_extract takes a path; quoting the key keeps any label name a single path step.
      const path = `$."${filter.label.key.replaceAll('"', '""')}"`;
      if (filter.label.value === undefined) {
        where.push("json_type(labels, ?) IS NOT NULL");
        params.push(path);
      } else {
        where.push("json_extract(labels, ?) = ?");
        params.push(path, filter.label.value);
      }
    }
    if (filter.createdBy !== undefined) {
      where.push("created_by = ?");
      params.push(filter.createdBy);
    }
    if (filter.receiptUnacked) where.push("receipt_acked_at IS NULL");
    if (page.cursor !== null) {
      where.push("id < ?");
      params.push(page.cursor);
    }
    params.push(page.limit + 1);
    const rows = this.db
      .prepare(
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`,
      )
      .all(...params) as TaskRow[];
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit).map(rowToTask);
    return { items, nextCursor: more ? items.at(-1)!.id : null };
  }

  async countTasks(tenantId: string, state: TaskState): Promise<number> {
    return (
      this.#stmt(
        "countTasks",
        "SELECT count(*) AS n FROM tasks WHERE tenant_id = ? AND state = ?",
      ).get(tenantId, state) as { n: number }
    ).n;
  }

  async cancelTask(
    tenantId: string,
    id: string,
    now: number,
    reason: string | null,
  ): Promise<TransitionOutcome> {
    return this.#write(() => {
      const task = this.#getTaskRow(tenantId, id);
      if (!task) throw new ErrandError("task_not_found", `no task ${id}`);
      if (task.state === "canceled") return { task, events: [] };
      return this.#apply(task, planCancel(task, now, reason), now);
    });
  }

  // ---------------------------------------------------------------- leases

  async claimTasks(request: ClaimRequest): Promise<readonly Claimed[]> {
    if (request.kinds.length === 0 || request.max <= 0) return [];
    return this.#write(() => {
      const params: unknown[] = [request.tenantId, request.now, JSON.stringify(request.kinds)];
      let queueClause = "";
      if (request.queues && request.queues.length > 0) {
        queueClause = "AND queue IN (SELECT value FROM json_each(?))";
        params.push(JSON.stringify(request.queues));
      }
      params.push(JSON.stringify(request.labels), request.max);
      const rows = this.#stmt(
        queueClause ? "claimQ" : "claim",
        `SELECT ${TASK_COLUMNS} FROM tasks
           WHERE tenant_id = ? AND state = 'queued' AND run_at <= ?
             AND kind IN (SELECT value FROM json_each(?))
             ${queueClause}
             AND (requirements IS NULL OR NOT EXISTS (
               SELECT 1 FROM json_each(tasks.requirements) r
               WHERE r.value NOT IN (SELECT value FROM json_each(?))))
           ORDER BY priority DESC, run_at, id
           LIMIT ?`,
      ).all(...params) as TaskRow[];
      const insertAttempt = this.#stmt(
        "insertAttempt",
        `INSERT INTO attempts (task_id, number, tenant_id, lease_id, worker_id, started_at)
           VALUES (?, (SELECT COALESCE(max(number), 0) + 1 FROM attempts WHERE task_id = ?), ?, ?, ?, ?)`,
      );
      return rows.map((row) => {
        const task = rowToTask(row);
        const leaseId = request.newLeaseId();
        const change = planClaim(task, { leaseId, workerId: request.workerId, now: request.now });
        const outcome = this.#apply(task, change, request.now);
        insertAttempt.run(task.id, task.id, task.tenantId, leaseId, request.workerId, request.now);
        return { task: outcome.task, leaseId, events: outcome.events };
      });
    });
  }

  async renewLease(write: LeaseWrite): Promise<RenewOutcome> {
    return this.#write(() => {
      if (!this.#leased.has(write.leaseId)) {
        const row = this.#stmt(
          "byLease",
          `SELECT ${TASK_COLUMNS} FROM tasks WHERE lease_id = ? AND tenant_id = ?`,
        ).get(write.leaseId, write.tenantId) as TaskRow | undefined;
        if (row && row.state === "canceled") return { task: rowToTask(row), cancelRequested: true };
      }
      const task = this.#fenced(write);
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
      this.#stmt(
        "renew",
        "UPDATE tasks SET lease_expires_at = ?, lease_renewals = ?, updated_at = ? WHERE id = ? AND lease_id = ?",
      ).run(decision.expiresAt, lease.renewals + 1, write.now, task.id, lease.id);
      this.#remember(task, next);
      return { task: next, cancelRequested: false };
    });
  }

  async appendEvents(write: LeaseWrite, pending: readonly PendingEvent[]): Promise<AppendOutcome> {
    return this.#write(() => {
      const task = this.#fenced(write);
      const events = chainEvents(task, pending, write.now);
      const next = withEvents(task, events, write.now);
      this.#insertEvents(task.tenantId, events);
      this.#stmt(
        "appendHead",
        "UPDATE tasks SET last_seq = ?, head_hash = ?, progress = ?, updated_at = ? WHERE id = ?",
      ).run(next.lastSeq, next.headHash, jsonOrNull(next.progress), write.now, task.id);
      this.#remember(task, next);
      return { task: next, events };
    });
  }

  async completeTask(
    write: LeaseWrite,
    result: unknown,
    events?: readonly PendingEvent[],
  ): Promise<TransitionOutcome> {
    return this.#write(() => {
      const task = this.#fenced(write);
      const change = withWorkerEvents(planComplete(task, result, write.now), events);
      return this.#apply(task, change, write.now);
    });
  }

  async failTask(
    write: LeaseWrite,
    failure: {
      readonly error: TaskError;
      readonly retryable: boolean;
      readonly random?: () => number;
      readonly events?: readonly PendingEvent[];
    },
  ): Promise<TransitionOutcome> {
    return this.#write(() => {
      const task = this.#fenced(write);
      const change = withWorkerEvents(
        planFailure(task, { ...failure, now: write.now }),
        failure.events,
      );
      return this.#apply(task, change, write.now);
    });
  }

  async releaseLease(write: LeaseWrite, reason: string | null): Promise<TransitionOutcome> {
    return this.#write(() => {
      const task = this.#fenced(write);
      return this.#apply(task, planRelease(task, write.now, reason), write.now);
    });
  }

  async setAttemptMeta(write: LeaseWrite, meta: Readonly<Record<string, unknown>>): Promise<void> {
    await this.#write(() => {
      const task = this.#fenced(write);
      const row = this.#stmt(
        "attemptMeta",
        "SELECT meta FROM attempts WHERE task_id = ? AND lease_id = ?",
      ).get(task.id, write.leaseId) as { meta: string | null } | undefined;
      const merged = { ...(row?.meta ? (JSON.parse(row.meta) as object) : {}), ...meta };
      this.#stmt(
        "setAttemptMeta",
        "UPDATE attempts SET meta = ? WHERE task_id = ? AND lease_id = ?",
      ).run(JSON.stringify(merged), task.id, write.leaseId);
    });
  }

  async expireLeases(now: number, limit: number): Promise<readonly TransitionOutcome[]> {
    return this.#write(() => {
      const rows = this.#stmt(
        "expiring",
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE state = 'running' AND lease_expires_at <= ?
           ORDER BY lease_expires_at LIMIT ?`,
      ).all(now, limit) as TaskRow[];
      return rows.map((row) => {
        const task = rowToTask(row);
        return this.#apply(task, planExpiry(task, now), now);
      });
    });
  }

  async nextRunAt(tenantId: string | null, now: number): Promise<number | null> {
    const row = (
      tenantId === null
        ? this.#stmt(
            "nextRunAtAll",
            "SELECT min(run_at) AS at FROM tasks WHERE state = 'queued' AND run_at > ?",
          ).get(now)
        : this.#stmt(
            "nextRunAt",
            "SELECT min(run_at) AS at FROM tasks WHERE tenant_id = ? AND state = 'queued' AND run_at > ?",
          ).get(tenantId, now)
    ) as { at: number | null };
    return row.at;
  }

  async holdSweeperLock(_nodeId: string): Promise<boolean> {
    // One process owns an embedded database; it always runs the sweeper.
    return true;
  }

  // ---------------------------------------------------------------- event log

  async readEvents(
    tenantId: string,
    taskId: string,
    afterSeq: number,
    limit: number,
  ): Promise<readonly TaskEvent[]> {
    const rows = this.#stmt(
      "readEvents",
      `SELECT id, task_id, seq, type, at, data, hash FROM events
       WHERE task_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ).all(taskId, tenantId, afterSeq, limit) as EventRow[];
    return rows.map(rowToEvent);
  }

  async readTenantEvents(
    tenantId: string,
    afterId: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<readonly TenantEvent[]> {
    const rows = this.#stmt(
      "readTenantEvents",
      `SELECT id, task_id, seq, type, at, data, hash FROM events
       WHERE tenant_id = ? AND id > ? AND type IN (SELECT value FROM json_each(?))
       ORDER BY id LIMIT ?`,
    ).all(tenantId, afterId, JSON.stringify(types), limit) as EventRow[];
    return rows.map(rowToTenantEvent);
  }

  async lastTenantEventId(tenantId: string): Promise<number> {
    const row = this.#stmt(
      "lastTenantEvent",
      "SELECT max(id) AS id FROM events WHERE tenant_id = ?",
    ).get(tenantId) as { id: number | null };
    return row.id ?? 0;
  }

  async listAttempts(tenantId: string, taskId: string): Promise<readonly Attempt[]> {
    const rows = this.#stmt(
      "listAttempts",
      "SELECT * FROM attempts WHERE task_id = ? AND tenant_id = ? ORDER BY number",
    ).all(taskId, tenantId) as AttemptRow[];
    return rows.map(rowToAttempt);
  }

  // ---------------------------------------------------------------- workers

  async upsertWorker(worker: WorkerInfo): Promise<WorkerInfo> {
    this.#stmt(
      "upsertWorker",
      `INSERT INTO workers (id, tenant_id, name, kinds, labels, capacity, version, principal_id, created_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, kinds = excluded.kinds,
         labels = excluded.labels, capacity = excluded.capacity, version = excluded.version,
         principal_id = excluded.principal_id, last_seen_at = excluded.last_seen_at
       WHERE workers.tenant_id = excluded.tenant_id`,
    ).run(
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
    );
    const stored = await this.getWorker(worker.tenantId, worker.id);
    if (!stored) throw new ErrandError("worker_not_found", `no worker ${worker.id}`);
    return stored;
  }

  async touchWorker(tenantId: string, id: string, now: number): Promise<boolean> {
    return (
      this.#stmt(
        "touchWorker",
        "UPDATE workers SET last_seen_at = ? WHERE id = ? AND tenant_id = ?",
      ).run(now, id, tenantId).changes > 0
    );
  }

  async getWorker(tenantId: string, id: string): Promise<WorkerInfo | null> {
    const row = this.#stmt("getWorker", "SELECT * FROM workers WHERE id = ? AND tenant_id = ?").get(
      id,
      tenantId,
    ) as WorkerRow | undefined;
    return row ? rowToWorker(row) : null;
  }

  async listWorkers(tenantId: string): Promise<readonly WorkerInfo[]> {
    const rows = this.#stmt(
      "listWorkers",
      "SELECT * FROM workers WHERE tenant_id = ? ORDER BY last_seen_at DESC, id",
    ).all(tenantId) as WorkerRow[];
    return rows.map(rowToWorker);
  }

  // ---------------------------------------------------------------- receipts and signing keys

  async ackReceipt(ack: ReceiptAck): Promise<boolean> {
    const info = this.#stmt(
      "ackReceipt",
      `UPDATE tasks SET receipt_acked_at = COALESCE(receipt_acked_at, ?)
       WHERE id = ? AND tenant_id = ? AND state IN ('succeeded', 'failed', 'canceled')`,
    ).run(ack.now, ack.taskId, ack.tenantId);
    return info.changes > 0;
  }

  async listSigningKeys(): Promise<readonly SigningKeyRecord[]> {
    const rows = this.#stmt(
      "listSigningKeys",
      "SELECT * FROM signing_keys ORDER BY created_at",
    ).all() as SigningKeyRow[];
    return rows.map(rowToSigningKey);
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#stmt(
      "insertSigningKey",
      "INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?)",
    ).run(key.kid, key.privateJwk, key.publicJwk, key.createdAt, key.retiredAt);
  }
}
