/**
 * The generated Cloud SQL Admin clients, google-gax's fallback (REST) module and the lean path of
 * the audit's reads (./cloud-sql-lean.ts): what functions/gcp/clients.ts loads with `import()` on
 * the first Cloud SQL call, so that a function that never calls Cloud SQL (`auditDumps`,
 * `auditKeys`) neither reads nor evaluates them, and the bundle keeps them in a chunk of their own.
 * Static imports here keep the CommonJS interop exactly as Node and esbuild resolve a default import.
 */
export { SqlBackupRunsServiceClient } from '@google-cloud/sql/build/src/v1/sql_backup_runs_service_client.js';
export { SqlInstancesServiceClient } from '@google-cloud/sql/build/src/v1/sql_instances_service_client.js';
export { SqlOperationsServiceClient } from '@google-cloud/sql/build/src/v1/sql_operations_service_client.js';

import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import gaxFallback from 'google-gax/fallback';
import {
  type AnswerSanitizer,
  answerSanitizer,
  type ReflectedRoot,
  type ReplayFirstExchange,
  type SanitizedRead,
} from './cloud-sql-lean.ts';
import { declaresCloudSqlV1, pruneReadAnswers } from './cloud-sql-read-view.ts';
import { type HttpFetchInit, type HttpFetchResponse, httpFetch } from './http-fetch.ts';

export { answerDecoder, leanRead, leanRoute } from './cloud-sql-lean.ts';
export { gaxFallback };

/**
 * The read clients' keep-alive agents, for gax's requests and the lean path's alike (gax makes the
 * same two, `keepAlive: true`, for its own requests: google-gax 6.17 `fallbackServiceStub.js`), so
 * a read that falls back to gax reuses the connection the lean attempt opened.
 */
const readAgents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** The agent of `url`, in node-fetch's form (what gax passes as `agent`). */
export function readAgent(url: URL): http.Agent {
  return url.protocol === 'http:' ? readAgents.http : readAgents.https;
}

/** An outcome the lean path already received, waiting to be gax's first exchange for `url`. */
interface PendingExchange {
  readonly href: string;
  outcome: Promise<HttpFetchResponse> | undefined;
}

const pendingExchanges = new AsyncLocalStorage<PendingExchange>();

/**
 * Runs `call` (a gax read) with `outcome` as the answer to its first request for `url`: the request
 * the lean path (./cloud-sql-lean.ts) already sent and got this answer or failure for. gax,
 * gaxios and google-auth-library then handle it exactly as if they had sent it (a 401 refreshes
 * the token and sends again, a 5xx is retried by the read policy), and every later request goes out.
 */
export const replayingFirstExchange: ReplayFirstExchange = (url, outcome, call) =>
  pendingExchanges.run({ href: new URL(url).href, outcome }, call);

/** {@link httpFetch}, or the pending exchange of the read in progress when this is its request. */
function sendOrReplay(input: string | URL, init: HttpFetchInit = {}): Promise<HttpFetchResponse> {
  const pending = pendingExchanges.getStore();
  if (pending?.outcome && new URL(String(input)).href === pending.href) {
    const { outcome } = pending;
    pending.outcome = undefined;
    return outcome;
  }
  return httpFetch(input, { ...init, agent: readAgent });
}

type ProtoRoot = ReturnType<InstanceType<typeof gaxFallback.GrpcClient>['loadProtoJSON']>;

/** The GET reads whose answers gax decodes with the read view, by their `google.api.http` paths. */
const SANITIZED_PATHS: readonly (readonly [RegExp, SanitizedRead])[] = [
  [/^\/v1\/projects\/[^/]+\/instances$/, 'instances.list'],
  [/^\/v1\/projects\/[^/]+\/instances\/[^/]+\/getLatestRecoveryTime$/, 'instances.getLatestRecoveryTime'],
  [/^\/v1\/projects\/[^/]+\/instances\/[^/]+\/backupRuns$/, 'backupRuns.list'],
  [/^\/v1\/projects\/[^/]+\/instances\/[^/]+$/, 'instances.get'],
];

/** Each read view's sanitizers, compiled once (undefined: its types are not what the lean path reads). */
const sanitizers = new WeakMap<object, Map<SanitizedRead, AnswerSanitizer | undefined>>();

function sanitizerOf(root: ProtoRoot, read: SanitizedRead): AnswerSanitizer | undefined {
  let byRead = sanitizers.get(root);
  if (!byRead) {
    byRead = new Map();
    sanitizers.set(root, byRead);
  }
  if (!byRead.has(read)) byRead.set(read, answerSanitizer(root as unknown as ReflectedRoot, read));
  return byRead.get(read);
}

/**
 * A read's 200 answer without the values of the wrong JSON type gax would coerce into judged ones
 * (`"enabled": "false"` read as true, `"transactionLogRetentionDays": "abc"` as 0): those fields
 * reach gax as not sent, as the lean decoder reads them (./cloud-sql-lean.ts {@link answerSanitizer}),
 * so a read that falls back to gax (a retried 5xx, a refreshed 401, lean decoding off) judges the
 * same values. Any other answer is gax's as it came.
 */
async function withoutNotSent(
  response: HttpFetchResponse,
  input: string | URL,
  init: HttpFetchInit,
  root: ProtoRoot | undefined,
): Promise<HttpFetchResponse> {
  if (!root || response.status !== 200 || (init.method ?? 'GET').toUpperCase() !== 'GET') return response;
  const { pathname } = new URL(String(input));
  const read = SANITIZED_PATHS.find(([path]) => path.test(pathname))?.[1];
  const sanitize = read === undefined ? undefined : sanitizerOf(root, read);
  if (!sanitize) return response;
  const body = sanitize(await response.text());
  return body === undefined ? response : withBody(response, body);
}

/** `response` with `body` as its body. */
function withBody(response: HttpFetchResponse, body: string): HttpFetchResponse {
  const bytes = Buffer.from(body, 'utf8');
  return {
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    url: response.url,
    redirected: response.redirected,
    get headers() {
      return response.headers;
    },
    body: {
      async *[Symbol.asyncIterator]() {
        yield bytes;
      },
    },
    arrayBuffer: async () =>
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    text: async () => body,
    json: async () => JSON.parse(body),
  };
}

/** Each `protos.json` object's read view, built once and shared by the read clients. */
const readViews = new WeakMap<object, ProtoRoot>();

type GaxAuth = InstanceType<typeof gaxFallback.GrpcClient>['auth'];

/**
 * `auth` sending every request through {@link httpFetch} with the read agents (or replaying the
 * lean path's exchange, {@link replayingFirstExchange}): gax's REST transport calls
 * `auth.fetch(url, init)`, and google-auth-library passes `init` on to gaxios, which uses its
 * `fetchImplementation`. Everything else is the auth client itself (methods bound to it, so its
 * private fields work; properties set on the wrapper land on it).
 */
function sendingThroughHttpFetch(auth: GaxAuth, root: () => ProtoRoot | undefined): GaxAuth {
  if (!auth) return auth;
  const fetchImplementation = async (input: string | URL, init: HttpFetchInit = {}) =>
    withoutNotSent(await sendOrReplay(input, init), input, init, root());
  const fetch = (input: unknown, init: object = {}) =>
    (auth as unknown as { fetch(input: unknown, init: object): unknown }).fetch(input, {
      ...init,
      fetchImplementation,
    });
  return new Proxy(auth, {
    get(target, property) {
      if (property === 'fetch') return fetch;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * gax's fallback `GrpcClient` for the read clients:
 * - the protos load with the answer types of the audit's reads cut to the fields the product reads
 *   (functions/gcp/cloud-sql-read-view.ts): the generated clients load their protos through
 *   `loadProtoJSON` (`sql_instances_service_client.js`, constructor);
 * - requests go out through {@link httpFetch} instead of node-fetch, or take the answer the lean
 *   path (./cloud-sql-lean.ts) already received for them ({@link replayingFirstExchange}).
 * Requests, credentials, retries, paging and errors stay gax's and google-auth-library's.
 */
class ReadViewGrpcClient extends gaxFallback.GrpcClient {
  /** The read view this client decodes with, once the generated client has loaded it. */
  #readView: ProtoRoot | undefined;

  constructor(options: ConstructorParameters<typeof gaxFallback.GrpcClient>[0]) {
    super(options);
    this.auth = sendingThroughHttpFetch(this.auth, () => this.#readView);
  }

  override loadProtoJSON(json: gaxFallback.protobuf.INamespace, ignoreCache?: boolean): ProtoRoot {
    // The Locations client each generated client makes loads its own protos: those stay whole.
    if (!declaresCloudSqlV1(json as never)) return super.loadProtoJSON(json, ignoreCache);
    let root = readViews.get(json);
    if (!root) {
      root = gaxFallback.protobuf.Root.fromJSON(
        pruneReadAnswers(json as never) as gaxFallback.protobuf.INamespace,
      );
      readViews.set(json, root);
    }
    this.#readView = root;
    return root;
  }
}

/**
 * The gax instance of the read clients: gax's fallback module with {@link ReadViewGrpcClient}. The
 * generated clients use `gaxInstance.fallback` when `fallback: true`, so it points at itself.
 */
export const gaxReadView: typeof gaxFallback = { ...gaxFallback, GrpcClient: ReadViewGrpcClient };
(gaxReadView as { fallback: typeof gaxFallback }).fallback = gaxReadView;
