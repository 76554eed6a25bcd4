import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Principal, Task, TaskEvent } from "../src/core/index.js";
import { Engine } from "../src/engine/engine.js";
import type { CreateTaskRequest } from "../src/engine/schemas.js";
import { openSqliteStore } from "../src/store/sqlite/index.js";
import { startEmbeddedWorker } from "../src/worker/embedded.js";
import { isGroupAlive } from "../src/worker/process-group.js";
import { findBwrap } from "../src/worker/sandbox.js";

const tasker: Principal = {
  id: "test-tasker",
  tenantId: "default",
  scopes: ["tasker"],
  via: "internal",
};
const FAKE_CLAUDE = fileURLToPath(new URL("./fixtures/fake-claude.mjs", import.meta.url));

let dir: string;
let engine: Engine;
let worker: { stop(): Promise<void> };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-adapters-"));
  engine = new Engine({
    store: openSqliteStore({ path: join(dir, "errand.db") }),
    sweepIntervalMs: 0,
  });
  await engine.start();
  worker = await startEmbeddedWorker(engine, {
    concurrency: 4,
    adapters: { agentCommand: [process.execPath, FAKE_CLAUDE], killGraceMs: 500 },
  });
});

afterEach(async () => {
  await worker.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(request: CreateTaskRequest): Promise<{ task: Task; events: TaskEvent[] }> {
  const { task } = await engine.createTask(tasker, { max_attempts: 1, ...request });
  const events: TaskEvent[] = [];
  for await (const batch of engine.streamTaskEvents(
    tasker,
    task.id,
    0,
    new AbortController().signal,
  )) {
    events.push(...batch);
  }
  return { task: await engine.getTask(tasker, task.id), events };
}

const outputOf = (events: TaskEvent[], stream: string) =>
  events
    .filter((e) => e.type === "task.output" && (e.data as { stream: string }).stream === stream)
    .map((e) => (e.data as { text: string }).text)
    .join("");

async function waitUntil(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("shell adapter", () => {
  it("streams stdout and stderr apart and succeeds with exit code 0", async () => {
    const { task, events } = await run({
      kind: "shell",
      input: { argv: ["sh", "-c", "echo out; echo err >&2"] },
    });
    expect(task.state).toBe("succeeded");
    expect(task.result).toMatchObject({ exit_code: 0, signal: null, truncated: false });
    expect(outputOf(events, "stdout")).toBe("out\n");
    expect(outputOf(events, "stderr")).toBe("err\n");
  });

  it("fails a non-zero exit for good with the exit code in the details", async () => {
    const { task } = await run({ kind: "shell", input: { command: "exit 3" }, max_attempts: 3 });
    expect(task.state).toBe("failed");
    expect(task.attempts).toBe(1);
    expect(task.error).toMatchObject({
      code: "exit_code",
      details: { exit_code: 3, signal: null },
    });
  });

  it("passes only allow-listed and explicit environment variables", async () => {
    process.env.ERRAND_TEST_SECRET = "do-not-leak";
    process.env.ERRAND_ADAPTER_TEST_OTHER = "not-listed";
    try {
      const { events } = await run({
        kind: "shell",
        input: { argv: ["env"], env: { GREETING: "hello" } },
      });
      const env = outputOf(events, "stdout");
      expect(env).toContain("GREETING=hello");
      expect(env).toContain(`PATH=${process.env.PATH}`);
      expect(env).not.toContain("do-not-leak");
      expect(env).not.toContain("not-listed");
    } finally {
      delete process.env.ERRAND_TEST_SECRET;
      delete process.env.ERRAND_ADAPTER_TEST_OTHER;
    }
  });

  it("cancel ends the whole process group", async () => {
    const { task } = await engine.createTask(tasker, {
      kind: "shell",
      input: { command: "echo $$; sleep 300 & sleep 300 & wait" },
    });
    let pgid = 0;
    for await (const batch of engine.streamTaskEvents(
      tasker,
      task.id,
      0,
      new AbortController().signal,
    )) {
      const out = batch.find((e) => e.type === "task.output");
      if (out) {
        pgid = Number((out.data as { text: string }).text.trim());
        break;
      }
    }
    expect(pgid).toBeGreaterThan(1);
    expect(isGroupAlive(pgid)).toBe(true);
    await engine.cancelTask(tasker, task.id);
    await waitUntil(() => !isGroupAlive(pgid), "the process group to end");
    expect((await engine.getTask(tasker, task.id)).state).toBe("canceled");
  });

  it("kills the command at timeout_ms and fails with code timeout", async () => {
    const { task } = await run({
      kind: "shell",
      input: { argv: ["sleep", "30"], timeout_ms: 200 },
    });
    expect(task.state).toBe("failed");
    expect(task.error?.code).toBe("timeout");
  });

  it("caps the output at output_limit_bytes", async () => {
    const { task, events } = await run({
      kind: "shell",
      input: { command: "yes | head -c 100000", output_limit_bytes: 1000 },
    });
    expect(task.state).toBe("succeeded");
    expect(outputOf(events, "stdout")).toHaveLength(1000);
    expect(task.result).toMatchObject({ truncated: true, output_bytes: 100000 });
    expect(events.some((e) => e.type === "task.log")).toBe(true);
  });

  it("applies resource limits: a busy loop past cpu_seconds is killed", async () => {
    const { task } = await run({
      kind: "shell",
      input: { command: "while :; do :; done", limits: { cpu_seconds: 1 } },
    });
    expect(task.state).toBe("failed");
    expect(task.error?.code).toBe("signal");
    expect(["SIGXCPU", "SIGKILL"]).toContain((task.error?.details as { signal: string }).signal);
  });

  it("rejects unknown limits as invalid input", async () => {
    const { task } = await run({ kind: "shell", input: { argv: ["true"], limits: { gpus: 1 } } });
    expect(task.error?.code).toBe("invalid_input");
  });

  it("fails a command that cannot start, for good", async () => {
    const { task } = await run({
      kind: "shell",
      input: { argv: ["/nonexistent/program"] },
      max_attempts: 3,
    });
    expect(task.state).toBe("failed");
    expect(task.attempts).toBe(1);
    expect(task.error?.code).toBe("spawn_failed");
  });
});

/** bwrap is installed and may create namespaces here (some hosts forbid unprivileged ones). */
function usableBwrap(): string | null {
  const path = findBwrap();
  if (!path) return null;
  const probe = spawnSync(path, ["--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"]);
  return probe.status === 0 ? path : null;
}

describe("shell adapter in the bubblewrap sandbox", () => {
  const bwrap = usableBwrap();
  let server: Server;
  let port = 0;
  let outside: string;

  beforeAll(async () => {
    if (!bwrap) {
      console.warn(
        "SKIP sandbox tests: bubblewrap (bwrap) is not installed or may not create namespaces here; apt-get install -y bubblewrap",
      );
      return;
    }
    outside = mkdtempSync(join(tmpdir(), "errand-outside-"));
    server = createServer((_req, res) => res.end("reachable"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    if (!bwrap) return;
    rmSync(outside, { recursive: true, force: true });
    await new Promise((r) => server.close(r));
  });

  it.skipIf(!bwrap)("writes in its work dir but not outside it", async () => {
    const target = join(outside, "escaped");
    const { task, events } = await run({
      kind: "shell",
      input: {
        command: `echo inside > ./note && cat note && pwd && (echo x > ${target} && echo WROTE || echo DENIED)`,
        sandbox: true,
      },
    });
    expect(task.state).toBe("succeeded");
    const out = outputOf(events, "stdout");
    expect(out).toContain("inside\n");
    expect(out).toContain("DENIED");
    expect(out).not.toContain("WROTE");
    expect(existsSync(target)).toBe(false);
  });

  it.skipIf(!bwrap)("cannot reach the network, while the same command outside can", async () => {
    const script = `fetch("http://127.0.0.1:${port}/").then(r => r.text()).then(t => console.log("GOT " + t), e => console.log("NONET " + (e.cause?.code ?? e.message)))`;
    const free = await run({ kind: "shell", input: { argv: [process.execPath, "-e", script] } });
    expect(outputOf(free.events, "stdout")).toContain("GOT reachable");
    const boxed = await run({
      kind: "shell",
      input: { argv: [process.execPath, "-e", script], sandbox: true },
    });
    expect(outputOf(boxed.events, "stdout")).toContain("NONET");
  });
});

describe("agent adapter", () => {
  it("maps a claude-code stream-json transcript to events, attempt meta and the result", async () => {
    const { task, events } = await run({
      kind: "agent",
      input: { prompt: "count the files", model: "claude-opus-4-1" },
    });
    expect(task.state).toBe("succeeded");
    expect(task.result).toMatchObject({
      result: "Done: one file.",
      model: "claude-opus-4-1",
      cost_usd: 0.0123,
      num_turns: 2,
      usage: { input_tokens: 20, output_tokens: 15 },
    });
    expect(outputOf(events, "stdout")).toBe("Looking at: count the files\nDone: one file.\n");
    expect(outputOf(events, "stderr")).toBe("fake-claude: thinking\n");
    const logs = events
      .filter((e) => e.type === "task.log")
      .map((e) => (e.data as { message: string }).message);
    expect(logs).toContain('tool_use Bash {"command":"ls"}');
    expect(events.filter((e) => e.type === "task.progress")).toHaveLength(2);
    const [attempt] = await engine.listAttempts(tasker, task.id);
    expect(attempt?.meta).toMatchObject({
      provider: "anthropic",
      agent: "claude-code",
      model: "claude-opus-4-1",
      cost_usd: 0.0123,
    });
  });

  it("fails for good when the agent reports an error result", async () => {
    const { task } = await run({
      kind: "agent",
      input: { prompt: "please FAIL" },
      max_attempts: 3,
    });
    expect(task.state).toBe("failed");
    expect(task.attempts).toBe(1);
    expect(task.error).toMatchObject({ code: "agent_error" });
  });

  it("runs the generic jsonl profile", async () => {
    const lines = [
      { type: "meta", provider: "local", model: "tiny-1" },
      { type: "progress", current: 1, total: 2, message: "half" },
      { type: "output", text: "hello\n" },
      { type: "result", result: { answer: 42 } },
    ];
    const script = lines.map((l) => `console.log(${JSON.stringify(JSON.stringify(l))});`).join("");
    const { task, events } = await run({
      kind: "agent",
      input: {
        profile: "jsonl",
        argv: [process.execPath, "-e", `${script}console.log("plain text")`],
      },
    });
    expect(task.state).toBe("succeeded");
    expect(task.result).toEqual({ answer: 42 });
    expect(outputOf(events, "stdout")).toBe("hello\nplain text\n");
    const [attempt] = await engine.listAttempts(tasker, task.id);
    expect(attempt?.meta).toEqual({ provider: "local", model: "tiny-1" });
  });
});

describe("http adapter", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/fail") {
        res.statusCode = 503;
        return res.end("down");
      }
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("x-echo", req.method ?? "");
        res.end(
          JSON.stringify({ method: req.method, body, type: req.headers["content-type"] ?? null }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("records status, headers and body", async () => {
    const { task } = await run({
      kind: "http",
      input: { url: `${base}/echo`, method: "POST", body: { a: 1 } },
    });
    expect(task.state).toBe("succeeded");
    const result = task.result as { status: number; headers: Record<string, string>; body: string };
    expect(result.status).toBe(200);
    expect(result.headers["x-echo"]).toBe("POST");
    expect(JSON.parse(result.body)).toEqual({
      method: "POST",
      body: '{"a":1}',
      type: "application/json",
    });
  });

  it("caps the recorded body", async () => {
    const { task } = await run({ kind: "http", input: { url: `${base}/echo`, max_body_bytes: 5 } });
    expect(task.result).toMatchObject({ body: '{"met', truncated: true });
  });

  it("fails a 5xx answer as retryable", async () => {
    const { task, events } = await run({
      kind: "http",
      input: { url: `${base}/fail` },
      max_attempts: 2,
      backoff_base_ms: 0,
      backoff_max_ms: 0,
    });
    expect(task.state).toBe("failed");
    expect(task.attempts).toBe(2);
    expect(task.error).toMatchObject({
      code: "http_status",
      details: { status: 503, body: "down" },
    });
    expect(events.some((e) => e.type === "task.retry_scheduled")).toBe(true);
  });
});
