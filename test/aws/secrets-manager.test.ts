import { describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import {
  collectAwsKeyFacts,
  currentVersionOf,
  DESCRIBE_CONCURRENCY,
} from '../../functions/aws/secrets-manager.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { jsonError } from '../sim/protocols/rest-json.ts';
import { startSim } from '../sim/server.ts';
import type { SimRequest, SimResponse, SimService } from '../sim/service.ts';

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

/**
 * One region of 2 x DESCRIBE_CONCURRENCY + 1 secrets (three rounds of DescribeSecret) under one
 * customer-managed key, 40 ms per call; `answer` may answer a request in place of the simulator.
 * Records the order in which the calls reach the simulator.
 */
async function keysScope(answer?: (target: string, body: string) => SimResponse | undefined) {
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
    throttled: () => ({ status: 429, body: '' }),
    serverError: () => ({ status: 500, body: '' }),
  };
  const sim = await startSim({
    scenario: {
      accounts: [{ id: DEFAULT_ACCOUNT_ID }],
      regions: [{ name: region }],
      services: { secretsManager: { secrets }, kms: { keys: [{ id: keyId, region }] } },
    },
    extraServices: [recorder],
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
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(),
    endpoint: sim.endpoint,
  });
  return {
    count,
    arrivals,
    collect: () =>
      collectAwsKeyFacts({
        factory,
        account: { accountId: DEFAULT_ACCOUNT_ID },
        region,
        policy,
        now: () => new Date(),
      }),
    close: async () => {
      factory.destroy();
      await sim.close();
    },
  };
}

describe('collectAwsKeyFacts scheduling', () => {
  it("describes a region's key as soon as a secret names it, while the region's other secrets are still described", async () => {
    // Prepare
    const scope = await keysScope();
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

  it('fails the scope with the DescribeSecret failure when the key, asked meanwhile, fails too', async () => {
    // Prepare: KMS fails (a 500, not a per-key answer), and so does the last secret's DescribeSecret.
    const lastSecret = `certctl/item-${2 * DESCRIBE_CONCURRENCY}"`;
    const scope = await keysScope((operation, body) =>
      operation === 'DescribeKey' || (operation === 'DescribeSecret' && body.includes(lastSecret))
        ? jsonError(500, 'InternalFailure', `${operation} is down`)
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
