import { describe, expect, it } from 'vitest';
import { dumpsIntegrityCheck } from '../../../functions/checks/dumps/integrity.ts';
import {
  type DumpFact,
  type DumpObject,
  type NewestDump,
  newestDumpRead,
} from '../../../functions/core/dump-facts.ts';
import {
  PG_DUMP_HEADER_BYTES,
  type PgDumpHeader,
  type PgDumpHeaderResult,
  parsePgDumpHeader,
} from '../../../functions/core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from '../../../functions/core/pg-dump-tail.ts';
import {
  cutsOf,
  DATA_ARCHIVES,
  fixtureBytes,
  SCHEMA_ONLY_ARCHIVES,
} from '../../fixtures/pg-dump/archives.ts';
import {
  checksumRead,
  dailySeries,
  fixtureHead,
  NEWEST_WRITTEN,
  newestOf,
  s3Fact,
  settingsWith,
  withChecksums,
} from './fixtures.ts';

/** A location whose newest object's first bytes are the given fixture's. */
function newestFrom(fixture: string, objects: readonly DumpObject[] = dailySeries(10)): DumpFact {
  return s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects, fixture) });
}

/** The daily series with the newest object changed. */
function withNewest(change: Partial<DumpObject>): DumpObject[] {
  const objects = dailySeries(10);
  const last = objects.pop() as DumpObject;
  return [...objects, { ...last, ...change }];
}

describe('dumps.integrity', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(dumpsIntegrityCheck.metadata).toMatchObject({
      id: 'dumps.integrity',
      group: 'dumps',
      severity: 'HIGH',
    });
  });

  it("compares the header's creation time with the store's date, not with this run's clock", () => {
    // Prepare: the run's clock two days behind the newest dump's upload (dumps.fresh and
    // dumps.retention are NOT_AVAILABLE on it); the header agrees with S3's date of the upload.
    const behind = { ...settingsWith(), now: new Date(NEWEST_WRITTEN.getTime() - 2 * 86_400_000) };
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump'), behind);
    // Assess: neither time is the audit's, so a clock behind proves nothing against them.
    expect(outcome?.status).toBe('PASSED');
  });

  it('passes with the header values observed when the newest is a pg_dump 17 custom archive of certctl', () => {
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump'), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      format: 'custom',
      archiveVersion: '1.16-0',
      databaseName: 'certctl',
      compression: 'gzip',
      pgDumpVersion: '17.12 (Debian 17.12-0+deb13u1)',
      sizeBytes: 6451,
      recentMedianBytes: 6451,
    });
    expect(outcome?.required).toEqual({ format: 'custom', databaseName: 'certctl' });
  });

  it('passes when the newest is an uncompressed pg_dump 15 archive', () => {
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg15-z0.dump'), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ archiveVersion: '1.14-0', compression: 'none' });
  });

  it('passes without comparing sizes when fewer than 3 earlier dumps exist', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', dailySeries(2)),
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: null });
    expect(outcome?.description).toContain('not compared yet');
  });

  it('is not available, not passed as a new series, when the listing did not send the sizes of the earlier dumps', () => {
    // Prepare: 9 earlier dumps, listed without their sizes; the newest one's size was sent.
    const objects = dailySeries(10).map((object, index) =>
      index < 9 ? { ...object, size: undefined } : object,
    );
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', objects), settingsWith());
    // Assess: before, PASSED 'Its size is not compared yet: fewer than 3 earlier dumps to compare
    // with', though 9 were listed: the sizes were not sent, not the dumps missing.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not check its size against the dumps before it (the listing did not send the size of 9 of them)',
    );
    expect(outcome?.description).not.toContain('fewer than 3 earlier dumps');
  });

  it('fails when the newest is a plain SQL dump', () => {
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg15-plain-head.sql'), settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ looksLike: 'plain-sql' });
    expect(outcome?.description).toContain('plain SQL script (pg_dump -Fp)');
  });

  it('fails when the newest is a tar-format dump', () => {
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg15-tar-head.bin'), settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ looksLike: 'tar' });
  });

  it('fails when the header says the tar format code', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17-directory-toc.dat'),
      settingsWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('format tar (3), not custom (1)');
  });

  it('is not available, not failed, when the ranged read returned fewer bytes than the listing says the object holds', () => {
    // Prepare: the listing says 6451 bytes, the read of the first 512 returned 52: a partial read,
    // not a 52-byte object.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17-truncated-header.dump', withNewest({ size: 6451 })),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the ranged read of prod/certctl-2026-12-02.dump returned only 52 of its 6451 bytes',
    );
  });

  it('is not available, not failed, when the ranged read returned 52 bytes of an object the listing gave no size for', () => {
    // Prepare: 52 bytes that end inside the header; without a listed size they may be a cut read.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17-truncated-header.dump', withNewest({ size: undefined })),
      settingsWith(),
    );
    // Assess: it FAILED 'is only 52 bytes and ends inside the archive header', observing sizeBytes 52.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the ranged read of prod/certctl-2026-12-02.dump returned only 52 bytes, and the listing did not say how many it holds',
    );
    expect(outcome?.observed).toMatchObject({ bytesRead: 52, sizeBytes: null });
  });

  it('is not available, not failed as empty, when the read returned no bytes of an object listed with some', () => {
    // Prepare
    const objects = withNewest({ size: 6451 });
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects.at(-1) as DumpObject,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('fails with the size when the newest object ends inside the header', () => {
    // Act: the listing agrees that the object holds only those 52 bytes.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17-truncated-header.dump', withNewest({ size: 52 })),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ sizeBytes: 52 });
    expect(outcome?.description).toContain(
      'only 52 bytes and ends inside the archive header (at its database name)',
    );
  });

  it('fails when the archive holds another database than the policy names', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump'),
      settingsWith({ databaseName: 'certctl_prod' }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('dump of database "certctl", not "certctl_prod"');
  });

  it('fails when the object was written 3 days after the header creation time', () => {
    // Prepare
    const objects = withNewest({ lastModified: new Date(NEWEST_WRITTEN.getTime() + 3 * 86_400_000) });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('an older archive under a newer name?');
  });

  it('passes when the header time is 14 h ahead of the upload, as a dump made in UTC+14 is', () => {
    const objects = withNewest({ lastModified: new Date('2026-12-01T13:40:00.000Z') });
    expect(
      dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', objects), settingsWith())?.status,
    ).toBe('PASSED');
  });

  it('fails with the median when the newest is under half the recent median size', () => {
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', withNewest({ size: 3000 })),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ sizeBytes: 3000, recentMedianBytes: 6451 });
    expect(outcome?.description).toContain('less than half the median 6451 bytes of the 7 dumps before it');
  });

  it('passes when the newest is just over half the median size', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', withNewest({ size: 3226 })),
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
  });

  it('is not available when the ranged GET was denied', () => {
    const objects = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[9] as DumpObject,
        header: { state: 'unknown', reason: 'AccessDenied' },
        tail: { state: 'unknown', reason: 'AccessDenied' },
      },
    });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('could not be read (AccessDenied)');
  });

  it('is not available when there is no dump to inspect', () => {
    const fact = s3Fact({ listing: { state: 'read', objects: [], complete: true }, newest: undefined });
    expect(dumpsIntegrityCheck.evaluate(fact, settingsWith())?.status).toBe('NOT_AVAILABLE');
  });

  it('is not available when the listing did not send the size', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', withNewest({ size: undefined })),
      settingsWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the object size');
  });

  it('is not available when the archive version is newer than this audit reads', () => {
    // Prepare
    const bytes = fixtureHead('certctl-pg17.dump');
    bytes[6] = 17;
    const objects = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[9] as DumpObject,
        header: { state: 'read', result: parsePgDumpHeader(bytes), bytesRead: bytes.length },
        tail: { state: 'unknown', reason: 'not read' },
      },
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ archiveVersion: '1.17' });
  });
});

/**
 * A location whose newest object is `fixture` (cut after `length` bytes when given), listed with
 * that size, written two minutes after its header says it was made, after `earlier` daily dumps of
 * the fixture's whole size.
 */
function seriesOf(fixture: string, earlier: number, length?: number): DumpFact {
  const bytes = fixtureBytes(fixture, length);
  const whole = fixtureBytes(fixture).length;
  const header = parsePgDumpHeader(bytes.subarray(0, PG_DUMP_HEADER_BYTES));
  if (header.kind !== 'header' || !header.header.createdAsUtc) throw new Error(`${fixture} has no header`);
  const written = new Date(header.header.createdAsUtc.getTime() + 120_000);
  const objects = Array.from({ length: earlier + 1 }, (_, index) => ({
    key: `prod/certctl-${index}.dump`,
    size: index === earlier ? bytes.length : whole,
    lastModified: new Date(written.getTime() - (earlier - index) * 86_400_000),
  }));
  return s3Fact({
    listing: { state: 'read', objects, complete: true },
    newest: newestOf(objects, fixture, length),
  });
}

describe('dumps.integrity on the end of the archive (its last bytes, no history needed)', () => {
  it.each(DATA_ARCHIVES)('passes when the newest is the whole real archive %s', (fixture) => {
    const outcome = dumpsIntegrityCheck.evaluate(seriesOf(fixture, 7), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('ends as a whole custom archive ends');
    expect(outcome?.observed).toMatchObject({ endsWhole: true, holdsData: true });
  });

  it('is not available, not passed, when an archive older than 1.7 ends with an int 0, which may end its table of contents', () => {
    // Prepare: a 1.6 archive (offsets written as ints) whose last bytes are zero: a data block's end
    // marker, or its last TOC entry's offset 0 (no data): which one its last bytes cannot tell.
    const header: PgDumpHeader = {
      ...fixtureHeader(),
      archiveVersion: { major: 1, minor: 6, revision: 0 },
      archiveVersionText: '1.6-0',
      offSize: 4,
    };
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestReading({ kind: 'header', header }), settingsWith());
    // Assess: before, it PASSED with holdsData true.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not check whether it holds table data (archive version 1.6-0 is older than 1.7',
    );
    expect(outcome?.observed).toMatchObject({ endsWhole: true, holdsData: null });
  });

  it.each(SCHEMA_ONLY_ARCHIVES)(
    'fails, saying it holds no table data, when the newest and every dump before it is the whole --schema-only archive %s',
    (fixture) => {
      // Prepare: a series of schema-only dumps (a job run with --schema-only from the start), so
      // the size comparison sees nothing smaller than usual; its last bytes, read already, are its
      // last TOC entry's (the deps list's end, then the K_OFFSET_NO_DATA offset), not a data block's.
      const fact = seriesOf(fixture, 7);
      // Act
      const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
      // Assess: before, it PASSED.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'it ends with its table of contents, with no data block after it: it holds no table data, so a restore brings back the schema and no rows (a pg_dump --schema-only or --section=pre-data/post-data dump, or a data dump cut right after its table of contents)',
      );
      expect(outcome?.observed).toMatchObject({ endsWhole: true, holdsData: false });
    },
  );

  it('fails as truncated when the first dump of a new series is cut mid-archive, with no earlier dump to compare', () => {
    // Prepare: a new bucket holding one dump, cut after 4000 of its 6451 bytes.
    const fact = seriesOf('certctl-pg17.dump', 0, cutsOf('certctl-pg17.dump')[2]);

    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());

    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'the newest dump prod/certctl-0.dump is not what a restore needs: it ends mid-archive: truncated (3225 bytes; a whole custom archive ends with 5 zero bytes',
    );
    expect(outcome?.observed).toMatchObject({
      key: 'prod/certctl-0.dump',
      sizeBytes: 3225,
      endsWhole: false,
    });
  });

  it('fails as truncated when the newest is cut to just over half the median size', () => {
    // Prepare: 6451-byte dumps before it; the newest cut to 3226 bytes, above half the median.
    const outcome = dumpsIntegrityCheck.evaluate(seriesOf('certctl-pg17.dump', 7, 3226), settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('ends mid-archive: truncated (3226 bytes;');
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: 6451 });
  });

  it.each([
    'certctl-pg15.dump',
    'certctl-pg17-zstd.dump',
    'certctl-pg17-schema-only.dump',
    'certctl-pg15-blobs.dump',
  ])('fails as truncated at every cut of the real archive %s', (fixture) => {
    const statuses = cutsOf(fixture).map((cut) => {
      const outcome = dumpsIntegrityCheck.evaluate(seriesOf(fixture, 0, cut), settingsWith());
      return `${cut}: ${outcome?.status} ${outcome?.description.includes('ends mid-archive: truncated')}`;
    });
    expect(statuses).toEqual(cutsOf(fixture).map((cut) => `${cut}: FAILED true`));
  });

  it('names no byte of the dump when it fails as truncated', () => {
    const outcome = dumpsIntegrityCheck.evaluate(seriesOf('certctl-pg17.dump', 0, 3000), settingsWith());
    const tail = fixtureBytes('certctl-pg17.dump', 3000).subarray(-8);
    const hex = Buffer.from(tail).toString('hex');
    expect(outcome?.status).toBe('FAILED');
    expect(JSON.stringify(outcome)).not.toContain(hex);
    expect(JSON.stringify(outcome)).not.toContain(hex.slice(0, 8));
  });

  it('is not available, never passed, when the read of the last bytes failed', () => {
    // Prepare
    const fact = seriesOf('certctl-pg17.dump', 7);
    const newest = fact.newest as NewestDump;

    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      { ...fact, newest: { ...newest, tail: { state: 'unknown', reason: 'AccessDenied' } } },
      settingsWith(),
    );

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not check whether it ends as a whole archive (its last bytes could not be read: AccessDenied)',
    );
  });

  it('is not available when the read of the last bytes returned fewer than the object holds', () => {
    const fact = seriesOf('certctl-pg17.dump', 7);
    const newest = fact.newest as NewestDump;
    const outcome = dumpsIntegrityCheck.evaluate(
      { ...fact, newest: { ...newest, tail: { state: 'read', bytes: new Uint8Array(3) } } },
      settingsWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the read of its last bytes returned 3 of the 64 asked for');
  });

  it('still fails on the header when the read of the last bytes failed', () => {
    const fact = seriesOf('certctl-pg17.dump', 7);
    const newest = fact.newest as NewestDump;
    const outcome = dumpsIntegrityCheck.evaluate(
      { ...fact, newest: { ...newest, tail: { state: 'unknown', reason: 'AccessDenied' } } },
      settingsWith({ databaseName: 'certctl_prod' }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('Could not check whether it ends as a whole archive');
  });
});

/** The pg_dump 17 fixture's header (made 2026-12-02 03:38:54 in the dump host's local time). */
function fixtureHeader(): PgDumpHeader {
  const result = parsePgDumpHeader(fixtureHead('certctl-pg17.dump'));
  if (result.kind !== 'header') throw new Error('the fixture has no header');
  return result.header;
}

/** A location whose newest object (the last of `objects`) reads as `result` from `bytesRead` bytes. */
function newestReading(
  result: PgDumpHeaderResult,
  objects: readonly DumpObject[] = dailySeries(10),
  bytesRead = PG_DUMP_HEADER_BYTES,
): DumpFact {
  return s3Fact({
    listing: { state: 'read', objects, complete: true },
    newest: {
      object: objects.at(-1) as DumpObject,
      header: { state: 'read', result, bytesRead },
      // The header is the pg_dump 17 fixture's; so are the last bytes, which end it whole.
      tail: { state: 'read', bytes: fixtureBytes('certctl-pg17.dump').subarray(-PG_DUMP_TAIL_BYTES) },
    },
  });
}

/** Earlier dumps of the given sizes, a day apart, then the newest of `newestSize` bytes. */
function sizedSeries(earlier: readonly (number | undefined)[], newestSize: number): DumpObject[] {
  const objects = dailySeries(earlier.length + 1);
  return objects.map((object, index) => ({
    ...object,
    size: index < earlier.length ? earlier[index] : newestSize,
  }));
}

const NEWEST_KEY = dailySeries(10).at(-1)?.key;

describe('dumps.integrity descriptions and boundaries', () => {
  it('is not available naming the reason when the listing failed', () => {
    const fact = s3Fact({ listing: { state: 'unknown', reason: 'AccessDenied on ListObjectsV2' } });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the listing failed (AccessDenied on ListObjectsV2)');
  });

  it('is not available pointing at dumps.fresh when the location holds no dump', () => {
    const fact = s3Fact({ listing: { state: 'read', objects: [], complete: true }, newest: undefined });
    expect(dumpsIntegrityCheck.evaluate(fact, settingsWith())?.description).toContain(
      'there is no dump to inspect (dumps.fresh reports it)',
    );
  });

  it('fails as empty, not unavailable, when the listing says the newest is 0 bytes though its bytes could not be read', () => {
    // Prepare: GetObject denied; the listing alone shows the last run uploaded nothing.
    const objects = withNewest({ size: 0 });
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[9] as DumpObject,
        header: { state: 'unknown', reason: 'AccessDenied' },
        tail: { state: 'unknown', reason: 'AccessDenied' },
      },
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(`${NEWEST_KEY} is empty`);
    expect(outcome?.observed).toEqual({ key: NEWEST_KEY, sizeBytes: 0 });
  });

  it('observes the key when the first bytes could not be read', () => {
    const objects = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[9] as DumpObject,
        header: { state: 'unknown', reason: 'AccessDenied' },
        tail: { state: 'unknown', reason: 'AccessDenied' },
      },
    });
    expect(dumpsIntegrityCheck.evaluate(fact, settingsWith())?.observed).toEqual({ key: NEWEST_KEY });
  });

  it('fails naming the detail when the header is malformed', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestReading({ kind: 'malformed', detail: 'intSize 0 is outside 1-8' }),
      settingsWith(),
    );
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `s3://certctl-dumps/prod/: ${NEWEST_KEY} starts with PGDMP but its header is malformed: intSize 0 is outside 1-8.`,
      observed: { key: NEWEST_KEY },
    });
  });

  it('is not available when a whole header-sized read still ends inside the header', () => {
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      newestReading({ kind: 'truncated', field: 'database name', available: PG_DUMP_HEADER_BYTES }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `the header of ${NEWEST_KEY} does not fit in its first ${PG_DUMP_HEADER_BYTES} bytes`,
    );
  });

  it('fails when the header claims an archive version below 1.0', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestReading({ kind: 'unsupported-version', archiveVersion: { major: 0, minor: 9, revision: 0 } }),
      settingsWith(),
    );
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `s3://certctl-dumps/prod/: ${NEWEST_KEY} claims archive version 0.9, which no pg_dump writes.`,
      observed: { key: NEWEST_KEY, archiveVersion: '0.9' },
    });
  });

  it('says which archive version it reads when the dump is newer', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestReading({ kind: 'unsupported-version', archiveVersion: { major: 1, minor: 17, revision: 0 } }),
      settingsWith(),
    );
    expect(outcome?.description).toContain(
      `${NEWEST_KEY} is archive version 1.17, newer than the 1.16 this audit reads`,
    );
  });

  it('describes a whole archive with its version, compression, database and pg_dump', () => {
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump'), settingsWith());
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the newest dump ${NEWEST_KEY} is a pg_dump custom archive (version 1.16-0, gzip) of database "certctl", made by pg_dump 17.12 (Debian 17.12-0+deb13u1), written when its header says, ends as a whole custom archive ends, and is of a usual size.`,
    );
    expect(outcome?.observed).toMatchObject({
      key: NEWEST_KEY,
      endsWhole: true,
      createdLocal: '2026-12-02T03:38:54',
      lastModified: '2026-12-02T03:40:00.000Z',
      serverVersion: '15.18 (Debian 15.18-0+deb12u1)',
    });
  });

  it('says the pg_dump version was not recorded when the header has none', () => {
    const header = { ...fixtureHeader(), pgDumpVersion: undefined };
    const outcome = dumpsIntegrityCheck.evaluate(newestReading({ kind: 'header', header }), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('made by pg_dump (version not recorded), written');
    expect(outcome?.observed).toMatchObject({ pgDumpVersion: null });
  });

  it('ends the PASSED description with the note, claiming no usual size, when sizes are not compared yet', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', dailySeries(3)),
      settingsWith(),
    );
    expect(outcome?.description).toMatch(
      /written when its header says, ends as a whole custom archive ends\. Its size is not compared yet: fewer than 3 earlier dumps to compare with\.$/,
    );
    expect(outcome?.description).not.toContain('usual size');
  });

  it('compares sizes when exactly 3 earlier dumps exist', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([6000, 6000, 6000], 2000)),
      settingsWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: 6000 });
  });

  it('takes the median of an even number of unsorted earlier sizes', () => {
    // Prepare: median of 100, 200, 300, 400 is 250; half of it is 125.
    const sizes = [100, 400, 200, 300];
    // Act
    const under = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries(sizes, 124)),
      settingsWith(),
    );
    const over = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries(sizes, 125)),
      settingsWith(),
    );
    // Assess
    expect(under?.status).toBe('FAILED');
    expect(under?.observed).toMatchObject({ recentMedianBytes: 250 });
    expect(over?.status).toBe('PASSED');
  });

  it('takes the middle of an odd number of unsorted earlier sizes', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([500, 100, 300, 900, 200], 1000)),
      settingsWith(),
    );
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: 300 });
  });

  it('compares with the 7 dumps before the newest only', () => {
    // Prepare: 8 earlier dumps; the oldest (1 byte) is beyond the 7, whose median is 500.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([1, 200, 300, 400, 500, 600, 700, 800], 150)),
      settingsWith(),
    );
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: 500 });
    expect(outcome?.description).toContain('less than half the median 500 bytes of the 7 dumps before it');
  });

  it('leaves out earlier dumps without a size and the newest itself from the median', () => {
    // Prepare: earlier sizes 100, (none), 300, 500 give the median 300; the newest is 50 bytes.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([100, undefined, 300, 500], 50)),
      settingsWith(),
    );
    expect(outcome?.observed).toMatchObject({ sizeBytes: 50, recentMedianBytes: 300 });
  });

  it('leaves empty earlier objects out of the median, so failed runs do not hide a cut newest dump', () => {
    // Prepare: four of the seven earlier runs uploaded 0-byte objects; with them the median is 0
    // and a 1000-byte newest dump of a 6451-byte series would pass.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([6451, 0, 0, 6451, 0, 0, 6451], 1000)),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ sizeBytes: 1000, recentMedianBytes: 6451 });
    expect(outcome?.description).toContain('less than half the median 6451 bytes of the 3 dumps before it');
  });

  it('does not compare the newest dump with itself', () => {
    // Two earlier dumps and the newest: too few to compare, although the listing holds three.
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', sizedSeries([6000, 6000], 10)),
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: null });
  });

  it('matches a database name as PostgreSQL does, by its first 63 bytes, when a multibyte name is longer', () => {
    // Prepare: a database created as 40 Cyrillic letters (80 bytes) is stored as its first 31
    // (62 bytes: 63 cut at a character boundary). pg_dump writes the name it connected with, so a
    // job that names the database as listed writes the 31, one that names it as created the 40.
    const created = 'б'.repeat(40);
    const stored = 'б'.repeat(31);
    const header = (databaseName: string) =>
      newestReading({ kind: 'header', header: { ...fixtureHeader(), databaseName } });
    // Act
    const asListed = dumpsIntegrityCheck.evaluate(header(stored), settingsWith({ databaseName: created }));
    const asCreated = dumpsIntegrityCheck.evaluate(header(created), settingsWith({ databaseName: stored }));
    const other = dumpsIntegrityCheck.evaluate(
      header(`${'б'.repeat(30)}в`),
      settingsWith({ databaseName: created }),
    );
    // Assess
    expect(asListed?.status).toBe('PASSED');
    expect(asCreated?.status).toBe('PASSED');
    expect(other?.status).toBe('FAILED');
  });

  it('is not available when the header stores no database name', () => {
    const header = { ...fixtureHeader(), databaseName: undefined };
    const outcome = dumpsIntegrityCheck.evaluate(newestReading({ kind: 'header', header }), settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `the newest dump ${NEWEST_KEY} is a custom archive, but could not check the database name (the header stores none)`,
    );
  });

  it('is not available when the header stores no creation time', () => {
    // Prepare: archives before 1.4 store neither a creation time nor a database name
    // (pg_backup_archiver.c ReadHead), so the header has neither.
    const { createdLocal, createdAsUtc, databaseName, ...rest } = fixtureHeader();
    const header: PgDumpHeader = {
      ...rest,
      archiveVersion: { major: 1, minor: 3, revision: 0 },
      archiveVersionText: '1.3-0',
    };
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestReading({ kind: 'header', header }), settingsWith());
    // Assess: before, a made-up header kept its valid fields and was said "not a valid date".
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the creation time in the header (the header stores none)');
    expect(outcome?.description).not.toContain('not a valid date');
    expect(outcome?.observed).toMatchObject({ createdLocal: null });
  });

  it('is not available, saying the fields it read, when the header creation time is not a valid date', () => {
    // Prepare: the pg_dump 17 fixture with tm_mon 12 (month 13), as dumps.fresh judges it.
    const bytes = Uint8Array.from(fixtureBytes('certctl-pg17.dump'));
    bytes[33] = 12;
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestReading(parsePgDumpHeader(bytes)), settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not check the creation time in the header (its fields read 2026-13-02 03:38:54, not a valid date)',
    );
    expect(outcome?.observed).toMatchObject({ createdLocal: null });
  });

  it('is not available when the listing did not say when the newest was written', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17.dump', withNewest({ lastModified: undefined })),
      settingsWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain("could not check the object's modification time");
    expect(outcome?.observed).toMatchObject({ lastModified: null });
  });

  it('accepts an upload exactly 14 h before and exactly 12 h plus one cadence after the header time', () => {
    const created = Date.parse('2026-12-02T03:38:54.000Z');
    const at = (ms: number) =>
      dumpsIntegrityCheck.evaluate(
        newestFrom('certctl-pg17.dump', withNewest({ lastModified: new Date(ms) })),
        settingsWith(),
      )?.status;
    expect(at(created - 14 * 3_600_000)).toBe('PASSED');
    expect(at(created - 14 * 3_600_000 - 1000)).toBe('FAILED');
    expect(at(created + 36 * 3_600_000)).toBe('PASSED');
    expect(at(created + 36 * 3_600_000 + 1000)).toBe('FAILED');
  });

  it('fails naming both times and what could not be checked when the upload is far from the header time', () => {
    // Prepare
    const header = { ...fixtureHeader(), databaseName: undefined };
    const objects = withNewest({ lastModified: new Date('2026-12-05T03:40:00.000Z') });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      newestReading({ kind: 'header', header }, objects),
      settingsWith(),
    );
    // Assess
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the newest dump ${NEWEST_KEY} is not what a restore needs: its header says it was made 2026-12-02 03:38:54 (dump host's local time) but the object was written 2026-12-05T03:40:00.000Z, further apart than any time zone and one cadence explain: an older archive under a newer name?. Could not check the database name (the header stores none).`,
    );
  });

  it('fails with every problem joined and nothing unread appended', () => {
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom(
        'certctl-pg17.dump',
        withNewest({ size: 3000, lastModified: new Date('2026-12-05T03:40:00.000Z') }),
      ),
      settingsWith(),
    );
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the newest dump ${NEWEST_KEY} is not what a restore needs: its header says it was made 2026-12-02 03:38:54 (dump host's local time) but the object was written 2026-12-05T03:40:00.000Z, further apart than any time zone and one cadence explain: an older archive under a newer name?; it is 3000 bytes, less than half the median 6451 bytes of the 7 dumps before it (a cut upload or a dump of an emptied database).`,
    );
  });
});

describe('dumps.integrity on a listing cut at the bound', () => {
  it('is not available when the listing stopped at maxObjectsListed, since the newest listed may not be the newest', () => {
    // Prepare: S3 lists keys in order, so a date-named series cut at the bound holds its oldest
    // dumps; the newest of them is a healthy archive, but newer dumps lie beyond the bound.
    const objects = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: false },
      newest: newestOf(objects),
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('maxObjectsListed');
  });
});

describe('dumps.integrity and the compression algorithm', () => {
  it('is not available when the header names a compression algorithm no pg_dump this audit knows writes', () => {
    // Prepare: byte 11 of a 1.16 header is the algorithm; pg_restore warns that no data will be
    // available for an algorithm it does not support, so this archive is not shown restorable.
    const bytes = fixtureHead('certctl-pg17.dump');
    bytes[11] = 9;
    const fact = newestReading(parsePgDumpHeader(bytes));
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('compression');
  });
});

describe('dumps.integrity with checksum files beside the dumps and no suffix set', () => {
  it('is not available, naming the newest dump and the suffix setting, when the bytes read are those of the checksum of a listed dump', () => {
    // Prepare: the newest object is prod/certctl-2026-12-02.dump.sha256, what `sha256sum` writes,
    // and its bytes are the ones read (as the collectors read before).
    const objects = withChecksums(dailySeries(10));
    const checksum = objects.at(-1) as DumpObject;
    const line = new TextEncoder().encode(`${'ab'.repeat(32)}  certctl-2026-12-02.dump\n`);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestDumpRead(checksum, line, { state: 'read', bytes: line }),
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, FAILED as an object that 'does not start with the pg_dump magic PGDMP'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      key: 'prod/certctl-2026-12-02.dump',
      bytesReadOf: 'prod/certctl-2026-12-02.dump.sha256',
    });
    expect(outcome?.description).toContain(
      "the newest object that may be a dump, prod/certctl-2026-12-02.dump, was not read: the bytes read are those of prod/certctl-2026-12-02.dump.sha256, by its key a checksum, signature or log beside it, which show nothing of a dump; set the location's `suffix` (`.dump`) so that only dumps count",
    );
  });

  it('is not available, naming the newest dump, when the bytes read are those of a checksum of a dump not listed', () => {
    // Prepare: the newest object, prod/certctl-2026-12-02.sha256, names no listed dump; its bytes,
    // read, are no pg_dump archive. The newest object that may be a dump is the one before it.
    const objects = withNewest({ key: 'prod/certctl-2026-12-02.sha256' });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg15-plain-head.sql', objects),
      settingsWith(),
    );
    // Assess: before, FAILED 'prod/certctl-2026-12-02.sha256 is a plain SQL script', a checksum
    // judged as the dump, while dumps.fresh judged the dump before it.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ key: 'prod/certctl-2026-12-01.dump' });
    expect(outcome?.description).toContain(
      "the newest object that may be a dump, prod/certctl-2026-12-01.dump, was not read: the bytes read are those of prod/certctl-2026-12-02.sha256, by its key a checksum, signature or log of a dump not listed (prod/certctl-2026-12-02.*), which show nothing of a dump; set the location's `suffix` (`.dump`) so that only dumps count",
    );
  });

  it('still fails an empty newest dump behind the checksum read, as the listing alone shows it', () => {
    // Prepare: the newest dump is empty (a failed run's upload); its checksum, newer, was read.
    const dumps = dailySeries(10);
    const emptied = [...dumps.slice(0, -1), { ...(dumps.at(-1) as DumpObject), size: 0 }];
    const objects = withChecksums(emptied);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: checksumRead(objects.at(-1) as DumpObject),
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('prod/certctl-2026-12-02.dump is empty (the listing says 0 bytes');
  });

  it('judges the newest dump read behind a newer checksum, and says what it passed over', () => {
    // Prepare: the collectors read the newest object that may be a dump, not the checksum after it.
    const dumps = dailySeries(10);
    const objects = withChecksums(dumps);
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(dumps) });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED without a word of the newer checksum.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      key: 'prod/certctl-2026-12-02.dump',
      newerChecksums: 1,
      recentMedianBytes: 6451,
    });
    expect(outcome?.description).toContain(
      "The newer object prod/certctl-2026-12-02.dump.sha256 is, by its key, a checksum, signature or log beside the dump prod/certctl-2026-12-02.dump, not a dump, so it was not read; set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('fails a cut newest dump behind newer checksums, naming them', () => {
    // Prepare: the newest dump is cut mid-archive; after it come its checksum and the checksum of a
    // dump that was not uploaded.
    const dumps = dailySeries(10);
    const cut = cutsOf('certctl-pg17.dump')[2] as number;
    const shortened = [...dumps.slice(0, -1), { ...(dumps.at(-1) as DumpObject), size: cut }];
    const last = shortened.at(-1) as DumpObject & { lastModified: Date };
    const objects = [
      ...withChecksums(shortened),
      {
        key: 'prod/certctl-2026-12-03.dump.sha256',
        size: 96,
        lastModified: new Date(last.lastModified.getTime() + 120_000),
      },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(shortened, 'certctl-pg17.dump', cut),
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ key: 'prod/certctl-2026-12-02.dump', newerChecksums: 2 });
    expect(outcome?.description).toContain('ends mid-archive: truncated');
    expect(outcome?.description).toContain(
      "The 2 newer objects (the newest prod/certctl-2026-12-03.dump.sha256) are, by their keys, checksums, signatures or logs beside listed dumps or of dumps not listed, not dumps, so they were not read; set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('judges the newest dump, not waiting on a checksum the listing did not date', () => {
    // Prepare: a checksum with no LastModified sent; by its key it is no dump, newer or not.
    const dumps = dailySeries(10);
    const objects = [
      ...dumps,
      { key: 'prod/certctl-2026-12-02.dump.sha256', size: 96, lastModified: undefined },
    ];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(dumps) });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE 'the listing did not say when prod/certctl-2026-12-02.dump.sha256 was written'.
    expect(outcome?.status).toBe('PASSED');
  });

  it('says the listed objects are all checksums, signatures or logs when no object may be a dump', () => {
    // Prepare: no object read, as the collectors read none of such files.
    const objects = dailySeries(3).map((object) => ({ ...object, key: `${object.key}.sha256`, size: 96 }));
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: undefined });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, 'there is no dump to inspect (dumps.fresh reports it)'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'there is no dump to inspect: the 3 objects listed are each, by its key, a checksum, signature or log (dumps.fresh reports it)',
    );
  });

  it('leaves the checksum files out of the median, so they do not hide a cut newest dump', () => {
    // Prepare: the newest dump (2000 bytes of a 6451-byte series) has no checksum yet; the 7
    // objects before it are 4 checksums of 96 bytes and 3 dumps.
    const objects = withChecksums(dailySeries(10)).slice(0, -1);
    const cut = [...objects.slice(0, -1), { ...(objects.at(-1) as DumpObject), size: 2000 }];
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', cut), settingsWith());
    // Assess: before, the median was 96 bytes and the dump PASSED as 'of a usual size'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ sizeBytes: 2000, recentMedianBytes: 6451 });
    expect(outcome?.description).toContain('less than half the median 6451 bytes of the 7 dumps before it');
  });
});

describe('dumps.integrity compares the newest dump with dumps alone', () => {
  it('leaves checksums of dumps not listed out of the median, so they do not hide a cut newest dump', () => {
    // Prepare: 3 dumps of 6451 bytes, then 4 checksums (96 bytes) of dumps whose uploads failed,
    // then the newest dump, cut to 2000 bytes.
    const series = dailySeries(8);
    const objects = series.map((object, index) =>
      index >= 3 && index < 7 ? { ...object, key: `${object.key}.sha256`, size: 96 } : object,
    );
    const cut = [...objects.slice(0, -1), { ...(objects.at(-1) as DumpObject), size: 2000 }];
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', cut), settingsWith());
    // Assess: before, PASSED 'of a usual size', the median 96 bytes of the 7 objects before it.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ sizeBytes: 2000, recentMedianBytes: 6451 });
    expect(outcome?.description).toContain('less than half the median 6451 bytes of the 3 dumps before it');
  });

  it('does not count checksums of dumps not listed as earlier dumps to compare with', () => {
    // Prepare: 2 dumps, then 3 checksums of dumps not listed, then the newest dump.
    const objects = dailySeries(6).map((object, index) =>
      index >= 2 && index < 5 ? { ...object, key: `${object.key}.sha256`, size: 96 } : object,
    );
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(newestFrom('certctl-pg17.dump', objects), settingsWith());
    // Assess: before, 'of a usual size' against the median 96 bytes of 2 dumps and 3 checksums.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: null });
    expect(outcome?.description).toContain(
      'Its size is not compared yet: fewer than 3 earlier dumps to compare with.',
    );
  });

  it('still counts every object ending with the suffix, which names the dumps', () => {
    const objects = dailySeries(8).map((object) => ({ ...object, key: `${object.key}.sha256` }));
    const fact = newestFrom('certctl-pg17.dump', objects);
    const outcome = dumpsIntegrityCheck.evaluate(
      { ...fact, location: { ...fact.location, suffix: '.sha256' } },
      settingsWith(),
    );
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: 6451 });
  });
});

describe('dumps.integrity counts a single object or byte as one', () => {
  it('says "1 object" of a listing the policy bounds at one object', () => {
    // Prepare: maxObjectsListed 1, more objects left.
    const objects = dailySeries(1);
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, '(1 objects)'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "the listing stopped at the policy's maxObjectsListed (1 object), so",
    );
  });

  it('says "only 1 byte" of a one-byte object that ends inside the magic', () => {
    // Prepare: an upload cut after its first byte, `P`.
    const objects = [...dailySeries(3).slice(0, 2), { ...(dailySeries(3)[2] as DumpObject), size: 1 }];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17.dump', 1),
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess: before, 'is only 1 bytes'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'is only 1 byte and ends inside the archive header (at its magic)',
    );
  });
});

describe('dumps.integrity in a prefix shared with another database', () => {
  it('does not compare the size with a median that may mix in the other database dumps', () => {
    // Prepare: the earlier dumps are 20000 bytes (the policy's "certctl_prod" dumps, perhaps); the
    // newest, a whole 6451-byte archive, is of database "certctl": the prefix holds both series.
    const whole = dailySeries(8, 20_000);
    const objects = whole.map((object, index) => (index === 7 ? { ...object, size: 6451 } : object));
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith({ databaseName: 'certctl_prod' }));
    // Assess: FAILED on the database alone; before, also 'less than half the median 20000 bytes'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('it is a dump of database "certctl", not "certctl_prod"');
    expect(outcome?.description).not.toContain('median');
    expect(outcome?.description).toContain(
      'Could not check its size against the dumps before it (the prefix holds dumps of database "certctl" too, so they may be of either database)',
    );
    expect(outcome?.observed).toMatchObject({ recentMedianBytes: null });
  });
});
