/**
 * The lean JSON path (functions/aws/json-wire.ts) against the SDK itself: the same calls and the
 * same key-material audit both ways against the simulator, with error answers, throttling and
 * bodies the lean decoder does not accept; and what the lean request is built from (the client's
 * endpoint resolution, the client's credentials provider).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditedAccount,
  AwsClientFactory,
  type ClientConstructor,
} from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { decodeJson, type JsonShape, sendJson } from '../../functions/aws/json-wire.ts';
import { DESCRIBE_KEY_SHAPE } from '../../functions/aws/kms-keys.ts';
import { DESCRIBE_SECRET_SHAPE } from '../../functions/aws/secrets-manager.ts';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import { ACCOUNT, arn, CANARY, keysPolicy, keysScenario } from '../fixtures/keys/world.ts';
import { QUICK_RETRY_WAITS, simCredentials } from '../sim/accounts.ts';
import type { Faults } from '../sim/faults.ts';
import { type Sim, startSim } from '../sim/server.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/aaaaaaaa-1111-2222-3333-444444444444`;

/** The keys world plus a secret whose description is denied. */
function scenario() {
  const world = keysScenario();
  const secrets = world.services?.secretsManager as { secrets: object[] };
  secrets.secrets.push({
    name: 'certctl/denied',
    region: 'eu-west-1',
    kmsKeyId: KEY_ARN,
    denied: ['DescribeSecret'],
    value: `denied ${CANARY}`,
  });
  return world;
}

function policy(inspect: boolean) {
  const input = keysPolicy(inspect);
  const keys = input.keys as { items: Record<string, object> };
  keys.items['ocsp-key.denied'] = { kind: 'private-key', secret: arn('eu-west-1', 'certctl/denied') };
  // AWS only: the GCP half of the world is not what these tests compare.
  delete input.gcp;
  for (const name of Object.keys(keys.items)) if (name.startsWith('gcp-')) delete keys.items[name];
  return parsePolicy(input);
}

/** Requests each path sent, seen at the client's request handler. */
interface Sent {
  lean: number;
  sdk: number;
}

/**
 * A factory whose clients either take the lean path (as in production) or, with `sdkOnly`, carry
 * a `send` of their own that calls the SDK's, which the lean path leaves alone. Both count the
 * requests they hand to the request handler: the SDK's carry `amz-sdk-invocation-id`.
 */
class CountingFactory extends AwsClientFactory {
  readonly sent: Sent = { lean: 0, sdk: 0 };
  readonly #sdkOnly: boolean;
  readonly #seen = new WeakSet<object>();

  constructor(endpoint: string, sdkOnly: boolean, maxAttempts = 3) {
    // The retry waits scaled down: the retries and their count, not their pacing, are compared here.
    super({ maxAttempts, credentials: simCredentials(), endpoint, retryWaitScale: QUICK_RETRY_WAITS });
    this.#sdkOnly = sdkOnly;
  }

  override client<C>(ctor: ClientConstructor<C>, region: string, account?: AuditedAccount): C {
    const client = super.client(ctor, region, account) as C & {
      send: (command: unknown) => Promise<unknown>;
      config: { requestHandler: { handle: (request: { headers: Record<string, string> }) => unknown } };
    };
    if (this.#seen.has(client)) return client;
    this.#seen.add(client);
    const handler = client.config.requestHandler;
    const handle = handler.handle.bind(handler);
    handler.handle = (request) => {
      if (request.headers['amz-sdk-invocation-id']) this.sent.sdk += 1;
      else this.sent.lean += 1;
      return handle(request);
    };
    if (this.#sdkOnly) {
      const send = Object.getPrototypeOf(client).send as (command: unknown) => Promise<unknown>;
      client.send = (command) => send.call(client, command);
    }
    return client;
  }
}

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: scenario(), clock: () => NOW });
});

afterAll(async () => {
  await sim.close();
});

/** One AWS keys audit with the given path and faults, and what the simulator counted. */
async function audit(sdkOnly: boolean, inspect: boolean, faults: Faults = {}, maxAttempts = 3) {
  sim.setFaults(faults);
  sim.resetStats();
  const factory = new CountingFactory(sim.endpoint, sdkOnly, maxAttempts);
  try {
    const report = await runAuditReport(
      { providers: ['aws'], groups: ['keys'] },
      { policy: policy(inspect), aws: { factory, collectors: awsCollectors }, now: () => NOW },
    );
    const stats = sim.stats();
    return {
      report,
      sent: factory.sent,
      requests: stats.requests,
      throttled: stats.faults.throttled,
      byOperation: stats.byOperation,
    };
  } finally {
    factory.destroy();
    sim.setFaults({});
  }
}

function findingsOf(report: AuditReport) {
  return report.findings.map((finding) => JSON.stringify(finding)).sort();
}

describe('the keys audit through the lean path', () => {
  it('reports the same findings as through the SDK, with denied and missing secrets, sending the same requests', async () => {
    // Act
    const sdk = await audit(true, false);
    const lean = await audit(false, false);

    // Assess
    expect(lean.sent.lean).toBeGreaterThan(0);
    expect(sdk.sent.lean).toBe(0);
    expect(findingsOf(lean.report)).toEqual(findingsOf(sdk.report));
    expect(lean.report.scopes).toEqual(sdk.report.scopes);
    expect(lean.byOperation).toEqual(sdk.byOperation);
    const statuses = lean.report.findings
      .filter(
        (finding) => finding.resource.id === 'certctl/denied' || finding.resource.id.includes('missing'),
      )
      .map((finding) => `${finding.resource.id} ${finding.checkId} ${finding.status}`);
    expect(statuses).toEqual(
      expect.arrayContaining([
        'certctl/denied keys.present NOT_AVAILABLE',
        expect.stringMatching(/missing keys\.present FAILED$/),
      ]),
    );
  });

  it('retries throttled answers as the SDK does, counting the lean attempt as the first, when Secrets Manager throttles', async () => {
    // Prepare: the same deterministic throttling for both runs (decided per request content)
    const faults: Faults = { throttleRate: 0.1, services: ['secretsManager'], seed: 4 };

    // Act
    const sdk = await audit(true, false, faults, 5);
    const lean = await audit(false, false, faults, 5);

    // Assess
    expect(sdk.throttled).toBeGreaterThan(0);
    expect(lean.throttled).toBe(sdk.throttled);
    expect(lean.requests).toBe(sdk.requests);
    expect(findingsOf(lean.report)).toEqual(findingsOf(sdk.report));
    expect(lean.sent.sdk).toBeGreaterThan(0);
  });

  it('keeps every secret value out of the report, with inspection on and answers denied and throttled', async () => {
    // Act
    const faults: Faults = { throttleRate: 0.1, services: ['secretsManager'], seed: 4 };
    const lean = await audit(false, true, faults, 5);
    const sdk = await audit(true, true, faults, 5);

    // Assess
    expect(lean.byOperation['secretsManager:BatchGetSecretValue']).toBeGreaterThan(0);
    expect(lean.throttled).toBeGreaterThan(0);
    expect(JSON.stringify(lean.report)).not.toContain(CANARY);
    expect(findingsOf(lean.report)).toEqual(findingsOf(sdk.report));
  });
});

/** The SDK's output reduced to the members `shape` names (what the lean path promises). */
function project(value: unknown, shape: JsonShape): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const member = record[name];
    if (member === undefined) continue;
    if (typeof field === 'string') out[name] = member;
    else if ('struct' in field) out[name] = project(member, field.struct);
    else if ('map' in field) out[name] = member;
    else {
      const of = field.list;
      out[name] = (member as unknown[]).map((item) => (of === 'string' ? item : project(item, of)));
    }
  }
  return out;
}

/** What callers read of an error: the adapter classifies on name and status, and reports the message. */
function errorOf(error: unknown) {
  const { name, message, $metadata } = error as {
    name: string;
    message: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  return { name, message, status: $metadata?.httpStatusCode, attempts: $metadata?.attempts };
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

describe('sendJson against the simulator', () => {
  it('answers the members the adapter reads, as the SDK decodes them, when DescribeSecret and DescribeKey succeed', async () => {
    // Prepare
    const factory = new CountingFactory(sim.endpoint, false);
    const sm = factory.client(SecretsManagerClient, 'eu-west-1');
    const kms = factory.client(KMSClient, 'eu-west-1');
    try {
      // Act
      const lean = await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, {
        SecretId: 'certctl/ocsp-iss-local',
      });
      const sdk = await sm.send(new DescribeSecretCommand({ SecretId: 'certctl/ocsp-iss-local' }));
      const leanKey = await sendJson(kms, DescribeKeyCommand, DESCRIBE_KEY_SHAPE, {
        KeyId: 'cccccccc-1111-2222-3333-444444444444',
      });
      const sdkKey = await kms.send(
        new DescribeKeyCommand({ KeyId: 'cccccccc-1111-2222-3333-444444444444' }),
      );

      // Assess
      expect(lean).toEqual({
        ...project(sdk, DESCRIBE_SECRET_SHAPE),
        $metadata: { ...sdk.$metadata, requestId: expect.any(String) },
      });
      expect((lean as { DeletedDate?: Date }).DeletedDate).toBeInstanceOf(Date);
      expect(leanKey).toEqual({
        ...project(sdkKey, DESCRIBE_KEY_SHAPE),
        $metadata: { ...sdkKey.$metadata, requestId: expect.any(String) },
      });
      expect(factory.sent).toEqual({ lean: 2, sdk: 2 });
    } finally {
      factory.destroy();
    }
  });

  it.each([
    ['AccessDeniedException', 'certctl/denied'],
    ['ResourceNotFoundException', 'certctl/none-such'],
  ])(
    'rejects with the SDK’s own %s, sending one request, when the service answers it',
    async (name, secretId) => {
      // Prepare
      const factory = new CountingFactory(sim.endpoint, false);
      const sm = factory.client(SecretsManagerClient, 'eu-west-1');
      try {
        // Act
        sim.resetStats();
        const lean = await failure(
          sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: secretId }),
        );
        const leanRequests = sim.stats().requests;
        const sdk = await failure(sm.send(new DescribeSecretCommand({ SecretId: secretId })));

        // Assess
        expect(errorOf(lean)).toEqual(errorOf(sdk));
        expect(errorOf(lean)).toMatchObject({ name, status: 400, attempts: 1 });
        expect(lean).toBeInstanceOf((sdk as object).constructor);
        expect(leanRequests).toBe(1);
      } finally {
        factory.destroy();
      }
    },
  );

  it('makes exactly maxAttempts requests and rejects as the SDK does when every answer is throttled', async () => {
    // Prepare
    const factory = new CountingFactory(sim.endpoint, false, 2);
    const sm = factory.client(SecretsManagerClient, 'eu-west-1');
    try {
      // Act
      sim.setFaults({ throttleRate: 1, services: ['secretsManager'] });
      sim.resetStats();
      const lean = await failure(
        sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'certctl/ca' }),
      );
      const leanRequests = sim.stats().requests;
      sim.resetStats();
      const sdk = await failure(sm.send(new DescribeSecretCommand({ SecretId: 'certctl/ca' })));
      const sdkRequests = sim.stats().requests;

      // Assess
      expect(errorOf(lean)).toEqual(errorOf(sdk));
      expect(errorOf(lean)).toMatchObject({ name: 'ThrottlingException', attempts: 2 });
      expect(leanRequests).toBe(2);
      expect(sdkRequests).toBe(2);
    } finally {
      sim.setFaults({});
      factory.destroy();
    }
  });
});

/**
 * A server answering every request with `answer`, keeping the requests: its body in one write, or in
 * `pieces` written one event-loop turn apart (several chunks on the client); `cut` announces a longer
 * body and closes the connection after it.
 */
async function answering(answer: {
  status: number;
  type: string;
  body: string;
  pieces?: number;
  cut?: boolean;
}) {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request);
    request.resume();
    request.on('end', async () => {
      response.writeHead(answer.status, {
        'content-type': answer.type,
        'x-amzn-requestid': 'req-1',
        ...(answer.cut ? { 'content-length': String(Buffer.byteLength(answer.body) + 100) } : {}),
      });
      const size = Math.ceil(answer.body.length / (answer.pieces ?? 1));
      for (let start = 0; start < answer.body.length; start += size) {
        response.write(answer.body.slice(start, start + size));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (answer.cut) response.destroy();
      else response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sendJson on answers that are not the operation’s JSON', () => {
  it.each([
    [
      'an HTML page with 200',
      { status: 200, type: 'text/html', body: `<html><body>${CANARY}</body></html>` },
    ],
    [
      'an HTML page with 502',
      { status: 502, type: 'text/html', body: '<html><body>Bad Gateway</body></html>' },
    ],
    [
      'a truncated JSON body',
      { status: 200, type: 'application/x-amz-json-1.1', body: '{"Name": "certctl/ca", "ARN"' },
    ],
    ['a member of the wrong type', { status: 200, type: 'application/x-amz-json-1.1', body: '{"Name": 5}' }],
    ['a JSON array', { status: 200, type: 'application/x-amz-json-1.1', body: '[]' }],
    [
      'an answer in several pieces',
      {
        status: 200,
        type: 'application/x-amz-json-1.1',
        body: '{"Name": "certctl/ca", "ARN": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca-AbCdEf", "DeletedDate": 1764547200.5}',
        pieces: 4,
      },
    ],
    [
      'a connection closed in the middle of the body',
      { status: 200, type: 'application/x-amz-json-1.1', body: '{"Name": "certctl/ca", ', cut: true },
    ],
  ])('answers or rejects as the SDK does, with as many requests, on %s', async (_label, answer) => {
    // Prepare
    const server = await answering(answer);
    const factory = new CountingFactory(server.endpoint, false, 2);
    const sm = factory.client(SecretsManagerClient, 'eu-west-1');
    try {
      // Act
      const lean = await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, {
        SecretId: 'certctl/ca',
      }).then(
        (output) => ({ output }),
        (error: unknown) => ({ error }),
      );
      const leanRequests = server.requests.length;
      const sdk = await sm.send(new DescribeSecretCommand({ SecretId: 'certctl/ca' })).then(
        (output) => ({ output }),
        (error: unknown) => ({ error }),
      );

      // Assess
      if ('error' in sdk) {
        expect('error' in lean && errorOf(lean.error)).toEqual(errorOf(sdk.error));
        expect((lean as { error: Error }).error).toBeInstanceOf((sdk.error as object).constructor);
        expect(String((lean as { error: Error }).error.message)).not.toContain(CANARY);
      } else {
        expect('output' in lean && lean.output).toEqual(sdk.output);
      }
      expect(leanRequests).toBe(server.requests.length - leanRequests);
      expect(factory.sent.lean).toBe(1);
    } finally {
      factory.destroy();
      await server.close();
    }
  });
});

/** A request handler that records requests and answers a DescribeSecret body. */
function recordingHandler() {
  const requests: { hostname: string; protocol: string; path: string; headers: Record<string, string> }[] =
    [];
  return {
    requests,
    handle: async (request: (typeof requests)[number]) => {
      requests.push(request);
      return {
        response: {
          statusCode: 200,
          headers: { 'x-amzn-requestid': 'req-2' },
          body: Readable.from([Buffer.from('{"Name":"certctl/ca"}')]),
        },
      };
    },
  };
}

describe('the lean request', () => {
  it('goes where the client resolves the operation, when the client uses FIPS endpoints', async () => {
    // Prepare
    const handler = recordingHandler();
    const sm = new SecretsManagerClient({
      region: 'us-gov-west-1',
      useFipsEndpoint: true,
      credentials: simCredentials(),
      requestHandler: handler,
    });

    // Act
    await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });
    await sm.send(new DescribeSecretCommand({ SecretId: 'a' }));

    // Assess
    const [lean, sdk] = handler.requests;
    expect(lean?.hostname).toBe('secretsmanager-fips.us-gov-west-1.amazonaws.com');
    expect(lean?.hostname).toBe(sdk?.hostname);
    expect(lean?.protocol).toBe(sdk?.protocol);
    expect(lean?.path).toBe(sdk?.path);
    expect(lean?.headers['x-amz-target']).toBe(sdk?.headers['x-amz-target']);
    expect(lean?.headers['content-type']).toBe(sdk?.headers['content-type']);
    expect(lean?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-gov-west-1\/secretsmanager\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });

  it('is signed with the credentials the client’s provider gives now, when they are refreshed between calls', async () => {
    // Prepare: credentials that expire within the SDK's refresh window, so each call asks again
    const handler = recordingHandler();
    let issued = 0;
    const sm = new SecretsManagerClient({
      region: 'eu-west-1',
      credentials: async () => {
        issued += 1;
        return {
          accessKeyId: `AKIDROTATED${issued}`,
          secretAccessKey: 'secret',
          sessionToken: `token-${issued}`,
          expiration: new Date(Date.now() + 60_000),
        };
      },
      requestHandler: handler,
    });

    // Act
    await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });
    await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });

    // Assess
    const keys = handler.requests.map(
      (request) => /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1],
    );
    expect(new Set(keys).size).toBe(2);
    expect(handler.requests.map((request) => request.headers['x-amz-security-token'])).toEqual(
      keys.map((key) => `token-${key?.replace('AKIDROTATED', '')}`),
    );
  });
});

describe('the lean route', () => {
  it('is found again by the next call, when the client could not get credentials for the first', async () => {
    // Prepare
    const handler = recordingHandler();
    let asked = 0;
    const sm = new SecretsManagerClient({
      region: 'eu-west-1',
      credentials: async () => {
        asked += 1;
        if (asked <= 2) throw new Error('no credentials yet');
        return { accessKeyId: 'AKIDLATER', secretAccessKey: 'secret' };
      },
      requestHandler: handler,
    });

    // Act
    const first = await failure(
      sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' }),
    );
    await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });

    // Assess
    expect((first as Error).message).toBe('no credentials yet');
    expect(handler.requests).toHaveLength(1);
    expect(handler.requests[0]?.headers['amz-sdk-invocation-id']).toBeUndefined();
  });
});

describe('a lean call that cannot be signed', () => {
  it('is made by the SDK from its start, which reports why, when the credentials provider fails after the route was found', async () => {
    // Prepare
    const handler = recordingHandler();
    let failOnce = false;
    const sm = new SecretsManagerClient({
      region: 'eu-west-1',
      credentials: async () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('the role cannot be assumed now');
        }
        // Expiring within the SDK's refresh window, so each signing asks the provider again.
        return {
          accessKeyId: 'AKIDNOW',
          secretAccessKey: 'secret',
          expiration: new Date(Date.now() + 60_000),
        };
      },
      requestHandler: handler,
    });
    await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });
    const before = handler.requests.length;
    failOnce = true;

    // Act
    const answer = await sendJson(sm, DescribeSecretCommand, DESCRIBE_SECRET_SHAPE, { SecretId: 'a' });

    // Assess: the SDK asked again and sent the one request, with its own headers
    expect(answer).toMatchObject({ Name: 'certctl/ca' });
    expect(handler.requests.length - before).toBe(1);
    expect(handler.requests.at(-1)?.headers['amz-sdk-invocation-id']).toBeDefined();
    expect(handler.requests.at(-1)?.headers['amz-sdk-request']).toBe('attempt=1; max=3');
  });
});

describe('decodeJson', () => {
  it('decodes epoch-second timestamps as the SDK does (milliseconds rounded) and skips members not in the shape', () => {
    // Act
    const decoded = decodeJson(
      Buffer.from('{"Name":"n","DeletedDate":1700000000.1235,"Tags":[{"Key":"k"}]}'),
      DESCRIBE_SECRET_SHAPE,
    );

    // Assess
    expect(decoded).toEqual({ Name: 'n', DeletedDate: new Date(1700000000124) });
  });

  it('declines a body whose member is null or of another type, leaving the answer to the SDK', () => {
    expect(decodeJson(Buffer.from('{"Name":null}'), DESCRIBE_SECRET_SHAPE)).toBeUndefined();
    expect(decodeJson(Buffer.from('{"DeletedDate":"2026-01-01"}'), DESCRIBE_SECRET_SHAPE)).toBeUndefined();
    expect(
      decodeJson(Buffer.from('{"ReplicationStatus":[{"Region":1}]}'), DESCRIBE_SECRET_SHAPE),
    ).toBeUndefined();
    expect(decodeJson(Buffer.from('not json'), DESCRIBE_SECRET_SHAPE)).toBeUndefined();
  });

  it('keeps a map member named __proto__ as a member, as the SDK does, when a version id is that text', () => {
    // Act
    const decoded = decodeJson(
      Buffer.from('{"VersionIdsToStages":{"__proto__":["AWSCURRENT"],"v2":["AWSPREVIOUS"]}}'),
      DESCRIBE_SECRET_SHAPE,
    );

    // Assess
    const stages = decoded?.VersionIdsToStages as Record<string, unknown>;
    expect(Object.entries(stages)).toEqual([
      ['__proto__', ['AWSCURRENT']],
      ['v2', ['AWSPREVIOUS']],
    ]);
    expect(Object.getPrototypeOf(stages)).toBe(Object.prototype);
  });
});
