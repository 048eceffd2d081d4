/**
 * Where the import ledger lives in a deployment: the names the infrastructure and the functions
 * share. Apart from the S3 store (functions/aws/ledger-store.ts) so that reading them does not load
 * the S3 client: a function loads that only when a run publishes.
 */

/** Key prefix of the ledger objects (the IAM grant is scoped to it). */
export const LEDGER_PREFIX = 'import-ledger/v1/';

/** The environment variable naming the ledger bucket in the Lambda. */
export const LEDGER_BUCKET_ENV = 'BACKUP_GUARD_LEDGER_BUCKET';
