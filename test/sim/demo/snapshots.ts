/**
 * The snapshots chapter of `npm run demo`: readiness before (certctl-staging-db's fresh snapshot
 * is encrypted with a KMS key pending deletion: no GO rests on it), a pre-maintenance snapshot of the
 * demo fleet (one target busy then available, one whose snapshot fails), the same request re-sent
 * (the idempotency record in a local DynamoDB returns the first result, except that the failed
 * snapshot takes its next attempt), and readiness after.
 */
import { runCli } from '../../../functions/cli/cli.ts';
import { DYNAMODB_ENDPOINT_ENV } from '../../../functions/cli/commands/snapshot.ts';
import { startLocalDynamo } from '../../jobs/dynalite.ts';
import { simCredentials } from '../accounts.ts';
import type { RdsService } from '../services/rds.ts';
import type { DemoContext } from './context.ts';

export async function snapshotsChapter({ sim, out, bold, color, policy }: DemoContext): Promise<number> {
  const dynamo = await startLocalDynamo('certctl-backup-guard-idempotency');
  const rds = sim.service<RdsService>('rds');
  const env = { ...process.env, AWS_REGION: 'eu-west-1', [DYNAMODB_ENDPOINT_ENV]: dynamo.endpoint };
  // The demo policy configures GCP too, which a run without --provider would read; this chapter
  // shows the AWS fleet, so it says so.
  const cli = (title: string, ...args: string[]) => {
    out(`\n${bold(`$ backup-guard ${title} --provider aws`)}\n`);
    return runCli(
      [
        ...args,
        '--provider',
        'aws',
        '--policy',
        policy,
        '--endpoint-url',
        sim.endpoint,
        // Progress goes to stderr, which the demo prints in line with the answers.
        ...(args[0] === 'snapshot' || args[0] === 'readiness' ? ['--quiet'] : []),
      ],
      { stdout: out, stderr: out, env, color },
      { awsCredentials: simCredentials() },
    );
  };
  try {
    out(`\n${bold('Pre-maintenance snapshots and the go/no-go before a CA rotation')}\n`);
    await cli('readiness', 'readiness');
    out(
      "\n(certctl-staging-db's fresh snapshot from CHG-0999 is encrypted with a KMS key pending deletion: it could not be restored, so no GO rests on it. The snapshot taken now uses the database's own key.)\n",
    );
    rds.snapshots.setBusy({ id: 'certctl-prod-db', region: 'eu-west-1' }, 'backing-up', 2500, sim.now());
    out(
      '\n(certctl-prod-db is backing up for the next 2.5 s: the snapshot is retried until it is available.)\n',
    );
    const snapshot = ['snapshot', '--reason', 'CA rotation', '--ticket', 'CHG-1001'];
    const code = await cli('snapshot --reason "CA rotation" --ticket CHG-1001', ...snapshot);
    const creates = rds.snapshots.createCalls;
    out(
      '\n(The same request again, as a re-run with the same ticket sends it: the available snapshots are not taken twice; the failed one takes its next attempt.)\n',
    );
    await cli('snapshot --reason "CA rotation" --ticket CHG-1001', ...snapshot);
    out(
      `\nSnapshots created by the first request: ${creates}; after the re-send: ${rds.snapshots.createCalls} (only the failed snapshot's next attempt).\n`,
    );
    await cli('readiness', 'readiness');
    return code;
  } finally {
    await dynamo.close();
  }
}
