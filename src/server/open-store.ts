/**
 * The one place that picks a store backend from the configuration: `postgres://…` selects
 * PostgreSQL, anything else is a SQLite file (default `<data-dir>/errand.db`).
 */
import { join, resolve } from "node:path";
import type { Notifier } from "../engine/notifier.js";
import { openPgNotifier } from "../engine/pg-notifier.js";
import { openPostgresStore, type PostgresStoreOptions } from "../store/postgres/index.js";
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
  if (isPostgresUrl(config.db)) return openPostgresStore(postgresOptions(config.db!));
  if (config.db !== null && /^[a-z][a-z0-9+.-]*:\/\//i.test(config.db)) {
    throw new ConfigError(`--db must be a postgres:// URL or a SQLite file path, not ${config.db}`);
  }
  return openSqliteStore({ path: sqlitePath(config) });
}

/**
 * The PostgreSQL store's options from a `postgres://` URL. Two query parameters are Errand's and
 * are taken off before the URL reaches the driver: `schema` (default `errand`) and `pool_size`
 * (default 10), e.g. `postgres://errand@db:5432/errand?schema=errand&pool_size=20`.
 */
export function postgresOptions(db: string): PostgresStoreOptions {
  let url: URL;
  try {
    url = new URL(db);
  } catch {
    throw new ConfigError(`--db is not a valid postgres:// URL`);
  }
  const schema = url.searchParams.get("schema");
  const pool = url.searchParams.get("pool_size");
  url.searchParams.delete("schema");
  url.searchParams.delete("pool_size");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`schema=${schema} must be a lower-case SQL identifier`);
  }
  const poolSize = pool === null ? undefined : Number(pool);
  if (
    poolSize !== undefined &&
    !(Number.isInteger(poolSize) && poolSize >= 1 && poolSize <= 1000)
  ) {
    throw new ConfigError(`pool_size=${pool} must be an integer from 1 to 1000`);
  }
  return {
    url: url.toString(),
    ...(schema !== null ? { schema } : {}),
    ...(poolSize !== undefined ? { poolSize } : {}),
  };
}

/**
 * The notifier for this configuration: LISTEN/NOTIFY across nodes on PostgreSQL, so that a
 * task created on one node wakes claimers and streams on every node; undefined (the engine's
 * in-process default) on SQLite.
 */
export async function openNotifier(
  config: { readonly db: string | null },
  nodeId?: string,
): Promise<Notifier | undefined> {
  if (!isPostgresUrl(config.db)) return undefined;
  const options = postgresOptions(config.db!);
  return openPgNotifier({
    url: options.url,
    ...(options.schema ? { schema: options.schema } : {}),
    ...(nodeId ? { nodeId } : {}),
  });
}
