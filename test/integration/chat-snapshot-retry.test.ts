/**
 * The same snapshot asked again in chat (same ticket and resolved targets, however they were
 * worded: one once-key) after its
 * snapshot failed takes the next attempt instead of replaying the remembered failure, while a
 * delivery accepted before that failure finished (a Slack retry) gets it replayed; once it
 * succeeded, asking again replays the result. Over the real snapshot job against the simulator, with
 * both stores of chat's once-per-request: Powertools on DynamoDB (AWS) and the record store (GCP).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsSnapshotCloud } from '../../functions/actions/snapshot/aws.ts';
import { ownAccountPolicy } from '../../functions/actions/snapshot/backend.ts';
import { snapshotAnswer, snapshotVerdict, statusAnswer } from '../../functions/chatops/answers.ts';
import {
  type CloudChatJobsDependencies,
  cloudChatJobs,
  jobChatActions,
} from '../../functions/chatops/job-actions.ts';
import { type OnceOutcome, type RequestRecordStore, runOncePerKey } from '../../functions/chatops/once.ts';
import { requestKeyOf } from '../../functions/chatops/work.ts';
import { keyOf } from '../../functions/core/digest.ts';
import { oncePerRequestId } from '../../functions/jobs/idempotency.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness, TAG } from './snapshot-support.ts';

let harness: SnapshotHarness;
let dynamo: LocalDynamo;

beforeEach(async () => {
  [harness, dynamo] = await Promise.all([startSnapshotHarness(), startLocalDynamo()]);
});

afterEach(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

/** Records in memory, with the versions the GCP store keeps. */
function memoryRecords(): RequestRecordStore {
  const records = new Map<string, { record: never; version: string }>();
  let versions = 0;
  return {
    async create(key, record) {
      if (records.has(key)) return undefined;
      const version = String(++versions);
      records.set(key, { record: record as never, version });
      return version;
    },
    async read(key) {
      return records.get(key);
    },
    async replace(key, record, version) {
      if (records.get(key)?.version !== version) return false;
      records.set(key, { record: record as never, version: String(++versions) });
      return true;
    },
    async remove(key, version) {
      if (records.get(key)?.version === version) records.delete(key);
    },
  };
}

type Once = <T>(key: string, run: () => Promise<T>) => Promise<OnceOutcome<T>>;

/** Chat's jobs over the harness's AWS fleet, remembering with `once`. */
function awsChatJobs(
  policy: ReturnType<typeof fastPolicy>,
  once: Once,
  options: Pick<CloudChatJobsDependencies, 'snapshotPolicy'> = {},
) {
  const { aws } = harness.readinessDeps(policy);
  const factory = (aws as NonNullable<typeof aws>).factory;
  return cloudChatJobs({
    policy,
    providers: ['aws'],
    clouds: (selection) => [awsSnapshotCloud({ policy: selection, factory, homeRegion: 'eu-west-1' })],
    audit: { aws: aws as NonNullable<typeof aws> },
    once,
    lastAudit: async () => ({ unavailable: 'none' }),
    ...options,
  });
}

const STORES: readonly [string, () => Once][] = [
  [
    'Powertools on DynamoDB',
    () => (key, run) =>
      oncePerRequestId(key, run, {
        tableName: dynamo.tableName,
        client: dynamo.client,
        waitForFirstMs: 5000,
        longestRunMs: 5000,
      }) as never,
  ],
  [
    'the record store',
    () => {
      const store = memoryRecords();
      return (key, run) => runOncePerKey(key, run, store, { keepMs: 86_400_000, claimMs: 60_000 });
    },
  ],
];

/**
 * A policy selecting certctl-prod-db in the function's own account (the simulator's, read with its
 * own credentials) and member account 222222222222, with `extra`.
 */
function withMemberAccount(extra: Parameters<typeof fastPolicy>[0] = {}) {
  return fastPolicy({
    aws: {
      regions: ['eu-west-1', 'us-east-1'],
      accounts: [
        { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/member' },
        { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/member' },
      ],
    },
    targets: { tags: [], identifiers: ['certctl-prod-db'] },
    ...extra,
  });
}

/** Chat snapshots and lists its own account only (as functions/handlers/aws/chat-action.ts). */
const OWN_ACCOUNT_ONLY: Pick<CloudChatJobsDependencies, 'snapshotPolicy'> = {
  snapshotPolicy: ownAccountPolicy,
};

describe('a chat snapshot asked again after its snapshot failed', () => {
  it.each(STORES)(
    'takes the next attempt instead of replaying the failure, then replays the success (%s)',
    async (_name, makeOnce) => {
      // Prepare
      const policy = fastPolicy();
      const jobs = awsChatJobs(policy, makeOnce());
      const request = {
        requestId: 'a'.repeat(64),
        reason: 'CA rotation',
        ticket: 'CHG-7',
        requestedBy: 'slack:T1/U1',
        targets: ['certctl-broken-db'],
        wait: true,
      };
      const ask = async (acceptedAt = new Date().toISOString()) => {
        const outcome = await jobs.snapshotOnce({ ...request, acceptedAt }, () => undefined, undefined);
        if ('inProgress' in outcome) throw new Error('unexpectedly in progress');
        return outcome;
      };

      // Act: a Slack retry accepted with the first, answered after it; then the ticket asked again.
      const acceptedFirst = new Date().toISOString();
      const first = await ask(acceptedFirst);
      const slackRetry = await ask(acceptedFirst);
      harness.rds.snapshots.setFailing({ id: 'certctl-broken-db', region: 'us-east-1' }, false);
      // Asked again later than the first finished (here at least at another millisecond).
      await sleep(2);
      const second = await ask();
      const third = await ask();

      // Assess
      expect(first.result.results[0]?.outcome).toBe('failed');
      expect(slackRetry.firstRun).toBe(false);
      expect(slackRetry.result.results[0]?.snapshotId).toBe(first.result.results[0]?.snapshotId);
      expect(second.firstRun).toBe(true);
      expect(second.result.results[0]).toMatchObject({
        outcome: 'available',
        snapshotId: `${first.result.results[0]?.snapshotId}-a2`,
      });
      expect(third.firstRun).toBe(false);
      expect(third.result.results[0]?.snapshotId).toBe(second.result.results[0]?.snapshotId);
      expect(harness.rds.snapshots.createCalls).toBe(2);
    },
  );
});

describe('a chat snapshot asked again after it succeeded', () => {
  it.each(STORES)(
    'reports the remembered snapshot as stale, not GO, once it is older than readiness accepts (%s)',
    async (_name, makeOnce) => {
      // Prepare: readiness accepts snapshots up to 4 h old; the chat clock moves 10 h between asks.
      const policy = fastPolicy();
      const strict = { ...policy, snapshots: { ...policy.snapshots, readinessMaxAgeHours: 4 } };
      const { aws } = harness.readinessDeps(strict);
      const factory = (aws as NonNullable<typeof aws>).factory;
      let clock = new Date();
      const jobs = cloudChatJobs({
        policy: strict,
        providers: ['aws'],
        clouds: (selection) => [awsSnapshotCloud({ policy: selection, factory, homeRegion: 'eu-west-1' })],
        audit: { aws: aws as NonNullable<typeof aws> },
        once: makeOnce(),
        lastAudit: async () => ({ unavailable: 'none' }),
        now: () => clock,
      });
      harness.rds.snapshots.setFailing({ id: 'certctl-broken-db', region: 'us-east-1' }, false);
      const request = {
        requestId: 'b'.repeat(64),
        reason: 'CA rotation',
        ticket: 'CHG-8',
        requestedBy: 'slack:T1/U1',
        targets: ['certctl-broken-db'],
        wait: true,
      };
      const ask = async () => {
        const outcome = await jobs.snapshotOnce(
          { ...request, acceptedAt: clock.toISOString() },
          () => undefined,
          undefined,
        );
        if ('inProgress' in outcome) throw new Error('unexpectedly in progress');
        return outcome;
      };

      // Act
      const first = await ask();
      const soon = await ask();
      clock = new Date(clock.getTime() + 10 * 3_600_000);
      const later = await ask();

      // Assess: within the age the remembered GO stands; past it, the snapshot no longer proves one.
      expect(first.result.results[0]?.outcome).toBe('available');
      expect(soon).toMatchObject({ firstRun: false });
      expect(soon.result.results[0]?.outcome).toBe('available');
      expect(later.result.results[0]).toMatchObject({
        outcome: 'error',
        snapshotId: first.result.results[0]?.snapshotId,
        error: { code: 'SnapshotStale' },
      });
      expect(harness.rds.snapshots.createCalls).toBe(1);
    },
  );

  it.each(STORES)(
    'answers NO-GO naming the snapshot when it was deleted since, not "snapshot taken" (%s)',
    async (_name, makeOnce) => {
      // Prepare
      const policy = fastPolicy();
      const { aws } = harness.readinessDeps(policy);
      const factory = (aws as NonNullable<typeof aws>).factory;
      const clouds = (selection: typeof policy) => [
        awsSnapshotCloud({ policy: selection, factory, homeRegion: 'eu-west-1' }),
      ];
      const actions = jobChatActions(
        cloudChatJobs({
          policy,
          providers: ['aws'],
          clouds,
          audit: { aws: aws as NonNullable<typeof aws> },
          once: makeOnce(),
          lastAudit: async () => ({ unavailable: 'none' }),
        }),
      );
      const request = {
        requestKey: 'c'.repeat(64),
        targets: ['certctl-prod-db'],
        reason: 'CA rotation',
        ticket: 'CHG-9',
        requestedBy: 'slack:T1/U1',
      };
      const ask = async () => {
        const answer = await actions.snapshot(
          { ...request, acceptedAt: new Date().toISOString() },
          () => undefined,
        );
        if ('inProgress' in answer) throw new Error('unexpectedly in progress');
        return answer;
      };
      const first = await ask();
      const taken = first.targets[0]?.snapshotId ?? '';
      // Pruned, or deleted by hand, after the first answer.
      await clouds(policy)[0]?.backend({ account: '111111111111', region: 'eu-west-1' }).delete({
        id: taken,
        kind: 'rds-instance',
        target: 'certctl-prod-db',
        status: 'available',
        tags: {},
      });

      // Act
      await sleep(2);
      const again = await ask();

      // Assess
      expect(first.targets[0]?.outcome).toBe('available');
      expect(again.firstRun).toBe(false);
      expect(again.targets[0]).toMatchObject({ outcome: 'error', snapshotId: taken });
      expect(again.targets[0]?.error).toContain(`SnapshotGone: ${taken} no longer exists`);
      expect(snapshotAnswer(again, request).text).toBe('Snapshots for CHG-9: NO-GO');
      expect(harness.rds.snapshots.createCalls).toBe(1);
    },
  );

  it.each(STORES)(
    'answers NO-GO naming the earlier database when the database was deleted and created again under its name since (%s)',
    async (_name, makeOnce) => {
      // Prepare
      const policy = fastPolicy();
      const { aws } = harness.readinessDeps(policy);
      const factory = (aws as NonNullable<typeof aws>).factory;
      const actions = jobChatActions(
        cloudChatJobs({
          policy,
          providers: ['aws'],
          clouds: (selection) => [awsSnapshotCloud({ policy: selection, factory, homeRegion: 'eu-west-1' })],
          audit: { aws: aws as NonNullable<typeof aws> },
          once: makeOnce(),
          lastAudit: async () => ({ unavailable: 'none' }),
        }),
      );
      const request = {
        requestKey: 'd'.repeat(64),
        targets: ['certctl-prod-db'],
        reason: 'CA rotation',
        ticket: 'CHG-10',
        requestedBy: 'slack:T1/U1',
      };
      const ask = async () => {
        const answer = await actions.snapshot(
          { ...request, acceptedAt: new Date().toISOString() },
          () => undefined,
        );
        if ('inProgress' in answer) throw new Error('unexpectedly in progress');
        return answer;
      };
      const first = await ask();
      const taken = first.targets[0]?.snapshotId ?? '';
      harness.rds.store.recreateInstance({
        id: 'certctl-prod-db',
        region: 'eu-west-1',
        tags: TAG,
        backupRetentionPeriod: 14,
      });

      // Act
      await sleep(2);
      const again = await ask();

      // Assess
      expect(first.targets[0]?.outcome).toBe('available');
      expect(again.firstRun).toBe(false);
      expect(again.targets[0]).toMatchObject({ outcome: 'error', snapshotId: taken });
      expect(again.targets[0]?.error).toContain(
        `SnapshotOfEarlierDatabase: ${taken} is of an earlier database named certctl-prod-db`,
      );
      expect(snapshotAnswer(again, request).text).toBe('Snapshots for CHG-10: NO-GO');
      expect(harness.rds.snapshots.createCalls).toBe(1);
    },
  );
});

describe('a chat snapshot of the same ticket asked in other words', () => {
  it.each(STORES)(
    'takes one snapshot when no database is named and then every one is, and another for another set (%s)',
    async (_name, makeOnce) => {
      // Prepare: the policy selects two databases; chat keys a request by its wording (work.ts).
      const policy = fastPolicy({
        targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora'] },
      });
      const jobs = awsChatJobs(policy, makeOnce());
      const ask = async (ticket: string, targets: string[]) => {
        const command = { name: 'snapshot' as const, targets, reason: 'CA rotation', ticket };
        const outcome = await jobs.snapshotOnce(
          {
            requestId: requestKeyOf(command, 'slack:T1/U1', 'trigger'),
            reason: 'CA rotation',
            ticket,
            requestedBy: 'slack:T1/U1',
            ...(targets.length > 0 ? { targets } : {}),
            wait: true,
            acceptedAt: new Date().toISOString(),
          },
          () => undefined,
          undefined,
        );
        if ('inProgress' in outcome) throw new Error('unexpectedly in progress');
        return outcome;
      };
      const ids = (outcome: Awaited<ReturnType<typeof ask>>) =>
        outcome.result.results.map((entry) => `${entry.target.id}=${entry.snapshotId}`).sort();

      // Act: the ticket with no database named, then naming both (another case, an ARN-free name).
      const policyWide = await ask('CHG-21', []);
      const named = await ask('CHG-21', ['CERTCTL-AURORA', 'certctl-prod-db']);
      const createsAfterSameSet = harness.rds.snapshots.createCalls;
      const narrower = await ask('CHG-21', ['certctl-prod-db']);

      // Assess: the same resolved set is one request; another set is its own.
      expect(policyWide.firstRun).toBe(true);
      expect(policyWide.result.results.map((entry) => entry.outcome)).toEqual(['available', 'available']);
      expect(named.firstRun).toBe(false);
      expect(ids(named)).toEqual(ids(policyWide));
      expect(createsAfterSameSet).toBe(2);
      expect(narrower.firstRun).toBe(true);
      expect(narrower.result.results.map((entry) => entry.target.id)).toEqual(['certctl-prod-db']);
    },
  );
});

describe('a chat snapshot of every database the policy selects', () => {
  /** The snapshot of every database of `policy`, asked once in chat over `jobs`. */
  const askForAll = async (jobs: ReturnType<typeof awsChatJobs>, ticket: string) => {
    const answer = await jobChatActions(jobs).snapshot(
      {
        requestKey: keyOf([ticket]),
        targets: [],
        reason: 'CA rotation',
        ticket,
        requestedBy: 'slack:T1/U1',
        acceptedAt: new Date().toISOString(),
      },
      () => undefined,
    );
    if ('inProgress' in answer) throw new Error('unexpectedly in progress');
    return answer;
  };

  it.each(STORES)(
    'is not GO when the policy also selects databases in a cloud this chat function does not serve (%s)',
    async (_name, makeOnce) => {
      // Prepare: every database of the AWS side snapshots fine; the policy also names a GCP project.
      const policy = fastPolicy({
        targets: { tags: [], identifiers: ['certctl-prod-db'] },
        gcp: { projects: ['certctl-gcp-prod'] },
      });

      // Act
      const answer = await askForAll(awsChatJobs(policy, makeOnce()), 'CHG-11');

      // Assess: the AWS databases are snapshotted, but the answer does not cover the GCP ones.
      expect(answer.targets.map((target) => target.outcome)).toEqual(['available']);
      expect(snapshotVerdict(answer)).not.toBe('GO');
      expect(answer.problems).toEqual([
        expect.stringContaining(
          'gcp: the policy selects databases there too (gcp.projects certctl-gcp-prod)',
        ),
      ]);
    },
  );

  it.each(STORES)(
    'is not GO when the policy also selects databases in member accounts this function does not snapshot (%s)',
    async (_name, makeOnce) => {
      // Prepare: chat snapshots its own account only.
      const jobs = awsChatJobs(withMemberAccount(), makeOnce(), OWN_ACCOUNT_ONLY);

      // Act
      const answer = await askForAll(jobs, 'CHG-12');

      // Assess
      expect(answer.targets.map((target) => target.outcome)).toEqual(['available']);
      expect(snapshotVerdict(answer)).not.toBe('GO');
      expect(answer.problems).toEqual([expect.stringContaining('aws accounts 222222222222: the policy')]);
    },
  );
});

describe('chat status asked through the AWS chat function', () => {
  it('names the clouds and member accounts of the policy it does not list, in the snapshot answer’s words', async () => {
    // Prepare: the policy also selects a GCP project and a member account; chat lists its own
    // account only.
    const policy = withMemberAccount({ gcp: { projects: ['certctl-gcp-prod'] } });
    const unused: Once = async () => {
      throw new Error('no snapshot in this test');
    };
    const jobs = awsChatJobs(policy, unused, OWN_ACCOUNT_ONLY);

    // Act
    const status = await jobChatActions(jobs).status();
    const text = JSON.stringify(statusAnswer(status).blocks);

    // Assess: the own account's database is listed, and the answer says what it leaves out.
    expect(status.withoutSnapshot?.map((entry) => entry.target)).toEqual(['certctl-prod-db']);
    expect(status.problems).toEqual([
      expect.stringContaining('gcp: the policy selects databases there too (gcp.projects certctl-gcp-prod)'),
      expect.stringContaining('aws accounts 222222222222: the policy selects databases there too'),
    ]);
    expect(text).toContain('gcp: the policy selects databases there too');
    expect(text).toContain('aws accounts 222222222222: the policy selects databases there too');
  });
});
