import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ENV } from '../../../functions/core/policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../../../functions/gcp/clients.ts';
import { createFederatedAwsFactory, METADATA_HOST_ENV } from '../../../functions/gcp/federation.ts';
import { recordingLogger } from '../../core/recording-logger.ts';
import {
  AUDIENCE,
  CENTRAL_ACCOUNT,
  CENTRAL_REGION,
  cloudSqlScenario,
  gcpPolicy,
  instance,
  PROJECT,
  ROLE_ARN,
  SERVICE_ACCOUNT_ID,
  startGcpSim,
} from '../../gcp/sim-setup.ts';
import { mintIdToken } from '../../sim/jwt.ts';
import type { Sim } from '../../sim/server.ts';
import type { SecurityHubSim } from '../../sim/services/security-hub.ts';
import { type ServedFunction, serveFunction } from './serve.ts';

/** What reaches stdout and stderr from now on, through the streams and through console; restore the spies. */
function captureOutput(): { written: string[]; spies: { mockRestore(): void }[] } {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(String(chunk));
    return true;
  };
  const record = (...args: unknown[]): void => {
    written.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    vi.spyOn(console, 'error').mockImplementation(record),
    vi.spyOn(console, 'log').mockImplementation(record),
    vi.spyOn(console, 'warn').mockImplementation(record),
  ];
  return { written, spies };
}

describe('auditPitr Cloud Function served by the Functions Framework', () => {
  let sim: Sim;
  let securityHub: SecurityHubSim;
  let served: ServedFunction;
  let url: string;

  beforeAll(async () => {
    ({ sim, securityHub } = await startGcpSim(
      cloudSqlScenario([
        instance('certctl-db'),
        // Logs on disk: its restore lag cannot be measured, so pitr.lag is NOT_AVAILABLE.
        instance('certctl-db-disk', { backups: { logStorage: 'DISK' } }),
      ]),
      { clock: () => new Date() },
    ));
    served = await serveFunction({
      entryPoint: 'auditPitr',
      load: () => import('../../../functions/handlers/gcp/audit-pitr.ts'),
      env: {
        [POLICY_ENV]: JSON.stringify({
          gcp: {
            projects: [PROJECT],
            federation: { roleArn: ROLE_ARN, audience: AUDIENCE, serviceAccountUniqueId: SERVICE_ACCOUNT_ID },
          },
          securityHub: { enabled: true, centralAccountId: CENTRAL_ACCOUNT, centralRegion: CENTRAL_REGION },
        }),
        [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint,
        [METADATA_HOST_ENV]: new URL(sim.endpoint).host,
        AWS_ENDPOINT_URL: sim.endpoint,
      },
    });
    url = served.url;
  });

  afterAll(async () => {
    await served.close();
    await sim.close();
  });

  /** POST each request at once, then restore `spies`: each answer's status, content type and text. */
  function postEach(
    requests: readonly { readonly headers: Record<string, string>; readonly body: string }[],
    spies: readonly { mockRestore(): void }[],
  ) {
    return Promise.all(
      requests.map(async ({ headers, body }) => {
        const response = await fetch(url, { method: 'POST', headers, body });
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          text: await response.text(),
        };
      }),
    ).finally(() => {
      for (const spy of spies) spy.mockRestore();
    });
  }

  /** What Cloud Scheduler sends: POST, an OIDC bearer token, its user agent, an optional body. */
  function schedulerPost(body?: string, to = url): Promise<Response> {
    const oidc = mintIdToken({ aud: to, sub: '100000000000000000001' });
    return fetch(to, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${oidc}`,
        'user-agent': 'Google-Cloud-Scheduler',
        ...(body === undefined ? {} : { 'content-type': 'application/octet-stream' }),
      },
      ...(body === undefined ? {} : { body }),
    });
  }

  it('audits and publishes, answering 200 with exit code 2 for NOT_AVAILABLE findings, when the scheduler posts an empty body', async () => {
    // Act
    const response = await schedulerPost();
    const answer = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status).toBe(200);
    expect(answer).toMatchObject({
      ok: true,
      exitCode: 2,
      counts: { PASSED: expect.any(Number), FAILED: expect.any(Number), NOT_AVAILABLE: 1 },
      scopes: { evaluated: 1, failed: [] },
      resources: 2,
      published: { status: 'published', failedCount: 0 },
    });
    expect(securityHub.findings(CENTRAL_ACCOUNT, CENTRAL_REGION).length).toBeGreaterThan(0);
  });

  it('answers 500 and logs an ERROR entry when a project cannot be audited', async () => {
    // Prepare
    // Powertools writes ERROR entries to stderr; Cloud Logging parses JSON lines on both streams.
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];

    // The same function with a policy that lists a project the service account cannot read.
    const { createAuditPitrHandler } = await import('../../../functions/handlers/gcp/audit-pitr.ts');
    const policy = gcpPolicy({ gcp: { projects: [PROJECT, 'certctl-missing'] } });
    const gcp = new GcpClientFactory({ endpoint: sim.endpoint });
    functions.http(
      'auditPitrTwoProjects',
      createAuditPitrHandler(() => ({
        policy,
        gcp,
        awsFactory: () => createFederatedAwsFactory(policy, { endpoint: sim.endpoint }),
        logger: recordingLogger(),
      })),
    );
    const server = getTestServer('auditPitrTwoProjects');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const twoProjects = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    // Act
    const response = await schedulerPost(
      JSON.stringify({ projects: ['certctl-missing'] }),
      twoProjects,
    ).finally(async () => {
      for (const spy of spies) spy.mockRestore();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gcp.close();
    });
    const answer = (await response.json()) as Record<string, unknown>;

    // Assess
    expect(response.status).toBe(500);
    expect(answer).toMatchObject({
      ok: false,
      scopes: {
        failed: [expect.objectContaining({ scope: 'gcp/certctl-missing/*/pitr', code: 'PERMISSION_DENIED' })],
      },
    });
    const entries = written.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{'));
    const errors = entries
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.severity === 'ERROR');
    expect(errors.map((entry) => entry.message)).toContain('audit incomplete or not published');
  });

  it('answers 400 naming the entry, audits nothing, when a project is not a GCP project id (an oversize one)', async () => {
    // Act: a permanent error of the body, which a 500 would have Cloud Scheduler retry.
    for (const project of ['x'.repeat(5000), 'Certctl_Prod']) {
      const response = await schedulerPost(JSON.stringify({ projects: [project] }));
      const answer = (await response.json()) as { error: string };

      // Assess
      expect(response.status).toBe(400);
      expect(answer.error).toMatch(/^auditPitr body is invalid: projects\.0: must be a GCP project id/);
      expect(answer.error).not.toContain(project);
    }
  });

  it('answers 400 naming the project, and audits nothing, when the body names a project the policy does not list', async () => {
    // Prepare
    sim.resetStats();

    // Act: a permanent error of the body, which a 500 would have Cloud Scheduler retry.
    const response = await schedulerPost(JSON.stringify({ projects: ['certctl-elsewhere'] }));
    const answer = (await response.json()) as { error: string };

    // Assess
    expect(response.status).toBe(400);
    expect(answer.error).toBe(
      `auditPitr body is invalid: projects: certctl-elsewhere not in the policy's gcp.projects (${PROJECT}); a run may only narrow the policy's projects`,
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('answers 400 naming the field when the body is not a valid request', async () => {
    // Act
    const response = await schedulerPost(JSON.stringify({ projects: 'certctl-prod' }));
    const answer = (await response.json()) as { error: string };

    // Assess
    expect(response.status).toBe(400);
    expect(answer.error).toContain('projects');
  });

  it('answers its own JSON 400 naming the problem, and logs no line quoting the body, when an application/json body does not parse', async () => {
    // Prepare: what reaches stdout and stderr, through the streams and through console.
    const { written, spies } = captureOutput();
    const canary = 'canary-body-5f3a';
    const bodies = ['{"projects": [', `{"projects": ["${canary}"`, `${canary}-${canary}`];

    // Act
    const answers = await postEach(
      bodies.map((body) => ({ headers: { 'content-type': 'application/json' }, body })),
      spies,
    );

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    for (const answer of answers) expect(answer.type).toMatch(/^application\/json/);
    expect(answers.map((answer) => (JSON.parse(answer.text) as { error: string }).error)).toEqual([
      'auditPitr body is not JSON: it ends before the JSON is complete (14 bytes).',
      "auditPitr body is not JSON: Expected ',' or ']' after array element at position 32 (32 bytes).",
      'auditPitr body is not JSON: it is not valid JSON (33 bytes).',
    ]);
    const lines = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line).not.toContain(canary);
      expect(line).not.toContain('{\\"projects\\": [');
    }
    for (const answer of answers) expect(answer.text).not.toContain(canary);
  });

  it('answers its own JSON 400 naming the problem, never express’s HTML page or a stack, and audits nothing, when the body cannot be read', async () => {
    // Prepare: what reaches stdout and stderr, through the streams and through console.
    const { written, spies } = captureOutput();
    const before = securityHub.calls.length;
    const unreadable: Record<string, string>[] = [
      { 'content-type': 'application/json; charset=latin1' },
      { 'content-type': 'application/json', 'content-encoding': 'compress' },
      // Says gzip, is not: zlib refuses it.
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    ];

    // Act
    const answers = await postEach(
      unreadable.map((headers) => ({ headers, body: '{}' })),
      spies,
    );

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    for (const answer of answers) {
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.text).not.toMatch(/\bat \S+ \(|node_modules/);
    }
    expect(answers.map((answer) => (JSON.parse(answer.text) as { error: string }).error)).toEqual([
      'auditPitr body cannot be read: unsupported charset "LATIN1".',
      'auditPitr body cannot be read: unsupported content encoding "compress".',
      'auditPitr body cannot be read: incorrect header check.',
    ]);
    expect(securityHub.calls.length).toBe(before);
    for (const line of written.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '')) {
      expect(() => JSON.parse(line), line).not.toThrow();
    }
  });

  it('answers 405 when called with GET', async () => {
    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
