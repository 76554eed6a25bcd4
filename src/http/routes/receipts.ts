/** Receipts (signed statements about tasks) and open obligations. */
import type { Engine } from "../../engine/index.js";
import { taskToWire } from "../../engine/index.js";
import { obligationsQuerySchema, receiptsQuerySchema } from "../query-schemas.js";
import type { RouteKit } from "../route-kit.js";

export function registerReceiptRoutes(kit: RouteKit, engine: Engine): void {
  kit.route({
    method: "GET",
    url: "/v1/tasks/:id/receipt",
    tag: "receipts",
    scopes: ["tasker"],
    summary:
      "A JWS (Ed25519) over a statement about the task; verify it with /.well-known/jwks.json.",
    responses: { 200: "`{id, task_id, state, jws, statement, kid, acked_at}`" },
    handler: async ({ principal, params }) => engine.getReceipt(principal, params.id!),
  });

  kit.route({
    method: "GET",
    url: "/v1/receipts",
    tag: "receipts",
    scopes: ["tasker"],
    summary: "Receipts of terminal tasks the caller created; `unacked=1` for unacknowledged only.",
    query: receiptsQuerySchema,
    responses: { 200: "`{items: [...], next_cursor}`" },
    handler: async ({ principal, query }) => {
      const page = await engine.listReceipts(principal, {
        unacked: query.unacked === "1" || query.unacked === "true",
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        cursor: query.cursor ?? null,
      });
      return { items: page.items, next_cursor: page.nextCursor };
    },
  });

  kit.route({
    method: "POST",
    url: "/v1/receipts/:id/ack",
    tag: "receipts",
    scopes: ["tasker"],
    summary: "Acknowledge a receipt, so it leaves the open obligations.",
    responses: { 200: "The receipt, with `acked_at`.", 404: "receipt_not_found" },
    handler: async ({ principal, params }) => engine.ackReceipt(principal, params.id!),
  });

  kit.route({
    method: "GET",
    url: "/v1/obligations/open",
    tag: "receipts",
    scopes: ["tasker"],
    summary: "What the caller still has open: its unfinished tasks and unacknowledged receipts.",
    query: obligationsQuerySchema,
    responses: { 200: "`{tasks: [...], receipts: [...], more}`" },
    handler: async ({ principal, query }) => {
      const open = await engine.openObligations(principal, query.limit ?? 100);
      return {
        tasks: open.tasks.map((t) => taskToWire(t)),
        receipts: open.receipts,
        more: open.more,
      };
    },
  });
}
