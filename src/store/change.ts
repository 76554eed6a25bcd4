/**
 * Backend-neutral pieces both stores use inside their transactions: chaining new events onto a
 * task's log, and computing the task a plan turns it into.
 */
import type { PendingEvent, Task, TaskChange, TaskEvent } from "../core/index.js";
import { EVENT_TYPES, chainHash, progressOf } from "../core/index.js";

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
