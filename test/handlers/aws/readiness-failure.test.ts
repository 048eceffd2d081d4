/**
 * The deployed `readiness` handler when it cannot answer: a bad event or a policy that does not load
 * is said in one structured ERROR log line (the error's name and message) and a `ReadinessGo` 0, as
 * the audit and snapshot Lambdas say theirs, before the invocation fails.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { POLICY_ENV } from '../../../functions/core/policy.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

const CONTEXT = {
  functionName: 'certctl-backup-guard-readiness',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

let output: CapturedOutput | undefined;

beforeEach(() => {
  // Each test loads the handler module anew: it keeps the dependencies of its first invocation.
  vi.resetModules();
  process.env.AWS_REGION = 'eu-west-1';
});

afterEach(() => {
  output?.restore();
  output = undefined;
  for (const name of ['AWS_REGION', POLICY_ENV]) delete process.env[name];
});

/** Invoke the deployed handler with `event`: what it threw, and what it wrote. */
async function invoke(event: unknown) {
  const { handler } = await import('../../../functions/handlers/aws/readiness.ts');
  output = capturePowertoolsOutput();
  const thrown = await handler(event, CONTEXT).then(
    () => undefined,
    (error: unknown) => error,
  );
  output.restore();
  return { thrown, logs: output.logs(), metrics: output.metrics() };
}

describe('the readiness Lambda when it cannot answer', () => {
  it('logs one ERROR line naming the bad field and records ReadinessGo 0 when the event is bad', async () => {
    // Prepare
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: ['eu-west-1'] } });

    // Act
    const { thrown, logs, metrics } = await invoke({ region: ['eu-west-1'] });

    // Assess
    // (Its class is the reloaded module's: told by name.)
    expect(thrown).toMatchObject({ name: 'InputError' });
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'readiness failed',
        error: {
          name: 'InputError',
          message: 'readiness input is invalid: (root): Unrecognized key: "region"; did you mean "regions"?',
        },
      }),
    ]);
    expect(metrics).toMatchObject({ ReadinessGo: 0 });
  });

  it('logs one ERROR line saying the policy is missing and records ReadinessGo 0', async () => {
    // Act
    const { thrown, logs, metrics } = await invoke({});

    // Assess
    expect(thrown).toMatchObject({ name: 'PolicyError' });
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'readiness failed',
        error: {
          name: 'PolicyError',
          message: expect.stringMatching(/^no policy: set BACKUP_GUARD_POLICY_FILE/),
        },
      }),
    ]);
    expect(metrics).toMatchObject({ ReadinessGo: 0 });
  });
});
