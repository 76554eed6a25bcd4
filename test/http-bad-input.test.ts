/**
 * Bad input of every class answers its own documented code (never a 500) and leaves every row
 * of the database as it was.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, isErrorCode } from "../src/core/index.js";
import { issueKey } from "../src/engine/index.js";
import { counts, makeHarness, snapshot, type Harness } from "./http-harness.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let h: Harness;
let taskId: string;
let workerId: string;
let leaseId: string;
let otherTenantKey: string;

beforeAll(async () => {
  h = await makeHarness({ config: { bodyLimit: 64 * 1024, rateLimit: false } });
  const tasker = await h.engine.authenticate(h.keys.tasker);
  const worker = await h.engine.authenticate(h.keys.worker);
  taskId = (await h.engine.createTask(tasker, { kind: "demo" })).task.id;
  await h.engine.createTask(tasker, { kind: "demo" });
  workerId = (await h.engine.announceWorker(worker, { name: "w", kinds: ["demo"] })).id;
  leaseId = (await h.engine.claim(worker, { worker_id: workerId }))[0]!.leaseId;
  await h.engine.appendEvents(worker, leaseId, [{ type: "task.log", data: { message: "x" } }]);
  // A second tenant with its own admin key: it must see nothing of the first.
  await h.store.ensureTenant({ id: "other", name: "other", createdAt: Date.now() });
  const issued = issueKey({
    tenantId: "other",
    name: "other admin",
    scopes: ["admin"],
    createdBy: null,
    now: Date.now(),
  });
  await h.store.insertApiKey(issued.record);
  otherTenantKey = issued.token;
});
afterAll(async () => {
  await h.close();
});

interface Case {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly url: string | (() => string);
  readonly who?: "admin" | "tasker" | "worker" | null;
  readonly headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly status: number;
  readonly code: string;
}

const NO_TASK = "tsk_01JD0000000000000000000000";
const NO_LEASE = "lse_01JD0000000000000000000000";
const NO_WORKER = "wkr_01JD0000000000000000000000";
const NO_KEY = "key_01JD0000000000000000000000";
const json = { "content-type": "application/json" };

const classes: Record<string, Case[]> = {
  "malformed JSON": [
    {
      name: "create",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      headers: json,
      body: '{"kind": "demo"',
      status: 400,
      code: "invalid_json",
    },
    {
      name: "events",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/events`,
      who: "worker",
      headers: json,
      body: "{events: []}",
      status: 400,
      code: "invalid_json",
    },
    {
      name: "announce",
      method: "POST",
      url: "/v1/workers",
      who: "worker",
      headers: json,
      body: "[1,",
      status: 400,
      code: "invalid_json",
    },
    {
      name: "prototype poisoning",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      headers: json,
      body: '{"kind":"demo","__proto__":{"x":1}}',
      status: 400,
      code: "invalid_json",
    },
  ],
  "wrong content type": [
    {
      name: "text/plain",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      headers: { "content-type": "text/plain" },
      body: "kind=demo",
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "form",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "kind=demo",
      status: 415,
      code: "unsupported_media_type",
    },
  ],
  "wrong types": [
    {
      name: "kind is a number",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { kind: 5 },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "priority is a string",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { kind: "demo", priority: "high" },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "priority out of range",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { kind: "demo", priority: 5000 },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "body is an array",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: [{ kind: "demo" }],
      status: 422,
      code: "validation_failed",
    },
    {
      name: "unknown field",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { kind: "demo", colour: "red" },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "batch item",
      method: "POST",
      url: "/v1/tasks/batch",
      who: "tasker",
      body: { tasks: [{ kind: "demo" }, { kind: "bad kind!" }] },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "claim max",
      method: "POST",
      url: "/v1/leases/claim",
      who: "worker",
      body: { worker_id: NO_WORKER, max: "x" },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "event type a worker may not write",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/events`,
      who: "worker",
      body: { events: [{ type: "task.succeeded" }] },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "list limit",
      method: "GET",
      url: "/v1/tasks?limit=abc",
      who: "tasker",
      status: 422,
      code: "validation_failed",
    },
    {
      name: "list state",
      method: "GET",
      url: "/v1/tasks?state=sleeping",
      who: "tasker",
      status: 422,
      code: "validation_failed",
    },
    {
      name: "events wait too long",
      method: "GET",
      url: () => `/v1/tasks/${taskId}/events?wait=600`,
      who: "tasker",
      status: 422,
      code: "validation_failed",
    },
    {
      name: "Idempotency-Key differs from the field",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      headers: { "idempotency-key": "a" },
      body: { kind: "demo", idempotency_key: "b" },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "key scope",
      method: "POST",
      url: "/v1/keys",
      who: "admin",
      body: { name: "x", scopes: ["root"] },
      status: 422,
      code: "validation_failed",
    },
  ],
  "missing fields": [
    {
      name: "no kind",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { input: 1 },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "no body at all",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      status: 422,
      code: "validation_failed",
    },
    {
      name: "fail without error",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/fail`,
      who: "worker",
      body: { retryable: false },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "announce without kinds",
      method: "POST",
      url: "/v1/workers",
      who: "worker",
      body: { name: "w" },
      status: 422,
      code: "validation_failed",
    },
    {
      name: "claim without worker",
      method: "POST",
      url: "/v1/leases/claim",
      who: "worker",
      body: {},
      status: 422,
      code: "validation_failed",
    },
    {
      name: "events without events",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/events`,
      who: "worker",
      body: {},
      status: 422,
      code: "validation_failed",
    },
  ],
  "oversized bodies": [
    {
      name: "create",
      method: "POST",
      url: "/v1/tasks",
      who: "tasker",
      body: { kind: "demo", input: "x".repeat(70 * 1024) },
      status: 413,
      code: "body_too_large",
    },
    {
      name: "events",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/events`,
      who: "worker",
      body: { events: [{ type: "task.log", data: { message: "y".repeat(70 * 1024) } }] },
      status: 413,
      code: "body_too_large",
    },
  ],
  "unknown ids": [
    {
      name: "task",
      method: "GET",
      url: `/v1/tasks/${NO_TASK}`,
      who: "tasker",
      status: 404,
      code: "task_not_found",
    },
    {
      name: "task events",
      method: "GET",
      url: `/v1/tasks/${NO_TASK}/events`,
      who: "tasker",
      status: 404,
      code: "task_not_found",
    },
    {
      name: "task events (SSE)",
      method: "GET",
      url: `/v1/tasks/${NO_TASK}/events`,
      who: "tasker",
      headers: { accept: "text/event-stream" },
      status: 404,
      code: "task_not_found",
    },
    {
      name: "cancel",
      method: "POST",
      url: `/v1/tasks/${NO_TASK}/cancel`,
      who: "tasker",
      status: 404,
      code: "task_not_found",
    },
    {
      name: "verify",
      method: "GET",
      url: `/v1/tasks/${NO_TASK}/verify`,
      who: "tasker",
      status: 404,
      code: "task_not_found",
    },
    {
      name: "receipt",
      method: "GET",
      url: `/v1/tasks/${NO_TASK}/receipt`,
      who: "tasker",
      status: 404,
      code: "task_not_found",
    },
    {
      name: "ack",
      method: "POST",
      url: `/v1/receipts/${NO_TASK}/ack`,
      who: "tasker",
      status: 404,
      code: "receipt_not_found",
    },
    {
      name: "heartbeat",
      method: "POST",
      url: `/v1/workers/${NO_WORKER}/heartbeat`,
      who: "worker",
      status: 404,
      code: "worker_not_found",
    },
    {
      name: "claim for an unannounced worker",
      method: "POST",
      url: "/v1/leases/claim",
      who: "worker",
      body: { worker_id: NO_WORKER },
      status: 404,
      code: "worker_not_found",
    },
    {
      name: "revoke",
      method: "POST",
      url: `/v1/keys/${NO_KEY}/revoke`,
      who: "admin",
      status: 404,
      code: "key_not_found",
    },
    {
      name: "lease renew",
      method: "POST",
      url: `/v1/leases/${NO_LEASE}/renew`,
      who: "worker",
      status: 409,
      code: "lease_lost",
    },
    {
      name: "lease complete",
      method: "POST",
      url: `/v1/leases/${NO_LEASE}/complete`,
      who: "worker",
      body: { result: 1 },
      status: 409,
      code: "lease_lost",
    },
    {
      name: "another tenant's task",
      method: "GET",
      url: () => `/v1/tasks/${taskId}`,
      headers: { authorization: "" },
      status: 404,
      code: "task_not_found",
    },
    {
      name: "another tenant's lease",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/complete`,
      headers: { authorization: "" },
      status: 409,
      code: "lease_lost",
    },
    {
      name: "unknown route",
      method: "GET",
      url: "/v1/nothing",
      who: "tasker",
      status: 404,
      code: "route_not_found",
    },
    {
      name: "unknown method",
      method: "POST",
      url: "/v1/health",
      who: null,
      status: 404,
      code: "route_not_found",
    },
  ],
  "malformed ids": [
    {
      name: "task",
      method: "GET",
      url: "/v1/tasks/42",
      who: "tasker",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "task with a lease prefix",
      method: "GET",
      url: `/v1/tasks/${NO_LEASE}`,
      who: "tasker",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "cancel",
      method: "POST",
      url: "/v1/tasks/%27%3B--/cancel",
      who: "tasker",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "lease",
      method: "POST",
      url: "/v1/leases/abc/renew",
      who: "worker",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "worker",
      method: "POST",
      url: "/v1/workers/abc/heartbeat",
      who: "worker",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "claim worker id",
      method: "POST",
      url: "/v1/leases/claim",
      who: "worker",
      body: { worker_id: "w-1" },
      status: 400,
      code: "invalid_id",
    },
    {
      name: "key",
      method: "POST",
      url: "/v1/keys/abc/revoke",
      who: "admin",
      status: 400,
      code: "invalid_id",
    },
    {
      name: "list cursor",
      method: "GET",
      url: "/v1/tasks?cursor=zzz",
      who: "tasker",
      status: 400,
      code: "invalid_cursor",
    },
    {
      name: "Last-Event-ID",
      method: "GET",
      url: () => `/v1/tasks/${taskId}/events`,
      who: "tasker",
      headers: { accept: "text/event-stream", "last-event-id": "-3" },
      status: 400,
      code: "invalid_cursor",
    },
    {
      name: "?after= on a stream",
      method: "GET",
      url: () => `/v1/tasks/${taskId}/events?after=1.5`,
      who: "tasker",
      headers: { accept: "text/event-stream" },
      status: 400,
      code: "invalid_cursor",
    },
    {
      name: "undecodable path",
      method: "GET",
      url: "/v1/tasks/%E0%A4%A",
      who: "tasker",
      status: 400,
      code: "bad_request",
    },
    {
      name: "?after= on a JSON page",
      method: "GET",
      url: () => `/v1/tasks/${taskId}/events?after=-1`,
      who: "tasker",
      status: 400,
      code: "invalid_cursor",
    },
  ],
  "missing or wrong credentials": [
    {
      name: "none",
      method: "GET",
      url: "/v1/tasks",
      who: null,
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "none, with a body",
      method: "POST",
      url: "/v1/tasks",
      who: null,
      headers: json,
      body: "{not json",
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "none, on a stream",
      method: "GET",
      url: "/v1/events",
      who: null,
      headers: { accept: "text/event-stream" },
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "Basic scheme",
      method: "GET",
      url: "/v1/tasks",
      who: null,
      headers: { authorization: "Basic dXNlcjpwYXNz" },
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "malformed key",
      method: "GET",
      url: "/v1/tasks",
      who: null,
      headers: { authorization: "Bearer hunter2" },
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "unknown key",
      method: "GET",
      url: "/v1/tasks",
      who: null,
      headers: { authorization: `Bearer ek_01JD0000000000000000000000_${"A".repeat(43)}` },
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "right id, wrong secret",
      method: "GET",
      url: "/v1/tasks",
      who: null,
      headers: { authorization: "WRONG_SECRET" },
      status: 401,
      code: "unauthenticated",
    },
    {
      name: "lease write",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/complete`,
      who: null,
      status: 401,
      code: "unauthenticated",
    },
  ],
  "wrong scope": [
    {
      name: "worker creates a task",
      method: "POST",
      url: "/v1/tasks",
      who: "worker",
      body: { kind: "demo" },
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "worker cancels",
      method: "POST",
      url: () => `/v1/tasks/${taskId}/cancel`,
      who: "worker",
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "tasker claims",
      method: "POST",
      url: "/v1/leases/claim",
      who: "tasker",
      body: { worker_id: NO_WORKER },
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "tasker completes",
      method: "POST",
      url: () => `/v1/leases/${leaseId}/complete`,
      who: "tasker",
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "tasker announces",
      method: "POST",
      url: "/v1/workers",
      who: "tasker",
      body: { name: "w", kinds: ["demo"] },
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "tasker creates a key",
      method: "POST",
      url: "/v1/keys",
      who: "tasker",
      body: { name: "x", scopes: ["admin"] },
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "worker lists keys",
      method: "GET",
      url: "/v1/keys",
      who: "worker",
      status: 403,
      code: "insufficient_scope",
    },
    {
      name: "worker reads a receipt",
      method: "GET",
      url: () => `/v1/tasks/${taskId}/receipt`,
      who: "worker",
      status: 403,
      code: "insufficient_scope",
    },
  ],
  "not acceptable": [
    {
      name: "tenant stream as JSON",
      method: "GET",
      url: "/v1/events",
      who: "tasker",
      status: 406,
      code: "not_acceptable",
    },
  ],
};

async function send(c: Case) {
  const url = typeof c.url === "function" ? c.url() : c.url;
  const headers: Record<string, string> = { ...(c.who ? h.auth(c.who) : {}), ...(c.headers ?? {}) };
  if (headers.authorization === "") headers.authorization = `Bearer ${otherTenantKey}`;
  if (headers.authorization === "WRONG_SECRET") {
    headers.authorization = `Bearer ${h.keys.tasker.slice(0, -5)}AAAAA`;
  }
  let payload: string | undefined;
  if (typeof c.body === "string") payload = c.body;
  else if (c.body !== undefined) {
    payload = JSON.stringify(c.body);
    headers["content-type"] ??= "application/json";
  }
  return h.app.inject({
    method: c.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
}

describe.each(Object.entries(classes))("%s", (_name, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_label, c) => {
    const before = snapshot(h.dbPath);
    const res = await send(c);
    const body = JSON.parse(res.body) as Json;
    expect({ status: res.statusCode, code: body.code }).toEqual({ status: c.status, code: c.code });
    expect(body).toMatchObject({
      statusCode: c.status,
      error: expect.any(String),
      message: expect.any(String),
    });
    expect(isErrorCode(body.code)).toBe(true);
    expect(ERROR_CODES[body.code as keyof typeof ERROR_CODES].status).toBe(c.status);
    if (c.status === 401) expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    const after = snapshot(h.dbPath);
    expect(counts(after)).toEqual(counts(before));
    expect(after).toEqual(before);
  });
});

describe("rate limits", () => {
  it("answers 429 rate_limited per principal once the limit is used up, changing nothing", async () => {
    const limited = await makeHarness({ config: { rateLimit: { max: 3, windowMs: 60_000 } } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        codes.push(
          (
            await limited.app.inject({
              method: "GET",
              url: "/v1/tasks",
              headers: limited.auth("tasker"),
            })
          ).statusCode,
        );
      }
      const before = snapshot(limited.dbPath);
      const res = await limited.app.inject({
        method: "POST",
        url: "/v1/tasks",
        headers: limited.auth("tasker"),
        payload: { kind: "demo" },
      });
      expect(codes).toEqual([200, 200, 200]);
      expect(res.statusCode).toBe(429);
      expect(JSON.parse(res.body)).toMatchObject({ code: "rate_limited", statusCode: 429 });
      expect(res.headers["retry-after"]).toBeDefined();
      expect(snapshot(limited.dbPath)).toEqual(before);
      // Another principal has its own budget.
      const other = await limited.app.inject({
        method: "GET",
        url: "/v1/tasks",
        headers: limited.auth("admin"),
      });
      expect(other.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("unexpected failures", () => {
  it("answers 500 internal with only 'Internal Server Error' and logs the cause with the request id", async () => {
    const lines: Json[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n"))
          if (line) lines.push(JSON.parse(line) as Json);
        done();
      },
    });
    const broken = await makeHarness({ logger: pino({ level: "error" }, sink) });
    try {
      const auth = broken.auth("tasker");
      await broken.app.inject({ method: "GET", url: "/v1/tasks", headers: auth }); // caches the key
      await broken.store.close(); // every query now throws inside better-sqlite3
      const res = await broken.app.inject({ method: "GET", url: "/v1/tasks", headers: auth });
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toEqual({
        statusCode: 500,
        code: "internal",
        error: "Internal Server Error",
        message: "Internal Server Error",
      });
      const requestId = res.headers["x-request-id"];
      expect(requestId).toEqual(expect.any(String));
      const logged = lines.find((l) => l.reqId === requestId && l.err);
      expect(logged?.err.message).toMatch(/database connection is not open/);
      expect(res.body).not.toMatch(/database/);
    } finally {
      await broken.close();
    }
  });
});
