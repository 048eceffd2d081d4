/**
 * Fact builders for the dumps check tests: a healthy S3 location holding 35 daily dumps, the newest
 * being the real pg_dump 17 fixture (made 2026-12-02 03:38 UTC), at a fixed `NOW`.
 */
import type { DumpsCheckSettings } from '../../../functions/checks/dumps/settings.ts';
import { type DumpFact, type DumpObject, newestDumpRead } from '../../../functions/core/dump-facts.ts';
import { type DumpsPolicyInput, dumpsPolicySchema } from '../../../functions/core/dumps-policy.ts';
import { PG_DUMP_HEADER_BYTES } from '../../../functions/core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES } from '../../../functions/core/pg-dump-tail.ts';
import { fixtureBytes } from '../../fixtures/pg-dump/archives.ts';

export const NOW = new Date('2026-12-02T12:00:00.000Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** When the real fixture's dump was uploaded: just after its header's creation time. */
export const NEWEST_WRITTEN = new Date('2026-12-02T03:40:00.000Z');

export function hoursBefore(date: Date, hours: number): Date {
  return new Date(date.getTime() - hours * HOUR_MS);
}

/**
 * `fact` with the listed dumps' own retentions as objects.list sends them (GCS): a Locked one to 35
 * days after each was written, for the dumps whose index `held` accepts.
 */
export function withListedRetentions(
  fact: DumpFact,
  held: (index: number) => boolean = () => true,
): DumpFact {
  const objects = fact.listing.state === 'read' ? fact.listing.objects : [];
  const retentions = new Map(
    objects
      .filter((_, index) => held(index))
      .map((object) => [
        object.key,
        { mode: 'Locked', retainUntil: new Date((object.lastModified ?? NOW).getTime() + 35 * DAY_MS) },
      ]),
  );
  return { ...fact, listedRetentions: retentions };
}

/**
 * `fact` with its listed object at `index` empty (0 bytes, what a failed `pg_dump | aws s3 cp -`
 * uploads) and carrying no own retention.
 */
export function withEmptyObject(fact: DumpFact, index: number): DumpFact {
  if (fact.listing.state !== 'read') return fact;
  const objects = fact.listing.objects.map((object, at) => (at === index ? { ...object, size: 0 } : object));
  const emptied = objects[index]?.key;
  const retentions = new Map([...(fact.listedRetentions ?? [])].filter(([key]) => key !== emptied));
  return { ...fact, listing: { ...fact.listing, objects }, listedRetentions: retentions };
}

/** `days` daily dumps of `size` bytes, the newest written at NEWEST_WRITTEN, oldest first. */
export function dailySeries(days: number, size = 6451): DumpObject[] {
  return Array.from({ length: days }, (_, index) => {
    const written = new Date(NEWEST_WRITTEN.getTime() - (days - 1 - index) * DAY_MS);
    return { key: `prod/certctl-${written.toISOString().slice(0, 10)}.dump`, size, lastModified: written };
  });
}

/** `dumps`, each followed a minute later by its `.sha256` (a 96-byte sha256sum line). */
export function withChecksums(dumps: readonly DumpObject[]): DumpObject[] {
  return dumps.flatMap((dump) => [
    dump,
    {
      key: `${dump.key}.sha256`,
      size: 96,
      lastModified: new Date((dump.lastModified ?? NEWEST_WRITTEN).getTime() + 60_000),
    },
  ]);
}

/** The newest block of a checksum file `checksum` as read: a sha256sum line, no pg_dump archive. */
export function checksumRead(checksum: DumpObject): DumpFact['newest'] {
  const line = new TextEncoder().encode(`${'ab'.repeat(32)}  certctl.dump\n`);
  return newestDumpRead(checksum, line, { state: 'read', bytes: line });
}

export function fixtureHead(name: string): Uint8Array {
  return fixtureBytes(name).subarray(0, PG_DUMP_HEADER_BYTES);
}

/**
 * The newest dump block for the last object of `objects`, read as the adapters read it: the first
 * bytes and the last ones (a suffix range) of the fixture, cut after `length` bytes when given.
 */
export function newestOf(
  objects: readonly DumpObject[],
  fixture = 'certctl-pg17.dump',
  length?: number,
): DumpFact['newest'] {
  const object = objects.at(-1);
  if (!object) return undefined;
  const bytes = fixtureBytes(fixture, length);
  return newestDumpRead(object, bytes, { state: 'read', bytes: bytes.subarray(-PG_DUMP_TAIL_BYTES) });
}

/**
 * A healthy location: 35 daily dumps kept 35 days, COMPLIANCE Object Lock, blocked, CMK-encrypted
 * (an Enabled key).
 * Unless `overrides` names the newest dump, its ranged read answers its own encryption as S3 does on
 * every GET of an encrypted object: the default's, a key named by an alias by the ARN of its key.
 */
export function s3Fact(overrides: Partial<DumpFact> = {}): DumpFact {
  const fact = s3FactOf(overrides);
  // Cloud Storage names an object's own key only when it is not the default's (objects.list).
  if (
    'newest' in overrides ||
    !fact.newest ||
    fact.encryption.state !== 'read' ||
    fact.location.provider !== 'aws'
  )
    return fact;
  const { aliasTarget, ...byDefault } = fact.encryption.value;
  const sent = aliasTarget === undefined ? byDefault : { ...byDefault, kmsKey: aliasTarget };
  return { ...fact, newest: { ...fact.newest, encryption: sent } };
}

function s3FactOf(overrides: Partial<DumpFact>): DumpFact {
  const objects = overrides.listing?.state === 'read' ? overrides.listing.objects : dailySeries(35);
  return {
    resource: {
      provider: 'aws',
      account: '111122223333',
      region: 'eu-west-1',
      type: 'AwsS3Bucket',
      id: 'certctl-dumps',
      arn: 'arn:aws:s3:::certctl-dumps',
    },
    location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/' },
    listing: { state: 'read', objects, complete: true },
    newest: newestOf(objects),
    versioning: { state: 'read', value: { status: 'Enabled' } },
    retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 35, locked: true } },
    lifecycle: {
      state: 'read',
      value: [
        {
          id: 'expire-dumps',
          expirationDays: 35,
          expirationDate: undefined,
          noncurrentExpirationDays: 35,
          prefix: 'prod/',
        },
      ],
    },
    publicAccess: {
      state: 'read',
      value: {
        blocked: true,
        detail:
          'BlockPublicAcls=true, IgnorePublicAcls=true, BlockPublicPolicy=true, RestrictPublicBuckets=true',
      },
    },
    encryption: {
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        customerManagedKey: true,
        // DescribeKey sends the key's state with its manager.
        keyState: 'Enabled',
      },
    },
    ...overrides,
  };
}

/** The settings a check runs with: policy defaults (24 h cadence, 6 h grace, certctl), 30 days. */
export function settingsWith(dumps: DumpsPolicyInput = {}, minPitrDays = 30): DumpsCheckSettings {
  return { dumps: dumpsPolicySchema.parse(dumps), minPitrDays, now: NOW };
}

export const DENIED = 'AccessDenied: not authorized to perform s3:GetBucketVersioning';
