/**
 * What a KMS `KeyState` says about decrypting with the key, shared by every check that judges a
 * key: a secret's (keys.not-deleting) and a dump bucket's default-encryption key (dumps.protection).
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
 */

/**
 * KMS key states in which data encrypted with the key cannot be decrypted now or soon;
 * `PendingImport`: an EXTERNAL key whose material was never imported, or has expired or been deleted.
 */
export const UNUSABLE_KEY_STATES: ReadonlySet<string> = new Set([
  'Disabled',
  'PendingDeletion',
  'PendingReplicaDeletion',
  'Unavailable',
  'PendingImport',
]);

/**
 * KMS key states in which data encrypted with the key can be decrypted: `Updating` is a multi-Region
 * key whose primary Region is being changed, still usable in cryptographic operations. Any other
 * state (one KMS adds later, `Creating`) proves nothing either way.
 */
export const USABLE_KEY_STATES: ReadonlySet<string> = new Set(['Enabled', 'Updating']);
