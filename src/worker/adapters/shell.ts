/**
 * The `shell` adapter: runs a command and streams its output.
 *
 * Input:
 * - `argv: string[]` (run directly) or `command: string` (run by `/bin/sh -c`);
 * - `cwd`: working directory (default: the worker's; in the sandbox a fresh work dir);
 * - `env`: explicit variables; besides these only the worker's allow-listed variables pass
 *   through (PATH, HOME, LANG… and `env_allow` names; never `ERRAND_*`);
 * - `timeout_ms`: kill the command after this long (it fails with code `timeout`);
 * - `output_limit_bytes` (default 10 MiB): output beyond it is dropped, a `task.log` says so;
 * - `stdin`: text written to the command's standard input (default: none, closed);
 * - `sandbox: true`: run inside bubblewrap (also forced on by the worker's `sandbox` option);
 * - `limits`: `{cpu_seconds, memory_bytes, file_size_bytes, open_files, processes}`, set with
 *   prlimit(1) as the command starts (a command past its CPU or file size limit is killed by
 *   the kernel and fails with code `signal`).
 *
 * stdout and stderr become `task.output` events with their stream. Exit code 0 succeeds with
 * `{ exit_code: 0, signal: null, output_bytes, truncated }`. Any other outcome fails for good
 * (not retried) with the same facts in `error.details`: a non-zero exit has code `exit_code`,
 * death by a signal `signal`, the timeout `timeout`, a command that cannot start
 * `spawn_failed`. Cancel, lease loss or the timeout end the whole process group: SIGTERM, then
 * SIGKILL after `kill_grace_ms` (default 2 s).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Handler } from "@errand/client";
import { TaskFailure } from "@errand/client";
import { argvOf, asObject, invalidInput, optionalInt, optionalString } from "./input.js";
import { runCommand } from "../run-command.js";
import {
  LIMIT_FLAGS,
  bwrapArgs,
  findBwrap,
  findPrlimit,
  prlimitArgs,
  type ResourceLimits,
} from "../sandbox.js";

export interface ShellOptions {
  /** Run every shell task in the sandbox. */
  readonly sandbox?: boolean;
  /** Worker environment variables that pass through to commands. */
  readonly envAllow?: readonly string[];
  /** Default SIGTERM → SIGKILL grace (ms). */
  readonly killGraceMs?: number;
}

export const DEFAULT_ENV_ALLOW = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "TERM",
];
const DEFAULT_OUTPUT_LIMIT = 10 * 1024 * 1024;

interface ShellInput {
  argv: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  envAllow: string[];
  timeoutMs: number | undefined;
  outputLimit: number;
  killGraceMs: number | undefined;
  stdin: string | undefined;
  sandbox: boolean;
  limits: ResourceLimits | null;
}

function parseLimits(raw: unknown): ResourceLimits | null {
  if (raw === undefined || raw === null) return null;
  const obj = asObject("shell", raw);
  const out: Record<string, number> = {};
  for (const field of Object.keys(obj)) {
    if (!(field in LIMIT_FLAGS)) {
      throw invalidInput(
        "shell",
        `unknown limit ${field} (${Object.keys(LIMIT_FLAGS).join(", ")})`,
      );
    }
    const value = optionalInt("shell", obj, field, 1, Number.MAX_SAFE_INTEGER);
    if (value !== undefined) out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function parseInput(raw: unknown): ShellInput {
  const input = asObject("shell", raw);
  let argv: string[];
  if (input.argv !== undefined) {
    if (input.command !== undefined) throw invalidInput("shell", "give argv or command, not both");
    argv = argvOf("shell", input.argv);
  } else if (typeof input.command === "string" && input.command.length > 0) {
    argv = ["/bin/sh", "-c", input.command];
  } else {
    throw invalidInput("shell", "give argv (array of strings) or command (string)");
  }
  const env: Record<string, string> = {};
  if (input.env !== undefined) {
    if (!input.env || typeof input.env !== "object" || Array.isArray(input.env)) {
      throw invalidInput("shell", "env must be an object of strings");
    }
    for (const [k, v] of Object.entries(input.env)) {
      if (typeof v !== "string") throw invalidInput("shell", `env.${k} must be a string`);
      env[k] = v;
    }
  }
  const envAllow = input.env_allow === undefined ? [] : input.env_allow;
  if (!Array.isArray(envAllow) || !envAllow.every((a) => typeof a === "string")) {
    throw invalidInput("shell", "env_allow must be an array of variable names");
  }
  if (input.sandbox !== undefined && typeof input.sandbox !== "boolean") {
    throw invalidInput("shell", "sandbox must be a boolean");
  }
  return {
    argv,
    cwd: optionalString("shell", input, "cwd"),
    env,
    envAllow: envAllow as string[],
    timeoutMs: optionalInt("shell", input, "timeout_ms", 1, 7 * 24 * 3_600_000),
    outputLimit:
      optionalInt("shell", input, "output_limit_bytes", 0, 1024 * 1024 * 1024) ??
      DEFAULT_OUTPUT_LIMIT,
    killGraceMs: optionalInt("shell", input, "kill_grace_ms", 0, 600_000),
    stdin: optionalString("shell", input, "stdin"),
    sandbox: input.sandbox === true,
    limits: parseLimits(input.limits),
  };
}

/** The child's environment: allow-listed variables of the worker, then the explicit ones. */
function childEnv(input: ShellInput, allow: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...allow, ...input.envAllow]) {
    if (name.startsWith("ERRAND_")) continue;
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...input.env };
}

export function shellAdapter(options: ShellOptions = {}): Handler {
  const allow = options.envAllow ?? DEFAULT_ENV_ALLOW;
  return async (task, ctx) => {
    const input = parseInput(task.input);
    const sandbox = input.sandbox || options.sandbox === true;
    const killGraceMs = input.killGraceMs ?? options.killGraceMs ?? 2_000;
    let workDir = input.cwd;
    let scratch: string | null = null;
    if (workDir !== undefined) {
      let ok = false;
      try {
        ok = statSync(workDir).isDirectory();
      } catch {
        ok = false;
      }
      if (!ok) throw invalidInput("shell", `cwd ${workDir} is not a directory`);
    } else if (sandbox) {
      scratch = mkdtempSync(join(tmpdir(), `errand-${task.id}-`));
      workDir = scratch;
    }
    let argv = input.argv;
    if (input.limits) {
      const prlimit = findPrlimit();
      if (!prlimit) {
        throw new TaskFailure("limits requested but prlimit (util-linux) is not installed", {
          retryable: false,
          code: "limits_unavailable",
        });
      }
      argv = [prlimit, ...prlimitArgs(input.limits), ...argv];
    }
    if (sandbox) {
      const bwrap = findBwrap();
      if (!bwrap) {
        throw new TaskFailure("sandbox requested but bubblewrap (bwrap) is not installed", {
          retryable: false,
          code: "sandbox_unavailable",
        });
      }
      argv = [bwrap, ...bwrapArgs({ workDir: workDir! }), ...argv];
    }
    try {
      return await runCommand(argv, {
        cwd: workDir,
        env: childEnv(input, allow),
        ctx,
        timeoutMs: input.timeoutMs,
        outputLimit: input.outputLimit,
        killGraceMs,
        stdin: input.stdin,
      });
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  };
}
