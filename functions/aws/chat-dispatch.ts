/**
 * Hand a chat command to the action function: an asynchronous Lambda invocation
 * (`InvocationType: 'Event'`), which Lambda queues and answers with 202 at once, so the
 * acknowledgement stays within Slack's 3 seconds and Amazon Q's 15. Lambda may deliver an event more
 * than once, so the action function is idempotent per request
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ChatError } from '../chatops/errors.ts';
import type { ChatWork } from '../chatops/work.ts';

/** Environment variable naming the action function (its name or ARN). */
export const CHAT_ACTION_FUNCTION_ENV = 'BACKUP_GUARD_CHAT_ACTION_FUNCTION';

/** A dispatcher that invokes `functionName` asynchronously with the work as its event. */
export function lambdaDispatcher(
  client: Pick<LambdaClient, 'send'>,
  functionName: string,
): (work: ChatWork) => Promise<void> {
  return async (work) => {
    const answer = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(work)),
      }),
    );
    if (answer.StatusCode !== 202) {
      throw new ChatError(502, `the action function did not accept the command (HTTP ${answer.StatusCode})`, {
        expose: false,
      });
    }
  };
}
