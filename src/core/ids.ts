/**
 * Identifiers: a prefix naming the kind of thing, then a ULID-like body (10 characters of
 * millisecond time and 16 random ones, Crockford base32), so ids sort by creation time and
 * list pages can use the id as their cursor.
 */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ID_BODY = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const ID_PREFIXES = {
  task: "tsk_",
  lease: "lse_",
  worker: "wkr_",
  key: "key_",
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomChunk(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

let lastTime = -1;
let lastRandom: number[] = [];

/** A monotonic ULID body: within one millisecond the random part counts up. */
export function ulidBody(now: number): string {
  let random: number[];
  if (now <= lastTime) {
    random = lastRandom.slice();
    for (let i = random.length - 1; i >= 0; i--) {
      const digit = random[i]!;
      if (digit < 31) {
        random[i] = digit + 1;
        break;
      }
      random[i] = 0;
    }
    now = lastTime;
  } else {
    const bytes = randomChunk(16);
    random = Array.from(bytes, (b) => b & 31);
  }
  lastTime = now;
  lastRandom = random;
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let body = time;
  for (const digit of random) body += ALPHABET[digit]!;
  return body;
}

export function newId(kind: IdKind, now: number = Date.now()): string {
  return ID_PREFIXES[kind] + ulidBody(now);
}

export function isId(kind: IdKind, value: unknown): value is string {
  if (typeof value !== "string") return false;
  const prefix = ID_PREFIXES[kind];
  return value.startsWith(prefix) && ID_BODY.test(value.slice(prefix.length));
}

/** A random secret, base64url, `bytes` long before encoding. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
