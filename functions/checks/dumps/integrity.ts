/**
 * `dumps.integrity`: the newest dump is a whole pg_dump custom archive of the expected database.
 *
 * From the first bytes only (a ranged GET, never a full download; functions/core/pg-dump-header.ts):
 * the `PGDMP` magic, an archive version pg_restore accepts, the custom format (1), the database name
 * in the header. From the last bytes (a suffix-ranged GET beside it; functions/core/pg-dump-tail.ts):
 * the archive ends as every whole custom archive ends, with the integer 0 that closes its last data
 * block (or, with no data, its table of contents); one that does not ends mid-archive: truncated,
 * with no earlier dump needed to tell. Which end it is tells whether it holds data: the table of
 * contents is written before every data block, so an archive that ends with its TOC's last entry
 * (its `K_OFFSET_NO_DATA` offset after the deps list's end) holds no table data: FAILED, as a
 * pg_dump --schema-only (or --section) dump restores no rows, and a series of them passes the size
 * comparison. The first bytes cannot tell it: the TOC lists every schema entry before the first
 * `TABLE DATA` one, past the 1 KiB header read. A read of the last bytes that failed or came back short
 * proves nothing: NOT_AVAILABLE. The end marker is necessary, not sufficient (a cut that lands
 * just after zero bytes, such as between two data blocks, ends the same), so two more signals stay:
 * the header's creation time agrees with the object's modification time, and the object is not
 * smaller than half the median of the dumps before it. A newest header naming another database
 * than the policy's shows the prefix shared: the dumps before it may be of either database, so
 * the size is not compared (the database alone FAILS it).
 *
 * The header's creation time is the dump host's local time with no offset, so "agrees" allows every
 * UTC offset (-12 h to +14 h) plus one cadence for the dump and upload to finish: the object must
 * have been written between that local time read as UTC minus 14 h and plus 12 h + cadence. An
 * older archive uploaded under a new name falls outside. Neither time is this run's clock (the dump
 * host's and the store's), so a clock the listing shows behind (core/dump-facts.ts
 * `clockContradictedBy`, which dumps.fresh, dumps.retention and dumps.protection ask) changes
 * nothing here.
 *
 * A ranged read that returned fewer bytes than the listing says the object holds was cut short:
 * it proves neither a short nor an empty object (NOT_AVAILABLE); so is one of an object the listing
 * gave no size for, which cannot be told from a small object.
 *
 * With no `suffix` set, an object whose key shows it a checksum, signature or log (`x.dump.sha256`,
 * or `x.sha256`), beside a listed dump or of one not listed, is no dump, as dumps.fresh counts it:
 * the collectors read the newest object that may be a dump (core/dump-facts.ts newestPossibleDump),
 * not the checksum written after it, and that object is judged, the finding naming the newer such
 * files passed over (observed `newerChecksums`). Bytes read of such a file instead (a fact read
 * otherwise) show nothing of the newest object that may be a dump: NOT_AVAILABLE, naming it and the
 * `suffix` setting, never PASSED (FAILED only when the listing shows it empty). With only such
 * files listed, there is no dump to inspect; an undated one does not stand for a newer dump. Such
 * files are left out of the median as well, whether the dump their key names is listed or not (a
 * checksum is no dump of a usual size); any other object stays in it.
 *
 * A listing that stopped at the policy's `maxObjectsListed` proves nothing here: the newest object
 * it holds may not be the newest dump. Both listings answer in key order (ListObjectsV2 on a general
 * purpose bucket, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html, Sorting
 * order of returned objects; objects.list, https://cloud.google.com/storage/docs/listing-objects),
 * so a cut date-named series holds its oldest dumps; under any other order the objects beyond the
 * bound are unread all the same. So the check is NOT_AVAILABLE rather than judging an older file as
 * the newest. So is a listing with an object it did not date (no LastModified or timeCreated sent):
 * it may be newer.
 */
import type { CheckOutcome } from '../../core/check.ts';
import {
  type DumpFact,
  type DumpObject,
  holdsNoDump,
  type NewestDump,
  newestPossibleDump,
} from '../../core/dump-facts.ts';
import { MAX_ARCHIVE_VERSION, PG_DUMP_HEADER_BYTES, type PgDumpHeader } from '../../core/pg-dump-header.ts';
import { plural } from '../../core/plural.ts';
import { HOUR_MS } from '../../core/time.ts';
import type { DumpsCheck, DumpsCheckSettings } from './settings.ts';
import {
  archivedWords,
  archiveEnd,
  besideDumpIndex,
  CUSTOMER_KEY_WORDS,
  cutShortWords,
  DOCS,
  DUMPS_RESOURCE_TYPES,
  dataUntoldWords,
  datedDumps,
  deniedReadWords,
  extensionWords,
  hasBesideDumpExtension,
  locationLabel,
  MAX_EAST_OFFSET_HOURS,
  MAX_WEST_OFFSET_HOURS,
  midArchiveWords,
  NO_TABLE_DATA_WORDS,
  NOT_PG_DUMP_WORDS,
  namedDumpOf,
  newerChecksums,
  newerChecksumsWords,
  notAvailable,
  readCutShort,
  sameDatabase,
  undatedDumps,
  undatedWords,
  unknownCompressionWords,
  unreadCreationWords,
  valueOrNull,
} from './wording.ts';

/** How many dumps before the newest make the "recent median", and how few are too few to judge. */
export const RECENT_DUMPS = 7;
export const MIN_RECENT_DUMPS = 3;

export const dumpsIntegrityCheck: DumpsCheck = {
  metadata: {
    id: 'dumps.integrity',
    group: 'dumps',
    title: 'The newest pg_dump is a whole custom archive of the certctl database',
    failedTitle: 'The newest pg_dump is not a whole custom archive of the certctl database',
    severity: 'HIGH',
    rationale:
      'A dump that is not a custom archive, holds another database, is an old file under a new name, or was cut short fails only when it is needed: at restore time. Its first and last bytes and its size show most of that without downloading it: a whole custom archive ends with a zero integer, so one that does not was cut, even when no earlier dump is there to compare its size with; and one that ends with its table of contents holds no table data (a --schema-only dump), however its size compares. Archives older than version 1.7 end their table of contents with the same zero integer as a data block, so whether such an archive holds table data is not evaluated (NOT_AVAILABLE, never PASSED).',
    remediation: {
      text: 'Make the job run `pg_dump --format=custom --dbname=certctl` and upload the whole file (check the exit status of pg_dump and of the upload); then make a new dump.',
      url: DOCS.pgDump,
    },
    resourceTypes: DUMPS_RESOURCE_TYPES,
  },
  evaluate(fact, settings) {
    const required = { format: 'custom', databaseName: settings.dumps.databaseName };
    if (fact.listing.state === 'unknown') {
      return notAvailable(fact, `the listing failed (${fact.listing.reason})`, {}, required);
    }
    const listed = fact.listing.objects;
    const noDump = () => {
      const checksums = listed.length > 0 && listed.every((object) => notDumpByKey(fact, object));
      return notAvailable(
        fact,
        checksums
          ? `there is no dump to inspect: ${listed.length === 1 ? 'the one object listed is' : `the ${listed.length} objects listed are each`}, by its key, a checksum, signature or log (dumps.fresh reports it)`
          : 'there is no dump to inspect (dumps.fresh reports it)',
        {},
        required,
      );
    };
    const newest = fact.newest;
    if (!newest) return noDump();
    // With no suffix, the bytes read may be those of a checksum, signature or log (a collector that
    // read the newest object whatever its key): they show nothing of the newest object that may be a
    // dump, which is judged unread. The collectors read that object instead (newestPossibleDump).
    const readChecksum = notDumpByKey(fact, newest.object);
    const judged = readChecksum ? newestPossibleDump(fact.listing, fact.location.suffix) : newest.object;
    if (!judged) return noDump();
    const key = judged.key;
    // The newer objects passed over by their keys: the judged object is not the newest listed.
    const newer = newerChecksums(fact, judged);
    const mayBeDump = newer.length > 0 ? ' that may be a dump' : '';
    if (!fact.listing.complete) {
      return notAvailable(
        fact,
        `the listing stopped at the policy's maxObjectsListed (${plural(listed.length, 'object')}), so ${key}, the newest listed${mayBeDump}, may not be the newest dump`,
        { key },
        required,
      );
    }
    // An object the listing did not date may be a newer dump than the one read, unless its key shows
    // it a checksum, signature or log (no suffix set), as dumps.fresh counts it.
    const undated = undatedDumps(listed, judged).filter((object) => !notDumpByKey(fact, object));
    if (undated.length > 0) {
      return notAvailable(
        fact,
        `the listing did not say when ${undatedWords(undated)} ${undated.length === 1 ? 'was' : 'were'} written, so ${key}, the newest dated object${mayBeDump}, may not be the newest dump`,
        { key, undatedObjects: undated.length },
        required,
      );
    }
    if (readChecksum) {
      // The listing alone shows an empty object, which no read could make a dump.
      if (holdsNoDump(judged)) {
        return failed(
          fact,
          `${key} ${NOT_PG_DUMP_WORDS.empty} (the listing says 0 bytes)`,
          { key, sizeBytes: 0 },
          required,
        );
      }
      const read = newest.object.key;
      const beside = besideDumpIndex(listed)(newest.object);
      const whose = beside
        ? beside.key === key
          ? 'beside it'
          : `beside the dump ${beside.key}`
        : `of a dump not listed (${namedDumpOf(read)})`;
      return notAvailable(
        fact,
        `the newest object that may be a dump, ${key}, was not read: the bytes read are those of ${read}, by its key a checksum, signature or log ${whose}, which show nothing of a dump; set the location's \`suffix\`${extensionWords(key)} so that only dumps count`,
        { key, bytesReadOf: read },
        required,
      );
    }
    const outcome = judgeRead(fact, newest, settings, required);
    if (newer.length === 0) return outcome;
    return {
      ...outcome,
      description: `${outcome.description} ${newerChecksumsWords(fact, judged, newer)}`,
      observed: { ...outcome.observed, newerChecksums: newer.length },
    };
  },
};

/**
 * With no `suffix`, whether an object's key shows it a checksum, signature or log (wording.ts
 * hasBesideDumpExtension), beside a listed dump or of one not listed: no dump either way, as
 * dumps.fresh counts it. A `suffix` names the dumps.
 */
function notDumpByKey(fact: DumpFact, object: DumpObject): boolean {
  return !fact.location.suffix && hasBesideDumpExtension(object.key);
}

/** The newest dump judged by the bytes read of it: its header, its last bytes and its size. */
function judgeRead(
  fact: DumpFact,
  newest: NewestDump,
  settings: DumpsCheckSettings,
  required: CheckOutcome['required'],
): CheckOutcome {
  const key = newest.object.key;
  if (newest.header.state === 'unknown' && holdsNoDump(newest.object)) {
    // The listing alone shows an empty object, which no read could make a dump.
    return failed(
      fact,
      `${key} ${NOT_PG_DUMP_WORDS.empty} (the listing says 0 bytes; its first bytes could not be read: ${newest.header.reason})`,
      { key, sizeBytes: 0 },
      required,
    );
  }
  if (newest.header.state === 'unknown') {
    const { archived, customerKey, reason } = newest.header;
    const grant = deniedReadWords(fact, newest.header);
    return notAvailable(
      fact,
      customerKey
        ? `the first bytes of ${key} could not be read: ${CUSTOMER_KEY_WORDS}, so a database restore from it needs that key too (${reason})`
        : archived === undefined
          ? `the first bytes of ${key} could not be read (${reason})${grant ? `: ${grant}` : ''}`
          : `the first bytes of ${key} could not be read: ${archivedWords(archived)}, so a database restore from it must wait for one too (${reason})`,
      { key },
      required,
    );
  }
  const result = newest.header.result;
  const bytesRead = newest.header.bytesRead;
  // A read cut short says nothing of the bytes it lacks, so an archive header ending inside it
  // (or no bytes at all) is no proof of a short or empty object.
  const listedSize = newest.object.size;
  if (
    readCutShort(newest) &&
    (result.kind === 'truncated' || (result.kind === 'not-pg-dump' && result.looksLike === 'empty'))
  ) {
    return notAvailable(
      fact,
      `the ranged read of ${key} returned only ${cutShortWords(newest)}, so its header could not be read whole`,
      { key, bytesRead, sizeBytes: listedSize ?? null },
      required,
    );
  }
  switch (result.kind) {
    case 'not-pg-dump':
      return failed(
        fact,
        `${key} ${NOT_PG_DUMP_WORDS[result.looksLike]}${fact.location.suffix ? '' : " (if the prefix also holds other files, such as checksums or logs, set the location's `suffix` so that only dumps count)"}`,
        { key, looksLike: result.looksLike },
        required,
      );
    case 'malformed':
      return failed(
        fact,
        `${key} starts with PGDMP but its header is malformed: ${result.detail}`,
        { key },
        required,
      );
    case 'truncated':
      if (bytesRead < PG_DUMP_HEADER_BYTES) {
        return failed(
          fact,
          `${key} is only ${plural(bytesRead, 'byte')} and ends inside the archive header (at its ${result.field})`,
          { key, sizeBytes: bytesRead },
          required,
        );
      }
      return notAvailable(
        fact,
        `the header of ${key} does not fit in its first ${bytesRead} bytes`,
        { key },
        required,
      );
    case 'unsupported-version': {
      const { major, minor } = result.archiveVersion;
      const version = `${major}.${minor}`;
      if (major < 1)
        return failed(
          fact,
          `${key} claims archive version ${version}, which no pg_dump writes`,
          { key, archiveVersion: version },
          required,
        );
      return notAvailable(
        fact,
        `${key} is archive version ${version}, newer than the ${MAX_ARCHIVE_VERSION.major}.${MAX_ARCHIVE_VERSION.minor} this audit reads`,
        { key, archiveVersion: version },
        required,
      );
    }
    case 'header':
      return judgeHeader(fact, newest, result.header, settings, required);
  }
}

function failed(
  fact: DumpFact,
  problem: string,
  observed: CheckOutcome['observed'],
  required: CheckOutcome['required'],
): CheckOutcome {
  return { status: 'FAILED', description: `${locationLabel(fact)}: ${problem}.`, observed, required };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Sizes of up to RECENT_DUMPS dumps (not empty objects; with no `suffix`, not the checksums,
 * signatures or logs their keys show, beside a listed dump or of one not listed) before the newest,
 * and how many such dumps the listing sent no size for (`unsized`): too few sizes is then not too
 * few dumps.
 */
function recentSizes(fact: DumpFact, newestKey: string): { sizes: number[]; unsized: number } {
  if (fact.listing.state !== 'read') return { sizes: [], unsized: 0 };
  // Empty objects are runs that produced nothing, not dumps of a usual size (datedDumps); a
  // checksum of a hundred bytes would pull the median down until a cut dump passes as usual, whether
  // the dump it names is listed or not (its upload failed, or it was deleted). A suffix names the
  // dumps: every object listed then ends with it.
  const notDump = (object: DumpObject) => !fact.location.suffix && hasBesideDumpExtension(object.key);
  const earlier = datedDumps(fact.listing.objects).filter(
    (object) => object.key !== newestKey && !notDump(object),
  );
  return {
    sizes: earlier
      .filter((object) => object.size !== undefined)
      .slice(-RECENT_DUMPS)
      .map((object) => object.size ?? 0),
    unsized: earlier.filter((object) => object.size === undefined).length,
  };
}

function judgeHeader(
  fact: DumpFact,
  newest: NewestDump,
  header: PgDumpHeader,
  { dumps }: DumpsCheckSettings,
  required: CheckOutcome['required'],
): CheckOutcome {
  const object = newest.object;
  const key = object.key;
  const problems: string[] = [];
  const unknown: string[] = [];
  const notes: string[] = [];

  // How a custom archive ends says nothing of another format's file.
  const end = header.format === 'custom' ? archiveEnd(newest.tail, header, object.size) : undefined;
  if (header.format !== 'custom') {
    problems.push(`its header says format ${header.format} (${header.formatCode}), not custom (1)`);
  } else if (end?.state === 'mid-archive') {
    problems.push(`it ${midArchiveWords(object.size, end.zeroBytes)}`);
  } else if (end?.state === 'unknown') {
    unknown.push(`whether it ends as a whole archive (${end.reason})`);
  } else if (end?.state === 'end-marker' && end.holdsData === false) {
    problems.push(NO_TABLE_DATA_WORDS);
  } else if (end?.state === 'end-marker' && end.holdsData === undefined) {
    // Not evaluated, never passed: a --schema-only dump of that version ends the same way.
    unknown.push(`whether it holds table data (${dataUntoldWords(header)})`);
  }
  // pg_restore warns that no data will be available for an algorithm it does not support.
  const unrestorable = unknownCompressionWords(header);
  if (unrestorable !== undefined) unknown.push(`whether its data can be restored: ${unrestorable}`);
  const otherDatabase =
    header.databaseName !== undefined && !sameDatabase(header.databaseName, dumps.databaseName)
      ? header.databaseName
      : undefined;
  if (header.databaseName === undefined) {
    unknown.push('the database name (the header stores none)');
  } else if (otherDatabase !== undefined) {
    problems.push(`it is a dump of database "${header.databaseName}", not "${dumps.databaseName}"`);
  }

  const lastModified = object.lastModified;
  if (!header.createdAsUtc || !lastModified) {
    unknown.push(
      !header.createdAsUtc
        ? `the creation time in the header (${unreadCreationWords(header)})`
        : "the object's modification time",
    );
  } else {
    const createdMs = header.createdAsUtc.getTime();
    const earliest = createdMs - MAX_EAST_OFFSET_HOURS * HOUR_MS;
    const latest = createdMs + (MAX_WEST_OFFSET_HOURS + dumps.cadenceHours) * HOUR_MS;
    const writtenMs = lastModified.getTime();
    if (writtenMs < earliest || writtenMs > latest) {
      problems.push(
        `its header says it was made ${header.createdAsUtc.toISOString().slice(0, 19).replace('T', ' ')} (dump host's local time) but the object was written ${lastModified.toISOString()}, further apart than any time zone and one cadence explain: an older archive under a newer name?`,
      );
    }
  }

  const sizeBytes = object.size;
  const { sizes, unsized } = recentSizes(fact, key);
  let recentMedianBytes: number | undefined;
  if (sizeBytes === undefined) {
    unknown.push('the object size');
  } else if (otherDatabase !== undefined) {
    // The prefix holds another database's dumps too: a median of the dumps before it may mix both
    // series (only the newest header is read), so a size judged on it proves nothing either way.
    unknown.push(
      `its size against the dumps before it (the prefix holds dumps of database "${otherDatabase}" too, so they may be of either database)`,
    );
  } else if (sizes.length < MIN_RECENT_DUMPS && sizes.length + unsized >= MIN_RECENT_DUMPS) {
    // Enough earlier dumps are listed, but not their sizes: the comparison could not be made, which
    // is not a series too new to compare.
    unknown.push(
      `its size against the dumps before it (the listing did not send the size of ${unsized} of them)`,
    );
  } else if (sizes.length < MIN_RECENT_DUMPS) {
    notes.push(`Its size is not compared yet: fewer than ${MIN_RECENT_DUMPS} earlier dumps to compare with.`);
  } else {
    recentMedianBytes = median(sizes);
    if (sizeBytes < recentMedianBytes / 2) {
      problems.push(
        `it is ${plural(sizeBytes, 'byte')}, less than half the median ${recentMedianBytes} bytes of the ${sizes.length} dumps before it (a cut upload or a dump of an emptied database)`,
      );
    }
  }

  const observed = {
    key,
    format: header.format,
    archiveVersion: header.archiveVersionText,
    databaseName: valueOrNull(header.databaseName),
    compression: header.compression.algorithm,
    pgDumpVersion: valueOrNull(header.pgDumpVersion),
    serverVersion: valueOrNull(header.serverVersion),
    createdLocal: header.createdAsUtc ? header.createdAsUtc.toISOString().slice(0, 19) : null,
    lastModified: lastModified ? lastModified.toISOString() : null,
    sizeBytes: valueOrNull(sizeBytes),
    endsWhole: end === undefined || end.state === 'unknown' ? null : end.state === 'end-marker',
    holdsData: end?.state === 'end-marker' ? (end.holdsData ?? null) : null,
    recentMedianBytes: valueOrNull(recentMedianBytes),
  };
  const label = locationLabel(fact);
  if (problems.length > 0) {
    const unread = unknown.length > 0 ? ` Could not check ${unknown.join(' and ')}.` : '';
    return {
      status: 'FAILED',
      description: `${label}: the newest dump ${key} is not what a restore needs: ${problems.join('; ')}.${unread}`,
      observed,
      required,
    };
  }
  if (unknown.length > 0) {
    return notAvailable(
      fact,
      `the newest dump ${key} is a custom archive, but could not check ${unknown.join(' and ')}`,
      observed,
      required,
    );
  }
  return {
    status: 'PASSED',
    description: `${label}: the newest dump ${key} is a pg_dump custom archive (version ${header.archiveVersionText}, ${header.compression.algorithm}) of database "${header.databaseName}", made by pg_dump ${header.pgDumpVersion ?? '(version not recorded)'}, written when its header says, ends as a whole custom archive ends${recentMedianBytes === undefined ? '' : ', and is of a usual size'}.${notes.length > 0 ? ` ${notes.join(' ')}` : ''}`,
    observed,
    required,
  };
}
