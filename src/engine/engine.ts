/**
 * The engine: the one place that holds task logic for every interface (REST, SSE, MCP, CLI,
 * the embedded worker). It checks scopes, validates requests, calls the store, and wakes
 * readers through the notifier. It never touches SQL or HTTP.
 */
import type {
  Attempt,
  Clock,
  EventType,
  PendingEvent,
  Principal,
  Scope,
  Task,
  TaskError,
  TaskEvent,
  TaskState,
  TenantEvent,
  WorkerInfo,
} from "../core/index.js";
import {
  DEFAULT_BACKOFF,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_MAX_RENEWALS,
  DEFAULT_TIMEOUT_MS,
  ErrandError,
  STATE_EVENT_TYPES,
  TASK_STATES,
  WORKER_EVENT_TYPES,
  canonicalJson,
  isId,
  newId,
  sha256Hex,
  systemClock,
} from "../core/index.js";
import type {
  Claimed,
  NewTask,
  Page,
  Store,
  TaskFilter,
  TransitionOutcome,
} from "../store/store.js";
import { issueKey, parseToken, requireScope, verifyKey, type IssuedKey } from "./api-keys.js";
import { Doorbell } from "./doorbell.js";
import { EventLog, FALLBACK_POLL_MS, type EventPage, type VerifyResult } from "./event-log.js";
import { loadTask } from "./lookups.js";
import { Obligations } from "./obligations.js";
import { LocalNotifier, type Notifier } from "./notifier.js";
import { ReceiptSigner, type Receipt } from "./receipts.js";
import { MAX_JSON_DEPTH, isWithinDepth } from "./schemas.js";
import type {
  AnnounceWorkerRequest,
  ClaimTasksRequest,
  CreateTaskRequest,
  ListTasksRequest,
} from "./schemas.js";

export const DEFAULT_TENANT = "default";
const KEY_CACHE_MS = 5_000;
const WORKER_TOUCH_MS = 5_000;

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface EngineOptions {
  readonly store: Store;
  readonly clock?: Clock;
  readonly notifier?: Notifier;
  /** Randomness for backoff jitter, injectable so tests can pin it. */
  readonly random?: () => number;
  /** The `iss` of receipts. */
  readonly issuer?: string;
  readonly logger?: Logger;
  /** How often the sweeper looks for expired leases; 0 turns it off (tests call sweep()). */
  readonly sweepIntervalMs?: number;
  /** Identifies this server node (sweeper leadership, worker ids). */
  readonly nodeId?: string;
}

export interface CreateResult {
  readonly task: Task;
  readonly created: boolean;
}

export interface ClaimedLease {
  readonly leaseId: string;
  readonly task: Task;
}

export interface RenewResult {
  readonly leaseId: string;
  readonly expiresAt: number;
  readonly cancelRequested: boolean;
  readonly task: Task;
}

export type { EventPage, VerifyResult };

export class Engine {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly receipts: ReceiptSigner;
  readonly log: EventLog;
  readonly obligations: Obligations;
  readonly nodeId: string;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #keyCache = new Map<
    string,
    { record: Awaited<ReturnType<Store["getApiKey"]>>; at: number }
  >();
  readonly #workerTouched = new Map<string, number>();
  readonly #workers = new Map<string, { readonly worker: WorkerInfo; readonly at: number }>();
  #sweepTimer: NodeJS.Timeout | null = null;
  #sweeping = false;
  #closed = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.notifier = options.notifier ?? new LocalNotifier();
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
    this.nodeId = options.nodeId ?? `node-${process.pid}`;
    this.log = new EventLog(this.store, this.notifier);
    this.receipts = new ReceiptSigner(this.store, options.issuer ?? "errand");
    this.obligations = new Obligations(this.store, this.receipts, this.clock);
    const interval = options.sweepIntervalMs ?? 1_000;
    if (interval > 0) {
      this.#sweepTimer = setInterval(() => void this.#sweepTick(), interval);
      this.#sweepTimer.unref();
    }
  }

  /** Migrates the store and makes sure the default tenant exists. */
  async start(): Promise<void> {
    await this.store.migrate();
    await this.store.ensureTenant({
      id: DEFAULT_TENANT,
      name: "default",
      createdAt: this.clock.now(),
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Which store backs this engine, for health and config output. */
  get backend(): Store["backend"] {
    return this.store.backend;
  }

  /** Throws when the store does not answer. */
  async ping(): Promise<void> {
    await this.store.ping();
  }

  /** How many tasks of the tenant are in each state, for metrics. */
  async taskCounts(tenantId: string): Promise<Record<TaskState, number>> {
    const counts = await Promise.all(
      TASK_STATES.map((state) => this.store.countTasks(tenantId, state)),
    );
    return Object.fromEntries(TASK_STATES.map((state, i) => [state, counts[i]!])) as Record<
      TaskState,
      number
    >;
  }

  // ---------------------------------------------------------------- credentials

  /** Resolves a bearer token to its principal, or throws `unauthenticated`. */
  async authenticate(token: string): Promise<Principal> {
    const parsed = parseToken(token);
    if (!parsed) throw new ErrandError("unauthenticated", "malformed API key");
    const now = this.clock.now();
    let cached = this.#keyCache.get(parsed.keyId);
    if (!cached || now - cached.at > KEY_CACHE_MS || now < cached.at) {
      cached = { record: await this.store.getApiKey(parsed.keyId), at: now };
      this.#keyCache.set(parsed.keyId, cached);
      if (this.#keyCache.size > 10_000) this.#keyCache.clear();
    }
    return verifyKey(cached.record, parsed.secret);
  }

  /** Creates the first admin key when there is none yet; returns it, or null. */
  async bootstrapAdminKey(): Promise<IssuedKey | null> {
    if ((await this.store.countApiKeys()) > 0) return null;
    const issued = issueKey({
      tenantId: DEFAULT_TENANT,
      name: "local admin",
      scopes: ["admin"],
      createdBy: null,
      now: this.clock.now(),
    });
    await this.store.insertApiKey(issued.record);
    return issued;
  }

  async createKey(
    principal: Principal,
    request: { readonly name: string; readonly scopes: readonly string[] },
  ): Promise<IssuedKey> {
    requireScope(principal, "admin");
    const issued = issueKey({
      tenantId: principal.tenantId,
      name: request.name,
      scopes: request.scopes as Scope[],
      createdBy: principal.id,
      now: this.clock.now(),
    });
    await this.store.insertApiKey(issued.record);
    return issued;
  }

  async listKeys(principal: Principal) {
    requireScope(principal, "admin");
    return this.store.listApiKeys(principal.tenantId);
  }

  async revokeKey(principal: Principal, id: string): Promise<void> {
    requireScope(principal, "admin");
    if (!isId("key", id)) throw new ErrandError("invalid_id", `not a key id: ${id}`);
    const ok = await this.store.revokeApiKey(principal.tenantId, id, this.clock.now());
    if (!ok) throw new ErrandError("key_not_found", `no key ${id}`);
    this.#keyCache.delete(id);
  }

  // ---------------------------------------------------------------- tasks

  async createTask(principal: Principal, request: CreateTaskRequest): Promise<CreateResult> {
    const [outcome] = await this.createTasks(principal, [request]);
    return outcome!;
  }

  /** Creates all or none; each idempotency key that matches returns its stored task. */
  async createTasks(
    principal: Principal,
    requests: readonly CreateTaskRequest[],
  ): Promise<readonly CreateResult[]> {
    requireScope(principal, "tasker");
    const now = this.clock.now();
    const records = requests.map((request) => this.#newTask(principal, request, now));
    const outcomes = await this.store.createTasks(records);
    if (outcomes.some((o) => o.created)) {
      this.notifier.publishTenantEvents(principal.tenantId);
      if (outcomes.some((o) => o.created && o.task.runAt <= now)) {
        this.notifier.publishClaimable(principal.tenantId);
      }
    }
    return outcomes;
  }

  #newTask(principal: Principal, request: CreateTaskRequest, now: number): NewTask {
    checkDepth(request.input, "input");
    const runAt =
      request.run_at !== undefined ? Date.parse(request.run_at) : now + (request.delay_ms ?? 0);
    const { idempotency_key: idempotencyKey, ...body } = request;
    const input = request.input ?? null;
    const labels = request.labels ?? {};
    const requirements = [...new Set(request.requirements ?? [])].sort();
    const task = {
      id: newId("task", now),
      tenantId: principal.tenantId,
      kind: request.kind,
      input,
      queue: request.queue ?? "default",
      priority: request.priority ?? 0,
      runAt,
      maxAttempts: request.max_attempts ?? 3,
      labels,
      requirements,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey === undefined ? null : sha256Hex(canonicalJson(body)),
      createdBy: principal.id,
      leaseTtlMs: request.lease_ttl_ms ?? DEFAULT_LEASE_TTL_MS,
      maxRenewals: request.max_renewals ?? DEFAULT_MAX_RENEWALS,
      timeoutMs: request.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      backoffBaseMs: request.backoff_base_ms ?? DEFAULT_BACKOFF.baseMs,
      backoffMaxMs: request.backoff_max_ms ?? DEFAULT_BACKOFF.maxMs,
      createdAt: now,
    };
    return {
      ...task,
      createdEventData: {
        kind: task.kind,
        queue: task.queue,
        priority: task.priority,
        run_at: new Date(runAt).toISOString(),
        max_attempts: task.maxAttempts,
        input_sha256: sha256Hex(canonicalJson(input)),
        labels,
        requirements,
        idempotency_key: task.idempotencyKey,
        created_by: principal.id,
      },
    };
  }

  async getTask(principal: Principal, id: string): Promise<Task> {
    requireScope(principal, "tasker", "worker");
    return this.#task(principal.tenantId, id);
  }

  #task(tenantId: string, id: string): Promise<Task> {
    return loadTask(this.store, tenantId, id);
  }

  /** Tasks of the caller's tenant, newest first; `mine` keeps only those the caller created. */
  async listTasks(
    principal: Principal,
    request: ListTasksRequest,
    options: { readonly mine?: boolean } = {},
  ): Promise<Page<Task>> {
    requireScope(principal, "tasker", "worker");
    const filter: {
      -readonly [K in keyof TaskFilter]: TaskFilter[K];
    } = {};
    if (request.state !== undefined) filter.state = request.state;
    if (request.kind !== undefined) filter.kind = request.kind;
    if (request.queue !== undefined) filter.queue = request.queue;
    if (request.label !== undefined) {
      const eq = request.label.indexOf("=");
      filter.label =
        eq < 0
          ? { key: request.label }
          : { key: request.label.slice(0, eq), value: request.label.slice(eq + 1) };
    }
    if (options.mine) filter.createdBy = principal.id;
    if (request.cursor !== undefined && !isId("task", request.cursor)) {
      throw new ErrandError("invalid_cursor", "cursor is not one this server gave out");
    }
    return this.store.listTasks(principal.tenantId, filter, {
      cursor: request.cursor ?? null,
      limit: request.limit ?? 50,
    });
  }

  async listAttempts(principal: Principal, id: string): Promise<readonly Attempt[]> {
    requireScope(principal, "tasker", "worker");
    await this.#task(principal.tenantId, id);
    return this.store.listAttempts(principal.tenantId, id);
  }

  async cancelTask(principal: Principal, id: string, reason?: string): Promise<Task> {
    requireScope(principal, "tasker");
    if (!isId("task", id)) throw new ErrandError("invalid_id", `not a task id: ${id}`);
    const current = await this.#task(principal.tenantId, id);
    if (current.state === "canceled") return current;
    const outcome = await this.store.cancelTask(
      principal.tenantId,
      id,
      this.clock.now(),
      reason ?? null,
    );
    this.#published(outcome);
    return outcome.task;
  }

  // ---------------------------------------------------------------- events (event-log.ts)

  readEvents(...args: Parameters<EventLog["readEvents"]>): Promise<EventPage> {
    return this.log.readEvents(...args);
  }

  /** Like readEvents, but waits up to `waitMs` for an event when nothing is newer. */
  waitForEvents(...args: Parameters<EventLog["waitForEvents"]>): Promise<EventPage> {
    return this.log.waitForEvents(...args);
  }

  /** True when a stream resuming after `after` would get nothing more. */
  isCaughtUpTerminal(...args: Parameters<EventLog["isCaughtUpTerminal"]>): Promise<boolean> {
    return this.log.isCaughtUpTerminal(...args);
  }

  /** The task's events after `after`, backfilled then live; ends after the terminal event. */
  streamTaskEvents(
    ...args: Parameters<EventLog["streamTaskEvents"]>
  ): AsyncGenerator<readonly TaskEvent[]> {
    return this.log.streamTaskEvents(...args);
  }

  /** The tenant's state-changing events after position `after`, live. */
  streamTenantEvents(
    ...args: Parameters<EventLog["streamTenantEvents"]>
  ): AsyncGenerator<readonly TenantEvent[]> {
    return this.log.streamTenantEvents(...args);
  }

  /** Recomputes the task's hash chain from the stored events. */
  verifyTask(...args: Parameters<EventLog["verifyTask"]>): Promise<VerifyResult> {
    return this.log.verifyTask(...args);
  }

  // ---------------------------------------------------------------- workers and leases

  async announceWorker(principal: Principal, request: AnnounceWorkerRequest): Promise<WorkerInfo> {
    requireScope(principal, "worker");
    const now = this.clock.now();
    let existing: WorkerInfo | null = null;
    if (request.id !== undefined) {
      if (!isId("worker", request.id))
        throw new ErrandError("invalid_id", `not a worker id: ${request.id}`);
      existing = await this.store.getWorker(principal.tenantId, request.id);
    }
    const worker: WorkerInfo = {
      id: existing?.id ?? request.id ?? newId("worker", now),
      tenantId: principal.tenantId,
      name: request.name,
      kinds: [...new Set(request.kinds)],
      labels: [...new Set(request.labels ?? [])],
      capacity: request.capacity ?? 1,
      version: request.version ?? null,
      principalId: principal.id,
      createdAt: existing?.createdAt ?? now,
      lastSeenAt: now,
    };
    this.#workerTouched.set(worker.id, now);
    const stored = await this.store.upsertWorker(worker);
    this.#workers.set(`${stored.tenantId}/${stored.id}`, { worker: stored, at: now });
    return stored;
  }

  /**
   * The announced worker, from a short-lived cache: claims name their worker on every call, and
   * what a worker announced changes only when it announces again (on another node, the cache
   * catches up within KEY_CACHE_MS).
   */
  async #worker(tenantId: string, id: string): Promise<WorkerInfo | null> {
    const now = this.clock.now();
    const key = `${tenantId}/${id}`;
    const cached = this.#workers.get(key);
    if (cached && now - cached.at <= KEY_CACHE_MS && now >= cached.at) return cached.worker;
    const worker = await this.store.getWorker(tenantId, id);
    if (this.#workers.size > 10_000) this.#workers.clear();
    if (worker) this.#workers.set(key, { worker, at: now });
    else this.#workers.delete(key);
    return worker;
  }

  async heartbeat(principal: Principal, workerId: string): Promise<WorkerInfo> {
    requireScope(principal, "worker");
    if (!isId("worker", workerId))
      throw new ErrandError("invalid_id", `not a worker id: ${workerId}`);
    const now = this.clock.now();
    if (!(await this.store.touchWorker(principal.tenantId, workerId, now))) {
      throw new ErrandError("worker_not_found", `no worker ${workerId}; announce it first`);
    }
    this.#workerTouched.set(workerId, now);
    return (await this.store.getWorker(principal.tenantId, workerId))!;
  }

  async listWorkers(principal: Principal): Promise<readonly WorkerInfo[]> {
    requireScope(principal, "tasker", "worker");
    return this.store.listWorkers(principal.tenantId);
  }

  /**
   * Claims up to `max` claimable tasks for an announced worker. With `wait_ms` it waits until a
   * task becomes claimable or the time is up, and then answers an empty list.
   */
  async claim(
    principal: Principal,
    request: ClaimTasksRequest,
    signal?: AbortSignal,
  ): Promise<readonly ClaimedLease[]> {
    requireScope(principal, "worker");
    const tenantId = principal.tenantId;
    if (!isId("worker", request.worker_id)) {
      throw new ErrandError("invalid_id", `not a worker id: ${request.worker_id}`);
    }
    const worker = await this.#worker(tenantId, request.worker_id);
    if (!worker)
      throw new ErrandError(
        "worker_not_found",
        `no worker ${request.worker_id}; announce it first`,
      );
    const kinds = request.kinds ?? worker.kinds;
    const labels = request.labels ?? worker.labels;
    const deadline = Date.now() + (request.wait_ms ?? 0);
    const bell = new Doorbell();
    const off = request.wait_ms ? this.notifier.onClaimable(tenantId, bell.ring) : null;
    try {
      while (true) {
        const now = this.clock.now();
        const claimed = await this.store.claimTasks({
          tenantId,
          workerId: worker.id,
          kinds,
          labels,
          queues: request.queues,
          max: request.max ?? 1,
          now,
          newLeaseId: () => newId("lease", now),
        });
        await this.#touchWorker(tenantId, worker.id, now);
        if (claimed.length > 0) {
          this.#publishClaims(tenantId, claimed);
          return claimed.map((c) => ({ leaseId: c.leaseId, task: c.task }));
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal?.aborted || this.#closed) return [];
        let wait = Math.min(remaining, FALLBACK_POLL_MS);
        const next = await this.store.nextRunAt(tenantId, now);
        if (next !== null) wait = Math.max(1, Math.min(wait, next - now));
        await bell.wait(wait, signal);
      }
    } finally {
      off?.();
    }
  }

  async #touchWorker(tenantId: string, workerId: string, now: number): Promise<void> {
    const last = this.#workerTouched.get(workerId) ?? 0;
    if (now - last < WORKER_TOUCH_MS && now >= last) return;
    this.#workerTouched.set(workerId, now);
    await this.store.touchWorker(tenantId, workerId, now);
  }

  #publishClaims(tenantId: string, claimed: readonly Claimed[]): void {
    for (const c of claimed) {
      this.notifier.publishTaskEvents({
        tenantId,
        taskId: c.task.id,
        lastSeq: c.task.lastSeq,
        events: c.events,
      });
    }
    this.notifier.publishTenantEvents(tenantId);
  }

  #published(outcome: TransitionOutcome): void {
    const { task, events } = outcome;
    if (events.length === 0) return;
    this.notifier.publishTaskEvents({
      tenantId: task.tenantId,
      taskId: task.id,
      lastSeq: task.lastSeq,
      events,
    });
    if (events.some((e) => (STATE_EVENT_TYPES as readonly string[]).includes(e.type))) {
      this.notifier.publishTenantEvents(task.tenantId);
    }
    if (task.state === "queued" && task.runAt <= this.clock.now()) {
      this.notifier.publishClaimable(task.tenantId);
    }
  }

  /** Workers may append only progress, output, log and artifact events. */
  #workerEvents(events: readonly PendingEvent[] | undefined): readonly PendingEvent[] | undefined {
    if (!events) return undefined;
    for (const [i, e] of events.entries()) {
      checkDepth(e.data, `events.${i}.data`);
      if (!(WORKER_EVENT_TYPES as readonly string[]).includes(e.type)) {
        throw new ErrandError(
          "validation_failed",
          `events.${i}.type: a worker may append ${WORKER_EVENT_TYPES.join(", ")}, not ${String(e.type)}`,
          {
            details: { issues: [{ path: `events.${i}.type`, message: "not a worker event type" }] },
          },
        );
      }
    }
    return events;
  }

  #leaseWrite(principal: Principal, leaseId: string) {
    requireScope(principal, "worker");
    if (!isId("lease", leaseId)) throw new ErrandError("invalid_id", `not a lease id: ${leaseId}`);
    return { tenantId: principal.tenantId, leaseId, now: this.clock.now() };
  }

  async renew(principal: Principal, leaseId: string): Promise<RenewResult> {
    const write = this.#leaseWrite(principal, leaseId);
    const outcome = await this.store.renewLease(write);
    return {
      leaseId,
      expiresAt: outcome.task.lease?.expiresAt ?? write.now,
      cancelRequested: outcome.cancelRequested,
      task: outcome.task,
    };
  }

  async appendEvents(
    principal: Principal,
    leaseId: string,
    events: readonly PendingEvent[],
  ): Promise<{ readonly lastSeq: number; readonly events: readonly TaskEvent[] }> {
    const write = this.#leaseWrite(principal, leaseId);
    const outcome = await this.store.appendEvents(write, this.#workerEvents(events)!);
    this.#published(outcome);
    return { lastSeq: outcome.task.lastSeq, events: outcome.events };
  }

  /** Completes the task; `events` are the worker's last events, written just before it. */
  async complete(
    principal: Principal,
    leaseId: string,
    result: unknown,
    events?: readonly PendingEvent[],
  ): Promise<Task> {
    checkDepth(result, "result");
    const outcome = await this.store.completeTask(
      this.#leaseWrite(principal, leaseId),
      result ?? null,
      this.#workerEvents(events),
    );
    this.#published(outcome);
    return outcome.task;
  }

  async fail(
    principal: Principal,
    leaseId: string,
    failure: {
      readonly error: TaskError;
      readonly retryable?: boolean | undefined;
      /** The worker's last events, written just before the failure. */
      readonly events?: readonly PendingEvent[] | undefined;
    },
  ): Promise<Task> {
    checkDepth(failure.error, "error");
    const outcome = await this.store.failTask(this.#leaseWrite(principal, leaseId), {
      error: failure.error,
      retryable: failure.retryable ?? true,
      random: this.#random,
      ...(failure.events ? { events: this.#workerEvents(failure.events)! } : {}),
    });
    this.#published(outcome);
    return outcome.task;
  }

  async release(principal: Principal, leaseId: string, reason?: string): Promise<Task> {
    const outcome = await this.store.releaseLease(
      this.#leaseWrite(principal, leaseId),
      reason ?? null,
    );
    this.#published(outcome);
    return outcome.task;
  }

  async setAttemptMeta(
    principal: Principal,
    leaseId: string,
    meta: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    checkDepth(meta, "meta");
    await this.store.setAttemptMeta(this.#leaseWrite(principal, leaseId), meta);
  }

  // ---------------------------------------------------------------- sweeper

  /** Expires every lease whose time is up; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    while (true) {
      const outcomes = await this.store.expireLeases(this.clock.now(), 500);
      for (const outcome of outcomes) this.#published(outcome);
      total += outcomes.length;
      if (outcomes.length < 500) return total;
    }
  }

  async #sweepTick(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      if (await this.store.holdSweeperLock(this.nodeId)) {
        const n = await this.sweep();
        if (n > 0) this.#logger.info({ expired: n }, "expired leases");
      }
    } catch (err) {
      this.#logger.warn({ err }, "sweeper pass failed");
    } finally {
      this.#sweeping = false;
    }
  }

  // ---------------------------------------------------------------- receipts (obligations.ts)

  getReceipt(...args: Parameters<Obligations["getReceipt"]>): Promise<Receipt> {
    return this.obligations.getReceipt(...args);
  }

  listReceipts(...args: Parameters<Obligations["listReceipts"]>) {
    return this.obligations.listReceipts(...args);
  }

  ackReceipt(...args: Parameters<Obligations["ackReceipt"]>): Promise<Receipt> {
    return this.obligations.ackReceipt(...args);
  }

  /** What the caller still has open: its unfinished tasks and its unacknowledged receipts. */
  openObligations(...args: Parameters<Obligations["openObligations"]>) {
    return this.obligations.openObligations(...args);
  }

  /** Types of events a tenant stream carries. */
  static readonly tenantStreamTypes: readonly EventType[] = STATE_EVENT_TYPES;
}

/** Refuses JSON nested past MAX_JSON_DEPTH, whichever interface it came through. */
function checkDepth(value: unknown, where: string): void {
  if (isWithinDepth(value)) return;
  throw new ErrandError(
    "validation_failed",
    `${where}: nests deeper than ${MAX_JSON_DEPTH} levels`,
    {
      details: { issues: [{ path: where, message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] },
    },
  );
}
