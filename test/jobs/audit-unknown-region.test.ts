/**
 * A Region spelled like one that AWS does not have (`eu-west-9`): the policy takes it (AWS adds
 * Regions, and a hard list would refuse the next one), so the failure comes when its endpoint's
 * name does not resolve, and that scope's error must say the Region may not exist. No network: the
 * resolver is replaced by one that finds no name, as a resolver answers for a Region AWS lacks.
 */
import dns from 'node:dns';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { runScopes } from '../../functions/jobs/audit.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-9';

/** What Node's resolver gives for a name no DNS server knows. */
function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname,
  });
}

describe('an audit of a Region whose endpoints do not resolve', () => {
  let factory: AwsClientFactory;
  const looked: string[] = [];

  beforeEach(() => {
    looked.length = 0;
    vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, ...rest: unknown[]) => {
      looked.push(hostname);
      const callback = rest.at(-1) as (error: Error) => void;
      process.nextTick(() => callback(notFound(hostname)));
    }) as unknown as typeof dns.lookup);
    // No endpoint override: each client goes to the Region's own public endpoint.
    factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    factory.destroy();
  });

  it('fails each scope there saying the Region may not exist, naming it, for every group', async () => {
    // Prepare: a PITR scope, a dump location and a key item in the Region.
    const policy = parsePolicy({
      aws: { regions: [REGION] },
      dumps: {
        locations: [{ provider: 'aws', bucket: 'certctl-dumps', account: ACCOUNT, region: REGION }],
      },
      keys: {
        preset: 'none',
        items: {
          'ca-key': {
            kind: 'opaque',
            secret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:certctl/ca-key`,
          },
        },
      },
    });
    const scopes = (['pitr', 'dumps', 'keys'] as const).map((group) => ({
      scope: { provider: 'aws' as const, account: ACCOUNT, region: REGION, group },
    }));

    // Act
    const report = await runScopes(scopes, { policy, aws: { factory, collectors: awsCollectors } });

    // Assess: the PITR and keys scopes failed, and the dumps scope judged its location from reads
    // that all failed; each says why in words that name the Region.
    const mayNotExist = new RegExp(
      `getaddrinfo ENOTFOUND [a-z0-9.-]+\\.${REGION}\\.amazonaws\\.com: the Region ${REGION} may not exist \\(`,
    );
    expect(looked.length).toBeGreaterThan(0);
    expect(looked.every((hostname) => hostname.includes(`.${REGION}.`))).toBe(true);
    for (const group of ['pitr', 'keys']) {
      const outcome = report.scopes.find((entry) => entry.scope.group === group);
      expect({ group, status: outcome?.status, code: outcome?.error?.code }).toEqual({
        group,
        status: 'failed',
        code: 'ENOTFOUND',
      });
      expect(outcome?.error?.message).toMatch(mayNotExist);
    }
    const dumps = report.findings.filter((finding) => finding.checkId.startsWith('dumps.'));
    expect(dumps.length).toBeGreaterThan(0);
    for (const finding of dumps) {
      expect({ check: finding.checkId, status: finding.status }).toEqual({
        check: finding.checkId,
        status: 'NOT_AVAILABLE',
      });
      expect(finding.description).toMatch(mayNotExist);
    }
  });
});
