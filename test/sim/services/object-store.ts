/**
 * What the S3 and Cloud Storage simulators share: objects seeded from a scenario, either one by one
 * (`objects`, a body from a fixture file or inline text) or as a generated series (`series`: N dumps
 * one cadence apart, all from one fixture, some cut short), with times relative to the simulator clock.
 *
 * ```yaml
 * objects:
 *   - { key: prod/readme.txt, body: "not a dump", lastModified: -2d }
 * series:
 *   - keyPrefix: prod/certctl-       # key = keyPrefix + zero-padded rank, oldest 0 + keySuffix
 *     keySuffix: .dump
 *     count: 35
 *     everyHours: 24
 *     newest: -8h
 *     fixture: test/fixtures/pg-dump/certctl-pg17.dump
 *     truncated: [0]                  # indexes from the newest (0) whose body is cut to truncatedBytes
 * ```
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as z from 'zod';
import { compareObjectKeys } from '../../../functions/core/dump-facts.ts';
import { parsePgDumpHeader } from '../../../functions/core/pg-dump-header.ts';
import { type SimTime, simTimeSchema } from '../scenario-fields.ts';

const HOUR_MS = 3_600_000;

const objectSchema = z
  .strictObject({
    key: z.string().min(1).max(1024),
    /** A file whose bytes are the body (relative to the working directory, e.g. a pg_dump fixture). */
    fixture: z.string().min(1).optional(),
    /** Inline text body. */
    body: z.string().optional(),
    /** Pads (with zero bytes) or cuts the body to this many bytes. */
    size: z
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .optional(),
    lastModified: simTimeSchema.prefault('-1h'),
    /**
     * `gzip`: stored gzip-compressed with `contentEncoding: gzip` (`gsutil cp -Z`, `gcloud storage cp
     * --gzip-local-all`); Cloud Storage only.
     */
    contentEncoding: z.literal('gzip').optional(),
  })
  .refine((object) => (object.fixture === undefined) !== (object.body === undefined), {
    message: 'give exactly one of fixture or body',
  });

const seriesSchema = z.strictObject({
  keyPrefix: z.string().default(''),
  keySuffix: z.string().default('.dump'),
  count: z.int().min(1).max(10_000),
  everyHours: z.number().positive().default(24),
  /** When the newest of the series was written. */
  newest: simTimeSchema.prefault('-1h'),
  fixture: z.string().min(1),
  /** Pads or cuts every body to this many bytes (the size a listing reports). */
  size: z
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .optional(),
  /** Indexes counted from the newest (0) whose bodies are cut to `truncatedBytes`. */
  truncated: z.array(z.int().min(0)).default([]),
  truncatedBytes: z.int().min(0).default(1024),
  /** Indexes counted from the newest (0) that are missing (a gap in the series). */
  missing: z.array(z.int().min(0)).default([]),
  /**
   * Rewrite each dump's header creation time (a UTC host) to 5 minutes before its upload, as a real
   * daily series has; otherwise every dump carries the fixture's own time.
   */
  stampCreated: z.boolean().default(false),
});

/** The `objects` and `series` fields of a simulated bucket. */
export const bucketContentsFields = {
  objects: z.array(objectSchema).default([]),
  series: z.array(seriesSchema).default([]),
};

export type ObjectScenario = z.output<typeof objectSchema>;
export type SeriesScenario = z.output<typeof seriesSchema>;

/** A stored object: its bytes, when it was written, and a stable ETag (the MD5, as S3 and GCS use). */
export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
  readonly lastModified: SimTime;
  readonly md5: Buffer;
  /** A written object's GCS generation (scenario objects derive theirs from lastModified). */
  readonly generation?: number;
  /** `gzip`: `body` is the stored gzip stream, served as Cloud Storage transcodes it. */
  readonly contentEncoding?: 'gzip';
}

const fixtureCache = new Map<string, Buffer>();

function fixtureBytes(path: string): Buffer {
  let bytes = fixtureCache.get(path);
  if (!bytes) {
    bytes = readFileSync(path);
    fixtureCache.set(path, bytes);
  }
  return bytes;
}

function sized(body: Buffer, size: number | undefined): Buffer {
  if (size === undefined || size === body.length) return body;
  if (size < body.length) return body.subarray(0, size);
  return Buffer.concat([body, Buffer.alloc(size - body.length)]);
}

export function stored(key: string, body: Buffer, lastModified: SimTime): StoredObject {
  return { key, body, lastModified, md5: createHash('md5').update(body).digest() };
}

/**
 * Every object of a bucket, sorted by key (the order S3 lists and GCS lists in). Series keys are
 * `keyPrefix + <zero-padded age rank> + keySuffix`, oldest first in key order, so lexicographic
 * order is chronological as for date-stamped dump names.
 */
export function bucketObjects(
  contents: {
    readonly objects: readonly ObjectScenario[];
    readonly series: readonly SeriesScenario[];
  },
  now: Date = new Date(),
): StoredObject[] {
  const all: StoredObject[] = contents.objects.map((object) => {
    const body = sized(
      object.fixture ? fixtureBytes(object.fixture) : Buffer.from(object.body ?? ''),
      object.size,
    );
    return object.contentEncoding === 'gzip'
      ? { ...stored(object.key, gzipSync(body), object.lastModified), contentEncoding: 'gzip' }
      : stored(object.key, body, object.lastModified);
  });
  for (const series of contents.series) {
    const full = sized(fixtureBytes(series.fixture), series.size);
    const width = String(series.count).length;
    for (let fromNewest = series.count - 1; fromNewest >= 0; fromNewest -= 1) {
      if (series.missing.includes(fromNewest)) continue;
      const offsetMs = fromNewest * series.everyHours * HOUR_MS;
      const lastModified: SimTime = {
        text: `${series.newest.text} - ${fromNewest * series.everyHours}h`,
        at: (now) => new Date(series.newest.at(now).getTime() - offsetMs),
      };
      const rank = String(series.count - 1 - fromNewest).padStart(width, '0');
      const whole = series.stampCreated
        ? withCreationTime(full, new Date(lastModified.at(now).getTime() - 5 * 60_000))
        : full;
      const body = series.truncated.includes(fromNewest) ? whole.subarray(0, series.truncatedBytes) : whole;
      all.push(stored(`${series.keyPrefix}${rank}${series.keySuffix}`, body, lastModified));
    }
  }
  return all.sort((a, b) => compareKeys(a.key, b.key));
}

/**
 * S3 and Cloud Storage list keys in the order of their UTF-8 bytes, as the audit reads them
 * (core/dump-facts.ts compareObjectKeys, which says why). Sorting and page tokens both compare keys
 * by this, so a page starts exactly after the previous page's last.
 */
export const compareKeys = compareObjectKeys;

/** pg_dump's ReadInt/WriteInt encoding: a sign byte, then `intSize` bytes little-endian. */
function encodeInt(value: number, intSize: number): number[] {
  const bytes = [value < 0 ? 1 : 0];
  let rest = Math.abs(value);
  for (let index = 0; index < intSize; index += 1) {
    bytes.push(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return bytes;
}

/**
 * A copy of a custom-format dump whose header `struct tm` (sec, min, hour, mday, mon, year, isdst)
 * says `at` in UTC. The fields are found by their encoded old values; bytes that are not such a
 * dump are returned as they are.
 */
export function withCreationTime(body: Buffer, at: Date): Buffer {
  const parsed = parsePgDumpHeader(body.subarray(0, 4096));
  if (parsed.kind !== 'header' || !parsed.header.createdLocal) return body;
  const { intSize, createdLocal: tm } = parsed.header;
  const encode = (fields: readonly number[]) =>
    Buffer.from(fields.flatMap((field) => encodeInt(field, intSize)));
  const old = encode([tm.second, tm.minute, tm.hour, tm.day, tm.month - 1, tm.year - 1900, tm.isDst]);
  const offset = body.indexOf(old);
  if (offset < 0) return body;
  const stamped = Buffer.from(body);
  encode([
    at.getUTCSeconds(),
    at.getUTCMinutes(),
    at.getUTCHours(),
    at.getUTCDate(),
    at.getUTCMonth(),
    at.getUTCFullYear() - 1900,
    0,
  ]).copy(stamped, offset);
  return stamped;
}

/**
 * A parsed `Range: bytes=a-b` (also `a-` and `-n`) against a body length, 'invalid' (416), or
 * undefined when the whole body is answered with 200, as if no range were asked.
 *
 * A suffix range longer than the body is the whole body (206, RFC 9110 section 14.1.1: "the entire
 * representation is used"). A suffix range of an empty body selects nothing yet is satisfiable
 * (a non-zero suffix-length): S3 answers 200 with Content-Length 0
 * (https://github.com/apache/arrow-rs-object-store/issues/846); Cloud Storage is answered the same
 * here, which its documentation does not state (the adapters read a 416 there as "no bytes" too).
 * A range from byte 0 of an empty body is 416 on both.
 */
export function byteRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'invalid';
    if (length === 0) return undefined;
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? length - 1 : Math.min(Number(match[2]), length - 1);
  if (start >= length || end < start) return 'invalid';
  return { start, end };
}
