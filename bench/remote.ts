/**
 * Remote-worker benchmark over real HTTP: the real `errand serve --no-worker` in a child
 * process, and one SDK `Worker` at concurrency 10 in this process. Prints, as medians of RUNS
 * runs (a fresh server and data dir each):
 *  - throughput: 10,000 no-op tasks created up front (batches of 1000), then claimed, run and
 *    completed by the worker; tasks/s from the worker's start to the last completion;
 *  - pickup latency: with the worker idle and long-polling, one task at a time; from just before
 *    `POST /v1/tasks` to the handler starting, p50 and p99.
 * Goals: ≥ 5,000 tasks/s; pickup p99 ≤ 10 ms.
 *
 * Run: npm run build && node dist/bench/remote.js   (BENCH_QUICK=1 for a short run)
 */
import { Errand, Worker } from "@errand/client";
import { median, percentile, startServe, stopServe, type ServeChild } from "./support.js";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TASKS = QUICK ? 2_000 : 10_000;
const CONCURRENCY = 10;
const PICKUP_SAMPLES = QUICK ? 100 : 500;

async function throughput(server: ServeChild): Promise<number> {
  const errand = new Errand({ url: server.url, key: server.key });
  for (let i = 0; i < TASKS; i += 1000) {
    const n = Math.min(1000, TASKS - i);
    await errand.createTasks(Array.from({ length: n }, () => ({ kind: "bench.noop" })));
  }
  let done = 0;
  let finish: () => void = () => {};
  const all = new Promise<void>((r) => (finish = r));
  const worker = new Worker({
    url: server.url,
    key: server.key,
    kinds: ["bench.noop"],
    concurrency: CONCURRENCY,
    name: "bench",
    cancelPush: process.env.BENCH_PUSH !== "0",
  });
  // Count completions when the handler returns: the runtime completes right after, and the
  // last completion is awaited through the queue check below.
  worker.handle("bench.noop", () => {
    if (++done === TASKS) finish();
    return null;
  });
  const t0 = performance.now();
  await worker.start();
  await all;
  // Wait until the server has recorded every completion.
  while ((await errand.listTasks({ state: ["queued", "running"], limit: 1 })).items.length > 0) {
    await new Promise((r) => setTimeout(r, 1));
  }
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop({ graceMs: 1000 });
  return TASKS / seconds;
}

async function pickup(
  server: ServeChild,
): Promise<{ p50: number; p99: number; createP50: number; createP99: number }> {
  const errand = new Errand({ url: server.url, key: server.key });
  const started = new Map<number, number>();
  let wake: (() => void) | null = null;
  const worker = new Worker({
    url: server.url,
    key: server.key,
    kinds: ["bench.pickup"],
    concurrency: CONCURRENCY,
    name: "bench-pickup",
  });
  worker.handle("bench.pickup", (task) => {
    started.set((task.input as { n: number }).n, performance.now());
    wake?.();
    return null;
  });
  await worker.start();
  const samples: number[] = [];
  const creates: number[] = [];
  for (let n = 0; n < PICKUP_SAMPLES; n++) {
    const seen = new Promise<void>((r) => (wake = r));
    const t0 = performance.now();
    await errand.createTask({ kind: "bench.pickup", input: { n } });
    creates.push(performance.now() - t0);
    await seen;
    samples.push(started.get(n)! - t0);
    // Let the completion land so the next sample starts from an idle, long-polling worker.
    await new Promise((r) => setTimeout(r, 2));
  }
  await worker.stop({ graceMs: 1000 });
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    createP50: percentile(creates, 50),
    createP99: percentile(creates, 99),
  };
}

const rates: number[] = [];
const p50s: number[] = [];
const p99s: number[] = [];
const createP50s: number[] = [];
const createP99s: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  const server = await startServe(
    process.env.BENCH_PROF
      ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] }
      : {},
  );
  try {
    const rate = await throughput(server);
    const latency = await pickup(server);
    rates.push(rate);
    p50s.push(latency.p50);
    p99s.push(latency.p99);
    createP50s.push(latency.createP50);
    createP99s.push(latency.createP99);
    console.log(
      `run ${run}: ${rate.toFixed(0)} tasks/s; pickup p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms (the create request alone: p50 ${latency.createP50.toFixed(2)}, p99 ${latency.createP99.toFixed(2)} ms)`,
    );
  } finally {
    await stopServe(server);
  }
}
console.log(
  `remote worker (HTTP, concurrency ${CONCURRENCY}), median of ${RUNS} runs:\n` +
    `  throughput: ${median(rates).toFixed(0)} tasks/s for ${TASKS} no-op tasks (goal ≥ 5000)\n` +
    `  pickup create→handler start: p50 ${median(p50s).toFixed(2)} ms, p99 ${median(p99s).toFixed(2)} ms over ${PICKUP_SAMPLES} tasks (goal p99 ≤ 10 ms)\n` +
    `    of which the create request's own answer: p50 ${median(createP50s).toFixed(2)} ms, p99 ${median(createP99s).toFixed(2)} ms`,
);
