/**
 * The `snapshot` and `readiness` Lambdas' plain functions against the simulator and dynalite.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownAccountPolicy } from '../../../functions/actions/snapshot/backend.ts';
import { readinessLambda } from '../../../functions/handlers/aws/readiness.ts';
import {
  isMaintenanceTrigger,
  parseSnapshotEvent,
  snapshotLambda,
} from '../../../functions/handlers/aws/snapshot.ts';
import {
  fastPolicy,
  type SnapshotHarness,
  snapshotLambdaDeps,
  startSnapshotHarness,
} from '../../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../../jobs/dynalite.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeAll(async () => {
  [harness, dynamo] = await Promise.all([startSnapshotHarness(), startLocalDynamo()]);
});

afterAll(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

function deps() {
  const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
  return snapshotLambdaDeps(harness, dynamo, policy, new Metrics({ namespace: 'Test' }));
}

describe('snapshot Lambda', () => {
  it('returns the first result and creates nothing when the asynchronous invocation is delivered twice', async () => {
    // Prepare
    const event = { requestId: 'chatops-1', reason: 'CA rotation', requestedBy: 'U1' };

    // Act
    const first = await snapshotLambda(event, deps());
    const creates = harness.rds.snapshots.createCalls;
    const second = await snapshotLambda(event, deps());

    // Assess
    expect(first.counts.available).toBe(1);
    expect(second).toEqual(first);
    expect(harness.rds.snapshots.createCalls).toBe(creates);
  });

  it('takes the next attempt instead of replaying the failure, once for concurrent re-sends, when the request is sent again after its snapshot failed', async () => {
    // Prepare
    const broken = { id: 'certctl-broken-db', region: 'us-east-1' };
    const policy = fastPolicy({ targets: { tags: [], identifiers: [broken.id] } });
    const brokenDeps = () => snapshotLambdaDeps(harness, dynamo, policy, new Metrics({ namespace: 'Test' }));
    const event = { requestId: 'chatops-failed-1', reason: 'CA rotation', requestedBy: 'U1' };
    const first = await snapshotLambda(event, brokenDeps());
    const creates = harness.rds.snapshots.createCalls;
    harness.rds.snapshots.setFailing(broken, false);
    try {
      // Sent again later than the first finished (here at least at another millisecond).
      await sleep(2);

      // Act
      const [again, concurrent] = await Promise.all([
        snapshotLambda(event, brokenDeps()),
        snapshotLambda(event, brokenDeps()),
      ]);
      await sleep(2);
      const afterSuccess = await snapshotLambda(event, brokenDeps());

      // Assess
      expect(first.results[0]).toMatchObject({ outcome: 'failed', error: { code: 'SnapshotFailed' } });
      expect(again.results[0]).toMatchObject({
        outcome: 'available',
        snapshotId: `${first.results[0]?.snapshotId}-a2`,
      });
      expect(concurrent).toEqual(again);
      expect(afterSuccess).toEqual(again);
      expect(harness.rds.snapshots.createCalls).toBe(creates + 1);
    } finally {
      harness.rds.snapshots.setFailing(broken, true);
    }
  });

  it('says an EventBridge rule event that is no maintenance notice is not a snapshot request', () => {
    // Act / Assess: AWS Health and RDS events start the maintenance scan; a rule's scheduled event
    // (source aws.events) is neither that nor a request.
    expect(() =>
      parseSnapshotEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
    ).toThrow(
      'snapshot input is an EventBridge event (source aws.events, detail-type "Scheduled Event"), not the input it runs with: an EventBridge rule that targets it must pass constant JSON (Input) such as {}, as the deployed EventBridge Scheduler schedule does',
    );
  });

  it('says an SNS notification is not a snapshot request, naming the request fields, and repeats no topic that is no ARN', () => {
    // Prepare: an RDS event subscription's topic with the snapshot Lambda subscribed to it.
    const event = {
      Records: [
        { EventSource: 'aws:sns', Sns: { TopicArn: 'arn:aws:sns:EXAMPLE\nforged line', Message: '{}' } },
      ],
    };

    // Act / Assess
    expect(() => parseSnapshotEvent(event)).toThrow(
      'snapshot input is an SNS notification, not the input it runs with: it takes a JSON object of its own fields (requestId, reason, ticket, requestedBy, targets, wait, maintenanceEvent), and a topic cannot send one (the function receives the notification itself); invoke it with that JSON directly or from an EventBridge Scheduler schedule (Input), as the deployed schedule does',
    );
  });

  it('refuses an event whose reason holds an invisible or control character, as chat does', () => {
    // Prepare
    const event = (reason: string) => ({ requestId: 'r-1', reason, requestedBy: 'U1' });

    // Act / Assess
    expect(() => parseSnapshotEvent(event('CA \u202erotation'))).toThrow(
      'snapshot input is invalid: reason: holds a character nobody reading it would see (U+202E); type the reason again without it',
    );
    expect(() => parseSnapshotEvent(event('\u200b'))).toThrow('(U+200B)');
    expect(parseSnapshotEvent(event('CA rotation\n\tstep 2'))).toMatchObject({
      reason: 'CA rotation\n\tstep 2',
    });
  });

  it('refuses an event whose ticket or request id holds an invisible, control or line-break character, which its tag would not keep', () => {
    // Prepare: a ticket that reads as CHG-42 (a zero-width space), a request id with a tab.
    const event = (fields: Record<string, string>) => ({
      requestId: 'r-1',
      reason: 'CA rotation',
      requestedBy: 'U1',
      ...fields,
    });

    // Act / Assess
    expect(() => parseSnapshotEvent(event({ ticket: 'CHG-42\u200b' }))).toThrow(
      'snapshot input is invalid: ticket: holds a character nobody reading it would see (U+200B); type the ticket again without it',
    );
    expect(() => parseSnapshotEvent(event({ requestId: 'r\t1' }))).toThrow(
      'snapshot input is invalid: requestId: holds a character nobody reading it would see (U+0009); type the request id again without it',
    );
    expect(parseSnapshotEvent(event({ ticket: 'CHG 42' }))).toMatchObject({ ticket: 'CHG 42' });
  });

  it('names the bad field in one line when the event misses the request id', () => {
    // Act / Assess
    expect(() => parseSnapshotEvent({ reason: 'x', requestedBy: 'U1' })).toThrow(
      'snapshot input is invalid: requestId: Invalid input: expected string, received undefined',
    );
  });
});

describe('readiness Lambda', () => {
  it('answers GO after the snapshot Lambda ran when the audit passes', async () => {
    // Act
    const result = await readinessLambda({}, deps());

    // Assess
    expect(result.verdict).toBe('GO');
  });
});

describe('isMaintenanceTrigger', () => {
  it.each([
    [{}, true],
    [undefined, true],
    [{ source: 'aws.health', 'detail-type': 'AWS Health Event' }, true],
    [{ source: 'aws.rds', 'detail-type': 'RDS DB Instance Event' }, true],
    [{ requestId: 'r', reason: 'x', requestedBy: 'U' }, false],
  ])('tells a maintenance trigger from a snapshot request when the event is %j', (event, expected) => {
    // Act / Assess
    expect(isMaintenanceTrigger(event)).toBe(expected);
  });
});

describe('ownAccountPolicy (the snapshot Lambda, chat and the CLI writes)', () => {
  it('snapshots only its own account', () => {
    // Prepare
    const policy = fastPolicy({
      aws: {
        regions: ['eu-west-1'],
        accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/member' }],
      },
      snapshots: { waitMinutes: 60 },
    });

    // Act
    const own = ownAccountPolicy(policy);

    // Assess
    expect(own.aws.accounts).toEqual([]);
    expect(own.snapshots).toEqual(policy.snapshots);
  });
});
