/** `Errand`: the tasker side of the SDK. */
import type { EventStreamOptions } from "./events.js";
import { streamEvents } from "./events.js";
import type { ConnectionOptions } from "./http.js";
import { HttpClient } from "./http.js";
import type {
  ApiKeyInfo,
  Attempt,
  CreateTaskRequest,
  EventPage,
  ListTasksQuery,
  Obligations,
  Page,
  Receipt,
  Scope,
  Task,
  TaskEvent,
  VerifyResult,
  WorkerRecord,
} from "./types.js";
import { isTerminalState } from "./types.js";

export type ErrandOptions = ConnectionOptions;

const enc = encodeURIComponent;

/**
 * A client for an Errand server.
 *
 * @example
 * import { Errand } from "@errand/client";
 * const errand = new Errand({ url: "http://127.0.0.1:7420", key: process.env.ERRAND_KEY });
 * const task = await errand.createTask({ kind: "shell", input: { argv: ["make", "test"] } });
 * for await (const event of errand.events(task.id)) console.log(event.seq, event.type);
 */
export class Errand {
  readonly http: HttpClient;

  constructor(options: ErrandOptions = {}) {
    this.http = new HttpClient(options);
  }

  /** The server's base URL. */
  get url(): string {
    return this.http.baseUrl;
  }

  /**
   * Creates a task (or, with an idempotency key used before, answers the stored one).
   *
   * @example
   * const task = await errand.createTask({ kind: "mock", input: { steps: 3 } }, { idempotencyKey: "build-42" });
   */
  createTask<Input = unknown>(
    request: CreateTaskRequest<Input>,
    options: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<Task<Input>> {
    return this.http.request("POST", "/v1/tasks", {
      body: request,
      ...(options.idempotencyKey ? { headers: { "idempotency-key": options.idempotencyKey } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * Creates up to 1000 tasks at once, all or none.
   *
   * @example
   * const tasks = await errand.createTasks([{ kind: "mock" }, { kind: "mock" }]);
   */
  async createTasks(requests: CreateTaskRequest[]): Promise<Task[]> {
    const out = await this.http.request<{ tasks: Task[] }>("POST", "/v1/tasks/batch", {
      body: { tasks: requests },
    });
    return out.tasks;
  }

  /**
   * Reads one task.
   *
   * @example
   * const task = await errand.getTask("tsk_01JD…");
   * console.log(task.state, task.progress);
   */
  getTask<Result = unknown>(id: string): Promise<Task<unknown, Result>> {
    return this.http.request("GET", `/v1/tasks/${enc(id)}`);
  }

  /**
   * Lists tasks, newest first, one page at a time.
   *
   * @example
   * const page = await errand.listTasks({ state: "running", limit: 20 });
   * const next = page.next_cursor ? await errand.listTasks({ cursor: page.next_cursor }) : null;
   */
  listTasks(query: ListTasksQuery = {}): Promise<Page<Task>> {
    return this.http.request("GET", "/v1/tasks", { query: { ...query } });
  }

  /**
   * The attempts (runs) of a task: worker, timing, outcome and recorded meta such as the model.
   *
   * @example
   * const attempts = await errand.listAttempts(task.id);
   */
  async listAttempts(id: string): Promise<Attempt[]> {
    const out = await this.http.request<{ items: Attempt[] }>(
      "GET",
      `/v1/tasks/${enc(id)}/attempts`,
    );
    return out.items;
  }

  /**
   * Cancels a queued or running task; a running worker is told and stops.
   *
   * @example
   * await errand.cancelTask(task.id, "no longer needed");
   */
  cancelTask(id: string, reason?: string): Promise<Task> {
    return this.http.request("POST", `/v1/tasks/${enc(id)}/cancel`, {
      body: reason === undefined ? {} : { reason },
    });
  }

  /**
   * One page of a task's events (no streaming); with `wait` it long-polls up to that many seconds.
   *
   * @example
   * const page = await errand.eventsPage(task.id, { after: 10, wait: 20 });
   */
  eventsPage(
    id: string,
    options: { after?: number; limit?: number; wait?: number; signal?: AbortSignal } = {},
  ): Promise<EventPage> {
    return this.http.request("GET", `/v1/tasks/${enc(id)}/events`, {
      query: { after: options.after, limit: options.limit, wait: options.wait },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * The task's events as an async iterator over Server-Sent Events. It reconnects by itself after
   * a network error or server restart, resuming with `Last-Event-ID` so no event is lost or
   * repeated, and ends after the terminal event (`task.succeeded`, `task.failed`, `task.canceled`).
   *
   * @example
   * for await (const event of errand.events(task.id, { after: lastSeenSeq })) {
   *   if (event.type === "task.output") process.stdout.write(event.data.text);
   * }
   */
  events(id: string, options: EventStreamOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
    return streamEvents(this.http, id, options);
  }

  /**
   * Waits until the task is finished and answers it.
   *
   * @example
   * const done = await errand.waitForTask(task.id);
   * if (done.state === "succeeded") console.log(done.result);
   */
  async waitForTask(id: string, options: { signal?: AbortSignal } = {}): Promise<Task> {
    const first = await this.getTask(id);
    if (isTerminalState(first.state)) return first;
    for await (const _event of this.events(id, { after: first.last_seq, ...options })) {
      // Drain until the terminal event ends the stream.
    }
    return this.getTask(id);
  }

  /**
   * The signed receipt of a task (a JWS over its statement).
   *
   * @example
   * const receipt = await errand.getReceipt(task.id);
   */
  getReceipt(id: string): Promise<Receipt> {
    return this.http.request("GET", `/v1/tasks/${enc(id)}/receipt`);
  }

  /**
   * Recomputes the task's hash chain on the server.
   *
   * @example
   * const check = await errand.verifyTask(task.id);
   * if (!check.ok) console.error("tampered at seq", check.bad_seq);
   */
  verifyTask(id: string): Promise<VerifyResult> {
    return this.http.request("GET", `/v1/tasks/${enc(id)}/verify`);
  }

  /**
   * Receipts of finished tasks you created; `unacked: true` for those not yet acknowledged.
   *
   * @example
   * const { items } = await errand.listReceipts({ unacked: true });
   */
  listReceipts(
    options: { unacked?: boolean; cursor?: string; limit?: number } = {},
  ): Promise<Page<Receipt>> {
    return this.http.request("GET", "/v1/receipts", {
      query: {
        unacked: options.unacked ? "1" : undefined,
        cursor: options.cursor,
        limit: options.limit,
      },
    });
  }

  /**
   * Acknowledges a receipt, so it leaves your open obligations.
   *
   * @example
   * await errand.ackReceipt(receipt.id);
   */
  ackReceipt(id: string): Promise<Receipt> {
    return this.http.request("POST", `/v1/receipts/${enc(id)}/ack`, { body: {} });
  }

  /**
   * What you still have open: unfinished tasks you created and unacknowledged receipts.
   *
   * @example
   * const { tasks, receipts } = await errand.openObligations();
   */
  openObligations(): Promise<Obligations> {
    return this.http.request("GET", "/v1/obligations/open");
  }

  /**
   * The workers of your tenant.
   *
   * @example
   * const workers = await errand.listWorkers();
   */
  async listWorkers(): Promise<WorkerRecord[]> {
    const out = await this.http.request<{ items: WorkerRecord[] }>("GET", "/v1/workers");
    return out.items;
  }

  /**
   * Creates an API key (admin scope); its secret `key` is shown only in this answer.
   *
   * @example
   * const { key } = await errand.createKey("ci runner", ["tasker"]);
   */
  createKey(name: string, scopes: Scope[]): Promise<ApiKeyInfo & { key: string }> {
    return this.http.request("POST", "/v1/keys", { body: { name, scopes } });
  }

  /**
   * Lists API keys (admin scope), without secrets.
   *
   * @example
   * const keys = await errand.listKeys();
   */
  async listKeys(): Promise<ApiKeyInfo[]> {
    const out = await this.http.request<{ items: ApiKeyInfo[] }>("GET", "/v1/keys");
    return out.items;
  }

  /**
   * Revokes an API key (admin scope).
   *
   * @example
   * await errand.revokeKey("key_01JD…");
   */
  async revokeKey(id: string): Promise<void> {
    await this.http.request("POST", `/v1/keys/${enc(id)}/revoke`, { body: {} });
  }

  /**
   * The server's health (no key needed).
   *
   * @example
   * const { status, version } = await errand.health();
   */
  health(): Promise<{ status: string; backend: string; version: string }> {
    return this.http.request("GET", "/v1/health");
  }

  /**
   * The public keys receipts are signed with (RFC 7517 JWKS).
   *
   * @example
   * const jwks = await errand.jwks();
   */
  jwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
    return this.http.request("GET", "/.well-known/jwks.json");
  }
}
