/**
 * Cancel push over HTTP: one tenant-wide event stream (`GET /v1/events`, SSE) per worker tells
 * running handlers of a cancel at once instead of at the next renewal (up to TTL/3 later).
 *
 * The stream carries every state change of the tenant, which costs the server and the worker
 * work per task: with it always open, 2,000 no-op tasks ran at 780 tasks/s instead of 1,370
 * (bench/remote.ts setup). So it opens only once some task has run for OPEN_AFTER_MS, and on
 * each (re)connect every watched task re-checks its lease at once, so a cancel that came before
 * the stream did is caught then. Renewals still catch anything the stream misses.
 */
import { errorFromResponse } from "../errors.js";
import type { HttpClient } from "../http.js";
import { SseParser } from "../sse.js";

/** Keep the stream open this long after the last running task, to spare reconnects. */
const IDLE_CLOSE_MS = 5_000;
/** Open the stream once a task has been running this long. */
const OPEN_AFTER_MS = 100;

interface Watcher {
  readonly onCancel: () => void;
  readonly recheck: () => void;
}

export class CancelStream {
  readonly #http: HttpClient;
  readonly #watchers = new Map<string, Watcher>();
  #connection: AbortController | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #lastId: string | null = null;
  /** Set when the server has no tenant stream: stop trying. */
  #unsupported = false;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Watches one task: `onCancel` when the stream reports its cancel, `recheck` when the stream
   * (re)connects (the caller then asks the server directly, e.g. by renewing its lease).
   */
  watch(taskId: string, onCancel: () => void, recheck: () => void): () => void {
    const watcher: Watcher = { onCancel, recheck };
    this.#watchers.set(taskId, watcher);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    // Only a task that runs a while needs the stream; short ones end before a cancel matters.
    let openTimer: ReturnType<typeof setTimeout> | null = null;
    if (!this.#connection && !this.#unsupported) {
      openTimer = setTimeout(() => {
        openTimer = null;
        this.#open();
      }, OPEN_AFTER_MS);
      openTimer.unref?.();
    }
    return () => {
      if (openTimer) clearTimeout(openTimer);
      if (this.#watchers.get(taskId) === watcher) this.#watchers.delete(taskId);
      if (this.#watchers.size === 0 && this.#connection && !this.#idleTimer) {
        this.#idleTimer = setTimeout(() => {
          this.#idleTimer = null;
          if (this.#watchers.size === 0) this.close();
        }, IDLE_CLOSE_MS);
        this.#idleTimer.unref?.();
      }
    };
  }

  #open(): void {
    if (this.#connection || this.#unsupported || this.#watchers.size === 0) return;
    const connection = new AbortController();
    this.#connection = connection;
    void this.#run(connection.signal);
  }

  close(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#connection?.abort();
    this.#connection = null;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const headers = this.#http.headers({ accept: "text/event-stream" });
        if (this.#lastId) headers["last-event-id"] = this.#lastId;
        const res = await this.#http.fetch(this.#http.url("/v1/events"), { headers, signal });
        if (res.status === 404 || res.status === 403 || res.status === 406) {
          this.#unsupported = true;
          await res.body?.cancel();
          break;
        }
        if (!res.ok || !res.body) throw errorFromResponse(res.status, await res.text());
        failures = 0;
        for (const watcher of [...this.#watchers.values()]) watcher.recheck();
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
            if (message.id) this.#lastId = message.id;
            // Cheap test first: most of the stream is other state changes.
            if (!message.data.includes('"task.canceled"')) continue;
            const event = JSON.parse(message.data) as { type?: string; task_id?: string };
            if (event.type === "task.canceled" && event.task_id) {
              this.#watchers.get(event.task_id)?.onCancel();
            }
          }
        }
      } catch {
        if (signal.aborted) break;
      }
      failures += 1;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** failures, 5_000)));
    }
    if (this.#connection?.signal === signal) this.#connection = null;
  }
}
