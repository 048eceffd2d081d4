/**
 * What the GCP PITR benchmark's child process audits with (bench/audit-pitr-gcp.ts): the code the
 * `auditPitr` Cloud Function runs, bundled by the deployment's own bundler (infra/gcp/bundle.ts
 * `bundleCloudFunction`: gax's REST-only fallback, Cloud SQL protos pruned to the read services), so
 * the child pays what the deployed function pays, not Node's type stripping of the sources or gax's
 * gRPC index. `BENCH_AS_SOURCES` (or a profiling switch) imports this module from the sources instead.
 */
export { parsePolicy } from '../functions/core/policy.ts';
export { GcpClientFactory } from '../functions/gcp/clients.ts';
// The collector the `auditPitr` Cloud Function passes (functions/handlers/gcp/audit-pitr.ts),
// imported statically as there: loaded with the function, not during its first audit.
export {
  cloudSqlPitrCollector,
  DEFAULT_INSTANCE_CONCURRENCY,
  INSTANCES_PAGE_SIZE,
} from '../functions/gcp/cloud-sql.ts';
export { runAuditReport } from '../functions/jobs/audit.ts';
