/**
 * `dumps.fresh`: the newest dump under the prefix is younger than the cadence plus the grace.
 *
 * A bucket the store says does not exist (S3 NoSuchBucket, Cloud Storage 404 `notFound`: both refuse
 * a caller without the permission with 403 instead) holds no dump: FAILED, as an empty prefix.
 *
 * The newest is the object with the latest modification time the listing returned. When the
 * listing stopped at the policy's bound, a fresh newest proves freshness (a newer one only helps)
 * but a stale one proves nothing: a newer dump may lie beyond the bound. Nor does it beside an
 * object the listing did not date (no LastModified or timeCreated sent), which may be newer.
 *
 * A recent object proves a recent dump only when it is one: its first bytes were read and start a
 * pg_dump custom archive, as dumps.integrity judges them. A key ending with the location's `suffix`
 * names an object a dump but proves nothing of its bytes (a cut upload, a plain dump, a failed run
 * all keep the name); when its first bytes could not be read (refused, archived, failed, cut short,
 * a header longer than the bytes read), the newest object proves nothing and the check is
 * NOT_AVAILABLE, naming the object, why and the grant that would show it. Only the newest object's
 * bytes are read, so no other recent object is proven a dump either. A checksum or log written after
 * each run would otherwise pass for the dump of a run whose pg_dump failed; the listing leaves out
 * keys without the suffix and folder placeholders (core/dump-facts.ts `isSeriesObject`). With no
 * suffix, an object whose key shows it a checksum, signature or log (`x.dump.sha256` or `x.sha256`,
 * dumps.integrity's test by key alone) is no dump, whether the dump it names is listed or not: a
 * newest one is not judged as the dump, the newest listed object that is no such file (nor empty)
 * is. The collectors read its bytes (core/dump-facts.ts newestPossibleDump, unless an empty object
 * is newer), and it is then judged on them as the newest object is, the finding naming the newer
 * files passed over; not read, it FAILS when stale (in a complete listing) and is NOT_AVAILABLE when
 * recent; with none, a complete listing holds no dump at all (FAILED). Of a complete listing, the dump a
 * checksum names and the listing lacks does not exist (not uploaded, or deleted); from a listing
 * cut at its bound it may lie beyond it: NOT_AVAILABLE, never PASSED, naming it. Nor does a dump
 * of another database than the policy's (a prefix shared by several databases' dump jobs): its
 * header names it, and it is NOT_AVAILABLE, as the policy's
 * database's newest dump is not read; so is one whose header names no database. A newest object shown to be no dump (empty by the listing, as a
 * failed pg_dump whose upload still ran leaves; or read whole and no custom archive, which
 * dumps.integrity FAILS; or a custom archive whose last bytes show it cut mid-archive, truncated, which
 * restores nothing whole) is no recent dump either: behind it, a complete listing whose newest object
 * that is not empty is older than the allowance FAILS, as the runs since produced none; a recent one
 * is NOT_AVAILABLE, its bytes not read. With no suffix, a checksum, signature or log never stands
 * for that object, however recently written, nor does one the listing did not date stand for a
 * newer dump.
 *
 * A recent dump is one a restore can use, so a PASS needs the newest dump shown whole: its header
 * proves a dump was started, and only its last bytes (the suffix-ranged read) show it ends as a whole
 * custom archive. When they do not show its end (their read refused, failed or cut short; a
 * gzip-encoded object, whose last bytes are the compressed stream's), the check is NOT_AVAILABLE,
 * naming that read and why, as dumps.integrity is: no older dump stands in, as only the newest
 * object's bytes are read. Nor does a whole archive whose header names a compression algorithm no
 * pg_dump this audit knows writes (pg_restore warns that no data will be available for it): NOT_AVAILABLE,
 * as dumps.integrity is; nor does one that ends with its table of contents, holding no table data
 * (pg_dump --schema-only; dumps.integrity FAILS it): NOT_AVAILABLE, its data not shown dumped.
 * A stale newest object FAILS on its age whatever it holds, and the finding claims no more than its
 * bytes showed: one they show is no dump is not called one (the newest object before it is judged,
 * older still, as behind a recent one); one whose header could not be read is called an object, and
 * why is said; of a dump, what its bytes left unproven is said: its end not read (whether it is
 * whole could not be checked, and why), a compression algorithm no pg_dump this audit knows writes,
 * or, read whole, no table data or an archive older than 1.7 (whose end does not tell); and of
 * one whose header names another database, or none, that it is not shown to be the policy's. A stale
 * dump that stands behind a newer checksum, log or object shown no dump was not read: the finding
 * says so, and nothing of its data.
 *
 * The modification time is when the object was last written, not when its dump was made: a copy in
 * place (S3 CopyObject to re-encrypt, a Cloud Storage rewrite) renews it. When the header's
 * creation time (local time, so read at the westmost UTC offset, the latest it can mean) is older
 * than the allowance, the object proves no recent dump: NOT_AVAILABLE, as another copied object may
 * hold the newest dump. So is a header whose creation time makes no valid date (dumps.integrity
 * cannot check it either): nothing then shows the object is not such a copy.
 */
import type { CheckOutcome } from '../../core/check.ts';
import {
  clockContradictedBy,
  type DumpFact,
  type DumpListing,
  type DumpObject,
  holdsNoDump,
  type NewestDump,
  newestObject,
  newestPossibleDump,
} from '../../core/dump-facts.ts';
import type { FindingValues } from '../../core/finding.ts';
import { plural } from '../../core/plural.ts';
import { HOUR_MS } from '../../core/time.ts';
import type { DumpsCheck, DumpsCheckSettings } from './settings.ts';
import {
  besideDumpIndex,
  checksumsWhose,
  clockBehindWords,
  DOCS,
  DUMPS_RESOURCE_TYPES,
  datedDumps,
  datedObjects,
  deniedReadWords,
  extensionWords,
  formatDuration,
  hasBesideDumpExtension,
  hoursAgainst,
  locationLabel,
  MAX_WEST_OFFSET_HOURS,
  type NewestShows,
  NOT_PG_DUMP_WORDS,
  namedDumpOf,
  newerChecksums,
  newerChecksumsWords,
  newestShows,
  notAvailable,
  sameDatabase,
  undatedDumps,
  undatedWords,
  ungrantableWords,
  unreadCreationWords,
} from './wording.ts';

export const dumpsFreshCheck: DumpsCheck = {
  metadata: {
    id: 'dumps.fresh',
    group: 'dumps',
    title: 'A recent pg_dump exists',
    failedTitle: 'No recent pg_dump exists',
    severity: 'HIGH',
    rationale:
      'A dump schedule that silently stopped leaves only old dumps: a restore from them loses every certificate issued, renewed or revoked since. The newest dump must be younger than the cadence plus a grace.',
    remediation: {
      text: 'Find why the scheduled pg_dump stopped (its job logs, credentials, disk space, the upload step) and run it now: `pg_dump --format=custom --file=certctl-$(date -u +%Y%m%dT%H%MZ).dump certctl`, then upload it under the prefix.',
      url: DOCS.pgDump,
    },
    resourceTypes: DUMPS_RESOURCE_TYPES,
  },
  evaluate(fact, settings) {
    const { dumps, now } = settings;
    const maxAgeHours = dumps.cadenceHours + dumps.graceHours;
    const required = { maxAgeHours };
    if (fact.listing.state === 'unknown' && fact.listing.bucketAbsent) {
      return {
        status: 'FAILED',
        description: `${locationLabel(fact)} holds no dump: the bucket does not exist (${fact.listing.reason}); the policy expects one every ${dumps.cadenceHours} h. Create the bucket or correct the location's bucket in the policy (dumps.locations).`,
        observed: { bucketExists: false, dumpsListed: 0, newestAgeHours: null },
        required,
      };
    }
    if (fact.listing.state === 'unknown') {
      return notAvailable(
        fact,
        `the listing failed (${fact.listing.reason})`,
        { newestAgeHours: null },
        required,
      );
    }
    // The newest listed object, judged by what its key and, when they are its, the bytes read show.
    // With objects listed but no bytes read, the collectors found no object that may be a dump: a
    // newest checksum, signature or log by its key (no suffix set) is judged as such, by name; any
    // other listing holds no dump.
    const listedNewest = newestObject(fact.listing);
    const newest =
      fact.newest || (listedNewest && noDumpByKey(fact)(listedNewest)) ? listedNewest : undefined;
    if ((fact.listing.objects.length === 0 || !newest) && !fact.listing.complete) {
      // The bound counts every object listed, dumps or not: a listing cut before its first dump
      // (logs or checksums listed ahead of the dumps) does not show that none exists. Nothing here
      // rests on the order the listing answers in (key order in a general purpose bucket and in
      // Cloud Storage: ListObjectsV2, Sorting order of returned objects,
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html;
      // https://cloud.google.com/storage/docs/listing-objects): under any, the rest is unread.
      return notAvailable(
        fact,
        "the listing stopped at the policy's maxObjectsListed before it reached any dump, so dumps may exist beyond it",
        { dumpsListed: 0, newestAgeHours: null },
        required,
      );
    }
    if (fact.listing.objects.length === 0 || !newest) {
      return {
        status: 'FAILED',
        description: `${locationLabel(fact)} holds no dump at all; the policy expects one every ${dumps.cadenceHours} h.`,
        observed: { dumpsListed: 0, newestAgeHours: null },
        required,
      };
    }
    if (!newest.lastModified) {
      return notAvailable(
        fact,
        `the listing did not say when ${newest.key} was written`,
        { newestKey: newest.key, newestAgeHours: null },
        required,
      );
    }
    const behind = clockContradictedBy(fact.listing, now);
    if (behind) {
      // An age below zero proves nothing: a slow clock would pass a stale dump.
      return notAvailable(
        fact,
        clockBehindWords(behind, now, 'its age'),
        {
          newestKey: newest.key,
          newestLastModified: newest.lastModified.toISOString(),
          newestAgeHours: null,
        },
        required,
      );
    }
    // With no suffix, a checksum, signature or log written after each dump is listed as the newest
    // object: its key names the dump it sits beside, or one not listed, and the dumps are judged,
    // not it: a checksum is no dump, whether its dump is listed or not.
    const listing = fact.listing;
    const dated = { ...newest, lastModified: newest.lastModified };
    if (noDumpByKey(fact)(newest)) {
      return { ...behindChecksums({ ...fact, listing }, dated, settings, required), required };
    }
    return judgeNewest({ ...fact, listing }, dated, settings, required);
  },
};

/** A listing that was read. */
type ReadListing = Extract<DumpListing, { state: 'read' }>;

/**
 * The newest listed object of `fact` (not, with no suffix, a checksum, signature or log by its key)
 * judged: its age, and, when its bytes were read (it is the object the collectors read), what they
 * show.
 */
function judgeNewest(
  fact: DumpFact & { readonly listing: ReadListing },
  newest: DumpObject & { readonly lastModified: Date },
  { dumps, now }: DumpsCheckSettings,
  required: CheckOutcome['required'],
  mayBeDump = false,
): CheckOutcome {
  const maxAgeHours = dumps.cadenceHours + dumps.graceHours;
  const notDump = noDumpByKey(fact);
  // What `newest` is: the newest object, or, behind newer files passed over by their keys, the
  // newest that may be a dump.
  const which = mayBeDump ? ' that may be a dump' : '';
  const under = `the newest object under the prefix${which}`;
  // The bytes read, when they are this object's.
  const read = fact.newest?.object.key === newest.key ? fact.newest : undefined;
  // Compared unrounded: one decimal would pass a dump minutes past the allowance.
  const age = hoursAgainst(newest.lastModified, now, maxAgeHours);
  const ageHours = age.shown;
  const observed = {
    newestKey: newest.key,
    newestLastModified: newest.lastModified.toISOString(),
    newestAgeHours: ageHours,
  };
  const drifting = ['newestAgeHours'];
  if (age.exact <= maxAgeHours) {
    // A recent object proves a recent dump only when its first bytes were read and start a pg_dump
    // custom archive, as dumps.integrity judges them: a key, whatever its suffix, proves nothing
    // of the bytes behind it (a cut upload, a plain dump, an object the audit could not read).
    // Only the newest object's bytes are read, so no other recent object is proven either.
    const shown: NewestShows = read ? newestShows(read) : { shows: 'nothing', reason: 'it was not read' };
    const suffix = fact.location.suffix;
    const named = suffix !== undefined && suffix !== '' && newest.key.endsWith(suffix);
    if (shown.shows === 'other') {
      const stale = fact.listing.complete
        ? staleBehindNoDump(fact, newest, shown, maxAgeHours, now, mayBeDump)
        : undefined;
      if (stale) return { ...stale, required, drifting };
      // A cut listing: a checksum, signature or log of a dump not listed names a dump that may
      // lie beyond the bound.
      const unlisted = fact.listing.complete ? [] : unlistedDumpFiles(fact, newestListedDump(fact, newest));
      const beyond =
        unlisted.length === 0
          ? ''
          : `; the listing stopped at the policy's maxObjectsListed, and ${unlistedDumpsWords(unlisted)}: it may lie beyond the bound`;
      return {
        ...notAvailable(
          fact,
          shown.cut
            ? `${under}, ${newest.key}, ${shown.words}, so it proves no recent whole dump, and the bytes of the dumps before it were not read (dumps.integrity)${beyond}`
            : `${under}, ${newest.key}, ${shown.words}, so it does not show when the last dump was made (dumps.integrity)${named ? '' : "; if the prefix also holds other files (checksums, logs), set the location's `suffix` (`.dump`) so that only dumps count"}${beyond}`,
          observed,
          required,
        ),
        drifting,
      };
    }
    if (shown.shows === 'nothing') {
      return {
        ...notAvailable(
          fact,
          `the header of ${newest.key}, ${under}, ${unreadHeaderWords(fact, shown)}, so nothing shows it is a dump${named ? ` (its key ends with \`${suffix}\`, which names it one but proves nothing of its bytes)` : ''}${shown.denied === undefined ? '' : '; grant the read (dumps.integrity needs it too)'}`,
          { ...observed, headerRead: false },
          required,
        ),
        drifting,
      };
    }
    const header = read?.header;
    const dumped =
      header?.state === 'read' && header.result.kind === 'header' ? header.result.header : undefined;
    // A prefix that holds the dumps of other databases too: a recent dump of one of them says
    // nothing of when the policy's database was last dumped.
    const database = dumps.databaseName;
    if (dumped?.databaseName !== undefined && !sameDatabase(dumped.databaseName, database)) {
      return {
        ...notAvailable(
          fact,
          `${newest.key}, ${under}, is a dump of database "${dumped.databaseName}", not "${database}" (dumps.integrity), so it does not show when "${database}" was last dumped; if the prefix holds other databases' dumps too, narrow the location's \`prefix\` or \`suffix\` to the dumps of "${database}"`,
          observed,
          required,
        ),
        drifting,
      };
    }
    // A header that names no database (stored as NULL, or an archive older than 1.4) does not show
    // a dump of the policy's database, as one naming another does not; dumps.integrity cannot
    // check it either (NOT_AVAILABLE).
    if (dumped !== undefined && dumped.databaseName === undefined) {
      return {
        ...notAvailable(
          fact,
          `${newest.key}, ${under}, is a dump whose header names no database (dumps.integrity), so it does not show when "${database}" was last dumped`,
          observed,
          required,
        ),
        drifting,
      };
    }
    // A copy or rewrite of the object (S3 CopyObject in place to re-encrypt, a Cloud Storage
    // rewrite to change its key or class) gives it a new modification time: a header made longer
    // ago than the allowance, in whatever time zone, shows it is not a recent dump.
    // Without the header's creation time nothing shows the object is not such a copy: its
    // modification time alone does not show when its dump was made.
    const unreadMade = dumped ? unreadCreationWords(dumped) : undefined;
    if (unreadMade !== undefined) {
      return {
        ...notAvailable(
          fact,
          `${newest.key}, ${under}, was written ${formatDuration(ageHours)} ago, but its pg_dump header's creation time could not be read (${unreadMade}), so nothing shows the object was not copied or rewritten after an older dump was made, which renews its modification time (dumps.integrity)`,
          observed,
          required,
        ),
        drifting,
      };
    }
    const made = dumped?.createdAsUtc;
    if (made) {
      const latestMade = new Date(made.getTime() + MAX_WEST_OFFSET_HOURS * HOUR_MS);
      const madeAge = hoursAgainst(latestMade, now, maxAgeHours);
      const madeAgeHours = madeAge.shown;
      if (madeAge.exact > maxAgeHours) {
        return {
          ...notAvailable(
            fact,
            `${newest.key}, ${under}, was written ${formatDuration(ageHours)} ago, but its pg_dump header says it was made ${made.toISOString().slice(0, 16).replace('T', ' ')} (dump host's local time), at least ${formatDuration(madeAgeHours)} ago in any time zone: the object was copied or rewritten after the dump was made, so its modification time does not show when the last dump was made (dumps.integrity)`,
            observed,
            required,
          ),
          drifting,
        };
      }
    }
    // The check's claim is a dump a restore can use (a cut one restores nothing whole, and is
    // judged no dump above): a header read proves a dump was started, and only its last bytes show
    // it ends as a whole archive. Only the newest object's bytes are read, so no dump before it
    // is proven whole either, however recent.
    // A header that starts an archive, and what its last bytes or header leave unproven.
    const unproven = (but: string, so: string, seen: FindingValues): CheckOutcome => ({
      ...notAvailable(
        fact,
        `${newest.key}, ${under}, starts a pg_dump custom archive, but ${but}, so ${so} (dumps.integrity)`,
        { ...observed, ...seen },
        required,
      ),
      drifting,
    });
    if (shown.unended !== undefined) {
      const before =
        fact.listing.objects.length > 1 ? ', and the bytes of the dumps before it were not read' : '';
      return unproven(
        shown.unended,
        `nothing shows it is whole (an upload cut mid-archive restores nothing whole)${before}`,
        { endsWhole: null },
      );
    }
    // A whole archive with no data block (pg_dump --schema-only): a restore brings back no rows,
    // so it shows no recent dump of the data.
    if (shown.noData !== undefined)
      return unproven(shown.noData, 'it shows no recent dump of the data', { holdsData: false });
    // A whole archive older than 1.7 ends with the same int 0 whether it holds data or not.
    if (shown.dataUntold !== undefined)
      return unproven(shown.dataUntold, 'nothing shows it is a recent dump of the data', {
        holdsData: null,
      });
    // A whole archive whose compression algorithm no pg_dump this audit knows writes: pg_restore
    // warns that no data will be available, so it proves no dump a restore can use.
    if (shown.unrestorable !== undefined) {
      return unproven(shown.unrestorable, 'nothing shows its data can be restored', {
        compression: dumped?.compression.algorithm ?? null,
      });
    }
    return {
      status: 'PASSED',
      description: `The newest dump in ${locationLabel(fact)} (${newest.key}) is ${formatDuration(ageHours)} old, within the ${dumps.cadenceHours} h cadence plus ${dumps.graceHours} h grace.`,
      observed,
      required,
      drifting,
    };
  }
  if (!fact.listing.complete) {
    return {
      ...notAvailable(
        fact,
        `${fact.listing.objects.length === 1 ? 'the one object listed' : `the newest of the ${fact.listing.objects.length} objects listed`} (${newest.key}) is ${formatDuration(ageHours)} old, but the listing stopped at the policy's maxObjectsListed, so a newer dump may exist beyond it`,
        observed,
        required,
      ),
      drifting,
    };
  }
  // An object the listing did not date may be a dump newer than the newest dated one, unless its
  // key shows it a checksum, signature or log.
  const undated = undatedDumps(fact.listing.objects, newest).filter((object) => !notDump(object));
  if (undated.length > 0) {
    return {
      ...notAvailable(
        fact,
        `the newest dated object (${newest.key}) is ${formatDuration(ageHours)} old, but the listing did not say when ${undatedWords(undated)} ${undated.length === 1 ? 'was' : 'were'} written, so a newer dump may be among them`,
        { ...observed, undatedObjects: undated.length },
        required,
      ),
      drifting,
    };
  }
  // A stale newest object its bytes show is no dump (empty, another file, cut mid-archive) is not
  // called one: the newest object before it that may be a dump is judged, older still, and the
  // finding says what the newer ones are, as for a recent one.
  const shown = read ? newestShows(read) : undefined;
  if (shown?.shows === 'other') {
    const behind = staleBehindNoDump(fact, newest, shown, maxAgeHours, now, mayBeDump);
    if (behind) return { ...behind, required, drifting };
  }
  // Its age fails it whatever it holds, but the finding says what its bytes left unproven, so it
  // does not read as a whole dump a restore could use: one whose header could not be read is called
  // an object, as nothing shows it is a dump; one whose end could not be read, or whose
  // compression no pg_dump this audit knows writes (dumps.integrity: NOT_AVAILABLE on both); a
  // whole archive with no data block, as a dump that holds data is what a new one has to be
  // (dumps.integrity FAILS it on that), and one older than 1.7, whose end does not tell.
  const allowed = `is ${formatDuration(ageHours)} old; the policy allows ${maxAgeHours} h (${dumps.cadenceHours} h cadence + ${dumps.graceHours} h grace)`;
  if (shown?.shows === 'nothing') {
    return {
      status: 'FAILED',
      description: `The newest object${which} in ${locationLabel(fact)} (${newest.key}) ${allowed}, and its header ${unreadHeaderWords(fact, shown)}, so nothing shows it is a dump; its age alone fails the check.`,
      observed: { ...observed, headerRead: false },
      required,
      drifting,
    };
  }
  // A dump of another database: no object is recent, so the policy's database has no recent dump
  // either, but the dump named is not its. One whose header names no database is not shown to be
  // its either (as a recent one is NOT_AVAILABLE on it): its age fails the check, and the finding
  // does not call it the policy database's dump.
  const header = read?.header;
  const dumped =
    header?.state === 'read' && header.result.kind === 'header' ? header.result.header : undefined;
  const named = dumped?.databaseName;
  const database = dumps.databaseName;
  const whose =
    named !== undefined && !sameDatabase(named, database)
      ? `, and it is a dump of database "${named}", not "${database}" (dumps.integrity), so no object under the prefix is a recent dump of either`
      : dumped !== undefined && named === undefined
        ? `, and its header names no database (dumps.integrity), so whether it is a dump of "${database}" could not be confirmed`
        : '';
  const unproven = read ? staleUnprovenWords(read) : undefined;
  return {
    status: 'FAILED',
    description: `The newest dump in ${locationLabel(fact)} (${newest.key}) ${allowed}${whose}${unproven === undefined ? '' : `, and ${unproven.words}`}.`,
    observed: unproven === undefined ? observed : { ...observed, ...unproven.seen },
    required,
    drifting,
  };
}

/**
 * What a stale newest dump read as a custom archive leaves unproven, in words joined by `, and `,
 * with the values observed of it: whether it is whole (`endsWhole` null: its last bytes did not show
 * its end), whether its data can be restored (`compression` unknown), its table data (`holdsData`
 * false: none; null: an archive older than 1.7 does not tell). Undefined when nothing is.
 */
function staleUnprovenWords(newest: NewestDump): { words: string; seen: FindingValues } | undefined {
  const shown = newestShows(newest);
  if (shown.shows !== 'dump') return undefined;
  const words: string[] = [];
  const seen: Record<string, string | boolean | null> = {};
  if (shown.unended !== undefined) {
    words.push(`whether it is whole could not be checked (${shown.unended})`);
    seen.endsWhole = null;
  }
  if (shown.unrestorable !== undefined) {
    words.push(
      `its compression is unknown: ${shown.unrestorable}, so nothing shows its data can be restored`,
    );
    seen.compression = 'unknown';
  }
  if (shown.noData !== undefined) {
    words.push(shown.noData);
    seen.holdsData = false;
  }
  if (shown.dataUntold !== undefined) {
    words.push(shown.dataUntold);
    seen.holdsData = null;
  }
  return words.length === 0 ? undefined : { words: words.join(', and '), seen };
}

/**
 * With no `suffix`, whether a listed object is, by its key, a checksum, signature or log (wording.ts
 * hasBesideDumpExtension), beside a listed dump or of one not listed: no dump either way, never the
 * newest dump, however recently written. A `suffix` names the dumps: nothing is left out by key.
 */
function noDumpByKey(fact: DumpFact): (object: DumpObject) => boolean {
  return fact.location.suffix ? () => false : (object) => hasBesideDumpExtension(object.key);
}

/** The newest dated listed object that may be a dump (not empty, no checksum by key), other than `except`. */
function newestListedDump(
  fact: DumpFact,
  except?: DumpObject,
): (DumpObject & { lastModified: Date }) | undefined {
  const notDump = noDumpByKey(fact);
  const listed = fact.listing.state === 'read' ? fact.listing.objects : [];
  return datedDumps(listed)
    .filter((object) => !notDump(object) && object.key !== except?.key)
    .at(-1);
}

/**
 * The objects that are, by their keys, checksums, signatures or logs of no listed dump, dated after
 * `after` (every dated one when undefined), oldest first: in a listing cut at its bound, the dumps
 * they name may lie beyond it.
 */
function unlistedDumpFiles(
  fact: DumpFact,
  after: { readonly lastModified: Date } | undefined,
): (DumpObject & { lastModified: Date })[] {
  if (fact.location.suffix || fact.listing.state !== 'read') return [];
  const besideDump = besideDumpIndex(fact.listing.objects);
  return datedObjects(fact.listing.objects).filter(
    (object) =>
      hasBesideDumpExtension(object.key) &&
      !holdsNoDump(object) &&
      !besideDump(object) &&
      (after === undefined || object.lastModified > after.lastModified),
  );
}

/** `prod/x.dump, which prod/x.dump.sha256 names, is not listed`, of the newest of `files`, and how many more. */
function unlistedDumpsWords(files: readonly DumpObject[]): string {
  const last = files.at(-1);
  if (!last) return '';
  const more = files.length - 1;
  return `${namedDumpOf(last.key)}, which ${last.key} names, is not listed${more > 0 ? `, nor are the dumps ${plural(more, 'older checksum, signature or log', 'older checksums, signatures or logs')} name` : ''}`;
}

/**
 * When the newest object is, by its key, a checksum, signature or log (no `suffix` set), beside a
 * listed dump or of a dump not listed: it is no dump either way, and the newest listed object that
 * is no such file (nor empty) stands for the newest dump. Stale, in a complete listing with nothing
 * undated, it FAILS, as every newer object is such a file or empty; recent, it is NOT_AVAILABLE, as
 * its bytes were not read and only its key makes it a dump. With none, a complete listing holds no
 * dump at all (FAILED). A listing cut at its bound proves no stale dump the newest, nor that none
 * exists: the dump a checksum of a dump not listed names may lie beyond it, and is named.
 */
function behindChecksums(
  fact: DumpFact & { readonly listing: ReadListing },
  sidecar: DumpObject & { readonly lastModified: Date },
  settings: DumpsCheckSettings,
  required: CheckOutcome['required'],
): Omit<CheckOutcome, 'required'> {
  const { dumps, now } = settings;
  const cadenceHours = dumps.cadenceHours;
  const maxAgeHours = dumps.cadenceHours + dumps.graceHours;
  const listed = fact.listing.state === 'read' ? fact.listing.objects : [];
  const complete = fact.listing.state === 'read' && fact.listing.complete;
  const notDump = noDumpByKey(fact);
  const beside = besideDumpIndex(listed)(sidecar);
  const named = namedDumpOf(sidecar.key);
  const candidate = newestListedDump(fact);
  const undated = undatedDumps(listed).filter((object) => !notDump(object));
  const fixOf = (dumpKey: string | undefined) =>
    `set the location's \`suffix\`${dumpKey === undefined ? '' : extensionWords(dumpKey)} so that only dumps count`;
  const fix = fixOf(beside?.key ?? candidate?.key ?? (named.endsWith('.*') ? undefined : named));
  const besideWords = beside
    ? `the newest object ${sidecar.key} is, by its key, a checksum, signature or log beside the dump ${beside.key}`
    : `the newest object ${sidecar.key} is, by its key, a checksum, signature or log of a dump not listed (${named})`;
  // Of a complete listing, a dump not listed does not exist.
  const gone = `${named}, not uploaded or deleted since`;
  const cut = "the listing stopped at the policy's maxObjectsListed";
  if (!candidate) {
    if (beside) {
      return notAvailable(
        fact,
        `${besideWords}, and the listing did not say when that dump was written: ${fix}`,
        { newestKey: beside.key, newestAgeHours: null },
        {},
      );
    }
    if (!complete) {
      return notAvailable(
        fact,
        `${besideWords}; no dump is listed, and ${cut}, so dumps may exist beyond it: ${unlistedDumpsWords(unlistedDumpFiles(fact, undefined))}`,
        { newestKey: sidecar.key, newestAgeHours: null },
        {},
      );
    }
    if (undated.length > 0) {
      return notAvailable(
        fact,
        `${besideWords}, and the listing did not say when ${undatedWords(undated)} ${undated.length === 1 ? 'was' : 'were'} written, so a dump may be among them`,
        { newestKey: sidecar.key, newestAgeHours: null },
        {},
      );
    }
    const others = listed.length - 1;
    const everyObject =
      others === 0
        ? `its only object, ${sidecar.key}, is, by its key, a checksum, signature or log of a dump not listed (${gone})`
        : `its ${listed.length} objects are each empty or, by its key, a checksum, signature or log, the newest, ${sidecar.key}, of a dump not listed (${gone})`;
    return {
      status: 'FAILED',
      description: `${locationLabel(fact)} holds no dump at all: ${everyObject}; the policy expects one every ${cadenceHours} h.`,
      observed: { dumpsListed: 0, newestAgeHours: null },
    };
  }
  const age = hoursAgainst(candidate.lastModified, now, maxAgeHours);
  const ageHours = age.shown;
  const observed = {
    newestKey: candidate.key,
    newestLastModified: candidate.lastModified.toISOString(),
    newestAgeHours: ageHours,
  };
  const drifting = ['newestAgeHours'];
  // The collectors read the newest object that may be a dump (core/dump-facts.ts
  // newestPossibleDump): when that is this dump, its bytes show what it is, and it is judged on them
  // as the newest object that may be a dump, the finding naming the newer files passed over by
  // their keys. Not for a stale one whose listing cannot show it the newest (cut at its
  // bound, or an object not dated): the words below claim nothing of its bytes.
  const read = fact.newest?.object.key === candidate.key ? fact.newest : undefined;
  if (
    read &&
    newestPossibleDump(fact.listing, fact.location.suffix)?.key === candidate.key &&
    (age.exact <= maxAgeHours || (complete && undated.length === 0))
  ) {
    const newer = newerChecksums(fact, candidate);
    const outcome = judgeNewest(fact, candidate, settings, required, true);
    return {
      ...outcome,
      description: `${outcome.description} ${newerChecksumsWords(fact, candidate, newer)}`,
      observed: { ...outcome.observed, newerChecksums: newer.length },
    };
  }
  const aged =
    candidate.key === beside?.key
      ? `, which is ${formatDuration(ageHours)} old`
      : `; the newest listed object that is no such file, ${candidate.key}, is ${formatDuration(ageHours)} old`;
  if (age.exact <= maxAgeHours) {
    return {
      ...notAvailable(
        fact,
        `${besideWords}${aged}, but whose bytes were not read, so nothing shows it is a dump: ${fix}`,
        observed,
        {},
      ),
      drifting,
    };
  }
  if (!complete || undated.length > 0) {
    const unlisted = unlistedDumpFiles(fact, candidate);
    const why = !complete
      ? `${cut}, so a newer dump may exist beyond it${unlisted.length === 0 ? '' : `: ${unlistedDumpsWords(unlisted)}`}`
      : `the listing did not say when ${undatedWords(undated)} ${undated.length === 1 ? 'was' : 'were'} written, so a newer dump may be among them`;
    return { ...notAvailable(fact, `${besideWords}${aged}, but ${why}`, observed, {}), drifting };
  }
  // Every newer object is such a file or empty.
  const newerObjects = datedObjects(listed).filter((object) => object.lastModified > candidate.lastModified);
  const newer = newerObjects.length;
  const someEmpty = newerObjects.some(holdsNoDump) ? 'empty or, ' : '';
  const newerWords =
    newer === 1
      ? `the newer object ${sidecar.key} is, by its key, a checksum, signature or log ${beside ? 'beside a listed dump' : `of a dump not listed (${gone})`}`
      : `the ${newer} newer objects (the newest ${sidecar.key}) are ${someEmpty}by their keys, checksums, signatures or logs ${checksumsWhose(fact, newerObjects.filter(notDump))}`;
  return {
    status: 'FAILED',
    description: `The newest dump in ${locationLabel(fact)} (${candidate.key}) is ${formatDuration(ageHours)} old, and ${newerWords}; the policy allows ${maxAgeHours} h. ${unreadBehindWords(candidate, fact.newest?.object)} To judge the dumps alone, ${fix}.`,
    observed,
    drifting,
  };
}

/**
 * What a stale dump judged behind the newest object leaves unproven: only one object's bytes are
 * read (`read`, the newest that may be a dump), so it is a dump by its key alone. Its age fails the
 * check whatever it holds, but the finding must not read as if it were shown whole.
 */
function unreadBehindWords(dump: DumpObject, read: DumpObject | undefined): string {
  return `The bytes of ${dump.key} were not read${read === undefined ? '' : ` (the audit reads only those of ${read.key})`}, so nothing shows it is a whole dump; its age alone fails the check.`;
}

/**
 * Why the newest object's header was not read (or not read whole), with the grant that would show
 * it when one would: `could not be read (AccessDenied: …: the audit role needs …)`.
 */
function unreadHeaderWords(fact: DumpFact, shown: Extract<NewestShows, { shows: 'nothing' }>): string {
  const refused = ungrantableWords(shown);
  if (refused !== undefined) return `could not be read: ${refused}`;
  const grant = deniedReadWords(fact, shown);
  return `could not be read (${shown.reason}${grant ? `: ${grant}` : ''})`;
}

/**
 * When the newest object is shown to be no dump (empty, as a run whose pg_dump failed still uploads
 * one, or its first bytes read whole and no pg_dump custom archive: `shown`) and the listing is
 * complete: FAILED when the newest object before it that is not empty is older than the allowance,
 * or none exists, since every newer object is provably no dump (empty by the listing, or the newest,
 * read). Undefined otherwise: a recent object before it is not read (only the newest object's bytes
 * are), so nothing shows it is a dump or that it is not. With no `suffix`, an object whose key
 * shows it a checksum, signature or log is no dump either ({@link noDumpByKey}), whether the dump it
 * names is listed or not: it never stands for the dump before the newest object, however recently
 * it was written, and it proves no newer dump.
 */
function staleBehindNoDump(
  fact: DumpFact,
  newest: DumpObject,
  shown: Extract<NewestShows, { shows: 'other' }>,
  maxAgeHours: number,
  now: Date,
  mayBeDump: boolean,
): Omit<CheckOutcome, 'required'> | undefined {
  const all = fact.listing.state === 'read' ? fact.listing.objects : [];
  const notDump = noDumpByKey(fact);
  const listed = all.filter((object) => !notDump(object));
  const sidecars = all.length - listed.length;
  // An object the listing did not date may be a newer dump.
  if (listed.some((object) => object.lastModified === undefined && !holdsNoDump(object))) return undefined;
  const dated = datedObjects(listed);
  const previous = datedDumps(dated)
    .filter((object) => object.key !== newest.key)
    .at(-1);
  const label = locationLabel(fact);
  // The newest object read as some other file than an empty one: said as its bytes showed it.
  const read = shown.words === NOT_PG_DUMP_WORDS.empty ? undefined : shown.words;
  if (!previous) {
    const besides =
      sidecars === 0
        ? ''
        : ` or, by ${sidecars === 1 ? 'its key' : 'their keys'}, checksums, signatures or logs`;
    const others = listed.length - 1 + sidecars;
    const everyObject =
      read === undefined
        ? `every object under it is empty (runs that produced nothing, the newest ${newest.key})${besides}`
        : others === 0
          ? `its only object, ${newest.key}, ${read} (dumps.integrity)`
          : `its newest object${mayBeDump ? ' that may be a dump' : ''}, ${newest.key}, ${read} (dumps.integrity), and every other object under it is empty${besides}`;
    return {
      status: 'FAILED',
      description: `${label} holds no ${shown.cut ? 'whole dump' : 'dump at all'}: ${everyObject}; the policy allows ${maxAgeHours} h.`,
      observed: { newestKey: newest.key, newestAgeHours: null },
    };
  }
  const age = hoursAgainst(previous.lastModified, now, maxAgeHours);
  const ageHours = age.shown;
  if (age.exact <= maxAgeHours) return undefined;
  const after = (object: DumpObject) =>
    object.lastModified !== undefined && object.lastModified > previous.lastModified;
  const empties = dated.filter(after).length;
  const newerChecksums = datedObjects(all).filter((object) => after(object) && notDump(object));
  const newerSidecars = newerChecksums.length;
  const newer = empties + newerSidecars;
  const byKeys =
    newerSidecars === 0
      ? ''
      : ` or, by their keys, checksums, signatures or logs ${checksumsWhose(fact, newerChecksums)}`;
  const newerWords =
    read !== undefined
      ? newer === 1
        ? `the newer object ${newest.key} ${read} (dumps.integrity)`
        : `the ${newer} newer objects are empty${byKeys} except ${mayBeDump ? `${newest.key}, the newest that may be a dump,` : `the newest, ${newest.key},`} which ${read} (dumps.integrity)`
      : newerSidecars === 0
        ? `the ${plural(empties, 'newer object')} ${empties === 1 ? 'is' : 'are'} empty (runs that produced nothing, the newest ${newest.key})`
        : `the ${newer} newer objects are empty (the newest ${newest.key}, a run that produced nothing)${byKeys}`;
  // A newest object read as another file with no suffix set may be a file the job writes beside its
  // dumps: the verdict stands either way (no dump came since), and the setting keeps it out.
  const onlyDumps =
    read !== undefined && !fact.location.suffix && !shown.cut
      ? " If the prefix also holds other files (checksums, logs), set the location's `suffix` (`.dump`) so that only dumps count."
      : '';
  return {
    status: 'FAILED',
    description: `The newest dump in ${label} (${previous.key}) is ${formatDuration(ageHours)} old, and ${newerWords}; the policy allows ${maxAgeHours} h. ${unreadBehindWords(previous, newest)}${onlyDumps}`,
    observed: {
      newestKey: previous.key,
      newestLastModified: previous.lastModified.toISOString(),
      newestAgeHours: ageHours,
    },
  };
}
