/**
 * An Aurora global database member that DescribeDBClusters shows without a DB instance and without
 * ReplicationSourceIdentifier (a headless secondary, or a primary being created or whose instances
 * were deleted): its role is read from DescribeGlobalClusters (`GlobalClusterMembers[].IsWriter`),
 * once per Region and only when such a member is listed.
 */
import { type DBCluster, RDSClient } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auroraClusterToFact,
  collectRdsPitrFacts,
  type GlobalRoles,
  globalRoleUnknown,
} from '../../functions/aws/rds.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import type { PitrFact } from '../../functions/core/facts.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { RdsService } from '../sim/services/rds.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const REGION = 'us-east-1';
const PRIMARY_REGION = 'eu-central-1';
const PRIMARY_ARN = `arn:aws:rds:${PRIMARY_REGION}:${DEFAULT_ACCOUNT_ID}:cluster:orders-primary`;
const policy = parsePolicy({
  targets: { all: true },
  aws: { regions: [REGION] },
  pitr: { requireCrossRegionBackup: true },
});

describe('the role of a global database member without a DB instance', () => {
  let sim: Sim;
  let client: RDSClient;
  const clientIn = (region: string) =>
    new RDSClient({ region, endpoint: sim.endpoint, credentials: simCredentials(), maxAttempts: 1 });

  beforeEach(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: REGION }, { name: PRIMARY_REGION }],
        services: {
          rds: {
            clusters: [
              // The primary of `orders-global`, with its writer, in another Region.
              {
                id: 'orders-primary',
                region: PRIMARY_REGION,
                globalClusterIdentifier: 'orders-global',
                members: [{ id: 'orders-primary-1', writer: true }],
              },
              // A headless secondary of it: no instance, and no ReplicationSourceIdentifier sent.
              {
                id: 'orders-headless',
                region: REGION,
                globalClusterIdentifier: 'orders-global',
                globalWriter: false,
                backupRetentionPeriod: 1,
              },
              // The primary of `billing-global` after its instances were deleted, keeping 35 days.
              {
                id: 'billing-primary',
                region: REGION,
                globalClusterIdentifier: 'billing-global',
                backupRetentionPeriod: 35,
              },
            ],
          },
        },
      },
      clock: () => NOW,
    });
    client = clientIn(REGION);
  });

  afterEach(async () => {
    client.destroy();
    await sim.close();
  });

  async function judge(rds: RDSClient = client) {
    const facts = await collectRdsPitrFacts(rds, { account: DEFAULT_ACCOUNT_ID, region: REGION }, policy);
    const byId = new Map(facts.map((fact) => [fact.resource.id, fact]));
    const outcome = (id: string, check: string) => {
      const fact = byId.get(id) as PitrFact;
      const found = pitrChecks.find((candidate) => candidate.metadata.id === check);
      return found?.evaluate(fact, { policy, now: NOW });
    };
    return { byId, outcome };
  }

  it('judges a headless secondary through the writer DescribeGlobalClusters names', async () => {
    // Act
    const { byId, outcome } = await judge();

    // Assess
    expect(byId.get('orders-headless')?.aurora).toMatchObject({
      globalSecondary: {
        primaryArn: PRIMARY_ARN,
        primaryId: 'orders-primary',
        primaryRegion: PRIMARY_REGION,
        evidence: expect.stringContaining('IsWriter'),
      },
    });
    expect(byId.get('orders-headless')?.aurora?.globalRoleUnknown).toBeUndefined();
    // The copy in another Region is the primary, whose own retention is not read here: named, not passed.
    expect(outcome('orders-headless', 'pitr.cross-region')).toMatchObject({
      status: 'NOT_AVAILABLE',
      observed: { replicatedTo: PRIMARY_REGION, judgedThroughPrimary: PRIMARY_ARN },
    });
    expect(outcome('orders-headless', 'pitr.window')?.description).toContain('`orders-primary`');
    expect(outcome('orders-headless', 'pitr.window')?.description).not.toContain('cannot be told');
    // One paged DescribeGlobalClusters in the member's Region.
    expect(sim.stats().byOperation['rds:DescribeGlobalClusters']).toBe(1);
  });

  it('judges a writer without a DB instance as a primary, on its own settings', async () => {
    // Act
    const { byId, outcome } = await judge();

    // Assess
    expect(byId.get('billing-primary')?.aurora?.globalSecondary).toBeUndefined();
    expect(byId.get('billing-primary')?.aurora?.globalRoleUnknown).toBeUndefined();
    expect(outcome('billing-primary', 'pitr.window')?.status).toBe('PASSED');
    expect(outcome('billing-primary', 'pitr.retention')?.status).toBe('PASSED');
    // A primary whose global database has no secondary elsewhere keeps no copy in another Region.
    expect(outcome('billing-primary', 'pitr.cross-region')?.status).not.toBe('PASSED');
  });

  it('keeps the role unknown, saying DescribeGlobalClusters failed, when it cannot be read', async () => {
    // Prepare: an RDS client refused DescribeGlobalClusters, and only that; and a member whose
    // instances are all readers.
    sim.service<RdsService>('rds').store.putCluster({
      id: 'ledger',
      region: REGION,
      globalClusterIdentifier: 'ledger-global',
      members: [{ id: 'ledger-1', writer: false }],
    });
    const refused = clientIn(REGION);
    refused.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeGlobalClustersCommand') {
          const error = new Error('User is not authorized to perform: rds:DescribeGlobalClusters');
          error.name = 'AccessDenied';
          throw error;
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuseGlobalClusters' },
    );

    // Act
    const { byId, outcome } = await judge(refused);
    refused.destroy();

    // Assess
    for (const id of ['orders-headless', 'billing-primary', 'ledger']) {
      expect(byId.get(id)?.aurora?.globalSecondary).toBeUndefined();
      expect(byId.get(id)?.aurora?.globalRoleUnknown).toContain('DescribeGlobalClusters failed');
      expect(outcome(id, 'pitr.window')?.status).toBe('NOT_AVAILABLE');
      expect(outcome(id, 'pitr.cross-region')?.status).toBe('NOT_AVAILABLE');
      // The refusal names the missing grant, as the other refused PITR reads do.
      for (const check of ['pitr.window', 'pitr.cross-region']) {
        expect(outcome(id, check)?.remediationText).toContain(
          'Grant the audit role rds:DescribeGlobalClusters on the global clusters of this account',
        );
        expect(outcome(id, check)?.remediationText).not.toContain('aws rds describe-global-clusters');
      }
    }
  });

  it('advises lifting the deny, not a grant, when a session policy denies DescribeGlobalClusters', async () => {
    // Prepare: DescribeGlobalClusters refused by a session policy's Deny, whose words name the caller.
    const refused = clientIn(REGION);
    refused.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeGlobalClustersCommand') {
          const error = new Error(
            'User: arn:aws:sts::111122223333:assumed-role/audit/s is not authorized to perform: rds:DescribeGlobalClusters with an explicit deny in a session policy',
          );
          error.name = 'AccessDenied';
          throw error;
        }
        return next(args);
      },
      { step: 'initialize', name: 'denyGlobalClusters' },
    );

    // Act
    const { byId, outcome } = await judge(refused);
    refused.destroy();

    // Assess
    expect(byId.get('orders-headless')?.aurora?.globalRolePermission).toBeUndefined();
    const advice = outcome('orders-headless', 'pitr.window')?.remediationText;
    expect(advice).toBe(
      'An explicit deny in a session policy refuses the call: a grant to the audit role cannot override it; assume the role without the session policy that denies it, then run the audit again.',
    );
  });

  it('keeps the role unknown when DescribeGlobalClusters lists one global database twice with different members', async () => {
    // Prepare: a client whose DescribeGlobalClusters answer lists billing-global again, right after
    // itself, with its member no longer the writer: which entry is right, the answer does not say.
    const twice = clientIn(REGION);
    twice.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'DescribeGlobalClustersCommand') return result;
        const output = result.output as { GlobalClusters?: Record<string, unknown>[] };
        output.GlobalClusters = (output.GlobalClusters ?? []).flatMap((global) =>
          global.GlobalClusterIdentifier === 'billing-global'
            ? [
                {
                  ...global,
                  GlobalClusterMembers: (global.GlobalClusterMembers as Record<string, unknown>[]).map(
                    (member) => ({ ...member, IsWriter: false }),
                  ),
                },
                global,
              ]
            : [global],
        );
        return result;
      },
      { step: 'initialize', name: 'globalListedTwice' },
    );

    // Act
    const { byId, outcome } = await judge(twice);
    twice.destroy();

    // Assess: neither entry decides the role, so the primary's own 35 days pass nothing.
    expect(byId.get('billing-primary')?.aurora?.globalRoleUnknown).toContain(
      'answer listed GlobalCluster billing-global more than once with different values (GlobalClusterMembers)',
    );
    expect(outcome('billing-primary', 'pitr.window')?.status).toBe('NOT_AVAILABLE');
    expect(outcome('billing-primary', 'pitr.retention')?.status).toBe('NOT_AVAILABLE');
  });

  it('keeps the role unknown when DescribeGlobalClusters does not list the cluster', async () => {
    // Prepare: DescribeGlobalClusters answers for its global clusters, not for this one.
    sim.service<RdsService>('rds').store.putCluster({
      id: 'unlisted',
      region: REGION,
      globalClusterIdentifier: 'unlisted-global',
      globalWriter: null,
    });

    // Act
    const { byId, outcome } = await judge();

    // Assess
    expect(byId.get('unlisted')?.aurora?.globalRoleUnknown).toContain('DescribeGlobalClusters did not list');
    expect(outcome('unlisted', 'pitr.window')?.status).toBe('NOT_AVAILABLE');
  });

  describe('a member whose instances all report IsClusterWriter false', () => {
    // A reader-only member may be a secondary, or a primary caught mid-failover (its writer
    // instance gone, no reader promoted yet): DescribeGlobalClusters' IsWriter decides.
    const readersOnly = (id: string, globalWriter: boolean | null) =>
      sim.service<RdsService>('rds').store.putCluster({
        id,
        region: REGION,
        globalClusterIdentifier: `${id}-global`,
        globalWriter,
        members: [{ id: `${id}-1`, writer: false }],
      });

    it('judges it as the primary DescribeGlobalClusters says it is, never passing by inference', async () => {
      // Prepare: the lone primary of its global database, mid-failover.
      readersOnly('ledger', true);

      // Act
      const { byId, outcome } = await judge();

      // Assess
      expect(byId.get('ledger')?.aurora?.globalSecondary).toBeUndefined();
      expect(byId.get('ledger')?.aurora?.globalRoleUnknown).toBeUndefined();
      expect(outcome('ledger', 'pitr.cross-region')?.status).not.toBe('PASSED');
      expect(sim.stats().byOperation['rds:DescribeGlobalClusters']).toBe(1);
    });

    it('keeps its role unknown when DescribeGlobalClusters does not list it', async () => {
      // Prepare
      readersOnly('ledger', null);

      // Act
      const { byId, outcome } = await judge();

      // Assess
      expect(byId.get('ledger')?.aurora?.globalRoleUnknown).toContain('DescribeGlobalClusters did not list');
      expect(byId.get('ledger')?.aurora?.globalRoleUnknown).toContain('IsClusterWriter');
      expect(outcome('ledger', 'pitr.cross-region')?.status).toBe('NOT_AVAILABLE');
      expect(outcome('ledger', 'pitr.window')?.status).toBe('NOT_AVAILABLE');
    });

    it('judges a confirmed secondary through the writer DescribeGlobalClusters names', async () => {
      // Prepare: a reader-only secondary of orders-global whose source DescribeDBClusters left out.
      sim.service<RdsService>('rds').store.putCluster({
        id: 'orders-readers',
        region: REGION,
        globalClusterIdentifier: 'orders-global',
        globalWriter: false,
        members: [{ id: 'orders-readers-1', writer: false }],
      });

      // Act
      const { byId, outcome } = await judge();

      // Assess
      expect(byId.get('orders-readers')?.aurora?.globalSecondary).toMatchObject({
        primaryArn: PRIMARY_ARN,
        evidence: expect.stringContaining('IsWriter false in DescribeGlobalClusters'),
      });
      expect(outcome('orders-readers', 'pitr.cross-region')).toMatchObject({
        status: 'NOT_AVAILABLE',
        observed: { replicatedTo: PRIMARY_REGION, judgedThroughPrimary: PRIMARY_ARN },
      });
    });
  });

  it('sends no DescribeGlobalClusters when every member shows its role', async () => {
    // Prepare: the primary's Region lists a member with its writer instance only.
    const primaryClient = clientIn(PRIMARY_REGION);

    // Act
    await collectRdsPitrFacts(
      primaryClient,
      { account: DEFAULT_ACCOUNT_ID, region: PRIMARY_REGION },
      parsePolicy({ targets: { all: true }, aws: { regions: [PRIMARY_REGION] } }),
    );
    primaryClient.destroy();

    // Assess
    expect(sim.stats().byOperation['rds:DescribeGlobalClusters']).toBeUndefined();
  });
});

describe('a global database member whose DBClusterMembers leave IsClusterWriter out', () => {
  const ARN = `arn:aws:rds:${REGION}:${DEFAULT_ACCOUNT_ID}:cluster:ledger`;
  /** A member of `ledger-global` with no ReplicationSourceIdentifier and these instances. */
  const member = (members: DBCluster['DBClusterMembers']): DBCluster => ({
    DBClusterIdentifier: 'ledger',
    DBClusterArn: ARN,
    Engine: 'aurora-postgresql',
    Status: 'available',
    BackupRetentionPeriod: 35,
    GlobalClusterIdentifier: 'ledger-global',
    DBClusterMembers: members,
  });
  const scope = { account: DEFAULT_ACCOUNT_ID, region: REGION };
  const crossRegion = (fact: PitrFact) =>
    pitrChecks
      .find((check) => check.metadata.id === 'pitr.cross-region')
      ?.evaluate(fact, { policy, now: NOW });

  it('keeps the role unknown, not a primary, when no instance is sent with IsClusterWriter true and one is sent without it', () => {
    // Prepare: one reader, and one instance whose IsClusterWriter the answer left out.
    const cluster = member([
      { DBInstanceIdentifier: 'ledger-1', IsClusterWriter: false },
      { DBInstanceIdentifier: 'ledger-2' },
    ]);
    // Act
    const fact = auroraClusterToFact(cluster, scope);
    // Assess: a writer not sent is not proven; taken for one, a secondary would pass as a primary.
    expect(globalRoleUnknown(cluster)).toBe(
      'DescribeDBClusters sent no ReplicationSourceIdentifier and no IsClusterWriter true among its 2 DBClusterMembers (1 of them sent without IsClusterWriter): whether it holds the writer instance a primary has was not sent',
    );
    expect(fact.aurora?.globalRoleUnknown).toBe(globalRoleUnknown(cluster));
    expect(crossRegion(fact)?.status).toBe('NOT_AVAILABLE');
  });

  it('keeps the role unknown when every instance is sent without IsClusterWriter', () => {
    const cluster = member([{ DBInstanceIdentifier: 'ledger-1' }]);
    expect(globalRoleUnknown(cluster)).toContain('1 of them sent without IsClusterWriter');
  });

  it('takes it for the primary DescribeGlobalClusters says it is', () => {
    // Prepare
    const cluster = member([{ DBInstanceIdentifier: 'ledger-1' }]);
    const roles: GlobalRoles = {
      read: true,
      members: new Map([[ARN, { isWriter: true, writerArn: ARN }]]),
    };
    // Act
    const fact = auroraClusterToFact(cluster, scope, roles);
    // Assess
    expect(fact.aurora?.globalRoleUnknown).toBeUndefined();
    expect(fact.aurora?.globalSecondary).toBeUndefined();
  });

  it('still knows the primary by an instance sent with IsClusterWriter true beside one sent without it', () => {
    const cluster = member([
      { DBInstanceIdentifier: 'ledger-1', IsClusterWriter: true },
      { DBInstanceIdentifier: 'ledger-2' },
    ]);
    expect(globalRoleUnknown(cluster)).toBeUndefined();
  });
});
