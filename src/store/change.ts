/**
 * Backend-neutral pieces both stores use inside their transactions: chaining new events onto a
 * task's log, and computing the task a plan turns it into.
 */
import type { PendingEvent, Task, TaskChange, TaskEvent } from "../core/index.js";
import type { NewTask } from "./store.js";
import { EVENT_TYPES, GENESIS_HASH, chainHash, progressOf } from "../core/index.js";

/** Assigns seq, time and hash to pending events, continuing from the task's head. */
export function chainEvents(
  task: Task,
  pending: readonly PendingEvent[],
  now: number,
): TaskEvent[] {
  const out: TaskEvent[] = [];
  let previous = task.headHash;
  let seq = task.lastSeq;
  for (const p of pending) {
    seq += 1;
    const data = p.data ?? null;
    const hash = chainHash(previous, { taskId: task.id, seq, type: p.type, at: now, data });
    out.push({ taskId: task.id, seq, type: p.type, at: now, data, hash });
    previous = hash;
  }
  return out;
}

/** The task after `events` were appended to it (head, last seq, latest progress). */
export function withEvents(task: Task, events: readonly TaskEvent[], now: number): Task {
  const last = events.at(-1);
  if (!last) return task;
  let progress = task.progress;
  for (const e of events) {
    if (e.type === EVENT_TYPES.progress) progress = progressOf(e.data) ?? progress;
  }
  return { ...task, lastSeq: last.seq, headHash: last.hash, progress, updatedAt: now };
}

/** The plan with a worker's last events written just before the plan's own. */
export function withWorkerEvents(
  change: TaskChange,
  events: readonly PendingEvent[] | undefined,
): TaskChange {
  if (!events || events.length === 0) return change;
  return { ...change, events: [...events, ...change.events] };
}

/** The task after a plan is applied, its events not yet counted. */
export function applyChange(task: Task, change: TaskChange, now: number): Task {
  return {
    ...task,
    state: change.state,
    lease: change.lease,
    runAt: change.runAt ?? task.runAt,
    attempts: change.attempts ?? task.attempts,
    startedAt: change.startedAt ?? task.startedAt,
    finishedAt: change.finishedAt === undefined ? task.finishedAt : change.finishedAt,
    result: change.result === undefined ? task.result : change.result,
    error: change.error === undefined ? task.error : change.error,
    updatedAt: now,
  };
}

/** The row and first event of a new task. */
export function newTaskOf(t: NewTask): { t: NewTask; task: Task; event: TaskEvent } {
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
