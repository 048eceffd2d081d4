/** `backup-guard readiness`: go/no-go before a CA rotation. Exit 0 GO, 1 NO-GO, 2 could not evaluate. */
import { awsCollectors } from '../../aws/collectors.ts';
import { gcpCollectors } from '../../gcp/collectors.ts';
import { renderReadiness, runReadinessJob } from '../../jobs/readiness.ts';
import { parseCommandArgs } from '../args.ts';
import { ENDPOINT_OPTIONS, gcpClientsOfEveryGroup, whereOptions } from '../clouds.ts';
import type { CliCommand, CliIo, CliOverrides } from '../command.ts';
import { OUTPUT_OPTIONS, openSnapshotCommand, parseSnapshotFormat } from '../snapshot-clouds.ts';
import { progressLine } from './audit.ts';

async function runReadiness(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number> {
  const { values } = parseCommandArgs(readinessCommand, args);
  const format = parseSnapshotFormat(values);
  const context = await openSnapshotCommand(values, io, overrides, 'evaluate');
  const { clouds, where } = context;
  try {
    const result = await runReadinessJob(
      {
        providers: where.providers,
        ...(where.regions ? { regions: where.regions } : {}),
        ...(where.projects ? { projects: where.projects } : {}),
      },
      {
        policy: context.policy,
        ...(clouds.aws ? { aws: { ...clouds.aws, collectors: awsCollectors } } : {}),
        ...(clouds.gcp
          ? { gcp: { clients: gcpClientsOfEveryGroup(clouds.gcp, overrides), collectors: gcpCollectors } }
          : {}),
        clouds: context.snapshotClouds,
        // Each scope read, as audit says it: readiness audits every gate's group first, which over
        // every region of several accounts takes a while; stdout stays the answer alone.
        ...(values.quiet === true ? {} : { onProgress: (progress) => io.stderr(progressLine(progress)) }),
      },
    );
    io.stdout(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderReadiness(result));
    return result.exitCode;
  } finally {
    await clouds.close();
  }
}

export const readinessCommand: CliCommand = {
  name: 'readiness',
  summary:
    'Go/no-go before a CA rotation: every audit gate green and a fresh pre-maintenance snapshot for every target',
  options: {
    ...whereOptions({
      provider: 'Which cloud to evaluate',
      region:
        'Evaluate only the databases in this AWS region (key material and dump locations are read where they are)',
      project:
        "Evaluate this GCP project's Cloud SQL (key material and dump locations are read where they are)",
    }),
    ...OUTPUT_OPTIONS,
    quiet: { type: 'boolean', help: 'No progress on stderr' },
    ...ENDPOINT_OPTIONS,
  },
  details: `The gates are drawn from the installed check groups ('backup-guard checks' lists them): each
group the policy configures is a gate (audit:pitr; audit:dumps when the policy names dump
locations; audit:keys when the policy has a keys inventory), plus the snapshot gate: a successful
pre-maintenance snapshot younger than snapshots.readinessMaxAgeHours (not one past its own
expires-at tag that prune may delete: one a newer snapshot of ours of that database outdates; it is
named; a snapshot dated after the run's clock, or listed beside one, is could-not-evaluate: the
clock is behind) whose KMS key (RDS, Aurora) is Enabled: a key pending deletion, disabled or unavailable
is NO-GO naming its state, unless an older snapshot of ours within the limit has a usable key: the
GO then names that one to restore from and warns that the newest cannot be restored, naming its
key; a key DescribeKey could not read is could-not-evaluate naming the key and the error. A Cloud SQL backup of a CMEK instance is judged by its Cloud KMS key version: DISABLED, DESTROY_SCHEDULED or
DESTROYED is NO-GO naming the gcloud fix; a version that could not be read is could-not-evaluate
naming it and the error; Google-managed encryption needs no check. audit:keys is required for
GO: without a keys inventory the answer is could-not-evaluate unless snapshots.readinessWaivers
waives it with a reason, until its expiry. Every target is listed with each gate's evidence and,
when not GO, what to do; a gate over other resources (dump series, key material) that could not
be evaluated whole (a scope not read, a cloud left out, required but not configured) is on every
target's line as could-not-evaluate, naming what it waits on, so no target reads GO beside it;
then every gate with whether it was evaluated, not configured, waived (until when), not
installed, or could not be evaluated; and each check of an evaluated gate the policy turns off,
with the setting and what stays unverified (keys.content without keys.inspectSecretValues: the
key material's content; pitr.cross-region without pitr.requireCrossRegionBackup). The verdict is
the checks that ran. With --region or --project the verdict covers the databases there alone, and
the answer says so (narrowed: …).

Exit codes:
  0  GO: every gate of every target passed
  1  NO-GO: a gate failed (a check FAILED, or no fresh snapshot with a usable key), even beside
     gates that could not be evaluated
  2  could not evaluate, and no gate failed: a region, project or check could not be read, no
     target was found, the policy selects databases, or keeps dump locations or key material, in
     a cloud --provider leaves out; or the input was bad

Examples:
  npx backup-guard readiness --policy policy.yaml
  npx backup-guard readiness --policy policy.yaml --format json
`,
  run: runReadiness,
};
