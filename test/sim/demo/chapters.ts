/**
 * The chapters of `npm run demo`, in order, and the scenarios the simulator loads for them. A new
 * subsystem adds its scenario file and one chapter line here.
 */
import { chatChapter } from './chat.ts';
import type { DemoChapter } from './context.ts';
import { dumpsChapter } from './dumps.ts';
import { keysChapter } from './keys.ts';
import { pitrChapter } from './pitr.ts';
import { snapshotsChapter } from './snapshots.ts';

export const DEMO_SCENARIOS: readonly string[] = [
  'test/sim/scenarios/demo-aws.yaml',
  'test/sim/scenarios/demo-gcp.yaml',
  'test/sim/scenarios/demo-dumps.yaml',
  'test/sim/scenarios/demo-snapshots.yaml',
  'test/sim/scenarios/demo-keys.yaml',
];

export const DEMO_POLICY = 'test/sim/scenarios/demo-policy.yaml';

export const DEMO_CHAPTERS: readonly DemoChapter[] = [
  pitrChapter,
  dumpsChapter,
  keysChapter,
  snapshotsChapter,
  chatChapter,
];
