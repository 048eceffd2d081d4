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

export { gaxFallback };

type ProtoRoot = ReturnType<InstanceType<typeof gaxFallback.GrpcClient>['loadProtoJSON']>;

/** Each `protos.json` object's read view, built once and shared by the read clients. */
const readViews = new WeakMap<object, ProtoRoot>();

/**
 * gax's fallback `GrpcClient` whose clients load the protos with the answer types of the audit's
 * reads cut to the fields the product reads (functions/gcp/cloud-sql-read-view.ts). The generated
 * clients load their protos through `loadProtoJSON` (`sql_instances_service_client.js`, constructor)
 * (the Cloud SQL protos only) and nothing else changes: requests, credentials, retries, paging and errors stay gax's.
 */
class ReadViewGrpcClient extends gaxFallback.GrpcClient {
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
