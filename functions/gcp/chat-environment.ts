/**
 * The environment of the GCP chat functions, set by the deployment (infra/gcp/plan.ts). Kept apart
 * from the handlers so the deployment script names them without loading any function code.
 */

/** The chat topic, `projects/<project>/topics/<topic>`: chatSlack publishes commands to it. */
export const CHAT_TOPIC_ENV = 'BACKUP_GUARD_CHAT_TOPIC';

/** The bucket of the request records: the chat action's, and the `snapshot` function's. */
export const CHAT_RECORDS_BUCKET_ENV = 'BACKUP_GUARD_CHAT_BUCKET';

/** The object prefix of the chat action's records (the deployment's lifecycle rule matches it). */
export const CHAT_RECORDS_PREFIX = 'chat-requests/';

/**
 * The object prefix of the `snapshot` function's records in the same bucket: kept as long as the
 * snapshots they report (`snapshots.expiryDays`, functions/jobs/snapshot-once.ts
 * snapshotRecordSeconds), by a lifecycle rule of their own.
 */
export const SNAPSHOT_RECORDS_PREFIX = 'snapshot-requests/';

/**
 * The object prefix of the run records in the same bucket (functions/gcp/run-records-bucket.ts): one
 * per Cloud SQL backup the GCP functions took, which `backup-guard prune` reads
 * (`snapshots.runRecordsBucket`), kept past the backup's expiry by a lifecycle rule of their own.
 */
export const SNAPSHOT_RUN_RECORDS_PREFIX = 'snapshot-run-records/';

/** The Slack signing secret's value, mapped from Secret Manager when an instance starts. */
export const SLACK_SECRET_VALUE_ENV = 'SLACK_SIGNING_SECRET';
