/**
 * The check catalog: every check of every group. The docs tables are generated from the metadata
 * here, and ids are unique across groups.
 */
import { type Check, defineRegistry } from '../core/check.ts';
import type { PitrFact } from '../core/facts.ts';
import type { KeySecretFact } from '../core/key-facts.ts';
import { keysChecks } from './keys/index.ts';
import { pitrChecks } from './pitr/index.ts';

/** A check of any group; the union grows as the dumps and keys groups land. */
export type AnyCheck = Check<PitrFact> | Check<KeySecretFact>;

const catalog: readonly AnyCheck[] = [...pitrChecks, ...keysChecks];

/** Every check, grouped by subject in catalog order (ids unique across groups). */
export const allChecks: readonly AnyCheck[] = defineRegistry(
  catalog as readonly Check<unknown>[],
) as readonly AnyCheck[];
