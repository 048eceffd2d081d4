/**
 * Keyless GCP -> AWS credentials. The Cloud Function asks the metadata server for a Google-signed ID
 * token for the policy's audience, then calls `sts:AssumeRoleWithWebIdentity` on the federation role,
 * whose trust policy pins `accounts.google.com:aud` and `:sub` (the service account's numeric unique
 * id) and `:oaud` (the audience). No AWS key is stored anywhere; no IAM OIDC provider is needed for
 * Google. Sources: the STS API reference, AssumeRoleWithWebIdentity
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html); the IAM
 * condition keys for accounts.google.com
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html); the
 * metadata server's identity endpoint (https://cloud.google.com/compute/docs/instances/verifying-instance-identity).
 *
 * The token is a bearer credential: it is passed to STS and dropped. It never appears in a log line,
 * an error message or an error's `cause`.
 */
import { fromWebToken } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsClientFactory, type BaseClientConfig } from '../aws/clients.ts';
import { CredentialsError, describeError, errorCode, PolicyError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';

/** The metadata server's host name on GCE, Cloud Run and Cloud Functions. */
export const METADATA_HOST = 'metadata.google.internal';
/** Overrides the metadata host (`host[:port]`), the variable google-auth-library's gcp-metadata honours too. */
export const METADATA_HOST_ENV = 'GCE_METADATA_HOST';

/** Role session name, visible in the central account's CloudTrail. */
export const FEDERATION_SESSION_NAME = 'certctl-backup-guard-gcp';
/** One hour: the default maximum session of a role, and Google ID tokens also live one hour. */
const SESSION_SECONDS = 3600;
/** Refresh this long before the STS credentials expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const METADATA_TIMEOUT_MS = 5000;
const METADATA_ATTEMPTS = 3;

/** Fetches a Google ID token for an audience. */
export type IdTokenSource = (audience: string) => Promise<string>;

/**
 * Why the metadata server gave no ID token: it could not be reached (`unreachable`), did not answer
 * in time (`timeout`), refused the request (`refused`, HTTP 4xx), kept failing (`failing`, HTTP 5xx
 * on every attempt), or answered something that is not a token (`not-a-token`).
 */
export type IdTokenProblem = 'unreachable' | 'timeout' | 'refused' | 'failing' | 'not-a-token';

/** No ID token from the metadata server; {@link IdTokenError.problem} says why, the message says what to do. */
export class IdTokenError extends CredentialsError {
  readonly problem: IdTokenProblem;
  constructor(message: string, problem: IdTokenProblem, options?: ErrorOptions) {
    super(message, options);
    this.problem = problem;
  }
}

/**
 * The federation role could not be assumed. A {@link CredentialsError} (its code stays
 * `CredentialsError`) that also names the role, STS's error code or, when no token was had, why
 * ({@link IdTokenProblem}), so the Cloud Function's answer can carry them as fields; like the
 * message, they never contain the ID token.
 */
export class FederationError extends CredentialsError {
  /** The role that was to be assumed. */
  readonly roleArn: string;
  /** STS's error code (`AccessDenied`, `InvalidIdentityToken`, …); undefined when no token was had. */
  readonly stsCode: string | undefined;
  /** Why no ID token was had; undefined when STS refused one. */
  readonly idTokenProblem: IdTokenProblem | undefined;
  constructor(
    message: string,
    details: {
      readonly roleArn: string;
      readonly stsCode: string | undefined;
      readonly idTokenProblem?: IdTokenProblem | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.roleArn = details.roleArn;
    this.stsCode = details.stsCode;
    this.idTokenProblem = details.idTokenProblem;
  }
}

export interface MetadataIdTokenOptions {
  /** `host[:port]` of the metadata server. @default `GCE_METADATA_HOST`, else metadata.google.internal */
  readonly host?: string;
  readonly fetch?: typeof fetch;
}

/**
 * An {@link IdTokenSource} backed by the metadata server's identity endpoint
 * (`/computeMetadata/v1/instance/service-accounts/default/identity?audience=…&format=full`,
 * header `Metadata-Flavor: Google`). `format=full` adds the claims AWS needs nothing from but that
 * Google documents for service-account tokens. Transient failures (network, timeout, 5xx) are
 * retried. Fails with an {@link IdTokenError} that names the cause and what to check.
 */
export function metadataIdTokenSource(options: MetadataIdTokenOptions = {}): IdTokenSource {
  // A blank variable is unset: the host asked, and named in errors, is then Google Cloud's own.
  const host = options.host ?? (process.env[METADATA_HOST_ENV]?.trim() || METADATA_HOST);
  const doFetch = options.fetch ?? fetch;
  const server =
    host === METADATA_HOST
      ? `the metadata server at ${host}`
      : `the metadata server at ${host} (${METADATA_HOST_ENV})`;
  return async (audience) => {
    const url = `http://${host || METADATA_HOST}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}&format=full`;
    let last: { problem: IdTokenProblem; detail: string } = { problem: 'unreachable', detail: '' };
    for (let attempt = 1; attempt <= METADATA_ATTEMPTS; attempt++) {
      let response: Response;
      try {
        response = await doFetch(url, {
          headers: { 'Metadata-Flavor': 'Google' },
          signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
        });
      } catch (error) {
        last = fetchProblem(error);
        continue;
      }
      const body = await response.text();
      if (response.ok) {
        // The body is the token itself: check its shape, never quote it.
        if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(body.trim())) return body.trim();
        throw new IdTokenError(
          `${server} answered the identity request with something that is not a JWT; is ${METADATA_HOST_ENV} pointing at a metadata server?`,
          'not-a-token',
        );
      }
      const detail = `HTTP ${response.status}: ${body.trim().replace(/\s+/g, ' ').slice(0, 200)}`;
      // 4xx will not change on retry (wrong header, no service account, bad audience).
      if (response.status < 500) {
        throw new IdTokenError(
          `${server} refused the identity request for audience ${audience} (${detail}); ${refusalHint(response.status)}`,
          'refused',
        );
      }
      last = { problem: 'failing', detail };
    }
    const tried = `${METADATA_ATTEMPTS} attempts`;
    const messages: Record<Exclude<IdTokenProblem, 'refused' | 'not-a-token'>, string> = {
      unreachable: `${server} could not be reached (${last.detail}, ${tried}); ${unreachableHint(host)}`,
      timeout: `${server} did not answer within ${METADATA_TIMEOUT_MS} ms (${tried}); ${unreachableHint(host)}`,
      failing: `${server} failed the identity request for audience ${audience} on every attempt (last: ${last.detail}, ${tried}); it is a transient failure of the platform, the next run retries`,
    };
    throw new IdTokenError(messages[last.problem as keyof typeof messages], last.problem);
  };
}

/** What an HTTP 4xx of the identity endpoint means for the deployment. */
function refusalHint(status: number): string {
  if (status === 404) {
    return 'the function runs without a service account (deploy it with --service-account), or the account was deleted';
  }
  if (status === 400) return 'the audience must be a non-empty string (policy.gcp.federation.audience)';
  return "the Cloud Function's service account must be able to mint ID tokens through the metadata server";
}

/** Where to look when the metadata server cannot be reached. */
function unreachableHint(host: string): string {
  return host === METADATA_HOST
    ? `only Google Cloud runtimes have a metadata server; for a local run set ${METADATA_HOST_ENV} to one (the simulator's)`
    : `${METADATA_HOST_ENV} names ${host}: is a metadata server listening there?`;
}

/**
 * Why a request to the metadata server got no answer, naming the cause: undici's `fetch failed`
 * carries the socket error (`ECONNREFUSED`, `ENOTFOUND`, …) only as its `cause`, and an abort by
 * the timeout is a `TimeoutError` (https://undici.nodejs.org/#/docs/api/Errors).
 */
function fetchProblem(error: unknown): { problem: IdTokenProblem; detail: string } {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return { problem: 'timeout', detail: `no answer within ${METADATA_TIMEOUT_MS} ms (TimeoutError)` };
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return {
      problem: 'unreachable',
      detail: `${describeError(cause)} (${typeof code === 'string' ? code : cause.name})`,
    };
  }
  return { problem: 'unreachable', detail: `${describeError(error)} (${errorCode(error)})` };
}

export interface GcpFederationOptions {
  /** The federation role in the central account (policy.gcp.federation.roleArn). */
  readonly roleArn: string;
  /** The ID token audience (policy.gcp.federation.audience), pinned as `accounts.google.com:oaud`. */
  readonly audience: string;
  /**
   * Configuration of the STS client, from `AwsClientFactory.config(region)` of a factory WITHOUT
   * credentials (AssumeRoleWithWebIdentity is unsigned), so endpoint override and retry policy apply.
   */
  readonly stsClientConfig: BaseClientConfig;
  /** @default the metadata server ({@link metadataIdTokenSource}) */
  readonly idTokenSource?: IdTokenSource;
  readonly roleSessionName?: string;
  readonly durationSeconds?: number;
  /** The clock used to decide when to refresh. */
  readonly now?: () => Date;
}

/** An error safe to keep as `cause`: the original's name, code and message, with the token removed. */
function sanitizedCause(error: unknown, token: string): Error {
  const code = errorCode(error);
  const message = describeError(error).split(token).join('<id-token>');
  const cause = new Error(message);
  cause.name = code;
  return cause;
}

/**
 * An AWS credential provider for the federation role. Each refresh fetches a FRESH ID token and
 * assumes the role again; credentials are shared by every client until five minutes before they
 * expire, and concurrent callers share one refresh.
 *
 * Fails with {@link FederationError} (a {@link CredentialsError}) naming the role and the STS error
 * code (e.g. `InvalidIdentityToken`, `AccessDenied` when the trust policy's pinned claims do not match).
 */
export function gcpFederatedCredentials(options: GcpFederationOptions): AwsCredentialIdentityProvider {
  const idTokenSource = options.idTokenSource ?? metadataIdTokenSource();
  const now = options.now ?? (() => new Date());
  const { stsClientConfig } = options;
  // Never hand STS a credentials provider: the call is unsigned, and this provider may be it.
  const clientConfig = {
    ...(stsClientConfig.region ? { region: stsClientConfig.region } : {}),
    ...(stsClientConfig.endpoint ? { endpoint: stsClientConfig.endpoint } : {}),
    ...(stsClientConfig.maxAttempts ? { maxAttempts: stsClientConfig.maxAttempts } : {}),
    ...(stsClientConfig.retryMode ? { retryMode: stsClientConfig.retryMode } : {}),
  };
  let cached: AwsCredentialIdentity | undefined;
  let refreshing: Promise<AwsCredentialIdentity> | undefined;

  const refresh = async (): Promise<AwsCredentialIdentity> => {
    let token: string;
    try {
      token = await idTokenSource(options.audience);
    } catch (error) {
      const idTokenProblem = error instanceof IdTokenError ? error.problem : undefined;
      throw new FederationError(
        `Cannot assume ${options.roleArn}: no Google ID token: ${describeError(error)}.`,
        { roleArn: options.roleArn, stsCode: undefined, idTokenProblem },
        { cause: error },
      );
    }
    try {
      const credentials = await fromWebToken({
        roleArn: options.roleArn,
        webIdentityToken: token,
        roleSessionName: options.roleSessionName ?? FEDERATION_SESSION_NAME,
        durationSeconds: options.durationSeconds ?? SESSION_SECONDS,
        clientConfig,
      })();
      return credentials;
    } catch (error) {
      const code = errorCode(error);
      throw new FederationError(
        `AssumeRoleWithWebIdentity into ${options.roleArn} failed with ${code}: ${describeError(error).split(token).join('<id-token>')}. Check that the role trusts accounts.google.com with accounts.google.com:aud and :sub equal to the service account's unique id and :oaud equal to "${options.audience}".`,
        { roleArn: options.roleArn, stsCode: code },
        { cause: sanitizedCause(error, token) },
      );
    }
  };

  return async () => {
    const fresh = cached?.expiration && cached.expiration.getTime() - REFRESH_MARGIN_MS > now().getTime();
    if (cached && fresh) return cached;
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    cached = await refreshing;
    return cached;
  };
}

/** Where the Cloud Function publishes, and as whom. */
export interface FederationTarget {
  /** policy.gcp.federation.roleArn */
  readonly roleArn: string;
  /** policy.gcp.federation.audience */
  readonly audience: string;
  /** policy.securityHub.centralAccountId: the account every GCP finding is imported into. */
  readonly centralAccountId: string;
  /**
   * policy.securityHub.centralRegion: the region of STS and of Security Hub. There is no default:
   * a guessed region would import the findings where nobody looks (or fail where the product is off).
   */
  readonly centralRegion: string;
}

/**
 * The federation role and the central account and region from the policy. The policy schema already
 * requires the central account and region whenever `gcp.federation` is set; this re-checks a policy
 * built some other way, so publishing never falls back to a default region. Throws
 * {@link PolicyError} naming the missing paths.
 */
export function federationTargetOf(policy: Policy): FederationTarget {
  const federation = policy.gcp.federation;
  if (!federation) {
    throw new PolicyError(
      'policy.gcp.federation is not set: publishing GCP findings to Security Hub needs the federation role ARN and the ID token audience (no static AWS keys are used).',
      [{ path: 'gcp.federation', message: 'required when securityHub.enabled is true for GCP audits' }],
    );
  }
  const { centralAccountId, centralRegion } = policy.securityHub;
  if (centralAccountId === undefined || centralRegion === undefined) {
    const why = 'is required when gcp.federation is set (the Cloud Function publishes there)';
    throw new PolicyError(
      'policy.securityHub.centralAccountId and policy.securityHub.centralRegion must both be set when gcp.federation is set: GCP findings are imported into exactly that account and region.',
      [
        ...(centralAccountId === undefined ? [{ path: 'securityHub.centralAccountId', message: why }] : []),
        ...(centralRegion === undefined ? [{ path: 'securityHub.centralRegion', message: why }] : []),
      ],
    );
  }
  return { roleArn: federation.roleArn, audience: federation.audience, centralAccountId, centralRegion };
}

export interface FederatedFactoryOptions {
  /** AWS endpoint override (the simulator); SDK v3 also honours `AWS_ENDPOINT_URL` by itself. */
  readonly endpoint?: string;
  /** @default the metadata server */
  readonly idTokenSource?: IdTokenSource;
  readonly now?: () => Date;
}

/**
 * The AWS client factory for publishing from GCP: its own credentials are the federation role's
 * (policy.gcp.federation), obtained keylessly, with STS called in policy.securityHub.centralRegion.
 * Throws {@link PolicyError} when the policy has no federation section or no central account and
 * region ({@link federationTargetOf}).
 */
export function createFederatedAwsFactory(
  policy: Policy,
  options: FederatedFactoryOptions = {},
): AwsClientFactory {
  const federation = federationTargetOf(policy);
  const region = federation.centralRegion;
  const endpoint = options.endpoint ? { endpoint: options.endpoint } : {};
  // STS is called unsigned, so its client gets no credentials at all.
  const unsigned = new AwsClientFactory({ maxAttempts: policy.aws.maxAttempts, ...endpoint });
  const credentials = gcpFederatedCredentials({
    roleArn: federation.roleArn,
    audience: federation.audience,
    stsClientConfig: unsigned.config(region),
    ...(options.idTokenSource ? { idTokenSource: options.idTokenSource } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return new AwsClientFactory({
    maxAttempts: policy.aws.maxAttempts,
    credentials,
    stsRegion: region,
    ...endpoint,
  });
}
