/** `errand worker`: the worker runtime with the built-in adapters, against a remote server. */
import type { Command } from "commander";
import { pino } from "pino";
import { UnavailableError, Worker, type WorkerRecord } from "@errand/client";
import { BUILTIN_KINDS, builtinAdapters } from "../../worker/adapters/index.js";
import { errandVersion } from "../../server/version.js";
import { findBwrap } from "../../worker/sandbox.js";
import { DEFAULT_ENV_ALLOW } from "../../worker/adapters/shell.js";
import {
  EXIT,
  UsageError,
  action,
  clientOptions,
  list,
  positiveInt,
  resolveKey,
  resolveServer,
  type ClientFlags,
} from "./common.js";

interface WorkerFlags extends ClientFlags {
  kinds?: string;
  concurrency?: string;
  labels?: string;
  name?: string;
  sandbox?: boolean;
  grace?: string;
  killGrace?: string;
  envAllow?: string;
  agentCommand?: string;
  logLevel?: string;
}

/**
 * Announces the worker, waiting for the server while it cannot be reached (a worker may start
 * before its server); resolves null when interrupted by SIGINT/SIGTERM meanwhile.
 */
async function startWhenReachable(
  runtime: Worker,
  logger: pino.Logger,
): Promise<WorkerRecord | null> {
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (let failures = 1; ; failures++) {
      try {
        return await runtime.start();
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        const waitMs = Math.min(500 * 2 ** (failures - 1), 10_000);
        logger.warn({ err: err.message, retry_in_ms: waitMs }, "server not reachable; retrying");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          interrupted.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (interrupted.signal.aborted) return null;
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function registerWorker(program: Command): void {
  const worker = program
    .command("worker")
    .description("Run a worker for the built-in kinds (mock, shell, agent, http) against a server")
    .option("--kinds <list>", `kinds to run, comma-separated (default ${BUILTIN_KINDS.join(",")})`)
    .option("-c, --concurrency <n>", "tasks at once (default 4)")
    .option(
      "--labels <list>",
      "labels this worker carries, comma-separated (tasks may require them)",
    )
    .option("--name <name>", "a readable name for `errand workers` (default: host and pid)")
    .option("--sandbox", "run every shell task inside bubblewrap (needs bwrap)")
    .option("--grace <ms>", "on SIGTERM/SIGINT, let running tasks finish this long (default 30000)")
    .option("--kill-grace <ms>", "SIGTERM → SIGKILL delay for canceled commands (default 2000)")
    .option(
      "--env-allow <list>",
      `variables commands inherit (default ${DEFAULT_ENV_ALLOW.join(",")})`,
    )
    .option("--agent-command <cmd>", "the coding-agent CLI for the agent kind (default: claude)")
    .option("--log-level <level>", "info, warn, error, debug or silent (default info)");
  clientOptions(worker)
    .addHelpText(
      "after",
      `
The worker announces itself, long-polls for tasks up to its free capacity, renews leases in the
background and streams events. On SIGTERM or Ctrl-C it stops claiming, lets running tasks finish
within --grace, then releases the rest so other workers take them at once. Logs go to stderr as
JSON lines. See docs/workers.md.

Examples:
  errand worker --server http://10.0.0.5:7420 --key ek_… --concurrency 8
  errand worker --kinds shell --labels gpu,linux --sandbox`,
    )
    .action(
      action(async (flags: WorkerFlags) => {
        const kinds = list(flags.kinds);
        const unknown = kinds.filter((k) => !(BUILTIN_KINDS as readonly string[]).includes(k));
        if (unknown.length > 0) {
          throw new UsageError(
            `no built-in adapter for ${unknown.join(", ")} (have ${BUILTIN_KINDS.join(", ")})`,
          );
        }
        if (flags.sandbox && !findBwrap()) {
          throw new UsageError(
            "--sandbox needs bubblewrap (bwrap); install it, e.g. apt-get install -y bubblewrap",
          );
        }
        const level = flags.logLevel ?? "info";
        const logger = pino({ level, base: { service: "errand-worker" } }, pino.destination(2));
        const adapters = builtinAdapters({
          ...(flags.sandbox ? { sandbox: true } : {}),
          ...(flags.envAllow ? { envAllow: list(flags.envAllow) } : {}),
          ...(flags.agentCommand
            ? { agentCommand: flags.agentCommand.split(" ").filter(Boolean) }
            : {}),
          ...(flags.killGrace !== undefined
            ? { killGraceMs: positiveInt("--kill-grace", flags.killGrace, 2000) }
            : {}),
        });
        const key = resolveKey(flags);
        const runtime = new Worker({
          url: resolveServer(flags),
          ...(key ? { key } : {}),
          kinds: kinds.length > 0 ? kinds : [...BUILTIN_KINDS],
          concurrency: positiveInt("--concurrency", flags.concurrency, 4),
          labels: list(flags.labels),
          name: flags.name ?? `${process.env.HOSTNAME ?? "worker"}-${process.pid}`,
          version: `errand ${errandVersion()}`,
          logger,
        });
        for (const [kind, handler] of Object.entries(adapters)) {
          if (kinds.length === 0 || kinds.includes(kind)) runtime.handle(kind, handler);
        }
        const graceMs = flags.grace === undefined ? 30_000 : Number(flags.grace);
        if (!Number.isFinite(graceMs) || graceMs < 0)
          throw new UsageError("--grace must be a number of ms");
        const record = await startWhenReachable(runtime, logger);
        if (!record) return EXIT.detached;
        process.stderr.write(
          `errand: worker ${record.id} running ${record.kinds.join(", ")} against ${resolveServer(flags)}\n`,
        );
        await new Promise<void>((resolve) => {
          const onSignal = (signal: NodeJS.Signals) => {
            logger.info({ signal }, "stopping");
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            void runtime.stop({ graceMs }).then(resolve);
          };
          process.on("SIGINT", onSignal);
          process.on("SIGTERM", onSignal);
        });
        logger.flush();
      }),
    );
}
