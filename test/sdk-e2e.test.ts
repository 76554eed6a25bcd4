/**
 * The SDK as a user gets it: `npm pack` the package, install the tarball into a scratch
 * project without TypeScript, and run a plain .mjs script (a worker and a tasker) against the
 * real server, restarted in the middle of the event stream.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { startServer, stop, type ServerProc } from "./fixtures/processes.js";

const PACKAGE_DIR = fileURLToPath(new URL("../packages/client", import.meta.url));

const SCRIPT = `
import { Errand, Worker, NotFoundError } from "@errand/client";
const url = process.env.ERRAND_URL;
const key = process.env.ERRAND_KEY;
const worker = new Worker({ url, key, kinds: ["scratch.count"], concurrency: 1, name: "scratch" });
worker.handle("scratch.count", async (task, ctx) => {
  for (let i = 1; i <= task.input.n; i++) {
    ctx.progress(i, task.input.n);
    await new Promise((r) => setTimeout(r, 40));
  }
  return { counted: task.input.n };
});
await worker.start();
const errand = new Errand({ url, key });
try {
  await errand.getTask("tsk_01JD0000000000000000000000");
} catch (err) {
  console.log("typed " + (err instanceof NotFoundError) + " " + err.code + " " + err.status);
}
const task = await errand.createTask({ kind: "scratch.count", input: { n: 80 }, lease_ttl_ms: 30000 });
console.log("task " + task.id);
for await (const event of errand.events(task.id, {
  onReconnect: ({ attempt }) => console.log("reconnect " + attempt),
})) {
  console.log("event " + event.seq + " " + event.type);
}
const done = await errand.getTask(task.id);
console.log("done " + done.state + " " + JSON.stringify(done.result));
await worker.stop({ graceMs: 1000 });
`;

let dir: string;
let dataDir: string;
let server: ServerProc;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "errand-sdk-"));
  dataDir = join(dir, "data");
  server = await startServer(dataDir);
});

afterAll(async () => {
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
});

describe("the SDK package in a scratch project", () => {
  it("installs without a compiler or dependencies and survives a server restart mid-stream", async () => {
    const packed = execFileSync("npm", ["pack", "--pack-destination", dir, "--silent"], {
      cwd: PACKAGE_DIR,
      encoding: "utf8",
    }).trim();
    const tarball = join(dir, packed.split("\n").at(-1)!);
    const project = join(dir, "scratch");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "scratch", private: true, type: "module" }),
    );
    execFileSync("npm", ["install", tarball, "--offline", "--no-audit", "--no-fund", "--silent"], {
      cwd: project,
    });
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules/@errand/client/package.json"), "utf8"),
    ) as { dependencies?: object };
    expect(installed.dependencies ?? {}).toEqual({});
    expect(existsSync(join(project, "node_modules/typescript"))).toBe(false);
    expect(existsSync(join(project, "node_modules/@errand/client/dist/index.js"))).toBe(true);
    writeFileSync(join(project, "main.mjs"), SCRIPT);

    const child = spawn(process.execPath, ["main.mjs"], {
      cwd: project,
      env: { ...process.env, ERRAND_URL: server.url, ERRAND_KEY: server.key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const seen = new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (/event 12 /.test(out)) resolve();
      });
    });
    await seen;
    // Restart the server on the same port and data while the stream is open.
    const port = new URL(server.url).port;
    await stop(server);
    server = await startServer(dataDir, [], Number(port));
    expect(await exited, err).toBe(0);

    expect(out).toContain("typed true task_not_found 404");
    expect(out).toMatch(/reconnect \d+/);
    const seqs = [...out.matchAll(/event (\d+) (\S+)/g)].map((m) => [Number(m[1]), m[2]] as const);
    expect(seqs.map(([s]) => s)).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.at(-1)![1]).toBe("task.succeeded");
    expect(out).toContain('done succeeded {"counted":80}');
  });
});
