/** Secret Manager through the GCP client factory: credentials first, and the REST client signing with them. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { keysCmkCheck } from '../../functions/checks/keys/cmk.ts';
import { keysContentCheck } from '../../functions/checks/keys/content.ts';
import { keysNotDeletingCheck } from '../../functions/checks/keys/not-deleting.ts';
import { keysPresentCheck } from '../../functions/checks/keys/present.ts';
import { keysReplicatedCheck } from '../../functions/checks/keys/replicated.ts';
import { CredentialsError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory, NO_GOOGLE_CREDENTIALS } from '../../functions/gcp/clients.ts';
import { type CloudKmsApi, CloudKmsApiError } from '../../functions/gcp/cloud-kms.ts';
import {
  type GcpSecret,
  type GcpSecretVersion,
  readGcpKeyFacts,
  type SecretManagerApi,
  SecretManagerApiError,
  SecretManagerRestClient,
  withSecretManager,
} from '../../functions/gcp/secret-manager.ts';
import { withCloudStorage } from '../../functions/gcp/storage-client.ts';
import { pem } from '../fixtures/keys/world.ts';

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

  it('retries the Secret Manager reads as its retry says, the REST client’s defaults when none is given', async () => {
    // Prepare: a local Secret Manager that is unavailable, counting the requests.
    let requests = 0;
    const server = createServer((request, response) => {
      requests += 1;
      request.resume();
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'try again' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const factory = new GcpClientFactory({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    const read = async (retry?: { maxAttempts: number; initialDelayMs: number }) => {
      requests = 0;
      const started = performance.now();
      const clients = retry ? withSecretManager(factory, factory, retry) : withSecretManager(factory);
      const error = await (await clients.secretManager())
        .getSecret('projects/p-12345/secrets/s')
        .catch((caught: unknown) => caught);
      return { error, requests, elapsedMs: performance.now() - started };
    };

    // Act
    try {
      const given = await read({ maxAttempts: 3, initialDelayMs: 1 });
      const defaults = await read();

      // Assess: 3 attempts a millisecond or two apart; the defaults' 5, waits from 200 ms.
      expect(given.error).toBeInstanceOf(SecretManagerApiError);
      expect(given.requests).toBe(3);
      expect(given.elapsedMs).toBeLessThan(1_000);
      expect(defaults.error).toBeInstanceOf(SecretManagerApiError);
      expect(defaults.requests).toBe(5);
    } finally {
      server.close();
    }
  });

  it('keeps the Cloud Storage client of the clients it extends, for a run of every group', async () => {
    // Prepare
    const factory = new GcpClientFactory({ endpoint: 'http://127.0.0.1:9' });

    // Act
    const clients = withSecretManager(factory, withCloudStorage(factory));

    // Assess
    expect(clients.storage).toBeTypeOf('function');
    expect(withSecretManager(factory).storage).toBeUndefined();
    // The dumps group proves each bucket the project's with it (functions/gcp/gcs-dumps.ts).
    expect(clients.resourceManager).toBeTypeOf('function');
    expect(await clients.resourceManager?.()).toBe(await clients.resourceManager?.());
    expect(withSecretManager(factory).resourceManager).toBeUndefined();
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

/** Cloud KMS for secrets under Google-managed encryption: never called. */
const NO_CLOUD_KMS: CloudKmsApi = {
  getCryptoKey: () => Promise.reject(new Error('Cloud KMS read for a Google-managed secret')),
  getCryptoKeyVersion: () => Promise.reject(new Error('Cloud KMS read for a Google-managed secret')),
};

describe('readGcpKeyFacts remediation of a secret Secret Manager refused', () => {
  /** The keys checks' outcomes of `config-key` when getSecret fails with `error`. */
  async function refusedWith(error: Error) {
    const api: SecretManagerApi = {
      getSecret: () => Promise.reject(error),
      getLatestVersion: () => Promise.reject(new Error('not asked')),
      accessLatest: () => Promise.reject(new Error('not asked')),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    if (!fact) throw new Error('no fact');
    return [keysPresentCheck, keysNotDeletingCheck, keysReplicatedCheck, keysCmkCheck].map((check) =>
      check.evaluate(fact, { policy, now: new Date() }),
    );
  }

  it('names the grant with its permission, not "Store the item", when the read is denied for a permission', async () => {
    // Act
    const outcomes = await refusedWith(new SecretManagerApiError('denied', 403, 'PERMISSION_DENIED'));
    // Assess
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toBe(
        "Grant the audit's service account secretmanager.secrets.get on this secret (roles/secretmanager.viewer holds it), then run the audit again.",
      );
    }
  });

  it('says what the perimeter needs, not a grant, when VPC Service Controls refuse the read', async () => {
    // Prepare
    const error = Object.assign(new SecretManagerApiError('denied', 403, 'PERMISSION_DENIED'), {
      reason: 'SECURITY_POLICY_VIOLATED',
      errorInfoMetadata: { service: 'secretmanager.googleapis.com', uid: 'abc123' },
    });
    // Act
    const outcomes = await refusedWith(error);
    // Assess
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toBe(
        'A VPC Service Controls perimeter refused the call to the secretmanager.googleapis.com API (unique id abc123 in its audit log): call it from inside the perimeter or allow it with an ingress rule, then run the audit again.',
      );
    }
  });
});

describe('readGcpKeyFacts remediation of a Cloud KMS key the audit may not read', () => {
  const KEY = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
  const VERSION = `${KEY}/cryptoKeyVersions/3`;

  /** The keys checks' outcomes of `config-key`, under `KEY`, when its key version's read fails with `error`. */
  async function keyReadFailing(error: Error) {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: { automatic: { customerManagedEncryption: { kmsKeyName: KEY } } },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: {
          automatic: { customerManagedEncryption: { kmsKeyVersionName: VERSION } },
        },
      }),
      accessLatest: () => Promise.reject(new Error('not asked')),
    };
    const cloudKms: CloudKmsApi = {
      getCryptoKey: () => Promise.reject(new Error('the version is named')),
      getCryptoKeyVersion: () => Promise.reject(error),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    if (!fact) throw new Error('no fact');
    return [keysNotDeletingCheck, keysCmkCheck, keysReplicatedCheck].map((check) => ({
      check: check.metadata.id,
      ...check.evaluate(fact, { policy, now: new Date() }),
    }));
  }

  /** Each check's status and remediation, by check id. */
  const remediations = (outcomes: Awaited<ReturnType<typeof keyReadFailing>>) =>
    Object.fromEntries(outcomes.map((outcome) => [outcome.check, [outcome.status, outcome.remediationText]]));
  const eachCheck = (remedy: string) => ({
    'keys.not-deleting': ['NOT_AVAILABLE', remedy],
    'keys.cmk': ['NOT_AVAILABLE', remedy],
    'keys.replicated': ['NOT_AVAILABLE', remedy],
  });

  it('names the permission, the key and the command that grants it when Cloud KMS refuses the read', async () => {
    // Act
    const outcomes = await keyReadFailing(
      new CloudKmsApiError('Cloud KMS GET answered 403 PERMISSION_DENIED', 403, 'PERMISSION_DENIED'),
    );
    // Assess: before, each check's own fix ("Restore the key version…", "Re-encrypt…", and for
    // keys.replicated "Use automatic replication…"), which fixes nothing that was not read.
    expect(remediations(outcomes)).toEqual(
      eachCheck(
        `Grant the service account that made the call (the audit, snapshot or chat-action function's) cloudkms.cryptoKeyVersions.get on the key ${KEY} (roles/cloudkms.viewer holds it: \`gcloud kms keys add-iam-policy-binding ${KEY} --member=serviceAccount:'<service-account-email>' --role=roles/cloudkms.viewer\`), then run the audit again.`,
      ),
    );
  });

  it('says what enables the Cloud KMS API, not a grant, when the API is not enabled', async () => {
    // Prepare
    const error = Object.assign(
      new CloudKmsApiError('Cloud KMS GET answered 403 PERMISSION_DENIED', 403, 'PERMISSION_DENIED'),
      { reason: 'SERVICE_DISABLED', errorInfoMetadata: { consumer: 'projects/certctl-kms' } },
    );
    // Act
    const outcomes = await keyReadFailing(error);
    // Assess
    expect(remediations(outcomes)).toEqual(
      eachCheck(
        'The cloudkms.googleapis.com API is not enabled on project certctl-kms: enable it (`gcloud services enable cloudkms.googleapis.com --project certctl-kms`), then run the audit again.',
      ),
    );
  });

  it('says Cloud KMS found no such key version, naming it and how to check it, when the read answers 404', async () => {
    // Act
    const outcomes = await keyReadFailing(
      new CloudKmsApiError('Cloud KMS GET answered 404 NOT_FOUND', 404, 'NOT_FOUND'),
    );
    // Assess
    for (const outcome of outcomes) {
      expect(outcome.description).toContain(
        `cryptoKeyVersions.get found no key version ${VERSION} (404 NOT_FOUND)`,
      );
    }
    expect(remediations(outcomes)).toEqual(
      eachCheck(
        'Check the key version (`gcloud kms keys versions describe 3 --key=backup --keyring=certctl --location=global --project=certctl-kms`): Cloud KMS found none by this name, and a key version it does not find decrypts nothing. Then run the audit again.',
      ),
    );
  });
});

describe('readGcpKeyFacts remediation of a secret value Secret Manager refused', () => {
  it('names secretmanager.versions.access, not "Replace the secret value", and never echoes the answer', async () => {
    // Prepare: the secret and its latest version are read; the value is refused.
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} } }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: () =>
        Promise.reject(new SecretManagerApiError('SECRET-CANARY denied', 403, 'PERMISSION_DENIED')),
    };
    const policy = parsePolicy({
      gcp: { projects: ['certctl-prod'] },
      keys: {
        preset: 'none',
        inspectSecretValues: true,
        items: { 'config-key': { kind: 'opaque', secret: 'projects/certctl-prod/secrets/config-key' } },
      },
    });
    // Act
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    const outcome = fact && keysContentCheck.evaluate(fact, { policy, now: new Date() });
    // Assess: before, no remediation of its own: the check's "Replace the secret value …".
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('access failed: PERMISSION_DENIED');
    expect(outcome?.remediationText).toBe(
      "Grant the audit's service account secretmanager.versions.access on this secret (roles/secretmanager.secretAccessor holds it), then run the audit again.",
    );
    expect(JSON.stringify([fact, outcome])).not.toContain('SECRET-CANARY');
  });
});

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
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    // Assess
    expect(fact?.encryption.state).toBe('unknown');
    expect(fact && keysCmkCheck.evaluate(fact, { policy, now: new Date() })?.status).toBe('NOT_AVAILABLE');
  });
  it('passes no keys check on a replication whose members are null or not messages (proto3 JSON: null is not set)', async () => {
    // Prepare: `automatic` null (not set), `automatic` and a replica sent as what no message is, and
    // a user-managed location that is not text; the latest version ENABLED in each. A replica sent
    // without CMEK is Google-managed (keys.cmk WARNING, keys.not-deleting PASSED: both were sent),
    // but a location that is not text names no copy.
    const all = [keysNotDeletingCheck, keysReplicatedCheck, keysCmkCheck];
    const answers: [unknown, typeof all][] = [
      [{ automatic: null }, all],
      [{ automatic: true }, all],
      [{ userManaged: { replicas: [{ location: 'europe-west1' }, 'europe-west4'] } }, all],
      [{ userManaged: { replicas: [{ location: 'europe-west1' }, { location: 5 }] } }, [keysReplicatedCheck]],
    ];
    for (const [replication, checks] of answers) {
      const api: SecretManagerApi = {
        getSecret: async (name) => ({ name, replication }) as GcpSecret,
        getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
        accessLatest: async () => new Uint8Array(),
      };
      const policy = oneOpaqueSecretPolicy();
      // Act
      const [fact] = await readGcpKeyFacts(
        { secretManager: api, cloudKms: NO_CLOUD_KMS },
        'certctl-prod',
        policy,
      );
      // Assess: what was sent proves no encryption, or no copy.
      for (const check of checks) {
        const outcome = fact && check.evaluate(fact, { policy, now: new Date() });
        expect(outcome?.status, `${check.metadata.id} ${JSON.stringify(replication)}`).toBe('NOT_AVAILABLE');
      }
    }
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
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    // Assess
    expect(fact?.latestVersion?.state).toBe('unknown');
    expect(fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() })?.status).toBe(
      'NOT_AVAILABLE',
    );
  });
});

describe('readGcpKeyFacts judging user-managed replication', () => {
  const replicatedWith = async (replicas: { location?: string }[]) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { userManaged: { replicas } } }),
      // Each copy's status sent, naming no key: Google-managed, proven.
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: { userManaged: { replicas: replicas.map((replica) => ({ ...replica })) } },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    return fact && keysReplicatedCheck.evaluate(fact, { policy, now: new Date() });
  };

  it('does not fail a secret whose replica did not report its location: a copy may be elsewhere', async () => {
    const outcome = await replicatedWith([{ location: 'europe-west1' }, {}]);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('did not report its location');
  });
  it('does not count one location listed twice as two copies', async () => {
    // Prepare: user-managed replication keeps one replica per location; an answer naming
    // europe-west1 twice names one location, and says nothing of where else a copy is.
    // Act
    const twice = await replicatedWith([{ location: 'europe-west1' }, { location: 'europe-west1' }]);
    const withAnother = await replicatedWith([
      { location: 'europe-west1' },
      { location: 'europe-west1' },
      { location: 'europe-west4' },
    ]);
    // Assess
    expect(twice?.status).toBe('NOT_AVAILABLE');
    expect(twice?.description).toContain('listed the location europe-west1 more than once');
    // Two distinct locations still prove two copies, each named once.
    expect(withAnother).toMatchObject({
      status: 'PASSED',
      observed: { locations: 'europe-west1,europe-west4' },
    });
  });
  it('still passes two reported locations, and fails one reported location alone', async () => {
    expect(
      (await replicatedWith([{ location: 'europe-west1' }, { location: 'europe-west4' }, {}]))?.status,
    ).toBe('PASSED');
    expect((await replicatedWith([{ location: 'europe-west1' }]))?.status).toBe('FAILED');
  });
});

describe('readGcpKeyFacts on user-managed replication without its replicas', () => {
  // `userManaged.replicas` is required and cannot be empty
  // (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#usermanaged):
  // an answer without it (proto3 JSON leaves an empty list out) did not say where the copies are,
  // nor which keys encrypt them.
  const withoutReplicas = async (userManaged: { replicas?: [] }) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { userManaged } }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    if (!fact) throw new Error('no fact');
    return {
      fact,
      replicated: keysReplicatedCheck.evaluate(fact, { policy, now: new Date() }),
      cmk: keysCmkCheck.evaluate(fact, { policy, now: new Date() }),
    };
  };

  it('neither fails keys.replicated nor calls the secret Google-managed when the replicas were not sent', async () => {
    for (const userManaged of [{}, { replicas: [] as [] }]) {
      const { fact, replicated, cmk } = await withoutReplicas(userManaged);
      expect(fact.replication.state).toBe('unknown');
      expect(replicated?.status).toBe('NOT_AVAILABLE');
      expect(fact.encryption.state).toBe('unknown');
      expect(cmk?.status).toBe('NOT_AVAILABLE');
    }
  });
});

describe('readGcpKeyFacts on a customer-managed Cloud KMS key', () => {
  it('fails keys.not-deleting for a secret whose CMEK key version is DESTROYED', async () => {
    // Prepare: the latest version names the Cloud KMS key version it is encrypted with, and that
    // version's key material is destroyed (Cloud KMS answers DESTROYED).
    const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: { automatic: { customerManagedEncryption: { kmsKeyName: key } } },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: {
          automatic: { customerManagedEncryption: { kmsKeyVersionName: `${key}/cryptoKeyVersions/1` } },
        },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const cloudKms: CloudKmsApi = {
      getCryptoKey: async (name) => ({
        name,
        purpose: 'ENCRYPT_DECRYPT',
        primary: { name: `${name}/cryptoKeyVersions/2`, state: 'ENABLED' },
      }),
      getCryptoKeyVersion: async (name) => ({ name, state: 'DESTROYED' }),
    };
    const policy = oneOpaqueSecretPolicy();
    // Act
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    // Assess
    const outcome = fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.keyState).toBe('DESTROYED');
  });

  it('does not count a copy whose Cloud KMS key version cannot decrypt it toward keys.replicated', async () => {
    // Prepare: copies in two locations, each under its own regional key; the key version of the
    // copy in europe-west4 is DISABLED or DESTROYED, so one location alone holds a usable copy.
    const keyIn = (location: string) =>
      `projects/certctl-kms/locations/${location}/keyRings/certctl/cryptoKeys/backup`;
    const locations = ['europe-west1', 'europe-west4'];
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: {
          userManaged: {
            replicas: locations.map((location) => ({
              location,
              customerManagedEncryption: { kmsKeyName: keyIn(location) },
            })),
          },
        },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: {
          userManaged: {
            replicas: locations.map((location) => ({
              location,
              customerManagedEncryption: { kmsKeyVersionName: `${keyIn(location)}/cryptoKeyVersions/1` },
            })),
          },
        },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    const judge = async (lost: string) => {
      const cloudKms: CloudKmsApi = {
        // Read for the version that cannot decrypt: its key's primary (another version, ENABLED).
        getCryptoKey: async (name) => ({
          name,
          primary: { name: `${name}/cryptoKeyVersions/2`, state: 'ENABLED' },
        }),
        getCryptoKeyVersion: async (name) => ({
          name,
          state: name.includes('europe-west4') ? lost : 'ENABLED',
        }),
      };
      const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
      return fact && keysReplicatedCheck.evaluate(fact, { policy, now: new Date() });
    };
    // Act / Assess
    for (const lost of ['DISABLED', 'DESTROYED']) {
      const outcome = await judge(lost);
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('europe-west4');
      expect(outcome?.description).toContain(lost);
      expect(outcome?.observed).toMatchObject({ undecryptableCopies: 'europe-west4' });
    }
    expect((await judge('ENABLED'))?.status).toBe('PASSED');
  });

  it('does not pass keys.replicated for automatic replication whose Cloud KMS key version is destroyed', async () => {
    // Prepare: automatic replication, every copy under the one key version, which is DESTROYED.
    const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: { automatic: { customerManagedEncryption: { kmsKeyName: key } } },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: {
          automatic: { customerManagedEncryption: { kmsKeyVersionName: `${key}/cryptoKeyVersions/1` } },
        },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const cloudKms: CloudKmsApi = {
      // Read for the version that cannot decrypt: its key's primary (another version, ENABLED).
      getCryptoKey: async (name) => ({
        name,
        primary: { name: `${name}/cryptoKeyVersions/2`, state: 'ENABLED' },
      }),
      getCryptoKeyVersion: async (name) => ({ name, state: 'DESTROYED' }),
    };
    const policy = oneOpaqueSecretPolicy();
    // Act
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    const outcome = fact && keysReplicatedCheck.evaluate(fact, { policy, now: new Date() });
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('DESTROYED');
  });
});

describe('readGcpKeyFacts reading Cloud KMS', () => {
  const KMS = 'projects/certctl-kms/locations';
  const keyIn = (location: string) => `${KMS}/${location}/keyRings/certctl/cryptoKeys/backup`;

  it("reads each user-managed replica's key version, matched by location, once per key version for the project", async () => {
    // Prepare: two secrets replicated to two locations, each location under its own key.
    const policy = parsePolicy({
      gcp: { projects: ['certctl-prod'] },
      keys: {
        preset: 'none',
        items: {
          a: { kind: 'opaque', secret: 'projects/certctl-prod/secrets/a' },
          b: { kind: 'opaque', secret: 'projects/certctl-prod/secrets/b' },
        },
      },
    });
    const locations = ['europe-west1', 'europe-west4'];
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: {
          userManaged: {
            replicas: locations.map((location) => ({
              location,
              customerManagedEncryption: { kmsKeyName: keyIn(location) },
            })),
          },
        },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        replicationStatus: {
          userManaged: {
            // Listed in another order than the replicas: matched by location, not by position.
            replicas: [...locations].reverse().map((location) => ({
              location,
              customerManagedEncryption: { kmsKeyVersionName: `${keyIn(location)}/cryptoKeyVersions/1` },
            })),
          },
        },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const reads: string[] = [];
    const keyReads: string[] = [];
    const cloudKms: CloudKmsApi = {
      // The key itself only for the version that cannot decrypt: its primary is what a new
      // version of the secret would be encrypted with (the fix of lost key material).
      getCryptoKey: async (name) => {
        keyReads.push(name);
        return {
          name,
          purpose: 'ENCRYPT_DECRYPT',
          primary: { name: `${name}/cryptoKeyVersions/2`, state: 'ENABLED' },
        };
      },
      getCryptoKeyVersion: async (name) => {
        reads.push(name);
        return { name, state: name.includes('europe-west4') ? 'DESTROY_SCHEDULED' : 'ENABLED' };
      },
    };
    // Act
    const facts = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    // Assess
    expect(reads.sort()).toEqual(locations.map((location) => `${keyIn(location)}/cryptoKeyVersions/1`));
    expect(keyReads).toEqual([keyIn('europe-west4')]);
    const [fact] = facts;
    expect(fact?.encryption).toEqual({
      state: 'read',
      value: locations.map((location) => ({
        id: keyIn(location),
        manager: 'CUSTOMER',
        version: `${keyIn(location)}/cryptoKeyVersions/1`,
        state: location === 'europe-west4' ? 'DESTROY_SCHEDULED' : 'ENABLED',
        deletionDate: undefined,
        location,
        ...(location === 'europe-west4'
          ? { keyPrimary: { version: `${keyIn(location)}/cryptoKeyVersions/2`, state: 'ENABLED' } }
          : {}),
      })),
    });
    expect(fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() })?.status).toBe('FAILED');
  });

  /**
   * A secret whose setting names `key` now, its latest version answered by `getLatestVersion`, and a
   * Cloud KMS key whose primary version 4 is ENABLED; the fact read and keys.cmk's outcome.
   */
  const settingOnly = async (getLatestVersion: SecretManagerApi['getLatestVersion']) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: { automatic: { customerManagedEncryption: { kmsKeyName: keyIn('global') } } },
      }),
      getLatestVersion,
      accessLatest: async () => new Uint8Array(),
    };
    const cloudKms: CloudKmsApi = {
      getCryptoKey: async (name) => ({
        name,
        purpose: 'ENCRYPT_DECRYPT',
        primary: { name: `${name}/cryptoKeyVersions/4`, state: 'ENABLED' },
      }),
      getCryptoKeyVersion: () => Promise.reject(new Error('no version is named')),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    return { fact, cmk: fact && keysCmkCheck.evaluate(fact, { policy, now: new Date() }) };
  };

  it("reads the key's primary version when the latest version could not be read, but does not pass keys.cmk on it", async () => {
    // Act
    const key = keyIn('global');
    const { fact, cmk } = await settingOnly(() =>
      Promise.reject(new SecretManagerApiError('denied', 403, 'PERMISSION_DENIED')),
    );
    // Assess: the primary's state is kept for keys.not-deleting, but keys.cmk does not pass on the
    // secret's setting now: it applies only to versions added after it was set, and the version
    // holding the value was not read.
    expect(fact?.encryption).toMatchObject({
      state: 'read',
      value: [{ id: key, primary: true, state: 'ENABLED', version: `${key}/cryptoKeyVersions/4` }],
    });
    expect(cmk?.status).toBe('NOT_AVAILABLE');
    expect(cmk?.description).toContain(`names the customer-managed key ${key}`);
    expect(cmk?.description).toContain('its latest version could not be read (denied)');
  });

  it('does not pass keys.cmk on the secret setting when the latest version was read without its replicationStatus', async () => {
    // Act: the version answered without replicationStatus (nor a regional status): which key
    // encrypts it is not said, and a version added before CMEK was set is Google-managed.
    const { fact, cmk } = await settingOnly(async (name) => ({
      name: `${name}/versions/1`,
      state: 'ENABLED',
    }));
    // Assess: nor keys.not-deleting on the key's primary version, which need not be the key version
    // that encrypted the latest version
    expect(cmk?.status).toBe('NOT_AVAILABLE');
    expect(cmk?.description).toContain('the API did not report the replicationStatus of its latest version');
    const notDeleting =
      fact && keysNotDeletingCheck.evaluate(fact, { policy: oneOpaqueSecretPolicy(), now: new Date() });
    expect(notDeleting?.status).toBe('NOT_AVAILABLE');
    expect(notDeleting?.description).toContain(
      'the API did not report the replicationStatus of its latest version',
    );
  });

  it('does not take a replicationStatus that is no message for a status naming no key (Google-managed)', async () => {
    // Act: `replicationStatus.automatic` and the regional status sent as what no message is.
    for (const version of [
      { replicationStatus: { automatic: true } },
      { replicationStatus: { automatic: 'CMEK' } },
      { customerManagedEncryption: 7 },
    ]) {
      const { fact, cmk } = await settingOnly(
        async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED', ...version }) as GcpSecretVersion,
      );
      // Assess: as a version read without its status, never "Google-managed" on what was not sent.
      const label = JSON.stringify(version);
      expect(cmk?.status, label).toBe('NOT_AVAILABLE');
      const notDeleting =
        fact && keysNotDeletingCheck.evaluate(fact, { policy: oneOpaqueSecretPolicy(), now: new Date() });
      expect(notDeleting?.status, label).toBe('NOT_AVAILABLE');
    }
  });

  it('still judges the secret setting when the secret has no version yet (its first version gets that key)', async () => {
    // Act
    const { cmk } = await settingOnly(() =>
      Promise.reject(new SecretManagerApiError('none', 404, 'NOT_FOUND')),
    );
    // Assess
    expect(cmk?.status).toBe('PASSED');
  });
});

describe('readGcpKeyFacts, versions/latest answering 404', () => {
  const notFound = () => Promise.reject(new SecretManagerApiError('not found', 404, 'NOT_FOUND'));
  /** A secret whose `versions/latest` answers 404; `getSecret` answers each call with the next of `secretAnswers`. */
  const read = async (secretAnswers: readonly (() => Promise<GcpSecret>)[]) => {
    let secretCalls = 0;
    const api: SecretManagerApi = {
      getSecret: () => {
        const answer = secretAnswers[Math.min(secretCalls, secretAnswers.length - 1)];
        secretCalls += 1;
        return answer ? answer() : notFound();
      },
      getLatestVersion: notFound,
      accessLatest: () => Promise.reject(new Error('no value is asked for')),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    if (!fact) throw new Error('no fact');
    const judge = (check: typeof keysPresentCheck) => check.evaluate(fact, { policy, now: new Date() });
    return { fact, judge, secretCalls: () => secretCalls };
  };
  const secret = async (): Promise<GcpSecret> => ({
    name: 'projects/certctl-prod/secrets/config-key',
    replication: { automatic: {} },
  });

  it("reports a secret deleted between its read and its latest version's as deleted during the run, not as one without a version", async () => {
    // Prepare: the secret answers, then is gone: versions/latest and the secret asked again both 404.
    // Act
    const { fact, judge, secretCalls } = await read([secret, notFound]);
    // Assess: asked again once; every check NOT_AVAILABLE saying why, none FAILED on "no version".
    expect(secretCalls()).toBe(2);
    expect(fact.existence.state).toBe('unknown');
    for (const check of [keysPresentCheck, keysNotDeletingCheck, keysReplicatedCheck, keysCmkCheck]) {
      const outcome = judge(check);
      expect(outcome?.status, check.metadata.id).toBe('NOT_AVAILABLE');
      expect(outcome?.description, check.metadata.id).toContain('deleted during this run');
      expect(outcome?.description, check.metadata.id).not.toContain('no version');
    }
  });

  it('reads a secret that is still there as one without a version', async () => {
    // Act
    const { fact, judge, secretCalls } = await read([secret]);
    // Assess
    expect(secretCalls()).toBe(2);
    expect(fact.latestVersion).toEqual({ state: 'read', value: { state: 'none' } });
    expect(judge(keysNotDeletingCheck)?.description).toContain('has no version at all');
  });

  it("does not fail a secret deleted and created again between its read and its latest version's as one without a version", async () => {
    // Prepare: the secret first read was created on Dec 1; asked again after versions/latest
    // answered 404, the secret of that name was created at noon on Dec 2 (createTime, output only):
    // the 404 may be the deleted secret's, and nothing was read of the new one's versions.
    const created = (createTime: string) => async (): Promise<GcpSecret> => ({
      ...(await secret()),
      createTime,
    });
    // Act
    const { fact, judge } = await read([created('2026-12-01T00:00:00Z'), created('2026-12-02T12:00:00.5Z')]);
    // Assess
    expect(fact.latestVersion?.state).toBe('unknown');
    const outcome = judge(keysNotDeletingCheck);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the secret was deleted and created again during this run (its createTime was 2026-12-01T00:00:00Z when first read, 2026-12-02T12:00:00.5Z when asked again)',
    );
    expect(outcome?.description).not.toContain('no version');
    // The same createTime, written with other fractional digits: the same secret, without a version.
    const same = await read([created('2026-12-01T00:00:00Z'), created('2026-12-01T00:00:00.000Z')]);
    expect(same.fact.latestVersion).toEqual({ state: 'read', value: { state: 'none' } });
  });

  it('does not judge the latest version when the secret cannot be asked again', async () => {
    // Act
    const { fact } = await read([
      secret,
      () =>
        Promise.reject(
          new SecretManagerApiError(
            'Secret Manager GET projects/certctl-prod/secrets/config-key answered 403 PERMISSION_DENIED',
            403,
            'PERMISSION_DENIED',
          ),
        ),
    ]);
    // Assess
    expect(fact.latestVersion?.state).toBe('unknown');
    expect(fact.latestVersion?.state === 'unknown' && fact.latestVersion.reason).toContain('403');
  });
});

describe("readGcpKeyFacts judging the key of the latest version, not the secret's setting now", () => {
  // "Updates to the Secret encryption configuration only apply to SecretVersions added afterwards.
  // They do not apply retroactively to existing SecretVersions" (Replication.Automatic
  // customerManagedEncryption), and a version's CustomerManagedEncryptionStatus is "only populated
  // if customer-managed encryption is used".
  const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
  const version = `${key}/cryptoKeyVersions/1`;
  const judge = async (
    secret: Awaited<ReturnType<SecretManagerApi['getSecret']>>,
    /** Undefined: the version answered without it. */
    replicationStatus: Awaited<ReturnType<SecretManagerApi['getLatestVersion']>>['replicationStatus'],
    cloudKms: CloudKmsApi,
  ) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ ...secret, name }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/1`,
        state: 'ENABLED',
        ...(replicationStatus ? { replicationStatus } : {}),
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    if (!fact) throw new Error('no fact');
    return {
      fact,
      cmk: keysCmkCheck.evaluate(fact, { policy, now: new Date() }),
      notDeleting: keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() }),
    };
  };

  it('does not pass keys.cmk for a latest version added before CMEK was set on the secret (our own remediation)', async () => {
    // Prepare: `gcloud secrets replication update --set-kms-key` on a secret whose latest version
    // was added before: the version's status says no customer-managed key.
    const { fact, cmk } = await judge(
      { replication: { automatic: { customerManagedEncryption: { kmsKeyName: key } } } },
      { automatic: {} },
      NO_CLOUD_KMS,
    );
    // Assess
    expect(cmk?.status).toBe('WARNING');
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: [{ id: 'google-managed', manager: 'PROVIDER', beforeCmek: key }],
    });
    expect(cmk?.description).toBe(
      `The secret projects/certctl-prod/secrets/config-key (config-key) names the customer-managed key ${key}, but its latest version was added before that key was set and is under Google-managed encryption (the setting applies to versions added afterwards).`,
    );
    expect(cmk?.remediationText).toBe(
      "Add the value again as a new version, which the key encrypts: `gcloud secrets versions add config-key --project=certctl-prod --data-file='<file>'` (the file in its CERTCTL_*_PATH setting).",
    );
  });

  it('judges the Cloud KMS key version that still protects a latest version after CMEK was removed from the secret', async () => {
    // Prepare: CMEK removed from the secret (`--remove-cmek`); the latest version, added before,
    // is still encrypted with a key version that is now destroyed.
    const { cmk, notDeleting } = await judge(
      { replication: { automatic: {} } },
      { automatic: { customerManagedEncryption: { kmsKeyVersionName: version } } },
      {
        // Read for the version that cannot decrypt: its key's primary (another version, ENABLED).
        getCryptoKey: async (name) => ({
          name,
          primary: { name: `${name}/cryptoKeyVersions/2`, state: 'ENABLED' },
        }),
        getCryptoKeyVersion: async (name) => ({ name, state: 'DESTROYED' }),
      },
    );
    // Assess
    expect(notDeleting?.status).toBe('FAILED');
    expect(notDeleting?.observed.keyState).toBe('DESTROYED');
    // Customer-managed, but destroyed: no protection left (keys.cmk judges the state too).
    expect(cmk).toMatchObject({
      status: 'FAILED',
      observed: { keyManager: 'CUSTOMER', keyState: 'DESTROYED' },
    });
    expect(cmk?.remediationText).toContain('The key material is gone');
  });

  it('does not pass keys.not-deleting on a Google-managed setting when the latest version was read without its replicationStatus', async () => {
    // Prepare: Google-managed now, but CMEK may have been removed (`--remove-cmek`) after the latest
    // version was added, which then is still under that key; only the version's status says.
    const googleManaged = { replication: { automatic: {} } };
    // Act
    const { cmk, notDeleting } = await judge(googleManaged, undefined, NO_CLOUD_KMS);
    // Assess
    expect(notDeleting?.status).toBe('NOT_AVAILABLE');
    expect(notDeleting?.description).toContain(
      'the API did not report the replicationStatus of its latest version',
    );
    expect(notDeleting?.description).toContain('Google-managed');
    // The setting is Google-managed: keys.cmk still warns about it.
    expect(cmk?.status).toBe('WARNING');
    // With the status sent naming no key, the version is Google-managed: proven.
    expect((await judge(googleManaged, { automatic: {} }, NO_CLOUD_KMS)).notDeleting?.status).toBe('PASSED');
  });

  it('does not pass keys.replicated on a Google-managed setting when the latest version was read without its replicationStatus', async () => {
    // Prepare: automatic, and two user-managed locations, Google-managed now; the latest version
    // may still be under a customer-managed key removed since (`--remove-cmek`), whose state no one
    // read, in every copy: which key decrypts the copies is not known.
    const automatic = { replication: { automatic: {} } };
    const userManaged = {
      replication: {
        userManaged: { replicas: [{ location: 'europe-west1' }, { location: 'europe-west4' }] },
      },
    };
    const policy = oneOpaqueSecretPolicy();
    const replicated = async (
      secret: Awaited<ReturnType<SecretManagerApi['getSecret']>>,
      replicationStatus: Awaited<ReturnType<SecretManagerApi['getLatestVersion']>>['replicationStatus'],
    ) => {
      const { fact } = await judge(secret, replicationStatus, NO_CLOUD_KMS);
      return keysReplicatedCheck.evaluate(fact, { policy, now: new Date() });
    };
    // Act
    const unprovenAutomatic = await replicated(automatic, undefined);
    const unprovenUserManaged = await replicated(userManaged, undefined);
    // Assess
    expect(unprovenAutomatic?.status).toBe('NOT_AVAILABLE');
    expect(unprovenAutomatic?.description).toContain(
      'the API did not report the replicationStatus of its latest version',
    );
    expect(unprovenUserManaged?.status).toBe('NOT_AVAILABLE');
    expect(unprovenUserManaged?.observed).toMatchObject({ unprovenCopies: 'europe-west1,europe-west4' });
    // With the status sent naming no key, every copy is Google-managed: proven.
    expect((await replicated(automatic, { automatic: {} }))?.status).toBe('PASSED');
    expect(
      (
        await replicated(userManaged, {
          userManaged: { replicas: [{ location: 'europe-west1' }, { location: 'europe-west4' }] },
        })
      )?.status,
    ).toBe('PASSED');
  });

  it('judges each user-managed replica by the key its copy of the latest version names', async () => {
    // Prepare: CMEK set on both replicas now; the latest version's copy in europe-west1 names no
    // key (added before that replica had one): that copy is Google-managed.
    const locations = ['europe-west1', 'europe-west4'];
    const { fact, cmk } = await judge(
      {
        replication: {
          userManaged: {
            replicas: locations.map((location) => ({
              location,
              customerManagedEncryption: { kmsKeyName: key },
            })),
          },
        },
      },
      {
        userManaged: {
          replicas: [
            { location: 'europe-west1' },
            { location: 'europe-west4', customerManagedEncryption: { kmsKeyVersionName: version } },
          ],
        },
      },
      {
        getCryptoKey: () => Promise.reject(new Error('the version is named')),
        getCryptoKeyVersion: async (name) => ({ name, state: 'ENABLED' }),
      },
    );
    // Assess
    expect(cmk?.status).toBe('WARNING');
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: [{ manager: 'PROVIDER' }, { manager: 'CUSTOMER', version, state: 'ENABLED' }],
    });
  });
});

/**
 * A local Secret Manager: the secret (`secretBody`, by default the resource), its ENABLED latest
 * version, and `access` answering `body`.
 */
async function withAccessAnswer(
  body: string,
  run: (client: SecretManagerRestClient) => Promise<void>,
  secretBody = JSON.stringify({
    name: 'projects/certctl-prod/secrets/config-key',
    replication: { automatic: {} },
  }),
) {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    const url = request.url ?? '';
    if (url.endsWith('/versions/latest:access')) response.end(body);
    else if (url.endsWith('/versions/latest'))
      response.end(
        JSON.stringify({ name: 'projects/certctl-prod/secrets/config-key/versions/1', state: 'ENABLED' }),
      );
    else response.end(secretBody);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(new SecretManagerRestClient({ endpoint: `http://127.0.0.1:${port}` }));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('readGcpKeyFacts on a secret answer that is not the secret resource', () => {
  it('does not take a 200 answer that is not JSON, or names no resource, as the secret existing', async () => {
    for (const [secretBody, what] of [
      ['<html>maintenance page SECRET-CANARY</html>', 'not JSON'],
      [JSON.stringify({ replication: { automatic: {} }, note: 'SECRET-CANARY' }), 'no name'],
    ] as const) {
      await withAccessAnswer(
        '{}',
        async (client) => {
          // Act
          const policy = oneOpaqueSecretPolicy();
          const [fact] = await readGcpKeyFacts(
            { secretManager: client, cloudKms: NO_CLOUD_KMS },
            'certctl-prod',
            policy,
          );
          const outcome = fact && keysPresentCheck.evaluate(fact, { policy, now: new Date() });
          // Assess
          expect(outcome?.status, what).toBe('NOT_AVAILABLE');
          expect(outcome?.description).toContain(what);
          expect(JSON.stringify(outcome)).not.toContain('SECRET-CANARY');
        },
        secretBody,
      );
    }
  });
});

describe('readGcpKeyFacts reading a value over REST', () => {
  const inspecting = () =>
    parsePolicy({
      gcp: { projects: ['certctl-prod'] },
      keys: {
        preset: 'none',
        inspectSecretValues: true,
        items: { 'config-key': { kind: 'opaque', secret: 'projects/certctl-prod/secrets/config-key' } },
      },
    });
  const contentOf = async (client: SecretManagerRestClient) => {
    const policy = inspecting();
    const [fact] = await readGcpKeyFacts(
      { secretManager: client, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    return fact && keysContentCheck.evaluate(fact, { policy, now: new Date() });
  };

  it('does not judge a value whose payload the API did not send (an answer without payload, or not JSON)', async () => {
    for (const body of [
      JSON.stringify({ name: 'projects/certctl-prod/secrets/config-key/versions/1' }),
      'not json',
    ]) {
      await withAccessAnswer(body, async (client) => {
        const outcome = await contentOf(client);
        expect(outcome?.status, body).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('the API sent no payload');
      });
    }
  });
  it('does not judge a payload whose data is not base64 text (a list, an object, a number), and never echoes it', async () => {
    // Prepare: Buffer.from reads a list or a {type: "Buffer"} object as bytes, and its error for a
    // number quotes the number; none of them is the base64 text proto3 JSON writes bytes as.
    for (const data of [
      [83, 69, 67, 82, 69, 84],
      { type: 'Buffer', data: [83, 69, 67, 82, 69, 84] },
      4242424242,
      'SECRET-CANARY is not base64!',
    ]) {
      await withAccessAnswer(JSON.stringify({ name: 'x', payload: { data } }), async (client) => {
        // Act
        const outcome = await contentOf(client);

        // Assess
        expect(outcome?.status, JSON.stringify(data)).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('the API sent a payload whose data is not base64 text');
        expect(JSON.stringify(outcome)).not.toMatch(/SECRET-CANARY|4242424242/);
      });
    }
  });
  it('fails an empty payload (proto3 JSON leaves empty bytes out: a payload without data is empty)', async () => {
    await withAccessAnswer(JSON.stringify({ name: 'x', payload: {} }), async (client) => {
      const outcome = await contentOf(client);
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed.problems).toBe('empty');
    });
  });
  it('says the latest version is not ENABLED, without asking for its value, when it is DISABLED or DESTROYED', async () => {
    for (const state of ['DISABLED', 'DESTROYED']) {
      // Prepare: Secret Manager refuses the value of a version that is not ENABLED (FAILED_PRECONDITION).
      const accessed: string[] = [];
      const api: SecretManagerApi = {
        getSecret: async (name) => ({ name, replication: { automatic: {} } }),
        getLatestVersion: async (name) => ({ name: `${name}/versions/2`, state }),
        accessLatest: async (name) => {
          accessed.push(name);
          throw new SecretManagerApiError('Secret Manager GET failed', 400, 'FAILED_PRECONDITION');
        },
      };
      // Act
      const [fact] = await readGcpKeyFacts(
        { secretManager: api, cloudKms: NO_CLOUD_KMS },
        'certctl-prod',
        inspecting(),
      );
      // Assess
      expect(fact?.content, state).toEqual({
        state: 'unknown',
        reason: `its latest version is ${state}, and Secret Manager gives no value of a version that is not ENABLED (see keys.not-deleting)`,
      });
      expect(accessed).toEqual([]);
    }
  });
  it('fails the project on a value read the service did not answer, never quoting what that answer said', async () => {
    // Prepare: `:access` answers 503 with Google's error JSON, then 502 with a page, each quoting
    // the value (a proxy that echoes the upstream answer): the answer of a value read is the value's.
    const echoed = JSON.stringify({
      name: 'x',
      payload: { data: Buffer.from('SECRET-CANARY').toString('base64') },
    });
    for (const [status, body] of [
      [
        503,
        JSON.stringify({
          error: { code: 503, status: 'UNAVAILABLE', message: `upstream sent ${echoed} SECRET-CANARY` },
        }),
      ],
      [502, `<html>Bad gateway: upstream sent ${echoed} SECRET-CANARY</html>`],
    ] as const) {
      const server = createServer((request, response) => {
        response.setHeader('content-type', 'application/json');
        const url = request.url ?? '';
        if (url.endsWith('/versions/latest:access')) {
          response.statusCode = status;
          response.end(body);
        } else if (url.endsWith('/versions/latest'))
          response.end(
            JSON.stringify({ name: 'projects/certctl-prod/secrets/config-key/versions/1', state: 'ENABLED' }),
          );
        else
          response.end(
            JSON.stringify({
              name: 'projects/certctl-prod/secrets/config-key',
              replication: { automatic: {} },
            }),
          );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const client = new SecretManagerRestClient({
        endpoint: `http://127.0.0.1:${port}`,
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
      });
      try {
        // Act
        const error = await readGcpKeyFacts(
          { secretManager: client, cloudKms: NO_CLOUD_KMS },
          'certctl-prod',
          inspecting(),
        ).catch((caught: unknown) => caught);

        // Assess: the project fails naming the call and the answer's status, nothing it said.
        expect(error, String(status)).toBeInstanceOf(Error);
        const message = (error as Error).message;
        expect(message).toContain(`Secret Manager could not be read in project certctl-prod`);
        expect(message).toContain(`answered ${status}`);
        expect(message).toContain('after 2 attempts');
        expect(message).not.toContain('SECRET-CANARY');
        expect(message).not.toContain(Buffer.from('SECRET-CANARY').toString('base64'));
        expect(JSON.stringify(error)).not.toContain('SECRET-CANARY');
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });
  it('reads a sent payload', async () => {
    await withAccessAnswer(
      JSON.stringify({ name: 'x', payload: { data: Buffer.from('k3y').toString('base64') } }),
      async (client) => {
        expect((await contentOf(client))?.status).toBe('PASSED');
      },
    );
  });
});

/** A local Secret Manager answering the secret with `secretBody` and its latest version with `versionBody`. */
async function withVersionAnswer(
  versionBody: string,
  run: (client: SecretManagerRestClient) => Promise<void>,
  secretBody = JSON.stringify({
    name: 'projects/certctl-prod/secrets/config-key',
    replication: { automatic: {} },
  }),
) {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end((request.url ?? '').endsWith('/versions/latest') ? versionBody : secretBody);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(new SecretManagerRestClient({ endpoint: `http://127.0.0.1:${port}` }));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('readGcpKeyFacts with answers it cannot use', () => {
  const judge = async (client: SecretManagerApi) => {
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts(
      { secretManager: client, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    return { fact, notDeleting: fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() }) };
  };

  it('fails keys.not-deleting, saying the time does not parse, when expireTime is not a timestamp', async () => {
    // Prepare
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} }, expireTime: 'next tuesday' }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: async () => new Uint8Array(),
    };
    // Act: before, the check threw a RangeError (Invalid time value) from toISOString. expireTime is
    // sent only when the secret expires: its presence proves the deletion is scheduled.
    const { notDeleting } = await judge(api);
    // Assess
    expect(notDeleting?.status).toBe('FAILED');
    expect(notDeleting?.description).toContain(
      'is scheduled for deletion at a time the API sent in a form that does not parse',
    );
  });

  it('fails keys.not-deleting, saying the time does not parse, when scheduledDestroyTime is not a timestamp', async () => {
    // Prepare
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} } }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/4`,
        state: 'ENABLED',
        scheduledDestroyTime: '2026-13-45T99:00:00Z',
      }),
      accessLatest: async () => new Uint8Array(),
    };
    // Act
    const { notDeleting } = await judge(api);
    // Assess
    expect(notDeleting?.status).toBe('FAILED');
    expect(notDeleting?.description).toContain(
      'scheduled for destruction at a time the API sent in a form that does not parse',
    );
  });

  it('reads the latest version as unknown for that secret only when versions.get answers null', async () => {
    await withVersionAnswer('null', async (client) => {
      // Act: before, a TypeError read as a server-side failure failed the whole project's scope.
      const { fact, notDeleting } = await judge(client);
      // Assess
      expect(fact?.existence).toEqual({ state: 'read', value: true });
      expect(fact?.latestVersion).toMatchObject({
        state: 'unknown',
        reason: expect.stringContaining('not the resource'),
      });
      expect(notDeleting?.status).toBe('NOT_AVAILABLE');
    });
  });

  it('names the DISABLED latest version by its number in the command that enables it', async () => {
    await withVersionAnswer(
      JSON.stringify({ name: 'projects/123456789/secrets/config-key/versions/7', state: 'DISABLED' }),
      async (client) => {
        // Act
        const policy = oneOpaqueSecretPolicy();
        const [fact] = await readGcpKeyFacts(
          { secretManager: client, cloudKms: NO_CLOUD_KMS },
          'certctl-prod',
          policy,
        );
        const replicated = fact && keysReplicatedCheck.evaluate(fact, { policy, now: new Date() });
        const notDeleting = fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() });
        // Assess: before, `gcloud secrets versions enable <version> …`.
        const enable = 'gcloud secrets versions enable 7 --secret=config-key --project=certctl-prod';
        expect(replicated?.remediationText).toContain(enable);
        expect(notDeleting?.remediationText).toContain(enable);
      },
    );
  });
});

describe('readGcpKeyFacts on timestamps the API sent unreadable', () => {
  it('still fails keys.not-deleting for a secret with an expireTime, or a version scheduled for destruction, whose time does not parse', async () => {
    // Prepare: expireTime and scheduledDestroyTime are sent only when set: the deletion is
    // scheduled, whatever the time says; a Cloud KMS key version DESTROY_SCHEDULED likewise.
    const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const judge = async (
      secret: Partial<GcpSecret>,
      version: Partial<GcpSecretVersion>,
      destroyTime?: string,
    ) => {
      const api: SecretManagerApi = {
        getSecret: async (name) => ({ name, replication: { automatic: {} }, ...secret }),
        getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED', ...version }),
        accessLatest: async () => new Uint8Array(),
      };
      const cloudKms: CloudKmsApi = {
        getCryptoKey: () => Promise.reject(new Error('not read')),
        getCryptoKeyVersion: async (name) => ({ name, state: 'DESTROY_SCHEDULED', destroyTime }),
      };
      const policy = oneOpaqueSecretPolicy();
      const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
      return fact && keysNotDeletingCheck.evaluate(fact, { policy, now: new Date() });
    };
    // Act / Assess
    const expiring = await judge({ expireTime: 'next week' }, {});
    expect(expiring?.status).toBe('FAILED');
    expect(expiring?.description).toContain('is scheduled for deletion');
    expect(expiring?.observed).toMatchObject({ scheduledForDeletion: true, deletionDate: null });
    const destroying = await judge({}, { state: 'DISABLED', scheduledDestroyTime: 'soon' });
    expect(destroying?.status).toBe('FAILED');
    expect(destroying?.description).toContain('scheduled for destruction');
    const keyDestroying = await judge(
      { replication: { automatic: { customerManagedEncryption: { kmsKeyName: key } } } },
      {
        replicationStatus: {
          automatic: { customerManagedEncryption: { kmsKeyVersionName: `${key}/cryptoKeyVersions/1` } },
        },
      },
      'not a time',
    );
    expect(keyDestroying?.status).toBe('FAILED');
    expect(keyDestroying?.observed).toMatchObject({ keyState: 'DESTROY_SCHEDULED' });
  });
});

describe('readGcpKeyFacts reading the value of a secret in another project', () => {
  /**
   * The certctl preset with ca-key backed up in certctl-prod and its certificate, ca-cert, in
   * certctl-shared (both in gcp.projects, as the policy requires); every other item off.
   */
  function crossProjectPolicy() {
    const off = { off: 'not part of this deployment' };
    return parsePolicy({
      gcp: { projects: ['certctl-prod', 'certctl-shared'] },
      keys: {
        inspectSecretValues: true,
        items: {
          'ca-cert': { secret: 'projects/certctl-shared/secrets/ca-cert' },
          'ca-key': { secret: 'projects/certctl-prod/secrets/ca-key' },
          'scep-ra-cert': off,
          'scep-ra-key': off,
          'ocsp-key.iss-local': off,
          'server-tls-cert': off,
          'server-tls-key': off,
          'api-keys': off,
          'config-encryption-key': off,
        },
      },
    });
  }

  /** certctl-prod's keys facts when the value read of certctl-shared's ca-cert fails with `error`. */
  async function prodFactsWhenSharedFails(error: Error) {
    const asked: string[] = [];
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} } }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: async (name) => {
        asked.push(name);
        if (name.startsWith('projects/certctl-shared/')) throw error;
        return Buffer.from(pem('ca.key'));
      },
    };
    const policy = crossProjectPolicy();
    const facts = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-prod',
      policy,
    );
    return { facts, policy, asked };
  }

  it('is a policy the audit accepts: an item may name a secret of another project listed in gcp.projects', () => {
    // Act
    const keys = crossProjectPolicy().keys;
    // Assess
    expect(keys?.items['ca-cert']?.secret).toBe('projects/certctl-shared/secrets/ca-cert');
  });

  it("does not fail certctl-prod's read when Secret Manager does not answer for certctl-shared's secret; the pairing is not evaluated, naming that project", async () => {
    // Act: before, the whole read threw "Secret Manager could not be read in project certctl-prod".
    const { facts, policy, asked } = await prodFactsWhenSharedFails(
      new SecretManagerApiError(
        'Secret Manager GET … answered 503 UNAVAILABLE after 5 attempts',
        503,
        'UNAVAILABLE',
      ),
    );
    // Assess: only certctl-prod's secret is judged here; its pairing with the unread certificate
    // is not evaluated (never PASSED), and the reason names the other project and its secret.
    expect(asked).toContain('projects/certctl-shared/secrets/ca-cert');
    expect(facts.map((fact) => fact.resource.id)).toEqual(['projects/certctl-prod/secrets/ca-key']);
    const [fact] = facts;
    const outcome = fact && keysContentCheck.evaluate(fact, { policy, now: new Date() });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('projects/certctl-shared/secrets/ca-cert');
    expect(outcome?.description).toContain('project certctl-shared');
    expect(outcome?.description).not.toContain('could not be read in project certctl-prod');
  });

  it("names the other project's secret when its value is refused there, never passing the pairing", async () => {
    // Act
    const { facts, policy } = await prodFactsWhenSharedFails(
      new SecretManagerApiError('denied', 403, 'PERMISSION_DENIED'),
    );
    // Assess
    const [fact] = facts;
    const outcome = fact && keysContentCheck.evaluate(fact, { policy, now: new Date() });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('access failed: PERMISSION_DENIED');
    expect(outcome?.description).toContain('projects/certctl-shared/secrets/ca-cert');
  });

  it("still fails certctl-prod's read when Secret Manager does not answer for a secret of certctl-prod", async () => {
    // Prepare: the same policy read for certctl-shared, whose ca-cert has no partner: the value read
    // that the service does not answer is of its own secret, which fails its own project still.
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication: { automatic: {} } }),
      getLatestVersion: async (name) => ({ name: `${name}/versions/1`, state: 'ENABLED' }),
      accessLatest: () =>
        Promise.reject(new SecretManagerApiError('answered 503 UNAVAILABLE', 503, 'UNAVAILABLE')),
    };
    // Act
    const error = await readGcpKeyFacts(
      { secretManager: api, cloudKms: NO_CLOUD_KMS },
      'certctl-shared',
      crossProjectPolicy(),
    ).catch((caught: unknown) => caught);
    // Assess
    expect((error as Error).message).toContain('Secret Manager could not be read in project certctl-shared');
  });
});

describe('readGcpKeyFacts on a customer-managed encryption setting sent without its kmsKeyName', () => {
  // CustomerManagedEncryption.kmsKeyName is required: a setting sent without it says the secret is
  // under a customer-managed key, and not which. Not sent is not evaluated, never Google-managed.
  const keyIn = (location: string) =>
    `projects/certctl-kms/locations/${location}/keyRings/certctl/cryptoKeys/backup`;
  const cloudKms: CloudKmsApi = {
    getCryptoKey: async (name) => ({
      name,
      purpose: 'ENCRYPT_DECRYPT',
      primary: { name: `${name}/cryptoKeyVersions/1`, state: 'ENABLED' },
    }),
    getCryptoKeyVersion: async (name) => ({ name, state: 'ENABLED' }),
  };
  /** The keys checks' outcomes of `config-key` with `replication`, its latest version as given. */
  const judge = async (
    replication: GcpSecret['replication'],
    latest: (name: string) => Promise<GcpSecretVersion>,
  ) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({ name, replication }),
      getLatestVersion: latest,
      accessLatest: async () => new Uint8Array(),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    if (!fact) throw new Error('no fact');
    const context = { policy, now: new Date() };
    return {
      cmk: keysCmkCheck.evaluate(fact, context),
      notDeleting: keysNotDeletingCheck.evaluate(fact, context),
      replicated: keysReplicatedCheck.evaluate(fact, context),
    };
  };
  const noVersion = () => Promise.reject(new SecretManagerApiError('none', 404, 'NOT_FOUND'));
  const statusNotSent = async (name: string) => ({ name: `${name}/versions/1`, state: 'ENABLED' });

  it('does not call an automatic secret Google-managed when its setting names no key', async () => {
    // Act: the secret has no version (judged by its setting), or its latest version's status was not sent.
    for (const latest of [noVersion, statusNotSent]) {
      const { cmk, notDeleting } = await judge({ automatic: { customerManagedEncryption: {} } }, latest);
      // Assess: before, keys.cmk WARNING "uses Google-managed encryption".
      expect(cmk?.status).toBe('NOT_AVAILABLE');
      expect(cmk?.description).toContain('without its kmsKeyName');
      expect(cmk?.description).not.toContain('Google-managed encryption, not');
      expect(cmk?.observed).toMatchObject({ keyManager: 'CUSTOMER', kmsKeyName: null });
      if (latest === statusNotSent) {
        expect(notDeleting?.status).toBe('NOT_AVAILABLE');
        expect(notDeleting?.description).toContain('without its kmsKeyName');
      }
    }
  });

  it('is not evaluated for the user-managed replica whose setting names no key, naming its location', async () => {
    // Act: europe-west1 under a named key, europe-west4's setting without its kmsKeyName; no version yet.
    const { cmk, replicated } = await judge(
      {
        userManaged: {
          replicas: [
            { location: 'europe-west1', customerManagedEncryption: { kmsKeyName: keyIn('europe-west1') } },
            { location: 'europe-west4', customerManagedEncryption: {} },
          ],
        },
      },
      noVersion,
    );
    // Assess: before, keys.cmk WARNING "The copy in europe-west4 … uses Google-managed encryption".
    expect(cmk?.status).toBe('NOT_AVAILABLE');
    expect(cmk?.description).toContain('europe-west4');
    expect(cmk?.description).toContain('without its kmsKeyName');
    expect(cmk?.description).not.toContain('Google-managed');
    expect(replicated?.status).toBe('FAILED');
    expect(replicated?.description).toContain('it has no version');
  });

  it('still calls a setting sent as null Google-managed (proto3 JSON: null is the field not set)', async () => {
    // Act
    const { cmk } = await judge(
      { automatic: { customerManagedEncryption: null as unknown as { kmsKeyName?: string } } },
      noVersion,
    );
    // Assess
    expect(cmk?.status).toBe('WARNING');
    expect(cmk?.description).toContain('Google-managed');
  });
});

describe("readGcpKeyFacts on a destroyed Cloud KMS key version and its key's primary version", () => {
  // Secret Manager encrypts a new version with the key's primary version: the fix of a version
  // whose key material is gone (add a new version) fails while the primary is not ENABLED.
  const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
  const setPrimary = `gcloud kms keys set-primary-version backup --keyring=certctl --location=global --project=certctl-kms --version='<enabled-version>'`;
  /** keys.not-deleting and keys.cmk of a secret whose latest version is under key version 1, DESTROYED. */
  const judge = async (getCryptoKey: CloudKmsApi['getCryptoKey']) => {
    const api: SecretManagerApi = {
      getSecret: async (name) => ({
        name,
        replication: { automatic: { customerManagedEncryption: { kmsKeyName: key } } },
      }),
      getLatestVersion: async (name) => ({
        name: `${name}/versions/3`,
        state: 'ENABLED',
        replicationStatus: {
          automatic: { customerManagedEncryption: { kmsKeyVersionName: `${key}/cryptoKeyVersions/1` } },
        },
      }),
      accessLatest: async () => new Uint8Array(),
    };
    const cloudKms: CloudKmsApi = {
      getCryptoKey,
      getCryptoKeyVersion: async (name) => ({ name, state: 'DESTROYED' }),
    };
    const policy = oneOpaqueSecretPolicy();
    const [fact] = await readGcpKeyFacts({ secretManager: api, cloudKms }, 'certctl-prod', policy);
    if (!fact) throw new Error('no fact');
    const context = { policy, now: new Date() };
    return {
      notDeleting: keysNotDeletingCheck.evaluate(fact, context),
      cmk: keysCmkCheck.evaluate(fact, context),
    };
  };
  const primary =
    (version: string, state: string): CloudKmsApi['getCryptoKey'] =>
    async (name) => ({
      name,
      purpose: 'ENCRYPT_DECRYPT',
      primary: { name: `${name}/cryptoKeyVersions/${version}`, state },
    });

  it('says the destroyed version is also the primary, and makes an ENABLED version primary before the new version', async () => {
    // Act
    const { notDeleting, cmk } = await judge(primary('1', 'DESTROYED'));
    // Assess: before, only "add a new version of the secret … under an enabled key", which fails.
    for (const outcome of [notDeleting, cmk]) {
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toContain(
        `${key}/cryptoKeyVersions/1 is also the key's primary version`,
      );
      expect(outcome?.remediationText).toContain(setPrimary);
      expect(outcome?.remediationText).toContain(
        'gcloud kms keys versions create --key=backup --keyring=certctl --location=global --project=certctl-kms --primary',
      );
      expect(outcome?.remediationText).toContain(
        "gcloud secrets versions add config-key --project=certctl-prod --data-file='<file>'",
      );
    }
  });

  it('names another primary version that is DISABLED, with its enable command', async () => {
    // Act
    const { notDeleting } = await judge(primary('2', 'DISABLED'));
    // Assess
    expect(notDeleting?.remediationText).toContain(
      `the key's primary version ${key}/cryptoKeyVersions/2, which Secret Manager encrypts new versions with, is DISABLED`,
    );
    expect(notDeleting?.remediationText).toContain(
      'gcloud kms keys versions enable 2 --key=backup --keyring=certctl --location=global --project=certctl-kms',
    );
    expect(notDeleting?.remediationText).toContain(setPrimary);
  });

  it('adds no step when the primary is another ENABLED version, and says when the primary could not be read', async () => {
    // Act
    const enabled = await judge(primary('2', 'ENABLED'));
    const unread = await judge(() =>
      Promise.reject(new CloudKmsApiError('denied', 403, 'PERMISSION_DENIED')),
    );
    // Assess
    expect(enabled.notDeleting?.remediationText).not.toContain('set-primary-version');
    expect(enabled.notDeleting?.remediationText).toContain('gcloud secrets versions add config-key');
    expect(unread.notDeleting?.status).toBe('FAILED');
    expect(unread.notDeleting?.remediationText).toContain(
      "the key's primary version, which Secret Manager encrypts new versions with, could not be read",
    );
    expect(unread.notDeleting?.remediationText).toContain('cloudkms.cryptoKeys.get');
    expect(unread.notDeleting?.remediationText).toContain(setPrimary);
  });
});
