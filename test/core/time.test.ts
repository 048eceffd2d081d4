/**
 * The strict reading of ISO 8601 times written in tags and other text a person may edit
 * (functions/core/time.ts): what Date.parse would read as some other time is no time at all.
 */
import { describe, expect, it } from 'vitest';
import { isoTimeProblem, parseIsoTime } from '../../functions/core/time.ts';

describe('isoTimeProblem and parseIsoTime', () => {
  it.each([
    ['2026-12-01T23:59Z'],
    ['2026-12-01T00:00:00.000Z'],
    ['2026-12-01T23:59:59.999+02:00'],
    ['2028-02-29T12:00Z'],
  ])('reads %s as the time it names', (value) => {
    // Act / Assess
    expect(isoTimeProblem(value)).toBeUndefined();
    expect(parseIsoTime(value)).toBe(Date.parse(value));
  });

  it.each([
    // Date.parse reads hour 24 (minutes and seconds 0) as midnight of the next day; RFC 3339, which
    // toISOString writes our tags in, has time-hour 00-23.
    [
      '2026-12-01T24:00Z',
      'not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day',
    ],
    [
      '2026-12-01T24:00:00.000Z',
      'not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day',
    ],
    [
      '2026-12-01T24:00+01:00',
      'not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day',
    ],
    ['2026-12-01T24:30Z', 'not a time of day, as hours run 00 to 23'],
    ['2026-12-01T25:00Z', 'not a time of day, as hours run 00 to 23'],
    ['2026-12-01T23:60Z', 'not a time of day, as minutes run 00 to 59'],
    ['2026-11-31T00:00Z', 'not a calendar date, as 2026-11 has 30 days'],
    ['2026-12-01', 'not an ISO 8601 time'],
  ])('reads no time in %s: %s', (value, problem) => {
    // Act / Assess
    expect(isoTimeProblem(value)).toBe(problem);
    expect(parseIsoTime(value)).toBeNaN();
  });
});
