/**
 * Field types shared by the scenario sections: account ids, region names, tags and times written
 * relative to the simulator clock (`-12d`, `-3h`, `-5m`), so a scenario never goes stale.
 */
import * as z from 'zod';

const ACCOUNT_ID = /^\d{12}$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const RELATIVE_TIME = /^([+-])((?:\d+(?:\.\d+)?[dhms])+)$/;
const RELATIVE_PART = /(\d+(?:\.\d+)?)([dhms])/g;
const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/**
 * A 12-digit AWS account id. YAML reads an unquoted `111111111111` as a number, so numbers are
 * accepted and turned back into the 12-digit string.
 */
export const accountIdSchema = z
  .union([z.string(), z.int().nonnegative()])
  .transform((value) => (typeof value === 'number' ? String(value).padStart(12, '0') : value))
  .pipe(z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id (quote it in YAML)'));

export const regionSchema = z.string().regex(AWS_REGION, 'must be an AWS region name such as eu-west-1');

/** `RegionOptStatus` values of the AWS Account API. */
export const REGION_OPT_STATUSES = [
  'ENABLED',
  'ENABLING',
  'DISABLING',
  'DISABLED',
  'ENABLED_BY_DEFAULT',
] as const;
export type RegionOptStatus = (typeof REGION_OPT_STATUSES)[number];

/** Tags as a map (`{ 'certctl:backup-guard': enabled }`), the way people write them. */
export const tagsSchema = z.record(z.string().min(1).max(128), z.string().max(256)).default({});

/** A point in time that is resolved against the simulator clock each time it is read. */
export interface SimTime {
  /** As written in the scenario (for messages). */
  readonly text: string;
  at(now: Date): Date;
}

/** `now + offsetMs` (negative offsets are in the past). */
export function relativeTime(offsetMs: number, text = `${offsetMs}ms`): SimTime {
  return { text, at: (now) => new Date(now.getTime() + offsetMs) };
}

export function absoluteTime(date: Date): SimTime {
  const fixed = new Date(date.getTime());
  return { text: fixed.toISOString(), at: () => fixed };
}

/** The later of several times (a restore window cannot start before the database existed). */
export function latestOf(...times: readonly SimTime[]): SimTime {
  return {
    text: `latest of ${times.map((time) => time.text).join(', ')}`,
    at: (now) => new Date(Math.max(...times.map((time) => time.at(now).getTime()))),
  };
}

/**
 * Parses `-12d`, `-3h`, `-5m`, `-30s`, combinations such as `-1d12h`, `now`, or an absolute ISO 8601
 * date. Returns undefined when the text is none of those.
 */
export function parseSimTime(text: string): SimTime | undefined {
  const trimmed = text.trim();
  if (trimmed === 'now') return relativeTime(0, 'now');
  const relative = RELATIVE_TIME.exec(trimmed);
  if (relative) {
    let offsetMs = 0;
    for (const part of (relative[2] ?? '').matchAll(RELATIVE_PART)) {
      offsetMs += Number(part[1]) * (UNIT_MS[part[2] ?? 's'] ?? 0);
    }
    return relativeTime(relative[1] === '-' ? -offsetMs : offsetMs, trimmed);
  }
  // Only full ISO dates: Date.parse would also accept loose forms such as "3" or "May 5".
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const parsed = Date.parse(trimmed);
    if (!Number.isNaN(parsed)) return absoluteTime(new Date(parsed));
  }
  return undefined;
}

/** A scenario time: relative to the simulator clock (`-12d`, `-3h`, `-5m`, `now`) or absolute ISO. */
export const simTimeSchema = z.union([z.string(), z.date()]).transform((value, context): SimTime => {
  if (value instanceof Date) return absoluteTime(value);
  const parsed = parseSimTime(value);
  if (parsed) return parsed;
  context.issues.push({
    code: 'custom',
    input: value,
    message: `"${value}" is not a time: write it relative to the simulator clock (-12d, -3h, -5m, now) or as an ISO 8601 date`,
  });
  return z.NEVER;
});
