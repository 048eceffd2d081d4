/**
 * The dumps checks, judged per dump location (a bucket and prefix from the policy's `dumps`).
 *
 * Each check is written against a narrow {@link DumpsCheckSettings}; {@link dumpsCheck} adapts one
 * to the engine's `Check<DumpFact>` given how to read those settings from the engine's context, so
 * the registration follows whatever shape the policy takes.
 */
import { type Check, type CheckContext, defineRegistry } from '../../core/check.ts';
import type { DumpFact } from '../../core/dump-facts.ts';
import { keyMaterialHorizonDays } from '../../core/kms-key-states.ts';
import { dumpsFreshCheck } from './fresh.ts';
import { dumpsIntegrityCheck } from './integrity.ts';
import { unprovenOwnerOutcome } from './ownership.ts';
import { dumpsProtectionCheck } from './protection.ts';
import { withRegionMismatch } from './region.ts';
import { dumpsRetentionCheck } from './retention.ts';
import type { DumpsCheck, DumpsCheckSettings } from './settings.ts';

export type { DumpsCheck, DumpsCheckSettings } from './settings.ts';

/** Every `dumps.*` check, in the order findings and docs list them. */
export const dumpsChecks: readonly DumpsCheck[] = [
  dumpsFreshCheck,
  dumpsRetentionCheck,
  dumpsIntegrityCheck,
  dumpsProtectionCheck,
];

/**
 * A dumps check as the engine runs it: `settingsOf` reads its settings from the engine's context. A
 * bucket not proven to be the policy project's is judged on that alone (./ownership.ts); one S3
 * says is in another region than the policy's is said to be (./region.ts).
 */
export function dumpsCheck(
  check: DumpsCheck,
  settingsOf: (context: CheckContext) => DumpsCheckSettings,
): Check<DumpFact> {
  return {
    metadata: check.metadata,
    evaluate: (fact, context) =>
      unprovenOwnerOutcome(fact, check.metadata) ??
      withRegionMismatch(fact, check.evaluate(fact, settingsOf(context))),
  };
}

/** Every dumps check adapted to the engine, ids checked for uniqueness. */
export function dumpsEngineChecks(
  settingsOf: (context: CheckContext) => DumpsCheckSettings,
): readonly Check<DumpFact>[] {
  return defineRegistry(dumpsChecks.map((check) => dumpsCheck(check, settingsOf)));
}

/**
 * The dumps checks as the engine runs them under the whole policy: the `dumps` section, and its
 * `minDays` as the days the series must cover and the bucket must keep.
 */
export const dumpsPolicyChecks: readonly Check<DumpFact>[] = dumpsEngineChecks(({ policy, now }) => ({
  dumps: policy.dumps,
  minPitrDays: policy.dumps.minDays,
  now,
  keyHorizonDays: keyMaterialHorizonDays(policy),
}));
