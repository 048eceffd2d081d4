/** Secret Manager through the GCP client factory: credentials first, and the REST client signing with them. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { keysCmkCheck } from '../../functions/checks/keys/cmk.ts';
import { keysNotDeletingCheck } from '../../functions/checks/keys/not-deleting.ts';
import { CredentialsError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory, NO_GOOGLE_CREDENTIALS } from '../../functions/gcp/clients.ts';
import {
  readGcpKeyFacts,
  type SecretManagerApi,
  SecretManagerRestClient,
  withSecretManager,
} from '../../functions/gcp/secret-manager.ts';
import { withCloudStorage } from '../../functions/gcp/storage-client.ts';

describe('withSecretManager', () => {
  it('answers one CredentialsError for Secret Manager, before any client exists, when no Google credentials are found', async () => {
    // Prepare: credentials that cannot be found, counted.
    let lookups = 0;
    const factory = new GcpClientFactory({
      auth: {
        getClient: async () => {
          lookups += 1;
          throw new Error('Could not load the default credentials');
        },
      },
    });

    // Act
    const clients = withSecretManager(factory);
    const first = clients.secretManager();
    const second = clients.secretManager();

    // Assess: the one clear message, the cause kept, the lookup made once.
    await expect(first).rejects.toBeInstanceOf(CredentialsError);
    await expect(second).rejects.toThrow(NO_GOOGLE_CREDENTIALS);
    expect(lookups).toBe(1);
  });

  it('signs every Secret Manager request with the credentials the factory resolved', async () => {
    // Prepare: a local Secret Manager that records the Authorization header.
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ name: 'projects/p-12345/secrets/s', replication: { automatic: {} } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new SecretManagerRestClient({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer resolved-token' }) },
    });

    // Act
    try {
      await client.getSecret('projects/p-12345/secrets/s');
      await client.getLatestVersion('projects/p-12345/secrets/s');
    } finally {
      server.close();
    }

    // Assess
    expect(seen).toEqual(['Bearer resolved-token', 'Bearer resolved-token']);
  });

  it('keeps the Cloud Storage client of the clients it extends, for a run of every group', async () => {
    // Prepare
    const factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });

    // Act
    const clients = withSecretManager(factory, withCloudStorage(factory));

    // Assess
    expect(clients.storage).toBeTypeOf('function');
    expect(withSecretManager(factory).storage).toBeUndefined();
    expect(await clients.secretManager()).toBe(await clients.secretManager());
    await clients.close();
  });
});

/** A local Secret Manager answering each request with the next of `answers` (the last repeats). */
async function scriptedSecretManager(answers: readonly (number | 'reset')[]) {
  let calls = 0;
  const server = createServer((request, response) => {
    const answer = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    if (answer === 'reset') {
      request.socket.destroy();
      return;
    }
    response.statusCode = answer ?? 500;
    response.setHeader('content-type', 'application/json');
    response.end(
      answer === 200
        ? JSON.stringify({ name: 'projects/p-12345/secrets/s', replication: { automatic: {} } })
        : JSON.stringify({
            error: { code: answer, status: answer === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE' },
          }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('SecretManagerRestClient retries', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('retries throttling, unavailability and a dropped connection, then answers', async () => {
    // Prepare
    const api = await scriptedSecretManager([429, 503, 'reset', 200]);
    const client = new SecretManagerRestClient({ endpoint: api.endpoint, retry: fast });

    // Act
    try {
      const secret = await client.getSecret('projects/p-12345/secrets/s');

      // Assess
      expect(secret.name).toBe('projects/p-12345/secrets/s');
      expect(api.calls()).toBe(4);
    } finally {
      await api.close();
    }
  });

  it('does not retry an answer that will not change (404, 403), and names the status', async () => {
    // Prepare
    const notFound = await scriptedSecretManager([404]);
    const denied = await scriptedSecretManager([403]);

    // Act / Assess
    try {
      await expect(
        new SecretManagerRestClient({ endpoint: notFound.endpoint, retry: fast }).getSecret(
          'projects/p/secrets/s',
        ),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        new SecretManagerRestClient({ endpoint: denied.endpoint, retry: fast }).getSecret(
          'projects/p/secrets/s',
        ),
      ).rejects.toMatchObject({ status: 403 });
      expect([notFound.calls(), denied.calls()]).toEqual([1, 1]);
    } finally {
      await Promise.all([notFound.close(), denied.close()]);
    }
  });

  it('gives up after its attempts with the last answer and how many attempts were made', async () => {
    // Prepare
    const api = await scriptedSecretManager([503]);
    const client = new SecretManagerRestClient({
      endpoint: api.endpoint,
      retry: { ...fast, maxAttempts: 3 },
    });

    // Act / Assess
    try {
      await expect(client.getSecret('projects/p/secrets/s')).rejects.toThrow(
        /answered 503 UNAVAILABLE after 3 attempts/,
      );
      expect(api.calls()).toBe(3);
    } finally {
      await api.close();
    }
  });
});

/** A policy whose inventory is one opaque GCP secret, `config-key` in `certctl-prod`. */
function oneOpaqueSecretPolicy() {
  return parsePolicy({
    gcp: { projects: ['certctl-prod'] },
    keys: {
      preset: 'none',
      items: { 'config-key': { kind: 'opaque', secret: 'projects/certctl-prod/secrets/config-key' } },
    },
  });
}

describe('readGcpKeyFacts', () => {
  it('does not judge the encryption of a secret whose replication the API did not report', async () => {
    // Prepare: a Secret without `replication`, the oneof that also holds its CMEK settings.
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    // Act
    const [fact] = await readGcpKeyFacts(api, 'certctl-prod', policy);
    // Assess
    expect(fact?.encryption.state).toBe('unknown');
    expect(fact && keysCmkCheck.evaluate(fact, { policy, now: new Date() })?.status).toBe('NOT_AVAILABLE');
  });
  it('does not judge a latest version whose state the API did not report', async () => {
    // Prepare
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} } }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/3` }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    // Act
    const [fact] = await readGcpKeyFacts(api, 'certctl-prod', policy);
    // Assess
    expect(fact?.latestVersion?.state).toBe('unknown');
    expect(fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() })?.status).toBe(
      'NOT_AVAILABLE',
    );
  });
});
