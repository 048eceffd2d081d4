/**
 * The check groups the audit job runs: each brings its name, a summary and its checks. How a scope's
 * facts are read is the provider's: functions/aws/collectors.ts and functions/gcp/collectors.ts hold
 * the built-in groups' collectors, so each function bundles only its own cloud's adapters. Adding a
 * group is a folder in functions/checks, a collector per cloud it covers, and one registration line
 * below. A self-contained group (an extension, a test) may carry its collectors inline instead.
 */
import type { AwsCollector } from '../aws/collectors.ts';
import { dumpsPolicyChecks } from '../checks/dumps/index.ts';
import { keysChecks } from '../checks/keys/index.ts';
import { pitrChecks } from '../checks/pitr/index.ts';
import type { ScopePlace } from '../core/audit.ts';
import type { Check } from '../core/check.ts';
import type { DumpsPolicy } from '../core/dumps-policy.ts';
import type { Fact } from '../core/facts.ts';
import {
  CHECK_GROUP_NAME,
  CHECK_ID,
  type CheckGroup,
  GROUP_RESOURCES,
  type Provider,
  type ResourceNoun,
} from '../core/finding.ts';
import { keysInventoryOf } from '../core/key-material.ts';
import type { KeysPolicy } from '../core/keys-policy.ts';
import { knownCheckGroups, noteRegisteredGroup } from '../core/known-groups.ts';
import type { Policy } from '../core/policy.ts';
import type { GcpCollector } from '../gcp/collectors.ts';
import { ALL_REGIONS } from '../gcp/planner.ts';

/** A check group as the runner sees it. */
export interface CheckGroupDefinition<F extends Fact = Fact> {
  readonly name: CheckGroup;
  /** What the group audits, for `--help` and the docs. */
  readonly summary: string;
  /**
   * Readiness answers GO only after this group judged something (or the policy waives it, with a
   * reason and an expiry, in `snapshots.readinessWaivers`): how to configure it, for the answer that says it is
   * missing. Absent: a group the policy does not configure is simply not part of the verdict.
   */
  readonly requiredForGo?: string;
  /** What one fact of the group is, singular and plural, for progress lines; `resource(s)` when absent. */
  readonly resources?: ResourceNoun;
  readonly checks: readonly Check<F>[];
  /**
   * Where the group audits when the policy names its resources (dump locations, key-material
   * secrets) instead of the planners discovering them: the places per provider. Absent: every
   * (account, region) or project the run covers. Plain data, so plans stay serializable.
   */
  readonly places?: (policy: Policy, provider: Provider) => readonly ScopePlace[];
  /**
   * Collectors carried by the group itself, used when the entry point's collectors have none for
   * it. Built-in groups leave this out (see the module comment).
   */
  readonly collect?: {
    readonly aws?: (reader: Parameters<AwsCollector>[0]) => Promise<readonly F[]>;
    readonly gcp?: (reader: Parameters<GcpCollector>[0]) => Promise<readonly F[]>;
  };
}

/** Define a group with its fact type checked, for the registry. */
export function defineCheckGroup<F extends Fact>(group: CheckGroupDefinition<F>): CheckGroupDefinition {
  return group as unknown as CheckGroupDefinition;
}

/** A location the policy names: an AWS account and region, or a GCP project (all its regions). */
export type PolicyLocation =
  | { readonly provider: 'aws'; readonly account: string; readonly region: string }
  | { readonly provider: 'gcp'; readonly project: string };

/** The places of some locations for one provider: each AWS account and region, each GCP project. */
export function placesOf(locations: readonly PolicyLocation[], provider: Provider): ScopePlace[] {
  return locations.flatMap((location): ScopePlace[] => {
    if (location.provider !== provider) return [];
    return location.provider === 'aws'
      ? [{ account: location.account, region: location.region }]
      : [{ account: location.project, region: ALL_REGIONS }];
  });
}

/** The places of the dump locations: each AWS location's account and region, each GCS location's project. */
export function dumpPlaces(dumps: DumpsPolicy, provider: Provider): ScopePlace[] {
  return placesOf(dumps.locations, provider);
}

/**
 * The places of the key-material inventory: each Secrets Manager secret's account and region, each
 * Secret Manager secret's project. No `keys` section: no place, so no scope. The inventory is the
 * one every scope's collector then reads ({@link keysInventoryOf}, made once per policy): built
 * here, before the account is known, it is not built again after the STS answer.
 */
export function keyPlaces(keys: KeysPolicy | undefined, provider: Provider): ScopePlace[] {
  const locations = keys ? keysInventoryOf(keys).inventory.map((item) => item.location) : [];
  return placesOf(locations, provider);
}

const registry = new Map<CheckGroup, CheckGroupDefinition>();

/**
 * Register a group; returns a function that removes it again (tests register throwaway groups).
 * Names are unique and match {@link CHECK_GROUP_NAME}, so they survive Security Hub's ProductFields.
 * Check ids are unique and are `<group>.<name>` ({@link CHECK_ID}), so a policy exception can name
 * each of them. They hold no `/`: a finding Id is `certctl-backup-guard/<check id>/<resource>`
 * (publish/security-hub/asff.ts `asffFindingId`), and the lifecycle reads the check of a held
 * finding back from it up to the next `/` when this version's catalog no longer has that check, to
 * name it in the reason it is retired (publish/security-hub/lifecycle.ts `checkStandings`).
 */
export function registerCheckGroup(group: CheckGroupDefinition): () => void {
  if (!CHECK_GROUP_NAME.test(group.name)) {
    throw new Error(`check group name '${group.name}' must match ${CHECK_GROUP_NAME}`);
  }
  if (registry.has(group.name)) throw new Error(`check group '${group.name}' is registered twice`);
  const ids = new Set(
    [...registry.values()].flatMap((known) => known.checks.map((check) => check.metadata.id)),
  );
  for (const check of group.checks) {
    if (check.metadata.id.includes('/')) {
      throw new Error(
        `check id '${check.metadata.id}' must not contain '/': Security Hub finding Ids are certctl-backup-guard/<check id>/<resource>, so the check of a finding could not be read back from its Id`,
      );
    }
    if (!CHECK_ID.test(check.metadata.id) || !check.metadata.id.startsWith(`${group.name}.`)) {
      throw new Error(
        `check id '${check.metadata.id}' of group '${group.name}' must be ${group.name}.<name> (${CHECK_ID}): a policy exception names a check by it, and reads its group up to the dot`,
      );
    }
    if (check.metadata.group !== group.name) {
      throw new Error(
        `check ${check.metadata.id} belongs to group '${check.metadata.group}', not '${group.name}'`,
      );
    }
    if (ids.has(check.metadata.id)) throw new Error(`duplicate check id ${check.metadata.id}`);
  }
  registry.set(group.name, group);
  const forgetName = noteRegisteredGroup(group.name);
  return () => {
    registry.delete(group.name);
    forgetName();
  };
}

registerCheckGroup(
  defineCheckGroup({
    name: 'pitr',
    summary: 'point-in-time recovery of RDS instances, Aurora clusters and Cloud SQL instances',
    resources: GROUP_RESOURCES.pitr,
    checks: pitrChecks,
  }),
);
registerCheckGroup(
  defineCheckGroup({
    name: 'dumps',
    summary: 'pg_dump series in S3 and Cloud Storage: fresh, whole, kept and protected',
    resources: GROUP_RESOURCES.dumps,
    checks: dumpsPolicyChecks,
    places: (policy, provider) => dumpPlaces(policy.dumps, provider),
  }),
);
registerCheckGroup(
  defineCheckGroup({
    name: 'keys',
    summary:
      "key-material backups in Secrets Manager and Secret Manager (certctl's CA, RA, OCSP and TLS keys, secrets)",
    resources: GROUP_RESOURCES.keys,
    requiredForGo:
      "map the key material certctl needs (CA, RA and OCSP keys, trust bundles, auth and config-encryption secrets) to its secrets in keys.items ('backup-guard init' writes the certctl preset)",
    checks: keysChecks,
    places: (policy, provider) => keyPlaces(policy.keys, provider),
  }),
);

/** Every registered group, in registration order. */
export function checkGroups(): CheckGroupDefinition[] {
  return [...registry.values()];
}

/**
 * Every group a policy may name: the catalog's and every registered one, in that order. Kept in
 * core/known-groups.ts, which the registry keeps in step, for what needs the names without the checks.
 */
export { knownCheckGroups };

/**
 * The id of every check of every registered group: the catalog this version runs, from which a
 * publisher tells a check renamed or removed since an earlier version from one a run did not run.
 */
export function catalogCheckIds(): ReadonlySet<string> {
  return new Set(checkGroups().flatMap((group) => group.checks.map((check) => check.metadata.id)));
}

/** The group of that name; undefined when none is registered. */
export function checkGroup(name: CheckGroup): CheckGroupDefinition | undefined {
  return registry.get(name);
}

/**
 * The regions of `account` whose Security Hub a run of `groups` calls under `policy` (`*`: every
 * one), the run's home region being `homeRegion`: a group with places publishes into its places in
 * that account only (their findings' account and region, or their scope's); any other group into the
 * audited regions and the home region, where a whole-account finding is kept (every region with
 * `aws.regions: all`). The publisher reads nowhere else (publish/security-hub/publisher.ts
 * `PublishOptions.reach`), and the deployment grants each job's role these regions
 * (infra/permissions.ts; test/infra/security-hub-reach.test.ts holds the grants to this function).
 * A group this version does not know may publish anywhere: `*`.
 */
export function securityHubReach(
  policy: Policy,
  groups: readonly CheckGroup[],
  account: string,
  homeRegion: string,
): string[] {
  const regions = new Set<string>();
  for (const name of groups) {
    const group = checkGroup(name);
    if (group?.places) {
      for (const place of group.places(policy, 'aws'))
        if (place.account === account) regions.add(place.region);
    } else if (group === undefined || policy.aws.regions === 'all') {
      return ['*'];
    } else {
      for (const region of [...policy.aws.regions, homeRegion]) regions.add(region);
    }
  }
  return [...regions].sort();
}
