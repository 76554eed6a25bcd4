/**
 * Group commit of lease writes (renew, append, complete, fail, release), with the lease cache.
 *
 * Writes that arrive while earlier ones are in flight queue up and go out together: one read of
 * the rows they name (none when this node wrote them last), each write's step applied in order,
 * and one statement per tenant that writes a row only if it is still as read. Each caller gets
 * its own answer.
 */
import type { Task } from "../../core/index.js";
import { ErrandError } from "../../core/index.js";
import type { LeaseWrite } from "../store.js";
import { toStoreError } from "./connection-errors.js";
import { Writes } from "./writes.js";

/** Events one group-commit statement may carry, to keep its parameters moderate. */
const BATCH_EVENT_CAP = 8_192;

export interface StepResult<T> {
  readonly value: T;
  /** The task after the step, when it changed. */
  readonly next?: Task;
}

/** One lease write waiting for the next group-commit statement. */
interface LeaseOp {
  readonly write: LeaseWrite;
  readonly weight: number;
  step(task: Task | null, writes: Writes): StepResult<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export interface LeaseWriterDeps {
  /** Groups that may be in flight at once. */
  readonly concurrency: number;
  /** The running tasks of these leases, each found by lease id and tenant. */
  read(leases: readonly LeaseWrite[]): Promise<Task[]>;
  /** Writes what a group collected; answers the ids of the tasks written. */
  write(writes: Writes): Promise<Set<string>>;
  isClosed(): boolean;
}

export class LeaseWriter {
  readonly #deps: LeaseWriterDeps;
  readonly #concurrency: number;
  readonly #queue: LeaseOp[] = [];
  #writing = 0;
  #flushScheduled = false;
  /**
   * Running tasks as this node last wrote them, by lease. A lease write starts from here
   * instead of reading the row first; the write's fence (same lease, seq and renewal count)
   * catches a stale entry, and a refusal decided on a cached row is checked on a fresh read.
   */
  readonly #leases = new Map<string, Task>();

  constructor(deps: LeaseWriterDeps) {
    this.#deps = deps;
    this.#concurrency = Math.max(1, deps.concurrency);
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#writing === 0;
  }

  /** Keeps the task as this node just wrote it (or forgets it, once it is no longer running). */
  remember(task: Task): void {
    const lease = task.lease;
    if (!lease) return;
    const key = `${task.tenantId}\u0000${lease.id}`;
    if (task.state !== "running") {
      this.#leases.delete(key);
      return;
    }
    this.#leases.delete(key);
    this.#leases.set(key, task);
    // Oldest first out: a Map iterates in insertion order.
    if (this.#leases.size > 50_000) this.#leases.delete(this.#leases.keys().next().value!);
  }

  /**
   * Queues a lease write for the next group-commit statement. When fewer than
   * `writeConcurrency` such transactions run, one starts on the next turn of the event loop with
   * everything queued by then; concurrent workers' completions so share one COMMIT (one WAL
   * flush) instead of paying one each.
   */
  enqueue<T>(
    write: LeaseWrite,
    weight: number,
    step: (task: Task | null, writes: Writes) => StepResult<T>,
  ): Promise<T> {
    if (this.#deps.isClosed())
      return Promise.reject(new ErrandError("unavailable", "the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        write,
        weight,
        step,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#queue.length === 0) return;
    if (this.#writing >= this.#concurrency) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#writing >= this.#concurrency || this.#queue.length === 0) return;
      let weight = 0;
      let n = 0;
      while (
        n < this.#queue.length &&
        (n === 0 || weight + this.#queue[n]!.weight <= BATCH_EVENT_CAP)
      ) {
        weight += this.#queue[n]!.weight;
        n++;
      }
      const batch = this.#queue.splice(0, n);
      this.#writing++;
      void this.#runBatch(batch).finally(() => {
        this.#writing--;
        this.#schedule();
      });
      this.#schedule();
    });
  }

  /**
   * Runs a group of lease writes in two round trips and no held locks: read the rows by lease,
   * apply each step in order, write each tenant's changes in one statement that updates a row
   * only if it is still as read. A task that changed in between (a cancel, an expiry, another
   * node) is not written at all; its writes are run again on a fresh read, where the fence
   * answers them.
   */
  async #runBatch(ops: readonly LeaseOp[]): Promise<void> {
    const keyOf = (w: LeaseWrite) => `${w.tenantId}\u0000${w.leaseId}`;
    let pending = ops;
    for (let round = 0; pending.length > 0; round++) {
      const retry: LeaseOp[] = [];
      try {
        const writes = new Writes();
        const current = new Map<string, Task>();
        const cached = new Set<string>();
        const missing = new Map<string, LeaseWrite>();
        for (const op of pending) {
          const key = keyOf(op.write);
          if (current.has(key) || missing.has(key)) continue;
          const hit = this.#leases.get(key);
          if (hit) {
            current.set(key, writes.read(hit));
            cached.add(key);
          } else missing.set(key, op.write);
        }
        if (missing.size > 0) {
          for (const task of await this.#deps.read([...missing.values()]))
            current.set(`${task.tenantId}\u0000${task.lease!.id}`, writes.read(task));
        }
        const taskOf = new Map<LeaseOp, string>();
        const recheck = new Set<LeaseOp>();
        const out = pending.map((op) => {
          const key = keyOf(op.write);
          const task = current.get(key) ?? null;
          if (task) taskOf.set(op, task.id);
          try {
            const r = op.step(task, writes);
            if (r.next) current.set(key, r.next);
            return { ok: true, value: r.value };
          } catch (err) {
            if (!(err instanceof ErrandError)) throw err;
            // Refused on what this node last wrote: ask the database before answering.
            if (cached.has(key)) recheck.add(op);
            return { ok: false, value: err as unknown };
          }
        });
        const written = await this.#deps.write(writes);
        const changed = new Set<string>();
        for (const w of writes.byTenant.values()) {
          for (const [id, task] of w.tasks) {
            if (written.has(id)) this.remember(task);
            else changed.add(id);
          }
        }
        pending.forEach((op, i) => {
          const key = keyOf(op.write);
          const id = taskOf.get(op);
          const stale = (id !== undefined && changed.has(id)) || recheck.has(op);
          if (stale) this.#leases.delete(key);
          if (stale && round < 50) {
            retry.push(op);
            return;
          }
          const r = out[i]!;
          if (stale) op.reject(new Error(`task ${id} kept changing`));
          else if (r.ok) op.resolve(r.value);
          else op.reject(r.value);
        });
      } catch (err) {
        for (const op of pending) this.#leases.delete(keyOf(op.write));
        const mapped = toStoreError(err);
        for (const op of pending) op.reject(mapped);
        return;
      }
      pending = retry;
    }
  }
}
