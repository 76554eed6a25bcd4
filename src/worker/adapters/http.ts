/**
 * The `http` adapter: calls an endpoint and records the response.
 *
 * Input `{ url, method = "GET", headers?, body?, timeout_ms = 30000, max_body_bytes = 1 MiB,
 * accept_status? }`. A string `body` is sent as is; any other JSON value is sent as JSON with
 * `content-type: application/json`. The result is `{ status, status_text, headers, body,
 * body_bytes, truncated }` (`body` is the text, cut at `max_body_bytes`).
 *
 * Status handling: 2xx and 3xx succeed; 429 and 5xx fail and are retried (code `http_status`);
 * other 4xx fail for good. `accept_status: "any"` makes every answered status succeed. A
 * network failure or the timeout fails and is retried (code `http_error` / `timeout`).
 */
import type { Handler } from "@errand/client";
import { TaskFailure } from "@errand/client";
import { asObject, invalidInput, optionalInt, optionalString } from "./input.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export const httpAdapter: Handler = async (task, ctx) => {
  const input = asObject("http", task.input);
  const url = optionalString("http", input, "url");
  if (!url) throw invalidInput("http", "give a url");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput("http", `not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw invalidInput("http", "the url must be http or https");
  }
  const method = (optionalString("http", input, "method") ?? "GET").toUpperCase();
  if (!METHODS.includes(method)) throw invalidInput("http", `unsupported method ${method}`);
  const headers: Record<string, string> = {};
  if (input.headers !== undefined) {
    if (!input.headers || typeof input.headers !== "object" || Array.isArray(input.headers)) {
      throw invalidInput("http", "headers must be an object of strings");
    }
    for (const [k, v] of Object.entries(input.headers)) {
      if (typeof v !== "string") throw invalidInput("http", `header ${k} must be a string`);
      headers[k.toLowerCase()] = v;
    }
  }
  let body: string | undefined;
  if (input.body !== undefined && input.body !== null) {
    if (typeof input.body === "string") {
      body = input.body;
    } else {
      body = JSON.stringify(input.body);
      headers["content-type"] ??= "application/json";
    }
  }
  const timeoutMs = optionalInt("http", input, "timeout_ms", 1, 3_600_000) ?? 30_000;
  const maxBody = optionalInt("http", input, "max_body_bytes", 0, 64 * 1024 * 1024) ?? 1024 * 1024;
  const acceptAny = input.accept_status === "any";

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(parsed, { method, headers, ...(body !== undefined ? { body } : {}), signal });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (timeout.aborted) {
      throw new TaskFailure(`no answer within ${timeoutMs} ms`, { code: "timeout" });
    }
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new TaskFailure(`request failed: ${cause?.code ?? (err as Error).message}`, {
      code: "http_error",
      details: { errno: cause?.code ?? null },
    });
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const room = maxBody - Math.min(bytes, maxBody);
        if (chunk.length > room) truncated = true;
        if (room > 0) chunks.push(Buffer.from(chunk.subarray(0, room)));
        bytes += chunk.length;
      }
    }
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new TaskFailure(`reading the response failed: ${(err as Error).message}`, {
      code: timeout.aborted ? "timeout" : "http_error",
    });
  }
  const outcome = {
    status: res.status,
    status_text: res.statusText,
    headers: Object.fromEntries(res.headers.entries()),
    body: Buffer.concat(chunks).toString("utf8"),
    body_bytes: bytes,
    truncated,
  };
  ctx.log(`${method} ${parsed.origin}${parsed.pathname} → ${res.status}`);
  if (!acceptAny && res.status >= 400) {
    throw new TaskFailure(`${method} ${url} answered ${res.status}`, {
      retryable: res.status === 429 || res.status >= 500,
      code: "http_status",
      details: outcome,
    });
  }
  return outcome;
};
