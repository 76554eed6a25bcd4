/** `errand serve`: the REST API, SSE streams and the embedded worker on one port. */
import type { Command } from "commander";
import { ConfigError, resolveServerConfig, type ServeFlags } from "../server/config.js";

/** Options shared by commands that open the server's store (`serve`, `migrate`). */
export function addStoreOptions(command: Command): Command {
  return command
    .option(
      "--data-dir <dir>",
      "data directory: SQLite file and admin key (env ERRAND_DATA_DIR)",
      undefined,
    )
    .option(
      "--db <url-or-path>",
      "database: a SQLite file path, or postgres://… (env ERRAND_DB; default <data-dir>/errand.db)",
    );
}

export function registerServe(program: Command): void {
  const serve = program
    .command("serve")
    .description(
      "Run the Errand server: REST API, event streams and an embedded worker for built-in kinds",
    )
    .option("--host <host>", "address to bind (env ERRAND_HOST)", undefined)
    .option(
      "--port <port>",
      "port to listen on, 0 for any free one (env ERRAND_PORT; default 7420)",
    );
  addStoreOptions(serve)
    .option(
      "--insecure",
      "accept requests without a credential as admin of tenant default (never in production)",
    )
    .option(
      "--body-limit <size>",
      "largest request body, e.g. 1mb or 262144 (env ERRAND_BODY_LIMIT; default 1mb)",
    )
    .option(
      "--rate-limit <n>",
      "requests per principal per minute, 0 = off (env ERRAND_RATE_LIMIT; default 600000)",
    )
    .option(
      "--metrics <access>",
      "GET /metrics: public, private (admin key) or off (env ERRAND_METRICS; default public)",
    )
    .option(
      "--allowed-origin <origin...>",
      "browser origins allowed on /mcp besides loopback ones (env ERRAND_ALLOWED_ORIGINS, comma-separated)",
    )
    .option("--no-worker", "do not run the embedded worker (env ERRAND_WORKER=0)")
    .option(
      "--log-level <level>",
      "fatal, error, warn, info, debug, trace or silent (env ERRAND_LOG_LEVEL)",
    )
    .addHelpText(
      "after",
      `
Defaults: binds 127.0.0.1:7420 and keeps everything in ./.errand/. On first start it creates an
admin API key and writes it, mode 0600, to <data-dir>/admin.key. Flags win over environment
variables, which win over defaults (docs/configuration.md).

Examples:
  errand serve
  errand serve --port 8080 --data-dir /var/lib/errand --no-worker`,
    )
    .action(async (flags: ServeFlags) => {
      let config;
      try {
        config = resolveServerConfig(flags);
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`errand serve: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      // Loaded here so that other commands start without the server stack.
      const { startServer } = await import("../server/start.js");
      const server = await startServer(config, { handleSignals: true }).catch((err: unknown) => {
        if (err instanceof ConfigError) {
          process.stderr.write(`errand serve: ${err.message}\n`);
          process.exitCode = 2;
          return null;
        }
        throw err;
      });
      if (server) await server.closed;
    });
}
