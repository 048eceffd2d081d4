/**
 * The one GCP client factory: every `@google-cloud/sql` client in the product is made here, with the
 * one retry policy for read calls and an optional endpoint override (the simulator, an emulator).
 *
 * Every client speaks REST (HTTP/1.1 JSON, `fallback: true`) through google-gax's fallback-only
 * module, handed to the generated clients as their `gaxInstance` (the documented way to avoid
 * loading gax with gRPC: `sql_instances_service_client.d.ts`, constructor). That keeps
 * `@grpc/grpc-js` and the gRPC proto loader out of the Cloud Function (see infra/bundling.ts), and
 * production and the simulator run one transport.
 *
 * Production passes no endpoint: the clients call https://sqladmin.googleapis.com with Application
 * Default Credentials, which in a Cloud Function are the function's own service account (no key
 * file anywhere), resolved once by {@link GcpClientFactory.credentials} and handed to gax as its
 * `authClient`. With an endpoint the clients call it over its own protocol and send no auth header
 * (`PassThroughClient`, google-auth-library's client "for local emulators / testing") unless an
 * `auth` source is given too. In REST mode gax transcodes each call with the proto's
 * `google.api.http` rule and appends `$alt=json;enum-encoding=int` (google-gax 6.17
 * `build/src/fallbackRest.js` `encodeRequest`).
 *
 * The audit's reads ({@link GcpClientFactory.cloudSql}) have clients of their own on the same
 * options: they decode only the answer fields the product reads (./cloud-sql-read-view.ts) and send
 * through `node:http` (./http-fetch.ts), which measured about 45% less CPU per call on the
 * benchmark; every other call (backups, operations) uses the clients with the whole protos. A clean
 * success of those reads skips gax's per-call pipeline altogether (./cloud-sql-lean.ts): the same
 * request, built from the read client's own endpoint, headers and credentials, and the same decoded
 * answer; anything else goes to the read client as its first attempt, so errors and retries stay
 * gax's.
 *
 * The clients are imported from their own modules rather than the package index: the index also
 * loads v1beta4 and the 3.6 MB static protos, which would triple the Cloud Function's bundle. They
 * and gax are imported on first use ({@link cloudSqlModules}): a function that never calls Cloud SQL
 * (`auditDumps`, `auditKeys`) neither reads nor evaluates them at cold start.
 */

import { createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { SqlBackupRunsServiceClient } from '@google-cloud/sql/build/src/v1/sql_backup_runs_service_client.js';
import type { SqlInstancesServiceClient } from '@google-cloud/sql/build/src/v1/sql_instances_service_client.js';
import type { SqlOperationsServiceClient } from '@google-cloud/sql/build/src/v1/sql_operations_service_client.js';
import { type AuthClient, GoogleAuth, PassThroughClient } from 'google-auth-library';
import type { CallOptions, ClientOptions, ServiceConfig } from 'google-gax';
import { DOCS } from '../core/docs.ts';
import { CredentialsError } from '../core/errors.ts';
import { type CallSignal, scopeCallWithCallSignal } from '../core/scope-calls.ts';
import type { CloudSqlApi } from './cloud-sql.ts';
import type { CloudSqlBackupsApi } from './cloud-sql-backups.ts';
import type { LeanMethod, LeanRoute } from './cloud-sql-lean.ts';
import {
  CLOUD_SQL_RETRIED_CODES,
  CloudSqlUnreachableError,
  googleErrorCode,
  googleErrorMessage,
  transportFailure,
} from './wire.ts';

export interface GcpClientFactoryOptions {
  /**
   * Base URL of a local Cloud SQL Admin API (`http://127.0.0.1:4510`). When set, the clients call it
   * without authentication (unless `auth` is given too). Production leaves it unset.
   */
  readonly endpoint?: string;
  /**
   * Where credentials come from. @default google-auth-library's `GoogleAuth` with the cloud-platform
   * scope (Application Default Credentials) in production, none with an `endpoint`.
   */
  readonly auth?: GoogleCredentialSource;
  /** How long one read may take, retries included. @default {@link CLOUD_SQL_READ_TIMEOUT_MS} */
  readonly readTimeoutMs?: number;
  /**
   * Whether the audit's reads ({@link GcpClientFactory.cloudSql}) take the lean path for a clean
   * success (./cloud-sql-lean.ts): the request sent and its 200 answer decoded without gax's
   * per-call pipeline, everything else through gax. `false` sends every read through gax (the
   * equivalence tests compare both). @default true
   */
  readonly leanDecoding?: boolean;
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
  `(${DOCS.gcpApplicationDefaultCredentials}); a Cloud Function uses its service account.`;

/** The environment variable naming an Application Default Credentials file (google-auth-library reads it first). */
const ADC_FILE_ENV = 'GOOGLE_APPLICATION_CREDENTIALS';

/**
 * Why the credentials file {@link ADC_FILE_ENV} names could not be used, when that is why
 * google-auth-library found no credentials (`error`); undefined otherwise. The library tried that
 * file and nothing else, so "no credentials found, set GOOGLE_APPLICATION_CREDENTIALS" would
 * mislead. Names the file and the problem, never a byte of it: it holds a private key.
 */
export async function credentialsFileProblem(path: string, error: unknown): Promise<string | undefined> {
  const names = (why: string) => namedFileProblem(path, `which ${why}`);
  let text: string;
  try {
    if ((await stat(path)).isDirectory()) return names('is a directory, not a credentials file');
    text = await readFile(path, 'utf8');
  } catch (readError) {
    const code = (readError as NodeJS.ErrnoException).code;
    return names(code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (syntaxError) {
    // V8 names the position, or quotes the text around the error: only the position is kept.
    const position = /at position (\d+)/.exec((syntaxError as Error).message)?.[1];
    return names(`is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return names('holds no JSON object');
  }
  // google-auth-library's own words for a key file without a field it needs (the field's name only).
  const message = error instanceof Error ? error.message : '';
  const missing = /does not contain an? (\w+) field/.exec(message)?.[1];
  if (missing) return names(`has no ${missing} field`);
  if (/credential file specified by the GOOGLE_APPLICATION_CREDENTIALS/.test(message)) {
    return names(`is not a credentials file google-auth-library can use (${(error as Error).name})`);
  }
  return undefined;
}

/** A problem of the file {@link ADC_FILE_ENV} names, with what to do. */
function namedFileProblem(path: string, problem: string): string {
  return `${ADC_FILE_ENV} names ${path}, ${problem}; point it at a service account key file or the file 'gcloud auth application-default login' writes, or unset it`;
}

/**
 * Why a service account key's `private_key` cannot sign, or undefined (no key, or one that parses).
 * google-auth-library parses it only when it first signs a token, inside each call: every read was
 * then retried as if the network failed, for 30 s, and reported as a timeout. Only the error's code
 * is kept: OpenSSL's message may quote the input.
 */
function privateKeyProblem(client: AuthClient): string | undefined {
  const key = (client as { key?: unknown }).key;
  if (typeof key !== 'string') return undefined;
  try {
    createPrivateKey(key);
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `does not parse as a private key (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}

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
 * RESOURCE_EXHAUSTED), unavailability (an HTTP 503, or no answer at all: gax's REST transport
 * reports a refused or reset connection as UNAVAILABLE, google-gax 6.17 `fallbackServiceStub.js`)
 * and deadline errors with exponential backoff, bounded by `timeoutMs` in all. gax checks that
 * bound before each attempt, so a call ends at most one backoff sleep (`max_retry_delay_millis`)
 * after it (google-gax `normalCalls/retries.js`).
 *
 * The method's `timeout_millis` must say the same: gax replaces a retried method's RPC and total
 * timeouts with the method timeout on every call (google-gax `CallSettings.merge`), and the
 * generated default is 60 s, so without it the total configured here would never apply.
 */
function readRetry(timeoutMs: number): Omit<ServiceConfig, 'methods'> {
  return {
    retry_codes: { backup_guard_read: [...CLOUD_SQL_RETRIED_CODES] },
    retry_params: {
      backup_guard_read: {
        initial_retry_delay_millis: 200,
        retry_delay_multiplier: 2,
        max_retry_delay_millis: Math.min(MAX_RETRY_DELAY_MS, timeoutMs),
        initial_rpc_timeout_millis: timeoutMs,
        rpc_timeout_multiplier: 1,
        max_rpc_timeout_millis: timeoutMs,
        total_timeout_millis: timeoutMs,
      },
    },
  };
}

/**
 * The Cloud SQL Admin services the product has clients of, and the read methods it calls on each:
 * they get the read policy, and the Cloud Function's bundle keeps only these services' protos
 * (infra/gcp/bundle.ts).
 */
export const CLOUD_SQL_READS = {
  'google.cloud.sql.v1.SqlInstancesService': ['List', 'Get', 'GetLatestRecoveryTime'],
  'google.cloud.sql.v1.SqlBackupRunsService': ['List', 'Get'],
  // operations.get awaits an on-demand backup (the snapshot action, functions/actions/snapshot/gcp.ts).
  'google.cloud.sql.v1.SqlOperationsService': ['Get'],
} as const satisfies Record<string, readonly string[]>;

export type CloudSqlService = keyof typeof CLOUD_SQL_READS;

/** The longest backoff sleep between two attempts of a read. */
export const MAX_RETRY_DELAY_MS = 10_000;

/** gax `clientConfig` overrides: the read methods this product calls use {@link readRetry}. */
function readRetryConfig(
  service: string,
  methods: readonly string[],
  timeoutMs: number,
): ClientOptions['clientConfig'] {
  const method = {
    timeout_millis: timeoutMs,
    retry_codes_name: 'backup_guard_read',
    retry_params_name: 'backup_guard_read',
  };
  return {
    interfaces: {
      [service]: {
        ...readRetry(timeoutMs),
        methods: Object.fromEntries(methods.map((name) => [name, method])),
      },
    },
  };
}

/**
 * `viaGax` (a gax read) as one call of the audit scope being read here (functions/core/scope-calls.ts):
 * refused unsent once the scope has failed, and cancelled when it fails, through the `signal` call
 * option gax cancels a call by (google-gax 6.17 `createApiCall.js`: `ongoingCall.cancel()`, which
 * stops the wait before its next attempt, `normalCalls/retries.js`), so that it has settled when the
 * scope's abort returns. Without it a read in that wait was left to sleep it out (up to
 * {@link MAX_RETRY_DELAY_MS}) after the run had returned, its next attempt then refused. The
 * requests themselves are the scope's calls already (./http-fetch.ts).
 */
function gaxInScope<T>(viaGax: (options: CallOptions) => Promise<T>): (options: CallOptions) => Promise<T> {
  return (options) =>
    scopeCallWithCallSignal((callSignal) =>
      viaGax(callSignal ? { ...options, signal: gaxSignal(callSignal) } : options),
    );
}

/**
 * `callSignal` as the abort signal gax reads (`aborted`, one `abort` listener added and removed):
 * the scope's light {@link CallSignal}, not a listener on its `AbortSignal` (scope-calls.ts says why).
 */
function gaxSignal(callSignal: CallSignal): AbortSignal {
  const signal = {
    get aborted() {
      return callSignal.aborted;
    },
    addEventListener(_type: 'abort', listener: () => void) {
      callSignal.onabort = listener;
    },
    removeEventListener() {
      callSignal.onabort = null;
    },
  };
  return signal as unknown as AbortSignal;
}

/** Where the clients connect: the endpoint override's host, port and protocol, or gax's defaults. */
function connectionOptions(endpoint: string | undefined): ClientOptions {
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
    protocol,
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
  };
}

/** The generated Cloud SQL clients and gax's fallback (REST) module, loaded once, on first use. */
let modules: Promise<typeof import('./cloud-sql-clients.ts')> | undefined;

function cloudSqlModules(): Promise<typeof import('./cloud-sql-clients.ts')> {
  modules ??= import('./cloud-sql-clients.ts');
  return modules;
}

/** The Cloud SQL Admin API's public host, gax's default for these clients. */
const PUBLIC_HOST = 'sqladmin.googleapis.com';

/**
 * Makes and caches the Cloud SQL Admin clients. One instance per process (a Cloud Function keeps it
 * across invocations, so connections stay warm).
 */
export class GcpClientFactory {
  readonly #options: GcpClientFactoryOptions;
  readonly #readTimeoutMs: number;
  /** The clients made so far, by service and gax module (full answers, or the read view). */
  readonly #clients = new Map<string, Promise<{ close(): Promise<void> }>>();
  #authClient: Promise<AuthClient> | undefined;
  #resolvedAuthClient: AuthClient | undefined;
  /** The lean path's route per read client, null when the client's setup is not one it reproduces. */
  readonly #leanRoutes = new WeakMap<object, Promise<LeanRoute | undefined>>();
  /** The backupRuns read route made ahead of its first call (`#prepareBackupRunsRoute`), while pending. */
  #preparing: NodeJS.Immediate | undefined;
  #backupRunsPrepared = false;

  constructor(options: GcpClientFactoryOptions = {}) {
    this.#options = options;
    this.#readTimeoutMs = options.readTimeoutMs ?? CLOUD_SQL_READ_TIMEOUT_MS;
    // Fail at construction, not at the first call, when the override is malformed.
    connectionOptions(options.endpoint);
  }

  /** Options from the environment: {@link CLOUD_SQL_ENDPOINT_ENV} when set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): GcpClientFactory {
    const endpoint = env[CLOUD_SQL_ENDPOINT_ENV]?.trim();
    return new GcpClientFactory(endpoint ? { endpoint } : {});
  }

  /**
   * One cached client of `service`, made with gax's fallback module `gax`: `gaxFallback` (whole
   * answers) or `gaxReadView` (the fields the product reads; functions/gcp/cloud-sql-read-view.ts).
   */
  #client<C extends { close(): Promise<void> }>(
    service: 'SqlInstancesService' | 'SqlBackupRunsService' | 'SqlOperationsService',
    gax: 'gaxFallback' | 'gaxReadView',
    make: (
      modules: Awaited<ReturnType<typeof cloudSqlModules>>,
      options: ClientOptions,
      gaxModule: Awaited<ReturnType<typeof cloudSqlModules>>['gaxFallback'],
    ) => C,
  ): Promise<C> {
    const key = `${service}/${gax}`;
    let client = this.#clients.get(key) as Promise<C> | undefined;
    if (!client) {
      client = cloudSqlModules().then((modules) =>
        make(modules, this.#clientOptions(`google.cloud.sql.v1.${service}`), modules[gax]),
      );
      this.#clients.set(key, client);
    }
    return client;
  }

  /** The `SqlInstancesServiceClient` (instances.list, instances.getLatestRecoveryTime, …). */
  instances(): Promise<SqlInstancesServiceClient> {
    return this.#client(
      'SqlInstancesService',
      'gaxFallback',
      (m, options, gax) => new m.SqlInstancesServiceClient(options, gax),
    );
  }

  /** The `SqlBackupRunsServiceClient` (backupRuns.list, …). */
  backupRuns(): Promise<SqlBackupRunsServiceClient> {
    return this.#client(
      'SqlBackupRunsService',
      'gaxFallback',
      (m, options, gax) => new m.SqlBackupRunsServiceClient(options, gax),
    );
  }

  /**
   * The read API the Cloud SQL adapter needs, backed by clients of its own whose answers decode only
   * the fields the product reads (functions/gcp/cloud-sql-read-view.ts): the same gax requests,
   * credentials, retries and errors as {@link instances} and {@link backupRuns}. When the clients
   * authenticate, every call first resolves the credentials once: without them it rejects with a
   * {@link CredentialsError} and no Google client is ever called. The generated clients start each
   * call with `this.initialize().catch(err => { throw err; })`, a promise nobody awaits, so a client
   * that cannot find credentials raises one unhandled rejection per call (a crash under Node's
   * default `--unhandled-rejections=throw`); a client given a resolved `authClient` never looks.
   * A read that never reached the API fails with one {@link CloudSqlUnreachableError}.
   */
  cloudSql(): CloudSqlApi {
    const instanceReads: LeanMethod[] = ['instances.list', 'instances.getLatestRecoveryTime'];
    return {
      instances: {
        list: (request) =>
          this.#read(async () => {
            const client = await this.#readInstancesClient();
            const listing = this.#leanOrGax(client, instanceReads, 'instances.list', request, (options) =>
              client.list(request, options),
            );
            this.#prepareBackupRunsRoute();
            return listing;
          }),
        getLatestRecoveryTime: (request) =>
          this.#read(async () => {
            const client = await this.#readInstancesClient();
            return this.#leanOrGax(
              client,
              instanceReads,
              'instances.getLatestRecoveryTime',
              request,
              (options) => client.getLatestRecoveryTime(request, options),
            );
          }),
      },
      backupRuns: {
        list: (request) =>
          this.#read(async () => {
            const client = await this.#readBackupRunsClient();
            return this.#leanOrGax(client, ['backupRuns.list'], 'backupRuns.list', request, (options) =>
              client.list(request, options),
            );
          }),
      },
    };
  }

  /**
   * One read of {@link cloudSql}: the lean path (./cloud-sql-lean.ts) for a clean success, gax for
   * everything else, or gax only when {@link GcpClientFactoryOptions.leanDecoding} is false or the
   * client's setup is not one the lean path reproduces.
   */
  async #leanOrGax<T>(
    client: object,
    methods: readonly LeanMethod[],
    method: LeanMethod,
    request: object,
    viaGax: (options: CallOptions) => Promise<[T, ...unknown[]]>,
  ): Promise<[T, ...unknown[]]> {
    const gax = gaxInScope(viaGax);
    if (this.#options.leanDecoding === false) return gax({});
    const modules = await cloudSqlModules();
    const route = await this.#leanRoute(modules, client, methods);
    if (!route) return gax({});
    return modules.leanRead(
      {
        route,
        agent: modules.readAgent,
        timeoutMs: this.#readTimeoutMs,
        replay: modules.replayingFirstExchange,
      },
      method,
      request as Readonly<Record<string, unknown>>,
      gax,
    );
  }

  /** The lean route of `client`, built on its first read and kept. */
  #leanRoute(
    modules: Awaited<ReturnType<typeof cloudSqlModules>>,
    client: object,
    methods: readonly LeanMethod[],
  ): Promise<LeanRoute | undefined> {
    let routing = this.#leanRoutes.get(client);
    if (!routing) {
      routing = modules.leanRoute(client, methods);
      this.#leanRoutes.set(client, routing);
    }
    return routing;
  }

  /**
   * The backupRuns read client and its lean route, made once after the first instances.list has
   * gone out rather than on the first backupRuns.list. The PITR audit reads backupRuns.list for
   * every instance without PITR, and made on that first call (a generated client, its decoder and
   * headers: about 2 ms of CPU measured on bench/audit-pitr-gcp.ts) they held up the requests the
   * audit sends as each project's listing arrives; made here they run while the listings are in
   * flight. `setImmediate` lets the list request leave first. Nothing is sent: a failure to make
   * them is met again, and reported, by the backupRuns.list that needs them.
   */
  #prepareBackupRunsRoute(): void {
    if (this.#backupRunsPrepared || this.#options.leanDecoding === false) return;
    this.#backupRunsPrepared = true;
    this.#preparing = setImmediate(() => {
      this.#preparing = undefined;
      Promise.all([cloudSqlModules(), this.#readBackupRunsClient()])
        .then(([modules, client]) => this.#leanRoute(modules, client, ['backupRuns.list']))
        .catch(() => undefined);
    });
  }

  /** The instances client of {@link cloudSql}: the read view of the answers. */
  #readInstancesClient(): Promise<SqlInstancesServiceClient> {
    return this.#client(
      'SqlInstancesService',
      'gaxReadView',
      (m, options, gax) => new m.SqlInstancesServiceClient(options, gax),
    );
  }

  /** The backup-runs client of {@link cloudSql}: the read view of the answers. */
  #readBackupRunsClient(): Promise<SqlBackupRunsServiceClient> {
    return this.#client(
      'SqlBackupRunsService',
      'gaxReadView',
      (m, options, gax) => new m.SqlBackupRunsServiceClient(options, gax),
    );
  }

  /** The `SqlOperationsServiceClient` (operations.get, to await an on-demand backup). */
  operations(): Promise<SqlOperationsServiceClient> {
    return this.#client(
      'SqlOperationsService',
      'gaxFallback',
      (m, options, gax) => new m.SqlOperationsServiceClient(options, gax),
    );
  }

  /**
   * The on-demand backup calls of the snapshot action, with the same credential check as
   * {@link cloudSql}. Insert and delete keep the generated no-retry config: a retried insert whose
   * first attempt landed would make a second backup.
   */
  cloudSqlBackups(): CloudSqlBackupsApi {
    const write = async <T>(call: () => Promise<T>): Promise<T> => {
      if (this.#authenticates) await this.#credentials();
      return call();
    };
    return {
      insert: (request) => write(async () => (await this.backupRuns()).insert(request)),
      delete: (request) => write(async () => (await this.backupRuns()).delete(request)),
      get: (request) => this.#read(async () => (await this.backupRuns()).get(request)),
      list: (request) => this.#read(async () => (await this.backupRuns()).list(request)),
      getOperation: (request) => this.#read(async () => (await this.operations()).get(request)),
      // The read view's client, not {@link instances}: its answers reach gax without the values of
      // the wrong JSON type (./cloud-sql-clients.ts withoutNotSent), as instances.list's do.
      getInstance: (request) => this.#read(async () => (await this.#readInstancesClient()).get(request)),
    };
  }

  /** One read: credentials first (when the clients authenticate), an unreachable API said once. */
  async #read<T>(call: () => Promise<T>): Promise<T> {
    if (this.#authenticates) await this.#credentials();
    try {
      return await call();
    } catch (error) {
      throw this.#unreachable(error) ?? error;
    }
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

  /**
   * The client that sends this product's other Google REST calls (the chat command's Pub/Sub
   * publish): the production credentials, or, with an endpoint and no `auth`, a client that sends
   * none, as the Cloud SQL clients do there.
   */
  async requestClient(): Promise<AuthClient> {
    return this.#authenticates ? this.#credentials() : new PassThroughClient();
  }

  /** Whether the clients send credentials: always in production, with an endpoint only when `auth` is given. */
  get #authenticates(): boolean {
    return !this.#options.endpoint || this.#options.auth !== undefined;
  }

  async #credentials(): Promise<AuthClient> {
    this.#authClient ??= (this.#options.auth ?? new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }))
      .getClient()
      .then((client) => {
        const keyProblem = privateKeyProblem(client);
        if (keyProblem) {
          const file = process.env[ADC_FILE_ENV]?.trim();
          throw new CredentialsError(
            file
              ? namedFileProblem(file, `whose private_key ${keyProblem}`)
              : `the service account key of the Application Default Credentials has a private_key that ${keyProblem}: replace the key file (${DOCS.gcpApplicationDefaultCredentials})`,
          );
        }
        this.#resolvedAuthClient = client;
        return client;
      })
      .catch(async (error: unknown) => {
        if (error instanceof CredentialsError) throw error;
        const file = this.#options.auth ? undefined : process.env[ADC_FILE_ENV]?.trim();
        const problem = file ? await credentialsFileProblem(file, error) : undefined;
        // No cause for a file's problem: JSON.parse's message may quote the file, a private key.
        if (problem) throw new CredentialsError(problem);
        throw new CredentialsError(NO_GOOGLE_CREDENTIALS, { cause: error });
      });
    return this.#authClient;
  }

  /**
   * Constructor options of a client: REST, the connection, the read policy for `methods`, and the
   * credentials (the resolved ones when the clients authenticate, none otherwise).
   */
  #clientOptions(service: CloudSqlService): ClientOptions {
    const authClient = this.#authenticates ? this.#resolvedAuthClient : new PassThroughClient();
    return {
      fallback: true,
      ...connectionOptions(this.#options.endpoint),
      ...(authClient ? { authClient } : {}),
      clientConfig: readRetryConfig(service, CLOUD_SQL_READS[service], this.#readTimeoutMs),
    };
  }

  /** `error` as one short {@link CloudSqlUnreachableError} when no attempt got an HTTP answer. */
  #unreachable(error: unknown): CloudSqlUnreachableError | undefined {
    const reason = transportFailure(error);
    if (reason === undefined) return undefined;
    const { endpoint } = this.#options;
    const where = endpoint
      ? // Named as what it does, not where it came from: --gcp-endpoint-url gives it as well as the variable.
        `check that this endpoint, which replaces ${PUBLIC_HOST}, is up`
      : `check the function's network path to ${PUBLIC_HOST} (egress settings, VPC connector, firewall, proxy)`;
    return new CloudSqlUnreachableError(
      `no answer from the Cloud SQL Admin API at ${endpoint ?? `https://${PUBLIC_HOST}`} within the ${this.#readTimeoutMs / 1000} s read timeout, retries included (${reason}); ${where}`,
      googleErrorCode(error),
      { cause: new Error(googleErrorMessage(error)) },
    );
  }

  /** Close the clients' connections (CLI and tests; a Cloud Function keeps them). */
  async close(): Promise<void> {
    clearImmediate(this.#preparing);
    this.#preparing = undefined;
    this.#backupRunsPrepared = false;
    const closing = [...this.#clients.values()].map(async (client) => (await client).close());
    this.#clients.clear();
    await Promise.all(closing);
  }
}
