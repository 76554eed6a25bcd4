/**
 * The peer benchmark: the same workload, on this machine, in one run, on Errand-PostgreSQL,
 * Errand-SQLite, graphile-worker, pg-boss and BullMQ on Redis.
 *
 *   npm run build && node dist/bench/peers.js            # full: 20,000 / 5,000 / 500, 3 runs
 *   BENCH_QUICK=1 node dist/bench/peers.js               # smaller counts, 1 run
 *   BENCH_ONLY=errand-pg,bullmq node dist/bench/peers.js # a subset (ids below)
 *   BENCH_OUT=docs/benchmarks.md                         # also write the results there
 *
 * PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432/test), Redis at
 * BENCH_REDIS (default redis://127.0.0.1:6379/15: database 15 is flushed).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import pg from "pg";
import { bullmqSubject } from "./peers/bullmq.js";
import { median, percentile, type Subject, type Workload } from "./peers/common.js";
import { errandSubject } from "./peers/errand.js";
import { graphileSubject } from "./peers/graphile.js";
import { pgBossSubject } from "./peers/pg-boss.js";

const PG_URL = process.env.BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.BENCH_REDIS ?? "redis://127.0.0.1:6379/15";
const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const workload: Workload = QUICK
  ? { burnJobs: 2_000, enqueueJobs: 500, pickupSamples: 100, concurrency: 10 }
  : { burnJobs: 20_000, enqueueJobs: 5_000, pickupSamples: 500, concurrency: 10 };

const subjects: Record<string, () => Subject> = {
  "errand-pg": () => errandSubject({ backend: "postgres", url: PG_URL, poolSize: 10 }),
  "errand-pg-tuned": () =>
    errandSubject({ backend: "postgres", url: PG_URL, poolSize: 10, prefetch: 500 }),
  "errand-sqlite": () => errandSubject({ backend: "sqlite" }),
  "graphile-default": () => graphileSubject({ url: PG_URL, tuned: false }),
  "graphile-tuned": () => graphileSubject({ url: PG_URL, tuned: true }),
  "pg-boss": () => pgBossSubject({ url: PG_URL, tuned: false }),
  "pg-boss-tuned": () => pgBossSubject({ url: PG_URL, tuned: true }),
  bullmq: () => bullmqSubject({ url: REDIS_URL }),
};

interface Row {
  name: string;
  config: string;
  burn: number;
  enqueue: number;
  p50: number;
  p95: number;
  p99: number;
  samples: number;
  jobs: number;
  runs: number[];
}

async function measure(make: () => Subject): Promise<Row> {
  const burns: number[] = [];
  const enqueues: number[] = [];
  const p50s: number[] = [];
  const p95s: number[] = [];
  const p99s: number[] = [];
  let subject = make();
  const samples = Math.min(workload.pickupSamples, subject.pickupSamples ?? Infinity);
  const jobs = Math.min(workload.burnJobs, subject.burnJobs ?? Infinity);
  for (let run = 0; run < RUNS; run++) {
    subject = make();
    // Each figure on fresh, empty state.
    await subject.setup();
    burns.push(await subject.burnDown(jobs, workload.concurrency));
    await subject.teardown();
    await subject.setup();
    enqueues.push(await subject.enqueue(workload.enqueueJobs));
    await subject.teardown();
    await subject.setup();
    const lat = await subject.pickup(samples);
    await subject.teardown();
    p50s.push(percentile(lat, 50));
    p95s.push(percentile(lat, 95));
    p99s.push(percentile(lat, 99));
    console.error(
      `  ${subject.name} run ${run + 1}: burn ${burns.at(-1)!.toFixed(0)}/s, enqueue ${enqueues.at(-1)!.toFixed(0)}/s, pickup p50 ${p50s.at(-1)!.toFixed(2)} ms p99 ${p99s.at(-1)!.toFixed(2)} ms`,
    );
  }
  return {
    name: subject.name,
    config: subject.config,
    burn: median(burns),
    enqueue: median(enqueues),
    p50: median(p50s),
    p95: median(p95s),
    p99: median(p99s),
    samples,
    jobs,
    runs: burns,
  };
}

function machine(): string {
  const pgVersion = (() => {
    try {
      return execFileSync("psql", [PG_URL, "-Atqc", "SHOW server_version"], {
        encoding: "utf8",
      }).trim();
    } catch {
      return "unknown";
    }
  })();
  const redisVersion = (() => {
    try {
      const info = execFileSync("redis-cli", ["INFO", "server"], { encoding: "utf8" });
      return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
    } catch {
      return "unknown";
    }
  })();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return [
    `${os.availableParallelism()} CPUs (nproc), ${cpu}`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `Node ${process.version}`,
    `PostgreSQL ${pgVersion}`,
    `Redis ${redisVersion}`,
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")} (a shared machine: other work was running)`,
  ].join(", ");
}

function table(rows: readonly Row[]): string {
  const lines = [
    "| queue | burn-down (jobs/s) | sequential enqueue (jobs/s) | pickup p50 / p95 / p99 (ms) | configuration |",
    "| --- | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const samples = r.samples < workload.pickupSamples ? ` (${r.samples} samples)` : "";
    const jobs = r.jobs < workload.burnJobs ? ` (${r.jobs} jobs)` : "";
    lines.push(
      `| ${r.name} | ${r.burn.toFixed(0)}${jobs} | ${r.enqueue.toFixed(0)} | ${r.p50.toFixed(2)} / ${r.p95.toFixed(2)} / ${r.p99.toFixed(2)}${samples} | ${r.config} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
  const ids = Object.keys(subjects).filter((id) => !only || only.includes(id));
  // Probe the services first: a missing one should fail before minutes of work.
  const probe = new pg.Client({ connectionString: PG_URL });
  await probe.connect();
  await probe.end();
  const rows: Row[] = [];
  for (const id of ids) {
    console.error(`${id} …`);
    rows.push(await measure(subjects[id]!));
  }
  const when = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const heading = [
    `Run ${when} on ${machine()}.`,
    `Workload: burn-down of ${workload.burnJobs} no-op jobs at concurrency ${workload.concurrency}; sequential enqueue of ${workload.enqueueJobs} jobs; idle pickup add→start over ${workload.pickupSamples} samples. Median of ${RUNS} run(s)${QUICK ? " (quick mode)" : ""}.`,
  ].join("\n");
  const text = `${heading}\n\n${table(rows)}\n`;
  console.log(text);
  const out = process.env.BENCH_OUT;
  if (out) {
    const begin = "<!-- peers:begin -->";
    const end = "<!-- peers:end -->";
    const doc = readFileSync(out, "utf8");
    const a = doc.indexOf(begin);
    const b = doc.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${out} has no ${begin} … ${end} block`);
    writeFileSync(out, `${doc.slice(0, a + begin.length)}\n${text}${doc.slice(b)}`);
    console.error(`wrote ${out}`);
  }
}

await main();
process.exit(0);
