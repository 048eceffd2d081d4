/** Milliseconds per unit: restore windows, lags, refresh periods and log retention are measured in these. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
