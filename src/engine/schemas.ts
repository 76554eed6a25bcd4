/**
 * Request schemas, one source for every interface: REST validates bodies with them, MCP tools
 * use them as input schemas, and the OpenAPI document is generated from them. Wire names are
 * snake_case.
 */
import { z } from "zod";
import {
  ErrandError,
  MAX_LEASE_TTL_MS,
  MAX_TIMEOUT_MS,
  MIN_LEASE_TTL_MS,
  SCOPES,
  TASK_STATES,
  WORKER_EVENT_TYPES,
} from "../core/index.js";

const NAME = /^[A-Za-z0-9_.:-]+$/;

/**
 * How deeply JSON values from callers may nest. Canonical JSON (the hash chain) and many JSON
 * tools recurse; a body of `[[[[…]]]]` a few thousand levels deep would otherwise exhaust the
 * stack instead of answering a clear error.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests no deeper than `max` arrays and objects; iterative, so it cannot overflow. */
export function isWithinDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= max) return false;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return true;
}

/** Any JSON value, nested at most MAX_JSON_DEPTH levels. */
const json = () =>
  z.unknown().refine((v) => isWithinDepth(v), `nests deeper than ${MAX_JSON_DEPTH} levels`);
export const kindSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(NAME, "letters, digits and _ . : - only")
  .describe("What kind of work this is; selects the adapter that runs it, e.g. `shell`.");
const queueSchema = z.string().min(1).max(128).regex(NAME, "letters, digits and _ . : - only");
const labelValue = z.string().max(256);
/** Label keys: letters, digits and `_ . : / -`, so that every store can name them in a filter. */
const LABEL_KEY = /^[A-Za-z0-9_.:/-]{1,128}$/;
const labelKey = z.string().regex(LABEL_KEY, "letters, digits and _ . : / - only, at most 128");
const labelsSchema = z
  .record(labelKey, labelValue)
  .refine((o) => Object.keys(o).length <= 64, "at most 64 labels");
const workerLabel = z.string().min(1).max(128);

export const createTaskSchema = z
  .object({
    kind: kindSchema,
    input: json().optional().describe("Any JSON the adapter reads."),
    queue: queueSchema.optional().describe('Queue name; default "default".'),
    priority: z
      .number()
      .int()
      .min(-1000)
      .max(1000)
      .optional()
      .describe("Higher runs first; default 0."),
    run_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("Do not run before this time (RFC 3339)."),
    delay_ms: z
      .number()
      .int()
      .min(0)
      .max(MAX_TIMEOUT_MS)
      .optional()
      .describe("Do not run for this many ms."),
    max_attempts: z.number().int().min(1).max(100).optional().describe("Default 3."),
    labels: labelsSchema.optional().describe("Free key/value metadata, filterable."),
    requirements: z
      .array(workerLabel)
      .max(32)
      .optional()
      .describe("Labels a worker must carry to run this task."),
    idempotency_key: z.string().min(1).max(255).optional().describe("Same key, same task."),
    lease_ttl_ms: z.number().int().min(MIN_LEASE_TTL_MS).max(MAX_LEASE_TTL_MS).optional(),
    max_renewals: z.number().int().min(0).max(1_000_000).optional(),
    timeout_ms: z.number().int().min(MIN_LEASE_TTL_MS).max(MAX_TIMEOUT_MS).optional(),
    backoff_base_ms: z.number().int().min(0).max(MAX_TIMEOUT_MS).optional(),
    backoff_max_ms: z.number().int().min(0).max(MAX_TIMEOUT_MS).optional(),
  })
  .strict()
  .refine((r) => !(r.run_at !== undefined && r.delay_ms !== undefined), {
    message: "give run_at or delay_ms, not both",
    path: ["delay_ms"],
  });
export type CreateTaskRequest = z.infer<typeof createTaskSchema>;

export const MAX_BATCH = 1000;
export const createBatchSchema = z
  .object({ tasks: z.array(createTaskSchema).min(1).max(MAX_BATCH) })
  .strict();

export const listTasksSchema = z
  .object({
    state: z.union([z.enum(TASK_STATES), z.array(z.enum(TASK_STATES)).max(5)]).optional(),
    kind: kindSchema.optional(),
    queue: queueSchema.optional(),
    label: z
      .string()
      .min(1)
      .max(400)
      .refine(
        (l) => LABEL_KEY.test(l.split("=", 1)[0]!),
        "the key takes letters, digits and _ . : / - only",
      )
      .optional()
      .describe("`key` or `key=value`"),
    cursor: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
export type ListTasksRequest = z.infer<typeof listTasksSchema>;

export const cancelSchema = z.object({ reason: z.string().max(1000).optional() }).strict();

export const announceWorkerSchema = z
  .object({
    id: z.string().max(64).optional().describe("The id from an earlier announce, to re-announce."),
    name: z.string().min(1).max(200),
    kinds: z.array(kindSchema).min(1).max(100),
    labels: z.array(workerLabel).max(64).optional(),
    capacity: z.number().int().min(1).max(10_000).optional(),
    version: z.string().max(100).optional(),
  })
  .strict();
export type AnnounceWorkerRequest = z.infer<typeof announceWorkerSchema>;

export const claimSchema = z
  .object({
    worker_id: z.string().min(1).max(64),
    kinds: z.array(kindSchema).min(1).max(100).optional(),
    labels: z.array(workerLabel).max(64).optional(),
    queues: z.array(queueSchema).min(1).max(100).optional(),
    max: z.number().int().min(1).max(100).optional(),
    wait_ms: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();
export type ClaimTasksRequest = z.infer<typeof claimSchema>;

export const workerEventSchema = z
  .object({
    type: z.enum(WORKER_EVENT_TYPES as [string, ...string[]]),
    data: json().optional(),
  })
  .strict();
export const appendEventsSchema = z
  .object({ events: z.array(workerEventSchema).min(1).max(MAX_BATCH) })
  .strict();
export type AppendEventsRequest = z.infer<typeof appendEventsSchema>;

const finalEventsSchema = z
  .array(workerEventSchema)
  .max(MAX_BATCH)
  .optional()
  .describe("The worker's last events, written just before the outcome (saves a request).");

export const completeSchema = z
  .object({ result: json().optional(), events: finalEventsSchema })
  .strict();

export const taskErrorSchema = z
  .object({
    message: z.string().min(1).max(10_000),
    code: z.string().max(200).optional(),
    details: json().optional(),
  })
  .strict();
export const failSchema = z
  .object({ error: taskErrorSchema, retryable: z.boolean().optional(), events: finalEventsSchema })
  .strict();
export type FailRequest = z.infer<typeof failSchema>;

export const releaseSchema = z.object({ reason: z.string().max(1000).optional() }).strict();
export const attemptMetaSchema = z
  .record(z.string().max(100), json())
  .refine((o) => Object.keys(o).length <= 50, "at most 50 fields");

export const createKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    scopes: z
      .array(z.enum(SCOPES as [string, ...string[]]))
      .min(1)
      .max(3),
  })
  .strict();
export type CreateKeyRequest = z.infer<typeof createKeySchema>;

/** Parses `value` or throws `validation_failed` listing every problem. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where = "body",
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const first = issues[0];
  throw new ErrandError(
    "validation_failed",
    first ? `${first.path}: ${first.message}` : `invalid ${where}`,
    { details: { issues } },
  );
}
