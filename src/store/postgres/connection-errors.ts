/** Telling a lost connection or server from a wrong statement, and what the caller is told. */
import { ErrandError } from "../../core/index.js";

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "57P01", // admin_shutdown: pg_terminate_backend or a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "53300", // too_many_connections
]);

/** Whether an error means the connection or the server is gone, not that the SQL was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08")))
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended/i.test(
    err.message,
  );
}

export function toStoreError(err: unknown): unknown {
  if (err instanceof ErrandError) return err;
  if (isConnectionError(err)) {
    return new ErrandError("unavailable", "the database is unreachable; retry later", {
      cause: err,
    });
  }
  return err;
}
