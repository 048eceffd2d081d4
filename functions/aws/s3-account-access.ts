/**
 * The account-level S3 Block Public Access of the account that owns the dump buckets: S3 Control
 * `GetPublicAccessBlock` (IAM action `s3:GetAccountPublicAccessBlock`), which answers the effective
 * account setting, organization-level policy included
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html).
 *
 * S3 applies the most restrictive combination of the bucket's and the account's settings, one
 * setting at a time (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
 * a bucket without a configuration of its own, or with a setting off, is still blocked where the
 * account has that setting on. {@link effectivePublicAccess} combines the two readings.
 *
 * The call is one signed GET per scope, and only when a bucket's own settings do not already block
 * everything. It goes through the S3 client the audit already has (its credentials, signer, request
 * handler, retry strategy and endpoint override) and the lean XML decoder (./xml-wire.ts) rather
 * than another SDK client: S3 Control is
 * `GET /v20180820/configuration/publicAccessBlock` with an `x-amz-account-id` header, on
 * `{account}.s3-control.{region}.amazonaws.com`, signed for service `s3`. A missing configuration is
 * 404 `NoSuchPublicAccessBlockConfiguration` (every setting off), in S3 Control's error body
 * `<ErrorResponse><Error><Code>…` (https://github.com/getmoto/moto/pull/9716 quotes AWS's answer).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { RetryErrorType, RetryToken } from '@smithy/types';
import type { BucketReading, PublicAccessConfig } from '../core/dump-facts.ts';
import { callFailure, describeError, saysNothingOfTheResource } from '../core/errors.ts';
import { retryErrorType, type SdkErrorLike, sdkRetries } from './clients.ts';
import { endpointOf } from './protocol.ts';
import { decodeXmlResult, type Shape, XmlWireError } from './xml-wire.ts';

/** The four Block Public Access settings, as S3 names them. */
export const PUBLIC_ACCESS_SETTINGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
export type PublicAccessSetting = (typeof PUBLIC_ACCESS_SETTINGS)[number];
/** One level's settings; undefined where the answer did not send a setting. */
export type PublicAccessSettings = Readonly<Record<PublicAccessSetting, boolean | undefined>>;

/** A level's reading: its settings, none configured (every setting off), or why it is unknown. */
export type PublicAccessLevel =
  | { readonly state: 'read'; readonly settings: PublicAccessSettings }
  | { readonly state: 'absent' }
  | { readonly state: 'unknown'; readonly reason: string };

const PATH = '/v20180820/configuration/publicAccessBlock';

/** `BlockPublicAcls=true, IgnorePublicAcls=false, …` (`not sent` for a missing setting). */
export function settingsDetail(settings: PublicAccessSettings): string {
  return PUBLIC_ACCESS_SETTINGS.map(
    (name) => `${name}=${settings[name] === undefined ? 'not sent' : settings[name]}`,
  ).join(', ');
}

/** Whether every setting is on (false if one is off, undefined if one was not sent). */
export function allBlocked(settings: PublicAccessSettings): boolean | undefined {
  const values = PUBLIC_ACCESS_SETTINGS.map((name) => settings[name]);
  return values.includes(false) ? false : values.includes(undefined) ? undefined : true;
}

function levelDetail(level: PublicAccessLevel, name: string): string {
  if (level.state === 'read') return `${name}: ${settingsDetail(level.settings)}`;
  if (level.state === 'absent') return `${name}: no Block Public Access configuration`;
  return `${name}: not read (${level.reason})`;
}

/**
 * What blocks public access to a bucket: each setting is on when the bucket or the account has it
 * on (S3's most restrictive combination), off only when both levels were read and neither has it on.
 * A bucket whose own settings block everything needs no account reading (`account` undefined).
 */
export function effectivePublicAccess(
  bucket: PublicAccessLevel,
  account: PublicAccessLevel | undefined,
): BucketReading<PublicAccessConfig> {
  if (bucket.state === 'read' && allBlocked(bucket.settings) === true) {
    return { state: 'read', value: { blocked: true, detail: settingsDetail(bucket.settings) } };
  }
  if (account === undefined) {
    // No account reading was asked for: the bucket's own settings, as read.
    if (bucket.state === 'read') {
      const blocked = allBlocked(bucket.settings);
      return { state: 'read', value: { blocked, detail: settingsDetail(bucket.settings) } };
    }
    return bucket;
  }
  const valueAt = (level: PublicAccessLevel, name: PublicAccessSetting): boolean | undefined =>
    level.state === 'read' ? level.settings[name] : level.state === 'absent' ? false : undefined;
  const effective = Object.fromEntries(
    PUBLIC_ACCESS_SETTINGS.map((name) => {
      const own = valueAt(bucket, name);
      const inherited = valueAt(account, name);
      const value =
        own === true || inherited === true ? true : own === false && inherited === false ? false : undefined;
      return [name, value];
    }),
  ) as PublicAccessSettings;
  const blocked = allBlocked(effective);
  const detail = `${levelDetail(bucket, 'bucket')}; ${levelDetail(account, 'account')}`;
  if (blocked === undefined) {
    const unread = [bucket, account].find((level) => level.state === 'unknown');
    // A level that could not be read leaves open whether a setting is on: unknown, with its reason.
    if (unread?.state === 'unknown') return { state: 'unknown', reason: detail };
  }
  return { state: 'read', value: { blocked, detail } };
}

/** The answer's settings, decoded as the SDK decodes booleans (functions/aws/xml-wire.ts). */
const SETTINGS_SHAPE: Shape = Object.fromEntries(PUBLIC_ACCESS_SETTINGS.map((name) => [name, 'boolean']));

function settingsOf(xml: string): PublicAccessSettings {
  const decoded = decodeXmlResult(xml, ['PublicAccessBlockConfiguration'], SETTINGS_SHAPE);
  return Object.fromEntries(
    PUBLIC_ACCESS_SETTINGS.map((name) => [name, decoded[name] as boolean | undefined]),
  ) as PublicAccessSettings;
}

/** S3 Control's error code (`<ErrorResponse><Error><Code>`), if the body is that error. */
function errorCodeOf(xml: string): string | undefined {
  try {
    return decodeXmlResult(xml, ['ErrorResponse', 'Error'], { Code: 'string' }).Code as string | undefined;
  } catch {
    return undefined;
  }
}

/** The S3 Control endpoint of `account` in `region`: the client's override, the SDK's environment variables, or AWS's. */
async function controlEndpoint(client: S3Client, account: string, region: string): Promise<URL> {
  if (client.config.endpoint) return new URL(await endpointOf(client, 's3-control', region));
  const configured =
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
      ? undefined
      : (process.env.AWS_ENDPOINT_URL_S3_CONTROL ?? process.env.AWS_ENDPOINT_URL)?.trim();
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  // A client configured for FIPS endpoints (GovCloud, AWS_USE_FIPS_ENDPOINT) uses S3 Control's too.
  const fips = (await client.config.useFipsEndpoint?.()) === true;
  return new URL(`https://${account}.s3-control${fips ? '-fips' : ''}.${region}.${suffix}`);
}

interface SignerLike {
  sign(request: unknown, options: { signingRegion?: string; signingService?: string }): Promise<unknown>;
}
interface HandlerLike {
  handle(request: unknown, options: object): Promise<{ response: { statusCode: number; body: unknown } }>;
}

interface RetryStrategyLike {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, info: { errorType: RetryErrorType }): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/**
 * The account-level Block Public Access of `account`, read in `region` with the S3 client of that
 * account and region. A read that failed for the call once the client's retries are spent
 * (throttled, a server error, a timeout or a lost connection: core/errors.ts
 * saysNothingOfTheResource) throws a CloudApiError ({@link callFailure}), failing the scope as the
 * dumps audit's other reads do: read as `unknown`, it left the bucket NOT_AVAILABLE in a scope
 * reported complete, which a publisher then settles as if it had been read. Any other failed read
 * (denied, a 2xx that is not the configuration) is `unknown` with a reason that names the error
 * code and status, never the answer's body or the request.
 */
export async function readAccountPublicAccess(
  client: S3Client,
  account: string,
  region: string,
): Promise<PublicAccessLevel> {
  let reason = 'not read';
  // The last attempt's failure, when it said nothing of the account (thrown after the loop), and
  // whether the strategy retries its kind (the SDK's strategies never retry a SERVER_ERROR).
  let callFailed: unknown;
  let retried = true;
  try {
    const base = await controlEndpoint(client, account, region);
    const config = client.config as unknown as {
      signer(): Promise<SignerLike>;
      requestHandler: HandlerLike;
      streamCollector(stream: unknown): Promise<Uint8Array>;
      retryStrategy(): Promise<RetryStrategyLike>;
    };
    const signer = await config.signer();
    // The client's own retry strategy (its maxAttempts, backoff, retry quota), as the SDK retries.
    const strategy = await config.retryStrategy();
    let token = await strategy.acquireInitialRetryToken('');
    for (;;) {
      const request = {
        method: 'GET',
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port ? Number(base.port) : undefined,
        path: `${base.pathname.replace(/\/$/, '')}${PATH}`,
        query: {},
        headers: { host: base.host, 'x-amz-account-id': account },
      };
      let status: number | undefined;
      // The failed attempt, as the SDK's error of it would read.
      let failed: SdkErrorLike;
      callFailed = undefined;
      try {
        const signed = await signer.sign(request, { signingRegion: region, signingService: 's3' });
        const { response } = await config.requestHandler.handle(signed, {});
        status = response.statusCode;
        const body = Buffer.from(await config.streamCollector(response.body)).toString('utf8');
        if (status >= 200 && status < 300) {
          const settings = settingsOf(body);
          strategy.recordSuccess(token);
          return { state: 'read', settings };
        }
        const code = errorCodeOf(body);
        if (code === 'NoSuchPublicAccessBlockConfiguration') return { state: 'absent' };
        reason = `${code ?? 'Error'} (HTTP ${status})`;
        // Named by its code, else its status, as the SDK names an error answer without a code.
        failed = { name: code ?? String(status), message: reason, $metadata: { httpStatusCode: status } };
      } catch (error) {
        if (error instanceof XmlWireError) {
          // A 2xx answer that is not the configuration: not read, and not retried.
          reason = `HTTP ${status}: the answer is not a PublicAccessBlockConfiguration`;
          break;
        }
        reason = describeError(error);
        failed =
          typeof error === 'object' && error !== null
            ? (error as SdkErrorLike)
            : { name: 'Error', message: String(error) };
      }
      if (saysNothingOfTheResource(failed)) callFailed = failed;
      const errorType = retryErrorType(failed);
      retried = sdkRetries(failed);
      if (errorType === undefined) break;
      try {
        token = await strategy.refreshRetryTokenForRetry(token, { errorType });
      } catch {
        break; // No attempt left.
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, token.getRetryDelay()));
    }
  } catch (error) {
    reason = describeError(error);
  }
  if (callFailed !== undefined) {
    throw callFailure(
      `S3 Control GetPublicAccessBlock of account ${account} in ${region}`,
      reason,
      callFailed,
      retried,
    );
  }
  return { state: 'unknown', reason: `GetPublicAccessBlock (account) ${reason}` };
}
