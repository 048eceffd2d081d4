/**
 * The check catalog: every check of every group. The docs tables are generated from the metadata
 * here, and ids are unique across groups.
 */
import { type Check, defineRegistry } from '../core/check.ts';
import type { PitrFact } from '../core/facts.ts';
import { pitrChecks } from './pitr/index.ts';

/** A check of any group; the union grows as the dumps and keys groups land. */
export type AnyCheck = Check<PitrFact>;

/** Every check, grouped by subject in catalog order. */
export const allChecks: readonly AnyCheck[] = defineRegistry<PitrFact>([...pitrChecks]);
