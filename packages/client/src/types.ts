/**
 * Wire types of the Errand REST API (docs/api.md): snake_case fields, RFC 3339 times. The SDK
 * imports nothing from the server, so these mirror the server's wire forms by hand.
 */

export type TaskState = "queued" | "running" | "succeeded" | "failed" | "canceled";
export type Scope = "tasker" | "worker" | "admin";

export type EventType =
  | "task.created"
  | "task.leased"
  | "task.progress"
  | "task.output"
  | "task.log"
  | "task.artifact"
  | "task.lease_expired"
  | "task.retry_scheduled"
  | "task.released"
  | "task.cancel_requested"
  | "task.succeeded"
  | "task.failed"
  | "task.canceled";

/** Types a worker may append under its lease. */
export type WorkerEventType = "task.progress" | "task.output" | "task.log" | "task.artifact";

export const TERMINAL_STATES: readonly TaskState[] = ["succeeded", "failed", "canceled"];
export const TERMINAL_EVENT_TYPES: readonly string[] = [
  "task.succeeded",
  "task.failed",
  "task.canceled",
];

/**
 * True for `succeeded`, `failed` and `canceled`: states that never change again.
 *
 * @example
 * if (isTerminalState(task.state)) console.log("done:", task.state);
 */
export function isTerminalState(state: string): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

export interface TaskError {
  message: string;
  code?: string;
  details?: unknown;
}

export interface TaskProgress {
  current?: number;
  total?: number;
  message?: string;
}

export interface LeaseInfo {
  /** Only present for the worker holding the lease. */
  id?: string;
  worker_id: string;
  acquired_at: string;
  expires_at: string;
  renewals: number;
}

export interface Task<Input = unknown, Result = unknown> {
  id: string;
  kind: string;
  input: Input;
  queue: string;
  priority: number;
  state: TaskState;
  run_at: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  max_attempts: number;
  labels: Record<string, string>;
  requirements: string[];
  idempotency_key: string | null;
  created_by: string;
  lease_ttl_ms: number;
  max_renewals: number;
  timeout_ms: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  result: Result | null;
  error: TaskError | null;
  progress: TaskProgress | null;
  lease: LeaseInfo | null;
  last_seq: number;
  head_hash: string;
  receipt_acked_at: string | null;
}

export interface CreateTaskRequest<Input = unknown> {
  kind: string;
  input?: Input;
  queue?: string;
  priority?: number;
  run_at?: string;
  delay_ms?: number;
  max_attempts?: number;
  labels?: Record<string, string>;
  requirements?: string[];
  idempotency_key?: string;
  lease_ttl_ms?: number;
  max_renewals?: number;
  timeout_ms?: number;
  backoff_base_ms?: number;
  backoff_max_ms?: number;
}

export interface ListTasksQuery {
  state?: TaskState | TaskState[];
  kind?: string;
  queue?: string;
  /** `key` or `key=value`. */
  label?: string;
  cursor?: string;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface TaskEvent<Data = unknown> {
  task_id: string;
  seq: number;
  type: EventType;
  at: string;
  data: Data;
  hash: string;
}

export interface EventPage {
  events: TaskEvent[];
  next_after: number;
  state: TaskState;
  terminal: boolean;
}

export interface Attempt {
  number: number;
  worker_id: string;
  started_at: string;
  ended_at: string | null;
  outcome: "succeeded" | "failed" | "expired" | "canceled" | "released" | null;
  error: TaskError | null;
  meta: Record<string, unknown> | null;
}

export type VerifyResult =
  | { ok: true; checked: number; head_hash: string }
  | {
      ok: false;
      checked: number;
      bad_seq: number;
      reason: "hash_mismatch" | "seq_gap" | "head_mismatch";
    };

/** What a receipt's JWS signs. */
export interface ReceiptStatement {
  iss: string;
  receipt_id: string;
  task_id: string;
  tenant_id: string;
  principal: string;
  kind: string;
  state: "accepted" | "succeeded" | "failed" | "canceled";
  attempts: number;
  input_sha256: string;
  result_sha256: string | null;
  event_count: number;
  chain_head: string;
  created_at: string;
  finished_at: string | null;
  [field: string]: unknown;
}

export interface Receipt {
  id: string;
  task_id: string;
  state: ReceiptStatement["state"];
  kid: string;
  /** A compact JWS (Ed25519) over the statement; verify with the server's JWKS. */
  jws: string;
  statement: ReceiptStatement;
  acked_at: string | null;
}

export interface Obligations {
  tasks: Task[];
  receipts: Receipt[];
}

export interface WorkerRecord {
  id: string;
  name: string;
  kinds: string[];
  labels: string[];
  capacity: number;
  version: string | null;
  created_at: string;
  last_seen_at: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  revoked_at: string | null;
  /** The secret, present only in the answer that created the key. */
  key?: string;
}

export interface AnnounceRequest {
  id?: string;
  name: string;
  kinds: string[];
  labels?: string[];
  capacity?: number;
  version?: string;
}

export interface ClaimRequest {
  worker_id: string;
  kinds?: string[];
  labels?: string[];
  queues?: string[];
  max?: number;
  wait_ms?: number;
}

export interface ClaimedLease {
  lease_id: string;
  expires_at: string;
  task: Task;
}

export interface RenewResult {
  lease_id: string;
  expires_at: string;
  cancel_requested: boolean;
  state: TaskState;
}

export interface PendingEvent {
  type: WorkerEventType;
  data?: unknown;
}
