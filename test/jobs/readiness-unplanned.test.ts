/**
 * A cloud the run was asked for but could not plan (no credentials, STS unreachable) reads none of
 * the places the policy gives a run-wide gate there (key material, dump series): that gate is not
 * evaluated, nor waived as "given nothing to audit", and no database's line reads GO beside it.
 */
import { describe, expect, it } from 'vitest';
import { gcpSnapshotCloud } from '../../functions/actions/snapshot/gcp.ts';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { renderReadiness, runReadinessJob } from '../../functions/jobs/readiness.ts';
import { cloudSqlScenario, gcpSimPerTest, instance, PROJECT } from '../gcp/sim-setup.ts';
import { NO_KEYS_WAIVER } from '../integration/snapshot-support.ts';
import { simCredentials } from '../sim/accounts.ts';

const startSim = gcpSimPerTest();

describe('readiness when a cloud it is asked for cannot be planned', () => {
  it('does not waive or pass audit:keys whose key material is in the cloud not planned, on any database line', async () => {
    // Prepare: the CA key is in Secrets Manager; AWS cannot be planned (nothing listens where STS
    // would be); the Cloud SQL instance is judged over GCP. audit:keys carries a waiver "for a gate
    // given nothing to audit", which this policy does give something.
    const { factory } = await startSim(cloudSqlScenario([instance('certctl-pg')]), {
      clock: () => new Date(),
    });
    const policy = parsePolicy({
      aws: { regions: ['eu-west-1'] },
      pitr: { minPitrDays: 7 },
      gcp: { projects: [PROJECT] },
      keys: {
        preset: 'none',
        items: {
          ca: { kind: 'opaque', secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca' },
        },
      },
      snapshots: { readinessWaivers: NO_KEYS_WAIVER },
    });
    const aws = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(),
      endpoint: 'http://127.0.0.1:9',
    });

    // Act
    let result: Awaited<ReturnType<typeof runReadinessJob>>;
    try {
      result = await runReadinessJob(
        { providers: ['aws', 'gcp'] },
        {
          policy,
          aws: { factory: aws, collectors: awsCollectors, homeRegion: 'eu-west-1' },
          gcp: { clients: factory, collectors: gcpCollectors },
          clouds: [gcpSnapshotCloud({ policy, clients: factory })],
        },
      );
    } finally {
      aws.destroy();
    }

    // Assess
    expect(result.verdict).not.toBe('GO');
    expect(result.notEvaluated[0]).toMatch(/^aws: not audited \(/);
    const summary = result.gates.find((gate) => gate.gate === 'audit:keys');
    expect(summary?.coverage).toBe('incomplete');
    expect(summary?.detail).toMatch(
      /^places in aws \(account 111111111111 eu-west-1\) not read: aws could not be planned \(/,
    );
    const line = result.targets.find((entry) => entry.target.id === 'certctl-pg');
    expect(line?.status).not.toBe('GO');
    const gate = line?.gates.find((entry) => entry.gate === 'audit:keys');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toMatch(
      /^not evaluated over the whole run, which every database's GO rests on: places in aws \(account 111111111111 eu-west-1\) not read: aws could not be planned/,
    );
    expect(gate?.action).toBe(
      'Fix what kept aws from being planned (credentials, an unreachable STS), then run readiness again.',
    );
    expect(renderReadiness(result)).not.toContain('waived');
  });
});
