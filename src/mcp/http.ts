/**
 * MCP over Streamable HTTP at `/mcp`, as a Fastify plugin.
 *
 * - Authentication: the same API keys as REST (`Authorization: Bearer …`). Inside the Errand
 *   app the app's own onRequest hook has already resolved `request.principal` (and `--insecure`
 *   applies); registered on a bare Fastify instance the plugin authenticates by itself.
 * - Origin: a present Origin header must be a loopback origin or one in `allowedOrigins`;
 *   anything else is `403 forbidden_origin` (DNS rebinding protection, MCP transports spec,
 *   "Security Warning").
 * - Sessions only carry what a live connection needs (resource subscriptions, the GET stream
 *   for their notifications). Task state lives in the store: a client that loses its session
 *   re-initializes and finds every task again. An `initialize` opens a session; any other
 *   request without `Mcp-Session-Id` is served statelessly by a server made for that request.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../core/index.js";
import { ErrandError } from "../core/index.js";
import type { Engine } from "../engine/index.js";
import { SessionEventStore } from "./event-store.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

export const MCP_PATH = "/mcp";
export const DEFAULT_MCP_BODY_LIMIT = 1024 * 1024;
/** A session nobody used for this long (and with no request open) is closed. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_SESSIONS = 1_000;
/** What a client waits before reconnecting a dropped SSE stream (the `retry:` field). */
export const SSE_RETRY_MS = 1_000;

export interface McpHttpOptions extends McpServerOptions {
  readonly engine: Engine;
  /** Origins allowed besides loopback ones (`http://localhost:3000`), or `"*"` for any. */
  readonly allowedOrigins?: readonly string[];
  readonly bodyLimit?: number;
  readonly sessionIdleMs?: number;
  readonly maxSessions?: number;
}

interface Session {
  readonly id: string;
  readonly principalId: string;
  readonly server: Server;
  readonly transport: StreamableHTTPServerTransport;
  lastSeen: number;
  open: number;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function isOriginAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK.has(url.hostname);
  } catch {
    return false;
  }
}

function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply.code(status).send({ jsonrpc: "2.0", error: { code, message }, id: null });
}

/**
 * Registers `GET|POST|DELETE /mcp`.
 *
 * @example
 * await app.register(mcpHttpPlugin, { engine, version: "1.0.0" });
 */
export async function mcpHttpPlugin(app: FastifyInstance, options: McpHttpOptions): Promise<void> {
  const { engine } = options;
  const allowed = options.allowedOrigins ?? [];
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const serverOptions: McpServerOptions = {
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    logger: options.logger ?? app.log,
  };
  const sessions = new Map<string, Session>();

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const s of sessions.values())
        if (s.open === 0 && now - s.lastSeen > idleMs) void closeSession(s);
    },
    Math.min(60_000, idleMs),
  );
  sweep.unref();

  async function closeSession(session: Session): Promise<void> {
    sessions.delete(session.id);
    await session.transport.close().catch(() => {});
    await session.server.close().catch(() => {});
  }

  app.addHook("preClose", async () => {
    clearInterval(sweep);
    await Promise.all([...sessions.values()].map(closeSession));
  });

  async function principalOf(request: FastifyRequest): Promise<Principal> {
    const resolved = (request as { principal?: Principal | null }).principal;
    if (resolved) return resolved;
    const match = BEARER.exec(request.headers.authorization ?? "");
    if (!match)
      throw new ErrandError("unauthenticated", "send an API key as `Authorization: Bearer <key>`");
    return engine.authenticate(match[1]!);
  }

  function checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!isOriginAllowed(origin, allowed)) {
      throw new ErrandError("forbidden_origin", `Origin ${origin} is not allowed to use /mcp`);
    }
  }

  /** The session the request names, or null after answering 404 (unknown or someone else's). */
  function sessionOf(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
  ): Session | null {
    const header = request.headers["mcp-session-id"];
    const id = Array.isArray(header) ? header[0] : header;
    const session = id ? sessions.get(id) : undefined;
    if (!session || session.principalId !== principal.id) {
      void jsonRpcError(reply, 404, -32001, "Session not found; initialize again");
      return null;
    }
    return session;
  }

  async function serve(
    session: Session,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    session.lastSeen = Date.now();
    session.open += 1;
    reply.raw.once("close", () => {
      session.open -= 1;
      session.lastSeen = Date.now();
    });
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  }

  async function openSession(
    principal: Principal,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    if (sessions.size >= maxSessions) {
      const idle = [...sessions.values()]
        .filter((s) => s.open === 0)
        .sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (!idle) throw new ErrandError("unavailable", "too many open MCP sessions; retry later");
      await closeSession(idle);
    }
    const server = createMcpServer(engine, principal, serverOptions);
    let session: Session | null = null;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Numbered, replayable SSE events: a dropped connection resumes with Last-Event-ID.
      eventStore: new SessionEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (id) => {
        session = {
          id,
          principalId: principal.id,
          server,
          transport,
          lastSeen: Date.now(),
          open: 0,
        };
        sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id) sessions.delete(id);
    };
    await server.connect(transport);
    reply.raw.once("close", () => {
      // An initialize that never produced a session leaves nothing behind.
      if (!session) void server.close().catch(() => {});
    });
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  }

  async function serveStateless(
    principal: Principal,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    const server = createMcpServer(engine, principal, serverOptions);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    reply.raw.once("close", () => {
      // Closing the server aborts a handler still waiting (watch_task, tasks/result).
      void transport.close().catch(() => {});
      void server.close().catch(() => {});
    });
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  }

  app.post(
    MCP_PATH,
    { bodyLimit: options.bodyLimit ?? DEFAULT_MCP_BODY_LIMIT },
    async (request, reply) => {
      checkOrigin(request);
      const principal = await principalOf(request);
      if (request.body === undefined || request.body === null) {
        return jsonRpcError(reply, 400, -32700, "Parse error: the body must be a JSON-RPC message");
      }
      if (request.headers["mcp-session-id"] !== undefined) {
        const session = sessionOf(request, reply, principal);
        if (session) await serve(session, request, reply);
        return reply;
      }
      const body = request.body;
      const initializing = Array.isArray(body)
        ? body.some(isInitializeRequest)
        : isInitializeRequest(body);
      if (initializing) await openSession(principal, request, reply);
      else await serveStateless(principal, request, reply);
      return reply;
    },
  );

  for (const method of ["GET", "DELETE"] as const) {
    app.route({
      method,
      url: MCP_PATH,
      handler: async (request, reply) => {
        checkOrigin(request);
        const principal = await principalOf(request);
        if (request.headers["mcp-session-id"] === undefined) {
          reply.header("Allow", "POST");
          return jsonRpcError(
            reply,
            405,
            -32000,
            `${method} /mcp needs an Mcp-Session-Id from initialize`,
          );
        }
        const session = sessionOf(request, reply, principal);
        if (session) await serve(session, request, reply);
        return reply;
      },
    });
  }
}
