import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredentialsError } from '../../functions/core/errors.ts';
import {
  CLOUD_SQL_ENDPOINT_ENV,
  CLOUD_SQL_READ_TIMEOUT_MS,
  GcpClientFactory,
  MAX_RETRY_DELAY_MS,
  NO_GOOGLE_CREDENTIALS,
} from '../../functions/gcp/clients.ts';
import { CloudSqlUnreachableError, googleErrorCode } from '../../functions/gcp/wire.ts';
import type { Sim } from '../sim/server.ts';
import { loopback } from './loopback.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from './sim-setup.ts';

/** The part of gax's per-call settings that bounds a call. */
interface EffectiveSettings {
  readonly timeout: number;
  readonly retry?: {
    readonly retryCodes: readonly number[];
    readonly backoffSettings: { readonly totalTimeoutMillis: number };
  };
}

/** What a generated client keeps of its options and call settings (gax's own fields). */
interface ClientInternals {
  readonly _opts: { readonly fallback?: boolean };
  readonly _defaults: Record<string, { merge(options: object): EffectiveSettings }>;
}

/** The read timeout of the bound tests: long enough to retry, short enough for a test. */
const SHORT_TIMEOUT_MS = 1000;
/**
 * What a read may take beyond its timeout: gax checks the bound before each attempt, so the last
 * backoff sleep (at most the timeout here) may end after it; plus a generous margin for a loaded
 * machine (this is a bound that must hold, not a speed target).
 */
const BOUND_MS = SHORT_TIMEOUT_MS + Math.min(MAX_RETRY_DELAY_MS, SHORT_TIMEOUT_MS) + 3000;

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const api = await loopback(() => undefined);
  await api.close();
  return Number(new URL(api.endpoint).port);
}

/** How long `action` took to settle, and how it settled. */
async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await action();
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('GcpClientFactory', () => {
  let sim: Sim | undefined;
  let factory: GcpClientFactory | undefined;

  afterEach(async () => {
    await factory?.close();
    await sim?.close();
    sim = undefined;
    factory = undefined;
  });

  it('refuses a malformed endpoint override when it is constructed', () => {
    // Act
    const creating = () => new GcpClientFactory({ endpoint: '127.0.0.1 port 80' });

    // Assess
    expect(creating).toThrow(/is not a URL such as http:\/\/127\.0\.0\.1:4510/);
  });

  it('targets the public Cloud SQL Admin endpoint when no override is given', async () => {
    // Act
    factory = new GcpClientFactory();

    // Assess
    expect((await factory.instances()).apiEndpoint).toBe('sqladmin.googleapis.com');
  });

  it('caches one client per service when asked repeatedly', async () => {
    // Prepare
    factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });

    // Act / Assess
    expect(await factory.instances()).toBe(await factory.instances());
    expect(await factory.backupRuns()).toBe(await factory.backupRuns());
  });

  it('puts the configured read timeout in effect for every call when the method default differs', async () => {
    // Prepare
    factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });
    const clients = [await factory.instances(), await factory.backupRuns()] as unknown as {
      _defaults: Record<string, { merge(options: object): EffectiveSettings }>;
    }[];

    // Act: the settings gax builds for a call (it merges the call's options into the defaults).
    const effective = clients.flatMap((client) =>
      ['list', 'get'].map((method) => client._defaults[method]?.merge({})),
    );

    // Assess
    for (const settings of effective) {
      expect(settings?.timeout).toBe(CLOUD_SQL_READ_TIMEOUT_MS);
      expect(settings?.retry?.backoffSettings.totalTimeoutMillis).toBe(CLOUD_SQL_READ_TIMEOUT_MS);
    }
  });

  it('refuses every backup call with one credentials error, before any client call, when there are no Google credentials', async () => {
    // Prepare
    let lookups = 0;
    factory = new GcpClientFactory({
      auth: {
        getClient: () => {
          lookups += 1;
          return Promise.reject(new Error('Could not load the default credentials'));
        },
      },
    });
    const backups = factory.cloudSqlBackups();

    // Act
    const calls = [
      backups.insert({ project: PROJECT, instance: 'db-1', body: { description: 'x' } }),
      backups.getOperation({ project: PROJECT, operation: 'op-1' }),
      backups.list({ project: PROJECT, instance: 'db-1' }),
      backups.delete({ project: PROJECT, instance: 'db-1', id: 1 }),
    ];
    const outcomes = await Promise.allSettled(calls);

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(CredentialsError);
      expect(reason.message).toBe(NO_GOOGLE_CREDENTIALS);
    }
    expect(lookups).toBe(1);
  });

  it('reaches the simulator over REST without credentials when the environment names it', async () => {
    // Prepare
    ({ sim } = await startGcpSim(cloudSqlScenario([instance('db-1'), instance('db-2')])));
    factory = GcpClientFactory.fromEnv({ [CLOUD_SQL_ENDPOINT_ENV]: sim.endpoint });

    // Act
    const [page] = await (await factory.instances()).list({ project: PROJECT });

    // Assess
    expect(page.items?.map((item) => item.name)).toEqual(['db-1', 'db-2']);
    expect(page.items?.[0]?.settings?.backupConfiguration?.enabled).toEqual({ value: true });
  });

  it('builds REST clients with the one read policy in production as against an endpoint', async () => {
    // Prepare
    const production = new GcpClientFactory();
    factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });
    const clients = (await Promise.all(
      [production, factory].map((each) => each.instances()),
    )) as unknown as ClientInternals[];

    // Act
    const settings = clients.map((client) => client._defaults.list?.merge({}));

    // Assess: one transport and one policy; only the host and the credentials differ.
    expect(clients.map((client) => client._opts.fallback)).toEqual([true, true]);
    const [inProduction, againstEndpoint] = settings.map((each) => ({
      timeout: each?.timeout,
      retry: each?.retry,
    }));
    expect(inProduction).toEqual(againstEndpoint);
    expect(settings[0]?.timeout).toBe(CLOUD_SQL_READ_TIMEOUT_MS);
    // UNAVAILABLE (14), DEADLINE_EXCEEDED (4) and RESOURCE_EXHAUSTED (8) are retried.
    expect([...(settings[0]?.retry?.retryCodes ?? [])].sort((a, b) => a - b)).toEqual([4, 8, 14]);
  });

  it('retries an unavailable read over REST until the read timeout, then fails with DEADLINE_EXCEEDED', async () => {
    // Prepare
    const api = await loopback((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 503, message: 'backend unavailable', status: 'UNAVAILABLE' } }),
      );
    });
    const reader = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: SHORT_TIMEOUT_MS });
    factory = reader;

    // Act
    const { ms, error } = await timed(() => reader.cloudSql().instances.list({ project: PROJECT }));
    await api.close();

    // Assess
    expect(api.requests.length).toBeGreaterThan(1);
    expect(googleErrorCode(error)).toBe('DEADLINE_EXCEEDED');
    expect(ms).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('ends a read the endpoint never answers at the configured read timeout with one short CloudSqlUnreachableError', async () => {
    // Prepare: the server takes the request and never answers.
    const api = await loopback(() => undefined);
    const reader = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: SHORT_TIMEOUT_MS });
    factory = reader;

    // Act
    const { ms, error } = await timed(() => reader.cloudSql().instances.list({ project: PROJECT }));
    await api.close();

    // Assess
    expect(error).toBeInstanceOf(CloudSqlUnreachableError);
    expect((error as CloudSqlUnreachableError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as Error).message).toMatch(
      /within the 1 s read timeout, retries included \(list did not respond within \d+ milliseconds\)/,
    );
    expect(ms).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('fails a read whose connection is refused in one line naming the endpoint, the socket error and where to look', async () => {
    // Prepare
    const port = await closedPort();
    const reader = new GcpClientFactory({
      endpoint: `http://127.0.0.1:${port}`,
      readTimeoutMs: SHORT_TIMEOUT_MS,
    });
    factory = reader;

    // Act
    const { ms, error } = await timed(() => reader.cloudSql().instances.list({ project: PROJECT }));

    // Assess
    expect(error).toBeInstanceOf(CloudSqlUnreachableError);
    expect((error as Error).message).toBe(
      `no answer from the Cloud SQL Admin API at http://127.0.0.1:${port} within the 1 s read timeout, retries included (connect ECONNREFUSED 127.0.0.1:${port}); check that this endpoint, which replaces sqladmin.googleapis.com, is up`,
    );
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('sends the resolved credentials on every REST call when an auth source is given', async () => {
    // Prepare: an OAuth2 client holding an unexpired access token, as ADC resolves one.
    const api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ items: [{ name: 'db-1' }] }));
    });
    const client = new OAuth2Client();
    client.setCredentials({ access_token: 'canary-access-token', expiry_date: Date.now() + 3_600_000 });
    factory = new GcpClientFactory({ endpoint: api.endpoint, auth: { getClient: async () => client } });

    // Act
    const [page] = await factory.cloudSql().instances.list({ project: PROJECT });
    await factory.cloudSql().backupRuns.list({ project: PROJECT, instance: 'db-1' });
    await api.close();

    // Assess
    expect(page.items?.map((item) => item.name)).toEqual(['db-1']);
    expect(api.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer canary-access-token',
      'Bearer canary-access-token',
    ]);
  });

  it('refuses every call with one CredentialsError and calls no API when no credentials can be found', async () => {
    // Prepare: production (no endpoint), and Application Default Credentials find nothing.
    let lookups = 0;
    factory = new GcpClientFactory({
      auth: {
        getClient: async () => {
          lookups += 1;
          throw new Error('Could not load the default credentials.');
        },
      },
    });
    const api = factory.cloudSql();

    // Act
    const calls = [
      api.instances.list({ project: PROJECT }),
      api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'db-1' }),
      api.backupRuns.list({ project: PROJECT, instance: 'db-1' }),
    ];
    const errors = await Promise.all(
      calls.map((call) =>
        call.then(
          () => undefined,
          (error) => error,
        ),
      ),
    );

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(CredentialsError);
      expect((error as Error).message).toBe(NO_GOOGLE_CREDENTIALS);
    }
    expect(lookups).toBe(1);
  });
});

describe('a credentials file GOOGLE_APPLICATION_CREDENTIALS names that cannot be used', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the file and what is wrong with it, never its content, instead of saying no credentials were found', async () => {
    // Prepare: a key file cut by a bad edit (the syntax error sits inside the private key), a
    // directory, a missing file, and a key file without its client_email.
    const dir = await mkdtemp(join(tmpdir(), 'adc-file-'));
    const cut = join(dir, 'cut.json');
    await writeFile(
      cut,
      '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nCANARY-KEY-7f3a" CANARY-KEY-7f3a\\n-----END PRIVATE KEY-----\\n"}',
    );
    const incomplete = join(dir, 'incomplete.json');
    await writeFile(
      incomplete,
      JSON.stringify({ type: 'service_account', private_key: 'CANARY-KEY-7f3a', project_id: 'p' }),
    );
    const messages: string[] = [];

    // Act
    for (const path of [cut, dir, join(dir, 'missing.json'), incomplete]) {
      vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', path);
      const error = await new GcpClientFactory().credentials().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error, path).toBeInstanceOf(CredentialsError);
      messages.push((error as Error).message);
    }

    // Assess
    const advice =
      "point it at a service account key file or the file 'gcloud auth application-default login' writes, or unset it";
    expect(messages).toEqual([
      `GOOGLE_APPLICATION_CREDENTIALS names ${cut}, which is not valid JSON (at position 87); ${advice}`,
      `GOOGLE_APPLICATION_CREDENTIALS names ${dir}, which is a directory, not a credentials file; ${advice}`,
      `GOOGLE_APPLICATION_CREDENTIALS names ${join(dir, 'missing.json')}, which does not exist; ${advice}`,
      `GOOGLE_APPLICATION_CREDENTIALS names ${incomplete}, which has no client_email field; ${advice}`,
    ]);
    expect(messages.join('\n')).not.toContain('CANARY');
  });

  it('names a key file whose private key does not parse, at once, instead of retrying every read for 30 s', async () => {
    // Prepare: well-formed JSON whose private_key is no key (a copy cut or re-encoded by hand).
    const dir = await mkdtemp(join(tmpdir(), 'adc-key-'));
    const file = join(dir, 'key.json');
    await writeFile(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'certctl-prod',
        private_key: '-----BEGIN PRIVATE KEY-----\nCANARY-KEY-7f3a\n-----END PRIVATE KEY-----\n',
        client_email: 'audit@certctl-prod.iam.gserviceaccount.com',
      }),
    );
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', file);

    // Act
    const error = await new GcpClientFactory().credentials().then(
      () => undefined,
      (failure: unknown) => failure,
    );

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(
      `GOOGLE_APPLICATION_CREDENTIALS names ${file}, whose private_key does not parse as a private key (ERR_OSSL_UNSUPPORTED); point it at a service account key file or the file 'gcloud auth application-default login' writes, or unset it`,
    );
    expect((error as Error).message).not.toContain('CANARY');
  });
});
