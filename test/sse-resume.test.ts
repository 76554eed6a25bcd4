/**
 * Resumable streams: while a producer appends 2,000 events through the lease API, a
 * reader drops its SSE connection at random points (at least 20 times) and resumes with
 * Last-Event-ID, and ends up with exactly seq 1..N once each. The same with the `eventsource`
 * package (a standard EventSource) whose connections the server cuts. A reader already caught
 * up on a terminal task gets 204.
 */
import type { Socket } from "node:net";
import { EventSource } from "eventsource";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALL_EVENT_TYPES } from "../src/core/index.js";
import { makeHarness, type Harness } from "./http-harness.js";
import { Pace, prng, produce, readSse } from "./sse-harness.js";

const EVENTS = 2000;
const LEAD = 150;

let h: Harness;
let base: string;

beforeEach(async () => {
  h = await makeHarness({ config: { sseRetryMs: 5, sseKeepAliveMs: 60_000 } });
  base = await h.app.listen({ host: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(path: string, who: "tasker" | "worker", body: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { ...h.auth(who), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as Json;
}

/** A running task and its lease. */
async function runningTask(): Promise<{ taskId: string; leaseId: string }> {
  const task = await post("/v1/tasks", "tasker", { kind: "demo" });
  const worker = await post("/v1/workers", "worker", { name: "producer", kinds: ["demo"] });
  const claimed = await post("/v1/leases/claim", "worker", { worker_id: worker.id });
  return { taskId: task.id as string, leaseId: claimed.leases[0].lease_id as string };
}

function expectOneToN(seqs: readonly number[], n: number): void {
  expect(seqs.length).toBe(n);
  const wrong = seqs.findIndex((seq, i) => seq !== i + 1);
  expect(
    wrong,
    `first out-of-place position ${wrong}: ${seqs.slice(Math.max(0, wrong - 3), wrong + 3).join(",")}`,
  ).toBe(-1);
}

describe("SSE resume under random drops", () => {
  it("node:http reader dropping ≥ 20 times sees seq 1..N exactly once", async () => {
    const seed = Date.now() % 100_000;
    const random = prng(seed);
    const { taskId, leaseId } = await runningTask();
    const pace = new Pace();
    const producing = produce({
      base,
      workerKey: h.keys.worker,
      leaseId,
      total: EVENTS,
      random: prng(seed + 1),
      pace,
      lead: LEAD,
    });

    const url = `${base}/v1/tasks/${taskId}/events`;
    const seqs: number[] = [];
    const types: string[] = [];
    let last = 0;
    let drops = 0;
    let liveDrops = 0;
    let producerDone = false;
    void producing.then(
      () => (producerDone = true),
      () => undefined,
    );
    let connections = 0;
    while (true) {
      connections += 1;
      expect(connections, `seed ${seed}: too many connections`).toBeLessThan(1000);
      // Resume by Last-Event-ID mostly, and by ?after= every fifth time.
      const byQuery = connections % 5 === 0 && last > 0;
      const target = byQuery ? `${url}?after=${last}` : url;
      const headers: Record<string, string> = { ...h.auth("tasker") };
      if (!byQuery && last > 0) headers["last-event-id"] = String(last);
      const dropAfter = random(80); // 0 drops right after the headers
      let inThisConnection = 0;
      const outcome = await readSse(
        target,
        headers,
        (frame) => {
          const seq = Number(frame.id);
          const event = JSON.parse(frame.data) as { seq: number; type: string; task_id: string };
          expect(event.seq).toBe(seq);
          expect(event.type).toBe(frame.event);
          expect(event.task_id).toBe(taskId);
          seqs.push(seq);
          types.push(event.type);
          last = seq;
          pace.reached(seq);
          inThisConnection += 1;
          return inThisConnection < dropAfter;
        },
        { dropOnOpen: dropAfter === 0 },
      );
      if (outcome.status === 204) break;
      expect(outcome.status).toBe(200);
      expect(outcome.headers["content-type"]).toMatch(/^text\/event-stream/);
      if (outcome.how === "dropped") {
        drops += 1;
        if (!producerDone) liveDrops += 1;
      }
    }
    const lastSeq = await producing;
    expect(lastSeq).toBe(EVENTS + 3); // created, leased, 2,000 progress, succeeded
    expectOneToN(seqs, lastSeq);
    expect(types[0]).toBe("task.created");
    expect(types[1]).toBe("task.leased");
    expect(types.at(-1)).toBe("task.succeeded");
    if (process.env.ERRAND_TEST_FIGURES)
      console.log({ seed, drops, liveDrops, connections, lastSeq });
    expect(drops, `seed ${seed}`).toBeGreaterThanOrEqual(20);
    expect(
      liveDrops,
      `seed ${seed}: drops while the producer was still appending`,
    ).toBeGreaterThanOrEqual(5);
  });

  it("an EventSource whose connection the server cuts ≥ 20 times sees seq 1..N exactly once", async () => {
    const seed = Date.now() % 100_000;
    const random = prng(seed);
    const { taskId, leaseId } = await runningTask();

    // The server side of each SSE connection, so the test can cut it like a flaky network.
    let current: Socket | null = null;
    h.app.server.on("request", (req) => {
      if (String(req.headers.accept).includes("text/event-stream")) current = req.socket;
    });

    const pace = new Pace();
    const producing = produce({
      base,
      workerKey: h.keys.worker,
      leaseId,
      total: EVENTS,
      random: prng(seed + 1),
      pace,
      lead: LEAD,
    });

    const auth = h.auth("tasker").authorization;
    const seqs: number[] = [];
    let opens = 0;
    let cuts = 0;
    let cutAt = 1 + random(80);
    const es = new EventSource(`${base}/v1/tasks/${taskId}/events`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), authorization: auth },
        }),
    });
    const finished = new Promise<void>((resolve) => {
      es.addEventListener("open", () => {
        opens += 1;
      });
      es.addEventListener("error", () => {
        if (es.readyState === EventSource.CLOSED) resolve();
      });
      for (const type of ALL_EVENT_TYPES) {
        es.addEventListener(type, (message) => {
          const seq = Number(message.lastEventId);
          const event = JSON.parse(message.data) as { seq: number; type: string };
          expect(event.seq).toBe(seq);
          expect(event.type).toBe(type);
          seqs.push(seq);
          if (seq !== seqs.length) {
            // A gap or a duplicate: stop here and let the assertions below report it.
            es.close();
            pace.reached(Number.MAX_SAFE_INTEGER); // let the producer finish
            resolve();
            return;
          }
          pace.reached(seq);
          cutAt -= 1;
          if (cutAt === 0) {
            cutAt = 1 + random(80);
            // Events still in flight after a cut arrive too; count only cuts of a live socket.
            if (current && !current.destroyed) {
              cuts += 1;
              current.destroy();
            }
          }
        });
      }
    });
    await finished;
    es.close();
    const lastSeq = await producing;

    expect(lastSeq).toBe(EVENTS + 3);
    expectOneToN(seqs, lastSeq);
    if (process.env.ERRAND_TEST_FIGURES) console.log({ seed, cuts, opens, lastSeq });
    expect(cuts, `seed ${seed}`).toBeGreaterThanOrEqual(20);
    // Every cut was followed by a reconnect with Last-Event-ID; the last one was told 204.
    expect(opens, `seed ${seed}`).toBeGreaterThanOrEqual(cuts);
  });

  it("answers 204 to a reader caught up on a terminal task, and streams the rest to one that is not", async () => {
    const { taskId, leaseId } = await runningTask();
    await post(`/v1/leases/${leaseId}/events`, "worker", {
      events: [{ type: "task.log", data: { message: "a" } }],
    });
    await post(`/v1/leases/${leaseId}/complete`, "worker", {});
    const url = `${base}/v1/tasks/${taskId}/events`;
    const auth = h.auth("tasker");

    const byHeader = await readSse(url, { ...auth, "last-event-id": "4" }, () => undefined);
    expect(byHeader.status).toBe(204);
    const byQuery = await readSse(`${url}?after=4`, auth, () => undefined);
    expect(byQuery.status).toBe(204);

    const seen: number[] = [];
    const rest = await readSse(url, { ...auth, "last-event-id": "2" }, (f) => {
      seen.push(Number(f.id));
    });
    expect(rest).toMatchObject({ status: 200, how: "ended" });
    expect(seen).toEqual([3, 4]);
  });
});
