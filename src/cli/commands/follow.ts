/**
 * Following a task's events on the terminal, shared by `run` and `watch`: output goes to
 * stdout or stderr as the task wrote it, progress draws a bar on a terminal, Ctrl-C detaches
 * and remembers where it stopped.
 */
import type { Errand, Task, TaskEvent, TaskProgress } from "@errand/client";
import { EXIT } from "./common.js";
import { forgetCursor, saveCursor } from "./cursors.js";

export interface FollowOptions {
  readonly after: number;
  /** Print each event as a JSON line instead of rendering it. */
  readonly json?: boolean;
  /** Say on stderr when the connection drops and comes back. */
  readonly quiet?: boolean;
}

export interface FollowOutcome {
  /** The exit status: the shell command's exit code, or one of EXIT. */
  readonly code: number;
  readonly detached: boolean;
  readonly lastSeq: number;
}

class ProgressBar {
  readonly #tty = process.stderr.isTTY === true;
  #shown = false;
  #last: TaskProgress | null = null;

  show(p: TaskProgress): void {
    this.#last = p;
    if (!this.#tty) return;
    const columns = process.stderr.columns || 80;
    let line: string;
    if (typeof p.total === "number" && p.total > 0 && typeof p.current === "number") {
      const width = 30;
      const filled = Math.max(0, Math.min(width, Math.round((p.current / p.total) * width)));
      line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.current}/${p.total}`;
    } else {
      line = typeof p.current === "number" ? `[${p.current}]` : "[…]";
    }
    if (p.message) line += ` ${p.message}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    this.#shown = true;
  }

  /** Clears the bar before other output; `redraw` brings it back after. */
  clear(): void {
    if (this.#shown) process.stderr.write("\r\x1b[2K");
    this.#shown = false;
  }

  redraw(): void {
    if (this.#last) this.show(this.#last);
  }
}

const TERMINAL = new Set(["task.succeeded", "task.failed", "task.canceled"]);

/** Exit status for a finished task; prints why on stderr unless the command's own code tells. */
export function exitCodeOf(task: Task, quiet = false): number {
  if (task.state === "succeeded") return EXIT.ok;
  if (task.state === "canceled") {
    if (!quiet) process.stderr.write(`errand: task ${task.id} was canceled\n`);
    return EXIT.taskCanceled;
  }
  const details = task.error?.details as { exit_code?: unknown } | undefined;
  if (task.error?.code === "exit_code" && typeof details?.exit_code === "number") {
    return details.exit_code;
  }
  if (!quiet) {
    process.stderr.write(
      `errand: task ${task.id} failed: ${task.error?.code ?? "error"}: ${task.error?.message ?? "unknown"}\n`,
    );
  }
  return EXIT.taskFailed;
}

export async function followTask(
  errand: Errand,
  taskId: string,
  options: FollowOptions,
): Promise<FollowOutcome> {
  const bar = new ProgressBar();
  const controller = new AbortController();
  let detached = false;
  const detach = () => {
    detached = true;
    controller.abort();
  };
  process.on("SIGINT", detach);
  process.on("SIGTERM", detach);
  process.on("SIGHUP", detach);
  let lastSeq = options.after;
  let terminal: TaskEvent | null = null;
  // On a terminal, say so when nothing has picked the task up after a while: the usual cause
  // is a server started with --no-worker and no `errand worker` running.
  let hint: ReturnType<typeof setTimeout> | null =
    process.stderr.isTTY && !options.json && !options.quiet
      ? setTimeout(() => {
          hint = null;
          void errand.getTask(taskId).then(
            (task) => {
              if (task.state !== "queued") return;
              bar.clear();
              process.stderr.write(
                `errand: ${taskId} is still queued: no worker for kind ${task.kind} has claimed it yet (Ctrl-C detaches)\n`,
              );
            },
            () => {},
          );
        }, 3_000)
      : null;
  try {
    for await (const event of errand.events(taskId, {
      after: options.after,
      signal: controller.signal,
      onReconnect: ({ attempt, error }) => {
        if (options.quiet || attempt !== 3) return;
        bar.clear();
        const why = error instanceof Error ? error.message : String(error);
        process.stderr.write(`errand: connection lost (${why}); reconnecting…\n`);
      },
    })) {
      if (hint && event.type === "task.leased") {
        clearTimeout(hint);
        hint = null;
      }
      render(event, bar, options.json === true);
      lastSeq = event.seq;
      if (TERMINAL.has(event.type)) terminal = event;
    }
  } finally {
    if (hint) clearTimeout(hint);
    process.off("SIGINT", detach);
    process.off("SIGTERM", detach);
    process.off("SIGHUP", detach);
    bar.clear();
  }
  if (detached || !terminal) {
    saveCursor(taskId, lastSeq);
    return { code: EXIT.detached, detached: true, lastSeq };
  }
  forgetCursor(taskId);
  const task = await errand.getTask(taskId);
  return { code: exitCodeOf(task, options.json === true), detached: false, lastSeq };
}

function render(event: TaskEvent, bar: ProgressBar, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    return;
  }
  switch (event.type) {
    case "task.output": {
      const data = event.data as { stream?: string; text?: string };
      bar.clear();
      (data.stream === "stderr" ? process.stderr : process.stdout).write(data.text ?? "");
      bar.redraw();
      return;
    }
    case "task.progress":
      bar.show(event.data as TaskProgress);
      return;
    case "task.log": {
      if (!process.stderr.isTTY) return;
      const data = event.data as { level?: string; message?: string };
      bar.clear();
      process.stderr.write(`\x1b[2m[${data.level ?? "info"}] ${data.message ?? ""}\x1b[0m\n`);
      bar.redraw();
      return;
    }
    case "task.lease_expired":
    case "task.retry_scheduled":
    case "task.released": {
      if (!process.stderr.isTTY) return;
      bar.clear();
      process.stderr.write(`\x1b[2m[errand] ${event.type.slice(5).replace("_", " ")}\x1b[0m\n`);
      bar.redraw();
      return;
    }
    default:
      return;
  }
}
