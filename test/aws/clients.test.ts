import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { startRdsSim } from '../integration/support.ts';
import { simCredentials } from '../sim/accounts.ts';

const MEMBER = { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/backup-guard-audit' };

describe('AwsClientFactory', () => {
  const factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });

  afterEach(() => {
    factory.destroy();
  });

  it('gives the caller’s own account, named or not, one client per service and region', () => {
    // Act
    const unnamed = factory.client(RDSClient, 'eu-west-1');
    const named = factory.client(RDSClient, 'eu-west-1', { accountId: '999988887777' });
    // Assess
    expect(named).toBe(unnamed);
    expect(factory.client(RDSClient, 'us-east-1')).not.toBe(unnamed);
  });

  it('gives two client classes of one name their own clients, as a minified bundle names them', () => {
    // Prepare: esbuild's minifier renames classes, so two SDK clients may share a name in a bundle.
    const named = (name: string) =>
      ({
        [name]: class {
          destroy(): void {}
        },
      })[name] as new () => { destroy(): void };
    const First = named('t');
    const Second = named('t');
    // Act
    const first = factory.client(First, 'eu-west-1');
    const second = factory.client(Second, 'eu-west-1');
    // Assess
    expect(first).toBeInstanceOf(First);
    expect(second).toBeInstanceOf(Second);
  });

  it('reads the FIPS and dual-stack endpoint settings once for every client it makes', async () => {
    // Prepare: the settings as the SDK reads them, then changed after the factory read them.
    process.env.AWS_USE_FIPS_ENDPOINT = 'true';
    try {
      await factory.readSettings();
      delete process.env.AWS_USE_FIPS_ENDPOINT;
      process.env.AWS_USE_DUALSTACK_ENDPOINT = 'true';
      // Act
      const rds = factory.client(RDSClient, 'eu-west-1');
      const sts = factory.client(STSClient, 'us-east-1', MEMBER);
      // Assess: what was read once, for every client made since.
      expect(await rds.config.useFipsEndpoint()).toBe(true);
      expect(await sts.config.useFipsEndpoint()).toBe(true);
      expect(await rds.config.useDualstackEndpoint()).toBe(false);
    } finally {
      delete process.env.AWS_USE_FIPS_ENDPOINT;
      delete process.env.AWS_USE_DUALSTACK_ENDPOINT;
    }
  });

  it('gives a member account its own client, through its role', async () => {
    // Act
    const own = factory.client(RDSClient, 'eu-west-1');
    const member = factory.client(RDSClient, 'eu-west-1', MEMBER);
    // Assess
    expect(member).not.toBe(own);
    expect(factory.client(RDSClient, 'eu-west-1', MEMBER)).toBe(member);
    expect(member.config.credentials).not.toBe(own.config.credentials);
  });
});

describe('AwsClientFactory retryWaitScale', () => {
  it('asks a throttled call again as often, its waits scaled, and leaves the SDK its own strategy unset', async () => {
    // Prepare: RDS throttles every attempt. Unscaled, the adaptive mode's rate limiter, once
    // throttled, allows the next send no sooner than 2 s later (its least fill rate, 0.5 a second):
    // two retries take at least 4 s.
    const sim = await startRdsSim({ instances: [] });
    sim.setFaults({ throttleRate: 1, services: ['rds'] });
    const options = { maxAttempts: 3, credentials: simCredentials(), endpoint: sim.endpoint };
    const scaled = new AwsClientFactory({ ...options, retryWaitScale: 0.01 });
    try {
      // Act
      const started = performance.now();
      const error = await scaled
        .client(RDSClient, 'eu-west-1')
        .send(new DescribeDBInstancesCommand({}))
        .catch((caught: unknown) => caught);
      const elapsedMs = performance.now() - started;

      // Assess
      expect((error as Error).name).toBe('Throttling');
      expect(sim.stats().faults.throttled).toBe(3);
      expect(elapsedMs).toBeLessThan(2_000);
      expect(new AwsClientFactory(options).config('eu-west-1').retryStrategy).toBeUndefined();
      expect(
        new AwsClientFactory({ ...options, retryWaitScale: 1 }).config('eu-west-1').retryStrategy,
      ).toBeUndefined();
      for (const wrong of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => new AwsClientFactory({ ...options, retryWaitScale: wrong })).toThrow(
          `retryWaitScale must be a positive number, not ${wrong}`,
        );
      }
    } finally {
      scaled.destroy();
      await sim.close();
    }
  });
});
