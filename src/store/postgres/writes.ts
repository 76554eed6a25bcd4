/**
 * What a store operation writes back, collected in memory before one statement per tenant
 * writes it: the fencing rule of lease writes, the changes plans make, and new tasks.
 */
import type pg from "pg";
import type { AttemptOutcome, Task, TaskChange, TaskError, TaskEvent } from "../../core/index.js";
import { ErrandError } from "../../core/index.js";
import { applyChange, chainEvents, withEvents } from "../change.js";
import type { LeaseWrite, TransitionOutcome } from "../store.js";
import { json, jsonOrNull } from "./rows.js";
import { WRITE } from "./sql.js";

export function leaseLost(leaseId: string, reason: string, task?: Task): ErrandError {
  return new ErrandError("lease_lost", `lease ${leaseId} is no longer current (${reason})`, {
    details: {
      lease_id: leaseId,
      reason,
      ...(task ? { task_id: task.id, state: task.state } : {}),
    },
  });
}

/** The fencing rule of every lease write, applied to the row loaded under its lock. */
export function fenced(task: Task | null, write: LeaseWrite): Task {
  if (!task || task.lease?.id !== write.leaseId)
    throw leaseLost(write.leaseId, "unknown, released or superseded");
  if (task.state === "canceled") throw leaseLost(write.leaseId, "canceled", task);
  if (task.state !== "running") throw leaseLost(write.leaseId, task.state, task);
  if (task.lease.expiresAt <= write.now) throw leaseLost(write.leaseId, "expired", task);
  return task;
}

export interface TenantWrites {
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
export class Writes {
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
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Writes what `writes` collected, one statement per tenant (sorted, so that two writers lock
 * tenant position rows in one order). Returns the ids of the tasks written; a task missing
 * from it had changed since it was read, and none of its rows were written.
 */
export async function flushWrites(db: Queryable, writes: Writes): Promise<Set<string>> {
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
