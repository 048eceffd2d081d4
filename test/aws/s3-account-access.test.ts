/**
 * The account-level S3 Block Public Access: S3 applies the most restrictive combination of the
 * bucket's and the account's settings, so a bucket whose own settings leave a path open is still
 * blocked where the account blocks it. The dumps audit reads the account's setting (S3 Control)
 * with the real S3 client against the simulator, and dumps.protection judges the combination.
 */
import { Readable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import {
  effectivePublicAccess,
  type PublicAccessLevel,
  readAccountPublicAccess,
} from '../../functions/aws/s3-account-access.ts';
import { collectS3DumpFacts } from '../../functions/aws/s3-dumps.ts';
import { dumpsFreshCheck } from '../../functions/checks/dumps/fresh.ts';
import { dumpsIntegrityCheck } from '../../functions/checks/dumps/integrity.ts';
import { dumpsProtectionCheck } from '../../functions/checks/dumps/protection.ts';
import { dumpsRetentionCheck } from '../../functions/checks/dumps/retention.ts';
import type { DumpFact } from '../../functions/core/dump-facts.ts';
import { dumpsPolicySchema } from '../../functions/core/dumps-policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { DUMP_FIXTURE, NOW, simS3Client } from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { S3BucketScenario } from '../sim/services/s3.ts';

/**
 * Accounts: one blocking everything at account level, one with nothing, one partly, one denying the
 * read, one whose read is throttled every time.
 */
const BLOCKING = '111111111111';
const OPEN = '222222222222';
const PARTLY = '333333333333';
const DENYING = '444444444444';
const THROTTLED = '555555555555';
const ALL_ON = {
  blockPublicAcls: true,
  ignorePublicAcls: true,
  blockPublicPolicy: true,
  restrictPublicBuckets: true,
};
/** A bucket that leaves ACLs open on its own (BlockPublicAcls and IgnorePublicAcls off). */
const ACLS_OPEN = { ...ALL_ON, blockPublicAcls: false, ignorePublicAcls: false };

function cmkArn(account: string): string {
  return `arn:aws:kms:eu-west-1:${account}:key/5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60`;
}

/** Otherwise healthy, so dumps.protection turns on public access alone. */
function bucket(
  name: string,
  account: string,
  publicAccessBlock: S3BucketScenario['publicAccessBlock'],
): S3BucketScenario {
  return {
    name,
    account,
    region: 'eu-west-1',
    versioning: 'Enabled',
    objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
    ...(publicAccessBlock ? { publicAccessBlock } : {}),
    encryption: { algorithm: 'aws:kms', kmsKeyId: cmkArn(account) },
    series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h', fixture: DUMP_FIXTURE }],
  };
}

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        kms: {
          keys: [BLOCKING, OPEN, PARTLY, DENYING, THROTTLED].map((account) => ({
            id: '5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60',
            account,
            region: 'eu-west-1',
          })),
        },
        s3: {
          accounts: [
            { account: BLOCKING, publicAccessBlock: ALL_ON },
            { account: PARTLY, publicAccessBlock: { ...ALL_ON, blockPublicAcls: false } },
            { account: DENYING, denied: true },
            { account: THROTTLED, throttled: true },
          ],
          buckets: [
            bucket('dumps-blocking-acls-open', BLOCKING, ACLS_OPEN),
            bucket('dumps-blocking-none', BLOCKING, undefined),
            bucket('dumps-open-all-on', OPEN, ALL_ON),
            bucket('dumps-open-acls-open', OPEN, ACLS_OPEN),
            bucket('dumps-open-none', OPEN, undefined),
            bucket('dumps-partly-acls-open', PARTLY, ACLS_OPEN),
            bucket('dumps-partly-ignore-off', PARTLY, { ...ALL_ON, ignorePublicAcls: false }),
            bucket('dumps-denying-acls-open', DENYING, ACLS_OPEN),
            bucket('dumps-throttled-acls-open', THROTTLED, ACLS_OPEN),
            bucket('dumps-throttled-all-on', THROTTLED, ALL_ON),
            // Owned by OPEN (no Block Public Access at either level), readable by BLOCKING through
            // its bucket policy: a policy that names BLOCKING as the owner audits a bucket whose
            // public access BLOCKING's account setting does not govern.
            {
              ...bucket('dumps-owned-elsewhere', OPEN, undefined),
              encryption: { algorithm: 'aws:kms', kmsKeyId: cmkArn(BLOCKING) },
              readableBy: [BLOCKING],
            },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

/** The dumps collector of one account's scope, through the one client factory. */
async function collect(account: string, buckets: readonly string[]): Promise<Map<string, DumpFact>> {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(account),
    endpoint: sim.endpoint,
  });
  try {
    const facts = await collectS3DumpFacts({
      clientFor: (region) => factory.client(S3Client, region),
      kmsFor: (region) => factory.client(KMSClient, region),
      account,
      region: 'eu-west-1',
      dumps: dumpsPolicySchema.parse({
        locations: buckets.map((name) => ({
          provider: 'aws',
          bucket: name,
          prefix: 'prod/',
          account,
          region: 'eu-west-1',
        })),
      }),
    });
    return new Map(facts.map((fact) => [fact.location.bucket, fact]));
  } finally {
    factory.destroy();
  }
}

const settings = { dumps: dumpsPolicySchema.parse({}), minPitrDays: 30, now: NOW };

function judged(fact: DumpFact | undefined) {
  if (!fact) throw new Error('no fact');
  return dumpsProtectionCheck.evaluate(fact, settings);
}

describe('dumps.protection with the account-level Block Public Access', () => {
  it('passes a bucket whose own settings leave ACLs open when the account blocks everything', async () => {
    // Act
    const facts = await collect(BLOCKING, ['dumps-blocking-acls-open', 'dumps-blocking-none']);
    // Assess: before the account was read, the first was FAILED and the second a WARNING.
    for (const name of ['dumps-blocking-acls-open', 'dumps-blocking-none']) {
      const outcome = judged(facts.get(name));
      expect(outcome?.status, `${name}: ${outcome?.description}`).toBe('PASSED');
      expect(facts.get(name)?.publicAccess).toMatchObject({ state: 'read', value: { blocked: true } });
    }
    expect(facts.get('dumps-blocking-none')?.publicAccess).toMatchObject({
      value: {
        detail:
          'bucket: no Block Public Access configuration; account: BlockPublicAcls=true, IgnorePublicAcls=true, BlockPublicPolicy=true, RestrictPublicBuckets=true',
      },
    });
  });

  it('fails a bucket when neither it nor its account blocks a path, naming both levels', async () => {
    // Act
    const facts = await collect(OPEN, ['dumps-open-all-on', 'dumps-open-acls-open', 'dumps-open-none']);
    // Assess
    expect(judged(facts.get('dumps-open-all-on'))?.status).toBe('PASSED');
    const aclsOpen = judged(facts.get('dumps-open-acls-open'));
    expect(aclsOpen?.status).toBe('FAILED');
    expect(aclsOpen?.description).toContain(
      'public access is not fully blocked (bucket: BlockPublicAcls=false, IgnorePublicAcls=false, BlockPublicPolicy=true, RestrictPublicBuckets=true; account: no Block Public Access configuration)',
    );
    // No configuration anywhere: nothing blocks public access (it was a WARNING while the account went unread).
    const none = judged(facts.get('dumps-open-none'));
    expect(none?.status).toBe('FAILED');
    expect(none?.description).toContain(
      'public access is not fully blocked (bucket: no Block Public Access configuration; account: no Block Public Access configuration)',
    );
  });

  it('combines the two levels setting by setting', async () => {
    // Act: the account blocks all but BlockPublicAcls.
    const facts = await collect(PARTLY, ['dumps-partly-acls-open', 'dumps-partly-ignore-off']);
    // Assess: BlockPublicAcls is off at both levels for the first; the second has it on itself.
    expect(judged(facts.get('dumps-partly-acls-open'))?.status).toBe('FAILED');
    expect(judged(facts.get('dumps-partly-ignore-off'))?.status).toBe('PASSED');
  });

  it('does not judge a bucket that leaves a path open when the account setting cannot be read', async () => {
    // Act
    const facts = await collect(DENYING, ['dumps-denying-acls-open']);
    // Assess: the account may block what the bucket leaves open; not proven either way.
    const outcome = judged(facts.get('dumps-denying-acls-open'));
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'account: not read (GetPublicAccessBlock (account) AccessDenied (HTTP 403))',
    );
  });

  it('reads the account setting once per scope, and not at all when every bucket blocks everything', async () => {
    // Arrange
    sim.resetStats();
    // Act
    await collect(BLOCKING, ['dumps-blocking-acls-open', 'dumps-blocking-none']);
    await collect(OPEN, ['dumps-open-all-on']);
    // Assess
    expect(sim.stats().byOperation['s3:GetAccountPublicAccessBlock']).toBe(1);
  });
});

describe('a dump bucket owned by another account than the policy names', () => {
  it('is read under the bucket owner condition: nothing of it is judged, and the reason names the owner', async () => {
    // Act: the policy says BLOCKING owns it; OPEN does, and lets BLOCKING read it.
    const facts = await collect(BLOCKING, ['dumps-owned-elsewhere']);
    // Assess: before, the bucket was read as BLOCKING's and BLOCKING's account setting was
    // combined with it, so protection PASSED a bucket nothing blocks public access to.
    const fact = facts.get('dumps-owned-elsewhere');
    const outcome = judged(fact);
    expect(outcome?.status, outcome?.description).toBe('NOT_AVAILABLE');
    expect(fact?.listing).toMatchObject({ state: 'unknown' });
    for (const check of [dumpsFreshCheck, dumpsRetentionCheck, dumpsIntegrityCheck]) {
      expect(fact && check.evaluate(fact, settings)?.status, check.metadata.id).toBe('NOT_AVAILABLE');
    }
    expect(outcome?.description).toContain(
      `S3 refuses a bucket that account ${BLOCKING}, the owner the policy names, does not own`,
    );
  });
});

describe('dumps audit when the account-level read is throttled', () => {
  it('fails the scope rather than leave the bucket NOT_AVAILABLE in a scope read as complete', async () => {
    // Act / Assess: before, the bucket was judged NOT_AVAILABLE and the scope reported complete.
    await expect(collect(THROTTLED, ['dumps-throttled-acls-open'])).rejects.toMatchObject({
      name: 'CloudApiError',
      code: 'SlowDown',
      message: expect.stringContaining(
        `S3 Control GetPublicAccessBlock of account ${THROTTLED} in eu-west-1 failed: the service throttled it (rate-limited)`,
      ),
    });
  });

  it('does not ask, and so cannot fail, for a bucket that blocks everything itself', async () => {
    // Act
    const facts = await collect(THROTTLED, ['dumps-throttled-all-on']);
    // Assess
    expect(judged(facts.get('dumps-throttled-all-on'))?.status).toBe('PASSED');
  });
});

describe('readAccountPublicAccess', () => {
  it("is denied another account's setting, and says so without the answer's body", async () => {
    // Act
    const level = await readAccountPublicAccess(
      simS3Client(sim, 'eu-west-1', 'path', OPEN),
      BLOCKING,
      'eu-west-1',
    );
    // Assess
    expect(level).toEqual({
      state: 'unknown',
      reason: 'GetPublicAccessBlock (account) AccessDenied (HTTP 403)',
    });
  });

  it('reads the account setting over virtual-hosted-style S3 clients too', async () => {
    // Act
    const level = await readAccountPublicAccess(
      simS3Client(sim, 'eu-west-1', 'virtual-host', PARTLY),
      PARTLY,
      'eu-west-1',
    );
    // Assess
    expect(level).toEqual({
      state: 'read',
      settings: {
        BlockPublicAcls: false,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
  });
});

describe('readAccountPublicAccess without an endpoint override', () => {
  /** What was sent, answered with S3 Control's "none configured": no request leaves the process. */
  interface SentRequest {
    readonly method: string;
    readonly protocol: string;
    readonly hostname: string;
    readonly path: string;
    readonly headers: Record<string, string>;
  }
  function capturing(): {
    client: (options: { region: string; useFipsEndpoint?: boolean }) => S3Client;
    sent: SentRequest[];
  } {
    const sent: SentRequest[] = [];
    const handler = {
      handle: async (request: SentRequest) => {
        sent.push(request);
        return {
          response: {
            statusCode: 404,
            headers: {},
            body: Readable.from([
              Buffer.from(
                '<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>none</Message></Error></ErrorResponse>',
              ),
            ]),
          },
        };
      },
    };
    return {
      client: (options) =>
        new S3Client({ ...options, credentials: simCredentials(OPEN), requestHandler: handler as never }),
      sent,
    };
  }

  it.each([
    ['eu-west-1', false, `${OPEN}.s3-control.eu-west-1.amazonaws.com`],
    ['us-gov-west-1', true, `${OPEN}.s3-control-fips.us-gov-west-1.amazonaws.com`],
    ['cn-north-1', false, `${OPEN}.s3-control.cn-north-1.amazonaws.com.cn`],
  ] as const)('sends a GET signed for s3 in %s (FIPS %s) to %s', async (region, useFipsEndpoint, host) => {
    // Arrange
    const { client, sent } = capturing();
    // Act
    const level = await readAccountPublicAccess(client({ region, useFipsEndpoint }), OPEN, region);
    // Assess
    expect(level).toEqual({ state: 'absent' });
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request).toMatchObject({
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/v20180820/configuration/publicAccessBlock',
    });
    expect(request?.headers['x-amz-account-id']).toBe(OPEN);
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `Credential=[A-Z0-9]+/\\d{8}/${region}/s3/aws4_request, SignedHeaders=[^,]*x-amz-account-id`,
      ),
    );
  });
});

describe('effectivePublicAccess', () => {
  const on = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  };
  const read = (settings: Partial<typeof on>): PublicAccessLevel => ({
    state: 'read',
    settings: { ...on, ...settings },
  });
  const unknown: PublicAccessLevel = { state: 'unknown', reason: 'AccessDenied (HTTP 403)' };

  it.each([
    ['bucket all on, account unread', read({}), undefined, true],
    ['bucket off, account on', read({ BlockPublicPolicy: false }), read({}), true],
    ['bucket absent, account absent', { state: 'absent' } as const, { state: 'absent' } as const, false],
    ['off at both levels', read({ BlockPublicPolicy: false }), read({ BlockPublicPolicy: false }), false],
    ['bucket off, account unknown', read({ BlockPublicPolicy: false }), unknown, 'unknown'],
    ['bucket unknown, account on', unknown, read({}), true],
    ['bucket unknown, account off', unknown, read({ RestrictPublicBuckets: false }), 'unknown'],
    [
      'a setting not sent at either level',
      read({ IgnorePublicAcls: undefined }),
      { state: 'absent' } as const,
      undefined,
    ],
  ] as const)('%s', (_name, bucketLevel, accountLevel, expected) => {
    // Act
    const effective = effectivePublicAccess(bucketLevel, accountLevel);
    // Assess
    if (expected === 'unknown') expect(effective.state).toBe('unknown');
    else expect(effective).toMatchObject({ state: 'read', value: { blocked: expected } });
  });
});

describe('readAccountPublicAccess when the call fails', () => {
  /** A client whose every request is answered `statusCode` with S3 Control's error `code` (or fails with `thrown`). */
  function answering(answer: { statusCode: number; code: string } | { thrown: Error }): {
    client: S3Client;
    sent: () => number;
  } {
    let count = 0;
    const handler = {
      handle: async () => {
        count += 1;
        if ('thrown' in answer) throw answer.thrown;
        return {
          response: {
            statusCode: answer.statusCode,
            headers: {},
            body: Readable.from([
              Buffer.from(
                `<ErrorResponse><Error><Code>${answer.code}</Code><Message>m</Message></Error></ErrorResponse>`,
              ),
            ]),
          },
        };
      },
    };
    const client = new S3Client({
      region: 'eu-west-1',
      maxAttempts: 2,
      credentials: simCredentials(OPEN),
      requestHandler: handler as never,
    });
    return { client, sent: () => count };
  }

  it.each([
    ['throttled (SlowDown, 503)', { statusCode: 503, code: 'SlowDown' }, 'SlowDown', 'throttled it'],
    ['throttled (429)', { statusCode: 429, code: 'TooManyRequests' }, 'TooManyRequests', 'throttled it'],
    ['a server error (500)', { statusCode: 500, code: 'InternalError' }, 'InternalError', 'server error'],
  ] as const)(
    'fails the scope, naming the account and what happened, when the read is %s until the attempts are spent',
    async (_name, answer, code, words) => {
      // Prepare: before, this read ended `unknown`, and the bucket NOT_AVAILABLE in a scope reported complete.
      const { client, sent } = answering(answer);
      // Act
      const reading = readAccountPublicAccess(client, OPEN, 'eu-west-1');
      // Assess
      await expect(reading).rejects.toMatchObject({
        name: 'CloudApiError',
        code,
        message: expect.stringMatching(
          new RegExp(
            `^S3 Control GetPublicAccessBlock of account ${OPEN} in eu-west-1 failed: .*${words}.*; its last answer: ${code} \\(HTTP ${answer.statusCode}\\)$`,
          ),
        ),
      });
      expect(sent()).toBe(2);
    },
  );

  it('fails the scope after one attempt, saying it was not retried, for a 5xx the SDK does not retry', async () => {
    // Prepare: the SDK's strategies retry 500, 502, 503 and 504, not another 5xx.
    const { client, sent } = answering({ statusCode: 501, code: 'NotImplemented' });
    // Act / Assess
    await expect(readAccountPublicAccess(client, OPEN, 'eu-west-1')).rejects.toMatchObject({
      name: 'CloudApiError',
      code: 'NotImplemented',
      message: `S3 Control GetPublicAccessBlock of account ${OPEN} in eu-west-1 failed: the service answered with a server error, which this client does not retry; its answer: NotImplemented (HTTP 501)`,
    });
    expect(sent()).toBe(1);
  });

  it('fails the scope when the connection is lost until the attempts are spent', async () => {
    // Prepare
    const { client, sent } = answering({
      thrown: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });
    // Act / Assess
    await expect(readAccountPublicAccess(client, OPEN, 'eu-west-1')).rejects.toMatchObject({
      name: 'CloudApiError',
      code: 'ECONNRESET',
      message: expect.stringContaining('timed out or lost its connection'),
    });
    expect(sent()).toBe(2);
  });

  it('keeps a refusal an answer about the account: unknown, asked once', async () => {
    // Prepare
    const { client, sent } = answering({ statusCode: 403, code: 'AccessDenied' });
    // Act
    const level = await readAccountPublicAccess(client, OPEN, 'eu-west-1');
    // Assess
    expect(level).toEqual({
      state: 'unknown',
      reason: 'GetPublicAccessBlock (account) AccessDenied (HTTP 403)',
    });
    expect(sent()).toBe(1);
  });
});
