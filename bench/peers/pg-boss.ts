/**
 * pg-boss 10 on the same PostgreSQL. Its workers poll (0.5 s is the shortest interval it
 * allows) and wait out the interval after every fetch, so its figures come from fewer jobs.
 */
import PgBoss from "pg-boss";
import pg from "pg";
import { deferred, samplePickup, sleep, type Subject } from "./common.js";

export function pgBossSubject(options: { url: string; tuned: boolean }): Subject {
  const schema = `bench_pgboss_${process.pid}`;
  let boss: PgBoss;
  let admin: pg.Pool;
  const batchSize = options.tuned ? 10 : 1;

  const startWorkers = async (concurrency: number, noop: () => void) => {
    for (let i = 0; i < concurrency; i++) {
      await boss.work("noop", { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        await Promise.all(jobs.map(async () => noop()));
      });
    }
  };

  return {
    name: options.tuned ? "pg-boss 10.4.2 (tuned)" : "pg-boss 10.4.2",
    config: `${10} work() loops, batchSize ${batchSize}, pollingIntervalSeconds 0.5 (the minimum)`,
    burnJobs: options.tuned ? 4_000 : 1_000,
    pickupSamples: 100,
    async setup() {
      admin = new pg.Pool({ connectionString: options.url, max: 2 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      boss = new PgBoss({ connectionString: options.url, schema, max: 10 });
      boss.on("error", (err) => console.error("pg-boss:", err.message));
      await boss.start();
      await boss.createQueue("noop");
    },
    async burnDown(n, concurrency) {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await boss.insert(
          Array.from({ length: count }, (_, j) => ({ name: "noop", data: { i: i + j } })),
        );
      }
      let done = 0;
      const all = deferred();
      const t0 = performance.now();
      await startWorkers(concurrency, () => {
        if (++done === n) all.resolve();
      });
      await all.promise;
      while (
        (
          await admin.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${schema}.job WHERE name = 'noop' AND state IN ('created', 'retry', 'active')`,
          )
        ).rows[0]!.n !== "0"
      )
        await sleep(5);
      return n / ((performance.now() - t0) / 1000);
    },
    async enqueue(n) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await boss.send("noop", { i });
      return n / ((performance.now() - t0) / 1000);
    },
    async pickup(samples) {
      let waiter = deferred<number>();
      await startWorkers(10, () => waiter.resolve(performance.now()));
      await sleep(600);
      return samplePickup(
        samples,
        () => boss.send("noop", {}),
        async () => {
          const t = await waiter.promise;
          waiter = deferred<number>();
          return t;
        },
      );
    },
    async teardown() {
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
