/** `errand get`, `ls`, `cancel`, `attempts`: reading and canceling tasks. */
import type { Command } from "commander";
import type { Task, TaskState } from "@errand/client";
import {
  UsageError,
  action,
  ago,
  clientFrom,
  clientOptions,
  formatTable,
  printJson,
  type ClientFlags,
} from "./common.js";

const STATES = ["queued", "running", "succeeded", "failed", "canceled"];

function progressText(task: Task): string {
  const p = task.progress;
  if (!p) return "";
  const frac =
    typeof p.current === "number" && typeof p.total === "number"
      ? `${p.current}/${p.total}`
      : typeof p.current === "number"
        ? String(p.current)
        : "";
  return [frac, p.message ?? ""].filter(Boolean).join(" ");
}

function describeTask(task: Task): string {
  const rows: Array<[string, string]> = [
    ["id", task.id],
    ["kind", task.kind],
    ["state", task.state],
    ["attempts", `${task.attempts}/${task.max_attempts}`],
    ["queue", `${task.queue} (priority ${task.priority})`],
    ["created", `${task.created_at} (${ago(task.created_at)})`],
  ];
  if (task.started_at) rows.push(["started", task.started_at]);
  if (task.finished_at) rows.push(["finished", task.finished_at]);
  if (task.lease)
    rows.push(["worker", `${task.lease.worker_id} (lease until ${task.lease.expires_at})`]);
  if (task.progress) rows.push(["progress", progressText(task)]);
  if (Object.keys(task.labels).length > 0) {
    rows.push([
      "labels",
      Object.entries(task.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ]);
  }
  if (task.requirements.length > 0) rows.push(["requires", task.requirements.join(", ")]);
  rows.push(["input", JSON.stringify(task.input)]);
  if (task.result !== null) rows.push(["result", JSON.stringify(task.result)]);
  if (task.error) {
    rows.push(["error", `${task.error.code ? `${task.error.code}: ` : ""}${task.error.message}`]);
  }
  rows.push(["events", String(task.last_seq)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
}

export function registerTaskCommands(program: Command): void {
  const get = program.command("get").description("Show one task").argument("<id>", "task id");
  clientOptions(get, { json: true }).action(
    action(async (id: string, flags: ClientFlags) => {
      const task = await clientFrom(flags).getTask(id);
      if (flags.json) printJson(task);
      else process.stdout.write(describeTask(task));
    }),
  );

  const ls = program
    .command("ls")
    .description("List tasks, newest first")
    .option(
      "-s, --state <state>",
      `only this state (${STATES.join(", ")}); repeatable`,
      (v: string, p: string[] = []) => [...p, v],
    )
    .option("-k, --kind <kind>", "only this kind")
    .option("-q, --queue <queue>", "only this queue")
    .option("--label <key[=value]>", "only tasks with this label")
    .option("-n, --limit <n>", "how many (1…500, default 20)")
    .option("--cursor <cursor>", "continue after a previous page");
  clientOptions(ls, { json: true })
    .addHelpText(
      "after",
      "\nExamples:\n  errand ls\n  errand ls --state running --kind shell\n  errand ls --json | jq '.items[].id'",
    )
    .action(
      action(
        async (
          flags: ClientFlags & {
            state?: string[];
            kind?: string;
            queue?: string;
            label?: string;
            limit?: string;
            cursor?: string;
          },
        ) => {
          const states = (flags.state ?? []).flatMap((s) => s.split(","));
          const bad = states.filter((s) => !STATES.includes(s));
          if (bad.length > 0)
            throw new UsageError(`unknown state ${bad.join(", ")} (${STATES.join(", ")})`);
          const limit = flags.limit === undefined ? 20 : Number(flags.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > 500)
            throw new UsageError("--limit must be 1…500");
          const page = await clientFrom(flags).listTasks({
            ...(states.length === 1 ? { state: states[0] as TaskState } : {}),
            ...(states.length > 1 ? { state: states as TaskState[] } : {}),
            ...(flags.kind ? { kind: flags.kind } : {}),
            ...(flags.queue ? { queue: flags.queue } : {}),
            ...(flags.label ? { label: flags.label } : {}),
            ...(flags.cursor ? { cursor: flags.cursor } : {}),
            limit,
          });
          if (flags.json) return printJson(page);
          if (page.items.length === 0) {
            process.stdout.write("no tasks\n");
            return;
          }
          const rows = page.items.map((t) => [
            t.id,
            t.kind,
            t.state,
            `${t.attempts}/${t.max_attempts}`,
            ago(t.created_at),
            progressText(t) || (t.error ? (t.error.code ?? "error") : ""),
          ]);
          process.stdout.write(
            formatTable(["ID", "KIND", "STATE", "ATTEMPTS", "CREATED", "PROGRESS"], rows),
          );
          if (page.next_cursor)
            process.stdout.write(`more: errand ls --cursor ${page.next_cursor}\n`);
        },
      ),
    );

  const cancel = program
    .command("cancel")
    .description("Cancel a queued or running task (its worker stops it)")
    .argument("<id>", "task id")
    .option("--reason <text>", "why, kept in the task's log");
  clientOptions(cancel, { json: true }).action(
    action(async (id: string, flags: ClientFlags & { reason?: string }) => {
      const task = await clientFrom(flags).cancelTask(id, flags.reason);
      if (flags.json) printJson(task);
      else process.stdout.write(`${task.id} ${task.state}\n`);
    }),
  );

  const attempts = program
    .command("attempts")
    .description("Show a task's attempts: worker, timing, outcome, model")
    .argument("<id>", "task id");
  clientOptions(attempts, { json: true }).action(
    action(async (id: string, flags: ClientFlags) => {
      const items = await clientFrom(flags).listAttempts(id);
      if (flags.json) return printJson({ items });
      const rows = items.map((a) => [
        String(a.number),
        a.worker_id,
        a.outcome ?? "running",
        a.started_at,
        a.ended_at ?? "-",
        typeof a.meta?.model === "string" ? a.meta.model : "",
      ]);
      process.stdout.write(
        formatTable(["#", "WORKER", "OUTCOME", "STARTED", "ENDED", "MODEL"], rows),
      );
    }),
  );
}
