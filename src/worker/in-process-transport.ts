/**
 * A worker transport that calls the Engine directly, for the worker embedded in `errand serve`:
 * no HTTP, but the same wire forms and the same error codes as the REST API.
 */
import type { WorkerTransport } from "@errand/client";
import { errorFromCode } from "@errand/client";
import type {
  AnnounceRequest,
  ClaimRequest,
  ClaimedLease,
  PendingEvent,
  RenewResult,
  Task as TaskWireSdk,
  TaskError,
  WorkerRecord,
} from "@errand/client";
import type { PendingEvent as CorePendingEvent, Principal } from "../core/index.js";
import { isErrandError, toIso } from "../core/index.js";
import type { Engine } from "../engine/engine.js";
import { taskToWire, workerToWire } from "../engine/wire.js";

/** The identity the embedded worker acts under. */
export const EMBEDDED_PRINCIPAL: Principal = {
  id: "embedded-worker",
  tenantId: "default",
  scopes: ["worker"],
  via: "internal",
};

/** Rethrows engine errors as the SDK's typed errors, so the runtime sees the same codes. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isErrandError(err)) {
      throw errorFromCode(err.code, err.message, {
        status: err.status,
        details: err.details,
        cause: err,
      });
    }
    throw err;
  }
}

export class InProcessTransport implements WorkerTransport {
  readonly #engine: Engine;
  readonly #principal: Principal;

  constructor(engine: Engine, principal: Principal = EMBEDDED_PRINCIPAL) {
    this.#engine = engine;
    this.#principal = principal;
  }

  announce(request: AnnounceRequest): Promise<WorkerRecord> {
    return call(async () => {
      const worker = await this.#engine.announceWorker(this.#principal, request);
      return workerToWire(worker) as WorkerRecord;
    });
  }

  heartbeat(workerId: string): Promise<void> {
    return call(async () => {
      await this.#engine.heartbeat(this.#principal, workerId);
    });
  }

  claim(request: ClaimRequest, signal: AbortSignal): Promise<ClaimedLease[]> {
    return call(async () => {
      const leases = await this.#engine.claim(this.#principal, request, signal);
      return leases.map((l) => ({
        lease_id: l.leaseId,
        expires_at: toIso(l.task.lease?.expiresAt ?? this.#engine.clock.now()),
        task: taskToWire(l.task, { withLeaseId: true }) as TaskWireSdk,
      }));
    });
  }

  renew(leaseId: string): Promise<RenewResult> {
    return call(async () => {
      const r = await this.#engine.renew(this.#principal, leaseId);
      return {
        lease_id: r.leaseId,
        expires_at: toIso(r.expiresAt),
        cancel_requested: r.cancelRequested,
        state: r.task.state,
      };
    });
  }

  appendEvents(leaseId: string, events: readonly PendingEvent[]): Promise<{ last_seq: number }> {
    return call(async () => {
      const out = await this.#engine.appendEvents(
        this.#principal,
        leaseId,
        events.map(toCorePending),
      );
      return { last_seq: out.lastSeq };
    });
  }

  complete(leaseId: string, result: unknown, events?: readonly PendingEvent[]): Promise<void> {
    return call(async () => {
      await this.#engine.complete(this.#principal, leaseId, result, events?.map(toCorePending));
    });
  }

  fail(
    leaseId: string,
    error: TaskError,
    retryable: boolean,
    events?: readonly PendingEvent[],
  ): Promise<void> {
    return call(async () => {
      await this.#engine.fail(this.#principal, leaseId, {
        error,
        retryable,
        events: events?.map(toCorePending),
      });
    });
  }

  release(leaseId: string, reason?: string): Promise<void> {
    return call(async () => {
      await this.#engine.release(this.#principal, leaseId, reason);
    });
  }

  setMeta(leaseId: string, meta: Record<string, unknown>): Promise<void> {
    return call(() => this.#engine.setAttemptMeta(this.#principal, leaseId, meta));
  }

  watchCancel(taskId: string, onCancel: () => void): () => void {
    let done = false;
    const fire = () => {
      if (done) return;
      done = true;
      onCancel();
    };
    return this.#engine.notifier.onTaskEvents(taskId, (signal) => {
      if (done) return;
      if (signal.events) {
        if (signal.events.some((e) => e.type === "task.canceled")) fire();
        return;
      }
      // A notifier that carries no events (across nodes) only says "something happened".
      void this.#engine.getTask(this.#principal, taskId).then(
        (task) => task.state === "canceled" && fire(),
        () => {},
      );
    });
  }
}

function toCorePending(event: PendingEvent): CorePendingEvent {
  return { type: event.type as CorePendingEvent["type"], data: event.data ?? null };
}
