/**
 * Transition plans: given a task as stored and what is asked of it, the pure decision of what
 * the task becomes and which events record it. Both stores load the row inside their
 * transaction, call one of these, and write the plan back, so every backend makes the same
 * decisions.
 */
import { backoffDelay } from "./backoff.js";
import { EVENT_TYPES, type EventType } from "./event-types.js";
import { initialExpiry } from "./lease-rules.js";
import { canTransition, type TaskState, type Transition } from "./task-states.js";
import type { AttemptOutcome, Lease, Task, TaskError, TaskProgress } from "./types.js";
import { ErrandError } from "./errors.js";

export interface PendingEvent {
  readonly type: EventType;
  readonly data: unknown;
}

/** What to write back. Fields left undefined keep their stored value. */
export interface TaskChange {
  readonly transition: Transition;
  readonly state: TaskState;
  readonly lease: Lease | null;
  readonly runAt?: number;
  readonly attempts?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number | null;
  readonly result?: unknown;
  readonly error?: TaskError | null;
  readonly events: readonly PendingEvent[];
  /** How the current attempt ends, when the change ends one. */
  readonly endAttempt?: { readonly outcome: AttemptOutcome; readonly error: TaskError | null };
}

function ensure(task: Task, transition: Transition): void {
  if (!canTransition(task.state, transition)) {
    throw new ErrandError("task_terminal", `task ${task.id} is ${task.state}`, {
      details: { task_id: task.id, state: task.state, transition },
    });
  }
}

export function planClaim(
  task: Task,
  claim: { readonly leaseId: string; readonly workerId: string; readonly now: number },
): TaskChange {
  ensure(task, "claim");
  const attempt = task.attempts + 1;
  const lease: Lease = {
    id: claim.leaseId,
    workerId: claim.workerId,
    acquiredAt: claim.now,
    expiresAt: initialExpiry(claim.now, task),
    renewals: 0,
  };
  return {
    transition: "claim",
    state: "running",
    lease,
    attempts: attempt,
    startedAt: task.startedAt ?? claim.now,
    events: [
      {
        type: EVENT_TYPES.leased,
        // The lease id is the fencing token: it goes to the worker holding it and into no log
        // that taskers or other workers read.
        data: {
          worker_id: lease.workerId,
          attempt,
          expires_at: new Date(lease.expiresAt).toISOString(),
        },
      },
    ],
  };
}

export function planComplete(task: Task, result: unknown, now: number): TaskChange {
  ensure(task, "complete");
  return {
    transition: "complete",
    state: "succeeded",
    lease: null,
    finishedAt: now,
    result: result ?? null,
    error: null,
    events: [
      { type: EVENT_TYPES.succeeded, data: { attempt: task.attempts, result: result ?? null } },
    ],
    endAttempt: { outcome: "succeeded", error: null },
  };
}

export interface FailureInput {
  readonly error: TaskError;
  readonly retryable: boolean;
  readonly now: number;
  readonly random?: () => number;
}

export function planFailure(task: Task, input: FailureInput): TaskChange {
  const attemptsLeft = task.attempts < task.maxAttempts;
  if (input.retryable && attemptsLeft) {
    ensure(task, "fail_retry");
    const delay = backoffDelay(
      task.attempts,
      { baseMs: task.backoffBaseMs, maxMs: task.backoffMaxMs },
      input.random,
    );
    const runAt = input.now + delay;
    return {
      transition: "fail_retry",
      state: "queued",
      lease: null,
      runAt,
      error: input.error,
      events: [
        {
          type: EVENT_TYPES.retryScheduled,
          data: {
            attempt: task.attempts,
            error: input.error,
            delay_ms: delay,
            run_at: new Date(runAt).toISOString(),
          },
        },
      ],
      endAttempt: { outcome: "failed", error: input.error },
    };
  }
  ensure(task, "fail_final");
  return {
    transition: "fail_final",
    state: "failed",
    lease: null,
    finishedAt: input.now,
    error: input.error,
    events: [
      {
        type: EVENT_TYPES.failed,
        data: {
          attempt: task.attempts,
          error: input.error,
          retryable: input.retryable,
          attempts_exhausted: !attemptsLeft,
        },
      },
    ],
    endAttempt: { outcome: "failed", error: input.error },
  };
}

/** A lease ran out before the worker finished: retry at once if attempts are left. */
export function planExpiry(task: Task, now: number): TaskChange {
  const lease = task.lease;
  const expired: PendingEvent = {
    type: EVENT_TYPES.leaseExpired,
    data: {
      worker_id: lease?.workerId ?? null,
      attempt: task.attempts,
    },
  };
  const error: TaskError = {
    code: "lease_expired",
    message: `lease expired on attempt ${task.attempts} without a renewal or a result`,
  };
  if (task.attempts < task.maxAttempts) {
    ensure(task, "expire_retry");
    return {
      transition: "expire_retry",
      state: "queued",
      lease: null,
      runAt: now,
      error,
      events: [
        expired,
        {
          type: EVENT_TYPES.retryScheduled,
          data: { attempt: task.attempts, error, delay_ms: 0, run_at: new Date(now).toISOString() },
        },
      ],
      endAttempt: { outcome: "expired", error },
    };
  }
  ensure(task, "expire_final");
  return {
    transition: "expire_final",
    state: "failed",
    lease: null,
    finishedAt: now,
    error,
    events: [
      expired,
      {
        type: EVENT_TYPES.failed,
        data: { attempt: task.attempts, error, retryable: true, attempts_exhausted: true },
      },
    ],
    endAttempt: { outcome: "expired", error },
  };
}

/** The worker gives the task back unfinished (it is shutting down): the attempt does not count. */
export function planRelease(task: Task, now: number, reason: string | null): TaskChange {
  ensure(task, "release");
  return {
    transition: "release",
    state: "queued",
    lease: null,
    runAt: now,
    attempts: Math.max(0, task.attempts - 1),
    events: [
      {
        type: EVENT_TYPES.released,
        data: { attempt: task.attempts, worker_id: task.lease?.workerId ?? null, reason },
      },
    ],
    endAttempt: { outcome: "released", error: null },
  };
}

export function planCancel(task: Task, now: number, reason: string | null): TaskChange {
  ensure(task, "cancel");
  const events: PendingEvent[] = [];
  const wasRunning = task.state === "running";
  if (wasRunning) {
    events.push({
      type: EVENT_TYPES.cancelRequested,
      data: { reason, worker_id: task.lease?.workerId ?? null, attempt: task.attempts },
    });
  }
  const error: TaskError = { code: "canceled", message: reason ?? "canceled" };
  events.push({ type: EVENT_TYPES.canceled, data: { reason, was: task.state } });
  return {
    transition: "cancel",
    state: "canceled",
    // A running task keeps its lease id so that the worker's next renew learns of the cancel;
    // every other write under it is refused because the task is terminal.
    lease: task.lease,
    finishedAt: now,
    error,
    events,
    ...(wasRunning ? { endAttempt: { outcome: "canceled" as const, error } } : {}),
  };
}

/** The progress a `task.progress` event's data carries, if it has the expected shape. */
export function progressOf(data: unknown): TaskProgress | null {
  if (data === null || typeof data !== "object") return null;
  const d = data as Record<string, unknown>;
  const current = typeof d.current === "number" ? d.current : undefined;
  const total = typeof d.total === "number" ? d.total : undefined;
  const message = typeof d.message === "string" ? d.message : undefined;
  if (current === undefined && total === undefined && message === undefined) return null;
  return { current, total, message };
}
