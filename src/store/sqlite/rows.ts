/** SQLite rows: the shared mapping of ../rows.ts, which SQLite needs nothing beyond. */
export * from "../rows.js";
