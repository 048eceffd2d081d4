/**
 * What a Lambda throws is printed by its runtime with the error's `stack`: the `Invoke Error` log
 * line carries it, and a synchronous caller gets it back as `trace` (the Node.js runtime interface
 * client: `trace: error.stack.split('\n')`). A user mistake (a bad event, a policy that does not
 * load) is said whole by its message, so it is thrown with no stack frames; a fault of the code
 * keeps them, as they are how it is found.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../functions/aws/clients.ts';
import { UnansweredRunError } from '../../../functions/chatops/unfinished.ts';
import { InputError, PolicyError, withFramesOnlyForFaults } from '../../../functions/core/errors.ts';
import { loadFunctionPolicy, parsePolicy } from '../../../functions/core/policy.ts';
import { auditPitrWithEvidence } from '../../../functions/handlers/aws/audit-pitr.ts';
import { readinessWithEvidence } from '../../../functions/handlers/aws/readiness.ts';
import { snapshotWithEvidence } from '../../../functions/handlers/aws/snapshot.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

/** A V8 stack frame line. */
const FRAME = /^\s+at /m;

let output: CapturedOutput;
beforeEach(() => {
  output = capturePowertoolsOutput();
});
afterEach(() => {
  output.restore();
});

function dependencies() {
  const policy = parsePolicy({ aws: { regions: ['eu-west-1'] } });
  return {
    policy,
    factory: new AwsClientFactory({ maxAttempts: 1, endpoint: 'http://127.0.0.1:9' }),
    logger: new Logger({ serviceName: 'test' }),
    metrics: new Metrics({ namespace: 'CertctlBackupGuard', serviceName: 'test' }),
    homeRegion: 'eu-west-1',
    dynamo: undefined as never,
    tableName: 'certctl-backup-guard-idempotency',
  };
}

/** What `attempt` rejected with. */
async function thrownBy(attempt: Promise<unknown>): Promise<Error> {
  return attempt.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

const noPolicy = () => {
  loadFunctionPolicy({});
  throw new Error('unreachable');
};

describe('what the Lambdas throw', () => {
  it('throws a bad event with its message and no stack frame, from each handler', async () => {
    // Act
    const thrown = [
      await thrownBy(auditPitrWithEvidence({ region: ['eu-west-1'] }, dependencies, dependencies())),
      await thrownBy(readinessWithEvidence({ region: ['eu-west-1'] }, dependencies, dependencies())),
      await thrownBy(snapshotWithEvidence({ requestId: 'r1' }, dependencies, dependencies())),
    ];

    // Assess
    for (const error of thrown) {
      expect(error).toBeInstanceOf(InputError);
      expect(error.stack).toBe(`InputError: ${error.message}`);
      expect(error.stack).not.toMatch(FRAME);
    }
  });

  it('throws a policy that does not load with its message and no stack frame', async () => {
    // Act
    const thrown = [
      await thrownBy(auditPitrWithEvidence({}, noPolicy, dependencies())),
      await thrownBy(readinessWithEvidence({}, noPolicy, dependencies())),
      await thrownBy(snapshotWithEvidence({}, noPolicy, dependencies())),
    ];

    // Assess
    for (const error of thrown) {
      expect(error).toBeInstanceOf(PolicyError);
      expect(error.stack).toMatch(/^PolicyError: no policy: set BACKUP_GUARD_POLICY_FILE/);
      expect(error.stack).not.toMatch(FRAME);
    }
  });

  it('throws an expected condition it has reported with its message and no stack frame, and a fault with its frames', () => {
    // Prepare: a chat record that could not be answered (logged, counted, then thrown on purpose
    // so Lambda retries it and keeps it in the dead-letter queue).
    const condition = new UnansweredRunError("Slack's 30-minute reply window has passed");
    const fault = new TypeError("Cannot read properties of undefined (reading 'post')");

    // Act
    const thrown = [withFramesOnlyForFaults(condition), withFramesOnlyForFaults(fault)];

    // Assess
    expect(thrown[0]?.stack).toBe("UnansweredRunError: Slack's 30-minute reply window has passed");
    expect(thrown[1]?.stack).toMatch(FRAME);
  });

  it('keeps the stack frames of a fault of the code', async () => {
    // Prepare: building the dependencies fails as a bug would.
    const broken = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'aws')");
    };

    // Act
    const error = await thrownBy(readinessWithEvidence({}, broken, dependencies()));

    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(error.stack).toMatch(FRAME);
  });
});
