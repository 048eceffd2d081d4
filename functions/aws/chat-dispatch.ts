/**
 * Hand a chat command to the action function: an asynchronous Lambda invocation
 * (`InvocationType: 'Event'`), which Lambda queues and answers with 202 at once, so the
 * acknowledgement stays within Slack's 3 seconds and Amazon Q's 15. Lambda may deliver an event more
 * than once, so the action function is idempotent per request
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 *
 * The SDK retries a throttled or unanswered Invoke with backoff and no overall timeout, so a slow
 * Lambda API could hold the acknowledgement past Slack's window (the user then sees
 * `operation_timeout` and cannot tell whether the work runs). The hand-off therefore has a deadline
 * (functions/chatops/hand-off.ts): past it the call is aborted (no further attempt is sent) and the
 * caller is told what is known of the outcome ({@link HandOffError}).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HandOffError } from '../chatops/errors.ts';
import { HAND_OFF_DEADLINE_MS, handOffWithin } from '../chatops/hand-off.ts';
import type { ChatWork } from '../chatops/work.ts';

/** Environment variable naming the action function (its name or ARN). */
export const CHAT_ACTION_FUNCTION_ENV = 'BACKUP_GUARD_CHAT_ACTION_FUNCTION';

export interface LambdaDispatcherOptions {
  /** How long the hand-off may take, retries included. @default HAND_OFF_DEADLINE_MS */
  readonly deadlineMs?: number;
}

/** Whether an attempt was answered by Lambda with a refusal (4xx): that attempt queued nothing. */
function refusedByLambda(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/** A dispatcher that invokes `functionName` asynchronously with the work as its event. */
export function lambdaDispatcher(
  client: Pick<LambdaClient, 'send'>,
  functionName: string,
  options: LambdaDispatcherOptions = {},
): (work: ChatWork) => Promise<void> {
  const deadlineMs = options.deadlineMs ?? HAND_OFF_DEADLINE_MS;
  return async (work) => {
    const command = new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(work)),
    });
    // Each attempt's outcome, recorded below the SDK's retries: only attempts Lambda refused are
    // known to have queued nothing; one that timed out, lost its connection or got a 5xx may have.
    let unansweredAttempt = false;
    command.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if (!refusedByLambda(error)) unansweredAttempt = true;
          throw error;
        }
      },
      { step: 'deserialize', priority: 'high', name: 'backupGuardHandOffAttempts' },
    );
    const answer = await handOffWithin({
      what: `the Lambda Invoke of ${functionName}`,
      deadlineMs,
      run: (signal) => client.send(command, { abortSignal: signal }),
      // An attempt may be in flight, and Lambda may have queued it.
      outcomeAtDeadline: () => 'unknown',
      outcomeOf: (error) => (unansweredAttempt || !refusedByLambda(error) ? 'unknown' : 'not-started'),
    });
    if (answer.StatusCode !== 202) {
      // Lambda answered the Invoke without queueing the event (202 is "queued").
      throw new HandOffError(
        'not-started',
        `the action function did not accept the command (HTTP ${answer.StatusCode})`,
      );
    }
  };
}
