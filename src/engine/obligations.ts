/**
 * Receipts and obligations: what a principal delegated and what came back. A receipt is signed
 * on demand from its task (receipts.ts); only its acknowledgement is stored.
 */
import type { Clock, Principal } from "../core/index.js";
import { ErrandError, isId, isTerminal } from "../core/index.js";
import type { Store } from "../store/store.js";
import { hasScope, requireScope } from "./api-keys.js";
import { loadTask } from "./lookups.js";
import type { Receipt, ReceiptSigner } from "./receipts.js";

export class Obligations {
  readonly #store: Store;
  readonly #signer: ReceiptSigner;
  readonly #clock: Clock;

  constructor(store: Store, signer: ReceiptSigner, clock: Clock) {
    this.#store = store;
    this.#signer = signer;
    this.#clock = clock;
  }

  async getReceipt(principal: Principal, taskId: string): Promise<Receipt> {
    requireScope(principal, "tasker");
    const task = await loadTask(this.#store, principal.tenantId, taskId);
    return this.#signer.sign(task, this.#clock.now());
  }

  async listReceipts(
    principal: Principal,
    options: {
      readonly unacked?: boolean;
      readonly limit?: number;
      readonly cursor?: string | null;
    },
  ): Promise<{ readonly items: readonly Receipt[]; readonly nextCursor: string | null }> {
    requireScope(principal, "tasker");
    const page = await this.#store.listTasks(
      principal.tenantId,
      {
        createdBy: principal.id,
        state: ["succeeded", "failed", "canceled"],
        ...(options.unacked ? { receiptUnacked: true } : {}),
      },
      { cursor: options.cursor ?? null, limit: options.limit ?? 50 },
    );
    const now = this.#clock.now();
    const items = await Promise.all(page.items.map((task) => this.#signer.sign(task, now)));
    return { items, nextCursor: page.nextCursor };
  }

  async ackReceipt(principal: Principal, receiptId: string): Promise<Receipt> {
    requireScope(principal, "tasker");
    if (!isId("task", receiptId))
      throw new ErrandError("invalid_id", `not a receipt id: ${receiptId}`);
    const task = await this.#store.getTask(principal.tenantId, receiptId);
    const mayAck = task && (task.createdBy === principal.id || hasScope(principal, "admin"));
    if (!task || !mayAck || !isTerminal(task.state)) {
      throw new ErrandError(
        "receipt_not_found",
        `no receipt ${receiptId} awaits your acknowledgement`,
      );
    }
    const now = this.#clock.now();
    await this.#store.ackReceipt({
      tenantId: principal.tenantId,
      taskId: receiptId,
      principalId: principal.id,
      now,
    });
    return this.#signer.sign((await this.#store.getTask(principal.tenantId, receiptId))!, now);
  }

  /** What the caller still has open: its unfinished tasks and its unacknowledged receipts. */
  async openObligations(principal: Principal, limit = 100) {
    requireScope(principal, "tasker");
    const tasks = await this.#store.listTasks(
      principal.tenantId,
      { createdBy: principal.id, state: ["queued", "running"] },
      { cursor: null, limit },
    );
    const receipts = await this.listReceipts(principal, { unacked: true, limit });
    return {
      tasks: tasks.items,
      receipts: receipts.items,
      more: tasks.nextCursor !== null || receipts.nextCursor !== null,
    };
  }
}
