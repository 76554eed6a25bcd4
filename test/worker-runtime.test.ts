/** The SDK's worker runtime over the in-process transport, against a real engine and store. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskAbortedError, WorkerRuntime, type PendingEvent } from "@errand/client";
import { ManualClock, type Principal } from "../src/core/index.js";
import { Engine } from "../src/engine/engine.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { InProcessTransport } from "../src/worker/in-process-transport.js";

const tasker: Principal = {
  id: "test-tasker",
  tenantId: "default",
  scopes: ["tasker"],
  via: "internal",
};

class CountingTransport extends InProcessTransport {
  readonly batches: number[] = [];
  override appendEvents(leaseId: string, events: readonly PendingEvent[]) {
    this.batches.push(events.length);
    return super.appendEvents(leaseId, events);
  }
}

let dir: string;
let clock: ManualClock;
let engine: Engine;
let runtime: WorkerRuntime | null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-runtime-"));
  clock = new ManualClock();
  engine = new Engine({
    store: openSqliteStore({ path: join(dir, "errand.db") }),
    clock,
    sweepIntervalMs: 0,
  });
  await engine.start();
  runtime = null;
});

afterEach(async () => {
  await runtime?.stop({ graceMs: 0 });
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function finished(id: string) {
  for await (const _ of engine.streamTaskEvents(tasker, id, 0, new AbortController().signal)) {
    // until the terminal event
  }
  return engine.getTask(tasker, id);
}

describe("worker runtime", () => {
  it("aborts the handler with lease_lost when its lease expired, and writes nothing after", async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((r) => (started = r));
    let aborted: (reason: unknown) => void = () => {};
    const abortReason = new Promise<unknown>((r) => (aborted = r));
    runtime = new WorkerRuntime(new InProcessTransport(engine), { concurrency: 1 });
    runtime.handle("slow", async (_task, ctx) => {
      started();
      await new Promise((r) => ctx.signal.addEventListener("abort", r));
      aborted(ctx.signal.reason);
      ctx.log("too late");
      return { late: true };
    });
    await runtime.start();
    const { task } = await engine.createTask(tasker, {
      kind: "slow",
      lease_ttl_ms: 1_000,
      max_attempts: 1,
    });
    await running;
    clock.advance(5_000);
    expect(await engine.sweep()).toBe(1);
    const reason = await abortReason;
    expect(reason).toBeInstanceOf(TaskAbortedError);
    expect((reason as TaskAbortedError).reason).toBe("lease_lost");
    const after = await engine.getTask(tasker, task.id);
    expect(after.state).toBe("failed");
    expect(after.error?.code).toBe("lease_expired");
    const events = await engine.readEvents(tasker, task.id, 0, 100);
    expect(events.events.map((e) => e.type)).not.toContain("task.log");
  });

  it("batches events, in order, and sends them before completing", async () => {
    const transport = new CountingTransport(engine);
    runtime = new WorkerRuntime(transport, { concurrency: 1 });
    runtime.handle("chatty", (_task, ctx) => {
      for (let i = 0; i < 600; i++) ctx.log(`line ${i}`);
      return { lines: 600 };
    });
    await runtime.start();
    const { task } = await engine.createTask(tasker, { kind: "chatty" });
    const done = await finished(task.id);
    expect(done.state).toBe("succeeded");
    const page = await engine.readEvents(tasker, task.id, 0, 1000);
    const logs = page.events
      .filter((e) => e.type === "task.log")
      .map((e) => (e.data as { message: string }).message);
    expect(logs).toEqual(Array.from({ length: 600 }, (_, i) => `line ${i}`));
    expect(page.events.at(-1)?.type).toBe("task.succeeded");
    expect(transport.batches.reduce((a, b) => a + b, 0)).toBe(600);
    expect(transport.batches.length).toBeLessThanOrEqual(3);
  });

  it("lets running work finish within the grace period on stop", async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((r) => (started = r));
    runtime = new WorkerRuntime(new InProcessTransport(engine), { concurrency: 2 });
    runtime.handle("brief", async () => {
      started();
      await new Promise((r) => setTimeout(r, 100));
      return "finished";
    });
    await runtime.start();
    const { task } = await engine.createTask(tasker, { kind: "brief" });
    await running;
    await runtime.stop({ graceMs: 10_000 });
    const after = await engine.getTask(tasker, task.id);
    expect(after.state).toBe("succeeded");
    expect(after.result).toBe("finished");
  });

  it("fails with the handler's code and details, and retries unless retryable is false", async () => {
    runtime = new WorkerRuntime(new InProcessTransport(engine), { concurrency: 1 });
    runtime.handle("flaky", (task) => {
      const input = task.input as { final: boolean };
      throw Object.assign(new Error("nope"), {
        code: "flaky",
        details: { x: 1 },
        retryable: !input.final,
      });
    });
    await runtime.start();
    const { task: final } = await engine.createTask(tasker, {
      kind: "flaky",
      input: { final: true },
      max_attempts: 3,
    });
    const a = await finished(final.id);
    expect([a.state, a.attempts, a.error]).toEqual([
      "failed",
      1,
      { message: "nope", code: "flaky", details: { x: 1 } },
    ]);
    const { task: retried } = await engine.createTask(tasker, {
      kind: "flaky",
      input: { final: false },
      max_attempts: 2,
      backoff_base_ms: 0,
      backoff_max_ms: 0,
    });
    const b = await finished(retried.id);
    expect([b.state, b.attempts]).toEqual(["failed", 2]);
  });

  it("refuses to start without a handler for a kind it claims", async () => {
    runtime = new WorkerRuntime(new InProcessTransport(engine), { kinds: ["a", "b"] });
    runtime.handle("a", () => null);
    await expect(runtime.start()).rejects.toThrow("no handler for kind(s): b");
    runtime = null;
  });
});
