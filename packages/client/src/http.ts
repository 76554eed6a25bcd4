/** The HTTP plumbing of the SDK: base URL, bearer key, JSON bodies, typed errors. */
import { ErrandApiError, errorFromCode, errorFromResponse } from "./errors.js";

export interface ConnectionOptions {
  /** The server, e.g. `http://127.0.0.1:7420` (default: `ERRAND_URL` or that address). */
  readonly url?: string;
  /** An API key `ek_…` (default: `ERRAND_KEY`). */
  readonly key?: string;
  /** Extra headers sent with every request. */
  readonly headers?: Record<string, string>;
  /** A fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | boolean | string[] | undefined>;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

const DEFAULT_URL = "http://127.0.0.1:7420";

function env(name: string): string | undefined {
  return typeof process !== "undefined" ? process.env?.[name] : undefined;
}

export class HttpClient {
  readonly baseUrl: string;
  readonly #key: string | undefined;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;

  constructor(options: ConnectionOptions = {}) {
    this.baseUrl = (options.url ?? env("ERRAND_URL") ?? DEFAULT_URL).replace(/\/+$/, "");
    this.#key = options.key ?? env("ERRAND_KEY");
    this.#headers = { ...(options.headers ?? {}) };
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  url(path: string, query?: RequestOptions["query"]): string {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, v);
      else url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...this.#headers, ...(extra ?? {}) };
    if (this.#key) h.authorization = `Bearer ${this.#key}`;
    return h;
  }

  /** Sends a request; answers the parsed JSON body (undefined for 204), or throws a typed error. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers = this.headers(options.headers);
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    headers.accept ??= "application/json";
    const res = await this.fetch(this.url(path, options.query), {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, text);
    if (res.status === 204 || text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ErrandApiError("invalid_response", `the server answered invalid JSON`, {
        status: res.status,
        cause,
      });
    }
  }

  /** A raw fetch that turns network failures into `network_error` (an UnavailableError). */
  async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(url, init);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw errorFromCode("network_error", `cannot reach ${this.baseUrl}: ${detail}`, {
        status: 0,
        cause: err,
      });
    }
  }
}
