/**
 * The environment of the GCP chat functions, set by the deployment (infra/gcp/plan.ts). Kept apart
 * from the handlers so the deployment script names them without loading any function code.
 */

/** The chat topic, `projects/<project>/topics/<topic>`: chatSlack publishes commands to it. */
export const CHAT_TOPIC_ENV = 'BACKUP_GUARD_CHAT_TOPIC';

/** The bucket of the chat action's request records. */
export const CHAT_RECORDS_BUCKET_ENV = 'BACKUP_GUARD_CHAT_BUCKET';

/** The Slack signing secret's value, mapped from Secret Manager when an instance starts. */
export const SLACK_SECRET_VALUE_ENV = 'SLACK_SIGNING_SECRET';
