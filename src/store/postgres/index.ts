import {
  PostgresStore,
  isConnectionError,
  type PostgresStoreOptions,
  type StoreHealth,
} from "./postgres-store.js";

export { PostgresStore, isConnectionError, type PostgresStoreOptions, type StoreHealth };

/**
 * Opens a pool on the PostgreSQL database at `options.url`, its tables in `options.schema`
 * (default `errand`, created by migrate() if missing).
 */
export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
