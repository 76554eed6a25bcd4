/**
 * `errand serve`: opens the store, starts the engine, creates the admin key on first start,
 * serves the REST API, runs the embedded worker, and shuts all of it down in order on
 * SIGINT/SIGTERM.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino, type Logger as PinoLogger } from "pino";
import { Engine } from "../engine/index.js";
import { buildApp } from "../http/app.js";
import type { Store } from "../store/store.js";
import { startEmbeddedWorker } from "../worker/embedded.js";
import { redactDbUrl, type ServerConfig } from "./config.js";
import { openNotifier, openStore, sqlitePath, isPostgresUrl } from "./open-store.js";
import { errandVersion } from "./version.js";

export const ADMIN_KEY_FILE = "admin.key";

export interface RunningServer {
  readonly config: ServerConfig;
  /** Base URL, e.g. `http://127.0.0.1:7420`. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly adminKeyPath: string;
  /** Shuts down in order; safe to call twice. */
  close(): Promise<void>;
  /** Settles when the server has shut down. */
  readonly closed: Promise<void>;
}

export interface StartOptions {
  readonly logger?: PinoLogger;
  /** Install SIGINT/SIGTERM handlers that shut the server down (the CLI does). */
  readonly handleSignals?: boolean;
  /** Where human-readable notices go (default: stderr). */
  readonly notice?: (line: string) => void;
}

export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: "errand" } });
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Handlers go in first: a signal during start-up (or right after "listening" is printed)
  // must shut down cleanly too, not kill the process with its default action.
  const signals = options.handleSignals ? installSignalHandlers(notice) : noSignals;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  const store: Store = await openStore(config);
  const cleanups: Array<() => Promise<void>> = [() => store.close()];
  const unwind = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => logger.error({ err }, "shutdown step failed"));
    }
  };

  try {
    // On PostgreSQL, LISTEN/NOTIFY wakes claimers and streams on every node.
    const notifier = await openNotifier(config);
    if (notifier) cleanups.push(() => notifier.close());
    const engine = new Engine({
      store,
      logger,
      issuer: "errand",
      ...(notifier ? { notifier } : {}),
    });
    cleanups.push(() => engine.close());
    await engine.start();

    const adminKeyPath = join(config.dataDir, ADMIN_KEY_FILE);
    const issued = await engine.bootstrapAdminKey();
    if (issued) {
      await writeFile(adminKeyPath, `${issued.token}\n`, { mode: 0o600 });
      await chmod(adminKeyPath, 0o600); // in case the file existed with wider permissions
      logger.info({ path: adminKeyPath }, "created the admin API key");
      notice(`errand: created an admin API key; it is in ${adminKeyPath} (mode 0600)`);
    }

    const version = errandVersion();
    const app = await buildApp({
      engine,
      logger,
      config: {
        bodyLimit: config.bodyLimit,
        insecure: config.insecure,
        rateLimit: config.rateLimit === 0 ? false : { max: config.rateLimit, windowMs: 60_000 },
        sseKeepAliveMs: config.sseKeepAliveMs,
        metrics: config.metrics,
        allowedOrigins: config.allowedOrigins,
        version,
        settings: {
          host: config.host,
          port: config.port,
          data_dir: config.dataDir,
          db: isPostgresUrl(config.db) ? redactDbUrl(config.db) : sqlitePath(config),
          embedded_worker: config.worker,
        },
      },
    });
    cleanups.push(async () => {
      if (app.server.listening) await app.close();
    });
    if (config.insecure) {
      logger.warn("insecure mode: requests without a credential act as an admin of tenant default");
      notice("errand: WARNING: --insecure: requests without a credential act as admin");
    }

    const address = await app.listen({ host: config.host, port: config.port });
    const bound = app.server.address();
    const boundPort = typeof bound === "object" && bound ? bound.port : config.port;
    const url = address;

    if (config.worker) {
      const worker = await startEmbeddedWorker(engine, { logger });
      cleanups.push(() => worker.stop());
      logger.info({ worker_id: worker.id }, "embedded worker started");
    }
    notice(`errand: listening on ${url} (data in ${config.dataDir}, version ${version})`);

    let closing: Promise<void> | null = null;
    let settle: () => void = () => {};
    const closed = new Promise<void>((resolve) => (settle = resolve));
    const close = (): Promise<void> => {
      closing ??= (async () => {
        logger.info("shutting down");
        // Stop accepting and end open streams first, then the worker, engine and store.
        await app.close().catch((err: unknown) => logger.error({ err }, "closing HTTP failed"));
        await unwind();
        logger.info("stopped");
        settle();
      })();
      return closing;
    };

    signals.ready(close);
    void closed.then(() => signals.remove());
    return { config, url, port: boundPort, app, engine, adminKeyPath, close, closed };
  } catch (err) {
    await unwind();
    signals.remove();
    throw err;
  }
}

interface SignalHandlers {
  /** Shutdown is possible now; runs it at once if a signal came during start-up. */
  ready(close: () => Promise<void>): void;
  remove(): void;
}

const noSignals: SignalHandlers = { ready() {}, remove() {} };

function installSignalHandlers(notice: (line: string) => void): SignalHandlers {
  let count = 0;
  let close: (() => Promise<void>) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count > 1) {
      notice(`errand: ${signal} again; exiting without a clean shutdown`);
      process.exit(130);
    }
    notice(`errand: ${signal}: shutting down (send it again to force)`);
    if (close) void close();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    ready(fn) {
      close = fn;
      if (count > 0) void fn();
    },
    remove() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
