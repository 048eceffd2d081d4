/**
 * The generated Cloud SQL Admin clients and google-gax's fallback (REST) module: what
 * functions/gcp/clients.ts loads with `import()` on the first Cloud SQL call, so that a function
 * that never calls Cloud SQL (`auditDumps`, `auditKeys`) neither reads nor evaluates them, and the
 * bundle keeps them in a chunk of their own. Static imports here keep the CommonJS interop exactly
 * as Node and esbuild resolve a default import.
 */
export { SqlBackupRunsServiceClient } from '@google-cloud/sql/build/src/v1/sql_backup_runs_service_client.js';
export { SqlInstancesServiceClient } from '@google-cloud/sql/build/src/v1/sql_instances_service_client.js';
export { SqlOperationsServiceClient } from '@google-cloud/sql/build/src/v1/sql_operations_service_client.js';

import gaxFallback from 'google-gax/fallback';
import { declaresCloudSqlV1, pruneReadAnswers } from './cloud-sql-read-view.ts';
import { httpFetch } from './http-fetch.ts';

export { gaxFallback };

type ProtoRoot = ReturnType<InstanceType<typeof gaxFallback.GrpcClient>['loadProtoJSON']>;

/** Each `protos.json` object's read view, built once and shared by the read clients. */
const readViews = new WeakMap<object, ProtoRoot>();

type GaxAuth = InstanceType<typeof gaxFallback.GrpcClient>['auth'];

/**
 * `auth` sending every request through {@link httpFetch}: gax's REST transport calls
 * `auth.fetch(url, init)`, and google-auth-library passes `init` on to gaxios, which uses its
 * `fetchImplementation`. Everything else is the auth client itself (methods bound to it, so its
 * private fields work; properties set on the wrapper land on it).
 */
function sendingThroughHttpFetch(auth: GaxAuth): GaxAuth {
  if (!auth) return auth;
  const fetch = (input: unknown, init: object = {}) =>
    (auth as unknown as { fetch(input: unknown, init: object): unknown }).fetch(input, {
      ...init,
      fetchImplementation: httpFetch,
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
 * - requests go out through {@link httpFetch} instead of node-fetch.
 * Requests, credentials, retries, paging and errors stay gax's and google-auth-library's.
 */
class ReadViewGrpcClient extends gaxFallback.GrpcClient {
  constructor(options: ConstructorParameters<typeof gaxFallback.GrpcClient>[0]) {
    super(options);
    this.auth = sendingThroughHttpFetch(this.auth);
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
    return root;
  }
}

/**
 * The gax instance of the read clients: gax's fallback module with {@link ReadViewGrpcClient}. The
 * generated clients use `gaxInstance.fallback` when `fallback: true`, so it points at itself.
 */
export const gaxReadView: typeof gaxFallback = { ...gaxFallback, GrpcClient: ReadViewGrpcClient };
(gaxReadView as { fallback: typeof gaxFallback }).fallback = gaxReadView;
