/**
 * The worker runtime talks to Errand through a transport: HTTP for remote workers, or a direct
 * in-process call for the worker embedded in `errand serve`. Every method speaks the wire forms
 * of docs/api.md and throws `ErrandApiError` (with its code) on refusal, so the runtime behaves
 * the same over either.
 */
import type {
  AnnounceRequest,
  ClaimRequest,
  ClaimedLease,
  PendingEvent,
  RenewResult,
  TaskError,
  WorkerRecord,
} from "../types.js";

export interface WorkerTransport {
  announce(request: AnnounceRequest): Promise<WorkerRecord>;
  heartbeat(workerId: string): Promise<void>;
  /** Claims up to `max` tasks, long-polling `wait_ms`; resolves `[]` when `signal` aborts. */
  claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimedLease[]>;
  renew(leaseId: string): Promise<RenewResult>;
  appendEvents(leaseId: string, events: readonly PendingEvent[]): Promise<{ last_seq: number }>;
  /** Completes the task; `events` are the last buffered events, written just before. */
  complete(leaseId: string, result: unknown, events?: readonly PendingEvent[]): Promise<void>;
  fail(
    leaseId: string,
    error: TaskError,
    retryable: boolean,
    events?: readonly PendingEvent[],
  ): Promise<void>;
  release(leaseId: string, reason?: string): Promise<void>;
  setMeta(leaseId: string, meta: Record<string, unknown>): Promise<void>;
  /**
   * Optional push: calls `onCancel` as soon as the task is canceled, so the handler stops sooner
   * than the next renewal would tell it. A transport that may have missed a cancel calls
   * `recheck`, and the runtime then renews the lease at once. Returns the unsubscribe function.
   */
  watchCancel?(taskId: string, onCancel: () => void, recheck: () => void): () => void;
  /** Frees what the transport holds open (streams); called when the runtime stops. */
  close?(): void;
}
