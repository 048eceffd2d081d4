/**
 * Every Cloud Function's grants in the GCP deployment plan against the API calls its bundle makes:
 * the modules each function's bundle keeps (test/infra/bundle-calls.ts), the Google API methods
 * each of those modules calls ({@link MODULE_CALLS}, each with the text in the module that shows
 * it), mapped to their IAM permissions, and the permissions the plan grants the function's own
 * service account (its custom roles' `--permissions` and the predefined roles it binds). Each
 * permission a function needs must be granted; each granted one must be needed, or be listed in
 * {@link NOT_CALLED} with the reason.
 *
 * Permissions: Cloud SQL "IAM permissions" (instances.list -> cloudsql.instances.list, operations.get
 * -> cloudsql.instances.get, backupRuns.insert -> cloudsql.backupRuns.create); Cloud Storage "IAM
 * permissions" (objects.list, objects.get, objects.insert -> storage.objects.create, buckets.get);
 * Secret Manager access control (secrets.get, versions.get, versions.access); Cloud KMS permissions
 * and roles (cryptoKeys.get, cryptoKeyVersions.get); Pub/Sub access control (topics.publish);
 * Resource Manager v1 projects.get -> resourcemanager.projects.get.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import {
  deployedPackage,
  GCP_AUDIT_FUNCTIONS,
  GCP_FUNCTIONS,
  type GcpStep,
  planGcpDeployment,
  SECRET_ACCESSOR_ROLE,
} from '../../infra/gcp/plan.ts';
import { bundledModules, callsOf } from './bundle-calls.ts';
import { FULL_POLICY, iamStatements, REPO_ROOT, synthesize } from './support.ts';

const PROJECT = 'certctl-ops';

/** The Google API calls of each module: the text that shows the call, and its permissions. */
const MODULE_CALLS: Readonly<Record<string, readonly { shows: RegExp; call: string; permission: string }[]>> =
  {
    'functions/gcp/cloud-sql.ts': [
      {
        shows: /api\.list\(\{ project, maxResults/,
        call: 'instances.list',
        permission: 'cloudsql.instances.list',
      },
      // The method has no permission of its own (infra/gcp/plan.ts CLOUD_SQL_READER_PERMISSIONS).
      {
        shows: /getLatestRecoveryTime\(\{ project, instance \}\)/,
        call: 'instances.getLatestRecoveryTime',
        permission: 'cloudsql.instances.get',
      },
      {
        shows: /backupWindow\(api\.backupRuns/,
        call: 'backupRuns.list',
        permission: 'cloudsql.backupRuns.list',
      },
    ],
    'functions/actions/snapshot/gcp.ts': [
      { shows: /listInstances\(/, call: 'instances.list', permission: 'cloudsql.instances.list' },
      {
        shows: /backupRuns\.list for instance/,
        call: 'backupRuns.list',
        permission: 'cloudsql.backupRuns.list',
      },
      {
        shows: /api\.get\(\{ project, instance: snapshot\.target/,
        call: 'backupRuns.get',
        permission: 'cloudsql.backupRuns.get',
      },
      { shows: /api\.insert\(\{/, call: 'backupRuns.insert', permission: 'cloudsql.backupRuns.create' },
      { shows: /api\.delete\(\{/, call: 'backupRuns.delete', permission: 'cloudsql.backupRuns.delete' },
      { shows: /api\.getOperation\(/, call: 'operations.get', permission: 'cloudsql.instances.get' },
      // The instance's state when an insert is refused, and its own key when a backup names none.
      {
        shows: /getInstance\(\{ project, instance/,
        call: 'instances.get',
        permission: 'cloudsql.instances.get',
      },
    ],
    'functions/gcp/gcs-dumps.ts': [
      { shows: /bucket\.getFiles\(/, call: 'objects.list', permission: 'storage.objects.list' },
      { shows: /file\.download\(/, call: 'objects.get', permission: 'storage.objects.get' },
      { shows: /bucket\.getMetadata\(/, call: 'buckets.get', permission: 'storage.buckets.get' },
    ],
    'functions/gcp/cloud-kms.ts': [
      {
        shows: /'cryptoKeyVersions\.get'/,
        call: 'cryptoKeyVersions.get',
        permission: 'cloudkms.cryptoKeyVersions.get',
      },
      { shows: /'cryptoKeys\.get'/, call: 'cryptoKeys.get', permission: 'cloudkms.cryptoKeys.get' },
    ],
    'functions/gcp/secret-manager.ts': [
      {
        shows: /getResource\(\.\.\.this\.#call\(name\)\)/,
        call: 'secrets.get',
        permission: 'secretmanager.secrets.get',
      },
      { shows: /\/versions\/latest`\)/, call: 'versions.get', permission: 'secretmanager.versions.get' },
      {
        shows: /\/versions\/latest:access/,
        call: 'versions.access',
        permission: 'secretmanager.versions.access',
      },
    ],
    'functions/gcp/resource-manager.ts': [
      {
        shows: /\/v1\/projects\/\$\{encodeURIComponent\(projectId\)\}/,
        call: 'projects.get',
        permission: 'resourcemanager.projects.get',
      },
    ],
    'functions/gcp/chat-records.ts': [
      { shows: /alt=media/, call: 'objects.get', permission: 'storage.objects.get' },
      { shows: /\/upload\/storage\/v1\/b\//, call: 'objects.insert', permission: 'storage.objects.create' },
      { shows: /method: 'DELETE'/, call: 'objects.delete', permission: 'storage.objects.delete' },
    ],
    // The run records (functions/gcp/run-records-bucket.ts): a write replaces the record of the same
    // backup, and Cloud Storage authorizes overwriting an object as create and delete.
    'functions/gcp/run-records-bucket.ts': [
      { shows: /alt=media/, call: 'objects.get', permission: 'storage.objects.get' },
      {
        shows: /\/upload\/storage\/v1\/b\//,
        call: 'objects.insert',
        permission: 'storage.objects.create',
      },
      {
        shows: /\/upload\/storage\/v1\/b\//,
        call: 'objects.insert (replacing)',
        permission: 'storage.objects.delete',
      },
    ],
    'functions/gcp/chat-dispatch.ts': [
      { shows: /:publish`/, call: 'topics.publish', permission: 'pubsub.topics.publish' },
    ],
    // The Slack signing secret reaches chat-slack as an environment variable (`--set-secrets`): the
    // runtime reads the version as the function's account when an instance starts.
    'functions/gcp/chat-environment.ts': [
      {
        shows: /SLACK_SIGNING_SECRET/,
        call: 'versions.access (--set-secrets)',
        permission: 'secretmanager.versions.access',
      },
    ],
  };

/** Predefined roles the plan binds, with the permissions of them the functions use. */
const PREDEFINED_ROLES: Readonly<Record<string, readonly string[]>> = {
  [SECRET_ACCESSOR_ROLE]: ['secretmanager.versions.access'],
  'roles/pubsub.publisher': ['pubsub.topics.publish'],
};

const PRUNED_BY_THE_CLI =
  'pruning is only the CLI command `backup-guard prune --apply` (functions/jobs/prune.ts), with the operator credentials';
/** Calls a function's bundle holds that it never makes, by function, with the reason. */
const NOT_CALLED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  snapshot: {
    'backupRuns.delete': PRUNED_BY_THE_CLI,
  },
  'chat-action': {
    'topics.publish':
      'chat-action only decodes the message Eventarc pushes (workOfPubsubEvent); publishing commands is chat-slack (pubsubDispatcher)',
    'backupRuns.delete': PRUNED_BY_THE_CLI,
  },
};

/** Every GCP function deployed: PITR, dumps in Cloud Storage, inventory secrets with values, chat. */
const POLICY = parsePolicy({
  gcp: FULL_POLICY.gcp,
  securityHub: { enabled: true, centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
  chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
  dumps: {
    locations: [{ provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' }],
  },
  keys: {
    preset: 'none',
    inspectSecretValues: true,
    items: { 'ca-key': { kind: 'private-key', secret: 'projects/certctl-prod-1/secrets/ca-key' } },
  },
});

/**
 * AWS calls the audit Cloud Functions' bundles hold but never send: they audit GCP only, so the
 * AWS planner (functions/aws/planner.ts) and the member-role credentials (functions/aws/clients.ts)
 * never run; AssumeRoleWithWebIdentity is allowed by the federation role's trust policy.
 */
const AWS_NOT_SENT_FROM_GCP = new Set([
  'client-sts:AssumeRole',
  'client-sts:GetCallerIdentity',
  'client-account:ListRegions',
  'client-sts:AssumeRoleWithWebIdentity',
]);
/** The IAM actions of the AWS calls the audit Cloud Functions send (Security Hub publishing). */
const AWS_ACTIONS: Readonly<Record<string, string>> = {
  'client-securityhub:BatchImportFindings': 'securityhub:BatchImportFindings',
  'client-securityhub:GetFindings': 'securityhub:GetFindings',
};

let modules: Map<string, string[]>;
let steps: GcpStep[];

beforeAll(async () => {
  modules = await bundledModules(GCP_FUNCTIONS.map((fn) => join(REPO_ROOT, fn.handlerPath)));
  const lockfile = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as unknown;
  steps = planGcpDeployment({
    project: PROJECT,
    region: 'europe-west1',
    policy: POLICY,
    deployedPackage: deployedPackage(lockfile),
  });
}, 120_000);

/** The argv of every command a step runs. */
const argvOf = (step: GcpStep): string[][] =>
  step.kind === 'run' ? [[...step.argv]] : step.kind === 'ensure' ? [[...step.create]] : [];

/** The permissions the plan grants `email`: the custom roles and predefined roles bound to it. */
function grantedTo(email: string): Set<string> {
  const commands = steps.flatMap(argvOf);
  const flag = (argv: readonly string[], name: string) =>
    argv.find((argument) => argument.startsWith(`--${name}=`))?.slice(name.length + 3);
  const customRoles = new Map<string, string[]>();
  for (const argv of commands) {
    if (argv.slice(0, 4).join(' ') !== 'gcloud iam roles create') continue;
    const permissions = flag(argv, 'permissions')?.split(',') ?? [];
    customRoles.set(`projects/${flag(argv, 'project')}/roles/${argv[4]}`, permissions);
  }
  const granted = new Set<string>();
  for (const argv of commands) {
    if (!argv.includes('add-iam-policy-binding') || flag(argv, 'member') !== `serviceAccount:${email}`)
      continue;
    const role = flag(argv, 'role') ?? '';
    const permissions = customRoles.get(role) ?? PREDEFINED_ROLES[role];
    if (!permissions)
      throw new Error(`${email} is bound to ${role}: add its permissions to PREDEFINED_ROLES`);
    for (const permission of permissions) granted.add(permission);
  }
  return granted;
}

const accountOf = (job: string) =>
  `${job === 'audit-pitr' ? 'certctl-audit-pitr' : `certctl-${job}`}@${PROJECT}.iam.gserviceaccount.com`;

/**
 * The roles the plan binds to `email`, as docs/deploy.md names them: a custom role by its id
 * (`certctlBackupGuardDumpReader`), a predefined one by its name (`roles/pubsub.publisher`).
 */
function rolesBoundTo(email: string): Set<string> {
  const roles = new Set<string>();
  for (const argv of steps.flatMap(argvOf)) {
    const member = argv.find((argument) => argument.startsWith('--member='));
    const role = argv.find((argument) => argument.startsWith('--role='))?.slice('--role='.length);
    if (!argv.includes('add-iam-policy-binding') || member !== `--member=serviceAccount:${email}` || !role)
      continue;
    roles.add(role.startsWith('roles/') ? role : (role.split('/').pop() ?? role));
  }
  return roles;
}

/** The permissions the calls of `job`'s bundle need, by permission, with the calls. */
function neededBy(job: string, handlerPath: string): Map<string, string[]> {
  const needed = new Map<string, string[]>();
  for (const module of modules.get(join(REPO_ROOT, handlerPath)) ?? []) {
    const calls = MODULE_CALLS[module] ?? [];
    const source = calls.length > 0 ? readFileSync(join(REPO_ROOT, module), 'utf8') : '';
    for (const { shows, call, permission } of calls) {
      if (!shows.test(source))
        throw new Error(`${module} no longer shows ${call} (${shows}): update MODULE_CALLS`);
      if (NOT_CALLED[job]?.[call]) continue;
      needed.set(permission, [...(needed.get(permission) ?? []), `${call} (${module})`]);
    }
  }
  return needed;
}

describe('GCP plan grants match the calls each Cloud Function makes', () => {
  it('deploys every function of the plan for this policy, each bundle calling some API', () => {
    // Act
    const deployed = GCP_FUNCTIONS.filter((fn) => fn.configured(POLICY)).map((fn) => fn.job);
    const silent = GCP_FUNCTIONS.filter((fn) => neededBy(fn.job, fn.handlerPath).size === 0).map(
      (fn) => fn.job,
    );

    // Assess
    expect(deployed).toEqual(GCP_FUNCTIONS.map((fn) => fn.job));
    expect(silent).toEqual([]);
  });

  it('grants each function account every permission its calls need', () => {
    // Act
    const missing = GCP_FUNCTIONS.flatMap((fn) => {
      const granted = grantedTo(accountOf(fn.job));
      return [...neededBy(fn.job, fn.handlerPath)]
        .filter(([permission]) => !granted.has(permission))
        .map(([permission, calls]) => `${fn.job}: ${permission} for ${calls.join(', ')}`);
    });

    // Assess
    expect(missing).toEqual([]);
  });

  it('grants each function account no permission its calls do not need', () => {
    // Act
    const extra = GCP_FUNCTIONS.flatMap((fn) => {
      const needed = neededBy(fn.job, fn.handlerPath);
      return [...grantedTo(accountOf(fn.job))]
        .filter((permission) => !needed.has(permission))
        .map((permission) => `${fn.job}: ${permission}`);
    });

    // Assess
    expect(extra).toEqual([]);
  });

  it("names in docs/deploy.md every role the plan binds to each function's account", () => {
    // Prepare: where docs/deploy.md says what each account may do: the role table's row, the GCP
    // chat accounts' table, and the snapshot function's paragraph.
    const deploy = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const row = (start: string) => deploy.split('\n').find((line) => line.startsWith(start)) ?? '';
    const said: Record<string, string> = {
      'audit-pitr': row('| GCP `certctl-audit-pitr` '),
      'audit-dumps': row('| GCP `certctl-audit-dumps` '),
      'audit-keys': row('| GCP `certctl-audit-keys` '),
      'chat-slack': row('| `certctl-chat-slack` |'),
      'chat-action': row('| `certctl-chat-action` |'),
      snapshot: /^It runs as its own account, `certctl-snapshot`,[\s\S]*?\n\n/m.exec(deploy)?.[0] ?? '',
    };

    // Act
    const unnamed = GCP_FUNCTIONS.flatMap((fn) =>
      [...rolesBoundTo(accountOf(fn.job))]
        .filter((role) => !(said[fn.job] ?? '').includes(`\`${role}\``))
        .map((role) => `${fn.job}: ${role}`),
    );

    // Assess
    expect(GCP_FUNCTIONS.filter((fn) => !said[fn.job]).map((fn) => fn.job)).toEqual([]);
    expect(unnamed).toEqual([]);
  });

  it('grants the federation role exactly the AWS actions the audit Cloud Functions send', () => {
    // Prepare
    const { stacks, templates } = synthesize(FULL_POLICY);
    const granted = new Set(
      templates.federation && stacks.federation
        ? iamStatements(stacks.federation, templates.federation).flatMap((s) => s.Action)
        : [],
    );

    // Act
    const calls = GCP_AUDIT_FUNCTIONS.flatMap((fn) =>
      (modules.get(join(REPO_ROOT, fn.handlerPath)) ?? []).flatMap(callsOf),
    )
      .map(({ client, operation }) => `${client}:${operation}`)
      .filter((call) => !AWS_NOT_SENT_FROM_GCP.has(call));
    const sent = new Set(calls.map((call) => AWS_ACTIONS[call] ?? `unmapped ${call}`));

    // Assess
    expect([...sent].sort()).toEqual([...granted].sort());
  });
});
