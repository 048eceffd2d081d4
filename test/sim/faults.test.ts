import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { DescribeDBInstancesCommand, paginateDescribeDBInstances, RDSClient } from '@aws-sdk/client-rds';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import { FaultInjector } from './faults.ts';
import type { ScenarioInput } from './scenario.ts';
import { type Sim, startSim } from './server.ts';

const scenario: ScenarioInput = {
  regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
  services: {
    rds: {
      instances: [
        ...Array.from({ length: 250 }, (_, index) => ({ id: `certctl-db-${index}`, region: 'eu-west-1' })),
        { id: 'certctl-us-db', region: 'us-east-1' },
      ],
    },
  },
};

function rdsClient(sim: Sim, region: string, maxAttempts: number): RDSClient {
  return new RDSClient({ region, endpoint: sim.endpoint, credentials: simCredentials(), maxAttempts });
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

async function countInstances(client: RDSClient, pageSize = 100): Promise<number> {
  let count = 0;
  for await (const page of paginateDescribeDBInstances({ client, pageSize }, {}))
    count += page.DBInstances?.length ?? 0;
  return count;
}

describe('fault injection seen through the real SDK clients', () => {
  let sim: Sim;
  const clients: { destroy(): void }[] = [];

  function track<C extends { destroy(): void }>(client: C): C {
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    sim = await startSim({ scenario });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
    sim.setFaults({});
    sim.resetStats();
  });

  afterAll(async () => {
    await sim.close();
  });

  it('surfaces Throttling when every call is throttled and the client makes one attempt', async () => {
    sim.setFaults({ throttleRate: 1 });
    const client = track(rdsClient(sim, 'eu-west-1', 1));

    const error = await rejection(client.send(new DescribeDBInstancesCommand({})));

    expect(error.name).toBe('Throttling');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sim.stats().faults.throttled).toBe(1);
  });

  it('retries throttled calls transparently when the client has attempts to spare', async () => {
    sim.setFaults({ throttleRate: 0.3, seed: 7 });
    const client = track(rdsClient(sim, 'eu-west-1', 10));

    const count = await countInstances(client, 20);
    const stats = sim.stats();

    expect(count).toBe(250);
    expect(stats.faults.throttled).toBeGreaterThan(0);
    expect(stats.retries).toBe(stats.faults.throttled);
    expect(stats.byOperation['rds:DescribeDBInstances']).toBe(13 + stats.faults.throttled);
  });

  it('makes the same decisions when the same requests arrive in another order with the same seed', async () => {
    const client = track(rdsClient(sim, 'eu-west-1', 1));
    const sizes = Array.from({ length: 40 }, (_, index) => 20 + index);
    const failedSizes = async (order: readonly number[]): Promise<number[]> => {
      const results = await Promise.allSettled(
        order.map((size) => client.send(new DescribeDBInstancesCommand({ MaxRecords: Math.min(size, 100) }))),
      );
      return order.filter((_, index) => results[index]?.status === 'rejected').sort((a, b) => a - b);
    };

    sim.setFaults({ throttleRate: 0.3, errorRate: 0.1, seed: 42 });
    const first = await failedSizes(sizes);
    sim.setFaults({ throttleRate: 0.3, errorRate: 0.1, seed: 42 });
    const second = await failedSizes([...sizes].reverse());

    expect(second).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(sizes.length);
  });

  it('answers InternalFailure with HTTP 500 when every call fails and the client makes one attempt', async () => {
    sim.setFaults({ errorRate: 1 });
    const client = track(rdsClient(sim, 'eu-west-1', 1));

    const error = await rejection(client.send(new DescribeDBInstancesCommand({})));

    expect(error.name).toBe('InternalFailure');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(sim.stats().faults.serverErrors).toBe(1);
  });

  it('fails only the down region with a retryable 503 when a region is in outage', async () => {
    sim.setFaults({ downRegions: ['eu-west-1'] });
    const down = track(rdsClient(sim, 'eu-west-1', 3));
    const up = track(rdsClient(sim, 'us-east-1', 3));

    const error = await rejection(down.send(new DescribeDBInstancesCommand({})));
    const healthy = await up.send(new DescribeDBInstancesCommand({}));
    const stats = sim.stats();

    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(healthy.DBInstances?.map((instance) => instance.DBInstanceIdentifier)).toEqual(['certctl-us-db']);
    expect(stats.faults.regionDown).toBe(3);
    expect(stats.retries).toBe(2);
    expect(stats.byRegion).toEqual({ 'eu-west-1': 3, 'us-east-1': 1 });
  });

  it('answers each protocol in its own error format when a region is down', async () => {
    sim.setFaults({ downRegions: ['us-east-1'] });
    const sts = track(
      new STSClient({
        region: 'us-east-1',
        endpoint: sim.endpoint,
        credentials: simCredentials(),
        maxAttempts: 1,
      }),
    );
    const account = track(
      new AccountClient({
        region: 'us-east-1',
        endpoint: sim.endpoint,
        credentials: simCredentials(),
        maxAttempts: 1,
      }),
    );

    const stsError = await rejection(sts.send(new GetCallerIdentityCommand({})));
    const accountError = await rejection(account.send(new ListRegionsCommand({})));

    expect(stsError.name).toBe('ServiceUnavailable');
    expect(accountError.name).toBe('ServiceUnavailableException');
    expect(accountError.$metadata?.httpStatusCode).toBe(503);
  });

  it('leaves other services alone when faults are limited to some services', async () => {
    sim.setFaults({ throttleRate: 1, services: ['rds'] });
    const sts = track(
      new STSClient({
        region: 'eu-west-1',
        endpoint: sim.endpoint,
        credentials: simCredentials(),
        maxAttempts: 1,
      }),
    );
    const rds = track(rdsClient(sim, 'eu-west-1', 1));

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const error = await rejection(rds.send(new DescribeDBInstancesCommand({})));

    expect(identity.Account).toBe('111111111111');
    expect(error.name).toBe('Throttling');
  });

  it('counts the configured latency on every request when latency is set', async () => {
    sim.setFaults({ latencyMs: 5 });
    const client = track(rdsClient(sim, 'eu-west-1', 1));

    await countInstances(client);
    const { faults } = sim.stats();

    expect(faults.delayed).toBe(3);
    expect(faults.injectedLatencyMs).toBe(15);
  });

  it('adds no latency when none is configured', async () => {
    const client = track(rdsClient(sim, 'eu-west-1', 1));

    await countInstances(client);

    expect(sim.stats().faults).toMatchObject({ delayed: 0, injectedLatencyMs: 0 });
  });

  it('applies faults given at start when the simulator starts with them', async () => {
    const faulty = await startSim({ scenario, faults: { downRegions: ['us-east-1'] } });
    const client = rdsClient(faulty, 'us-east-1', 1);

    const error = await rejection(client.send(new DescribeDBInstancesCommand({})));
    client.destroy();
    await faulty.close();

    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(faulty.faults().downRegions).toEqual(['us-east-1']);
  });
});

describe('FaultInjector', () => {
  const request = {
    service: 'rds',
    region: 'eu-west-1',
    callerAccount: '111111111111',
    method: 'POST',
    url: '/',
    body: Buffer.from('Action=DescribeDBInstances&Version=2014-10-31'),
  };

  it('throttles close to the configured share of distinct requests when the rate is 0.3', () => {
    const injector = new FaultInjector({ throttleRate: 0.3, seed: 3 });

    let throttled = 0;
    for (let index = 0; index < 2000; index += 1) {
      const decision = injector.decide({ ...request, body: Buffer.from(`Marker=${index}`) });
      if (decision.outcome === 'throttled') throttled += 1;
    }

    expect(throttled).toBeGreaterThan(500);
    expect(throttled).toBeLessThan(700);
  });

  it('gives a retry of the same request a fresh decision when it was throttled', () => {
    const injector = new FaultInjector({ throttleRate: 0.5, seed: 1 });

    const outcomes = Array.from({ length: 20 }, () => injector.decide(request).outcome);

    expect(outcomes).toContain('throttled');
    expect(outcomes).toContain(undefined);
  });

  it('throttles only the first attempts of the operation and request named when faults are targeted', () => {
    const injector = new FaultInjector({
      throttleRate: 1,
      throttleCode: 'TooManyRequestsException',
      operations: ['DescribeDBInstances'],
      containing: 'certctl-db-7',
      failedAttempts: 2,
    });
    const named = {
      ...request,
      operation: 'DescribeDBInstances',
      url: '/?DBInstanceIdentifier=certctl-db-7',
    };

    const attempts = Array.from({ length: 3 }, () => injector.decide(named));
    const otherRequest = injector.decide({ ...named, url: '/?DBInstanceIdentifier=certctl-db-8' });
    const otherOperation = injector.decide({ ...named, operation: 'DescribeDBClusters' });

    expect(attempts.map((decision) => [decision.outcome, decision.injected?.code])).toEqual([
      ['throttled', 'TooManyRequestsException'],
      ['throttled', 'TooManyRequestsException'],
      [undefined, undefined],
    ]);
    expect(otherRequest.outcome).toBeUndefined();
    expect(otherOperation.outcome).toBeUndefined();
  });

  it('refuses a throttleCode whose HTTP status the simulator does not know', () => {
    expect(() => new FaultInjector({ throttleRate: 1, throttleCode: 'Throttled' })).toThrow(/throttleCode/);
  });

  it('rejects a rate above 1 when faults are set', () => {
    expect(() => new FaultInjector({ throttleRate: 1.5 })).toThrow(/throttleRate/);
  });
});
