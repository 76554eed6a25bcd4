/**
 * The one place that picks a store backend from the configuration: `postgres://…` selects
 * PostgreSQL, anything else is a SQLite file (default `<data-dir>/errand.db`).
 */
import { join, resolve } from "node:path";
import type { Store } from "../store/store.js";
import { openSqliteStore } from "../store/sqlite/index.js";
import { ConfigError } from "./config.js";

export const SQLITE_FILE = "errand.db";

export function isPostgresUrl(db: string | null): boolean {
  return db !== null && /^postgres(ql)?:\/\//i.test(db);
}

/** Where the SQLite database lives for this configuration. */
export function sqlitePath(config: {
  readonly dataDir: string;
  readonly db: string | null;
}): string {
  if (config.db === null) return join(config.dataDir, SQLITE_FILE);
  const path = config.db.startsWith("sqlite:") ? config.db.slice("sqlite:".length) : config.db;
  return resolve(path);
}

export async function openStore(config: {
  readonly dataDir: string;
  readonly db: string | null;
}): Promise<Store> {
  if (isPostgresUrl(config.db)) {
    throw new ConfigError(
      "the PostgreSQL store is not part of this build yet; leave --db unset to use SQLite in the data directory",
    );
  }
  if (config.db !== null && /^[a-z][a-z0-9+.-]*:\/\//i.test(config.db)) {
    throw new ConfigError(`--db must be a postgres:// URL or a SQLite file path, not ${config.db}`);
  }
  return openSqliteStore({ path: sqlitePath(config) });
}
