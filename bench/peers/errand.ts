/**
 * Errand through the Engine API, embedded in this process, with the event log on: each job is
 * claimed in a batch (task.leased), and completed with one event of its own written just before
 * the outcome (task.progress, task.succeeded), every event hash-chained.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Principal } from "../../src/core/index.js";
import { Engine, type Notifier } from "../../src/engine/index.js";
import { PgNotifier } from "../../src/engine/pg-notifier.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { openSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import { deferred, samplePickup, type Subject } from "./common.js";

const tasker: Principal = { id: "key_b", tenantId: "default", scopes: ["tasker"], via: "internal" };
const worker: Principal = { id: "key_w", tenantId: "default", scopes: ["worker"], via: "internal" };

export interface ErrandOptions {
  readonly backend: "postgres" | "sqlite";
  readonly url?: string;
  readonly poolSize?: number;
  /** Leases to keep at hand; default = concurrency (claim for free slots only). */
  readonly prefetch?: number;
}

export function errandSubject(options: ErrandOptions): Subject {
  let store: Store;
  let notifier: Notifier | undefined;
  let engine: Engine;
  let dir: string | null = null;
  const schema = `bench_errand_${process.pid}`;

  /**
   * A worker at `concurrency`: at most that many handlers run at once. It claims in batches to
   * keep `prefetch` leases at hand (= concurrency: claim only for free slots). With
   * `detachWrites`, a slot frees when the handler returns and the job's event and completion are
   * written behind it (as graphile-worker's batched completion does), so the store's group
   * commit sees many at once; every lease still ends completed before the clock stops.
   */
  async function work(
    concurrency: number,
    prefetch: number,
    detachWrites: boolean,
    until: () => boolean,
    onStart: (taskId: string) => void,
  ): Promise<void> {
    const w = await engine.announceWorker(worker, { name: "bench", kinds: ["noop"] });
    const local: { leaseId: string; taskId: string }[] = [];
    let inflight = 0;
    let held = 0;
    let wake = deferred();
    const pending = new Set<Promise<void>>();
    const notify = () => {
      const d = wake;
      wake = deferred();
      d.resolve();
    };
    const track = (p: Promise<void>, done: () => void) => {
      const tracked = p.finally(() => {
        pending.delete(tracked);
        done();
      });
      pending.add(tracked);
    };
    const start = () => {
      while (inflight < concurrency && local.length > 0) {
        const lease = local.shift()!;
        inflight++;
        // The job's one event travels with its completion, as the worker runtime sends it.
        const finish = async () => {
          await engine.complete(worker, lease.leaseId, null, [
            { type: "task.progress", data: { current: 1, total: 1 } },
          ]);
        };
        const handler = (async () => {
          onStart(lease.taskId); // the no-op job
          if (!detachWrites) await finish();
          else
            track(finish(), () => {
              held--;
              notify();
            });
        })();
        track(handler, () => {
          inflight--;
          if (!detachWrites) held--;
          start();
          notify();
        });
      }
    };
    while (!until()) {
      const want = prefetch - held;
      if (want <= 0) {
        await wake.promise;
        continue;
      }
      const leases = await engine.claim(worker, {
        worker_id: w.id,
        max: Math.min(100, want),
        wait_ms: 200,
      });
      held += leases.length;
      for (const l of leases) local.push({ leaseId: l.leaseId, taskId: l.task.id });
      start();
    }
    while (pending.size > 0) await Promise.all(pending);
  }

  return {
    name:
      (options.backend === "postgres" ? "Errand-PostgreSQL" : "Errand-SQLite") +
      (options.prefetch ? " (tuned)" : ""),
    config:
      (options.backend === "postgres"
        ? `engine in-process, pool ${options.poolSize ?? 10}, group-committed lease writes, synchronous_commit on`
        : "engine in-process, WAL, synchronous=NORMAL") +
      `, concurrency 10, ${options.prefetch ? `up to ${options.prefetch} leases at hand (claims of up to 100), event and completion written behind the handler` : "claims only for free slots, waits for each completion"}, 3 events/job (leased, progress, succeeded)`,
    async setup() {
      if (options.backend === "postgres") {
        const s = openPostgresStore({
          url: options.url!,
          schema,
          poolSize: options.poolSize ?? 10,
        });
        await s.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        store = s;
        // As `errand serve` runs it: NOTIFY tells other nodes about every write.
        const n = new PgNotifier({ url: options.url!, schema });
        await n.start();
        notifier = n;
      } else {
        dir = mkdtempSync(join(tmpdir(), "errand-bench-"));
        store = openSqliteStore({ path: join(dir, "errand.db") });
      }
      engine = new Engine({ store, ...(notifier ? { notifier } : {}), sweepIntervalMs: 0 });
      await engine.start();
    },
    async burnDown(n, concurrency) {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await engine.createTasks(
          tasker,
          Array.from({ length: count }, (_, j) => ({ kind: "noop", input: { i: i + j } })),
        );
      }
      let started = 0;
      const t0 = performance.now();
      await work(
        concurrency,
        options.prefetch ?? concurrency,
        options.prefetch !== undefined,
        () => started >= n,
        () => started++,
      );
      const seconds = (performance.now() - t0) / 1000;
      const left = await store.countTasks("default", "queued");
      if (left !== 0 || (await store.countTasks("default", "running")) !== 0)
        throw new Error(`burn-down left ${left} tasks behind`);
      return n / seconds;
    },
    async enqueue(n) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await engine.createTask(tasker, { kind: "noop", input: { i } });
      return n / ((performance.now() - t0) / 1000);
    },
    async pickup(samples) {
      let waiter = deferred<number>();
      let stop = false;
      const worker = work(
        10,
        10,
        false,
        () => stop,
        () => waiter.resolve(performance.now()),
      );
      const out = await samplePickup(
        samples,
        () => engine.createTask(tasker, { kind: "noop", input: null }),
        async () => {
          const t = await waiter.promise;
          waiter = deferred<number>();
          return t;
        },
      );
      stop = true;
      // Wake the long-poll so the worker sees `stop`.
      await engine.createTask(tasker, { kind: "noop", input: null });
      await worker;
      return out;
    },
    async teardown() {
      await engine.close();
      await notifier?.close();
      if (options.backend === "postgres") {
        const s = store as ReturnType<typeof openPostgresStore>;
        await s.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
