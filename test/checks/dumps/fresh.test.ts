import { describe, expect, it } from 'vitest';
import { dumpsFreshCheck } from '../../../functions/checks/dumps/fresh.ts';
import { type DumpFact, type DumpObject, newestDumpRead } from '../../../functions/core/dump-facts.ts';
import { parsePgDumpHeader } from '../../../functions/core/pg-dump-header.ts';
import { cutsOf, fixtureBytes } from '../../fixtures/pg-dump/archives.ts';
import {
  checksumRead,
  dailySeries,
  hoursBefore,
  NEWEST_WRITTEN,
  NOW,
  newestOf,
  s3Fact,
  settingsWith,
  withChecksums,
} from './fixtures.ts';

describe('dumps.fresh', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(dumpsFreshCheck.metadata).toMatchObject({ id: 'dumps.fresh', group: 'dumps', severity: 'HIGH' });
    expect(dumpsFreshCheck.metadata.resourceTypes).toEqual(['AwsS3Bucket', 'GcpStorageBucket']);
  });

  it('passes when the newest dump is 8.3 h old and the policy allows 30 h', () => {
    // Act
    const outcome = dumpsFreshCheck.evaluate(s3Fact(), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      newestAgeHours: 8.3,
      newestKey: 'prod/certctl-2026-12-02.dump',
    });
    expect(outcome?.required).toEqual({ maxAgeHours: 30 });
    expect(outcome?.drifting).toEqual(['newestAgeHours']);
  });

  it('does not pass a recent dump of another database than the policy names', () => {
    // Prepare: the prefix holds the dumps of two databases; the newest, 8.3 h old, is of
    // "certctl", while the policy's database is "certctl_prod", whose own newest dump is not read.
    // Act
    const outcome = dumpsFreshCheck.evaluate(s3Fact(), settingsWith({ databaseName: 'certctl_prod' }));
    // Assess: it PASSED 'The newest dump … is 8.3 h old'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'prod/certctl-2026-12-02.dump, the newest object under the prefix, is a dump of database "certctl", not "certctl_prod" (dumps.integrity), so it does not show when "certctl_prod" was last dumped',
    );
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 8.3 });
  });

  it('passes when the dump is late but within the grace', () => {
    // Prepare: 29 h old, cadence 24 h + grace 6 h.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 29) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act and Assess
    expect(dumpsFreshCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('fails with the age and the allowance when the newest dump is 31 h old', () => {
    // Prepare
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 31) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 31 });
    expect(outcome?.description).toContain('the policy allows 30 h (24 h cadence + 6 h grace)');
  });

  it('fails when the newest dump is 2 minutes past the allowance, which rounds to it', () => {
    // Prepare: 30 h 2 min old under a 30 h allowance (24 h cadence + 6 h grace): 30.03 h, which
    // one decimal rounds to 30.0 h.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 30 + 2 / 60) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: it PASSED, 'is 30 h old, within the 24 h cadence plus 6 h grace'; the age is shown
    // on the same side of the allowance as it is.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 30.1 });
    expect(outcome?.description).toContain('(prod/a.dump) is 30.1 h old; the policy allows 30 h');
  });

  it('passes when the newest dump is 2 minutes within the allowance, which rounds to it', () => {
    // Prepare: 29 h 58 min old (29.97 h) under a 30 h allowance.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 30 - 2 / 60) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: within it, and not shown as 30 h (at the limit).
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 29.9 });
  });

  it('follows the policy cadence when it is 6 h with 1 h grace', () => {
    const outcome = dumpsFreshCheck.evaluate(s3Fact(), settingsWith({ cadenceHours: 6, graceHours: 1 }));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.required).toEqual({ maxAgeHours: 7 });
  });

  it("is not available when the newest dump was written hours after this run's clock", () => {
    // Prepare: a clock 40 h slow would read a 31 h old dump as written 9 h from now.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, -9) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain("later than this run's clock");
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/a.dump', newestAgeHours: null });
  });

  it('fails when the prefix holds no dump', () => {
    const fact = s3Fact({ listing: { state: 'read', objects: [], complete: true }, newest: undefined });
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toEqual({ dumpsListed: 0, newestAgeHours: null });
  });

  it('is not available when the listing was denied', () => {
    const fact = s3Fact({ listing: { state: 'unknown', reason: 'AccessDenied' }, newest: undefined });
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('AccessDenied');
  });

  it('is not available when a stale newest comes from a listing cut at the bound', () => {
    // Prepare
    const objects = dailySeries(3).map((object) => ({
      ...object,
      lastModified: hoursBefore(object.lastModified ?? NOW, 72),
    }));
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('maxObjectsListed');
  });

  it('is not available when the listing did not send the modification time', () => {
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: undefined }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    expect(dumpsFreshCheck.evaluate(fact, settingsWith())?.status).toBe('NOT_AVAILABLE');
  });

  it('passes when the newest dump is exactly as old as cadence plus grace', () => {
    // Prepare
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 30) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/a.dump) is 30 h old, within the 24 h cadence plus 6 h grace.',
    );
  });

  it('says how old the newest dump is and what the policy allows when it is late', () => {
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 96) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    expect(dumpsFreshCheck.evaluate(fact, settingsWith())?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/a.dump) is 4 days old; the policy allows 30 h (24 h cadence + 6 h grace).',
    );
  });

  it('fails, not passed, when the newest object under the prefix is not a pg_dump file but a checksum beside an old dump', () => {
    // Prepare: the job writes a .sha256 beside each dump; the dumps are 60 h old, a checksum of the
    // last of them came 2 h ago.
    const objects = [
      ...dailySeries(3).map((object) => ({ ...object, lastModified: hoursBefore(NOW, 60) })),
      { key: 'prod/certctl-2026-12-02.dump.sha256', size: 64, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg15-plain-head.sql'),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE on the checksum, though its key names a listed dump 60 h old
    // and every newer object is no dump.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-2026-12-02.dump) is 60 h old, and the newer object prod/certctl-2026-12-02.dump.sha256 is, by its key, a checksum, signature or log beside a listed dump; the policy allows 30 h.',
    );
    // Only the newest object's bytes are read: the dump named by its key is not proven whole.
    // Before, nothing said so.
    expect(outcome?.description).toContain(
      'the policy allows 30 h. The bytes of prod/certctl-2026-12-02.dump were not read (the audit reads only those of prod/certctl-2026-12-02.dump.sha256), so nothing shows it is a whole dump; its age alone fails the check.',
    );
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 60,
    });
  });

  it("is not available when the newest object could not be read, even when its key ends with the location's suffix", () => {
    // Prepare: GetObject denied: the object is recent, but nothing shows it is a dump.
    const objects = dailySeries(3);
    const [newest] = objects.slice(-1);
    if (!newest) throw new Error('no dump');
    const unread = {
      object: newest,
      header: { state: 'unknown', reason: 'AccessDenied' },
      tail: { state: 'unknown', reason: 'AccessDenied' },
    } as const;
    const bare = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: unread });
    const named = s3Fact({
      location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
      listing: { state: 'read', objects, complete: true },
      newest: unread,
    });
    // Act
    const bareOutcome = dumpsFreshCheck.evaluate(bare, settingsWith());
    const namedOutcome = dumpsFreshCheck.evaluate(named, settingsWith());
    // Assess: before, the named one PASSED 'by its name alone (`*.dump`'.
    expect(bareOutcome?.status).toBe('NOT_AVAILABLE');
    expect(bareOutcome?.description).toContain('AccessDenied');
    expect(namedOutcome?.status).toBe('NOT_AVAILABLE');
    expect(namedOutcome?.description).toContain('prod/certctl-2026-12-02.dump');
    expect(namedOutcome?.description).toContain('AccessDenied');
    expect(namedOutcome?.description).not.toContain('name alone');
    expect(namedOutcome?.observed).toMatchObject({ headerRead: false, newestAgeHours: 8.3 });
  });

  it('is not available naming the object, why its header was not read and the grant S3 refused, though its key ends with the suffix', () => {
    // Prepare: GetObject answered AccessDenied; the location names dumps `*.dump`.
    const objects = dailySeries(3);
    const [newest] = objects.slice(-1);
    if (!newest) throw new Error('no dump');
    const fact = s3Fact({
      location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: newest,
        header: { state: 'unknown', reason: 'AccessDenied: Access Denied', denied: 'unattributed' },
        tail: { state: 'unknown', reason: 'AccessDenied: Access Denied' },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED on the key's suffix, its header unread.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the header of prod/certctl-2026-12-02.dump, the newest object under the prefix, could not be read (AccessDenied: Access Denied: ',
    );
    expect(outcome?.description).toContain('the audit role needs s3:GetObject on certctl-dumps/prod/*');
    expect(outcome?.description).toContain(
      'so nothing shows it is a dump (its key ends with `.dump`, which names it one but proves nothing of its bytes)',
    );
    expect(outcome?.observed).toMatchObject({ headerRead: false });
  });

  it('is not available naming storage.objects.get when Cloud Storage refused the read of a dump named by its suffix', () => {
    // Prepare: objects.get (media) answered 403.
    const objects = dailySeries(3);
    const [newest] = objects.slice(-1);
    if (!newest) throw new Error('no dump');
    const fact = s3Fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'europe-west1',
        type: 'GcpStorageBucket',
        id: 'certctl-dumps',
      },
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: newest,
        header: { state: 'unknown', reason: '403: forbidden', denied: 'unattributed' },
        tail: { state: 'unknown', reason: '403: forbidden' },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "could not be read (403: forbidden: the audit's service account needs storage.objects.get on the objects under gs://certctl-dumps/prod/)",
    );
    expect(outcome?.observed).toMatchObject({ headerRead: false });
  });

  it('is not available, with no grant to ask for, when the recent newest dump is archived or under a customer-provided key', () => {
    // Prepare: a lifecycle rule moved the dump to Glacier at once; another job uploads with SSE-C.
    const objects = dailySeries(3);
    const newest = objects.at(-1) as DumpObject;
    const located = { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' } as const;
    const refused = (header: NonNullable<DumpFact['newest']>['header']) =>
      s3Fact({
        location: located,
        listing: { state: 'read', objects, complete: true },
        newest: { object: newest, header, tail: { state: 'unknown', reason: 'refused' } },
      });
    // Act
    const archived = dumpsFreshCheck.evaluate(
      refused({ state: 'unknown', reason: 'InvalidObjectState', archived: 'GLACIER' }),
      settingsWith(),
    );
    const customerKey = dumpsFreshCheck.evaluate(
      refused({ state: 'unknown', reason: 'InvalidRequest', customerKey: true }),
      settingsWith(),
    );
    // Assess: before, both PASSED by the key's suffix.
    expect(archived?.status).toBe('NOT_AVAILABLE');
    expect(archived?.description).toContain('it is archived in storage class GLACIER');
    expect(archived?.description).not.toContain('grant the read');
    expect(customerKey?.status).toBe('NOT_AVAILABLE');
    expect(customerKey?.description).toContain('customer-provided key (SSE-C)');
  });

  it('says nothing of an unread header when the header was read', () => {
    // Act
    const outcome = dumpsFreshCheck.evaluate(s3Fact(), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).not.toHaveProperty('headerRead');
    expect(outcome?.description).not.toContain('not read');
  });

  it('fails saying no dump exists when the listing holds objects but none is a dump', () => {
    // Prepare: the collector found objects under the prefix, none of them a dump.
    const objects = [{ key: 'prod/README.txt', size: 10, lastModified: hoursBefore(NOW, 1) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: undefined });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: 's3://certctl-dumps/prod/ holds no dump at all; the policy expects one every 24 h.',
    });
  });

  it('observes no age when the listing failed or did not send the time', () => {
    // Prepare
    const denied = s3Fact({ listing: { state: 'unknown', reason: 'AccessDenied' }, newest: undefined });
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: undefined }];
    const undated = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects),
    });
    // Act
    const deniedOutcome = dumpsFreshCheck.evaluate(denied, settingsWith());
    const undatedOutcome = dumpsFreshCheck.evaluate(undated, settingsWith());
    // Assess
    expect(deniedOutcome?.observed).toEqual({ newestAgeHours: null });
    expect(undatedOutcome?.observed).toEqual({ newestKey: 'prod/a.dump', newestAgeHours: null });
    expect(undatedOutcome?.description).toContain('the listing did not say when prod/a.dump was written');
  });

  it('is not available, not failed as holding no dump, when the listing stopped at the bound before any dump', () => {
    // Prepare: the bound was spent on objects the suffix leaves out (logs listed before the dumps
    // in key order); the dumps may lie beyond it.
    const fact = s3Fact({ listing: { state: 'read', objects: [], complete: false }, newest: undefined });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('maxObjectsListed');
    expect(outcome?.observed).toEqual({ dumpsListed: 0, newestAgeHours: null });
  });

  it('is not available, not passed, when the newest object was rewritten days after its header says the dump was made', () => {
    // Prepare: the dumps were copied in place to re-encrypt them (S3 CopyObject, Cloud Storage
    // rewrite), which gives every copy a new modification time; the newest by that time is the
    // pg_dump 17 fixture made 2026-12-02 03:38 (local), audited on 2026-12-10 a hour after the copy.
    const now = new Date('2026-12-10T12:00:00.000Z');
    const objects = [{ key: 'prod/certctl-2026-12-02.dump', size: 6451, lastModified: hoursBefore(now, 1) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, { ...settingsWith(), now });
    // Assess: made 2026-12-02 15:38 UTC at the latest (UTC-12), 188.4 h before the audit.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('2026-12-02 03:38');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-2026-12-02.dump', newestAgeHours: 1 });
  });

  it('is not available, not passed, when the header creation time of a recent newest object is not a valid date', () => {
    // Prepare: the pg_dump 17 fixture with tm_mon 12 (month 13): no date, so nothing shows the
    // object, written an hour ago, was not copied or rewritten after an older dump was made.
    const now = new Date('2026-12-02T12:00:00.000Z');
    const bytes = Uint8Array.from(fixtureBytes('certctl-pg17.dump'));
    bytes[33] = 12;
    const parsed = parsePgDumpHeader(bytes);
    expect(parsed.kind === 'header' && parsed.header.createdLocal?.month).toBe(13);
    const object = {
      key: 'prod/certctl-2026-12-02.dump',
      size: bytes.length,
      lastModified: hoursBefore(now, 1),
    };
    const fact = s3Fact({
      listing: { state: 'read', objects: [object], complete: true },
      newest: newestDumpRead(object, bytes, { state: 'read', bytes: bytes.subarray(-64) }),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, { ...settingsWith(), now });
    // Assess: before, it PASSED while dumps.integrity could not check the creation time.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "prod/certctl-2026-12-02.dump, the newest object under the prefix, was written 1 h ago, but its pg_dump header's creation time could not be read (its fields read 2026-13-02 03:38:54, not a valid date), so nothing shows the object was not copied or rewritten after an older dump was made",
    );
  });

  it('is not available, not passed, when the recent newest dump is a whole --schema-only archive', () => {
    // Prepare: written 2 min after its header says it was made, audited an hour later; its last
    // bytes are its table of contents' end, so it holds no table data (dumps.integrity FAILS it).
    const parsed = parsePgDumpHeader(fixtureBytes('certctl-pg17-schema-only.dump'));
    const made = parsed.kind === 'header' ? parsed.header.createdAsUtc : undefined;
    if (!made) throw new Error('the fixture has no creation time');
    const written = new Date(made.getTime() + 120_000);
    const now = new Date(written.getTime() + 3_600_000);
    const size = fixtureBytes('certctl-pg17-schema-only.dump').length;
    const objects = [{ key: 'prod/certctl-schema.dump', size, lastModified: written }];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17-schema-only.dump'),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, { ...settingsWith(), now });
    // Assess: before, it PASSED as a recent dump.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'prod/certctl-schema.dump, the newest object under the prefix, starts a pg_dump custom archive, but it ends with its table of contents, with no data block after it: it holds no table data',
    );
    expect(outcome?.observed).toMatchObject({ holdsData: false });
  });

  it('fails, and says it holds no table data, when the stale newest dump is a whole --schema-only archive', () => {
    // Prepare: the schema-only fixture written 40 h before the audit: its age alone fails it.
    const size = fixtureBytes('certctl-pg17-schema-only.dump').length;
    const objects = [{ key: 'prod/certctl-schema.dump', size, lastModified: hoursBefore(NOW, 40) }];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17-schema-only.dump'),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('(prod/certctl-schema.dump) is 40 h old; the policy allows 30 h');
    expect(outcome?.description).toContain(
      'the policy allows 30 h (24 h cadence + 6 h grace), and it ends with its table of contents, with no data block after it: it holds no table data',
    );
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 40, holdsData: false });
  });

  it('is not available, not passed, when the recent newest dump is older than archive 1.7, whose end does not tell whether it holds data', () => {
    // Prepare: the pg_dump 17 fixture's header said as version 1.6 (offsets written as ints): its
    // last bytes, an int 0, end a data block or its table of contents alike.
    const objects = [{ key: 'prod/certctl-2026-12-02.dump', size: 6451, lastModified: NEWEST_WRITTEN }];
    const read = newestOf(objects);
    if (read?.header.state !== 'read' || read.header.result.kind !== 'header') throw new Error('no header');
    const header = read.header.result.header;
    const newest = {
      ...read,
      header: {
        ...read.header,
        result: {
          kind: 'header' as const,
          header: {
            ...header,
            archiveVersion: { major: 1, minor: 6, revision: 0 },
            archiveVersionText: '1.6-0',
            offSize: header.intSize,
          },
        },
      },
    };
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, it PASSED as a recent dump.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'starts a pg_dump custom archive, but archive version 1.6-0 is older than 1.7, whose table of contents ends with the same integer 0 as a data block, so its last bytes do not tell whether it holds table data',
    );
    expect(outcome?.observed).toMatchObject({ holdsData: null });
  });

  it('fails on age, claiming nothing of its data, when the stale dump behind a checksum was not read', () => {
    // Prepare: the only bytes read are the newest object's, a .sha256 here, read as a whole
    // --schema-only archive: they are not the bytes of the dump it sits beside.
    const objects = [
      ...dailySeries(3).map((object) => ({ ...object, lastModified: hoursBefore(NOW, 60) })),
      { key: 'prod/certctl-2026-12-02.dump.sha256', size: 64, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17-schema-only.dump'),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: the verdict is its age; the dump's data is neither said absent nor observed.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('(prod/certctl-2026-12-02.dump) is 60 h old');
    expect(outcome?.description).not.toContain('table data');
    expect(outcome?.observed).not.toHaveProperty('holdsData');
  });

  it('fails, and says its data could not be checked, when the stale newest dump is older than archive 1.7', () => {
    // Prepare: the pg_dump 17 fixture's header said as version 1.6, written 40 h before the audit:
    // its age alone fails it, and its last bytes do not tell whether it holds table data.
    const objects = [{ key: 'prod/certctl-2026-12-02.dump', size: 6451, lastModified: hoursBefore(NOW, 40) }];
    const read = newestOf(objects);
    if (read?.header.state !== 'read' || read.header.result.kind !== 'header') throw new Error('no header');
    const header = read.header.result.header;
    const newest = {
      ...read,
      header: {
        ...read.header,
        result: {
          kind: 'header' as const,
          header: {
            ...header,
            archiveVersion: { major: 1, minor: 6, revision: 0 },
            archiveVersionText: '1.6-0',
            offSize: header.intSize,
          },
        },
      },
    };
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, it FAILED on its age alone, as if its data were known.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'the policy allows 30 h (24 h cadence + 6 h grace), and archive version 1.6-0 is older than 1.7, whose table of contents ends with the same integer 0 as a data block, so its last bytes do not tell whether it holds table data',
    );
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 40, holdsData: null });
  });

  it('passes when the header time is a whole cadence old but a time zone west of UTC can explain it', () => {
    // Prepare: made 03:38 local; at UTC-12 that is 15:38 UTC, 26.4 h before an audit at 18:00 the next day.
    const now = new Date('2026-12-03T18:00:00.000Z');
    const objects = [{ key: 'prod/certctl-2026-12-02.dump', size: 6451, lastModified: hoursBefore(now, 1) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) });
    // Act and Assess
    expect(dumpsFreshCheck.evaluate(fact, { ...settingsWith(), now })?.status).toBe('PASSED');
  });

  describe('when the newest objects are empty', () => {
    /** Daily dumps, the newest 80 h old, then empty objects of the runs since, the newest 2 h old. */
    function failingRuns(): DumpFact {
      const dumps = dailySeries(5).map((object, index) => ({
        ...object,
        lastModified: hoursBefore(NOW, 80 + (4 - index) * 24),
      }));
      const empties = [50, 26, 2].map((hours) => ({
        key: `prod/certctl-empty-${hours}.dump`,
        size: 0,
        lastModified: hoursBefore(NOW, hours),
      }));
      const objects = [...dumps, ...empties];
      const newest = objects.at(-1) as DumpObject;
      return s3Fact({
        listing: { state: 'read', objects, complete: true },
        newest: {
          object: newest,
          header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
          tail: { state: 'read', bytes: new Uint8Array() },
        },
      });
    }

    it('fails with the age of the newest dump that is not empty when the last runs uploaded empty objects', () => {
      // Act
      const outcome = dumpsFreshCheck.evaluate(failingRuns(), settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({
        newestKey: 'prod/certctl-2026-12-02.dump',
        newestAgeHours: 80,
      });
      expect(outcome?.description).toContain('3 newer objects are empty');
      // Before, nothing said the dump it names was not read.
      expect(outcome?.description).toContain(
        'The bytes of prod/certctl-2026-12-02.dump were not read (the audit reads only those of prod/certctl-empty-2.dump), so nothing shows it is a whole dump; its age alone fails the check.',
      );
    });

    it('fails saying no dump exists when every listed object is empty', () => {
      // Prepare
      const fact = failingRuns();
      const objects =
        fact.listing.state === 'read' ? fact.listing.objects.map((o) => ({ ...o, size: 0 })) : [];
      // Act
      const outcome = dumpsFreshCheck.evaluate(
        { ...fact, listing: { state: 'read', objects, complete: true } },
        settingsWith(),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('holds no dump at all: every object under it is empty');
    });

    it('does not pass an object the listing says is empty for a dump by its name when its bytes could not be read', () => {
      // Prepare: GetObject denied, the location names dumps `*.dump`, and the last run uploaded
      // 0 bytes under that name; the dump before it is 26 h old.
      const objects = [
        { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 26) },
        { key: 'prod/certctl-b.dump', size: 0, lastModified: hoursBefore(NOW, 2) },
      ];
      const fact = s3Fact({
        location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
        listing: { state: 'read', objects, complete: true },
        newest: {
          object: objects[1] as DumpObject,
          header: { state: 'unknown', reason: 'AccessDenied' },
          tail: { state: 'unknown', reason: 'AccessDenied' },
        },
      });
      // Act
      const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('prod/certctl-b.dump');
      expect(outcome?.description).toContain('is empty');
      expect(outcome?.description).not.toContain('set the location');
    });

    it('fails on the age of the dump before it when the empty newest object could not be read', () => {
      const fact = failingRuns();
      const unread = {
        ...fact,
        newest: fact.newest && {
          ...fact.newest,
          header: { state: 'unknown', reason: 'AccessDenied' },
          tail: { state: 'unknown', reason: 'AccessDenied' },
        },
      } as DumpFact;
      const outcome = dumpsFreshCheck.evaluate(unread, settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ newestAgeHours: 80 });
    });

    it('stays not available when an object the listing did not date may be a newer dump', () => {
      const fact = failingRuns();
      const objects = [
        { key: 'prod/certctl-undated.dump', size: 6451, lastModified: undefined },
        ...(fact.listing.state === 'read' ? fact.listing.objects : []),
      ];
      const outcome = dumpsFreshCheck.evaluate(
        { ...fact, listing: { state: 'read', objects, complete: true } },
        settingsWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
    });

    it('stays not available when the listing was cut, since a whole newer dump may lie beyond it', () => {
      const fact = failingRuns();
      const cut = { ...fact, listing: { ...fact.listing, complete: false } } as DumpFact;
      expect(dumpsFreshCheck.evaluate(cut, settingsWith())?.status).toBe('NOT_AVAILABLE');
    });

    it('stays not available when the dump before the empty object is recent: nothing read shows it is a dump', () => {
      // Prepare: only the last run uploaded an empty object; the dump before it is 26 h old.
      const objects = [
        { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 26) },
        { key: 'prod/certctl-b.dump', size: 0, lastModified: hoursBefore(NOW, 2) },
      ];
      const fact = s3Fact({
        listing: { state: 'read', objects, complete: true },
        newest: {
          object: objects[1] as DumpObject,
          header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
          tail: { state: 'read', bytes: new Uint8Array() },
        },
      });
      // Act and Assess
      expect(dumpsFreshCheck.evaluate(fact, settingsWith())?.status).toBe('NOT_AVAILABLE');
    });
  });
});

describe('dumps.fresh with checksum files beside the dumps and no suffix set', () => {
  /** Daily dumps, each with its `.sha256`, the last dump `hoursOld` old; the newest listed object is a checksum. */
  function checksummed(hoursOld: number, rewrittenHoursAgo?: number): DumpFact {
    const shift = NOW.getTime() - hoursOld * 3_600_000 - (dailySeries(1)[0]?.lastModified?.getTime() ?? 0);
    const dumps = dailySeries(10).map((dump) => ({
      ...dump,
      lastModified: new Date((dump.lastModified?.getTime() ?? 0) + shift),
    }));
    const objects = withChecksums(dumps);
    // A checksum of the last dump written again later (a verification job re-uploading it).
    if (rewrittenHoursAgo !== undefined) {
      const last = objects.pop() as DumpObject;
      objects.push({ ...last, lastModified: hoursBefore(NOW, rewrittenHoursAgo) });
    }
    const checksum = objects.at(-1) as DumpObject;
    return s3Fact({ listing: { state: 'read', objects, complete: true }, newest: checksumRead(checksum) });
  }

  it('fails when the dumps are old though the checksum of the last one was written an hour ago', () => {
    // Act: the last dump is 56 h old, its checksum re-uploaded 1 h ago.
    const outcome = dumpsFreshCheck.evaluate(checksummed(56, 1), settingsWith());
    // Assess: before, NOT_AVAILABLE on the checksum ('set the location's `suffix`'), the stale dump not judged.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      newestKey: expect.stringMatching(/\.dump$/),
      newestAgeHours: 56,
    });
    expect(outcome?.description).toContain('is 56 h old, and the newer object');
    expect(outcome?.description).toContain('by its key, a checksum, signature or log beside a listed dump');
  });

  it('fails naming the dump, not its checksum, when both are old', () => {
    // Act: the last dump is 40 h old, its checksum a minute younger.
    const outcome = dumpsFreshCheck.evaluate(checksummed(40), settingsWith());
    // Assess: before, 'The newest dump in s3://certctl-dumps/prod/ (….dump.sha256) is 40 h old'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed?.newestKey).toMatch(/\.dump$/);
    expect(outcome?.description).not.toContain('.sha256) is');
  });

  it('does not pass a recent dump known only by the checksum beside it, and names it', () => {
    // Act: the last dump is 8 h old, its checksum a minute younger; the dump's bytes were not read.
    const outcome = dumpsFreshCheck.evaluate(checksummed(8), settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toMatch(
      /the newest object prod\/certctl-[0-9-]+\.dump\.sha256 is, by its key, a checksum, signature or log beside the dump prod\/certctl-[0-9-]+\.dump, which is 8 h old, but whose bytes were not read, so nothing shows it is a dump: set the location's `suffix` \(`\.dump`\) so that only dumps count/,
    );
  });
});

describe('dumps.fresh behind an empty newest object, with checksum files beside the dumps and no suffix set', () => {
  /**
   * Daily dumps, each with its `.sha256` a minute later, the last dump 80 h old; the last checksum
   * written again `rewrittenHoursAgo` ago when given; then an empty object 2 h old (a run whose
   * pg_dump failed), the newest listed.
   */
  function emptyAfterChecksums(rewrittenHoursAgo?: number): DumpFact {
    const dumps = dailySeries(5).map((object, index) => ({
      ...object,
      lastModified: hoursBefore(NOW, 80 + (4 - index) * 24),
    }));
    const objects = withChecksums(dumps);
    if (rewrittenHoursAgo !== undefined) {
      const last = objects.pop() as DumpObject;
      objects.push({ ...last, lastModified: hoursBefore(NOW, rewrittenHoursAgo) });
    }
    const empty = { key: 'prod/certctl-empty.dump', size: 0, lastModified: hoursBefore(NOW, 2) };
    objects.push(empty);
    return s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: empty,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
  }

  it('fails naming the dump, not the checksum beside it, as the newest dump', () => {
    // Act
    const outcome = dumpsFreshCheck.evaluate(emptyAfterChecksums(), settingsWith());
    // Assess: before, 'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-….dump.sha256) is 80 h old'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 80,
    });
    expect(outcome?.description).not.toContain('.sha256) is');
    expect(outcome?.description).toContain(
      'the 2 newer objects are empty (the newest prod/certctl-empty.dump, a run that produced nothing) or, by their keys, checksums, signatures or logs beside listed dumps',
    );
  });

  it('fails on the stale dump when the checksum beside it was written again since', () => {
    // Act: the last dump is 80 h old, its checksum re-uploaded 3 h ago, an empty object 2 h ago.
    const outcome = dumpsFreshCheck.evaluate(emptyAfterChecksums(3), settingsWith());
    // Assess: before, NOT_AVAILABLE, the recent checksum standing as the dump before the empty object.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 80,
    });
  });

  it('falls back to the dump, not to a checksum of a dump not listed between them', () => {
    // Prepare: a dump 90 h old, a checksum 70 h old of a dump not listed, an empty object 2 h old.
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 90) },
      { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 70) },
      { key: 'prod/certctl-c.dump', size: 0, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[2] as DumpObject,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'The newest object in s3://certctl-dumps/prod/ that may be a dump
    // (prod/certctl-b.dump.sha256, whose key shows it the checksum, signature or log of a dump not
    // listed) is 70 h old': a checksum is no dump, whether its dump is listed or not.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toContain(
      'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 3.8 days old, and the 2 newer objects are empty (the newest prod/certctl-c.dump, a run that produced nothing) or, by their keys, checksums, signatures or logs of dumps not listed',
    );
  });
});

describe('dumps.fresh proves a recent dump only by a header read as a pg_dump custom archive', () => {
  /**
   * A dump `previousHours` old (its bytes not read), then the newest object, 2 h old, of `size`
   * bytes, whose first bytes read as `header`.
   */
  function newestReadAs(
    previousHours: number,
    size: number,
    header: NonNullable<DumpFact['newest']>['header'],
    suffix?: string,
  ): DumpFact {
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, previousHours) },
      { key: 'prod/certctl-b.dump', size, lastModified: hoursBefore(NOW, 2) },
    ];
    return s3Fact({
      location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', ...(suffix ? { suffix } : {}) },
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[1] as DumpObject,
        header,
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
  }

  function readOf(bytes: Uint8Array): NonNullable<DumpFact['newest']>['header'] {
    return { state: 'read', result: parsePgDumpHeader(bytes), bytesRead: bytes.length };
  }

  const truncatedHeader = fixtureBytes('certctl-pg17-truncated-header.dump');

  it('fails on the stale dump before it when the newest object, read whole, ends inside its archive header', () => {
    // Prepare: the last upload was cut after 52 bytes, inside the header; the dump before is 40 h old.
    const fact = newestReadAs(40, truncatedHeader.length, readOf(truncatedHeader), '.dump');
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED 'The newest dump … (prod/certctl-b.dump) is 2 h old'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 40 });
    expect(outcome?.description).toContain(
      `the newer object prod/certctl-b.dump is only ${truncatedHeader.length} bytes and ends inside a pg_dump archive header`,
    );
  });

  it('is not available when the newest object ends inside its header and the dump before it is recent but unread', () => {
    // Prepare: the dump before is 20 h old: within the allowance, but its bytes were not read.
    const fact = newestReadAs(20, truncatedHeader.length, readOf(truncatedHeader), '.dump');
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('prod/certctl-b.dump');
    expect(outcome?.description).toContain('ends inside a pg_dump archive header');
  });

  it('is not available when the read of the newest header was cut short', () => {
    // Prepare: the object holds 6451 bytes, the ranged read returned 20 (inside the header).
    const fact = newestReadAs(40, 6451, readOf(fixtureBytes('certctl-pg17.dump', 20)), '.dump');
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not be read (the ranged read returned 20 of its 6451 bytes)',
    );
    expect(outcome?.observed).toMatchObject({ headerRead: false });
  });

  it('is not available when the header runs past the bytes read or is of an archive version newer than the audit reads', () => {
    // Prepare
    const unfit = newestReadAs(40, 90_000, {
      state: 'read',
      result: { kind: 'truncated', field: 'database name', available: 1024 },
      bytesRead: 1024,
    });
    const newer = newestReadAs(40, 6451, readOf(new Uint8Array([80, 71, 68, 77, 80, 1, 99, 0, 4, 8, 1])));
    // Act
    const unfitOutcome = dumpsFreshCheck.evaluate(unfit, settingsWith());
    const newerOutcome = dumpsFreshCheck.evaluate(newer, settingsWith());
    // Assess: before, both PASSED.
    expect(unfitOutcome?.status).toBe('NOT_AVAILABLE');
    expect(unfitOutcome?.description).toContain('its header does not fit in the first 1024 bytes read');
    expect(newerOutcome?.status).toBe('NOT_AVAILABLE');
    expect(newerOutcome?.description).toContain('archive version 1.99, newer than the 1.16 this audit reads');
  });

  it('fails on the stale dump before it when the newest is a malformed header or a pg_dump archive of another format', () => {
    // Prepare: PGDMP with an intSize pg_restore refuses; a directory dump's toc.dat (format 3).
    const malformed = newestReadAs(40, 6451, readOf(new Uint8Array([80, 71, 68, 77, 80, 1, 14, 0, 99])));
    const toc = fixtureBytes('certctl-pg17-directory-toc.dat');
    const directory = newestReadAs(40, toc.length, readOf(toc.subarray(0, 1024)));
    // Act
    const malformedOutcome = dumpsFreshCheck.evaluate(malformed, settingsWith());
    const directoryOutcome = dumpsFreshCheck.evaluate(directory, settingsWith());
    // Assess: before, both PASSED on the 2 h old object.
    expect(malformedOutcome?.status).toBe('FAILED');
    expect(malformedOutcome?.description).toContain('starts with PGDMP but its header is malformed');
    expect(directoryOutcome?.status).toBe('FAILED');
    expect(directoryOutcome?.description).toContain(
      'is a pg_dump archive of format tar (3), not a custom archive',
    );
    expect(directoryOutcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-a.dump',
      newestAgeHours: 40,
    });
  });

  it('fails, not unavailable, when the recent newest object is read as no dump and the dump before it is stale', () => {
    // Prepare: the job switched to a gzipped plain dump 2 h ago; the last custom archive is 40 h old.
    const gzip = fixtureBytes('certctl-pg15-plain.sql.gz');
    const fact = newestReadAs(40, gzip.length, readOf(gzip.subarray(0, 1024)));
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE 'does not show when the last dump was made'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      "The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 40 h old, and the newer object prod/certctl-b.dump is a gzip file (a plain dump piped through gzip?), not a pg_dump custom archive (dumps.integrity); the policy allows 30 h. The bytes of prod/certctl-a.dump were not read (the audit reads only those of prod/certctl-b.dump), so nothing shows it is a whole dump; its age alone fails the check. If the prefix also holds other files (checksums, logs), set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('fails on the stale dump when runs since uploaded empty objects and the newest is read as no dump', () => {
    // Prepare: a dump 40 h old, an empty object 26 h old, and a gzipped plain dump 2 h old.
    const gzip = fixtureBytes('certctl-pg15-plain.sql.gz');
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 40) },
      { key: 'prod/certctl-e.dump', size: 0, lastModified: hoursBefore(NOW, 26) },
      { key: 'prod/certctl-g.dump', size: gzip.length, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[2] as DumpObject,
        header: readOf(gzip.subarray(0, 1024)),
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 40 h old, and the 2 newer objects are empty except the newest, prod/certctl-g.dump, which is a gzip file (a plain dump piped through gzip?), not a pg_dump custom archive (dumps.integrity); the policy allows 30 h. The bytes of prod/certctl-a.dump were not read (the audit reads only those of prod/certctl-g.dump), so nothing shows it is a whole dump; its age alone fails the check.',
    );
  });

  it('fails saying no dump exists when the only object is read as no dump', () => {
    // Prepare
    const gzip = fixtureBytes('certctl-pg15-plain.sql.gz');
    const objects = [{ key: 'prod/certctl-b.dump', size: gzip.length, lastModified: hoursBefore(NOW, 2) }];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: objects[0] as DumpObject,
        header: readOf(gzip.subarray(0, 1024)),
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      's3://certctl-dumps/prod/ holds no dump at all: its only object, prod/certctl-b.dump, is a gzip file',
    );
  });
});

describe('dumps.fresh on a stale newest object its bytes do not show a dump', () => {
  /** A dump 50 h old, then `prod/b.dump` 40 h old as the newest, of `size` bytes, read as `newest`. */
  function staleNewest(newest: (object: DumpObject) => DumpFact['newest'], size = 6451): DumpFact {
    const objects = [
      { key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 50) },
      { key: 'prod/b.dump', size, lastModified: hoursBefore(NOW, 40) },
    ];
    return s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newest(objects[1] as DumpObject),
    });
  }

  it('fails on its age, saying its header could not be read, when the stale newest object was refused', () => {
    // Prepare
    const fact = staleNewest((object) => ({
      object,
      header: { state: 'unknown', reason: 'SlowDown' },
      tail: { state: 'unknown', reason: 'SlowDown' },
    }));
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'The newest dump in … (prod/b.dump) is 40 h old; …', its bytes never read.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest object in s3://certctl-dumps/prod/ (prod/b.dump) is 40 h old; the policy allows 30 h (24 h cadence + 6 h grace), and its header could not be read (SlowDown), so nothing shows it is a dump; its age alone fails the check.',
    );
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/b.dump',
      newestAgeHours: 40,
      headerRead: false,
    });
  });

  it('fails naming the dump before it, not calling it a dump, when the stale newest object is read as no dump', () => {
    // Prepare: the newest object, 40 h old, is the head of a plain SQL dump.
    const fact = staleNewest(() =>
      newestOf(
        [{ key: 'prod/b.dump', size: 6451, lastModified: hoursBefore(NOW, 40) }],
        'certctl-pg15-plain-head.sql',
      ),
    );
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'The newest dump in … (prod/b.dump) is 40 h old', a plain SQL file called a dump.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'The newest dump in s3://certctl-dumps/prod/ (prod/a.dump) is 50 h old, and the newer object prod/b.dump ',
    );
    expect(outcome?.description).not.toContain('(prod/b.dump) is 40 h old');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/a.dump', newestAgeHours: 50 });
  });

  it('fails on its age, saying whose dump it is, when the stale newest dump is of another database', () => {
    // Prepare: the newest dump, 40 h old, is of "certctl"; the policy's database is "certctl_prod".
    const fact = staleNewest((object) => newestOf([object]));
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith({ databaseName: 'certctl_prod' }));
    // Assess: before, 'The newest dump in … (prod/b.dump) is 40 h old; …', as if it were the
    // policy database's.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/b.dump) is 40 h old; the policy allows 30 h (24 h cadence + 6 h grace), and it is a dump of database "certctl", not "certctl_prod" (dumps.integrity), so no object under the prefix is a recent dump of either.',
    );
  });

  it("fails on its age, saying its database could not be confirmed, when the stale newest dump's header names no database", () => {
    // Prepare: the newest dump, 40 h old, a whole custom archive whose header names no database
    // (stored as NULL, or an archive older than 1.4).
    const fact = staleNewest((object) => {
      const dump = newestOf([object]);
      const read = dump?.header;
      if (!dump || read?.state !== 'read' || read.result.kind !== 'header') {
        throw new Error('fixture header not read');
      }
      const header = { ...read.result.header, databaseName: undefined };
      return { ...dump, header: { ...read, result: { kind: 'header' as const, header } } };
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith({ databaseName: 'certctl_prod' }));
    // Assess: before, only its age ('… is 40 h old; the policy allows 30 h (…).'), as if the dump
    // were shown to be the policy database's; a recent one is NOT_AVAILABLE on the same header.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/b.dump) is 40 h old; the policy allows 30 h (24 h cadence + 6 h grace), and its header names no database (dumps.integrity), so whether it is a dump of "certctl_prod" could not be confirmed.',
    );
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/b.dump', newestAgeHours: 40 });
  });

  it('fails saying the newest object is empty, not calling it a dump, when the stale newest object holds 0 bytes', () => {
    // Prepare: the newest object, 40 h old, is empty (a run whose pg_dump failed still uploaded).
    const fact = staleNewest(
      (object) => ({
        object,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      }),
      0,
    );
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'The newest dump in … (prod/b.dump) is 40 h old'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('(prod/a.dump) is 50 h old, and the 1 newer object is empty');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/a.dump', newestAgeHours: 50 });
  });
});

describe('dumps.fresh counts a single object or byte as one', () => {
  it('says "the one object listed" of a listing the policy bounds at one object', () => {
    // Prepare: maxObjectsListed 1; the one listed dump is 40 h old, more objects left.
    const objects = [{ key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 40) }];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'the newest of the 1 objects listed'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the one object listed (prod/certctl-a.dump) is 40 h old');
  });

  it('says "only 1 byte" of a recent one-byte object', () => {
    // Prepare: the newest upload was cut after its first byte; the dump before it is 40 h old.
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 40) },
      { key: 'prod/certctl-b.dump', size: 1, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17.dump', 1),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'prod/certctl-b.dump is only 1 byte and ends inside a pg_dump archive header',
    );
  });
});

describe('dumps.fresh behind a newest dump whose last bytes show it cut mid-archive', () => {
  /** `objects` with the newest read as the real archive cut after `cut` bytes (head and tail). */
  function cutNewest(objects: DumpObject[], cut: number): DumpFact {
    const listed = objects.map((object, index) =>
      index === objects.length - 1 ? { ...object, size: cut } : object,
    );
    return s3Fact({
      listing: { state: 'read', objects: listed, complete: true },
      newest: newestOf(listed, 'certctl-pg17.dump', cut),
    });
  }

  it('fails on the stale whole-looking dump before it, saying the newest is truncated', () => {
    // Prepare: daily dumps; last night's upload was cut after 3226 of its 6451 bytes (8.3 h ago).
    const fact = cutNewest(dailySeries(7), 3226);
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED 'The newest dump … is 8.3 h old' (dumps.integrity FAILED it).
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-01.dump',
      newestAgeHours: 32.3,
    });
    expect(outcome?.description).toContain(
      'and the newer object prod/certctl-2026-12-02.dump ends mid-archive: truncated (3226 bytes;',
    );
    expect(outcome?.description).not.toContain('set the location');
  });

  it('is not available, naming the truncated newest, when the dump before it is recent but unread', () => {
    // Prepare: a dump 20 h old (its bytes not read), then one 2 h old cut after 3226 bytes.
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 20) },
      { key: 'prod/certctl-b.dump', size: 6451, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = cutNewest(objects, 3226);
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED on the truncated object.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('prod/certctl-b.dump, ends mid-archive: truncated (3226 bytes;');
    expect(outcome?.description).not.toContain('set the location');
  });

  it('fails saying no whole dump exists when the only dump is truncated', () => {
    const fact = cutNewest(dailySeries(1), 3226);
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      's3://certctl-dumps/prod/ holds no whole dump: its only object, prod/certctl-2026-12-02.dump, ends mid-archive: truncated',
    );
  });

  it('still passes a whole newest dump', () => {
    const whole = dumpsFreshCheck.evaluate(s3Fact(), settingsWith());
    expect(whole?.status).toBe('PASSED');
    expect(whole?.description).toContain('(prod/certctl-2026-12-02.dump) is 8.3 h old');
  });
});

describe('dumps.fresh on a recent custom archive whose last bytes do not show its end', () => {
  /** The healthy fact with the newest dump's tail read replaced by `tail`. */
  function withTail(tail: NonNullable<DumpFact['newest']>['tail'], objects?: DumpObject[]): DumpFact {
    const fact = objects
      ? s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(objects) })
      : s3Fact();
    const newest = fact.newest as NonNullable<DumpFact['newest']>;
    return { ...fact, newest: { ...newest, tail } };
  }

  it('is not available, naming the read of its last bytes and why, when that read was denied', () => {
    // Prepare: the header read answered; the suffix-ranged read of the last bytes was refused.
    const fact = withTail({ state: 'unknown', reason: 'AccessDenied: Access Denied' });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED on the header alone, while dumps.integrity was NOT_AVAILABLE.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 8.3,
      endsWhole: null,
    });
    expect(outcome?.drifting).toEqual(['newestAgeHours']);
    expect(outcome?.description).toContain(
      'prod/certctl-2026-12-02.dump, the newest object under the prefix, starts a pg_dump custom archive, but its last bytes could not be read: AccessDenied: Access Denied, so nothing shows it is whole',
    );
  });

  it('is not available when the read of its last bytes came back short', () => {
    // Prepare: the suffix-ranged read returned 2 bytes of the 8 asked for.
    const fact = withTail({ state: 'read', bytes: new Uint8Array(2) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('but the read of its last bytes returned 2 of the');
  });

  it('is not available though a dump before it is recent, as no older dump is read', () => {
    // Prepare: a dump 20 h old, then one 2 h old whose last bytes could not be read.
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 20) },
      { key: 'prod/certctl-b.dump', size: 6451, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = withTail({ state: 'unknown', reason: 'SlowDown' }, objects);
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: only the newest object's bytes are read, so prod/certctl-a.dump is not proven whole.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('its last bytes could not be read: SlowDown');
    expect(outcome?.description).toContain('the bytes of the dumps before it were not read');
  });

  it('still fails a stale newest dump whose last bytes could not be read', () => {
    // Prepare: the only dump is 31 h old under a 30 h allowance.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 31) }];
    const fact = withTail({ state: 'unknown', reason: 'AccessDenied' }, objects);
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: no recent dump whatever its end, but the finding does not read as if it were whole.
    // Before, it said only 'is 31 h old; the policy allows 30 h (24 h cadence + 6 h grace).'
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/a.dump) is 31 h old; the policy allows 30 h (24 h cadence + 6 h grace), and whether it is whole could not be checked (its last bytes could not be read: AccessDenied).',
    );
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 31, endsWhole: null });
  });
});

describe('dumps.fresh on a recent custom archive whose compression algorithm no pg_dump this audit knows writes', () => {
  it('is not available, as dumps.integrity is, when the header names an unknown compression algorithm', () => {
    // Prepare: the healthy fact, its newest dump's byte 11 (a 1.16 header's algorithm) set to 9.
    // pg_restore warns that no data will be available for an algorithm it does not support, so a
    // whole archive of it proves no dump a restore can use.
    const fact = s3Fact();
    const newest = fact.newest as NonNullable<DumpFact['newest']>;
    const bytes = fixtureBytes('certctl-pg17.dump').slice();
    bytes[11] = 9;
    const unknownAlgorithm = newestDumpRead(newest.object, bytes, newest.tail);
    // Act
    const outcome = dumpsFreshCheck.evaluate({ ...fact, newest: unknownAlgorithm }, settingsWith());
    // Assess: before, PASSED 'The newest dump … is 8.3 h old', while dumps.integrity was NOT_AVAILABLE.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 8.3,
      compression: 'unknown',
    });
    expect(outcome?.drifting).toEqual(['newestAgeHours']);
    expect(outcome?.description).toContain(
      'prod/certctl-2026-12-02.dump, the newest object under the prefix, starts a pg_dump custom archive, but its header names compression algorithm 9, which no pg_dump this audit knows writes, so nothing shows its data can be restored',
    );
  });

  it('fails a stale one on its age, saying its compression is unknown and its data not shown restorable', () => {
    // Prepare: the only dump, 40 h old under a 30 h allowance, its header's algorithm byte set to 9.
    const objects = [{ key: 'prod/a.dump', size: 6451, lastModified: hoursBefore(NOW, 40) }];
    const read = newestOf(objects) as NonNullable<DumpFact['newest']>;
    const bytes = fixtureBytes('certctl-pg17.dump').slice();
    bytes[11] = 9;
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestDumpRead(read.object, bytes, read.tail),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'is 40 h old; the policy allows 30 h (24 h cadence + 6 h grace).', as if it
    // were a dump a restore can use.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The newest dump in s3://certctl-dumps/prod/ (prod/a.dump) is 40 h old; the policy allows 30 h (24 h cadence + 6 h grace), and its compression is unknown: its header names compression algorithm 9, which no pg_dump this audit knows writes, so nothing shows its data can be restored.',
    );
    expect(outcome?.observed).toMatchObject({ newestAgeHours: 40, compression: 'unknown' });
  });

  it('passes a recent whole archive compressed with zstd, an algorithm pg_dump 16+ writes', () => {
    // Prepare: the real pg_dump 17 `-Z zstd` fixture as the newest dump.
    const objects = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(objects, 'certctl-pg17-zstd.dump'),
    });
    // Act and Assess
    expect(dumpsFreshCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });
});

describe('dumps.fresh on a recent custom archive whose header names no database', () => {
  it('is not available, as dumps.integrity is, since nothing shows it is a dump of the policy database', () => {
    // Prepare: the healthy fact, its newest header read with no database name (stored as NULL).
    const fact = s3Fact();
    const newest = fact.newest as NonNullable<DumpFact['newest']>;
    const read = newest.header;
    if (read.state !== 'read' || read.result.kind !== 'header') throw new Error('fixture header not read');
    const header = { ...read.result.header, databaseName: undefined };
    const unnamed = { ...newest, header: { ...read, result: { kind: 'header' as const, header } } };
    // Act
    const outcome = dumpsFreshCheck.evaluate({ ...fact, newest: unnamed }, settingsWith());
    // Assess: before, PASSED, while a dump naming another database is NOT_AVAILABLE.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({
      newestKey: 'prod/certctl-2026-12-02.dump',
      newestAgeHours: 8.3,
    });
    expect(outcome?.description).toContain(
      'prod/certctl-2026-12-02.dump, the newest object under the prefix, is a dump whose header names no database (dumps.integrity), so it does not show when "certctl" was last dumped',
    );
  });
});

describe('dumps.fresh judges dumps, never a checksum of a dump not listed', () => {
  /** A listing of `objects`, complete or cut at its bound, whose newest object's read is `newest`. */
  const listedAs = (objects: DumpObject[], newest: DumpFact['newest'], complete = true): DumpFact =>
    s3Fact({ listing: { state: 'read', objects, complete }, newest });
  const stale = { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 90) };
  /** The checksum of prod/certctl-b.dump, which is not listed (its upload failed, or it was deleted). */
  const orphan = (hoursOld: number) => ({
    key: 'prod/certctl-b.dump.sha256',
    size: 96,
    lastModified: hoursBefore(NOW, hoursOld),
  });

  it('fails on the stale dump when the newest object, a checksum of a dump not listed, could not be read', () => {
    // Prepare: a dump 90 h old, then the checksum of a dump that was never uploaded, 2 h old,
    // whose read was refused.
    const objects = [stale, orphan(2)];
    const fact = listedAs(objects, {
      object: objects[1] as DumpObject,
      header: { state: 'unknown', reason: 'AccessDenied' },
      tail: { state: 'unknown', reason: 'AccessDenied' },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE 'the header of prod/certctl-b.dump.sha256 … could not be read,
    // so nothing shows it is a dump', the checksum judged as a possible newest dump.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toBe(
      "The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 3.8 days old, and the newer object prod/certctl-b.dump.sha256 is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.dump, not uploaded or deleted since); the policy allows 30 h. The bytes of prod/certctl-a.dump were not read (the audit reads only those of prod/certctl-b.dump.sha256), so nothing shows it is a whole dump; its age alone fails the check. To judge the dumps alone, set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('fails on the stale dump behind an empty newest object and a recent checksum of a dump not listed', () => {
    // Prepare: a dump 90 h old, the checksum of a dump not listed 3 h old, an empty object 1 h old.
    const empty = { key: 'prod/certctl-c.dump', size: 0, lastModified: hoursBefore(NOW, 1) };
    const objects = [stale, orphan(3), empty];
    const fact = listedAs(objects, {
      object: empty,
      header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
      tail: { state: 'read', bytes: new Uint8Array() },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE: the recent checksum stood as the dump before the empty object.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toContain(
      'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 3.8 days old, and the 2 newer objects are empty (the newest prod/certctl-c.dump, a run that produced nothing) or, by their keys, checksums, signatures or logs of dumps not listed',
    );
  });

  it('does not take a checksum of a dump not listed for the newest dump behind a newer checksum of a listed one', () => {
    // Prepare: a dump 90 h old whose checksum was written again 1 h ago (the newest object), and
    // the checksum of a dump not listed, 50 h old.
    const objects = [
      stale,
      orphan(50),
      { key: 'prod/certctl-a.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 1) },
    ];
    const fact = listedAs(objects, checksumRead(objects[2] as DumpObject));
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'the newest listed object that is no such file, prod/certctl-b.dump.sha256, is
    // 50 h old', newestKey the checksum.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toContain(
      'The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 3.8 days old, and the 2 newer objects (the newest prod/certctl-a.dump.sha256) are by their keys, checksums, signatures or logs beside listed dumps or of dumps not listed',
    );
  });

  it('fails on the stale dump when an object the listing did not date is, by its key, a checksum', () => {
    // Prepare: the newest dump 40 h old, read whole; a checksum listed without a date.
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 40) },
      { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: undefined },
    ];
    const fact = listedAs(objects, newestOf(objects.slice(0, 1)));
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE 'a newer dump may be among them'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 40 });
  });

  it('is not available, naming the dump a checksum names, when the listing was cut and that dump may lie beyond it', () => {
    // Prepare: the listing stopped at its bound; a dump 90 h old, then the checksum of
    // prod/certctl-b.dump, which may be listed beyond the bound.
    const objects = [stale, orphan(2)];
    const fact = listedAs(objects, checksumRead(objects[1] as DumpObject), false);
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE on the checksum's bytes ('does not start with the pg_dump magic
    // PGDMP, so it does not show when the last dump was made'), the dump it names not said.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toContain(
      "the listing stopped at the policy's maxObjectsListed, so a newer dump may exist beyond it: prod/certctl-b.dump, which prod/certctl-b.dump.sha256 names, is not listed",
    );
  });

  it('never passes a recent dump whose bytes were not read behind such a checksum of a cut listing', () => {
    const objects = [{ ...stale, lastModified: hoursBefore(NOW, 8) }, orphan(2)];
    const fact = listedAs(objects, checksumRead(objects[1] as DumpObject), false);
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 8 });
    expect(outcome?.description).toContain(
      'the newest object prod/certctl-b.dump.sha256 is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.dump); the newest listed object that is no such file, prod/certctl-a.dump, is 8 h old, but whose bytes were not read',
    );
  });

  it('names the dump such a checksum names behind a recent empty object of a cut listing', () => {
    // Prepare: the listing stopped at its bound; a dump 90 h old, the checksum of a dump not listed
    // 3 h old, an empty object 1 h old, the newest.
    const empty = { key: 'prod/certctl-c.dump', size: 0, lastModified: hoursBefore(NOW, 1) };
    const objects = [stale, orphan(3), empty];
    const fact = listedAs(
      objects,
      {
        object: empty,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      },
      false,
    );
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE on the empty object alone, prod/certctl-b.dump not said.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "; the listing stopped at the policy's maxObjectsListed, and prod/certctl-b.dump, which prod/certctl-b.dump.sha256 names, is not listed: it may lie beyond the bound",
    );
  });

  it('fails a complete listing that holds only such a checksum: no dump at all', () => {
    const objects = [orphan(2)];
    const fact = listedAs(objects, {
      object: objects[0] as DumpObject,
      header: { state: 'unknown', reason: 'AccessDenied' },
      tail: { state: 'unknown', reason: 'AccessDenied' },
    });
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Before, NOT_AVAILABLE: its header could not be read, 'so nothing shows it is a dump'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ dumpsListed: 0, newestAgeHours: null });
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/ holds no dump at all: its only object, prod/certctl-b.dump.sha256, is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.dump, not uploaded or deleted since); the policy expects one every 24 h.',
    );
  });

  it('is not available when a cut listing holds only such a checksum', () => {
    const objects = [orphan(2)];
    const fact = listedAs(objects, checksumRead(objects[0] as DumpObject), false);
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "no dump is listed, and the listing stopped at the policy's maxObjectsListed, so dumps may exist beyond it: prod/certctl-b.dump, which prod/certctl-b.dump.sha256 names, is not listed",
    );
  });

  it('names the dump of a stem-named checksum with any extension', () => {
    const objects = [stale, { key: 'prod/certctl-b.sha256', size: 96, lastModified: hoursBefore(NOW, 2) }];
    const fact = listedAs(objects, checksumRead(objects[1] as DumpObject));
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'the newer object prod/certctl-b.sha256 is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.*, not uploaded or deleted since)',
    );
  });
});

describe('dumps.fresh judges the newest dump the collectors read behind newer checksums', () => {
  it('passes a recent whole dump read behind the checksum beside it, and says what it passed over', () => {
    // Prepare: the collectors read the newest object that may be a dump, not the checksum after it.
    const dumps = dailySeries(10);
    const fact = s3Fact({
      listing: { state: 'read', objects: withChecksums(dumps), complete: true },
      newest: newestOf(dumps),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE '..., but whose bytes were not read', though they were.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-2026-12-02.dump', newerChecksums: 1 });
    expect(outcome?.description).toBe(
      "The newest dump in s3://certctl-dumps/prod/ (prod/certctl-2026-12-02.dump) is 8.3 h old, within the 24 h cadence plus 6 h grace. The newer object prod/certctl-2026-12-02.dump.sha256 is, by its key, a checksum, signature or log beside the dump prod/certctl-2026-12-02.dump, not a dump, so it was not read; set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('fails a stale dump read behind a checksum of a dump not listed, saying what its bytes showed', () => {
    // Prepare: a whole dump 90 h old, read; the checksum of prod/certctl-b.dump, not listed, 2 h old.
    const stale = [{ key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 90) }];
    const objects = [
      ...stale,
      { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({ listing: { state: 'read', objects, complete: true }, newest: newestOf(stale) });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, 'The bytes of prod/certctl-a.dump were not read (only the newest object's
    // are)', though they were.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toBe(
      "The newest dump in s3://certctl-dumps/prod/ (prod/certctl-a.dump) is 3.8 days old; the policy allows 30 h (24 h cadence + 6 h grace). The newer object prod/certctl-b.dump.sha256 is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.dump, not uploaded or deleted since), not a dump, so it was not read; set the location's `suffix` (`.dump`) so that only dumps count.",
    );
  });

  it('fails on the stale dump before a recent one read cut mid-archive behind a checksum', () => {
    // Prepare: a dump 90 h old; a dump 3 h old, read and cut mid-archive; its checksum 2 h old.
    const cut = cutsOf('certctl-pg17.dump')[2] as number;
    const dumps = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 90) },
      { key: 'prod/certctl-b.dump', size: cut, lastModified: hoursBefore(NOW, 3) },
    ];
    const objects = [
      ...dumps,
      { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 2) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: newestOf(dumps, 'certctl-pg17.dump', cut),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, NOT_AVAILABLE 'prod/certctl-b.dump, is 3 h old, but whose bytes were not read'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ newestKey: 'prod/certctl-a.dump', newestAgeHours: 90 });
    expect(outcome?.description).toContain(
      'the 2 newer objects are empty or, by their keys, checksums, signatures or logs beside listed dumps except prod/certctl-b.dump, the newest that may be a dump, which ends mid-archive',
    );
    expect(outcome?.description).toContain('(the audit reads only those of prod/certctl-b.dump)');
    expect(outcome?.description).toContain(
      'The newer object prod/certctl-b.dump.sha256 is, by its key, a checksum, signature or log beside the dump prod/certctl-b.dump, not a dump, so it was not read',
    );
  });

  it('calls a recent dump read behind a newer checksum the newest that may be a dump, not the newest object', () => {
    // Prepare: the newest dump, read, is of database "certctl"; the policy names "certctl_prod".
    const dumps = dailySeries(3);
    const fact = s3Fact({
      listing: { state: 'read', objects: withChecksums(dumps), complete: true },
      newest: newestOf(dumps),
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith({ databaseName: 'certctl_prod' }));
    // Assess: before, NOT_AVAILABLE '..., but whose bytes were not read', though they were.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'prod/certctl-2026-12-02.dump, the newest object under the prefix that may be a dump, is a dump of database "certctl", not "certctl_prod"',
    );
    expect(outcome?.description).toContain(
      'The newer object prod/certctl-2026-12-02.dump.sha256 is, by its key',
    );
  });

  it('names the object whose bytes were read when an empty object stood between the checksum and the stale dump', () => {
    // Prepare: a dump 90 h old, an empty object 3 h old (read, as the newest that may be a dump),
    // and the checksum of a dump not listed 1 h old.
    const empty = { key: 'prod/certctl-c.dump', size: 0, lastModified: hoursBefore(NOW, 3) };
    const objects = [
      { key: 'prod/certctl-a.dump', size: 6451, lastModified: hoursBefore(NOW, 90) },
      empty,
      { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 1) },
    ];
    const fact = s3Fact({
      listing: { state: 'read', objects, complete: true },
      newest: {
        object: empty,
        header: { state: 'read', result: parsePgDumpHeader(new Uint8Array()), bytesRead: 0 },
        tail: { state: 'read', bytes: new Uint8Array() },
      },
    });
    // Act
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Assess: before, '(only the newest object's are)', which was the checksum's, not read.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'The bytes of prod/certctl-a.dump were not read (the audit reads only those of prod/certctl-c.dump), so nothing shows it is a whole dump',
    );
  });
});

describe('dumps.fresh on a listing of checksums alone, of which the collectors read none', () => {
  const orphan = { key: 'prod/certctl-b.dump.sha256', size: 96, lastModified: hoursBefore(NOW, 2) };

  it('fails a complete listing, naming the checksum and the dump it names', () => {
    const fact = s3Fact({ listing: { state: 'read', objects: [orphan], complete: true }, newest: undefined });
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Before: 's3://certctl-dumps/prod/ holds no dump at all; the policy expects one every 24 h.'
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/ holds no dump at all: its only object, prod/certctl-b.dump.sha256, is, by its key, a checksum, signature or log of a dump not listed (prod/certctl-b.dump, not uploaded or deleted since); the policy expects one every 24 h.',
    );
  });

  it('is not available on a cut listing, naming the dump that may lie beyond it', () => {
    const fact = s3Fact({
      listing: { state: 'read', objects: [orphan], complete: false },
      newest: undefined,
    });
    const outcome = dumpsFreshCheck.evaluate(fact, settingsWith());
    // Before: 'the listing stopped at the policy's maxObjectsListed before it reached any dump'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'prod/certctl-b.dump, which prod/certctl-b.dump.sha256 names, is not listed',
    );
  });
});
