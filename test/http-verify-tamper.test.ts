/**
 * `GET /v1/tasks/{id}/verify` recomputes the hash chain: editing one stored event in the SQLite
 * file behind the server's back makes it fail and name that seq.
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeHarness, type Harness } from "./http-harness.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

async function post(url: string, who: "tasker" | "worker", payload: Json): Promise<Json> {
  const res = await h.app.inject({ method: "POST", url, headers: h.auth(who), payload });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return JSON.parse(res.body) as Json;
}

async function verify(id: string): Promise<Json> {
  const res = await h.app.inject({
    method: "GET",
    url: `/v1/tasks/${id}/verify`,
    headers: h.auth("tasker"),
  });
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body) as Json;
}

/** A task with the log created, leased, 10 progress events, succeeded (13 events). */
async function finishedTask(): Promise<string> {
  const task = await post("/v1/tasks", "tasker", { kind: "demo" });
  const worker = await post("/v1/workers", "worker", { name: "w", kinds: ["demo"] });
  const claimed = await post("/v1/leases/claim", "worker", { worker_id: worker.id });
  const leaseId = claimed.leases[0].lease_id as string;
  await post(`/v1/leases/${leaseId}/events`, "worker", {
    events: Array.from({ length: 10 }, (_, i) => ({
      type: "task.progress",
      data: { current: i + 1, total: 10 },
    })),
  });
  await post(`/v1/leases/${leaseId}/complete`, "worker", { result: { answer: 42 } });
  return task.id as string;
}

function editEvent(taskId: string, seq: number, data: unknown): void {
  const db = new Database(h.dbPath);
  try {
    const changed = db
      .prepare("UPDATE events SET data = ? WHERE task_id = ? AND seq = ?")
      .run(JSON.stringify(data), taskId, seq);
    expect(changed.changes).toBe(1);
  } finally {
    db.close();
  }
}

describe("verify", () => {
  it("passes on an untouched log and fails naming the edited seq", async () => {
    const id = await finishedTask();
    const good = await verify(id);
    expect(good).toMatchObject({ ok: true, checked: 13 });

    editEvent(id, 7, { current: 5, total: 10, message: "forged" });
    const bad = await verify(id);
    expect(bad).toMatchObject({ ok: false, bad_seq: 7, reason: "hash_mismatch" });

    // The same log, served as events, shows the forged data the chain caught.
    const events = await h.app.inject({
      method: "GET",
      url: `/v1/tasks/${id}/events?after=6&limit=1`,
      headers: h.auth("tasker"),
    });
    expect((JSON.parse(events.body) as Json).events[0].data).toMatchObject({ message: "forged" });
  });

  it("names the first edited seq when the terminal event is forged", async () => {
    const id = await finishedTask();
    editEvent(id, 13, { attempt: 1, result: { answer: 41 } });
    expect(await verify(id)).toMatchObject({ ok: false, bad_seq: 13, reason: "hash_mismatch" });
  });
});
