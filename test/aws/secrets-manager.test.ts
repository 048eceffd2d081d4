import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import {
  collectAwsKeyFacts,
  currentVersionOf,
  DESCRIBE_CONCURRENCY,
  prepareAwsKeyFacts,
} from '../../functions/aws/secrets-manager.ts';
import { keysContentCheck } from '../../functions/checks/keys/content.ts';
import { keysNotDeletingCheck } from '../../functions/checks/keys/not-deleting.ts';
import { keysPresentCheck } from '../../functions/checks/keys/present.ts';
import { keysReplicatedCheck } from '../../functions/checks/keys/replicated.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { type Policy, parsePolicy } from '../../functions/core/policy.ts';
import { asffFindingId } from '../../functions/publish/security-hub/asff.ts';
import { CANARY } from '../fixtures/keys/world.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { jsonError } from '../sim/protocols/rest-json.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { SimRequest, SimResponse, SimService } from '../sim/service.ts';
import { awsJson, awsJsonError } from '../sim/services/aws-json.ts';

describe('currentVersionOf', () => {
  it('reads a secret whose version carries AWSCURRENT as holding a value', () => {
    expect(currentVersionOf({ VersionIdsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] } })).toEqual({
      state: 'read',
      value: { state: 'ENABLED' },
    });
  });

  it('reads a secret with no version labelled AWSCURRENT as holding no value', () => {
    // A secret created without SecretString or SecretBinary has no version at all.
    expect(currentVersionOf({ VersionIdsToStages: {} })).toEqual({ state: 'read', value: { state: 'none' } });
    expect(currentVersionOf({ VersionIdsToStages: { v1: ['AWSPENDING'] } })).toEqual({
      state: 'read',
      value: { state: 'none' },
    });
  });

  it('reads a secret as holding no value when DescribeSecret leaves VersionIdsToStages out', () => {
    // DescribeSecret only returns fields that have a value: a secret with no version has no map.
    expect(currentVersionOf({})).toEqual({ state: 'read', value: { state: 'none' } });
  });
});

/** What a test's own simulator service answers when the simulator injects a fault. */
const FAULT_ANSWERS = {
  throttled: (): SimResponse => ({ status: 429, body: '' }),
  serverError: (): SimResponse => ({ status: 500, body: '' }),
};

/** `collect()` the keys facts of one region of the simulator's default account; `close()` it all. */
function scopeReader(sim: Sim, policy: Policy, region: string) {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  const reader = {
    factory,
    account: { accountId: DEFAULT_ACCOUNT_ID },
    region,
    policy,
    now: () => new Date(),
  };
  return {
    collect: () => collectAwsKeyFacts(reader),
    prepare: () => prepareAwsKeyFacts(reader),
    close: async () => {
      factory.destroy();
      await sim.close();
    },
  };
}

/**
 * One region of 2 x DESCRIBE_CONCURRENCY + 1 secrets (three rounds of DescribeSecret) under one
 * customer-managed key, 40 ms per call; `answer` may answer a request in place of the simulator.
 * Records the order in which the calls reach the simulator.
 */
async function keysScope(
  answer?: (target: string, body: string) => SimResponse | undefined,
  holdUntil?: (target: string, body: string, arrivals: readonly string[]) => Promise<void> | undefined,
) {
  const region = 'eu-west-1';
  const keyId = '00000000-1111-2222-3333-444444444444';
  const count = 2 * DESCRIBE_CONCURRENCY + 1;
  const secrets = Array.from({ length: count }, (_, index) => ({
    name: `certctl/item-${index}`,
    region,
    kmsKeyId: `arn:aws:kms:${region}:${DEFAULT_ACCOUNT_ID}:key/${keyId}`,
    value: `opaque value ${index}`,
  }));
  const arrivals: string[] = [];
  const operationOf = (request: SimRequest): string | undefined => {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : undefined;
  };
  const recorder: SimService = {
    name: 'arrival-order',
    matches: (request) => {
      const operation = operationOf(request);
      if (operation) arrivals.push(operation);
      return operation !== undefined && answer?.(operation, request.body.toString('utf8')) !== undefined;
    },
    handle: (request) =>
      answer?.(operationOf(request) ?? '', request.body.toString('utf8')) ?? { status: 500, body: '' },
    ...FAULT_ANSWERS,
  };
  const sim = await startSim({
    scenario: {
      accounts: [{ id: DEFAULT_ACCOUNT_ID }],
      regions: [{ name: region }],
      services: { secretsManager: { secrets }, kms: { keys: [{ id: keyId, region }] } },
    },
    extraServices: [recorder],
    holdRequest: (request) =>
      holdUntil?.(operationOf(request) ?? '', request.body.toString('utf8'), arrivals),
    faults: { latencyMs: 40 },
  });
  const policy = parsePolicy({
    aws: { regions: [region] },
    keys: {
      preset: 'none',
      items: Object.fromEntries(
        secrets.map((secret, index) => [
          `item-${index}`,
          {
            kind: 'opaque',
            secret: `arn:aws:secretsmanager:${region}:${DEFAULT_ACCOUNT_ID}:secret:${secret.name}`,
          },
        ]),
      ),
    },
  });
  return { count, arrivals, ...scopeReader(sim, policy, region) };
}

/** Resolves once `operation` is among `arrivals`, or after 5 s. */
async function untilArrived(operation: string, arrivals: readonly string[]): Promise<void> {
  for (let waited = 0; waited < 5_000 && !arrivals.includes(operation); waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The N of the `certctl/item-N` secret a DescribeSecret body names. */
function secretIndex(body: string): number {
  return Number(/certctl\/item-(\d+)"/.exec(body)?.[1] ?? Number.NaN);
}

describe('collectAwsKeyFacts scheduling', () => {
  it("describes a region's key as soon as a secret names it, while the region's other secrets are still described", async () => {
    // Prepare: the answers after the first round wait for the key's request (at most 5 s each), so
    // a loaded machine cannot decide the order; a key asked for only after the secrets still comes
    // after the last of them.
    const scope = await keysScope(undefined, (operation, body, arrivals) =>
      operation === 'DescribeSecret' && secretIndex(body) >= DESCRIBE_CONCURRENCY
        ? untilArrived('DescribeKey', arrivals)
        : undefined,
    );
    try {
      // Act
      const facts = await scope.collect();

      // Assess: every secret read under its key, and the key asked for before the last round of
      // secrets (not one round trip after it).
      expect(facts).toHaveLength(scope.count);
      for (const fact of facts) {
        expect(fact.encryption).toEqual({
          state: 'read',
          value: [expect.objectContaining({ manager: 'CUSTOMER' })],
        });
      }
      const { arrivals } = scope;
      expect(arrivals.filter((operation) => operation === 'DescribeKey')).toHaveLength(1);
      expect(arrivals.filter((operation) => operation === 'DescribeSecret')).toHaveLength(scope.count);
      expect(arrivals.lastIndexOf('DescribeSecret')).toBeGreaterThan(arrivals.indexOf('DescribeKey'));
    } finally {
      await scope.close();
    }
  });

  it('prepares a scope without sending anything, and the scope then reads as it would without', async () => {
    // Prepare
    const scope = await keysScope();
    try {
      // Act
      scope.prepare();
      await new Promise((resolve) => setTimeout(resolve, 60));
      const sentWhilePrepared = [...scope.arrivals];
      const facts = await scope.collect();

      // Assess
      expect(sentWhilePrepared).toEqual([]);
      expect(facts).toHaveLength(scope.count);
      expect(scope.arrivals.filter((operation) => operation === 'DescribeSecret')).toHaveLength(scope.count);
      for (const fact of facts) expect(fact.existence).toEqual({ state: 'read', value: true });
    } finally {
      await scope.close();
    }
  });

  it('writes its first DescribeSecret before it has made the whole first round of them', async () => {
    // Prepare: the order in which requests are made and written out, as Node's HTTP client reports it.
    const scope = await keysScope();
    const events: string[] = [];
    type Message = { request: { getHeader(name: string): unknown } };
    const describing = (message: unknown) =>
      (message as Message).request.getHeader('x-amz-target') === 'secretsmanager.DescribeSecret';
    const made = (message: unknown) => {
      if (describing(message)) events.push('made');
    };
    const written = (message: unknown) => {
      if (describing(message)) events.push('written');
    };
    subscribe('http.client.request.created', made);
    subscribe('http.client.request.start', written);
    try {
      // Act
      await scope.collect();

      // Assess: the first request went out while the first round was still being made, not
      // after all DESCRIBE_CONCURRENCY requests (each on a new socket) were prepared.
      const firstWritten = events.indexOf('written');
      const madeBefore = events.slice(0, firstWritten).filter((event) => event === 'made').length;
      expect(firstWritten).toBeGreaterThan(0);
      expect(madeBefore).toBeLessThan(DESCRIBE_CONCURRENCY / 4);
    } finally {
      unsubscribe('http.client.request.created', made);
      unsubscribe('http.client.request.start', written);
      await scope.close();
    }
  });

  it.each([
    ['ExpiredTokenException', 400],
    ['UnrecognizedClientException', 400],
    ['InvalidSignatureException', 400],
  ])(
    'fails the scope, never each secret alone, when DescribeSecret refuses the credentials (%s)',
    async (code, status) => {
      // Prepare: the scope's credentials expire mid-run: every later DescribeSecret is refused with
      // a 4xx that answers for the caller, not for any secret.
      let described = 0;
      const scope = await keysScope((operation) =>
        operation === 'DescribeSecret' && ++described > 3
          ? jsonError(status, code, 'The security token included in the request is expired')
          : undefined,
      );
      try {
        // Act / Assess: a failed scope (its findings kept), not secrets each NOT_AVAILABLE in a scope
        // read completely.
        await expect(scope.collect()).rejects.toMatchObject({
          code,
          message: expect.stringContaining('Secrets Manager DescribeSecret failed in eu-west-1'),
        });
      } finally {
        await scope.close();
      }
    },
  );

  it('fails the scope with the DescribeSecret failure when the key, asked meanwhile, fails too', async () => {
    // Prepare: KMS fails (a 500, not a per-key answer), and so does the last secret's DescribeSecret.
    const lastSecret = `certctl/item-${2 * DESCRIBE_CONCURRENCY}"`;
    const scope = await keysScope(
      (operation, body) =>
        operation === 'DescribeKey' || (operation === 'DescribeSecret' && body.includes(lastSecret))
          ? jsonError(500, 'InternalFailure', `${operation} is down`)
          : undefined,
      // The last secret's answer waits for the key's request: on a loaded machine the key's request
      // could otherwise come after it, and the case (the key's failure first) would not be the one tested.
      (operation, body, arrivals) =>
        operation === 'DescribeSecret' && body.includes(lastSecret)
          ? untilArrived('DescribeKey', arrivals)
          : undefined,
    );
    try {
      // Act
      const collecting = scope.collect();

      // Assess: the scope's error is the secret's; the key's failure, which came first, is not
      // left unhandled (vitest fails the run on an unhandled rejection).
      await expect(collecting).rejects.toThrow(/Secrets Manager DescribeSecret failed in eu-west-1/);
      expect(scope.arrivals.indexOf('DescribeKey')).toBeLessThan(
        scope.arrivals.lastIndexOf('DescribeSecret'),
      );
    } finally {
      await scope.close();
    }
  });
});

/**
 * One region of two opaque secrets whose values are inspected, BatchGetSecretValue answered by
 * `pages` (given the request body, one page of the answer) in place of the simulator.
 */
async function inspectedScope(pages: (body: Record<string, unknown>) => Record<string, unknown>) {
  const region = 'eu-west-1';
  const names = ['certctl/api-keys', 'certctl/config-key'];
  const requests: Record<string, unknown>[] = [];
  const isBatchGet = (request: SimRequest) =>
    request.headers['x-amz-target'] === 'secretsmanager.BatchGetSecretValue';
  const pager: SimService = {
    name: 'batch-get-pages',
    matches: isBatchGet,
    handle: (request) => {
      const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
      requests.push(body);
      const page = pages(body);
      // A page may be a whole answer of its own: the call refused.
      return 'status' in page && 'body' in page ? (page as unknown as SimResponse) : awsJson(200, page);
    },
    ...FAULT_ANSWERS,
  };
  const sim = await startSim({
    scenario: {
      accounts: [{ id: DEFAULT_ACCOUNT_ID }],
      regions: [{ name: region }],
      services: {
        secretsManager: { secrets: names.map((name) => ({ name, region, value: 'opaque value' })) },
      },
    },
    extraServices: [pager],
  });
  const arns = names.map((name) => `arn:aws:secretsmanager:${region}:${DEFAULT_ACCOUNT_ID}:secret:${name}`);
  const policy = parsePolicy({
    aws: { regions: [region] },
    keys: {
      preset: 'none',
      inspectSecretValues: true,
      items: { first: { kind: 'opaque', secret: arns[0] }, second: { kind: 'opaque', secret: arns[1] } },
    },
  });
  /** The complete ARN (with the suffix) of the secret `name`, as DescribeSecret answers it. */
  const completeArn = async (name: string) => {
    const client = new SecretsManagerClient({
      region,
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
    try {
      return (await client.send(new DescribeSecretCommand({ SecretId: name }))).ARN ?? '';
    } finally {
      client.destroy();
    }
  };
  return { arns, requests, completeArn, ...scopeReader(sim, policy, region) };
}

describe('collectAwsKeyFacts value reads', () => {
  // Each value carries the canary: what the facts say of it must never quote it.
  const entry = (arn: string) => ({
    ARN: arn,
    Name: arn.replace(/^.*:secret:/, ''),
    SecretString: `opaque ${CANARY}`,
  });

  it('reads the values BatchGetSecretValue answers on a later page (NextToken)', async () => {
    // Prepare: the first page holds the first secret and a NextToken; the second page the other.
    const scope = await inspectedScope((body) =>
      body.NextToken === undefined
        ? { SecretValues: [entry(String((body.SecretIdList as string[])[0]))], NextToken: 'page-2' }
        : { SecretValues: [entry(String((body.SecretIdList as string[])[1]))] },
    );
    try {
      // Act
      const facts = await scope.collect();

      // Assess: both values analysed; the second page asked with the same ids and the token.
      expect(facts.map((fact) => fact.content.state)).toEqual(['read', 'read']);
      expect(JSON.stringify(facts)).not.toContain(CANARY);
      expect(scope.requests).toEqual([
        { SecretIdList: scope.arns },
        { SecretIdList: scope.arns, NextToken: 'page-2' },
      ]);
    } finally {
      await scope.close();
    }
  });

  it.each([
    ['the value first, an error on the later page', true],
    ['the error first, the value on the later page', false],
  ])(
    'keeps a value read when BatchGetSecretValue answers the same secret in error on another page (%s)',
    async (_, valueFirst) => {
      // Prepare: two pages; the first secret answered with its value on one page and in error on
      // the other, the second secret's value beside the error. A value read proves what an error
      // cannot take back, whichever page comes first.
      const scope = await inspectedScope((body) => {
        const [first, second] = (body.SecretIdList as string[]).map(String);
        const value = { SecretValues: [entry(first as string)] };
        const error = {
          SecretValues: [entry(second as string)],
          Errors: [{ SecretId: first, ErrorCode: 'InternalServiceError', Message: 'try again' }],
        };
        return body.NextToken === undefined
          ? { ...(valueFirst ? value : error), NextToken: 'page-2' }
          : valueFirst
            ? error
            : value;
      });
      try {
        // Act
        const facts = await scope.collect();

        // Assess: both pages asked; both values analysed, the error dropped.
        expect(scope.requests).toHaveLength(2);
        expect(facts.map((fact) => fact.content.state)).toEqual(['read', 'read']);
        expect(JSON.stringify(facts)).not.toContain(CANARY);
      } finally {
        await scope.close();
      }
    },
  );

  it.each(['ThrottlingException', 'InternalServiceError'])(
    'fails the scope when BatchGetSecretValue answers a secret in error with %s, which says nothing of it',
    async (code) => {
      // Prepare: the first secret's value, the second in error with a passing code on the only page.
      const scope = await inspectedScope((body) => ({
        SecretValues: [entry(String((body.SecretIdList as string[])[0]))],
        Errors: [
          { SecretId: String((body.SecretIdList as string[])[1]), ErrorCode: code, Message: 'slow down' },
        ],
      }));
      try {
        // Act
        const read = scope.collect();

        // Assess: the scope's read fails with the code (never the value), as a throttled call's does.
        await expect(read).rejects.toMatchObject({ name: 'CloudApiError', code });
        await expect(read).rejects.toThrow(`BatchGetSecretValue failed in`);
        await read.catch((error: unknown) => expect(String(error)).not.toContain(CANARY));
      } finally {
        await scope.close();
      }
    },
  );

  it('says why a value is unknown when BatchGetSecretValue answers neither it nor an error', async () => {
    // Prepare: one answer without the second secret, no NextToken, no error.
    const scope = await inspectedScope((body) => ({
      SecretValues: [entry(String((body.SecretIdList as string[])[0]))],
      Errors: [],
    }));
    try {
      // Act
      const facts = await scope.collect();

      // Assess
      expect(facts[0]?.content.state).toBe('read');
      expect(facts[1]?.content).toEqual({
        state: 'unknown',
        reason: 'BatchGetSecretValue answered neither its value nor an error for it',
      });
    } finally {
      await scope.close();
    }
  });

  it.each([
    ['its name', (_arn: string) => 'certctl/config-key'],
    ['its complete ARN (with the suffix), as DescribeSecret answered it', (arn: string) => arn],
  ])(
    'keeps the error code when BatchGetSecretValue names the secret in error by %s, not the id sent',
    async (_, named) => {
      // Prepare: the second secret (sent as a partial ARN) in error; APIErrorType.SecretId is "the ARN
      // or name of the secret", not necessarily the id sent. Its complete ARN is learnt from a first run.
      let inError = '';
      const scope = await inspectedScope((body) => ({
        SecretValues: [entry(String((body.SecretIdList as string[])[0]))],
        Errors: [{ SecretId: inError, ErrorCode: 'DecryptionFailure', Message: 'cannot decrypt' }],
      }));
      try {
        const arn = await scope.completeArn('certctl/config-key');
        expect(arn).toMatch(/:secret:certctl\/config-key-[A-Za-z0-9]{6}$/);
        inError = named(arn);

        // Act
        const facts = await scope.collect();

        // Assess
        expect(facts[0]?.content.state).toBe('read');
        expect(facts[1]?.content).toEqual({
          state: 'unknown',
          reason: 'BatchGetSecretValue: DecryptionFailure',
        });
      } finally {
        await scope.close();
      }
    },
  );

  it('stops asking when BatchGetSecretValue keeps answering empty pages with a new NextToken each time', async () => {
    // Prepare: the first page holds the first secret; every later page is empty and names a fresh
    // token, without end (the answer stops only after 500 pages, so the test ends either way).
    const scope = await inspectedScope((body) => {
      const page = scope.requests.length;
      return {
        SecretValues: body.NextToken === undefined ? [entry(String((body.SecretIdList as string[])[0]))] : [],
        ...(page < 500 ? { NextToken: `page-${page + 1}` } : {}),
      };
    });
    try {
      // Act
      const facts = await scope.collect();

      // Assess: a few empty pages are borne, then the pages stop; the value read is judged, the
      // other is unknown, saying why.
      expect(scope.requests.length).toBeLessThanOrEqual(5);
      expect(facts[0]?.content.state).toBe('read');
      expect(facts[1]?.content).toEqual({
        state: 'unknown',
        reason:
          'BatchGetSecretValue failed: EmptyPages (it answered 3 pages in a row that named none of the secrets still unanswered, each with a new NextToken)',
      });
    } finally {
      await scope.close();
    }
  });

  it('keeps the values read when a later BatchGetSecretValue page repeats its NextToken', async () => {
    // Prepare: every page names the same token; the first holds the first secret.
    const scope = await inspectedScope((body) => ({
      SecretValues: body.NextToken === undefined ? [entry(String((body.SecretIdList as string[])[0]))] : [],
      NextToken: 'again',
    }));
    try {
      // Act
      const facts = await scope.collect();

      // Assess: the pages stop; the value read is judged, the other is unknown with the cause.
      expect(scope.requests).toHaveLength(2);
      expect(facts[0]?.content.state).toBe('read');
      expect(facts[1]?.content).toEqual({
        state: 'unknown',
        reason: 'BatchGetSecretValue failed: RepeatedNextToken',
      });
      expect(JSON.stringify(facts)).not.toContain(CANARY);
    } finally {
      await scope.close();
    }
  });
  it.each([
    ['a structure', { key: `opaque ${CANARY}` }],
    ['a list', [`opaque ${CANARY}`]],
    ['a number', 42],
  ])(
    'reads a value BatchGetSecretValue sends as %s where SecretString is text as not available',
    async (kind, sent) => {
      // Prepare: the first secret's SecretString of another JSON type (the SDK hands it through as
      // sent), the second's text; both carry the canary.
      const scope = await inspectedScope((body) => {
        const [first, second] = (body.SecretIdList as string[]).map(String);
        return { SecretValues: [{ ...entry(first as string), SecretString: sent }, entry(second as string)] };
      });
      try {
        // Act
        const facts = await scope.collect();

        // Assess: that secret alone is not available, naming the field and the kind, never the value.
        expect(facts[0]?.content).toEqual({
          state: 'unknown',
          reason: `BatchGetSecretValue sent SecretString as ${kind} where the API defines text, so the value is not read`,
        });
        expect(facts[1]?.content.state).toBe('read');
        expect(JSON.stringify(facts)).not.toContain(CANARY);
      } finally {
        await scope.close();
      }
    },
  );

  it.each([
    ['a number', 42],
    ['a structure', { key: `opaque ${CANARY}` }],
    ['a list', [`opaque ${CANARY}`]],
  ])(
    'reads a value BatchGetSecretValue sends as %s where SecretBinary is base64 text as not available',
    async (kind, sent) => {
      // Prepare: the first secret's SecretBinary of another JSON type, which the SDK hands through
      // undecoded; the second's text.
      const scope = await inspectedScope((body) => {
        const [first, second] = (body.SecretIdList as string[]).map(String);
        const { SecretString: _, ...named } = entry(first as string);
        return { SecretValues: [{ ...named, SecretBinary: sent }, entry(second as string)] };
      });
      try {
        // Act
        const facts = await scope.collect();

        // Assess
        expect(facts[0]?.content).toEqual({
          state: 'unknown',
          reason: `BatchGetSecretValue sent SecretBinary as ${kind} where the API defines binary (base64 text), so the value is not read`,
        });
        expect(facts[1]?.content.state).toBe('read');
        expect(JSON.stringify(facts)).not.toContain(CANARY);
      } finally {
        await scope.close();
      }
    },
  );
});

describe('collectAwsKeyFacts resource identity', () => {
  /**
   * The resource of one secret (`certctl/ca`, named as `secret` in the inventory, with region and
   * account when a name) as the adapter reports it when DescribeSecret answers and when it is denied.
   */
  async function resourcesOf(secret: string) {
    const region = 'eu-west-1';
    let deny = false;
    const denier: SimService = {
      name: 'deny-describe',
      matches: (request) => deny && request.headers['x-amz-target'] === 'secretsmanager.DescribeSecret',
      handle: () => awsJsonError(400, 'AccessDeniedException', 'not authorized to DescribeSecret'),
      ...FAULT_ANSWERS,
    };
    const sim = await startSim({
      scenario: {
        accounts: [{ id: DEFAULT_ACCOUNT_ID }],
        regions: [{ name: region }],
        services: { secretsManager: { secrets: [{ name: 'certctl/ca', region, value: 'x' }] } },
      },
      extraServices: [denier],
    });
    const policy = parsePolicy({
      aws: { regions: [region] },
      keys: {
        preset: 'none',
        items: {
          'ca-backup': {
            kind: 'opaque',
            secret,
            ...(secret.startsWith('arn:') ? {} : { region, account: DEFAULT_ACCOUNT_ID }),
          },
        },
      },
    });
    const scope = scopeReader(sim, policy, region);
    try {
      const [read] = await scope.collect();
      deny = true;
      const [denied] = await scope.collect();
      return { read, denied };
    } finally {
      await scope.close();
    }
  }

  it.each([
    ['its name', 'certctl/ca'],
    ['its partial ARN', `arn:aws:secretsmanager:eu-west-1:${DEFAULT_ACCOUNT_ID}:secret:certctl/ca`],
  ])(
    'keeps the finding identity of a secret named by %s when its DescribeSecret is denied',
    async (_, secret) => {
      // Act
      const { read, denied } = await resourcesOf(secret);
      // Assess: the same Security Hub finding Id either way, so a run that could not read the
      // secret updates its findings (NOT_AVAILABLE) instead of archiving them as of a resource gone.
      expect(read?.existence).toEqual({ state: 'read', value: true });
      expect(denied?.existence.state).toBe('unknown');
      const id = (resource: ResourceRef | undefined) =>
        resource && asffFindingId({ checkId: 'keys.not-deleting', resource });
      expect(id(denied?.resource)).toBe(id(read?.resource));
    },
  );
});

describe('collectAwsKeyFacts remediation of a secret DescribeSecret refused', () => {
  /** The keys checks' outcomes of `certctl/ca` when DescribeSecret answers AccessDeniedException with `message`. */
  async function refusedWith(message: string) {
    const region = 'eu-west-1';
    const denier: SimService = {
      name: 'deny-describe',
      matches: (request) => request.headers['x-amz-target'] === 'secretsmanager.DescribeSecret',
      handle: () => awsJsonError(400, 'AccessDeniedException', message),
      ...FAULT_ANSWERS,
    };
    const sim = await startSim({
      scenario: {
        accounts: [{ id: DEFAULT_ACCOUNT_ID }],
        regions: [{ name: region }],
        services: { secretsManager: { secrets: [{ name: 'certctl/ca', region, value: 'x' }] } },
      },
      extraServices: [denier],
    });
    const policy = parsePolicy({
      aws: { regions: [region] },
      keys: {
        preset: 'none',
        items: { 'ca-backup': { kind: 'opaque', secret: 'certctl/ca', region, account: DEFAULT_ACCOUNT_ID } },
      },
    });
    const scope = scopeReader(sim, policy, region);
    try {
      const [fact] = await scope.collect();
      if (!fact) throw new Error('no fact');
      return [keysPresentCheck, keysNotDeletingCheck, keysReplicatedCheck].map((check) =>
        check.evaluate(fact, { policy, now: new Date() }),
      );
    } finally {
      await scope.close();
    }
  }

  it('names the grant, not "Store the item", when the role lacks secretsmanager:DescribeSecret', async () => {
    // Act
    const outcomes = await refusedWith(
      `User: arn:aws:sts::${DEFAULT_ACCOUNT_ID}:assumed-role/audit/s is not authorized to perform: secretsmanager:DescribeSecret because no identity-based policy allows the secretsmanager:DescribeSecret action`,
    );
    // Assess: the refused action is said, not the caller's ARN AWS's newer message names.
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toBe(
        'Grant the audit role secretsmanager:DescribeSecret on this secret, then run the audit again.',
      );
      expect(outcome?.description).toContain(
        'DescribeSecret failed: User is not authorized to perform: secretsmanager:DescribeSecret',
      );
      expect(outcome?.description).not.toContain('assumed-role');
    }
  });

  it('names the policy that denies, not a grant, when an explicit deny in a resource-based policy refuses it', async () => {
    // Act
    const outcomes = await refusedWith(
      `User: arn:aws:sts::${DEFAULT_ACCOUNT_ID}:assumed-role/audit/s is not authorized to perform: secretsmanager:DescribeSecret on resource: certctl/ca with an explicit deny in a resource-based policy`,
    );
    // Assess
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toBe(
        'An explicit deny in a resource-based policy refuses the call: a grant to the audit role cannot override it; ask the owner of the resource to exempt the role in its policy (the bucket, key or secret policy), then run the audit again.',
      );
    }
  });
});

describe('collectAwsKeyFacts remediation of a secret value that could not be read', () => {
  const policy = parsePolicy({ aws: { regions: ['eu-west-1'] } });
  /** keys.content of the second secret when BatchGetSecretValue answers it as `errors` says. */
  async function contentOutcome(
    answer: (body: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<ReturnType<typeof keysContentCheck.evaluate>> {
    const scope = await inspectedScope(answer);
    try {
      const facts = await scope.collect();
      // Secrets Manager's words carry the canary: neither the facts nor the finding quote them.
      expect(JSON.stringify(facts)).not.toContain(CANARY);
      const fact = facts[1];
      return fact && keysContentCheck.evaluate(fact, { policy, now: new Date() });
    } finally {
      await scope.close();
    }
  }
  const entryError = (code: string, message: string) => (body: Record<string, unknown>) => ({
    SecretValues: [],
    Errors: [{ SecretId: String((body.SecretIdList as string[])[1]), ErrorCode: code, Message: message }],
  });

  it('names GetSecretValue and kms:Decrypt when BatchGetSecretValue answers the secret AccessDeniedException', async () => {
    // Act
    const outcome = await contentOutcome(
      entryError(
        'AccessDeniedException',
        `User: arn:aws:sts::${DEFAULT_ACCOUNT_ID}:assumed-role/audit/s is not authorized to perform: secretsmanager:GetSecretValue (${CANARY})`,
      ),
    );
    // Assess: before, no remediation of its own: the check's fix, "Replace the secret value …".
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('BatchGetSecretValue: AccessDeniedException');
    expect(outcome?.remediationText).toBe(
      'Grant the audit role secretsmanager:GetSecretValue on this secret and kms:Decrypt on the KMS key that encrypts it, then run the audit again.',
    );
    expect(JSON.stringify(outcome)).not.toContain(CANARY);
  });

  it('names the policy that denies, not a grant, when an explicit deny refuses the value', async () => {
    // Act
    const outcome = await contentOutcome(
      entryError(
        'AccessDeniedException',
        `User: arn:aws:sts::${DEFAULT_ACCOUNT_ID}:assumed-role/audit/s is not authorized to perform: secretsmanager:GetSecretValue on resource: ${CANARY} with an explicit deny in a resource-based policy`,
      ),
    );
    // Assess
    expect(outcome?.remediationText).toBe(
      'An explicit deny in a resource-based policy refuses the call: a grant to the audit role cannot override it; ask the owner of the resource to exempt the role in its policy (the bucket, key or secret policy), then run the audit again.',
    );
    expect(JSON.stringify(outcome)).not.toContain(CANARY);
  });

  it('names BatchGetSecretValue too when the whole call is refused', async () => {
    // Act
    const outcome = await contentOutcome(
      () =>
        awsJsonError(
          400,
          'AccessDeniedException',
          `User: arn:aws:sts::${DEFAULT_ACCOUNT_ID}:assumed-role/audit/s is not authorized to perform: secretsmanager:BatchGetSecretValue (${CANARY})`,
        ) as unknown as Record<string, unknown>,
    );
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('BatchGetSecretValue failed: AccessDeniedException');
    expect(outcome?.remediationText).toBe(
      'Grant the audit role secretsmanager:BatchGetSecretValue, and secretsmanager:GetSecretValue on this secret with kms:Decrypt on the KMS key that encrypts it, then run the audit again.',
    );
    expect(JSON.stringify(outcome)).not.toContain(CANARY);
  });

  it('keeps the check’s own fix for a value error no grant cures', async () => {
    // Act
    const outcome = await contentOutcome(entryError('DecryptionFailure', `cannot decrypt ${CANARY}`));
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toBeUndefined();
  });
});

describe("collectAwsKeyFacts on a DescribeSecret answer whose members are not of the API's types", () => {
  // The SDK hands such members through as sent (a string where the model has a list, a number where
  // it has a string): read by their values they proved what was never sent.
  const region = 'eu-west-1';
  const arn = `arn:aws:secretsmanager:${region}:${DEFAULT_ACCOUNT_ID}:secret:certctl/typed-AbCdEf`;
  const judged = async (answer: Record<string, unknown>) => {
    const describer: SimService = {
      name: 'describe-secret-answer',
      matches: (request) => request.headers['x-amz-target'] === 'secretsmanager.DescribeSecret',
      handle: () => awsJson(200, { ARN: arn, Name: 'certctl/typed', PrimaryRegion: region, ...answer }),
      ...FAULT_ANSWERS,
    };
    const sim = await startSim({
      scenario: { accounts: [{ id: DEFAULT_ACCOUNT_ID }], regions: [{ name: region }] },
      extraServices: [describer],
    });
    const policy = parsePolicy({
      aws: { regions: [region] },
      keys: { preset: 'none', items: { typed: { kind: 'opaque', secret: arn } } },
    });
    const scope = scopeReader(sim, policy, region);
    try {
      const [fact] = await scope.collect();
      if (!fact) throw new Error('no fact');
      return (check: typeof keysNotDeletingCheck) => check.evaluate(fact, { policy, now: new Date() });
    } finally {
      await scope.close();
    }
  };

  it("does not read a version's labels sent as text as the AWSCURRENT label, nor a map sent as a list", async () => {
    for (const VersionIdsToStages of [{ v1: 'AWSCURRENT' }, { v1: 'NOT-AWSCURRENT' }, ['AWSCURRENT']]) {
      // Act
      const judge = await judged({ VersionIdsToStages });
      // Assess
      const outcome = judge(keysNotDeletingCheck);
      expect(outcome?.status, JSON.stringify(VersionIdsToStages)).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('DescribeSecret sent VersionIdsToStages');
    }
  });

  it('does not count a replica whose Region is not text as a copy in another region', async () => {
    // Act
    const judge = await judged({
      VersionIdsToStages: { v1: ['AWSCURRENT'] },
      ReplicationStatus: [{ Region: 5, Status: 'InSync', KmsKeyId: 'alias/aws/secretsmanager' }],
    });
    // Assess
    const outcome = judge(keysReplicatedCheck);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('DescribeSecret sent ReplicationStatus[0].Region as a number');
  });
});
