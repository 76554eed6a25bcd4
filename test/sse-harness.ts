/** A plain SSE reader over node:http, and a producer that appends events through the lease API. */
import { EventEmitter } from "node:events";
import { request as httpRequest, type IncomingMessage } from "node:http";

export interface SseFrame {
  readonly id: string | null;
  readonly event: string | null;
  readonly data: string;
}

export interface SseOutcome {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  /** `ended`: the server closed the stream; `dropped`: the reader gave up; `empty`: no body. */
  readonly how: "ended" | "dropped" | "empty";
  readonly comments: readonly string[];
}

/** Parses SSE frames out of a byte stream (lines end in \n; a blank line dispatches). */
export class SseParser {
  #buffer = "";
  feed(
    text: string,
    onFrame: (frame: SseFrame) => boolean | void,
    onComment?: (c: string) => boolean | void,
  ): boolean {
    this.#buffer += text;
    let end: number;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let id: string | null = null;
      let event: string | null = null;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) {
          if (onComment?.(line.slice(1).trim()) === false) return false;
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") id = value;
        else if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length === 0) continue;
      if (onFrame({ id, event, data: data.join("\n") }) === false) return false;
    }
    return true;
  }
}

/**
 * Opens an SSE request and feeds complete frames to `onFrame`; returning false from it drops
 * the connection right there, discarding whatever else arrived in the same chunk.
 */
export function readSse(
  url: string,
  headers: Record<string, string>,
  onFrame: (frame: SseFrame) => boolean | void,
  options: { dropOnOpen?: boolean; onComment?: (c: string) => boolean | void } = {},
): Promise<SseOutcome> {
  return new Promise((resolve, reject) => {
    const comments: string[] = [];
    const req = httpRequest(
      url,
      { headers: { accept: "text/event-stream", ...headers } },
      (res) => {
        const base = { status: res.statusCode ?? 0, headers: res.headers, comments };
        if (res.statusCode !== 200) {
          res.resume();
          res.on("end", () => resolve({ ...base, how: "empty" }));
          return;
        }
        if (options.dropOnOpen) {
          req.destroy();
          resolve({ ...base, how: "dropped" });
          return;
        }
        const parser = new SseParser();
        let done = false;
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (done) return;
          const keepGoing = parser.feed(chunk, onFrame, (c) => {
            comments.push(c);
            return options.onComment?.(c);
          });
          if (!keepGoing) {
            done = true;
            req.destroy();
            resolve({ ...base, how: "dropped" });
          }
        });
        res.on("end", () => {
          if (!done) resolve({ ...base, how: "ended" });
          done = true;
        });
        res.on("error", () => {
          if (!done) reject(new Error("stream broke without being dropped"));
          done = true;
        });
      },
    );
    req.on("error", (err) => reject(err));
    req.end();
  });
}

/** A deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Lets a producer stay at most `lead` events ahead of a reader, so both really overlap. */
export class Pace extends EventEmitter {
  #read = 0;
  get read(): number {
    return this.#read;
  }
  reached(seq: number): void {
    if (seq > this.#read) {
      this.#read = seq;
      this.emit("progress");
    }
  }
  async waitUntil(seq: number): Promise<void> {
    while (this.#read < seq) await new Promise((resolve) => this.once("progress", resolve));
  }
}

export interface ProducerOptions {
  readonly base: string;
  readonly workerKey: string;
  readonly leaseId: string;
  readonly total: number;
  readonly random: (n: number) => number;
  readonly pace: Pace;
  readonly lead: number;
}

/** Appends `total` events in random batches of 1…25 through the lease API, then completes. */
export async function produce(options: ProducerOptions): Promise<number> {
  const headers = {
    authorization: `Bearer ${options.workerKey}`,
    "content-type": "application/json",
  };
  let sent = 0;
  let lastSeq = 0;
  while (sent < options.total) {
    const size = Math.min(options.total - sent, 1 + options.random(25));
    const events = Array.from({ length: size }, (_, i) => ({
      type: "task.progress",
      data: { current: sent + i + 1, total: options.total },
    }));
    const res = await fetch(`${options.base}/v1/leases/${options.leaseId}/events`, {
      method: "POST",
      headers,
      body: JSON.stringify({ events }),
    });
    if (res.status !== 200) throw new Error(`append answered ${res.status}: ${await res.text()}`);
    lastSeq = ((await res.json()) as { last_seq: number }).last_seq;
    sent += size;
    await options.pace.waitUntil(lastSeq - options.lead);
  }
  const done = await fetch(`${options.base}/v1/leases/${options.leaseId}/complete`, {
    method: "POST",
    headers,
    body: JSON.stringify({ result: { sent } }),
  });
  if (done.status !== 200) throw new Error(`complete answered ${done.status}`);
  return ((await done.json()) as { last_seq: number }).last_seq;
}
