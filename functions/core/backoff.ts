/**
 * The wait before a retry: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), a random time up to `baseDelayMs` doubled per retry
 * (`retry` 1 for the first), capped at `maxDelayMs`. The AWS SDK's standard retry strategy waits
 * the same way; the retries this project makes itself (Security Hub imports, the Google REST
 * requests, the chat hand-off's Pub/Sub publish) share this one.
 */
export function backoffDelay(
  retry: number,
  baseDelayMs: number,
  maxDelayMs = Number.POSITIVE_INFINITY,
): number {
  return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
}
