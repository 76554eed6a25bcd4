/**
 * What the client commands share: where the server is and which key to use, one-line errors
 * with documented exit codes (docs/cli.md), and plain-text tables.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { Errand, ErrandApiError } from "@errand/client";

export const DEFAULT_SERVER = "http://127.0.0.1:7420";

/** Exit codes (docs/cli.md). A shell task's own exit code passes through `run` and `watch`. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  taskFailed: 3,
  taskCanceled: 4,
  unavailable: 69,
  denied: 77,
  detached: 130,
} as const;

/** A usage problem: printed as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ClientFlags {
  server?: string;
  key?: string;
  dataDir?: string;
  json?: boolean;
}

/** Adds `--server`, `--key` and `--data-dir` (and `--json` for read commands). */
export function clientOptions(command: Command, options: { json?: boolean } = {}): Command {
  command
    .option("--server <url>", `Errand server (env ERRAND_URL; default ${DEFAULT_SERVER})`)
    .option("--key <key>", "API key (env ERRAND_KEY; default <data-dir>/admin.key when readable)")
    .option(
      "--data-dir <dir>",
      "where to look for admin.key (env ERRAND_DATA_DIR; default ./.errand)",
    );
  if (options.json) command.option("--json", "print JSON instead of text");
  return command;
}

/** The key: --key, then ERRAND_KEY, then the local server's admin key file when readable. */
export function resolveKey(flags: ClientFlags): string | undefined {
  if (flags.key) return flags.key;
  if (process.env.ERRAND_KEY) return process.env.ERRAND_KEY;
  const dataDir = resolve(flags.dataDir ?? process.env.ERRAND_DATA_DIR ?? "./.errand");
  try {
    const key = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    return key || undefined;
  } catch {
    return undefined;
  }
}

export function resolveServer(flags: ClientFlags): string {
  return flags.server ?? (process.env.ERRAND_URL || DEFAULT_SERVER);
}

export function clientFrom(flags: ClientFlags): Errand {
  const key = resolveKey(flags);
  return new Errand({ url: resolveServer(flags), ...(key ? { key } : {}) });
}

/** The exit status for an error, and its one-line message. */
export function describeError(err: unknown): { code: number; line: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, line: `errand: ${err.message}` };
  if (err instanceof ErrandApiError) {
    let hint = "";
    if (err.code === "unauthenticated") {
      hint = " (give --key or ERRAND_KEY; a local server's admin key is in <data-dir>/admin.key)";
    }
    const code =
      err.status === 0 || err.code === "unavailable"
        ? EXIT.unavailable
        : err.code === "unauthenticated" || err.code === "insufficient_scope"
          ? EXIT.denied
          : EXIT.error;
    return { code, line: `errand: ${err.code}: ${err.message}${hint}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: EXIT.error, line: `errand: error: ${message}` };
}

/** Wraps a command action: errors become one line on stderr and an exit status. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === "number") process.exitCode = code;
    } catch (err) {
      const { code, line } = describeError(err);
      process.stderr.write(`${line}\n`);
      process.exitCode = code;
    }
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table: columns padded to their widest cell, no borders. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** "3s ago", "5m ago", "2h ago", "4d ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Splits "a,b c" style lists from repeatable or comma-separated flags. */
export function list(value: string | string[] | undefined): string[] {
  const parts = Array.isArray(value) ? value : value ? [value] : [];
  return parts
    .flatMap((p) => p.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Collects a repeatable flag. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${name} must be a positive integer, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}
