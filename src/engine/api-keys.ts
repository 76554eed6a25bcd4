/**
 * API keys: `ek_<26-char id>_<secret>`. The id part is public (it names the key in logs and
 * lists); the secret is 32 random bytes, shown once, stored only as its sha256, and compared in
 * constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeyRecord, Principal, Scope } from "../core/index.js";
import { ErrandError, ID_PREFIXES, newId, newSecret } from "../core/index.js";

const TOKEN = /^ek_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  readonly record: ApiKeyRecord;
  /** The full token; it exists only in this object and in the caller's hands. */
  readonly token: string;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function issueKey(input: {
  tenantId: string;
  name: string;
  scopes: readonly Scope[];
  createdBy: string | null;
  now: number;
}): IssuedKey {
  const id = newId("key", input.now);
  const secret = newSecret(32);
  const body = id.slice(ID_PREFIXES.key.length);
  return {
    token: `ek_${body}_${secret}`,
    record: {
      id,
      tenantId: input.tenantId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      secretHash: hashSecret(secret),
      createdAt: input.now,
      revokedAt: null,
      createdBy: input.createdBy,
    },
  };
}

export function parseToken(token: string): { keyId: string; secret: string } | null {
  const match = TOKEN.exec(token);
  if (!match) return null;
  return { keyId: ID_PREFIXES.key + match[1]!, secret: match[2]! };
}

/** Checks a presented secret against a stored record; throws `unauthenticated` on any mismatch. */
export function verifyKey(record: ApiKeyRecord | null, secret: string): Principal {
  // Hash even when the record is missing so that timing does not tell which keys exist.
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(record?.secretHash ?? "0".repeat(64), "hex");
  const same = presented.length === stored.length && timingSafeEqual(presented, stored);
  if (!record || !same) throw new ErrandError("unauthenticated", "unknown or invalid API key");
  if (record.revokedAt !== null)
    throw new ErrandError("unauthenticated", "this API key was revoked");
  return { id: record.id, tenantId: record.tenantId, scopes: record.scopes, via: "api_key" };
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

export function requireScope(principal: Principal, ...anyOf: Scope[]): void {
  if (anyOf.some((scope) => hasScope(principal, scope))) return;
  throw new ErrandError(
    "insufficient_scope",
    `this operation needs the ${anyOf.join(" or ")} scope`,
    { details: { required: anyOf, granted: principal.scopes } },
  );
}
