/**
 * Throttling of the services the PITR and dumps audits read (RDS, Cloud SQL Admin, S3, Cloud
 * Storage), answered by the simulator as each real service throttles, through the real clients and
 * their configured retries. A call throttled once is asked again and the run finds what an
 * unthrottled run finds; a PITR read throttled on every attempt fails its scope with a message that
 * names the throttling and judges nothing there (no PASSED, no finding a publisher would settle).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import type { AuditReport } from '../../functions/core/audit.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { withCloudStorage } from '../../functions/gcp/storage-client.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { cloudSqlScenario, dumpsScenario, instance, NOW, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import { QUICK_RETRY_WAITS, simCredentials } from '../sim/accounts.ts';
import type { Faults } from '../sim/faults.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';

/**
 * The Cloud Storage client's retryDelayMultiplier where the timing is not the subject: each retry
 * within a second (the jitter), not after 2, 4 and 8 s (functions/gcp/storage-client.ts).
 */
const QUICK_STORAGE_RETRIES = { retryDelayMultiplier: 0.001 };
/** The attempts the AWS clients make here. */
const AWS_ATTEMPTS = 2;
/**
 * The attempts of the runs watched after they return: with three, a scope's other calls still have
 * an attempt to make when its first call runs out of them (with two, their last attempts had often
 * been sent already, and a run that left calls behind could pass).
 */
const ATTEMPTS_LEFT_BEHIND = 3;
/** How long a Cloud SQL read may take here, retries included, so a call throttled throughout ends soon. */
const CLOUD_SQL_READ_TIMEOUT_MS = 1_500;

/** What a run found, independent of timing: one line per finding. */
function outcome(report: AuditReport): string[] {
  return report.findings.map((f) => `${f.checkId} ${f.resource.region} ${f.resource.id} ${f.status}`).sort();
}

/** Every request of `service` (of `operations`, when given) throttled, or only its first attempt (`once`). */
function throttling(service: string, once: boolean, operations?: readonly string[]): Faults {
  return {
    throttleRate: 1,
    services: [service],
    ...(operations ? { operations: [...operations] } : {}),
    ...(once ? { failedAttempts: 1 } : {}),
  };
}

/** Cloud Storage's reads of the dump bucket, the ranged object reads (`objects.media`) among them. */
const GCS_DUMP_READS = ['buckets.get', 'objects.list', 'objects.get', 'objects.media'];

/**
 * The S3 reads throttled here: the dump series' listing and its ranged reads. Throttling every S3
 * call at once makes the adaptive retry mode's client-side rate limiter (functions/aws/clients.ts)
 * pace the sends for about 17 s, and on a loaded machine one such run in several came out with one
 * finding unlike the unthrottled run's, not yet explained; these reads come out alike every time.
 */
const S3_DUMP_READS = ['ListObjectsV2', 'GetObject'];

/**
 * Every scope failed, its message naming the throttling (`naming`, in the words the service's
 * refusal reaches the report with); no database or dump location judged, so nothing PASSED and
 * nothing a publisher would settle: only the scopes' own NOT_AVAILABLE findings.
 */
function expectFailedByThrottling(report: AuditReport, naming: string): void {
  expect(report.scopes.length).toBeGreaterThan(0);
  for (const scope of report.scopes) {
    expect(scope.status).toBe('failed');
    expect(`${scope.error?.message} (${scope.error?.code})`).toContain(naming);
  }
  expect(report.findings.filter((finding) => finding.resource.type !== 'Scope')).toEqual([]);
  expect(report.findings.every((finding) => finding.status === 'NOT_AVAILABLE')).toBe(true);
}

/**
 * How long after a run returns its calls are watched for: longer than any wait here before a call's
 * next attempt (the adaptive retry mode's rate limiter spaced a throttled client's sends some 2 s
 * apart).
 */
const AFTER_RETURN_MS = 3_000;

/**
 * The requests `sim` receives in {@link AFTER_RETURN_MS} after `run` returns, the clients still open
 * (as in a Lambda, frozen and thawed with them): a run that returned with calls of its own still
 * waiting to retry sends them into the next invocation.
 */
async function requestsAfterReturn<T>(sim: Sim, run: () => Promise<T>): Promise<{ result: T; late: number }> {
  const result = await run();
  const atReturn = sim.stats().requests;
  await new Promise((resolve) => setTimeout(resolve, AFTER_RETURN_MS));
  return { result, late: sim.stats().requests - atReturn };
}

describe('the AWS PITR audit with RDS throttled', () => {
  let sim: Sim;
  /**
   * One time for the simulator and both audits: a run throttled once takes seconds longer (the
   * adaptive retry mode paces its sends), and on the real clock a demo database whose restore point
   * sits near a bound can be judged on either side of it by two runs. Taken at the start, so the
   * answers' dates stay within seconds of the clients' clock (no clock-skew correction).
   */
  const now = new Date();

  beforeAll(async () => {
    sim = await startSim({
      scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml'),
      clock: () => now,
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  async function audit(faults: Faults): Promise<AuditReport> {
    sim.setFaults(faults);
    sim.resetStats();
    const factory = new AwsClientFactory({
      maxAttempts: AWS_ATTEMPTS,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
      retryWaitScale: QUICK_RETRY_WAITS,
    });
    try {
      return await runAuditReport(
        { providers: ['aws'], groups: ['pitr'] },
        { policy: parsePolicy({}), aws: { factory, collectors: awsCollectors }, now: () => now },
      );
    } finally {
      factory.destroy();
    }
  }

  it('finds what an unthrottled run finds when each RDS call is throttled once', async () => {
    // Prepare
    const clean = await audit({});

    // Act
    const report = await audit(throttling('rds', true));

    // Assess
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(report.scopes.every((scope) => scope.status === 'complete')).toBe(true);
    expect(outcome(report)).toEqual(outcome(clean));
  });

  it('sends nothing after the run returns when one Region’s RDS calls are throttled on every attempt, and reads the other Region', async () => {
    // Prepare
    const clean = await audit({});
    sim.setFaults({ ...throttling('rds', false), regions: ['eu-west-1'] });
    sim.resetStats();
    const factory = new AwsClientFactory({
      maxAttempts: ATTEMPTS_LEFT_BEHIND,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });

    // Act
    const { result: report, late } = await requestsAfterReturn(sim, () =>
      runAuditReport(
        { providers: ['aws'], groups: ['pitr'] },
        { policy: parsePolicy({}), aws: { factory, collectors: awsCollectors }, now: () => now },
      ),
    ).finally(() => factory.destroy());

    // Assess
    // Before, the scope failed with its first listing out of retries while its other listings were
    // still waiting to retry: they were sent after the run had returned.
    expect(late).toBe(0);
    const [failed, ...others] = [...report.scopes].sort((a, b) =>
      a.status === 'failed' ? -1 : b.status === 'failed' ? 1 : 0,
    );
    expect(failed?.scope.region).toBe('eu-west-1');
    expect(`${failed?.error?.message} (${failed?.error?.code})`).toContain('Rate exceeded (Throttling)');
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((scope) => scope.status === 'complete')).toBe(true);
    // The other Region judged as in the clean run; the throttled one only its scope's stand-ins, as before.
    const inEu = (line: string) => line.split(' ')[1] === 'eu-west-1';
    expect(outcome(report).filter((line) => !inEu(line))).toEqual(
      outcome(clean).filter((line) => !inEu(line)),
    );
    const euFindings = report.findings.filter((finding) => finding.resource.region === 'eu-west-1');
    expect(euFindings.length).toBeGreaterThan(0);
    expect(
      euFindings.every((finding) => finding.resource.type === 'Scope' && finding.status === 'NOT_AVAILABLE'),
    ).toBe(true);
  });

  it('fails every scope, naming the throttling, when RDS throttles every attempt', async () => {
    // Act
    const report = await audit(throttling('rds', false));

    // Assess
    // The calls were asked again: at least every attempt of the call that failed each scope. (Not a whole multiple of the attempts: a scope fails with its
    // first failed listing, and its other listings may still be waiting to retry when the run ends.)
    expect(sim.stats().faults.throttled).toBeGreaterThanOrEqual(report.scopes.length * AWS_ATTEMPTS);
    expectFailedByThrottling(report, 'Rate exceeded (Throttling)');
  });
});

describe('the GCP PITR audit with Cloud SQL Admin throttled', () => {
  let sim: Sim;

  beforeAll(async () => {
    ({ sim } = await startGcpSim(
      cloudSqlScenario([
        instance('certctl-db', {
          edition: 'ENTERPRISE_PLUS',
          createdAt: '-300d',
          backups: { transactionLogRetentionDays: 35, retainedBackups: 36 },
        }),
      ]),
    ));
  });

  afterAll(async () => {
    await sim.close();
  });

  async function audit(faults: Faults): Promise<AuditReport> {
    sim.setFaults(faults);
    sim.resetStats();
    const factory = new GcpClientFactory({
      endpoint: sim.endpoint,
      readTimeoutMs: CLOUD_SQL_READ_TIMEOUT_MS,
    });
    try {
      return await runAuditReport(
        { providers: ['gcp'], groups: ['pitr'] },
        {
          policy: parsePolicy({ gcp: { projects: [PROJECT] } }),
          gcp: { clients: factory, collectors: gcpCollectors },
          now: () => NOW,
        },
      );
    } finally {
      await factory.close();
    }
  }

  it('finds what an unthrottled run finds when each Cloud SQL Admin call is throttled once', async () => {
    // Prepare
    const clean = await audit({});

    // Act
    const report = await audit(throttling('cloudSql', true));

    // Assess
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(report.scopes.map((scope) => scope.status)).toEqual(['complete']);
    expect(outcome(report)).toEqual(outcome(clean));
    expect(report.findings.some((finding) => finding.status === 'PASSED')).toBe(true);
  });

  it('fails the project, naming the throttling, when Cloud SQL Admin throttles every attempt', async () => {
    // Act
    const report = await audit(throttling('cloudSql', false));

    // Assess
    // gax gives up at the read timeout with its own DEADLINE_EXCEEDED, quoting the last refusal:
    // Cloud SQL Admin's per-minute rate quota. Before, the message said no more: a deadline, as if
    // the API had not answered.
    expect(sim.stats().faults.throttled).toBeGreaterThan(1);
    expectFailedByThrottling(
      report,
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'",
    );
    expectFailedByThrottling(report, 'Cloud SQL Admin throttled the reads (rate-limited them');
  });

  it('fails the project, naming the read, the instance and the throttling, when only getLatestRecoveryTime is throttled on every attempt', async () => {
    // Act
    const report = await audit(throttling('cloudSql', false, ['instances.getLatestRecoveryTime']));

    // Assess
    // The listing answered; the instance's window read did not, for the call, not the instance.
    // Before, the instance's window was unknown (NOT_AVAILABLE) in a project reported complete,
    // which a publisher settles as if the instance had been read.
    expect(sim.stats().faults.throttled).toBeGreaterThan(1);
    expectFailedByThrottling(report, 'instances.getLatestRecoveryTime for instance certctl-db');
    expectFailedByThrottling(report, 'Cloud SQL Admin throttled the reads (rate-limited them');
    // Worded as every call failure is (core/errors.ts callFailure); before, "failed with
    // DEADLINE_EXCEEDED: …", unlike the same read failing any other way.
    expectFailedByThrottling(
      report,
      `Cloud SQL instances.getLatestRecoveryTime for instance certctl-db in project ${PROJECT} failed: the service throttled it (rate-limited) until the retries ran out; its last answer: DEADLINE_EXCEEDED: `,
    );
  });
});

describe('the GCP PITR audit with one Cloud SQL read failing while another waits to retry', () => {
  let sim: Sim;

  beforeAll(async () => {
    // Two instances whose windows come from getLatestRecoveryTime: alpha's refused for the call
    // (INTERNAL, not retried, fails the project), beta's throttled on every attempt (retried).
    const pitr = {
      edition: 'ENTERPRISE_PLUS',
      createdAt: '-300d',
      backups: { transactionLogRetentionDays: 35, retainedBackups: 36 },
    } as const;
    ({ sim } = await startGcpSim(
      cloudSqlScenario([
        instance('alpha-db', { ...pitr, faults: { getLatestRecoveryTime: 'INTERNAL' } }),
        instance('beta-db', pitr),
      ]),
    ));
  });

  afterAll(async () => {
    await sim.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns as the project fails, with the read waiting to retry ended, and sends nothing after', async () => {
    // Prepare
    sim.setFaults({
      ...throttling('cloudSql', false, ['instances.getLatestRecoveryTime']),
      containing: 'beta-db',
    });
    sim.resetStats();
    // gax's waits before beta's next attempt fixed near their longest (Math.random() times 200,
    // 400, 800 ms, …: google-gax normalCalls/retries.js).
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const factory = new GcpClientFactory({ endpoint: sim.endpoint, readTimeoutMs: 10_000 });
    const cloudSql = factory.cloudSql.bind(factory);
    const seen: { alphaFailedAt?: number; betaSettledAt?: number } = {};
    // Alpha's read starts once beta's third attempt was throttled: beta then waits about 790 ms.
    factory.cloudSql = () => {
      const api = cloudSql();
      const { getLatestRecoveryTime } = api.instances;
      return {
        ...api,
        instances: {
          ...api.instances,
          getLatestRecoveryTime: async (request) => {
            if (request.instance === 'alpha-db') {
              await vi.waitFor(() => expect(sim.stats().faults.throttled).toBe(3), { timeout: 5_000 });
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const read = getLatestRecoveryTime(request);
            const at = () => performance.now();
            read.then(
              () => undefined,
              () => {
                if (request.instance === 'alpha-db') seen.alphaFailedAt = at();
              },
            );
            if (request.instance === 'beta-db') {
              const settled = () => {
                seen.betaSettledAt = at();
              };
              read.then(settled, settled);
            }
            return read;
          },
        },
      };
    };

    // Act
    const { result: run, late } = await requestsAfterReturn(sim, async () => {
      const report = await runAuditReport(
        { providers: ['gcp'], groups: ['pitr'] },
        {
          policy: parsePolicy({ gcp: { projects: [PROJECT] } }),
          gcp: { clients: factory, collectors: gcpCollectors },
          now: () => NOW,
        },
      );
      return { report, returnedAt: performance.now() };
    }).finally(() => factory.close());

    // Assess
    // Before, the run returned with beta's read still in gax's wait, which ran its course (about
    // 700 ms more) before the read ended, its next attempt refused unsent.
    expect(run.report.scopes.map((scope) => scope.status)).toEqual(['failed']);
    expect(run.report.scopes[0]?.error?.message).toContain('alpha-db');
    expect(seen.alphaFailedAt).toBeDefined();
    expect(seen.betaSettledAt).toBeDefined();
    expect(run.returnedAt - (seen.alphaFailedAt as number)).toBeLessThan(300);
    expect((seen.betaSettledAt as number) - run.returnedAt).toBeLessThan(50);
    expect(sim.stats().faults.throttled).toBe(3);
    expect(late).toBe(0);
  });
});

describe('the dumps audit with S3 and Cloud Storage throttled', () => {
  let sim: Sim;
  const HEALTHY_S3 = {
    provider: 'aws',
    bucket: 'certctl-dumps',
    prefix: 'prod/',
    account: '111111111111',
    region: 'eu-west-1',
  } as const;
  const HEALTHY_GCS = {
    provider: 'gcp',
    bucket: 'certctl-dumps-gcp',
    prefix: 'prod/',
    project: PROJECT,
    region: 'europe-west1',
  } as const;

  beforeAll(async () => {
    // The simulator's own clock, as the audits' (a fixed one would date every answer months off the
    // clients' clock, which the AWS SDK then corrects its signing clock towards mid-run).
    sim = await startSim({ scenario: await dumpsScenario() });
  });

  afterAll(async () => {
    await sim.close();
  });

  async function auditS3(faults: Faults): Promise<AuditReport> {
    sim.setFaults(faults);
    sim.resetStats();
    const factory = new AwsClientFactory({
      maxAttempts: AWS_ATTEMPTS,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
      retryWaitScale: QUICK_RETRY_WAITS,
    });
    const policy: PolicyInput = { aws: { regions: ['eu-west-1'] }, dumps: { locations: [HEALTHY_S3] } };
    try {
      return await runAuditReport(
        { providers: ['aws'], groups: ['dumps'] },
        { policy: parsePolicy(policy), aws: { factory, collectors: awsCollectors } },
      );
    } finally {
      factory.destroy();
    }
  }

  async function auditGcs(faults: Faults): Promise<AuditReport> {
    sim.setFaults(faults);
    sim.resetStats();
    const clients = withCloudStorage(new GcpClientFactory({ endpoint: sim.endpoint }), QUICK_STORAGE_RETRIES);
    const policy: PolicyInput = { gcp: { projects: [PROJECT] }, dumps: { locations: [HEALTHY_GCS] } };
    try {
      return await runAuditReport(
        { providers: ['gcp'], groups: ['dumps'] },
        { policy: parsePolicy(policy), gcp: { clients, collectors: gcpCollectors } },
      );
    } finally {
      await clients.close();
    }
  }

  it.each([
    ['S3', 's3', S3_DUMP_READS, auditS3],
    ['Cloud Storage', 'gcs', GCS_DUMP_READS, auditGcs],
  ] as const)(
    'finds what an unthrottled run finds when each %s call is throttled once',
    async (_, service, operations, audit) => {
      // Prepare
      const clean = await audit({});

      // Act
      const report = await audit(throttling(service, true, operations));

      // Assess
      expect(sim.stats().faults.throttled).toBeGreaterThan(0);
      expect(report.scopes.map((scope) => scope.status)).toEqual(['complete']);
      expect(outcome(report)).toEqual(outcome(clean));
      expect(report.findings.filter((finding) => finding.status === 'PASSED').length).toBeGreaterThan(0);
    },
  );

  // Before, every read throttled became an `unknown` reading of the location: its findings
  // NOT_AVAILABLE inside a scope reported complete, which a publisher settles as if read.
  it.each([
    ['S3', 's3', S3_DUMP_READS, auditS3, 'throttled'],
    ['Cloud Storage', 'gcs', GCS_DUMP_READS, auditGcs, 'throttled'],
  ] as const)(
    'fails the scope, naming the throttling, when %s throttles every attempt of the dump reads',
    async (_, service, operations, audit, naming) => {
      // Act
      const report = await audit(throttling(service, false, operations));

      // Assess
      expect(sim.stats().faults.throttled).toBeGreaterThan(1);
      expectFailedByThrottling(report, naming);
    },
  );

  it('sends nothing after the run returns when S3 throttles every attempt of the listing and three bucket settings', async () => {
    // Prepare: four calls throttled throughout, the others answered. Not every S3 call: the adaptive
    // retry mode's rate limiter paced such a run's sends for some 30 s. With four, the listing runs
    // out of its attempts while a settings read still has one to make (without the scope's abort,
    // 3 runs of 3 sent one request after returning; with only the versioning read throttled beside
    // the listing, 1 of 2).
    sim.setFaults(
      throttling('s3', false, [
        'ListObjectsV2',
        'GetBucketVersioning',
        'GetBucketLifecycleConfiguration',
        'GetBucketEncryption',
      ]),
    );
    sim.resetStats();
    const factory = new AwsClientFactory({
      maxAttempts: ATTEMPTS_LEFT_BEHIND,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });
    const policy: PolicyInput = { aws: { regions: ['eu-west-1'] }, dumps: { locations: [HEALTHY_S3] } };

    // Act
    const { result: report, late } = await requestsAfterReturn(sim, () =>
      runAuditReport(
        { providers: ['aws'], groups: ['dumps'] },
        { policy: parsePolicy(policy), aws: { factory, collectors: awsCollectors } },
      ),
    ).finally(() => factory.destroy());

    // Assess
    // Before, the listing out of retries failed the scope while the bucket's settings reads were
    // still waiting to retry: they were sent after the run had returned.
    expect(late).toBe(0);
    expectFailedByThrottling(report, 'SlowDown');
  });

  it('fails the scope when S3 throttles every attempt of the newest dump’s ranged reads only', async () => {
    // Act: the listing is answered; the header and tail reads are not.
    const report = await auditS3(throttling('s3', false, ['GetObject']));

    // Assess
    expect(sim.stats().faults.throttled).toBeGreaterThan(1);
    expectFailedByThrottling(report, 'SlowDown');
  });

  it('fails the scope when a dump read ends in a server error, and names it', async () => {
    // Act
    const report = await auditS3({
      ...throttling('s3', false, S3_DUMP_READS),
      throttleCode: 'InternalError',
    });

    // Assess
    expectFailedByThrottling(report, 'server error');
  });

  it('reads the newest dump when each of its ranged reads is throttled once', async () => {
    // Prepare
    const clean = await auditGcs({});

    // Act
    const report = await auditGcs(throttling('gcs', true, ['objects.media']));

    // Assess
    // The newest dump's ranged reads were refused and asked again.
    expect(sim.stats().faults.throttled).toBeGreaterThan(0);
    expect(report.scopes.map((scope) => scope.status)).toEqual(['complete']);
    expect(outcome(report)).toEqual(outcome(clean));
  });

  it('sends nothing after the run returns when Cloud Storage throttles every attempt of the newest dump’s ranged reads', async () => {
    // Prepare: the header and tail reads go out together, and each waits out its retries on its own.
    const clients = withCloudStorage(new GcpClientFactory({ endpoint: sim.endpoint }));
    sim.setFaults(throttling('gcs', false, ['objects.media']));
    sim.resetStats();
    const policy: PolicyInput = { gcp: { projects: [PROJECT] }, dumps: { locations: [HEALTHY_GCS] } };

    // Act
    const { result: report, late } = await requestsAfterReturn(sim, () =>
      runAuditReport(
        { providers: ['gcp'], groups: ['dumps'] },
        { policy: parsePolicy(policy), gcp: { clients, collectors: gcpCollectors } },
      ),
    ).finally(() => clients.close());

    // Assess
    // Before, the first ranged read out of attempts failed the scope while the other was still
    // waiting to retry: its next attempt was sent after the run had returned.
    expect(late).toBe(0);
    expectFailedByThrottling(report, 'throttled');
    for (const scope of report.scopes) expect(scope.error?.message).toContain('(after 4 attempts)');
  });

  it('fails the scope, naming the throttling after the retries, when the newest dump’s ranged reads are throttled throughout', async () => {
    // Act
    const report = await auditGcs(throttling('gcs', false, ['objects.media']));

    // Assess
    // Every attempt was refused; the run still ended with a report (no crash, no unhandled
    // rejection), the reads asked again before giving up, and nothing of the location was judged.
    expect(sim.stats().faults.throttled).toBeGreaterThan(2);
    expectFailedByThrottling(report, 'throttled');
    for (const scope of report.scopes) expect(scope.error?.message).toContain('(after 4 attempts)');
  });
});
