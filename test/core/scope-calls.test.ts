import { getMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runAudit, type ScopePlan } from '../../functions/core/audit.ts';
import type { Check } from '../../functions/core/check.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { ScopeCalls, scopeCall } from '../../functions/core/scope-calls.ts';

interface FakeFact {
  readonly resource: ResourceRef;
}

const presentCheck: Check<FakeFact> = {
  metadata: {
    id: 'pitr.fake-present',
    group: 'pitr',
    title: 'Present',
    failedTitle: 'Missing',
    severity: 'HIGH',
    rationale: 'test',
    remediation: { text: 'fix it', url: 'https://example.com/fix' },
    resourceTypes: ['AwsRdsDbInstance'],
  },
  evaluate: () => ({ status: 'PASSED', description: 'present', observed: {}, required: {} }),
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request that answers after `ms`, or rejects as soon as its signal aborts. */
function request(ms: number, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('answered'), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      // Rejected a little later, as a socket closes: the run must wait for it.
      setTimeout(() => reject(signal.reason), 20);
    });
  });
}

function scope(region: string, collect: () => Promise<readonly FakeFact[]>): ScopePlan<FakeFact> {
  return { scope: { provider: 'aws', account: '111111111111', region, group: 'pitr' }, collect };
}

describe('a scope’s calls (scopeCall)', () => {
  it('sends with no signal outside a scope', async () => {
    // Act
    const signals: (AbortSignal | undefined)[] = [];
    await scopeCall(async (signal) => signals.push(signal));

    // Assess
    expect(signals).toEqual([undefined]);
  });

  it('aborts the failed scope’s other calls, waits for them, refuses its later ones and leaves the other scope’s alone', async () => {
    // Prepare
    const events: string[] = [];
    let otherSignal: AbortSignal | undefined;
    const failing = scope('eu-west-1', async () => {
      const slow = scopeCall((signal) => request(5_000, signal)).finally(() => events.push('slow settled'));
      const later = delay(40).then(() =>
        scopeCall(async () => {
          events.push('later sent');
          return 'answered';
        }),
      );
      const throttled = delay(5).then(() => {
        throw new CloudApiError('Rate exceeded', 'Throttling');
      });
      await Promise.all([slow, later, throttled]);
      return [];
    });
    const other = scope('us-east-1', async () => {
      const answer = await scopeCall((signal) => {
        otherSignal = signal;
        return request(80, signal);
      });
      expect(answer).toBe('answered');
      return [
        {
          resource: {
            provider: 'aws',
            account: '111111111111',
            region: 'us-east-1',
            type: 'AwsRdsDbInstance',
            id: 'db',
          },
        },
      ];
    });

    // Act
    const report = await runAudit({
      plans: [failing, other],
      checks: [presentCheck],
      policy: parsePolicy({}),
      concurrency: 2,
    });
    events.push('returned');
    await delay(80);

    // Assess
    expect(events).toEqual(['slow settled', 'returned']);
    const [failed, complete] = report.scopes;
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toEqual({ code: 'Throttling', message: 'Rate exceeded' });
    expect(complete?.status).toBe('complete');
    expect(otherSignal?.aborted).toBe(false);
    expect(report.findings.map((finding) => `${finding.resource.id} ${finding.status}`)).toEqual([
      '111111111111/eu-west-1 NOT_AVAILABLE',
      'db PASSED',
    ]);
  });
});

describe('a scope’s signal', () => {
  it('takes the abort listeners of any number of calls at once without a leak warning', () => {
    // Prepare
    const calls = new ScopeCalls();

    // Assess
    // Each request in flight listens to it (the SDK's request handler, the retry wait): a Region's
    // 32 DescribeSecret workers or a dump bucket's 256 sockets are not a leak, and Node warns past 10.
    expect(getMaxListeners(calls.signal)).toBe(0);
  });
});
