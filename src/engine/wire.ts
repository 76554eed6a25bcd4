/** The wire form of domain objects: snake_case, RFC 3339 times. Every interface uses these. */
import type {
  ApiKeyRecord,
  Attempt,
  Task,
  TaskEvent,
  TenantEvent,
  WorkerInfo,
} from "../core/index.js";
import { toIso } from "../core/index.js";

const iso = (at: number | null): string | null => (at === null ? null : toIso(at));

export interface TaskWireOptions {
  /** Include the lease id (the fencing token): only for the worker that holds it. */
  readonly withLeaseId?: boolean;
}

export function taskToWire(task: Task, options: TaskWireOptions = {}) {
  return {
    id: task.id,
    kind: task.kind,
    input: task.input,
    queue: task.queue,
    priority: task.priority,
    state: task.state,
    run_at: toIso(task.runAt),
    created_at: toIso(task.createdAt),
    updated_at: toIso(task.updatedAt),
    started_at: iso(task.startedAt),
    finished_at: iso(task.finishedAt),
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    labels: task.labels,
    requirements: task.requirements,
    idempotency_key: task.idempotencyKey,
    created_by: task.createdBy,
    lease_ttl_ms: task.leaseTtlMs,
    max_renewals: task.maxRenewals,
    timeout_ms: task.timeoutMs,
    backoff_base_ms: task.backoffBaseMs,
    backoff_max_ms: task.backoffMaxMs,
    result: task.result ?? null,
    error: task.error,
    progress: task.progress,
    lease:
      task.lease && task.state === "running"
        ? {
            ...(options.withLeaseId ? { id: task.lease.id } : {}),
            worker_id: task.lease.workerId,
            acquired_at: toIso(task.lease.acquiredAt),
            expires_at: toIso(task.lease.expiresAt),
            renewals: task.lease.renewals,
          }
        : null,
    last_seq: task.lastSeq,
    head_hash: task.headHash,
    receipt_acked_at: iso(task.receiptAckedAt),
  };
}
export type TaskWire = ReturnType<typeof taskToWire>;

export function eventToWire(event: TaskEvent) {
  return {
    task_id: event.taskId,
    seq: event.seq,
    type: event.type,
    at: toIso(event.at),
    data: event.data ?? null,
    hash: event.hash,
  };
}
export type EventWire = ReturnType<typeof eventToWire>;

export function tenantEventToWire(event: TenantEvent) {
  return { id: event.id, ...eventToWire(event) };
}

export function attemptToWire(attempt: Attempt) {
  return {
    number: attempt.number,
    worker_id: attempt.workerId,
    started_at: toIso(attempt.startedAt),
    ended_at: iso(attempt.endedAt),
    outcome: attempt.outcome,
    error: attempt.error,
    meta: attempt.meta,
  };
}

export function workerToWire(worker: WorkerInfo) {
  return {
    id: worker.id,
    name: worker.name,
    kinds: worker.kinds,
    labels: worker.labels,
    capacity: worker.capacity,
    version: worker.version,
    created_at: toIso(worker.createdAt),
    last_seen_at: toIso(worker.lastSeenAt),
  };
}

export function keyToWire(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    created_at: toIso(key.createdAt),
    revoked_at: iso(key.revokedAt),
  };
}
