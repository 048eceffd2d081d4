/**
 * The audited side of bench/audit-keys.ts, in its own process so its CPU time is the audit's alone
 * (the simulator runs in the parent). Prints one JSON line with the figures.
 *
 * With BENCH_PROFILE=<file>, a first audit warms the process up (skipped with BENCH_PROFILE_COLD=1)
 * and the measured one runs under the V8 CPU profiler (node:inspector), whose profile is written to
 * that file: open it in Chrome DevTools (Performance, load profile), or sum it per package with
 * `npx node bench/profile-summary.ts <file>`.
 *
 * With BENCH_TIMELINE=<file>, the measured audit's HTTP requests are recorded through
 * node:diagnostics_channel (when each was created, written out, and answered, with its operation and
 * region) into that file, one JSON line per request; `npx node bench/timeline-summary.ts <file>`
 * shows when the first calls went out, how many were in flight per region over time, and the gaps.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { AwsClientFactory } from '../functions/aws/clients.ts';
import { secretsManagerKeysCollector } from '../functions/aws/secrets-manager.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import { loadSimulatorTransport, measureAudit, recordTimeline, reportFigures } from './child-side.ts';

/**
 * The collectors the `audit-keys` Lambda passes (functions/handlers/aws/audit-keys.ts), imported statically as
 * there: the Lambda loads its SDK client and collector at init, which bench:bundles measures, not
 * during its first audit.
 */
const collectors = { keys: secretsManagerKeysCollector };
const endpoint = process.env.BENCH_ENDPOINT;
const policyFile = process.env.BENCH_POLICY_FILE;
const profileFile = process.env.BENCH_PROFILE;
if (!endpoint || !policyFile) throw new Error('run bench/audit-keys.ts, not this file');

const policy = parsePolicy(JSON.parse(await readFile(policyFile, 'utf8')));
await loadSimulatorTransport();
const factory = new AwsClientFactory({
  maxAttempts: policy.aws.maxAttempts,
  credentials: simCredentials(),
  endpoint,
});
const audit = () =>
  runAuditReport({ providers: ['aws'], groups: ['keys'] }, { policy, aws: { factory, collectors } });
let session: Session | undefined;
if (profileFile) {
  if (!process.env.BENCH_PROFILE_COLD) await audit();
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
const timelineFile = process.env.BENCH_TIMELINE;
const timeline = timelineFile ? recordTimeline() : undefined;
const figures = await measureAudit(audit);
if (timeline && timelineFile) await writeFile(timelineFile, timeline.stop());
if (session && profileFile) {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(profileFile, JSON.stringify(profile));
  session.disconnect();
}
factory.destroy();
reportFigures(figures);
