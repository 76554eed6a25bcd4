/**
 * PostgreSQL for tests: the server named by ERRAND_TEST_PG (default the local one), a fresh
 * random schema per test, dropped after. With CI=true an unreachable server fails the run;
 * elsewhere the PostgreSQL tests are skipped with a message saying why.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_PG_URL = process.env.ERRAND_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe();
if (unreachable !== null) {
  if (process.env.CI === "true") {
    throw new Error(
      `PostgreSQL at ${TEST_PG_URL} is unreachable (${unreachable}); CI needs it (run .ci/pg-up)`,
    );
  }
  console.warn(
    `skipping PostgreSQL tests: ${TEST_PG_URL} is unreachable (${unreachable}); set ERRAND_TEST_PG or start PostgreSQL`,
  );
}

/** Whether the PostgreSQL tests run here. */
export const PG_AVAILABLE = unreachable === null;

export function randomSchema(prefix = "t"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Runs one statement on a short-lived admin connection. */
export async function adminQuery<R extends pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
