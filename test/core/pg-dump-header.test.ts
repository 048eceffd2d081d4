import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PG_DUMP_HEADER_BYTES,
  type PgDumpHeader,
  type PgDumpHeaderResult,
  parsePgDumpHeader,
} from '../../functions/core/pg-dump-header.ts';

/** The first 4 KiB of a committed fixture (test/fixtures/pg-dump/make-fixtures.sh made them). */
function head(name: string, bytes = PG_DUMP_HEADER_BYTES): Uint8Array {
  return new Uint8Array(readFileSync(`test/fixtures/pg-dump/${name}`).subarray(0, bytes));
}

function headerOf(result: PgDumpHeaderResult): PgDumpHeader {
  if (result.kind !== 'header') throw new Error(`expected a header, got ${JSON.stringify(result)}`);
  return result.header;
}

const SERVER_15 = '15.18 (Debian 15.18-0+deb12u1)';

describe('parsePgDumpHeader on real pg_dump 15 archives (archive 1.14)', () => {
  it('reads version, sizes, format, gzip level -1, time, database and versions when the dump is compressed', () => {
    // Act
    const header = headerOf(parsePgDumpHeader(head('certctl-pg15.dump')));

    // Assess
    expect(header.archiveVersion).toEqual({ major: 1, minor: 14, revision: 0 });
    expect(header.archiveVersionText).toBe('1.14-0');
    expect(header).toMatchObject({ intSize: 4, offSize: 8, format: 'custom', formatCode: 1 });
    expect(header.compression).toEqual({ algorithm: 'gzip', level: -1 });
    expect(header.databaseName).toBe('certctl');
    expect(header.serverVersion).toBe(SERVER_15);
    expect(header.pgDumpVersion).toBe(SERVER_15);
    expect(header.createdLocal).toEqual({
      year: 2026,
      month: 12,
      day: 2,
      hour: 3,
      minute: 38,
      second: 54,
      isDst: 0,
    });
    expect(header.createdAsUtc?.toISOString()).toBe('2026-12-02T03:38:54.000Z');
    expect(header.length).toBe(133);
  });

  it('reads compression level 0 as none when the dump was made with -Z0', () => {
    const header = headerOf(parsePgDumpHeader(head('certctl-pg15-z0.dump')));
    expect(header.compression).toEqual({ algorithm: 'none', level: 0 });
    expect(header.format).toBe('custom');
  });

  it('reads the whole header when the archive body is cut after 1 KiB', () => {
    const header = headerOf(parsePgDumpHeader(head('certctl-pg15-truncated-body.dump')));
    expect(header.databaseName).toBe('certctl');
  });
});

describe('parsePgDumpHeader on real pg_dump 17 archives (archive 1.16)', () => {
  it('reads the one-byte gzip algorithm and the pg_dump 17 version when the dump is compressed', () => {
    const header = headerOf(parsePgDumpHeader(head('certctl-pg17.dump')));
    expect(header.archiveVersion).toEqual({ major: 1, minor: 16, revision: 0 });
    expect(header.compression).toEqual({ algorithm: 'gzip', algorithmCode: 1 });
    expect(header).toMatchObject({ intSize: 4, offSize: 8, format: 'custom' });
    expect(header.databaseName).toBe('certctl');
    expect(header.serverVersion).toBe(SERVER_15);
    expect(header.pgDumpVersion).toBe('17.12 (Debian 17.12-0+deb13u1)');
    expect(header.createdAsUtc?.toISOString()).toMatch(/^2026-12-02T03:38:5\d\.000Z$/);
    // One compression byte instead of a five-byte int: four bytes shorter than the 1.14 header.
    expect(header.length).toBe(129);
  });

  it('reads algorithm none when the dump was made with -Z0', () => {
    const header = headerOf(parsePgDumpHeader(head('certctl-pg17-z0.dump')));
    expect(header.compression).toEqual({ algorithm: 'none', algorithmCode: 0 });
  });

  it('reads algorithm zstd when the dump was made with -Z zstd', () => {
    const header = headerOf(parsePgDumpHeader(head('certctl-pg17-zstd.dump')));
    expect(header.compression).toEqual({ algorithm: 'zstd', algorithmCode: 3 });
  });

  it('reports the tar format code when given the toc.dat of a -Fd dump', () => {
    // pg_backup_directory.c _CloseArchive writes archTar (3) into toc.dat on purpose: the
    // directory layout is "compatible with tar", so it never writes archDirectory (5) there.
    const header = headerOf(parsePgDumpHeader(head('certctl-pg17-directory-toc.dat')));
    expect(header.format).toBe('tar');
    expect(header.formatCode).toBe(3);
  });
});

describe('parsePgDumpHeader on what is not a custom archive', () => {
  it('says truncated in the database name when the file ends at byte 52', () => {
    const result = parsePgDumpHeader(head('certctl-pg17-truncated-header.dump'));
    expect(result).toEqual({ kind: 'truncated', field: 'database name', available: 52 });
  });

  it('says truncated at each field when a real header is cut at every length', () => {
    // Prepare
    const full = head('certctl-pg17.dump');
    const length = headerOf(parsePgDumpHeader(full)).length;

    // Act
    const kinds = new Set<string>();
    for (let cut = 1; cut < length; cut += 1) kinds.add(parsePgDumpHeader(full.subarray(0, cut)).kind);

    // Assess
    expect([...kinds]).toEqual(['truncated']);
    expect(parsePgDumpHeader(full.subarray(0, length)).kind).toBe('header');
  });

  it('says empty when there are no bytes', () => {
    expect(parsePgDumpHeader(new Uint8Array())).toEqual({ kind: 'not-pg-dump', looksLike: 'empty' });
  });

  it('recognises a tar-format dump when given the head of pg_dump -Ft', () => {
    expect(parsePgDumpHeader(head('certctl-pg15-tar-head.bin'))).toEqual({
      kind: 'not-pg-dump',
      looksLike: 'tar',
    });
  });

  it('recognises a plain SQL dump when given the head of pg_dump -Fp', () => {
    expect(parsePgDumpHeader(head('certctl-pg15-plain-head.sql'))).toEqual({
      kind: 'not-pg-dump',
      looksLike: 'plain-sql',
    });
  });

  it('recognises gzip when given a gzipped plain dump', () => {
    expect(parsePgDumpHeader(head('certctl-pg15-plain.sql.gz'))).toEqual({
      kind: 'not-pg-dump',
      looksLike: 'gzip',
    });
  });

  it('never throws and never finds a header when given random bytes', () => {
    for (let round = 0; round < 200; round += 1) {
      const result = parsePgDumpHeader(new Uint8Array(randomBytes(1 + (round % 64) * 64)));
      expect(result.kind).not.toBe('header');
    }
  });

  it('never throws when random bytes follow the magic', () => {
    for (let round = 0; round < 500; round += 1) {
      // Prepare: a plausible version so parsing goes past the version check.
      const tail = randomBytes(round % 200);
      const bytes = new Uint8Array([0x50, 0x47, 0x44, 0x4d, 0x50, 1, 14, 0, ...tail]);
      // Act and Assess
      expect(() => parsePgDumpHeader(bytes)).not.toThrow();
    }
  });

  it('refuses an archive version above 1.16 when the header claims 1.17', () => {
    const bytes = new Uint8Array([0x50, 0x47, 0x44, 0x4d, 0x50, 1, 17, 0, 4, 8, 1, 0]);
    expect(parsePgDumpHeader(bytes)).toEqual({
      kind: 'unsupported-version',
      archiveVersion: { major: 1, minor: 17, revision: 0 },
    });
  });

  it('says malformed when intSize is above 32', () => {
    const bytes = new Uint8Array([0x50, 0x47, 0x44, 0x4d, 0x50, 1, 14, 0, 33, 8, 1]);
    expect(parsePgDumpHeader(bytes)).toEqual({ kind: 'malformed', detail: 'intSize 33 is outside 1-32' });
  });

  it('reads a NULL database name as absent when its length is negative', () => {
    // Prepare: the pg_dump 17 header with the database name's length set to -1.
    const bytes = new Uint8Array(head('certctl-pg17.dump'));
    // Offsets for intSize 4, version 1.16: the database name length is the int at 47 (sign byte 47).
    bytes.set([1, 1, 0, 0, 0], 47);
    const patched = new Uint8Array([...bytes.subarray(0, 52), ...bytes.subarray(52 + 7)]);

    // Act
    const header = headerOf(parsePgDumpHeader(patched));

    // Assess
    expect(header.databaseName).toBeUndefined();
    expect(header.serverVersion).toBe(SERVER_15);
  });
});

/** What a synthetic archive header holds; absent fields take the values of a small 1.16 header. */
interface HeaderSpec {
  readonly version?: readonly [number, number, number];
  readonly intSize?: number;
  readonly format?: number;
  readonly compression?: number;
  /** tm_sec, tm_min, tm_hour, tm_mday, tm_mon (0-11), tm_year (-1900), tm_isdst. */
  readonly time?: readonly number[];
  readonly database?: string | null;
  readonly server?: string;
  readonly pgDump?: string;
}

/** The bytes pg_dump writes for `spec` (WriteHead of pg_backup_archiver.c, version by version). */
function archiveHeader(spec: HeaderSpec = {}): Uint8Array {
  const [major, minor, revision] = spec.version ?? [1, 16, 0];
  const intSize = spec.intSize ?? 4;
  const atLeast = (m: number) => major > 1 || minor >= m;
  const signed = !(major === 1 && minor === 0 && revision === 0);
  const out: number[] = [0x50, 0x47, 0x44, 0x4d, 0x50, major, minor];
  if (major > 1 || (major === 1 && minor > 0)) out.push(revision);
  const int = (value: number) => {
    if (signed) out.push(value < 0 ? 1 : 0);
    let rest = Math.abs(value);
    for (let index = 0; index < intSize; index += 1) {
      out.push(rest % 256);
      rest = Math.floor(rest / 256);
    }
  };
  const text = (value: string | null) => {
    if (value === null) return int(-1);
    const bytes = new TextEncoder().encode(value);
    int(bytes.length);
    out.push(...bytes);
  };
  out.push(intSize);
  if (atLeast(7)) out.push(8);
  out.push(spec.format ?? 1);
  if (atLeast(15)) out.push(spec.compression ?? 1);
  else if (atLeast(4)) int(spec.compression ?? -1);
  else if (atLeast(2)) out.push(spec.compression ?? 6);
  if (atLeast(4)) {
    for (const value of spec.time ?? [54, 38, 3, 2, 11, 126, 0]) int(value);
    text(spec.database === undefined ? 'certctl' : spec.database);
  }
  if (atLeast(10)) {
    text(spec.server ?? '15.18');
    text(spec.pgDump ?? '17.12');
  }
  return new Uint8Array(out);
}

describe('parsePgDumpHeader across archive versions', () => {
  it('reads a 1.0 header: no revision, no sign bytes, gzip without a level, no time or names', () => {
    const header = headerOf(parsePgDumpHeader(archiveHeader({ version: [1, 0, 0] })));
    expect(header).toEqual({
      archiveVersion: { major: 1, minor: 0, revision: 0 },
      archiveVersionText: '1.0-0',
      intSize: 4,
      offSize: 4,
      format: 'custom',
      formatCode: 1,
      compression: { algorithm: 'gzip' },
      length: 9,
    });
  });

  it('reads the one-byte compression level of 1.2 and 1.3 headers', () => {
    expect(
      headerOf(parsePgDumpHeader(archiveHeader({ version: [1, 2, 0], compression: 0 }))).compression,
    ).toEqual({
      algorithm: 'none',
      level: 0,
    });
    expect(
      headerOf(parsePgDumpHeader(archiveHeader({ version: [1, 3, 0], compression: 6 }))).compression,
    ).toEqual({
      algorithm: 'gzip',
      level: 6,
    });
  });

  it('reads the time and database of a 1.4 header, with offSize equal to intSize before 1.7', () => {
    const header = headerOf(parsePgDumpHeader(archiveHeader({ version: [1, 4, 0], intSize: 8 })));
    expect(header).toMatchObject({
      offSize: 8,
      intSize: 8,
      compression: { algorithm: 'gzip', level: -1 },
      createdLocal: { year: 2026, month: 12, day: 2, hour: 3, minute: 38, second: 54, isDst: 0 },
      createdAsUtc: new Date('2026-12-02T03:38:54.000Z'),
      databaseName: 'certctl',
    });
    expect('serverVersion' in header).toBe(false);
    expect('pgDumpVersion' in header).toBe(false);
  });

  it('reads offSize from 1.7 and both versions from 1.10', () => {
    const header = headerOf(parsePgDumpHeader(archiveHeader({ version: [1, 10, 0], intSize: 4 })));
    expect(header).toMatchObject({ offSize: 8, serverVersion: '15.18', pgDumpVersion: '17.12' });
  });

  it('names every format code pg_dump writes and every compression algorithm of a 1.15 header', () => {
    const formats = [1, 2, 3, 4, 5].map(
      (format) => headerOf(parsePgDumpHeader(archiveHeader({ format }))).format,
    );
    expect(formats).toEqual(['custom', 'files', 'tar', 'null', 'directory']);
    const algorithms = [0, 1, 2, 3].map(
      (compression) => headerOf(parsePgDumpHeader(archiveHeader({ compression }))).compression.algorithm,
    );
    expect(algorithms).toEqual(['none', 'gzip', 'lz4', 'zstd']);
  });

  it('reads an unknown format code as format unknown, keeping the code', () => {
    expect(headerOf(parsePgDumpHeader(archiveHeader({ format: 9 })))).toMatchObject({
      format: 'unknown',
      formatCode: 9,
    });
  });

  it('reads an unknown compression algorithm code of a 1.15 header as unknown', () => {
    expect(headerOf(parsePgDumpHeader(archiveHeader({ compression: 9 }))).compression).toEqual({
      algorithm: 'unknown',
      algorithmCode: 9,
    });
  });

  it('refuses versions below 1.0 and above 1.16, and reads 1.16 itself', () => {
    expect(parsePgDumpHeader(archiveHeader({ version: [0, 9, 0] })).kind).toBe('unsupported-version');
    expect(parsePgDumpHeader(archiveHeader({ version: [2, 0, 0] }))).toEqual({
      kind: 'unsupported-version',
      archiveVersion: { major: 2, minor: 0, revision: 0 },
    });
    expect(parsePgDumpHeader(archiveHeader({ version: [1, 16, 3] })).kind).toBe('header');
  });

  it('reads a negative int through its sign byte', () => {
    const header = headerOf(parsePgDumpHeader(archiveHeader({ time: [54, 38, 3, 2, 11, 126, -1] })));
    expect(header.createdLocal?.isDst).toBe(-1);
  });

  it('says malformed when an 8-byte int does not fit an integer', () => {
    // Prepare: tm_sec with all eight bytes 0xff.
    const bytes = archiveHeader({ intSize: 8 });
    const secAt = 5 + 3 + 1 + 1 + 1 + 1 + 1;
    bytes.fill(0xff, secAt + 1, secAt + 9);
    // Act / Assess
    expect(parsePgDumpHeader(bytes)).toEqual({ kind: 'malformed', detail: 'tm_sec does not fit an integer' });
  });

  it('accepts intSize 1 and 32 and refuses 0 and 33', () => {
    expect(parsePgDumpHeader(archiveHeader({ intSize: 1, time: [1, 2, 3, 4, 5, 100, 0] })).kind).toBe(
      'header',
    );
    expect(parsePgDumpHeader(archiveHeader({ intSize: 32 })).kind).toBe('header');
    expect(parsePgDumpHeader(archiveHeader({ intSize: 0, time: [] }))).toEqual({
      kind: 'malformed',
      detail: 'intSize 0 is outside 1-32',
    });
    expect(parsePgDumpHeader(archiveHeader({ intSize: 33 })).kind).toBe('malformed');
  });

  it('reads an empty database name as empty and invalid UTF-8 without throwing', () => {
    expect(headerOf(parsePgDumpHeader(archiveHeader({ database: '' }))).databaseName).toBe('');
    const bytes = archiveHeader({ database: 'ab' });
    const at = bytes.indexOf(0x61);
    bytes[at] = 0xff;
    expect(headerOf(parsePgDumpHeader(bytes)).databaseName).toBe('\ufffdb');
    expect('databaseName' in headerOf(parsePgDumpHeader(archiveHeader({ database: null })))).toBe(false);
  });

  it('names the field it was reading when the header is cut short', () => {
    // Prepare
    const full = archiveHeader({ version: [1, 16, 0], intSize: 1 });
    // Act
    const fields: string[] = [];
    for (let cut = 5; cut < full.length; cut += 1) {
      const result = parsePgDumpHeader(full.subarray(0, cut));
      if (result.kind === 'truncated' && fields.at(-1) !== result.field) fields.push(result.field);
    }
    // Assess
    expect(fields).toEqual([
      'version major',
      'version minor',
      'version revision',
      'intSize',
      'offSize',
      'format',
      'compression algorithm',
      'tm_sec',
      'tm_min',
      'tm_hour',
      'tm_mday',
      'tm_mon',
      'tm_year',
      'tm_isdst',
      'database name length',
      'database name',
      'server version length',
      'server version',
      'pg_dump version length',
      'pg_dump version',
    ]);
    expect(
      parsePgDumpHeader(archiveHeader({ version: [1, 4, 0], intSize: 1 }).subarray(0, 11)),
    ).toMatchObject({
      field: 'compression level',
    });
    expect(parsePgDumpHeader(archiveHeader({ version: [1, 2, 0] }).subarray(0, 10))).toMatchObject({
      field: 'compression level',
    });
  });

  it('says the magic is cut when only its start is there, and not a dump when it differs', () => {
    expect(parsePgDumpHeader(new TextEncoder().encode('PGD'))).toEqual({
      kind: 'truncated',
      field: 'magic',
      available: 3,
    });
    expect(parsePgDumpHeader(new TextEncoder().encode('PGDMX-----')).kind).toBe('not-pg-dump');
    expect(parsePgDumpHeader(new TextEncoder().encode('PXXXX-----')).kind).toBe('not-pg-dump');
  });

  describe('the creation time', () => {
    /** createdAsUtc for a 1.16 header with these struct tm fields (month 1-12, full year). */
    const created = (
      year: number,
      month: number,
      day: number,
      hour: number,
      minute: number,
      second: number,
    ) =>
      headerOf(
        parsePgDumpHeader(archiveHeader({ time: [second, minute, hour, day, month - 1, year - 1900, 0] })),
      ).createdAsUtc;

    it('accepts every field at its limits', () => {
      expect(created(1970, 1, 1, 0, 0, 0)).toEqual(new Date('1970-01-01T00:00:00.000Z'));
      expect(created(9999, 12, 31, 23, 59, 59)).toEqual(new Date('9999-12-31T23:59:59.000Z'));
      expect(created(2026, 6, 15, 12, 30, 60)).toEqual(new Date('2026-06-15T12:31:00.000Z'));
    });

    it('refuses every field just outside its limits, and a day the month does not have', () => {
      const invalid = [
        created(1969, 12, 31, 23, 59, 59),
        created(10000, 1, 1, 0, 0, 0),
        created(2026, 0, 15, 12, 0, 0),
        created(2026, 13, 15, 12, 0, 0),
        created(2026, 6, 0, 12, 0, 0),
        created(2026, 6, 32, 12, 0, 0),
        created(2026, 6, 15, -1, 0, 0),
        created(2026, 6, 15, 24, 0, 0),
        created(2026, 6, 15, 12, -1, 0),
        created(2026, 6, 15, 12, 60, 0),
        created(2026, 6, 15, 12, 0, -1),
        created(2026, 6, 15, 12, 0, 61),
        created(2026, 2, 31, 12, 0, 0),
      ];
      expect(invalid).toEqual(Array(13).fill(undefined));
    });
  });
});

describe('what a file that is not a pg_dump archive looks like', () => {
  const looksLike = (bytes: number[] | string) =>
    parsePgDumpHeader(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : new Uint8Array(bytes));

  it('recognises zstd and gzip by all of their magic bytes', () => {
    expect(looksLike([0x28, 0xb5, 0x2f, 0xfd, 0x00])).toEqual({ kind: 'not-pg-dump', looksLike: 'zstd' });
    for (const near of [
      [0x28, 0xb5, 0x2f, 0x00],
      [0x28, 0xb5, 0x00, 0xfd],
      [0x28, 0x00, 0x2f, 0xfd],
      [0x00, 0xb5, 0x2f, 0xfd],
    ]) {
      expect(looksLike(near)).toEqual({ kind: 'not-pg-dump', looksLike: 'unknown' });
    }
    expect(looksLike([0x1f, 0x00])).toEqual({ kind: 'not-pg-dump', looksLike: 'unknown' });
    expect(looksLike([0x00, 0x8b])).toEqual({ kind: 'not-pg-dump', looksLike: 'unknown' });
  });

  it('calls text SQL only when a line starts like SQL and there is no NUL byte', () => {
    expect(looksLike('hello\nSET statement_timeout = 0;\n')).toEqual({
      kind: 'not-pg-dump',
      looksLike: 'plain-sql',
    });
    expect(looksLike('hello -- not at a line start')).toEqual({ kind: 'not-pg-dump', looksLike: 'unknown' });
    expect(looksLike('-- dump\u0000binary')).toEqual({ kind: 'not-pg-dump', looksLike: 'unknown' });
  });
});
