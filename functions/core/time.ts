/** Milliseconds per unit: restore windows, lags, refresh periods and log retention are measured in these. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/**
 * How far a cloud's timestamp may lie after this process's clock and still be trusted (the clock
 * difference AWS request signing tolerates). Beyond it the clock or the time is wrong.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * MINUTE_MS;

/**
 * Whether `now` is still within `lastDay` (an ISO date such as 2027-03-31), to its end in UTC: how
 * the expiries of policy exceptions and readiness waivers read.
 */
export function isOnOrBefore(lastDay: string, now: Date): boolean {
  return now.getTime() < Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS;
}
