/**
 * Isolation with bubblewrap (`bwrap`, Debian package `bubblewrap`): the whole file system
 * read-only, one writable work dir, a private /tmp, no network, its own pid namespace, and the
 * sandbox dies with the worker.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const found = new Map<string, string | null>();

/** The path of an executable on PATH (or in the env variable `override`), or null when absent. */
function findProgram(name: string, override: string): string | null {
  if (found.has(name)) return found.get(name)!;
  const candidates = process.env[override]
    ? [process.env[override]!]
    : (process.env.PATH ?? "/usr/bin:/bin").split(delimiter).map((d) => join(d, name));
  let path: string | null = null;
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      path = candidate;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}

/** `bwrap` on PATH (or `ERRAND_BWRAP`), or null when absent. */
export function findBwrap(): string | null {
  return findProgram("bwrap", "ERRAND_BWRAP");
}

/** `prlimit` (util-linux) on PATH (or `ERRAND_PRLIMIT`), or null when absent. */
export function findPrlimit(): string | null {
  return findProgram("prlimit", "ERRAND_PRLIMIT");
}

/** Resource limits of a command, applied with prlimit(1) as it starts. */
export interface ResourceLimits {
  /** CPU time, seconds (RLIMIT_CPU): the kernel kills the command past it. */
  readonly cpu_seconds?: number;
  /** Address space, bytes (RLIMIT_AS): allocations past it fail. */
  readonly memory_bytes?: number;
  /** Largest file it may write, bytes (RLIMIT_FSIZE). */
  readonly file_size_bytes?: number;
  /** Open files (RLIMIT_NOFILE). */
  readonly open_files?: number;
  /** Processes of the user (RLIMIT_NPROC). */
  readonly processes?: number;
}

export const LIMIT_FLAGS: Record<keyof ResourceLimits, string> = {
  cpu_seconds: "--cpu",
  memory_bytes: "--as",
  file_size_bytes: "--fsize",
  open_files: "--nofile",
  processes: "--nproc",
};

/** `prlimit --cpu=N … --`: run before the command, it sets the limits and executes it. */
export function prlimitArgs(limits: ResourceLimits): string[] {
  const args: string[] = [];
  for (const [field, flag] of Object.entries(LIMIT_FLAGS)) {
    const value = limits[field as keyof ResourceLimits];
    if (value !== undefined) args.push(`${flag}=${value}`);
  }
  return [...args, "--"];
}

export function bwrapArgs(options: { workDir: string }): string[] {
  return [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    "--bind",
    options.workDir,
    options.workDir,
    "--chdir",
    options.workDir,
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--die-with-parent",
    "--",
  ];
}
