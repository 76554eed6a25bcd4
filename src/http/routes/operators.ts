/** Operator endpoints: API keys, health, effective configuration, JWKS, OpenAPI. */
import { ErrandError } from "../../core/index.js";
import type { Engine } from "../../engine/index.js";
import { createKeySchema, keyToWire } from "../../engine/index.js";
import type { ResolvedHttpConfig } from "../config.js";
import { buildOpenApi } from "../openapi.js";
import type { RouteKit } from "../route-kit.js";

export function registerOperatorRoutes(
  kit: RouteKit,
  engine: Engine,
  config: ResolvedHttpConfig,
): void {
  kit.route({
    method: "POST",
    url: "/v1/keys",
    tag: "operators",
    scopes: ["admin"],
    summary: "Create an API key. The secret `key` is in this answer only.",
    body: createKeySchema,
    responses: { 201: "`{id, name, scopes, created_at, revoked_at, key}`" },
    handler: async ({ reply, principal, body }) => {
      const issued = await engine.createKey(principal, body);
      reply.code(201);
      return { ...keyToWire(issued.record), key: issued.token };
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/keys",
    tag: "operators",
    scopes: ["admin"],
    summary: "List the tenant's API keys (never their secrets).",
    responses: { 200: "`{items: [...]}`" },
    handler: async ({ principal }) => ({
      items: (await engine.listKeys(principal)).map(keyToWire),
    }),
  });

  kit.route({
    method: "POST",
    url: "/v1/keys/:id/revoke",
    tag: "operators",
    scopes: ["admin"],
    summary: "Revoke an API key; requests with it answer 401 from then on.",
    responses: { 200: "The revoked key.", 404: "key_not_found" },
    handler: async ({ principal, params }) => {
      await engine.revokeKey(principal, params.id!);
      const key = (await engine.listKeys(principal)).find((k) => k.id === params.id);
      if (!key) throw new ErrandError("key_not_found", `no key ${params.id}`);
      return keyToWire(key);
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/health",
    tag: "operators",
    public: true,
    summary: "Liveness and database reachability; no credential needed.",
    responses: { 200: '`{status: "ok", backend, version}`', 503: '`{status: "degraded", …}`' },
    handler: async ({ request, reply }) => {
      let status: "ok" | "degraded" = "ok";
      try {
        await engine.ping();
      } catch (err) {
        request.log.warn({ err }, "health check: the store does not answer");
        status = "degraded";
      }
      if (engine.closed) status = "degraded";
      reply.code(status === "ok" ? 200 : 503);
      return { status, backend: engine.backend, version: config.version };
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/config",
    tag: "operators",
    summary: "The effective configuration, without secrets.",
    responses: { 200: "The configuration." },
    handler: async ({ principal }) => ({
      version: config.version,
      backend: engine.backend,
      tenant: principal.tenantId,
      principal: { id: principal.id, scopes: principal.scopes, via: principal.via },
      body_limit: config.bodyLimit,
      insecure: config.insecure,
      rate_limit:
        config.rateLimit === false
          ? null
          : { max: config.rateLimit.max, window_ms: config.rateLimit.windowMs },
      sse_keep_alive_ms: config.sseKeepAliveMs,
      sse_retry_ms: config.sseRetryMs,
      metrics: config.metrics,
      ...config.settings,
    }),
  });

  kit.route({
    method: "GET",
    url: "/.well-known/jwks.json",
    tag: "operators",
    public: true,
    summary: "Public keys that verify receipts (RFC 7517), `kid` = RFC 7638 thumbprint.",
    responses: { 200: "`{keys: [...]}`" },
    handler: async ({ reply }) => {
      reply.header("Cache-Control", "public, max-age=300");
      return engine.receipts.jwks(engine.clock.now());
    },
  });

  let document: unknown = null;
  kit.route({
    method: "GET",
    url: "/openapi.json",
    tag: "operators",
    public: true,
    summary: "This document.",
    responses: { 200: "OpenAPI 3.1" },
    handler: async () => {
      document ??= buildOpenApi(kit.docs, config.version);
      return document;
    },
  });
}
