import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { CredentialsError, PolicyError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  createFederatedAwsFactory,
  FederationError,
  federationTargetOf,
  gcpFederatedCredentials,
  IdTokenError,
  type IdTokenSource,
  METADATA_HOST_ENV,
  metadataIdTokenSource,
} from '../../functions/gcp/federation.ts';
import { verifyIdToken } from '../sim/jwt.ts';
import type { Sim } from '../sim/server.ts';
import { GCE_METADATA_SERVICE, type GceMetadataSim } from '../sim/services/gce-metadata.ts';
import {
  AUDIENCE,
  CENTRAL_ACCOUNT,
  CENTRAL_REGION,
  federationScenario,
  ROLE_ARN,
  SERVICE_ACCOUNT_ID,
  startGcpSim,
} from './sim-setup.ts';

describe('GCP -> AWS federation against the simulator', () => {
  let sim: Sim;
  let metadata: GceMetadataSim;

  beforeEach(async () => {
    // STS and the SDK judge expiry on the real clock, so these tests run on it too.
    ({ sim } = await startGcpSim(federationScenario(), { clock: () => new Date() }));
    metadata = sim.service<GceMetadataSim>(GCE_METADATA_SERVICE);
  });

  afterEach(async () => {
    await sim.close();
  });

  function metadataHost(): string {
    return new URL(sim.endpoint).host;
  }

  /** A token source that remembers every token it handed out. */
  function recordingSource(): IdTokenSource & { tokens: string[] } {
    const tokens: string[] = [];
    const inner = metadataIdTokenSource({ host: metadataHost() });
    return Object.assign(
      async (audience: string) => {
        const token = await inner(audience);
        tokens.push(token);
        return token;
      },
      { tokens },
    );
  }

  function stsConfig() {
    return new AwsClientFactory({ maxAttempts: 2, endpoint: sim.endpoint }).config(CENTRAL_REGION);
  }

  it('gets an ID token for the audience with the service account as azp and sub', async () => {
    // Act
    const token = await metadataIdTokenSource({ host: metadataHost() })(AUDIENCE);

    // Assess
    const claims = verifyIdToken(token);
    expect(claims).toMatchObject({ aud: AUDIENCE, azp: SERVICE_ACCOUNT_ID, sub: SERVICE_ACCOUNT_ID });
    expect(metadata.mintedAudiences).toEqual([AUDIENCE]);
  });

  it('fails with a CredentialsError and does not retry when the metadata server refuses', async () => {
    // Prepare
    metadata.refuse({ status: 404, message: 'no service account' });

    // Act
    const fetching = metadataIdTokenSource({ host: metadataHost() })(AUDIENCE);

    // Assess
    await expect(fetching).rejects.toBeInstanceOf(CredentialsError);
    await expect(fetching).rejects.toThrow(/HTTP 404: no service account/);
    expect(sim.stats().byService.gceMetadata).toBe(1);
  });

  it('refuses an answer that is not shaped like a JWT and never quotes it when the metadata server answers 200', async () => {
    // Prepare: a 200 answer that is not header.payload.signature (a proxy page, an empty body).
    const answers = ['<html>captive portal</html>', 'only.two', '', 'a.b.c.d'];
    const sources = answers.map((body) =>
      metadataIdTokenSource({
        host: 'metadata.test',
        fetch: async () => new Response(body, { status: 200 }),
      }),
    );

    // Act
    const errors = await Promise.all(
      sources.map((source) =>
        source(AUDIENCE).then(
          () => undefined,
          (error) => error,
        ),
      ),
    );

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(CredentialsError);
      expect((error as Error).message).toContain('something that is not a JWT');
      expect((error as Error).message).not.toContain('captive portal');
    }
  });

  it('returns the token trimmed when the metadata server answers a JWT with a trailing newline', async () => {
    // Prepare
    const source = metadataIdTokenSource({
      host: 'metadata.test',
      fetch: async () => new Response('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n', { status: 200 }),
    });

    // Act
    const token = await source(AUDIENCE);

    // Assess
    expect(token).toBe('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl');
  });

  it('retries the metadata server when it answers 5xx, then names the last answer', async () => {
    // Prepare
    sim.setFaults({ errorRate: 1, services: [GCE_METADATA_SERVICE] });

    // Act
    const fetching = metadataIdTokenSource({ host: metadataHost() })(AUDIENCE);

    // Assess
    await expect(fetching).rejects.toThrow(/HTTP 503/);
    expect(sim.stats().byService.gceMetadata).toBe(3);
  });

  it('names the socket error and the host variable when the metadata server cannot be reached', async () => {
    // Prepare: a loopback port nothing listens on any more.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const source = metadataIdTokenSource({ host: `127.0.0.1:${port}` });

    // Act
    const fetching = source(AUDIENCE);

    // Assess
    await expect(fetching).rejects.toThrow(CredentialsError);
    await expect(fetching).rejects.toThrow(
      `the metadata server at 127.0.0.1:${port} (GCE_METADATA_HOST) could not be reached (connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED), 3 attempts); GCE_METADATA_HOST names 127.0.0.1:${port}: is a metadata server listening there?`,
    );
    await expect(fetching).rejects.toMatchObject({ problem: 'unreachable' });
  });

  it('says only Google Cloud has the metadata server when its name does not resolve', async () => {
    // Prepare: undici's failure for an unknown host, as outside Google Cloud (no DNS lookup here).
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND metadata.google.internal'), {
      code: 'ENOTFOUND',
    });
    const source = metadataIdTokenSource({
      host: 'metadata.google.internal',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: notFound });
      },
    });

    // Act
    const error = await source(AUDIENCE).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(IdTokenError);
    expect(error).toMatchObject({ problem: 'unreachable' });
    expect((error as Error).message).toBe(
      "the metadata server at metadata.google.internal could not be reached (getaddrinfo ENOTFOUND metadata.google.internal (ENOTFOUND), 3 attempts); only Google Cloud runtimes have a metadata server; for a local run set GCE_METADATA_HOST to one (the simulator's)",
    );
  });

  it('reads a blank GCE_METADATA_HOST as unset, asking and naming metadata.google.internal', async () => {
    // Prepare: the variable set but blank (an empty value in an env file).
    const saved = process.env[METADATA_HOST_ENV];
    process.env[METADATA_HOST_ENV] = '  ';
    const urls: string[] = [];
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND metadata.google.internal'), {
      code: 'ENOTFOUND',
    });
    const source = metadataIdTokenSource({
      fetch: async (url) => {
        urls.push(String(url));
        throw new TypeError('fetch failed', { cause: notFound });
      },
    });
    if (saved === undefined) delete process.env[METADATA_HOST_ENV];
    else process.env[METADATA_HOST_ENV] = saved;

    // Act
    const error = await source(AUDIENCE).catch((caught: unknown) => caught);

    // Assess: the message names the host asked, and the hint is the one for Google Cloud's own.
    expect(urls[0]).toMatch(/^http:\/\/metadata\.google\.internal\/computeMetadata\//);
    expect((error as Error).message).toMatch(
      /^the metadata server at metadata\.google\.internal could not be reached .*; only Google Cloud runtimes have a metadata server/,
    );
  });

  it('names the timeout when the metadata server never answers', async () => {
    // Prepare: the abort AbortSignal.timeout raises (no real wait).
    let attempts = 0;
    const source = metadataIdTokenSource({
      host: metadataHost(),
      fetch: async () => {
        attempts += 1;
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      },
    });

    // Act
    const error = await source(AUDIENCE).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ problem: 'timeout' });
    expect((error as Error).message).toContain('did not answer within 5000 ms (3 attempts)');
    expect(attempts).toBe(3);
  });

  it('assumes the federation role and fetches a fresh token each time the credentials are refreshed', async () => {
    // Prepare
    const source = recordingSource();
    let clock = new Date();
    const provider = gcpFederatedCredentials({
      roleArn: ROLE_ARN,
      audience: AUDIENCE,
      stsClientConfig: stsConfig(),
      idTokenSource: source,
      now: () => clock,
    });

    // Act
    const first = await provider();
    const cached = await provider();
    clock = new Date(Date.now() + 2 * 3_600_000);
    const refreshed = await provider();

    // Assess
    expect(first.accessKeyId).toBeTruthy();
    expect(cached).toBe(first);
    expect(refreshed.accessKeyId).not.toBe(first.accessKeyId);
    expect(source.tokens).toHaveLength(2);
    expect(metadata.mintedAudiences).toEqual([AUDIENCE, AUDIENCE]);
    expect(sim.stats().byOperation['sts:AssumeRoleWithWebIdentity']).toBe(2);
  });

  it('shares one refresh between concurrent callers', async () => {
    // Prepare
    const source = recordingSource();
    const provider = gcpFederatedCredentials({
      roleArn: ROLE_ARN,
      audience: AUDIENCE,
      stsClientConfig: stsConfig(),
      idTokenSource: source,
    });

    // Act
    const all = await Promise.all([provider(), provider(), provider()]);

    // Assess
    expect(new Set(all.map((credentials) => credentials.accessKeyId)).size).toBe(1);
    expect(source.tokens).toHaveLength(1);
  });

  it('names the role and the STS code, and never the token, when the trust policy refuses the token', async () => {
    // Prepare
    const source = recordingSource();
    const provider = gcpFederatedCredentials({
      roleArn: ROLE_ARN,
      audience: 'https://someone-else.example.com',
      stsClientConfig: stsConfig(),
      idTokenSource: source,
    });

    // Act
    const error = await provider().catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toBeInstanceOf(FederationError);
    expect(error).toMatchObject({ name: 'CredentialsError', roleArn: ROLE_ARN, stsCode: 'AccessDenied' });
    expect((error as Error).message).toContain(ROLE_ARN);
    expect((error as Error).message).toContain('AccessDenied');
    const token = source.tokens[0] as string;
    expect(token.length).toBeGreaterThan(20);
    expect(inspect(error, { depth: 10 })).not.toContain(token);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(token);
  });

  it('reports InvalidIdentityToken when the token is not one Google signed', async () => {
    // Prepare
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const provider = gcpFederatedCredentials({
      roleArn: ROLE_ARN,
      audience: AUDIENCE,
      stsClientConfig: stsConfig(),
      idTokenSource: async () => forged,
    });

    // Act
    const error = await provider().catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/failed with InvalidIdentityToken/);
    expect(inspect(error, { depth: 10 })).not.toContain(forged);
  });

  it('fails with a CredentialsError naming the role when no ID token can be had', async () => {
    // Prepare
    metadata.refuse({ status: 403, message: 'forbidden' });
    const provider = gcpFederatedCredentials({
      roleArn: ROLE_ARN,
      audience: AUDIENCE,
      stsClientConfig: stsConfig(),
      idTokenSource: metadataIdTokenSource({ host: metadataHost() }),
    });

    // Act
    const error = await provider().catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(FederationError);
    expect(error).toMatchObject({ roleArn: ROLE_ARN, stsCode: undefined, idTokenProblem: 'refused' });
    expect((error as Error).message).toBe(
      `Cannot assume ${ROLE_ARN}: no Google ID token: the metadata server at ${metadataHost()} (GCE_METADATA_HOST) refused the identity request for audience ${AUDIENCE} (HTTP 403: forbidden); the Cloud Function's service account must be able to mint ID tokens through the metadata server.`,
    );
    expect(sim.stats().byOperation['sts:AssumeRoleWithWebIdentity']).toBeUndefined();
  });
});

describe('createFederatedAwsFactory', () => {
  it('refuses with the policy path when the policy has no federation section', () => {
    // Prepare
    const policy = parsePolicy({ securityHub: { enabled: true, centralAccountId: CENTRAL_ACCOUNT } });

    // Act
    const creating = () => createFederatedAwsFactory(policy);

    // Assess
    expect(creating).toThrow(PolicyError);
    expect(creating).toThrow(/policy.gcp.federation is not set/);
  });

  it('refuses instead of defaulting to a region when a policy built without the schema has no central region', () => {
    // Prepare: the schema requires both fields with gcp.federation; a policy assembled in code may not.
    const parsed = parsePolicy({
      gcp: {
        federation: { roleArn: ROLE_ARN, audience: AUDIENCE, serviceAccountUniqueId: SERVICE_ACCOUNT_ID },
      },
      securityHub: { centralAccountId: CENTRAL_ACCOUNT, centralRegion: CENTRAL_REGION },
    });
    const policy = { ...parsed, securityHub: { ...parsed.securityHub, centralRegion: undefined } };

    // Act
    const creating = () => createFederatedAwsFactory(policy);

    // Assess
    expect(creating).toThrow(PolicyError);
    expect(creating).toThrow(/policy.securityHub.centralRegion must both be set/);
    let issues: readonly { path: string }[] = [];
    try {
      creating();
    } catch (error) {
      issues = (error as PolicyError).issues;
    }
    expect(issues.map((issue) => issue.path)).toEqual(['securityHub.centralRegion']);
  });

  it('publishes into exactly the policy’s central account and region when the policy federates', () => {
    // Prepare
    const policy = parsePolicy({
      gcp: {
        federation: { roleArn: ROLE_ARN, audience: AUDIENCE, serviceAccountUniqueId: SERVICE_ACCOUNT_ID },
      },
      securityHub: { centralAccountId: CENTRAL_ACCOUNT, centralRegion: 'ap-southeast-2' },
    });

    // Act
    const target = federationTargetOf(policy);

    // Assess
    expect(target).toEqual({
      roleArn: ROLE_ARN,
      audience: AUDIENCE,
      centralAccountId: CENTRAL_ACCOUNT,
      centralRegion: 'ap-southeast-2',
    });
  });

  it('uses the federated identity as the factory’s own credentials when the policy federates', async () => {
    // Prepare
    const { sim } = await startGcpSim(federationScenario(), { clock: () => new Date() });
    const policy = parsePolicy({
      gcp: {
        federation: { roleArn: ROLE_ARN, audience: AUDIENCE, serviceAccountUniqueId: SERVICE_ACCOUNT_ID },
      },
      securityHub: { centralAccountId: CENTRAL_ACCOUNT, centralRegion: CENTRAL_REGION },
    });

    // Act
    const factory = createFederatedAwsFactory(policy, {
      endpoint: sim.endpoint,
      idTokenSource: metadataIdTokenSource({ host: new URL(sim.endpoint).host }),
    });
    const credentials = factory.credentialsFor();
    const resolved = typeof credentials === 'function' ? await credentials() : credentials;
    await sim.close();

    // Assess
    expect(resolved?.accessKeyId).toBeTruthy();
    expect(factory.config(CENTRAL_REGION)).toMatchObject({ region: CENTRAL_REGION, endpoint: sim.endpoint });
  });
});
