/**
 * The check groups the audit job runs. A group brings its checks and, per provider, the collector
 * that reads one scope's facts; the planners (functions/aws/planner.ts, functions/gcp/planner.ts)
 * and the runner are shared. Adding a group is a folder in functions/checks, a collector in
 * functions/aws or functions/gcp, and one registration line below.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import type { AuditedAccount, AwsClientFactory } from '../aws/clients.ts';
import { collectRdsPitrFacts } from '../aws/rds.ts';
import { awsKeyScopes, collectAwsKeyFacts } from '../aws/secrets-manager.ts';
import { keysChecks } from '../checks/keys/index.ts';
import { pitrChecks } from '../checks/pitr/index.ts';
import type { Check } from '../core/check.ts';
import { CHECK_GROUP_NAME, type CheckGroup, type ResourceRef } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import { type CloudSqlApi, readCloudSqlPitrFacts } from '../gcp/cloud-sql.ts';
import { gcpKeyProjects, readGcpKeyFacts, type SecretManagerApi } from '../gcp/secret-manager.ts';

/** Where an AWS collector reads one scope: the account (with its role) and region, and the clients. */
export interface AwsScopeReader {
  readonly factory: AwsClientFactory;
  readonly account: AuditedAccount;
  readonly region: string;
  readonly policy: Policy;
  readonly now: () => Date;
}

/** The GCP clients a collector may use (the GCP client factory fits). */
export interface GcpClientSource {
  cloudSql(): CloudSqlApi;
  /** Secret Manager (the keys group); absent in sources that serve Cloud SQL only. */
  secretManager?(): SecretManagerApi;
}

/** Where a GCP collector reads one scope: the project (all its regions) and the clients. */
export interface GcpScopeReader {
  readonly clients: GcpClientSource;
  readonly project: string;
  readonly policy: Policy;
  readonly now: () => Date;
}

/** A fact any check group judges: it names the resource its findings are about. */
export interface GroupFact {
  readonly resource: ResourceRef;
}

/** A check group as the runner sees it. */
export interface CheckGroupDefinition<F extends GroupFact = GroupFact> {
  readonly name: CheckGroup;
  /** What the group audits, for `--help` and the docs. */
  readonly summary: string;
  readonly checks: readonly Check<F>[];
  /** How one scope's facts are read, per provider; a provider without a collector has no scope of this group. */
  readonly collect: {
    readonly aws?: (reader: AwsScopeReader) => Promise<readonly F[]>;
    readonly gcp?: (reader: GcpScopeReader) => Promise<readonly F[]>;
  };
  /**
   * The scopes the group needs, when that is fewer than every (account, region) or project: the
   * keys group reads only where its inventory names secrets. Plain data from the policy, so the
   * plan still serializes. Absent: the shared planner's accounts x regions, and every project.
   */
  readonly plan?: {
    readonly aws?: (policy: Policy) => readonly { readonly account: string; readonly region: string }[];
    readonly gcp?: (policy: Policy) => readonly string[];
  };
}

/** Define a group with its fact type checked, for the registry below. */
export function defineCheckGroup<F extends GroupFact>(group: CheckGroupDefinition<F>): CheckGroupDefinition {
  return group as unknown as CheckGroupDefinition;
}

const pitrGroup = defineCheckGroup({
  name: 'pitr',
  summary: 'point-in-time recovery of RDS instances, Aurora clusters and Cloud SQL instances',
  checks: pitrChecks,
  collect: {
    aws: ({ factory, account, region, policy }) =>
      collectRdsPitrFacts(
        factory.client(RDSClient, region, account),
        { account: account.accountId, region },
        policy,
      ),
    gcp: ({ clients, project, policy, now }) =>
      readCloudSqlPitrFacts(clients.cloudSql(), project, policy, { now }),
  },
});

const keysGroup = defineCheckGroup({
  name: 'keys',
  summary:
    "key-material backups in Secrets Manager and Secret Manager (certctl's CA, RA, OCSP and TLS keys, secrets)",
  checks: keysChecks,
  collect: {
    aws: ({ factory, account, region, policy, now }) =>
      collectAwsKeyFacts(factory, { account: account.accountId, region }, policy, { now }),
    gcp: ({ clients, project, policy, now }) => {
      if (!clients.secretManager) throw new Error('the GCP clients of this run cannot read Secret Manager');
      return readGcpKeyFacts(clients.secretManager(), project, policy, { now });
    },
  },
  plan: { aws: awsKeyScopes, gcp: gcpKeyProjects },
});

const registry = new Map<CheckGroup, CheckGroupDefinition>();

/**
 * Register a group; returns a function that removes it again (tests register throwaway groups).
 * Names are unique and match {@link CHECK_GROUP_NAME}, so they survive Security Hub's ProductFields.
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
    if (check.metadata.group !== group.name) {
      throw new Error(
        `check ${check.metadata.id} belongs to group '${check.metadata.group}', not '${group.name}'`,
      );
    }
    if (ids.has(check.metadata.id)) throw new Error(`duplicate check id ${check.metadata.id}`);
  }
  registry.set(group.name, group);
  return () => {
    registry.delete(group.name);
  };
}

registerCheckGroup(pitrGroup);
registerCheckGroup(keysGroup);

/** Every registered group, in registration order. */
export function checkGroups(): CheckGroupDefinition[] {
  return [...registry.values()];
}

/** The group of that name; undefined when none is registered. */
export function checkGroup(name: CheckGroup): CheckGroupDefinition | undefined {
  return registry.get(name);
}
