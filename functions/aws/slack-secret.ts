/**
 * The Slack signing secret from AWS Secrets Manager, through Powertools Parameters: read once per
 * container (module scope, cached for the container's life) rather than per request, so a
 * request costs no Secrets Manager call. A secret rotated in Slack is picked up after the first
 * request that no longer verifies, at most once per {@link SECRET_REFRESH_INTERVAL_MS}, so forged
 * requests cannot turn into a stream of GetSecretValue calls. Likewise a container whose read
 * failed reads again at most once per {@link SECRET_RETRY_INTERVAL_MS}, refusing in between with
 * the same failure (an unreadable secret always refuses, never accepts).
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/parameters/)
 *
 * The value never leaves this module except to the HMAC: errors name the secret, never its value.
 */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ChatError } from '../chatops/errors.ts';
import { isKeyValueSecret, KEY_VALUE_SECRET_PROBLEM } from '../chatops/signature.ts';

/** Environment variable naming the secret (its name or ARN, never the value). */
export const SLACK_SECRET_ENV = 'BACKUP_GUARD_SLACK_SIGNING_SECRET';

/** Least time between two re-reads after a mismatch. */
export const SECRET_REFRESH_INTERVAL_MS = 5 * 60_000;

/** Least time between two reads while the secret cannot be read (no value cached). */
export const SECRET_RETRY_INTERVAL_MS = 30_000;

/** Cached for the life of the container: Powertools' `maxAge` is in seconds. */
const CONTAINER_LIFETIME_SECONDS = 365 * 24 * 3600;

export interface SlackSigningSecret {
  /** The cached value (read on first use). */
  get(): Promise<string>;
  /** A re-read after a mismatch: the new value, or undefined when unchanged or re-read too recently. */
  refresh(): Promise<string | undefined>;
}

/**
 * How errors name the secret: its ARN or name as {@link SLACK_SECRET_ENV} gives it, unless that
 * looks like no secret name at all. A Slack signing secret is a run of letters and digits (Slack
 * shows 32 hexadecimal characters); a name or ARN the deployment writes has a separator (`:`, `/`,
 * `-`, `_`, `.`, `+`, `=`, `@`). A value with none may be the signing secret pasted in place of its
 * name, which must not reach a log: it is not shown, and the error says what to check.
 */
function labelOf(secretId: string): string {
  return /[:/_.+=@-]/.test(secretId)
    ? `${secretId} (${SLACK_SECRET_ENV})`
    : `named by ${SLACK_SECRET_ENV} (its value is not shown: it has no separator a secret's name or ARN would have, so it may be the signing secret itself; set the variable to the name or ARN of the Secrets Manager secret holding it)`;
}

/** The signing secret `secretId` through `provider` (one per container). */
export function slackSigningSecret(
  provider: Pick<SecretsProvider, 'get'>,
  secretId: string,
  now: () => number = Date.now,
): SlackSigningSecret {
  let current: string | undefined;
  let readAt = 0;
  let failure: { readonly at: number; readonly error: ChatError } | undefined;
  const label = labelOf(secretId);
  const fetchValue = async (forceFetch: boolean): Promise<string> => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: CONTAINER_LIFETIME_SECONDS, forceFetch });
    } catch (error) {
      throw new ChatError(500, `the Slack signing secret ${label} could not be read`, {
        cause: error,
        expose: false,
      });
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ChatError(
        500,
        `the Slack signing secret ${label} holds no text value; store the app's signing secret as its SecretString`,
        { expose: false },
      );
    }
    if (isKeyValueSecret(value)) {
      throw new ChatError(500, `the Slack signing secret ${label} ${KEY_VALUE_SECRET_PROBLEM}`, {
        expose: false,
      });
    }
    readAt = now();
    failure = undefined;
    current = value.trim();
    return current;
  };
  const read = async (forceFetch: boolean): Promise<string> => {
    try {
      return await fetchValue(forceFetch);
    } catch (error) {
      failure = { at: now(), error: error as ChatError };
      throw error;
    }
  };
  return {
    get: async () => {
      if (current !== undefined) return current;
      // While the secret cannot be read, every request (forged or not) would read it again.
      if (failure && now() - failure.at < SECRET_RETRY_INTERVAL_MS) throw failure.error;
      return read(false);
    },
    refresh: async () => {
      if (now() - readAt < SECRET_REFRESH_INTERVAL_MS) return undefined;
      // The attempt counts, not only a successful read: while Secrets Manager fails, forged
      // requests must not turn into one GetSecretValue call each.
      readAt = now();
      const previous = current;
      const fresh = await read(true);
      return fresh === previous ? undefined : fresh;
    },
  };
}
