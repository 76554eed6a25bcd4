/** Settings of the HTTP layer; `src/server` resolves them from flags and environment. */

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_SSE_KEEP_ALIVE_MS = 15_000;
/** What a reconnecting EventSource waits before it tries again (the SSE `retry:` field). */
export const DEFAULT_SSE_RETRY_MS = 1_000;
/**
 * Requests per principal per minute. A guard against a runaway client rather than a quota: one
 * worker key of a busy fleet makes several requests per task (claim, events, complete), and
 * this machine class answers about 30,000 small requests/s in all, so 10,000/s per principal
 * leaves room for real work while keeping one key from taking the whole server.
 */
export const DEFAULT_RATE_LIMIT = { max: 600_000, windowMs: 60_000 } as const;

export interface HttpConfig {
  /** Largest request body in bytes; larger ones answer `413 body_too_large`. */
  readonly bodyLimit?: number;
  /**
   * Lets requests without a credential act as an admin of tenant `default`. Only for local
   * experiments; never the default.
   */
  readonly insecure?: boolean;
  /** Requests per principal (or per address when anonymous) and window; `false` turns it off. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number } | false;
  readonly sseKeepAliveMs?: number;
  readonly sseRetryMs?: number;
  /**
   * `GET /metrics`: `public` (default; DESIGN.md "Security" lists metrics among the endpoints
   * without a credential), `private` (admin scope) or `off`.
   */
  readonly metrics?: "public" | "private" | "off";
  /**
   * Browser origins allowed to call `/mcp` besides loopback ones; a request whose Origin is
   * present and not listed answers `403 forbidden_origin` (DNS-rebinding protection).
   */
  readonly allowedOrigins?: readonly string[];
  /** The server's version, for health and config output. */
  readonly version?: string;
  /** Further settings shown by `GET /v1/config` (never secrets). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface ResolvedHttpConfig {
  readonly bodyLimit: number;
  readonly insecure: boolean;
  readonly rateLimit: { readonly max: number; readonly windowMs: number } | false;
  readonly sseKeepAliveMs: number;
  readonly sseRetryMs: number;
  readonly metrics: "public" | "private" | "off";
  readonly allowedOrigins: readonly string[];
  readonly version: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

export function resolveHttpConfig(config: HttpConfig = {}): ResolvedHttpConfig {
  return {
    bodyLimit: config.bodyLimit ?? DEFAULT_BODY_LIMIT,
    insecure: config.insecure ?? false,
    rateLimit: config.rateLimit ?? DEFAULT_RATE_LIMIT,
    sseKeepAliveMs: config.sseKeepAliveMs ?? DEFAULT_SSE_KEEP_ALIVE_MS,
    sseRetryMs: config.sseRetryMs ?? DEFAULT_SSE_RETRY_MS,
    metrics: config.metrics ?? "public",
    allowedOrigins: config.allowedOrigins ?? [],
    version: config.version ?? "0.0.0-dev",
    settings: config.settings ?? {},
  };
}
