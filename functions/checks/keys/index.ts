/** The key-material checks, judged per secret that backs inventory items. */
import { defineRegistry } from '../../core/check.ts';
import type { KeySecretFact } from '../../core/key-facts.ts';
import { keysCmkCheck } from './cmk.ts';
import { keysContentCheck } from './content.ts';
import { keysNotDeletingCheck } from './not-deleting.ts';
import { keysPresentCheck } from './present.ts';
import { keysReplicatedCheck } from './replicated.ts';

/** Every `keys.*` check, in the order findings and docs list them. */
export const keysChecks = defineRegistry<KeySecretFact>([
  keysPresentCheck,
  keysNotDeletingCheck,
  keysReplicatedCheck,
  keysCmkCheck,
  keysContentCheck,
]);
