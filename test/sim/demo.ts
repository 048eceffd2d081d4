/**
 * `npm run demo`: start the cloud simulator with the demo certctl fleet and run the real product
 * against it, chapter by chapter (test/sim/demo/chapters.ts): the unmodified SDK clients, only the
 * endpoint differs. Needs no cloud account and no network beyond 127.0.0.1.
 */
import { DEMO_CHAPTERS, DEMO_POLICY, DEMO_SCENARIOS } from './demo/chapters.ts';
import { loadScenario } from './scenario.ts';
import { startSim } from './server.ts';

const out = (text: string): void => {
  process.stdout.write(text);
};
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (text: string): string => (color ? `\u001b[1m${text}\u001b[0m` : text);

const sim = await startSim({ scenario: await loadScenario(...DEMO_SCENARIOS) });
try {
  out(`${bold('certctl-backup-guard demo')}\n`);
  // The demo fleet fails checks on purpose; the demo itself succeeds when every chapter ran.
  for (const chapter of DEMO_CHAPTERS) await chapter({ sim, policy: DEMO_POLICY, out, bold, color });
} finally {
  await sim.close();
}
