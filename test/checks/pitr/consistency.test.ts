/**
 * Two PITR checks on one database never contradict each other: a database whose latest restorable
 * time passes `pitr.lag` is never reported by `pitr.window` as having no restore window at all.
 */
import { describe, expect, it } from 'vitest';
import { pitrLagCheck } from '../../../functions/checks/pitr/lag.ts';
import { pitrWindowCheck } from '../../../functions/checks/pitr/window.ts';
import type { PitrFact, RestoreWindow } from '../../../functions/core/facts.ts';
import { auroraClusterFact, contextWith, minutesAgo, rdsInstanceFact } from './fixtures.ts';

/** Windows an adapter can produce when an answer leaves fields out. */
const PARTIAL_WINDOWS: readonly RestoreWindow[] = [
  { known: true, earliest: undefined, latest: minutesAgo(3), source: 'RestoreWindow' },
  { known: true, earliest: undefined, latest: undefined, source: 'RestoreWindow' },
  { known: false, reason: 'DescribeDBInstanceAutomatedBackups answered without RestoreWindow' },
];

function facts(): PitrFact[] {
  return PARTIAL_WINDOWS.flatMap((restoreWindow) => [
    rdsInstanceFact({ restoreWindow, latestRestorableTime: minutesAgo(3) }),
    auroraClusterFact({ restoreWindow, latestRestorableTime: minutesAgo(3) }),
  ]);
}

describe('PITR checks on one database', () => {
  it('never say "no restore window" while pitr.lag passes when an answer leaves the window fields out', () => {
    for (const fact of facts()) {
      // Act
      const lag = pitrLagCheck.evaluate(fact, contextWith());
      const window = pitrWindowCheck.evaluate(fact, contextWith());

      // Assess
      expect(lag?.status).toBe('PASSED');
      expect(window?.status).not.toBe('FAILED');
      expect(window?.status).not.toBe('PASSED');
      expect(window?.description).not.toContain('has no restore window');
    }
  });
});
