/**
 * A REST app over a real SQLite file in a temp dir, with an admin, a tasker and a worker key,
 * and a way to snapshot every row so tests can show a refused request changed nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Principal } from "../src/core/index.js";
import { Engine } from "../src/engine/index.js";
import { buildApp } from "../src/http/app.js";
import type { HttpConfig } from "../src/http/config.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/store.js";

export interface Harness {
  readonly dir: string;
  readonly dbPath: string;
  readonly store: Store;
  readonly engine: Engine;
  readonly app: FastifyInstance;
  readonly keys: { readonly admin: string; readonly tasker: string; readonly worker: string };
  readonly admin: Principal;
  /** `Authorization` headers for each key. */
  auth(who: "admin" | "tasker" | "worker"): { authorization: string };
  close(): Promise<void>;
}

export async function makeHarness(
  options: { config?: HttpConfig; logger?: FastifyBaseLogger } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "errand-http-"));
  const dbPath = join(dir, "errand.db");
  const store = openSqliteStore({ path: dbPath });
  const engine = new Engine({ store, sweepIntervalMs: 0 });
  await engine.start();
  const adminToken = (await engine.bootstrapAdminKey())!.token;
  const admin = await engine.authenticate(adminToken);
  const tasker = (await engine.createKey(admin, { name: "tasker", scopes: ["tasker"] })).token;
  const worker = (await engine.createKey(admin, { name: "worker", scopes: ["worker"] })).token;
  const app = await buildApp({
    engine,
    config: options.config ?? {},
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const keys = { admin: adminToken, tasker, worker };
  return {
    dir,
    dbPath,
    store,
    engine,
    app,
    keys,
    admin,
    auth: (who) => ({ authorization: `Bearer ${keys[who]}` }),
    close: async () => {
      await app.close();
      await engine.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TABLES = ["tenants", "api_keys", "tasks", "events", "attempts", "workers"] as const;

/** Every row of every table, read through a separate connection, as one comparable value. */
export function snapshot(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLES) {
      out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
    }
    return out;
  } finally {
    db.close();
  }
}

export function counts(snap: Record<string, unknown[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(snap).map(([table, rows]) => [table, rows.length]));
}
