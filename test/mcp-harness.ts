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

export const tasker: Principal = {
  id: "key_tasker",
  tenantId: "default",
  scopes: ["tasker"],
  via: "internal",
};
export const otherTasker: Principal = {
  id: "key_other",
  tenantId: "default",
  scopes: ["tasker"],
  via: "internal",
};
export const worker: Principal = {
  id: "key_worker",
  tenantId: "default",
  scopes: ["worker"],
  via: "internal",
};
export const admin: Principal = {
  id: "key_admin",
  tenantId: "default",
  scopes: ["admin"],
  via: "internal",
};

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
  return (r.structuredContent as { error: { code: string } }).error.code;
}

export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}
