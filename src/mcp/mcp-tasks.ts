/**
 * MCP's own task protocol (revision 2025-11-25, experimental in the SDK) over Errand's durable
 * tasks. An MCP task *is* an Errand task: the taskId is the Errand task id, the state comes from
 * the store, and nothing is kept in the MCP session, so a client can call tools/call, lose its
 * connection (or the server can restart), and collect the result with tasks/result later.
 *
 * Tasks are bound to the principal that created them: another principal's task, even in the
 * same tenant, is "not found", like one that does not exist.
 *
 * We register these handlers ourselves instead of giving the SDK a TaskStore: the SDK's
 * tasks/result waits by polling its store, while ours sleeps on the engine's notifier.
 */
import type { CallToolResult, Task as McpTask } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError, RELATED_TASK_META_KEY } from "@modelcontextprotocol/sdk/types.js";
import type { Principal, Task, TaskState } from "../core/index.js";
import { ErrandError, assertNever, isId, isTerminal, toIso } from "../core/index.js";
import type { Engine, Logger } from "../engine/index.js";
import { requireScope, taskToWire } from "../engine/index.js";
import { toMcpError } from "./errors.js";
import { renderTask } from "./tools.js";

/** What we suggest clients wait between tasks/get calls. */
export const TASK_POLL_INTERVAL_MS = 1_000;
/** tasks/result sleeps on the notifier in slices of this length (re-checking the store between). */
const RESULT_WAIT_SLICE_MS = 30_000;
const LIST_LIMIT = 50;

export function mcpStatusOf(state: TaskState): McpTask["status"] {
  switch (state) {
    case "queued":
    case "running":
      return "working";
    case "succeeded":
      return "completed";
    case "failed":
      return "failed";
    case "canceled":
      return "cancelled";
    default:
      return assertNever(state);
  }
}

export function toMcpTask(task: Task): McpTask {
  const status = mcpStatusOf(task.state);
  let statusMessage: string | undefined;
  if (task.error) statusMessage = task.error.message;
  else if (task.progress?.message) statusMessage = task.progress.message;
  else if (task.state === "queued") statusMessage = "queued, waiting for a worker";
  return {
    taskId: task.id,
    status,
    ttl: null,
    createdAt: toIso(task.createdAt),
    lastUpdatedAt: toIso(task.updatedAt),
    pollInterval: TASK_POLL_INTERVAL_MS,
    ...(statusMessage !== undefined ? { statusMessage } : {}),
  };
}

/** The finished task as the CallToolResult of the tools/call that started it. */
export function taskCallResult(task: Task): CallToolResult {
  const wire = taskToWire(task);
  return {
    content: [{ type: "text", text: renderTask(wire) }],
    structuredContent: { task: wire },
    ...(task.state === "succeeded" ? {} : { isError: true }),
    _meta: { [RELATED_TASK_META_KEY]: { taskId: task.id } },
  };
}

export class McpTaskHandlers {
  constructor(
    private readonly engine: Engine,
    private readonly principal: Principal,
    private readonly logger?: Logger,
  ) {}

  /** The caller's own task, or "not found". */
  async #own(taskId: string): Promise<Task> {
    try {
      requireScope(this.principal, "tasker");
      if (!isId("task", taskId)) throw new ErrandError("task_not_found", `no task ${taskId}`);
      const task = await this.engine.getTask(this.principal, taskId);
      if (task.createdBy !== this.principal.id)
        throw new ErrandError("task_not_found", `no task ${taskId}`);
      return task;
    } catch (err) {
      throw toMcpError(err, undefined, this.logger);
    }
  }

  async get(taskId: string): Promise<McpTask> {
    return toMcpTask(await this.#own(taskId));
  }

  /** Waits for the terminal state (woken by the notifier), then answers the tool's result. */
  async result(taskId: string, signal: AbortSignal): Promise<CallToolResult> {
    let task = await this.#own(taskId);
    try {
      while (!isTerminal(task.state)) {
        const page = await this.engine.waitForEvents(
          this.principal,
          taskId,
          task.lastSeq,
          1,
          RESULT_WAIT_SLICE_MS,
          signal,
        );
        if (signal.aborted) throw new McpError(ErrorCode.ConnectionClosed, "request cancelled");
        task = page.task;
      }
    } catch (err) {
      throw toMcpError(err, undefined, this.logger);
    }
    return taskCallResult(task);
  }

  async list(cursor: string | undefined): Promise<{ tasks: McpTask[]; nextCursor?: string }> {
    try {
      requireScope(this.principal, "tasker");
      if (cursor !== undefined && !isId("task", cursor)) {
        throw new ErrandError("invalid_cursor", "cursor is not one this server gave out");
      }
      const page = await this.engine.listTasks(
        this.principal,
        { ...(cursor !== undefined ? { cursor } : {}), limit: LIST_LIMIT },
        { mine: true },
      );
      return {
        tasks: page.items.map(toMcpTask),
        ...(page.nextCursor !== null ? { nextCursor: page.nextCursor } : {}),
      };
    } catch (err) {
      throw toMcpError(err, undefined, this.logger);
    }
  }

  async cancel(taskId: string): Promise<McpTask> {
    const task = await this.#own(taskId);
    if (isTerminal(task.state)) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Cannot cancel task in terminal status: ${mcpStatusOf(task.state)}`,
      );
    }
    try {
      return toMcpTask(
        await this.engine.cancelTask(this.principal, taskId, "canceled through MCP tasks/cancel"),
      );
    } catch (err) {
      throw toMcpError(err, undefined, this.logger);
    }
  }
}
