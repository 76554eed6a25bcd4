/** Shared setup of the MCP tests: a real SQLite engine in a temp dir and SDK clients. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../src/core/index.js";
import { Engine } from "../src/engine/engine.js";
import { createMcpServer, type McpServerOptions } from "../src/mcp/index.js";
import type { Store } from "../src/store/store.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";

export { admin, otherTasker, tasker, worker } from "./principals.js";

export interface Env {
  readonly dir: string;
  readonly dbPath: string;
  engine: Engine;
  store: Store;
}

export async function openEnv(dir = mkdtempSync(join(tmpdir(), "errand-mcp-"))): Promise<Env> {
  const dbPath = join(dir, "errand.db");
  const store = openSqliteStore({ path: dbPath });
  const engine = new Engine({ store, sweepIntervalMs: 0 });
  await engine.start();
  return { dir, dbPath, engine, store };
}

/** Closes engine and store, keeping the database file (for restart tests). */
export async function closeEngine(env: Env): Promise<void> {
  await env.engine.close();
  await env.store.close();
}

export async function removeEnv(env: Env): Promise<void> {
  await closeEngine(env).catch(() => {});
  rmSync(env.dir, { recursive: true, force: true });
}

/** Reopens engine and store on the same database file: a server restart. */
export async function restart(env: Env): Promise<void> {
  await closeEngine(env);
  env.store = openSqliteStore({ path: env.dbPath });
  env.engine = new Engine({ store: env.store, sweepIntervalMs: 0 });
  await env.engine.start();
}

export async function connect(
  engine: Engine,
  principal: Principal,
  options: McpServerOptions = {},
): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = createMcpServer(engine, principal, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`tool error: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

export function toolErrorCode(result: unknown): string {
  const r = result as CallToolResult;
  if (!r.isError)
    throw new Error(`expected a tool error, got ${JSON.stringify(r.structuredContent)}`);
  const meta = r._meta?.["errand/error"] as { code: string } | undefined;
  // The code travels twice: first word of the text, and in _meta.
  if (!meta || !textOf(r).startsWith(`${meta.code}: `)) {
    throw new Error(`malformed tool error: ${JSON.stringify(r)}`);
  }
  if (r.structuredContent !== undefined)
    throw new Error("a tool error must not carry structuredContent");
  return meta.code;
}

export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

interface TaskOut {
  id: string;
  state: string;
  kind: string;
  input: unknown;
}

/**
 * Calls every tool once through `agent` (a tasker) and `bot` (a worker) and checks what comes
 * back: the same checks run over the in-memory pair, HTTP and stdio. Returns the ids made.
 */
export async function exerciseEveryTool(
  agent: Client,
  bot: Client,
): Promise<{ done: string; failed: string }> {
  const expectState = (task: TaskOut, state: string) => {
    if (task.state !== state)
      throw new Error(`task ${task.id} is ${task.state}, expected ${state}`);
  };
  const kind = `k${Math.random().toString(36).slice(2, 8)}`;
  const { task } = structured<{ task: TaskOut }>(
    await agent.callTool({ name: "start_task", arguments: { kind, input: { n: 1 } } }),
  );
  expectState(task, "queued");
  const shell = structured<{ task: TaskOut }>(
    await agent.callTool({ name: "run_command", arguments: { argv: ["true"], queue: "nowhere" } }),
  );
  if (shell.task.kind !== "shell") throw new Error("run_command did not start a shell task");
  structured(await agent.callTool({ name: "cancel_task", arguments: { task_id: shell.task.id } }));
  expectState(
    structured<{ task: TaskOut }>(
      await agent.callTool({ name: "get_task", arguments: { task_id: task.id } }),
    ).task,
    "queued",
  );
  const page = structured<{ items: TaskOut[] }>(
    await agent.callTool({ name: "list_tasks", arguments: { kind } }),
  );
  if (page.items.length !== 1) throw new Error(`list_tasks found ${page.items.length} tasks`);

  const leased = structured<{ lease: { lease_id: string; task: TaskOut } | null }>(
    await bot.callTool({ name: "lease_next", arguments: { kinds: [kind], wait_seconds: 5 } }),
  );
  if (leased.lease?.task.id !== task.id) throw new Error("lease_next did not claim the task");
  const lease = leased.lease.lease_id;
  structured(await bot.callTool({ name: "renew_lease", arguments: { lease_id: lease } }));
  structured(
    await bot.callTool({
      name: "report_progress",
      arguments: { lease_id: lease, current: 1, total: 1 },
    }),
  );
  expectState(
    structured<{ task: TaskOut }>(
      await bot.callTool({
        name: "complete_task",
        arguments: { lease_id: lease, result: { ok: 1 } },
      }),
    ).task,
    "succeeded",
  );
  const watched = structured<{ events: { type: string }[]; terminal: boolean }>(
    await agent.callTool({ name: "watch_task", arguments: { task_id: task.id, wait_seconds: 1 } }),
  );
  const types = watched.events.map((e) => e.type).join(",");
  if (types !== "task.created,task.leased,task.progress,task.succeeded" || !watched.terminal) {
    throw new Error(`watch_task saw ${types}`);
  }

  const second = structured<{ task: TaskOut }>(
    await agent.callTool({ name: "start_task", arguments: { kind, max_attempts: 1 } }),
  );
  const l2 = structured<{ lease: { lease_id: string } }>(
    await bot.callTool({ name: "lease_next", arguments: { kinds: [kind] } }),
  );
  expectState(
    structured<{ task: TaskOut }>(
      await bot.callTool({
        name: "fail_task",
        arguments: { lease_id: l2.lease.lease_id, error: { message: "no" } },
      }),
    ).task,
    "failed",
  );

  const receipt = structured<{ receipt: { state: string } }>(
    await agent.callTool({ name: "get_task_receipt", arguments: { task_id: task.id } }),
  );
  if (receipt.receipt.state !== "succeeded") throw new Error("receipt state");
  const open = structured<{ receipts: { id: string }[] }>(
    await agent.callTool({ name: "open_obligations", arguments: {} }),
  );
  for (const id of [task.id, second.task.id]) {
    if (!open.receipts.some((r) => r.id === id)) throw new Error(`open_obligations misses ${id}`);
  }
  const unacked = structured<{ items: { id: string }[] }>(
    await agent.callTool({ name: "list_receipts", arguments: { unacked: true } }),
  );
  if (!unacked.items.some((r) => r.id === task.id))
    throw new Error("list_receipts misses the task");
  structured(await agent.callTool({ name: "ack_receipt", arguments: { receipt_id: task.id } }));
  const after = structured<{ items: { id: string }[] }>(
    await agent.callTool({ name: "list_receipts", arguments: { unacked: true } }),
  );
  if (after.items.some((r) => r.id === task.id)) throw new Error("ack_receipt did not acknowledge");
  for (const client of [agent, bot])
    structured(await client.callTool({ name: "get_config", arguments: {} }));
  return { done: task.id, failed: second.task.id };
}
