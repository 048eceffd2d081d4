/** `backup-guard init`: write a commented starter policy, never over an existing file. */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { EXIT_CODES } from '../../core/audit.ts';
import { InputError } from '../../core/errors.ts';
import { YAML_EXTENSIONS } from '../../core/policy-file.ts';
import { parseCommandArgs } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { checkOutputFile } from '../output.ts';

export const DEFAULT_POLICY_FILE = 'policy.yaml';

/** The starter: the defaults written out, with what each field does and the usual next edits. */
export const STARTER_POLICY = `# certctl-backup-guard policy: what "restorable" means for your certctl databases.
# Every field is optional; the fields below are shown with their defaults (docs/policy.md lists
# every field with its default), and unknown fields are rejected. The audit checks this file before
# it calls any cloud, and names the path of any bad field: npx backup-guard audit --policy policy.yaml
# The sections commented out below (dumps, keys, chatops) are examples: remove the leading "# " of
# every line of a section to use it, and put in your own buckets, secrets and Slack ids.

pitr:
  # Days of point-in-time recovery every database must keep (RDS and Aurora allow at most 35;
  # Cloud SQL ENTERPRISE caps transaction logs at 7, ENTERPRISE_PLUS allows 35).
  minPitrDays: 30
  # How far the latest restorable time may trail now before PITR counts as stalled.
  maxRestoreLagMinutes: 15
  # Also require automated backups replicated to another region (pitr.cross-region).
  requireCrossRegionBackup: false

# Which databases certctl depends on: any carrying one of these tags (AWS) or labels (GCP),
# any named in identifiers (DB identifier, cluster identifier, Cloud SQL instance or ARN),
# or every PostgreSQL database with all: true.
targets:
  tags:
    - key: "certctl:backup-guard"
      value: enabled
  identifiers: []
  all: false

aws:
  # A list such as [eu-west-1, us-east-1], or all for every region enabled in the account.
  regions: all
  # Member accounts, read through a read-only role (infra: the CertctlBackupGuardMember stack).
  # Empty means the account of the credentials you run with.
  accounts: []
  #   - accountId: "222222222222"
  #     roleArn: arn:aws:iam::222222222222:role/certctl-backup-guard-audit-member

gcp:
  # Projects whose Cloud SQL instances are audited. Beside the aws section above, a run without
  # --provider reads both clouds; --provider gcp reads these alone.
  projects: []

securityHub:
  # Publish findings after each scheduled audit (the CLI publishes only with --publish).
  enabled: false
  # With GCP projects and publishing, name where GCP findings land:
  # centralAccountId: "111111111111"
  # centralRegion: eu-west-1

# pg_dump series (the dumps checks), one entry per bucket and prefix:
# dumps:
#   locations:
#     - provider: aws
#       bucket: certctl-dumps
#       prefix: certctl/prod/
#       # Only keys ending with this are dumps: set it when checksums or logs sit beside the dumps,
#       # or they count as the newest dump. Empty (the default): every object.
#       suffix: .dump
#       account: "222222222222"
#       region: eu-west-1
#   cadenceHours: 24

# Key material certctl needs outside its database (the keys checks): map every item of the certctl
# preset to the secret that backs it up, or switch it off with the reason.
# keys:
#   inspectSecretValues: false
#   # AWS accounts holding the secrets' KMS keys when not the secrets' own (a central key account);
#   # each key's policy must allow the audit roles too.
#   kmsKeyAccounts: []
#   items:
#     ca-cert: { secret: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:certctl/ca", jsonKey: cert }
#     ca-key: { secret: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:certctl/ca", jsonKey: key }
#     scep-ra-cert: { off: "SCEP is not enabled in this deployment" }
#     scep-ra-key: { off: "SCEP is not enabled in this deployment" }
#     ocsp-key.iss-local: { off: "OCSP is not enabled in this deployment" }
#     server-tls-cert: { secret: certctl/server-tls, region: eu-west-1, account: "222222222222", jsonKey: cert }
#     server-tls-key: { secret: certctl/server-tls, region: eu-west-1, account: "222222222222", jsonKey: key }
#     api-keys: { secret: certctl/api-keys, region: eu-west-1, account: "222222222222" }
#     config-encryption-key: { secret: certctl/config-key, region: eu-west-1, account: "222222222222" }

# Who may run the chat commands, from which workspaces and channels: empty teams or an empty
# permissions list allows nobody, while an empty channels allows every channel of those teams,
# direct messages too.
# chatops:
#   slack:
#     teams: [T012ABCDEF]
#     channels: [C012ABCDEF]
#     # Enterprise Grid only: the organization the commands must come from (unset: not checked).
#     enterpriseId: E012ABCDEF
#   permissions:
#     snapshot: [U012ABCDEF]
#     readiness: ["*"]
#     status: ["*"]
`;

async function runInit(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(initCommand, args);
  if (positionals.length > 1) {
    throw new InputError(`init writes one policy file; got ${positionals.length}: ${positionals.join(' ')}`);
  }
  if (positionals[0]?.trim() === '') {
    throw new InputError(
      `init needs a file name when one is given: backup-guard init FILE.yaml, or no name for ${DEFAULT_POLICY_FILE}`,
    );
  }
  const file = positionals[0] ?? DEFAULT_POLICY_FILE;
  await checkOutputFile(file, 'init');
  // The starter is YAML, and the policy loader reads YAML only by extension (policy-file.ts): under
  // any other name the next step, audit --policy FILE, would refuse the file init just wrote.
  if (!YAML_EXTENSIONS.includes(extname(file).toLowerCase())) {
    const suggested = `${extname(file).toLowerCase() === '.json' ? file.slice(0, -'.json'.length) : file}.yaml`;
    throw new InputError(
      `init ${file}: init writes YAML, which audit --policy reads only from a .yaml or .yml file (any other name is read as JSON); name it ${suggested}`,
    );
  }
  try {
    // `wx`: fail if the file exists, atomically, so an edited policy is never replaced.
    await writeFile(file, STARTER_POLICY, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InputError(
        `${file} already exists; init never overwrites a policy. Name another file: backup-guard init other.yaml`,
        {
          cause: error,
        },
      );
    }
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
  io.stderr(`Wrote ${file}. Next: npx backup-guard audit --policy ${file}\n`);
  return EXIT_CODES.ok;
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: `Write a commented starter policy to FILE, a .yaml or .yml name (default ${DEFAULT_POLICY_FILE}); never overwrites`,
  positionals: '[FILE]',
  details: `Exit codes:
  0  the starter policy was written (its name and the next command on stderr)
  2  nothing was written: the file exists (never overwritten), its name is not .yaml or .yml, its
     directory is missing or not writable, or the input was bad

Examples:
  npx backup-guard init
  npx backup-guard init policies/prod.yaml
`,
  run: runInit,
};
