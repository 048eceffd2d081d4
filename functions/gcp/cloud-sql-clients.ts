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

export { gaxFallback };
