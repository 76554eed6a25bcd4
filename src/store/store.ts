/**
 * The Store port: operation-level methods, each one atomic. No connection or transaction type
 * crosses it. Every method that touches tenant data takes the tenant id and filters by it.
 *
 * Stores decide nothing about lifecycles themselves: they load rows inside their transaction,
 * ask the pure plans of `core/plans.ts` what happens, and write the plan back together with its
 * hash-chained events. Both implementations pass `test/store-conformance.ts`.
 */
import type {
  ApiKeyRecord,
  Attempt,
  EventType,
  PendingEvent,
  Scope,
  SigningKeyRecord,
  Task,
  TaskError,
  TaskEvent,
  TaskState,
  Tenant,
  TenantEvent,
  WorkerInfo,
} from "../core/index.js";

export interface NewTask {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: string;
  readonly input: unknown;
  readonly queue: string;
  readonly priority: number;
  readonly runAt: number;
  readonly maxAttempts: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly requirements: readonly string[];
  readonly idempotencyKey: string | null;
  /** sha256 of the canonical request, to tell a replay from a conflicting reuse of a key. */
  readonly requestHash: string | null;
  readonly createdBy: string;
  readonly leaseTtlMs: number;
  readonly maxRenewals: number;
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly createdAt: number;
  /** Data of the `task.created` event. */
  readonly createdEventData: unknown;
}

export interface CreateOutcome {
  readonly task: Task;
  /** False when an idempotency key matched an existing task with the same request. */
  readonly created: boolean;
}

export interface TaskFilter {
  readonly state?: TaskState | readonly TaskState[];
  readonly kind?: string;
  readonly queue?: string;
  /** `key` (present) or `key=value`. */
  readonly label?: { readonly key: string; readonly value?: string };
  readonly createdBy?: string;
  /** Only terminal tasks whose receipt has not been acknowledged. */
  readonly receiptUnacked?: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface ClaimRequest {
  readonly tenantId: string;
  readonly workerId: string;
  readonly kinds: readonly string[];
  /** Labels the worker carries; a task is claimable when its requirements are a subset. */
  readonly labels: readonly string[];
  readonly queues?: readonly string[] | undefined;
  readonly max: number;
  readonly now: number;
  /** Makes a fresh lease id; the store calls it once per claimed task. */
  readonly newLeaseId: () => string;
}

export interface Claimed {
  readonly task: Task;
  readonly leaseId: string;
  readonly events: readonly TaskEvent[];
}

export interface LeaseWrite {
  readonly tenantId: string;
  readonly leaseId: string;
  readonly now: number;
}

export interface RenewOutcome {
  readonly task: Task;
  /** The task was canceled: stop the work. The lease is not extended. */
  readonly cancelRequested: boolean;
}

export interface AppendOutcome {
  readonly task: Task;
  readonly events: readonly TaskEvent[];
}

/** What one write changed, so the engine can wake the right readers. */
export interface TransitionOutcome {
  readonly task: Task;
  readonly events: readonly TaskEvent[];
}

export interface ReceiptAck {
  readonly tenantId: string;
  readonly taskId: string;
  readonly principalId: string;
  readonly now: number;
}

/** One numbered, append-only schema change of a store (each backend keeps its own list). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface Store {
  /** Which backend this is, for health and config output. */
  readonly backend: "sqlite" | "postgres";

  /** Applies pending numbered migrations; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip used by health checks. */
  ping(): Promise<void>;

  // Tenants and API keys
  ensureTenant(tenant: Tenant): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | null>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  /** Looks a key up by id across tenants: authentication happens before the tenant is known. */
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(tenantId: string): Promise<readonly ApiKeyRecord[]>;
  /** Returns false when no such key exists in the tenant. Revoking twice keeps the first time. */
  revokeApiKey(tenantId: string, id: string, now: number): Promise<boolean>;
  countApiKeys(): Promise<number>;

  // Tasks
  /** Creates all or none. An idempotency key that matches returns the stored task. */
  createTasks(tasks: readonly NewTask[]): Promise<readonly CreateOutcome[]>;
  getTask(tenantId: string, id: string): Promise<Task | null>;
  listTasks(
    tenantId: string,
    filter: TaskFilter,
    page: { readonly cursor: string | null; readonly limit: number },
  ): Promise<Page<Task>>;
  countTasks(tenantId: string, state: TaskState): Promise<number>;
  cancelTask(
    tenantId: string,
    id: string,
    now: number,
    reason: string | null,
  ): Promise<TransitionOutcome>;

  // Leases (every write is fenced by lease id and `expires_at > now`)
  claimTasks(request: ClaimRequest): Promise<readonly Claimed[]>;
  renewLease(write: LeaseWrite): Promise<RenewOutcome>;
  appendEvents(write: LeaseWrite, events: readonly PendingEvent[]): Promise<AppendOutcome>;
  /** Completes the task; `events` (worker types) are appended just before `task.succeeded`. */
  completeTask(
    write: LeaseWrite,
    result: unknown,
    events?: readonly PendingEvent[],
  ): Promise<TransitionOutcome>;
  failTask(
    write: LeaseWrite,
    failure: {
      readonly error: TaskError;
      readonly retryable: boolean;
      readonly random?: () => number;
      /** Worker events appended just before the retry or failure event. */
      readonly events?: readonly PendingEvent[];
    },
  ): Promise<TransitionOutcome>;
  releaseLease(write: LeaseWrite, reason: string | null): Promise<TransitionOutcome>;
  /** Records what the worker said about the model backend (or other facts) of its attempt. */
  setAttemptMeta(write: LeaseWrite, meta: Readonly<Record<string, unknown>>): Promise<void>;
  /** Expires up to `limit` leases whose `expires_at <= now`, in every tenant. */
  expireLeases(now: number, limit: number): Promise<readonly TransitionOutcome[]>;
  /** The earliest `run_at` of a queued task in the future, for the engine's wake-up timer. */
  nextRunAt(tenantId: string | null, now: number): Promise<number | null>;

  /**
   * Whether the node `nodeId` may run the sweeper now. One node at a time holds this; the
   * embedded store always says yes.
   */
  holdSweeperLock(nodeId: string): Promise<boolean>;

  // Event log
  readEvents(
    tenantId: string,
    taskId: string,
    afterSeq: number,
    limit: number,
  ): Promise<readonly TaskEvent[]>;
  /** Events of the tenant after position `afterId`, only the types listed. */
  readTenantEvents(
    tenantId: string,
    afterId: number,
    limit: number,
    types: readonly EventType[],
  ): Promise<readonly TenantEvent[]>;
  /** The position of the newest event of the tenant, for streams that start "now". */
  lastTenantEventId(tenantId: string): Promise<number>;
  listAttempts(tenantId: string, taskId: string): Promise<readonly Attempt[]>;

  // Workers
  upsertWorker(worker: WorkerInfo): Promise<WorkerInfo>;
  touchWorker(tenantId: string, id: string, now: number): Promise<boolean>;
  getWorker(tenantId: string, id: string): Promise<WorkerInfo | null>;
  listWorkers(tenantId: string): Promise<readonly WorkerInfo[]>;

  // Receipts: a receipt is derived from its terminal task; only the acknowledgement is stored.
  ackReceipt(ack: ReceiptAck): Promise<boolean>;

  // Signing keys for receipts, shared by every server node.
  listSigningKeys(): Promise<readonly SigningKeyRecord[]>;
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
}

export type { Scope };
