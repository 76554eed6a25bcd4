/**
 * MCP-native tasks (protocol revision 2025-11-25) with the SDK client's experimental task API,
 * over the in-memory transport pair, against a real SQLite engine, with the embedded worker
 * running `mock` tasks.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  McpError,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { startEmbeddedWorker } from "../src/worker/embedded.js";
import {
  connect,
  openEnv,
  otherTasker,
  removeEnv,
  restart,
  structured,
  tasker,
  worker,
  type Env,
} from "./mcp-harness.js";

let env: Env;
let stopWorker: (() => Promise<void>) | null;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  env = await openEnv();
  stopWorker = null;
});

afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
  await stopWorker?.();
  await removeEnv(env);
});

async function open(principal = tasker) {
  const c = await connect(env.engine, principal);
  closers.push(c.close);
  return c;
}

async function runWorker() {
  const w = await startEmbeddedWorker(env.engine, { kinds: ["mock"], concurrency: 2 });
  stopWorker = () => w.stop({ graceMs: 1_000 });
}

const mockCall = {
  name: "start_task",
  arguments: { kind: "mock", input: { steps: 2, interval_ms: 5 } },
};

describe("MCP tasks", () => {
  it("runs a task-augmented start_task to its result with callToolStream", async () => {
    await runWorker();
    const { client } = await open();
    await client.listTools();
    const kinds: string[] = [];
    let result: CallToolResult | undefined;
    let taskId = "";
    for await (const message of client.experimental.tasks.callToolStream(
      mockCall,
      CallToolResultSchema,
    )) {
      kinds.push(message.type);
      if (message.type === "taskCreated") taskId = message.task.taskId;
      if (message.type === "result") result = message.result as CallToolResult;
      if (message.type === "error") throw message.error;
    }
    expect(kinds[0]).toBe("taskCreated");
    expect(kinds.at(-1)).toBe("result");
    expect(taskId).toMatch(/^tsk_/);
    const task = (
      result!.structuredContent as { task: { id: string; state: string; result: unknown } }
    ).task;
    expect(task).toMatchObject({ id: taskId, state: "succeeded" });
    expect(result!.isError).toBeUndefined();

    // The MCP task is the durable Errand task: the engine sees it, created by this principal.
    const stored = await env.engine.getTask(tasker, taskId);
    expect(stored.createdBy).toBe(tasker.id);
    expect(stored.state).toBe("succeeded");
    const got = await client.experimental.tasks.getTask(taskId);
    expect(got).toMatchObject({ taskId, status: "completed", ttl: null });
  });

  it("answers CreateTaskResult at once and tasks/result waits for the worker", async () => {
    const { client } = await open();
    const created = await client.request(
      { method: "tools/call", params: { ...mockCall, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    expect(created.task.status).toBe("working");
    expect(created.task.statusMessage).toMatch(/queued/);
    const waiting = client.experimental.tasks.getTaskResult(
      created.task.taskId,
      CallToolResultSchema,
    );
    await runWorker();
    const result = await waiting;
    expect((result.structuredContent as { task: { state: string } }).task.state).toBe("succeeded");
    expect(result._meta?.["io.modelcontextprotocol/related-task"]).toEqual({
      taskId: created.task.taskId,
    });
  });

  it("survives a server restart between tools/call and tasks/result", async () => {
    const first = await open();
    let taskId = "";
    for await (const message of first.client.experimental.tasks.callToolStream(
      mockCall,
      CallToolResultSchema,
      {
        task: {},
      },
    )) {
      if (message.type === "taskCreated") {
        taskId = message.task.taskId;
        break;
      }
    }
    expect(taskId).toMatch(/^tsk_/);
    await first.close();
    closers.length = 0;

    await restart(env);
    const { client } = await open();
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("working");
    const listed = await client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toEqual([taskId]);
    const waiting = client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    await runWorker();
    const result = await waiting;
    expect(
      (result.structuredContent as { task: { id: string; state: string } }).task,
    ).toMatchObject({
      id: taskId,
      state: "succeeded",
    });
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe("completed");
  });

  it("cancels through tasks/cancel; a finished task cannot be canceled again", async () => {
    const { client } = await open();
    const created = await client.request(
      {
        method: "tools/call",
        params: { name: "run_command", arguments: { argv: ["sleep", "60"] }, task: {} },
      },
      CreateTaskResultSchema,
    );
    const id = created.task.taskId;
    expect((await env.engine.getTask(tasker, id)).kind).toBe("shell");
    const canceled = await client.experimental.tasks.cancelTask(id);
    expect(canceled.status).toBe("cancelled");
    expect((await env.engine.getTask(tasker, id)).state).toBe("canceled");
    const result = await client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    expect(result.isError).toBe(true);
    const again = await client.experimental.tasks.cancelTask(id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(McpError);
    expect((again as McpError).code).toBe(-32602);
    expect((again as McpError).message).toMatch(/terminal status: cancelled/);
  });

  it("maps failed tasks to failed", async () => {
    const { client } = await open();
    const bot = await open(worker);
    const created = await client.request(
      {
        method: "tools/call",
        params: { name: "start_task", arguments: { kind: "flaky", max_attempts: 1 }, task: {} },
      },
      CreateTaskResultSchema,
    );
    const leased = structured<{ lease: { lease_id: string } }>(
      await bot.client.callTool({ name: "lease_next", arguments: { kinds: ["flaky"] } }),
    );
    await bot.client.callTool({
      name: "fail_task",
      arguments: { lease_id: leased.lease.lease_id, error: { message: "boom" } },
    });
    const got = await client.experimental.tasks.getTask(created.task.taskId);
    expect(got).toMatchObject({ status: "failed", statusMessage: "boom" });
  });

  it("binds tasks to the principal: another one's task is not found", async () => {
    const { client } = await open();
    const created = await client.request(
      { method: "tools/call", params: { ...mockCall, task: {} } },
      CreateTaskResultSchema,
    );
    const other = await open(otherTasker);
    for (const call of [
      () => other.client.experimental.tasks.getTask(created.task.taskId),
      () =>
        other.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema),
      () => other.client.experimental.tasks.cancelTask(created.task.taskId),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(-32602);
      expect((err as McpError).message).toMatch(/no task/);
    }
    expect((await other.client.experimental.tasks.listTasks()).tasks).toEqual([]);
    expect((await env.engine.getTask(tasker, created.task.taskId)).state).toBe("queued");
  });

  it("refuses task augmentation for tools that do not start tasks, and bad arguments", async () => {
    const { client } = await open();
    const schema = CreateTaskResultSchema;
    await expect(
      client.request(
        { method: "tools/call", params: { name: "list_tasks", arguments: {}, task: {} } },
        schema,
      ),
    ).rejects.toThrow(/cannot run as a task/);
    const bad = await client
      .request(
        { method: "tools/call", params: { name: "start_task", arguments: { kind: "" }, task: {} } },
        schema,
      )
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(McpError);
    expect((bad as McpError).code).toBe(-32602);
    expect((bad as McpError).message).toMatch(/arguments\.kind/);
  });
});
