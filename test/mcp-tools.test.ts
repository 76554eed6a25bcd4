/** The MCP tools over the SDK's in-memory transport pair, against a real SQLite engine. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { McpError, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { taskToWire } from "../src/engine/index.js";
import {
  admin,
  connect,
  exerciseEveryTool,
  openEnv,
  otherTasker,
  removeEnv,
  structured,
  tasker,
  textOf,
  toolErrorCode,
  worker,
  type Env,
} from "./mcp-harness.js";

type TaskOut = ReturnType<typeof taskToWire>;

let env: Env;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  env = await openEnv();
});

afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
  await removeEnv(env);
});

async function open(principal = tasker, options = {}) {
  const c = await connect(env.engine, principal, options);
  closers.push(c.close);
  return c.client;
}

const TASKER_TOOLS = [
  "ack_receipt",
  "cancel_task",
  "get_config",
  "get_task",
  "get_task_receipt",
  "list_receipts",
  "list_tasks",
  "open_obligations",
  "run_command",
  "start_task",
  "watch_task",
];
const WORKER_TOOLS = [
  "complete_task",
  "fail_task",
  "get_config",
  "get_task",
  "lease_next",
  "list_tasks",
  "renew_lease",
  "report_progress",
  "watch_task",
];

describe("tool listing", () => {
  it("lists only the tools the principal's scopes allow", async () => {
    const names = async (p: typeof tasker) =>
      (await (await open(p)).listTools()).tools.map((t) => t.name).sort();
    expect(await names(tasker)).toEqual(TASKER_TOOLS);
    expect(await names(worker)).toEqual(WORKER_TOOLS);
    expect(await names(admin)).toEqual([...new Set([...TASKER_TOOLS, ...WORKER_TOOLS])].sort());
  });

  it("describes every tool with input and output schemas; task-starting tools accept MCP tasks", async () => {
    const client = await open(admin);
    const { tools } = await client.listTools();
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema.type, tool.name).toBe("object");
      expect(tool.outputSchema?.type, tool.name).toBe("object");
    }
    const support = Object.fromEntries(
      tools.map((t) => [t.name, t.execution?.taskSupport ?? "forbidden"]),
    );
    expect(support.start_task).toBe("optional");
    expect(support.run_command).toBe("optional");
    expect(support.get_task).toBe("forbidden");
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
  });

  it("declares MCP tasks only to a principal that may start tasks", async () => {
    const client = await open(worker);
    expect(client.getServerCapabilities()?.tasks).toBeUndefined();
    expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
  });
});

describe("tasker and worker tools, end to end", () => {
  it("passes the every-tool walk-through", async () => {
    const ids = await exerciseEveryTool(await open(tasker), await open(worker));
    expect((await env.engine.getTask(tasker, ids.done)).state).toBe("succeeded");
  });

  it("runs a task through every tool: start, watch, lease, renew, progress, complete, receipts", async () => {
    const agent = await open(tasker);
    const bot = await open(worker);

    const started = structured<{ task: TaskOut; created: boolean }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "review", input: { pr: 7 } } }),
    );
    expect(started.created).toBe(true);
    expect(started.task.state).toBe("queued");
    const id = started.task.id;

    const got = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "get_task", arguments: { task_id: id } }),
    );
    expect(got.task.input).toEqual({ pr: 7 });
    const listed = structured<{ items: TaskOut[] }>(
      await agent.callTool({ name: "list_tasks", arguments: { kind: "review" } }),
    );
    expect(listed.items.map((t) => t.id)).toEqual([id]);

    const first = structured<{
      events: { type: string }[];
      next_cursor: number;
      terminal: boolean;
    }>(await agent.callTool({ name: "watch_task", arguments: { task_id: id, wait_seconds: 0 } }));
    expect(first.events.map((e) => e.type)).toEqual(["task.created"]);
    expect(first.terminal).toBe(false);

    // A watch that waits is woken by the worker's claim.
    const waiting = agent.callTool({
      name: "watch_task",
      arguments: { task_id: id, after: first.next_cursor, wait_seconds: 30 },
    });
    const leased = structured<{
      worker_id: string;
      lease: { lease_id: string; task: TaskOut } | null;
    }>(await bot.callTool({ name: "lease_next", arguments: { kinds: ["review"] } }));
    expect(leased.lease?.task.id).toBe(id);
    expect(leased.lease?.task.lease?.id).toBe(leased.lease?.lease_id);
    const woke = structured<{ events: { type: string }[]; state: string }>(await waiting);
    expect(woke.events.map((e) => e.type)).toEqual(["task.leased"]);
    expect(woke.state).toBe("running");

    const leaseId = leased.lease!.lease_id;
    const renewed = structured<{ cancel_requested: boolean; state: string }>(
      await bot.callTool({ name: "renew_lease", arguments: { lease_id: leaseId } }),
    );
    expect(renewed).toMatchObject({ cancel_requested: false, state: "running" });
    structured(
      await bot.callTool({
        name: "report_progress",
        arguments: {
          lease_id: leaseId,
          current: 1,
          total: 2,
          message: "reading",
          log: "looked at diff",
        },
      }),
    );
    const done = structured<{ task: TaskOut }>(
      await bot.callTool({
        name: "complete_task",
        arguments: { lease_id: leaseId, result: { approve: true } },
      }),
    );
    expect(done.task.state).toBe("succeeded");

    const rest = structured<{
      events: { type: string; data: unknown }[];
      terminal: boolean;
      result: unknown;
    }>(
      await agent.callTool({
        name: "watch_task",
        arguments: { task_id: id, after: 2, wait_seconds: 5 },
      }),
    );
    expect(rest.events.map((e) => e.type)).toEqual(["task.progress", "task.log", "task.succeeded"]);
    expect(rest.terminal).toBe(true);
    expect(rest.result).toEqual({ approve: true });

    // The same worker identity is reused by the next lease_next.
    const again = structured<{ worker_id: string; lease: unknown }>(
      await bot.callTool({ name: "lease_next", arguments: { kinds: ["review"] } }),
    );
    expect(again).toEqual({ worker_id: leased.worker_id, lease: null });

    const receipt = structured<{ receipt: { id: string; state: string; jws: string } }>(
      await agent.callTool({ name: "get_task_receipt", arguments: { task_id: id } }),
    );
    expect(receipt.receipt.state).toBe("succeeded");
    expect(receipt.receipt.jws.split(".")).toHaveLength(3);

    const open1 = structured<{ tasks: TaskOut[]; receipts: { id: string }[] }>(
      await agent.callTool({ name: "open_obligations", arguments: {} }),
    );
    expect(open1.tasks).toEqual([]);
    expect(open1.receipts.map((r) => r.id)).toEqual([id]);
    const unacked = structured<{ items: { id: string }[] }>(
      await agent.callTool({ name: "list_receipts", arguments: { unacked: true } }),
    );
    expect(unacked.items.map((r) => r.id)).toEqual([id]);
    const acked = structured<{ receipt: { acked_at: string | null } }>(
      await agent.callTool({ name: "ack_receipt", arguments: { receipt_id: id } }),
    );
    expect(acked.receipt.acked_at).not.toBeNull();
    const open2 = structured<{ tasks: unknown[]; receipts: unknown[] }>(
      await agent.callTool({ name: "open_obligations", arguments: {} }),
    );
    expect(open2).toMatchObject({ tasks: [], receipts: [] });
  });

  it("fails a task without retry, and cancels a queued one", async () => {
    const agent = await open(tasker);
    const bot = await open(worker);
    const a = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "x" } }),
    );
    const leased = structured<{ lease: { lease_id: string } }>(
      await bot.callTool({ name: "lease_next", arguments: { kinds: ["x"] } }),
    );
    const failed = structured<{ task: TaskOut }>(
      await bot.callTool({
        name: "fail_task",
        arguments: {
          lease_id: leased.lease.lease_id,
          error: { message: "no access", code: "E_PERM" },
          retryable: false,
        },
      }),
    );
    expect(failed.task).toMatchObject({
      id: a.task.id,
      state: "failed",
      error: { message: "no access", code: "E_PERM" },
    });
    // The lease is gone: a second write is refused, as a tool error.
    expect(
      toolErrorCode(
        await bot.callTool({
          name: "complete_task",
          arguments: { lease_id: leased.lease.lease_id },
        }),
      ),
    ).toBe("lease_lost");

    const b = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "x" } }),
    );
    const canceled = structured<{ task: TaskOut }>(
      await agent.callTool({
        name: "cancel_task",
        arguments: { task_id: b.task.id, reason: "not needed" },
      }),
    );
    expect(canceled.task.state).toBe("canceled");
    expect(
      toolErrorCode(
        await agent.callTool({ name: "cancel_task", arguments: { task_id: a.task.id } }),
      ),
    ).toBe("task_terminal");
  });

  it("run_command starts a shell task with argv or command, never both", async () => {
    const agent = await open(tasker);
    const r = structured<{ task: TaskOut }>(
      await agent.callTool({
        name: "run_command",
        arguments: { argv: ["echo", "hi"], cwd: "/tmp", labels: { a: "b" } },
      }),
    );
    expect(r.task).toMatchObject({
      kind: "shell",
      input: { argv: ["echo", "hi"], cwd: "/tmp" },
      labels: { a: "b" },
    });
    const s = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "run_command", arguments: { command: "make test" } }),
    );
    expect(s.task.input).toEqual({ command: "make test" });
    expect(
      toolErrorCode(
        await agent.callTool({ name: "run_command", arguments: { argv: ["a"], command: "b" } }),
      ),
    ).toBe("validation_failed");
    expect(toolErrorCode(await agent.callTool({ name: "run_command", arguments: {} }))).toBe(
      "validation_failed",
    );
  });

  it("start_task with the same idempotency_key returns the same task", async () => {
    const agent = await open(tasker);
    const args = { kind: "mock", idempotency_key: "build-42" };
    const one = structured<{ task: TaskOut; created: boolean }>(
      await agent.callTool({ name: "start_task", arguments: args }),
    );
    const two = structured<{ task: TaskOut; created: boolean }>(
      await agent.callTool({ name: "start_task", arguments: args }),
    );
    expect(two.task.id).toBe(one.task.id);
    expect(two.created).toBe(false);
    expect(textOf(await agent.callTool({ name: "start_task", arguments: args }))).toMatch(
      /^existing task/,
    );
  });

  it("get_config tells who the caller is and which tools it has", async () => {
    const client = await open(worker, { config: () => ({ port: 7420 }), version: "9.9.9" });
    const cfg = structured<{
      server: { version: string };
      principal: { id: string };
      tools: string[];
      config: unknown;
    }>(await client.callTool({ name: "get_config", arguments: {} }));
    expect(cfg.server.version).toBe("9.9.9");
    expect(cfg.principal.id).toBe(worker.id);
    expect(cfg.tools.sort()).toEqual(WORKER_TOOLS);
    expect(cfg.config).toEqual({ port: 7420 });
  });
});

describe("refusals and bad arguments", () => {
  it("refuses tools outside the principal's scopes with insufficient_scope", async () => {
    const agent = await open(tasker);
    const bot = await open(worker);
    expect(
      toolErrorCode(await agent.callTool({ name: "lease_next", arguments: { kinds: ["x"] } })),
    ).toBe("insufficient_scope");
    expect(
      toolErrorCode(await bot.callTool({ name: "start_task", arguments: { kind: "x" } })),
    ).toBe("insufficient_scope");
    expect(toolErrorCode(await bot.callTool({ name: "open_obligations", arguments: {} }))).toBe(
      "insufficient_scope",
    );
  });

  it("answers bad arguments with a clear tool error and keeps serving", async () => {
    const agent = await open(tasker);
    const cases: [string, Record<string, unknown>, string][] = [
      ["start_task", {}, "validation_failed"],
      ["start_task", { kind: "has space" }, "validation_failed"],
      ["start_task", { kind: "x", unknown_field: 1 }, "validation_failed"],
      [
        "start_task",
        { kind: "x", run_at: "2030-01-01T00:00:00Z", delay_ms: 5 },
        "validation_failed",
      ],
      ["get_task", { task_id: "nope" }, "invalid_id"],
      ["get_task", { task_id: "tsk_00000000000000000000000000" }, "task_not_found"],
      ["get_task", {}, "validation_failed"],
      [
        "watch_task",
        { task_id: "tsk_00000000000000000000000000", wait_seconds: 1000 },
        "validation_failed",
      ],
      ["list_tasks", { limit: 0 }, "validation_failed"],
      ["list_tasks", { cursor: "bogus" }, "invalid_cursor"],
      ["list_receipts", { cursor: "bogus" }, "invalid_cursor"],
      ["ack_receipt", { receipt_id: "tsk_00000000000000000000000000" }, "receipt_not_found"],
    ];
    for (const [name, args, code] of cases) {
      const result = await agent.callTool({ name, arguments: args });
      expect(toolErrorCode(result), `${name} ${JSON.stringify(args)}`).toBe(code);
      expect(textOf(result)).toMatch(new RegExp(`^${code}: `));
    }
    const bad = await agent.callTool({ name: "start_task", arguments: { kind: 5 } });
    expect(textOf(bad)).toMatch(/arguments\.kind/);
    await expect(agent.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(
      /Unknown tool/,
    );
    // Still serving.
    expect(structured(await agent.callTool({ name: "list_tasks", arguments: {} }))).toHaveProperty(
      "items",
    );
  });

  it("a worker's lease tools refuse leases that are not theirs", async () => {
    const bot = await open(worker);
    expect(
      toolErrorCode(await bot.callTool({ name: "renew_lease", arguments: { lease_id: "x" } })),
    ).toBe("invalid_id");
    expect(
      toolErrorCode(
        await bot.callTool({
          name: "report_progress",
          arguments: { lease_id: "lse_00000000000000000000000000" },
        }),
      ),
    ).toBe("validation_failed");
  });
});

describe("watch_task progress and resources", () => {
  it("sends notifications/progress while it waits when the caller gave a progressToken", async () => {
    const agent = await open(tasker, { progressEveryMs: 50 });
    const { task } = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "x" } }),
    );
    const progress: { progress: number; message?: string }[] = [];
    const watching = agent.callTool(
      { name: "watch_task", arguments: { task_id: task.id, after: 1, wait_seconds: 30 } },
      undefined,
      {
        onprogress: (p) => {
          progress.push(p);
        },
      },
    );
    while (progress.length < 2) await new Promise((r) => setTimeout(r, 20));
    await agent.callTool({ name: "cancel_task", arguments: { task_id: task.id } });
    const out = structured<{ events: { type: string }[]; terminal: boolean }>(await watching);
    expect(out.events.map((e) => e.type)).toEqual(["task.canceled"]);
    expect(out.terminal).toBe(true);
    expect(progress[0]!.message).toContain(task.id);
  });

  it("serves tasks as errand://tasks/{id} and notifies subscribers of state changes", async () => {
    const agent = await open(tasker);
    const bot = await open(worker);
    const { task } = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "r" } }),
    );
    const uri = `errand://tasks/${task.id}`;

    const templates = await agent.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(["errand://tasks/{id}"]);
    const listed = await agent.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(uri);
    const read = await agent.readResource({ uri });
    const content = read.contents[0] as { text: string; mimeType: string };
    expect(content.mimeType).toBe("application/json");
    expect(JSON.parse(content.text)).toMatchObject({ id: task.id, state: "queued" });

    const updates: string[] = [];
    agent.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await agent.subscribeResource({ uri });
    const leased = structured<{ lease: { lease_id: string } }>(
      await bot.callTool({ name: "lease_next", arguments: { kinds: ["r"] } }),
    );
    await bot.callTool({
      name: "report_progress",
      arguments: { lease_id: leased.lease.lease_id, message: "busy" },
    });
    await bot.callTool({ name: "complete_task", arguments: { lease_id: leased.lease.lease_id } });
    while (updates.length < 2) await new Promise((r) => setTimeout(r, 10));
    // Claimed and succeeded; the progress event in between is not a state change.
    expect(updates).toEqual([uri, uri]);

    const completed = await agent.complete({
      ref: { type: "ref/resource", uri: "errand://tasks/{id}" },
      argument: { name: "id", value: task.id.slice(0, 8) },
    });
    expect(completed.completion.values).toContain(task.id);
    const nothing = await agent.complete({
      ref: { type: "ref/resource", uri: "errand://tasks/{id}" },
      argument: { name: "id", value: "tsk_ZZZ" },
    });
    expect(nothing.completion.values).toEqual([]);

    await agent.unsubscribeResource({ uri });
    const err = await agent
      .readResource({ uri: "errand://tasks/tsk_00000000000000000000000000" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32002);
    await expect(agent.subscribeResource({ uri: "file:///etc/passwd" })).rejects.toThrow(
      /not found/i,
    );
  });

  it("does not show one principal's task resources to another tenant's key", async () => {
    const agent = await open(tasker);
    const { task } = structured<{ task: TaskOut }>(
      await agent.callTool({ name: "start_task", arguments: { kind: "r" } }),
    );
    const stranger = await open({ ...otherTasker, tenantId: "elsewhere" });
    await expect(stranger.readResource({ uri: `errand://tasks/${task.id}` })).rejects.toThrow(
      /no task/,
    );
  });
});
