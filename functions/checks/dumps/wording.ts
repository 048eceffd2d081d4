/**
 * Wording the dumps checks share: how a location is named in a finding, how ages are printed, the
 * documentation remediations point to, and the NOT_AVAILABLE outcome for facts that could not be read.
 */
import { type CheckOutcome, notEvaluated } from '../../core/check.ts';
import {
  type ByteReading,
  compareOldestFirst,
  type DumpFact,
  type DumpLifecycleRule,
  type DumpObject,
  hasBesideDumpExtension,
  holdsNoDump,
  isHeld,
  keyExtension,
  type NewestDump,
  type ObjectRetention,
} from '../../core/dump-facts.ts';
import { type ExplicitDenyPolicy, explicitDenyWords } from '../../core/errors.ts';
import type { FindingValues, ResourceType } from '../../core/finding.ts';
import {
  MAX_ARCHIVE_VERSION,
  type NotPgDumpKind,
  PG_DUMP_HEADER_BYTES,
  type PgDumpHeader,
} from '../../core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES, pgDumpEnd } from '../../core/pg-dump-tail.ts';
import { plural } from '../../core/plural.ts';
import { CLOCK_SKEW_TOLERANCE_MS, DAY_MS, HOUR_MS, hoursAgainstLimit } from '../../core/time.ts';

/** Every dumps check judges the bucket that holds a dump series. */
export const DUMPS_RESOURCE_TYPES: readonly ResourceType[] = ['AwsS3Bucket', 'GcpStorageBucket'];

/** Documentation the remediations point to. */
export const DOCS = {
  pgDump: 'https://www.postgresql.org/docs/current/app-pgdump.html',
  s3Lifecycle: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html',
  s3ObjectLock: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html',
  s3Versioning: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html',
  s3BlockPublicAccess:
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
  s3DefaultEncryption: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html',
  gcsRetentionPolicy: 'https://cloud.google.com/storage/docs/bucket-lock',
  gcsLifecycle: 'https://cloud.google.com/storage/docs/lifecycle',
  gcsVersioning: 'https://cloud.google.com/storage/docs/object-versioning',
  gcsPublicAccessPrevention: 'https://cloud.google.com/storage/docs/public-access-prevention',
  gcsCmek: 'https://cloud.google.com/storage/docs/encryption/customer-managed-keys',
} as const;

/**
 * UTC offsets span -12 h to +14 h: the bounds of the true instant of a pg_dump header's creation
 * time, which is the dump host's local time with no offset (core/pg-dump-header.ts).
 */
export const MAX_WEST_OFFSET_HOURS = 12;
export const MAX_EAST_OFFSET_HOURS = 14;

/**
 * Why a pg_dump header's creation time gives no instant, in words: the header stores none (archive
 * versions before 1.4), or its `struct tm` fields, shown as stored, make no valid date (pg_dump
 * writes `localtime()` of a real instant, so such a header was damaged or not written by pg_dump).
 * Undefined when it gives one.
 */
export function unreadCreationWords(header: PgDumpHeader): string | undefined {
  if (header.createdAsUtc !== undefined) return undefined;
  const local = header.createdLocal;
  if (local === undefined) return 'the header stores none';
  const two = (value: number): string => String(value).padStart(2, '0');
  return `its fields read ${local.year}-${two(local.month)}-${two(local.day)} ${two(local.hour)}:${two(local.minute)}:${two(local.second)}, not a valid date`;
}

/** `s3://certctl-dumps/prod/` or `gs://certctl-dumps/prod/`. */
export function locationLabel(fact: DumpFact): string {
  const scheme = fact.location.provider === 'aws' ? 's3' : 'gs';
  return `${scheme}://${fact.location.bucket}/${fact.location.prefix}`;
}

/** Hours with one decimal, for observed values. */
export function hoursBetween(earlier: Date, later: Date): number {
  return Math.round(((later.getTime() - earlier.getTime()) / HOUR_MS) * 10) / 10;
}

/**
 * The hours from `earlier` to `later`, `exact` to compare with `limitHours`, and `shown` to one
 * decimal on the same side of the limit as the exact value (core/time.ts hoursAgainstLimit): a dump
 * 30.03 h old is past a 30 h allowance, and compared or shown as 30.0 h it would read as within it.
 */
export function hoursAgainst(
  earlier: Date,
  later: Date,
  limitHours: number,
): { readonly exact: number; readonly shown: number } {
  const exact = (later.getTime() - earlier.getTime()) / HOUR_MS;
  return { exact, shown: Number(hoursAgainstLimit(exact, limitHours)) };
}

/** Days with one decimal, for observed values. */
export function daysBetween(earlier: Date, later: Date): number {
  return Math.round(((later.getTime() - earlier.getTime()) / DAY_MS) * 10) / 10;
}

/** `26.5 h` or `3.2 days`, whichever reads better. */
export function formatDuration(hours: number): string {
  return hours < 72 ? `${hours} h` : `${Math.round((hours / 24) * 10) / 10} days`;
}

export function valueOrNull<T extends string | number | boolean>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/**
 * Objects of the listing that carry a modification time, oldest first, those of the same time in key
 * order ({@link compareOldestFirst}): the last is the one core/dump-facts.ts newestObject takes.
 */
export function datedObjects(objects: readonly DumpObject[]): (DumpObject & { lastModified: Date })[] {
  return objects
    .filter((object): object is DumpObject & { lastModified: Date } => object.lastModified !== undefined)
    .sort(compareOldestFirst);
}

/**
 * Objects of the listing that can be dumps and carry a modification time, oldest first. An object
 * the listing says is empty (0 bytes) holds no pg_dump archive, whatever its key: a failed
 * `pg_dump | aws s3 cp - …` still uploads one. Counted as a dump it would fill a gap of the series
 * with runs that produced nothing, and pull the recent median size down to nothing.
 */
export function datedDumps(objects: readonly DumpObject[]): (DumpObject & { lastModified: Date })[] {
  return datedObjects(objects).filter((object) => !holdsNoDump(object));
}

export { hasBesideDumpExtension };

/** What {@link besideDumpIndex} answers for a listing. */
export type BesideDumpIndex = (object: DumpObject) => DumpObject | undefined;

/** The index of each listing asked about, so the checks that ask of one fact share it. */
const besideDumpIndexes = new WeakMap<readonly DumpObject[], BesideDumpIndex>();

/**
 * For a listing without a `suffix`, which listed object each object sits beside as its checksum,
 * signature or log ({@link BESIDE_DUMP_EXTENSIONS}): the dump named by its key, or undefined when it
 * is not such a file. The listing is indexed once, so a long listing is not searched per object,
 * and only when an object of such an extension is asked about: a series of dumps alone (the usual
 * one) is never indexed. The freshness, retention and integrity checks all ask of the same listing,
 * so its index is kept with it (a fact's listing is not changed once read).
 */
export function besideDumpIndex(objects: readonly DumpObject[]): BesideDumpIndex {
  let index = besideDumpIndexes.get(objects);
  if (index) return index;
  let byKey: Map<string, DumpObject> | undefined;
  let byStem: Map<string, DumpObject> | undefined;
  index = (object) => {
    if (!hasBesideDumpExtension(object.key)) return undefined;
    if (!byKey || !byStem) {
      const candidates = objects.filter(
        (candidate) => !holdsNoDump(candidate) && !hasBesideDumpExtension(candidate.key),
      );
      byKey = new Map(candidates.map((candidate) => [candidate.key, candidate]));
      byStem = new Map(
        candidates
          .filter((candidate) => keyExtension(candidate.key) !== undefined)
          .map((candidate) => [candidate.key.slice(0, candidate.key.lastIndexOf('.')), candidate]),
      );
    }
    const base = object.key.slice(0, object.key.lastIndexOf('.'));
    return byKey.get(base) ?? byStem.get(base);
  };
  besideDumpIndexes.set(objects, index);
  return index;
}

/**
 * The dump a checksum, signature or log names by its key: `prod/x.dump` of `prod/x.dump.sha256`;
 * `prod/x.*` of `prod/x.sha256`, which sits beside `prod/x` with any extension.
 */
export function namedDumpOf(key: string): string {
  const base = key.slice(0, key.lastIndexOf('.'));
  return base.slice(base.lastIndexOf('/') + 1).includes('.') ? base : `${base}.*`;
}

/** Whose checksums, signatures or logs `files` are: `beside listed dumps`, `of dumps not listed`, or both. */
export function checksumsWhose(fact: DumpFact, files: readonly DumpObject[]): string {
  const listed = fact.listing.state === 'read' ? fact.listing.objects : [];
  const besideDump = besideDumpIndex(listed);
  const unlisted = files.filter((object) => !besideDump(object)).length;
  return unlisted === 0
    ? 'beside listed dumps'
    : unlisted === files.length
      ? 'of dumps not listed'
      : 'beside listed dumps or of dumps not listed';
}

/**
 * With no `suffix`, the listed objects dated after `judged` (oldest first, in the order
 * core/dump-facts.ts newestObject takes the newest) whose keys show them checksums, signatures or
 * logs: the objects the collectors passed over to read `judged`, the newest that may be a dump
 * (core/dump-facts.ts newestPossibleDump). Empty with a suffix, which names the dumps.
 */
export function newerChecksums(fact: DumpFact, judged: DumpObject): (DumpObject & { lastModified: Date })[] {
  if (fact.location.suffix || fact.listing.state !== 'read' || judged.lastModified === undefined) return [];
  const after = (object: DumpObject & { lastModified: Date }) => compareOldestFirst(object, judged) > 0;
  return datedObjects(fact.listing.objects).filter(
    (object) => after(object) && hasBesideDumpExtension(object.key),
  );
}

/**
 * What the judged dump's finding says of the newer objects passed over by their keys
 * ({@link newerChecksums}), as a sentence: whose checksums, signatures or logs they are, that none
 * was read, and the setting that leaves them out of the listing (the judged dump's extension as its
 * example). Empty when there are none.
 */
export function newerChecksumsWords(
  fact: DumpFact,
  judged: DumpObject,
  newer: readonly DumpObject[],
): string {
  const last = newer.at(-1);
  if (!last) return '';
  const fix = `set the location's \`suffix\`${extensionWords(judged.key)} so that only dumps count`;
  if (newer.length === 1) {
    const beside = fact.listing.state === 'read' ? besideDumpIndex(fact.listing.objects)(last) : undefined;
    const complete = fact.listing.state === 'read' && fact.listing.complete;
    const whose = beside
      ? `beside the dump ${beside.key}`
      : `of a dump not listed (${namedDumpOf(last.key)}${complete ? ', not uploaded or deleted since' : ''})`;
    return `The newer object ${last.key} is, by its key, a checksum, signature or log ${whose}, not a dump, so it was not read; ${fix}.`;
  }
  return `The ${newer.length} newer objects (the newest ${last.key}) are, by their keys, checksums, signatures or logs ${checksumsWhose(fact, newer)}, not dumps, so they were not read; ${fix}.`;
}

/** `` (`.dump`)`` for a key with an extension in its last segment, else nothing. */
export function extensionWords(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1).includes('.') ? ` (\`${key.slice(key.lastIndexOf('.'))}\`)` : '';
}

/**
 * Objects of the listing that may be dumps (not empty) but carry no modification time, other than
 * `except` (the newest listed, judged on its own): the listing did not say when they were written,
 * so any of them may be the newest dump, the oldest, or one inside a gap of the dated ones. A
 * verdict that rests on where the dated dumps sit (a stale newest, a gap, a short series) is not
 * proven while one exists.
 */
export function undatedDumps(objects: readonly DumpObject[], except?: DumpObject): DumpObject[] {
  return objects.filter(
    (object) => object.lastModified === undefined && !holdsNoDump(object) && object.key !== except?.key,
  );
}

/** `3 objects (the last by key prod/x.dump)` or `prod/x.dump`: the undated objects, in words. */
export function undatedWords(undated: readonly DumpObject[]): string {
  const last = undated.at(-1)?.key ?? '';
  return undated.length === 1 ? last : `${undated.length} objects (the last by key ${last})`;
}

/** NAMEDATALEN - 1: the bytes of a name PostgreSQL keeps. */
const MAX_NAME_BYTES = 63;
const utf8 = new TextEncoder();

/**
 * The database a name reaches: PostgreSQL keeps only the first 63 bytes of an identifier, cut at a
 * character boundary (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS;
 * `truncate_identifier` uses pg_mbcliplen). The header holds the name pg_dump connected with
 * (`WriteHead` writes `PQdb`, the name as the client gave it), so a longer multibyte name and its
 * cut form are one database.
 */
function postgresName(name: string): string {
  if (utf8.encode(name).length <= MAX_NAME_BYTES) return name;
  let kept = '';
  let bytes = 0;
  for (const character of name) {
    bytes += utf8.encode(character).length;
    if (bytes > MAX_NAME_BYTES) break;
    kept += character;
  }
  return kept;
}

/** Whether two database names reach one database, as PostgreSQL resolves them ({@link postgresName}). */
export function sameDatabase(a: string, b: string): boolean {
  return postgresName(a) === postgresName(b);
}

/**
 * The database the newest object's header names when it is another than `database` (a prefix that
 * also holds another database's dumps); undefined when it names the policy's, none, or was not read.
 */
export function newestOfOtherDatabase(fact: DumpFact, database: string): string | undefined {
  const header = fact.newest?.header;
  if (header?.state !== 'read' || header.result.kind !== 'header') return undefined;
  const named = header.result.header.databaseName;
  return named !== undefined && !sameDatabase(named, database) ? named : undefined;
}

/** The bytes do not start a pg_dump archive: what they look like instead, in words. */
export const NOT_PG_DUMP_WORDS: Readonly<Record<NotPgDumpKind, string>> = {
  empty: 'is empty',
  gzip: 'is a gzip file (a plain dump piped through gzip?), not a pg_dump custom archive',
  zstd: 'is a zstd file, not a pg_dump custom archive',
  tar: 'is a tar-format dump (pg_dump -Ft), not a custom archive',
  'plain-sql': 'is a plain SQL script (pg_dump -Fp), not a custom archive',
  unknown: 'does not start with the pg_dump magic PGDMP',
};

/**
 * Why an archived object's bytes could not be read (`archived`: the storage class S3 named, `''`
 * when it named none): no permission brings them back, only a restore.
 */
export function archivedWords(archived: string): string {
  return `it is archived${archived ? ` in storage class ${archived}` : ''}, whose bytes S3 serves only after a restore (RestoreObject)`;
}

/**
 * Why an object encrypted with a customer-provided key (SSE-C) could not be read: S3 serves its
 * bytes only to a request that sends that key, which S3 does not keep and this audit does not hold,
 * so no grant shows them.
 */
export const CUSTOMER_KEY_WORDS =
  'it is encrypted with a customer-provided key (SSE-C), whose bytes S3 serves only to a request that sends that key, which this audit does not hold';

/**
 * Why no grant shows the bytes of an object whose read was refused (archived, or encrypted with a
 * customer-provided key); undefined for a failure a grant may cure.
 */
export function ungrantableWords(refused: {
  readonly archived?: string;
  readonly customerKey?: true;
}): string | undefined {
  if (refused.customerKey) return CUSTOMER_KEY_WORDS;
  return refused.archived === undefined ? undefined : archivedWords(refused.archived);
}

/**
 * The grant a read refused for want of permission lacks ({@link NewestDump} header `denied`), in
 * words; for a read an explicit deny refused (`explicitDeny`), what lifts it, as no grant overrides
 * it (core/errors.ts explicitDenyWords); undefined for any other failure. S3: s3:GetObject on the prefix (infra/permissions.ts
 * grants it on `bucket/prefix*`), and, as S3 answers a refused decrypt alike, kms:Decrypt: KMS
 * decrypts an SSE-KMS object for S3 only under the audit role's kms:Decrypt through S3 in the
 * bucket's region (`kms:ViaService`, infra/permissions.ts DecryptDumpHeadersThroughS3), which
 * follows dumps.locations: a bucket S3 redirected to another region is outside it. Cloud Storage:
 * storage.objects.get (infra/gcp/plan.ts DUMP_READER_PERMISSIONS). Such a refusal says nothing of
 * the dump itself.
 */
export function deniedReadWords(
  fact: DumpFact,
  refused: {
    readonly reason: string;
    readonly denied?: 'kms' | 'unattributed';
    readonly explicitDeny?: ExplicitDenyPolicy;
    readonly metadata?: { readonly state: 'read' | 'unknown' };
  },
): string | undefined {
  if (refused.explicitDeny !== undefined) return explicitDenyWords(refused.explicitDeny);
  if (refused.denied === undefined) return undefined;
  if (fact.location.provider === 'gcp') {
    return `the audit's service account needs storage.objects.get on the objects under ${locationLabel(fact)}`;
  }
  const region = fact.resource.region;
  const decrypt = `kms:Decrypt on the bucket's key through S3 in ${region} (kms:ViaService s3.${region}.amazonaws.com)`;
  const outside = fact.policyRegion
    ? `, which its grant does not cover: it follows dumps.locations, which places the bucket in ${fact.policyRegion} (set the location's region to ${region} and redeploy)`
    : ', and the key policy must allow it';
  // S3's own message names kms:Decrypt, or the HeadObject answered where the GET was refused.
  const proof =
    refused.metadata?.state === 'read' && !/\bkms:Decrypt\b/i.test(refused.reason)
      ? ' (HeadObject, which needs the same s3:GetObject but no decrypt, was answered)'
      : '';
  return refused.denied === 'kms'
    ? `KMS refused S3 the decrypt${proof}: the audit role needs ${decrypt}${outside}`
    : `S3 answers AccessDenied both to a role without s3:GetObject on the object and when KMS refuses it the decrypt of an SSE-KMS object: the audit role needs s3:GetObject on ${fact.location.bucket}/${fact.location.prefix}*, and ${decrypt}${outside}`;
}

/**
 * Whether a ranged read of the newest dump came back with fewer bytes than the range asked for and
 * the listing does not show the object to hold no more: it says it holds more, or did not send a
 * size (as for its last bytes, a short read is then not told from a small object). The bytes it
 * lacks say nothing about the object.
 */
export function readCutShort(newest: NewestDump): boolean {
  if (newest.header.state !== 'read') return false;
  const { bytesRead } = newest.header;
  const listedSize = newest.object.size;
  return bytesRead < PG_DUMP_HEADER_BYTES && (listedSize === undefined || listedSize > bytesRead);
}

/** `52 of its 6451 bytes`, or `52 bytes, and the listing did not say how many it holds`. */
export function cutShortWords(newest: NewestDump): string {
  const bytesRead = newest.header.state === 'read' ? newest.header.bytesRead : 0;
  const listedSize = newest.object.size;
  return listedSize === undefined
    ? `${plural(bytesRead, 'byte')}, and the listing did not say how many it holds`
    : `${bytesRead} of its ${plural(listedSize, 'byte')}`;
}

export type ArchiveEnd =
  /**
   * `holdsData`: false when the archive ends with its table of contents (no data block follows it);
   * undefined when its end does not tell (an archive older than 1.7, {@link dataUntoldWords}).
   */
  | { readonly state: 'end-marker'; readonly holdsData: boolean | undefined }
  | { readonly state: 'mid-archive'; readonly zeroBytes: number }
  | { readonly state: 'unknown'; readonly reason: string };

/**
 * How the newest dump ends, from the last bytes its suffix-ranged read returned: only a read that
 * returned every byte it asked for (or, for a shorter object, all of it) shows the object's end.
 */
export function archiveEnd(
  tail: ByteReading,
  header: PgDumpHeader,
  sizeBytes: number | undefined,
): ArchiveEnd {
  if (tail.state === 'unknown')
    return { state: 'unknown', reason: `its last bytes could not be read: ${tail.reason}` };
  if (sizeBytes === undefined)
    return {
      state: 'unknown',
      reason: 'without its size, its last bytes cannot be told from a read cut short',
    };
  const expected = Math.min(PG_DUMP_TAIL_BYTES, sizeBytes);
  if (tail.bytes.length < expected) {
    return {
      state: 'unknown',
      reason: `the read of its last bytes returned ${tail.bytes.length} of the ${expected} asked for`,
    };
  }
  const end = pgDumpEnd(header, tail.bytes);
  if (end.kind === 'mid-archive') return { state: 'mid-archive', zeroBytes: end.zeroBytes };
  return {
    state: 'end-marker',
    holdsData: end.marker === 'zero-int-or-toc' ? undefined : end.marker === 'zero-int',
  };
}

/**
 * Why whether a whole custom archive older than version 1.7 holds table data is not told: its last
 * TOC entry ends with its data offset written as an int (0 for none), the same zero bytes a data
 * block's end marker is, and only 1.7 put the flag byte before the offset that tells them apart.
 */
export function dataUntoldWords(header: PgDumpHeader): string {
  return `archive version ${header.archiveVersionText} is older than 1.7, whose table of contents ends with the same integer 0 as a data block, so its last bytes do not tell whether it holds table data or is a --schema-only dump`;
}

/**
 * Why a custom archive's data is not shown restorable by its compression, in words: its header names
 * an algorithm (archive versions >= 1.15 store one byte, common/compression.h: 0 none, 1 gzip, 2 lz4,
 * 3 zstd) no pg_dump this audit knows writes. Undefined for a known algorithm.
 */
export function unknownCompressionWords(header: PgDumpHeader): string | undefined {
  if (header.compression.algorithm !== 'unknown') return undefined;
  return `its header names compression algorithm ${header.compression.algorithmCode}, which no pg_dump this audit knows writes`;
}

/**
 * How a whole custom archive that ends with its table of contents is said: no data block follows
 * it, so it restores the schema and no rows.
 */
export const NO_TABLE_DATA_WORDS =
  'it ends with its table of contents, with no data block after it: it holds no table data, so a restore brings back the schema and no rows (a pg_dump --schema-only or --section=pre-data/post-data dump, or a data dump cut right after its table of contents)';

/** How a custom archive whose last bytes are not its end marker is said: `ends mid-archive: …`. */
export function midArchiveWords(sizeBytes: number | undefined, zeroBytes: number): string {
  return `ends mid-archive: truncated (${sizeBytes} bytes; a whole custom archive ends with ${zeroBytes} zero bytes, the integer 0 closing its last data block or table of contents, and its last ${zeroBytes} bytes are not all zero)`;
}

/**
 * What the first bytes of the newest listed object show it to be, judged as dumps.integrity judges
 * them: a pg_dump custom archive (`dump`; whether it is whole, of the right database and made when
 * written is the checks' to judge), some other file (`other`, in words: no `PGDMP` magic, a header
 * pg_restore refuses, one that ends inside a whole object, a pg_dump archive of another format), or
 * `nothing`: the bytes were not read (refused, failed), or were read but do not settle it (a read
 * cut short, a header longer than the bytes read, an archive version newer than this audit reads).
 * Only `dump` proves a dump; a key, whatever its suffix, proves nothing of the bytes behind it.
 * A custom archive whose last bytes were read and end mid-archive is `other`, `cut`: a truncated
 * dump restores nothing whole, so it proves no recent dump (dumps.integrity FAILS it). Last bytes
 * that do not show its end (their read refused, failed or cut short, or no size to tell a short
 * read by) leave it `dump` with `unended`, why: its header proves a dump was started, not that it
 * is whole, so it proves no recent whole dump either (dumps.integrity: NOT_AVAILABLE). A custom
 * archive whose header names a compression algorithm no pg_dump this audit knows writes is `dump`
 * with `unrestorable`, in words: pg_restore warns that no data will be available for an algorithm
 * it does not support, so however whole, it proves no dump a restore can use (dumps.integrity:
 * NOT_AVAILABLE). A whole custom archive that ends with its table of contents is `dump` with
 * `noData`, in words: it holds no table data (a --schema-only dump), so it proves no dump a restore
 * can bring the data back from (dumps.integrity FAILS it). One older than archive version 1.7 is
 * `dump` with `dataUntold`, in words: its end does not tell whether it holds table data, so it does
 * not prove a dump of the data either (dumps.integrity: NOT_AVAILABLE).
 */
export type NewestShows =
  | {
      readonly shows: 'dump';
      readonly unended?: string;
      readonly unrestorable?: string;
      readonly noData?: string;
      readonly dataUntold?: string;
    }
  | { readonly shows: 'other'; readonly words: string; readonly cut?: true }
  | {
      readonly shows: 'nothing';
      readonly reason: string;
      readonly archived?: string;
      readonly customerKey?: true;
      readonly denied?: 'kms' | 'unattributed';
      readonly explicitDeny?: ExplicitDenyPolicy;
      readonly metadata?: { readonly state: 'read' | 'unknown' };
    };

export function newestShows(newest: NewestDump): NewestShows {
  // The listing's size alone shows an empty object is no dump, whether or not its bytes were read.
  if (holdsNoDump(newest.object)) return { shows: 'other', words: NOT_PG_DUMP_WORDS.empty };
  if (newest.header.state === 'unknown') {
    const { reason, archived, customerKey, denied, explicitDeny, metadata } = newest.header;
    return {
      shows: 'nothing',
      reason,
      ...(archived === undefined ? {} : { archived }),
      ...(customerKey ? { customerKey } : {}),
      ...(denied === undefined ? {} : { denied }),
      ...(explicitDeny === undefined ? {} : { explicitDeny }),
      ...(metadata === undefined ? {} : { metadata }),
    };
  }
  const { result, bytesRead } = newest.header;
  // A read cut short says nothing of the bytes it lacks (dumps.integrity: NOT_AVAILABLE).
  const cutShort = readCutShort(newest);
  switch (result.kind) {
    case 'header': {
      if (result.header.format !== 'custom') {
        return {
          shows: 'other',
          words: `is a pg_dump archive of format ${result.header.format} (${result.header.formatCode}), not a custom archive`,
        };
      }
      const end = archiveEnd(newest.tail, result.header, newest.object.size);
      if (end.state === 'mid-archive') {
        return { shows: 'other', words: midArchiveWords(newest.object.size, end.zeroBytes), cut: true };
      }
      const unrestorable = unknownCompressionWords(result.header);
      return {
        shows: 'dump',
        ...(end.state === 'unknown' ? { unended: end.reason } : {}),
        ...(unrestorable === undefined ? {} : { unrestorable }),
        ...(end.state === 'end-marker' && end.holdsData === false ? { noData: NO_TABLE_DATA_WORDS } : {}),
        ...(end.state === 'end-marker' && end.holdsData === undefined
          ? { dataUntold: dataUntoldWords(result.header) }
          : {}),
      };
    }
    case 'not-pg-dump':
      if (result.looksLike === 'empty' && cutShort) {
        return { shows: 'nothing', reason: `the ranged read returned ${cutShortWords(newest)}` };
      }
      return { shows: 'other', words: NOT_PG_DUMP_WORDS[result.looksLike] };
    case 'truncated':
      if (cutShort) return { shows: 'nothing', reason: `the ranged read returned ${cutShortWords(newest)}` };
      // The whole object was read, or the header runs past the bytes this audit reads of any object.
      return bytesRead < PG_DUMP_HEADER_BYTES
        ? {
            shows: 'other',
            words: `is only ${plural(bytesRead, 'byte')} and ends inside a pg_dump archive header (at its ${result.field})`,
          }
        : { shows: 'nothing', reason: `its header does not fit in the first ${bytesRead} bytes read` };
    case 'malformed':
      return { shows: 'other', words: `starts with PGDMP but its header is malformed: ${result.detail}` };
    case 'unsupported-version': {
      const { major, minor } = result.archiveVersion;
      return major < 1
        ? { shows: 'other', words: `claims archive version ${major}.${minor}, which no pg_dump writes` }
        : {
            shows: 'nothing',
            reason: `it is archive version ${major}.${minor}, newer than the ${MAX_ARCHIVE_VERSION.major}.${MAX_ARCHIVE_VERSION.minor} this audit reads`,
          };
    }
  }
}

/** The outcome when a fact this check needs could not be read: never PASSED. */
export function notAvailable(
  fact: DumpFact,
  what: string,
  observed: FindingValues,
  required: FindingValues,
): CheckOutcome {
  return notEvaluated(locationLabel(fact), what, observed, required);
}

/**
 * The whole days an object's own retention keeps it after it was written. The uploader computes the
 * retain-until time just before its upload, which S3 and Cloud Storage date on arrival: a retention
 * of exactly the policy's days comes out seconds short of them, so the days carry the clock
 * tolerance, not a day less.
 */
export function ownRetentionDays(retainUntil: Date, written: Date): number {
  return Math.floor((retainUntil.getTime() - written.getTime() + CLOCK_SKEW_TOLERANCE_MS) / DAY_MS);
}

/**
 * Whether an object's own retention keeps it `minPitrDays`: Locked (it cannot be reduced or removed,
 * https://cloud.google.com/storage/docs/object-lock) and lasting at least that long after it was
 * written ({@link ownRetentionDays}).
 */
export function ownRetentionKeeps(
  object: DumpObject,
  lock: ObjectRetention | undefined,
  minPitrDays: number,
): boolean {
  return (
    lock?.mode === 'Locked' &&
    object.lastModified !== undefined &&
    ownRetentionDays(lock.retainUntil, object.lastModified) >= minPitrDays
  );
}

/**
 * On Cloud Storage, the listed dumps no Locked retention of their own keeps `minPitrDays`
 * (objects.list `retention`, {@link DumpFact.listedRetentions}; {@link ownRetentionKeeps}): none when
 * every dump of a complete listing carries one. An empty object is no dump ({@link holdsNoDump}):
 * whether it is held does not matter. Undefined when the listing was not read whole or holds
 * nothing: then no dump is proven held.
 */
export function dumpsNotHeldByOwnRetention(fact: DumpFact, minPitrDays: number): DumpObject[] | undefined {
  const { listing, listedRetentions } = fact;
  if (listing.state !== 'read' || !listing.complete || listing.objects.length === 0) return undefined;
  return listing.objects.filter(
    (object) =>
      !holdsNoDump(object) && !ownRetentionKeeps(object, listedRetentions?.get(object.key), minPitrDays),
  );
}

/**
 * The listed dumps an object hold keeps now ({@link isHeld}), oldest first: on Cloud Storage each
 * listed dump objects.list sent a set hold for ({@link DumpFact.listedHolds}); on S3, which lists no
 * object's legal hold, the newest dump when its read answered one that is on. Empty objects are no
 * dumps.
 */
export function heldDumps(fact: DumpFact): DumpObject[] {
  if (fact.listing.state !== 'read') return [];
  const { listedHolds } = fact;
  if (listedHolds) {
    return fact.listing.objects.filter(
      (object) => !holdsNoDump(object) && isHeld(listedHolds.get(object.key)),
    );
  }
  const newest = fact.newest;
  return newest && !holdsNoDump(newest.object) && isHeld(newest.holds) ? [newest.object] : [];
}

/**
 * Why a hold is no retention period, in words: it sets none, and who may release it (Cloud Storage:
 * whoever may update the object, storage.objects.update; S3: s3:PutObjectLegalHold).
 */
export function holdReleaseWords(provider: DumpFact['location']['provider'], many: boolean): string {
  return provider === 'aws'
    ? `it sets no period, and whoever has s3:PutObjectLegalHold can remove it`
    : `it sets no period, and whoever may update the ${many ? 'objects' : 'object'} can release it`;
}

/**
 * Whether a rule's object-size filter and prefixes inside the series reach the dumps: `none` when
 * no listed dump (empty objects are none) meets them (the listing complete, every size of a dump under the prefixes known),
 * `some` when a listed dump does, `unknown` when the listing cannot tell; `all` when the rule has
 * neither.
 */
export function ruleReach(
  rule: DumpLifecycleRule,
  { listing, location }: Pick<DumpFact, 'listing' | 'location'>,
): 'all' | 'some' | 'none' | 'unknown' {
  const above = rule.objectSizeGreaterThan;
  const below = rule.objectSizeLessThan;
  const prefixes = rule.narrowerPrefixes;
  const suffixes = rule.matchesSuffixes;
  const sized = above !== undefined || below !== undefined;
  if (!sized && prefixes === undefined && suffixes === undefined) return 'all';
  // Every dump's key ends with the location's suffix: it can end with a rule's suffix too only
  // when one of the two ends with the other (`.dump` and `.tmp` never meet).
  const dumpSuffix = location.suffix;
  if (
    suffixes !== undefined &&
    dumpSuffix &&
    !suffixes.some((suffix) => suffix.endsWith(dumpSuffix) || dumpSuffix.endsWith(suffix))
  ) {
    return 'none';
  }
  if (listing.state !== 'read') return 'unknown';
  const under = (key: string) =>
    (prefixes === undefined || prefixes.some((prefix) => key.startsWith(prefix))) &&
    (suffixes === undefined || suffixes.some((suffix) => key.endsWith(suffix)));
  const inRange = (size: number) =>
    (above === undefined || size > above) && (below === undefined || size < below);
  // An empty object is a run that produced nothing, no dump (datedDumps): a rule that reaches only
  // such objects (a cleanup of failed uploads under 1 KiB) deletes no dump.
  const reached = listing.objects.filter((object) => !holdsNoDump(object) && under(object.key));
  if (reached.some((object) => !sized || (object.size !== undefined && inRange(object.size)))) return 'some';
  if (!listing.complete || (sized && reached.some((object) => object.size === undefined))) return 'unknown';
  return 'none';
}

/**
 * Why something measured from this run's clock cannot be told, when a listed object's date shows
 * that clock behind (`clockContradictedBy`, core/dump-facts.ts): `<key> says it was written at <date>, later than
 * this run's clock (<now>), so <untold> cannot be told; check the clock of the machine that runs the
 * audit`.
 */
export function clockBehindWords(
  object: { readonly key: string; readonly lastModified: Date },
  now: Date,
  untold: string,
): string {
  return `${object.key} says it was written at ${object.lastModified.toISOString()}, later than this run's clock (${now.toISOString()}), so ${untold} cannot be told; check the clock of the machine that runs the audit`;
}
