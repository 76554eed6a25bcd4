/**
 * Prometheus metrics at `GET /metrics`: HTTP requests by route and status, open streams, tasks
 * by state, and the process's own metrics. Each app has its own registry, so several apps in
 * one process (tests, benchmarks) do not collide.
 */
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { TASK_STATES } from "../core/index.js";
import type { Engine } from "../engine/index.js";
import { DEFAULT_TENANT, requireScope } from "../engine/index.js";
import type { LiveRequests } from "./live.js";
import type { RouteKit } from "./route-kit.js";

export type MetricsAccess = "public" | "private" | "off";

export function registerMetrics(
  app: FastifyInstance,
  kit: RouteKit,
  engine: Engine,
  live: LiveRequests,
  access: MetricsAccess,
): void {
  if (access === "off") return;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "errand_" });

  const requests = new Counter({
    name: "errand_http_requests_total",
    help: "HTTP requests answered, by method, route and status (SSE streams are not counted).",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "errand_http_request_duration_seconds",
    help: "Time to answer an HTTP request (SSE streams are not counted).",
    labelNames: ["method", "route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [registry],
  });
  new Gauge({
    name: "errand_open_streams",
    help: "SSE streams and long-polls open right now.",
    registers: [registry],
    collect() {
      this.set(live.size);
    },
  });
  new Gauge({
    name: "errand_tasks",
    help: "Tasks of the default tenant by state.",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const counts = await engine.taskCounts(DEFAULT_TENANT);
      TASK_STATES.forEach((state) => this.set({ state }, counts[state]));
    },
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.is404 ? "unknown" : (request.routeOptions.url ?? "unknown");
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  kit.route({
    method: "GET",
    url: "/metrics",
    tag: "operators",
    public: access === "public",
    stream: true, // scrapes are not rate-limited
    summary:
      "Prometheus metrics (text exposition format). Public unless the server runs with `--metrics private` (then admin only).",
    produces: ["text/plain"],
    responses: { 200: "Metrics in the Prometheus text format." },
    handler: async (ctx) => {
      // `ctx.principal` throws on a public route without a credential: read it only when private.
      if (access === "private") requireScope(ctx.principal, "admin");
      const body = await registry.metrics();
      return ctx.reply.type(registry.contentType).send(body);
    },
  });
}
