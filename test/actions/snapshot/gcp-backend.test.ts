/**
 * The Cloud SQL snapshot backend's poll over a fake Cloud SQL Admin API: once the backup's
 * operation is DONE without an error, the backup run's own status decides what the snapshot is,
 * and a run whose status is not known is never claimed available.
 */
import { describe, expect, it } from 'vitest';
import { type BackendSnapshot, listedForRequest } from '../../../functions/actions/snapshot/backend.ts';
import {
  cloudSqlSnapshotBackend,
  describeBackup,
  parseBackupDescription,
} from '../../../functions/actions/snapshot/gcp.ts';
import {
  RATE_LIMIT_OR_QUOTA,
  requestIdTag,
  type SnapshotTarget,
  snapshotIdentifier,
} from '../../../functions/actions/snapshot/model.ts';
import { takeSnapshots } from '../../../functions/actions/snapshot/run.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import type { CloudSqlBackupsApi } from '../../../functions/gcp/cloud-sql-backups.ts';

const PROJECT = 'proj';
const SNAPSHOT_ID = 'bg-certctl-pg-chg-42';
const RUN_ID = '1800000000001';

/** A fake API whose operation is DONE (no error) and whose listing holds `runs`. */
function fakeApi(
  runs: Record<string, unknown>[],
  backupId: string | null = RUN_ID,
  operationStatus: string | number = 'DONE',
): CloudSqlBackupsApi {
  return {
    insert: async () => [{}],
    delete: async () => [{}],
    getOperation: async () => [
      {
        name: 'op-1',
        status: operationStatus,
        ...(backupId ? { backupContext: { backupId } } : {}),
      } as never,
    ],
    list: async () => [{ items: runs as never }],
    getInstance: async () => {
      throw new Error('instances.get is not read in these tests');
    },
    // backupRuns.get: the run of that id, else NOT_FOUND (gRPC code 5) as Cloud SQL answers.
    get: async (request) => {
      const found = runs.find((candidate) => String(candidate.id) === String(request.id));
      if (!found) throw Object.assign(new Error('The backup run does not exist.'), { code: 5 });
      return [found as never];
    },
  };
}

const run = (status: string | undefined, more: Record<string, unknown> = {}) => ({
  id: RUN_ID,
  instance: 'certctl-pg',
  type: 'ON_DEMAND',
  ...(status ? { status } : {}),
  description: describeBackup(SNAPSHOT_ID, { ticket: 'CHG-42', 'request-id': 'ticket:CHG-42' }),
  startTime: '2026-12-03T07:00:00Z',
  ...more,
});

const pending: BackendSnapshot = {
  id: SNAPSHOT_ID,
  kind: 'cloudsql-instance',
  target: 'certctl-pg',
  status: 'creating',
  tags: { ticket: 'CHG-42', 'request-id': 'ticket:CHG-42' },
  handle: 'op-1',
};

async function pollOnce(api: CloudSqlBackupsApi): Promise<BackendSnapshot | undefined> {
  const [state] = await cloudSqlSnapshotBackend(api, PROJECT).poll([pending]);
  return state;
}

describe('Cloud SQL snapshot backend: a DONE backup operation', () => {
  it('is available when its backup run says SUCCESSFUL', async () => {
    const state = await pollOnce(fakeApi([run('SUCCESSFUL')]));
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'available', handle: `run:${RUN_ID}` });
  });

  it('is failed, never available, when its backup run says FAILED, with the run error as the reason', async () => {
    const state = await pollOnce(
      fakeApi([run('FAILED', { error: { code: 'BACKUP_FAILED', message: 'disk full' } })]),
    );
    expect(state?.status).toBe('failed');
    expect(state?.failure).toContain('disk full');
  });

  it('is failed when its backup run says SKIPPED (numeric enums, as the REST fallback sends them)', async () => {
    // SqlBackupRunStatus SKIPPED = 6 in the protos.
    const state = await pollOnce(fakeApi([run(undefined, { status: 6 })]));
    expect(state?.status).toBe('failed');
  });

  it('is not claimed available when the backup run is not listed, nor when its status is unknown', async () => {
    expect((await pollOnce(fakeApi([])))?.status).not.toBe('available');
    expect((await pollOnce(fakeApi([run(undefined)])))?.status).not.toBe('available');
    expect((await pollOnce(fakeApi([run('RUNNING')])))?.status).toBe('creating');
  });

  // SqlBackupRunStatus: UNSPECIFIED "The status of the run is unknown"; OVERDUE "overdue across a
  // given backup window. Indicates a problem" (Cloud SQL Admin v1 reference). Neither is a run being
  // created: waiting on one ends only at the deadline, and readiness would say to wait for it.
  it.each([
    ['OVERDUE', 'OVERDUE'],
    ['SQL_BACKUP_RUN_STATUS_UNSPECIFIED', 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED'],
    [0, 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED'],
    [2, 'OVERDUE'],
    [42, 'BACKUPRUNSTATUS_42'],
    // "The backup deletion failed": still there, not counted, and pruned again once expired.
    [8, 'DELETION_FAILED'],
    [undefined, 'not sent'],
  ] as const)(
    'is failed, neither available nor being created, when its backup run says %s',
    async (status, said) => {
      const state = await pollOnce(fakeApi([run(undefined, status === undefined ? {} : { status })]));
      expect(state?.status).toBe('failed');
      expect(state?.failure).toContain(said);
      const [listed] = await cloudSqlSnapshotBackend(
        fakeApi([run(undefined, status === undefined ? {} : { status })]),
        PROJECT,
      ).listManual('cloudsql-instance', [{ id: 'certctl-pg' } as never]);
      expect(listed?.status).toBe('failed');
    },
  );

  it('is being created while its backup run is ENQUEUED or RUNNING', async () => {
    expect((await pollOnce(fakeApi([run('ENQUEUED')])))?.status).toBe('creating');
    expect((await pollOnce(fakeApi([run(undefined, { status: 3 })])))?.status).toBe('creating');
  });

  it('is judged by its run found by description when the operation names no backup id', async () => {
    expect((await pollOnce(fakeApi([run('FAILED')], null)))?.status).toBe('failed');
    expect((await pollOnce(fakeApi([run('SUCCESSFUL')], null)))?.status).toBe('available');
    expect((await pollOnce(fakeApi([], null)))?.status).not.toBe('available');
  });
});

describe('Cloud SQL snapshot backend: a run that carries our id but that we did not start', () => {
  // Anyone who may create backups can write any description: a run carrying our id under another
  // request id (or none) is not ours by the tag rules, and the run we started or adopted, once
  // gone, is gone, whatever run carries its id since.
  const OTHER_RUN = '1800000000002';
  const ourTags = { ticket: 'CHG-42', 'request-id': 'ticket:CHG-42' };
  const ours = { ...pending, tags: ourTags };
  const carrying = (requestTags: Record<string, string>) =>
    run('SUCCESSFUL', { id: OTHER_RUN, description: describeBackup(SNAPSHOT_ID, requestTags) });

  it('is not reported when our own run is gone, whatever run carries our id and tags now', async () => {
    // Prepare: our run (its id known) was deleted; another run carries our id.
    const adopted = { ...ours, status: 'creating' as const, handle: `run:${RUN_ID}` };
    const backend = (runs: Record<string, unknown>[]) => cloudSqlSnapshotBackend(fakeApi(runs), PROJECT);

    // Act
    const [crafted] = await backend([carrying({ ticket: 'CHG-42', 'request-id': 'ticket:CHG-7' })]).poll([
      adopted,
    ]);
    const [sameTags] = await backend([carrying(ourTags)]).poll([adopted]);
    const [stillThere] = await backend([run('SUCCESSFUL'), carrying(ourTags)]).poll([adopted]);

    // Assess
    expect(crafted).toBeUndefined();
    expect(sameTags).toBeUndefined();
    expect(stillThere).toMatchObject({ status: 'available', handle: `run:${RUN_ID}` });
  });

  it('is not adopted as ours when the operation names no run and the run carries another request id', async () => {
    // Act
    const [crafted] = await cloudSqlSnapshotBackend(
      fakeApi([carrying({ ticket: 'CHG-42', 'request-id': 'ticket:CHG-7' })], null),
      PROJECT,
    ).poll([ours]);
    const [untagged] = await cloudSqlSnapshotBackend(
      fakeApi([carrying({ ticket: 'CHG-42' })], null),
      PROJECT,
    ).poll([ours]);
    const [own] = await cloudSqlSnapshotBackend(fakeApi([carrying(ourTags)], null), PROJECT).poll([ours]);

    // Assess: never available through a run that is not ours; ours is.
    expect(crafted?.status).not.toBe('available');
    expect(crafted?.handle).not.toBe(`run:${OTHER_RUN}`);
    expect(untagged?.status).not.toBe('available');
    expect(own).toMatchObject({ status: 'available', handle: `run:${OTHER_RUN}` });
  });
});

describe('Cloud SQL snapshot backend: a backup operation whose status is not PENDING, RUNNING or DONE', () => {
  // SqlOperationStatus SQL_OPERATION_STATUS_UNSPECIFIED: "The state of the operation is unknown"
  // (Cloud SQL Admin v1 reference); a number the protos do not know is no documented state either.
  // Neither is an operation known to be running: the backup run's own status says what the backup is.
  it.each(['SQL_OPERATION_STATUS_UNSPECIFIED', 0, 9])(
    'is judged by its backup run (operation status %s)',
    async (status) => {
      expect((await pollOnce(fakeApi([run('SUCCESSFUL')], RUN_ID, status)))?.status).toBe('available');
      expect((await pollOnce(fakeApi([run('FAILED')], RUN_ID, status)))?.status).toBe('failed');
      expect((await pollOnce(fakeApi([run('RUNNING')], RUN_ID, status)))?.status).toBe('creating');
      expect((await pollOnce(fakeApi([], RUN_ID, status)))?.status).toBe('creating');
    },
  );

  it('is still being created while the operation is PENDING or RUNNING, whatever the run says', async () => {
    expect((await pollOnce(fakeApi([run('SUCCESSFUL')], RUN_ID, 'PENDING')))?.status).toBe('creating');
    expect((await pollOnce(fakeApi([run('SUCCESSFUL')], RUN_ID, 2)))?.status).toBe('creating');
  });
});

describe('Cloud SQL snapshot backend: a snapshot read again', () => {
  const ref = `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/certctl-pg/backupRuns/${RUN_ID}`;
  const named = { id: SNAPSHOT_ID, kind: 'cloudsql-instance' as const, target: 'certctl-pg', ref };
  const backend = (api: CloudSqlBackupsApi) => cloudSqlSnapshotBackend(api, PROJECT);

  it('reads its backup run by id (backupRuns.get), one call, and says whether it is available', async () => {
    // Prepare
    const api = fakeApi([run('SUCCESSFUL')]);
    const gets: unknown[] = [];
    const get = api.get;
    const counting: CloudSqlBackupsApi = {
      ...api,
      get: (request) => {
        gets.push(request);
        return get(request);
      },
      list: async () => {
        throw new Error('listed');
      },
    };

    // Act
    const state = await cloudSqlSnapshotBackend(counting, PROJECT).describe(named);

    // Assess
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'available' });
    expect(gets).toEqual([{ project: PROJECT, instance: 'certctl-pg', id: RUN_ID }]);
  });

  it('is undefined when the run is gone (NOT_FOUND) or is another snapshot’s, and throws any other error', async () => {
    expect(await backend(fakeApi([])).describe(named)).toBeUndefined();
    expect(
      await backend(
        fakeApi([run('SUCCESSFUL', { description: describeBackup('someone-else', {}) })]),
      ).describe(named),
    ).toBeUndefined();
    const failing: CloudSqlBackupsApi = {
      ...fakeApi([]),
      get: async () => {
        throw Object.assign(new Error('The service is currently unavailable.'), { code: 14 });
      },
    };
    await expect(backend(failing).describe(named)).rejects.toThrow('The service is currently unavailable.');
  });

  it('is found by its id in the instance’s runs when the result names no run', async () => {
    const { ref: _none, ...withoutRef } = named;
    const state = await cloudSqlSnapshotBackend(fakeApi([run('DELETION_PENDING')]), PROJECT).describe({
      ...withoutRef,
      requestId: 'ticket:CHG-42',
    });
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'deleting' });
  });

  it('is never a run not ours when the result names no run: one carrying our id under another request id, or none', async () => {
    // Prepare: a backup someone else made, its description written in our format with our
    // snapshot's id (a description is free text), under another request id or none.
    const { ref: _none, ...withoutRef } = named;
    const asked = { ...withoutRef, requestId: 'ticket:CHG-42' };
    const foreign = (tags: Record<string, string>) =>
      fakeApi([run('SUCCESSFUL', { id: '1800000000009', description: describeBackup(SNAPSHOT_ID, tags) })]);

    // Act
    const otherRequest = await backend(foreign({ ticket: 'CHG-42', 'request-id': 'ticket:CHG-7' })).describe(
      asked,
    );
    const noRequest = await backend(foreign({ ticket: 'CHG-42' })).describe(asked);
    const requestNotKnown = backend(foreign({ 'request-id': 'ticket:CHG-42' })).describe(withoutRef);

    // Assess: not ours, so not found; and with no request id to tell ours, not read, never "found".
    expect(otherRequest).toBeUndefined();
    expect(noRequest).toBeUndefined();
    await expect(requestNotKnown).rejects.toThrow(/request/);
  });
});

describe('Cloud SQL snapshot backend: a backup refused for the instance state', () => {
  const target = (status: string | undefined) => ({
    provider: 'gcp' as const,
    kind: 'cloudsql-instance' as const,
    account: PROJECT,
    region: 'europe-west1',
    id: 'certctl-pg',
    ...(status ? { status } : {}),
  });
  // HTTP 400 "Invalid request since instance is not running." (gRPC FAILED_PRECONDITION = 9).
  const notRunning = Object.assign(new Error('Invalid request since instance is not running.'), { code: 9 });
  const backend = cloudSqlSnapshotBackend(fakeApi([]), PROJECT);

  it.each([
    ['STOPPED', 'unavailable'],
    ['SUSPENDED', 'unavailable'],
    ['FAILED', 'unavailable'],
    ['MAINTENANCE', 'busy'],
    ['PENDING_CREATE', 'busy'],
    ['REPAIRING', 'busy'],
    // Deprecated, but still an enum value the API may send: maintenance that ends on its own.
    ['ONLINE_MAINTENANCE', 'busy'],
    ['RUNNABLE', 'other'],
    [undefined, 'other'],
  ] as const)('treats the refusal of a %s instance as %s', (status, kind) => {
    expect(backend.classify(notRunning, target(status))).toBe(kind);
  });

  it('says how to start a stopped instance', () => {
    expect(backend.unavailableAdvice?.(target('STOPPED'))).toContain(
      'gcloud sql instances patch certctl-pg --project=proj --activation-policy=ALWAYS',
    );
  });

  it('names the suspensionReason the API sent, and its fix, when a suspended instance refuses a backup', () => {
    // Prepare
    const suspended = (suspensionReasons?: string[]) => ({
      ...target('SUSPENDED'),
      ...(suspensionReasons ? { suspensionReasons } : {}),
    });

    // Act
    const key = backend.unavailableAdvice?.(suspended(['KMS_KEY_ISSUE'])) ?? '';
    const billing = backend.unavailableAdvice?.(suspended(['BILLING_ISSUE'])) ?? '';
    const legal = backend.unavailableAdvice?.(suspended(['LEGAL_ISSUE'])) ?? '';
    const none = backend.unavailableAdvice?.(suspended()) ?? '';

    // Assess: the key's fix for KMS_KEY_ISSUE, billing for BILLING_ISSUE, Google for the others.
    expect(key).toContain('suspensionReason KMS_KEY_ISSUE: the key is revoked or denied access to');
    expect(key).toContain('enable or restore it, or give the Cloud SQL service agent access to it again');
    expect(billing).toContain('suspensionReason BILLING_ISSUE');
    expect(billing).toContain('Cloud Billing account of project proj');
    expect(billing).not.toContain('Cloud KMS');
    expect(legal).toContain('suspensionReason LEGAL_ISSUE');
    expect(legal).toContain('with Google');
    expect(none).toContain('no suspensionReason was sent');
    expect(none).toContain('gcloud sql instances describe certctl-pg --project=proj');
  });

  it('names the reason read again when an instance listed in maintenance is suspended by the time its backup is refused', async () => {
    // Prepare: listed MAINTENANCE (busy); backupRuns.insert refused as not running; instances.get
    // answers SUSPENDED (2) for KMS_KEY_ISSUE (5), as the API sends the enums.
    const api: CloudSqlBackupsApi = {
      ...fakeApi([]),
      insert: async () => {
        throw notRunning;
      },
      getInstance: async () => [{ name: 'certctl-pg', state: 2, suspensionReason: [5] } as never],
    };

    // Act
    const [result] = await takeSnapshots(
      { requestId: 'CHG-42', reason: 'before maintenance', requestedBy: 'test' },
      [target('MAINTENANCE')],
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 1 } }).snapshots,
        backendFor: () => cloudSqlSnapshotBackend(api, PROJECT),
        now: () => new Date(0),
        sleep: async () => {},
      },
    );

    // Assess: answered at once, with the reason the second read sent.
    expect(result?.outcome).toBe('error');
    expect(result?.attempts).toBe(1);
    expect(result?.error?.message).toContain('is SUSPENDED, a state it does not leave on its own');
    expect(result?.error?.message).toContain('suspensionReason KMS_KEY_ISSUE');
  });
});

describe('Cloud SQL snapshot backend: a backup whose state cannot be read', () => {
  it('names the read that failed at the deadline, not "still creating", while the other backup of the scope is read', async () => {
    // Prepare: two instances of one project; operations.get of one backup's operation is refused
    // (HTTP 403, gRPC PERMISSION_DENIED = 7), the other's answers RUNNING at every poll.
    const api: CloudSqlBackupsApi = {
      ...fakeApi([]),
      insert: async (call) => [{ name: `op-${call.instance}`, status: 'PENDING' } as never],
      getOperation: async (call) => {
        if (call.operation === 'op-denied-pg') {
          throw Object.assign(new Error('The client is not authorized to make this request.'), { code: 7 });
        }
        return [{ name: call.operation, status: 'RUNNING' } as never];
      },
    };
    const target = (id: string): SnapshotTarget => ({
      provider: 'gcp',
      kind: 'cloudsql-instance',
      account: PROJECT,
      region: 'europe-west1',
      id,
    });
    let t = 0;

    // Act
    const results = await takeSnapshots(
      { requestId: 'CHG-42', reason: 'before maintenance', requestedBy: 'test' },
      [target('denied-pg'), target('read-pg')],
      {
        policy: parsePolicy({ snapshots: { waitMinutes: 1 } }).snapshots,
        backendFor: () => cloudSqlSnapshotBackend(api, PROJECT),
        now: () => new Date(t),
        sleep: async (ms) => {
          t += ms;
        },
      },
    );

    // Assess: outcome and code stay creating / DeadlineExceeded for both; only the wording differs.
    const denied = results.find((result) => result.target.id === 'denied-pg');
    const read = results.find((result) => result.target.id === 'read-pg');
    expect(denied).toMatchObject({ outcome: 'creating', error: { code: 'DeadlineExceeded' } });
    expect(denied?.error?.message).toMatch(
      /^\S+ was last seen creating; the last read of its state before the deadline, 1 minute after the wait began, failed \(PERMISSION_DENIED: The client is not authorized to make this request\.\); it may still complete$/,
    );
    expect(read).toMatchObject({ outcome: 'creating', error: { code: 'DeadlineExceeded' } });
    expect(read?.error?.message).toMatch(
      /^\S+ still creating at the deadline, 1 minute after the wait began; it may still complete$/,
    );
  });
});

describe('Cloud SQL snapshot backend: a request id holding `=` or `;`', () => {
  // A description separates its pairs with `; ` and `=`; a request id holding either is carried
  // whole (describeBackup escapes what would split it), and a backup an earlier version described,
  // with both stored as `_`, is still this request's, however it is found.
  const requestId = 'slack:T1;C2=U3';
  const tags = { ticket: 'CHG-42', 'request-id': requestIdTag(requestId) };
  const taken = run('SUCCESSFUL', { description: describeBackup(SNAPSHOT_ID, tags) });

  it('finds its own backup by description when polled and the operation names no run', async () => {
    const [state] = await cloudSqlSnapshotBackend(fakeApi([taken], null), PROJECT).poll([
      { ...pending, tags },
    ]);
    expect(state).toMatchObject({ status: 'available', handle: `run:${RUN_ID}` });
  });

  it('reads the request id of a listed backup back as tagged, and takes it for this request', () => {
    // The run's busy path tells a duplicate delivery's backup from another request's by it (run.ts).
    const backend = cloudSqlSnapshotBackend(fakeApi([]), PROJECT);
    const listed = parseBackupDescription(describeBackup(SNAPSHOT_ID, tags));
    expect(listed?.tags['request-id']).toBe('slack:T1_C2=U3');
    expect(listedForRequest(backend, listed?.tags['request-id'], requestId)).toBe(true);
    expect(listedForRequest(backend, listed?.tags['request-id'], 'slack:T1_C2_U3')).toBe(false);
  });

  it('takes the request id of a backup an earlier version described (`=` stored as `_`) for this request', () => {
    const backend = cloudSqlSnapshotBackend(fakeApi([]), PROJECT);
    expect(listedForRequest(backend, 'slack:T1_C2_U3', requestId)).toBe(true);
    expect(listedForRequest(backend, 'slack:T1_C2_U4', requestId)).toBe(false);
    expect(listedForRequest(backend, undefined, requestId)).toBe(false);
  });

  it('finds its own backup, described by an earlier version, when read again with no run named', async () => {
    const earlier = run('SUCCESSFUL', {
      description: `certctl-pre-maintenance; id=${SNAPSHOT_ID}; request-id=slack:T1_C2_U3; ticket=CHG-42`,
    });
    const state = await cloudSqlSnapshotBackend(fakeApi([earlier]), PROJECT).describe({
      id: SNAPSHOT_ID,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      requestId,
    });
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'available' });
  });

  it('finds its own backup by description when read again with no run named', async () => {
    const state = await cloudSqlSnapshotBackend(fakeApi([taken]), PROJECT).describe({
      id: SNAPSHOT_ID,
      kind: 'cloudsql-instance',
      target: 'certctl-pg',
      requestId,
    });
    expect(state).toMatchObject({ id: SNAPSHOT_ID, status: 'available' });
  });
});

describe('Cloud SQL snapshot backend: a backup refused with RESOURCE_EXHAUSTED', () => {
  // Google sends RESOURCE_EXHAUSTED for a quota and for a rate limit alike; only the ErrorInfo
  // reason tells them apart (core/errors.ts isRateLimit).
  const refusedWith = async (error: Error) => {
    const api: CloudSqlBackupsApi = {
      ...fakeApi([]),
      insert: async () => {
        throw error;
      },
    };
    const [result] = await takeSnapshots(
      { requestId: 'CHG-42', reason: 'before maintenance', requestedBy: 'test' },
      [{ provider: 'gcp', kind: 'cloudsql-instance', account: PROJECT, region: 'europe-west1', id: 'pg' }],
      {
        policy: parsePolicy({}).snapshots,
        backendFor: () => cloudSqlSnapshotBackend(api, PROJECT),
        sleep: async () => undefined,
      },
    );
    return result;
  };

  it('says a rate limit or a quota, not said which, only when Google gave no reason', async () => {
    // Act
    const unexplained = await refusedWith(
      Object.assign(new Error('8 RESOURCE_EXHAUSTED: Resource has been exhausted'), { code: 8 }),
    );
    const quota = await refusedWith(
      Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded'), {
        code: 8,
        reason: 'RESOURCE_QUOTA_EXCEEDED',
      }),
    );

    // Assess
    expect(unexplained?.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', rateLimitOrQuota: true });
    expect(quota?.error?.code).toBe('RESOURCE_EXHAUSTED');
    expect(quota?.error).not.toHaveProperty('rateLimitOrQuota');
  });

  it('carries the words the terminal prints for it in the result a JSON consumer reads', async () => {
    // Act
    const unexplained = await refusedWith(
      Object.assign(new Error('8 RESOURCE_EXHAUSTED: Resource has been exhausted'), { code: 8 }),
    );
    const quota = await refusedWith(
      Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded'), {
        code: 8,
        reason: 'RESOURCE_QUOTA_EXCEEDED',
      }),
    );
    const printed = JSON.parse(JSON.stringify(unexplained)) as typeof unexplained;

    // Assess: the same sentence the CLI's text adds after the message, and none where Google said which.
    expect(printed?.error?.explanation).toBe(`${RATE_LIMIT_OR_QUOTA.what}. ${RATE_LIMIT_OR_QUOTA.advice}`);
    expect(quota?.error).not.toHaveProperty('explanation');
  });
});

describe('Cloud SQL snapshot action: a backup carrying this request’s snapshot id under another request', () => {
  // A description is free text anyone who may create backups can write: a run carrying the id this
  // request gives its backup, but another request id (or none), is not this request's backup.
  const target: SnapshotTarget = {
    provider: 'gcp',
    kind: 'cloudsql-instance',
    account: PROJECT,
    region: 'europe-west1',
    id: 'certctl-pg',
    // Sent, so a run of its name is told to be of this instance (none here was taken before it).
    createdAt: '2000-01-01T00:00:00Z',
  };
  const request = { requestId: 'ticket:CHG-42', reason: 'CA rotation', requestedBy: 'alice', wait: false };
  const ours = snapshotIdentifier(target, request.requestId);

  it.each([
    ['another request id', { 'request-id': 'ticket:CHG-41' }],
    ['no request id', {}],
  ])('is never adopted as this request’s backup when it carries %s', async (_case, tags) => {
    // Prepare
    const inserted: unknown[] = [];
    const api: CloudSqlBackupsApi = {
      ...fakeApi([run('SUCCESSFUL', { description: describeBackup(ours, tags) })]),
      insert: async (call) => {
        inserted.push(call);
        return [{ name: 'op-ours', insertTime: '2026-12-03T07:00:00Z' } as never];
      },
    };

    // Act
    const [result] = await takeSnapshots(request, [target], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => cloudSqlSnapshotBackend(api, PROJECT),
      sleep: async () => undefined,
    });

    // Assess: not reported as this request's snapshot; the name taken is said, as on RDS.
    expect(result).toMatchObject({ outcome: 'error', error: { code: 'SnapshotNameTaken' } });
    expect(result?.error?.message).toContain(`a snapshot named ${ours} exists but`);
    expect(result?.error?.message).toContain(`not this request (${request.requestId})`);
    expect(inserted).toEqual([]);
  });

  it('is adopted when it carries this request’s id (a re-run)', async () => {
    const api = fakeApi([
      run('SUCCESSFUL', { description: describeBackup(ours, { 'request-id': request.requestId }) }),
    ]);
    const [result] = await takeSnapshots(request, [target], {
      policy: parsePolicy({}).snapshots,
      backendFor: () => cloudSqlSnapshotBackend(api, PROJECT),
      sleep: async () => undefined,
    });
    expect(result).toMatchObject({ outcome: 'available', snapshotId: ours, attempts: 0 });
  });
});
