import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../functions/core/errors.ts';
import { type Policy, parsePolicy } from '../../../functions/core/policy.ts';
import { GcpClientFactory } from '../../../functions/gcp/clients.ts';
import {
  createFederatedAwsFactory,
  type IdTokenSource,
  metadataIdTokenSource,
} from '../../../functions/gcp/federation.ts';
import { auditPitrGcp, parseAuditPitrRequest } from '../../../functions/handlers/gcp/audit-pitr.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import {
  CENTRAL_ACCOUNT,
  CENTRAL_REGION,
  cloudSqlScenario,
  gcpPolicy,
  instance,
  PROJECT,
  ROLE_ARN,
  startGcpSim,
} from '../../gcp/sim-setup.ts';
import type { Sim } from '../../sim/server.ts';
import type { CloudSqlInstanceScenario } from '../../sim/services/cloud-sql.ts';
import { GCE_METADATA_SERVICE, type GceMetadataSim } from '../../sim/services/gce-metadata.ts';
import type { SecurityHubSim } from '../../sim/services/security-hub.ts';

describe('auditPitrGcp', () => {
  let sim: Sim;
  let securityHub: SecurityHubSim;
  let gcp: GcpClientFactory;

  afterEach(async () => {
    await gcp.close();
    await sim.close();
  });

  async function start(listFault = false, extra: CloudSqlInstanceScenario[] = []): Promise<void> {
    // STS and the SDK judge credential expiry on the real clock, so these tests run on it too.
    ({ sim, securityHub } = await startGcpSim(
      cloudSqlScenario(
        [
          instance('certctl-db', {
            edition: 'ENTERPRISE_PLUS',
            backups: { transactionLogRetentionDays: 35, retainedBackups: 36 },
          }),
          ...extra,
        ],
        listFault ? { listFault: { status: 'PERMISSION_DENIED' } } : {},
      ),
      { clock: () => new Date() },
    ));
    gcp = new GcpClientFactory({ endpoint: sim.endpoint });
  }

  /** A metadata-server token source that remembers the tokens it handed out. */
  function recordingSource(): IdTokenSource & { tokens: string[] } {
    const tokens: string[] = [];
    const inner = metadataIdTokenSource({ host: new URL(sim.endpoint).host });
    return Object.assign(
      async (audience: string) => {
        const token = await inner(audience);
        tokens.push(token);
        return token;
      },
      { tokens },
    );
  }

  function run(
    policy: Policy,
    options: { source?: IdTokenSource; projects?: string[]; publish?: boolean } = {},
  ) {
    const logger = recordingLogger();
    const source = options.source ?? metadataIdTokenSource({ host: new URL(sim.endpoint).host });
    const result = auditPitrGcp(
      {
        ...(options.projects ? { projects: options.projects } : {}),
        ...(options.publish === undefined ? {} : { publish: options.publish }),
      },
      {
        policy,
        gcp,
        awsFactory: () =>
          createFederatedAwsFactory(policy, { endpoint: sim.endpoint, idTokenSource: source }),
        logger,
      },
    );
    return { result, logger };
  }

  it('imports the findings into the central account with project, region and selfLink when federation succeeds', async () => {
    // Prepare
    await start();

    // Act
    const { result } = run(gcpPolicy());
    const outcome = await result;

    // Assess
    expect(outcome.ok).toBe(true);
    expect(outcome.published).toMatchObject({ status: 'published', failedCount: 0, counts: { created: 5 } });
    const imported = securityHub.findings(CENTRAL_ACCOUNT, CENTRAL_REGION);
    expect(imported).toHaveLength(5);
    const selfLink = `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/instances/certctl-db`;
    for (const finding of imported) {
      expect(finding.AwsAccountId).toBe(CENTRAL_ACCOUNT);
      expect(finding.Resources?.[0]?.Id).toBe(selfLink);
      expect(finding.ProductFields).toMatchObject({
        'gcp/project': PROJECT,
        'gcp/region': 'europe-west1',
        'gcp/selfLink': selfLink,
      });
    }
    expect(sim.stats().byOperation).toMatchObject({
      'gceMetadata:instance/service-accounts/default/identity': 1,
      'sts:AssumeRoleWithWebIdentity': 1,
      'securityHub:BatchImportFindings': 1,
    });
    expect(outcome.metrics).toMatchObject({
      AuditRuns: 1,
      AuditCompleted: 1,
      ScopesNotEvaluated: 0,
      FindingsImportFailed: 0,
    });
  });

  it('answers ok with exit code 2 and publishes when findings are NOT_AVAILABLE but every scope was evaluated', async () => {
    // Prepare
    await start(false, [
      instance('certctl-db-broken', { faults: { getLatestRecoveryTime: 'FAILED_PRECONDITION' } }),
    ]);

    // Act
    const outcome = await run(gcpPolicy()).result;

    // Assess: the answer (which the handler also logs) says why the exit code is 2, as the Lambda's verdict does.
    expect(outcome.ok).toBe(true);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.verdict).toMatch(
      /^the audit could not complete: \d+ checks? could not be evaluated on 1 database/,
    );
    expect(outcome.counts.NOT_AVAILABLE).toBeGreaterThan(0);
    expect(outcome.scopes).toEqual({ evaluated: 1, failed: [] });
    expect(outcome.published).toMatchObject({ status: 'published', failedCount: 0 });
    const statuses = securityHub
      .findings(CENTRAL_ACCOUNT, CENTRAL_REGION)
      .filter((finding) => finding.Resources?.[0]?.Id?.endsWith('/certctl-db-broken'))
      .map((finding) => finding.Compliance?.Status);
    expect(statuses).toContain('NOT_AVAILABLE');
  });

  it('answers one CredentialsError naming the role and STS code, publishes nothing and is not ok, when STS refuses the token', async () => {
    // Prepare
    await start();
    const source = recordingSource();
    const policy = gcpPolicy({
      gcp: {
        federation: {
          roleArn: ROLE_ARN,
          audience: 'https://not-trusted.example.com',
          serviceAccountUniqueId: '104753918625839485720',
        },
      },
    });

    // Act
    const { result, logger } = run(policy, { source });
    const outcome = await result;

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.published).toEqual({
      status: 'error',
      failedCount: 5,
      error: {
        code: 'CredentialsError',
        roleArn: ROLE_ARN,
        stsCode: 'AccessDenied',
        message: expect.stringContaining(
          `AssumeRoleWithWebIdentity into ${ROLE_ARN} failed with AccessDenied`,
        ),
      },
    });
    // The findings keep the statuses they were evaluated with; none counts as published.
    expect(outcome.counts).toMatchObject({ PASSED: 5, FAILED: 0, NOT_AVAILABLE: 0 });
    expect(outcome.metrics.FindingsImportFailed).toBe(5);
    expect(outcome.published).not.toHaveProperty('counts');
    expect(securityHub.findings(CENTRAL_ACCOUNT, CENTRAL_REGION)).toHaveLength(0);
    expect(sim.stats().byOperation['securityHub:BatchImportFindings']).toBeUndefined();
    expect(sim.stats().byOperation['securityHub:GetFindings']).toBeUndefined();
    expect(logger.entries.map((entry) => entry.message)).toContain('publishing to Security Hub failed');
    expect(logger.entries.map((entry) => entry.message)).not.toContain('published to Security Hub');
    const token = source.tokens[0] as string;
    expect(token.length).toBeGreaterThan(20);
    expect(logger.text()).not.toContain(token);
    expect(JSON.stringify(outcome)).not.toContain(token);
  });

  it('answers one CredentialsError naming the role when the metadata server gives no token', async () => {
    // Prepare
    await start();
    sim.service<GceMetadataSim>(GCE_METADATA_SERVICE).refuse({ status: 404, message: 'no service account' });

    // Act
    const outcome = await run(gcpPolicy()).result;

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.published).toEqual({
      status: 'error',
      failedCount: 5,
      error: {
        code: 'CredentialsError',
        roleArn: ROLE_ARN,
        idTokenProblem: 'refused',
        message: expect.stringContaining(
          `Cannot assume ${ROLE_ARN}: no Google ID token: the metadata server at`,
        ),
      },
    });
    const { message } = (outcome.published as { error: { message: string } }).error;
    expect(message).toContain('refused the identity request');
    expect(message).toContain('(HTTP 404: no service account); the function runs without a service account');
    expect(sim.stats().byOperation['sts:AssumeRoleWithWebIdentity']).toBeUndefined();
  });

  it('is not ok when a project cannot be listed, and publishes its scope as NOT_AVAILABLE', async () => {
    // Prepare
    await start(true);

    // Act
    const outcome = await run(gcpPolicy()).result;

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.scopes.failed).toEqual([
      expect.objectContaining({ scope: `gcp/${PROJECT}/*/pitr`, code: 'PERMISSION_DENIED' }),
    ]);
    expect(outcome.counts.PASSED).toBe(0);
    expect(outcome.metrics).toMatchObject({ AuditCompleted: 0, ScopesNotEvaluated: 1 });
    const statuses = securityHub
      .findings(CENTRAL_ACCOUNT, CENTRAL_REGION)
      .map((finding) => finding.Compliance?.Status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 'NOT_AVAILABLE')).toBe(true);
  });

  it('fails the project in one short line with a network hint, within the read timeout, when the Cloud SQL endpoint refuses connections', async () => {
    // Prepare: a loopback port nothing listens on any more, and a 1 s read timeout.
    await start();
    await gcp.close();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    gcp = new GcpClientFactory({ endpoint: `http://127.0.0.1:${port}`, readTimeoutMs: 1000 });
    const started = performance.now();

    // Act
    const { result, logger } = run(gcpPolicy(), { publish: false });
    const outcome = await result;

    // Assess
    const elapsedMs = performance.now() - started;
    expect(outcome.ok).toBe(false);
    expect(outcome.scopes.failed).toEqual([
      {
        scope: `gcp/${PROJECT}/*/pitr`,
        code: 'DEADLINE_EXCEEDED',
        message: `Cloud SQL instances.list failed for project ${PROJECT} with DEADLINE_EXCEEDED: no answer from the Cloud SQL Admin API at http://127.0.0.1:${port} within the 1 s read timeout, retries included (connect ECONNREFUSED 127.0.0.1:${port}); check that this endpoint, which replaces sqladmin.googleapis.com, is up.`,
      },
    ]);
    // One line, not the attempts gax repeats, and no role to grant: permissions are not the problem.
    expect(logger.text().split('ECONNREFUSED').length - 1).toBeLessThanOrEqual(1);
    expect(logger.text()).not.toContain('roles/');
    // The 1 s bound, one backoff sleep of at most 1 s after it, and a margin for a loaded machine.
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('does not federate or publish when publishing is off for the run', async () => {
    // Prepare
    await start();

    // Act
    const outcome = await run(gcpPolicy(), { publish: false }).result;

    // Assess
    expect(outcome).toMatchObject({ ok: true, published: { status: 'disabled' } });
    expect(sim.stats().byOperation['sts:AssumeRoleWithWebIdentity']).toBeUndefined();
  });

  it('reports a publishing error naming the policy path when the policy has no federation', async () => {
    // Prepare
    await start();
    const policy = parsePolicy({
      gcp: { projects: [PROJECT] },
      securityHub: { enabled: true, centralAccountId: CENTRAL_ACCOUNT, centralRegion: CENTRAL_REGION },
    });

    // Act
    const outcome = await run(policy).result;

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.published).toMatchObject({
      status: 'error',
      error: { code: 'PolicyError', message: expect.stringContaining('policy.gcp.federation is not set') },
    });
  });

  it('refuses a body asking to publish when the policy has no federation, reading and publishing nothing', async () => {
    // Prepare: a deployment that does not publish (no gcp.federation), called with publish: true.
    await start();
    const policy = parsePolicy({ gcp: { projects: [PROJECT] } });

    // Act
    const running = run(policy, { publish: true }).result;

    // Assess: the body's mistake, permanent: an InputError (HTTP 400) before any read, not a 500
    // after a whole audit.
    await expect(running).rejects.toBeInstanceOf(InputError);
    await expect(running).rejects.toThrow(
      "auditPitr body is invalid: publish: true needs the policy's gcp.federation (the role findings are published with), which this deployment's policy does not set",
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a run whose projects the policy does not list, reading and publishing nothing', async () => {
    // Prepare: a scheduler job (or anyone who may invoke) names a project beside the policy's.
    await start();

    // Act
    const running = run(gcpPolicy(), { projects: [PROJECT, 'certctl-elsewhere'] }).result;

    // Assess: a run may narrow the policy's projects, never widen them (as the Lambdas' regions).
    await expect(running).rejects.toBeInstanceOf(InputError);
    await expect(running).rejects.toThrow(
      `auditPitr body is invalid: projects: certctl-elsewhere not in the policy's gcp.projects (${PROJECT}); a run may only narrow the policy's projects`,
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses to run when no GCP project is configured', async () => {
    // Prepare
    await start();

    // Act
    const running = run(parsePolicy({})).result;

    // Assess
    await expect(running).rejects.toBeInstanceOf(InputError);
  });
});

describe('parseAuditPitrRequest', () => {
  it('refuses a body that is not JSON with an InputError that names the problem without quoting the body', () => {
    // Prepare: Cloud Scheduler sends bytes (application/octet-stream); V8 quotes such text in its message.
    const body = Buffer.from('canary-body-77c1 is not a request');

    // Act
    const parsing = () => parseAuditPitrRequest(body);

    // Assess
    expect(parsing).toThrow(InputError);
    expect(parsing).toThrow('auditPitr body is not JSON: it is not valid JSON (33 bytes).');
  });

  it('refuses a JSON body that is not an object, null as an array or a string, and reads no body as {}', () => {
    // Act / Assess: `null` is a value the sender wrote, not an absent body.
    for (const body of ['null', '[]', '"all"']) {
      expect(() => parseAuditPitrRequest(Buffer.from(body)), body).toThrow(
        /^auditPitr body is invalid: \(root\): Invalid input: expected object, received /,
      );
    }
    expect(parseAuditPitrRequest(Buffer.alloc(0))).toEqual({});
    expect(parseAuditPitrRequest(undefined)).toEqual({});
  });
});
