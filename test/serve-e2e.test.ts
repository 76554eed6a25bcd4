/**
 * The real binary: `node bin/errand.js serve` (built into dist/ by `npm test` before vitest)
 * creates the admin key with mode 0600, serves the API on a socket, keeps the key across
 * restarts, and exits cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "errand.js");

let dir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "errand-serve-"));
});
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

interface Serving {
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `errand serve` and resolves once it prints where it listens. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Serving> {
  const proc = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dir, ...args], {
    cwd: dir,
    env: { ...process.env, ERRAND_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+) \(/.exec(output);
      if (match) resolve({ url: match[1]!, output: () => output, exited });
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    void exited.then(({ code }) =>
      reject(new Error(`errand serve exited (${code}) before listening:\n${output}`)),
    );
  });
}

describe("errand serve", () => {
  it("creates a 0600 admin key, serves tasks with it, and exits cleanly on SIGTERM", async () => {
    const server = await serve(["--no-worker"]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const keyPath = join(dir, "admin.key");
    expect(server.output()).toContain(`it is in ${keyPath}`);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyPath, "utf8").trim();
    expect(key).toMatch(/^ek_/);
    // The secret is in the file only, never in the output.
    expect(server.output()).not.toContain(key);
    expect(statSync(join(dir, "errand.db")).isFile()).toBe(true);

    const anonymous = await fetch(`${server.url}/v1/tasks`);
    expect(anonymous.status).toBe(401);
    const health = await fetch(`${server.url}/v1/health`);
    expect(await health.json()).toMatchObject({ status: "ok", backend: "sqlite" });

    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const created = await fetch(`${server.url}/v1/tasks`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "mock", input: { steps: 2, interval_ms: 1 } }),
    });
    expect(created.status).toBe(201);
    const task = (await created.json()) as { id: string; state: string };
    const read = await fetch(`${server.url}/v1/tasks/${task.id}`, { headers });
    expect(read.status).toBe(200);
    // --no-worker: nobody runs it.
    expect(await read.json()).toMatchObject({ id: task.id, state: "queued" });

    child!.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain("SIGTERM: shutting down");
  });

  it("keeps the admin key across restarts and runs a mock task with the embedded worker", async () => {
    const first = await serve(["--no-worker"]);
    const key = readFileSync(join(dir, "admin.key"), "utf8").trim();
    child!.kill("SIGINT");
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });

    const second = await serve([]);
    expect(second.output()).not.toContain("created an admin API key");
    expect(readFileSync(join(dir, "admin.key"), "utf8").trim()).toBe(key);
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const created = await fetch(`${second.url}/v1/tasks`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "mock", input: { steps: 3, interval_ms: 1 } }),
    });
    const task = (await created.json()) as { id: string };
    // The JSON page long-polls until the embedded worker has run it to the end.
    let state = "queued";
    let after = 0;
    const types: string[] = [];
    while (state !== "succeeded" && state !== "failed") {
      const res = await fetch(`${second.url}/v1/tasks/${task.id}/events?after=${after}&wait=10`, {
        headers,
      });
      const page = (await res.json()) as {
        events: { type: string }[];
        next_after: number;
        state: string;
      };
      types.push(...page.events.map((e) => e.type));
      after = page.next_after;
      state = page.state;
    }
    expect(state).toBe("succeeded");
    expect(types[0]).toBe("task.created");
    expect(types.at(-1)).toBe("task.succeeded");
    expect(types.filter((t) => t === "task.progress")).toHaveLength(3);

    child!.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  });

  it("refuses a bad setting with exit status 2 and a clear message", async () => {
    await expect(serve(["--port", "99999"])).rejects.toThrow(
      /--port \/ ERRAND_PORT must be an integer from 0 to 65535/,
    );
    expect(child!.exitCode).toBe(2);
  });

  it("migrate creates and migrates the database, then exits", async () => {
    const proc = spawn(process.execPath, [BIN, "migrate", "--data-dir", dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
    expect(code).toBe(0);
    expect(out).toContain("the sqlite database is up to date");
    expect(statSync(join(dir, "errand.db")).isFile()).toBe(true);
  });
});
