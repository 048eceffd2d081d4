/**
 * The key-material chapter of `npm run demo`: the real `backup-guard audit` with the keys policy
 * (test/sim/scenarios/demo-keys-policy.yaml) over the demo secrets: a healthy CA backup, a secret
 * pending deletion, an unreplicated one, one on the default key, a replica out of sync, an expired
 * CA certificate, and an RA key that does not match its certificate.
 */
import { runCli } from '../../../functions/cli/cli.ts';
import { simCredentials } from '../accounts.ts';
import type { DemoContext } from './context.ts';

export const DEMO_KEYS_POLICY = 'test/sim/scenarios/demo-keys-policy.yaml';

/** The keys audit of the demo secrets; returns the audit's exit code. */
export async function keysChapter({ sim, out, bold, color }: DemoContext): Promise<number> {
  out(
    `\n${bold('Key material')}: certctl's CA, RA, OCSP and TLS keys and secrets, backed up in Secrets Manager.\n`,
  );
  out(
    `Policy ${DEMO_KEYS_POLICY}: the certctl preset mapped to secrets, values inspected in memory only.\n\n`,
  );
  out(
    `${bold('$ backup-guard audit --policy demo-keys-policy.yaml --format json')} (one line per finding below)\n`,
  );
  let json = '';
  const code = await runCli(
    [
      'audit',
      '--policy',
      DEMO_KEYS_POLICY,
      '--provider',
      'aws',
      '--endpoint-url',
      sim.endpoint,
      '--format',
      'json',
    ],
    {
      stdout: (text) => {
        json += text;
      },
      stderr: out,
      env: { ...process.env, AWS_REGION: 'eu-west-1' },
      color,
    },
    { awsCredentials: simCredentials() },
  );
  const report = JSON.parse(json) as {
    findings: { checkId: string; status: string; resource: { id: string }; description: string }[];
  };
  for (const finding of report.findings.filter((candidate) => candidate.checkId.startsWith('keys.'))) {
    const mark =
      finding.status === 'PASSED'
        ? 'ok'
        : finding.status === 'FAILED'
          ? 'FAIL'
          : finding.status === 'WARNING'
            ? 'WARN'
            : 'N/A';
    out(
      `  ${mark.padEnd(4)} ${finding.checkId.padEnd(17)} ${finding.resource.id}${mark === 'ok' ? '' : `: ${finding.description}`}\n`,
    );
  }
  out(`\nThe keys audit's exit code is ${code}.\n`);
  return code;
}
