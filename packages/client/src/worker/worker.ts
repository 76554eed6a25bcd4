/** `Worker`: runs tasks from an Errand server over HTTP. */
import type { ConnectionOptions } from "../http.js";
import { HttpClient } from "../http.js";
import type { WorkerRecord } from "../types.js";
import type { Handler } from "./context.js";
import { HttpTransport } from "./http-transport.js";
import type { RuntimeOptions, StopOptions } from "./runtime.js";
import { WorkerRuntime } from "./runtime.js";

export type WorkerOptions = ConnectionOptions &
  RuntimeOptions & {
    /**
     * Learn of cancels at once through the tenant event stream (default true); without it a
     * running handler learns at its next lease renewal, up to a third of the lease TTL later.
     */
    readonly cancelPush?: boolean;
  };

/**
 * A worker that claims tasks of its kinds from an Errand server and runs them.
 *
 * @example
 * import { Worker } from "@errand/client";
 * const worker = new Worker({ url: "http://127.0.0.1:7420", key: process.env.ERRAND_KEY, concurrency: 4 });
 * worker.handle("resize", async (task, ctx) => {
 *   ctx.progress(0, 1, "starting");
 *   const out = await resize(task.input, { signal: ctx.signal });
 *   return { bytes: out.length };
 * });
 * await worker.start();
 * process.on("SIGTERM", () => void worker.stop({ graceMs: 10_000 }));
 */
export class Worker {
  readonly #runtime: WorkerRuntime;

  constructor(options: WorkerOptions = {}) {
    this.#runtime = new WorkerRuntime(
      new HttpTransport(new HttpClient(options), {
        ...(options.cancelPush === false ? { cancelPush: false } : {}),
      }),
      options,
    );
  }

  /**
   * Registers the handler of one kind. Return the result; throw to fail (a `TaskFailure` with
   * `retryable: false` fails for good). Watch `ctx.signal`: it aborts on cancel or lease loss.
   *
   * @example
   * worker.handle("sleep", async (task, ctx) => {
   *   await new Promise((r) => setTimeout(r, task.input.ms));
   *   return { slept: task.input.ms };
   * });
   */
  handle<Input = unknown, Result = unknown>(kind: string, handler: Handler<Input, Result>): this {
    this.#runtime.handle(kind, handler as Handler);
    return this;
  }

  /**
   * Announces the worker and starts claiming; resolves with the worker record.
   *
   * @example
   * const { id } = await worker.start();
   */
  start(): Promise<WorkerRecord> {
    return this.#runtime.start();
  }

  /**
   * Stops claiming, lets running tasks finish within `graceMs` (default 30 s), then aborts them
   * and releases their leases so other workers can take them at once.
   *
   * @example
   * await worker.stop({ graceMs: 5_000 });
   */
  stop(options: StopOptions = {}): Promise<void> {
    return this.#runtime.stop(options);
  }

  /** The worker's id once started. */
  get id(): string | null {
    return this.#runtime.id;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#runtime.running;
  }
}
