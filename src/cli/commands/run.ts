/** `errand run -- CMD…` and `errand watch ID`. */
import type { Command } from "commander";
import type { CreateTaskRequest } from "@errand/client";
import {
  EXIT,
  UsageError,
  action,
  clientFrom,
  clientOptions,
  collect,
  positiveInt,
  type ClientFlags,
} from "./common.js";
import { loadCursor } from "./cursors.js";
import { exitCodeOf, followTask } from "./follow.js";

interface RunFlags extends ClientFlags {
  detach?: boolean;
  cwd?: string;
  env?: string[];
  envAllow?: string[];
  timeout?: string;
  sandbox?: boolean;
  limit?: string[];
  maxAttempts?: string;
  idempotencyKey?: string;
  label?: string[];
  require?: string[];
  queue?: string;
  priority?: string;
}

function keyValues(name: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`${name} takes KEY=VALUE, not ${JSON.stringify(v)}`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** One argument with spaces or shell syntax runs through /bin/sh -c; several run as argv. */
export function shellInput(args: string[]): { argv: string[] } | { command: string } {
  if (args.length === 1 && /[\s|&;<>()$`*?"'\\]/.test(args[0]!)) return { command: args[0]! };
  return { argv: args };
}

export function registerRun(program: Command): void {
  const run = program
    .command("run")
    .description("Run a command as a shell task, stream its output, exit with its exit code")
    .argument("<command...>", "the command and its arguments (put them after --)")
    .option("-d, --detach", "print the task id and return at once")
    .option("--cwd <dir>", "working directory on the worker")
    .option("-e, --env <KEY=VALUE>", "set a variable for the command (repeatable)", collect)
    .option(
      "--env-allow <NAME>",
      "pass this variable of the worker's environment (repeatable)",
      collect,
    )
    .option("--timeout <ms>", "kill the command after this many ms")
    .option("--sandbox", "run inside bubblewrap: read-only root, private work dir, no network")
    .option(
      "--limit <NAME=N>",
      "resource limit: cpu_seconds, memory_bytes, file_size_bytes, open_files, processes (repeatable)",
      collect,
    )
    .option("--max-attempts <n>", "attempts if a worker dies or the lease is lost (default 3)")
    .option("--idempotency-key <key>", "the same key returns the same task")
    .option("-l, --label <KEY=VALUE>", "label the task (repeatable)", collect)
    .option(
      "--require <label>",
      "only workers carrying this label may run it (repeatable)",
      collect,
    )
    .option("--queue <name>", "queue (default: default)")
    .option("--priority <n>", "higher runs first (-1000…1000)");
  clientOptions(run, { json: true })
    .addHelpText(
      "after",
      `
Output streams live: the command's stdout to stdout, its stderr to stderr. The exit status is the
command's own (see docs/cli.md for errand's codes). Ctrl-C detaches: the task keeps running, and
\`errand watch ID\` re-attaches where you left off.

Examples:
  errand run -- make test
  errand run -- sh -c 'echo out; echo err >&2; exit 3'
  errand run --detach --timeout 600000 -- ./long-job.sh
  errand run --sandbox --limit cpu_seconds=60 --limit memory_bytes=2000000000 -- make test
  errand run 'du -sh * | sort -h'`,
    )
    .action(
      action(async (args: string[], flags: RunFlags) => {
        const input: Record<string, unknown> = { ...shellInput(args) };
        if (flags.cwd) input.cwd = flags.cwd;
        const env = keyValues("--env", flags.env);
        if (Object.keys(env).length > 0) input.env = env;
        if (flags.envAllow?.length) input.env_allow = flags.envAllow;
        if (flags.timeout !== undefined)
          input.timeout_ms = positiveInt("--timeout", flags.timeout, 0);
        if (flags.sandbox) input.sandbox = true;
        const limits = keyValues("--limit", flags.limit);
        if (Object.keys(limits).length > 0) {
          input.limits = Object.fromEntries(
            Object.entries(limits).map(([k, v]) => [k, positiveInt(`--limit ${k}`, v, 1)]),
          );
        }
        const request: CreateTaskRequest = { kind: "shell", input };
        if (flags.maxAttempts !== undefined) {
          request.max_attempts = positiveInt("--max-attempts", flags.maxAttempts, 3);
        }
        if (flags.idempotencyKey) request.idempotency_key = flags.idempotencyKey;
        const labels = keyValues("--label", flags.label);
        if (Object.keys(labels).length > 0) request.labels = labels;
        if (flags.require?.length) request.requirements = flags.require;
        if (flags.queue) request.queue = flags.queue;
        if (flags.priority !== undefined) {
          const p = Number(flags.priority);
          if (!Number.isInteger(p)) throw new UsageError("--priority must be an integer");
          request.priority = p;
        }
        const errand = clientFrom(flags);
        const task = await errand.createTask(request);
        if (flags.detach) {
          if (flags.json) process.stdout.write(`${JSON.stringify(task)}\n`);
          else process.stdout.write(`${task.id}\n`);
          process.stderr.write(
            `errand: started ${task.id}; follow it with: errand watch ${task.id}\n`,
          );
          return EXIT.ok;
        }
        const outcome = await followTask(errand, task.id, { after: 0, json: flags.json === true });
        if (outcome.detached) {
          process.stderr.write(
            `\nerrand: detached; ${task.id} keeps running. Re-attach with: errand watch ${task.id}\n`,
          );
        }
        return outcome.code;
      }),
    );
}

interface WatchFlags extends ClientFlags {
  after?: string;
  fromStart?: boolean;
}

export function registerWatch(program: Command): void {
  const watch = program
    .command("watch")
    .description("Follow a task's output and progress until it finishes")
    .argument("<id>", "task id")
    .option("--after <seq>", "start after this event seq")
    .option("--from-start", "replay every event, not only those not yet shown here");
  clientOptions(watch, { json: true })
    .addHelpText(
      "after",
      `
By default it resumes right after the last event this machine showed for the task (a detached
\`errand run\` or \`errand watch\`), so every line appears exactly once. It exits like \`errand run\`:
with a shell task's exit code, or errand's codes (docs/cli.md). Ctrl-C detaches again.

Examples:
  errand watch tsk_01JD…
  errand watch tsk_01JD… --from-start --json`,
    )
    .action(
      action(async (id: string, flags: WatchFlags) => {
        const errand = clientFrom(flags);
        let after = flags.fromStart ? 0 : loadCursor(id);
        if (flags.after !== undefined) {
          if (!/^\d+$/.test(flags.after))
            throw new UsageError("--after must be an event seq (an integer)");
          after = Number(flags.after);
        }
        const task = await errand.getTask(id);
        if (after >= task.last_seq && ["succeeded", "failed", "canceled"].includes(task.state)) {
          return exitCodeOf(task, flags.json === true);
        }
        const outcome = await followTask(errand, id, { after, json: flags.json === true });
        if (outcome.detached) {
          process.stderr.write(`\nerrand: detached; re-attach with: errand watch ${id}\n`);
        }
        return outcome.code;
      }),
    );
}
