/** `errand workers` and `errand keys create|list|revoke`. */
import type { Command } from "commander";
import type { Scope } from "@errand/client";
import {
  UsageError,
  action,
  ago,
  clientFrom,
  clientOptions,
  formatTable,
  list,
  printJson,
  type ClientFlags,
} from "./common.js";

const SCOPES = ["tasker", "worker", "admin"];

export function registerOperatorCommands(program: Command): void {
  const workers = program
    .command("workers")
    .description("List the workers that announced themselves");
  clientOptions(workers, { json: true }).action(
    action(async (flags: ClientFlags) => {
      const items = await clientFrom(flags).listWorkers();
      if (flags.json) return printJson({ items });
      if (items.length === 0) {
        process.stdout.write("no workers\n");
        return;
      }
      const rows = items.map((w) => [
        w.id,
        w.name,
        w.kinds.join(","),
        w.labels.join(",") || "-",
        String(w.capacity),
        ago(w.last_seen_at),
      ]);
      process.stdout.write(
        formatTable(["ID", "NAME", "KINDS", "LABELS", "CAPACITY", "LAST SEEN"], rows),
      );
    }),
  );

  const keys = program.command("keys").description("Manage API keys (admin)");
  const create = keys
    .command("create")
    .description("Create an API key; its secret is printed once")
    .requiredOption("--name <name>", "what the key is for")
    .option("--scopes <list>", "tasker, worker, admin, comma-separated (default tasker)", "tasker");
  clientOptions(create, { json: true })
    .addHelpText(
      "after",
      "\nExamples:\n  errand keys create --name ci --scopes tasker\n  errand keys create --name gpu-box --scopes worker",
    )
    .action(
      action(async (flags: ClientFlags & { name: string; scopes: string }) => {
        const scopes = list(flags.scopes);
        const bad = scopes.filter((s) => !SCOPES.includes(s));
        if (bad.length > 0 || scopes.length === 0) {
          throw new UsageError(
            `--scopes takes ${SCOPES.join(", ")}${bad.length ? `, not ${bad.join(", ")}` : ""}`,
          );
        }
        const key = await clientFrom(flags).createKey(flags.name, scopes as Scope[]);
        if (flags.json) return printJson(key);
        process.stdout.write(`${key.key}\n`);
        process.stderr.write(
          `errand: created ${key.id} (${key.scopes.join(", ")}); the secret above is shown only once\n`,
        );
      }),
    );
  const ls = keys.command("list").description("List API keys (never their secrets)");
  clientOptions(ls, { json: true }).action(
    action(async (flags: ClientFlags) => {
      const items = await clientFrom(flags).listKeys();
      if (flags.json) return printJson({ items });
      const rows = items.map((k) => [
        k.id,
        k.name,
        k.scopes.join(","),
        ago(k.created_at),
        k.revoked_at ? `revoked ${ago(k.revoked_at)}` : "active",
      ]);
      process.stdout.write(formatTable(["ID", "NAME", "SCOPES", "CREATED", "STATUS"], rows));
    }),
  );
  const revoke = keys
    .command("revoke")
    .description("Revoke an API key")
    .argument("<id>", "key id (key_…)");
  clientOptions(revoke).action(
    action(async (id: string, flags: ClientFlags) => {
      await clientFrom(flags).revokeKey(id);
      process.stdout.write(`${id} revoked\n`);
    }),
  );
}
