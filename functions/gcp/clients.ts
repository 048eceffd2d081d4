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
import { PassThroughClient } from 'google-auth-library';
import type { CloudSqlApi } from './cloud-sql.ts';
import { type SecretManagerApi, SecretManagerRestClient } from './secret-manager.ts';

export interface GcpClientFactoryOptions {
  /**
   * Base URL of a local Cloud SQL Admin API (`http://127.0.0.1:4510`). When set, the clients use the
   * REST transport to it without authentication. Production leaves it unset.
   */
  readonly endpoint?: string;
  /** Base URL of a local Secret Manager API; the Cloud SQL endpoint when absent (one simulator serves both). */
  readonly secretManagerEndpoint?: string;
}

/** Environment variable naming the Cloud SQL Admin endpoint override (the simulator). */
export const CLOUD_SQL_ENDPOINT_ENV = 'BACKUP_GUARD_CLOUDSQL_ENDPOINT';
/** Environment variable naming the Secret Manager endpoint override (the simulator). */
export const SECRET_MANAGER_ENDPOINT_ENV = 'BACKUP_GUARD_SECRETMANAGER_ENDPOINT';

/**
 * The one retry policy for Cloud SQL Admin reads. The generated config retries nothing
 * (`sql_instances_service_client_config.json`: every method is `non_idempotent`), so a single 429
 * or 503 would fail a whole project. Reads are safe to repeat: retry throttling (HTTP 429,
 * RESOURCE_EXHAUSTED), unavailability and deadline errors with exponential backoff, bounded by a
 * total timeout well inside a Cloud Function's request timeout.
 */
const READ_RETRY = {
  retry_codes: { backup_guard_read: ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'] },
  retry_params: {
    backup_guard_read: {
      initial_retry_delay_millis: 200,
      retry_delay_multiplier: 2,
      max_retry_delay_millis: 10_000,
      initial_rpc_timeout_millis: 30_000,
      rpc_timeout_multiplier: 1,
      max_rpc_timeout_millis: 30_000,
      total_timeout_millis: 120_000,
    },
  },
} as const;

const READ_METHOD = {
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
  #secretManager: SecretManagerApi | undefined;

  constructor(options: GcpClientFactoryOptions = {}) {
    this.#options = options;
    // Fail at construction, not at the first call, when the override is malformed.
    connectionOptions(options.endpoint);
  }

  /** Options from the environment: {@link CLOUD_SQL_ENDPOINT_ENV} when set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): GcpClientFactory {
    const endpoint = env[CLOUD_SQL_ENDPOINT_ENV]?.trim();
    const secretManagerEndpoint = env[SECRET_MANAGER_ENDPOINT_ENV]?.trim();
    return new GcpClientFactory({
      ...(endpoint ? { endpoint } : {}),
      ...(secretManagerEndpoint ? { secretManagerEndpoint } : {}),
    });
  }

  /** The `SqlInstancesServiceClient` (instances.list, instances.getLatestRecoveryTime, …). */
  instances(): SqlInstancesServiceClient {
    this.#instances ??= new SqlInstancesServiceClient({
      ...connectionOptions(this.#options.endpoint),
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
      ...connectionOptions(this.#options.endpoint),
      clientConfig: readRetryConfig('google.cloud.sql.v1.SqlBackupRunsService', ['List', 'Get']),
    });
    return this.#backupRuns;
  }

  /** The read API the Cloud SQL adapter needs, backed by the cached clients. */
  cloudSql(): CloudSqlApi {
    return { instances: this.instances(), backupRuns: this.backupRuns() };
  }

  /** Secret Manager over REST (the keys group). */
  secretManager(): SecretManagerApi {
    const endpoint = this.#options.secretManagerEndpoint ?? this.#options.endpoint;
    this.#secretManager ??= new SecretManagerRestClient(endpoint ? { endpoint } : {});
    return this.#secretManager;
  }

  /** Close the clients' connections (CLI and tests; a Cloud Function keeps them). */
  async close(): Promise<void> {
    const closing = [this.#instances?.close(), this.#backupRuns?.close()];
    this.#instances = undefined;
    this.#backupRuns = undefined;
    await Promise.all(closing);
  }
}
