/** Event types of a task's log, `noun.verb`, the same strings on the wire. */
export const EVENT_TYPES = {
  created: "task.created",
  leased: "task.leased",
  progress: "task.progress",
  output: "task.output",
  log: "task.log",
  artifact: "task.artifact",
  leaseExpired: "task.lease_expired",
  retryScheduled: "task.retry_scheduled",
  released: "task.released",
  cancelRequested: "task.cancel_requested",
  succeeded: "task.succeeded",
  failed: "task.failed",
  canceled: "task.canceled",
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EVENT_TYPES);

/** Types a worker may append under its lease; every other type is written by the engine. */
export const WORKER_EVENT_TYPES: readonly EventType[] = [
  EVENT_TYPES.progress,
  EVENT_TYPES.output,
  EVENT_TYPES.log,
  EVENT_TYPES.artifact,
];

/** Types that change a task's state, carried by the tenant-wide stream. */
export const STATE_EVENT_TYPES: readonly EventType[] = [
  EVENT_TYPES.created,
  EVENT_TYPES.leased,
  EVENT_TYPES.leaseExpired,
  EVENT_TYPES.retryScheduled,
  EVENT_TYPES.released,
  EVENT_TYPES.cancelRequested,
  EVENT_TYPES.succeeded,
  EVENT_TYPES.failed,
  EVENT_TYPES.canceled,
];

export const TERMINAL_EVENT_TYPES: readonly EventType[] = [
  EVENT_TYPES.succeeded,
  EVENT_TYPES.failed,
  EVENT_TYPES.canceled,
];

export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && (ALL_EVENT_TYPES as readonly string[]).includes(value);
}

export function isStateEventType(type: string): boolean {
  return (STATE_EVENT_TYPES as readonly string[]).includes(type);
}

export function isTerminalEventType(type: string): boolean {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);
}
