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
