/** graphile-worker 0.17 on the same PostgreSQL, in its own schema. */
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import { deferred, samplePickup, sleep, type Subject } from "./common.js";

const silent = new Logger(() => () => undefined);

export function graphileSubject(options: { url: string; tuned: boolean }): Subject {
  const schema = `bench_graphile_${process.pid}`;
  let utils: WorkerUtils;
  let runner: Runner | null = null;
  const pool = () => new pg.Pool({ connectionString: options.url, max: 2 });
  let admin: pg.Pool;

  const start = (concurrency: number, noop: () => void) =>
    run({
      connectionString: options.url,
      schema,
      concurrency,
      noHandleSignals: true,
      pollInterval: 2_000,
      logger: silent,
      taskList: { noop: async () => noop() },
      ...(options.tuned
        ? {
            preset: {
              worker: {
                localQueue: { size: 500 },
                completeJobBatchDelay: 0,
                failJobBatchDelay: 0,
              },
            },
          }
        : {}),
    });

  return {
    name: options.tuned ? "graphile-worker 0.17.3 (tuned)" : "graphile-worker 0.17.3",
    config: options.tuned
      ? "concurrency 10, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0"
      : "concurrency 10, defaults (pollInterval 2 s, LISTEN/NOTIFY)",
    async setup() {
      admin = pool();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      utils = await makeWorkerUtils({ connectionString: options.url, schema, logger: silent });
      await utils.migrate();
    },
    async burnDown(n, concurrency) {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await utils.addJobs(
          Array.from({ length: count }, (_, j) => ({ identifier: "noop", payload: { i: i + j } })),
        );
      }
      let done = 0;
      const all = deferred();
      const t0 = performance.now();
      runner = await start(concurrency, () => {
        if (++done === n) all.resolve();
      });
      await all.promise;
      // Count the job as done when its completion committed, as for every other queue.
      while (
        (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}._private_jobs`))
          .rows[0]!.n !== "0"
      )
        await sleep(1);
      const seconds = (performance.now() - t0) / 1000;
      return n / seconds;
    },
    async enqueue(n) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await utils.addJob("noop", { i });
      return n / ((performance.now() - t0) / 1000);
    },
    async pickup(samples) {
      let waiter = deferred<number>();
      runner = await start(10, () => waiter.resolve(performance.now()));
      await sleep(200);
      return samplePickup(
        samples,
        () => utils.addJob("noop", {}),
        async () => {
          const t = await waiter.promise;
          waiter = deferred<number>();
          return t;
        },
      );
    },
    async teardown() {
      if (runner) await runner.stop();
      runner = null;
      await utils.release();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
