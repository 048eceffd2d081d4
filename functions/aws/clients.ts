/**
 * The one AWS client factory: every SDK client in the product is made here, with the one retry
 * policy (adaptive, policy.aws.maxAttempts), per-account credentials through an assumed role, and an
 * optional endpoint override (the simulator; `AWS_ENDPOINT_URL` is also honoured by SDK v3 itself).
 * Clients are cached per (service, account, region) so connections are reused across pages.
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import {
  loadConfig,
  NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
  NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
} from '@smithy/core/config';
import {
  AdaptiveRetryStrategy,
  DefaultRateLimiter,
  isServerError,
  isThrottlingError,
  isTransientError,
  MAXIMUM_RETRY_DELAY,
} from '@smithy/core/retry';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  ChecksumConstructor,
  Provider,
  RetryErrorType,
} from '@smithy/types';
import { currentScope, scopeCallWithCallSignal } from '../core/scope-calls.ts';
import { Sha256 } from './sha256.ts';

/** An error as the SDK's retry tests read it (`name`, `$metadata`, a Node `code`). */
export type SdkErrorLike = Parameters<typeof isTransientError>[0];

/**
 * How the SDK's retry would class a failed attempt (an SDK-shaped error: `name`, `$metadata`, a
 * Node `code`), with the SDK's own tests (@smithy/core/retry, as its retry middleware classes
 * them): throttling, then a transient failure (500, 502, 503, 504, a timeout, a dropped
 * connection), then another 5xx (`SERVER_ERROR`, which the standard and adaptive strategies do not
 * retry); undefined for any other failure, which is an answer and not asked again.
 */
export function retryErrorType(error: SdkErrorLike): RetryErrorType | undefined {
  if (isThrottlingError(error)) return 'THROTTLING';
  if (isTransientError(error)) return 'TRANSIENT';
  return isServerError(error) ? 'SERVER_ERROR' : undefined;
}

/**
 * Whether the SDK's retry strategies ask again after a call failed with `error` (its
 * {@link retryErrorType} is throttling or transient): a `SERVER_ERROR` (a 5xx other than 500, 502,
 * 503 and 504) fails on the answer that brings it. The retry policy of every client made here.
 */
export function sdkRetries(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const errorType = retryErrorType(error as SdkErrorLike);
  return errorType === 'THROTTLING' || errorType === 'TRANSIENT';
}

/** What every client constructor used here accepts. */
export interface BaseClientConfig {
  region?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  maxAttempts?: number;
  retryMode?: string;
  /** The retry strategy itself, instead of one the client makes from `maxAttempts` and `retryMode`. */
  retryStrategy?: AdaptiveRetryStrategy;
  endpoint?: string;
  /** The SHA-256 and HMAC SigV4 signs with (functions/aws/sha256.ts: the SDK's, with HMAC keys made once). */
  sha256?: ChecksumConstructor;
  /** Whether to call the FIPS endpoints (`AWS_USE_FIPS_ENDPOINT`, `use_fips_endpoint`). */
  useFipsEndpoint?: boolean | Provider<boolean>;
  /** Whether to call the dual-stack endpoints (`AWS_USE_DUALSTACK_ENDPOINT`, `use_dualstack_endpoint`). */
  useDualstackEndpoint?: boolean | Provider<boolean>;
  /** Options of the SDK's Node HTTP handler (its agents' socket limit). */
  requestHandler?: { httpAgent: { maxSockets?: number }; httpsAgent: { maxSockets?: number } };
}

/**
 * Connections of one client. The SDK's Node handler allows 50 sockets per client
 * (@smithy/node-http-handler `resolveDefaultConfig`); a call beyond them waits for a free one,
 * which turns one round trip of concurrent calls into two.
 */
export interface ClientConnections {
  /** Sockets the client may open at once to its endpoint. @default 50 (the SDK's) */
  readonly maxSockets?: number;
}

export type ClientConstructor<C> = new (config: BaseClientConfig) => C;

/** An account the audit reads: its id and, for member accounts, the role to assume. */
export interface AuditedAccount {
  readonly accountId: string;
  /** Absent for the caller's own account (its own credentials are used). */
  readonly roleArn?: string;
}

export interface AwsClientFactoryOptions {
  /** Attempts per call; throttling and 5xx are retried with adaptive backoff. */
  readonly maxAttempts: number;
  /** Credentials of the caller; the SDK default chain when absent. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Endpoint override for every service (the simulator). */
  readonly endpoint?: string;
  /** Session name on assumed roles, visible in the member account's CloudTrail. */
  readonly roleSessionName?: string;
  /** Region used for STS when assuming member roles. */
  readonly stsRegion?: string;
  /**
   * The adaptive retry mode's waits, scaled by this factor: the backoff before each retry, and the
   * spacing between sends its rate limiter sets once the client is throttled (at most 2 s, the SDK's
   * least fill rate of 0.5 sends a second, times the factor). Tests whose subject is not the timing
   * set it low, so a throttled call is asked again in milliseconds rather than seconds; everything
   * else (which errors are retried, how many attempts, the rate limiter's reaction) stays the SDK's.
   * @default 1 (the SDK's own strategy)
   */
  readonly retryWaitScale?: number;
}

/** The SDK's least fill rate of the adaptive rate limiter, in sends a second (`DefaultRateLimiter`). */
const SDK_MIN_FILL_RATE = 0.5;

/**
 * The SDK's adaptive retry strategy for `maxAttempts`, its waits scaled by `scale`
 * ({@link AwsClientFactoryOptions.retryWaitScale}): the SDK's backoff (a random wait up to the delay
 * base, 50 ms or 1 s when throttled, doubled for each retry, at most 20 s), and its rate limiter with
 * a least fill rate `scale` times as long between sends. One per client, as the SDK makes it.
 */
function scaledAdaptiveRetry(maxAttempts: number, scale: number): AdaptiveRetryStrategy {
  let delayBase = 0;
  return new AdaptiveRetryStrategy(maxAttempts, {
    maxAttempts,
    rateLimiter: new DefaultRateLimiter({ minFillRate: SDK_MIN_FILL_RATE / scale }),
    backoff: {
      setDelayBase: (delay) => {
        delayBase = delay * scale;
      },
      computeNextBackoffDelay: (retries) =>
        Math.floor(Math.random() * Math.min(delayBase * 2 ** retries, MAXIMUM_RETRY_DELAY * scale)),
    },
  });
}

/**
 * Drop the SDK's logger middleware. Even with its default no-op logger it deep-copies every response
 * through the schema's sensitive-data filter before discarding it (@aws-sdk/core
 * middleware-logger/loggerMiddleware.js calls `logger?.info?.({ output: outputFilterSensitiveLog(…) })`,
 * and NoOpLogger has an `info`), which cost ~10% of the audit's CPU on 100-record RDS pages. We
 * never log SDK payloads: our own logger records what matters.
 */
function withoutSdkLogging(client: unknown): void {
  (client as { middlewareStack?: { remove(name: string): boolean } }).middlewareStack?.remove(
    'loggerMiddleware',
  );
}

/** What {@link withScopeCalls} reads of an SDK client: its request handler and middleware stack. */
interface ScopedClient {
  readonly config?: {
    readonly requestHandler?: {
      handle?: (request: unknown, options?: { abortSignal?: unknown }) => Promise<unknown>;
    };
  };
  readonly middlewareStack?: {
    add(
      middleware: (
        next: (args: unknown) => unknown,
        context: Record<string, unknown>,
      ) => (args: unknown) => unknown,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Bind the client's calls to the audit scope they are made for (functions/core/scope-calls.ts), so
 * that a failed scope's calls stop: every request it sends, on the SDK's path and on the lean wire
 * paths alike (functions/aws/lean-wire.ts sends through the client's own request handler), goes
 * out with an abort signal of the scope's and is counted until it settles, and the retry middleware
 * cuts its wait before the next attempt short on one (@smithy/core's retry middleware races its
 * waits with the `abortSignal` of the call's context, which `client.send(command, { abortSignal })`
 * sets: this sets it for calls made inside a scope). The signals are the scope's light
 * `CallSignal`s, one per request and one per call, not its `AbortSignal` (scope-calls.ts says why).
 * Outside a scope nothing changes. Not `send` itself: a client whose `send` is its own is not
 * served by the lean path.
 */
function withScopeCalls(client: unknown): void {
  const { config, middlewareStack } = client as ScopedClient;
  const handler = config?.requestHandler;
  if (typeof handler?.handle === 'function') {
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options = {}) =>
      scopeCallWithCallSignal((callSignal) =>
        handle(
          request,
          callSignal && !options.abortSignal ? { ...options, abortSignal: callSignal } : options,
        ),
      );
  }
  middlewareStack?.add(
    (next, context) => (args) => {
      // The SDK makes this context for every call; a signal the caller gave is kept.
      const smithy = context.__smithy_context as { abortSignal?: unknown } | undefined;
      const scope = currentScope();
      if (!scope || !smithy || smithy.abortSignal !== undefined) return next(args);
      const callSignal = scope.callSignal();
      smithy.abortSignal = callSignal;
      return Promise.resolve(next(args)).finally(() => scope.releaseCallSignal(callSignal));
    },
    { step: 'initialize', name: 'backupGuardScopeSignal' },
  );
}

/**
 * The region for account-level calls (STS, the Account API, whole-account Security Hub findings)
 * when neither the runtime (`AWS_REGION`) nor the policy names one. The one default in the product.
 */
export const DEFAULT_HOME_REGION = 'us-east-1';

export const DEFAULT_ROLE_SESSION_NAME = 'certctl-backup-guard';
/** Assumed-role sessions last 15 minutes, the STS minimum; the provider refreshes them before expiry. */
const ASSUMED_ROLE_SECONDS = 900;

export class AwsClientFactory {
  readonly #options: AwsClientFactoryOptions;
  /**
   * Clients by constructor, then by credentials and region. Keyed by the constructor itself, not its
   * name: a minified bundle renames classes, and two SDK clients of one name (a chunk's `t`) would
   * otherwise share a client.
   */
  readonly #clients = new Map<ClientConstructor<unknown>, Map<string, unknown>>();
  readonly #credentials = new Map<string, AwsCredentialIdentityProvider>();
  /**
   * The FIPS and dual-stack endpoint settings, read once for every client of this factory, through
   * the SDK's own loaders (environment, then the shared config file's profile, then the default),
   * as each client would read them. A client left to read them itself does so on its first call,
   * through the chain of thrown not-found errors of each source: two chains per client, on the
   * path of an audit's first requests (16 RDS clients for 16 Regions).
   */
  readonly #endpointSettings = {
    useFipsEndpoint: loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS),
    useDualstackEndpoint: loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS),
  };

  constructor(options: AwsClientFactoryOptions) {
    const scale = options.retryWaitScale;
    if (scale !== undefined && !(Number.isFinite(scale) && scale > 0)) {
      throw new RangeError(`retryWaitScale must be a positive number, not ${scale}`);
    }
    this.#options = options;
  }

  /**
   * Read the settings every client's first call reads ({@link AwsClientFactory.#endpointSettings}),
   * so none pays for them then: a Lambda's init calls it (functions/aws/planner.ts
   * `prepareAwsPlanning`). A setting that cannot be read is left for that first call to report.
   */
  async readSettings(): Promise<void> {
    await Promise.all(Object.values(this.#endpointSettings).map((setting) => setting().catch(() => {})));
  }

  /** The credentials for an account: the caller's own, or a cached assumed-role provider. */
  credentialsFor(
    account?: AuditedAccount,
  ): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined {
    if (!account?.roleArn) return this.#options.credentials;
    const cached = this.#credentials.get(account.roleArn);
    if (cached) return cached;
    const provider = fromTemporaryCredentials({
      params: {
        RoleArn: account.roleArn,
        RoleSessionName: this.#options.roleSessionName ?? DEFAULT_ROLE_SESSION_NAME,
        DurationSeconds: ASSUMED_ROLE_SECONDS,
      },
      ...(this.#options.credentials ? { masterCredentials: this.#options.credentials } : {}),
      clientConfig: this.config(this.#options.stsRegion ?? DEFAULT_HOME_REGION),
    });
    this.#credentials.set(account.roleArn, provider);
    return provider;
  }

  /** The configuration every client gets: region, retry policy, signing hash, endpoint override. */
  config(region: string, account?: AuditedAccount): BaseClientConfig {
    const credentials = this.credentialsFor(account);
    const { maxAttempts, retryWaitScale } = this.#options;
    return {
      region,
      maxAttempts,
      retryMode: 'adaptive',
      ...(retryWaitScale !== undefined && retryWaitScale !== 1
        ? { retryStrategy: scaledAdaptiveRetry(maxAttempts, retryWaitScale) }
        : {}),
      sha256: Sha256,
      ...this.#endpointSettings,
      ...(credentials ? { credentials } : {}),
      ...(this.#options.endpoint ? { endpoint: this.#options.endpoint } : {}),
    };
  }

  /**
   * A cached client of `ctor` for (account, region); `connections` sets its socket limit (one
   * client per limit asked for). A client is cached by the credentials it signs with, not by the
   * account id: the caller's own account, named or not, has the one client (so a client can be made
   * before STS has said whose account it is), and a member account one through its role.
   */
  client<C>(
    ctor: ClientConstructor<C>,
    region: string,
    account?: AuditedAccount,
    connections?: ClientConnections,
  ): C {
    const sockets = connections?.maxSockets;
    const key = `${account?.roleArn ?? 'self'}/${region}${sockets ? `/${sockets}` : ''}`;
    let ofClass = this.#clients.get(ctor);
    if (!ofClass) {
      ofClass = new Map();
      this.#clients.set(ctor, ofClass);
    }
    let client = ofClass.get(key) as C | undefined;
    if (!client) {
      const agent = { maxSockets: sockets };
      client = new ctor({
        ...this.config(region, account),
        // Agent options, not agents: the SDK's handler makes its keep-alive agents with them.
        ...(sockets ? { requestHandler: { httpAgent: agent, httpsAgent: agent } } : {}),
      });
      withoutSdkLogging(client);
      withScopeCalls(client);
      ofClass.set(key, client);
    }
    return client;
  }

  /** Close every cached client's sockets (CLI and tests; Lambda keeps them warm). */
  destroy(): void {
    for (const ofClass of this.#clients.values()) {
      for (const client of ofClass.values()) (client as { destroy?: () => void }).destroy?.();
    }
    this.#clients.clear();
  }
}
