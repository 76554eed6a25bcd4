/**
 * The MCP tools: each one validates its arguments, calls one engine operation and returns the
 * wire form. No task logic lives here; the engine checks scopes again on every call.
 */
import { z } from "zod";
import type { Principal, Task, TaskEvent } from "../core/index.js";
import { ErrandError, isTerminal, toIso } from "../core/index.js";
import type { CreateTaskRequest, Engine } from "../engine/index.js";
import {
  createTaskSchema,
  eventToWire,
  kindSchema,
  listTasksSchema,
  taskToWire,
} from "../engine/index.js";
import {
  configOut,
  leaseOut,
  obligationsOut,
  progressOut,
  receiptPageOut,
  receiptResultOut,
  renewOut,
  startTaskOut,
  taskPageOut,
  taskResultOut,
  watchOut,
} from "./output-schemas.js";
import { defineTool, type ToolDef, type ToolExtra } from "./tool-kit.js";
import { ensureMcpWorker } from "./worker-identity.js";

export const DEFAULT_WATCH_WAIT_S = 20;
export const MAX_WAIT_S = 60;
/** How often watch_task reports that it is still waiting, when the caller asked for progress. */
export const WATCH_PROGRESS_EVERY_MS = 5_000;
const TEXT_CAP = 4_000;

export interface ToolContext {
  readonly engine: Engine;
  readonly principal: Principal;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly config: () => unknown;
  /** Names of the tools this principal may use (for get_config). */
  readonly toolNames: () => readonly string[];
  readonly progressEveryMs: number;
}

/** A tool whose call can also run as an MCP task: it starts exactly one Errand task. */
export interface TaskStartingTool extends ToolDef {
  readonly taskSupport: "optional";
  readonly toCreateRequest: (args: unknown) => CreateTaskRequest;
}

const taskId = z.string().min(1).max(64).describe("The task id, `tsk_…`");
const leaseId = z
  .string()
  .min(1)
  .max(64)
  .describe("The lease id (`lse_…`) that lease_next returned; it fences every write for the task");
const waitSeconds = (fallback: number) =>
  z
    .number()
    .min(0)
    .max(MAX_WAIT_S)
    .optional()
    .describe(
      `Seconds to wait for something new before answering; 0…${MAX_WAIT_S}, default ${fallback}`,
    );

export const taskOptionsShape = {
  labels: createTaskSchema.shape.labels,
  queue: createTaskSchema.shape.queue,
  priority: createTaskSchema.shape.priority,
  max_attempts: createTaskSchema.shape.max_attempts,
  idempotency_key: createTaskSchema.shape.idempotency_key.describe(
    "Send the same key again (for example after a restart) to get the same task instead of a second one",
  ),
  timeout_ms: createTaskSchema.shape.timeout_ms.describe(
    "Cap on one attempt, in ms; default 1 hour",
  ),
};

export const runCommandInput = z
  .object({
    argv: z
      .array(z.string().max(100_000))
      .min(1)
      .max(1_000)
      .optional()
      .describe('The program and its arguments, run without a shell, e.g. ["npm", "test"]'),
    command: z
      .string()
      .min(1)
      .max(100_000)
      .optional()
      .describe('A shell command line run with /bin/sh -c, e.g. "make -j4 && make test"'),
    cwd: z.string().min(1).max(4_096).optional().describe("Working directory on the worker"),
    env: z
      .record(z.string().min(1).max(256), z.string().max(100_000))
      .optional()
      .describe("Extra environment variables for the command"),
    ...taskOptionsShape,
  })
  .strict()
  .refine((r) => (r.argv === undefined) !== (r.command === undefined), {
    message: "give exactly one of argv or command",
    path: ["argv"],
  });

function shellRequest(args: z.infer<typeof runCommandInput>): CreateTaskRequest {
  const { argv, command, cwd, env, ...options } = args;
  const input: Record<string, unknown> = argv !== undefined ? { argv } : { command };
  if (cwd !== undefined) input.cwd = cwd;
  if (env !== undefined) input.env = env;
  if (options.timeout_ms !== undefined) input.timeout_ms = options.timeout_ms;
  return { kind: "shell", input, ...options };
}

function cap(text: string): string {
  return text.length <= TEXT_CAP
    ? text
    : `${text.slice(0, TEXT_CAP)}… (${text.length - TEXT_CAP} more characters)`;
}

function json(value: unknown): string {
  return cap(JSON.stringify(value ?? null));
}

type TaskWire = ReturnType<typeof taskToWire>;

export function renderTask(task: TaskWire): string {
  const parts = [`task ${task.id} (${task.kind}) is ${task.state}`];
  if (task.progress) {
    const p = task.progress;
    const frac = p.current !== undefined && p.total !== undefined ? ` ${p.current}/${p.total}` : "";
    parts.push(`progress${frac}${p.message ? `: ${p.message}` : ""}`);
  }
  if (task.state === "succeeded") parts.push(`result: ${json(task.result)}`);
  if (task.error)
    parts.push(`error: ${task.error.code ? `${task.error.code}: ` : ""}${task.error.message}`);
  parts.push(`attempts ${task.attempts}/${task.max_attempts}`);
  return parts.join("; ");
}

function renderEvent(event: ReturnType<typeof eventToWire>): string {
  const data = event.data as Record<string, unknown> | null;
  if (event.type === "task.output" && data && typeof data.text === "string") {
    return `#${event.seq} ${String(data.stream ?? "stdout")}: ${data.text.replace(/\n$/, "")}`;
  }
  if (event.type === "task.log" && data && typeof data.message === "string") {
    return `#${event.seq} log: ${data.message}`;
  }
  return `#${event.seq} ${event.type}${data === null ? "" : ` ${JSON.stringify(data)}`}`;
}

function renderReceipt(r: { id: string; state: string; acked_at: string | null }): string {
  return `receipt ${r.id}: ${r.state}${r.acked_at ? `, acknowledged ${r.acked_at}` : ", not acknowledged"}`;
}

function wire(task: Task) {
  return taskToWire(task);
}

/** Waits like engine.waitForEvents, reporting `notifications/progress` every few seconds. */
async function waitWithProgress<T>(
  extra: ToolExtra,
  everyMs: number,
  waitMs: number,
  label: () => string,
  wait: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const token = extra._meta?.progressToken;
  if (token === undefined || waitMs <= 0) return wait(extra.signal);
  const started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    void extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: elapsed, total: waitMs / 1000, message: label() },
      })
      .catch(() => {});
  }, everyMs);
  try {
    return await wait(extra.signal);
  } finally {
    clearInterval(timer);
  }
}

export function buildTools(ctx: ToolContext): readonly ToolDef[] {
  const { engine, principal } = ctx;

  const startTask: TaskStartingTool = {
    ...defineTool({
      name: "start_task",
      title: "Start a background task",
      description:
        "Hand off work to run in the background and return at once with the task (state `queued`). " +
        "Use it for anything slow: builds, test runs, agent runs, downloads. `kind` picks the adapter " +
        "(`shell`, `mock`, `agent`, `http`, …) and `input` is what that adapter reads. Follow the task " +
        "with watch_task (live events) or get_task; the task survives your session, and open_obligations " +
        "finds it again after a restart. Send an idempotency_key to make retries safe.",
      scopes: ["tasker"],
      input: createTaskSchema,
      output: startTaskOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
      taskSupport: "optional",
      run: async (args: CreateTaskRequest) => {
        const { task, created } = await engine.createTask(principal, args);
        return { task: wire(task), created };
      },
      render: (r) =>
        `${r.created === false ? "existing " : "started "}${renderTask(r.task as TaskWire)}`,
    }),
    taskSupport: "optional",
    toCreateRequest: (args) => args as CreateTaskRequest,
  };

  const runCommand: TaskStartingTool = {
    ...defineTool({
      name: "run_command",
      title: "Run a shell command in the background",
      description:
        "Start a `shell` task that runs one command on a worker and return at once with the task. " +
        "Give `argv` (no shell) or `command` (a /bin/sh line), not both. stdout and stderr arrive as " +
        "`task.output` events through watch_task; the result holds the exit code. Same as start_task " +
        'with kind "shell".',
      scopes: ["tasker"],
      input: runCommandInput,
      output: startTaskOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
      taskSupport: "optional",
      run: async (args: z.infer<typeof runCommandInput>) => {
        const { task, created } = await engine.createTask(principal, shellRequest(args));
        return { task: wire(task), created };
      },
      render: (r) =>
        `${r.created === false ? "existing " : "started "}${renderTask(r.task as TaskWire)}`,
    }),
    taskSupport: "optional",
    toCreateRequest: (args) => shellRequest(args as z.infer<typeof runCommandInput>),
  };

  const tools: ToolDef[] = [
    startTask,
    runCommand,
    defineTool({
      name: "get_task",
      title: "Get a task",
      description:
        "Return one task as it is now: state (queued, running, succeeded, failed, canceled), progress, " +
        "attempts, and the result or error once finished. Does not wait; use watch_task to wait.",
      scopes: ["tasker", "worker"],
      input: z.object({ task_id: taskId }).strict(),
      output: taskResultOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (args: { task_id: string }) => ({
        task: wire(await engine.getTask(principal, args.task_id)),
      }),
      render: (r) => renderTask(r.task as TaskWire),
    }),
    defineTool({
      name: "list_tasks",
      title: "List tasks",
      description:
        "List the tenant's tasks, newest first, optionally filtered by state, kind, queue or label " +
        "(`key` or `key=value`). Pages: pass next_cursor back as `cursor`; limit 1…500, default 50.",
      scopes: ["tasker", "worker"],
      input: listTasksSchema,
      output: taskPageOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (args: z.infer<typeof listTasksSchema>) => {
        const page = await engine.listTasks(principal, args);
        return { items: page.items.map(wire), next_cursor: page.nextCursor };
      },
      render: (r) =>
        r.items.length === 0
          ? "no tasks"
          : (r.items as TaskWire[]).map((t) => `${t.id} ${t.kind} ${t.state}`).join("\n") +
            (r.next_cursor ? `\nmore: cursor ${r.next_cursor}` : ""),
    }),
    defineTool({
      name: "watch_task",
      title: "Watch a task's events",
      description:
        "Return the task's events after `after` (a seq; 0 = from the start), waiting up to " +
        `wait_seconds (default ${DEFAULT_WATCH_WAIT_S}) when there is nothing new yet. Events carry ` +
        "output (`task.output`), progress, logs and state changes. Call again with `after` = " +
        "next_cursor to continue; stop when `terminal` is true, then read `result` or `error`. " +
        "With a progressToken it reports progress while it waits.",
      scopes: ["tasker", "worker"],
      input: z
        .object({
          task_id: taskId,
          after: z
            .number()
            .int()
            .min(0)
            .optional()
            .describe(
              "Return events with seq greater than this; 0 (the default) starts at the beginning",
            ),
          wait_seconds: waitSeconds(DEFAULT_WATCH_WAIT_S),
          limit: z
            .number()
            .int()
            .min(1)
            .max(1_000)
            .optional()
            .describe("Most events to return; default 200"),
        })
        .strict(),
      output: watchOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (
        args: { task_id: string; after?: number; wait_seconds?: number; limit?: number },
        extra: ToolExtra,
      ) => {
        const after = args.after ?? 0;
        const waitMs = Math.round((args.wait_seconds ?? DEFAULT_WATCH_WAIT_S) * 1000);
        const page = await waitWithProgress(
          extra,
          ctx.progressEveryMs,
          waitMs,
          () => `waiting for new events of ${args.task_id}`,
          (signal) =>
            engine.waitForEvents(principal, args.task_id, after, args.limit ?? 200, waitMs, signal),
        );
        return watchResult(page.task, page.events, page.nextAfter);
      },
      render: (r) => {
        const lines = (r.events as ReturnType<typeof eventToWire>[]).map(renderEvent);
        const head =
          r.events.length === 0
            ? `no new events; task ${r.task_id} is ${r.state}`
            : `${r.events.length} event(s) of ${r.task_id}, now ${r.state}`;
        const tail = r.terminal
          ? r.state === "succeeded"
            ? `finished; result: ${json(r.result)}`
            : `finished: ${r.state}${r.error ? `; error: ${json(r.error)}` : ""}`
          : `continue with after=${r.next_cursor}`;
        return cap([head, ...lines, tail].join("\n"));
      },
    }),
    defineTool({
      name: "cancel_task",
      title: "Cancel a task",
      description:
        "Cancel a queued or running task: it becomes `canceled` at once and its worker is told to " +
        "stop. Canceling a canceled task is fine; a succeeded or failed one answers task_terminal.",
      scopes: ["tasker"],
      input: z
        .object({
          task_id: taskId,
          reason: z.string().max(1_000).optional().describe("Why, for the log"),
        })
        .strict(),
      output: taskResultOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async (args: { task_id: string; reason?: string }) => ({
        task: wire(await engine.cancelTask(principal, args.task_id, args.reason)),
      }),
      render: (r) => renderTask(r.task as TaskWire),
    }),
    defineTool({
      name: "get_task_receipt",
      title: "Get a task's signed receipt",
      description:
        "Return the signed receipt (a JWS, Ed25519) for a task you created: what ran, its final state, " +
        "hashes of input, result and event log. State is `accepted` while the task is unfinished.",
      scopes: ["tasker"],
      input: z.object({ task_id: taskId }).strict(),
      output: receiptResultOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (args: { task_id: string }) => ({
        receipt: await engine.getReceipt(principal, args.task_id),
      }),
      render: (r) => renderReceipt(r.receipt),
    }),
    defineTool({
      name: "open_obligations",
      title: "What do I still have open?",
      description:
        "Call this first after a restart or in a new session: lists the unfinished tasks you created " +
        "and the receipts of finished ones you have not acknowledged yet. Collect each result (get_task) " +
        "and then ack_receipt it so it stops showing up here.",
      scopes: ["tasker"],
      input: z
        .object({
          limit: z
            .number()
            .int()
            .min(1)
            .max(500)
            .optional()
            .describe("Most items per list; default 100"),
        })
        .strict(),
      output: obligationsOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (args: { limit?: number }) => {
        const open = await engine.openObligations(principal, args.limit ?? 100);
        return { tasks: open.tasks.map(wire), receipts: [...open.receipts], more: open.more };
      },
      render: (r) => {
        const tasks = (r.tasks as TaskWire[]).map((t) => `open: ${t.id} ${t.kind} ${t.state}`);
        const receipts = r.receipts.map((x) => `unacknowledged: ${x.id} ${x.state}`);
        const lines = [...tasks, ...receipts];
        return lines.length === 0
          ? "nothing open"
          : lines.join("\n") + (r.more ? "\n(more; raise limit)" : "");
      },
    }),
    defineTool({
      name: "list_receipts",
      title: "List receipts",
      description:
        "List receipts of finished tasks you created, newest first; unacked=true keeps only those not " +
        "acknowledged yet. Pages: pass next_cursor back as `cursor`.",
      scopes: ["tasker"],
      input: z
        .object({
          unacked: z.boolean().optional().describe("Only receipts not acknowledged yet"),
          limit: z.number().int().min(1).max(500).optional().describe("Default 50"),
          cursor: z.string().max(64).optional(),
        })
        .strict(),
      output: receiptPageOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (args: { unacked?: boolean; limit?: number; cursor?: string }) => {
        if (args.cursor !== undefined && !/^tsk_[0-9A-HJKMNP-TV-Z]{26}$/.test(args.cursor)) {
          throw new ErrandError("invalid_cursor", "cursor is not one this server gave out");
        }
        const page = await engine.listReceipts(principal, args);
        return { items: [...page.items], next_cursor: page.nextCursor };
      },
      render: (r) => (r.items.length === 0 ? "no receipts" : r.items.map(renderReceipt).join("\n")),
    }),
    defineTool({
      name: "ack_receipt",
      title: "Acknowledge a receipt",
      description:
        "Mark a finished task's receipt as seen, once you have taken in its result, so that " +
        "open_obligations stops listing it. The receipt id is the task id.",
      scopes: ["tasker"],
      input: z
        .object({ receipt_id: taskId.describe("The receipt id (the same as the task id)") })
        .strict(),
      output: receiptResultOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async (args: { receipt_id: string }) => ({
        receipt: await engine.ackReceipt(principal, args.receipt_id),
      }),
      render: (r) => renderReceipt(r.receipt),
    }),
    defineTool({
      name: "lease_next",
      title: "Claim the next task to work on (workers)",
      description:
        "For an agent acting as a worker: claim the next queued task of the given kinds and get a " +
        "lease on it (lease_id, expires_at). Waits up to wait_seconds (default 0) for one to appear; " +
        "lease is null when none came. Then renew_lease before expires_at, report_progress while " +
        "working, and finish with complete_task or fail_task.",
      scopes: ["worker"],
      input: z
        .object({
          kinds: z
            .array(kindSchema)
            .min(1)
            .max(100)
            .describe('Kinds of task you can do, e.g. ["review"]'),
          labels: z
            .array(z.string().min(1).max(128))
            .max(64)
            .optional()
            .describe("Labels you carry"),
          queues: z
            .array(z.string().min(1).max(128))
            .min(1)
            .max(100)
            .optional()
            .describe("Only these queues"),
          wait_seconds: waitSeconds(0),
        })
        .strict(),
      output: leaseOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      run: async (
        args: { kinds: string[]; labels?: string[]; queues?: string[]; wait_seconds?: number },
        extra: ToolExtra,
      ) => {
        const workerId = await ensureMcpWorker(engine, principal, args.kinds, args.labels ?? []);
        const [claimed] = await engine.claim(
          principal,
          {
            worker_id: workerId,
            kinds: args.kinds,
            labels: args.labels ?? [],
            ...(args.queues ? { queues: args.queues } : {}),
            max: 1,
            wait_ms: Math.round((args.wait_seconds ?? 0) * 1000),
          },
          extra.signal,
        );
        if (!claimed) return { worker_id: workerId, lease: null };
        return {
          worker_id: workerId,
          lease: {
            lease_id: claimed.leaseId,
            expires_at: toIso(claimed.task.lease?.expiresAt ?? engine.clock.now()),
            task: taskToWire(claimed.task, { withLeaseId: true }),
          },
        };
      },
      render: (r) =>
        r.lease
          ? `leased ${(r.lease.task as TaskWire).id} (${(r.lease.task as TaskWire).kind}) until ${r.lease.expires_at}; lease_id ${r.lease.lease_id}; input: ${json((r.lease.task as TaskWire).input)}`
          : "no task to claim",
    }),
    defineTool({
      name: "renew_lease",
      title: "Renew a lease (workers)",
      description:
        "Extend your lease before expires_at (each renewal grants the task's lease TTL again, 30 s by " +
        "default). If cancel_requested is true the task was canceled: stop and do not complete it.",
      scopes: ["worker"],
      input: z.object({ lease_id: leaseId }).strict(),
      output: renewOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async (args: { lease_id: string }) => {
        const r = await engine.renew(principal, args.lease_id);
        return {
          lease_id: r.leaseId,
          expires_at: toIso(r.expiresAt),
          cancel_requested: r.cancelRequested,
          state: r.task.state,
        };
      },
      render: (r) =>
        r.cancel_requested
          ? `task was canceled: stop working on it`
          : `lease renewed until ${r.expires_at}`,
    }),
    defineTool({
      name: "report_progress",
      title: "Report progress (workers)",
      description:
        "Tell the task's creator how far you are (current/total and a message) and/or add a log line; " +
        "they see it live through watch_task. Needs your lease_id.",
      scopes: ["worker"],
      input: z
        .object({
          lease_id: leaseId,
          current: z.number().min(0).optional().describe("Work done so far, in any unit"),
          total: z.number().min(0).optional().describe("Work in all, in the same unit"),
          message: z.string().max(10_000).optional().describe("What you are doing now"),
          log: z.string().min(1).max(100_000).optional().describe("A log line to append"),
        })
        .strict()
        .refine(
          (r) =>
            r.current !== undefined || r.total !== undefined || r.message !== undefined || r.log,
          {
            message: "give current, total, message or log",
            path: ["message"],
          },
        ),
      output: progressOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      run: async (args: {
        lease_id: string;
        current?: number;
        total?: number;
        message?: string;
        log?: string;
      }) => {
        const events: { type: "task.progress" | "task.log"; data: unknown }[] = [];
        const { lease_id: lease, log, ...progress } = args;
        if (
          progress.current !== undefined ||
          progress.total !== undefined ||
          progress.message !== undefined
        ) {
          events.push({ type: "task.progress", data: progress });
        }
        if (log !== undefined) events.push({ type: "task.log", data: { message: log } });
        const out = await engine.appendEvents(principal, lease, events);
        return { last_seq: out.lastSeq };
      },
      render: (r) => `recorded; last seq ${r.last_seq}`,
    }),
    defineTool({
      name: "complete_task",
      title: "Complete a task (workers)",
      description:
        "Finish the task you hold a lease on with its result (any JSON). The task becomes `succeeded`; " +
        "a lost lease answers lease_lost and changes nothing.",
      scopes: ["worker"],
      input: z
        .object({
          lease_id: leaseId,
          result: z.unknown().optional().describe("The result, any JSON"),
        })
        .strict(),
      output: taskResultOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      run: async (args: { lease_id: string; result?: unknown }) => ({
        task: wire(await engine.complete(principal, args.lease_id, args.result ?? null)),
      }),
      render: (r) => renderTask(r.task as TaskWire),
    }),
    defineTool({
      name: "fail_task",
      title: "Fail a task (workers)",
      description:
        "Report that the attempt failed. With retryable (default true) and attempts left, the task is " +
        "queued again after a backoff; otherwise it becomes `failed`.",
      scopes: ["worker"],
      input: z
        .object({
          lease_id: leaseId,
          error: z
            .object({
              message: z.string().min(1).max(10_000).describe("What went wrong"),
              code: z.string().max(200).optional().describe("A short machine-readable code"),
              details: z.unknown().optional(),
            })
            .strict(),
          retryable: z.boolean().optional().describe("False: do not try again; default true"),
        })
        .strict(),
      output: taskResultOut,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      run: async (args: {
        lease_id: string;
        error: { message: string; code?: string; details?: unknown };
        retryable?: boolean;
      }) => ({
        task: wire(
          await engine.fail(principal, args.lease_id, {
            error: args.error,
            retryable: args.retryable,
          }),
        ),
      }),
      render: (r) => renderTask(r.task as TaskWire),
    }),
    defineTool({
      name: "get_config",
      title: "Server configuration",
      description:
        "Who you are to this server (principal, tenant, scopes), which tools you may use, and the " +
        "server's effective configuration (no secrets).",
      scopes: [],
      input: z.object({}).strict(),
      output: configOut,
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async () => ({
        server: { ...ctx.serverInfo },
        principal: {
          id: principal.id,
          tenant_id: principal.tenantId,
          scopes: [...principal.scopes],
        },
        tools: [...ctx.toolNames()],
        config: ctx.config() ?? null,
      }),
      render: (r) =>
        `${r.server.name} ${r.server.version}; you are ${r.principal.id} (${r.principal.scopes.join(", ")}) in tenant ${r.principal.tenant_id}`,
    }),
  ];
  return tools;
}

export function isTaskStartingTool(tool: ToolDef): tool is TaskStartingTool {
  return tool.taskSupport === "optional" && "toCreateRequest" in tool;
}

export function watchResult(task: Task, events: readonly TaskEvent[], nextAfter: number) {
  const terminal = isTerminal(task.state) && nextAfter >= task.lastSeq;
  return {
    task_id: task.id,
    events: events.map(eventToWire),
    next_cursor: nextAfter,
    state: task.state,
    terminal,
    result: task.state === "succeeded" ? (task.result ?? null) : null,
    error: task.error ?? null,
  };
}
