/**
 * MCP over stdio: the SDK client spawns the real `node bin/errand.js mcp`, which bridges to a
 * real server over HTTP. Needs the build (`npx tsc -b`), as `npm test` does first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { buildApp } from "../src/http/app.js";
import {
  exerciseEveryTool,
  openEnv,
  removeEnv,
  structured,
  toolErrorCode,
  type Env,
} from "./mcp-harness.js";

const BIN = join(import.meta.dirname, "..", "bin", "errand.js");

function stdioClient(
  args: string[],
  env: Record<string, string> = {},
): { client: Client; connect: () => Promise<void> } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", ...args],
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  return { client, connect: () => client.connect(transport) };
}

describe("errand mcp against an in-process server", () => {
  let env: Env;
  let app: FastifyInstance;
  let base: string;
  let keys: { tasker: string; worker: string };
  const clients: Client[] = [];

  beforeEach(async () => {
    env = await openEnv();
    const issued = (await env.engine.bootstrapAdminKey())!;
    const admin = await env.engine.authenticate(issued.token);
    keys = {
      tasker: (await env.engine.createKey(admin, { name: "t", scopes: ["tasker"] })).token,
      worker: (await env.engine.createKey(admin, { name: "w", scopes: ["worker"] })).token,
    };
    app = await buildApp({ engine: env.engine, config: { rateLimit: false } });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => {});
    await app.close();
    await removeEnv(env);
  });

  async function open(args: string[], extraEnv: Record<string, string> = {}) {
    const { client, connect } = stdioClient(args, extraEnv);
    await connect();
    clients.push(client);
    return client;
  }

  it("passes the every-tool walk-through, keys from --key and ERRAND_KEY", async () => {
    const agent = await open(["--server", base, "--key", keys.tasker]);
    const bot = await open([], { ERRAND_URL: base, ERRAND_KEY: keys.worker });
    expect(agent.getServerVersion()?.name).toBe("errand");
    const ids = await exerciseEveryTool(agent, bot);
    expect(
      (await env.engine.getTask(await env.engine.authenticate(keys.tasker), ids.done)).state,
    ).toBe("succeeded");
    expect(
      toolErrorCode(await agent.callTool({ name: "lease_next", arguments: { kinds: ["x"] } })),
    ).toBe("insufficient_scope");
    expect(
      toolErrorCode(await agent.callTool({ name: "start_task", arguments: { kind: "" } })),
    ).toBe("validation_failed");
  });

  it("runs MCP tasks through the bridge", async () => {
    const agent = await open(["--server", base, "--key", keys.tasker]);
    const bot = await open(["--server", base, "--key", keys.worker]);
    let taskId = "";
    for await (const m of agent.experimental.tasks.callToolStream(
      { name: "start_task", arguments: { kind: "bridged" } },
      CallToolResultSchema,
      { task: {} },
    )) {
      if (m.type === "taskCreated") {
        taskId = m.task.taskId;
        break;
      }
    }
    const waiting = agent.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    const leased = structured<{ lease: { lease_id: string } }>(
      await bot.callTool({
        name: "lease_next",
        arguments: { kinds: ["bridged"], wait_seconds: 5 },
      }),
    );
    await bot.callTool({
      name: "complete_task",
      arguments: { lease_id: leased.lease.lease_id, result: 42 },
    });
    const result = await waiting;
    expect((result.structuredContent as { task: { result: unknown } }).task.result).toBe(42);
  });

  it("answers every request with a clear error when the server is unreachable or refuses the key", async () => {
    const nowhere = await open(["--server", "http://127.0.0.1:9", "--key", keys.tasker]).catch(
      (e: unknown) => e,
    );
    expect(String(nowhere)).toMatch(/could not reach the Errand server/);
    const refused = await open(["--server", base, "--key", "ek_wrong"]).catch((e: unknown) => e);
    expect(String(refused)).toMatch(/401/);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe("errand mcp against a spawned errand serve", () => {
  let dir: string;
  let serve: ChildProcess | null = null;
  let client: Client | null = null;

  async function startServe(port: number, ...extra: string[]): Promise<void> {
    serve = spawn(
      process.execPath,
      [BIN, "serve", "--data-dir", dir, "--port", String(port), "--log-level", "silent", ...extra],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    // Ready when health answers.
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/v1/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("errand serve did not come up");
  }

  async function stopServe(): Promise<void> {
    const child = serve;
    serve = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "errand-mcp-stdio-"));
  });

  afterEach(async () => {
    await client?.close().catch(() => {});
    client = null;
    await stopServe();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds the local admin key, and carries an MCP task across server restarts", async () => {
    const port = await freePort();
    // First without a worker, so the task waits for the second server.
    await startServe(port, "--no-worker");
    expect(readFileSync(join(dir, "admin.key"), "utf8")).toMatch(/^ek_/);
    const c = stdioClient(["--server", `http://127.0.0.1:${port}`, "--data-dir", dir]);
    client = c.client;
    await c.connect();
    const cfg = structured<{ principal: { scopes: string[] } }>(
      await client.callTool({ name: "get_config", arguments: {} }),
    );
    expect(cfg.principal.scopes).toEqual(["admin"]);

    let taskId = "";
    for await (const m of client.experimental.tasks.callToolStream(
      { name: "start_task", arguments: { kind: "mock", input: { steps: 2, interval_ms: 10 } } },
      CallToolResultSchema,
      { task: {} },
    )) {
      if (m.type === "taskCreated") {
        taskId = m.task.taskId;
        break;
      }
    }
    // Restart between tools/call and tasks/result: the bridge's session died with the server.
    await stopServe();
    await startServe(port, "--no-worker");
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("working");

    // Restart during tasks/result: the call is repeated once the server is back, and the
    // second server's embedded worker runs the task.
    const waiting = client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    await new Promise((r) => setTimeout(r, 300));
    await stopServe();
    await startServe(port);
    const result = await waiting;
    expect(
      (result.structuredContent as { task: { id: string; state: string } }).task,
    ).toMatchObject({
      id: taskId,
      state: "succeeded",
    });

    // A call that is not safe to repeat is not repeated: it fails clearly when the server is away.
    await stopServe();
    const refused = await client
      .callTool({ name: "start_task", arguments: { kind: "mock" } })
      .catch((e: unknown) => e);
    expect(String(refused)).toMatch(/could not reach the Errand server/);
  });
});
