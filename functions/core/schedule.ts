/**
 * `policy.schedules.auditPitr` for both clouds. One parse gives the EventBridge Scheduler expression
 * (AWS), the unix-cron Cloud Scheduler takes (GCP), and the longest gap between two runs, which sets
 * the period of the "audit did not complete" alarm.
 *
 * Accepted forms, all in UTC:
 * - `rate(N minute|minutes|hour|hours|day|days)` (EventBridge Scheduler syntax);
 * - `cron(min hour dom month dow year)` (EventBridge, six fields) that runs every day;
 * - `min hour dom month dow` (unix-cron, five fields) that runs every day.
 *
 * Crons are limited to "every day" (day-of-month, month, day-of-week and year are wildcards) because
 * the alarm needs a regular period and a PITR audit that skips days cannot keep `pitr.lag` honest.
 */
import { PolicyError } from './errors.ts';

/** Where the expression lives in the policy, for error messages. */
export const AUDIT_SCHEDULE_PATH = 'schedules.auditPitr';

const MINUTES_PER_DAY = 24 * 60;

/**
 * CloudWatch caps an alarm's evaluation range at 7 days (PutMetricAlarm: Period x EvaluationPeriods
 * <= 604,800 s). The "did not complete" alarm looks at two periods, so one period is at most 3.5 days.
 */
export const MAX_AUDIT_INTERVAL_MINUTES = (7 * MINUTES_PER_DAY) / 2;

/** A parsed audit schedule. */
export interface AuditSchedule {
  /** The expression as written in the policy. */
  readonly expression: string;
  /** The policy field it was read from (`schedules.auditPitr`), named in errors. */
  readonly path: string;
  /** The expression EventBridge Scheduler takes: `rate(1 hour)`, `cron(0 * * * ? *)`. */
  readonly eventBridgeExpression: string;
  /** The longest time between two runs, in minutes (the alarm period). */
  readonly maxIntervalMinutes: number;
  /** How it repeats: a fixed rate, or the minutes of the day a daily cron fires at. */
  readonly cadence: RateCadence | DailyCronCadence;
}

/** `rate(...)`: every `minutes` minutes from the moment the schedule is created. */
export interface RateCadence {
  readonly kind: 'rate';
  readonly minutes: number;
}

/** A cron that fires at the same minutes every day. */
export interface DailyCronCadence {
  readonly kind: 'daily-cron';
  /** The minute and hour fields as written (cron syntax shared by EventBridge and unix-cron). */
  readonly minuteField: string;
  readonly hourField: string;
}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const AWS_CRON = /^cron\((.*)\)$/;
const UNIT_MINUTES: Record<string, number> = { minute: 1, hour: 60, day: MINUTES_PER_DAY };

/** Why an expression was refused; {@link parseAuditSchedule} names the field it came from. */
class ScheduleProblem extends Error {}

function fail(reason: string): never {
  throw new ScheduleProblem(reason);
}

function policyError(path: string, reason: string): PolicyError {
  return new PolicyError(`policy is invalid:\n  ${path}: ${reason}`, [{ path, message: reason }]);
}

/**
 * Parse a policy schedule (`schedules.auditPitr` unless `path` names another), failing with a
 * {@link PolicyError} that names the field.
 */
export function parseAuditSchedule(expression: string, path: string = AUDIT_SCHEDULE_PATH): AuditSchedule {
  try {
    return { ...parseExpression(expression), path };
  } catch (error) {
    if (error instanceof ScheduleProblem) throw policyError(path, error.message);
    throw error;
  }
}

function parseExpression(expression: string): Omit<AuditSchedule, 'path'> {
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) return rateSchedule(text, Number(rate[1]), (rate[2] ?? '').replace(/s$/, ''));
  if (text.startsWith('rate(')) {
    fail(`"${expression}" is not a rate expression; write rate(N minutes|hours|days), e.g. rate(1 hour)`);
  }
  const awsCron = AWS_CRON.exec(text);
  if (awsCron) {
    const fields = (awsCron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) {
      fail(
        `"${expression}" has ${fields.length} fields; an EventBridge cron has 6: cron(min hour dom month dow year)`,
      );
    }
    const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
    requireDaily(expression, { dom, month, dow, year });
    if (!((dom === '?') !== (dow === '?'))) {
      fail(`"${expression}": EventBridge needs exactly one of day-of-month and day-of-week to be "?"`);
    }
    return dailyCronSchedule(expression, minute, hour);
  }
  const fields = text.split(/\s+/);
  if (fields.length === 5) {
    const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
    requireDaily(expression, { dom, month, dow, year: '*' });
    return dailyCronSchedule(expression, minute, hour);
  }
  return fail(
    `"${expression}" is not a schedule; write rate(N minutes|hours|days), cron(min hour * * ? *) or a five-field unix-cron such as "0 * * * *"`,
  );
}

function rateSchedule(expression: string, value: number, unit: string): Omit<AuditSchedule, 'path'> {
  if (value < 1) fail(`"${expression}": the rate must be a whole number >= 1`);
  // Digits past what a number holds exactly are a whole number still, and far too long a gap.
  const minutes = Number.isSafeInteger(value) ? value * (UNIT_MINUTES[unit] ?? 1) : Number.POSITIVE_INFINITY;
  checkInterval(expression, minutes);
  return {
    expression,
    // EventBridge wants the singular unit for 1 and the plural otherwise.
    eventBridgeExpression: `rate(${value} ${unit}${value === 1 ? '' : 's'})`,
    maxIntervalMinutes: minutes,
    cadence: { kind: 'rate', minutes },
  };
}

function dailyCronSchedule(
  expression: string,
  minuteField: string,
  hourField: string,
): Omit<AuditSchedule, 'path'> {
  const minutes = expandField(expression, 'minute', minuteField, 0, 59);
  const hours = expandField(expression, 'hour', hourField, 0, 23);
  const runs = hours.flatMap((hour) => minutes.map((minute) => hour * 60 + minute)).sort((a, b) => a - b);
  const first = runs[0] ?? 0;
  const last = runs.at(-1) ?? 0;
  // The gap that wraps past midnight counts too: 23:00 and 01:00 leave two hours between them.
  let maxGap = first + MINUTES_PER_DAY - last;
  for (let i = 1; i < runs.length; i++) maxGap = Math.max(maxGap, (runs[i] ?? 0) - (runs[i - 1] ?? 0));
  checkInterval(expression, maxGap);
  return {
    expression,
    eventBridgeExpression: `cron(${minuteField} ${hourField} * * ? *)`,
    maxIntervalMinutes: maxGap,
    cadence: { kind: 'daily-cron', minuteField, hourField },
  };
}

function requireDaily(
  expression: string,
  fields: { dom: string; month: string; dow: string; year: string },
): void {
  const wildcard = (value: string) => value === '*' || value === '?';
  if (![fields.dom, fields.month, fields.dow, fields.year].every(wildcard)) {
    fail(
      `"${expression}" does not run every day; only the minute and hour fields may be set (day-of-month, month, day-of-week and year must be * or ?), because the "audit did not complete" alarm needs a regular period`,
    );
  }
}

function checkInterval(expression: string, minutes: number): void {
  if (minutes > MAX_AUDIT_INTERVAL_MINUTES) {
    fail(
      `"${expression}" leaves ${Number.isSafeInteger(minutes) ? minutes : `more than ${MAX_AUDIT_INTERVAL_MINUTES}`} minutes between runs; at most ${MAX_AUDIT_INTERVAL_MINUTES} (3.5 days), because CloudWatch evaluates the "audit did not complete" alarm over at most 7 days (two periods)`,
    );
  }
}

/** The values a cron minute or hour field selects: `*`, `n`, `a-b`, with `/step`, comma-separated. */
function expandField(expression: string, name: string, field: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(item);
    if (!match)
      fail(`"${expression}": the ${name} field "${field}" is not a cron list of numbers, ranges and steps`);
    const [, startText, endText, stepText] = match;
    const start = startText === '*' ? min : Number(startText);
    // `a/step` runs from a to the end of the range, as in both EventBridge and unix-cron.
    const end =
      startText === '*' || (endText === undefined && stepText !== undefined) ? max : Number(endText ?? start);
    const step = stepText === undefined ? 1 : Number(stepText);
    const where = `"${expression}": the ${name} field "${field}"`;
    const inItem = item === field ? '' : ` in "${item}"`;
    if (start < min || end > max) fail(`${where} must stay within ${min}-${max}`);
    if (start > end) fail(`${where} has a range that ends before it starts${inItem}`);
    if (step < 1) fail(`${where} steps by ${step}${inItem}; a step must be at least 1`);
    for (let value = start; value <= end; value += step) values.add(value);
  }
  return [...values];
}

/**
 * The schedule as a Cloud Scheduler (unix-cron) expression. A rate maps to a cron only when it
 * divides the hour or the day evenly, because unix-cron runs on clock boundaries; otherwise this
 * fails and says which cron to write instead.
 */
export function toCloudSchedulerCron(schedule: AuditSchedule): string {
  const { cadence } = schedule;
  if (cadence.kind === 'daily-cron') return `${cadence.minuteField} ${cadence.hourField} * * *`;
  const { minutes } = cadence;
  if (minutes === 1) return '* * * * *';
  if (minutes < 60 && 60 % minutes === 0) return `*/${minutes} * * * *`;
  if (minutes === 60) return '0 * * * *';
  if (minutes % 60 === 0 && minutes < MINUTES_PER_DAY && MINUTES_PER_DAY % minutes === 0) {
    return `0 */${minutes / 60} * * *`;
  }
  if (minutes === MINUTES_PER_DAY) return '0 0 * * *';
  throw policyError(
    schedule.path,
    `"${schedule.expression}" has no Cloud Scheduler equivalent: unix-cron runs on clock boundaries, so a rate must divide an hour or a day evenly; write a cron instead, e.g. cron(0 */2 * * ? *)`,
  );
}
