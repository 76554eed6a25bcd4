/**
 * Several server nodes on one PostgreSQL schema: each node has its own pool, notifier and
 * engine, as separate `errand serve` processes would.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Principal } from "../src/core/index.js";
import { ErrandError, ManualClock } from "../src/core/index.js";
import { Engine } from "../src/engine/index.js";
import { PgNotifier } from "../src/engine/pg-notifier.js";
import { openPostgresStore, type PostgresStore } from "../src/store/postgres/index.js";
import { PG_AVAILABLE, TEST_PG_URL, adminQuery, dropSchema, randomSchema } from "./pg-harness.js";

const tasker: Principal = { id: "key_t", tenantId: "default", scopes: ["tasker"], via: "internal" };
const worker: Principal = { id: "key_w", tenantId: "default", scopes: ["worker"], via: "internal" };

interface Node {
  store: PostgresStore;
  notifier: PgNotifier;
  engine: Engine;
}

/** Waits until `check` holds, failing after `ms`: for effects that arrive over the network. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function terminate(applicationNames: string[]): Promise<number> {
  const rows = await adminQuery<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
     WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid()`,
    [applicationNames],
  );
  return rows.filter((r) => r.ok).length;
}

describe.skipIf(!PG_AVAILABLE)("several nodes on one PostgreSQL schema", () => {
  let schema: string;
  let clock: ManualClock;
  const nodes: Node[] = [];

  const openNode = async (name: string, sweepIntervalMs = 0): Promise<Node> => {
    const store = openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 4 });
    const notifier = new PgNotifier({ url: TEST_PG_URL, schema, nodeId: name });
    await notifier.start();
    const engine = new Engine({ store, notifier, clock, nodeId: name, sweepIntervalMs });
    await engine.start();
    const node = { store, notifier, engine };
    nodes.push(node);
    return node;
  };

  const closeNode = async (node: Node) => {
    const i = nodes.indexOf(node);
    if (i >= 0) nodes.splice(i, 1);
    await node.engine.close();
    await node.notifier.close();
    await node.store.close();
  };

  beforeEach(() => {
    schema = randomSchema("nodes");
    clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  });

  afterEach(async () => {
    for (const node of [...nodes]) await closeNode(node);
    await dropSchema(schema);
  });

  it("starts several nodes at once on a fresh schema: migrations apply once", async () => {
    const [a, b, c] = await Promise.all([openNode("a"), openNode("b"), openNode("c")]);
    const rows = await adminQuery<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations`,
    );
    expect(rows.map((r) => r.version)).toEqual([1]);
    const t = await a!.engine.createTask(tasker, { kind: "k" });
    expect((await c!.engine.getTask(tasker, t.task.id)).id).toBe(t.task.id);
    expect(await b!.store.countTasks("default", "queued")).toBe(1);
  });

  it("wakes a long-polling claimer on node 2 with NOTIFY when node 1 creates a task", async () => {
    const one = await openNode("one");
    const two = await openNode("two");
    const w = await two.engine.announceWorker(worker, { name: "w2", kinds: ["k"] });
    let wokenOnTwo = 0;
    two.notifier.onClaimable("default", () => wokenOnTwo++);
    const pending = two.engine.claim(worker, { worker_id: w.id, wait_ms: 30_000 });
    // Let node 2 look once and start waiting before the task exists.
    await new Promise((r) => setTimeout(r, 50));
    const created = await one.engine.createTask(tasker, { kind: "k", input: { n: 1 } });
    const leases = await pending;
    expect(leases.map((l) => l.task.id)).toEqual([created.task.id]);
    // Node 2 never published: its listener fired because node 1's notification arrived.
    await until(() => wokenOnTwo > 0);
  });

  it("streams events appended through node 2 to a tenant stream reader on node 1", async () => {
    const one = await openNode("one");
    const two = await openNode("two");
    const abort = new AbortController();
    const seen: string[] = [];
    const reader = (async () => {
      for await (const batch of one.engine.streamTenantEvents(tasker, 0, abort.signal)) {
        for (const e of batch) seen.push(`${e.taskId}:${e.type}`);
        if (seen.some((s) => s.endsWith("task.succeeded"))) abort.abort();
      }
    })();
    const t = await two.engine.createTask(tasker, { kind: "k" });
    const w = await two.engine.announceWorker(worker, { name: "w", kinds: ["k"] });
    const [lease] = await two.engine.claim(worker, { worker_id: w.id });
    await two.engine.complete(worker, lease!.leaseId, { ok: true });
    await reader;
    expect(seen).toEqual([
      `${t.task.id}:task.created`,
      `${t.task.id}:task.leased`,
      `${t.task.id}:task.succeeded`,
    ]);
  });

  it("moves sweeper leadership when the holder closes or its session is killed", async () => {
    const one = await openNode("one");
    const two = await openNode("two");
    const three = await openNode("three");
    expect(await one.store.holdSweeperLock("one")).toBe(true);
    expect(await one.store.holdSweeperLock("one")).toBe(true);
    expect(await two.store.holdSweeperLock("two")).toBe(false);
    expect(await three.store.holdSweeperLock("three")).toBe(false);
    await closeNode(one);
    expect(await two.store.holdSweeperLock("two")).toBe(true);
    expect(await three.store.holdSweeperLock("three")).toBe(false);
    // The holder's session dies (a network cut, a killed backend): PostgreSQL frees the lock.
    const killed = await adminQuery<{ ok: boolean }>(
      `SELECT pg_terminate_backend(l.pid) AS ok FROM pg_locks l
       JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
      ["errand-sweeper:two"],
    );
    expect(killed.length).toBe(1);
    await until(async () => await three.store.holdSweeperLock("three"));
    expect(await two.store.holdSweeperLock("two")).toBe(false);
  });

  it("survives pg_terminate_backend under load: no task lost or completed twice, no restart", async () => {
    const total = 300;
    const one = await openNode("one");
    const two = await openNode("two");
    for (let i = 0; i < total; i += 100) {
      await one.engine.createTasks(
        tasker,
        Array.from({ length: 100 }, (_, j) => ({ kind: "k", input: i + j, max_attempts: 10 })),
      );
    }
    const completedBy = new Map<string, number>();
    let stop = false;
    // Retries what failed with `unavailable`; a complete that committed before its answer was
    // lost comes back as lease_lost with the task already succeeded.
    const retrying = async <T>(fn: () => Promise<T>): Promise<T | null> => {
      for (let i = 0; i < 200; i++) {
        try {
          return await fn();
        } catch (err) {
          if (err instanceof ErrandError && err.code === "unavailable") {
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
          if (err instanceof ErrandError && err.code === "lease_lost") return null;
          throw err;
        }
      }
      throw new Error("still unavailable after 200 tries");
    };
    const runWorker = async (node: Node, name: string) => {
      const w = (await retrying(() => node.engine.announceWorker(worker, { name, kinds: ["k"] })))!;
      while (!stop) {
        const leases =
          (await retrying(() => node.engine.claim(worker, { worker_id: w.id, max: 5 }))) ?? [];
        if (leases.length === 0) return;
        await Promise.all(
          leases.map(async (l) => {
            const done = await retrying(() => node.engine.complete(worker, l.leaseId, name));
            if (done?.state === "succeeded")
              completedBy.set(l.task.id, (completedBy.get(l.task.id) ?? 0) + 1);
          }),
        );
      }
    };
    const workers = Promise.all([
      runWorker(one, "a"),
      runWorker(one, "b"),
      runWorker(two, "c"),
      runWorker(two, "d"),
    ]);
    let kills = 0;
    const killer = (async () => {
      for (let round = 0; round < 4; round++) {
        await new Promise((r) => setTimeout(r, 40));
        kills += await terminate([
          `errand:${schema}`,
          "errand-sweeper:one",
          "errand-sweeper:two",
          `errand-listen:${schema}`,
          `errand-notify:${schema}`,
        ]);
      }
    })();
    await killer;
    await workers;
    stop = true;
    expect(kills).toBeGreaterThan(0);

    // Claims whose answer was lost left leases nobody holds: expire them by moving time, then
    // finish the rest. Nothing may be left behind.
    clock.advance(60_000);
    await retrying(() => one.engine.sweep());
    stop = false;
    await Promise.all([runWorker(one, "e"), runWorker(two, "f")]);

    expect(await one.store.countTasks("default", "succeeded")).toBe(total);
    const events = await adminQuery<{ task_id: string; n: number }>(
      `SELECT task_id, count(*)::int AS n FROM ${schema}.events
       WHERE type = 'task.succeeded' GROUP BY task_id`,
    );
    expect(events).toHaveLength(total);
    expect(events.every((e) => e.n === 1)).toBe(true);
    for (const n of completedBy.values()) expect(n).toBe(1);
    const attempts = await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.attempts WHERE outcome = 'succeeded'`,
    );
    expect(attempts[0]!.n).toBe(total);

    // Both nodes work again without a restart, notifications included.
    await until(() => one.notifier.listening && two.notifier.listening);
    expect((await one.store.health()).ok).toBe(true);
    const w = await two.engine.announceWorker(worker, { name: "after", kinds: ["k"] });
    const pending = two.engine.claim(worker, { worker_id: w.id, wait_ms: 30_000 });
    await new Promise((r) => setTimeout(r, 50));
    const fresh = await one.engine.createTask(tasker, { kind: "k" });
    expect((await pending).map((l) => l.task.id)).toEqual([fresh.task.id]);
  });

  it("answers unavailable quickly, not hanging, while the database cannot be reached", async () => {
    const store = openPostgresStore({
      url: "postgres://postgres@127.0.0.1:1/none",
      schema,
      connectTimeoutMs: 500,
    });
    try {
      const err = await store.getTask("default", "tsk_x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ErrandError);
      expect((err as ErrandError).code).toBe("unavailable");
      expect(await store.health()).toMatchObject({ ok: false, backend: "postgres" });
      expect(await store.holdSweeperLock("x")).toBe(false);
    } finally {
      await store.close();
    }
  });
});
