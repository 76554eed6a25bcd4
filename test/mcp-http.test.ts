/**
 * MCP over Streamable HTTP at /mcp of the real Fastify app on a real socket, with the SDK's
 * client transport and API keys; MCP and REST see the same tasks.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../src/core/index.js";
import { buildApp } from "../src/http/app.js";
import { startEmbeddedWorker } from "../src/worker/embedded.js";
import {
  exerciseEveryTool,
  openEnv,
  removeEnv,
  restart,
  structured,
  toolErrorCode,
  type Env,
} from "./mcp-harness.js";

let env: Env;
let app: FastifyInstance | null;
let base: string;
let keys: { admin: string; tasker: string; worker: string; tasker2: string };
const clients: Client[] = [];

async function listen(): Promise<void> {
  app = await buildApp({ engine: env.engine, config: { rateLimit: false } });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
}

async function stopApp(): Promise<void> {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await app?.close();
  app = null;
}

beforeEach(async () => {
  env = await openEnv();
  const issued = await env.engine.bootstrapAdminKey();
  const adminPrincipal: Principal = await env.engine.authenticate(issued!.token);
  const make = async (scopes: ("tasker" | "worker")[]) =>
    (await env.engine.createKey(adminPrincipal, { name: scopes.join("+"), scopes })).token;
  keys = {
    admin: issued!.token,
    tasker: await make(["tasker"]),
    worker: await make(["worker"]),
    tasker2: await make(["tasker"]),
  };
  await listen();
});

afterEach(async () => {
  await stopApp();
  await removeEnv(env);
});

async function mcp(key: string): Promise<Client> {
  const client = new Client({ name: "http-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}

async function rest(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- REST bodies are checked field by field below
  const json: any = res.status === 204 ? null : await res.json();
  return { status: res.status, body: json };
}

describe("MCP over HTTP", () => {
  it("passes the every-tool walk-through with API keys", async () => {
    const ids = await exerciseEveryTool(await mcp(keys.tasker), await mcp(keys.worker));
    const viaRest = await rest(keys.tasker, "GET", `/v1/tasks/${ids.done}`);
    expect(viaRest.body).toMatchObject({ id: ids.done, state: "succeeded", result: { ok: 1 } });
  });

  it("lists tools by scope and refuses the rest", async () => {
    const agent = await mcp(keys.tasker);
    const names = (await agent.listTools()).tools.map((t) => t.name);
    expect(names).toContain("start_task");
    expect(names).not.toContain("lease_next");
    expect(
      toolErrorCode(await agent.callTool({ name: "lease_next", arguments: { kinds: ["x"] } })),
    ).toBe("insufficient_scope");
    expect(
      toolErrorCode(await agent.callTool({ name: "get_task", arguments: { task_id: 12 } })),
    ).toBe("validation_failed");
  });

  it("a task started through MCP is visible and streamable through REST, and the reverse", async () => {
    const agent = await mcp(keys.tasker);
    const bot = await mcp(keys.worker);
    const { task } = structured<{ task: { id: string } }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "cross", input: { a: 1 } } }),
    );
    expect((await rest(keys.tasker, "GET", `/v1/tasks/${task.id}`)).body).toMatchObject({
      id: task.id,
      input: { a: 1 },
    });

    // A REST worker runs the MCP task; MCP watch_task sees its output and result.
    const announced = await rest(keys.worker, "POST", "/v1/workers", {
      name: "rest-worker",
      kinds: ["cross"],
    });
    const claim = await rest(keys.worker, "POST", "/v1/leases/claim", {
      worker_id: announced.body.id,
    });
    const leaseId = claim.body.leases[0].lease_id as string;
    await rest(keys.worker, "POST", `/v1/leases/${leaseId}/events`, {
      events: [{ type: "task.output", data: { stream: "stdout", text: "hello\n" } }],
    });
    await rest(keys.worker, "POST", `/v1/leases/${leaseId}/complete`, { result: { n: 2 } });
    const watched = structured<{
      events: { type: string; data: { text?: string } }[];
      result: unknown;
    }>(await agent.callTool({ name: "watch_task", arguments: { task_id: task.id } }));
    expect(watched.events.find((e) => e.type === "task.output")?.data.text).toBe("hello\n");
    expect(watched.result).toEqual({ n: 2 });
    const page = await rest(keys.tasker, "GET", `/v1/tasks/${task.id}/events?after=0`);
    expect(page.body.events.map((e: { type: string }) => e.type)).toEqual(
      watched.events.map((e) => e.type),
    );

    // The reverse: a REST task, claimed and finished through MCP.
    const created = await rest(keys.tasker, "POST", "/v1/tasks", { kind: "cross2" });
    expect(created.status).toBe(201);
    const leased = structured<{ lease: { lease_id: string; task: { id: string } } }>(
      await bot.callTool({ name: "lease_next", arguments: { kinds: ["cross2"] } }),
    );
    expect(leased.lease.task.id).toBe(created.body.id);
    await bot.callTool({
      name: "report_progress",
      arguments: { lease_id: leased.lease.lease_id, message: "half" },
    });
    await bot.callTool({
      name: "complete_task",
      arguments: { lease_id: leased.lease.lease_id, result: "fine" },
    });
    const sse = await fetch(`${base}/v1/tasks/${created.body.id}/events`, {
      headers: { Authorization: `Bearer ${keys.tasker}`, Accept: "text/event-stream" },
    });
    const text = await sse.text();
    expect(text).toMatch(/event: task\.progress/);
    expect(text).toMatch(/event: task\.succeeded/);
    expect(
      structured<{ task: { result: unknown } }>(
        await agent.callTool({ name: "get_task", arguments: { task_id: created.body.id } }),
      ).task.result,
    ).toBe("fine");
  });

  it("a restarted agent finds its earlier tasks through open_obligations and collects them", async () => {
    const before = await mcp(keys.tasker);
    const ids: string[] = [];
    for (const n of [1, 2]) {
      ids.push(
        structured<{ task: { id: string } }>(
          await before.callTool({
            name: "start_task",
            arguments: { kind: "mock", input: { steps: n, interval_ms: 1 } },
          }),
        ).task.id,
      );
    }
    await before.close();

    const after = await mcp(keys.tasker);
    const open = structured<{ tasks: { id: string }[]; receipts: unknown[] }>(
      await after.callTool({ name: "open_obligations", arguments: {} }),
    );
    expect(open.tasks.map((t) => t.id).sort()).toEqual([...ids].sort());
    // Another key's obligations are its own.
    const stranger = await mcp(keys.tasker2);
    expect(
      structured<{ tasks: unknown[] }>(
        await stranger.callTool({ name: "open_obligations", arguments: {} }),
      ).tasks,
    ).toEqual([]);

    const w = await startEmbeddedWorker(env.engine, { kinds: ["mock"] });
    try {
      for (const id of ids) {
        let terminal = false;
        let after_ = 0;
        while (!terminal) {
          const r = structured<{ terminal: boolean; next_cursor: number; state: string }>(
            await after.callTool({
              name: "watch_task",
              arguments: { task_id: id, after: after_, wait_seconds: 10 },
            }),
          );
          terminal = r.terminal;
          after_ = r.next_cursor;
          if (terminal) expect(r.state).toBe("succeeded");
        }
      }
    } finally {
      await w.stop();
    }
    const done = structured<{ tasks: unknown[]; receipts: { id: string }[] }>(
      await after.callTool({ name: "open_obligations", arguments: {} }),
    );
    expect(done.tasks).toEqual([]);
    expect(done.receipts.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids)
      await after.callTool({ name: "ack_receipt", arguments: { receipt_id: id } });
    expect(
      structured<{ receipts: unknown[] }>(
        await after.callTool({ name: "open_obligations", arguments: {} }),
      ).receipts,
    ).toEqual([]);
  });

  it("runs MCP tasks across a server restart between tools/call and tasks/result", async () => {
    const first = await mcp(keys.tasker);
    let taskId = "";
    for await (const m of first.experimental.tasks.callToolStream(
      { name: "start_task", arguments: { kind: "mock", input: { steps: 2, interval_ms: 1 } } },
      CallToolResultSchema,
      { task: {} },
    )) {
      if (m.type === "taskCreated") {
        taskId = m.task.taskId;
        break;
      }
    }
    await stopApp();
    await restart(env);
    await listen();

    const client = await mcp(keys.tasker);
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("working");
    const waiting = client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    const w = await startEmbeddedWorker(env.engine, { kinds: ["mock"] });
    try {
      const result = (await waiting) as CallToolResult;
      expect((result.structuredContent as { task: { state: string } }).task.state).toBe(
        "succeeded",
      );
    } finally {
      await w.stop();
    }
    const other = await mcp(keys.tasker2);
    await expect(other.experimental.tasks.getTask(taskId)).rejects.toThrow(/no task/);
  });

  it("delivers resource updates on the session's GET stream", async () => {
    const agent = await mcp(keys.tasker);
    const bot = await mcp(keys.worker);
    const { task } = structured<{ task: { id: string } }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "sub" } }),
    );
    const uri = `errand://tasks/${task.id}`;
    const updates: string[] = [];
    agent.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await agent.subscribeResource({ uri });
    const leased = structured<{ lease: { lease_id: string } }>(
      await bot.callTool({ name: "lease_next", arguments: { kinds: ["sub"] } }),
    );
    await bot.callTool({ name: "complete_task", arguments: { lease_id: leased.lease.lease_id } });
    while (updates.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(updates).toEqual([uri, uri]);
  });
});

describe("the /mcp endpoint", () => {
  const init = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  };
  const post = (headers: Record<string, string>, body: unknown = init) =>
    fetch(`${base}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("needs an API key", async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe("unauthenticated");
    const bad = await post({ Authorization: "Bearer ek_nope" });
    expect(bad.status).toBe(401);
  });

  it("refuses a present Origin that is not allowed, and accepts loopback ones", async () => {
    const evil = await post({
      Authorization: `Bearer ${keys.tasker}`,
      Origin: "http://evil.example",
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { code: string }).code).toBe("forbidden_origin");
    const local = await post({
      Authorization: `Bearer ${keys.tasker}`,
      Origin: "http://localhost:5173",
    });
    expect(local.status).toBe(200);
    await local.body?.cancel();
  });

  it("caps the body", async () => {
    const huge = { jsonrpc: "2.0", id: 2, method: "ping", params: { pad: "x".repeat(1_100_000) } };
    const res = await post({ Authorization: `Bearer ${keys.tasker}` }, huge);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe("body_too_large");
  });

  it("serves a tools/call without a session, statelessly", async () => {
    const res = await post(
      { Authorization: `Bearer ${keys.tasker}` },
      {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "start_task", arguments: { kind: "raw" } },
      },
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    const data = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)));
    expect(data[0]).toMatchObject({
      id: 7,
      result: { structuredContent: { task: { kind: "raw", state: "queued" } } },
    });
    expect(res.headers.get("mcp-session-id")).toBeNull();
  });

  it("resumes a dropped watch_task stream with Last-Event-ID and delivers its answer", async () => {
    const auth = { Authorization: `Bearer ${keys.tasker}` };
    const opened = await post(auth);
    const session = opened.headers.get("mcp-session-id")!;
    await opened.body?.cancel();
    const headers = { ...auth, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25" };
    (await post(headers, { jsonrpc: "2.0", method: "notifications/initialized" })).body?.cancel();
    const tasker = await env.engine.authenticate(keys.tasker);
    const { task } = await env.engine.createTask(tasker, { kind: "resume" });

    const aborter = new AbortController();
    const res = await fetch(`${base}/mcp`, {
      method: "POST",
      signal: aborter.signal,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "watch_task", arguments: { task_id: task.id, after: 1, wait_seconds: 30 } },
      }),
    });
    const reader = res.body!.getReader();
    let head = "";
    while (!/\n\n/.test(head)) head += new TextDecoder().decode((await reader.read()).value);
    const primingId = /^id: (.+)$/m.exec(head)![1]!;
    expect(head).toMatch(/^retry: 1000$/m);
    aborter.abort(); // the connection drops while watch_task waits

    await env.engine.cancelTask(tasker, task.id);
    const getAborter = new AbortController();
    const resumed = await fetch(`${base}/mcp`, {
      signal: getAborter.signal,
      headers: { ...headers, Accept: "text/event-stream", "Last-Event-ID": primingId },
    });
    expect(resumed.status).toBe(200);
    const streamReader = resumed.body!.getReader();
    let text = "";
    while (!text.includes('"id":9'))
      text += new TextDecoder().decode((await streamReader.read()).value);
    getAborter.abort();
    const answer = JSON.parse(/^data: (.*"id":9.*)$/m.exec(text)![1]!);
    expect(answer.result.structuredContent.events.map((e: { type: string }) => e.type)).toEqual([
      "task.canceled",
    ]);
  });

  it("answers 404 for an unknown or foreign session and 405 for GET without one", async () => {
    const unknown = await post(
      { Authorization: `Bearer ${keys.tasker}`, "Mcp-Session-Id": "nope" },
      { jsonrpc: "2.0", id: 3, method: "ping" },
    );
    expect(unknown.status).toBe(404);
    const opened = await post({ Authorization: `Bearer ${keys.tasker}` });
    const session = opened.headers.get("mcp-session-id")!;
    await opened.body?.cancel();
    expect(session).toBeTruthy();
    const foreign = await post(
      { Authorization: `Bearer ${keys.tasker2}`, "Mcp-Session-Id": session },
      { jsonrpc: "2.0", id: 4, method: "ping" },
    );
    expect(foreign.status).toBe(404);
    const get = await fetch(`${base}/mcp`, {
      headers: { Authorization: `Bearer ${keys.tasker}`, Accept: "text/event-stream" },
    });
    expect(get.status).toBe(405);
    const del = await fetch(`${base}/mcp`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${keys.tasker}`, "Mcp-Session-Id": session },
    });
    expect(del.status).toBe(200);
  });
});

describe("the plugin on a bare Fastify instance", () => {
  it("authenticates by itself, honours allowedOrigins and evicts the idle session past maxSessions", async () => {
    const Fastify = (await import("fastify")).default;
    const { mcpHttpPlugin } = await import("../src/mcp/http.js");
    const bare = Fastify();
    await bare.register(mcpHttpPlugin, {
      engine: env.engine,
      allowedOrigins: ["https://app.example"],
      maxSessions: 1,
    });
    const url = `${await bare.listen({ host: "127.0.0.1", port: 0 })}/mcp`;
    try {
      const init = (headers: Record<string, string>) =>
        fetch(url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
            ...headers,
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: {
              protocolVersion: "2025-11-25",
              capabilities: {},
              clientInfo: { name: "b", version: "1" },
            },
          }),
        });
      const anonymous = await init({});
      expect(anonymous.status).toBe(401);
      await anonymous.body?.cancel();
      const auth = { Authorization: `Bearer ${keys.tasker}` };
      const listed = await init({ ...auth, Origin: "https://app.example" });
      expect(listed.status).toBe(200);
      const first = listed.headers.get("mcp-session-id")!;
      await listed.text();
      const unlisted = await init({ ...auth, Origin: "https://other.example" });
      expect(unlisted.status).toBe(403);
      await unlisted.body?.cancel();

      const second = await init(auth);
      await second.text();
      const ping = (session: string) =>
        fetch(url, {
          method: "POST",
          headers: {
            ...auth,
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
            "Mcp-Session-Id": session,
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
        });
      const evicted = await ping(first);
      expect(evicted.status).toBe(404);
      await evicted.body?.cancel();
      const kept = await ping(second.headers.get("mcp-session-id")!);
      expect(kept.status).toBe(200);
      await kept.text();
    } finally {
      await bare.close();
    }
  });
});
