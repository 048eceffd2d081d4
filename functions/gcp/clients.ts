/**
 * The one GCP client factory: every `@google-cloud/sql` client in the product is made here, with the
 * one retry policy for read calls and an optional endpoint override (the simulator, an emulator).
 *
 * Production passes no endpoint: the clients use Application Default Credentials, which in a Cloud
 * Function are the function's own service account (no key file anywhere).
 *
 * With an endpoint the clients speak REST (`fallback: true`) over plain HTTP and send no auth header
 * (`PassThroughClient`, google-auth-library's client "for local emulators / testing"). In REST mode
 * gax transcodes each call with the proto's `google.api.http` rule and appends
 * `$alt=json;enum-encoding=int` (google-gax 6.17 `build/src/fallbackRest.js` `encodeRequest`).
 *
 * The clients are imported from their own modules rather than the package index: the index also
 * loads v1beta4 and the 3.6 MB static protos, which would triple the Cloud Function's bundle.
 */
import { SqlBackupRunsServiceClient } from '@google-cloud/sql/build/src/v1/sql_backup_runs_service_client.js';
import { SqlInstancesServiceClient } from '@google-cloud/sql/build/src/v1/sql_instances_service_client.js';
import { type AuthClient, GoogleAuth, PassThroughClient } from 'google-auth-library';
import { CredentialsError } from '../core/errors.ts';
import type { CloudSqlApi } from './cloud-sql.ts';

export interface GcpClientFactoryOptions {
  /**
   * Base URL of a local Cloud SQL Admin API (`http://127.0.0.1:4510`). When set, the clients use the
   * REST transport to it without authentication. Production leaves it unset.
   */
  readonly endpoint?: string;
  /**
   * Where production credentials come from. @default google-auth-library's `GoogleAuth` with the
   * cloud-platform scope (Application Default Credentials).
   */
  readonly auth?: GoogleCredentialSource;
}

/** Finds Google credentials; google-auth-library's `GoogleAuth` fits. */
export interface GoogleCredentialSource {
  getClient(): Promise<AuthClient>;
}

/** The OAuth scope of the Cloud SQL Admin API (https://cloud.google.com/sql/docs/postgres/admin-api). */
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The one-line message for a run without Google credentials: what is missing and how to fix it. */
export const NO_GOOGLE_CREDENTIALS =
  'No Google Cloud credentials found (Application Default Credentials): run ' +
  "'gcloud auth application-default login', or set GOOGLE_APPLICATION_CREDENTIALS to a credentials file " +
  '(https://cloud.google.com/docs/authentication/provide-credentials-adc); a Cloud Function uses its service account.';

/** Environment variable naming the Cloud SQL Admin endpoint override (the simulator). */
export const CLOUD_SQL_ENDPOINT_ENV = 'BACKUP_GUARD_CLOUDSQL_ENDPOINT';

/**
 * How long one Cloud SQL Admin read may take, retries included: well inside a Cloud Function's
 * request timeout, so an unreachable endpoint fails the project's scope instead of the request.
 */
export const CLOUD_SQL_READ_TIMEOUT_MS = 30_000;

/**
 * The one retry policy for Cloud SQL Admin reads. The generated config retries nothing
 * (`sql_instances_service_client_config.json`: every method is `non_idempotent`), so a single 429
 * or 503 would fail a whole project. Reads are safe to repeat: retry throttling (HTTP 429,
 * RESOURCE_EXHAUSTED), unavailability and deadline errors with exponential backoff, bounded by
 * {@link CLOUD_SQL_READ_TIMEOUT_MS} in all.
 *
 * The method's `timeout_millis` must say the same: gax replaces a retried method's RPC and total
 * timeouts with the method timeout on every call (google-gax `CallSettings.merge`), and the
 * generated default is 60 s, so without it the total configured here would never apply.
 */
const READ_RETRY = {
  retry_codes: { backup_guard_read: ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'] },
  retry_params: {
    backup_guard_read: {
      initial_retry_delay_millis: 200,
      retry_delay_multiplier: 2,
      max_retry_delay_millis: 10_000,
      initial_rpc_timeout_millis: CLOUD_SQL_READ_TIMEOUT_MS,
      rpc_timeout_multiplier: 1,
      max_rpc_timeout_millis: CLOUD_SQL_READ_TIMEOUT_MS,
      total_timeout_millis: CLOUD_SQL_READ_TIMEOUT_MS,
    },
  },
} as const;

const READ_METHOD = {
  timeout_millis: CLOUD_SQL_READ_TIMEOUT_MS,
  retry_codes_name: 'backup_guard_read',
  retry_params_name: 'backup_guard_read',
} as const;

/** gax `clientConfig` overrides: the read methods this product calls use {@link READ_RETRY}. */
function readRetryConfig(service: string, methods: readonly string[]): Record<string, unknown> {
  return {
    interfaces: {
      [service]: {
        ...READ_RETRY,
        methods: Object.fromEntries(methods.map((method) => [method, READ_METHOD])),
      },
    },
  };
}

/** Constructor options for a local endpoint, or none for production. */
function connectionOptions(endpoint: string | undefined): Record<string, unknown> {
  if (!endpoint) return {};
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new TypeError(`Cloud SQL endpoint ${endpoint} is not a URL such as http://127.0.0.1:4510`, {
      cause: error,
    });
  }
  const protocol = url.protocol.replace(/:$/, '');
  return {
    fallback: true,
    protocol,
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    authClient: new PassThroughClient(),
  };
}

/**
 * Makes and caches the Cloud SQL Admin clients. One instance per process (a Cloud Function keeps it
 * across invocations, so connections stay warm).
 */
export class GcpClientFactory {
  readonly #options: GcpClientFactoryOptions;
  #instances: SqlInstancesServiceClient | undefined;
  #backupRuns: SqlBackupRunsServiceClient | undefined;
  #authClient: Promise<AuthClient> | undefined;
  #resolvedAuthClient: AuthClient | undefined;

  constructor(options: GcpClientFactoryOptions = {}) {
    this.#options = options;
    // Fail at construction, not at the first call, when the override is malformed.
    connectionOptions(options.endpoint);
  }

  /** Options from the environment: {@link CLOUD_SQL_ENDPOINT_ENV} when set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): GcpClientFactory {
    const endpoint = env[CLOUD_SQL_ENDPOINT_ENV]?.trim();
    return new GcpClientFactory(endpoint ? { endpoint } : {});
  }

  /** The `SqlInstancesServiceClient` (instances.list, instances.getLatestRecoveryTime, …). */
  instances(): SqlInstancesServiceClient {
    this.#instances ??= new SqlInstancesServiceClient({
      ...this.#clientOptions(),
      clientConfig: readRetryConfig('google.cloud.sql.v1.SqlInstancesService', [
        'List',
        'Get',
        'GetLatestRecoveryTime',
      ]),
    });
    return this.#instances;
  }

  /** The `SqlBackupRunsServiceClient` (backupRuns.list, …). */
  backupRuns(): SqlBackupRunsServiceClient {
    this.#backupRuns ??= new SqlBackupRunsServiceClient({
      ...this.#clientOptions(),
      clientConfig: readRetryConfig('google.cloud.sql.v1.SqlBackupRunsService', ['List', 'Get']),
    });
    return this.#backupRuns;
  }

  /**
   * The read API the Cloud SQL adapter needs, backed by the cached clients. In production every
   * call first resolves the credentials once: without them it rejects with a
   * {@link CredentialsError} and no Google client is ever called. The generated clients start each
   * call with `this.initialize().catch(err => { throw err; })`, a promise nobody awaits, so a client
   * that cannot find credentials raises one unhandled rejection per call (a crash under Node's
   * default `--unhandled-rejections=throw`); a client given a resolved `authClient` never looks.
   */
  cloudSql(): CloudSqlApi {
    if (this.#options.endpoint) return { instances: this.instances(), backupRuns: this.backupRuns() };
    return {
      instances: {
        list: async (request) => {
          await this.#credentials();
          return this.instances().list(request);
        },
        getLatestRecoveryTime: async (request) => {
          await this.#credentials();
          return this.instances().getLatestRecoveryTime(request);
        },
      },
      backupRuns: {
        list: async (request) => {
          await this.#credentials();
          return this.backupRuns().list(request);
        },
      },
    };
  }

  /** The endpoint override (the simulator), or undefined in production. */
  get endpoint(): string | undefined {
    return this.#options.endpoint;
  }

  /**
   * Resolve the production credentials once; a failure is one clear {@link CredentialsError}.
   * Other GCP clients (functions/gcp/storage-client.ts) call it before their first request too.
   */
  credentials(): Promise<AuthClient> {
    return this.#credentials();
  }

  async #credentials(): Promise<AuthClient> {
    this.#authClient ??= (this.#options.auth ?? new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }))
      .getClient()
      .then((client) => {
        this.#resolvedAuthClient = client;
        return client;
      })
      .catch((error: unknown) => {
        throw new CredentialsError(NO_GOOGLE_CREDENTIALS, { cause: error });
      });
    return this.#authClient;
  }

  /** Constructor options: the endpoint override, or the resolved production credentials when known. */
  #clientOptions(): Record<string, unknown> {
    const connection = connectionOptions(this.#options.endpoint);
    if (this.#options.endpoint || !this.#resolvedAuthClient) return connection;
    return { ...connection, authClient: this.#resolvedAuthClient };
  }

  /** Close the clients' connections (CLI and tests; a Cloud Function keeps them). */
  async close(): Promise<void> {
    const closing = [this.#instances?.close(), this.#backupRuns?.close()];
    this.#instances = undefined;
    this.#backupRuns = undefined;
    await Promise.all(closing);
  }
}
