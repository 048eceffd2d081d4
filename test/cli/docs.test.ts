import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { waitText } from '../../functions/actions/snapshot/model.ts';
import { LEDGER_PREFIX } from '../../functions/aws/ledger-location.ts';
import { allChecks } from '../../functions/checks/index.ts';
import { COMMANDS, README_HELP } from '../../functions/cli/cli.ts';
import { whereFor } from '../../functions/cli/clouds.ts';
import { DYNAMODB_ENDPOINT_ENV } from '../../functions/cli/commands/snapshot.ts';
import { renderCheckCatalog, renderPolicyReference, withHelp } from '../../functions/cli/docs.ts';
import { severityFor } from '../../functions/core/check.ts';
import { SEVERITIES } from '../../functions/core/finding.ts';
import { type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import {
  SNAPSHOT_ANSWER_MARGIN_MS,
  SNAPSHOT_RECORDING_MARGIN_MS,
  SNAPSHOT_SETUP_BOUND_MS,
  snapshotFunctionTimeoutSeconds,
} from '../../functions/core/snapshots-policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV } from '../../functions/gcp/clients.ts';
import * as gcpPlan from '../../infra/gcp/plan.ts';
import {
  CHAT_POLICY,
  FULL_POLICY,
  OWN_DUMPS_POLICY,
  OWN_KEYS_POLICY,
  readCdkJson,
  roleStatements,
  synthesize,
} from '../infra/support.ts';

/** Each GCP custom role id of the deploy plan with its permissions (`X_ROLE_ID` beside `X_PERMISSIONS`). */
const GCP_CUSTOM_ROLES = Object.entries(gcpPlan).flatMap(([name, value]) => {
  const permissions = (gcpPlan as Record<string, unknown>)[name.replace(/_ROLE_ID$/, '_PERMISSIONS')];
  return name.endsWith('_ROLE_ID') && typeof value === 'string' && Array.isArray(permissions)
    ? [{ id: value, permissions: [...(permissions as string[])].sort() }]
    : [];
});

describe('generated docs', () => {
  it('keeps docs/checks.md equal to what the check metadata generates', async () => {
    expect(await readFile('docs/checks.md', 'utf8')).toBe(renderCheckCatalog(allChecks));
  });

  it('marks the Cloud SQL backup start time of the catalog as a placeholder, as its other placeholders are', () => {
    // A bare HH:MM reads as a value to keep; gcloud takes the start time as HH:MM in UTC.
    const catalog = renderCheckCatalog(allChecks);
    expect(catalog).toContain(
      "`gcloud sql instances patch '<instance>' --project='<project>' --backup-start-time='<HH:MM>' --enable-point-in-time-recovery`",
    );
    expect(catalog).not.toMatch(/(?<!<)HH:MM(?!>)/);
  });

  it('names in the check catalog the resource type Security Hub shows, ours beside it when that is Other', () => {
    // Prepare: a Cloud SQL instance is imported with ASFF Resources[].Type Other (asff.ts toResource).
    const catalog = renderCheckCatalog(allChecks);
    const row = catalog.split('\n').find((line) => line.startsWith('| `pitr.enabled` |'));

    // Act / Assess
    expect(row).toMatch(/\| AwsRdsDbInstance, AwsRdsDbCluster, Other \(GcpCloudSqlInstance\) \|$/);
    expect(catalog).not.toMatch(/[^(]GcpCloudSqlInstance/);
    expect(catalog).toContain('| Security Hub resource type |');
  });

  it('keeps docs/policy.md equal to what the policy schema generates', async () => {
    expect(await readFile('docs/policy.md', 'utf8')).toBe(renderPolicyReference());
  });

  it('keeps the help block of README.md equal to --help and audit --help', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');

    // Act / Assess
    expect(withHelp(readme, README_HELP)).toBe(readme);
    expect(readme).toContain('npx backup-guard audit --policy policy.yaml --format json > audit.json');
    for (const command of COMMANDS) expect(readme).toContain(`$ npx backup-guard ${command.name} --help\n`);
  });

  it('names in the CLI help every environment variable the CLI reads', async () => {
    // Prepare: every `env.NAME` and `env[CONSTANT]` read in functions/cli, the constants resolved.
    const constants: Record<string, string> = {
      CLOUD_SQL_ENDPOINT_ENV,
      DYNAMODB_ENDPOINT_ENV,
      ENV_PROFILE: 'AWS_PROFILE',
    };
    const files = (await readdir('functions/cli', { recursive: true }))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join('functions/cli', name));
    const read = new Set<string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const [, name] of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) read.add(name ?? '');
      for (const [, constant] of text.matchAll(/\benv\[([A-Z][A-Z0-9_]+)\]/g)) {
        read.add(constants[constant ?? ''] ?? `unresolved constant ${constant}`);
      }
    }
    // The loop over AWS_REGION and AWS_DEFAULT_REGION reads them as `env[variable]`.
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) read.add(name);
    // The home directory (HOME, USERPROFILE, HOMEDRIVE + HOMEPATH) is where ~ is, as for every tool.
    const home = ['HOME', 'USERPROFILE', 'HOMEDRIVE', 'HOMEPATH'];

    // Act
    const unnamed = [...read].filter(
      (name) => !home.includes(name) && !new RegExp(`\\b${name}\\b`).test(README_HELP),
    );

    // Assess
    expect(read.has('FORCE_COLOR')).toBe(true);
    expect(unnamed).toEqual([]);
  });

  it("names every way the policy selects a target where snapshot --target's help says which it may name", () => {
    // Prepare: the fields of the policy's targets section (tags, identifiers, all).
    const selectors = Object.keys(parsePolicy({}).targets).map((field) => `targets.${field}`);
    const help = COMMANDS.find((command) => command.name === 'snapshot')?.options?.target?.help ?? '';

    // Assess: targets.all selects every PostgreSQL database, which --target may name too.
    expect(selectors).toEqual(['targets.tags', 'targets.identifiers', 'targets.all']);
    for (const selector of selectors) expect(help).toContain(selector);
  });

  it('says in the help of every option that takes several values that it may be repeated or comma-separated', () => {
    // Act: the options parsed as lists (splitList reads repeats and commas alike)
    const lists = COMMANDS.flatMap((command) =>
      Object.entries(command.options ?? {})
        .filter(([, option]) => option.multiple === true)
        .map(([name, option]) => ({ option: `${command.name} --${name}`, help: option.help })),
    );
    // Assess
    expect(lists.map((list) => list.option)).toContain('audit --exclude-check');
    expect(lists.filter((list) => !/repeat or comma-separate/.test(list.help ?? ''))).toEqual([]);
  });

  it('documents the fields of list entries and named entries, saying which kind of entry a field belongs to', () => {
    // Act
    const rows = renderPolicyReference().split('\n');
    const row = (path: string) => rows.filter((line) => line.startsWith(`| \`${path}\` |`));
    // Assess: a field every kind of location has is one row; a kind's own field names the kind.
    expect(row('dumps.locations[].provider')).toEqual([
      expect.stringContaining('| `"aws"` or `"gcp"` | required |'),
    ]);
    expect(row('dumps.locations[].suffix')).toEqual([
      expect.stringContaining('| string (at most 1024 characters) | `""` | Only keys ending'),
    ]);
    expect(row('dumps.locations[].project')).toEqual([
      expect.stringContaining('| required | (`provider: "gcp"`)'),
    ]);
    expect(row('dumps.locations[].region')).toHaveLength(2);
    expect(row('keys.items.<name>.jsonKey')).toHaveLength(1);
    expect(row('exceptions[].expires')).toEqual([expect.stringContaining('| string, date | required |')]);
  });

  it('says in the policy reference that aws.configured and gcp.projects set the default of --provider, as the CLI applies it', () => {
    // Prepare: a GCP-only policy, one with both clouds, and an AWS one.
    const row = renderPolicyReference()
      .split('\n')
      .find((line) => line.startsWith('| `aws.configured` |'));
    const defaulted = (input: PolicyInput) =>
      whereFor(
        {
          policyFile: undefined,
          provider: undefined,
          regions: undefined,
          projects: undefined,
          endpointUrl: undefined,
          gcpEndpointUrl: undefined,
        },
        parsePolicy(input),
      ).providers;

    // Act / Assess: what the CLI does is what the reference says.
    expect(defaulted({ gcp: { projects: ['certctl-gcp'] } })).toEqual(['gcp']);
    expect(defaulted({ aws: { regions: ['eu-west-1'] }, gcp: { projects: ['certctl-gcp'] } })).toEqual([
      'aws',
      'gcp',
    ]);
    expect(defaulted({ aws: { regions: ['eu-west-1'] } })).toEqual(['aws']);
    expect(defaulted({ aws: { configured: false }, gcp: { projects: ['certctl-gcp'] } })).toEqual(['gcp']);
    expect(() => defaulted({ aws: { configured: false } })).toThrow(/configures no cloud/);
    for (const command of COMMANDS.filter(({ options }) => options?.provider)) {
      const help = (command.options?.provider?.help ?? '').replaceAll(/\s+/g, ' ');
      expect(help).toContain(
        '(default: the clouds the policy configures: gcp for a policy that lists gcp.projects and has no aws section or sets aws.configured: false, aws and gcp for one with both, none for one that configures neither (pass --provider), else aws)',
      );
    }
    expect(row).toContain(
      'It also sets the default of the CLI option --provider: the clouds the policy configures: gcp for a GCP-only policy, all when it counts AWS and lists gcp.projects, aws otherwise',
    );
  });

  it('states the length bounds of a string field, which the policy refuses outside them', () => {
    // Prepare: an item switched off with a reason of 9 characters, and one of 10.
    const rows = renderPolicyReference().split('\n');
    const row = (path: string) => rows.find((line) => line.startsWith(`| \`${path}\` |`)) ?? '';
    const off = (reason: string) => ({
      keys: { preset: 'none', items: { backup: { kind: 'opaque', off: reason } } },
    });

    // Act / Assess: the schema refuses what the reference must then state.
    expect(() => parsePolicy(off('too short'))).toThrow(/10 characters or more/);
    expect(() => parsePolicy(off('not in use'))).not.toThrow();
    expect(row('keys.items.<name>.off')).toContain('| string (10–512 characters) |');
    expect(row('dumps.databaseName')).toContain('| string (1–63 characters) |');
    expect(row('schedules.auditPitr')).toContain('| string (non-empty) |');
    expect(row('exceptions[].reason')).toContain('10 characters or more');
  });

  it('lists exactly the permissions of a GCP custom role wherever README.md or docs/deploy.md lists them after its name', async () => {
    // Prepare
    const docs = await Promise.all(['README.md', 'docs/deploy.md'].map((file) => readFile(file, 'utf8')));

    // Act: every "`<role id>` (`a.b.c`, …)" whose parenthesis opens with a permission.
    const listed = GCP_CUSTOM_ROLES.flatMap(({ id, permissions }) =>
      docs.flatMap((text) =>
        [...text.matchAll(new RegExp(`\`${id}\` \\((\`[a-z]+\\.[A-Za-z]+\\.[A-Za-z]+\`[^)]*)\\)`, 'g'))].map(
          (match) => ({
            id,
            permissions,
            named: [...(match[1] ?? '').matchAll(/`([a-z]+\.[A-Za-z]+\.[A-Za-z]+)`/g)]
              .map((m) => m[1])
              .sort(),
          }),
        ),
      ),
    );

    // Assess
    expect(GCP_CUSTOM_ROLES.map((role) => role.id)).toContain('certctlBackupGuardDumpKeyReader');
    expect(listed.length).toBeGreaterThan(3);
    for (const { id, permissions, named } of listed)
      expect({ id, named }).toEqual({ id, named: permissions });
  });

  it('names every GCP custom role in the README row of the GCP function service accounts', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| GCP function service accounts |')) ?? '';

    // Assess
    expect(GCP_CUSTOM_ROLES.length).toBeGreaterThan(5);
    for (const { id } of GCP_CUSTOM_ROLES) expect(row).toContain(`\`${id}\``);
  });

  it('names in the README row of the dumps and keys audit roles every action they are granted on any resource', async () => {
    // Prepare: both audits, secret values inspected (the widest keys grant).
    const readme = await readFile('README.md', 'utf8');
    const rowOf = (role: string) =>
      readme.split('\n').find((line) => line.startsWith(`| \`${role}\` Lambda role |`)) ?? '';
    const { templates } = synthesize({
      ...OWN_KEYS_POLICY,
      keys: { ...OWN_KEYS_POLICY.keys, inspectSecretValues: true },
      dumps: OWN_DUMPS_POLICY.dumps,
    });
    const statements = Object.values(templates.audit.findResources('AWS::IAM::Policy')).flatMap((policy) => {
      const { PolicyDocument, Roles } = (
        policy as {
          Properties: {
            PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
            Roles: { Ref: string }[];
          };
        }
      ).Properties;
      return PolicyDocument.Statement.map((statement) => ({ roles: JSON.stringify(Roles), ...statement }));
    });
    const roleRef = (name: string) =>
      Object.entries(templates.audit.findResources('AWS::IAM::Role')).find(
        ([, role]) => (role as { Properties: { RoleName?: string } }).Properties.RoleName === name,
      )?.[0] ?? name;

    // Act: the actions each role holds on '*' (no resource to name), left out of its README row.
    const unnamed = ['audit-dumps', 'audit-keys'].flatMap((job) =>
      statements
        .filter(
          ({ roles, Resource }) => roles.includes(roleRef(`certctl-backup-guard-${job}`)) && Resource === '*',
        )
        .flatMap(({ Action }) => [Action].flat())
        .filter((action) => !action.startsWith('logs:') && !rowOf(job).includes(`\`${action}\``))
        .map((action) => `${job}: ${action}`),
    );

    // Assess
    expect(rowOf('audit-dumps')).not.toBe('');
    expect(unnamed).toEqual([]);
  });

  it('names in the README rows of the readiness and chat-action roles every action they are granted', async () => {
    // Prepare: every audit group with values inspected, regions listed (`regions: all`), chat; and
    // member accounts (their roles assumed).
    const readme = await readFile('README.md', 'utf8');
    const line = (start: string) => readme.split('\n').find((text) => text.startsWith(start)) ?? '';
    const rows: Record<string, string> = {
      'certctl-backup-guard-readiness': line('| `readiness` Lambda role |').split(' | ')[1] ?? '',
      'certctl-backup-guard-chat-action':
        /`chat-action`: (.*?); `chat-unfinished`:/.exec(line('| Chat roles (AWS) |'))?.[1] ?? '',
    };
    const synthesized = [
      synthesize({
        ...OWN_KEYS_POLICY,
        aws: { regions: 'all' },
        pitr: { requireCrossRegionBackup: true },
        dumps: OWN_DUMPS_POLICY.dumps,
        chatops: CHAT_POLICY.chatops,
      }),
      synthesize(CHAT_POLICY),
    ];

    // Act: each action of each role (its own log group's aside) its row does not name.
    const unnamed = Object.entries(rows).flatMap(([role, row]) => [
      ...new Set(
        synthesized
          .flatMap((app) => roleStatements(app, role))
          .flatMap((statement) => statement.Action)
          .filter((action) => !action.startsWith('logs:') && !row.includes(`\`${action}\``))
          .map((action) => `${role}: ${action}`),
      ),
    ]);

    // Assess: the `*` grants (no resource type) among them.
    expect(rows['certctl-backup-guard-readiness']).toContain('`s3:GetAccountPublicAccessBlock`');
    expect(rows['certctl-backup-guard-chat-action']).toContain('`secretsmanager:BatchGetSecretValue`');
    expect(unnamed).toEqual([]);
  });

  it('names the import-ledger grant of every publishing audit role and its per-account keep-alive listing', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const pitrRow = readme.split('\n').find((line) => line.startsWith('| `audit-pitr` Lambda role |')) ?? '';

    // Assess: the listing functions/aws/ledger-store.ts makes, and the cross-Region listing.
    expect(deploy).toContain(`\`ListObjectsV2\` under\n\`${LEDGER_PREFIX}<account>/\``);
    expect(deploy).toContain(`\`s3:prefix\` \`${LEDGER_PREFIX}*\``);
    expect(pitrRow).toContain(`list only that prefix (also for \`audit-dumps\` and \`audit-keys\`)`);
    expect(pitrRow).toContain(
      '`rds:DescribeDBInstanceAutomatedBackups` and `rds:DescribeDBClusters` in every region only with `pitr.requireCrossRegionBackup`',
    );
  });

  it('names every chatops.slack allow-list field where README.md says how chat requests are authorized', async () => {
    // Prepare
    const readme = (await readFile('README.md', 'utf8')).replace(/\s+/g, ' ');
    const paragraph =
      /then authorized by the policy's allow-lists per command \(([^)]*)\)/.exec(readme)?.[1] ?? '';
    const fields = renderPolicyReference()
      .split('\n')
      .flatMap((line) => /^\| `chatops\.slack\.([A-Za-z]+)` \|/.exec(line)?.[1] ?? []);

    // Assess
    expect(fields).toEqual(expect.arrayContaining(['teams', 'channels', 'enterpriseId']));
    for (const field of fields) expect(paragraph).toMatch(new RegExp(`\`(chatops\\.slack\\.)?${field}\``));
  });

  it('states the CloudWatch alarms the deployment makes in the cost notes of README.md and docs/deploy.md', async () => {
    // Prepare: the policy cdk.json deploys, and it with each optional job added.
    const base = readCdkJson().context.backupGuardPolicy as Record<string, unknown>;
    const alarms = (policy: unknown) =>
      Object.keys(synthesize(policy).templates.audit.findResources('AWS::CloudWatch::Alarm')).length;
    const readme = (await readFile('README.md', 'utf8')).replace(/\s+/g, ' ');
    const deploy = (await readFile('docs/deploy.md', 'utf8')).replace(/\s+/g, ' ');

    // Act
    const deployed = alarms(base);
    const added = [OWN_DUMPS_POLICY, OWN_KEYS_POLICY, { chatops: CHAT_POLICY.chatops }].map(
      (extra) => alarms({ ...base, ...extra }) - deployed,
    );

    // Assess: the stated count, cost and increments, read where each file states them.
    const cost = `$${(deployed * 0.1).toFixed(2)} a month`;
    expect(added).toEqual([4, 4, 4]);
    expect(/CloudWatch alarms: .*?\.(?= |$)/.exec(deploy)?.[0]).toBe(
      `CloudWatch alarms: ${deployed} standard alarms at $0.10 each, so ${cost}, as cdk.json deploys it (the \`audit-pitr\` and \`snapshot\` jobs); 4 more for each of \`audit-dumps\`, \`audit-keys\` and the chat functions when deployed.`,
    );
    expect(/\d+ CloudWatch alarms are [^;]*;/.exec(readme)?.[0]).toBe(
      `${deployed} CloudWatch alarms are ${cost} (4 more for each of audit-dumps, audit-keys and ChatOps);`,
    );
  });

  it('states the figures of a snapshot run, its set-up and recording bounds, the answer margin and the GCP timeout, as the constants give them', async () => {
    // Prepare
    const readme = (await readFile('README.md', 'utf8')).replace(/\s+/g, ' ');
    const deploy = (await readFile('docs/deploy.md', 'utf8')).replace(/\s+/g, ' ');
    const minutes = (ms: number) => (ms === 60_000 ? 'a minute' : waitText(ms / 60_000));

    // Act: every figure the docs give for the set-up and the recording of a run.
    const setUps = [...`${readme} ${deploy}`.matchAll(/(\S+ \S+) to find its targets/g)].map((m) => m[1]);
    const recordings = [...`${readme} ${deploy}`.matchAll(/ and (\S+ \S+) to record/g)].map((m) => m[1]);

    // Assess: each is the constant's (the CLI help, in README.md's help block too, takes them from it).
    expect(setUps.length).toBeGreaterThanOrEqual(4);
    expect(new Set(setUps)).toEqual(new Set([waitText(SNAPSHOT_SETUP_BOUND_MS / 60_000)]));
    expect(recordings.length).toBe(setUps.length);
    expect(new Set(recordings)).toEqual(new Set([waitText(SNAPSHOT_RECORDING_MARGIN_MS / 60_000)]));
    // The functions stop waiting the answer margin before they would be stopped.
    const margin = minutes(SNAPSHOT_ANSWER_MARGIN_MS);
    expect(deploy).toContain(`The function stops waiting ${margin} before Lambda would stop it`);
    expect(deploy).toContain(`stops ${margin} before Lambda would stop it: it then answers`);
    expect(readme).toContain(`re-send stops waiting ${margin} before Lambda would stop it`);
    expect(deploy).toContain(
      `Its wait ends ${margin} before the function would be stopped at the latest (with the default 60-minute wait, ${waitText(
        (snapshotFunctionTimeoutSeconds({ waitMinutes: 60 }) * 1000 - SNAPSHOT_ANSWER_MARGIN_MS) / 60_000,
      )} after the call)`,
    );
    // The longest wait whose scan the Cloud Scheduler job still retries: its function ends within
    // the 30-minute attempt deadline, less the 30 s the job gives it over the function's timeout.
    const retried =
      /`snapshots\.waitMinutes` above ([\d.]+), the function's timeout being the wait and (\S+ \S+)\)/.exec(
        deploy,
      );
    expect(snapshotFunctionTimeoutSeconds({ waitMinutes: Number(retried?.[1]) }) + 30).toBe(1800);
    expect(retried?.[2]).toBe(waitText((SNAPSHOT_SETUP_BOUND_MS + SNAPSHOT_RECORDING_MARGIN_MS) / 60_000));
  });

  it('names every stack output by the key CloudFormation gives it, and only outputs that exist', async () => {
    // Prepare: every stack with every optional part (chat, federation).
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    const { templates } = synthesize({ ...FULL_POLICY, chatops: CHAT_POLICY.chatops });

    // Act
    const keys = [templates.audit, templates.member, templates.federation].flatMap((template) =>
      Object.keys(template?.toJSON().Outputs ?? {}),
    );
    const named = [...`${deploy}\n${readme}`.matchAll(/(?:stack )?outputs? `([A-Z][A-Za-z]+)`/g)].map(
      (match) => match[1],
    );

    // Assess: `cdk deploy` prints, and describe-stacks answers, these keys; the docs name each.
    expect(keys).toEqual(
      expect.arrayContaining(['AuditFunctionName', 'SlackRequestUrl', 'FederationRoleArn']),
    );
    expect(keys.filter((key) => !deploy.includes(`\`${key}\``))).toEqual([]);
    expect(named.filter((key) => !keys.includes(key ?? ''))).toEqual([]);
  });

  it("names every environment variable a deployed Lambda gets in README.md's function table and docs/deploy.md", async () => {
    // Prepare: every Lambda (the three audits, snapshot, readiness, the chat functions).
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('| Function | Entry point | Environment |'));
    const { templates } = synthesize({
      ...OWN_KEYS_POLICY,
      dumps: OWN_DUMPS_POLICY.dumps,
      chatops: CHAT_POLICY.chatops,
    });

    // Act
    const variables = new Set(
      Object.values(templates.audit.findResources('AWS::Lambda::Function')).flatMap((fn) =>
        Object.keys(
          (fn as { Properties: { Environment?: { Variables?: object } } }).Properties.Environment
            ?.Variables ?? {},
        ),
      ),
    );

    // Assess
    expect(variables.size).toBeGreaterThan(6);
    expect(
      [...variables].filter((name) => !table.slice(0, table.indexOf('\n\n')).includes(`\`${name}`)),
    ).toEqual([]);
    expect([...variables].filter((name) => !deploy.includes(`\`${name}`))).toEqual([]);
  });

  it("gives every deployed Lambda a row of README.md's function table naming exactly the variables it gets", async () => {
    // Prepare: every Lambda (the three audits, snapshot, readiness, the chat functions).
    const readme = await readFile('README.md', 'utf8');
    const tableStart = readme.indexOf('| Function | Entry point | Environment |');
    const rows = readme
      .slice(tableStart, readme.indexOf('\n\n', tableStart))
      .split('\n')
      .slice(2)
      .map((line) => line.split(' | '));
    const { templates } = synthesize({
      ...OWN_KEYS_POLICY,
      dumps: OWN_DUMPS_POLICY.dumps,
      chatops: CHAT_POLICY.chatops,
    });
    const functions = Object.values(templates.audit.findResources('AWS::Lambda::Function')).map((fn) => {
      const { Description, Environment } = (
        fn as { Properties: { Description: string; Environment?: { Variables?: object } } }
      ).Properties;
      return {
        job: /^certctl-backup-guard ([a-z-]+):/.exec(Description)?.[1] ?? Description,
        variables: Object.keys(Environment?.Variables ?? {}),
      };
    });
    // A row names its Lambda by its handler file; the dumps and keys rows point at the audit-pitr one.
    const environmentOf = (job: string): string => {
      const handler = new RegExp(`(functions/handlers/aws/|\`)${job}\\.ts\``);
      const row = rows.find((cells) => handler.test(cells[1] ?? ''));
      const cell = row?.[2] ?? '';
      return cell.includes('the same as their `audit-pitr` twins') ? environmentOf('audit-pitr') : cell;
    };

    // Act: what each row leaves out, and what a row of one Lambda names that it does not get.
    const missing = functions.flatMap(({ job, variables }) =>
      variables.filter((name) => !environmentOf(job).includes(`\`${name}`)).map((name) => `${job}: ${name}`),
    );
    const extra = functions
      .filter(({ job }) => ['audit-pitr', 'snapshot', 'readiness'].includes(job))
      .flatMap(({ job, variables }) =>
        [...environmentOf(job).matchAll(/`(BACKUP_GUARD_[A-Z_]+|AWS_LAMBDA_EXEC_WRAPPER)/g)]
          .map((match) => match[1] ?? '')
          .filter((name) => !variables.includes(name))
          .map((name) => `${job}: ${name}`),
      );

    // Assess
    expect(functions.map(({ job }) => job)).toEqual(
      expect.arrayContaining(['snapshot', 'readiness', 'chat-action']),
    );
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  });

  it("gives every GCP Cloud Function the deploy script can deploy a row of README.md's function table", async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const tableStart = readme.indexOf('| Function | Entry point | Environment |');
    const entryCells = readme
      .slice(tableStart, readme.indexOf('\n\n', tableStart))
      .split('\n')
      .map((line) => line.split(' | ')[1] ?? '');

    // Act: an entry point no row's entry cell names.
    const missing = gcpPlan.GCP_FUNCTIONS.map(({ entryPoint }) => entryPoint).filter(
      (entryPoint) => !entryCells.some((cell) => cell.includes(`\`${entryPoint}\``)),
    );

    // Assess
    expect(gcpPlan.GCP_FUNCTIONS.length).toBeGreaterThan(4);
    expect(missing).toEqual([]);
  });

  it("names every variable of the GCP functions' env-vars file in docs/deploy.md's table of it", async () => {
    // Prepare: a deployment with chatops, which adds the chat topic to the one file.
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const tableStart = deploy.indexOf("The function's environment (the env-vars file the script writes):");
    const table = deploy.slice(tableStart, deploy.indexOf('\n\n', deploy.indexOf('| Variable', tableStart)));
    const lockfile = JSON.parse(await readFile('package-lock.json', 'utf8'));
    const steps = gcpPlan.planGcpDeployment({
      project: 'certctl-ops',
      region: 'europe-west1',
      policy: parsePolicy({ gcp: { projects: ['certctl-prod'] }, chatops: CHAT_POLICY.chatops }),
      deployedPackage: gcpPlan.deployedPackage(lockfile),
    });
    const envFile = steps.find(
      (step) => step.kind === 'write-file' && step.description.startsWith('environment of the functions'),
    );

    // Act
    const variables = Object.keys(
      parseYaml(envFile && 'content' in envFile ? String(envFile.content) : '{}'),
    );

    // Assess
    expect(variables.length).toBeGreaterThan(4);
    expect(variables.filter((name) => !table.includes(`| \`${name}\``))).toEqual([]);
  });

  it('names every CloudWatch metric the functions emit in the cost notes of docs/deploy.md', async () => {
    // Prepare: each metric name a function emits (Powertools addMetric, the chat functions' count):
    // PascalCase of two words or more, so a count of verdicts ('GO') is not one.
    const sources = await Promise.all(
      (await readdir('functions', { recursive: true }))
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFile(`functions/${file}`, 'utf8')),
    );
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const costNotes = deploy.slice(deploy.indexOf('## Cost notes'), deploy.indexOf('### Choosing'));

    // Act
    const metrics = new Set(
      sources.flatMap((source) =>
        [...source.matchAll(/\b(?:addMetric|count)\(([^)]*)\)/g)].flatMap((call) =>
          [...(call[1] ?? '').matchAll(/'([A-Z][a-z]+(?:[A-Z][a-z]+)+)'/g)].map((name) => name[1] ?? ''),
        ),
      ),
    );

    // Assess
    expect([...metrics]).toEqual(expect.arrayContaining(['AuditCompleted', 'ChatCommandsCompleted']));
    expect([...metrics].filter((name) => !costNotes.includes(`\`${name}\``))).toEqual([]);
  });

  it('names in the GCP tear-down of docs/deploy.md every function and service account it deletes', async () => {
    // Prepare
    const deploy = await readFile('docs/deploy.md', 'utf8');
    const section = deploy.slice(deploy.indexOf('### Tear down (GCP)'), deploy.indexOf('## ChatOps'));

    // Act: what --destroy deletes, from its plan.
    const steps = gcpPlan.planGcpTeardown({
      project: 'certctl-host',
      region: 'europe-west1',
      policy: parsePolicy({ gcp: { projects: ['certctl-prod'] } }),
    });
    const deleted = steps.flatMap((step) => {
      if (step.kind !== 'run') return [];
      const [, service, what, verb, name] = step.argv;
      if (service === 'functions' && what === 'delete') return [verb ?? ''];
      if (what === 'service-accounts' && verb === 'delete') return [(name ?? '').split('@')[0] ?? ''];
      return [];
    });

    // Assess
    expect(deleted).toEqual(expect.arrayContaining(['certctl-audit-keys', 'certctl-chat-action']));
    expect(deleted.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });

  it('lists exactly the registered checks, in catalog order, in the check table of README.md', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## The checks'), readme.indexOf('### Key material'));

    // Act
    const ids = [...section.matchAll(/^\| `([a-z]+\.[a-z-]+)` +\|/gm)].map((match) => match[1]);

    // Assess
    expect(ids).toEqual(allChecks.map((check) => check.metadata.id));
  });

  it('documents every check id in the catalog with its remediation link', () => {
    // Act
    const catalog = renderCheckCatalog(allChecks);

    // Assess
    for (const { metadata } of allChecks) {
      expect(catalog).toContain(`## \`${metadata.id}\``);
      expect(catalog).toContain(metadata.remediation.url);
    }
  });

  it('states the severity a finding of each status carries, as the findings carry it', () => {
    // Prepare: a WARNING of a HIGH check is a MEDIUM finding, which `--severity high` still reports.
    const catalog = renderCheckCatalog(allChecks);
    const rows = catalog
      .split('\n')
      .filter((line) => /^\| (CRITICAL|HIGH|MEDIUM|LOW|INFORMATIONAL) \|/.test(line));

    // Act
    const stated = rows.map((row) => row.split(' | ').map((cell) => cell.replace(/^\| | \|$/g, '')));

    // Assess
    const used = [...SEVERITIES]
      .reverse()
      .filter((level) => allChecks.some((check) => check.metadata.severity === level));
    expect(stated.map(([severity]) => severity)).toEqual(used);
    for (const [severity, ...bySTATUS] of stated) {
      const metadata = allChecks.find((check) => check.metadata.severity === severity)?.metadata;
      if (!metadata) throw new Error(`no check of severity ${severity}`);
      const statuses = ['FAILED', 'WARNING', 'NOT_AVAILABLE', 'PASSED'] as const;
      expect(bySTATUS).toEqual(statuses.map((status) => severityFor(metadata, status)));
    }
    expect(catalog).toContain("`--severity` selects checks by the check's severity");
  });

  it("documents each check's per-cloud remediation link, also for a cloud that has no text of its own", () => {
    // Prepare: the pitr checks give Cloud SQL its own docs page beside one remediation text.
    const catalog = renderCheckCatalog(allChecks);
    const section = (id: string) => catalog.slice(catalog.indexOf(`## \`${id}\``)).split('\n## ')[0] ?? '';

    // Act / Assess
    for (const { metadata } of allChecks) {
      for (const url of Object.values(metadata.remediation.urls ?? {})) {
        expect(section(metadata.id)).toContain(`(${url})`);
      }
    }
    expect(
      allChecks.some((check) => check.metadata.remediation.urls && !check.metadata.remediation.texts),
    ).toBe(true);
  });
});
