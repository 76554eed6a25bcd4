/**
 * The event hash chain:
 *   hash_n = sha256_hex(hash_{n-1} + "\n" + JCS({task_id, seq, type, at, data}))
 * with the predecessor of the first event = 64 zeros and JCS = RFC 8785 canonical JSON.
 * `at` is hashed as an RFC 3339 string with milliseconds, as it appears on the wire.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { toIso } from "./clock.js";

// canonicalize is CommonJS whose typings claim an ES default export; require() sees it as it is.
const canonicalize = createRequire(import.meta.url)("canonicalize") as (
  value: unknown,
) => string | undefined;

export const GENESIS_HASH = "0".repeat(64);

export interface ChainLink {
  readonly taskId: string;
  readonly seq: number;
  readonly type: string;
  readonly at: number;
  readonly data: unknown;
}

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value cannot be canonicalized");
  return text;
}

export function sha256Hex(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

export function chainHash(previous: string, link: ChainLink): string {
  // The JCS form of {task_id, seq, type, at, data}, written out directly: RFC 8785 orders the
  // keys by UTF-16 code units (at < data < seq < task_id < type) and writes strings and
  // integers exactly as JSON.stringify does, so only `data` needs the general canonicalizer.
  const body =
    `{"at":"${toIso(link.at)}","data":${canonicalJson(link.data ?? null)},"seq":${link.seq},` +
    `"task_id":${JSON.stringify(link.taskId)},"type":${JSON.stringify(link.type)}}`;
  return createHash("sha256").update(previous).update("\n").update(body).digest("hex");
}

export interface StoredLink extends ChainLink {
  readonly hash: string;
}

export type ChainVerdict =
  | { readonly ok: true; readonly checked: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly checked: number;
      readonly badSeq: number;
      readonly reason: "hash_mismatch" | "seq_gap" | "head_mismatch";
    };

/** Recomputes a chain from its stored links, in seq order, and compares with the stored head. */
export class ChainVerifier {
  #previous = GENESIS_HASH;
  #expectedSeq = 1;
  #checked = 0;
  #failure: ChainVerdict | null = null;

  push(link: StoredLink): boolean {
    if (this.#failure) return false;
    if (link.seq !== this.#expectedSeq) {
      this.#failure = {
        ok: false,
        checked: this.#checked,
        badSeq: this.#expectedSeq,
        reason: "seq_gap",
      };
      return false;
    }
    const hash = chainHash(this.#previous, link);
    if (hash !== link.hash) {
      this.#failure = {
        ok: false,
        checked: this.#checked,
        badSeq: link.seq,
        reason: "hash_mismatch",
      };
      return false;
    }
    this.#previous = hash;
    this.#expectedSeq += 1;
    this.#checked += 1;
    return true;
  }

  finish(headHash: string, lastSeq: number): ChainVerdict {
    if (this.#failure) return this.#failure;
    if (lastSeq !== this.#checked || headHash !== this.#previous) {
      return { ok: false, checked: this.#checked, badSeq: lastSeq, reason: "head_mismatch" };
    }
    return { ok: true, checked: this.#checked, headHash };
  }
}
