import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simCredentials } from './accounts.ts';
import type { ScenarioInput } from './scenario.ts';
import { type Sim, startSim } from './server.ts';
import type { SimService } from './service.ts';

const scenario: ScenarioInput = {
  regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }, { name: 'ap-east-1', optStatus: 'DISABLED' }],
  services: { rds: { instances: [{ id: 'certctl-prod-db', region: 'eu-west-1' }] } },
};

describe('startSim', () => {
  let sim: Sim;

  beforeAll(async () => {
    sim = await startSim({ scenario });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('listens on a random 127.0.0.1 port when no port is given', () => {
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.endpoint).toBe(`http://127.0.0.1:${sim.port}`);
  });

  it('answers 404 in a generic JSON format when no service handles the request', async () => {
    const response = await fetch(`${sim.endpoint}/no/such/api`, { method: 'POST', body: '{}' });
    const body = (await response.json()) as { message: string };

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(body.message).toContain('The simulator has no service for POST /no/such/api (unsigned)');
    expect(body.message).toContain('Simulated services: sts, account, rds');
    expect(sim.stats().unmatched).toBeGreaterThanOrEqual(1);
  });

  it('answers InvalidAction when an RDS action is not simulated', async () => {
    const response = await fetch(sim.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIA111111111111SIMK/20260315/eu-west-1/rds/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=certctl-prod-db',
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('refuses calls into a region the account never enabled when the scenario marks it DISABLED', async () => {
    const rds = new RDSClient({
      region: 'ap-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });

    const error = await rds.send(new DescribeDBInstancesCommand({})).catch((caught: Error) => caught);
    rds.destroy();

    expect((error as Error).name).toBe('InvalidClientTokenId');
  });

  it('counts requests per service, operation and region when stats are read', async () => {
    sim.resetStats();
    const euRds = new RDSClient({
      region: 'eu-west-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
    });
    const usRds = new RDSClient({
      region: 'us-east-1',
      endpoint: sim.endpoint,
      credentials: simCredentials(),
    });
    const sts = new STSClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: simCredentials() });

    await euRds.send(new DescribeDBInstancesCommand({}));
    await euRds.send(new DescribeDBInstancesCommand({}));
    await usRds.send(new DescribeDBInstancesCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));
    for (const client of [euRds, usRds, sts]) client.destroy();
    const stats = sim.stats();

    expect(stats.requests).toBe(4);
    expect(stats.byService).toEqual({ rds: 3, sts: 1 });
    expect(stats.byOperation).toEqual({ 'rds:DescribeDBInstances': 3, 'sts:GetCallerIdentity': 1 });
    expect(stats.byRegion).toEqual({ 'eu-west-1': 2, 'us-east-1': 2 });
    expect(stats.calls).toEqual([
      { service: 'rds', operation: 'DescribeDBInstances', region: 'eu-west-1', count: 2 },
      { service: 'rds', operation: 'DescribeDBInstances', region: 'us-east-1', count: 1 },
      { service: 'sts', operation: 'GetCallerIdentity', region: 'us-east-1', count: 1 },
    ]);
  });

  it('forgets every count when stats are reset', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: simCredentials() });
    await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();

    sim.resetStats();

    expect(sim.stats()).toMatchObject({ requests: 0, retries: 0, byService: {}, calls: [] });
  });

  it('fails loudly with SimulatorFailure when a service throws', async () => {
    const broken: SimService = {
      name: 'broken',
      matches: (request) => request.path === '/broken',
      handle: () => {
        throw new Error('boom');
      },
      throttled: () => ({ status: 429, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
    const local = await startSim({ scenario, extraServices: [broken] });

    const response = await fetch(`${local.endpoint}/broken`);
    const body = (await response.json()) as { message: string };
    await local.close();

    expect(response.status).toBe(500);
    expect(body.message).toContain('The simulator failed: Error: boom');
  });

  it('routes to the first matching service when several could match', async () => {
    const first: SimService = {
      name: 'first',
      matches: () => true,
      handle: () => ({ status: 200, body: 'first' }),
      throttled: () => ({ status: 429, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
    const local = await startSim({ scenario, extraServices: [first] });

    const response = await fetch(local.endpoint);
    const text = await response.text();
    const stats = local.stats();
    await local.close();

    expect(text).toBe('first');
    expect(stats.byOperation).toEqual({ 'first:GET /': 1 });
  });

  it('reuses a successful answer for the same request only when reuseAnswers is on', async () => {
    let served = 0;
    const counting: SimService = {
      name: 'counting',
      matches: (request) => request.path === '/count',
      handle: (request) => {
        served += 1;
        return {
          status: served === 1 && request.headers.range === 'bytes=0-1' ? 500 : 200,
          body: `answer ${served}`,
        };
      },
      throttled: () => ({ status: 429, body: '' }),
      serverError: () => ({ status: 500, body: '' }),
    };
    const ask = (endpoint: string, headers: Record<string, string> = {}) =>
      fetch(`${endpoint}/count`, { method: 'POST', body: 'same', headers }).then((r) => r.text());

    const reusing = await startSim({ scenario, extraServices: [counting], reuseAnswers: true });
    const failedFirst = await ask(reusing.endpoint, { range: 'bytes=0-1' });
    const retried = await ask(reusing.endpoint, { range: 'bytes=0-1' });
    const first = await ask(reusing.endpoint, { 'amz-sdk-invocation-id': 'a', authorization: 'one' });
    const again = await ask(reusing.endpoint, { 'amz-sdk-invocation-id': 'b', authorization: 'two' });
    const otherTarget = await ask(reusing.endpoint, { 'x-amz-target': 'secretsmanager.GetSecretValue' });
    const reusedStats = reusing.stats();
    await reusing.close();
    served = 1;
    const plain = await startSim({ scenario, extraServices: [counting] });
    const plainFirst = await ask(plain.endpoint);
    const plainAgain = await ask(plain.endpoint);
    await plain.close();

    // A failed answer is never kept; volatile headers do not make a request new; others do.
    expect([failedFirst, retried, first, again, otherTarget]).toEqual([
      'answer 1',
      'answer 2',
      'answer 3',
      'answer 3',
      'answer 4',
    ]);
    expect(reusedStats.byOperation).toEqual({ 'counting:POST /count': 4, 'counting:GetSecretValue': 1 });
    expect([plainFirst, plainAgain]).toEqual(['answer 2', 'answer 3']);
  });

  it('makes the answer within the latency only when answerWithinLatency is on', async () => {
    const latencyMs = 400;
    const timed = async (answerWithinLatency: boolean) => {
      let handledAt = 0;
      const timing: SimService = {
        name: 'timing',
        matches: (request) => request.path === '/timed',
        handle: () => {
          handledAt = performance.now();
          return { status: 200, body: 'timed' };
        },
        throttled: () => ({ status: 429, body: '' }),
        serverError: () => ({ status: 500, body: '' }),
      };
      const local = await startSim({
        scenario,
        extraServices: [timing],
        faults: { latencyMs },
        answerWithinLatency,
      });
      const sent = performance.now();
      const text = await fetch(`${local.endpoint}/timed`).then((r) => r.text());
      const answeredAt = performance.now();
      await local.close();
      return {
        text,
        handledAfter: handledAt - sent,
        answeredAfter: answeredAt - sent,
        heldAfterHandling: answeredAt - handledAt,
      };
    };

    const within = await timed(true);
    const after = await timed(false);

    // Either way the answer takes the whole latency; only when it is made differs: within it, the
    // answer waits out most of the latency once made (measured from the handling, so a slow start
    // of the client's first request does not count).
    expect(within.text).toBe('timed');
    expect(within.heldAfterHandling).toBeGreaterThan(latencyMs / 2);
    expect(within.answeredAfter).toBeGreaterThanOrEqual(latencyMs - 1);
    expect(after.handledAfter).toBeGreaterThanOrEqual(latencyMs - 1);
  });

  it('gives access to a service by name when a test inspects state', () => {
    expect(sim.service('rds').name).toBe('rds');
    expect(() => sim.service('nope')).toThrow('The simulator has no service nope');
  });
});
