/**
 * Running a child in its own process group and ending the whole group: a task's command may
 * start children of its own (`sh -c 'a & b'`), and cancel must leave none of them behind.
 */
import type { ChildProcess } from "node:child_process";

/** True while any process of the group `pgid` is alive. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    // EPERM: a process exists but is not ours to signal; count it as alive.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Sends SIGTERM to the group, then SIGKILL after `graceMs` if anything is left. Resolves once
 * no process of the group is alive (polling every few ms, since a group has no exit event).
 */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let step = 2;
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, "SIGKILL");
      // After SIGKILL only zombies awaiting their parent can remain; give it a moment.
      for (let i = 0; i < 100 && isGroupAlive(pgid); i++) await sleep(10);
      return;
    }
    await sleep(step);
    step = Math.min(step * 2, 50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the child's exit code and signal once it has exited and its pipes closed. */
export function waitForClose(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
}
