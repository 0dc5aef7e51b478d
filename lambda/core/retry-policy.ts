// Bounded retries for Graph calls: exponential backoff with full jitter, never past the caller's deadline.

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 300, maxDelayMs: 3000 };

/** Delay before attempt `attempt + 1` (attempt counts from 1), given a random number in [0, 1). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 3 ** (attempt - 1));
  return Math.floor(ceiling / 2 + (random * ceiling) / 2);
}

/**
 * Whether another attempt fits: the attempt budget is not spent and the delay plus one full request
 * timeout still end before the deadline (so the function never runs into its own Lambda timeout).
 */
export function mayRetry(policy: RetryPolicy, attempt: number, delayMs: number, requestTimeoutMs: number, msUntilDeadline: number): boolean {
  return attempt < policy.maxAttempts && delayMs + requestTimeoutMs < msUntilDeadline;
}
