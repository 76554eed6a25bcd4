/**
 * Where `errand run` and `errand watch` remember the last event they showed for a task, so a
 * later `errand watch ID` resumes right after it: every line shows exactly once across
 * detach and re-attach. Kept in `$ERRAND_STATE_DIR` (default `$XDG_STATE_HOME/errand`, or
 * `~/.local/state/errand`), one small file per task, removed once the task is over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

function stateDir(): string {
  if (process.env.ERRAND_STATE_DIR) return process.env.ERRAND_STATE_DIR;
  const base = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "errand");
}

const safe = (taskId: string) => taskId.replace(/[^A-Za-z0-9_-]/g, "_");
const fileOf = (taskId: string) => join(stateDir(), "cursors", safe(taskId));

export function loadCursor(taskId: string): number {
  try {
    const n = Number(readFileSync(fileOf(taskId), "utf8").trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

export function saveCursor(taskId: string, seq: number): void {
  try {
    mkdirSync(join(stateDir(), "cursors"), { recursive: true, mode: 0o700 });
    writeFileSync(fileOf(taskId), `${seq}\n`);
  } catch {
    // Best effort: without it `watch` starts from the beginning.
  }
}

export function forgetCursor(taskId: string): void {
  rmSync(fileOf(taskId), { force: true });
}
