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
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Errand } from "@errand/client";
import { isGroupAlive } from "../src/worker/process-group.js";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SAMPLES = QUICK ? 20 : 100;
const BIN = fileURLToPath(new URL("../../bin/errand.js", import.meta.url));

function start(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      const match = err.match(ready);
      if (match) resolve({ child, match });
    });
    child.once("exit", () => reject(new Error(`errand ${args[0]} exited:\n${err}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function oneRun(): Promise<{ p50: number; p99: number; max: number }> {
  const dir = mkdtempSync(join(tmpdir(), "errand-bench-cancel-"));
  const server = await start(
    [
      "serve",
      "--no-worker",
      "--port",
      "0",
      "--data-dir",
      dir,
      "--rate-limit",
      "0",
      "--log-level",
      "error",
    ],
    {},
    /listening on (http:\/\/\S+)/,
  );
  const url = server.match[1]!;
  const key = readFileSync(join(dir, "admin.key"), "utf8").trim();
  const worker = await start(
    ["worker", "--kinds", "shell", "--concurrency", "4", "--log-level", "error"],
    { ERRAND_URL: url, ERRAND_KEY: key },
    /worker \S+ running/,
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
    await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1)! };
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
