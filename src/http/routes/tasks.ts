/** Tasker endpoints: create, read, list, cancel, attempts, verify. */
import { ErrandError } from "../../core/index.js";
import type { Engine } from "../../engine/index.js";
import {
  attemptToWire,
  cancelSchema,
  createBatchSchema,
  createTaskSchema,
  listTasksSchema,
  taskToWire,
} from "../../engine/index.js";
import type { FastifyRequest } from "fastify";
import type { RouteKit } from "../route-kit.js";

const IDEMPOTENCY_HEADER = "idempotency-key";

/** Merges the `Idempotency-Key` header into the body; both present and different is an error. */
function withIdempotencyHeader(request: FastifyRequest): unknown {
  const header = request.headers[IDEMPOTENCY_HEADER];
  const body = request.body ?? {};
  if (header === undefined) return body;
  if (typeof header !== "string" || header === "") {
    throw new ErrandError("validation_failed", "Idempotency-Key must be one non-empty value", {
      details: {
        issues: [{ path: "headers.idempotency-key", message: "must be one non-empty value" }],
      },
    });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const field = (body as Record<string, unknown>).idempotency_key;
  if (field !== undefined && field !== header) {
    throw new ErrandError(
      "validation_failed",
      "the Idempotency-Key header and the idempotency_key field differ",
      {
        details: {
          issues: [
            { path: "headers.idempotency-key", message: "differs from body.idempotency_key" },
          ],
        },
      },
    );
  }
  return { ...body, idempotency_key: header };
}

export function registerTaskRoutes(kit: RouteKit, engine: Engine): void {
  kit.route({
    method: "POST",
    url: "/v1/tasks",
    tag: "tasks",
    scopes: ["tasker"],
    summary:
      "Create a task. An Idempotency-Key header (or the idempotency_key field) makes a retry return the same task.",
    body: createTaskSchema,
    bodyFrom: withIdempotencyHeader,
    responses: {
      201: "The new task.",
      200: "The task created before with the same idempotency key and body.",
      409: "idempotency_conflict: the key was used with a different body.",
    },
    handler: async ({ reply, principal, body }) => {
      const outcome = await engine.createTask(principal, body);
      reply.code(outcome.created ? 201 : 200);
      return taskToWire(outcome.task);
    },
  });

  kit.route({
    method: "POST",
    url: "/v1/tasks/batch",
    tag: "tasks",
    scopes: ["tasker"],
    summary: "Create up to 1000 tasks at once: all or none.",
    body: createBatchSchema,
    responses: {
      201: "`{tasks: [...]}` in request order.",
      200: "Every task was an idempotent replay.",
    },
    handler: async ({ reply, principal, body }) => {
      const outcomes = await engine.createTasks(principal, body.tasks);
      reply.code(outcomes.some((o) => o.created) ? 201 : 200);
      return { tasks: outcomes.map((o) => taskToWire(o.task)) };
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/tasks",
    tag: "tasks",
    scopes: ["tasker", "worker"],
    summary: "List tasks, newest first, with filters and cursor pages.",
    query: listTasksSchema,
    responses: { 200: "`{items: [...], next_cursor}`" },
    handler: async ({ principal, query }) => {
      const page = await engine.listTasks(principal, query);
      return { items: page.items.map((t) => taskToWire(t)), next_cursor: page.nextCursor };
    },
  });

  kit.route({
    method: "GET",
    url: "/v1/tasks/:id",
    tag: "tasks",
    scopes: ["tasker", "worker"],
    summary: "Read a task.",
    responses: { 200: "The task.", 404: "task_not_found" },
    handler: async ({ principal, params }) =>
      taskToWire(await engine.getTask(principal, params.id!)),
  });

  kit.route({
    method: "POST",
    url: "/v1/tasks/:id/cancel",
    tag: "tasks",
    scopes: ["tasker"],
    summary: "Cancel a queued or running task; canceling a canceled task answers it again.",
    body: cancelSchema,
    responses: { 200: "The canceled task.", 409: "task_terminal: it already succeeded or failed." },
    handler: async ({ principal, params, body }) =>
      taskToWire(await engine.cancelTask(principal, params.id!, body.reason)),
  });

  kit.route({
    method: "GET",
    url: "/v1/tasks/:id/attempts",
    tag: "tasks",
    scopes: ["tasker", "worker"],
    summary: "The task's attempts (runs), oldest first.",
    responses: { 200: "`{items: [...]}`" },
    handler: async ({ principal, params }) => ({
      items: (await engine.listAttempts(principal, params.id!)).map(attemptToWire),
    }),
  });

  kit.route({
    method: "GET",
    url: "/v1/tasks/:id/verify",
    tag: "tasks",
    scopes: ["tasker", "worker"],
    summary: "Recompute the task's hash chain from the stored events.",
    responses: {
      200: "`{ok: true, checked, head_hash}` or `{ok: false, checked, bad_seq, reason}`",
    },
    handler: async ({ principal, params }) => {
      const verdict = await engine.verifyTask(principal, params.id!);
      return verdict.ok
        ? { ok: true, checked: verdict.checked, head_hash: verdict.headHash }
        : { ok: false, checked: verdict.checked, bad_seq: verdict.badSeq, reason: verdict.reason };
    },
  });
}
