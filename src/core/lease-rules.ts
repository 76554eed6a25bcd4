/** Lease rules: TTL, renewal cap and lifetime cap. Pure functions; the stores apply them. */
import type { Lease } from "./types.js";

export const DEFAULT_LEASE_TTL_MS = 30_000;
export const MIN_LEASE_TTL_MS = 1_000;
export const MAX_LEASE_TTL_MS = 3_600_000;
export const DEFAULT_MAX_RENEWALS = 10_000;
/** Default cap on one attempt's lease lifetime, renewals included (1 hour). */
export const DEFAULT_TIMEOUT_MS = 3_600_000;
export const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

export interface LeaseLimits {
  readonly leaseTtlMs: number;
  readonly maxRenewals: number;
  readonly timeoutMs: number;
}

/** The first expiry of a lease acquired at `now`. */
export function initialExpiry(now: number, limits: LeaseLimits): number {
  return Math.min(now + limits.leaseTtlMs, now + limits.timeoutMs);
}

export function isLeaseLive(lease: Lease | null, now: number): lease is Lease {
  return lease !== null && lease.expiresAt > now;
}

export type RenewDecision =
  | { readonly ok: true; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: "max_renewals" | "max_lifetime" };

/**
 * Whether a live lease may be renewed at `now`, and until when. A renewal never reaches past
 * `acquiredAt + timeoutMs`; once the lease sits at that cap, or has been renewed
 * `maxRenewals` times, renewing is refused and the worker must finish before it expires.
 */
export function decideRenewal(lease: Lease, now: number, limits: LeaseLimits): RenewDecision {
  if (lease.renewals >= limits.maxRenewals) return { ok: false, reason: "max_renewals" };
  const cap = lease.acquiredAt + limits.timeoutMs;
  const expiresAt = Math.min(now + limits.leaseTtlMs, cap);
  if (expiresAt <= lease.expiresAt) return { ok: false, reason: "max_lifetime" };
  return { ok: true, expiresAt };
}
