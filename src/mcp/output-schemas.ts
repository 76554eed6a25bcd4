/**
 * Output schemas of the MCP tools: the wire forms of src/engine/wire.ts, described for a model.
 * They are open objects (extra fields allowed) so that a field added to the wire form later does
 * not make an older client reject a result.
 */
import { z } from "zod";
import { TASK_STATES } from "../core/index.js";

const time = z.string().describe("RFC 3339 time, UTC");

export const taskOut = z
  .looseObject({
    id: z.string().describe("Task id, `tsk_…`"),
    kind: z.string(),
    input: z.unknown(),
    queue: z.string(),
    priority: z.number(),
    state: z.enum(TASK_STATES).describe("queued, running, succeeded, failed or canceled"),
    created_at: time,
    updated_at: time,
    started_at: time.nullable(),
    finished_at: time.nullable(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    labels: z.record(z.string(), z.string()),
    created_by: z.string(),
    result: z.unknown().describe("What the worker returned; null until the task succeeded"),
    error: z
      .looseObject({
        message: z.string(),
        code: z.string().optional(),
        details: z.unknown().optional(),
      })
      .nullable(),
    progress: z
      .looseObject({
        current: z.number().optional(),
        total: z.number().optional(),
        message: z.string().optional(),
      })
      .nullable(),
    lease: z
      .looseObject({
        id: z.string().optional().describe("The lease id, shown only to the worker holding it"),
        worker_id: z.string(),
        expires_at: time,
      })
      .nullable(),
    last_seq: z.number().int().describe("Seq of the task's latest event"),
  })
  .describe("A task");

export const eventOut = z.looseObject({
  task_id: z.string(),
  seq: z.number().int(),
  type: z.string().describe("task.created, task.leased, task.progress, task.output, task.log, …"),
  at: time,
  data: z.unknown(),
  hash: z.string(),
});

export const receiptOut = z.looseObject({
  id: z.string().describe("The receipt id, the same as its task's id"),
  task_id: z.string(),
  state: z.enum(["accepted", "succeeded", "failed", "canceled"]),
  kid: z.string(),
  jws: z
    .string()
    .describe("Compact JWS (Ed25519) over the statement; verify with /.well-known/jwks.json"),
  statement: z.looseObject({ task_id: z.string(), state: z.string() }),
  acked_at: time.nullable(),
});

export const taskResultOut = z.object({ task: taskOut });
export const startTaskOut = z.object({
  task: taskOut,
  created: z
    .boolean()
    .optional()
    .describe("False when an idempotency_key matched a task created earlier"),
});
export const taskPageOut = z.object({
  items: z.array(taskOut),
  next_cursor: z
    .string()
    .nullable()
    .describe("Pass as `cursor` for the next page; null on the last"),
});
export const watchOut = z.object({
  task_id: z.string(),
  events: z.array(eventOut),
  next_cursor: z.number().int().describe("Pass as `after` to continue where these events end"),
  state: z.enum(TASK_STATES),
  terminal: z.boolean().describe("True when the task is finished and every event was returned"),
  result: z.unknown().describe("The task's result once it succeeded, else null"),
  error: z.unknown().describe("The task's error once it failed, else null"),
});
export const receiptResultOut = z.object({ receipt: receiptOut });
export const receiptPageOut = z.object({
  items: z.array(receiptOut),
  next_cursor: z.string().nullable(),
});
export const obligationsOut = z.object({
  tasks: z.array(taskOut).describe("Tasks you created that are not finished"),
  receipts: z.array(receiptOut).describe("Receipts of finished tasks you have not acknowledged"),
  more: z.boolean().describe("True when either list was cut at `limit`"),
});
export const leaseOut = z.object({
  worker_id: z.string(),
  lease: z
    .object({
      lease_id: z.string().describe("The fencing token; name it in every write for this task"),
      expires_at: time,
      task: taskOut,
    })
    .nullable()
    .describe("Null when no task was claimable within wait_seconds"),
});
export const renewOut = z.object({
  lease_id: z.string(),
  expires_at: time,
  cancel_requested: z.boolean().describe("True: the task was canceled, stop working on it"),
  state: z.enum(TASK_STATES),
});
export const progressOut = z.object({ last_seq: z.number().int() });
export const configOut = z.object({
  server: z.object({ name: z.string(), version: z.string() }),
  principal: z.object({ id: z.string(), tenant_id: z.string(), scopes: z.array(z.string()) }),
  tools: z.array(z.string()).describe("The tools this principal may call"),
  config: z.unknown().describe("The server's effective configuration, without secrets"),
});
