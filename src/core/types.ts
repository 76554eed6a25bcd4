/**
 * Errand's domain types.
 *
 * Terminology (the same glossary stands in README.md):
 * - tenant: an isolated space; every row and every query carries `tenantId`.
 * - principal: who is calling (an API key, a JWT subject, a worker certificate) with scopes
 *   `tasker`, `worker`, `admin`.
 * - task: a unit of work: `kind`, `input` (JSON), queue, priority, `runAt`, attempts, timeouts,
 *   labels, requirements, `idempotencyKey`.
 * - attempt: one execution of a task by one worker under one lease (also called a run).
 * - lease: a time-bounded exclusive claim; `lease.id` is the fencing token.
 * - event: one entry of a task's append-only, hash-chained log.
 * - receipt: a signed statement about a task, addressed to its creator; it can be acknowledged.
 * - obligation: what a principal still has open: unfinished tasks and unacknowledged receipts.
 * - worker: a process that announces capabilities and claims tasks.
 * - adapter: code in the worker runtime that executes one `kind`.
 *
 * All instants are milliseconds since the Unix epoch (`…At`), all durations milliseconds (`…Ms`).
 */
import type { EventType } from "./event-types.js";
import type { TaskState } from "./task-states.js";

export type Scope = "tasker" | "worker" | "admin";
export const SCOPES: readonly Scope[] = ["tasker", "worker", "admin"];

export interface Principal {
  /** Stable id of the credential (an API key id, a JWT `sub`, a certificate fingerprint). */
  readonly id: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
  readonly via: "api_key" | "jwt" | "certificate" | "insecure" | "internal";
}

export interface Lease {
  readonly id: string;
  readonly workerId: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
  readonly renewals: number;
}

export interface TaskError {
  readonly message: string;
  readonly code?: string | undefined;
  readonly details?: unknown;
}

export interface TaskProgress {
  readonly current?: number | undefined;
  readonly total?: number | undefined;
  readonly message?: string | undefined;
}

export interface Task {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: string;
  readonly input: unknown;
  readonly queue: string;
  readonly priority: number;
  readonly state: TaskState;
  readonly runAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Attempts started so far (a released attempt does not count). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Labels a worker must carry to claim this task. */
  readonly requirements: readonly string[];
  readonly idempotencyKey: string | null;
  readonly createdBy: string;
  readonly leaseTtlMs: number;
  readonly maxRenewals: number;
  /** Cap on how long one attempt may hold its lease, renewals included. */
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly result: unknown;
  readonly error: TaskError | null;
  readonly progress: TaskProgress | null;
  readonly lease: Lease | null;
  readonly lastSeq: number;
  readonly headHash: string;
  readonly receiptAckedAt: number | null;
}

export interface TaskEvent {
  readonly taskId: string;
  readonly seq: number;
  readonly type: EventType;
  readonly at: number;
  readonly data: unknown;
  readonly hash: string;
}

/** An event of a tenant-wide stream, with its position in that stream. */
export interface TenantEvent extends TaskEvent {
  readonly id: number;
}

export type AttemptOutcome = "succeeded" | "failed" | "expired" | "canceled" | "released";

export interface Attempt {
  readonly taskId: string;
  /** The run's position among all runs of the task, released runs included. */
  readonly number: number;
  readonly leaseId: string;
  readonly workerId: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly outcome: AttemptOutcome | null;
  readonly error: TaskError | null;
  /** What the worker reported about the model backend it used, if any. */
  readonly meta: Readonly<Record<string, unknown>> | null;
}

export interface WorkerInfo {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly kinds: readonly string[];
  readonly labels: readonly string[];
  readonly capacity: number;
  readonly version: string | null;
  readonly principalId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** sha256 of the secret part, hex. */
  readonly secretHash: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  readonly createdBy: string | null;
}

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly privateJwk: string;
  readonly publicJwk: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}
