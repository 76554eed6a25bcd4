/**
 * The worker runtime: announces the worker and heartbeats, long-polls claims up to its free
 * capacity, runs each claimed task through its kind's handler (see task-run.ts), and on stop
 * lets running work finish within a grace period and releases what is left. The same runtime
 * runs over HTTP (`Worker`, `errand worker`) and in-process (the worker of `errand serve`).
 */
import { ErrandApiError, hasCode } from "../errors.js";
import type { ClaimedLease, WorkerRecord } from "../types.js";
import type { Handler } from "./context.js";
import type { RuntimeLogger } from "./logger.js";
import { silentLogger } from "./logger.js";
import { TaskRun } from "./task-run.js";
import type { WorkerTransport } from "./transport.js";

/**
 * How many attempts per slot may be held while their outcomes are reported. Over HTTP with
 * no-op handlers at concurrency 10, 2 gave 2,810 tasks/s, 5 gave 3,452 and 10 gave 3,294
 * (bench/remote, one run each on a quiet machine): past a few, the server is the limit.
 */
const REPORTS_PER_SLOT = 5;

export interface RuntimeOptions {
  /** Kinds to claim; defaults to the kinds that have a handler. */
  readonly kinds?: readonly string[];
  /** How many tasks run at once (default 1). */
  readonly concurrency?: number;
  /** A readable name shown by `errand workers` (default `worker-<pid>`). */
  readonly name?: string;
  /** Labels this worker carries; tasks with `requirements` need them. */
  readonly labels?: readonly string[];
  readonly version?: string;
  /** Re-announce with this id (keeps the worker's identity across restarts). */
  readonly id?: string;
  /** How long one claim request waits for work (default 25 s, max 60 s). */
  readonly claimWaitMs?: number;
  /** Heartbeat period (default 10 s). */
  readonly heartbeatMs?: number;
  /** Flush buffered events within this many ms (default 50). */
  readonly flushMs?: number;
  /** Flush at once when this many events are buffered (default 256). */
  readonly flushMax?: number;
  readonly logger?: RuntimeLogger;
}

export interface StopOptions {
  /** How long running tasks may take to finish before their leases are released (default 30 s). */
  readonly graceMs?: number;
  /** After the grace, how long to wait for aborted handlers to clean up (default 5 s). */
  readonly abortWaitMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Waits for `promise` at most `ms`, leaving no timer behind (it would hold the process open). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The worker runtime over any transport; `Worker` is this over HTTP.
 *
 * @example
 * const runtime = new WorkerRuntime(new HttpTransport(new HttpClient({ url, key })), { concurrency: 2 });
 */
export class WorkerRuntime {
  readonly #transport: WorkerTransport;
  readonly #options: RuntimeOptions;
  readonly #logger: RuntimeLogger;
  readonly #handlers = new Map<string, Handler>();
  /** Every attempt not yet reported, by lease id. */
  readonly #runs = new Map<string, { run: TaskRun; done: Promise<void> }>();
  /** Attempts whose handler is still running: what `concurrency` bounds. */
  #busy = 0;
  readonly #stopSignal = new AbortController();
  #record: WorkerRecord | null = null;
  #loop: Promise<void> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #slotFreed: (() => void) | null = null;
  #stopping: Promise<void> | null = null;

  constructor(transport: WorkerTransport, options: RuntimeOptions = {}) {
    this.#transport = transport;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Registers the handler for one kind; call before `start()`.
   *
   * @example
   * const runtime = new WorkerRuntime(transport, { concurrency: 4 });
   * runtime.handle("mock", async (task, ctx) => ({ ok: true }));
   */
  handle(kind: string, handler: Handler): this {
    if (this.#loop) throw new Error("register handlers before start()");
    this.#handlers.set(kind, handler);
    return this;
  }

  /** The worker's id once announced. */
  get id(): string | null {
    return this.#record?.id ?? null;
  }

  /** How many tasks are running now. */
  get running(): number {
    return this.#runs.size;
  }

  get concurrency(): number {
    return Math.max(1, Math.floor(this.#options.concurrency ?? 1));
  }

  get kinds(): string[] {
    return [...(this.#options.kinds ?? this.#handlers.keys())];
  }

  /**
   * Announces the worker and starts claiming; resolves once announced.
   *
   * @example
   * const { id } = await runtime.start();
   */
  async start(): Promise<WorkerRecord> {
    if (this.#loop) throw new Error("the worker is already started");
    const kinds = this.kinds;
    if (kinds.length === 0) throw new Error("no handlers: call handle(kind, fn) before start()");
    const missing = kinds.filter((k) => !this.#handlers.has(k));
    if (missing.length > 0) throw new Error(`no handler for kind(s): ${missing.join(", ")}`);
    this.#record = await this.#announce();
    this.#logger.info(
      { worker_id: this.#record.id, kinds, concurrency: this.concurrency },
      "worker started",
    );
    const heartbeatMs = this.#options.heartbeatMs ?? 10_000;
    this.#heartbeat = setInterval(() => void this.#beat(), heartbeatMs);
    this.#heartbeat.unref?.();
    this.#loop = this.#claimLoop();
    return this.#record;
  }

  /**
   * Stops claiming, lets running tasks finish within `graceMs`, then aborts the rest and
   * releases their leases so other workers can run them at once.
   *
   * @example
   * process.once("SIGTERM", () => void runtime.stop({ graceMs: 10_000 }));
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  async #stop(options: StopOptions): Promise<void> {
    this.#stopSignal.abort();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#slotFreed?.();
    await this.#loop;
    const graceMs = options.graceMs ?? 30_000;
    const all = () => Promise.all([...this.#runs.values()].map((r) => r.done));
    if (this.#runs.size > 0) {
      this.#logger.info(
        { running: this.#runs.size, grace_ms: graceMs },
        "waiting for running tasks",
      );
      await within(all(), graceMs);
    }
    if (this.#runs.size > 0) {
      this.#logger.warn({ running: this.#runs.size }, "grace period over; releasing leases");
      await Promise.all([...this.#runs.values()].map((r) => r.run.abort("shutdown")));
      await within(all(), options.abortWaitMs ?? 5_000);
    }
    this.#transport.close?.();
    this.#logger.info({ worker_id: this.id }, "worker stopped");
  }

  async #announce(): Promise<WorkerRecord> {
    const o = this.#options;
    return this.#transport.announce({
      ...(this.#record?.id ? { id: this.#record.id } : o.id ? { id: o.id } : {}),
      name: o.name ?? `worker-${typeof process === "undefined" ? "js" : process.pid}`,
      kinds: this.kinds,
      labels: [...(o.labels ?? [])],
      capacity: this.concurrency,
      ...(o.version ? { version: o.version } : {}),
    });
  }

  async #beat(): Promise<void> {
    const id = this.id;
    if (!id) return;
    try {
      await this.#transport.heartbeat(id);
    } catch (err) {
      if (hasCode(err, "worker_not_found")) await this.#reannounce();
      else this.#logger.warn({ err }, "heartbeat failed");
    }
  }

  async #reannounce(): Promise<void> {
    try {
      this.#record = await this.#announce();
    } catch (err) {
      this.#logger.warn({ err }, "re-announcing the worker failed");
    }
  }

  async #claimLoop(): Promise<void> {
    const stop = this.#stopSignal.signal;
    let backoff = 0;
    while (!stop.aborted) {
      // A finished handler frees its slot while its outcome is still being reported, so the next
      // claim overlaps the report; at most REPORTS_PER_SLOT × `concurrency` attempts (running or
      // reporting) are held at once, which bounds memory when the server is slow.
      const free = Math.min(
        this.concurrency - this.#busy,
        REPORTS_PER_SLOT * this.concurrency - this.#runs.size,
      );
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = null;
        continue;
      }
      let leases: ClaimedLease[];
      const asked = Date.now();
      try {
        leases = await this.#transport.claim(
          {
            worker_id: this.id!,
            kinds: this.kinds,
            max: Math.min(free, 100),
            wait_ms: Math.min(this.#options.claimWaitMs ?? 25_000, 60_000),
          },
          stop,
        );
        backoff = 0;
        if (leases.length === 0 && Date.now() - asked < 50 && !stop.aborted) {
          // A long-poll should wait for work; an empty answer at once (a server closing down,
          // a proxy) must not turn this loop into a busy one.
          await sleep(250, stop);
        }
      } catch (err) {
        if (stop.aborted) break;
        if (hasCode(err, "worker_not_found")) {
          await this.#reannounce();
        } else {
          this.#logger.warn({ err: describe(err) }, "claim failed; retrying");
        }
        backoff = Math.min(Math.max(backoff * 2, 250), 5_000);
        await sleep(backoff, stop);
        continue;
      }
      for (const lease of leases) {
        if (stop.aborted) {
          // Claimed while stopping: hand the task straight back.
          await this.#transport.release(lease.lease_id, "worker shutting down").catch(() => {});
        } else {
          this.#start(lease);
        }
      }
    }
  }

  #start(lease: ClaimedLease): void {
    const handler = this.#handlers.get(lease.task.kind);
    const run = new TaskRun(lease, {
      transport: this.#transport,
      workerId: this.id!,
      logger: this.#logger,
      flushMs: this.#options.flushMs ?? 50,
      flushMax: this.#options.flushMax ?? 256,
    });
    const body: Handler =
      handler ??
      (() => {
        throw Object.assign(new Error(`this worker has no handler for kind ${lease.task.kind}`), {
          code: "no_handler",
        });
      });
    const wake = () => {
      const slotFreed = this.#slotFreed;
      this.#slotFreed = null;
      slotFreed?.();
    };
    this.#busy += 1;
    let counted = true;
    const handlerDone = () => {
      if (!counted) return;
      counted = false;
      this.#busy -= 1;
      wake();
    };
    const done = run.execute(body, handlerDone).finally(() => {
      handlerDone();
      this.#runs.delete(lease.lease_id);
      wake();
    });
    this.#runs.set(lease.lease_id, { run, done });
  }
}

function describe(err: unknown): unknown {
  if (err instanceof ErrandApiError) return { code: err.code, message: err.message };
  return err instanceof Error ? err.message : err;
}
