/**
 * The REST interface: a Fastify 5 app over one Engine. It authenticates, validates, maps
 * errors onto the one envelope and turns engine results into wire JSON; it holds no task logic
 * and never touches the store beyond a health ping.
 */
import { randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { ErrandError } from "../core/index.js";
import type { Engine } from "../engine/index.js";
import { registerAuth } from "./auth.js";
import { resolveHttpConfig, type HttpConfig, type ResolvedHttpConfig } from "./config.js";
import { sendError } from "./errors.js";
import { LiveRequests } from "./live.js";
import { registerMetrics } from "./metrics.js";
import { RouteKit } from "./route-kit.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerWorkerRoutes } from "./routes/leases.js";
import { registerOperatorRoutes } from "./routes/operators.js";
import { registerReceiptRoutes } from "./routes/receipts.js";
import { registerTaskRoutes } from "./routes/tasks.js";
import { mcpHttpPlugin } from "../mcp/http.js";

export interface BuildAppOptions {
  readonly engine: Engine;
  readonly config?: HttpConfig;
  /** A pino logger; without one the app logs nothing. */
  readonly logger?: FastifyBaseLogger;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Open SSE streams and long-polls, ended when the app closes. */
    errandLive: LiveRequests;
    errandConfig: ResolvedHttpConfig;
  }
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { engine } = options;
  const config = resolveHttpConfig(options.config);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: config.bodyLimit,
    exposeHeadRoutes: false,
    // Fastify's own 503 while closing has another shape; the onRequest hook below answers
    // `unavailable` in the envelope instead.
    return503OnClosing: false,
    genReqId: () => randomUUID(),
    // Errors the router raises before any route runs (an undecodable path) get the envelope too.
    frameworkErrors: (err, request, reply) => {
      sendError(request, reply, err);
    },
  });
  const live = new LiveRequests();
  app.decorate("errandLive", live);
  app.decorate("errandConfig", config);

  // JSON only: text/plain (Fastify's other default parser) answers 415 like any other type.
  // An empty body counts as no body, so `POST …/renew` needs no `{}`.
  app.removeContentTypeParser("text/plain");
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "" || (typeof body === "string" && body.trim() === "")) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new ErrandError(
        "route_not_found",
        `no endpoint ${request.method} ${request.url.split("?")[0]}`,
      ),
    ),
  );

  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
    if (live.closing) {
      reply.header("Connection", "close");
      throw new ErrandError("unavailable", "the server is shutting down; retry later");
    }
  });
  registerAuth(app, engine, config.insecure);

  if (config.rateLimit !== false) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit.max,
      timeWindow: config.rateLimit.windowMs,
      // After authentication, so the limit is per principal rather than per address.
      hook: "preHandler",
      keyGenerator: (request) => request.principal?.id ?? `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new ErrandError("rate_limited", `rate limit exceeded; retry in ${context.after}`, {
          details: { limit: context.max, retry_after_ms: context.ttl },
        }),
    });
  }

  app.addHook("preClose", async () => {
    live.abortAll();
  });

  const kit = new RouteKit(app);
  registerTaskRoutes(kit, engine);
  registerEventRoutes(kit, engine, live, config);
  registerWorkerRoutes(kit, engine, live);
  registerReceiptRoutes(kit, engine);
  registerOperatorRoutes(kit, engine, config);
  registerMetrics(app, kit, engine, live, config.metrics);
  await app.register(mcpHttpPlugin, {
    engine,
    version: config.version,
    bodyLimit: config.bodyLimit,
    allowedOrigins: config.allowedOrigins,
    config: () => config.settings,
  });
  await app.ready();
  return app;
}
