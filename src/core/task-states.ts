/**
 * The task state machine: the one place that says which state may follow which.
 *
 *   queued --claim--> running --complete--> succeeded
 *      ^                 |  \--fail (no attempts left)--> failed
 *      |                 |---fail (retryable, attempts left): back to queued after a backoff
 *      |                 |---lease expired (attempts left): back to queued; else failed
 *      +--cancel (queued or running) --> canceled
 *
 * Terminal states never change again.
 */
export const TASK_STATES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type TaskState = (typeof TASK_STATES)[number];
export type TerminalState = Extract<TaskState, "succeeded" | "failed" | "canceled">;

export type Transition =
  | "claim"
  | "complete"
  | "fail_retry"
  | "fail_final"
  | "expire_retry"
  | "expire_final"
  | "release"
  | "cancel";

const TRANSITIONS: Record<Transition, { from: readonly TaskState[]; to: TaskState }> = {
  claim: { from: ["queued"], to: "running" },
  complete: { from: ["running"], to: "succeeded" },
  fail_retry: { from: ["running"], to: "queued" },
  fail_final: { from: ["running"], to: "failed" },
  expire_retry: { from: ["running"], to: "queued" },
  expire_final: { from: ["running"], to: "failed" },
  release: { from: ["running"], to: "queued" },
  cancel: { from: ["queued", "running"], to: "canceled" },
};

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === "string" && (TASK_STATES as readonly string[]).includes(value);
}

export function isTerminal(state: TaskState): state is TerminalState {
  switch (state) {
    case "succeeded":
    case "failed":
    case "canceled":
      return true;
    case "queued":
    case "running":
      return false;
    default:
      return assertNever(state);
  }
}

/** Whether `transition` may be applied to a task in `from`; terminal states allow nothing. */
export function canTransition(from: TaskState, transition: Transition): boolean {
  return TRANSITIONS[transition].from.includes(from);
}

export function targetState(transition: Transition): TaskState {
  return TRANSITIONS[transition].to;
}

export function allTransitions(): readonly Transition[] {
  return Object.keys(TRANSITIONS) as Transition[];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
