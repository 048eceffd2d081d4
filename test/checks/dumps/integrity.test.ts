import { describe, expect, it } from 'vitest';
import { dumpsIntegrityCheck } from '../../../functions/checks/dumps/integrity.ts';
import type { DumpFact, DumpObject } from '../../../functions/core/dump-facts.ts';
import { parsePgDumpHeader } from '../../../functions/core/pg-dump-header.ts';
import { dailySeries, fixtureHead, NEWEST_WRITTEN, newestOf, s3Fact, settingsWith } from './fixtures.ts';

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

  it('fails with the size when the newest object ends inside the header', () => {
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(
      newestFrom('certctl-pg17-truncated-header.dump'),
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
      newest: { object: objects[9] as DumpObject, header: { state: 'unknown', reason: 'AccessDenied' } },
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
        header: { state: 'read', result: parsePgDumpHeader(bytes), bytesRead: 4096 },
      },
    });
    // Act
    const outcome = dumpsIntegrityCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ archiveVersion: '1.17' });
  });
});
