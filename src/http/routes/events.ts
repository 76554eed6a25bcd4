/**
 * Task event streams (DESIGN.md "Streaming"): SSE with resume, or JSON pages with long-poll, on
 * the same path; and the tenant-wide state stream.
 */
import { ErrandError, isTerminal } from "../../core/index.js";
import type { Engine } from "../../engine/index.js";
import { eventToWire, requireScope } from "../../engine/index.js";
import type { ResolvedHttpConfig } from "../config.js";
import type { LiveRequests } from "../live.js";
import { MAX_WAIT_SECONDS, eventsQuerySchema, tenantEventsQuerySchema } from "../query-schemas.js";
import type { RouteKit } from "../route-kit.js";
import {
  parsePosition,
  pipeSse,
  resumePosition,
  taskEventFrames,
  tenantEventFrames,
  wantsEventStream,
} from "../sse.js";

const DEFAULT_EVENT_PAGE = 100;

export function registerEventRoutes(
  kit: RouteKit,
  engine: Engine,
  live: LiveRequests,
  config: ResolvedHttpConfig,
): void {
  kit.route({
    method: "GET",
    url: "/v1/tasks/:id/events",
    tag: "events",
    scopes: ["tasker", "worker"],
    stream: true,
    summary:
      "The task's event log. With `Accept: text/event-stream`: SSE (id = seq; resume with Last-Event-ID or ?after=; closes after the terminal event). Otherwise a JSON page, optionally long-polling with `wait`.",
    query: eventsQuerySchema,
    produces: ["application/json", "text/event-stream"],
    responses: {
      200: "SSE stream, or `{events, next_after, state, terminal}`",
      204: "SSE only: the task is terminal and the caller has seen its last event.",
    },
    handler: async ({ request, reply, principal, params, query }) => {
      const id = params.id!;
      if (wantsEventStream(request)) {
        const after = resumePosition(request, query.after) ?? 0;
        // Answer 404/401/403 as JSON before the stream starts; then 204 stops an EventSource.
        if (await engine.isCaughtUpTerminal(principal, id, after)) {
          return reply.code(204).send();
        }
        await pipeSse({
          request,
          reply,
          live,
          keepAliveMs: config.sseKeepAliveMs,
          retryMs: config.sseRetryMs,
          source: (signal) => engine.streamTaskEvents(principal, id, after, signal),
          format: taskEventFrames,
        });
        return reply;
      }
      const after = parsePosition(query.after) ?? 0;
      const limit = query.limit ?? DEFAULT_EVENT_PAGE;
      const waitMs = Math.round(Math.min(query.wait ?? 0, MAX_WAIT_SECONDS) * 1000);
      let page;
      if (waitMs > 0) {
        const handle = live.open(reply);
        try {
          page = await engine.waitForEvents(principal, id, after, limit, waitMs, handle.signal);
        } finally {
          handle.done();
        }
      } else {
        page = await engine.readEvents(principal, id, after, limit);
      }
      return {
        events: page.events.map(eventToWire),
        next_after: page.nextAfter,
        state: page.task.state,
        terminal: isTerminal(page.task.state),
      };
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/events",
    tag: "events",
    scopes: ["tasker", "worker"],
    stream: true,
    summary:
      "SSE of the tenant's task state changes (every type but progress, output, log, artifact); id is a tenant-wide position, resume with Last-Event-ID; without one it starts now.",
    query: tenantEventsQuerySchema,
    produces: ["text/event-stream"],
    responses: { 200: "SSE stream", 406: "not_acceptable: send `Accept: text/event-stream`." },
    handler: async ({ request, reply, principal }) => {
      if (!wantsEventStream(request)) {
        throw new ErrandError(
          "not_acceptable",
          "this endpoint only streams: send Accept: text/event-stream",
        );
      }
      const after = resumePosition(request, undefined);
      // The engine checks the scope again; checking here first answers a refusal as a JSON
      // error instead of a stream that ends at once.
      requireScope(principal, "tasker", "worker");
      await pipeSse({
        request,
        reply,
        live,
        keepAliveMs: config.sseKeepAliveMs,
        retryMs: config.sseRetryMs,
        source: (signal) => engine.streamTenantEvents(principal, after, signal),
        format: tenantEventFrames,
      });
      return reply;
    },
  });
}
