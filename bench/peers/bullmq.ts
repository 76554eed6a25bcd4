/** BullMQ 6 on Redis (ioredis 5). The whole Redis database named by the URL is flushed. */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { deferred, samplePickup, sleep, type Subject } from "./common.js";

export function bullmqSubject(options: { url: string }): Subject {
  let queue: Queue;
  let worker: Worker | null = null;
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(options.url, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };

  const startWorker = (concurrency: number, noop: () => void, onCompleted?: () => void) => {
    const w = new Worker("noop", async () => noop(), { connection: connect(), concurrency });
    if (onCompleted) w.on("completed", onCompleted);
    worker = w;
    return w;
  };

  return {
    name: "BullMQ 6.7.0 (Redis)",
    config: "Worker concurrency 10, defaults (no batching in the open-source edition)",
    async setup() {
      const admin = connect();
      await admin.flushdb();
      queue = new Queue("noop", { connection: connect() });
      await queue.waitUntilReady();
    },
    async burnDown(n, concurrency) {
      for (let i = 0; i < n; i += 1000) {
        const count = Math.min(1000, n - i);
        await queue.addBulk(
          Array.from({ length: count }, (_, j) => ({ name: "noop", data: { i: i + j } })),
        );
      }
      let done = 0;
      const all = deferred();
      const t0 = performance.now();
      startWorker(
        concurrency,
        () => undefined,
        () => {
          if (++done === n) all.resolve();
        },
      );
      await all.promise;
      return n / ((performance.now() - t0) / 1000);
    },
    async enqueue(n) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await queue.add("noop", { i });
      return n / ((performance.now() - t0) / 1000);
    },
    async pickup(samples) {
      let waiter = deferred<number>();
      const w = startWorker(10, () => waiter.resolve(performance.now()));
      await w.waitUntilReady();
      await sleep(200);
      return samplePickup(
        samples,
        () => queue.add("noop", {}),
        async () => {
          const t = await waiter.promise;
          waiter = deferred<number>();
          return t;
        },
      );
    },
    async teardown() {
      if (worker) await worker.close();
      worker = null;
      await queue.close();
      await connections[0]?.flushdb();
      for (const c of connections.splice(0)) c.disconnect();
    },
  };
}
