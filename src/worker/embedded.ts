/**
 * The worker embedded in `errand serve`: the SDK's worker runtime with the built-in adapters,
 * talking to the engine in-process instead of over HTTP.
 */
import { WorkerRuntime } from "@errand/client";
import type { Engine, Logger } from "../engine/engine.js";
import { builtinAdapters, type AdapterOptions } from "./adapters/index.js";
import { InProcessTransport } from "./in-process-transport.js";

export interface EmbeddedWorkerOptions {
  readonly logger?: Logger;
  /** Kinds to run (default: every built-in adapter). */
  readonly kinds?: string[];
  /** Tasks at once (default 4). */
  readonly concurrency?: number;
  /** Adapter settings, e.g. `{ sandbox: true }` for the shell adapter. */
  readonly adapters?: AdapterOptions;
}

/**
 * Starts the embedded worker; resolves once it is announced and claiming.
 *
 * @example
 * const worker = await startEmbeddedWorker(engine, { logger, concurrency: 4 });
 * // … later, on shutdown:
 * await worker.stop();
 */
export async function startEmbeddedWorker(
  engine: Engine,
  options: EmbeddedWorkerOptions = {},
): Promise<{ readonly id: string; stop(options?: { graceMs?: number }): Promise<void> }> {
  const adapters = builtinAdapters(options.adapters);
  const kinds = options.kinds ?? Object.keys(adapters);
  const unknown = kinds.filter((k) => !(k in adapters));
  if (unknown.length > 0) throw new Error(`no built-in adapter for kind(s): ${unknown.join(", ")}`);
  const runtime = new WorkerRuntime(new InProcessTransport(engine), {
    kinds,
    concurrency: options.concurrency ?? 4,
    name: "embedded",
    version: "errand",
    // In-process claims cost nothing to keep open; a shorter wait only re-checks sooner.
    claimWaitMs: 30_000,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  for (const kind of kinds) runtime.handle(kind, adapters[kind]!);
  const record = await runtime.start();
  return {
    id: record.id,
    stop: (stopOptions = {}) => runtime.stop({ graceMs: stopOptions.graceMs ?? 10_000 }),
  };
}
