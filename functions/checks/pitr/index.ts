/** The PITR checks, judged for RDS DB instances, Aurora DB clusters and Cloud SQL instances. */
import { type Check, defineRegistry } from '../../core/check.ts';
import type { PitrFact } from '../../core/facts.ts';
import { pitrCrossRegionCheck } from './cross-region.ts';
import { pitrDeletionProtectionCheck } from './deletion-protection.ts';
import { pitrEnabledCheck } from './enabled.ts';
import { pitrLagCheck } from './lag.ts';
import { pitrRetentionCheck } from './retention.ts';
import { pitrWindowCheck } from './window.ts';

/** Every `pitr.*` check, in the order findings and docs list them. */
export const pitrChecks: readonly Check<PitrFact>[] = defineRegistry([
  pitrEnabledCheck,
  pitrRetentionCheck,
  pitrWindowCheck,
  pitrLagCheck,
  pitrDeletionProtectionCheck,
  pitrCrossRegionCheck,
]);
