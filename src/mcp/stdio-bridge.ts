/**
 * `errand mcp`: MCP over stdio for local agents (Claude Code, Claude Desktop), as a bridge to
 * the server's Streamable HTTP endpoint. Every JSON-RPC message from stdin is POSTed to `/mcp`
 * and every message that comes back is written to stdout, so the tools, MCP tasks and resources
 * have one implementation (the server's) and this process keeps no state worth losing: the
 * client's `initialize`, its resource subscriptions, and the HTTP session id.
 *
 * Server restarts are invisible to the agent:
 * - the server forgot the session (`404`): the bridge replays `initialize` and the
 *   subscriptions to open a new session, then sends the message again;
 * - the connection dropped before the answer (the server went down mid-call): calls that are
 *   safe to repeat (reads, waits, `tasks/result`, idempotent writes) are sent again once the
 *   server is back, within RECONNECT_BUDGET_MS; any other call gets an error saying it may or
 *   may not have taken effect, so the agent checks instead of guessing.
 */
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  ErrorCode,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { MCP_PATH } from "./http.js";
import { readSse } from "./sse-reader.js";

export interface StdioBridgeOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:7420`. */
  readonly server: string;
  /** An API key; null sends none (a server started with --insecure). */
  readonly key: string | null;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Diagnostics; they go to stderr, never stdout (that is the protocol stream). */
  readonly log?: (line: string) => void;
}

/** How long a repeatable call keeps trying while the server is away (a restart). */
export const RECONNECT_BUDGET_MS = 60_000;
const BACKOFF_MS = [100, 250, 500, 1_000, 2_000];

/** Methods whose repetition changes nothing. */
const REPEATABLE_METHODS = new Set([
  "ping",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/result",
  "tasks/list",
  "tasks/cancel",
]);
/** Tools whose repetition changes nothing (reads, waits, idempotent writes). */
const REPEATABLE_TOOLS = new Set([
  "get_task",
  "list_tasks",
  "watch_task",
  "get_task_receipt",
  "open_obligations",
  "list_receipts",
  "ack_receipt",
  "cancel_task",
  "renew_lease",
  "get_config",
]);

export function isRepeatable(request: JSONRPCRequest): boolean {
  if (REPEATABLE_METHODS.has(request.method)) return true;
  if (request.method !== "tools/call") return false;
  const params = request.params as {
    name?: unknown;
    arguments?: Record<string, unknown>;
    task?: unknown;
  };
  if (typeof params?.name !== "string") return false;
  if (REPEATABLE_TOOLS.has(params.name)) return true;
  // Starting a task again with the same idempotency key returns the same task.
  return params.task === undefined && typeof params.arguments?.idempotency_key === "string";
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs until stdin ends. */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`errand mcp: ${line}\n`));
  const endpoint = new URL(
    MCP_PATH,
    options.server.endsWith("/") ? options.server : `${options.server}/`,
  );
  const stdio = new StdioServerTransport(options.stdin, options.stdout);
  const closing = new AbortController();

  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let initialize: JSONRPCRequest | null = null;
  let initialized = false;
  const subscriptions = new Set<string>();
  let reopening: Promise<void> | null = null;
  let internalIds = 0;
  let getStreamRunning = false;

  const toClient = (message: JSONRPCMessage) =>
    void stdio.send(message).catch((err: unknown) => log(`cannot write to stdout: ${String(err)}`));

  function headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(options.key ? { Authorization: `Bearer ${options.key}` } : {}),
      ...(sessionId ? { "Mcp-Session-Id": sessionId } : {}),
      ...(protocolVersion ? { "Mcp-Protocol-Version": protocolVersion } : {}),
      ...extra,
    };
  }

  /**
   * POSTs one message and hands every message of the answer to `onMessage`. Resolves whether
   * the response to `message` (when it is a request) arrived; throws HttpStatusError for a
   * refusal and the fetch error when the server cannot be reached.
   */
  async function postOnce(
    message: JSONRPCMessage,
    onMessage: (m: JSONRPCMessage) => void,
  ): Promise<boolean> {
    const res = await fetch(endpoint, {
      method: "POST",
      headers: headers({
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
      }),
      body: JSON.stringify(message),
      signal: closing.signal,
    });
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let reason = text;
      try {
        const body = JSON.parse(text) as { message?: string; error?: { message?: string } };
        reason = body.message ?? body.error?.message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new HttpStatusError(res.status, `HTTP ${res.status}: ${reason || res.statusText}`);
    }
    const newSession = res.headers.get("mcp-session-id");
    if (newSession && isJSONRPCRequest(message) && message.method === "initialize")
      sessionId = newSession;
    if (!isJSONRPCRequest(message)) {
      await res.body?.cancel().catch(() => {});
      return true;
    }
    let answered = false;
    const take = (m: JSONRPCMessage) => {
      if ((isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) && m.id === message.id)
        answered = true;
      onMessage(m);
    };
    if ((res.headers.get("content-type") ?? "").includes("text/event-stream") && res.body) {
      for await (const event of readSse(res.body)) {
        if (event.event !== "message" || event.data.trim() === "") continue;
        take(JSON.parse(event.data) as JSONRPCMessage);
        if (answered) break;
      }
    } else {
      const body = (await res.json()) as JSONRPCMessage | JSONRPCMessage[];
      for (const m of Array.isArray(body) ? body : [body]) take(m);
    }
    return answered;
  }

  /** A new session after the server forgot `stale` (it restarted): initialize, resubscribe. */
  function reopen(stale: string | undefined): Promise<void> {
    if (sessionId !== stale) return Promise.resolve();
    reopening ??= (async () => {
      sessionId = undefined;
      if (!initialize) return;
      const init = { ...initialize, id: `errand-bridge-${++internalIds}` };
      let failure: string | null = null;
      await postOnce(init, (m) => {
        if (isJSONRPCErrorResponse(m)) failure = m.error.message;
      });
      if (failure) throw new Error(`the server refused to initialize again: ${failure}`);
      await postOnce({ jsonrpc: "2.0", method: "notifications/initialized" }, () => {});
      for (const uri of subscriptions) {
        const id = `errand-bridge-${++internalIds}`;
        await postOnce(
          { jsonrpc: "2.0", id, method: "resources/subscribe", params: { uri } },
          () => {},
        );
      }
      log("the server forgot our session (it restarted?); opened a new one");
    })().finally(() => {
      reopening = null;
    });
    return reopening;
  }

  function remember(message: JSONRPCMessage): void {
    if (!isJSONRPCRequest(message)) return;
    if (message.method === "initialize") initialize = message;
    const uri = (message.params as { uri?: unknown } | undefined)?.uri;
    if (message.method === "resources/subscribe" && typeof uri === "string") subscriptions.add(uri);
    if (message.method === "resources/unsubscribe" && typeof uri === "string")
      subscriptions.delete(uri);
  }

  function fromServer(m: JSONRPCMessage): void {
    if (initialize && isJSONRPCResultResponse(m) && m.id === initialize.id) {
      const version = (m.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === "string") protocolVersion = version;
    }
    toClient(m);
  }

  function replyError(request: JSONRPCRequest, message: string): void {
    toClient({ jsonrpc: "2.0", id: request.id, error: { code: ErrorCode.InternalError, message } });
  }

  async function forward(message: JSONRPCMessage): Promise<void> {
    remember(message);
    const started = Date.now();
    const repeatable = isJSONRPCRequest(message) && isRepeatable(message);
    let sessionRetries = 0;
    for (let attempt = 0; !closing.signal.aborted; attempt++) {
      if (reopening) await reopening.catch(() => {});
      const usedSession = sessionId;
      try {
        const answered = await postOnce(message, fromServer);
        if (answered || !isJSONRPCRequest(message)) break;
        // The answer stream ended without the answer: the server went away mid-call.
        if (!repeatable || Date.now() - started > RECONNECT_BUDGET_MS) {
          replyError(
            message,
            "the connection to the Errand server dropped before the answer; the call may or may not have " +
              "taken effect (check with get_task or open_obligations)",
          );
          break;
        }
      } catch (err) {
        if (closing.signal.aborted) break;
        if (
          err instanceof HttpStatusError &&
          err.status === 404 &&
          usedSession &&
          sessionRetries < 3
        ) {
          sessionRetries += 1;
          await reopen(usedSession).catch((e: unknown) => log(String(e)));
          continue;
        }
        const unreachable = !(err instanceof HttpStatusError);
        if (unreachable && repeatable && Date.now() - started < RECONNECT_BUDGET_MS) {
          await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
          continue;
        }
        const reason =
          err instanceof Error
            ? err.cause instanceof Error
              ? `${err.message} (${err.cause.message})`
              : err.message
            : String(err);
        log(`${endpoint.href}: ${reason}`);
        if (isJSONRPCRequest(message)) {
          replyError(
            message,
            `errand mcp could not reach the Errand server at ${endpoint.href}: ${reason}`,
          );
        }
        break;
      }
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
    }
    if (isJSONRPCNotification(message) && message.method === "notifications/initialized") {
      initialized = true;
      void runGetStream();
    }
  }

  /** The session's GET stream, which carries resource notifications; kept open across restarts. */
  async function runGetStream(): Promise<void> {
    if (getStreamRunning) return;
    getStreamRunning = true;
    let failures = 0;
    while (!closing.signal.aborted && initialized) {
      if (reopening) await reopening.catch(() => {});
      const usedSession = sessionId;
      if (!usedSession) return;
      try {
        const res = await fetch(endpoint, {
          headers: headers({ Accept: "text/event-stream" }),
          signal: closing.signal,
        });
        if (res.status === 405) return; // the server offers no stream
        if (res.status === 404) {
          await reopen(usedSession);
          continue;
        }
        if (res.ok && res.body) {
          failures = 0;
          for await (const event of readSse(res.body)) {
            if (event.event === "message" && event.data.trim() !== "")
              fromServer(JSON.parse(event.data) as JSONRPCMessage);
          }
        }
      } catch {
        // unreachable for now: try again below
      }
      await sleep(BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!);
    }
  }

  const finished = new Promise<void>((resolve) => {
    stdio.onclose = () => resolve();
  });
  stdio.onmessage = (message) => void forward(message);
  stdio.onerror = (err) => log(`bad input on stdin: ${err.message}`);
  const input = options.stdin ?? process.stdin;
  input.once("end", () => void stdio.close());
  await stdio.start();
  await finished;
  closing.abort();
  if (sessionId) {
    await fetch(endpoint, { method: "DELETE", headers: headers() }).catch(() => {});
  }
}
