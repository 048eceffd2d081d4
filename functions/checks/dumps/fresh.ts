/**
 * `dumps.fresh`: the newest dump under the prefix is younger than the cadence plus the grace.
 *
 * The newest is the object with the latest modification time the listing returned. When the
 * listing stopped at the policy's bound, a fresh newest proves freshness (a newer one only helps)
 * but a stale one proves nothing: a newer dump may lie beyond the bound.
 */
import { CLOCK_SKEW_TOLERANCE_MS } from '../../core/time.ts';
import type { DumpsCheck } from './settings.ts';
import {
  DOCS,
  DUMPS_RESOURCE_TYPES,
  formatDuration,
  hoursBetween,
  locationLabel,
  notAvailable,
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
    if (fact.listing.state === 'unknown') {
      return notAvailable(
        fact,
        `the listing failed (${fact.listing.reason})`,
        { newestAgeHours: null },
        required,
      );
    }
    const newest = fact.newest?.object;
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
    const ageHours = hoursBetween(newest.lastModified, now);
    const observed = {
      newestKey: newest.key,
      newestLastModified: newest.lastModified.toISOString(),
      newestAgeHours: ageHours,
    };
    const drifting = ['newestAgeHours'];
    if (ageHours <= maxAgeHours) {
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
          `the newest of the ${fact.listing.objects.length} objects listed (${newest.key}) is ${formatDuration(ageHours)} old, but the listing stopped at the policy's maxObjectsListed, so a newer dump may exist beyond it`,
          observed,
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
