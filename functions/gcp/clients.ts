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
import { SqlOperationsServiceClient } from '@google-cloud/sql/build/src/v1/sql_operations_service_client.js';
import { PassThroughClient } from 'google-auth-library';
import type { CloudSqlBackupsApi } from '../actions/snapshot/gcp.ts';
import type { CloudSqlApi } from './cloud-sql.ts';

export interface GcpClientFactoryOptions {
  /**
   * Base URL of a local Cloud SQL Admin API (`http://127.0.0.1:4510`). When set, the clients use the
   * REST transport to it without authentication. Production leaves it unset.
   */
  readonly endpoint?: string;
}

/** Environment variable naming the Cloud SQL Admin endpoint override (the simulator). */
export const CLOUD_SQL_ENDPOINT_ENV = 'BACKUP_GUARD_CLOUDSQL_ENDPOINT';

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
  #operations: SqlOperationsServiceClient | undefined;

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

  /** The `SqlOperationsServiceClient` (operations.get, to await an on-demand backup). */
  operations(): SqlOperationsServiceClient {
    this.#operations ??= new SqlOperationsServiceClient({
      ...connectionOptions(this.#options.endpoint),
      clientConfig: readRetryConfig('google.cloud.sql.v1.SqlOperationsService', ['Get']),
    });
    return this.#operations;
  }

  /**
   * The on-demand backup calls of the snapshot action. Insert and delete keep the generated
   * no-retry config: a retried insert could make a second backup.
   */
  cloudSqlBackups(): CloudSqlBackupsApi {
    const backupRuns = this.backupRuns();
    const operations = this.operations();
    return {
      insert: (request) => backupRuns.insert(request),
      list: (request) => backupRuns.list(request),
      delete: (request) => backupRuns.delete(request),
      getOperation: (request) => operations.get(request),
    };
  }

  /** Close the clients' connections (CLI and tests; a Cloud Function keeps them). */
  async close(): Promise<void> {
    const closing = [this.#instances?.close(), this.#backupRuns?.close(), this.#operations?.close()];
    this.#instances = undefined;
    this.#backupRuns = undefined;
    this.#operations = undefined;
    await Promise.all(closing);
  }
}
