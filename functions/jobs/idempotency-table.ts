/**
 * Which idempotency table a function uses, apart from the Powertools store that runs over it
 * (idempotency.ts), so a function that only reads and writes its own items there (`chat-unfinished`)
 * does not bundle the store and its calls.
 */
import { InputError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';

/** The environment variable naming the idempotency table (set by the deployment). */
export const IDEMPOTENCY_TABLE_ENV = 'BACKUP_GUARD_IDEMPOTENCY_TABLE';

/** The idempotency table a function uses: the deployment's, else the policy's. */
export function idempotencyTableName(policy: Policy, env: NodeJS.ProcessEnv = process.env): string {
  const name = env[IDEMPOTENCY_TABLE_ENV] ?? policy.snapshots.idempotencyTable;
  if (!name) {
    throw new InputError(`no idempotency table: set ${IDEMPOTENCY_TABLE_ENV} or snapshots.idempotencyTable`);
  }
  return name;
}
