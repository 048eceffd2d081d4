/**
 * The Cloud Storage simulator and the GCS dumps adapter, with the real @google-cloud/storage client
 * pointed at the simulator (`apiEndpoint`, unauthenticated as against an emulator).
 */
import { readFileSync } from 'node:fs';
import { ApiError, RETRYABLE_ERR_FN_DEFAULT, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpsFreshCheck } from '../../functions/checks/dumps/fresh.ts';
import { dumpsEngineChecks } from '../../functions/checks/dumps/index.ts';
import { dumpsIntegrityCheck } from '../../functions/checks/dumps/integrity.ts';
import { dumpsProtectionCheck } from '../../functions/checks/dumps/protection.ts';
import { dumpsRetentionCheck } from '../../functions/checks/dumps/retention.ts';
import type { DumpFact } from '../../functions/core/dump-facts.ts';
import { dumpsPolicySchema } from '../../functions/core/dumps-policy.ts';
import { parsePgDumpHeader } from '../../functions/core/pg-dump-header.ts';
import { CloudKmsRestClient } from '../../functions/gcp/cloud-kms.ts';
import {
  collectGcsDumpFacts,
  type GcsKeyReader,
  gcsLifecycleRulesFor,
  readGcsDumpFact,
} from '../../functions/gcp/gcs-dumps.ts';
import { ResourceManagerRestClient } from '../../functions/gcp/resource-manager.ts';
import { CHECKSUMMED_CONTENTS, DUMP_FIXTURE, NOW } from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { simProjectNumber } from '../sim/services/resource-manager.ts';

const PROJECT = 'certctl-prod';
const KMS_KEY = 'projects/certctl-prod/locations/europe-west1/keyRings/dumps/cryptoKeys/dumps';

/** The number the simulated Resource Manager and Cloud Storage give certctl-prod. */
const PROJECT_NUMBER = simProjectNumber(PROJECT);
/** What collectGcsDumpFacts passes for PROJECT: its number, read. */
const OWNER = { state: 'read', value: PROJECT_NUMBER } as const;

let sim: Sim;
let storage: Storage;
let resourceManager: ResourceManagerRestClient;

beforeAll(async () => {
  sim = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        gcs: {
          maxPageSize: 10,
          buckets: [
            {
              // Keys whose UTF-8 byte order (Cloud Storage's) differs from their UTF-16 code unit order.
              name: 'certctl-unicode',
              objects: [
                { key: 'prod/a.dump', body: 'PGDMP', lastModified: '-3d' },
                { key: 'prod/\u{1F600}.dump', body: 'PGDMP', lastModified: '-2d' },
              ],
            },
            {
              name: 'certctl-dumps',
              retentionPolicy: { retentionPeriodSeconds: 35 * 86_400, isLocked: true },
              lifecycle: [
                { action: 'Delete', age: 35, matchesPrefix: ['prod/'] },
                { action: 'Delete', daysSinceNoncurrentTime: 35, isLive: false },
                { action: 'Delete', age: 1, matchesPrefix: ['tmp/'] },
              ],
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              objects: [{ key: 'prod/notes.txt', body: 'restore notes', lastModified: '-40d' }],
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            {
              name: 'certctl-dumps-bare',
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 12,
                  newest: '-2h',
                  fixture: DUMP_FIXTURE,
                  missing: [3, 4, 5],
                },
              ],
            },
            // A new series: one dump, its upload cut after 3000 of 6451 bytes; nothing to compare with.
            {
              name: 'certctl-dumps-new-cut',
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 1,
                  newest: '-2h',
                  fixture: DUMP_FIXTURE,
                  truncated: [0],
                  truncatedBytes: 3000,
                },
              ],
            },
            {
              name: 'certctl-dumps-empty-newest',
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 5,
                  newest: '-2h',
                  fixture: DUMP_FIXTURE,
                  truncated: [0],
                  truncatedBytes: 0,
                },
              ],
            },
            // Deletes every object created before 2026-11-25: a week of the 30 days required.
            {
              name: 'certctl-dumps-created-before',
              versioning: true,
              lifecycle: [{ action: 'Delete', createdBefore: '2026-11-25', matchesPrefix: ['prod/'] }],
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            // Versioned, but a Delete rule that does not ask isLive: true also deletes noncurrent
            // versions once 7 days old.
            {
              name: 'certctl-dumps-live-age',
              versioning: true,
              lifecycle: [{ action: 'Delete', age: 7, matchesPrefix: ['prod/'] }],
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            // Deletes objects a day after their custom time, which the listing does not read.
            {
              name: 'certctl-dumps-custom-time',
              versioning: true,
              lifecycle: [{ action: 'Delete', daysSinceCustomTime: 1 }],
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            // Noncurrent versions deleted by version count or by the date they became noncurrent.
            ...(
              [
                ['newer-versions', { numNewerVersions: 3 }],
                ['newer-versions-live-absent', { numNewerVersions: 3, isLive: false }],
                ['newer-versions-and-days', { numNewerVersions: 3, daysSinceNoncurrentTime: 35 }],
                // Every version, the live one too, has at least 0 newer versions.
                ['newer-versions-zero', { numNewerVersions: 0 }],
                ['noncurrent-before-recent', { noncurrentTimeBefore: '2026-11-25' }],
                ['noncurrent-before-future', { noncurrentTimeBefore: '2027-06-01', isLive: false }],
                ['noncurrent-before-old', { noncurrentTimeBefore: '2026-10-01' }],
                ['noncurrent-created-before', { isLive: false, createdBefore: '2027-01-01' }],
              ] as const
            ).map(([name, condition]) => ({
              name: `certctl-dumps-${name}`,
              versioning: true,
              lifecycle: [{ action: 'Delete' as const, ...condition }],
              publicAccessPrevention: 'enforced' as const,
              defaultKmsKeyName: KMS_KEY,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            })),
            // A customer-managed default key set after the dumps were written: they stay under
            // Google-managed keys, and objects.list names no kmsKeyName for them.
            {
              name: 'certctl-dumps-default-key-later',
              retentionPolicy: { retentionPeriodSeconds: 35 * 86_400, isLocked: true },
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              objectKmsKeyName: false,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            // Deletes temporary files a day old: no dump ends with .tmp.
            {
              name: 'certctl-dumps-tmp-cleanup',
              versioning: true,
              lifecycle: [{ action: 'Delete', age: 1, isLive: true, matchesSuffix: ['.tmp', '.partial'] }],
              publicAccessPrevention: 'enforced',
              defaultKmsKeyName: KMS_KEY,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
            },
            // A checksum after each dump, a console folder placeholder, and the last run's dump
            // missing while its checksum came.
            {
              name: 'certctl-dumps-sidecars',
              ...CHECKSUMMED_CONTENTS,
            },
            {
              name: 'certctl-dumps-denied',
              denied: ['buckets.get', 'objects.media'],
              series: [{ keyPrefix: 'prod/certctl-', count: 2, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // The bucket and the listing are read; the objects' bytes are refused.
            {
              name: 'certctl-dumps-media-denied',
              denied: ['objects.media'],
              series: [{ keyPrefix: 'prod/certctl-', count: 2, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // The newest dump uploaded with `gsutil cp -Z`: stored gzip-compressed, contentEncoding gzip.
            {
              name: 'certctl-dumps-gzip',
              objects: [
                { key: 'prod/certctl-0.dump', fixture: DUMP_FIXTURE, lastModified: '-26h' },
                {
                  key: 'prod/certctl-1.dump',
                  fixture: DUMP_FIXTURE,
                  lastModified: '-2h',
                  contentEncoding: 'gzip',
                },
              ],
            },
            // The name certctl's bucket had, taken by another project after it was deleted: healthy.
            {
              name: 'certctl-dumps-taken',
              project: 'stranger-dumps-9',
              retentionPolicy: { retentionPeriodSeconds: 35 * 86_400, isLocked: true },
              publicAccessPrevention: 'enforced',
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // In a project whose projects.get the audit's account may not call.
            {
              name: 'certctl-dumps-sealed',
              project: 'certctl-sealed',
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // Read by a caller whose project has not enabled the Cloud Storage API.
            {
              name: 'certctl-dumps-api-off',
              apiDisabled: true,
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // In a project on which the Resource Manager API is not enabled.
            {
              name: 'certctl-dumps-no-crm',
              project: 'certctl-no-crm',
              series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // A multi-region bucket a policy may place in a region it is not in.
            {
              name: 'certctl-dumps-eu',
              location: 'EU',
              series: [{ keyPrefix: 'prod/certctl-', count: 2, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
          ],
        },
        resourceManager: { denied: ['certctl-sealed'], disabled: ['certctl-no-crm'] },
      },
    },
  });
  storage = new Storage({ apiEndpoint: sim.endpoint, projectId: PROJECT });
  resourceManager = new ResourceManagerRestClient({ endpoint: sim.endpoint });
});

afterAll(async () => {
  await sim.close();
});

async function read(bucket: string, maxObjectsListed = 1000): Promise<DumpFact> {
  return readGcsDumpFact({
    storage,
    location: { bucket, prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
    maxObjectsListed,
    owner: OWNER,
  });
}

const settings = { dumps: dumpsPolicySchema.parse({}), minPitrDays: 30, now: NOW };

describe('Cloud Storage simulator', () => {
  it('pages objects.list with pageToken when the page size is 10', async () => {
    // Act
    const [first, next] = await storage
      .bucket('certctl-dumps')
      .getFiles({ prefix: 'prod/', autoPaginate: false });
    const [all] = await storage.bucket('certctl-dumps').getFiles({ prefix: 'prod/' });
    // Assess
    expect(first).toHaveLength(10);
    expect(next?.pageToken).toBeTruthy();
    expect(all).toHaveLength(36);
    expect(all[0]?.metadata).toMatchObject({ name: 'prod/certctl-00.dump', size: '6451' });
  });

  it('lists and pages names in UTF-8 byte order, as Cloud Storage does, when names hold characters beyond the BMP', async () => {
    // Prepare: U+FF21 (UTF-8 EF BC A1) sorts before U+1F600 (F0 9F 98 80) in bytes, after it in
    // UTF-16 code units (FF21 > D83D): one name seeded, two written, so both orderings are exercised.
    for (const name of ['prod/\u{FF21}.dump', 'prod/\u{E9}.dump']) {
      await fetch(
        `${sim.endpoint}/upload/storage/v1/b/certctl-unicode/o?uploadType=media&name=${encodeURIComponent(name)}`,
        { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'PGDMP' },
      );
    }
    const names: string[] = [];
    let pageToken: string | undefined;
    // Act: one name a page, so each page starts after the last name of the one before.
    do {
      const [files, next] = await storage.bucket('certctl-unicode').getFiles({
        prefix: 'prod/',
        maxResults: 1,
        autoPaginate: false,
        ...(pageToken ? { pageToken } : {}),
      });
      names.push(...files.map((file) => file.name));
      pageToken = next?.pageToken;
    } while (pageToken);
    // Assess: before, U+1F600 came before U+FF21.
    expect(names).toEqual(['prod/a.dump', 'prod/\u{E9}.dump', 'prod/\u{FF21}.dump', 'prod/\u{1F600}.dump']);
  });

  it('serves a gzip-encoded object decompressed whole, Range ignored, unless the request accepts gzip', async () => {
    // Arrange
    const url = `${sim.endpoint}/download/storage/v1/b/certctl-dumps-gzip/o/${encodeURIComponent('prod/certctl-1.dump')}?alt=media`;
    // Act
    const transcoded = await fetch(url, { headers: { range: 'bytes=0-9', 'accept-encoding': 'identity' } });
    const stored = await fetch(url, { headers: { range: 'bytes=0-9', 'accept-encoding': 'gzip' } });
    // Assess
    expect(transcoded.status).toBe(200);
    expect(Buffer.from(await transcoded.arrayBuffer())).toEqual(readFileSync(DUMP_FIXTURE));
    expect(stored.status).toBe(206);
    expect(stored.headers.get('content-encoding')).toBe('gzip');
  });

  it('downloads only the requested bytes when a range is given', async () => {
    // Act
    const [bytes] = await storage
      .bucket('certctl-dumps')
      .file('prod/certctl-34.dump')
      .download({ start: 0, end: 99 });
    // Assess
    expect(bytes.length).toBe(100);
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
  });

  it('answers the bucket with a locked retention policy, lifecycle, prevention and CMEK', async () => {
    const [metadata] = await storage.bucket('certctl-dumps').getMetadata();
    // No versioning beside the retention policy: Cloud Storage refuses the pair.
    expect(metadata.versioning).toBeUndefined();
    expect(metadata).toMatchObject({
      retentionPolicy: { retentionPeriod: '3024000', isLocked: true },
      iamConfiguration: { publicAccessPrevention: 'enforced' },
      encryption: { defaultKmsKeyName: KMS_KEY },
      softDeletePolicy: { retentionDurationSeconds: '604800' },
    });
    expect(metadata.lifecycle?.rule?.[0]).toEqual({
      action: { type: 'Delete' },
      condition: { age: 35, matchesPrefix: ['prod/'] },
    });
  });

  it('leaves unset settings out of the bucket when the scenario sets none', async () => {
    const [metadata] = await storage.bucket('certctl-dumps-bare').getMetadata();
    expect(metadata.versioning).toBeUndefined();
    expect(metadata.retentionPolicy).toBeUndefined();
    expect(metadata.lifecycle).toBeUndefined();
    expect(metadata.encryption).toBeUndefined();
  });

  it('answers 404 when the bucket does not exist', async () => {
    await expect(storage.bucket('no-such-bucket').getMetadata()).rejects.toMatchObject({ code: 404 });
  });

  it('answers 403 when the scenario denies buckets.get', async () => {
    await expect(storage.bucket('certctl-dumps-denied').getMetadata()).rejects.toMatchObject({ code: 403 });
  });
});

describe('readGcsDumpFact', () => {
  it('builds the full fact with the header parsed when the bucket is healthy', async () => {
    // Act
    const fact = await read('certctl-dumps');
    // Assess
    expect(fact.resource).toEqual({
      provider: 'gcp',
      account: PROJECT,
      region: 'europe-west1',
      type: 'GcpStorageBucket',
      id: 'certctl-dumps/prod/',
      selfLink: 'https://www.googleapis.com/storage/v1/b/certctl-dumps',
    });
    expect(fact.listing).toMatchObject({ state: 'read', complete: true });
    expect(fact.newest?.object).toEqual({
      key: 'prod/certctl-34.dump',
      size: 6451,
      lastModified: new Date('2026-12-02T03:40:00.000Z'),
    });
    // The object is 6451 bytes: 1024 read means the read was ranged; the tail is its last 64 bytes.
    expect(fact.newest?.header).toMatchObject({ state: 'read', bytesRead: 1024, result: { kind: 'header' } });
    expect(fact.newest?.tail).toEqual({
      state: 'read',
      bytes: new Uint8Array(readFileSync(DUMP_FIXTURE).subarray(-64)),
    });
    expect(fact.versioning).toEqual({ state: 'absent' });
    expect(fact.retentionLock).toEqual({ state: 'read', value: { mode: undefined, days: 35, locked: true } });
    expect(fact.lifecycle).toMatchObject({
      state: 'read',
      value: [
        // No isLive: the rule deletes noncurrent versions too, once 35 days old.
        { expirationDays: 35, noncurrentExpirationDays: 35, prefix: 'prod/' },
        { expirationDays: undefined, noncurrentExpirationDays: 35 },
      ],
    });
    expect(fact.publicAccess).toEqual({
      state: 'read',
      value: { blocked: true, detail: 'publicAccessPrevention=enforced' },
    });
    expect(fact.encryption).toEqual({
      state: 'read',
      value: { algorithm: 'cloud-kms', kmsKey: KMS_KEY, customerManagedKey: true },
    });
    expect(fact.softDeleteDays).toEqual({ state: 'read', value: 7 });
  });

  it('passes every dumps check when the bucket is healthy', async () => {
    const fact = await read('certctl-dumps');
    const statuses = [dumpsFreshCheck, dumpsRetentionCheck, dumpsIntegrityCheck, dumpsProtectionCheck].map(
      (check) => check.evaluate(fact, settings)?.status,
    );
    expect(statuses).toEqual(['PASSED', 'PASSED', 'PASSED', 'PASSED']);
  });

  it('reads absent settings and finds the gap when the bucket is bare and misses three dumps', async () => {
    // Act
    const fact = await read('certctl-dumps-bare');
    // Assess
    expect(fact.versioning).toEqual({ state: 'absent' });
    expect(fact.retentionLock).toEqual({ state: 'absent' });
    expect(fact.lifecycle).toEqual({ state: 'absent' });
    expect(fact.encryption).toEqual({
      state: 'read',
      value: { algorithm: 'google-managed', kmsKey: undefined, customerManagedKey: false },
    });
    const retention = dumpsRetentionCheck.evaluate(fact, settings);
    expect(retention?.status).toBe('FAILED');
    expect(retention?.observed).toMatchObject({ longestGapHours: 96 });
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('FAILED');
  });

  it('fails integrity saying the newest dump is empty when the ranged read of an empty object answers 416', async () => {
    // Act
    const fact = await read('certctl-dumps-empty-newest');
    // Assess
    expect(fact.newest?.header).toMatchObject({
      state: 'read',
      result: { kind: 'not-pg-dump', looksLike: 'empty' },
      bytesRead: 0,
    });
    expect(fact.newest?.tail).toEqual({ state: 'read', bytes: new Uint8Array() });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('prod/certctl-4.dump is empty');
  });

  it('reads the header of a gzip-encoded newest dump and says why its end is not read, never to grant the read', async () => {
    // Act
    const fact = await read('certctl-dumps-gzip');
    // Assess: the first bytes are the dump's own, decompressed from the stored stream's first bytes.
    expect(fact.newest?.header).toMatchObject({
      state: 'read',
      bytesRead: 1024,
      result: parsePgDumpHeader(new Uint8Array(readFileSync(DUMP_FIXTURE).subarray(0, 1024))),
    });
    expect(fact.newest?.tail).toMatchObject({ state: 'unknown' });
    // Its header proves a dump was started, not that it is whole: no recent whole dump is proven.
    const fresh = dumpsFreshCheck.evaluate(fact, settings);
    expect(fresh?.status).toBe('NOT_AVAILABLE');
    expect(fresh?.description).toContain(
      'starts a pg_dump custom archive, but its last bytes could not be read: prod/certctl-1.dump is stored gzip-encoded (contentEncoding: gzip)',
    );
    expect(fresh?.description).toContain('without -Z');
    expect(fresh?.description).not.toContain('grant');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.description).toContain(
      'prod/certctl-1.dump is stored gzip-encoded (contentEncoding: gzip)',
    );
    expect(integrity?.description).toContain('without -Z');
    expect(integrity?.description).not.toContain('grant');
  });

  it('fails integrity as truncated when the only dump of a new series was cut, from its last bytes', async () => {
    // Act
    const fact = await read('certctl-dumps-new-cut');
    // Assess
    expect(fact.newest?.tail).toEqual({
      state: 'read',
      bytes: new Uint8Array(readFileSync(DUMP_FIXTURE).subarray(3000 - 64, 3000)),
    });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'prod/certctl-0.dump is not what a restore needs: it ends mid-archive: truncated (3000 bytes;',
    );
  });

  it('reads the bucket as absent, and fails dumps.fresh and dumps.retention, when objects.list answers 404', async () => {
    // Act
    const fact = await read('no-such-bucket');
    // Assess: before, every dumps check was NOT_AVAILABLE ('the listing failed (…)').
    expect(fact.listing).toMatchObject({ state: 'unknown', bucketAbsent: true });
    const fresh = dumpsFreshCheck.evaluate(fact, settings);
    expect(fresh?.status).toBe('FAILED');
    expect(fresh?.description).toContain(
      'gs://no-such-bucket/prod/ holds no dump: the bucket does not exist',
    );
    expect(dumpsRetentionCheck.evaluate(fact, settings)?.status).toBe('FAILED');
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });

  it('keeps every bucket setting unknown when buckets.get is denied', async () => {
    // Act
    const fact = await read('certctl-dumps-denied');
    // Assess
    expect(fact.versioning).toMatchObject({ state: 'unknown', reason: expect.stringContaining('403') });
    expect(fact.encryption.state).toBe('unknown');
    // Without buckets.get the bucket's project is not known: none of its objects is read.
    expect(fact.ownership).toMatchObject({ state: 'unknown', reason: expect.stringContaining('403') });
    expect(fact.listing.state).toBe('unknown');
    expect(fact.newest).toBeUndefined();
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });

  it('marks a header read refused with 403 as denied, and dumps.fresh, not passing on the name, names storage.objects.get', async () => {
    // Act
    const fact = await read('certctl-dumps-media-denied');
    const named = { ...fact, location: { ...fact.location, suffix: '.dump' } };
    const outcome = dumpsFreshCheck.evaluate(named, settings);
    // Assess
    expect(fact.newest?.header).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('403'),
      denied: 'unattributed',
    });
    // Before, PASSED on the key's `.dump` alone, its bytes unread.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "the audit's service account needs storage.objects.get on the objects under gs://certctl-dumps-media-denied/prod/",
    );
  });

  it("quotes the message and reason of Cloud Storage's JSON error answer, not the answer itself, when a media read is refused", async () => {
    // Act
    const fact = await read('certctl-dumps-media-denied');
    // Assess: before, '403: {"error":{"code":403,"message":"backup-guard does not have …","errors":[…]}}',
    // the answer's body the library puts in the error's message on a media read.
    const reason =
      'forbidden (HTTP 403): backup-guard does not have storage.objects.get access to the Google Cloud Storage object.';
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', reason });
    expect(fact.newest?.tail).toMatchObject({ state: 'unknown', reason });
  });

  it("says a refused buckets.get as the S3 reads say theirs: Cloud Storage's reason, the HTTP status and its message", async () => {
    // Act
    const fact = await read('certctl-dumps-denied');
    // Assess
    expect(fact.versioning).toMatchObject({
      state: 'unknown',
      reason: expect.stringMatching(
        /^buckets\.get of gs:\/\/certctl-dumps-denied failed \(forbidden \(HTTP 403\): [^{]+\)$/,
      ),
    });
  });

  it("names the bucket's location from buckets.get as the region, not the policy's", async () => {
    // Act
    const fact = await readGcsDumpFact({
      storage,
      location: { bucket: 'certctl-dumps-eu', prefix: 'prod/', project: PROJECT, region: 'us-east1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    // Assess
    expect(fact.resource.region).toBe('eu');
  });

  it("keeps the policy's region when buckets.get failed", async () => {
    // Act
    const fact = await readGcsDumpFact({
      storage,
      location: { bucket: 'certctl-dumps-denied', prefix: 'prod/', project: PROJECT, region: 'us-east1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    // Assess
    expect(fact.resource.region).toBe('us-east1');
  });

  it("lists only the keys with the location's suffix as the series, never a folder placeholder", async () => {
    // Prepare
    const withSuffix = (suffix?: string) =>
      readGcsDumpFact({
        storage,
        location: {
          bucket: 'certctl-dumps-sidecars',
          prefix: 'prod/',
          project: PROJECT,
          region: 'europe-west1',
          ...(suffix ? { suffix } : {}),
        },
        maxObjectsListed: 1000,
        owner: OWNER,
      });
    // Act
    const [named, unnamed] = await Promise.all([withSuffix('.dump'), withSuffix()]);
    // Assess
    const keys = (fact: DumpFact) =>
      fact.listing.state === 'read' ? fact.listing.objects.map((o) => o.key) : [];
    expect(keys(named)).toHaveLength(35);
    expect(keys(named).every((key) => key.endsWith('.dump'))).toBe(true);
    expect(dumpsFreshCheck.evaluate(named, settings)?.status).toBe('FAILED');
    expect(keys(unnamed)).toHaveLength(71);
    expect(keys(unnamed)).not.toContain('prod/');
    // The newest object, a checksum beside no listed dump, read as no pg_dump archive: no dump came
    // since the stale one before it.
    expect(dumpsFreshCheck.evaluate(unnamed, settings)?.status).toBe('FAILED');
    // The bytes read are the newest dump's, not the newer checksum's (before, its 64 bytes were).
    expect(unnamed.newest?.object.key).toBe('prod/certctl-34.dump');
    expect(unnamed.newest?.header).toMatchObject({ state: 'read', result: { kind: 'header' } });
    expect(dumpsIntegrityCheck.evaluate(unnamed, settings)).toMatchObject({
      status: 'PASSED',
      observed: { key: 'prod/certctl-34.dump', newerChecksums: 2 },
    });
  });

  it("takes the location's suffix from the policy when the project's locations are collected", async () => {
    // Act
    const [fact] = await collectGcsDumpFacts({
      storage,
      resourceManager,
      project: PROJECT,
      dumps: dumpsPolicySchema.parse({
        locations: [
          {
            provider: 'gcp',
            bucket: 'certctl-dumps-sidecars',
            prefix: 'prod/',
            suffix: '.dump',
            project: PROJECT,
            region: 'europe-west1',
          },
        ],
      }),
    });
    // Assess
    expect(fact?.location).toMatchObject({ suffix: '.dump' });
    expect(fact?.listing.state === 'read' && fact.listing.objects).toHaveLength(35);
  });

  it('stops at maxObjectsListed when the series is longer', async () => {
    const fact = await read('certctl-dumps', 15);
    expect(fact.listing).toMatchObject({ state: 'read', complete: false });
    expect(fact.listing.state === 'read' && fact.listing.objects).toHaveLength(15);
  });

  it('parses the header of the downloaded first bytes as the fixture header', async () => {
    const [bytes] = await storage
      .bucket('certctl-dumps')
      .file('prod/certctl-34.dump')
      .download({ start: 0, end: 4095 });
    const result = parsePgDumpHeader(new Uint8Array(bytes));
    expect(result.kind === 'header' && result.header.databaseName).toBe('certctl');
  });

  it('serves the generation objects.list names, and answers 404 for one the object no longer has', async () => {
    // Prepare
    const [files] = await storage.bucket('certctl-dumps').getFiles({ prefix: 'prod/certctl-34.dump' });
    const listed = String((files[0]?.metadata as { generation?: string } | undefined)?.generation);
    const at = (generation: string) =>
      storage
        .bucket('certctl-dumps')
        .file('prod/certctl-34.dump', { generation })
        .download({ start: 0, end: 4 });
    // Act and Assess
    expect(new TextDecoder().decode((await at(listed))[0])).toBe('PGDMP');
    await expect(at('1')).rejects.toMatchObject({ code: 404 });
  });
});

/**
 * The fact read from a stubbed bucket of certctl-dumps/prod/ whose every objects.list page holds
 * `files` and names `next` as the next page; every other setting reads as not set.
 */
function readStubbed(
  files: readonly { name: string; metadata: Record<string, unknown> }[],
  next: { pageToken: string } | null,
  bucketMetadata: Record<string, unknown> = {},
): Promise<DumpFact> {
  const bucket = {
    name: 'certctl-dumps',
    getFiles: async () => [files, next, {}],
    getMetadata: async () => [{ projectNumber: PROJECT_NUMBER, ...bucketMetadata }],
    file: () => ({ download: async () => [Buffer.alloc(0)] }),
  };
  return readGcsDumpFact({
    storage: { bucket: () => bucket } as unknown as Storage,
    location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
    maxObjectsListed: 1000,
    owner: OWNER,
  });
}

describe('gcsLifecycleRulesFor, a rule on live objects that also reaches noncurrent versions', () => {
  it('keeps its other conditions on the noncurrent versions it deletes by age', () => {
    // Prepare: no isLive, so the rule reaches noncurrent versions too, but only of STANDARD objects.
    const metadata = {
      lifecycle: {
        rule: [{ action: { type: 'Delete' }, condition: { age: 3, matchesStorageClass: ['STANDARD'] } }],
      },
    };
    // Act
    const [rule] = gcsLifecycleRulesFor(metadata, 'prod/');
    // Assess: dumps.protection said it 'deletes noncurrent versions after 3 days', of every object.
    expect(rule).toMatchObject({
      noncurrentExpirationDays: 3,
      noncurrentUnmodelledConditions: ['matchesStorageClass=["STANDARD"]'],
    });
  });
});

describe('readGcsDumpFact of bucket settings sent with another type than the JSON API gives them', () => {
  it('does not read versioning sent as the string "false" as enabled', async () => {
    // Act
    const fact = await readStubbed([], null, { versioning: { enabled: 'false' } });
    // Assess: it read Enabled, a non-empty string being truthy.
    expect(fact.versioning).toEqual({
      state: 'unknown',
      reason: 'buckets.get sent versioning.enabled "false", which is no boolean',
    });
  });

  it('does not read a default key name that is no string as a customer-managed key', async () => {
    // Act
    const fact = await readStubbed([], null, { encryption: { defaultKmsKeyName: { name: KMS_KEY } } });
    // Assess: it read a customer-managed Cloud KMS key named by that object.
    expect(fact.encryption).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('encryption.defaultKmsKeyName'),
    });
  });

  it('does not read a retention period that is no number of seconds as one', async () => {
    // Act: `true` read as Number(true), a one-second policy.
    const fact = await readStubbed([], null, { retentionPolicy: { retentionPeriod: true, isLocked: true } });
    // Assess
    expect(fact.retentionLock.state).toBe('unknown');
  });

  it('keeps a lifecycle condition sent with another type as a condition it cannot match, never compared as sent', async () => {
    // Prepare: two Delete rules on prod/ whose ages came as strings: "7" and "40" compared as
    // strings made "40" the shorter, and dumps.retention PASSED 'lifecycle rule #1 deletes them
    // only after 40 days' beside a rule that deletes them after 7; a matchesPrefix sent as a string
    // (no list) made the read throw.
    const lifecycle = {
      rule: [
        { action: { type: 'Delete' }, condition: { age: '40', matchesPrefix: ['prod/'] } },
        { action: { type: 'Delete' }, condition: { age: '7', matchesPrefix: ['prod/'] } },
        { action: { type: 'Delete' }, condition: { age: 1, matchesPrefix: 'tmp/' } },
        { action: { type: 'Delete' }, condition: { isLive: 'false', age: 3 } },
      ],
    };
    // Act
    const fact = await readStubbed([], null, { lifecycle });
    // Assess
    expect(fact.lifecycle).toMatchObject({
      state: 'read',
      value: [
        { id: '#1', expirationDays: undefined, unmodelledConditions: ['age="40"'] },
        { id: '#2', expirationDays: undefined, unmodelledConditions: ['age="7"'] },
        { id: '#3', expirationDays: 1, unmodelledConditions: ['matchesPrefix="tmp/"'] },
        { id: '#4', expirationDays: 3, unmodelledConditions: ['isLive="false"'] },
      ],
    });
    const outcome = dumpsRetentionCheck.evaluate(
      { ...fact, listing: { state: 'read', objects: [], complete: true } },
      settings,
    );
    expect(outcome?.description).toContain('whether lifecycle rule #2 deletes dumps sooner than 30 days');
  });
});

describe('readGcsDumpFact, a lifecycle rule whose action does not say it keeps the dumps', () => {
  /** 35 daily dumps up to 8 h before NOW: a series that covers the policy. */
  const series = Array.from({ length: 35 }, (_, index) => ({
    key: `prod/certctl-${index}.dump`,
    size: 6451,
    lastModified: new Date(NOW.getTime() - (34 - index) * 86_400_000 - 8 * 3_600_000),
  }));

  it.each([
    ['sent without a type', {}],
    ['of a type this audit does not know', { type: 'Purge' }],
  ])('reads the lifecycle as unknown, not as no rule, for a 1-day rule on prod/ %s', async (_, action) => {
    // Prepare
    const lifecycle = { rule: [{ action, condition: { age: 1, matchesPrefix: ['prod/'] } }] };
    // Act
    const fact = await readStubbed([], null, { lifecycle });
    const outcome = dumpsRetentionCheck.evaluate(
      { ...fact, listing: { state: 'read', objects: series, complete: true } },
      settings,
    );
    // Assess: the rule was left out as one that deletes nothing, and dumps.retention PASSED 'no
    // lifecycle rule expires them'.
    expect(fact.lifecycle).toEqual({
      state: 'unknown',
      reason: `buckets.get sent lifecycle rule #1 with action ${JSON.stringify(action)}, which names no action this audit knows (Delete, SetStorageClass, AbortIncompleteMultipartUpload), so whether it deletes dumps is unknown`,
    });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('still leaves out a rule that only changes the storage class, or one that reaches another prefix', async () => {
    // Prepare
    const lifecycle = {
      rule: [
        { action: { type: 'SetStorageClass', storageClass: 'COLDLINE' }, condition: { age: 1 } },
        { action: {}, condition: { age: 1, matchesPrefix: ['tmp/'] } },
      ],
    };
    // Act
    const fact = await readStubbed([], null, { lifecycle });
    // Assess
    expect(fact.lifecycle).toEqual({ state: 'read', value: [] });
  });
});

describe('readGcsDumpFact, when the newest dump is not under the default key', () => {
  it('warns, not passes, when the newest dump was written with Google-managed keys before a customer-managed default was set', async () => {
    // Act
    const fact = await read('certctl-dumps-default-key-later');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(fact.newest?.encryption).toEqual({
      algorithm: 'google-managed',
      kmsKey: undefined,
      customerManagedKey: false,
    });
    expect(outcome?.description).toContain(
      'is encrypted with Google-managed keys, not a customer-managed KMS key',
    );
  });

  it('does not call a dump under a customer-supplied key Google-managed', async () => {
    // Prepare: an upload with its own encryption key (CSEK): objects.list names no kmsKeyName.
    const files = [
      {
        name: 'prod/certctl-0.dump',
        metadata: {
          size: '6451',
          timeCreated: '2026-12-02T03:40:00.000Z',
          customerEncryption: { encryptionAlgorithm: 'AES256', keySha256: 'H4sI' },
        },
      },
    ];
    // Act
    const fact = await readStubbed(files, null, {
      encryption: { defaultKmsKeyName: KMS_KEY },
      retentionPolicy: { retentionPeriod: String(35 * 86_400), isLocked: true },
      iamConfiguration: { publicAccessPrevention: 'enforced' },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: before, the dump's own key was left unjudged and the bucket default's passed for it:
    // 'a customer-managed key encrypts the dumps'.
    expect(fact.newest?.encryption).toEqual({
      algorithm: 'customer-supplied',
      kmsKey: undefined,
      customerManagedKey: false,
    });
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'the newest dump prod/certctl-0.dump is encrypted with a customer-supplied key (CSEK), not a customer-managed KMS key: its upload sent that key, which overrides the bucket default, and Cloud Storage keeps no copy of it, so only whoever holds it can read or restore the dump',
    );
  });

  it('keeps the newest dump encryption unjudged when it is the default key', async () => {
    const fact = await read('certctl-dumps');
    expect(fact.newest?.encryption).toBeUndefined();
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
  });
});

describe("readGcsDumpFact, a dump's own object retention", () => {
  // A bucket with Object Retention Lock on (`objectRetention.mode: Enabled`), neither versioning
  // nor a retention policy, soft delete off: only each dump's own retention keeps it.
  const bucket = {
    objectRetention: { mode: 'Enabled' },
    iamConfiguration: { publicAccessPrevention: 'enforced' },
    encryption: { defaultKmsKeyName: KMS_KEY },
    softDeletePolicy: { retentionDurationSeconds: '0' },
  };
  const dump = (retention?: Record<string, unknown>) => [
    {
      name: 'prod/certctl-0.dump',
      metadata: {
        size: '6451',
        timeCreated: '2026-12-02T03:40:00.000Z',
        kmsKeyName: `${KMS_KEY}/cryptoKeyVersions/1`,
        ...(retention ? { retention } : {}),
      },
    },
  ];

  it('reads the retention objects.list sends for the newest dump, and passes deletion on a Locked one of the policy days', async () => {
    // Act
    const fact = await readStubbed(
      dump({ mode: 'Locked', retainUntilTime: '2027-01-06T03:40:00.000Z' }),
      null,
      bucket,
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: before, the retention was not read and the dump was "gone" once deleted (FAILED).
    expect(fact.newest?.objectLock).toEqual({
      mode: 'Locked',
      retainUntil: new Date('2027-01-06T03:40:00.000Z'),
    });
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain("prod/certctl-0.dump's own object retention, Locked until");
  });

  it("keeps every listed dump's own retention from the same objects.list answer", async () => {
    const older = {
      name: 'prod/certctl-older.dump',
      metadata: {
        size: '6451',
        timeCreated: '2026-12-01T03:40:00.000Z',
        retention: { mode: 'Locked', retainUntilTime: '2027-01-05T03:40:00.000Z' },
      },
    };
    const fact = await readStubbed([older, ...dump()], null, bucket);
    expect(fact.listedRetentions).toEqual(
      new Map([
        ['prod/certctl-older.dump', { mode: 'Locked', retainUntil: new Date('2027-01-05T03:40:00.000Z') }],
      ]),
    );
  });

  it("does not pass deletion on the newest dump's Locked retention when objects.list sent none for an older dump of the window", async () => {
    // Prepare: the dump of the day before, written before Object Retention Lock was used.
    const older = {
      name: 'prod/certctl-older.dump',
      metadata: { size: '6451', timeCreated: '2026-12-01T03:40:00.000Z' },
    };
    // Act
    const fact = await readStubbed(
      [older, ...dump({ mode: 'Locked', retainUntilTime: '2027-01-06T03:40:00.000Z' })],
      null,
      bucket,
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'the older listed dump prod/certctl-older.dump carries no Locked object retention of at least 30 days of its own',
    );
  });

  it('keeps no retention for a dump objects.list sends none for, or an unreadable one', async () => {
    const none = await readStubbed(dump(), null, bucket);
    const unreadable = await readStubbed(dump({ mode: 'Locked', retainUntilTime: 'soon' }), null, bucket);
    expect(none.newest?.objectLock).toBeUndefined();
    expect(unreadable.newest?.objectLock).toBeUndefined();
    expect(dumpsProtectionCheck.evaluate(none, settings)?.status).toBe('FAILED');
  });
});

describe('readGcsDumpFact, object holds', () => {
  const listedWith = (holds: Record<string, unknown>) => [
    {
      name: 'prod/certctl-older.dump',
      metadata: { size: '6451', timeCreated: '2026-12-01T03:40:00.000Z', eventBasedHold: true },
    },
    {
      name: 'prod/certctl-0.dump',
      metadata: { size: '6451', timeCreated: '2026-12-02T03:40:00.000Z', ...holds },
    },
  ];

  it('keeps the holds objects.list sends for each listed dump, and the newest dump its own', async () => {
    // Act: objects.list sends the Objects resource's temporaryHold and eventBasedHold (the default
    // noAcl projection leaves out only owner and acl; no fields are asked for).
    const fact = await readStubbed(listedWith({ temporaryHold: true, eventBasedHold: false }), null);
    // Assess: before, neither was read.
    expect(fact.listedHolds).toEqual(
      new Map([
        ['prod/certctl-older.dump', { eventBased: true }],
        ['prod/certctl-0.dump', { temporary: true, eventBased: false }],
      ]),
    );
    expect(fact.newest?.holds).toEqual({ temporary: true, eventBased: false });
  });

  it('keeps no hold that was not sent, or not sent as a boolean', async () => {
    const fact = await readStubbed(listedWith({ temporaryHold: 'true' }), null);
    expect(fact.newest?.holds).toBeUndefined();
    expect(fact.listedHolds?.get('prod/certctl-0.dump')).toBeUndefined();
    expect(fact.listedHolds?.get('prod/certctl-older.dump')).toEqual({ eventBased: true });
  });
});

describe('readGcsDumpFact, the key versions of the older dumps', () => {
  // The default key rotated 2 days ago: the last two dumps are under version 2 (its primary), the
  // older ones under version 1, which someone destroyed after the rotation.
  const V1 = `${KMS_KEY}/cryptoKeyVersions/1`;
  const V2 = `${KMS_KEY}/cryptoKeyVersions/2`;
  const files = Array.from({ length: 35 }, (_, index) => {
    const written = new Date(NOW.getTime() - (34 - index) * 86_400_000 - 8 * 3_600_000);
    return {
      name: `prod/certctl-${String(index).padStart(2, '0')}.dump`,
      metadata: { size: '6451', timeCreated: written.toISOString(), kmsKeyName: index >= 33 ? V2 : V1 },
    };
  });
  const states: Record<string, string> = { [V1]: 'DESTROYED', [V2]: 'ENABLED' };
  const reads: string[] = [];
  const readKey: GcsKeyReader = async (keyName, versionName) => {
    reads.push(versionName ?? keyName);
    return versionName
      ? { id: keyName, manager: 'CUSTOMER' as const, version: versionName, state: states[versionName] }
      : { id: keyName, manager: 'CUSTOMER' as const, version: V2, primary: true, state: 'ENABLED' };
  };
  const readWith = (
    read: GcsKeyReader,
    listed: readonly { name: string; metadata: Record<string, unknown> }[] = files,
  ) => {
    const bucket = {
      name: 'certctl-dumps',
      getFiles: async () => [listed, null, {}],
      getMetadata: async () => [
        {
          projectNumber: PROJECT_NUMBER,
          encryption: { defaultKmsKeyName: KMS_KEY },
          retentionPolicy: { retentionPeriod: String(35 * 86_400), isLocked: true },
          iamConfiguration: { publicAccessPrevention: 'enforced' },
        },
      ],
      file: () => ({ download: async () => [Buffer.alloc(0)] }),
    };
    return readGcsDumpFact({
      storage: { bucket: () => bucket } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
      readKey: read,
    });
  };

  it('fails when the key version older dumps of the series are under is DESTROYED, though the default primary and the newest dump are fine', async () => {
    // Act
    reads.length = 0;
    const fact = await readWith(readKey);
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: before, PASSED ('a customer-managed key encrypts the dumps'), while 33 of the 35 dumps
    // dumps.retention counts could no longer be decrypted. Each version is read once.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key version ${V1} that encrypts the dumps is DESTROYED: its key material is destroyed, and no dump it encrypts can be decrypted (33 older dumps of the series, the newest prod/certctl-32.dump)`,
    );
    expect(reads.filter((name) => name === V1)).toHaveLength(1);
  });

  it('warns, not fails, when the destroyed version holds only dumps older than the policy days', async () => {
    // Prepare: version 1 holds the 33 dumps written 2 to 34 days ago; under a 2-day policy they are
    // all older than what it asks for, the 2 it needs are under version 2.
    const fact = await readWith(readKey);
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, { ...settings, minPitrDays: 2 });
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the KMS key version ${V1} that encrypts the dumps is DESTROYED: its key material is destroyed, and no dump it encrypts can be decrypted (33 older dumps of the series, the newest prod/certctl-32.dump, all written before the 2 days the policy asks for)`,
    );
  });

  it('says an older version scheduled for destruction loses the dumps it encrypts, not every dump in the bucket', async () => {
    // Act
    const fact = await readWith(async (keyName, versionName) =>
      versionName === V1
        ? { id: keyName, manager: 'CUSTOMER' as const, version: V1, state: 'DESTROY_SCHEDULED' }
        : readKey(keyName, versionName),
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: the two newest dumps are under version 2, which stays usable.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key version ${V1} that encrypts the dumps is scheduled for destruction (DESTROY_SCHEDULED): once its material is destroyed no dump it encrypts can be decrypted (33 older dumps of the series, the newest prod/certctl-32.dump)`,
    );
    expect(outcome?.description).not.toContain('no dump in the bucket');
  });

  it('does not count an empty object under a destroyed version as a dump it encrypts', async () => {
    // Prepare: every dump under version 2; the run of 14 days ago uploaded 0 bytes under version 1.
    const listed = files.map((file, index) => ({
      ...file,
      metadata: { ...file.metadata, kmsKeyName: V2, ...(index === 20 ? { size: '0', kmsKeyName: V1 } : {}) },
    }));
    // Act
    const outcome = dumpsProtectionCheck.evaluate(await readWith(readKey, listed), settings);
    // Assess: before, FAILED ('1 older dumps of the series'): no dump is under version 1.
    expect(outcome?.status).toBe('PASSED');
  });

  it('does not pass encryption on a customer-managed default when older dumps of the window are under Google-managed or customer-supplied keys', async () => {
    // Prepare: the default key was set two days ago; objects.list names no key for the 33 dumps
    // written before (Google-managed: the default applies only to objects written after it), and
    // 3 of them were uploaded with a customer-supplied key (customerEncryption), which Cloud Storage
    // does not keep.
    const listed = files.map((file, index) => {
      if (index >= 33) return file;
      const { kmsKeyName: _none, ...metadata } = file.metadata;
      return {
        ...file,
        metadata:
          index >= 30 ? { ...metadata, customerEncryption: { encryptionAlgorithm: 'AES256' } } : metadata,
      };
    });
    // Act
    const fact = await readWith(readKey, listed);
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: before, PASSED ('a customer-managed key encrypts the dumps').
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      '30 older dumps of the series (the newest prod/certctl-29.dump) are encrypted with Google-managed keys, not a customer-managed KMS key: they were written before the bucket default key was set',
    );
    expect(outcome?.description).toContain(
      '3 older dumps of the series (the newest prod/certctl-32.dump) are encrypted with a customer-supplied key (CSEK), not a customer-managed KMS key: Cloud Storage keeps no copy of it, so only whoever holds it can read or restore them',
    );
  });

  it('passes encryption when the dumps not under the default key were all written before the policy days', async () => {
    // Prepare: only the dumps of 31 days ago and older (indexes 0-3) predate the default key.
    const listed = files.map((file, index) => {
      if (index >= 4) return { ...file, metadata: { ...file.metadata, kmsKeyName: V2 } };
      const { kmsKeyName: _none, ...metadata } = file.metadata;
      return { ...file, metadata };
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(await readWith(readKey, listed), settings);
    // Assess: more than the policy asks for is kept; what it asks for is under the key.
    expect(outcome?.status).toBe('PASSED');
  });

  it('does not evaluate the dumps when an older version could not be read', async () => {
    const fact = await readWith(async (keyName, versionName) =>
      versionName === V1
        ? {
            id: keyName,
            manager: 'CUSTOMER' as const,
            version: V1,
            unreadReason: 'cryptoKeyVersions.get was denied',
          }
        : readKey(keyName, versionName),
    );
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });
});

describe('readGcsDumpFact, when object metadata changed after the upload', () => {
  it('dates each dump by its creation, not by a later metadata update such as a hold', async () => {
    // Prepare: two dumps written 10 and 9 days ago whose metadata (a temporary hold) was updated
    // an hour ago; Cloud Storage objects are immutable, so `timeCreated` is when each was written.
    const written = ['2026-11-22T03:40:00.000Z', '2026-11-23T03:40:00.000Z'];
    const files = written.map((timeCreated, index) => ({
      name: `prod/certctl-${index}.dump`,
      metadata: { size: '6451', timeCreated, updated: '2026-12-02T11:00:00.000Z' },
    }));
    // Act
    const fact = await readStubbed(files, null);
    // Assess
    expect(fact.newest?.object.lastModified?.toISOString()).toBe(written[1]);
    expect(dumpsFreshCheck.evaluate(fact, settings)?.status).toBe('FAILED');
  });

  it('leaves the write time unknown, never the metadata update time, when timeCreated was not sent', async () => {
    // Prepare: an old dump whose metadata changed an hour ago; the listing did not say when it was written.
    const files = [
      { name: 'prod/certctl-0.dump', metadata: { size: '6451', updated: '2026-12-02T11:00:00.000Z' } },
    ];
    // Act
    const fact = await readStubbed(files, null);
    // Assess: `updated` proves nothing about when the dump was written, so freshness is not judged.
    expect(fact.newest?.object.lastModified).toBeUndefined();
    expect(dumpsFreshCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });
});

describe('readGcsDumpFact, when timeCreated is sent as another type than a string', () => {
  it('leaves the write time unknown when timeCreated is a number, never a date of its milliseconds', async () => {
    // Prepare: the JSON API sends timeCreated as an RFC 3339 string; a number (epoch milliseconds an
    // hour ago) is an answer of another shape, which new Date() would read as a recent write time.
    const files = [
      {
        name: 'prod/certctl-0.dump',
        metadata: { size: '6451', timeCreated: Date.parse('2026-12-02T11:00:00.000Z') },
      },
    ];
    // Act
    const fact = await readStubbed(files, null);
    // Assess: before, dated 2026-12-02T11:00:00.000Z.
    expect(fact.newest?.object.lastModified).toBeUndefined();
    expect(dumpsFreshCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });

  it('leaves an own retention unread when its retainUntilTime is a number', async () => {
    const files = [
      {
        name: 'prod/certctl-0.dump',
        metadata: {
          size: '6451',
          timeCreated: '2026-12-02T03:40:00.000Z',
          retention: { mode: 'Locked', retainUntilTime: Date.parse('2027-01-06T03:40:00.000Z') },
        },
      },
    ];
    const fact = await readStubbed(files, null);
    expect(fact.newest?.objectLock).toBeUndefined();
  });
});

describe('readGcsDumpFact, when the newest dump was written again after it was listed', () => {
  it('reads the generation the listing named, and does not judge the replacement by the listed time and size', async () => {
    // Prepare: ten 13,410-byte dumps listed; the newest key was written again (generation 2) by a
    // 4,335-byte archive made two days later before its bytes were read. Without versioning the
    // listed generation is gone: Cloud Storage answers 404 for it.
    const whole = readFileSync('test/fixtures/pg-dump/certctl-pg17-z0.dump');
    const replacement = readFileSync('test/fixtures/pg-dump/certctl-pg17-schema-only.dump');
    const files = Array.from({ length: 10 }, (_, index) => ({
      name: `prod/certctl-${index}.dump`,
      metadata: {
        size: String(whole.length),
        generation: '1',
        timeCreated: new Date(
          Date.parse('2026-12-02T10:00:00.000Z') - (9 - index) * 86_400_000,
        ).toISOString(),
      },
    }));
    const bytesOf = (body: Buffer, range: { start?: number; end: number }): Buffer =>
      range.start === undefined
        ? body.subarray(body.length + range.end)
        : body.subarray(range.start, range.end + 1);
    const bucket = {
      name: 'certctl-dumps',
      getFiles: async () => [files, null, {}],
      getMetadata: async () => [{ projectNumber: PROJECT_NUMBER, versioning: { enabled: false } }],
      file: (_name: string, options?: { generation?: string | number }) => ({
        download: async (range: { start?: number; end: number }) => {
          if (options?.generation !== undefined && String(options.generation) !== '2') {
            throw Object.assign(new Error('No such object: certctl-dumps/prod/certctl-9.dump'), {
              code: 404,
            });
          }
          return [bytesOf(replacement, range)];
        },
      }),
    };
    // Act
    const fact = await readGcsDumpFact({
      storage: { bucket: () => bucket } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess: before, the replacement's header and end were judged with the listed dump's time and
    // size: FAILED 'its header says it was made 2026-12-04 15:40:20 … an older archive under a newer name?'.
    expect(fact.newest?.header).toMatchObject({ state: 'unknown' });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('No such object');
  });
});

describe('readGcsDumpFact, bucket settings buckets.get left out', () => {
  // Written under the default key, as objects.list says of every object a Cloud KMS key encrypts.
  const dump = [
    {
      name: 'prod/certctl-0.dump',
      metadata: {
        size: '6451',
        timeCreated: '2026-12-02T03:40:00.000Z',
        kmsKeyName: `${KMS_KEY}/cryptoKeyVersions/1`,
      },
    },
  ];
  const guarded = {
    iamConfiguration: { publicAccessPrevention: 'enforced' },
    encryption: { defaultKmsKeyName: KMS_KEY },
  };
  const protection = async (metadata: Record<string, unknown>) => {
    const fact = await readStubbed(dump, null, { ...guarded, ...metadata });
    return { fact, outcome: dumpsProtectionCheck.evaluate(fact, settings) };
  };

  it('does not fail a retention policy whose period was not sent as "no retention policy": it could not be judged', async () => {
    // Prepare: `retentionPeriod` is the policy's one required value; a policy without it says
    // nothing about how long dumps are kept, and it may be long and locked.
    const { fact, outcome } = await protection({
      retentionPolicy: { isLocked: true },
      softDeletePolicy: { retentionDurationSeconds: '604800' },
    });
    // Assess
    expect(fact.retentionLock.state).toBe('unknown');
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).not.toContain('neither versioning nor any retention policy');
  });

  it('does not say a deleted dump is gone when buckets.get did not send the soft delete policy', async () => {
    // Prepare: no versioning, no retention policy (a FAILED either way: the check requires one),
    // and no `softDeletePolicy` (soft delete off is `retentionDurationSeconds: 0`, not a missing policy).
    for (const softDelete of [{}, { softDeletePolicy: {} }]) {
      // Act
      const { fact, outcome } = await protection(softDelete);
      // Assess
      expect(fact.softDeleteDays?.state).toBe('unknown');
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).not.toContain('a deleted or overwritten dump is gone');
      expect(outcome?.description).toContain('soft delete');
    }
  });

  it('still says a deleted dump is gone when soft delete is off (retentionDurationSeconds 0)', async () => {
    const { fact, outcome } = await protection({ softDeletePolicy: { retentionDurationSeconds: '0' } });
    expect(fact.softDeleteDays).toEqual({ state: 'read', value: 0 });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('a deleted or overwritten dump is gone');
  });

  it('reads versioning left out as off, an unlocked-by-omission policy as a warning, and public access prevention left out as not evaluated', async () => {
    // Versioning left out is off (never turned on): FAILED with nothing else guarding the dumps.
    expect(
      (await protection({ softDeletePolicy: { retentionDurationSeconds: '0' } })).fact.versioning,
    ).toEqual({ state: 'absent' });
    // isLocked left out: not proven locked, so a WARNING, never PASSED.
    const unlocked = await protection({ retentionPolicy: { retentionPeriod: '3024000' } });
    expect(unlocked.outcome?.status).toBe('WARNING');
    expect(unlocked.outcome?.description).toContain('is not locked');
    // publicAccessPrevention left out or inherited: not PASSED.
    const locked = { retentionPolicy: { retentionPeriod: '3024000', isLocked: true } };
    expect((await protection({ ...locked, iamConfiguration: {} })).outcome?.status).toBe('NOT_AVAILABLE');
    expect(
      (await protection({ ...locked, iamConfiguration: { publicAccessPrevention: 'inherited' } })).outcome
        ?.status,
    ).toBe('WARNING');
    expect((await protection(locked)).outcome?.status).toBe('PASSED');
  });
});

describe('readGcsDumpFact, a Delete rule limited by createdBefore on a versioned bucket', () => {
  const dump = [
    {
      name: 'prod/certctl-0.dump',
      metadata: {
        size: '6451',
        timeCreated: '2026-12-02T03:40:00.000Z',
        kmsKeyName: `${KMS_KEY}/cryptoKeyVersions/1`,
      },
    },
  ];
  const versioned = (condition: Record<string, unknown>) => ({
    versioning: { enabled: true },
    iamConfiguration: { publicAccessPrevention: 'enforced' },
    encryption: { defaultKmsKeyName: KMS_KEY },
    lifecycle: { rule: [{ action: { type: 'Delete' }, condition }] },
  });

  it('does not warn about noncurrent versions a rule spares because they were created after its createdBefore date', async () => {
    // Prepare: a rule without isLive also matches noncurrent versions, but only those created
    // before 2020-01-01; every version of the policy's 30 days was created after.
    for (const condition of [{ createdBefore: '2020-01-01' }, { createdBefore: '2020-01-01', age: 3 }]) {
      // Act
      const fact = await readStubbed(dump, null, versioned(condition));
      const outcome = dumpsProtectionCheck.evaluate(fact, settings);
      // Assess: before, WARNING ('deletes noncurrent versions that meet createdBefore=2020-01-01',
      // or '… after 3 days').
      expect(outcome?.status).toBe('PASSED');
    }
  });

  it('still warns when the createdBefore date lies inside the policy days', async () => {
    // Act
    const fact = await readStubbed(dump, null, versioned({ createdBefore: '2026-11-30', age: 3 }));
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('lifecycle rule #1 deletes noncurrent versions after 3 days');
  });
});

describe('readGcsDumpFact, when objects.list names a page it already sent', () => {
  it('reads the listing as unknown, not complete or cut at the limit', async () => {
    // Prepare: every page holds the same two dumps and names the same next page.
    const files = ['2026-11-30T03:40:00.000Z', '2026-12-01T03:40:00.000Z'].map((timeCreated, index) => ({
      name: `prod/certctl-${index}.dump`,
      metadata: { size: '6451', timeCreated },
    }));

    // Act
    const fact = await readStubbed(files, { pageToken: 'page-2' });

    // Assess
    expect(fact.listing).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('page token it had already sent'),
    });
  });
});

describe('Cloud Storage Delete rules that reach noncurrent versions too', () => {
  it('reads a rule that does not ask isLive: true as deleting noncurrent versions by the same conditions', () => {
    // Act: without isLive a condition matches live and noncurrent versions alike.
    const rules = gcsLifecycleRulesFor(
      {
        lifecycle: {
          rule: [
            { action: { type: 'Delete' }, condition: { age: 7 } },
            { action: { type: 'Delete' }, condition: { matchesPrefix: ['prod/'] } },
            { action: { type: 'Delete' }, condition: { createdBefore: '2026-11-25' } },
            { action: { type: 'Delete' }, condition: { age: 7, isLive: true } },
          ],
        },
      },
      'prod/',
    );
    // Assess
    expect(rules.map((rule) => [rule.noncurrentExpirationDays, rule.noncurrentUnmodelledConditions])).toEqual(
      [
        [7, undefined],
        [0, undefined],
        [undefined, ['createdBefore=2026-11-25']],
        [undefined, undefined],
      ],
    );
  });

  it('warns that versioning does not keep noncurrent versions when an age rule without isLive deletes them', async () => {
    // Act
    const fact = await read('certctl-dumps-live-age');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'versioning is on, but lifecycle rule #1 deletes noncurrent versions after 7 days (30 required)',
    );
  });
});

describe('Cloud Storage lifecycle rules that do not delete by age', () => {
  it('reads createdBefore as the instant before which objects are deleted, and fails retention when it falls inside the window', async () => {
    // Act
    const fact = await read('certctl-dumps-created-before');
    const outcome = dumpsRetentionCheck.evaluate(fact, settings);

    // Assess
    expect(fact.lifecycle).toMatchObject({
      state: 'read',
      value: [{ expirationDays: undefined, createdBefore: new Date('2026-11-25T00:00:00.000Z') }],
    });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('deletes every dump created before 2026-11-25');
  });

  it('passes retention when a Delete rule reaches only suffixes no listed dump has (a .tmp cleanup)', async () => {
    // Act
    const fact = await read('certctl-dumps-tmp-cleanup');
    const outcome = dumpsRetentionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(fact.lifecycle).toMatchObject({
      state: 'read',
      value: [{ expirationDays: 1, matchesSuffixes: ['.tmp', '.partial'] }],
    });
  });

  it('makes retention not available, naming the condition, when a Delete rule acts on a custom time', async () => {
    // Act
    const fact = await read('certctl-dumps-custom-time');
    const outcome = dumpsRetentionCheck.evaluate(fact, settings);

    // Assess
    expect(fact.lifecycle).toMatchObject({
      state: 'read',
      value: [{ expirationDays: undefined, unmodelledConditions: ['daysSinceCustomTime=1'] }],
    });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('daysSinceCustomTime=1');
  });

  it.each([
    ['customTimeBefore', { customTimeBefore: '2026-12-01' }, ['customTimeBefore=2026-12-01']],
    ['an unreadable matchesSuffix', { age: 3, matchesSuffix: '.dump' }, ['matchesSuffix=.dump']],
    [
      'matchesStorageClass',
      { age: 3, matchesStorageClass: ['STANDARD'] },
      ['matchesStorageClass=["STANDARD"]'],
    ],
    [
      'a condition this audit does not know',
      { age: 3, matchesPattern: 'certctl' },
      ['matchesPattern=certctl'],
    ],
    ['an unreadable createdBefore', { createdBefore: 'soon' }, ['createdBefore=soon']],
  ])('keeps %s as a condition it cannot judge, never as a rule without days', (_, condition, unmodelled) => {
    // Act
    const [rule] = gcsLifecycleRulesFor(
      { lifecycle: { rule: [{ action: { type: 'Delete' }, condition }] } },
      'prod/',
    );

    // Assess
    expect(rule).toMatchObject({ unmodelledConditions: unmodelled });
    expect(rule?.expirationDays).toBe('age' in condition ? condition.age : undefined);
    // Without isLive it reaches noncurrent versions too: by its age, else by conditions not modelled.
    expect(rule?.noncurrentExpirationDays).toBe('age' in condition ? condition.age : undefined);
  });

  it.each([
    ['one prefix inside the series', ['prod/tmp/'], ['prod/tmp/']],
    [
      'several prefixes inside the series',
      ['prod/tmp/', 'other/', 'prod/scratch/'],
      ['prod/tmp/', 'prod/scratch/'],
    ],
    ['a prefix that covers the series beside one inside it', ['prod/tmp/', 'pro'], undefined],
    ['the series prefix itself', ['prod/'], undefined],
  ])('keeps the keys a rule reaches inside the series: %s', (_, matchesPrefix, narrower) => {
    // Act
    const [rule] = gcsLifecycleRulesFor(
      { lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { age: 1, matchesPrefix } }] } },
      'prod/',
    );
    // Assess
    expect(rule?.narrowerPrefixes).toEqual(narrower);
  });

  it.each([
    ['a short age and a long noncurrent time', { age: 1, daysSinceNoncurrentTime: 35 }, 35],
    ['a long age and a short noncurrent time', { age: 60, daysSinceNoncurrentTime: 1 }, 60],
  ])(
    'reads a noncurrent rule with %s by the longer of the two: it deletes only versions meeting both',
    (_, days, kept) => {
      // Act
      const [rule] = gcsLifecycleRulesFor(
        { lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { isLive: false, ...days } }] } },
        'prod/',
      );
      // Assess: the first read as 1 day, and dumps.protection warned that noncurrent versions go
      // after 1 day, though each is kept 35 days after it became noncurrent.
      expect(rule?.noncurrentExpirationDays).toBe(kept);
    },
  );

  it('reads a Delete rule without a time condition as deleting at any age', () => {
    // Act: all conditions must hold; only the prefix and liveness are asked for, so every live dump goes.
    const [rule] = gcsLifecycleRulesFor(
      {
        lifecycle: {
          rule: [{ action: { type: 'Delete' }, condition: { matchesPrefix: ['prod/'], isLive: true } }],
        },
      },
      'prod/',
    );

    // Assess
    expect(rule).toMatchObject({ expirationDays: 0, noncurrentExpirationDays: undefined });
  });

  it('reads a Delete rule on noncurrent versions without a time condition as deleting them at any age', () => {
    // Prepare: `isLive: false` alone deletes every noncurrent version at the next lifecycle run.
    const metadata = {
      lifecycle: {
        rule: [{ action: { type: 'Delete' }, condition: { matchesPrefix: ['prod/'], isLive: false } }],
      },
    };
    // Act
    const [rule] = gcsLifecycleRulesFor(metadata, 'prod/');
    // Assess
    expect(rule).toMatchObject({ expirationDays: undefined, noncurrentExpirationDays: 0 });
  });

  it('reads noncurrentTimeBefore as a rule on noncurrent versions, not on the live dumps', () => {
    // Act
    const [rule] = gcsLifecycleRulesFor(
      {
        lifecycle: {
          rule: [{ action: { type: 'Delete' }, condition: { noncurrentTimeBefore: '2026-11-01' } }],
        },
      },
      'prod/',
    );

    // Assess
    expect(rule?.expirationDays).toBeUndefined();
    expect(rule?.createdBefore).toBeUndefined();
    expect(rule?.unmodelledConditions ?? []).toEqual([]);
  });
});

describe('Cloud Storage lifecycle rules on noncurrent versions without an age', () => {
  it.each([
    ['newer-versions', 'once 3 newer versions exist'],
    ['newer-versions-live-absent', 'once 3 newer versions exist'],
    ['noncurrent-before-recent', 'that became noncurrent before 2026-11-25'],
    ['noncurrent-before-future', 'that became noncurrent before 2027-06-01'],
    ['noncurrent-created-before', 'that meet createdBefore=2027-01-01'],
  ])(
    'warns in dumps.protection, never passing, when the rule of certctl-dumps-%s deletes noncurrent versions %s',
    async (bucket, rule) => {
      // Act
      const fact = await read(`certctl-dumps-${bucket}`);
      const outcome = dumpsProtectionCheck.evaluate(fact, settings);

      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('versioning is on, but lifecycle rule #1 deletes');
      expect(outcome?.description).toContain(rule);
      expect(outcome?.description).toContain('(30 required)');
    },
  );

  it.each([
    ['newer-versions-and-days', 'a version count that only narrows a 35-day noncurrent age'],
    ['noncurrent-before-old', 'a date before the 30-day window'],
  ])('passes dumps.protection when certctl-dumps-%s (%s)', async (bucket) => {
    // Act
    const fact = await read(`certctl-dumps-${bucket}`);
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);

    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('fails dumps.retention when a rule asks numNewerVersions 0, which every live dump meets', async () => {
    // Act
    const fact = await read('certctl-dumps-newer-versions-zero');
    const outcome = dumpsRetentionCheck.evaluate(fact, settings);

    // Assess: before, PASSED 'no lifecycle rule expires them', the rule read as noncurrent-only.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('lifecycle rule #1 deletes dumps after 0 days');
  });

  it.each([
    ['alone', { numNewerVersions: 0 }, { expirationDays: 0, noncurrentExpirationDays: 0 }],
    ['beside an age', { numNewerVersions: 0, age: 7 }, { expirationDays: 7, noncurrentExpirationDays: 7 }],
    ['with isLive true', { numNewerVersions: 0, isLive: true }, { expirationDays: 0 }],
    [
      'with isLive false, on noncurrent versions only',
      { numNewerVersions: 0, isLive: false },
      { expirationDays: undefined, noncurrentExpirationDays: 0 },
    ],
  ] as const)('reads numNewerVersions 0 %s as a condition every version meets', (_, condition, expected) => {
    // Act
    const [rule] = gcsLifecycleRulesFor(
      { lifecycle: { rule: [{ action: { type: 'Delete' }, condition }] } },
      'prod/',
    );

    // Assess: a live version has no newer version, and 0 newer versions is at least 0.
    expect(rule).toMatchObject(expected);
    expect(rule?.noncurrentNewerVersions).toBeUndefined();
    expect(rule?.unmodelledConditions).toBeUndefined();
  });

  it('reads numNewerVersions and noncurrentTimeBefore into the rule', () => {
    // Act
    const [rule] = gcsLifecycleRulesFor(
      {
        lifecycle: {
          rule: [
            {
              action: { type: 'Delete' },
              condition: { numNewerVersions: 2, noncurrentTimeBefore: '2026-11-01' },
            },
          ],
        },
      },
      'prod/',
    );

    // Assess
    expect(rule).toMatchObject({
      expirationDays: undefined,
      noncurrentExpirationDays: undefined,
      noncurrentNewerVersions: 2,
      noncurrentTimeBefore: new Date('2026-11-01T00:00:00.000Z'),
    });
  });
});

describe('collectGcsDumpFacts, with the Cloud KMS state of the buckets default keys', () => {
  const KEY = (name: string) =>
    `projects/certctl-prod/locations/europe-west1/keyRings/dumps/cryptoKeys/${name}`;
  const healthy = (name: string, key: string) => ({
    name,
    retentionPolicy: { retentionPeriodSeconds: 35 * 86_400, isLocked: true },
    publicAccessPrevention: 'enforced' as const,
    defaultKmsKeyName: key,
    series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
  });
  let kmsSim: Sim;
  let kmsStorage: Storage;

  beforeAll(async () => {
    kmsSim = await startSim({
      clock: () => NOW,
      scenario: {
        services: {
          gcs: {
            buckets: [
              healthy('certctl-dumps-destroying', KEY('destroying')),
              healthy('certctl-dumps-destroying-too', KEY('destroying')),
              healthy('certctl-dumps-enabled', KEY('enabled')),
              healthy('certctl-dumps-disabled', KEY('disabled')),
              healthy('certctl-dumps-destroyed', KEY('destroyed')),
              healthy('certctl-dumps-denied-key', KEY('denied')),
              // The dumps were written with another key than today's default.
              { ...healthy('certctl-dumps-rekeyed', KEY('enabled')), objectKmsKeyName: KEY('destroyed') },
              // Rotated since the dumps were written: they are under version 1, the primary is 2.
              healthy('certctl-dumps-rotated', KEY('rotated')),
              healthy('certctl-dumps-rotated-denied', KEY('rotated-denied')),
            ],
          },
          cloudKms: {
            keys: [
              { name: KEY('destroying'), versions: [{ state: 'DESTROY_SCHEDULED', destroyTime: '+20d' }] },
              { name: KEY('enabled') },
              { name: KEY('disabled'), versions: [{ state: 'ENABLED' }, { state: 'DISABLED' }] },
              { name: KEY('destroyed'), versions: [{ state: 'DESTROYED' }] },
              { name: KEY('denied'), denied: true },
              { name: KEY('rotated'), versions: [{ state: 'DESTROYED' }, { state: 'ENABLED' }] },
              {
                name: KEY('rotated-denied'),
                versions: [{ state: 'ENABLED' }, { state: 'ENABLED' }],
                deniedVersions: [1],
              },
            ],
          },
        },
      },
    });
    kmsStorage = new Storage({ apiEndpoint: kmsSim.endpoint, projectId: PROJECT });
  });

  afterAll(async () => {
    await kmsSim.close();
  });

  async function collect(buckets: readonly string[]): Promise<Map<string, DumpFact>> {
    const dumps = dumpsPolicySchema.parse({
      locations: buckets.map((bucket) => ({
        provider: 'gcp',
        bucket,
        prefix: 'prod/',
        project: PROJECT,
        region: 'europe-west1',
      })),
    });
    const facts = await collectGcsDumpFacts({
      storage: kmsStorage,
      resourceManager: new ResourceManagerRestClient({ endpoint: kmsSim.endpoint }),
      cloudKms: new CloudKmsRestClient({ endpoint: kmsSim.endpoint }),
      project: PROJECT,
      dumps,
    });
    return new Map(facts.map((fact) => [fact.location.bucket, fact]));
  }

  it('fails a bucket whose default key primary version is DESTROY_SCHEDULED, reading each key once', async () => {
    // Act
    const before = kmsSim.stats().byService.cloudKms ?? 0;
    const facts = await collect(['certctl-dumps-destroying', 'certctl-dumps-destroying-too']);
    const requests = (kmsSim.stats().byService.cloudKms ?? 0) - before;
    const fact = facts.get('certctl-dumps-destroying');
    if (!fact) throw new Error('no fact');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);

    // Assess
    expect(requests).toBe(1);
    expect(fact.encryption).toEqual({
      state: 'read',
      value: {
        algorithm: 'cloud-kms',
        kmsKey: KEY('destroying'),
        customerManagedKey: true,
        keyState: 'DESTROY_SCHEDULED',
        keyDeletionDate: new Date(NOW.getTime() + 20 * 86_400_000),
      },
    });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key ${KEY('destroying')} that encrypts the dumps is scheduled for destruction (DESTROY_SCHEDULED) on`,
    );
    expect(outcome?.observed).toMatchObject({ kmsKeyState: 'DESTROY_SCHEDULED' });
  });

  it('fails a DISABLED or DESTROYED primary version and passes an ENABLED one without the caveat', async () => {
    // Act
    const facts = await collect([
      'certctl-dumps-enabled',
      'certctl-dumps-disabled',
      'certctl-dumps-destroyed',
    ]);
    const outcome = (bucket: string) => {
      const fact = facts.get(bucket);
      if (!fact) throw new Error(`no fact for ${bucket}`);
      return dumpsProtectionCheck.evaluate(fact, settings);
    };

    // Assess
    expect(outcome('certctl-dumps-enabled')).toMatchObject({
      status: 'PASSED',
      description:
        'gs://certctl-dumps-enabled/prod/: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps.',
    });
    expect(outcome('certctl-dumps-disabled')?.status).toBe('FAILED');
    expect(outcome('certctl-dumps-disabled')?.description).toContain('is DISABLED');
    expect(outcome('certctl-dumps-destroyed')?.status).toBe('FAILED');
    expect(outcome('certctl-dumps-destroyed')?.description).toContain('is DESTROYED');
  });

  it('judges the newest dump own key version when it is not the default, one read per distinct key or version', async () => {
    // Act
    const before = kmsSim.stats().byService.cloudKms ?? 0;
    const facts = await collect([
      'certctl-dumps-rekeyed',
      'certctl-dumps-enabled',
      'certctl-dumps-destroyed',
    ]);
    const requests = (kmsSim.stats().byService.cloudKms ?? 0) - before;
    const rekeyed = facts.get('certctl-dumps-rekeyed');
    if (!rekeyed) throw new Error('no fact');
    const outcome = dumpsProtectionCheck.evaluate(rekeyed, settings);

    // Assess
    // The two defaults' primaries, and the version the rekeyed bucket's newest dump names.
    expect(requests).toBe(3);
    expect(rekeyed.newest?.encryption).toEqual({
      algorithm: 'cloud-kms',
      kmsKey: KEY('destroyed'),
      customerManagedKey: true,
      keyVersion: `${KEY('destroyed')}/cryptoKeyVersions/1`,
      keyState: 'DESTROYED',
    });
    // Same key as the default: no own encryption repeated on the newest dump.
    expect(facts.get('certctl-dumps-enabled')?.newest?.encryption).toBeUndefined();
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key version ${KEY('destroyed')}/cryptoKeyVersions/1 that encrypts the dumps is DESTROYED`,
    );
  });

  it('judges the key version the newest dump was written with when the default key has rotated since', async () => {
    // Act
    const before = kmsSim.stats().byService.cloudKms ?? 0;
    const fact = (await collect(['certctl-dumps-rotated'])).get('certctl-dumps-rotated');
    const requests = (kmsSim.stats().byService.cloudKms ?? 0) - before;
    if (!fact) throw new Error('no fact');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);

    // Assess: the primary (version 2) is ENABLED, but the dumps are under version 1, DESTROYED.
    expect(requests).toBe(2);
    expect(fact.encryption).toMatchObject({ state: 'read', value: { keyState: 'ENABLED' } });
    expect(fact.newest?.encryption).toEqual({
      algorithm: 'cloud-kms',
      kmsKey: KEY('rotated'),
      customerManagedKey: true,
      keyVersion: `${KEY('rotated')}/cryptoKeyVersions/1`,
      keyState: 'DESTROYED',
    });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key version ${KEY('rotated')}/cryptoKeyVersions/1 that encrypts the dumps is DESTROYED`,
    );
  });

  it('could not evaluate the newest dump key version the audit may not read, naming the permission', async () => {
    // Act
    const fact = (await collect(['certctl-dumps-rotated-denied'])).get('certctl-dumps-rotated-denied');
    if (!fact) throw new Error('no fact');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('cloudkms.cryptoKeyVersions.get');
  });

  it('leaves the key state unread, with the caveat, when the run has no Cloud KMS client', async () => {
    // Act
    const [fact] = await collectGcsDumpFacts({
      storage: kmsStorage,
      resourceManager: new ResourceManagerRestClient({ endpoint: kmsSim.endpoint }),
      project: PROJECT,
      dumps: dumpsPolicySchema.parse({
        locations: [
          {
            provider: 'gcp',
            bucket: 'certctl-dumps-destroying',
            prefix: 'prod/',
            project: PROJECT,
            region: 'EU',
          },
        ],
      }),
    });
    if (!fact) throw new Error('no fact');

    // Assess
    expect(fact.encryption).toEqual({
      state: 'read',
      value: { algorithm: 'cloud-kms', kmsKey: KEY('destroying'), customerManagedKey: true },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.description).toContain(
      "(the Cloud KMS key's state was not read)",
    );
  });

  it('could not evaluate a bucket whose key the audit may not read, naming the permission', async () => {
    // Act
    const fact = (await collect(['certctl-dumps-denied-key'])).get('certctl-dumps-denied-key');
    if (!fact) throw new Error('no fact');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);

    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('cloudkms.cryptoKeys.get');
  });
});

describe("the bucket's project (Cloud Storage bucket names are global)", () => {
  const engineChecks = dumpsEngineChecks(() => settings);
  const collectOne = (bucket: string, project = PROJECT, withResourceManager = true) =>
    collectGcsDumpFacts({
      storage,
      ...(withResourceManager ? { resourceManager } : {}),
      project,
      dumps: dumpsPolicySchema.parse({
        locations: [{ provider: 'gcp', bucket, prefix: 'prod/', project, region: 'europe-west1' }],
      }),
    });
  const context = { policy: {} as never, now: NOW };

  it("sends as the bucket's projectNumber the number projects.get answers for the bucket's project", async () => {
    // Act
    const [[ours], [taken], project] = await Promise.all([
      storage.bucket('certctl-dumps').getMetadata(),
      storage.bucket('certctl-dumps-taken').getMetadata(),
      resourceManager.getProject(PROJECT),
    ]);
    // Assess
    expect(project.projectNumber).toMatch(/^\d{12}$/);
    expect(ours.projectNumber).toBe(project.projectNumber);
    expect(taken.projectNumber).toBe(simProjectNumber('stranger-dumps-9'));
    expect(taken.projectNumber).not.toBe(project.projectNumber);
  });

  it('proves a bucket of the policy project as ours, and judges it as before', async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps');
    // Assess
    expect(fact?.ownership).toEqual({ state: 'proven', projectNumber: PROJECT_NUMBER });
    const fresh = engineChecks.find((check) => check.metadata.id === 'dumps.fresh');
    expect(fact && fresh?.evaluate(fact, context)?.status).toBe('PASSED');
  });

  it('fails every dumps check of a bucket another project owns, naming both numbers, and reads none of its objects', async () => {
    // Prepare
    const before = { ...sim.stats().byOperation };
    // Act
    const [fact] = await collectOne('certctl-dumps-taken');
    // Assess
    if (!fact) throw new Error('no fact');
    expect(fact.ownership).toEqual({
      state: 'foreign',
      owner: simProjectNumber('stranger-dumps-9'),
      expected: PROJECT_NUMBER,
    });
    expect(fact.listing.state).toBe('unknown');
    expect(fact.newest).toBeUndefined();
    const outcomes = engineChecks.map((check) => check.evaluate(fact, context));
    expect(outcomes).toHaveLength(4);
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(simProjectNumber('stranger-dumps-9'));
      expect(outcome?.description).toContain(PROJECT_NUMBER);
      expect(outcome?.description).toContain(PROJECT);
    }
    const after = sim.stats().byOperation;
    const calls = (operation: string) => (after[operation] ?? 0) - (before[operation] ?? 0);
    expect(calls('gcs:objects.list')).toBe(0);
    expect(calls('gcs:objects.media')).toBe(0);
  });

  it("reports every dumps check NOT_AVAILABLE, naming the permission, when projects.get of the policy's project is refused", async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps-sealed', 'certctl-sealed');
    // Assess
    if (!fact) throw new Error('no fact');
    expect(fact.ownership?.state).toBe('unknown');
    for (const check of engineChecks) {
      const outcome = check.evaluate(fact, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('resourcemanager.projects.get');
    }
  });

  it('advises enabling the Cloud Storage API, not granting a role, when the API is not enabled for the caller', async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps-api-off');
    // Assess: the JSON API's 403 accessNotConfigured is no missing permission.
    if (!fact) throw new Error('no fact');
    for (const check of engineChecks) {
      const outcome = check.evaluate(fact, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('the storage.googleapis.com API is not enabled');
      expect(outcome?.remediationText).toContain('`gcloud services enable storage.googleapis.com`');
    }
  });

  it("advises enabling the Resource Manager API when projects.get of the policy's project answers SERVICE_DISABLED", async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps-no-crm', 'certctl-no-crm');
    // Assess
    if (!fact) throw new Error('no fact');
    const consumer = simProjectNumber('certctl-no-crm');
    for (const check of engineChecks) {
      const outcome = check.evaluate(fact, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toContain(
        `\`gcloud services enable cloudresourcemanager.googleapis.com --project ${consumer}\``,
      );
    }
  });

  it('reads the ErrorInfo of a Cloud Storage answer the library keeps only in its response body', async () => {
    // Prepare: the library's ApiError keeps errors[] and the HTTP response, not the answer's details[].
    const body = {
      error: {
        code: 403,
        message: 'Cloud Storage API has not been used in project 123456789012 before or it is disabled.',
        status: 'PERMISSION_DENIED',
        errors: [{ message: 'denied', domain: 'global', reason: 'forbidden' }],
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: { service: 'storage.googleapis.com', consumer: 'projects/123456789012' },
          },
        ],
      },
    };
    const refusal = Object.assign(new ApiError({ ...body.error, response: undefined as never }), {
      response: { body: JSON.stringify(body) },
    });
    const bucket = {
      name: 'certctl-dumps',
      getMetadata: async () => Promise.reject(refusal),
    };
    // Act
    const fact = await readGcsDumpFact({
      storage: { bucket: () => bucket } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    // Assess
    const outcome = engineChecks[0]?.evaluate(fact, context);
    expect(outcome?.remediationText).toContain(
      '`gcloud services enable storage.googleapis.com --project 123456789012`',
    );
  });

  it("keeps the bucket's own projectNumber in the finding when only projects.get failed, so it can be compared by hand", async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps-sealed', 'certctl-sealed');
    // Assess
    if (!fact) throw new Error('no fact');
    const number = simProjectNumber('certctl-sealed');
    expect(fact.ownership).toMatchObject({ state: 'unknown', bucketProjectNumber: number });
    for (const check of engineChecks) {
      const outcome = check.evaluate(fact, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        `buckets.get of gs://certctl-dumps-sealed sent projectNumber ${number}`,
      );
      expect(outcome?.observed).toEqual({ bucketProjectNumber: number });
    }
  });

  it('reports every dumps check NOT_AVAILABLE when the run has no Resource Manager client', async () => {
    // Act
    const [fact] = await collectOne('certctl-dumps', PROJECT, false);
    // Assess
    if (!fact) throw new Error('no fact');
    expect(fact.ownership?.state).toBe('unknown');
    expect(engineChecks.map((check) => check.evaluate(fact, context)?.status)).toEqual([
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
    ]);
  });

  it('keeps the owner unknown when buckets.get sends no projectNumber, and reads none of its objects', async () => {
    // Prepare
    let listed = false;
    const bucket = {
      name: 'certctl-dumps',
      getFiles: async () => {
        listed = true;
        return [[], null, {}];
      },
      getMetadata: async () => [{ versioning: { enabled: true } }],
      file: () => ({ download: async () => [Buffer.alloc(0)] }),
    };
    // Act
    const fact = await readGcsDumpFact({
      storage: { bucket: () => bucket } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    // Assess
    expect(fact.ownership).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('projectNumber'),
    });
    expect(listed).toBe(false);
    expect(engineChecks.map((check) => check.evaluate(fact, context)?.status)).toEqual([
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
      'NOT_AVAILABLE',
    ]);
  });
});

describe('readGcsDumpFact, when a media read of the newest dump fails for the call', () => {
  /** A bucket of the policy project with one listed dump, whose media reads fail with `error`. */
  function bucketFailingReads(error: unknown) {
    const files = [{ name: 'prod/certctl-0.dump', metadata: { size: '13410', generation: '1' } }];
    return {
      name: 'certctl-dumps',
      getFiles: async () => [files, null, {}],
      getMetadata: async () => [{ projectNumber: PROJECT_NUMBER }],
      file: () => ({
        download: async () => {
          throw error;
        },
      }),
    };
  }

  function read(error: unknown) {
    return readGcsDumpFact({
      storage: { bucket: () => bucketFailingReads(error) } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
  }

  it('fails the scope, naming the throttling, when Cloud Storage answered 429 until the retries ran out', async () => {
    // Prepare: a stand-in client without retry options, so the read is asked once.
    const throttled = Object.assign(new Error('The rate of requests is too high.'), { code: 429 });

    // Act / Assess: before, the header was left unknown and the location judged NOT_AVAILABLE.
    await expect(read(throttled)).rejects.toThrow(
      /objects\.get \(alt=media\) of prod\/certctl-0\.dump failed: the service throttled it \(rate-limited\)/,
    );
  });

  // Before, every such failure was worded as lasting "until the retries ran out", though the library
  // never retries a 501 (its RETRYABLE_ERR_FN_DEFAULT: 408, 429, 500, 502, 503, 504).
  it.each([
    ['buckets.get', 'buckets\\.get of gs://certctl-dumps'],
    ['objects.list', 'objects\\.list of gs://certctl-dumps/prod/'],
    ['objects.get (alt=media)', 'objects\\.get \\(alt=media\\) of prod/certctl-0\\.dump'],
  ])('says a %s answered 501 was not retried, as the library retries no 501', async (call, what) => {
    // Prepare: a client with the library's own retry test.
    const notImplemented = () => Object.assign(new Error('Not Implemented'), { code: 501 });
    const retryOptions = { autoRetry: false, maxRetries: 3, retryableErrorFn: RETRYABLE_ERR_FN_DEFAULT };
    const storage = { retryOptions } as unknown as Storage;
    const files = [{ name: 'prod/certctl-0.dump', metadata: { size: '13410', generation: '1' } }];
    const bucket = {
      name: 'certctl-dumps',
      storage,
      getMetadata: async () => {
        if (call === 'buckets.get') throw notImplemented();
        return [{ projectNumber: PROJECT_NUMBER }];
      },
      getFiles: async () => {
        if (call === 'objects.list') throw notImplemented();
        return [files, null, {}];
      },
      file: () => ({
        storage,
        download: async () => {
          throw notImplemented();
        },
      }),
    };

    // Act
    const reading = readGcsDumpFact({
      storage: Object.assign(storage, { bucket: () => bucket }),
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });

    // Assess
    await expect(reading).rejects.toThrow(
      new RegExp(
        `^Cloud Storage ${what} failed: the service answered with a server error, which this client does not retry; its answer: 501: Not Implemented$`,
      ),
    );
  });

  it('keeps a refused media read as the location’s answer', async () => {
    // Prepare
    const denied = Object.assign(new Error('no storage.objects.get access'), { code: 403 });

    // Act
    const fact = await read(denied);

    // Assess
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', denied: 'unattributed' });
  });
});

describe('readGcsDumpFact, ranged reads on a client without automatic retries', () => {
  const dump = readFileSync('test/fixtures/pg-dump/certctl-pg17-z0.dump');
  const files = [
    {
      name: 'prod/certctl-0.dump',
      metadata: { size: String(dump.length), timeCreated: '2026-12-02T03:40:00.000Z' },
    },
  ];
  const rangeOf = (range: { start?: number; end: number }): Buffer =>
    range.start === undefined
      ? dump.subarray(dump.length + range.end)
      : dump.subarray(range.start, range.end + 1);
  const throttled = () => Object.assign(new Error('The rate of requests is too high.'), { code: 429 });
  const refused = () => Object.assign(new Error('forbidden'), { code: 403 });

  /** The newest dump read through a client whose `retryOptions` are `retry`, each read answered by `answer`. */
  async function readThrough(
    retry: Record<string, unknown>,
    answer: (attempt: number) => Error | undefined,
  ): Promise<{ fact?: DumpFact; failure?: Error; attempts: number[] }> {
    const attempts = new Map<string, number>();
    const storage = {
      retryOptions: {
        maxRetryDelay: 0.001,
        totalTimeout: 60,
        retryableErrorFn: (error: { code?: unknown }) => error.code === 429,
        ...retry,
      },
    };
    const bucket = {
      name: 'certctl-dumps',
      getFiles: async () => [files, null, {}],
      getMetadata: async () => [{ projectNumber: PROJECT_NUMBER }],
      file: () => ({
        storage,
        download: async (range: { start?: number; end: number }) => {
          const key = `${range.start}-${range.end}`;
          const attempt = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, attempt);
          const error = answer(attempt);
          if (error) throw error;
          return [rangeOf(range)];
        },
      }),
    };
    const reading = readGcsDumpFact({
      storage: { bucket: () => bucket } as unknown as Storage,
      objectReads: { bucket: () => bucket } as unknown as Storage,
      location: { bucket: 'certctl-dumps', prefix: 'prod/', project: PROJECT, region: 'europe-west1' },
      maxObjectsListed: 1000,
      owner: OWNER,
    });
    const outcome = await reading.then(
      (fact) => ({ fact }),
      (failure: Error) => ({ failure }),
    );
    return { ...outcome, attempts: [...attempts.values()] };
  }

  it('asks a throttled header and tail read again and reads both', async () => {
    // Act
    const { fact, attempts } = await readThrough({ autoRetry: false, maxRetries: 3 }, (attempt) =>
      attempt === 1 ? throttled() : undefined,
    );

    // Assess
    expect(attempts).toEqual([2, 2]);
    expect(fact?.newest?.header).toMatchObject({ state: 'read' });
    expect(fact?.newest?.tail).toMatchObject({ state: 'read' });
  });

  it('gives up after the client’s retries, failing the scope and naming the attempts, when every read is throttled', async () => {
    // Act
    const { failure, attempts } = await readThrough({ autoRetry: false, maxRetries: 2 }, throttled);

    // Assess: a read that fails for the call says nothing of the location, so the scope fails
    // (the first of the header and tail reads to give up fails it; the other may still be retrying).
    expect(Math.max(...attempts)).toBe(3);
    expect(failure?.message).toMatch(
      /objects\.get \(alt=media\) of prod\/certctl-0\.dump \(after 3 attempts\) failed: the service throttled it \(rate-limited\)/,
    );
  });

  it('does not ask again what will not change (a refusal), and keeps it a refusal', async () => {
    // Act
    const { fact, attempts } = await readThrough({ autoRetry: false, maxRetries: 3 }, refused);

    // Assess
    expect(attempts).toEqual([1, 1]);
    expect(fact?.newest?.header).toMatchObject({
      state: 'unknown',
      reason: '403: forbidden',
      denied: 'unattributed',
    });
  });

  it('keeps the query of a URL and any bearer token out of the reason, whether the answer is JSON or not', async () => {
    // Prepare: answers that quote a signed URL (its signature and credential in the query) and a
    // bearer token, as a proxy or an error message echoing the request might.
    const signed =
      'https://storage.googleapis.com/certctl-dumps/prod/certctl-0.dump?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40certctl-prod.iam.gserviceaccount.com&X-Goog-Signature=5ec12e7';
    const json = JSON.stringify({
      error: { code: 403, message: `Access denied to ${signed}`, errors: [{ reason: 'forbidden' }] },
    });
    const text = `<html>denied ${signed} (Authorization: Bearer s3cr3t-token; token ya29.t0k3n; X-Goog-Signature=5ec12e7)</html>`;

    for (const body of [json, text]) {
      // Act
      const { fact } = await readThrough({ autoRetry: false, maxRetries: 0 }, () =>
        Object.assign(new Error(body), { code: 403 }),
      );

      // Assess
      const reason = fact?.newest?.header.state === 'unknown' ? fact.newest.header.reason : '';
      expect(reason).toContain('https://storage.googleapis.com/certctl-dumps/prod/certctl-0.dump');
      expect(reason).not.toContain('{"error"');
      for (const secret of [
        'X-Goog-Algorithm',
        '5ec12e7',
        'X-Goog-Credential=',
        'iam.gserviceaccount',
        'ya29',
        's3cr3t',
        't0k3n',
      ]) {
        expect(reason).not.toContain(secret);
      }
    }
  });

  it('quotes a long answer that is not JSON on one line, 300 characters at most, not whole', async () => {
    // Prepare: a proxy's page of many lines, kilobytes long.
    const page = `<html>\n<body>\n  403 Forbidden by the egress proxy\n${'padding '.repeat(500)}</body></html>`;

    // Act
    const { fact } = await readThrough({ autoRetry: false, maxRetries: 0 }, () =>
      Object.assign(new Error(page), { code: 403 }),
    );

    // Assess: before, the reason held the page whole, newlines and all.
    const reason = fact?.newest?.header.state === 'unknown' ? fact.newest.header.reason : '';
    expect(reason.startsWith('403: <html> <body> 403 Forbidden by the egress proxy padding')).toBe(true);
    expect(reason).not.toContain('\n');
    expect(reason.length).toBeLessThanOrEqual('403: '.length + 300);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('says the Cloud Storage API is off, not only its message, when a media read is answered so', async () => {
    // Prepare: the JSON API's answers when the API is disabled (its own accessNotConfigured, and
    // the AIP-193 ErrorInfo SERVICE_DISABLED), which a media read puts in the message.
    const message = 'Cloud Storage JSON API has not been used in project 1 before or it is disabled.';
    const bodies = [
      { code: 403, message, errors: [{ domain: 'usageLimits', reason: 'accessNotConfigured' }] },
      {
        code: 403,
        message,
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            metadata: { service: 'storage.googleapis.com', consumer: 'projects/1' },
          },
        ],
      },
    ];

    for (const [index, answer] of bodies.entries()) {
      // Act
      const { fact } = await readThrough({ autoRetry: false, maxRetries: 0 }, () =>
        Object.assign(new Error(JSON.stringify({ error: answer })), { code: 403 }),
      );

      // Assess: before, the answer quoted whole, with nothing of the fix.
      const reason = fact?.newest?.header.state === 'unknown' ? fact.newest.header.reason : '';
      const head = index === 0 ? 'accessNotConfigured' : 'PERMISSION_DENIED';
      expect(reason.startsWith(`${head} (HTTP 403): ${message}; `)).toBe(true);
      expect(reason).toContain('the storage.googleapis.com API is not enabled');
    }
  });

  it('asks once through a client that retries itself', async () => {
    // Act
    const { failure, attempts } = await readThrough({ autoRetry: true, maxRetries: 3 }, throttled);

    // Assess
    expect(attempts).toEqual([1, 1]);
    expect(failure?.message).toMatch(
      /objects\.get \(alt=media\) of prod\/certctl-0\.dump failed: the service throttled it/,
    );
  });
});
