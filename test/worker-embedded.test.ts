import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Principal, TaskEvent } from "../src/core/index.js";
import { Engine } from "../src/engine/engine.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { startEmbeddedWorker } from "../src/worker/embedded.js";

const tasker: Principal = {
  id: "test-tasker",
  tenantId: "default",
  scopes: ["tasker"],
  via: "internal",
};

let dir: string;
let engine: Engine;
let worker: { stop(): Promise<void> } | null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-embedded-"));
  engine = new Engine({
    store: openSqliteStore({ path: join(dir, "errand.db") }),
    sweepIntervalMs: 0,
  });
  await engine.start();
  worker = null;
});

afterEach(async () => {
  await worker?.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads the task's events until its terminal event. */
async function untilDone(id: string): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const batch of engine.streamTaskEvents(tasker, id, 0, new AbortController().signal)) {
    out.push(...batch);
  }
  return out;
}

describe("embedded worker", () => {
  it("runs a mock task: progress and output per step, then the result", async () => {
    worker = await startEmbeddedWorker(engine, { concurrency: 2 });
    const { task } = await engine.createTask(tasker, {
      kind: "mock",
      input: { steps: 3, interval_ms: 5 },
    });
    const events = await untilDone(task.id);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("task.created");
    expect(types.at(-1)).toBe("task.succeeded");
    const progress = events.filter((e) => e.type === "task.progress").map((e) => e.data);
    expect(progress).toEqual([
      { current: 1, total: 3, message: "step 1/3" },
      { current: 2, total: 3, message: "step 2/3" },
      { current: 3, total: 3, message: "step 3/3" },
    ]);
    const output = events.filter((e) => e.type === "task.output").map((e) => e.data);
    expect(output).toEqual([1, 2, 3].map((i) => ({ stream: "stdout", text: `step ${i}/3\n` })));
    const done = await engine.getTask(tasker, task.id);
    expect(done.state).toBe("succeeded");
    expect(done.result).toEqual({ steps: 3 });
    const attempts = await engine.listAttempts(tasker, task.id);
    expect(attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      [expect.stringMatching(/^wkr_/), "succeeded"],
    ]);
  });

  it("retries a mock failure at fail_at until attempts run out", async () => {
    worker = await startEmbeddedWorker(engine, {});
    const { task } = await engine.createTask(tasker, {
      kind: "mock",
      input: { steps: 5, interval_ms: 0, fail_at: 2 },
      max_attempts: 2,
      backoff_base_ms: 0,
      backoff_max_ms: 0,
    });
    const events = await untilDone(task.id);
    expect(events.filter((e) => e.type === "task.retry_scheduled")).toHaveLength(1);
    const done = await engine.getTask(tasker, task.id);
    expect(done.state).toBe("failed");
    expect(done.error).toMatchObject({ code: "mock_failure", details: { step: 2 } });
    expect((await engine.listAttempts(tasker, task.id)).map((a) => a.outcome)).toEqual([
      "failed",
      "failed",
    ]);
  });

  it("fails bad input at once, without retrying", async () => {
    worker = await startEmbeddedWorker(engine, {});
    const { task } = await engine.createTask(tasker, { kind: "mock", input: { steps: "many" } });
    await untilDone(task.id);
    const done = await engine.getTask(tasker, task.id);
    expect(done.state).toBe("failed");
    expect(done.attempts).toBe(1);
    expect(done.error?.code).toBe("invalid_input");
  });

  it("aborts a canceled task and keeps working on the next one", async () => {
    worker = await startEmbeddedWorker(engine, { concurrency: 1 });
    const { task } = await engine.createTask(tasker, {
      kind: "mock",
      input: { steps: 10_000, interval_ms: 20 },
      lease_ttl_ms: 1_000,
    });
    for await (const batch of engine.streamTaskEvents(
      tasker,
      task.id,
      0,
      new AbortController().signal,
    )) {
      if (batch.some((e) => e.type === "task.progress")) break;
    }
    await engine.cancelTask(tasker, task.id, "enough");
    const { task: next } = await engine.createTask(tasker, {
      kind: "mock",
      input: { steps: 1, interval_ms: 0 },
    });
    await untilDone(next.id);
    expect((await engine.getTask(tasker, next.id)).state).toBe("succeeded");
    expect((await engine.getTask(tasker, task.id)).state).toBe("canceled");
  });

  it("releases unfinished work on stop so the attempt does not count", async () => {
    const w = await startEmbeddedWorker(engine, { concurrency: 1 });
    const { task } = await engine.createTask(tasker, {
      kind: "mock",
      input: { steps: 10_000, interval_ms: 20 },
    });
    for await (const batch of engine.streamTaskEvents(
      tasker,
      task.id,
      0,
      new AbortController().signal,
    )) {
      if (batch.some((e) => e.type === "task.progress")) break;
    }
    await w.stop({ graceMs: 0 });
    const after = await engine.getTask(tasker, task.id);
    expect(after.state).toBe("queued");
    expect(after.attempts).toBe(0);
    expect((await engine.listAttempts(tasker, task.id)).map((a) => a.outcome)).toEqual([
      "released",
    ]);
  });
});
