/**
 * A request id asked first in one Region (`--region`), then in all of them, against a real DynamoDB
 * implementation on 127.0.0.1 (dynalite) and the RDS simulator: the record of the narrower ask
 * neither refuses the wider one nor answers it as if it covered the Regions it never read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSnapshotJob, type SnapshotRequest } from '../../functions/jobs/snapshot.ts';
import { idempotentSnapshotJob } from '../../functions/jobs/snapshot-once-table.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
} from './snapshot-support.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeEach(async () => {
  // No busy or failing database: each ask's outcome comes from the record alone.
  [harness, dynamo] = await Promise.all([
    startSnapshotHarness(snapshotScenario({ targets: [] })),
    startLocalDynamo(),
  ]);
});

afterEach(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

// One database in each Region.
const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-broken-db'] } });

/** The CLI's `snapshot` with the idempotency table, narrowed to `regions` as `--region` does. */
function cliJob(regions?: readonly string[]) {
  const deps = harness.deps(policy, regions);
  return idempotentSnapshotJob(
    (asked: SnapshotRequest) => runSnapshotJob(asked, deps),
    {
      tableName: dynamo.tableName,
      client: dynamo.client,
      waitForFirstMs: 30_000,
      longestRunMs: 30_000,
      pollMs: 100,
    },
    {
      readinessMaxAgeHours: 24,
      retentionDays: policy.snapshots.expiryDays,
      clouds: deps.clouds,
      selection: policy.targets,
    },
  );
}

const request: SnapshotRequest = {
  requestId: 'ticket:CHG-77',
  ticket: 'CHG-77',
  reason: 'CA rotation',
  requestedBy: 'U1',
};

const outcomes = (result: { results: readonly { target: { id: string }; outcome: string }[] }) =>
  result.results
    .map((entry): [string, string] => [entry.target.id, entry.outcome])
    .sort(([a], [b]) => a.localeCompare(b));

describe('a request id asked in one Region, then in all', () => {
  it('snapshots the databases the first ask did not cover and adopts the one it did, when asked again in every Region', async () => {
    // Prepare: the ticket asked in eu-west-1 only snapshots certctl-prod-db.
    const narrow = await cliJob(['eu-west-1'])(request);

    // Act: the same ticket in every Region the policy names.
    const wide = await cliJob()(request);

    // Assess: certctl-broken-db (us-east-1) gets its snapshot; certctl-prod-db's is the first ask's.
    expect(outcomes(narrow)).toEqual([['certctl-prod-db', 'available']]);
    expect(outcomes(wide)).toEqual([
      ['certctl-broken-db', 'available'],
      ['certctl-prod-db', 'available'],
    ]);
    expect(wide.problems).toEqual([]);
    expect(wide.results.find((entry) => entry.target.id === 'certctl-prod-db')?.snapshotId).toBe(
      narrow.results[0]?.snapshotId,
    );
    expect(harness.rds.snapshots.createCalls).toBe(2);
  });

  it('replays the wider run, creating nothing, when every Region is asked again', async () => {
    // Prepare
    await cliJob(['eu-west-1'])(request);
    const wide = await cliJob()(request);

    // Act
    const again = await cliJob()(request);
    const narrowAgain = await cliJob(['eu-west-1'])(request);

    // Assess
    expect(again.results).toEqual(wide.results);
    expect(outcomes(narrowAgain)).toEqual([['certctl-prod-db', 'available']]);
    expect(harness.rds.snapshots.createCalls).toBe(2);
  });

  it('says the Region it could not read, never an answer for every database, when the wider ask cannot read one', async () => {
    // Prepare: the narrower ask's record; then us-east-1 is out.
    await cliJob(['eu-west-1'])(request);
    harness.sim.setFaults({ downRegions: ['us-east-1'] });

    // Act
    const wide = await cliJob()(request);

    // Assess: certctl-prod-db's snapshot, and us-east-1 named as not read (exit 2), not a clean answer.
    expect(outcomes(wide)).toEqual([['certctl-prod-db', 'available']]);
    expect(wide.problems.join('\n')).toContain('us-east-1');
    expect(harness.rds.snapshots.createCalls).toBe(1);
  });
});
