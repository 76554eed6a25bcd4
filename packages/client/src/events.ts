/**
 * A task's event stream as an async iterator: Server-Sent Events that reconnect by themselves
 * with `Last-Event-ID` after a network error or a server restart, skipping anything at or below
 * the last seq seen (so nothing is lost or repeated), and ending after the terminal event.
 */
import { ErrandApiError, errorFromResponse } from "./errors.js";
import type { HttpClient } from "./http.js";
import { SseParser } from "./sse.js";
import type { TaskEvent } from "./types.js";
import { TERMINAL_EVENT_TYPES } from "./types.js";

export interface EventStreamOptions {
  /** Start after this seq (default 0: from the first event). */
  readonly after?: number;
  /** Stops the iteration (it then ends without an error). */
  readonly signal?: AbortSignal;
  /** Called before each reconnect, with the error that ended the previous connection. */
  readonly onReconnect?: (info: { attempt: number; after: number; error: unknown }) => void;
  /** Longest wait between reconnects (default 2 s). */
  readonly maxRetryDelayMs?: number;
  /** Give up after this many reconnects in a row without a new event (default: never). */
  readonly maxRetries?: number;
}

/** Statuses worth retrying: the server is restarting, overloaded, or rate limiting. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof ErrandApiError)) return true;
  return err.status === 0 || err.status === 429 || err.status >= 500;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export async function* streamEvents(
  http: HttpClient,
  taskId: string,
  options: EventStreamOptions = {},
): AsyncGenerator<TaskEvent, void, undefined> {
  let cursor = options.after ?? 0;
  let failures = 0;
  const signal = options.signal;
  const path = `/v1/tasks/${encodeURIComponent(taskId)}/events`;
  while (!signal?.aborted) {
    let error: unknown = null;
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const headers = http.headers({ accept: "text/event-stream" });
      if (cursor > 0) headers["last-event-id"] = String(cursor);
      const res = await http.fetch(http.url(path), { headers, signal: connection.signal });
      if (res.status === 204) return;
      if (!res.ok) throw errorFromResponse(res.status, await res.text());
      const type = res.headers.get("content-type") ?? "";
      if (!res.body || !type.startsWith("text/event-stream")) {
        await res.body?.cancel();
        throw new ErrandApiError(
          "invalid_response",
          `expected an event stream, got ${type || "nothing"}`,
          {
            status: res.status,
          },
        );
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
          if (message.data === "") continue;
          const event = JSON.parse(message.data) as TaskEvent;
          const seq = typeof event.seq === "number" ? event.seq : Number(message.id);
          if (!(seq > cursor)) continue;
          cursor = seq;
          failures = 0;
          yield event;
          if (TERMINAL_EVENT_TYPES.includes(event.type)) return;
        }
      }
      error = new ErrandApiError("stream_closed", "the server closed the stream");
    } catch (err) {
      if (signal?.aborted) return;
      if (!isRetryable(err)) throw err;
      error = err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      connection.abort();
    }
    failures += 1;
    if (options.maxRetries !== undefined && failures > options.maxRetries) throw error;
    options.onReconnect?.({ attempt: failures, after: cursor, error });
    const max = options.maxRetryDelayMs ?? 2_000;
    const base = Math.min(max, 100 * 2 ** Math.min(failures - 1, 10));
    await sleep(base / 2 + Math.random() * (base / 2), signal);
  }
}
