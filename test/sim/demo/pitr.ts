/**
 * The PITR chapter of `npm run demo`: the real `backup-guard audit` over the demo fleet, published
 * to the simulator's Security Hub, and what landed there.
 */
import { runCli } from '../../../functions/cli/cli.ts';
import { simCredentials } from '../accounts.ts';
import type { startSim } from '../server.ts';
import type { RdsService } from '../services/rds.ts';
import { SECURITY_HUB_SERVICE, type SecurityHubSim } from '../services/security-hub.ts';
import type { DemoContext } from './context.ts';

/** Cloud SQL instances of the scenario that are replicas, as the scenario writes them. */
interface RawCloudSqlSection {
  readonly projects?: Record<
    string,
    { readonly instances?: readonly { name?: string; masterInstanceName?: string }[] }
  >;
}

/** What the demo fleet holds that the audit must not judge alone: replicas and Aurora members. */
function notJudgedAlone(sim: Awaited<ReturnType<typeof startSim>>): string[] {
  const rds = sim.service<RdsService>('rds');
  const names: string[] = [];
  for (const account of sim.scenario.accounts) {
    for (const region of sim.scenario.regions) {
      for (const instance of rds.store.instances(account.id, region.name)) {
        if (instance.readReplicaSourceDBInstanceIdentifier) names.push(`${instance.id} (RDS read replica)`);
        else if (instance.dbClusterIdentifier)
          names.push(`${instance.id} (Aurora member, judged at ${instance.dbClusterIdentifier})`);
      }
    }
  }
  const cloudSql = (sim.scenario.services as Record<string, unknown>).cloudSql as
    | RawCloudSqlSection
    | undefined;
  for (const project of Object.values(cloudSql?.projects ?? {})) {
    for (const instance of project.instances ?? []) {
      if (instance.masterInstanceName) names.push(`${instance.name} (Cloud SQL read replica)`);
    }
  }
  return names;
}

/** The PITR audit of both clouds, published; returns the audit's exit code. */
export async function pitrChapter({ sim, out, bold, color, policy }: DemoContext): Promise<number> {
  const POLICY = policy;
  out(
    `Cloud simulator on ${sim.endpoint}: a certctl fleet in AWS account 111111111111 (eu-west-1, us-east-1) and GCP project certctl-prod.\n`,
  );
  out(
    `Policy ${POLICY}: PITR >= 30 days, restore lag <= 15 min, targets tagged certctl:backup-guard=enabled.\n\n`,
  );
  out(`${bold('$ backup-guard audit --provider all --publish')}\n`);
  const code = await runCli(
    [
      'audit',
      '--policy',
      POLICY,
      '--provider',
      'all',
      '--endpoint-url',
      sim.endpoint,
      '--gcp-endpoint-url',
      sim.endpoint,
      '--publish',
    ],
    { stdout: out, stderr: out, env: { ...process.env, AWS_REGION: 'eu-west-1' }, color },
    { awsCredentials: simCredentials() },
  );
  out(`\nNot judged alone (no row above, by design): ${notJudgedAlone(sim).join(', ')}.\n`);
  const hub = sim.service<SecurityHubSim>(SECURITY_HUB_SERVICE);
  const stored = hub.allFindings().map((entry) => entry.finding);
  const byStatus = new Map<string, number>();
  for (const finding of stored) {
    const status = finding.Compliance?.Status ?? 'UNKNOWN';
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
  out(
    `\n${bold('What Security Hub now holds')} (one finding per check and database, resolved when fixed):\n`,
  );
  out(`  ${[...byStatus].map(([status, count]) => `${count} ${status}`).join(', ')}\n`);
  const sample = stored.find((finding) => finding.Compliance?.Status === 'FAILED' && finding.Title);
  if (sample) {
    out(`  e.g. ${sample.Id}\n       ${sample.Title}: ${sample.Description}\n`);
  }
  out(
    `\nThe audit's exit code is ${code} (0 all passed, 1 some failed, 2 could not complete). ` +
      'Run `npx backup-guard --help` for the CLI, `npm run sim` to explore the simulator.\n',
  );
  return code;
}
