/**
 * PostgreSQL rows: the shared mapping of ../rows.ts, and the type parsers that make a row read
 * back like SQLite's. The pool parses BIGINT (int8) columns to numbers (`PG_TYPES`): every
 * BIGINT here is a millisecond time, a duration or an event position, all far below 2^53.
 */
import pg from "pg";

export * from "../rows.js";

const INT8_OID = 20;
const parseInt8 = (text: string): number => Number(text);

/** Type parsers for this store's connections only, leaving the process-wide defaults alone. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return parseInt8;
    return pg.types.getTypeParser(oid, format as "text");
  },
} as pg.CustomTypesConfig;
