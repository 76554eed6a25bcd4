/** The tasker side of the SDK against the real server, in process, over a real socket. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  Errand,
  IdempotencyConflictError,
  NotFoundError,
  TaskTerminalError,
  ValidationError,
  type TaskEvent,
} from "@errand/client";
import { resolveServerConfig } from "../src/server/config.js";
import { startServer, type RunningServer } from "../src/server/start.js";

let dir: string;
let server: RunningServer;
let errand: Errand;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-sdk-client-"));
  server = await startServer(
    resolveServerConfig({ port: 0, dataDir: join(dir, "data"), logLevel: "silent" }, {}),
    { notice: () => {} },
  );
  errand = new Errand({ url: server.url, key: readFileSync(server.adminKeyPath, "utf8").trim() });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(iterable: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe("Errand client", () => {
  it("creates a task, streams its events to the end, and resumes after a seq", async () => {
    const task = await errand.createTask({ kind: "mock", input: { steps: 3, interval_ms: 1 } });
    const all = await collect(errand.events(task.id));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.type).toBe("task.succeeded");
    const rest = await collect(errand.events(task.id, { after: 3 }));
    expect(rest.map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
    // Caught up on a finished task: the server answers 204 and the iterator just ends.
    expect(await collect(errand.events(task.id, { after: all.at(-1)!.seq }))).toEqual([]);
    const done = await errand.waitForTask(task.id);
    expect(done.result).toEqual({ steps: 3 });
    const page = await errand.eventsPage(task.id, { after: 1, limit: 2 });
    expect(page.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(page.terminal).toBe(true);
    expect((await errand.verifyTask(task.id)).ok).toBe(true);
  });

  it("throws typed errors rebuilt from the wire code", async () => {
    await expect(errand.getTask("tsk_01JD0000000000000000000000")).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(collect(errand.events("tsk_01JD0000000000000000000000"))).rejects.toMatchObject({
      code: "task_not_found",
      status: 404,
    });
    const invalid = await errand.createTask({ kind: "no spaces allowed" }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).details).toMatchObject({
      issues: [expect.objectContaining({ path: "body.kind" })],
    });
    await errand.createTask({ kind: "mock", input: { steps: 0 } }, { idempotencyKey: "same" });
    await expect(
      errand.createTask({ kind: "mock", input: { steps: 1 } }, { idempotencyKey: "same" }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    const finishedTask = await errand.createTask({ kind: "mock", input: { steps: 0 } });
    await errand.waitForTask(finishedTask.id);
    await expect(errand.cancelTask(finishedTask.id)).rejects.toBeInstanceOf(TaskTerminalError);
    const anonymous = new Errand({ url: server.url, key: "ek_nope_nope" });
    await expect(anonymous.listTasks()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("lists with several states, cancels, and settles receipts", async () => {
    const slow = await errand.createTask({ kind: "mock", input: { steps: 1000, interval_ms: 50 } });
    const canceled = await errand.cancelTask(slow.id, "changed my mind");
    expect(canceled.state).toBe("canceled");
    const page = await errand.listTasks({ state: ["canceled", "failed"], limit: 50 });
    expect(page.items.map((t) => t.id)).toContain(slow.id);
    expect(page.items.every((t) => t.state === "canceled" || t.state === "failed")).toBe(true);
    const open = await errand.listReceipts({ unacked: true });
    expect(open.items.map((r) => r.id)).toContain(slow.id);
    const acked = await errand.ackReceipt(slow.id);
    expect(acked.acked_at).not.toBeNull();
    const obligations = await errand.openObligations();
    expect(obligations.receipts.map((r) => r.id)).not.toContain(slow.id);
    const receipt = await errand.getReceipt(slow.id);
    expect(receipt.statement.state).toBe("canceled");
    expect((await errand.jwks()).keys.map((k) => k.kid)).toContain(receipt.kid);
  });

  it("manages keys and lists workers", async () => {
    const key = await errand.createKey("ci", ["tasker"]);
    expect(key.key).toMatch(/^ek_/);
    expect((await errand.listKeys()).map((k) => k.id)).toContain(key.id);
    await errand.revokeKey(key.id);
    expect((await errand.listKeys()).find((k) => k.id === key.id)?.revoked_at).not.toBeNull();
    expect((await errand.listWorkers()).map((w) => w.name)).toContain("embedded");
    expect((await errand.health()).status).toBe("ok");
  });
});
