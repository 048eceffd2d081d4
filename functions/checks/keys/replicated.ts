/**
 * `keys.replicated`: the secret has a copy in another region and every replica is InSync; a secret
 * that is itself a replica is judged by its own status as its primary reports it (GCP:
 * automatic replication, or user-managed with at least two locations). A secret is in one region
 * only when its DescribeSecret names its own region as `PrimaryRegion` and lists no replica
 * elsewhere: without `PrimaryRegion` it may be a replica, whose answer lists no replicas.
 */
import type { Check } from '../../core/check.ts';
import type { KeySecretFact } from '../../core/key-facts.ts';
import {
  absentOutcome,
  DOCS,
  itemsValue,
  KEYS_RESOURCE_TYPES,
  notAvailable,
  secretLabel,
} from './wording.ts';

/**
 * The replica statuses Secrets Manager documents (`StatusType`:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html);
 * any other proves neither sync nor lag.
 */
const KNOWN_REPLICA_STATUSES: ReadonlySet<string> = new Set(['InSync', 'InProgress', 'Failed']);

export const keysReplicatedCheck: Check<KeySecretFact> = {
  metadata: {
    id: 'keys.replicated',
    group: 'keys',
    title: 'Key-material backups are replicated to another region',
    failedTitle: 'A key-material backup is not replicated, or a replica is out of sync',
    severity: 'HIGH',
    rationale:
      'A regional outage or a lost region must not take the only copy of the CA key with it; a replica that is not in sync holds an older key than certctl runs with.',
    remediation: {
      text: 'Replicate the secret (`aws secretsmanager replicate-secret-to-regions --add-replica-regions Region=<other>`); for a replica out of sync, read its StatusMessage and fix the replica key permissions.',
      texts: {
        gcp: 'Use automatic replication or two or more user-managed locations (the replication policy is set when the secret is created: create a replicated secret and add the value as a new version).',
      },
      url: DOCS.smReplicate,
      urls: { gcp: DOCS.gsmReplication },
    },
    resourceTypes: KEYS_RESOURCE_TYPES,
  },
  evaluate(fact) {
    const required = { otherRegions: '>= 1', replicasInSync: true };
    const absent = absentOutcome(fact, required);
    if (absent) return absent;
    if (fact.replication.state === 'unknown')
      return notAvailable(fact, fact.replication.reason, {}, required);
    const replication = fact.replication.value;
    const base = { items: itemsValue(fact) };
    if (replication.kind === 'gcp-automatic') {
      return {
        status: 'PASSED',
        description: `The ${secretLabel(fact)} uses automatic replication.`,
        observed: { ...base, replication: 'automatic' },
        required: { replication: 'automatic or >= 2 locations' },
      };
    }
    if (replication.kind === 'gcp-user-managed') {
      const ok = replication.locations.length >= 2;
      return {
        status: ok ? 'PASSED' : 'FAILED',
        description: ok
          ? `The ${secretLabel(fact)} is replicated to ${replication.locations.join(', ')}.`
          : `The ${secretLabel(fact)} is kept in ${replication.locations.join(', ') || 'no location'} only.`,
        observed: { ...base, replication: 'user-managed', locations: replication.locations.join(',') },
        required: { replication: 'automatic or >= 2 locations' },
      };
    }
    const home = fact.resource.region;
    const primary = replication.primaryRegion;
    // A replica (its primary elsewhere) is judged by its own status, which only its primary reports.
    const own = primary !== undefined && primary !== home ? replication.asReplica : undefined;
    if (primary !== undefined && primary !== home) {
      const replicaOf = `the ${secretLabel(fact)} is a replica of the secret in ${primary}, and only the primary reports whether a replica is in sync (its ReplicationStatus)`;
      if (own === undefined || own.state === 'unknown')
        return notAvailable(
          fact,
          `${replicaOf}: ${own ? own.reason : 'the primary was not read'}`,
          { otherRegions: primary },
          required,
        );
      if (own.value.status === undefined)
        return notAvailable(
          fact,
          `${replicaOf}, and the primary does not list ${home} among its replicas`,
          { otherRegions: primary },
          required,
        );
    }
    const others = replication.replicas.filter((replica) => replica.region !== home);
    const regions = others.flatMap((replica) => (replica.region === undefined ? [] : [replica.region]));
    if (replication.primaryRegion && replication.primaryRegion !== home)
      regions.push(replication.primaryRegion);
    const observed = { ...base, otherRegions: regions.join(',') || null };
    const where = (region: string | undefined): string => region ?? 'a replica of unreported region';
    if (regions.length === 0 && others.length > 0) {
      // A replica without its region proves no copy elsewhere: it may be absent from the answer only.
      return notAvailable(
        fact,
        'a replica did not report its region (ReplicationStatus without Region), so no copy is known to be in another region',
        { otherRegions: null },
        required,
      );
    }
    if (regions.length === 0 && primary === undefined) {
      // Only PrimaryRegion says whether the secret is itself a replica of a secret in another
      // region; a replica lists no replicas of its own, so their absence proves no single region.
      return notAvailable(
        fact,
        `DescribeSecret did not send PrimaryRegion, so whether the ${secretLabel(fact)} is itself a replica of a secret in another region is not known, and it lists no replica in another region (ReplicationStatus)`,
        { otherRegions: null },
        required,
      );
    }
    if (regions.length === 0) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} exists in ${home} only.`,
        observed,
        required,
      };
    }
    // The statuses judged: each replica's, and this replica's own as its primary reports it.
    const judged =
      own?.state === 'read'
        ? [{ region: home, status: own.value.status, statusMessage: own.value.statusMessage }, ...others]
        : others;
    const failed = judged.filter((replica) => replica.status === 'Failed');
    const pending = judged.filter((replica) => replica.status === 'InProgress');
    // A status not sent, or one Secrets Manager does not document, is not evaluated: such a replica
    // is not known to be in sync, nor to lag.
    const unjudged = judged.filter(
      (replica) => replica.status === undefined || !KNOWN_REPLICA_STATUSES.has(replica.status),
    );
    const statuses = judged
      .map((replica) => `${replica.region ?? 'unreported'}=${replica.status ?? 'unknown'}`)
      .join(',');
    if (failed.length > 0) {
      return {
        status: 'FAILED',
        description: `The ${secretLabel(fact)} has replicas out of sync: ${failed.map((replica) => `${where(replica.region)} (${replica.statusMessage ?? 'Failed'})`).join(', ')}.`,
        observed: { ...observed, replicaStatus: statuses },
        required,
      };
    }
    const undocumented = (status: string) => `${status}, a Status Secrets Manager does not document`;
    if (pending.length === 0 && unjudged.length > 0) {
      const silent = unjudged
        .filter((replica) => replica.status === undefined)
        .map((replica) => where(replica.region));
      const parts = [
        ...(silent.length > 0
          ? [
              `the ${silent.length === 1 ? 'replica' : 'replicas'} in ${silent.join(', ')} reported no Status (ReplicationStatus without Status)`,
            ]
          : []),
        ...unjudged.flatMap((replica) =>
          replica.status === undefined
            ? []
            : [
                `the replica in ${where(replica.region)} reported ${undocumented(replica.status)} (InSync, InProgress or Failed)`,
              ],
        ),
      ];
      return notAvailable(
        fact,
        `${parts.join('; ')}, so whether ${unjudged.length === 1 ? 'it is' : 'they are'} in sync is not known`,
        { otherRegions: observed.otherRegions, replicaStatus: statuses },
        required,
      );
    }
    if (pending.length > 0) {
      // Replicas in progress warn; one beside them whose status is not known is named as such.
      const unknown = unjudged.map(
        (replica) =>
          `${where(replica.region)} (${replica.status === undefined ? 'no status' : undocumented(replica.status)})`,
      );
      return {
        status: 'WARNING',
        description: `The ${secretLabel(fact)} has replicas not yet in sync: ${[...pending.map((replica) => `${where(replica.region)} (InProgress)`), ...unknown].join(', ')}.`,
        observed: { ...observed, replicaStatus: statuses },
        required,
      };
    }
    return {
      status: 'PASSED',
      description:
        own === undefined
          ? `The ${secretLabel(fact)} is replicated to ${regions.join(', ')}${others.length > 0 ? ', all in sync' : ''}.`
          : `The ${secretLabel(fact)} is a replica of the secret in ${primary}, in sync with it as the primary reports${others.length > 0 ? `, and is replicated to ${regions.filter((region) => region !== primary).join(', ')}` : ''}.`,
      observed: { ...observed, ...(statuses ? { replicaStatus: statuses } : {}) },
      required,
    };
  },
};
