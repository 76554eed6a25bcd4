/**
 * Cancel benchmark over real processes: the real `errand serve --no-worker` and one real
 * `errand worker`. Each run starts a shell task whose process group holds three processes
 * (`sh -c 'echo $$; sleep 300 & sleep 300 & wait'`), waits for its first output, then measures
 * from just before `POST /v1/tasks/{id}/cancel` until no process of the group is alive (polled
 * with `kill(-pgid, 0)` every 0.5 ms). Prints p50/p99 over SAMPLES cancels, as medians of RUNS
 * runs. Goal: p99 ≤ 250 ms.
 *
 * Run: npm run build && node dist/bench/cancel.js   (BENCH_QUICK=1 for a short run)
 */
import { Errand } from "@errand/client";
import { isGroupAlive } from "../src/worker/process-group.js";
import {
  median,
  percentile,
  sleep,
  spawnErrand,
  startServe,
  stopChild,
  stopServe,
} from "./support.js";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SAMPLES = QUICK ? 20 : 100;

async function oneRun(): Promise<{ p50: number; p99: number; max: number }> {
  const server = await startServe();
  const { url, key } = server;
  const worker = await spawnErrand(
    ["worker", "--kinds", "shell", "--concurrency", "4", "--log-level", "error"],
    { env: { ERRAND_URL: url, ERRAND_KEY: key }, ready: /worker \S+ running/ },
  );
  const errand = new Errand({ url, key });
  const samples: number[] = [];
  try {
    for (let i = 0; i < SAMPLES; i++) {
      const task = await errand.createTask({
        kind: "shell",
        input: { command: "echo $$; sleep 300 & sleep 300 & wait" },
      });
      let pgid = 0;
      for await (const event of errand.events(task.id)) {
        if (event.type === "task.output") {
          pgid = Number((event.data as { text: string }).text.trim());
          break;
        }
      }
      if (!(pgid > 1) || !isGroupAlive(pgid))
        throw new Error(`no live process group for ${task.id}`);
      const t0 = performance.now();
      await errand.cancelTask(task.id);
      while (isGroupAlive(pgid)) await sleep(0.5);
      samples.push(performance.now() - t0);
    }
  } finally {
    await stopChild(worker.child);
    await stopServe(server);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
}

const p50s: number[] = [];
const p99s: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  const r = await oneRun();
  p50s.push(r.p50);
  p99s.push(r.p99);
  console.log(
    `run ${run}: cancel → process group gone p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
  );
}
console.log(
  `cancel → process-gone latency over ${SAMPLES} cancels, median of ${RUNS} runs: ` +
    `p50 ${median(p50s).toFixed(1)} ms, p99 ${median(p99s).toFixed(1)} ms (goal p99 ≤ 250 ms)`,
);
