/** Milliseconds per unit: restore windows, lags, refresh periods and log retention are measured in these. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/**
 * How far a cloud's timestamp may lie after this process's clock and still be trusted (the clock
 * difference AWS request signing tolerates). Beyond it the clock or the time is wrong.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * MINUTE_MS;
