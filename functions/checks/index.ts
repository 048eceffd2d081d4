/**
 * The check catalog: every check of every group. The docs tables are generated from the metadata
 * here, and ids are unique across groups.
 */
import { type Check, defineRegistry } from '../core/check.ts';
import type { DumpFact } from '../core/dump-facts.ts';
import type { PitrFact } from '../core/facts.ts';
import type { KeySecretFact } from '../core/key-facts.ts';
import { dumpsPolicyChecks } from './dumps/index.ts';
import { keysChecks } from './keys/index.ts';
import { pitrChecks } from './pitr/index.ts';

/** A check of any group. */
export type AnyCheck = Check<PitrFact> | Check<DumpFact> | Check<KeySecretFact>;

/** Every check, grouped by subject in catalog order. */
export const allChecks: readonly AnyCheck[] = [...pitrChecks, ...dumpsPolicyChecks, ...keysChecks];
// Ids are unique across groups (a check of one group judges nothing else, so `never` facts).
defineRegistry<never>(allChecks);
