import { describe, expect, it } from 'vitest';
import type { BackendSnapshot, SnapshotCloud } from '../../functions/actions/snapshot/backend.ts';
import { cloudSqlSnapshotBackend, describeBackup } from '../../functions/actions/snapshot/gcp.ts';
import type {
  SnapshotJobResult,
  SnapshotRequest,
  SnapshotTargetResult,
} from '../../functions/actions/snapshot/model.ts';
import { renderSnapshotResult } from '../../functions/cli/commands/snapshot.ts';
import type { CloudSqlBackupsApi } from '../../functions/gcp/cloud-sql-backups.ts';
import type { RequestOutcome } from '../../functions/jobs/idempotency.ts';
import { snapshotExitCode } from '../../functions/jobs/snapshot.ts';
import { retryKeyOf, snapshotOncePerRequest, withWaitedFor } from '../../functions/jobs/snapshot-once.ts';
import { fakeBackend, UNENCRYPTED_SNAPSHOTS } from '../actions/snapshot/fake-backend.ts';

const FINISHED = '2026-12-03T10:00:00.000Z';
const LATER = '2026-12-03T11:00:00.000Z';
const target = {
  provider: 'aws' as const,
  kind: 'rds-instance' as const,
  account: '111111111111',
  region: 'eu-west-1',
  id: 'certctl-prod-db',
};

function remembered(entries: Partial<SnapshotTargetResult>[], problems: string[] = []): SnapshotJobResult {
  const results = entries.map((entry) => ({
    target,
    outcome: 'available',
    durationMs: 1,
    attempts: 1,
    ...entry,
  }));
  return {
    requestId: 'ticket:CHG-1',
    startedAt: '2026-12-03T09:59:00.000Z',
    finishedAt: FINISHED,
    results: results as SnapshotTargetResult[],
    counts: { available: 0, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
    problems,
  };
}

/** The keys a re-send asked for, given the first run's remembered result (every later key runs anew). */
async function keysAsked(first: SnapshotJobResult, acceptedAt = LATER): Promise<string[]> {
  const keys: string[] = [];
  await snapshotOncePerRequest(
    'ticket:CHG-1',
    acceptedAt,
    async (key): Promise<RequestOutcome<SnapshotJobResult>> => {
      keys.push(key);
      return key === 'ticket:CHG-1' ? { firstRun: false, result: first } : { firstRun: true, result: first };
    },
  );
  return keys;
}

const retried = ['ticket:CHG-1', retryKeyOf('ticket:CHG-1', FINISHED)];
const replayed = ['ticket:CHG-1'];

describe('snapshotOncePerRequest', () => {
  it('refuses a remembered result of the request id for other targets, and replays one for the same or one recorded without them', async () => {
    // Prepare
    const ask = (first: SnapshotJobResult, targets?: string[]) =>
      snapshotOncePerRequest(
        'ticket:CHG-1',
        FINISHED,
        async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
        { asked: { targets } },
      );
    const forProd = { ...remembered([{}]), requestedTargets: ['certctl-prod-db'] };
    const forPolicy = { ...remembered([{}]), requestedTargets: null };

    // Act / Assess
    await expect(ask(forProd, ['certctl-ra-db'])).rejects.toThrow(
      /ticket:CHG-1 was used at .* for certctl-prod-db; this request names certctl-ra-db/,
    );
    await expect(ask(forProd)).rejects.toThrow(/this request names the policy's targets/);
    await expect(ask(forPolicy, ['certctl-prod-db'])).rejects.toThrow(/for the policy's targets/);
    expect((await ask(forProd, [' Certctl-Prod-DB ', 'certctl-prod-db'])) as object).toMatchObject({
      firstRun: false,
    });
    expect((await ask(forPolicy, [])) as object).toMatchObject({ firstRun: false });
    // Remembered before the targets were recorded: not compared.
    expect((await ask(remembered([{}]), ['certctl-ra-db'])) as object).toMatchObject({ firstRun: false });
  });

  it('gives the run asked again the remembered result, so the snapshots it waited for are adopted again', async () => {
    // Prepare: the first run waited for CHG-9's snapshot of certctl-prod-db; another target failed.
    const first = remembered([
      { snapshotId: 'certctl-premaint-other', takenBy: 'CHG-9' },
      {
        outcome: 'failed',
        snapshotId: 'certctl-premaint-x',
        error: { code: 'SnapshotFailed', message: 'x' },
      },
    ]);
    const runs: (readonly string[] | undefined)[] = [];

    // Act
    await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (key, earlier): Promise<RequestOutcome<SnapshotJobResult>> => {
        if (key === 'ticket:CHG-1') return { firstRun: false, result: first };
        const asked: SnapshotRequest = { requestId: 'ticket:CHG-1', reason: 'r', requestedBy: 'ops' };
        runs.push(withWaitedFor(asked, earlier).waitedFor);
        return { firstRun: true, result: first };
      },
    );

    // Assess
    expect(runs).toEqual([['certctl-premaint-other']]);
  });

  it('runs a re-sent request again when its remembered result left a target a later run can still deliver', async () => {
    // Failed with attempts left: the next attempt is taken.
    expect(
      await keysAsked(
        remembered([
          { outcome: 'failed', snapshotAttempt: 1, error: { code: 'SnapshotFailed', message: 'x' } },
        ]),
      ),
    ).toEqual(retried);
    // Busy until the deadline ("Retry once the database is available"): the re-send is that retry.
    expect(
      await keysAsked(
        remembered([{ outcome: 'busy', error: { code: 'InvalidDBInstanceState', message: 'x' } }]),
      ),
    ).toEqual(retried);
    // Still creating at the deadline: the re-send adopts it and reports where it is now.
    expect(
      await keysAsked(
        remembered([{ outcome: 'creating', error: { code: 'DeadlineExceeded', message: 'x' } }]),
      ),
    ).toEqual(retried);
    // An API error that passes on its own (throttling, a 5xx, a timeout): a later run may get through.
    for (const code of [
      'ThrottlingException',
      'ServiceUnavailable',
      'InternalFailure',
      'UNAVAILABLE',
      'DEADLINE_EXCEEDED',
    ]) {
      expect(
        await keysAsked(remembered([{ outcome: 'error', error: { code, message: 'x' } }])),
        code,
      ).toEqual(retried);
    }
    // A region that was not read: its targets were never tried.
    expect(
      await keysAsked(remembered([{}], ['aws:111111111111/us-east-1: region not read (Throttling)'])),
    ).toEqual(retried);
  });

  it('replays a remembered result a later run of the same request could not change', async () => {
    expect(await keysAsked(remembered([{}]))).toEqual(replayed);
    // Not awaited (--no-wait): created is what was asked for.
    expect(await keysAsked(remembered([{ outcome: 'creating' }]))).toEqual(replayed);
    // Its own message says to ask with another ticket: the same one would only say it again.
    for (const code of ['SnapshotNameTaken', 'SnapshotStale']) {
      expect(
        await keysAsked(remembered([{ outcome: 'error', error: { code, message: 'x' } }])),
        code,
      ).toEqual(replayed);
    }
    // A refusal that needs a fix first (access denied, the database's state, not found, a quota,
    // Backup and DR taking the instance's backups): asking again as it is would only repeat it.
    expect(
      await keysAsked(
        remembered([{ outcome: 'quota', error: { code: 'SnapshotQuotaExceeded', message: 'x' } }]),
      ),
    ).toEqual(replayed);
    for (const code of [
      'AccessDenied',
      'PERMISSION_DENIED',
      'InvalidDBInstanceState',
      'FAILED_PRECONDITION',
      'DBInstanceNotFound',
      'NOT_FOUND',
      'RESOURCE_EXHAUSTED',
      'SnapshotOnBackupPlan',
    ]) {
      expect(
        await keysAsked(remembered([{ outcome: 'error', error: { code, message: 'x' } }])),
        code,
      ).toEqual(replayed);
    }
    expect(
      await keysAsked(
        remembered([
          {
            outcome: 'failed',
            snapshotAttempt: 3,
            error: { code: 'SnapshotAttemptsExhausted', message: 'x' },
          },
        ]),
      ),
    ).toEqual(replayed);
    // A name not found among the databases the policy selects: every later run finds the same.
    expect(
      await keysAsked(
        remembered(
          [{}],
          [
            'target certctl-typo was not found among the databases the policy selects (targets.tags, targets.identifiers, targets.all), or is not a PostgreSQL primary',
          ],
        ),
      ),
    ).toEqual(replayed);
    // A duplicate accepted before the first run finished (a Slack retry, a double click) gets its result.
    expect(
      await keysAsked(
        remembered([{ outcome: 'busy', error: { code: 'InvalidDBInstanceState', message: 'x' } }]),
        '2026-12-03T09:59:30.000Z',
      ),
    ).toEqual(replayed);
  });
});

describe('snapshotOncePerRequest replaying a remembered result', () => {
  /** The same request asked again at `askedAt`, its first run remembered (all available). */
  async function replay(askedAt: string, readinessMaxAgeHours: number): Promise<SnapshotJobResult> {
    const first = {
      ...remembered([
        { snapshotId: 'certctl-premaint-certctl-prod-db-0123456789', createdAt: '2026-12-03T09:59:10.000Z' },
      ]),
      counts: { available: 1, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
    };
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      askedAt,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { readinessMaxAgeHours, now: () => new Date(askedAt) },
    );
    if ('inProgress' in outcome) throw new Error('in progress');
    return outcome.result;
  }

  it('reports a remembered snapshot older than readiness accepts as stale, not available', async () => {
    // Act: asked again 10 h later, with readiness accepting snapshots up to 4 h old.
    const result = await replay('2026-12-03T20:00:00.000Z', 4);

    // Assess: what a new run after the record expired would say (SnapshotStale), not a GO.
    expect(result.results[0]?.outcome).toBe('error');
    expect(result.results[0]?.error?.code).toBe('SnapshotStale');
    expect(result.results[0]?.error?.message).toContain('older than snapshots.readinessMaxAgeHours (4 h)');
    expect(result.counts).toMatchObject({ available: 0, error: 1 });
  });

  it('replays a remembered snapshot still within the age readiness accepts as available', async () => {
    // Act
    const result = await replay('2026-12-03T12:00:00.000Z', 4);

    // Assess
    expect(result.results[0]?.outcome).toBe('available');
    expect(result.counts).toMatchObject({ available: 1, error: 0 });
  });
});

describe('snapshotOncePerRequest re-reading the snapshots of a replayed result', () => {
  const ids = [
    'certctl-premaint-a-0123456789',
    'certctl-premaint-b-0123456789',
    'certctl-premaint-c-0123456789',
  ];
  const first: SnapshotJobResult = {
    ...remembered(
      ids.map((snapshotId, index) => ({
        target: { ...target, id: `db-${index}` },
        snapshotId,
        createdAt: '2026-12-03T09:59:10.000Z',
      })),
    ),
    counts: { available: 3, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
  };

  /** A cloud whose snapshots are `now` (absent: deleted), and which records each read. */
  function cloudWith(now: Record<string, BackendSnapshot | Error>, reads: string[]): SnapshotCloud {
    return {
      provider: 'aws',
      targets: async () => ({ targets: [], problems: [] }),
      backend: () =>
        fakeBackend({
          describe: async (snapshot) => {
            reads.push(snapshot.id);
            const state = now[snapshot.id];
            if (state instanceof Error) throw state;
            return state;
          },
        }),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };
  }
  const state = (id: string, status: string): BackendSnapshot => ({
    id,
    kind: 'rds-instance',
    target: 'db',
    status,
    tags: {},
  });

  async function replay(cloud: SnapshotCloud): Promise<SnapshotJobResult> {
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { readinessMaxAgeHours: 24, now: () => new Date(LATER), clouds: [cloud] },
    );
    if ('inProgress' in outcome) throw new Error('in progress');
    return outcome.result;
  }

  it('turns a snapshot deleted since, or no longer available, into a NO-GO line naming it, one read per snapshot', async () => {
    // Prepare: a was pruned, b is being deleted, c is still there.
    const reads: string[] = [];
    const cloud = cloudWith(
      {
        [ids[1] as string]: state(ids[1] as string, 'deleting'),
        [ids[2] as string]: state(ids[2] as string, 'available'),
      },
      reads,
    );

    // Act
    const result = await replay(cloud);

    // Assess
    expect(reads.sort()).toEqual([...ids].sort());
    expect(result.results.map((entry) => [entry.outcome, entry.error?.code])).toEqual([
      ['error', 'SnapshotGone'],
      ['error', 'SnapshotNotAvailable'],
      ['available', undefined],
    ]);
    expect(result.results[0]?.error?.message).toBe(
      `${ids[0]} no longer exists (deleted since this request took it, by pruning or by hand); no second snapshot is taken under the same request id; ask again with a new ticket or request id for a fresh one.`,
    );
    expect(result.results[1]?.error?.message).toContain(`${ids[1]} is deleting now, not available`);
    expect(result.counts).toMatchObject({ available: 1, error: 2 });
  });

  it('does not call a snapshot whose read failed available: it is not proven', async () => {
    // Prepare
    const reads: string[] = [];
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    const cloud = cloudWith(
      Object.fromEntries(ids.map((id) => [id, id === ids[0] ? throttled : state(id, 'available')])),
      reads,
    );

    // Act
    const result = await replay(cloud);

    // Assess
    expect(result.results[0]?.outcome).toBe('error');
    expect(result.results[0]?.error?.code).toBe('SnapshotNotVerified');
    expect(result.results[0]?.error?.message).toContain(
      `${ids[0]} could not be read again (Throttling: Rate exceeded)`,
    );
    expect(result.results.slice(1).map((entry) => entry.outcome)).toEqual(['available', 'available']);
  });

  it('reads no snapshot that the age check already made stale, nor any of a first run', async () => {
    // Prepare
    const reads: string[] = [];
    const cloud = cloudWith({}, reads);

    // Act: the replay 10 days later (every snapshot stale), and a first run.
    const stale = await snapshotOncePerRequest(
      'ticket:CHG-1',
      '2026-12-13T10:00:00.000Z',
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { readinessMaxAgeHours: 24, now: () => new Date('2026-12-13T10:00:00.000Z'), clouds: [cloud] },
    );
    await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: true, result: first }),
      { readinessMaxAgeHours: 24, now: () => new Date(LATER), clouds: [cloud] },
    );

    // Assess
    if ('inProgress' in stale) throw new Error('in progress');
    expect(stale.result.results.map((entry) => entry.error?.code)).toEqual([
      'SnapshotStale',
      'SnapshotStale',
      'SnapshotStale',
    ]);
    expect(reads).toEqual([]);
  });
});

describe('snapshotOncePerRequest replaying a snapshot of a database created again since', () => {
  const SNAPSHOT = 'certctl-premaint-chg-1-0123456789';
  const TAKEN_OF = 'db-AAAAAAAAAAAAAAAAAAAAAAAAAA';
  const first: SnapshotJobResult = {
    ...remembered([
      {
        target: { ...target, resourceId: TAKEN_OF },
        snapshotId: SNAPSHOT,
        createdAt: '2026-12-03T09:59:10.000Z',
      },
    ]),
    counts: { available: 1, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
  };
  const selection = { tags: [], identifiers: ['certctl-prod-db'], all: false };

  /** A cloud whose snapshot was taken of `TAKEN_OF`, and whose databases are `databases` (an Error: unreadable). */
  function cloudWith(
    databases: () => Promise<{ targets: (typeof target & { resourceId?: string })[]; problems: string[] }>,
  ) {
    const cloud: SnapshotCloud = {
      provider: 'aws',
      targets: databases,
      backend: () =>
        fakeBackend({
          describe: async (snapshot) => ({
            id: snapshot.id,
            kind: 'rds-instance',
            target: 'certctl-prod-db',
            sourceResourceId: TAKEN_OF,
            status: 'available',
            tags: {},
          }),
        }),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };
    return cloud;
  }

  async function replay(cloud: SnapshotCloud): Promise<SnapshotTargetResult | undefined> {
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { readinessMaxAgeHours: 24, now: () => new Date(LATER), clouds: [cloud], selection },
    );
    if ('inProgress' in outcome) throw new Error('in progress');
    return outcome.result.results[0];
  }

  it('replays the snapshot as available when the database has the resource id the snapshot was taken of', async () => {
    // Act
    const entry = await replay(
      cloudWith(async () => ({ targets: [{ ...target, resourceId: TAKEN_OF }], problems: [] })),
    );
    // Assess
    expect(entry).toMatchObject({ outcome: 'available', snapshotId: SNAPSHOT });
    expect(entry?.error).toBeUndefined();
  });

  it('says the snapshot is of an earlier database of that name, and that a new request id is needed, when the database has another resource id now', async () => {
    // Act
    const entry = await replay(
      cloudWith(async () => ({
        targets: [{ ...target, resourceId: 'db-BBBBBBBBBBBBBBBBBBBBBBBBBB' }],
        problems: [],
      })),
    );
    // Assess
    expect(entry?.outcome).toBe('error');
    expect(entry?.error?.code).toBe('SnapshotOfEarlierDatabase');
    expect(entry?.error?.message).toBe(
      `${SNAPSHOT} is of an earlier database named certctl-prod-db (DbiResourceId ${TAKEN_OF}; the database now has db-BBBBBBBBBBBBBBBBBBBBBBBBBB): the database was deleted and created again since this request took it. No snapshot is taken under a request id already used; ask again with a new ticket or request id to snapshot the database that has that name now.`,
    );
  });

  it('does not call the snapshot available when the database cannot be read now, or is not found', async () => {
    // Act
    const unreadable = await replay(
      cloudWith(async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      }),
    );
    const scopeUnread = await replay(
      cloudWith(async () => ({
        targets: [],
        problems: ['111111111111/eu-west-1: targets not read (AccessDenied)'],
      })),
    );
    const missing = await replay(cloudWith(async () => ({ targets: [], problems: [] })));
    const unsent = await replay(cloudWith(async () => ({ targets: [target], problems: [] })));

    // Assess
    expect(
      [unreadable, scopeUnread, missing, unsent].map((entry) => [entry?.outcome, entry?.error?.code]),
    ).toEqual([
      ['error', 'SnapshotNotVerified'],
      ['error', 'SnapshotNotVerified'],
      ['error', 'SnapshotNotVerified'],
      ['error', 'SnapshotNotVerified'],
    ]);
    expect(unreadable?.error?.message).toContain(
      'the database certctl-prod-db could not be read now (Rate exceeded)',
    );
    expect(scopeUnread?.error?.message).toContain('111111111111/eu-west-1: targets not read (AccessDenied)');
    expect(missing?.error?.message).toContain(
      'the database certctl-prod-db was not found now among the databases the policy selects',
    );
    expect(unsent?.error?.message).toContain("the database's DbiResourceId was not sent");
  });
});

describe('snapshotOncePerRequest asked again in other clouds or regions', () => {
  /** A cloud whose policy selection is `targets` now, its snapshots all there and available. */
  function cloudFinding(targets: (typeof target)[], provider: 'aws' | 'gcp' = 'aws'): SnapshotCloud {
    return {
      provider,
      targets: async () => ({ targets, problems: [] }),
      backend: () => fakeBackend(),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };
  }
  const ask = (first: SnapshotJobResult, clouds: SnapshotCloud[]) =>
    snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { asked: { targets: undefined }, clouds, selection: { all: true, tags: [], identifiers: [] } },
    );

  it("refuses a delivered result of the policy's targets when this ask's policy targets are other databases", async () => {
    // Prepare: the ticket snapshotted certctl-prod-db (eu-west-1, AWS); the same ticket is now asked
    // where the policy's targets are a Cloud SQL instance and a database of us-east-1.
    const first = {
      ...remembered([{ snapshotId: 'certctl-premaint-certctl-prod-db-1', createdAt: FINISHED }]),
      requestedTargets: null,
    };
    const sql = {
      ...target,
      provider: 'gcp' as const,
      kind: 'cloudsql-instance' as const,
      id: 'certctl-sql',
    };
    const virginia = { ...target, region: 'us-east-1', id: 'certctl-ra-db' };

    // Act / Assess: never replayed as taken for databases nobody snapshotted.
    await expect(ask(first, [cloudFinding([sql as never], 'gcp')])).rejects.toThrow(
      /ticket:CHG-1 was used .*certctl-sql/,
    );
    await expect(ask(first, [cloudFinding([virginia])])).rejects.toThrow(/certctl-ra-db/);
    // The same databases (or fewer: a narrower ask the result covers) are replayed.
    expect((await ask(first, [cloudFinding([target])])) as object).toMatchObject({ firstRun: false });
  });
});

describe('snapshotOncePerRequest asked again for fewer regions', () => {
  const ireland = { ...target, resourceId: 'db-AAAAAAAAAAAAAAAAAAAAAAAAAA' };
  const virginia = { ...target, region: 'us-east-1', id: 'certctl-ra-db' };
  /** A cloud that reads eu-west-1 only (`--region eu-west-1`), its snapshots all there and available. */
  const readingIreland: SnapshotCloud = {
    provider: 'aws',
    targets: async () => ({ targets: [ireland], problems: [] }),
    reads: (scope) => scope.region === 'eu-west-1',
    backend: () => fakeBackend(),
    maintenance: async () => ({ upcoming: [], problems: [] }),
    snapshotPlaces: async () => ({ places: [], problems: [] }),
    snapshotKeys: UNENCRYPTED_SNAPSHOTS,
  };

  it('leaves the databases of regions this ask does not read out of the answer, naming them, and exits 0 when the rest delivered', async () => {
    // Prepare: the ticket snapshotted a database in each of two regions; asked again for one.
    const first = {
      ...remembered([
        { target: ireland, snapshotId: 'certctl-premaint-certctl-prod-db-1', createdAt: FINISHED },
        { target: virginia, snapshotId: 'certctl-premaint-certctl-ra-db-1', createdAt: FINISHED },
      ]),
      requestedTargets: null,
    };

    // Act
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      {
        asked: { targets: undefined },
        clouds: [readingIreland],
        selection: { all: true, tags: [], identifiers: [] },
      },
    );

    // Assess: never "not found now … deleted, renamed or no longer selected"; not part of this ask.
    if ('inProgress' in outcome) throw new Error('in progress');
    expect(outcome.result.results.map((entry) => [entry.target.id, entry.outcome])).toEqual([
      ['certctl-prod-db', 'available'],
    ]);
    expect(outcome.result.counts.available).toBe(1);
    expect(outcome.result.outsideThisAsk?.map((entry) => entry.id)).toEqual(['certctl-ra-db']);
    expect(snapshotExitCode(outcome.result)).toBe(0);
    expect(renderSnapshotResult(outcome.result)).toContain(
      'not asked aws/111111111111/us-east-1/certctl-ra-db: snapshotted by this request earlier, outside the clouds, regions and projects this ask reads, so not read again here',
    );
  });

  it('says a database the ask names in a region it does not read is not verified, never left out or taken', async () => {
    // Prepare: both databases were named; asked again naming both, with --region eu-west-1.
    const first = {
      ...remembered([
        { target: ireland, snapshotId: 'certctl-premaint-certctl-prod-db-1', createdAt: FINISHED },
        { target: virginia, snapshotId: 'certctl-premaint-certctl-ra-db-1', createdAt: FINISHED },
      ]),
      requestedTargets: ['certctl-prod-db', 'certctl-ra-db'],
    };

    // Act
    const outcome = await snapshotOncePerRequest(
      'ticket:CHG-1',
      LATER,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      {
        asked: { targets: ['certctl-prod-db', 'certctl-ra-db'] },
        clouds: [readingIreland],
        selection: { all: true, tags: [], identifiers: [] },
      },
    );

    // Assess
    if ('inProgress' in outcome) throw new Error('in progress');
    expect(
      outcome.result.results.map((entry) => [entry.target.id, entry.outcome, entry.error?.code]),
    ).toEqual([
      ['certctl-prod-db', 'available', undefined],
      ['certctl-ra-db', 'error', 'SnapshotNotVerified'],
    ]);
    expect(outcome.result.results[1]?.error?.message).toContain(
      'is in aws/111111111111/us-east-1, which this ask does not read',
    );
    expect(outcome.result.outsideThisAsk).toBeUndefined();
    expect(snapshotExitCode(outcome.result)).toBe(1);
  });
});

describe('snapshotOncePerRequest replaying a Cloud SQL backup whose run the result does not name', () => {
  const sql = {
    provider: 'gcp' as const,
    kind: 'cloudsql-instance' as const,
    account: 'certctl-proj',
    region: 'europe-west1',
    id: 'certctl-pg',
  };
  const snapshotId = 'certctl-premaint-certctl-pg-0123456789';
  /** A Cloud SQL cloud whose instance has one backup run, described with `requestId`. */
  const cloudWithRun = (requestId: string): SnapshotCloud => {
    const api: CloudSqlBackupsApi = {
      insert: async () => [{}],
      delete: async () => [{}],
      getOperation: async () => [{}],
      getInstance: async () => [{}],
      get: async () => [{}],
      list: async () => [
        {
          items: [
            {
              id: '1800000000001',
              instance: sql.id,
              type: 'ON_DEMAND',
              status: 'SUCCESSFUL',
              description: describeBackup(snapshotId, { 'request-id': requestId }),
              startTime: FINISHED,
            } as never,
          ],
        },
      ],
    };
    return {
      provider: 'gcp',
      targets: async () => ({ targets: [sql], problems: [] }),
      backend: () => cloudSqlSnapshotBackend(api, sql.account),
      maintenance: async () => ({ upcoming: [], problems: [] }),
      snapshotPlaces: async () => ({ places: [], problems: [] }),
      snapshotKeys: UNENCRYPTED_SNAPSHOTS,
    };
  };
  // Taken with --no-wait: created, its run not known yet, so no selfLink in the result.
  const first = remembered([{ target: sql, outcome: 'creating', snapshotId, createdAt: FINISHED }]);
  const replay = (cloud: SnapshotCloud) =>
    snapshotOncePerRequest(
      'ticket:CHG-1',
      FINISHED,
      async (): Promise<RequestOutcome<SnapshotJobResult>> => ({ firstRun: false, result: first }),
      { clouds: [cloud] },
    );

  it('finds the run of its own request, and never one carrying its id under another request', async () => {
    // Act
    const own = await replay(cloudWithRun('ticket:CHG-1'));
    const foreign = await replay(cloudWithRun('ticket:CHG-7'));

    // Assess
    if ('inProgress' in own || 'inProgress' in foreign) throw new Error('in progress');
    expect(own.result.results[0]).toMatchObject({ outcome: 'creating', snapshotId });
    expect(own.result.results[0]?.error).toBeUndefined();
    expect(foreign.result.results[0]).toMatchObject({ outcome: 'error', error: { code: 'SnapshotGone' } });
  });
});
