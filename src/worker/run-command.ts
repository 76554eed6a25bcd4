/**
 * Runs one command for an adapter: its own process group, output streamed as `task.output`
 * events (or handed over line by line), a byte cap, a timeout, and the whole group ended on
 * abort or timeout (SIGTERM, then SIGKILL after a grace).
 */
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import type { TaskContext } from "@errand/client";
import { TaskFailure } from "@errand/client";
import { isGroupAlive, killGroup, waitForClose } from "./process-group.js";

/** One `task.output` event carries at most this much text. */
const MAX_EVENT_TEXT = 16 * 1024;

export interface RunCommandOptions {
  readonly cwd: string | undefined;
  readonly env: Record<string, string>;
  readonly ctx: TaskContext;
  readonly timeoutMs: number | undefined;
  readonly outputLimit: number;
  readonly killGraceMs: number;
  readonly stdin: string | undefined;
  /** Take stdout line by line instead of as `task.output` events. */
  readonly onStdoutLine?: (line: string) => void;
  /** Fail on a non-zero exit or a signal (default true); false answers the facts instead. */
  readonly check?: boolean;
}

export interface CommandFacts {
  exit_code: number | null;
  signal: NodeJS.Signals | null;
  output_bytes: number;
  truncated: boolean;
}

/** Streams one pipe into `task.output` events, counting bytes against the shared cap. */
class OutputPump {
  bytes = 0;
  truncated = false;
  readonly #ctx: TaskContext;
  readonly #limit: number;

  constructor(ctx: TaskContext, limit: number) {
    this.#ctx = ctx;
    this.#limit = limit;
  }

  attach(
    stream: NodeJS.ReadableStream,
    name: "stdout" | "stderr",
    onLine?: (line: string) => void,
  ): void {
    const decoder = new StringDecoder("utf8");
    let partial = "";
    const take = (text: string, size: number) => {
      if (!onLine) return this.#take(name, text, size);
      this.bytes += size;
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf("\n")) >= 0) {
        onLine(partial.slice(0, nl).replace(/\r$/, ""));
        partial = partial.slice(nl + 1);
      }
      if (partial.length > this.#limit) {
        // A line longer than the whole output cap is not a message anyone can parse.
        this.truncated = true;
        partial = "";
      }
    };
    stream.on("data", (chunk: Buffer) => take(decoder.write(chunk), chunk.length));
    stream.on("end", () => {
      take(decoder.end(), 0);
      if (onLine && partial.length > 0) onLine(partial);
      partial = "";
    });
  }

  #take(name: "stdout" | "stderr", text: string, size: number): void {
    if (this.truncated || text.length === 0) {
      this.bytes += size;
      return;
    }
    const room = this.#limit - this.bytes;
    this.bytes += size;
    if (size > room) {
      text = Buffer.from(text).subarray(0, Math.max(room, 0)).toString("utf8");
      this.truncated = true;
    }
    for (let i = 0; i < text.length; i += MAX_EVENT_TEXT) {
      this.#ctx.output(name, text.slice(i, i + MAX_EVENT_TEXT));
    }
    if (this.truncated) {
      this.#ctx.log(`output truncated after ${this.#limit} bytes (output_limit_bytes)`, "warn");
    }
  }
}

export async function runCommand(argv: string[], o: RunCommandOptions): Promise<CommandFacts> {
  const { ctx } = o;
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    cwd: o.cwd,
    env: o.env,
    detached: true,
    stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const closed = waitForClose(child);
  const pgid = child.pid;
  const pump = new OutputPump(ctx, o.outputLimit);
  pump.attach(child.stdout!, "stdout", o.onStdoutLine);
  pump.attach(child.stderr!, "stderr");
  if (o.stdin !== undefined && child.stdin) {
    child.stdin.on("error", () => {});
    child.stdin.end(o.stdin);
  }
  let stoppedBy: "abort" | "timeout" | null = null;
  let killing: Promise<void> | null = null;
  const stop = (why: "abort" | "timeout") => {
    if (stoppedBy || pgid === undefined) return;
    stoppedBy = why;
    killing = killGroup(pgid, o.killGraceMs);
  };
  const onAbort = () => stop("abort");
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const timer = o.timeoutMs !== undefined ? setTimeout(() => stop("timeout"), o.timeoutMs) : null;
  // Processes the command left running in its group when it exited are ended too.
  child.once("exit", () => {
    if (!stoppedBy && pgid !== undefined && isGroupAlive(pgid)) {
      killing = killGroup(pgid, o.killGraceMs);
    }
  });
  let outcome: { code: number | null; signal: NodeJS.Signals | null };
  try {
    outcome = await closed;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TaskFailure(`cannot start ${file}: ${e.code ?? e.message}`, {
      retryable: false,
      code: "spawn_failed",
      details: { errno: e.code ?? null, path: file },
    });
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    if (timer) clearTimeout(timer);
  }
  await killing;
  const facts: CommandFacts = {
    exit_code: outcome.code,
    signal: outcome.signal,
    output_bytes: pump.bytes,
    truncated: pump.truncated,
  };
  if (stoppedBy === "abort") throw ctx.signal.reason;
  if (stoppedBy === "timeout") {
    throw new TaskFailure(`command timed out after ${o.timeoutMs} ms`, {
      retryable: false,
      code: "timeout",
      details: facts,
    });
  }
  if (o.check === false) return facts;
  if (outcome.signal) {
    throw new TaskFailure(`command was killed by ${outcome.signal}`, {
      retryable: false,
      code: "signal",
      details: facts,
    });
  }
  if (outcome.code !== 0) {
    throw new TaskFailure(`command exited with code ${outcome.code}`, {
      retryable: false,
      code: "exit_code",
      details: facts,
    });
  }
  return { ...facts, exit_code: 0, signal: null };
}
