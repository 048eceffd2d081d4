/**
 * The Cloud SQL Admin calls behind on-demand backups (the snapshot action's Cloud SQL backend):
 * `backupRuns.insert`, `backupRuns.get`, `backupRuns.list`, `backupRuns.delete`, `operations.get`
 * and `instances.get` (the instance's state when an insert is refused)
 * (https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/backupRuns,
 * https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/operations/get,
 * https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances/get).
 * `GcpClientFactory.cloudSqlBackups()` provides the real one; tests may fake it.
 */
import type { protos } from '@google-cloud/sql';
import type { ReadDatabaseInstance } from './cloud-sql-read-view.ts';

type Operation = protos.google.cloud.sql.v1.IOperation;

export interface CloudSqlBackupsApi {
  insert(request: protos.google.cloud.sql.v1.ISqlBackupRunsInsertRequest): Promise<[Operation, ...unknown[]]>;
  get(
    request: protos.google.cloud.sql.v1.ISqlBackupRunsGetRequest,
  ): Promise<[protos.google.cloud.sql.v1.IBackupRun, ...unknown[]]>;
  list(
    request: protos.google.cloud.sql.v1.ISqlBackupRunsListRequest,
  ): Promise<[protos.google.cloud.sql.v1.IBackupRunsListResponse, ...unknown[]]>;
  delete(request: protos.google.cloud.sql.v1.ISqlBackupRunsDeleteRequest): Promise<[Operation, ...unknown[]]>;
  getOperation(
    request: protos.google.cloud.sql.v1.ISqlOperationsGetRequest,
  ): Promise<[Operation, ...unknown[]]>;
  /** Decoded to the read view's fields (./cloud-sql-read-view.ts), as instances.list is. */
  getInstance(
    request: protos.google.cloud.sql.v1.ISqlInstancesGetRequest,
  ): Promise<[ReadDatabaseInstance, ...unknown[]]>;
}
