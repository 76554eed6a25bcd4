/**
 * The `errand` command. Each subcommand lives in its own file and registers itself here; keep
 * this file a short list of registrations.
 */
import { Command, CommanderError } from "commander";
import { registerMigrate } from "./migrate.js";
import { registerServe } from "./serve.js";
import { registerMcp } from "./commands/mcp.js";
import { registerClientCommands } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("errand")
    .description(
      "Durable background tasks for AI agents: resumable event streams, hash-chained logs, signed receipts, fenced leases.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  registerServe(program);
  registerMigrate(program);
  registerMcp(program);
  registerClientCommands(program);

  return program;
}

/** Runs the CLI; resolves to the exit status (bin/errand.js sets it). */
export async function main(argv: string[]): Promise<number | void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "node" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}
