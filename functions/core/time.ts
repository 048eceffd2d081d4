import type { InputIssue } from './errors.ts';

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
 * `date.toISOString()` (`2026-12-07T05:33:26.984Z`), written here for the years 1970 to 9999: the
 * built-in runs in C++ at about a microsecond a call, which an audit of 6,000 databases paid twice
 * per database (its latest and earliest restorable times in pitr.lag's and pitr.window's `observed`),
 * about a tenth of those two checks' CPU; this writes the 24 characters as one string at about a
 * third of that. Other years (six digits and a sign), and an invalid date (a RangeError), are left to
 * the built-in.
 */
export function isoTimeText(date: Date): string {
  const time = date.getTime();
  if (!(time >= 0 && time < FIRST_FIVE_DIGIT_YEAR_MS)) return date.toISOString();
  const days = Math.floor(time / DAY_MS);
  let rest = time - days * DAY_MS;
  const hours = Math.floor(rest / HOUR_MS);
  rest -= hours * HOUR_MS;
  const minutes = Math.floor(rest / MINUTE_MS);
  rest -= minutes * MINUTE_MS;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  // The civil date of a day count from 1970-01-01 (Howard Hinnant, "chrono-Compatible Low-Level Date
  // Algorithms", civil_from_days): eras of 400 years (146,097 days) from 0000-03-01, so that the leap
  // day ends each year; every quotient is of non-negative numbers here.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return String.fromCharCode(
    digit(year, 1000),
    digit(year, 100),
    digit(year, 10),
    digit(year, 1),
    HYPHEN,
    digit(month, 10),
    digit(month, 1),
    HYPHEN,
    digit(day, 10),
    digit(day, 1),
    LETTER_T,
    digit(hours, 10),
    digit(hours, 1),
    COLON,
    digit(minutes, 10),
    digit(minutes, 1),
    COLON,
    digit(seconds, 10),
    digit(seconds, 1),
    FULL_STOP,
    digit(millis, 100),
    digit(millis, 10),
    digit(millis, 1),
    LETTER_Z,
  );
}

/** 10000-01-01T00:00:00.000Z, from which toISOString writes a year of six digits and a sign. */
const FIRST_FIVE_DIGIT_YEAR_MS = 253_402_300_800_000;
const HYPHEN = 0x2d;
const COLON = 0x3a;
const FULL_STOP = 0x2e;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;

/** The character code of the digit of `value` (a non-negative integer) at `place` (1, 10, 100 …). */
function digit(value: number, place: number): number {
  return 0x30 + (Math.floor(value / place) % 10);
}

/**
 * An ISO 8601 date-time with a zone, minutes at least, as `Date.toISOString` writes it. Date.parse
 * alone accepts far more ("2020", "x 2020", "5" read as May 2001).
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Days in each month of a common year, January first. */
const DAYS_IN_MONTH: readonly number[] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Gregorian leap year (ISO 8601 uses the proleptic Gregorian calendar). */
function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Why `value` is not an ISO 8601 date-time with a zone, as words that follow "is" ("not an ISO 8601
 * time", "not a calendar date, as 2026-02 has 28 days", "not a time of day, as hours run 00 to
 * 23"); undefined when it is one. Date.parse rolls a day its month does not have into the next
 * month (2026-02-31 reads as 3 March) and reads hour 24 (24:00, 24:00:00.000) as midnight of the
 * next day, so the day is checked against its month and the hour and minute against the clock
 * here, before Date.parse reads the rest (seconds, offset). Hour 24 is no hour of RFC 3339
 * (time-hour 00-23), which our tags are written in (`Date.toISOString`): a tag that has it was
 * written by hand, and what its writer meant is not guessed.
 */
export function isoTimeProblem(value: string): string | undefined {
  const match = ISO_TIME.exec(value);
  if (!match) return 'not an ISO 8601 time';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const common = DAYS_IN_MONTH[month - 1];
  if (common === undefined) return `not a calendar date, as there is no month ${match[2]}`;
  const days = month === 2 && isLeapYear(year) ? 29 : common;
  if (day < 1 || day > days) return `not a calendar date, as ${match[1]}-${match[2]} has ${days} days`;
  if (Number(match[4]) > 23) {
    // Only what Date.parse would read as the next day's midnight gets the advice.
    const nextMidnight = !Number.isNaN(Date.parse(value));
    return `not a time of day, as hours run 00 to 23${nextMidnight ? ' and 24:00 is written 00:00 of the next day' : ''}`;
  }
  if (Number(match[5]) > 59) return 'not a time of day, as minutes run 00 to 59';
  return Number.isNaN(Date.parse(value)) ? 'not an ISO 8601 time' : undefined;
}

/**
 * The time `value` names in epoch milliseconds, or NaN when it is absent or not an ISO 8601
 * date-time with a zone ({@link isoTimeProblem}): a strict Date.parse for times read from tags and
 * other text a person may have edited.
 */
export function parseIsoTime(value: string | undefined): number {
  return value !== undefined && isoTimeProblem(value) === undefined ? Date.parse(value) : Number.NaN;
}

/**
 * Whether `now` is still within `lastDay` (an ISO date such as 2027-03-31), to its end in UTC: how
 * the expiries of policy exceptions and readiness waivers read.
 */
export function isOnOrBefore(lastDay: string, now: Date): boolean {
  return now.getTime() < Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS;
}

/**
 * The longest accepted risk may run: a readiness waiver's or a policy exception's last day at most
 * this many days after the day (UTC) the policy is read. Accepted risk is something someone must look
 * at again; `9999-12-31` would accept it for ever. An expired one is not refused: it stops applying.
 */
export const ACCEPTED_RISK_MAX_DAYS = 90;

/**
 * The issue for accepted risk (`what`, at `path`) whose last day `expires` is more than
 * {@link ACCEPTED_RISK_MAX_DAYS} after `now`'s day; undefined when it is within them.
 */
export function acceptedRiskHorizonIssue(
  path: string,
  what: string,
  expires: string,
  now: Date,
): InputIssue | undefined {
  const today = now.toISOString().slice(0, 10);
  const limit = new Date(Date.parse(`${today}T00:00:00Z`) + ACCEPTED_RISK_MAX_DAYS * DAY_MS)
    .toISOString()
    .slice(0, 10);
  // ISO dates (YYYY-MM-DD) order as strings.
  if (expires <= limit) return undefined;
  return {
    path,
    message: `${expires} is more than ${ACCEPTED_RISK_MAX_DAYS} days after ${today}, the day the policy is read: ${what} runs ${ACCEPTED_RISK_MAX_DAYS} days at most; give it a last day on or before ${limit}, and renew it then if its reason still holds`,
  };
}

/**
 * An age in hours to one decimal, on the same side of `limitHours` as the age itself: 24.04 h against
 * a 24 h limit is past it, and "24.0 h (limit 24 h)" would read as within it (so would 23.96 h as
 * "24.0 h" read as at the limit).
 */
export function hoursAgainstLimit(ageHours: number, limitHours: number): string {
  const shown = Number(ageHours.toFixed(1));
  if (ageHours > limitHours && shown <= limitHours) return (Math.ceil(ageHours * 10) / 10).toFixed(1);
  if (ageHours < limitHours && shown >= limitHours) return (Math.floor(ageHours * 10) / 10).toFixed(1);
  return ageHours.toFixed(1);
}
