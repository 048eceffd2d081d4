import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../functions/core/errors.ts';
import {
  MAX_AUDIT_INTERVAL_MINUTES,
  parseAuditSchedule,
  toCloudSchedulerCron,
} from '../../functions/core/schedule.ts';

function reasonFor(expression: string): string {
  try {
    parseAuditSchedule(expression);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    expect(error.issues.map((issue) => issue.path)).toEqual(['schedules.auditPitr']);
    return error.issues[0]?.message ?? '';
  }
  throw new Error(`expected "${expression}" to be rejected`);
}

describe('parseAuditSchedule', () => {
  it('normalizes a rate to the unit EventBridge expects and measures its interval', () => {
    // Act
    const hourly = parseAuditSchedule('rate(1 hours)');
    const everyFifteen = parseAuditSchedule('rate(15 minute)');

    // Assess
    expect(hourly.eventBridgeExpression).toBe('rate(1 hour)');
    expect(hourly.maxIntervalMinutes).toBe(60);
    expect(everyFifteen.eventBridgeExpression).toBe('rate(15 minutes)');
    expect(everyFifteen.maxIntervalMinutes).toBe(15);
  });

  it('measures the longest gap of a daily EventBridge cron, across midnight too', () => {
    // Act
    const schedule = parseAuditSchedule('cron(30 1,22 * * ? *)');

    // Assess: 01:30 -> 22:30 is 21 hours; 22:30 -> 01:30 is 3 hours.
    expect(schedule.eventBridgeExpression).toBe('cron(30 1,22 * * ? *)');
    expect(schedule.maxIntervalMinutes).toBe(21 * 60);
  });

  it('turns a five-field unix-cron into the six-field EventBridge cron', () => {
    // Act
    const schedule = parseAuditSchedule('*/20 8-17 * * *');

    // Assess: the last run of the day is 17:40, the first 08:00 the next day.
    expect(schedule.eventBridgeExpression).toBe('cron(*/20 8-17 * * ? *)');
    expect(schedule.maxIntervalMinutes).toBe(24 * 60 - (17 * 60 + 40) + 8 * 60);
  });

  it('expands ranges with steps and single values with steps to the end of the range', () => {
    // Act
    const stepped = parseAuditSchedule('cron(0 0-12/6 * * ? *)');
    const fromFive = parseAuditSchedule('cron(5/30 * ? * * *)');

    // Assess: 00, 06, 12 -> the night gap of 12 hours; minutes 5 and 35 every hour -> 30 minutes.
    expect(stepped.maxIntervalMinutes).toBe(12 * 60);
    expect(fromFive.maxIntervalMinutes).toBe(30);
  });

  it('rejects a cron that does not run every day, saying why', () => {
    // Act / Assess
    expect(reasonFor('cron(0 3 ? * MON *)')).toContain('does not run every day');
    expect(reasonFor('0 3 1 * *')).toContain('does not run every day');
  });

  it('rejects malformed expressions with the forms that are accepted', () => {
    // Act / Assess
    expect(reasonFor('every hour')).toContain('write rate(N minutes|hours|days)');
    expect(reasonFor('rate(0 minutes)')).toContain('whole number >= 1');
    expect(reasonFor('rate(1 week)')).toContain('is not a rate expression');
    expect(reasonFor('cron(0 * * * ?)')).toContain('has 5 fields');
    expect(reasonFor('cron(0 * * * * *)')).toContain('exactly one of day-of-month and day-of-week');
    expect(reasonFor('cron(75 * * * ? *)')).toContain('within 0-59');
  });

  it('rejects a gap longer than the alarm can watch', () => {
    // Act
    const reason = reasonFor('rate(4 days)');

    // Assess
    expect(reason).toContain(`at most ${MAX_AUDIT_INTERVAL_MINUTES}`);
    expect(parseAuditSchedule('rate(3 days)').maxIntervalMinutes).toBe(3 * 24 * 60);
  });

  it('says a rate too large to count is too long a gap, not that it is no whole number', () => {
    // Act
    const reason = reasonFor('rate(99999999999999999999 minutes)');

    // Assess
    expect(reason).not.toContain('whole number');
    expect(reason).toContain(
      `leaves more than ${MAX_AUDIT_INTERVAL_MINUTES} minutes between runs; at most ${MAX_AUDIT_INTERVAL_MINUTES} (3.5 days)`,
    );
  });
});

describe('toCloudSchedulerCron', () => {
  it('maps rates that divide an hour or a day onto clock boundaries', () => {
    // Act
    const crons = [
      'rate(1 minute)',
      'rate(15 minutes)',
      'rate(1 hour)',
      'rate(120 minutes)',
      'rate(6 hours)',
      'rate(1 day)',
    ].map((expression) => toCloudSchedulerCron(parseAuditSchedule(expression)));

    // Assess
    expect(crons).toEqual([
      '* * * * *',
      '*/15 * * * *',
      '0 * * * *',
      '0 */2 * * *',
      '0 */6 * * *',
      '0 0 * * *',
    ]);
  });

  it('keeps the minute and hour fields of a daily cron', () => {
    // Act / Assess
    expect(toCloudSchedulerCron(parseAuditSchedule('cron(15 */4 * * ? *)'))).toBe('15 */4 * * *');
  });

  it('refuses a rate unix-cron cannot express, naming a cron to write instead', () => {
    // Act
    const act = () => toCloudSchedulerCron(parseAuditSchedule('rate(7 minutes)'));

    // Assess
    expect(act).toThrow(PolicyError);
    expect(act).toThrow(/schedules\.auditPitr: .*no Cloud Scheduler equivalent.*write a cron instead/);
  });
});

describe('schedules at the edges the mutation run found open', () => {
  it('accepts surrounding, inner and repeated spaces', () => {
    expect(parseAuditSchedule('  rate(1 hour)  ').maxIntervalMinutes).toBe(60);
    expect(parseAuditSchedule('cron( 0  12 * * ? * )').eventBridgeExpression).toBe('cron(0 12 * * ? *)');
    expect(parseAuditSchedule('0  */6 * * *').maxIntervalMinutes).toBe(360);
  });
  it('describes a rate and a daily cron by their cadence', () => {
    expect(parseAuditSchedule('rate(2 hours)').cadence).toEqual({ kind: 'rate', minutes: 120 });
    expect(parseAuditSchedule('cron(0 1 * * ? *)').cadence).toEqual({
      kind: 'daily-cron',
      minuteField: '0',
      hourField: '1',
    });
  });
  it('measures the gaps of hours listed out of order', () => {
    expect(parseAuditSchedule('cron(0 22,2 * * ? *)').maxIntervalMinutes).toBe(20 * 60);
  });
  it('accepts a gap of exactly 3.5 days and refuses one minute more', () => {
    expect(parseAuditSchedule(`rate(${MAX_AUDIT_INTERVAL_MINUTES} minutes)`).maxIntervalMinutes).toBe(5040);
    expect(reasonFor(`rate(${MAX_AUDIT_INTERVAL_MINUTES + 1} minutes)`)).toContain(
      'leaves 5041 minutes between runs',
    );
  });
  it('names the field and its bounds when a cron item is malformed, out of range, reversed or steps by 0, saying which', () => {
    expect(reasonFor('cron(x5 12 * * ? *)')).toBe(
      '"cron(x5 12 * * ? *)": the minute field "x5" is not a cron list of numbers, ranges and steps',
    );
    expect(reasonFor('cron(0 5x * * ? *)')).toBe(
      '"cron(0 5x * * ? *)": the hour field "5x" is not a cron list of numbers, ranges and steps',
    );
    expect(reasonFor('cron(60 12 * * ? *)')).toBe(
      '"cron(60 12 * * ? *)": the minute field "60" must stay within 0-59',
    );
    expect(reasonFor('cron(0 24 * * ? *)')).toBe(
      '"cron(0 24 * * ? *)": the hour field "24" must stay within 0-23',
    );
    expect(reasonFor('cron(0 5-3 * * ? *)')).toBe(
      '"cron(0 5-3 * * ? *)": the hour field "5-3" has a range that ends before it starts',
    );
    expect(reasonFor('cron(*/0 12 * * ? *)')).toBe(
      '"cron(*/0 12 * * ? *)": the minute field "*/0" steps by 0; a step must be at least 1',
    );
    expect(reasonFor('cron(0 0,6-18/0 * * ? *)')).toBe(
      '"cron(0 0,6-18/0 * * ? *)": the hour field "0,6-18/0" steps by 0 in "6-18/0"; a step must be at least 1',
    );
  });
  it('maps to a Cloud Scheduler cron only rates that divide the day, and refuses 90 minutes or 5 hours', () => {
    const cron = (expression: string) => () => toCloudSchedulerCron(parseAuditSchedule(expression));
    expect(cron('rate(2 hours)')()).toBe('0 */2 * * *');
    expect(cron('rate(90 minutes)')).toThrow(/no Cloud Scheduler equivalent/);
    expect(cron('rate(5 hours)')).toThrow(/no Cloud Scheduler equivalent/);
  });
});
