/**
 * Resources: every task is `errand://tasks/{id}`, its JSON wire form. A subscription listens on
 * the engine's notifier and sends `notifications/resources/updated` when the task's state
 * changes (claimed, retried, finished, canceled); progress and output events do not count, so a
 * chatty task does not flood the client. Subscriptions live as long as the MCP connection.
 */
import type {
  ListResourcesResult,
  ReadResourceResult,
  ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Principal } from "../core/index.js";
import { ErrandError, isStateEventType } from "../core/index.js";
import type { Engine, Logger } from "../engine/index.js";
import { taskToWire } from "../engine/index.js";
import { RESOURCE_NOT_FOUND, toMcpError } from "./errors.js";

const TASK_URI = /^errand:\/\/tasks\/([^/?#]+)$/;
const LIST_LIMIT = 50;
const MAX_SUBSCRIPTIONS = 1_000;

export const TASK_RESOURCE_TEMPLATE: ResourceTemplate = {
  uriTemplate: "errand://tasks/{id}",
  name: "task",
  title: "Errand task",
  description:
    "A task as JSON: state, progress, result or error, attempts, lease. Subscribe to hear of state changes.",
  mimeType: "application/json",
};

export function taskUri(id: string): string {
  return `errand://tasks/${id}`;
}

function taskIdOf(uri: string): string {
  const match = TASK_URI.exec(uri);
  if (!match) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  return decodeURIComponent(match[1]!);
}

export class TaskResources {
  readonly #subscriptions = new Map<string, () => void>();

  constructor(
    private readonly engine: Engine,
    private readonly principal: Principal,
    private readonly notifyUpdated: (uri: string) => Promise<void>,
    private readonly logger?: Logger,
  ) {}

  async list(cursor: string | undefined): Promise<ListResourcesResult> {
    try {
      const page = await this.engine.listTasks(this.principal, {
        limit: LIST_LIMIT,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return {
        resources: page.items.map((task) => ({
          uri: taskUri(task.id),
          name: task.id,
          title: `${task.kind} task ${task.id} (${task.state})`,
          mimeType: "application/json",
        })),
        ...(page.nextCursor !== null ? { nextCursor: page.nextCursor } : {}),
      };
    } catch (err) {
      throw toMcpError(err, undefined, this.logger);
    }
  }

  async read(uri: string): Promise<ReadResourceResult> {
    const id = taskIdOf(uri);
    try {
      const task = await this.engine.getTask(this.principal, id);
      return {
        contents: [{ uri, mimeType: "application/json", text: JSON.stringify(taskToWire(task)) }],
      };
    } catch (err) {
      throw toMcpError(err, RESOURCE_NOT_FOUND, this.logger);
    }
  }

  async subscribe(uri: string): Promise<void> {
    const id = taskIdOf(uri);
    try {
      await this.engine.getTask(this.principal, id);
    } catch (err) {
      throw toMcpError(err, RESOURCE_NOT_FOUND, this.logger);
    }
    if (this.#subscriptions.has(uri)) return;
    if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw toMcpError(
        new ErrandError("bad_request", `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`),
      );
    }
    const off = this.engine.notifier.onTaskEvents(id, (signal) => {
      if (signal.tenantId !== this.principal.tenantId) return;
      // Without the events at hand (a notification from another node) we cannot tell, so we tell.
      if (signal.events && !signal.events.some((e) => isStateEventType(e.type))) return;
      void this.notifyUpdated(uri).catch(() => {});
    });
    this.#subscriptions.set(uri, off);
  }

  /**
   * Completes the `id` of `errand://tasks/{id}` with the caller's task ids (newest first) that
   * start with what was typed; anything else has no completions.
   */
  async complete(ref: { type: string; uri?: string }, argument: { name: string; value: string }) {
    const none = { completion: { values: [] as string[], hasMore: false } };
    if (
      ref.type !== "ref/resource" ||
      ref.uri !== TASK_RESOURCE_TEMPLATE.uriTemplate ||
      argument.name !== "id"
    ) {
      return none;
    }
    try {
      const page = await this.engine.listTasks(this.principal, { limit: LIST_LIMIT * 2 });
      const values = page.items.map((t) => t.id).filter((id) => id.startsWith(argument.value));
      return { completion: { values: values.slice(0, 100), hasMore: page.nextCursor !== null } };
    } catch {
      return none;
    }
  }

  unsubscribe(uri: string): void {
    this.#subscriptions.get(uri)?.();
    this.#subscriptions.delete(uri);
  }

  close(): void {
    for (const off of this.#subscriptions.values()) off();
    this.#subscriptions.clear();
  }
}
