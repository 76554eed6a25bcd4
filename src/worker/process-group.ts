/**
 * Running a child in its own process group and ending the whole group: a task's command may
 * start children of its own (`sh -c 'a & b'`), and cancel must leave none of them behind.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

const HAS_PROC = process.platform === "linux";

/**
 * True while any process of the group `pgid` is alive. Zombies do not count: a killed command's
 * children are re-parented to PID 1, and in containers PID 1 may take seconds to reap them
 * (measured ~2 s here), while `kill(-pgid, 0)` still succeeds for them.
 */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    // EPERM: a process exists but is not ours to signal; count it as alive.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return HAS_PROC ? hasLiveMember(pgid) : true;
}

/** Scans /proc for a member of the group that is not a zombie (state Z) or dead (X). */
function hasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    if (fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
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
