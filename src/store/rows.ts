/**
 * Database rows and their domain objects, the same for both stores: times are numbers of
 * milliseconds, JSON columns are text (so hashed values read back exactly). Only
 * `requirements` differs: a JSON text in SQLite, a text[] in PostgreSQL.
 */
import type {
  ApiKeyRecord,
  Attempt,
  AttemptOutcome,
  EventType,
  Scope,
  SigningKeyRecord,
  Task,
  TaskEvent,
  TaskState,
  TenantEvent,
  WorkerInfo,
} from "../core/index.js";

export interface TaskRow {
  id: string;
  tenant_id: string;
  kind: string;
  input: string;
  queue: string;
  priority: number;
  state: string;
  run_at: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempts: number;
  max_attempts: number;
  labels: string;
  requirements: string | readonly string[] | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_by: string;
  lease_ttl_ms: number;
  max_renewals: number;
  timeout_ms: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  result: string | null;
  error: string | null;
  progress: string | null;
  lease_id: string | null;
  lease_worker_id: string | null;
  lease_acquired_at: number | null;
  lease_expires_at: number | null;
  lease_renewals: number | null;
  last_seq: number;
  head_hash: string;
  receipt_acked_at: number | null;
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
export const json = (value: unknown): string => JSON.stringify(value ?? null);
export const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

export function rowToTask(row: TaskRow): Task {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    input: parse(row.input),
    queue: row.queue,
    priority: row.priority,
    state: row.state as TaskState,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    labels: parse(row.labels) as Record<string, string>,
    requirements:
      row.requirements === null
        ? []
        : typeof row.requirements === "string"
          ? (JSON.parse(row.requirements) as string[])
          : row.requirements,
    idempotencyKey: row.idempotency_key,
    createdBy: row.created_by,
    leaseTtlMs: row.lease_ttl_ms,
    maxRenewals: row.max_renewals,
    timeoutMs: row.timeout_ms,
    backoffBaseMs: row.backoff_base_ms,
    backoffMaxMs: row.backoff_max_ms,
    result: parse(row.result),
    error: parse(row.error) as Task["error"],
    progress: parse(row.progress) as Task["progress"],
    lease:
      row.lease_id === null
        ? null
        : {
            id: row.lease_id,
            workerId: row.lease_worker_id!,
            acquiredAt: row.lease_acquired_at!,
            expiresAt: row.lease_expires_at!,
            renewals: row.lease_renewals ?? 0,
          },
    lastSeq: row.last_seq,
    headHash: row.head_hash,
    receiptAckedAt: row.receipt_acked_at,
  };
}

export interface EventRow {
  id: number;
  task_id: string;
  seq: number;
  type: string;
  at: number;
  data: string;
  hash: string;
}

export function rowToEvent(row: EventRow): TaskEvent {
  return {
    taskId: row.task_id,
    seq: row.seq,
    type: row.type as EventType,
    at: row.at,
    data: JSON.parse(row.data),
    hash: row.hash,
  };
}

export function rowToTenantEvent(row: EventRow): TenantEvent {
  return { ...rowToEvent(row), id: row.id };
}

export interface AttemptRow {
  task_id: string;
  number: number;
  lease_id: string;
  worker_id: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  error: string | null;
  meta: string | null;
}

export function rowToAttempt(row: AttemptRow): Attempt {
  return {
    taskId: row.task_id,
    number: row.number,
    leaseId: row.lease_id,
    workerId: row.worker_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as AttemptOutcome | null,
    error: parse(row.error) as Attempt["error"],
    meta: parse(row.meta) as Attempt["meta"],
  };
}

export interface WorkerRow {
  id: string;
  tenant_id: string;
  name: string;
  kinds: string;
  labels: string;
  capacity: number;
  version: string | null;
  principal_id: string;
  created_at: number;
  last_seen_at: number;
}

export function rowToWorker(row: WorkerRow): WorkerInfo {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    kinds: JSON.parse(row.kinds) as string[],
    labels: JSON.parse(row.labels) as string[],
    capacity: row.capacity,
    version: row.version,
    principalId: row.principal_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  created_by: string | null;
}

export function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
  };
}

export interface SigningKeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export function rowToSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    privateJwk: row.private_jwk,
    publicJwk: row.public_jwk,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}
