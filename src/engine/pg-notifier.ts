/**
 * Cross-node wake-ups over PostgreSQL LISTEN/NOTIFY, on top of a LocalNotifier.
 *
 * A publish wakes this node's readers at once (as LocalNotifier does) and is sent to the other
 * nodes on the schema's channel. Notifications carry ids only (tenant, task, last seq); readers
 * on the other nodes read the rows, which stay the truth. Publishes of one event-loop turn are
 * coalesced into one `pg_notify` statement. A notification lost while a connection is down costs
 * latency only: long-polls re-check every second, and after the listening connection comes back
 * every local reader is woken once to re-read.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { LocalNotifier, type Notifier, type TaskEventsSignal } from "./notifier.js";

export interface PgNotifierOptions {
  readonly url: string;
  /** The store's schema; the channel is `errand_<schema>`, so schemas do not hear each other. */
  readonly schema?: string;
  /** This node's id; its own notifications are not delivered twice. Random by default. */
  readonly nodeId?: string;
  readonly logger?: {
    info(obj: unknown, msg?: string): void;
    warn(obj: unknown, msg?: string): void;
  };
  /** First and longest wait between reconnect attempts. Defaults 100 ms and 5 s. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
}

/** What one notification carries. */
interface Payload {
  /** Sending node. */
  n: string;
  /** Tenants with newly claimable tasks. */
  c?: string[];
  /** Tenants with new state events. */
  e?: string[];
  /** Tasks with new events: [tenant, task, lastSeq]. */
  k?: [string, string, number][];
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const PAYLOAD_LIMIT = 7_000;

export class PgNotifier implements Notifier {
  readonly nodeId: string;
  readonly channel: string;
  readonly #local = new LocalNotifier();
  readonly #options: PgNotifierOptions;
  readonly #sender: pg.Pool;
  #listener: pg.Client | null = null;
  #listening = false;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #backoffMs: number;
  #outgoing: { c: Set<string>; e: Set<string>; k: Map<string, [string, string, number]> } = {
    c: new Set(),
    e: new Set(),
    k: new Map(),
  };
  #flushScheduled = false;
  #sending: Promise<void> = Promise.resolve();
  // Keys this node listens on, so that everyone can be woken after a reconnect.
  readonly #watched = {
    claimable: new Map<string, number>(),
    tenant: new Map<string, number>(),
    task: new Map<string, number>(),
  };

  constructor(options: PgNotifierOptions) {
    const schema = options.schema ?? "errand";
    if (!SCHEMA_NAME.test(schema)) throw new TypeError(`bad schema name ${schema}`);
    this.#options = options;
    this.channel = `errand_${schema}`;
    this.nodeId = options.nodeId ?? randomBytes(6).toString("hex");
    this.#backoffMs = options.reconnectMinMs ?? 100;
    this.#sender = new pg.Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: 2_000,
      application_name: `errand-notify:${schema}`,
    });
    this.#sender.on("error", (err) =>
      this.#options.logger?.warn({ err }, "notify connection failed"),
    );
    this.#sender.on("connect", (client) => client.on("error", () => undefined));
  }

  /** Connects and LISTENs. Resolves once listening; on failure keeps retrying in the background. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Whether the LISTEN connection is up (health reports degraded when not). */
  get listening(): boolean {
    return this.#listening;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: 5_000,
      application_name: `errand-listen:${this.channel.slice(7)}`,
      keepAlive: true,
    });
    this.#listener = client;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      this.#listening = false;
      if (this.#listener === client) this.#listener = null;
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#options.logger?.warn({ err }, "lost the LISTEN connection; reconnecting");
      this.#scheduleReconnect();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (msg) => {
      if (msg.channel === this.channel && msg.payload) this.#receive(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (lost || this.#closed) return;
    const wasDown = this.#backoffMs > (this.#options.reconnectMinMs ?? 100);
    this.#listening = true;
    this.#backoffMs = this.#options.reconnectMinMs ?? 100;
    if (wasDown) {
      this.#options.logger?.info({ channel: this.channel }, "LISTEN restored");
      this.#wakeAll();
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const max = this.#options.reconnectMaxMs ?? 5_000;
    const wait = Math.min(max, this.#backoffMs) * (0.5 + Math.random() / 2);
    this.#backoffMs = Math.min(max, this.#backoffMs * 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#connect();
    }, wait);
    this.#reconnectTimer.unref();
  }

  /** Notifications may have been missed: every local reader looks again. */
  #wakeAll(): void {
    for (const tenantId of this.#watched.claimable.keys()) this.#local.publishClaimable(tenantId);
    for (const tenantId of this.#watched.tenant.keys()) this.#local.publishTenantEvents(tenantId);
    for (const taskId of this.#watched.task.keys())
      this.#local.publishTaskEvents({ tenantId: "", taskId, lastSeq: 0 });
  }

  #receive(text: string): void {
    let p: Payload;
    try {
      p = JSON.parse(text) as Payload;
    } catch {
      return;
    }
    if (p.n === this.nodeId) return;
    for (const t of p.c ?? []) this.#local.publishClaimable(t);
    for (const t of p.e ?? []) this.#local.publishTenantEvents(t);
    for (const [tenantId, taskId, lastSeq] of p.k ?? [])
      this.#local.publishTaskEvents({ tenantId, taskId, lastSeq });
  }

  // ---------------------------------------------------------------- publishing

  publishTaskEvents(signal: TaskEventsSignal): void {
    this.#local.publishTaskEvents(signal);
    const prev = this.#outgoing.k.get(signal.taskId);
    if (!prev || prev[2] < signal.lastSeq)
      this.#outgoing.k.set(signal.taskId, [signal.tenantId, signal.taskId, signal.lastSeq]);
    this.#scheduleFlush();
  }

  publishClaimable(tenantId: string): void {
    this.#local.publishClaimable(tenantId);
    this.#outgoing.c.add(tenantId);
    this.#scheduleFlush();
  }

  publishTenantEvents(tenantId: string): void {
    this.#local.publishTenantEvents(tenantId);
    this.#outgoing.e.add(tenantId);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#closed) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const out = this.#outgoing;
      this.#outgoing = { c: new Set(), e: new Set(), k: new Map() };
      const payloads = this.#encode(out);
      if (payloads.length === 0) return;
      // One statement at a time, in order; a failure loses wake-ups, never data.
      this.#sending = this.#sending.then(() =>
        this.#sender
          .query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [this.channel, payloads])
          .then(
            () => undefined,
            (err: unknown) => this.#options.logger?.warn({ err }, "NOTIFY failed"),
          ),
      );
    });
  }

  /** Splits what is pending into payloads under PostgreSQL's size limit. */
  #encode(out: {
    c: Set<string>;
    e: Set<string>;
    k: Map<string, [string, string, number]>;
  }): string[] {
    const payloads: string[] = [];
    let current: Payload = { n: this.nodeId };
    let size = 40;
    const push = () => {
      if (current.c || current.e || current.k) payloads.push(JSON.stringify(current));
      current = { n: this.nodeId };
      size = 40;
    };
    const add = (field: "c" | "e" | "k", item: string | [string, string, number]) => {
      const bytes = Buffer.byteLength(JSON.stringify(item)) + 1;
      if (size + bytes > PAYLOAD_LIMIT) push();
      size += bytes + (current[field] ? 0 : 6);
      ((current[field] ??= []) as unknown[]).push(item);
    };
    for (const t of out.c) add("c", t);
    for (const t of out.e) add("e", t);
    for (const k of out.k.values()) add("k", k);
    push();
    return payloads;
  }

  // ---------------------------------------------------------------- listening

  #watch(map: Map<string, number>, key: string, off: () => void): () => void {
    map.set(key, (map.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      const n = (map.get(key) ?? 1) - 1;
      if (n <= 0) map.delete(key);
      else map.set(key, n);
    };
  }

  onTaskEvents(taskId: string, listener: (signal: TaskEventsSignal) => void): () => void {
    return this.#watch(this.#watched.task, taskId, this.#local.onTaskEvents(taskId, listener));
  }

  onClaimable(tenantId: string, listener: () => void): () => void {
    return this.#watch(
      this.#watched.claimable,
      tenantId,
      this.#local.onClaimable(tenantId, listener),
    );
  }

  onTenantEvents(tenantId: string, listener: () => void): () => void {
    return this.#watch(
      this.#watched.tenant,
      tenantId,
      this.#local.onTenantEvents(tenantId, listener),
    );
  }

  /** How many listeners are attached, for tests that check nothing leaks. */
  listenerCount(): number {
    return this.#local.listenerCount();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const listener = this.#listener;
    this.#listener = null;
    this.#listening = false;
    await this.#sending;
    await listener?.end().catch(() => undefined);
    await this.#sender.end().catch(() => undefined);
    await this.#local.close();
  }
}

/** Creates a PgNotifier and starts listening. */
export async function openPgNotifier(options: PgNotifierOptions): Promise<PgNotifier> {
  const notifier = new PgNotifier(options);
  await notifier.start();
  return notifier;
}
