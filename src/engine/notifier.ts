/**
 * Wake-ups for readers: long-polling claimers, SSE streams, long-poll event pages. A
 * notification only says "look again"; the stored rows are the truth, so a lost notification
 * costs latency, never data. In-process notifications may carry the new events so that a
 * reader already at the seam need not read them back from the store.
 */
import type { TaskEvent } from "../core/index.js";

export interface TaskEventsSignal {
  readonly tenantId: string;
  readonly taskId: string;
  readonly lastSeq: number;
  /** The events just appended, in seq order, when the publisher has them at hand. */
  readonly events?: readonly TaskEvent[];
}

export interface Notifier {
  publishTaskEvents(signal: TaskEventsSignal): void;
  /** Tasks became claimable in this tenant. */
  publishClaimable(tenantId: string): void;
  /** State-changing events were appended in this tenant. */
  publishTenantEvents(tenantId: string): void;

  onTaskEvents(taskId: string, listener: (signal: TaskEventsSignal) => void): () => void;
  onClaimable(tenantId: string, listener: () => void): () => void;
  onTenantEvents(tenantId: string, listener: () => void): () => void;
  close(): Promise<void>;
}

class Topic<T> {
  readonly #listeners = new Map<string, Set<(value: T) => void>>();

  on(key: string, listener: (value: T) => void): () => void {
    let set = this.#listeners.get(key);
    if (!set) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(key);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  emit(key: string, value: T): void {
    const set = this.#listeners.get(key);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch {
        // A listener's failure must not keep the others from waking.
      }
    }
  }

  count(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}

/** Notifications inside one process. Other notifiers (PostgreSQL) build on it. */
export class LocalNotifier implements Notifier {
  readonly #taskEvents = new Topic<TaskEventsSignal>();
  readonly #claimable = new Topic<void>();
  readonly #tenantEvents = new Topic<void>();

  publishTaskEvents(signal: TaskEventsSignal): void {
    this.#taskEvents.emit(signal.taskId, signal);
  }
  publishClaimable(tenantId: string): void {
    this.#claimable.emit(tenantId, undefined);
  }
  publishTenantEvents(tenantId: string): void {
    this.#tenantEvents.emit(tenantId, undefined);
  }
  onTaskEvents(taskId: string, listener: (signal: TaskEventsSignal) => void): () => void {
    return this.#taskEvents.on(taskId, listener);
  }
  onClaimable(tenantId: string, listener: () => void): () => void {
    return this.#claimable.on(tenantId, listener);
  }
  onTenantEvents(tenantId: string, listener: () => void): () => void {
    return this.#tenantEvents.on(tenantId, listener);
  }
  /** How many listeners are attached, for tests that check nothing leaks. */
  listenerCount(): number {
    return this.#taskEvents.count() + this.#claimable.count() + this.#tenantEvents.count();
  }
  async close(): Promise<void> {}
}
