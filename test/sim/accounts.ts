/**
 * Simulated AWS identities. An access key id encodes its account, so every signed request knows
 * its caller account without any shared state:
 *
 * - base credentials: `AKIA` + 12-digit account + `SIMK` (20 characters, like real key ids);
 * - credentials issued by the simulator's STS: `ASIA` + 12-digit account + 4-character serial.
 *
 * Signatures are not verified: the simulator trusts the key id, which is enough to test account
 * isolation and role assumption without a secret store.
 */
import type { AwsCredentialIdentity } from '@smithy/types';

/** The account of base credentials unless a test asks for another one. */
export const DEFAULT_ACCOUNT_ID = '111111111111';

/** Every simulated secret access key is this value; it is never checked. */
export const SIM_SECRET_ACCESS_KEY = 'certctl-sim-secret-access-key-not-a-secret';

const ACCESS_KEY = /^(AKIA|ASIA)(\d{12})[A-Z0-9]{4}$/;
const SERIAL_SPACE = 36 ** 4;

/** The base (long-term) access key id of an account. */
export function baseAccessKeyId(accountId: string = DEFAULT_ACCOUNT_ID): string {
  return `AKIA${accountId}SIMK`;
}

/** A temporary access key id for an account, as issued by the simulator's STS. */
export function sessionAccessKeyId(accountId: string, serial: number): string {
  const suffix = (serial % SERIAL_SPACE).toString(36).toUpperCase().padStart(4, '0');
  return `ASIA${accountId}${suffix}`;
}

/** The account an access key id belongs to, or undefined when it is not a simulator key. */
export function accountOfAccessKey(accessKeyId: string | undefined): string | undefined {
  if (!accessKeyId) return undefined;
  return ACCESS_KEY.exec(accessKeyId)?.[2];
}

/** True for keys issued by the simulator's STS (`ASIA…`). */
export function isSessionAccessKey(accessKeyId: string): boolean {
  return accessKeyId.startsWith('ASIA') && accountOfAccessKey(accessKeyId) !== undefined;
}

/** Base credentials for an account, for SDK clients in tests: `credentials: simCredentials()`. */
export function simCredentials(accountId: string = DEFAULT_ACCOUNT_ID): AwsCredentialIdentity {
  return { accessKeyId: baseAccessKeyId(accountId), secretAccessKey: SIM_SECRET_ACCESS_KEY };
}

/**
 * The AwsClientFactory `retryWaitScale` of tests that throttle calls but whose subject is not the
 * timing: the adaptive retry mode's waits a hundredth of the SDK's (a throttled client sends again
 * after 20 ms, not 2 s), its retries and their number unchanged.
 */
export const QUICK_RETRY_WAITS = 0.01;

/**
 * Environment variables that point the AWS SDK (and the CLI) of a child process at the simulator
 * with base credentials of an account. SDK v3 honours `AWS_ENDPOINT_URL` for every service.
 */
export function simEnvironment(
  endpoint: string,
  accountId: string = DEFAULT_ACCOUNT_ID,
): Record<string, string> {
  const credentials = simCredentials(accountId);
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
}
