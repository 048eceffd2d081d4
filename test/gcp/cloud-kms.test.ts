/** The Cloud KMS reader: which call for which name, what each answer becomes, and the per-scope cache. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../functions/core/errors.ts';
import {
  type CloudKmsApi,
  CloudKmsApiError,
  CloudKmsRestClient,
  cloudKmsKeyReader,
  readCloudKmsKey,
} from '../../functions/gcp/cloud-kms.ts';

const KEY = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
const VERSION = `${KEY}/cryptoKeyVersions/2`;

/** A Cloud KMS answering from `versions` (name → state) and `keys` (name → primary state), counting calls. */
function fakeCloudKms(
  answers: {
    readonly versions?: Readonly<Record<string, { state?: string; destroyTime?: string } | Error>>;
    readonly keys?: Readonly<
      Record<string, { purpose?: string; primary?: { name?: string; state?: string } } | Error>
    >;
  } = {},
) {
  const calls: string[] = [];
  const api: CloudKmsApi = {
    getCryptoKey: async (name) => {
      calls.push(`cryptoKeys.get ${name}`);
      const answer = answers.keys?.[name];
      if (answer instanceof Error) throw answer;
      if (!answer) throw new CloudKmsApiError('Cloud KMS GET answered 404 NOT_FOUND', 404, 'NOT_FOUND');
      return { name, ...answer };
    },
    getCryptoKeyVersion: async (name) => {
      calls.push(`cryptoKeyVersions.get ${name}`);
      const answer = answers.versions?.[name];
      if (answer instanceof Error) throw answer;
      if (!answer) throw new CloudKmsApiError('Cloud KMS GET answered 404 NOT_FOUND', 404, 'NOT_FOUND');
      return { name, ...answer };
    },
  };
  return { api, calls };
}

describe('readCloudKmsKey', () => {
  it.each(['ENABLED', 'DISABLED', 'DESTROYED', 'DESTROY_SCHEDULED', 'PENDING_GENERATION'])(
    'reports the named key version as %s, read with cryptoKeyVersions.get only',
    async (state) => {
      // Prepare
      const { api, calls } = fakeCloudKms({ versions: { [VERSION]: { state } } });
      // Act
      const key = await readCloudKmsKey(api, KEY, VERSION);
      // Assess
      expect(key).toEqual({ id: KEY, manager: 'CUSTOMER', version: VERSION, state, deletionDate: undefined });
      expect(calls).toEqual([`cryptoKeyVersions.get ${VERSION}`]);
    },
  );

  it('reports when a version scheduled for destruction will be destroyed', async () => {
    // Prepare
    const { api } = fakeCloudKms({
      versions: { [VERSION]: { state: 'DESTROY_SCHEDULED', destroyTime: '2026-12-10T00:00:00Z' } },
    });
    // Act
    const key = await readCloudKmsKey(api, KEY, VERSION);
    // Assess
    expect(key.deletionDate?.toISOString()).toBe('2026-12-10T00:00:00.000Z');
  });

  it('reads a destroyTime that is not RFC 3339 text as a time that does not parse, never as a time in 1970', async () => {
    // Prepare: proto3 JSON writes a Timestamp as text; a number or an object names no time.
    for (const destroyTime of [1_781_049_600, { seconds: 1_781_049_600 }, true]) {
      const version = { state: 'DESTROY_SCHEDULED', destroyTime } as unknown as { state: string };
      const { api } = fakeCloudKms({
        versions: { [VERSION]: version },
        keys: { [KEY]: { purpose: 'ENCRYPT_DECRYPT', primary: { name: VERSION, ...version } } },
      });
      // Act
      const named = await readCloudKmsKey(api, KEY, VERSION);
      const primary = await readCloudKmsKey(api, KEY, undefined);
      // Assess: still scheduled (the field was sent), at a time not known.
      for (const key of [named, primary]) {
        expect(key.state).toBe('DESTROY_SCHEDULED');
        expect(key.deletionDate, JSON.stringify(destroyTime)).toBeInstanceOf(Date);
        expect(Number.isNaN(key.deletionDate?.getTime()), JSON.stringify(destroyTime)).toBe(true);
      }
    }
  });

  it('names the key the version belongs to, even when the secret is now configured with another key', async () => {
    // Prepare: the secret's replication names a new key; its latest version was written under the old one.
    const old = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/old';
    const { api } = fakeCloudKms({ versions: { [`${old}/cryptoKeyVersions/1`]: { state: 'DISABLED' } } });
    // Act
    const key = await readCloudKmsKey(api, KEY, `${old}/cryptoKeyVersions/1`);
    // Assess
    expect(key).toMatchObject({ id: old, state: 'DISABLED' });
  });

  it("reads the key's primary version with cryptoKeys.get when the secret version names none", async () => {
    // Prepare
    const { api, calls } = fakeCloudKms({
      keys: { [KEY]: { purpose: 'ENCRYPT_DECRYPT', primary: { name: VERSION, state: 'DISABLED' } } },
    });
    // Act
    const key = await readCloudKmsKey(api, KEY, undefined);
    // Assess
    expect(key).toMatchObject({ id: KEY, version: VERSION, primary: true, state: 'DISABLED' });
    expect(calls).toEqual([`cryptoKeys.get ${KEY}`]);
  });

  it('does not evaluate a key without a primary version, naming its purpose', async () => {
    // Prepare: only ENCRYPT_DECRYPT keys have a primary.
    const { api } = fakeCloudKms({ keys: { [KEY]: { purpose: 'ASYMMETRIC_SIGN' } } });
    // Act
    const key = await readCloudKmsKey(api, KEY, undefined);
    // Assess
    expect(key.state).toBeUndefined();
    expect(key.unreadReason).toBe('cryptoKeys.get reported no primary version (purpose ASYMMETRIC_SIGN)');
  });

  it('leaves a state Cloud KMS did not send undefined, with no reason (not evaluated)', async () => {
    // Prepare
    const { api } = fakeCloudKms({ versions: { [VERSION]: {} } });
    // Act
    const key = await readCloudKmsKey(api, KEY, VERSION);
    // Assess
    expect(key.state).toBeUndefined();
    expect(key.unreadReason).toBeUndefined();
    expect(key.manager).toBe('CUSTOMER');
  });

  it('names the missing permission and role when a read is denied', async () => {
    // Prepare
    const denied = new CloudKmsApiError(
      'Cloud KMS GET answered 403 PERMISSION_DENIED',
      403,
      'PERMISSION_DENIED',
    );
    const { api } = fakeCloudKms({ versions: { [VERSION]: denied }, keys: { [KEY]: denied } });
    // Act
    const version = await readCloudKmsKey(api, KEY, VERSION);
    const key = await readCloudKmsKey(api, KEY, undefined);
    // Assess
    expect(version).toMatchObject({ id: KEY, manager: 'CUSTOMER', version: VERSION });
    expect(version.state).toBeUndefined();
    expect(version.unreadReason).toBe(
      "cryptoKeyVersions.get was denied (PERMISSION_DENIED): the service account that made the call (the audit, snapshot or chat-action function's) needs cloudkms.cryptoKeyVersions.get on the key (roles/cloudkms.viewer)",
    );
    expect(key.unreadReason).toBe(
      "cryptoKeys.get was denied (PERMISSION_DENIED): the service account that made the call (the audit, snapshot or chat-action function's) needs cloudkms.cryptoKeys.get on the key (roles/cloudkms.viewer)",
    );
    // What to grant, on which key, and the command that grants it.
    const grant = (permission: string) =>
      `Grant the service account that made the call (the audit, snapshot or chat-action function's) ${permission} on the key ${KEY} (roles/cloudkms.viewer holds it: \`gcloud kms keys add-iam-policy-binding ${KEY} --member=serviceAccount:'<service-account-email>' --role=roles/cloudkms.viewer\`), then run the audit again.`;
    expect(version.remedy).toBe(grant('cloudkms.cryptoKeyVersions.get'));
    expect(key.remedy).toBe(grant('cloudkms.cryptoKeys.get'));
  });

  it('reports a key that is not found as unread, not as usable', async () => {
    // Act
    const key = await readCloudKmsKey(fakeCloudKms().api, KEY, VERSION);
    // Assess
    expect(key.state).toBeUndefined();
    expect(key.unreadReason).toBe(`cryptoKeyVersions.get found no key version ${VERSION} (404 NOT_FOUND)`);
    expect(key.remedy).toBe(
      'Check the key version (`gcloud kms keys versions describe 2 --key=backup --keyring=certctl --location=global --project=certctl-kms`): Cloud KMS found none by this name, and a key version it does not find decrypts nothing. Then run the audit again.',
    );
    const primary = await readCloudKmsKey(fakeCloudKms().api, KEY, undefined);
    expect(primary.unreadReason).toBe(`cryptoKeys.get found no key ${KEY} (404 NOT_FOUND)`);
    expect(primary.remedy).toBe(
      `Check the key (\`gcloud kms keys describe ${KEY}\`): Cloud KMS found none by this name, and a key it does not find decrypts nothing. Then run the audit again.`,
    );
  });

  it('does not call Cloud KMS for a name that is not a key (version) name', async () => {
    // Prepare
    const { api, calls } = fakeCloudKms();
    // Act
    const key = await readCloudKmsKey(api, 'projects/p/keys/k', undefined);
    // Assess
    expect(key.unreadReason).toBe('projects/p/keys/k is not a Cloud KMS key name');
    expect(calls).toEqual([]);
  });

  it('throws, failing the scope, when Cloud KMS keeps failing on its side', async () => {
    // Prepare
    const unavailable = new CloudKmsApiError(
      'Cloud KMS GET answered 503 UNAVAILABLE after 5 attempts',
      503,
      'UNAVAILABLE',
    );
    const { api } = fakeCloudKms({ versions: { [VERSION]: unavailable } });
    // Act / Assess
    await expect(readCloudKmsKey(api, KEY, VERSION)).rejects.toBeInstanceOf(CloudApiError);
    await expect(readCloudKmsKey(api, KEY, VERSION)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
  ] as const)(
    'throws, failing the scope, when Cloud KMS answers %i %s until the retries ran out',
    async (status, code) => {
      // Prepare
      const failed = new CloudKmsApiError(
        `Cloud KMS GET answered ${status} ${code} after 5 attempts`,
        status,
        code,
      );
      const { api } = fakeCloudKms({ versions: { [VERSION]: failed }, keys: { [KEY]: failed } });
      // Act / Assess
      await expect(readCloudKmsKey(api, KEY, VERSION)).rejects.toMatchObject({ name: 'CloudApiError', code });
      await expect(readCloudKmsKey(api, KEY, undefined)).rejects.toMatchObject({
        name: 'CloudApiError',
        code,
      });
    },
  );

  it('throws, failing the scope, when a 4xx names a rate limit (ErrorInfo RATE_LIMIT_EXCEEDED), not the key', async () => {
    // Prepare: before, any 4xx but 429 and a passing code was read as this key's refusal.
    const limited = Object.assign(
      new CloudKmsApiError(
        'Cloud KMS GET answered 403 PERMISSION_DENIED (RATE_LIMIT_EXCEEDED)',
        403,
        'PERMISSION_DENIED',
      ),
      { reason: 'RATE_LIMIT_EXCEEDED' },
    );
    const { api } = fakeCloudKms({ versions: { [VERSION]: limited } });
    // Act / Assess
    await expect(readCloudKmsKey(api, KEY, VERSION)).rejects.toMatchObject({ name: 'CloudApiError' });
  });

  it('throws, failing the scope, when Cloud KMS answers ABORTED, a 4xx that passes on its own', async () => {
    // Prepare
    const aborted = new CloudKmsApiError('Cloud KMS GET answered 409 ABORTED', 409, 'ABORTED');
    const { api } = fakeCloudKms({ versions: { [VERSION]: aborted } });
    // Act / Assess
    await expect(readCloudKmsKey(api, KEY, VERSION)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('cloudKmsKeyReader', () => {
  it('reads each key version once however many secrets it protects', async () => {
    // Prepare
    const { api, calls } = fakeCloudKms({
      versions: { [VERSION]: { state: 'ENABLED' } },
      keys: { [KEY]: { purpose: 'ENCRYPT_DECRYPT', primary: { name: VERSION, state: 'ENABLED' } } },
    });
    const read = cloudKmsKeyReader(api);
    // Act
    await Promise.all([read(KEY, VERSION), read(KEY, VERSION), read(KEY, undefined), read(KEY, undefined)]);
    // Assess
    expect(calls).toEqual([`cryptoKeyVersions.get ${VERSION}`, `cryptoKeys.get ${KEY}`]);
  });
});

describe('CloudKmsRestClient', () => {
  it('GETs the v1 resource by name, signed with the resolved credentials, and retries what Google retries', async () => {
    // Prepare: a local Cloud KMS that is unavailable once, then answers.
    const seen: { url?: string; authorization?: string }[] = [];
    const server = createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/json');
      if (seen.length === 1) {
        response.statusCode = 503;
        response.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE' } }));
        return;
      }
      response.end(JSON.stringify({ name: VERSION, state: 'DESTROY_SCHEDULED' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new CloudKmsRestClient({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer resolved-token' }) },
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    // Act
    let version: Awaited<ReturnType<CloudKmsApi['getCryptoKeyVersion']>>;
    try {
      version = await client.getCryptoKeyVersion(VERSION);
    } finally {
      server.close();
    }
    // Assess
    expect(version.state).toBe('DESTROY_SCHEDULED');
    expect(seen).toEqual([
      { url: `/v1/${VERSION}`, authorization: 'Bearer resolved-token' },
      { url: `/v1/${VERSION}`, authorization: 'Bearer resolved-token' },
    ]);
  });

  it('answers a denied read with a CloudKmsApiError carrying the status and Google code, not retried', async () => {
    // Prepare
    let calls = 0;
    const server = createServer((_request, response) => {
      calls += 1;
      response.statusCode = 403;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: 'denied' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new CloudKmsRestClient({ endpoint: `http://127.0.0.1:${port}` });
    // Act / Assess
    try {
      await expect(client.getCryptoKey(KEY)).rejects.toMatchObject({
        name: 'CloudKmsApiError',
        status: 403,
        code: 'PERMISSION_DENIED',
      });
      expect(calls).toBe(1);
    } finally {
      server.close();
    }
  });
});

describe('readCloudKmsKey over REST, on a 200 answer that is not the resource', () => {
  it('reads no state from a body that is not JSON or names no resource, and says what was wrong without quoting it', async () => {
    for (const [body, what] of [
      ['<html>maintenance page KMS-CANARY</html>', 'not JSON'],
      [JSON.stringify({ state: 'ENABLED', primary: { state: 'ENABLED' }, note: 'KMS-CANARY' }), 'no name'],
    ] as const) {
      // Prepare
      const server = createServer((_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const client = new CloudKmsRestClient({ endpoint: `http://127.0.0.1:${port}` });
      // Act
      let version: Awaited<ReturnType<typeof readCloudKmsKey>>;
      let key: Awaited<ReturnType<typeof readCloudKmsKey>>;
      try {
        version = await readCloudKmsKey(client, KEY, VERSION);
        key = await readCloudKmsKey(client, KEY, undefined);
      } finally {
        server.close();
      }
      // Assess
      for (const read of [version, key]) {
        expect(read.state, what).toBeUndefined();
        expect(read.unreadReason, what).toContain(what);
        expect(JSON.stringify(read)).not.toContain('KMS-CANARY');
      }
    }
  });
});

describe('readCloudKmsKey over REST, when the refusal is not a missing permission', () => {
  /** A 403 as Google sends it with a google.rpc.ErrorInfo (AIP-193). */
  const refusal = (reason: string, metadata: Record<string, string>) =>
    JSON.stringify({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: 'KMS-CANARY refused',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata },
          {
            '@type': 'type.googleapis.com/google.rpc.Help',
            links: [
              {
                description: 'Google developers console API activation',
                url: 'https://console.developers.google.com/apis/api/cloudkms.googleapis.com/overview?project=123456789012',
              },
            ],
          },
        ],
      },
    });

  it.each([
    [
      'the API is not enabled on the consumer project',
      refusal('SERVICE_DISABLED', { consumer: 'projects/123456789012', service: 'cloudkms.googleapis.com' }),
      'cryptoKeys.get was refused (SERVICE_DISABLED): the cloudkms.googleapis.com API is not enabled on project 123456789012: enable it (`gcloud services enable cloudkms.googleapis.com --project 123456789012`)',
    ],
    [
      "the access token lacks the API's OAuth scope",
      refusal('ACCESS_TOKEN_SCOPE_INSUFFICIENT', {
        service: 'cloudkms.googleapis.com',
        method: 'google.cloud.kms.v1.KeyManagementService.GetCryptoKey',
      }),
      'cryptoKeys.get was refused (ACCESS_TOKEN_SCOPE_INSUFFICIENT): the access token of the credentials that made the call lacks an OAuth scope the cloudkms.googleapis.com API accepts (`https://www.googleapis.com/auth/cloud-platform` covers it)',
    ],
    [
      'the billing account of the consumer project is disabled',
      refusal('BILLING_DISABLED', { consumer: 'projects/123456789012', service: 'cloudkms.googleapis.com' }),
      'cryptoKeys.get was refused (BILLING_DISABLED): the billing account of project 123456789012 is disabled, and the cloudkms.googleapis.com API bills to it: link an active billing account (`gcloud billing projects describe 123456789012` names it)',
    ],
    [
      'the credentials may not use their quota project',
      refusal('USER_PROJECT_DENIED', {
        consumer: 'projects/123456789012',
        service: 'cloudkms.googleapis.com',
      }),
      'cryptoKeys.get was refused (USER_PROJECT_DENIED): the credentials that made the call may not bill project 123456789012, their quota project, for the cloudkms.googleapis.com API: grant them serviceusage.services.use there (roles/serviceusage.serviceUsageConsumer) or set another quota project (`gcloud auth application-default set-quota-project`)',
    ],
    [
      'VPC Service Controls refused the call',
      refusal('SECURITY_POLICY_VIOLATED', {
        uid: 'aBc123xyz',
        consumer: 'projects/123456789012',
        service: 'cloudkms.googleapis.com',
      }),
      'cryptoKeys.get was refused (SECURITY_POLICY_VIOLATED): a VPC Service Controls perimeter refused the call to the cloudkms.googleapis.com API (unique id aBc123xyz in its audit log): call it from inside the perimeter or allow it with an ingress rule',
    ],
    [
      'the consumer project is suspended',
      refusal('CONSUMER_SUSPENDED', {
        consumer: 'projects/123456789012',
        service: 'cloudkms.googleapis.com',
      }),
      'cryptoKeys.get was refused (CONSUMER_SUSPENDED): project 123456789012 is suspended: resolve its suspension (https://cloud.google.com/resource-manager/docs/project-suspension-guidelines)',
    ],
  ])('says so when %s, naming no permission on the key', async (_, body, reason) => {
    // Prepare
    const server = createServer((_request, response) => {
      response.statusCode = 403;
      response.setHeader('content-type', 'application/json');
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new CloudKmsRestClient({ endpoint: `http://127.0.0.1:${port}` });
    // Act
    let key: Awaited<ReturnType<typeof readCloudKmsKey>>;
    try {
      key = await readCloudKmsKey(client, KEY, undefined);
    } finally {
      server.close();
    }
    // Assess
    expect(key.unreadReason).toBe(reason);
    expect(key.unreadReason).not.toContain('KMS-CANARY');
    // What lifts the refusal, no grant on the key: the reason's own words, as a sentence.
    const lifts = reason.replace(/^cryptoKeys\.get was refused \(\w+\): /, '');
    expect(key.remedy).toBe(`${lifts[0]?.toUpperCase()}${lifts.slice(1)}, then run the audit again.`);
    expect(key.remedy).not.toContain('KMS-CANARY');
  });
});
