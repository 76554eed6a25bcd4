/** Worker endpoints: announce, heartbeat, claim (long-poll) and the lease writes. */
import type { Engine } from "../../engine/index.js";
import {
  announceWorkerSchema,
  appendEventsSchema,
  attemptMetaSchema,
  claimSchema,
  completeSchema,
  failSchema,
  releaseSchema,
  taskToWire,
  workerToWire,
} from "../../engine/index.js";
import type { PendingEvent } from "../../core/index.js";
import { toIso } from "../../core/index.js";
import type { LiveRequests } from "../live.js";
import type { RouteKit } from "../route-kit.js";

const LEASE_LOST = { 409: "lease_lost: not the task's current live lease; nothing changed." };

export function registerWorkerRoutes(kit: RouteKit, engine: Engine, live: LiveRequests): void {
  kit.route({
    method: "POST",
    url: "/v1/workers",
    tag: "workers",
    scopes: ["worker"],
    summary: "Announce a worker (or re-announce one with the id it got before).",
    body: announceWorkerSchema,
    responses: { 201: "The new worker.", 200: "The re-announced worker." },
    handler: async ({ reply, principal, body }) => {
      const worker = await engine.announceWorker(principal, body);
      reply.code(body.id === undefined ? 201 : 200);
      return workerToWire(worker);
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/workers",
    tag: "workers",
    scopes: ["tasker", "worker"],
    summary: "List the tenant's workers.",
    responses: { 200: "`{items: [...]}`" },
    handler: async ({ principal }) => ({
      items: (await engine.listWorkers(principal)).map(workerToWire),
    }),
  });

  kit.route({
    method: "POST",
    url: "/v1/workers/:id/heartbeat",
    tag: "workers",
    scopes: ["worker"],
    summary: "Keep a worker listed as alive.",
    responses: { 200: "The worker.", 404: "worker_not_found" },
    handler: async ({ principal, params }) =>
      workerToWire(await engine.heartbeat(principal, params.id!)),
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/claim",
    tag: "leases",
    scopes: ["worker"],
    summary:
      "Claim up to `max` claimable tasks. With `wait_ms` it long-polls until a task is claimable or the time is up.",
    body: claimSchema,
    responses: { 200: "`{leases: [{lease_id, expires_at, task}]}`, possibly empty." },
    handler: async ({ reply, principal, body }) => {
      const handle = body.wait_ms ? live.open(reply) : null;
      try {
        const leases = await engine.claim(principal, body, handle?.signal);
        return {
          leases: leases.map((lease) => ({
            lease_id: lease.leaseId,
            expires_at: lease.task.lease ? toIso(lease.task.lease.expiresAt) : null,
            task: taskToWire(lease.task, { withLeaseId: true }),
          })),
        };
      } finally {
        handle?.done();
      }
    },
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/renew",
    tag: "leases",
    scopes: ["worker"],
    summary: "Extend a lease. `cancel_requested: true` means the task was canceled: stop.",
    responses: {
      200: "`{lease_id, expires_at, cancel_requested, state}`",
      409: "lease_lost (nothing changed) or lease_limit_reached (renewal or lifetime cap).",
    },
    handler: async ({ principal, params }) => {
      const renewed = await engine.renew(principal, params.lease_id!);
      return {
        lease_id: renewed.leaseId,
        expires_at: toIso(renewed.expiresAt),
        cancel_requested: renewed.cancelRequested,
        state: renewed.task.state,
      };
    },
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/events",
    tag: "leases",
    scopes: ["worker"],
    summary: "Append up to 1000 events (progress, output, log, artifact) under the lease.",
    body: appendEventsSchema,
    responses: { 200: "`{last_seq}`", ...LEASE_LOST },
    handler: async ({ principal, params, body }) => {
      const events = toPending(body.events);
      const appended = await engine.appendEvents(principal, params.lease_id!, events);
      return { last_seq: appended.lastSeq };
    },
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/complete",
    tag: "leases",
    scopes: ["worker"],
    summary: "Finish the task successfully with an optional result.",
    body: completeSchema,
    responses: { 200: "The succeeded task.", ...LEASE_LOST },
    handler: async ({ principal, params, body }) =>
      taskToWire(
        await engine.complete(principal, params.lease_id!, body.result, toPending(body.events)),
        { withLeaseId: true },
      ),
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/fail",
    tag: "leases",
    scopes: ["worker"],
    summary:
      "Report a failure: queued again with backoff while attempts are left and it is retryable, else failed.",
    body: failSchema,
    responses: { 200: "The task, queued again or failed.", ...LEASE_LOST },
    handler: async ({ principal, params, body }) =>
      taskToWire(
        await engine.fail(principal, params.lease_id!, {
          error: body.error,
          retryable: body.retryable,
          events: toPending(body.events),
        }),
        { withLeaseId: true },
      ),
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/release",
    tag: "leases",
    scopes: ["worker"],
    summary: "Give the task back unfinished; the attempt does not count.",
    body: releaseSchema,
    responses: { 200: "The task, queued again.", ...LEASE_LOST },
    handler: async ({ principal, params, body }) =>
      taskToWire(await engine.release(principal, params.lease_id!, body.reason), {
        withLeaseId: true,
      }),
  });

  kit.route({
    method: "POST",
    url: "/v1/leases/:lease_id/meta",
    tag: "leases",
    scopes: ["worker"],
    summary: "Record facts about the attempt, such as the model backend used.",
    body: attemptMetaSchema,
    responses: { 204: "Recorded.", ...LEASE_LOST },
    handler: async ({ reply, principal, params, body }) => {
      await engine.setAttemptMeta(principal, params.lease_id!, body);
      return reply.code(204).send();
    },
  });
}

function toPending(events: readonly { type: string; data?: unknown }[]): PendingEvent[];
function toPending(
  events: readonly { type: string; data?: unknown }[] | undefined,
): PendingEvent[] | undefined;
function toPending(
  events: readonly { type: string; data?: unknown }[] | undefined,
): PendingEvent[] | undefined {
  return events?.map((e) => ({ type: e.type as PendingEvent["type"], data: e.data ?? null }));
}
