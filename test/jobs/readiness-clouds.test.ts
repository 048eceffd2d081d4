/**
 * A readiness run judges the clouds it is asked for (the AWS Lambda AWS, the GCP function GCP, the
 * CLI its --provider). When the policy selects databases in a cloud the run does not cover and the
 * request names no database, the run cannot say every database is ready: not a GO.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness } from '../integration/snapshot-support.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('readiness over fewer clouds than the policy configures', () => {
  it('could not evaluate, naming the cloud, when the policy also selects Cloud SQL databases and the run judges AWS only', async () => {
    // Prepare: every AWS database the policy names has a fresh snapshot; certctl-gcp-db, a plain
    // name, lives in the GCP project the policy lists.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp-db'] },
      gcp: { projects: ['certctl-gcp'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-21', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db GO',
    ]);
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(/^gcp: the policy selects databases there too \(gcp\.projects certctl-gcp\)/),
    ]);
  });

  it('answers GO over an AWS-only policy', async () => {
    // Prepare
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    await runSnapshotJob(
      { requestId: 'CHG-22', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect(result.notEvaluated).toEqual([]);
    expect(result.verdict).toBe('GO');
  });
});
