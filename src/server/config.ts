/**
 * Server configuration: flags win over environment variables, which win over defaults
 * (DESIGN.md "Configuration"). docs/configuration.md lists every setting.
 */
import { resolve } from "node:path";
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_RATE_LIMIT,
  DEFAULT_SSE_KEEP_ALIVE_MS,
} from "../http/config.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7420;
export const DEFAULT_DATA_DIR = "./.errand";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that cannot be used; the CLI prints the message and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Absolute path of the data directory (SQLite file, admin key). */
  readonly dataDir: string;
  /** `postgres://…` or a SQLite file path; null means `<dataDir>/errand.db`. */
  readonly db: string | null;
  readonly insecure: boolean;
  readonly bodyLimit: number;
  /** Run the embedded worker for the built-in kinds. */
  readonly worker: boolean;
  /** Requests per principal per minute; 0 turns the limiter off. */
  readonly rateLimit: number;
  readonly sseKeepAliveMs: number;
  /** `GET /metrics`: public, private (admin scope) or off. */
  readonly metrics: "public" | "private" | "off";
  /** Browser origins allowed on /mcp besides loopback ones. */
  readonly allowedOrigins: readonly string[];
  readonly logLevel: LogLevel;
}

/** What the command line gave; undefined means "not given". */
export interface ServeFlags {
  readonly host?: string | undefined;
  readonly port?: string | number | undefined;
  readonly dataDir?: string | undefined;
  readonly db?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly bodyLimit?: string | number | undefined;
  /** commander's `--no-worker` sets this to false. */
  readonly worker?: boolean | undefined;
  readonly rateLimit?: string | number | undefined;
  readonly metrics?: string | undefined;
  readonly allowedOrigin?: readonly string[] | undefined;
  readonly logLevel?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function pick<T>(flag: T | undefined, envValue: string | undefined): T | string | undefined {
  if (flag !== undefined) return flag;
  return envValue === undefined || envValue === "" ? undefined : envValue;
}

function integer(
  name: string,
  value: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

const SIZE = /^\s*(\d+)\s*(b|kb|k|kib|mb|m|mib)?\s*$/i;
const UNIT: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
};

/** Bytes from `1048576`, `512k`, `1mb`, `2MiB`. */
export function parseSize(
  name: string,
  value: string | number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return integer(name, value, fallback, 1, 1 << 30);
  const match = SIZE.exec(value);
  if (!match)
    throw new ConfigError(
      `${name} must be a size such as 1048576, 512k or 2mb, not ${JSON.stringify(value)}`,
    );
  const bytes = Number(match[1]) * UNIT[(match[2] ?? "b").toLowerCase()]!;
  return integer(name, bytes, fallback, 1, 1 << 30);
}

function boolean(name: string, value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

export function resolveServerConfig(
  flags: ServeFlags = {},
  env: Env = process.env,
  cwd = process.cwd(),
): ServerConfig {
  const host = String(pick(flags.host, env.ERRAND_HOST) ?? DEFAULT_HOST);
  const port = integer(
    "--port / ERRAND_PORT",
    pick(flags.port, env.ERRAND_PORT),
    DEFAULT_PORT,
    0,
    65535,
  );
  const dataDir = resolve(
    cwd,
    String(pick(flags.dataDir, env.ERRAND_DATA_DIR) ?? DEFAULT_DATA_DIR),
  );
  const db = pick(flags.db, env.ERRAND_DB);
  const logLevel = String(pick(flags.logLevel, env.ERRAND_LOG_LEVEL) ?? "info");
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`--log-level / ERRAND_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return {
    host,
    port,
    dataDir,
    db: db === undefined ? null : String(db),
    insecure: boolean(
      "--insecure / ERRAND_INSECURE",
      pick(flags.insecure || undefined, env.ERRAND_INSECURE),
      false,
    ),
    bodyLimit: parseSize(
      "--body-limit / ERRAND_BODY_LIMIT",
      pick(flags.bodyLimit, env.ERRAND_BODY_LIMIT),
      DEFAULT_BODY_LIMIT,
    ),
    worker: boolean(
      "--no-worker / ERRAND_WORKER",
      pick(flags.worker === false ? false : undefined, env.ERRAND_WORKER),
      true,
    ),
    rateLimit: integer(
      "--rate-limit / ERRAND_RATE_LIMIT",
      pick(flags.rateLimit, env.ERRAND_RATE_LIMIT),
      DEFAULT_RATE_LIMIT.max,
      0,
      10_000_000,
    ),
    sseKeepAliveMs: integer(
      "ERRAND_SSE_KEEP_ALIVE_MS",
      env.ERRAND_SSE_KEEP_ALIVE_MS,
      DEFAULT_SSE_KEEP_ALIVE_MS,
      100,
      3_600_000,
    ),
    metrics: metricsAccess(pick(flags.metrics, env.ERRAND_METRICS)),
    allowedOrigins: origins(flags.allowedOrigin ?? env.ERRAND_ALLOWED_ORIGINS?.split(",")),
    logLevel: logLevel as LogLevel,
  };
}

function origins(values: readonly string[] | undefined): readonly string[] {
  const out: string[] = [];
  for (const raw of values ?? []) {
    const value = raw.trim();
    if (value === "") continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(
        `--allowed-origin / ERRAND_ALLOWED_ORIGINS: not an origin: ${JSON.stringify(value)}`,
      );
    }
    if (url.origin === "null" || url.origin !== value.replace(/\/$/, "")) {
      throw new ConfigError(
        `--allowed-origin / ERRAND_ALLOWED_ORIGINS takes origins like https://app.example.com, not ${JSON.stringify(value)}`,
      );
    }
    out.push(url.origin);
  }
  return out;
}

function metricsAccess(value: string | undefined): ServerConfig["metrics"] {
  if (value === undefined) return "public";
  if (value === "public" || value === "private" || value === "off") return value;
  throw new ConfigError(
    `--metrics / ERRAND_METRICS must be public, private or off, not ${JSON.stringify(value)}`,
  );
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and /v1/config. */
export function redactDbUrl(db: string | null): string | null {
  if (db === null) return null;
  try {
    const url = new URL(db);
    if (url.password) url.password = "***";
    return url.protocol.startsWith("postgres") ? url.toString() : db;
  } catch {
    return db;
  }
}
