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
 * A recent object proves a recent dump only when it is one: its first bytes start a pg_dump archive
 * (the header read dumps.integrity judges), or, when they could not be read, its key ends with the
 * location's `suffix`. A checksum or log written after each run would otherwise pass for the dump of
 * a run whose pg_dump failed; the listing leaves out keys without the suffix and folder placeholders
 * (core/dump-facts.ts `isSeriesObject`). With no suffix, a newest object whose key shows it is the
 * checksum, signature or log of a listed dump (`x.dump.sha256`, dumps.integrity's test by key alone)
 * is not judged as the dump: the newest listed object that is no such file is, FAILED when stale (in
 * a complete listing) and NOT_AVAILABLE when recent, its bytes not read. Nor does a dump of another database than the policy's (a
 * prefix shared by several databases' dump jobs): its header names it, and it is NOT_AVAILABLE,
 * as the policy's database's newest dump is not read. An empty newest object (a failed pg_dump whose upload still
 * ran) is no dump either: behind it, a complete listing whose newest object that is not empty is
 * older than the allowance FAILS, as the runs since produced nothing; with no suffix, a checksum,
 * signature or log beside a listed dump never stands for that object, however recently written.
 *
 * The modification time is when the object was last written, not when its dump was made: a copy in
 * place (S3 CopyObject to re-encrypt, a Cloud Storage rewrite) renews it. When the header's
 * creation time (local time, so read at the westmost UTC offset, the latest it can mean) is older
 * than the allowance, the object proves no recent dump: NOT_AVAILABLE, as another copied object may
 * hold the newest dump.
 */
import type { CheckOutcome } from '../../core/check.ts';
import { type DumpFact, type DumpObject, holdsNoDump } from '../../core/dump-facts.ts';
import { CLOCK_SKEW_TOLERANCE_MS, HOUR_MS } from '../../core/time.ts';
import type { DumpsCheck } from './settings.ts';
import {
  besideDumpIndex,
  DOCS,
  DUMPS_RESOURCE_TYPES,
  datedDumps,
  datedObjects,
  deniedReadWords,
  formatDuration,
  hasBesideDumpExtension,
  hoursBetween,
  locationLabel,
  MAX_WEST_OFFSET_HOURS,
  type NewestShows,
  newestShows,
  notAvailable,
  readCutShort,
  sameDatabase,
  undatedDumps,
  undatedWords,
  ungrantableWords,
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
  evaluate(fact, { dumps, now }) {
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
    const newest = fact.newest?.object;
    if ((fact.listing.objects.length === 0 || !newest) && !fact.listing.complete) {
      // The bound counts every object listed, dumps or not: a listing cut before its first dump
      // (logs or checksums ahead of the dumps in key order) does not show that none exists.
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
    if (newest.lastModified.getTime() - now.getTime() > CLOCK_SKEW_TOLERANCE_MS) {
      // An age below zero proves nothing: a slow clock would pass a stale dump.
      return notAvailable(
        fact,
        `${newest.key} says it was written at ${newest.lastModified.toISOString()}, later than this run's clock (${now.toISOString()}), so its age cannot be told; check the clock of the machine that runs the audit`,
        {
          newestKey: newest.key,
          newestLastModified: newest.lastModified.toISOString(),
          newestAgeHours: null,
        },
        required,
      );
    }
    // With no suffix, a checksum, signature or log written after each dump is listed as the newest
    // object: its key names the dump it sits beside, and the dumps are judged, not it.
    const besideDump = fact.location.suffix ? undefined : besideDumpIndex(fact.listing.objects);
    const beside = besideDump?.(newest);
    if (besideDump && beside) {
      return { ...behindSidecars(fact, newest, beside, besideDump, maxAgeHours, now), required };
    }
    const ageHours = hoursBetween(newest.lastModified, now);
    const observed = {
      newestKey: newest.key,
      newestLastModified: newest.lastModified.toISOString(),
      newestAgeHours: ageHours,
    };
    const drifting = ['newestAgeHours'];
    if (ageHours <= maxAgeHours) {
      // A recent object proves a recent dump only when it is one: its first bytes say so, or the
      // location names dumps by a suffix its key has.
      const shown = fact.newest ? newestShows(fact.newest) : undefined;
      const suffix = fact.location.suffix;
      const named = suffix !== undefined && suffix !== '' && newest.key.endsWith(suffix);
      if (shown?.shows === 'other') {
        const stale = fact.listing.complete ? staleBehindEmpty(fact, newest, maxAgeHours, now) : undefined;
        if (stale) return { ...stale, required, drifting };
        return {
          ...notAvailable(
            fact,
            `the newest object under the prefix, ${newest.key}, ${shown.words}, so it does not show when the last dump was made (dumps.integrity)${named ? '' : "; if the prefix also holds other files (checksums, logs), set the location's `suffix` (`.dump`) so that only dumps count"}`,
            observed,
            required,
          ),
          drifting,
        };
      }
      if (shown?.shows === 'nothing' && !named) {
        // An archived object is refused to every reader until restored, an SSE-C one to every reader
        // without its key: no grant shows their bytes.
        const refused = ungrantableWords(shown);
        const grant = deniedReadWords(fact, shown);
        const unread =
          refused === undefined
            ? `could not be read (${shown.reason}${grant ? `: ${grant}` : ''}), so nothing shows it is a dump; grant the read (dumps.integrity needs it too), or`
            : `could not be read: ${refused}, so nothing shows it is a dump;`;
        return {
          ...notAvailable(
            fact,
            `the first bytes of ${newest.key}, the newest object under the prefix, ${unread} set the location's \`suffix\` so that dumps are known by their keys`,
            observed,
            required,
          ),
          drifting,
        };
      }
      const header = fact.newest?.header;
      const dumped =
        header?.state === 'read' && header.result.kind === 'header' ? header.result.header : undefined;
      // A prefix that holds the dumps of other databases too: a recent dump of one of them says
      // nothing of when the policy's database was last dumped.
      const database = dumps.databaseName;
      if (dumped?.databaseName !== undefined && !sameDatabase(dumped.databaseName, database)) {
        return {
          ...notAvailable(
            fact,
            `${newest.key}, the newest object under the prefix, is a dump of database "${dumped.databaseName}", not "${database}" (dumps.integrity), so it does not show when "${database}" was last dumped; if the prefix holds other databases' dumps too, narrow the location's \`prefix\` or \`suffix\` to the dumps of "${database}"`,
            observed,
            required,
          ),
          drifting,
        };
      }
      // A copy or rewrite of the object (S3 CopyObject in place to re-encrypt, a Cloud Storage
      // rewrite to change its key or class) gives it a new modification time: a header made longer
      // ago than the allowance, in whatever time zone, shows it is not a recent dump.
      const made = dumped?.createdAsUtc;
      if (made) {
        const latestMade = new Date(made.getTime() + MAX_WEST_OFFSET_HOURS * HOUR_MS);
        const madeAgeHours = hoursBetween(latestMade, now);
        if (madeAgeHours > maxAgeHours) {
          return {
            ...notAvailable(
              fact,
              `${newest.key}, the newest object under the prefix, was written ${formatDuration(ageHours)} ago, but its pg_dump header says it was made ${made.toISOString().slice(0, 16).replace('T', ' ')} (dump host's local time), at least ${formatDuration(madeAgeHours)} ago in any time zone: the object was copied or rewritten after the dump was made, so its modification time does not show when the last dump was made (dumps.integrity)`,
              observed,
              required,
            ),
            drifting,
          };
        }
      }
      // Known by its name alone: the pass stands on the listing, and says what it did not read and
      // which grant would show it.
      const unread = shown?.shows === 'nothing' ? unreadHeaderWords(fact, shown) : undefined;
      const byName =
        unread === undefined
          ? ''
          : ` It counts as a dump by its name alone (\`*${suffix}\`, as the location names dumps): its header was not read (${unread}), so neither that it is a pg_dump archive nor its database nor when it was made is known (dumps.integrity).`;
      return {
        status: 'PASSED',
        description: `The newest dump in ${locationLabel(fact)} (${newest.key}) is ${formatDuration(ageHours)} old, within the ${dumps.cadenceHours} h cadence plus ${dumps.graceHours} h grace.${byName}`,
        observed: { ...observed, ...(unread === undefined ? {} : { headerRead: false }) },
        required,
        drifting,
      };
    }
    if (!fact.listing.complete) {
      return {
        ...notAvailable(
          fact,
          `the newest of the ${fact.listing.objects.length} objects listed (${newest.key}) is ${formatDuration(ageHours)} old, but the listing stopped at the policy's maxObjectsListed, so a newer dump may exist beyond it`,
          observed,
          required,
        ),
        drifting,
      };
    }
    // An object the listing did not date may be a dump newer than the newest dated one.
    const undated = undatedDumps(fact.listing.objects, newest);
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
    return {
      status: 'FAILED',
      description: `The newest dump in ${locationLabel(fact)} (${newest.key}) is ${formatDuration(ageHours)} old; the policy allows ${maxAgeHours} h (${dumps.cadenceHours} h cadence + ${dumps.graceHours} h grace).`,
      observed,
      required,
      drifting,
    };
  },
};

/**
 * When the newest object is, by its key, a checksum, signature or log beside the listed dump
 * `beside` (no `suffix` set): the newest listed object that is no such file stands for the newest
 * dump. Stale, in a complete listing with nothing undated, it FAILS, as every newer object is such a
 * file; recent, it is NOT_AVAILABLE, as its bytes were not read and only its key makes it a dump.
 */
function behindSidecars(
  fact: DumpFact,
  sidecar: DumpObject,
  beside: DumpObject,
  besideDump: (object: DumpObject) => DumpObject | undefined,
  maxAgeHours: number,
  now: Date,
): Omit<CheckOutcome, 'required'> {
  const listed = fact.listing.state === 'read' ? fact.listing.objects : [];
  const complete = fact.listing.state === 'read' && fact.listing.complete;
  const candidate = datedDumps(listed)
    .filter((object) => !besideDump(object))
    .at(-1);
  const fix = `set the location's \`suffix\`${extensionOf(beside.key)} so that only dumps count`;
  const besideWords = `the newest object ${sidecar.key} is, by its key, a checksum, signature or log beside the dump ${beside.key}`;
  if (!candidate) {
    return notAvailable(
      fact,
      `${besideWords}, and the listing did not say when that dump was written: ${fix}`,
      { newestKey: beside.key, newestAgeHours: null },
      {},
    );
  }
  const ageHours = hoursBetween(candidate.lastModified, now);
  const observed = {
    newestKey: candidate.key,
    newestLastModified: candidate.lastModified.toISOString(),
    newestAgeHours: ageHours,
  };
  const drifting = ['newestAgeHours'];
  const aged =
    candidate.key === beside.key
      ? `, which is ${formatDuration(ageHours)} old`
      : `; the newest listed object that is no such file, ${candidate.key}, is ${formatDuration(ageHours)} old`;
  if (ageHours <= maxAgeHours) {
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
  const undated = undatedDumps(listed).filter((object) => !besideDump(object));
  if (!complete || undated.length > 0) {
    const why = !complete
      ? "the listing stopped at the policy's maxObjectsListed, so a newer dump may exist beyond it"
      : `the listing did not say when ${undatedWords(undated)} ${undated.length === 1 ? 'was' : 'were'} written, so a newer dump may be among them`;
    return { ...notAvailable(fact, `${besideWords}${aged}, but ${why}`, observed, {}), drifting };
  }
  // Every newer object is such a file or empty (datedDumps leaves the empty ones out).
  const newerObjects = datedObjects(listed).filter((object) => object.lastModified > candidate.lastModified);
  const newer = newerObjects.length;
  const someEmpty = newerObjects.some(holdsNoDump) ? 'empty or, ' : '';
  const newerWords =
    newer === 1
      ? `the newer object ${sidecar.key} is, by its key, a checksum, signature or log beside a listed dump`
      : `the ${newer} newer objects (the newest ${sidecar.key}) are ${someEmpty}by their keys, checksums, signatures or logs beside listed dumps`;
  return {
    status: 'FAILED',
    description: `The newest dump in ${locationLabel(fact)} (${candidate.key}) is ${formatDuration(ageHours)} old, and ${newerWords}; the policy allows ${maxAgeHours} h.`,
    observed,
    drifting,
  };
}

/** `` (`.dump`)`` for a key with an extension in its last segment, else nothing. */
function extensionOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1).includes('.') ? ` (\`${key.slice(key.lastIndexOf('.'))}\`)` : '';
}

/** Why the newest object's header was not read, with the grant that would show it when one would. */
function unreadHeaderWords(fact: DumpFact, shown: Extract<NewestShows, { shows: 'nothing' }>): string {
  const refused = ungrantableWords(shown);
  if (refused !== undefined) return refused;
  const grant = deniedReadWords(fact, shown);
  return `${shown.reason}${grant ? `: ${grant}` : ''}`;
}

/**
 * When the newest object is empty (a run whose pg_dump failed still uploaded an object) and the
 * listing is complete: FAILED when the newest object that is not empty is older than the allowance,
 * or none exists, since every newer object is provably no dump. Undefined otherwise: a recent
 * object before the empty one is not read, so nothing shows it is a dump. With no `suffix`, a
 * checksum, signature or log whose key shows it beside a listed dump is no dump either (dumps.integrity's
 * test by key alone): it never stands for the dump before the empty object, however recently it
 * was written, and it proves no newer dump. One of such an extension beside no listed dump may be
 * a dump: it stands, and a finding that names it says what its key shows.
 */
function staleBehindEmpty(
  fact: DumpFact,
  newest: DumpObject,
  maxAgeHours: number,
  now: Date,
): Omit<CheckOutcome, 'required'> | undefined {
  const header = fact.newest?.header;
  const readEmpty =
    header?.state === 'read' &&
    header.result.kind === 'not-pg-dump' &&
    header.result.looksLike === 'empty' &&
    fact.newest !== undefined &&
    !readCutShort(fact.newest);
  if (!holdsNoDump(newest) && !readEmpty) return undefined;
  const all = fact.listing.state === 'read' ? fact.listing.objects : [];
  const besideDump = fact.location.suffix ? undefined : besideDumpIndex(all);
  const listed = besideDump ? all.filter((object) => !besideDump(object)) : all;
  const sidecars = all.length - listed.length;
  // An object the listing did not date may be a newer dump.
  if (listed.some((object) => object.lastModified === undefined && !holdsNoDump(object))) return undefined;
  const dated = datedObjects(listed);
  const previous = datedDumps(dated)
    .filter((object) => object.key !== newest.key)
    .at(-1);
  const label = locationLabel(fact);
  if (!previous) {
    const besides =
      sidecars === 0
        ? ''
        : ` or, by ${sidecars === 1 ? 'its key' : 'their keys'}, checksums, signatures or logs`;
    return {
      status: 'FAILED',
      description: `${label} holds no dump at all: every object under it is empty (runs that produced nothing, the newest ${newest.key})${besides}; the policy allows ${maxAgeHours} h.`,
      observed: { newestKey: newest.key, newestAgeHours: null },
    };
  }
  const ageHours = hoursBetween(previous.lastModified, now);
  if (ageHours <= maxAgeHours) return undefined;
  const after = (object: DumpObject) =>
    object.lastModified !== undefined && object.lastModified > previous.lastModified;
  const empties = dated.filter(after).length;
  const newerSidecars = datedObjects(all).filter((object) => after(object) && besideDump?.(object)).length;
  const newer = empties + newerSidecars;
  const newerWords =
    newerSidecars === 0
      ? `the ${empties} newer object${empties === 1 ? ' is' : 's are'} empty (runs that produced nothing, the newest ${newest.key})`
      : `the ${newer} newer objects are empty (the newest ${newest.key}, a run that produced nothing) or, by their keys, checksums, signatures or logs beside listed dumps`;
  // Kept as the newest dump by its key's extension alone: said, as it may be no dump.
  const orphan = besideDump && hasBesideDumpExtension(previous.key);
  const named = orphan
    ? `The newest object in ${label} that may be a dump (${previous.key}, whose key shows it the checksum, signature or log of a dump not listed)`
    : `The newest dump in ${label} (${previous.key})`;
  return {
    status: 'FAILED',
    description: `${named} is ${formatDuration(ageHours)} old, and ${newerWords}; the policy allows ${maxAgeHours} h.`,
    observed: {
      newestKey: previous.key,
      newestLastModified: previous.lastModified.toISOString(),
      newestAgeHours: ageHours,
    },
  };
}
