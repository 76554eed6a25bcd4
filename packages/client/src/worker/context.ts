/** What a handler gets besides its task: event helpers, the abort signal, attempt facts. */
import type { Task, TaskProgress } from "../types.js";

export type AbortReason = "canceled" | "lease_lost" | "shutdown";

/**
 * The reason a handler's `ctx.signal` aborted: the task was canceled, the lease was lost (it
 * expired or was taken over), or the worker is shutting down (the lease is released).
 */
/**
 * @example
 * if (ctx.signal.aborted && ctx.signal.reason instanceof TaskAbortedError) console.log(ctx.signal.reason.reason);
 */
export class TaskAbortedError extends Error {
  override name = "TaskAbortedError";
  readonly reason: AbortReason;

  constructor(reason: AbortReason, message?: string) {
    super(message ?? `task aborted: ${reason}`);
    this.reason = reason;
  }
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface TaskContext {
  /** The task as claimed (state `running`). */
  readonly task: Task;
  /** Which attempt this is, counting from 1. */
  readonly attempt: number;
  /** The lease (fencing token) this attempt runs under. */
  readonly leaseId: string;
  readonly workerId: string;
  /** Aborts when the task is canceled, the lease is lost, or the worker stops; see `reason`. */
  readonly signal: AbortSignal;
  /**
   * Reports progress as a `task.progress` event.
   *
   * @example
   * ctx.progress(3, 10, "resizing images");
   * ctx.progress({ message: "warming up" });
   */
  progress(current: number | TaskProgress, total?: number, message?: string): void;
  /**
   * Appends a `task.log` event.
   *
   * @example
   * ctx.log("cache miss, fetching", "warn");
   */
  log(message: string, level?: LogLevel): void;
  /**
   * Appends a `task.output` event for a stream of text output.
   *
   * @example
   * ctx.output("stdout", "compiled 12 files\n");
   */
  output(stream: "stdout" | "stderr", text: string): void;
  /**
   * Appends a `task.artifact` event describing something the task produced.
   *
   * @example
   * ctx.artifact({ name: "report.pdf", url: "s3://bucket/report.pdf" });
   */
  artifact(data: Record<string, unknown>): void;
  /**
   * Records facts about this attempt (for example the model backend used); merged on the server.
   *
   * @example
   * await ctx.setMeta({ provider: "anthropic", model: "claude-sonnet-4-5" });
   */
  setMeta(meta: Record<string, unknown>): Promise<void>;
  /**
   * Sends buffered events now instead of within the next 50 ms.
   *
   * @example
   * ctx.log("checkpoint");
   * await ctx.flush();
   */
  flush(): Promise<void>;
}

/**
 * A handler runs one task and returns its result (any JSON). Throwing fails the attempt: an
 * error with `retryable: false` (see `TaskFailure`) fails the task for good, anything else is
 * retried while attempts remain.
 */
// `any` by default so a handler may declare its own input type for `task.input`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<Input = any, Result = unknown> = (
  task: Task<Input>,
  ctx: TaskContext,
) => Promise<Result> | Result;

/**
 * Turns whatever a handler threw into the wire error and its retryability.
 *
 * @example
 * describeFailure(new TaskFailure("bad", { retryable: false })); // { error: { message: "bad" }, retryable: false }
 */
export function describeFailure(err: unknown): {
  error: { message: string; code?: string; details?: unknown };
  retryable: boolean;
} {
  if (err instanceof Error) {
    const e = err as Error & { retryable?: unknown; code?: unknown; details?: unknown };
    const error: { message: string; code?: string; details?: unknown } = {
      message: (e.message || e.name || "error").slice(0, 10_000),
    };
    if (typeof e.code === "string") error.code = e.code.slice(0, 200);
    if (e.details !== undefined) error.details = e.details;
    return { error, retryable: e.retryable !== false };
  }
  const message = typeof err === "string" ? err : safeJson(err);
  return { error: { message: message.slice(0, 10_000) || "error" }, retryable: true };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
