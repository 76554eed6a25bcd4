/**
 * Retry backoff: exponential with "equal jitter" (half fixed, half random), capped.
 * The fixed half keeps retries from bunching at zero; the random half spreads a burst of
 * failures so they do not come back together.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000 };

/** The ceiling for the `attempt`-th retry (1-based): min(maxMs, baseMs * 2^(attempt-1)). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^n overflows to Infinity long after the cap applies; Math.min keeps it finite.
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1));
}

/** Delay before the retry that follows failed attempt `attempt`; `random` is in [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, policy);
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
