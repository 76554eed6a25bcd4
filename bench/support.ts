/** What the benchmark scripts share: order statistics, and the real `errand` in a child process. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest-rank percentile `p` (0–100) of `values`, which need not be sorted. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const BIN = fileURLToPath(new URL("../../bin/errand.js", import.meta.url));

/** Starts `errand ARGS…` and resolves once its stderr matches `ready`. */
export function spawnErrand(
  args: readonly string[],
  options: { env?: Record<string, string>; ready: RegExp; nodeArgs?: readonly string[] },
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      const match = err.match(options.ready);
      if (match) resolve({ child, match });
    });
    child.once("exit", () => reject(new Error(`errand ${args[0]} exited:\n${err}`)));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

export interface ServeChild {
  readonly child: ChildProcess;
  readonly url: string;
  /** The admin key it created in its fresh data directory. */
  readonly key: string;
  readonly dir: string;
}

/** `errand serve --no-worker` on a free port, a fresh data dir, no rate limit, quiet logs. */
export async function startServe(
  options: { nodeArgs?: readonly string[] } = {},
): Promise<ServeChild> {
  const dir = mkdtempSync(join(tmpdir(), "errand-bench-"));
  const { child, match } = await spawnErrand(
    [
      "serve",
      "--no-worker",
      "--port",
      "0",
      "--data-dir",
      dir,
      "--rate-limit",
      "0",
      "--log-level",
      "error",
    ],
    {
      ready: /listening on (http:\/\/\S+)/,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    },
  );
  return { child, url: match[1]!, key: readFileSync(join(dir, "admin.key"), "utf8").trim(), dir };
}

export async function stopServe(server: ServeChild): Promise<void> {
  await stopChild(server.child);
  rmSync(server.dir, { recursive: true, force: true });
}
