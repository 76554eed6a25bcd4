/** What every queue under test implements, and the arithmetic of the results. */
import { sleep } from "../support.js";

export { median, percentile, sleep } from "../support.js";
export interface Workload {
  /** Jobs in the burn-down. */
  readonly burnJobs: number;
  /** Jobs added one after another in the enqueue test. */
  readonly enqueueJobs: number;
  /** Add-to-start samples of the idle pickup test. */
  readonly pickupSamples: number;
  readonly concurrency: number;
}

export interface Subject {
  /** Row label, e.g. "graphile-worker (tuned)". */
  readonly name: string;
  /** The settings used, printed beside the numbers. */
  readonly config: string;
  /** Burn-down jobs to use when fewer than the workload's (a polling queue). */
  readonly burnJobs?: number;
  /** Pickup samples to take when fewer than the workload's (a polling queue), with why. */
  readonly pickupSamples?: number;
  /** Fresh, empty state. */
  setup(): Promise<void>;
  /** Adds `n` jobs untimed (bulk), then times a worker at `concurrency` until all are done. */
  burnDown(n: number, concurrency: number): Promise<number>;
  /** Adds `n` jobs one after another; jobs/s. */
  enqueue(n: number): Promise<number>;
  /** With an idle worker waiting, adds one job at a time; ms from add to handler start. */
  pickup(samples: number): Promise<number[]>;
  teardown(): Promise<void>;
}

/** A promise with its resolve function at hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Measures add→start one sample at a time: the next job is added after the previous started. */
export async function samplePickup(
  samples: number,
  add: () => Promise<unknown>,
  started: () => Promise<number>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const seen = started();
    await add();
    out.push((await seen) - t0);
    // Let the worker go idle again (its completion and next wait) before the next add.
    await sleep(5);
  }
  return out;
}
