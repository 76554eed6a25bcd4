import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";

export { SqliteStore, type SqliteStoreOptions };

/** Opens (and creates, if missing) the SQLite database at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
