/**
 * The strict reading of ISO 8601 times written in tags and other text a person may edit
 * (functions/core/time.ts): what Date.parse would read as some other time is no time at all; and
 * the ISO text the checks write times in, which must be Date.prototype.toISOString's to the character.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, isoTimeProblem, isoTimeText, parseIsoTime } from '../../functions/core/time.ts';

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

describe('isoTimeText', () => {
  it.each([
    ['the epoch', 0],
    ['the last millisecond of 1969 (before the epoch)', -1],
    ['a leap day', Date.UTC(2028, 1, 29, 23, 59, 59, 999)],
    ['the day after a leap day', Date.UTC(2028, 2, 1)],
    ['1 March of a century year that is no leap year', Date.UTC(2100, 2, 1, 0, 0, 0, 1)],
    ['29 February 2000 (a leap year, divisible by 400)', Date.UTC(2000, 1, 29, 12, 34, 56, 78)],
    ['the last day of a year', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    ['year 9999, the last with four digits', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['year 10000 (six digits and a sign)', Date.UTC(10000, 0, 1)],
    ['a year before 1 AD (a negative year)', Date.UTC(-1, 0, 1)],
    ['year 0', Date.parse('0000-01-01T00:00:00.000Z')],
    ['the earliest time a Date holds', -8.64e15],
    ['the latest time a Date holds', 8.64e15],
  ])('writes %s as toISOString does', (_, time) => {
    // Prepare
    const date = new Date(time);
    // Act / Assess
    expect(isoTimeText(date)).toBe(date.toISOString());
  });

  it('writes every hour, minute, second and millisecond of days across four centuries as toISOString does', () => {
    // Prepare: a step of a prime number of milliseconds, so that the times fall on every field's values.
    const differing: string[] = [];
    for (let time = Date.UTC(1969, 0, 1); time < Date.UTC(2401, 0, 1); time += 7_919_993_311) {
      for (const offset of [0, 1, 999, 59_999, 3_599_999, DAY_MS - 1]) {
        const date = new Date(time + offset);
        // Act
        const text = isoTimeText(date);
        if (text !== date.toISOString()) differing.push(`${date.toISOString()} written ${text}`);
      }
    }
    // Assess
    expect(differing).toEqual([]);
  });

  it('refuses an invalid date as toISOString does', () => {
    // Act / Assess
    expect(() => isoTimeText(new Date(Number.NaN))).toThrow(RangeError);
  });
});
