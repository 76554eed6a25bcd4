/** The worker transport over the REST API (docs/api.md, "Workers"). */
import type { HttpClient } from "../http.js";
import type {
  AnnounceRequest,
  ClaimRequest,
  ClaimedLease,
  PendingEvent,
  RenewResult,
  TaskError,
  WorkerRecord,
} from "../types.js";
import { CancelStream } from "./cancel-stream.js";
import type { WorkerTransport } from "./transport.js";

const enc = encodeURIComponent;

/**
 * @example
 * const runtime = new WorkerRuntime(new HttpTransport(new HttpClient({ url, key })), { concurrency: 4 });
 */
export class HttpTransport implements WorkerTransport {
  readonly #http: HttpClient;
  readonly #cancels: CancelStream | null;

  /** `cancelPush: false` turns off the tenant event stream used to learn of cancels at once. */
  constructor(http: HttpClient, options: { cancelPush?: boolean } = {}) {
    this.#http = http;
    this.#cancels = options.cancelPush === false ? null : new CancelStream(http);
    if (this.#cancels) {
      const cancels = this.#cancels;
      this.watchCancel = (taskId, onCancel, recheck) => cancels.watch(taskId, onCancel, recheck);
    }
  }

  watchCancel?: (taskId: string, onCancel: () => void, recheck: () => void) => () => void;

  close(): void {
    this.#cancels?.close();
  }

  announce(request: AnnounceRequest): Promise<WorkerRecord> {
    return this.#http.request("POST", "/v1/workers", { body: request });
  }

  async heartbeat(workerId: string): Promise<void> {
    await this.#http.request("POST", `/v1/workers/${enc(workerId)}/heartbeat`, { body: {} });
  }

  async claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimedLease[]> {
    try {
      const out = await this.#http.request<{ leases: ClaimedLease[] }>("POST", "/v1/leases/claim", {
        body: request,
        signal,
      });
      return out.leases;
    } catch (err) {
      if (signal.aborted) return [];
      throw err;
    }
  }

  renew(leaseId: string): Promise<RenewResult> {
    return this.#http.request("POST", `/v1/leases/${enc(leaseId)}/renew`, { body: {} });
  }

  appendEvents(leaseId: string, events: readonly PendingEvent[]): Promise<{ last_seq: number }> {
    return this.#http.request("POST", `/v1/leases/${enc(leaseId)}/events`, { body: { events } });
  }

  async complete(
    leaseId: string,
    result: unknown,
    events?: readonly PendingEvent[],
  ): Promise<void> {
    await this.#http.request("POST", `/v1/leases/${enc(leaseId)}/complete`, {
      body: {
        ...(result === undefined ? {} : { result }),
        ...(events && events.length > 0 ? { events } : {}),
      },
    });
  }

  async fail(
    leaseId: string,
    error: TaskError,
    retryable: boolean,
    events?: readonly PendingEvent[],
  ): Promise<void> {
    await this.#http.request("POST", `/v1/leases/${enc(leaseId)}/fail`, {
      body: { error, retryable, ...(events && events.length > 0 ? { events } : {}) },
    });
  }

  async release(leaseId: string, reason?: string): Promise<void> {
    await this.#http.request("POST", `/v1/leases/${enc(leaseId)}/release`, {
      body: reason === undefined ? {} : { reason },
    });
  }

  async setMeta(leaseId: string, meta: Record<string, unknown>): Promise<void> {
    await this.#http.request("POST", `/v1/leases/${enc(leaseId)}/meta`, { body: meta });
  }
}
