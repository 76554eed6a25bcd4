/**
 * Isolation with bubblewrap (`bwrap`, Debian package `bubblewrap`): the whole file system
 * read-only, one writable work dir, a private /tmp, no network, its own pid namespace, and the
 * sandbox dies with the worker.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

let cached: string | null | undefined;

/** The path of `bwrap` on PATH (or `ERRAND_BWRAP`), or null when absent. */
export function findBwrap(): string | null {
  if (cached !== undefined) return cached;
  const candidates = process.env.ERRAND_BWRAP
    ? [process.env.ERRAND_BWRAP]
    : (process.env.PATH ?? "/usr/bin:/bin").split(delimiter).map((d) => join(d, "bwrap"));
  cached = null;
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      cached = path;
      break;
    } catch {
      // not here
    }
  }
  return cached;
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
