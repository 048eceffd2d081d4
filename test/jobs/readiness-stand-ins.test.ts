/**
 * A readiness request may name a database the audit judges at another resource: an Aurora member
 * (judged at its cluster) or a read replica (judged at its source). What answers for it is that
 * resource: it is judged with the request, never left out of a GO.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
  TAG,
} from '../integration/snapshot-support.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('readiness naming an Aurora member', () => {
  it('judges the cluster the member belongs to: NO-GO while the cluster has no fresh snapshot, though the other named database is ready', async () => {
    // Prepare: the policy names the Aurora writer instance, as operators know it; only
    // certctl-prod-db gets a pre-maintenance snapshot.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora-1'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-9', reason: 'CA rotation', requestedBy: 'alice', targets: ['certctl-prod-db'] },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-prod-db', 'certctl-aurora-1'] },
      harness.readinessDeps(policy),
    );

    // Assess
    expect(result.targets.map((target) => [target.target.id, target.status]).sort()).toEqual([
      ['certctl-aurora', 'NO-GO'],
      ['certctl-prod-db', 'GO'],
    ]);
    expect(result.verdict).toBe('NO-GO');
    expect(result.notEvaluated).toEqual([]);
  });

  it('judges the cluster when the member alone is named, also when the policy selects by tag', async () => {
    // Prepare
    const policy = fastPolicy();
    await runSnapshotJob(
      { requestId: 'CHG-10', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-aurora-1'] },
      harness.readinessDeps(policy),
    );

    // Assess
    expect(result.targets.map((target) => target.target.id)).toEqual(['certctl-aurora']);
    expect(result.notEvaluated).toEqual([]);
    expect(result.verdict).toBe(result.targets[0]?.status);
  });
});

describe('readiness when the target tag sits on an Aurora member of an untagged cluster', () => {
  it('says the member is not evaluated and which cluster to tag, and judges only what the tags select', async () => {
    // Prepare: a second Aurora cluster, untagged, whose writer carries the target tag.
    await harness.close();
    const scenario = snapshotScenario();
    const rds = scenario.services?.rds as { clusters: unknown[] };
    rds.clusters.push({
      id: 'certctl-prod',
      region: 'eu-west-1',
      members: [{ id: 'certctl-prod-1', writer: true, tags: TAG }],
    });
    harness = await startSnapshotHarness(scenario);
    const policy = fastPolicy();

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect(result.targets.map((target) => target.target.id)).not.toContain('certctl-prod');
    expect(result.notEvaluated).toContain(
      'certctl-prod-1 carries the target tag certctl:backup-guard=enabled but is a member of Aurora cluster certctl-prod, which does not: tag the cluster to audit it',
    );
    expect(result.verdict).not.toBe('GO');
  });
});
