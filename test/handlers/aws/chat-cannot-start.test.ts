/**
 * The deployed chat Lambdas when their deployment is broken (a setting missing, a policy that does
 * not load): each says so in one structured ERROR log line naming what is wrong, then fails the
 * invocation (the Errors alarm; `chat-action`'s on-failure destination tells the user, a failed
 * `chat-unfinished` record ends in the dead-letter queue) with the mistake's message and no stack
 * frames, which the Lambda runtime would print.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHAT_ACTION_FUNCTION_ENV } from '../../../functions/aws/chat-dispatch.ts';
import { SLACK_SECRET_ENV } from '../../../functions/aws/slack-secret.ts';
import { POLICY_ENV, POLICY_FILE_ENV } from '../../../functions/core/policy.ts';
import { IDEMPOTENCY_TABLE_ENV } from '../../../functions/jobs/idempotency-table.ts';
import { type CapturedOutput, capturePowertoolsOutput } from './powertools-output.ts';

const CONTEXT = {
  functionName: 'certctl-backup-guard-chat',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

/** The settings these handlers read, cleared for each test and put back after it. */
const SETTINGS = [
  SLACK_SECRET_ENV,
  CHAT_ACTION_FUNCTION_ENV,
  IDEMPOTENCY_TABLE_ENV,
  POLICY_ENV,
  POLICY_FILE_ENV,
  'AWS_REGION',
];
let saved: Record<string, string | undefined>;
let output: CapturedOutput | undefined;

beforeEach(() => {
  // Each test loads the handler anew: a container keeps what its first invocation built.
  vi.resetModules();
  saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
  for (const name of SETTINGS) delete process.env[name];
  process.env.AWS_REGION = 'eu-west-1';
});

afterEach(() => {
  output?.restore();
  output = undefined;
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Run `invoke`: what it threw, and the structured lines written meanwhile. */
async function failure(invoke: () => Promise<unknown>) {
  output = capturePowertoolsOutput();
  const thrown = await invoke().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  output.restore();
  return { thrown, logs: output.logs() };
}

describe('a chat Lambda that cannot start', () => {
  it('chat-slack: logs one ERROR line naming the missing settings, then fails with no stack frame', async () => {
    // Prepare
    const { handler } = await import('../../../functions/handlers/aws/chat-slack.ts');

    // Act
    const { thrown, logs } = await failure(() => handler({ headers: {}, body: '' }, CONTEXT));

    // Assess
    expect(thrown?.name).toBe('InputError');
    expect(thrown?.stack).toBe(`InputError: ${thrown?.message}`);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'chat-slack cannot start',
        error: {
          name: 'InputError',
          message: `chat-slack needs ${SLACK_SECRET_ENV} (the signing secret's name) and ${CHAT_ACTION_FUNCTION_ENV} (the action function); the deployment sets both`,
        },
      }),
    ]);
  });

  it('chat-slack: logs the policy that does not load', async () => {
    // Prepare
    process.env[SLACK_SECRET_ENV] = 'certctl-backup-guard/slack-signing-secret';
    process.env[CHAT_ACTION_FUNCTION_ENV] = 'certctl-backup-guard-chat-action';
    const { handler } = await import('../../../functions/handlers/aws/chat-slack.ts');

    // Act
    const { thrown, logs } = await failure(() => handler({ headers: {}, body: '' }, CONTEXT));

    // Assess
    expect(thrown?.name).toBe('PolicyError');
    expect(thrown?.stack).not.toMatch(/^\s+at /m);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'chat-slack cannot start',
        error: {
          name: 'PolicyError',
          message: expect.stringMatching(/^no policy: set BACKUP_GUARD_POLICY_FILE/),
        },
      }),
    ]);
  });

  it('chat-action: logs one ERROR line naming the policy problem, then fails with no stack frame', async () => {
    // Prepare
    process.env[POLICY_ENV] = '{ not a policy';
    const { handler } = await import('../../../functions/handlers/aws/chat-action.ts');

    // Act
    const { thrown, logs } = await failure(() => handler({}, CONTEXT));

    // Assess
    expect(thrown?.name).toBe('PolicyError');
    expect(thrown?.stack).not.toMatch(/^\s+at /m);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'chat-action cannot start',
        error: { name: 'PolicyError', message: expect.stringContaining(POLICY_ENV) },
      }),
    ]);
  });

  it('chat-unfinished: logs one ERROR line naming the missing table, then fails with no stack frame', async () => {
    // Prepare: no table setting, and a policy that names none either.
    process.env[POLICY_ENV] = JSON.stringify({ aws: { regions: ['eu-west-1'] } });
    const { handler } = await import('../../../functions/handlers/aws/chat-unfinished.ts');

    // Act
    const { thrown, logs } = await failure(() => handler({}, CONTEXT));

    // Assess
    expect(thrown?.name).toBe('InputError');
    expect(thrown?.stack).toBe(`InputError: ${thrown?.message}`);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'chat-unfinished cannot start',
        error: { name: 'InputError', message: expect.stringContaining(IDEMPOTENCY_TABLE_ENV) },
      }),
    ]);
  });
});
