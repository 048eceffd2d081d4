/**
 * `dumps.retention`: dumps are kept at least `minPitrDays`, and the series really covers that long
 * with no gap longer than twice the cadence.
 *
 * Kept: no enabled lifecycle rule that applies to the prefix expires current objects sooner than
 * `minPitrDays` (S3 `Expiration.Days`/`Date`, GCS `Delete` with `age`, or with `createdBefore` a
 * date inside the window), or a GCS retention policy holds them at least that long anyway. An S3
 * Object Lock default retention is never what keeps them: it holds only objects uploaded after it
 * was set without their own retention, and does not stop an Expiration rule, so it answers neither
 * a lifecycle read that failed nor a rule the audit cannot match. A rule also asking a condition the adapter does not
 * model (GCS `daysSinceCustomTime`, `matchesStorageClass`, …, S3 object tags) may or may not delete the
 * dumps: unless another of its conditions spares the window (`age` of at least `minPitrDays`,
 * `createdBefore` the window's start or earlier), the check is NOT_AVAILABLE naming the condition,
 * never PASSED, nor FAILED on a rule that may not touch them. An S3 object-size filter, a rule
 * prefix longer than the location's (`prod/tmp/` beside dumps under `prod/`) and a GCS
 * `matchesSuffix` (`.tmp`) are compared with the listed dumps: a rule none of them falls under
 * spares the series, and so does a suffix the location's `suffix` never ends with; one the listing
 * cannot tell (cut at the bound, a size not sent) is NOT_AVAILABLE.
 * On S3 the newest dump's own Object Lock retention, when the read sent it and it keeps the dump
 * fewer days than the bucket default, is the lock's days: an upload's own retention overrides it.
 * On S3 the lock does not stop an Expiration rule: it puts a delete marker on each dump and the
 * locked version turns noncurrent, unlisted; and the bucket default holds only the dumps uploaded
 * after it was set without their own retention, which the audit cannot tell. So a rule shorter than
 * `minPitrDays`, or an Expiration date, FAILS under a longer default as without one (no countdown:
 * the listed series never grows past the rule), the finding saying why the default does not help.
 * A GCS retention policy keeps objects live (lifecycle cannot delete them; a pass on one not locked
 * says so, as whoever may edit the bucket can remove it, which dumps.protection warns of). So does an
 * object's own Locked retention: a GCS Delete rule shorter than `minPitrDays` whose newest dump carries one to at
 * least `minPitrDays` after it was written is WARNING naming the rule, not FAILED; PASSED only when
 * every dump of a complete listing carries one; from a listing cut at its bound, whose newest listed
 * dump may be an old one, NOT_AVAILABLE naming the rule and the dumps beyond the bound, whose own
 * retention was not read; an Unlocked one can be removed and still FAILS. So does a short Delete
 * rule whose dumps are under an object hold (objects.list `temporaryHold`, `eventBasedHold`):
 * lifecycle deletes none while it is set, which the finding says, but a hold sets no period.
 * Covered: the oldest listed dump is at least `minPitrDays` old (exactly that many reaches back far
 * enough), and no gap of the window exceeds 2 x cadence: neither between consecutive dumps of it nor
 * from the newest dump up to this run, so one dump never covers the window, however old. dumps.fresh
 * fails a late newest dump sooner (cadence + grace); this check fails it once the window has no dump
 * for longer than twice the cadence. A listed object dated after this run (beyond the clock
 * tolerance: the store dates uploads itself, so the run's clock is behind by an unknown amount,
 * core/dump-facts.ts `clockContradictedBy`, the rule dumps.fresh and dumps.protection ask too)
 * leaves the series unmeasured: how far back it reaches and which gaps lie in the window are told
 * from that clock, so NOT_AVAILABLE naming it, and a `createdBefore` date inside the window as the
 * clock places it is not proven inside the real one (unless it is after every listed dump); a
 * lifecycle rule shorter than `minPitrDays`, which no clock changes, still FAILS. A younger series is still filling
 * (WARNING, "N of 30 days"), as pitr.window says of a restore window. A series with no dump written
 * after the window's start (one written exactly `minPitrDays` ago covers none of it) covers none of
 * it, however far back it reaches: FAILED, said as such; so does a bucket the store says does not
 * exist (DumpListing `bucketAbsent`).
 * A dump the listing did not date may sit inside a gap or before the oldest dated one: beside one,
 * a gap or a series still filling is NOT_AVAILABLE, naming it; dated dumps that cover the policy
 * alone still pass.
 * A newest object whose header names another database than the policy's shows a prefix shared with
 * another database's dump job: its dumps may be what covers the days and closes the gaps, so a series
 * that passes or is still filling is NOT_AVAILABLE; one that falls short with every object counted
 * FAILS as before.
 * An empty (0-byte) object is no dump: it covers no day and closes no gap, and those of the window
 * are named in the finding, whatever its status. Observed `dumpsListed` counts the listed objects
 * that may be dumps, from any read listing (cut at its bound, or dated after the run's clock, too):
 * neither empty objects nor, with no `suffix`, objects whose keys show them checksums, signatures
 * or logs (beside a listed dump or not), which `emptyObjectsListed` and `checksumsListed` count
 * when there are any.
 * With no `suffix`, the checksums, signatures and logs whose keys show them beside a listed dump
 * (`x.dump.sha256`, dumps.integrity's test by key alone) are no dumps either. One of such an
 * extension beside no listed dump (its dump deleted, or never uploaded) may be a dump or not: the
 * series is judged without them, and what a finding gives of it (the days covered, the longest gap,
 * the dumps listed, the oldest and newest dumps it names) is the dumps' alone, a checksum being no
 * restore point. A gap or a short series only they would fill is NOT_AVAILABLE, naming them. One
 * that remains with them counted FAILS, said of the dumps, then what counting them leaves; a series
 * still filling either way is WARNING, with the days the dumps cover and them named as not counted.
 * Counted, they can split a gap after the first dump, or shorten the one since the newest dump; a
 * gap they alone open before the first dump is none unless they are dumps, so it proves nothing. A
 * complete listing in which nothing else may be a dump lists no dump at all: FAILED when they fall
 * short counted too (the newest older than twice the cadence, a long gap between two of them), as
 * the series then fails whatever they are; otherwise NOT_AVAILABLE, as they may be a series of dumps.
 * A listing cut at its bound proves neither.
 */
import type { CheckOutcome } from '../../core/check.ts';
import {
  clockContradictedBy,
  compareObjectKeys,
  type DumpFact,
  type DumpLifecycleRule,
  type DumpObject,
  holdsNoDump,
} from '../../core/dump-facts.ts';
import { plural } from '../../core/plural.ts';
import { DAY_MS, hoursAgainstLimit } from '../../core/time.ts';
import type { DumpsCheck, DumpsCheckSettings } from './settings.ts';
import {
  besideDumpIndex,
  clockBehindWords,
  DOCS,
  DUMPS_RESOURCE_TYPES,
  datedDumps,
  daysBetween,
  dumpsNotHeldByOwnRetention,
  formatDuration,
  hasBesideDumpExtension,
  heldDumps,
  hoursAgainst,
  locationLabel,
  newerChecksums,
  newestOfOtherDatabase,
  ownRetentionDays,
  ownRetentionKeeps,
  ruleReach,
  undatedDumps,
  undatedWords,
  valueOrNull,
} from './wording.ts';

/** `keys under prod/tmp/, object size > 10 and < 500 bytes (the dumps were not all listed)`. */
function reachText(rule: DumpLifecycleRule, listing: DumpFact['listing']): string {
  const suffixes = rule.matchesSuffixes;
  const bounds = [
    ...(rule.objectSizeGreaterThan === undefined ? [] : [`> ${rule.objectSizeGreaterThan}`]),
    ...(rule.objectSizeLessThan === undefined ? [] : [`< ${rule.objectSizeLessThan}`]),
  ];
  const parts = [
    ...(rule.narrowerPrefixes ? [`keys under ${rule.narrowerPrefixes.join(' or ')}`] : []),
    ...(suffixes ? [`keys ending with ${suffixes.join(' or ')}`] : []),
    ...(bounds.length > 0 ? [`object size ${bounds.join(' and ')} bytes`] : []),
  ];
  const why =
    listing.state === 'read' && listing.complete
      ? 'the sizes of the dumps were not all listed'
      : 'the dumps were not all listed';
  return `${parts.join(', ')} (${why})`;
}

export const dumpsRetentionCheck: DumpsCheck = {
  metadata: {
    id: 'dumps.retention',
    group: 'dumps',
    title: 'pg_dump files are kept and cover the policy minimum',
    failedTitle: 'pg_dump files are not kept long enough to cover the policy minimum',
    severity: 'HIGH',
    rationale:
      "Dumps are the restore path that survives the loss of the database service itself; certctl's runbook requires 30 days of history, so the dumps must be kept that long and really exist for every cadence period in it.",
    remediation: {
      text: 'Make the lifecycle expiration for the prefix at least the policy minimum (S3 `Expiration.Days`, Cloud Storage `Delete` with `age`), and fix the schedule so a dump is made every cadence period.',
      url: DOCS.s3Lifecycle,
    },
    resourceTypes: DUMPS_RESOURCE_TYPES,
  },
  evaluate(fact, settings) {
    const outcome = judgeRetention(fact, settings);
    const note = emptyObjectsNote(fact, settings);
    return note ? { ...outcome, description: `${outcome.description} ${note}` } : outcome;
  },
};

/**
 * The empty objects of the window (written in the last `minPitrDays`, or undated), which the series
 * does not count as dumps ({@link holdsNoDump}): named, the newest first, so that a series that
 * reaches back less far than the objects a listing shows, or a gap between objects, is explained.
 */
function emptyObjectsNote(fact: DumpFact, { minPitrDays, now }: DumpsCheckSettings): string | undefined {
  // A clock the listing shows behind places no object in the window: the series is not measured.
  if (fact.listing.state !== 'read' || clockContradictedBy(fact.listing, now)) return undefined;
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  const empty = fact.listing.objects
    .filter(
      (object) =>
        holdsNoDump(object) &&
        (object.lastModified === undefined || object.lastModified.getTime() > windowStart),
    )
    .reverse();
  if (empty.length === 0) return undefined;
  const one = empty.length === 1;
  const named = empty.slice(0, EMPTY_OBJECTS_NAMED).map((object) => object.key);
  const more = empty.length - named.length;
  return `Not counted as dumps: ${empty.length} empty object${one ? '' : 's'} of the last ${plural(minPitrDays, 'day')} (${one ? 'a run' : 'runs'} that produced nothing), ${one ? '' : 'the newest '}${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`;
}

/**
 * On Cloud Storage, the listed dumps an object hold keeps from a Delete rule ({@link heldDumps}):
 * lifecycle deletes no object while a hold is set on it ("While an object has a hold placed on it,
 * the object cannot be deleted or replaced", https://cloud.google.com/storage/docs/object-holds),
 * but a hold sets no period, and once released the rule deletes the dump at once: said beside the
 * rule, never a reason to pass it. On S3 an Expiration rule delete-marks a held object as a locked
 * one (the version stays, noncurrent and unlisted): nothing is said.
 */
function heldFromRuleWords(fact: DumpFact): string {
  if (fact.location.provider !== 'gcp') return '';
  const held = heldDumps(fact);
  const last = held.at(-1);
  if (!last) return '';
  const which =
    held.length > 1
      ? `${held.length} listed dumps, the newest of them ${last.key}, are under one, which keeps each`
      : `the listed dump ${last.key} is under one, which keeps it`;
  return ` (it deletes none while an object hold is set on it, and ${which} only while it is set: a hold sets no period)`;
}

/** The fix of a complete listing whose only objects that may be dumps are checksums of dumps not listed. */
const NO_DUMP_LISTED_FIX =
  'Find why the dump job uploads no dump beside its checksums, signatures or logs (or whether it uploads them under another prefix), or what deleted the dumps (S3 server access logs or CloudTrail data events, Cloud Storage data access audit logs).';

/** How many empty objects a finding names. */
const EMPTY_OBJECTS_NAMED = 3;

function judgeRetention(fact: DumpFact, { dumps, minPitrDays, now }: DumpsCheckSettings): CheckOutcome {
  const maxGapHours = 2 * dumps.cadenceHours;
  const required = { keptDays: minPitrDays, coveredDays: minPitrDays, maxGapHours };
  const problems: string[] = [];
  const unknown: string[] = [];
  const fixes: string[] = [];
  // A listed object dated after this run shows its clock behind by an unknown amount: the window
  // (the last minPitrDays up to now) is not where the clock puts it, so nothing is placed in it.
  const behind = clockContradictedBy(fact.listing, now);

  // The retention lock's days (the bucket's, or fewer the newest dump's own retention gives it),
  // beside the bucket's own: both exist together, only when the bucket's retention was read.
  const lock = lockDaysOf(fact);
  const lockDays = lock?.days;
  const lockKeeps = lock !== undefined && lock.days >= minPitrDays;
  // Only a GCS retention policy keeps the dumps live whatever the lifecycle says: it holds every
  // object of the bucket, those written before it was set too. An S3 default retention does not
  // stop an Expiration rule (it delete-marks the dumps, their versions turn noncurrent) and holds
  // only objects uploaded after it was set without their own retention, so on S3 it neither
  // answers a lifecycle read that failed or a rule that cannot be matched, nor is what keeps them.
  const lockKeepsLive = lockKeeps && fact.location.provider === 'gcp';
  // The rule that expires the dumps soonest by age, and its days.
  let shortest: { readonly days: number; readonly rule: string } | undefined;
  const windowStart = now.getTime() - minPitrDays * DAY_MS;
  // A short GCS Delete rule the newest dump's own Locked retention outlasts (WARNING, not FAILED).
  let heldByOwnRetention: { readonly text: string; readonly fix: string } | undefined;
  // Every listed dump's own Locked retention outlasts that rule: they are kept (PASSED).
  let keptByOwnRetention = false;
  if (fact.lifecycle.state === 'read') {
    for (const rule of fact.lifecycle.value) {
      const name = rule.id ?? '(unnamed)';
      // A rule deletes only objects that meet all its conditions: one condition that spares every
      // dump of the window spares it, whatever the others ask.
      const agedEnough = rule.expirationDays !== undefined && rule.expirationDays >= minPitrDays;
      const createdBeforeWindow =
        rule.createdBefore !== undefined && rule.createdBefore.getTime() <= windowStart;
      const reach = ruleReach(rule, fact);
      if (reach === 'none') continue;
      const unmodelled = [
        ...(rule.unmodelledConditions ?? []),
        ...(reach === 'unknown' ? [reachText(rule, fact.listing)] : []),
      ];
      if (unmodelled.length > 0) {
        if (!agedEnough && !createdBeforeWindow && !lockKeepsLive) {
          unknown.push(
            `whether lifecycle rule ${name} deletes dumps sooner than ${plural(minPitrDays, 'day')}: it deletes objects that meet ${unmodelled.join(', ')}, which this audit cannot match to the dumps`,
          );
        }
        continue;
      }
      if (rule.createdBefore !== undefined) {
        if (!agedEnough && !createdBeforeWindow && !lockKeepsLive) {
          const date = rule.createdBefore.toISOString().slice(0, 10);
          // With the clock behind, a date before the window as the clock places it is before the
          // real one too (it starts later); one inside it may not be. A date after every listed
          // dump still reaches each of them.
          if (behind && rule.createdBefore.getTime() <= behind.lastModified.getTime()) {
            unknown.push(
              `whether lifecycle rule ${name} deletes dumps of the last ${plural(minPitrDays, 'day')}: it deletes every dump created before ${date}, and ${clockBehindWords(behind, now, 'whether that date lies inside them')}`,
            );
          } else {
            problems.push(
              `lifecycle rule ${name} deletes every dump created before ${date}${rule.expirationDays !== undefined ? ` once ${plural(rule.expirationDays, 'day')} old` : ''}, inside the ${plural(minPitrDays, 'day')} required`,
            );
          }
        }
        continue;
      }
      if (
        rule.expirationDays !== undefined &&
        (shortest === undefined || rule.expirationDays < shortest.days)
      ) {
        shortest = { days: rule.expirationDays, rule: name };
      }
      if (rule.expirationDate && !lockKeepsLive) {
        problems.push(
          `lifecycle rule ${name} expires every dump under the prefix on ${rule.expirationDate.toISOString().slice(0, 10)}, whatever its age`,
        );
      }
    }
    if (shortest !== undefined && shortest.days < minPitrDays && !lockKeepsLive) {
      const raise = `Raise the lifecycle expiration for ${fact.location.prefix || 'the bucket'} to at least ${plural(minPitrDays, 'day')} (${fact.location.provider === 'aws' ? DOCS.s3Lifecycle : DOCS.gcsLifecycle}).`;
      const held = ownLockedRetention(fact, minPitrDays);
      const carries = (who: string, until: Date) =>
        `${who} carries its own Locked object retention until ${until.toISOString().slice(0, 10)} (at least ${plural(minPitrDays, 'day')} after it was written), which lifecycle cannot override`;
      if (held === 'every') {
        keptByOwnRetention = true;
      } else if (held && fact.listing.state === 'read' && !fact.listing.complete) {
        // The newest listed dump of a cut listing may be an old one (objects.list answers in name
        // order): the dumps written after it, and their own retention, were not read.
        unknown.push(
          `whether lifecycle rule ${shortest.rule} deletes dumps sooner than the ${plural(minPitrDays, 'day')} required: it deletes them after ${plural(shortest.days, 'day')}, and ${carries(`${held.key}, the newest listed dump,`, held.retainUntil)}, but the listing stopped at its bound, so the own retention of the dumps written since was not read`,
        );
      } else if (held) {
        heldByOwnRetention = {
          text: `lifecycle rule ${shortest.rule} deletes dumps after ${plural(shortest.days, 'day')}, sooner than the ${plural(minPitrDays, 'day')} required, but ${carries(`the newest dump ${held.key}`, held.retainUntil)}: lifecycle deletes it once that retention lapses; the older listed dumps are not all shown to carry one`,
          fix: raise,
        };
      } else {
        problems.push(
          `lifecycle rule ${shortest.rule} deletes dumps after ${plural(shortest.days, 'day')}, sooner than the ${plural(minPitrDays, 'day')} required${heldFromRuleWords(fact)}`,
        );
        fixes.push(raise);
      }
    }
    // On S3, why a default retention at least minPitrDays long does not spare what the rules cut
    // (said once, after the last of them: the lifecycle's are the first problems).
    const cut = problems.length;
    const last = problems[cut - 1];
    if (last !== undefined && lockKeeps && fact.location.provider === 'aws') {
      const defaultDays = lock.bucketDays;
      const them = cut === 1 ? { it: 'it', rule: 'the rule puts' } : { it: 'them', rule: 'each rule puts' };
      problems[cut - 1] =
        `${last}, and the bucket's default Object Lock retention of ${plural(defaultDays, 'day')} does not stop ${them.it}: on S3 ${them.rule} a delete marker on each dump, which Object Lock does not prevent, and the default holds, as noncurrent versions this audit does not list, only the dumps uploaded after it was set without their own retention`;
    }
  } else if (fact.lifecycle.state === 'unknown' && !lockKeepsLive) {
    unknown.push(`the lifecycle configuration (${fact.lifecycle.reason})`);
  }

  // Covered: the series reaches back minPitrDays without long gaps.
  let coveredDays: number | undefined;
  let longestGapHours: number | undefined;
  let accruing = false;
  // Checksums of dumps not listed beside a series still filling with or without them: named as not
  // counted in the days the series covers.
  let notCountedInFilling: string | undefined;
  if (fact.listing.state === 'unknown' && fact.listing.bucketAbsent) {
    problems.push(`the bucket does not exist (${fact.listing.reason}), so it holds no dump at all`);
  } else if (fact.listing.state === 'unknown') {
    unknown.push(`the listing (${fact.listing.reason})`);
  } else if (!fact.listing.complete) {
    unknown.push(
      `the whole series: the listing stopped at ${plural(fact.listing.objects.length, 'object')} (the policy's maxObjectsListed)`,
    );
    if (behind) unknown.push(seriesClockWords(behind, now, minPitrDays));
  } else if (behind) {
    // How far back the series reaches and which of its gaps lie in the window are measured from
    // this run's clock, which the listing shows behind: neither is evaluated (a negative reach, a
    // gap placed in a window that ends later, by an unknown amount).
    unknown.push(seriesClockWords(behind, now, minPitrDays));
  } else {
    // With no suffix, the checksums, signatures and logs a key shows beside a listed dump are no
    // dumps (dumps.integrity's test, key alone); one of such an extension beside no listed dump may
    // be one or not: the series is judged without them, and a verdict only they would change is
    // not proven.
    const listed = fact.listing.objects;
    const besideDump = fact.location.suffix ? undefined : besideDumpIndex(listed);
    const series = besideDump ? listed.filter((object) => !besideDump(object)) : listed;
    const orphans = besideDump
      ? series.filter((object) => !holdsNoDump(object) && hasBesideDumpExtension(object.key))
      : [];
    const context = { dumps, minPitrDays, now, windowStart, maxGapHours };
    const unproven = new Set(orphans);
    let judged = seriesCoverage(
      series.filter((object) => !unproven.has(object)),
      context,
    );
    const settled = judged.problems.length === 0 && judged.unknown.length === 0 && !judged.accruing;
    if (orphans.length > 0 && !settled) {
      // Counted as dumps, they can only shorten gaps and reach further back: what still falls short
      // with them falls short whatever they are.
      const withOrphans = seriesCoverage(series, context, unproven);
      const one = orphans.length === 1;
      const lastByKey = orphans
        .map((object) => object.key)
        .sort(compareObjectKeys)
        .at(-1);
      const them = one
        ? `${lastByKey}, whose key shows it the checksum, signature or log of a dump not listed`
        : `${orphans.length} objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key ${lastByKey})`;
      if (withOrphans.problems.length > 0) {
        // Counted as dumps, they still leave a shortfall, so the series falls short whatever they
        // are. The figures and the dumps named are the dumps' alone (a checksum is no restore
        // point); what counting them would leave is said after, to show the verdict holds either way.
        const rest = series.filter((object) => !unproven.has(object));
        const empty = rest.filter(holdsNoDump).length;
        const notCounted = `${one ? 'is' : 'are'} not counted as ${one ? 'a dump' : 'dumps'}`;
        // `prod/x.dump.sha256, whose key shows it …, is not counted`; `5 objects … (…) are not`.
        const themNotCounted = `${them}${one ? ',' : ''} ${notCounted}`;
        // Without them no dump is listed at all (the only case with no dated dump: one undated
        // leaves the shortfall unproven, with them counted too).
        const noDump = judged.coveredDays === undefined;
        const listedWords = !noDump
          ? themNotCounted
          : empty === 0
            ? `no dump is listed under the prefix, only ${them}, which ${notCounted}`
            : `no dump is listed under the prefix: ${plural(empty, 'object')} ${empty === 1 ? 'is' : 'are'} empty, and ${themNotCounted}`;
        judged = {
          ...judged,
          problems: [
            ...(noDump ? [] : judged.problems),
            `${listedWords}; counted, ${withOrphans.problems.join('; ')}`,
          ],
          fixes: noDump ? [NO_DUMP_LISTED_FIX] : judged.fixes,
        };
      } else if (withOrphans.accruing && judged.problems.length === 0) {
        // Still filling whether they are dumps or not: the days are those the dumps cover.
        notCountedInFilling = them;
      } else {
        const short = [
          ...judged.problems,
          ...(judged.accruing
            ? [`the series reaches back only ${judged.coveredDays} of ${plural(minPitrDays, 'day')}`]
            : []),
        ];
        const which = `${them}${one ? ', is a dump' : ' are dumps'}`;
        judged = {
          ...judged,
          problems: [],
          fixes: [],
          accruing: false,
          unknown: [
            ...judged.unknown,
            ...(short.length > 0
              ? [`whether ${which}: without ${one ? 'it' : 'them'}, ${short.join('; ')}`]
              : []),
          ],
        };
      }
    }
    // A prefix shared with another database's dump job: the newest object's header names that
    // database, so listed objects are not all the policy database's dumps, and counted as its dumps
    // they may be what covers the days and closes the gaps. A shortfall with every object counted
    // falls short whatever they are.
    const other = newestOfOtherDatabase(fact, dumps.databaseName);
    if (other !== undefined && judged.problems.length === 0 && fact.newest) {
      const database = dumps.databaseName;
      judged = {
        ...judged,
        accruing: false,
        fixes: [],
        unknown: [
          ...judged.unknown,
          `whether the series is of database "${database}": the newest object under the prefix${newerChecksums(fact, fact.newest.object).length > 0 ? ' that may be a dump' : ''}, ${fact.newest.object.key}, is a dump of database "${other}" (dumps.integrity), so the prefix holds the dumps of another database too, which may be the ones that cover the days and close the gaps; narrow the location's \`prefix\` or \`suffix\` to the dumps of "${database}"`,
        ],
      };
    }
    problems.push(...judged.problems);
    unknown.push(...judged.unknown);
    fixes.push(...judged.fixes);
    ({ coveredDays, longestGapHours, accruing } = judged);
  }

  const observed = {
    shortestExpirationDays: valueOrNull(shortest?.days),
    retentionLockDays: valueOrNull(lockDays),
    coveredDays: valueOrNull(coveredDays),
    longestGapHours: valueOrNull(longestGapHours),
    ...listedCounts(fact),
  };
  const drifting = ['coveredDays'];
  const label = locationLabel(fact);
  if (problems.length > 0) {
    const unread = unknown.length > 0 ? ` Could not read ${unknown.join(' and ')}.` : '';
    return {
      status: 'FAILED',
      description: `${label}: ${problems.join('; ')}.${unread}`,
      observed,
      required,
      drifting,
      ...(fixes.length > 0 ? { remediationText: fixes.join(' ') } : {}),
    };
  }
  // A listing whose series was not judged (read and complete, with a dated dump) leaves a problem or
  // an unknown, so past here the series covers `coveredDays`; and a series with a dump in the window
  // has its gap up to this run measured, or a problem, so `longestGapHours` is set too.
  if (unknown.length > 0 || coveredDays === undefined || longestGapHours === undefined) {
    return {
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${label}: could not read ${unknown.join(' and ')}.`,
      observed,
      required,
      drifting,
    };
  }
  if (heldByOwnRetention) {
    return {
      status: 'WARNING',
      description: `${label}: ${heldByOwnRetention.text}.`,
      observed,
      required,
      drifting,
      remediationText: heldByOwnRetention.fix,
    };
  }
  // What keeps the dumps: a rule shorter than required passed only because a lock outlasts it. A
  // rule long enough keeps nothing: it deletes the dumps at that age, later than the policy needs.
  const ruleShort = shortest !== undefined && shortest.days < minPitrDays;
  // The rule a lock outlasts, named as every finding names its rule.
  const shorterRule =
    shortest !== undefined && ruleShort
      ? ` (lifecycle rule ${shortest.rule} would delete them after ${plural(shortest.days, 'day')})`
      : '';
  const keeps =
    shortest !== undefined && !ruleShort
      ? `lifecycle rule ${shortest.rule} deletes them only after ${plural(shortest.days, 'day')}`
      : keptByOwnRetention
        ? `each listed dump's own Locked object retention keeps it at least ${plural(minPitrDays, 'day')}${shorterRule}`
        : lockKeepsLive
          ? lock.locked === true
            ? `a retention lock keeps them ${plural(lock.days, 'day')}${shorterRule}`
            : `the bucket retention policy keeps them ${plural(lock.days, 'day')}${shorterRule}, though it is ${lock.locked === false ? 'not locked' : 'not shown to be locked'}: whoever may edit the bucket can remove it (dumps.protection)`
          : 'no lifecycle rule expires them';
  if (accruing) {
    return accruingOutcome(
      label,
      keeps,
      coveredDays,
      minPitrDays,
      observed,
      required,
      drifting,
      notCountedInFilling,
    );
  }
  return {
    status: 'PASSED',
    description: `${label}: ${keeps}, and the series covers ${plural(coveredDays, 'day')} (${minPitrDays} required) with no gap longer than ${formatDuration(longestGapHours)}.`,
    observed,
    required,
    drifting,
  };
}

/**
 * What the listing holds: `dumpsListed`, the objects that may be dumps (not empty, and with no
 * `suffix` not a checksum, signature or log by its key, beside a listed dump or not: no restore
 * point either way), 0 for a bucket that does not exist, null when the listing was not read;
 * beside them, when there are any, `emptyObjectsListed` (0 bytes: runs that produced nothing) and
 * `checksumsListed` (checksums, signatures or logs by their keys). Counted over every object
 * listed, whether the series was measured or not (a cut listing, a clock the listing shows behind).
 */
function listedCounts(fact: DumpFact): {
  readonly dumpsListed: number | null;
  readonly emptyObjectsListed?: number;
  readonly checksumsListed?: number;
} {
  if (fact.listing.state === 'unknown') return { dumpsListed: fact.listing.bucketAbsent ? 0 : null };
  const objects = fact.listing.objects;
  const empty = objects.filter(holdsNoDump).length;
  const checksums = fact.location.suffix
    ? 0
    : objects.filter((object) => !holdsNoDump(object) && hasBesideDumpExtension(object.key)).length;
  return {
    dumpsListed: objects.length - empty - checksums,
    ...(empty > 0 ? { emptyObjectsListed: empty } : {}),
    ...(checksums > 0 ? { checksumsListed: checksums } : {}),
  };
}

/** Why the series is not measured when a listed object shows this run's clock behind. */
function seriesClockWords(
  behind: DumpObject & { readonly lastModified: Date },
  now: Date,
  minPitrDays: number,
): string {
  return `how long ago the dumps were written: ${clockBehindWords(behind, now, `the days the series covers and its gaps in the last ${plural(minPitrDays, 'day')}`)}`;
}

/** What the series of `objects` shows of the days it covers and its gaps ({@link judgeRetention}). */
interface SeriesCoverage {
  readonly problems: string[];
  readonly unknown: string[];
  readonly fixes: string[];
  readonly coveredDays: number | undefined;
  readonly longestGapHours: number | undefined;
  readonly accruing: boolean;
}

function seriesCoverage(
  objects: readonly DumpObject[],
  {
    dumps,
    minPitrDays,
    now,
    windowStart,
    maxGapHours,
  }: Pick<DumpsCheckSettings, 'dumps' | 'minPitrDays' | 'now'> & {
    readonly windowStart: number;
    readonly maxGapHours: number;
  },
  /** Objects of `objects` counted as dumps though they may be none (checksums of dumps not listed). */
  unproven?: ReadonlySet<DumpObject>,
): SeriesCoverage {
  const problems: string[] = [];
  const unknown: string[] = [];
  const fixes: string[] = [];
  let coveredDays: number | undefined;
  let longestGapHours: number | undefined;
  let accruing = false;
  // An empty object is a run that produced nothing: it neither covers a day nor closes a gap.
  const dated = datedDumps(objects);
  const empty = objects.filter(holdsNoDump).length;
  const oldest = dated[0];
  if (!oldest) {
    if (objects.length === 0) problems.push('the prefix holds no dump at all');
    else if (empty === objects.length) {
      problems.push(`every object under the prefix (${empty}) is empty, so it holds no dump at all`);
    } else unknown.push('the modification times of the listed objects (not sent)');
  } else {
    // Shown on the same side of the policy days as it is: a series 40 minutes short of 30 days is
    // 29.9 days, not the 30.0 one decimal rounds it to ("reaches back only 30 of 30 days").
    coveredDays = Number(
      hoursAgainstLimit((now.getTime() - oldest.lastModified.getTime()) / DAY_MS, minPitrDays),
    );
    // The longest gap in words: its length and the dumps at its ends.
    let gapWords: string | undefined;
    let longestGapExact: number | undefined;
    // Counted as dumps, `unproven` objects (checksums of dumps not listed) only split a gap between
    // two dumps, or shorten the one since the newest dump: the dumps alone leave it longer, so a
    // part still too long fails whatever they are. A gap they alone open before the first dump is
    // none unless they are dumps, so it is not measured. When no object is a dump but them, the
    // series without them holds no dump at all, so every gap counting them fails either way.
    const proven = (object: DumpObject) => !unproven?.has(object);
    const firstProven = dated.findIndex(proven);
    const measuredFrom = firstProven === -1 ? 0 : firstProven;
    for (let index = measuredFrom + 1; index < dated.length; index += 1) {
      const earlier = dated[index - 1];
      const later = dated[index];
      if (!earlier || !later || later.lastModified.getTime() < windowStart) continue;
      // Compared unrounded, and shown on the same side of the limit: one decimal would pass a gap
      // minutes longer than twice the cadence.
      const exact = hoursAgainst(earlier.lastModified, later.lastModified, maxGapHours);
      if (longestGapExact === undefined || exact.exact > longestGapExact) {
        longestGapExact = exact.exact;
        longestGapHours = exact.shown;
        gapWords = `${formatDuration(exact.shown)} between ${earlier.key} and ${later.key}`;
      }
    }
    // The window runs up to this run: the hours since the newest dump are a gap of it too. A single
    // dump, or a series whose job stopped, covers no more of the window than the dumps in it reach;
    // dumps.fresh fails such a newest dump sooner (cadence + grace), this check once the gap is
    // longer than twice the cadence. A dump written exactly `minPitrDays` ago, or earlier, leaves
    // the whole window a gap: said below as no dump in it, not measured.
    const newestDated = dated.at(-1);
    const noneInWindow = newestDated !== undefined && newestDated.lastModified.getTime() <= windowStart;
    let trailingLongest = false;
    // (A newest dump dated after this run never reaches here: judgeRetention does not measure a
    // series against a clock the listing shows behind.)
    if (newestDated && !noneInWindow) {
      const exact = hoursAgainst(newestDated.lastModified, now, maxGapHours);
      // On a tie it is named: it still grows, so it is the longest a moment later, and its fix
      // (the job stopped) is the one still due.
      if (longestGapExact === undefined || exact.exact >= longestGapExact) {
        longestGapExact = exact.exact;
        longestGapHours = exact.shown;
        trailingLongest = true;
        gapWords = `${formatDuration(exact.shown)} since ${newestDated.key}, its newest dump, up to this run`;
      }
    }
    const gapTooLong = longestGapExact !== undefined && longestGapExact > maxGapHours;
    // A dump the listing did not date may lie inside a gap, or before the oldest dated one.
    const undated = undatedDumps(objects);
    const undatedSaid = `the modification time of ${undatedWords(undated)} (not sent), which may ${undated.length === 1 ? 'be a dump' : 'be dumps'}`;
    if (undated.length > 0 && gapTooLong) {
      unknown.push(`${undatedSaid} inside the gap of ${gapWords}`);
    } else if (gapTooLong) {
      problems.push(
        `the series has a gap of ${gapWords}, longer than twice the ${dumps.cadenceHours} h cadence`,
      );
      fixes.push(
        trailingLongest
          ? 'Find why the dump job stopped (dumps.fresh) and run it now.'
          : 'Find why the dump job skipped runs in that period (its logs and alarms).',
      );
    }
    // No dump inside the window at all: no pair of dumps there to measure a gap between, and the
    // series covers none of the days the policy asks for, however far back it reaches.
    if (newestDated && noneInWindow) {
      const none = `no dump was written in the last ${plural(minPitrDays, 'day')}: the newest, ${newestDated.key}, is ${plural(daysBetween(newestDated.lastModified, now), 'day')} old`;
      if (undated.length > 0)
        unknown.push(`${undatedSaid} written in the last ${plural(minPitrDays, 'day')} (${none})`);
      else {
        problems.push(none);
        fixes.push('Find why the dump job stopped (dumps.fresh) and run it now.');
      }
    }
    if (oldest.lastModified.getTime() > windowStart) {
      if (undated.length > 0) {
        unknown.push(
          `${undatedSaid} older than ${oldest.key}, the oldest dated, which reaches back only ${coveredDays} of ${plural(minPitrDays, 'day')}`,
        );
      } else accruing = true;
    }
  }
  return { problems, unknown, fixes, coveredDays, longestGapHours, accruing };
}

/**
 * The days the retention lock keeps the dumps: the bucket's (S3 Object Lock default retention, GCS
 * retention policy), unless on S3 the newest dump carries its own Object Lock retention that keeps it
 * fewer days after it was written: an upload's own retention overrides the bucket default, so the
 * default does not keep the dumps uploaded that way (dumps.protection judges the newest dump's own
 * retention too, from a listing cut at its bound as well when it proves less). One dump's own
 * retention never raises the days: it says nothing of the other dumps. `bucketDays` are the bucket's
 * own, which an S3 finding names when it says why the default does not stop a rule; `locked` the
 * bucket's (a GCS policy not locked can be removed, which a pass on it says). Undefined when the
 * bucket's retention was not read, is absent, or was sent without its days.
 */
function lockDaysOf(
  fact: DumpFact,
): { readonly days: number; readonly bucketDays: number; readonly locked: boolean | undefined } | undefined {
  const bucket = fact.retentionLock.state === 'read' ? fact.retentionLock.value : undefined;
  const bucketDays = bucket?.days;
  if (bucket === undefined || bucketDays === undefined) return undefined;
  const { locked } = bucket;
  const own = fact.newest?.objectLock;
  const written = fact.newest?.object.lastModified;
  if (fact.location.provider !== 'aws' || !own || !written) return { days: bucketDays, bucketDays, locked };
  return { days: Math.min(bucketDays, ownRetentionDays(own.retainUntil, written)), bucketDays, locked };
}

/**
 * `every`: each dump of a complete listing carries such a retention (the dumps are kept: PASSED);
 * else the newest listed dump alone is shown kept (its key and when its retention ends).
 */
type OwnRetention = 'every' | { readonly key: string; readonly retainUntil: Date };

/**
 * On Cloud Storage, what proves the newest dump kept the policy minimum despite a shorter Delete
 * rule: its own retention (objects.list `retention`), Locked (it cannot be reduced or removed) and
 * lasting at least `minPitrDays` after the dump was written. Lifecycle cannot delete an object
 * before its retain-until time (https://cloud.google.com/storage/docs/object-lock: "Prior to this
 * time, the object cannot be deleted or replaced"). When every dump of a complete listing carries
 * one (objects.list sends each dump's), the dumps are kept; when only the newest dump is shown to,
 * the older ones are not proven kept: a WARNING at most, and from a listing cut at its bound, whose
 * newest listed dump may not be the newest, the dumps beyond it are not read: NOT_AVAILABLE.
 * Undefined on S3 (an Expiration rule still delete-marks a locked object there) or when not proven.
 */
function ownLockedRetention(fact: DumpFact, minPitrDays: number): OwnRetention | undefined {
  if (fact.location.provider !== 'gcp') return undefined;
  if (dumpsNotHeldByOwnRetention(fact, minPitrDays)?.length === 0) return 'every';
  const newest = fact.newest;
  const lock = newest?.objectLock;
  if (!newest || !lock || !ownRetentionKeeps(newest.object, lock, minPitrDays)) return undefined;
  return { key: newest.object.key, retainUntil: lock.retainUntil };
}

function accruingOutcome(
  label: string,
  keeps: string,
  coveredDays: number,
  minPitrDays: number,
  observed: CheckOutcome['observed'],
  required: CheckOutcome['required'],
  drifting: string[],
  /** Objects not counted as dumps though they may be some (checksums of dumps not listed), in words. */
  notCounted: string | undefined,
): CheckOutcome {
  const remainingDays = Math.ceil(minPitrDays - coveredDays);
  return {
    status: 'WARNING',
    description: `${label}: ${keeps}, but the series reaches back only ${coveredDays} of ${plural(minPitrDays, 'day')}${notCounted === undefined ? '' : `, not counting ${notCounted}`}; it covers the policy in about ${plural(remainingDays, 'more day')} if nothing deletes older dumps.`,
    observed,
    required,
    drifting,
    remediationText:
      'Nothing to change if the series started recently; if older dumps existed, find what deleted them (S3 server access logs or CloudTrail data events, Cloud Storage data access audit logs).',
  };
}
