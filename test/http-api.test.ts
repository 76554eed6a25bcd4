/** Every REST route's happy path, in process (`app.inject()`) over a real SQLite file. */
import { compactVerify, createLocalJWKSet } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeHarness, type Harness } from "./http-harness.js";

let h: Harness;

beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(
  method: "GET" | "POST",
  url: string,
  who: "admin" | "tasker" | "worker" | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json; headers: Record<string, unknown> }> {
  const res = await h.app.inject({
    method,
    url,
    headers: { ...(who ? h.auth(who) : {}), ...headers },
    ...(body === undefined ? {} : { payload: body as Json }),
  });
  return {
    status: res.statusCode,
    json: res.body === "" ? {} : (JSON.parse(res.body) as Json),
    headers: res.headers,
  };
}

async function announce(): Promise<string> {
  const res = await call("POST", "/v1/workers", "worker", {
    name: "w1",
    kinds: ["demo"],
    labels: ["gpu"],
    capacity: 2,
    version: "1.0",
  });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

async function claimOne(workerId: string): Promise<{ leaseId: string; task: Json }> {
  const res = await call("POST", "/v1/leases/claim", "worker", { worker_id: workerId, max: 1 });
  expect(res.status).toBe(200);
  expect(res.json.leases).toHaveLength(1);
  const lease = res.json.leases[0];
  return { leaseId: lease.lease_id, task: lease.task };
}

describe("tasks", () => {
  it("creates a task (201), replays it by Idempotency-Key (200) and refuses a changed body (409)", async () => {
    const body = { kind: "demo", input: { n: 1 }, priority: 5, labels: { team: "a" } };
    const first = await call("POST", "/v1/tasks", "tasker", body, { "idempotency-key": "k-1" });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      kind: "demo",
      input: { n: 1 },
      state: "queued",
      priority: 5,
      idempotency_key: "k-1",
      last_seq: 1,
      lease: null,
    });
    expect(first.json.id).toMatch(/^tsk_/);

    const replay = await call("POST", "/v1/tasks", "tasker", { ...body, idempotency_key: "k-1" });
    expect(replay.status).toBe(200);
    expect(replay.json.id).toBe(first.json.id);

    const conflict = await call(
      "POST",
      "/v1/tasks",
      "tasker",
      { ...body, priority: 6 },
      {
        "idempotency-key": "k-1",
      },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.json.code).toBe("idempotency_conflict");

    const read = await call("GET", `/v1/tasks/${first.json.id}`, "tasker");
    expect(read.status).toBe(200);
    expect(read.json).toEqual(first.json);
  });

  it("creates a batch all at once and lists with filters and cursor pages", async () => {
    const batch = await call("POST", "/v1/tasks/batch", "tasker", {
      tasks: [
        { kind: "demo", labels: { team: "a" } },
        { kind: "demo", labels: { team: "b" } },
        { kind: "other", queue: "slow" },
      ],
    });
    expect(batch.status).toBe(201);
    expect(batch.json.tasks).toHaveLength(3);

    const page1 = await call("GET", "/v1/tasks?limit=2", "tasker");
    expect(page1.json.items).toHaveLength(2);
    expect(page1.json.next_cursor).toEqual(expect.any(String));
    const page2 = await call("GET", `/v1/tasks?limit=2&cursor=${page1.json.next_cursor}`, "tasker");
    expect(page2.json.items).toHaveLength(1);
    expect(page2.json.next_cursor).toBeNull();
    const all = [...page1.json.items, ...page2.json.items].map((t: Json) => t.id);
    expect(new Set(all).size).toBe(3);
    // Newest first.
    expect(all).toEqual([...batch.json.tasks].reverse().map((t: Json) => t.id));

    const byKind = await call("GET", "/v1/tasks?kind=other", "tasker");
    expect(byKind.json.items.map((t: Json) => t.queue)).toEqual(["slow"]);
    const byLabel = await call("GET", "/v1/tasks?label=team%3Db", "tasker");
    expect(byLabel.json.items).toHaveLength(1);
    expect(byLabel.json.items[0].labels).toEqual({ team: "b" });
    const byState = await call(
      "GET",
      "/v1/tasks?state=queued&state=running&queue=default",
      "tasker",
    );
    expect(byState.json.items).toHaveLength(2);
  });

  it("cancels a queued task, answers a second cancel with the same task, refuses a succeeded one", async () => {
    const created = await call("POST", "/v1/tasks", "tasker", { kind: "demo" });
    const canceled = await call("POST", `/v1/tasks/${created.json.id}/cancel`, "tasker", {
      reason: "not needed",
    });
    expect(canceled.status).toBe(200);
    expect(canceled.json.state).toBe("canceled");
    const again = await call("POST", `/v1/tasks/${created.json.id}/cancel`, "tasker");
    expect(again.status).toBe(200);
    expect(again.json.state).toBe("canceled");

    const workerId = await announce();
    const other = await call("POST", "/v1/tasks", "tasker", { kind: "demo" });
    const { leaseId } = await claimOne(workerId);
    await call("POST", `/v1/leases/${leaseId}/complete`, "worker", { result: 1 });
    const refused = await call("POST", `/v1/tasks/${other.json.id}/cancel`, "tasker");
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("task_terminal");
  });
});

describe("workers and leases", () => {
  it("runs a task through announce, claim, renew, events, meta, complete; shows the lease id only to its holder", async () => {
    const workerId = await announce();
    const again = await call("POST", "/v1/workers", "worker", {
      id: workerId,
      name: "w1",
      kinds: ["demo"],
    });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(workerId);
    const beat = await call("POST", `/v1/workers/${workerId}/heartbeat`, "worker");
    expect(beat.status).toBe(200);
    const listed = await call("GET", "/v1/workers", "tasker");
    expect(listed.json.items.map((w: Json) => w.id)).toEqual([workerId]);

    const created = await call("POST", "/v1/tasks", "tasker", { kind: "demo", input: { x: 1 } });
    const { leaseId, task } = await claimOne(workerId);
    expect(leaseId).toMatch(/^lse_/);
    expect(task.id).toBe(created.json.id);
    expect(task.state).toBe("running");
    expect(task.lease.id).toBe(leaseId);

    const seen = await call("GET", `/v1/tasks/${task.id}`, "tasker");
    expect(seen.json.lease.worker_id).toBe(workerId);
    expect(seen.json.lease).not.toHaveProperty("id");
    expect(JSON.stringify(seen.json)).not.toContain(leaseId);
    // The fencing token is in no log a tasker (or another worker) can read.
    const log = await call("GET", `/v1/tasks/${task.id}/events`, "tasker");
    expect(log.json.events.map((e: { type: string }) => e.type)).toContain("task.leased");
    expect(JSON.stringify(log.json)).not.toContain(leaseId);
    const runs = await call("GET", `/v1/tasks/${task.id}/attempts`, "tasker");
    expect(runs.json.items).toHaveLength(1);
    expect(JSON.stringify(runs.json)).not.toContain(leaseId);

    const renewed = await call("POST", `/v1/leases/${leaseId}/renew`, "worker");
    expect(renewed.status).toBe(200);
    expect(renewed.json).toMatchObject({
      lease_id: leaseId,
      cancel_requested: false,
      state: "running",
    });

    const appended = await call("POST", `/v1/leases/${leaseId}/events`, "worker", {
      events: [
        { type: "task.progress", data: { current: 1, total: 2 } },
        { type: "task.output", data: { stream: "stdout", text: "hi\n" } },
      ],
    });
    expect(appended.status).toBe(200);
    expect(appended.json).toEqual({ last_seq: 4 });

    const meta = await call("POST", `/v1/leases/${leaseId}/meta`, "worker", {
      provider: "anthropic",
      model: "m-1",
    });
    expect(meta.status).toBe(204);

    const done = await call("POST", `/v1/leases/${leaseId}/complete`, "worker", {
      result: { ok: 1 },
    });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ state: "succeeded", result: { ok: 1 }, last_seq: 5 });

    const attempts = await call("GET", `/v1/tasks/${task.id}/attempts`, "tasker");
    expect(attempts.json.items).toHaveLength(1);
    expect(attempts.json.items[0]).toMatchObject({
      number: 1,
      worker_id: workerId,
      outcome: "succeeded",
      meta: { provider: "anthropic", model: "m-1" },
    });

    const events = await call("GET", `/v1/tasks/${task.id}/events`, "tasker");
    expect(events.json.events.map((e: Json) => e.type)).toEqual([
      "task.created",
      "task.leased",
      "task.progress",
      "task.output",
      "task.succeeded",
    ]);
    expect(events.json).toMatchObject({ next_after: 5, state: "succeeded", terminal: true });
    const page = await call("GET", `/v1/tasks/${task.id}/events?after=2&limit=2`, "tasker");
    expect(page.json.events.map((e: Json) => e.seq)).toEqual([3, 4]);
    expect(page.json.next_after).toBe(4);

    const verify = await call("GET", `/v1/tasks/${task.id}/verify`, "tasker");
    expect(verify.json).toEqual({ ok: true, checked: 5, head_hash: done.json.head_hash });

    // The stale lease is refused afterwards.
    const late = await call("POST", `/v1/leases/${leaseId}/events`, "worker", {
      events: [{ type: "task.log", data: { message: "late" } }],
    });
    expect(late.status).toBe(409);
    expect(late.json.code).toBe("lease_lost");
  });

  it("fails with a retry, releases, and fails for good", async () => {
    const workerId = await announce();
    const created = await call("POST", "/v1/tasks", "tasker", {
      kind: "demo",
      max_attempts: 2,
      backoff_base_ms: 0,
      backoff_max_ms: 0,
    });
    let lease = await claimOne(workerId);
    const retried = await call("POST", `/v1/leases/${lease.leaseId}/fail`, "worker", {
      error: { message: "flaky", code: "E1" },
    });
    expect(retried.json).toMatchObject({ state: "queued", attempts: 1 });

    lease = await claimOne(workerId);
    const released = await call("POST", `/v1/leases/${lease.leaseId}/release`, "worker", {
      reason: "shutting down",
    });
    expect(released.json).toMatchObject({ state: "queued", attempts: 1 });

    lease = await claimOne(workerId);
    const failed = await call("POST", `/v1/leases/${lease.leaseId}/fail`, "worker", {
      error: { message: "broken" },
      retryable: false,
    });
    expect(failed.json).toMatchObject({ id: created.json.id, state: "failed" });
    expect(failed.json.error).toMatchObject({ message: "broken" });
  });

  it("long-polls a claim until a task is created", async () => {
    const workerId = await announce();
    const pending = call("POST", "/v1/leases/claim", "worker", {
      worker_id: workerId,
      wait_ms: 30_000,
    });
    await call("POST", "/v1/tasks", "tasker", { kind: "demo" });
    const res = await pending;
    expect(res.json.leases).toHaveLength(1);
  });

  it("long-polls an event page until an event arrives", async () => {
    const workerId = await announce();
    const created = await call("POST", "/v1/tasks", "tasker", { kind: "demo" });
    const { leaseId } = await claimOne(workerId);
    const pending = call("GET", `/v1/tasks/${created.json.id}/events?after=2&wait=30`, "tasker");
    await call("POST", `/v1/leases/${leaseId}/events`, "worker", {
      events: [{ type: "task.log", data: { message: "hello" } }],
    });
    const res = await pending;
    expect(res.json.events.map((e: Json) => e.type)).toEqual(["task.log"]);
    expect(res.json.terminal).toBe(false);
  });
});

describe("receipts and obligations", () => {
  it("signs a receipt verifiable with the JWKS, lists unacked receipts and open obligations, acks", async () => {
    const workerId = await announce();
    const open = await call("POST", "/v1/tasks", "tasker", { kind: "other" });
    const created = await call("POST", "/v1/tasks", "tasker", { kind: "demo" });
    const { leaseId } = await claimOne(workerId);
    await call("POST", `/v1/leases/${leaseId}/complete`, "worker", { result: "done" });

    const receipt = await call("GET", `/v1/tasks/${created.json.id}/receipt`, "tasker");
    expect(receipt.status).toBe(200);
    expect(receipt.json).toMatchObject({ id: created.json.id, state: "succeeded" });
    const jwks = await call("GET", "/.well-known/jwks.json", null);
    expect(jwks.status).toBe(200);
    const verified = await compactVerify(receipt.json.jws, createLocalJWKSet(jwks.json as never));
    const statement = JSON.parse(new TextDecoder().decode(verified.payload));
    expect(statement).toMatchObject({ task_id: created.json.id, state: "succeeded" });

    const unacked = await call("GET", "/v1/receipts?unacked=1", "tasker");
    expect(unacked.json.items.map((r: Json) => r.id)).toEqual([created.json.id]);
    const obligations = await call("GET", "/v1/obligations/open", "tasker");
    expect(obligations.json.tasks.map((t: Json) => t.id)).toEqual([open.json.id]);
    expect(obligations.json.receipts.map((r: Json) => r.id)).toEqual([created.json.id]);

    const acked = await call("POST", `/v1/receipts/${created.json.id}/ack`, "tasker");
    expect(acked.status).toBe(200);
    expect(acked.json.acked_at).toEqual(expect.any(String));
    expect((await call("GET", "/v1/receipts?unacked=1", "tasker")).json.items).toEqual([]);
    expect((await call("GET", "/v1/receipts", "tasker")).json.items).toHaveLength(1);
  });
});

describe("operators", () => {
  it("creates, lists and revokes keys; a revoked key is refused", async () => {
    const created = await call("POST", "/v1/keys", "admin", { name: "ci", scopes: ["tasker"] });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^ek_/);
    const listed = await call("GET", "/v1/keys", "admin");
    expect(listed.json.items.map((k: Json) => k.name)).toContain("ci");
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);

    const headers = { authorization: `Bearer ${created.json.key}` };
    expect((await call("GET", "/v1/tasks", null, undefined, headers)).status).toBe(200);
    const revoked = await call("POST", `/v1/keys/${created.json.id}/revoke`, "admin");
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toEqual(expect.any(String));
    // The engine caches keys for a few seconds; a fresh request after revocation through the
    // same engine sees the revocation at once because revokeKey drops the cache entry.
    const after = await call("GET", "/v1/tasks", null, undefined, headers);
    expect(after.status).toBe(401);
    expect(after.json.code).toBe("unauthenticated");
  });

  it("answers health without a credential, config with one, and an OpenAPI document listing every route", async () => {
    const health = await call("GET", "/v1/health", null);
    expect(health.json).toMatchObject({ status: "ok", backend: "sqlite" });
    const config = await call("GET", "/v1/config", "tasker");
    expect(config.json).toMatchObject({
      backend: "sqlite",
      body_limit: 1024 * 1024,
      insecure: false,
    });
    expect(JSON.stringify(config.json)).not.toContain(h.keys.tasker);

    const doc = await call("GET", "/openapi.json", null);
    expect(doc.json.openapi).toBe("3.1.0");
    const paths = doc.json.paths as Record<string, Record<string, Json>>;
    const routes = h.app.printRoutes({ commonPrefix: false });
    for (const [path, methods] of Object.entries(paths)) {
      for (const method of Object.keys(methods)) {
        expect(
          h.app.hasRoute({
            method: method.toUpperCase() as "GET",
            url: path.replace(/\{(\w+)\}/g, ":$1"),
          }),
          `${method} ${path}`,
        ).toBe(true);
      }
    }
    expect(routes).toContain("/v1/leases/");
    expect(Object.keys(paths).length).toBeGreaterThanOrEqual(25);
    expect(
      paths["/v1/tasks"]!.post!.requestBody.content["application/json"].schema.required,
    ).toEqual(["kind"]);
    expect(paths["/v1/tasks/{id}/events"]!.get!.parameters.map((p: Json) => p.name)).toEqual([
      "id",
      "after",
      "limit",
      "wait",
    ]);
  });
});
