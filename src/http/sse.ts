/**
 * Server-Sent Events (WHATWG HTML §9.2) written straight to the socket: the reply is hijacked
 * so that nothing buffers or compresses the stream, each batch of events goes out in one
 * write, and a slow reader holds the producer back through `drain` instead of growing memory.
 */
import { once } from "node:events";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TaskEvent, TenantEvent } from "../core/index.js";
import { ErrandError } from "../core/index.js";
import { eventToWire, tenantEventToWire } from "../engine/index.js";
import type { LiveRequests } from "./live.js";

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
  Connection: "keep-alive",
} as const;

export function wantsEventStream(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === "string" && accept.toLowerCase().includes("text/event-stream");
}

const POSITION = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The position a stream resumes after: `Last-Event-ID` (sent by a reconnecting EventSource)
 * wins over `?after=`, which the reconnect repeats from the original URL.
 */
export function resumePosition(request: FastifyRequest, after: string | undefined): number | null {
  const header = request.headers["last-event-id"];
  const raw = typeof header === "string" && header.trim() !== "" ? header.trim() : after;
  return parsePosition(raw);
}

/** A stream position (`after`, `Last-Event-ID`): a non-negative integer, else `invalid_cursor`. */
export function parsePosition(raw: string | undefined): number | null {
  if (raw === undefined || raw === "") return null;
  if (!POSITION.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ErrandError("invalid_cursor", `not a stream position: ${raw.slice(0, 40)}`);
  }
  return Number(raw);
}

/**
 * Frames already written, by event object: a live event reaches every subscriber of its task
 * as the same object (the notifier carries it), so a hundred subscribers serialize it once.
 */
const FRAMES = new WeakMap<TaskEvent, string>();

export function taskEventFrames(events: readonly TaskEvent[]): string {
  let text = "";
  for (const event of events) {
    let frame = FRAMES.get(event);
    if (frame === undefined) {
      frame = `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(eventToWire(event))}\n\n`;
      FRAMES.set(event, frame);
    }
    text += frame;
  }
  return text;
}

export function tenantEventFrames(events: readonly TenantEvent[]): string {
  let text = "";
  for (const event of events) {
    text += `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(tenantEventToWire(event))}\n\n`;
  }
  return text;
}

export interface SseOptions<T> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly live: LiveRequests;
  readonly keepAliveMs: number;
  readonly retryMs: number;
  /** The batches to send; must end when `signal` aborts. */
  readonly source: (signal: AbortSignal) => AsyncIterable<T>;
  readonly format: (batch: T) => string;
}

/** Streams `source` as SSE until it ends, the client leaves, or the server shuts down. */
export async function pipeSse<T>(options: SseOptions<T>): Promise<void> {
  const { request, reply } = options;
  const handle = options.live.open(reply);
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, { ...SSE_HEADERS, "X-Request-Id": request.id });
  raw.write(`retry: ${options.retryMs}\n\n`);
  const keepAlive = setInterval(() => {
    if (!raw.destroyed) raw.write(": keep-alive\n\n");
  }, options.keepAliveMs);
  keepAlive.unref();
  try {
    for await (const batch of options.source(handle.signal)) {
      if (handle.signal.aborted || raw.destroyed) break;
      if (!raw.write(options.format(batch))) {
        await once(raw, "drain", { signal: handle.signal }).catch(() => undefined);
      }
    }
  } catch (err) {
    // Headers are out; all that is left is to log and end the stream. The client resumes.
    if (!handle.signal.aborted)
      request.log.error({ err, reqId: request.id }, "event stream failed");
  } finally {
    clearInterval(keepAlive);
    handle.done();
    if (!raw.destroyed) raw.end();
  }
}
