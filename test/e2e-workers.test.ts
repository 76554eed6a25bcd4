/**
 * End to end over sockets: the real `errand serve --no-worker`, two real `errand worker`
 * processes, and the CLI as a user runs it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errand, type Task } from "@errand/client";
import { isGroupAlive } from "../src/worker/process-group.js";
import {
  runErrand,
  startErrand,
  startServer,
  stop,
  waitUntil,
  type Proc,
  type ServerProc,
} from "./fixtures/processes.js";

const FAKE_CLAUDE = fileURLToPath(new URL("./fixtures/fake-claude.mjs", import.meta.url));

let dir: string;
let server: ServerProc;
let workerA: Proc;
let workerB: Proc;
let idA = "";
let idB = "";
let errand: Errand;
let env: Record<string, string>;

async function startWorker(name: string, label: string): Promise<[Proc, string]> {
  const proc = startErrand(
    [
      "worker",
      "--name",
      name,
      "--labels",
      label,
      "--concurrency",
      "2",
      "--kill-grace",
      "500",
      "--agent-command",
      `${process.execPath} ${FAKE_CLAUDE}`,
      "--log-level",
      "warn",
    ],
    env,
  );
  const [, id] = await proc.waitFor(/worker (wkr_\w+) running/);
  return [proc, id!];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-e2e-"));
  server = await startServer(join(dir, "data"), ["--no-worker"]);
  env = { ERRAND_URL: server.url, ERRAND_KEY: server.key, ERRAND_STATE_DIR: join(dir, "state") };
  errand = new Errand({ url: server.url, key: server.key });
  [workerA, idA] = await startWorker("worker-a", "a");
  [workerB, idB] = await startWorker("worker-b", "b");
});

afterAll(async () => {
  await Promise.all([stop(workerA), stop(workerB)]);
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
});

describe("two remote workers", () => {
  it("lists both workers", async () => {
    const { code, stdout } = await runErrand(["workers", "--json"], env);
    expect(code).toBe(0);
    const names = (JSON.parse(stdout) as { items: { id: string; name: string }[] }).items;
    expect(names.map((w) => w.id).sort()).toEqual([idA, idB].sort());
  });

  it("runs shell tasks on either worker", async () => {
    const tasks = await Promise.all(
      ["a", "b", "a", "b"].map((label, i) =>
        errand.createTask({
          kind: "shell",
          input: { argv: ["sh", "-c", `echo task ${i}`] },
          requirements: [label],
        }),
      ),
    );
    const done = await Promise.all(tasks.map((t) => errand.waitForTask(t.id)));
    expect(done.map((t) => t.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    const workers = await Promise.all(
      done.map(async (t) => (await errand.listAttempts(t.id))[0]!.worker_id),
    );
    expect(workers).toEqual([idA, idB, idA, idB]);
  });

  it("runs a task again on the other worker after kill -9 of the one holding it", async () => {
    const task = await errand.createTask({
      kind: "shell",
      input: { command: "echo started; sleep 2; echo finished" },
      // Short, so the takeover comes soon; 2 s leaves a slow machine room for the renewals.
      lease_ttl_ms: 2_000,
      max_attempts: 3,
    });
    const running = await waitUntil(async () => {
      const t = await errand.getTask(task.id);
      return t.state === "running" && t.lease ? t : null;
    }, "the task to run");
    const holder = running.lease!.worker_id;
    const victim = holder === idA ? workerA : workerB;
    const survivor = holder === idA ? idB : idA;
    victim.child.kill("SIGKILL");
    await victim.exited;
    const done: Task = await errand.waitForTask(task.id);
    expect(done.state).toBe("succeeded");
    const attempts = await errand.listAttempts(task.id);
    expect(attempts.map((a) => [a.worker_id, a.outcome])).toEqual([
      [holder, "expired"],
      [survivor, "succeeded"],
    ]);
    // Bring the killed worker back for the tests that follow.
    if (holder === idA) [workerA, idA] = await startWorker("worker-a2", "a");
    else [workerB, idB] = await startWorker("worker-b2", "b");
  });

  it("cancel of a running shell task leaves no process of its group alive", async () => {
    const { code, stdout } = await runErrand(
      ["run", "--detach", "--", "sh", "-c", "echo $$; sleep 300 & sleep 300 & wait"],
      env,
    );
    expect(code).toBe(0);
    const id = stdout.trim();
    let pgid = 0;
    for await (const event of errand.events(id)) {
      if (event.type === "task.output") {
        pgid = Number((event.data as { text: string }).text.trim());
        break;
      }
    }
    expect(isGroupAlive(pgid)).toBe(true);
    const canceled = await runErrand(["cancel", id], env);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toBe(`${id} canceled\n`);
    await waitUntil(() => !isGroupAlive(pgid), "the process group to end");
    const watched = await runErrand(["watch", id], env);
    expect(watched.code).toBe(4);
  });
});

describe("agent tasks on a remote worker", () => {
  it("records the model on the attempt through the lease meta endpoint", async () => {
    const task = await errand.createTask({
      kind: "agent",
      input: { prompt: "list files", model: "claude-haiku-4-5" },
    });
    const done = await errand.waitForTask(task.id);
    expect(done.state).toBe("succeeded");
    expect(done.result).toMatchObject({ result: "Done: one file.", model: "claude-haiku-4-5" });
    const [attempt] = await errand.listAttempts(task.id);
    expect(attempt?.meta).toMatchObject({ provider: "anthropic", model: "claude-haiku-4-5" });
    const shown = await runErrand(["attempts", task.id], env);
    expect(shown.stdout).toMatch(/succeeded .* claude-haiku-4-5/);
  });
});

describe("worker shutdown", () => {
  it("SIGTERM lets the grace period pass, then ends the command and releases the task", async () => {
    const proc = startErrand(
      [
        "worker",
        "--name",
        "worker-c",
        "--labels",
        "c",
        "--grace",
        "300",
        "--kill-grace",
        "500",
        "--log-level",
        "warn",
      ],
      env,
    );
    const [, idC] = await proc.waitFor(/worker (wkr_\w+) running/);
    const task = await errand.createTask({
      kind: "shell",
      input: { command: "echo $$; sleep 300" },
      requirements: ["c"],
    });
    let pgid = 0;
    for await (const event of errand.events(task.id)) {
      if (event.type === "task.output") {
        pgid = Number((event.data as { text: string }).text.trim());
        break;
      }
    }
    expect(isGroupAlive(pgid)).toBe(true);
    proc.child.kill("SIGTERM");
    expect((await proc.exited).code).toBe(0);
    expect(isGroupAlive(pgid)).toBe(false);
    const after = await errand.getTask(task.id);
    expect(after.state).toBe("queued");
    expect(after.attempts).toBe(0);
    const attempts = await errand.listAttempts(task.id);
    expect(attempts.map((a) => [a.worker_id, a.outcome])).toEqual([[idC, "released"]]);
    await errand.cancelTask(task.id);
  });
});

describe("output volume", () => {
  it("streams megabytes of output from a remote worker without losing a byte", async () => {
    const size = 3_000_000;
    const { code, stdout } = await runErrand(
      ["run", "--", "sh", "-c", `head -c ${size} /dev/zero | tr '\\0' a; echo`],
      env,
    );
    expect(code).toBe(0);
    expect(stdout.length).toBe(size + 1);
    expect(stdout).toBe(`${"a".repeat(size)}\n`);
  });
});

describe("errand run and watch", () => {
  it("prints stdout and stderr to the right streams and exits with the command's code", async () => {
    const { code, stdout, stderr } = await runErrand(
      ["run", "--", "sh", "-c", "echo out; echo err >&2; exit 3"],
      env,
    );
    expect(stdout).toBe("out\n");
    expect(stderr).toBe("err\n");
    expect(code).toBe(3);
  });

  it("a detached run re-attached with watch shows every line exactly once", async () => {
    const script = "for i in $(seq 1 15); do echo line $i; sleep 0.02; done";
    const started = await runErrand(["run", "--detach", "--", "sh", "-c", script], env);
    const id = started.stdout.trim();
    expect(started.stderr).toContain(`errand watch ${id}`);
    const watched = await runErrand(["watch", id], env);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(Array.from({ length: 15 }, (_, i) => `line ${i + 1}\n`).join(""));
  });

  it("Ctrl-C detaches, and watch resumes after the last line shown", async () => {
    const script = "for i in $(seq 1 40); do echo line $i; sleep 0.05; done";
    const run = startErrand(["run", "--", "sh", "-c", script], env);
    await run.waitFor(/line 3\n/, "stdout");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    expect(code).toBe(130);
    const [, id] = run.stderr.match(/errand watch (tsk_\w+)/)!;
    const watched = await runErrand(["watch", id!], env);
    expect(watched.code).toBe(0);
    expect(run.stdout + watched.stdout).toBe(
      Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join(""),
    );
  });

  it("prints one-line errors with documented exit codes", async () => {
    const missing = await runErrand(["get", "tsk_01JD0000000000000000000000"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("errand: task_not_found: no task tsk_01JD0000000000000000000000\n");
    const badKey = await runErrand(["ls"], { ...env, ERRAND_KEY: "ek_bogus_key" });
    expect(badKey.code).toBe(77);
    expect(badKey.stderr).toMatch(/^errand: unauthenticated: /);
    const down = await runErrand(["ls"], { ...env, ERRAND_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(69);
    expect(down.stderr).toMatch(/^errand: network_error: cannot reach/);
  });

  it("creates, lists and revokes keys, and a revoked key stops working", async () => {
    const created = await runErrand(
      ["keys", "create", "--name", "laptop", "--scopes", "tasker"],
      env,
    );
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^ek_/);
    const [, keyId] = created.stderr.match(/created (key_\w+)/)!;
    const listed = await runErrand(["keys", "list", "--json"], env);
    const items = (JSON.parse(listed.stdout) as { items: { id: string; scopes: string[] }[] })
      .items;
    expect(items.find((k) => k.id === keyId)?.scopes).toEqual(["tasker"]);
    const asLaptop = { ...env, ERRAND_KEY: key };
    expect((await runErrand(["ls", "--limit", "1"], asLaptop)).code).toBe(0);
    const denied = await runErrand(["keys", "list"], asLaptop);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(/^errand: insufficient_scope: /);
    expect((await runErrand(["keys", "revoke", keyId!], env)).stdout).toBe(`${keyId} revoked\n`);
    const revoked = await runErrand(["ls"], asLaptop);
    expect(revoked.code).toBe(77);
    expect(revoked.stderr).toMatch(/^errand: unauthenticated: /);
  });

  it("reads tasks as tables and JSON", async () => {
    const task = await errand.createTask({ kind: "shell", input: { argv: ["true"] } });
    await errand.waitForTask(task.id);
    const table = await runErrand(["ls", "--kind", "shell", "--limit", "3"], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^ID\s+KIND\s+STATE\s+ATTEMPTS\s+CREATED\s+PROGRESS$/,
    );
    expect(table.stdout).toContain(task.id);
    const json = await runErrand(["get", task.id, "--json"], env);
    expect((JSON.parse(json.stdout) as Task).state).toBe("succeeded");
    const receipt = await runErrand(["receipt", task.id, "--verify", "--json"], env);
    expect(receipt.code).toBe(0);
    expect(JSON.parse(receipt.stdout)).toMatchObject({
      state: "succeeded",
      verification: { valid: true },
    });
  });
});
