/**
 * Reading a task's event log: pages, long-polls, live streams that resume with no gap or
 * duplicate at the seam, the tenant-wide stream, and chain verification.
 */
import type { ChainVerdict, Principal, Task, TaskEvent, TenantEvent } from "../core/index.js";
import {
  ChainVerifier,
  STATE_EVENT_TYPES,
  isTerminal,
  isTerminalEventType,
} from "../core/index.js";
import type { Store } from "../store/store.js";
import { requireScope } from "./api-keys.js";
import { Doorbell } from "./doorbell.js";
import { loadTask } from "./lookups.js";
import type { Notifier, TaskEventsSignal } from "./notifier.js";

/** Long waits re-check the store at least this often, so a lost notification costs latency only. */
export const FALLBACK_POLL_MS = 1_000;
const EVENT_PAGE = 1_000;

export interface EventPage {
  readonly events: readonly TaskEvent[];
  readonly nextAfter: number;
  readonly task: Task;
}

/** What `verify` finds when it recomputes a task's chain. */
export type VerifyResult = ChainVerdict;

export class EventLog {
  readonly #store: Store;
  readonly #notifier: Notifier;

  constructor(store: Store, notifier: Notifier) {
    this.#store = store;
    this.#notifier = notifier;
  }

  #visibleTask(principal: Principal, id: string): Promise<Task> {
    requireScope(principal, "tasker", "worker");
    return loadTask(this.#store, principal.tenantId, id);
  }

  async readEvents(
    principal: Principal,
    id: string,
    after: number,
    limit: number,
  ): Promise<EventPage> {
    requireScope(principal, "tasker", "worker");
    const task = await loadTask(this.#store, principal.tenantId, id);
    const events = await this.#store.readEvents(principal.tenantId, id, after, limit);
    return { events, nextAfter: events.at(-1)?.seq ?? after, task };
  }

  /**
   * Like readEvents, but when nothing is newer than `after` and the task is not finished,
   * waits up to `waitMs` for an event.
   */
  async waitForEvents(
    principal: Principal,
    id: string,
    after: number,
    limit: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<EventPage> {
    requireScope(principal, "tasker", "worker");
    const deadline = Date.now() + waitMs;
    const bell = new Doorbell();
    const off = this.#notifier.onTaskEvents(id, bell.ring);
    try {
      while (true) {
        const page = await this.readEvents(principal, id, after, limit);
        const remaining = deadline - Date.now();
        if (page.events.length > 0 || isTerminal(page.task.state) || remaining <= 0) return page;
        await bell.wait(Math.min(remaining, FALLBACK_POLL_MS), signal);
        if (signal?.aborted) return page;
      }
    } finally {
      off();
    }
  }

  /** True when a stream resuming after `after` would get nothing more: the task is over and read. */
  async isCaughtUpTerminal(principal: Principal, id: string, after: number): Promise<boolean> {
    const task = await this.#visibleTask(principal, id);
    return isTerminal(task.state) && after >= task.lastSeq;
  }

  /**
   * The task's events after `after`, backfilled from the store and then live, with no gap and
   * no duplicate at the seam; ends after the terminal event or when `signal` aborts.
   */
  async *streamTaskEvents(
    principal: Principal,
    id: string,
    after: number,
    signal: AbortSignal,
  ): AsyncGenerator<readonly TaskEvent[]> {
    requireScope(principal, "tasker", "worker");
    const tenantId = principal.tenantId;
    await loadTask(this.#store, tenantId, id);
    let cursor = after;
    const bell = new Doorbell();
    let carried: TaskEventsSignal[] = [];
    // Subscribe before the first read: an append between the read and the subscription would
    // otherwise wake nobody.
    const off = this.#notifier.onTaskEvents(id, (s) => {
      carried.push(s);
      bell.ring();
    });
    // The store is read to backfill, after a full page, when a notification came without the
    // events that continue at the cursor (another node, or a gap), and on the fallback poll.
    // Otherwise a live stream takes its events from the notification: a hundred subscribers of
    // one task then cost no reads at all.
    let mustRead = true;
    try {
      while (!signal.aborted) {
        let batch: readonly TaskEvent[] = [];
        if (carried.length > 0) {
          batch = this.#takeCarried(carried, cursor);
          carried = [];
          if (batch.length === 0) mustRead = true;
        }
        if (batch.length === 0 && mustRead) {
          batch = await this.#store.readEvents(tenantId, id, cursor, EVENT_PAGE);
          mustRead = batch.length === EVENT_PAGE;
          if (batch.length === 0) {
            const task = await this.#store.getTask(tenantId, id);
            if (!task || (isTerminal(task.state) && cursor >= task.lastSeq)) return;
          }
        }
        if (batch.length > 0) {
          cursor = batch.at(-1)!.seq;
          yield batch;
          if (isTerminalEventType(batch.at(-1)!.type)) return;
          continue;
        }
        if (!(await bell.wait(FALLBACK_POLL_MS * 15, signal))) mustRead = true;
      }
    } finally {
      off();
    }
  }

  /** Events carried by notifications that continue exactly at `cursor`, else none. */
  #takeCarried(signals: readonly TaskEventsSignal[], cursor: number): readonly TaskEvent[] {
    const out: TaskEvent[] = [];
    let next = cursor + 1;
    for (const s of signals) {
      if (!s.events) return [];
      for (const e of s.events) {
        if (e.seq < next) continue;
        if (e.seq !== next) return [];
        out.push(e);
        next += 1;
      }
    }
    return out;
  }

  /** The tenant's state-changing events after position `after`, live; ends on abort. */
  async *streamTenantEvents(
    principal: Principal,
    after: number | null,
    signal: AbortSignal,
  ): AsyncGenerator<readonly TenantEvent[]> {
    requireScope(principal, "tasker", "worker");
    const tenantId = principal.tenantId;
    const bell = new Doorbell();
    const off = this.#notifier.onTenantEvents(tenantId, bell.ring);
    try {
      let cursor = after ?? (await this.#store.lastTenantEventId(tenantId));
      while (!signal.aborted) {
        const batch = await this.#store.readTenantEvents(
          tenantId,
          cursor,
          EVENT_PAGE,
          STATE_EVENT_TYPES,
        );
        if (batch.length > 0) {
          cursor = batch.at(-1)!.id;
          yield batch;
          continue;
        }
        await bell.wait(FALLBACK_POLL_MS * 15, signal);
      }
    } finally {
      off();
    }
  }

  /** Recomputes the task's hash chain from the stored events. */
  async verifyTask(principal: Principal, id: string): Promise<VerifyResult> {
    const task = await this.#visibleTask(principal, id);
    const verifier = new ChainVerifier();
    let after = 0;
    while (true) {
      const events = await this.#store.readEvents(principal.tenantId, id, after, EVENT_PAGE);
      for (const event of events) if (!verifier.push(event)) break;
      if (events.length < EVENT_PAGE) break;
      after = events.at(-1)!.seq;
    }
    return verifier.finish(task.headHash, task.lastSeq);
  }
}
