/**
 * What a dumps check reads besides its fact: the policy's `dumps` section, the PITR target it must
 * match, and the evaluation time. A narrow parameter, so the checks do not depend on the whole
 * policy's shape; `dumpsCheck` (index.ts) adapts them to the engine's `Check<DumpFact>`.
 */
import type { CheckMetadata, CheckOutcome } from '../../core/check.ts';
import type { DumpFact } from '../../core/dump-facts.ts';
import type { DumpsPolicy } from '../../core/dumps-policy.ts';

export interface DumpsCheckSettings {
  readonly dumps: DumpsPolicy;
  /** Days of history the dumps must cover and be kept for (the policy's `dumps.minDays`). */
  readonly minPitrDays: number;
  readonly now: Date;
  /**
   * Days before the expiry of a KMS key's imported key material at which dumps.protection warns
   * (the policy's `keys.expiryHorizonDays`, one horizon for every key: keyMaterialHorizonDays in
   * core/kms-key-states.ts); its default when absent.
   */
  readonly keyHorizonDays?: number;
}

/** A dumps check: metadata beside a pure decision over one location's facts. */
export interface DumpsCheck {
  readonly metadata: CheckMetadata;
  evaluate(fact: DumpFact, settings: DumpsCheckSettings): CheckOutcome | undefined;
}
