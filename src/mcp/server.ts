/**
 * The MCP server: one instance per connection (or per stateless HTTP request), bound to the
 * authenticated principal. It is a thin layer over the Engine: tools, MCP-native tasks and task
 * resources all call engine operations; no task state lives here.
 *
 * Built on the SDK's low-level `Server` rather than `McpServer` because three things need
 * custom handlers: tools/list filtered by the principal's scopes, task-augmented tools/call
 * answered from our durable store, and tasks/* over that store instead of the SDK's TaskStore.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CancelTaskRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListTasksRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type CreateTaskResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../core/index.js";
import { ErrandError, isErrandError } from "../core/index.js";
import { hasScope } from "../engine/index.js";
import type { Engine, Logger } from "../engine/index.js";
import { toMcpError } from "./errors.js";
import { McpTaskHandlers, toMcpTask } from "./mcp-tasks.js";
import { TASK_RESOURCE_TEMPLATE, TaskResources } from "./resources.js";
import {
  describeTool,
  mayUse,
  parseArgs,
  toolError,
  toolResult,
  type ToolDef,
} from "./tool-kit.js";
import { WATCH_PROGRESS_EVERY_MS, buildTools, isTaskStartingTool } from "./tools.js";

export const MCP_SERVER_NAME = "errand";

export interface McpServerOptions {
  /** The server's version, reported in serverInfo and get_config. */
  readonly version?: string;
  /** The effective configuration get_config shows (never secrets). */
  readonly config?: () => unknown;
  /** How often watch_task sends notifications/progress while it waits (default 5 s). */
  readonly progressEveryMs?: number;
  /** Where unexpected failures are logged; the caller only learns "Internal Server Error". */
  readonly logger?: Logger;
}

const INSTRUCTIONS =
  "Errand runs long work in the background and keeps it durable. Start work with start_task or " +
  "run_command (they return at once), follow it with watch_task, and collect results with get_task. " +
  "After a restart, call open_obligations to find what you started earlier, then ack_receipt each " +
  "finished task once you have its result.";

export function createMcpServer(
  engine: Engine,
  principal: Principal,
  options: McpServerOptions = {},
): Server {
  const serverInfo = { name: MCP_SERVER_NAME, version: options.version ?? "0.0.0-dev" };
  const canStartTasks = hasScope(principal, "tasker");
  const server = new Server(serverInfo, {
    capabilities: {
      tools: { listChanged: false },
      resources: { subscribe: true, listChanged: false },
      logging: {},
      completions: {},
      ...(canStartTasks
        ? { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }
        : {}),
    },
    instructions: INSTRUCTIONS,
  });

  let allowed: readonly ToolDef[] = [];
  const tools = buildTools({
    engine,
    principal,
    serverInfo,
    config: options.config ?? (() => null),
    toolNames: () => allowed.map((t) => t.name),
    progressEveryMs: options.progressEveryMs ?? WATCH_PROGRESS_EVERY_MS,
  });
  allowed = tools.filter((tool) => mayUse(principal, tool));
  const byName = new Map(tools.map((tool) => [tool.name, tool]));

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: allowed.map(describeTool) }));

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
      const { name, arguments: args, task: taskParams } = request.params;
      const tool = byName.get(name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      if (taskParams !== undefined) {
        // A task-augmented call: create the durable task and answer at once (CreateTaskResult).
        if (!isTaskStartingTool(tool)) {
          throw new McpError(
            ErrorCode.InvalidParams,
            `Tool ${name} cannot run as a task; call it without "task"`,
          );
        }
        try {
          const request = tool.toCreateRequest(parseArgs(tool, args));
          const { task } = await engine.createTask(principal, request);
          return { task: toMcpTask(task) };
        } catch (err) {
          throw toMcpError(err, undefined, options.logger);
        }
      }
      try {
        if (!mayUse(principal, tool)) {
          // Not listed for this principal; the engine would refuse it too, say so clearly.
          return toolError(
            new ErrandError(
              "insufficient_scope",
              `the tool ${name} needs the ${tool.scopes.join(" or ")} scope`,
              {
                details: { required: tool.scopes, granted: principal.scopes },
              },
            ),
          );
        }
        const parsed = parseArgs(tool, args);
        return toolResult(tool, await tool.run(parsed, extra));
      } catch (err) {
        if (!isErrandError(err)) options.logger?.error({ err, tool: name }, "MCP tool call failed");
        return toolError(err);
      }
    },
  );

  const tasks = new McpTaskHandlers(engine, principal, options.logger);
  if (canStartTasks) {
    server.setRequestHandler(GetTaskRequestSchema, async (request) =>
      tasks.get(request.params.taskId),
    );
    server.setRequestHandler(GetTaskPayloadRequestSchema, async (request, extra) =>
      tasks.result(request.params.taskId, extra.signal),
    );
    server.setRequestHandler(ListTasksRequestSchema, async (request) =>
      tasks.list(request.params?.cursor),
    );
    server.setRequestHandler(CancelTaskRequestSchema, async (request) =>
      tasks.cancel(request.params.taskId),
    );
  }

  const resources = new TaskResources(
    engine,
    principal,
    (uri) => server.sendResourceUpdated({ uri }),
    options.logger,
  );
  server.setRequestHandler(ListResourcesRequestSchema, async (request) =>
    resources.list(request.params?.cursor),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [TASK_RESOURCE_TEMPLATE],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) =>
    resources.read(request.params.uri),
  );
  server.setRequestHandler(CompleteRequestSchema, async (request) =>
    resources.complete(request.params.ref, request.params.argument),
  );
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    await resources.subscribe(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    resources.unsubscribe(request.params.uri);
    return {};
  });

  const previousOnClose = server.onclose;
  server.onclose = () => {
    resources.close();
    previousOnClose?.();
  };
  return server;
}
