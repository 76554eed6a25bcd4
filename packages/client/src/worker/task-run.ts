/**
 * One attempt of one task on this worker: runs the handler, renews the lease in the background,
 * batches the handler's events, and reports the outcome (complete, fail, or release).
 */
import { ErrandApiError, hasCode } from "../errors.js";
import type { ClaimedLease, PendingEvent, TaskProgress } from "../types.js";
import type { AbortReason, Handler, LogLevel, TaskContext } from "./context.js";
import { TaskAbortedError, describeFailure } from "./context.js";
import type { WorkerTransport } from "./transport.js";
import type { RuntimeLogger } from "./logger.js";

export interface TaskRunOptions {
  readonly transport: WorkerTransport;
  readonly workerId: string;
  readonly logger: RuntimeLogger;
  /** Flush buffered events within this many ms (50 by default). */
  readonly flushMs: number;
  /** Flush at once when this many events are buffered (256 by default). */
  readonly flushMax: number;
}

/** A server takes at most 1000 events per request (docs/api.md). */
const MAX_EVENTS_PER_REQUEST = 1000;
/**
 * And bodies up to its body limit (1 MiB by default): 256 output events of 16 KiB would be
 * 4 MiB, so a batch also stops at this many bytes of JSON.
 */
const MAX_BATCH_BYTES = 256 * 1024;

/** `ctx.output` splits text into events of at most this many characters. */
const MAX_OUTPUT_TEXT = 32 * 1024;

/** The events at the head of `buffer` that fit one request. */
function nextBatch(buffer: readonly PendingEvent[]): PendingEvent[] {
  let bytes = 0;
  let n = 0;
  while (n < buffer.length && n < MAX_EVENTS_PER_REQUEST) {
    const size = JSON.stringify(buffer[n]!).length + 1;
    if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    n += 1;
  }
  return buffer.slice(0, n);
}
const FLUSH_ATTEMPTS = 5;
const REPORT_ATTEMPTS = 6;

/** Worth another try: nothing answered, or the server is restarting, overloaded, rate limiting. */
function isTransient(err: unknown): boolean {
  return (
    err instanceof ErrandApiError &&
    (err.status === 0 ||
      err.status === 429 ||
      err.status === 502 ||
      err.status === 503 ||
      err.status === 504)
  );
}

/**
 * Sends an outcome, retrying transient failures (100 ms, 200 ms, … up to ~3 s in all): losing a
 * completion to a blip would make the task run again once its lease expires. If an earlier try
 * did land, the retry answers `lease_lost`, which the caller logs.
 */
async function withRetries(send: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= REPORT_ATTEMPTS || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
    }
  }
}

export class TaskRun {
  readonly lease: ClaimedLease;
  readonly #options: TaskRunOptions;
  readonly #abort = new AbortController();
  #buffer: PendingEvent[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #flushChain: Promise<void> = Promise.resolve();
  #renewTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set once the outcome is decided; later events and renewals are dropped. */
  #settled = false;
  #released: Promise<void> | null = null;

  constructor(lease: ClaimedLease, options: TaskRunOptions) {
    this.lease = lease;
    this.#options = options;
  }

  get leaseId(): string {
    return this.lease.lease_id;
  }

  /**
   * Runs the handler to the end and reports its outcome; never throws. `onHandlerDone` is called
   * as soon as the handler has returned or thrown, before the outcome is reported.
   */
  async execute(handler: Handler, onHandlerDone?: () => void): Promise<void> {
    const ctx = this.#context();
    this.#scheduleRenew();
    const unwatch = this.#options.transport.watchCancel?.(
      this.lease.task.id,
      () => this.abort("canceled"),
      () => this.#renewNow(),
    );
    let ok = false;
    let value: unknown;
    try {
      value = await handler(this.lease.task, ctx);
      ok = true;
    } catch (err) {
      value = err;
    }
    this.#stopRenewing();
    unwatch?.();
    onHandlerDone?.();
    if (this.#abort.signal.aborted) {
      // Canceled or lease lost: the server refuses our writes now. Shutdown: abort() released.
      await this.#released;
      return;
    }
    this.#settled = true;
    const last = await this.#finalEvents();
    try {
      if (ok) {
        await withRetries(() =>
          this.#options.transport.complete(this.leaseId, value ?? null, last),
        );
      } else {
        const { error, retryable } = describeFailure(value);
        await withRetries(() => this.#options.transport.fail(this.leaseId, error, retryable, last));
      }
    } catch (err) {
      this.#options.logger.warn(
        { err, task_id: this.lease.task.id, lease_id: this.leaseId },
        ok ? "could not complete the task" : "could not fail the task",
      );
    }
  }

  /**
   * Aborts the handler. On shutdown the lease is released at once (the attempt does not count)
   * so another worker can take the task without waiting for the handler to return.
   */
  abort(reason: AbortReason): Promise<void> {
    if (this.#abort.signal.aborted) return this.#released ?? Promise.resolve();
    if (this.#settled) {
      // The handler is done and its outcome is being reported: let that finish as it is.
      this.#abort.abort(new TaskAbortedError(reason));
      this.#released = Promise.resolve();
      return this.#released;
    }
    this.#settled = true;
    this.#stopRenewing();
    this.#abort.abort(new TaskAbortedError(reason));
    if (reason === "shutdown") {
      this.#released = this.#flushAll().then(() =>
        withRetries(() =>
          this.#options.transport.release(this.leaseId, "worker shutting down"),
        ).catch((err) => {
          this.#options.logger.warn({ err, lease_id: this.leaseId }, "could not release the lease");
        }),
      );
    } else {
      this.#buffer = [];
      this.#released = Promise.resolve();
    }
    return this.#released;
  }

  #context(): TaskContext {
    const task = this.lease.task;
    return {
      task,
      attempt: task.attempts,
      leaseId: this.leaseId,
      workerId: this.#options.workerId,
      signal: this.#abort.signal,
      progress: (current, total, message) => {
        const data: TaskProgress =
          typeof current === "number" ? { current } : { ...(current as TaskProgress) };
        if (total !== undefined) data.total = total;
        if (message !== undefined) data.message = message;
        this.#push({ type: "task.progress", data });
      },
      log: (message: string, level: LogLevel = "info") =>
        this.#push({ type: "task.log", data: { level, message } }),
      output: (stream, text) => {
        // Long text goes out in pieces: one event must fit a request body (MAX_BATCH_BYTES).
        for (let i = 0; i < text.length; i += MAX_OUTPUT_TEXT) {
          this.#push({
            type: "task.output",
            data: { stream, text: text.slice(i, i + MAX_OUTPUT_TEXT) },
          });
        }
      },
      artifact: (data) => this.#push({ type: "task.artifact", data }),
      setMeta: async (meta) => {
        try {
          await this.#options.transport.setMeta(this.leaseId, meta);
        } catch (err) {
          if (hasCode(err, "lease_lost")) this.abort("lease_lost");
          throw err;
        }
      },
      flush: () => this.#flushAll(),
    };
  }

  // ------------------------------------------------------------------ lease renewal

  #scheduleRenew(): void {
    if (this.#settled) return;
    // About every TTL/3: two renewals can fail in a row before the lease runs out. Counted from
    // the task's TTL, not from `expires_at`, so a worker whose clock is off renews on time too.
    const every = Math.max(Math.floor(this.lease.task.lease_ttl_ms / 3), 100);
    this.#renewTimer = setTimeout(() => void this.#renew(), every);
  }

  async #renew(): Promise<void> {
    this.#renewTimer = null;
    if (this.#settled) return;
    try {
      const answer = await this.#options.transport.renew(this.leaseId);
      if (answer.cancel_requested) {
        this.abort("canceled");
        return;
      }
      if (answer.state !== "running") {
        this.abort("lease_lost");
        return;
      }
      this.lease.expires_at = answer.expires_at;
    } catch (err) {
      if (hasCode(err, "lease_lost")) {
        this.abort("lease_lost");
        return;
      }
      if (hasCode(err, "lease_limit_reached")) {
        this.#options.logger.warn(
          { task_id: this.lease.task.id, lease_id: this.leaseId },
          "lease may not be renewed again; the task must finish before it expires",
        );
        return;
      }
      if (hasCode(err, "task_terminal")) {
        this.abort("canceled");
        return;
      }
      this.#options.logger.warn({ err, lease_id: this.leaseId }, "lease renewal failed; retrying");
    }
    this.#scheduleRenew();
  }

  /** Renews at once (to learn of a cancel), then on the usual schedule. */
  #renewNow(): void {
    if (this.#settled || this.#renewTimer === null) return;
    clearTimeout(this.#renewTimer);
    this.#renewTimer = null;
    void this.#renew();
  }

  #stopRenewing(): void {
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    this.#renewTimer = null;
  }

  // ------------------------------------------------------------------ event batching

  #push(event: PendingEvent): void {
    if (this.#abort.signal.aborted) return;
    this.#buffer.push(event);
    if (this.#buffer.length >= this.#options.flushMax) {
      void this.#flushAll();
    } else if (!this.#flushTimer) {
      this.#flushTimer = setTimeout(() => void this.#flushAll(), this.#options.flushMs);
    }
  }

  /** Sends everything buffered, in order; one request at a time. */
  /**
   * The events still buffered when the handler is done, to send with the outcome in one request
   * (one write on the server) when they fit in one batch; a longer tail is flushed first.
   */
  async #finalEvents(): Promise<PendingEvent[]> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    await this.#flushChain;
    const batch = nextBatch(this.#buffer);
    if (batch.length === this.#buffer.length) {
      this.#buffer = [];
      return batch;
    }
    await this.#flushAll();
    return [];
  }

  #flushAll(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#flushChain = this.#flushChain.then(() => this.#drain());
    return this.#flushChain;
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = nextBatch(this.#buffer);
      let sent = false;
      for (let attempt = 1; attempt <= FLUSH_ATTEMPTS && !sent; attempt++) {
        try {
          await this.#options.transport.appendEvents(this.leaseId, batch);
          sent = true;
        } catch (err) {
          if (hasCode(err, "lease_lost") || hasCode(err, "task_terminal")) {
            this.#buffer = [];
            if (!this.#abort.signal.aborted) this.abort("lease_lost");
            return;
          }
          if (attempt === FLUSH_ATTEMPTS || !isTransient(err)) {
            attempt = FLUSH_ATTEMPTS;
            this.#options.logger.warn(
              { err, lease_id: this.leaseId, dropped: batch.length },
              "could not send events; dropping them",
            );
          } else {
            await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
          }
        }
      }
      this.#buffer.splice(0, batch.length);
    }
  }
}
