/** Retry and poll timings of the engine. Defaults follow fence-agents' habits, a bit faster. */
export interface FencePolicy {
  /** Retries of one driver call after the first try (DESIGN.md: at most 3). */
  retries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Status polls after the first (immediate) one start here and grow by `pollFactor` up to `pollMaxMs`. */
  pollInitialMs: number;
  pollMaxMs: number;
  pollFactor: number;
  /** Consecutive retryable errors while polling before the device counts as failed. */
  pollErrorLimit: number;
}

export const defaultPolicy: FencePolicy = {
  retries: 3,
  backoffBaseMs: 500,
  backoffMaxMs: 8_000,
  pollInitialMs: 250,
  pollMaxMs: 2_000,
  pollFactor: 1.5,
  pollErrorLimit: 5,
};

/** Exponential backoff for try `n` (0-based), or the server's Retry-After when it gave one. */
export function backoffMs(policy: FencePolicy, n: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** n);
}
