/**
 * `errand mcp`: MCP over stdio for local agents (Claude Code, Claude Desktop), as a bridge to
 * the server's Streamable HTTP endpoint. Every JSON-RPC message from stdin is sent to `/mcp`
 * and every message back is written to stdout, so the tools, MCP tasks and resources have one
 * implementation (the server's) and the stdio process holds no state of its own beyond the
 * HTTP session.
 *
 * When the server restarts, its sessions are gone and it answers 404. The bridge then opens a
 * new session by replaying the client's `initialize` (and its resource subscriptions) and sends
 * the message again; the agent notices nothing, because tasks live in the store.
 */
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Readable, Writable } from "node:stream";
import {
  ErrorCode,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { MCP_PATH } from "./http.js";

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

const REINIT_PREFIX = "errand-bridge-reinit-";

/** Runs until stdin ends. */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`errand mcp: ${line}\n`));
  const endpoint = new URL(
    MCP_PATH,
    options.server.endsWith("/") ? options.server : `${options.server}/`,
  );
  const headers: Record<string, string> = options.key
    ? { Authorization: `Bearer ${options.key}` }
    : {};
  const stdio = new StdioServerTransport(options.stdin, options.stdout);

  let initialize: JSONRPCRequest | null = null;
  let protocolVersion: string | null = null;
  const subscriptions = new Set<string>();
  const pendingReinit = new Map<string, (message: JSONRPCMessage) => void>();
  let reinitCount = 0;
  let http = await connectHttp();
  let reopening: Promise<void> | null = null;

  async function connectHttp(): Promise<StreamableHTTPClientTransport> {
    const transport = new StreamableHTTPClientTransport(endpoint, { requestInit: { headers } });
    transport.onmessage = (message) => {
      const id = "id" in message ? message.id : undefined;
      if (typeof id === "string" && pendingReinit.has(id)) {
        pendingReinit.get(id)!(message);
        pendingReinit.delete(id);
        return;
      }
      if (initialize && id === initialize.id && isJSONRPCResultResponse(message)) {
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === "string") {
          protocolVersion = version;
          transport.setProtocolVersion(version);
        }
      }
      void stdio
        .send(message)
        .catch((err: unknown) => log(`cannot write to stdout: ${String(err)}`));
    };
    transport.onerror = (err) => log(err.message);
    await transport.start();
    return transport;
  }

  /** A fresh session after the server forgot ours (it restarted): initialize again, resubscribe. */
  async function reopen(): Promise<void> {
    const old = http;
    http = await connectHttp();
    void old.close().catch(() => {});
    if (!initialize) return;
    const id = `${REINIT_PREFIX}${++reinitCount}`;
    const answered = new Promise<JSONRPCMessage>((resolve) => pendingReinit.set(id, resolve));
    await http.send({ ...initialize, id });
    const answer = await answered;
    if (isJSONRPCErrorResponse(answer))
      throw new Error(`the server refused to initialize: ${answer.error.message}`);
    if (protocolVersion) http.setProtocolVersion(protocolVersion);
    await http.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    for (const uri of subscriptions) {
      const subId = `${REINIT_PREFIX}${++reinitCount}`;
      const done = new Promise<JSONRPCMessage>((resolve) => pendingReinit.set(subId, resolve));
      await http.send({
        jsonrpc: "2.0",
        id: subId,
        method: "resources/subscribe",
        params: { uri },
      });
      await done;
    }
    log("the server forgot our session (restarted?); opened a new one");
  }

  function sessionLost(err: unknown): boolean {
    return err instanceof StreamableHTTPError && err.code === 404 && http.sessionId !== undefined;
  }

  async function forward(message: JSONRPCMessage): Promise<void> {
    if (isJSONRPCRequest(message)) {
      if (message.method === "initialize") initialize = message;
      const uri = (message.params as { uri?: unknown } | undefined)?.uri;
      if (message.method === "resources/subscribe" && typeof uri === "string")
        subscriptions.add(uri);
      if (message.method === "resources/unsubscribe" && typeof uri === "string")
        subscriptions.delete(uri);
    }
    try {
      if (reopening) await reopening;
      try {
        await http.send(message);
      } catch (err) {
        if (!sessionLost(err)) throw err;
        reopening ??= reopen().finally(() => {
          reopening = null;
        });
        await reopening;
        await http.send(message);
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log(`cannot reach ${endpoint.href}: ${reason}`);
      if (isJSONRPCRequest(message)) {
        await stdio.send({
          jsonrpc: "2.0",
          id: message.id,
          error: {
            code: ErrorCode.InternalError,
            message: `errand mcp could not reach the Errand server at ${endpoint.href}: ${reason}`,
          },
        });
      }
    }
  }

  const finished = new Promise<void>((resolve) => {
    stdio.onclose = () => resolve();
  });
  stdio.onmessage = (message) => void forward(message);
  stdio.onerror = (err) => log(`bad input on stdin: ${err.message}`);
  options.stdin?.once("end", () => void stdio.close());
  if (!options.stdin) process.stdin.once("end", () => void stdio.close());
  await stdio.start();
  await finished;
  await http.terminateSession().catch(() => {});
  await http.close().catch(() => {});
}
