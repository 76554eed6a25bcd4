/**
 * Receipts: a JWS (RFC 7515, compact) signed with Ed25519 (`alg: "Ed25519"`, RFC 9864) over a
 * statement about one task. A receipt is derived from the stored task, not stored itself:
 * Ed25519 signatures are deterministic (RFC 8032), so the same task and key always give the
 * same receipt, and nothing has to be signed on the hot path of completing a task.
 * Public keys are served as a JWKS with RFC 7638 thumbprints as `kid`; rotated keys stay
 * published so that old receipts still verify.
 */
import {
  CompactSign,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";
import type { SigningKeyRecord, Task } from "../core/index.js";
import { canonicalJson, isTerminal, sha256Hex, toIso } from "../core/index.js";
import type { Store } from "../store/store.js";

export const RECEIPT_ALG = "Ed25519";
export const RECEIPT_TYPE = "errand-receipt+jws";

export interface ReceiptStatement {
  readonly iss: string;
  readonly receipt_id: string;
  readonly task_id: string;
  readonly tenant_id: string;
  readonly principal: string;
  readonly kind: string;
  /** `accepted` while the task is unfinished, else its terminal state. */
  readonly state: "accepted" | "succeeded" | "failed" | "canceled";
  readonly attempts: number;
  readonly input_sha256: string;
  readonly result_sha256: string | null;
  readonly event_count: number;
  readonly chain_head: string;
  readonly created_at: string;
  readonly finished_at: string | null;
}

export interface Receipt {
  readonly id: string;
  readonly task_id: string;
  readonly state: ReceiptStatement["state"];
  readonly kid: string;
  readonly jws: string;
  readonly statement: ReceiptStatement;
  readonly acked_at: string | null;
}

export function statementOf(task: Task, issuer: string): ReceiptStatement {
  const state = isTerminal(task.state) ? (task.state as ReceiptStatement["state"]) : "accepted";
  return {
    iss: issuer,
    receipt_id: task.id,
    task_id: task.id,
    tenant_id: task.tenantId,
    principal: task.createdBy,
    kind: task.kind,
    state,
    attempts: task.attempts,
    input_sha256: sha256Hex(canonicalJson(task.input ?? null)),
    result_sha256:
      task.state === "succeeded" ? sha256Hex(canonicalJson(task.result ?? null)) : null,
    event_count: task.lastSeq,
    chain_head: task.headHash,
    created_at: toIso(task.createdAt),
    finished_at: task.finishedAt === null ? null : toIso(task.finishedAt),
  };
}

interface ActiveKey {
  readonly kid: string;
  readonly key: Awaited<ReturnType<typeof importJWK>>;
}

export class ReceiptSigner {
  readonly #store: Store;
  readonly #issuer: string;
  #active: ActiveKey | null = null;
  #jwks: { keys: JWK[] } | null = null;

  constructor(store: Store, issuer: string) {
    this.#store = store;
    this.#issuer = issuer;
  }

  get issuer(): string {
    return this.#issuer;
  }

  /** Loads the newest unretired key, creating one on first use. */
  async #activeKey(now: number): Promise<ActiveKey> {
    if (this.#active) return this.#active;
    let records = await this.#store.listSigningKeys();
    if (!records.some((r) => r.retiredAt === null)) {
      await this.rotate(now);
      records = await this.#store.listSigningKeys();
    }
    const current = records
      .filter((r) => r.retiredAt === null)
      .sort((a, b) => b.createdAt - a.createdAt)[0]!;
    const key = await importJWK(JSON.parse(current.privateJwk) as JWK, RECEIPT_ALG);
    this.#active = { kid: current.kid, key };
    return this.#active;
  }

  /** Makes a new signing key the active one; older keys stay in the JWKS. */
  async rotate(now: number): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(RECEIPT_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, "sha256");
    const privateJwk = await exportJWK(privateKey);
    const existing = await this.#store.listSigningKeys();
    const record: SigningKeyRecord = {
      kid,
      privateJwk: JSON.stringify({ ...privateJwk, kid, alg: RECEIPT_ALG }),
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: RECEIPT_ALG, use: "sig" }),
      createdAt: Math.max(now, ...existing.map((k) => k.createdAt + 1)),
      retiredAt: null,
    };
    await this.#store.insertSigningKey(record);
    this.#active = null;
    this.#jwks = null;
    return kid;
  }

  async jwks(now: number): Promise<{ keys: JWK[] }> {
    if (this.#jwks) return this.#jwks;
    await this.#activeKey(now);
    const records = await this.#store.listSigningKeys();
    this.#jwks = {
      keys: [...records]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => JSON.parse(r.publicJwk) as JWK),
    };
    return this.#jwks;
  }

  async sign(task: Task, now: number): Promise<Receipt> {
    const active = await this.#activeKey(now);
    const statement = statementOf(task, this.#issuer);
    const payload = new TextEncoder().encode(canonicalJson(statement));
    const jws = await new CompactSign(payload)
      .setProtectedHeader({ alg: RECEIPT_ALG, kid: active.kid, typ: RECEIPT_TYPE })
      .sign(active.key);
    return {
      id: task.id,
      task_id: task.id,
      state: statement.state,
      kid: active.kid,
      jws,
      statement,
      acked_at: task.receiptAckedAt === null ? null : toIso(task.receiptAckedAt),
    };
  }
}
