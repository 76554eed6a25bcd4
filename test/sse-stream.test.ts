/**
 * SSE details over a real socket: headers, keep-alive comments, close after the terminal event,
 * clean-up when the client leaves or the server shuts down, and the tenant-wide stream.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LocalNotifier } from "../src/engine/index.js";
import { makeHarness, type Harness } from "./http-harness.js";
import { readSse, type SseFrame } from "./sse-harness.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let h: Harness;
let base: string;

beforeEach(async () => {
  h = await makeHarness({ config: { sseKeepAliveMs: 25, sseRetryMs: 10 } });
  base = await h.app.listen({ host: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await h.close();
});

async function post(path: string, who: "tasker" | "worker", body: unknown = {}): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...h.auth(who), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Json;
}

const listeners = () => (h.engine.notifier as LocalNotifier).listenerCount();

describe("task event stream", () => {
  it("sends the SSE headers, a retry hint, events with id = seq, and keep-alive comments while idle", async () => {
    const task = await post("/v1/tasks", "tasker", { kind: "demo" });
    const frames: SseFrame[] = [];
    const outcome = await readSse(
      `${base}/v1/tasks/${task.id}/events`,
      h.auth("tasker"),
      (f) => {
        frames.push(f);
      },
      { onComment: (c) => (c === "keep-alive" ? false : undefined) },
    );
    expect(outcome.status).toBe(200);
    expect(outcome.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(outcome.headers["cache-control"]).toBe("no-cache, no-transform");
    expect(outcome.headers["x-accel-buffering"]).toBe("no");
    expect(outcome.how).toBe("dropped"); // on the first keep-alive comment
    expect(outcome.comments).toContain("keep-alive");
    expect(frames.map((f) => [f.id, f.event])).toEqual([["1", "task.created"]]);
    expect(JSON.parse(frames[0]!.data)).toMatchObject({
      task_id: task.id,
      seq: 1,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("tails live events and closes after the terminal one", async () => {
    const task = await post("/v1/tasks", "tasker", { kind: "demo" });
    const worker = await post("/v1/workers", "worker", { name: "w", kinds: ["demo"] });
    const seen: string[] = [];
    let leaseId = "";
    const reading = readSse(`${base}/v1/tasks/${task.id}/events`, h.auth("tasker"), (f) => {
      seen.push(f.event!);
    });
    await vi.waitFor(() => expect(seen).toEqual(["task.created"]));
    leaseId = (await post("/v1/leases/claim", "worker", { worker_id: worker.id })).leases[0]
      .lease_id;
    await post(`/v1/leases/${leaseId}/events`, "worker", {
      events: [{ type: "task.output", data: { stream: "stdout", text: "hello\n" } }],
    });
    await post(`/v1/leases/${leaseId}/complete`, "worker", { result: 1 });
    const outcome = await reading;
    expect(outcome.how).toBe("ended");
    expect(seen).toEqual(["task.created", "task.leased", "task.output", "task.succeeded"]);
  });

  it("lets go of the engine subscription when the client disconnects", async () => {
    const task = await post("/v1/tasks", "tasker", { kind: "demo" });
    expect(listeners()).toBe(0);
    const outcome = await readSse(`${base}/v1/tasks/${task.id}/events`, h.auth("tasker"), () => {
      expect(listeners()).toBe(1);
      expect(h.app.errandLive.size).toBe(1);
      return false;
    });
    expect(outcome.how).toBe("dropped");
    await vi.waitFor(() => {
      expect(listeners()).toBe(0);
      expect(h.app.errandLive.size).toBe(0);
    });
  });

  it("ends open streams when the server shuts down", async () => {
    const task = await post("/v1/tasks", "tasker", { kind: "demo" });
    let closing: Promise<void> | null = null;
    const outcome = await readSse(`${base}/v1/tasks/${task.id}/events`, h.auth("tasker"), () => {
      closing ??= h.app.close();
    });
    expect(outcome.how).toBe("ended");
    await closing;
    expect(listeners()).toBe(0);
  });
});

describe("tenant stream", () => {
  it("carries state changes only, starts now without Last-Event-ID, and resumes with it", async () => {
    const before = await post("/v1/tasks", "tasker", { kind: "demo" }); // not in the stream
    const worker = await post("/v1/workers", "worker", { name: "w", kinds: ["demo"] });
    const url = `${base}/v1/events`;
    const first: Json[] = [];
    let created: Json | null = null;
    const reading = readSse(url, h.auth("tasker"), (f) => {
      first.push({ ...(JSON.parse(f.data) as Json), frameId: f.id, frameEvent: f.event });
      return first.length < 2;
    });
    await vi.waitFor(async () => {
      expect(h.app.errandLive.size).toBe(1);
    });
    created = await post("/v1/tasks", "tasker", { kind: "demo" });
    const lease = (await post("/v1/leases/claim", "worker", { worker_id: worker.id })).leases[0];
    await reading;
    expect(first.map((e) => [e.task_id, e.type])).toEqual([
      [created.id, "task.created"],
      [lease.task.id, "task.leased"],
    ]);
    expect(before.id).not.toBe(created.id);
    expect(lease.task.id).toBe(before.id); // the older task is claimed first
    expect(Number(first[1]!.frameId)).toBeGreaterThan(Number(first[0]!.frameId));
    expect(first[0]!.id).toBe(Number(first[0]!.frameId));

    // While nobody listens: a progress event (not a state change) and a cancel.
    await post(`/v1/leases/${lease.lease_id}/events`, "worker", {
      events: [{ type: "task.progress", data: { current: 1 } }],
    });
    await post(`/v1/tasks/${created.id}/cancel`, "tasker");

    const resumed: Json[] = [];
    await readSse(url, { ...h.auth("tasker"), "last-event-id": first[1]!.frameId }, (f) => {
      resumed.push(JSON.parse(f.data) as Json);
      return false;
    });
    expect(resumed.map((e) => [e.task_id, e.type])).toEqual([[created.id, "task.canceled"]]);
  });

  it("refuses a bad credential with 401 before the stream starts", async () => {
    const outcome = await readSse(
      `${base}/v1/events`,
      { authorization: "Bearer nope" },
      () => undefined,
    );
    expect(outcome.status).toBe(401);
  });
});
