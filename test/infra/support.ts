/**
 * Shared by the infra tests: synthesize the app for a policy with bundling skipped (no esbuild run,
 * no Docker), using the same feature flags as cdk.json so the templates are the ones `cdk synth`
 * produces, and collect IAM statements across stacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type BackupGuardStacks, buildBackupGuardApp } from '../../infra/backup-guard-app.ts';
import { POLICY_CONTEXT_KEY, readPolicyContext } from '../../infra/policy-context.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface CdkJson {
  readonly app: string;
  readonly context: Record<string, unknown>;
}

/** cdk.json as committed. */
export function readCdkJson(): CdkJson {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as CdkJson;
}

/** The feature flags from cdk.json, without the policy, plus "bundle no stack". */
export function testContext(): Record<string, unknown> {
  const { [POLICY_CONTEXT_KEY]: _policy, ...flags } = readCdkJson().context;
  return { ...flags, 'aws:cdk:bundling-stacks': [] };
}

/** A policy that exercises every optional path: member accounts, explicit regions, federation, e-mails. */
export const FULL_POLICY = {
  pitr: { minPitrDays: 30 },
  aws: {
    regions: ['eu-west-1', 'us-east-1'],
    accounts: [
      {
        accountId: '222222222222',
        roleArn: 'arn:aws:iam::222222222222:role/certctl-backup-guard-audit-member',
      },
      {
        accountId: '333333333333',
        roleArn: 'arn:aws:iam::333333333333:role/certctl-backup-guard-audit-member',
      },
    ],
  },
  gcp: {
    projects: ['certctl-prod-1'],
    federation: {
      roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
      audience: 'certctl-backup-guard-audit',
      serviceAccountUniqueId: '109876543210987654321',
    },
  },
  securityHub: { enabled: true, centralAccountId: '111111111111', centralRegion: 'eu-central-1' },
  schedules: { auditPitr: 'rate(30 minutes)' },
  alarms: { emails: ['oncall@example.com', 'pki-team@example.com'] },
} as const;

/** S3 dump locations in the caller's own account: two prefixes of one bucket, and a whole bucket elsewhere. */
export const OWN_DUMPS_POLICY = {
  aws: { regions: ['eu-west-1'] },
  securityHub: { enabled: true },
  schedules: { auditDumps: 'rate(12 hours)' },
  dumps: {
    locations: [
      {
        provider: 'aws',
        bucket: 'certctl-dumps',
        prefix: 'prod/',
        account: '111111111111',
        region: 'eu-west-1',
      },
      {
        provider: 'aws',
        bucket: 'certctl-dumps',
        prefix: 'staging/',
        account: '111111111111',
        region: 'eu-west-1',
      },
      {
        provider: 'aws',
        bucket: 'certctl-dumps-dr',
        prefix: '',
        account: '111111111111',
        region: 'us-east-2',
      },
    ],
  },
} as const;

/** The full policy with the dump bucket in a member account. */
export const MEMBER_DUMPS_POLICY = {
  ...FULL_POLICY,
  dumps: {
    locations: [
      {
        provider: 'aws',
        bucket: 'certctl-dumps',
        prefix: 'prod/',
        account: '222222222222',
        region: 'eu-west-1',
      },
    ],
  },
} as const;

/** Key-material secrets in the caller's own account (two regions, one named without its ARN), values inspected. */
export const OWN_KEYS_POLICY = {
  aws: { regions: ['eu-west-1'] },
  securityHub: { enabled: true },
  schedules: { auditKeys: 'rate(12 hours)' },
  keys: {
    preset: 'none',
    inspectSecretValues: true,
    items: {
      'ca-cert': {
        kind: 'certificate',
        secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca',
        jsonKey: 'cert',
      },
      'ca-key': {
        kind: 'private-key',
        secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca',
        jsonKey: 'key',
      },
      'config-key': {
        kind: 'opaque',
        secret: 'certctl/config-key',
        region: 'us-east-2',
        account: '111111111111',
      },
    },
  },
} as const;

/** The full policy with one inventory secret in a member account, metadata only. */
export const MEMBER_KEYS_POLICY = {
  ...FULL_POLICY,
  keys: {
    preset: 'none',
    items: {
      'ca-cert': {
        kind: 'certificate',
        secret: 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:certctl/ca-AbC123',
      },
    },
  },
} as const;

/** The full policy with member-held dumps and ChatOps: a Slack workspace, a channel, operators for snapshots. */
export const CHAT_POLICY = {
  ...MEMBER_DUMPS_POLICY,
  chatops: {
    slack: { teams: ['T0CERTCTL'], channels: ['C0PKIOPS'] },
    permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
  },
} as const;

export interface Synthesized {
  readonly app: App;
  readonly stacks: BackupGuardStacks;
  readonly templates: { readonly audit: Template; readonly member: Template; readonly federation?: Template };
}

/** Build and synthesize the app for a policy as written in cdk.json. */
export function synthesize(policyInput: unknown): Synthesized {
  const app = new App({ context: testContext() });
  const stacks = buildBackupGuardApp(app, { policy: readPolicyContext(policyInput) });
  const templates = {
    audit: Template.fromStack(stacks.audit),
    member: Template.fromStack(stacks.member),
    ...(stacks.federation ? { federation: Template.fromStack(stacks.federation) } : {}),
  };
  return { app, stacks, templates };
}

/** One IAM statement, normalized (Action and Resource always arrays). */
export interface IamStatement {
  readonly stack: string;
  readonly resource: string;
  readonly Effect: string;
  readonly Action: readonly string[];
  readonly Resource: readonly unknown[];
  readonly Sid?: string;
  readonly Condition?: unknown;
}

function asArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value as T];
}

interface RawStatement {
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
  Sid?: string;
  Condition?: unknown;
}

/** Every permission statement in IAM policies and role inline policies of `stack`. */
export function iamStatements(stack: Stack, template: Template): IamStatement[] {
  const statements: IamStatement[] = [];
  const push = (resource: string, raw: RawStatement[]) => {
    for (const statement of raw) {
      statements.push({
        stack: stack.stackName,
        resource,
        Effect: statement.Effect,
        Action: asArray(statement.Action),
        Resource: asArray(statement.Resource as unknown[] | undefined),
        ...(statement.Sid ? { Sid: statement.Sid } : {}),
        ...(statement.Condition ? { Condition: statement.Condition } : {}),
      });
    }
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) {
      const document = (resource as { Properties: { PolicyDocument: { Statement: RawStatement[] } } })
        .Properties;
      push(id, document.PolicyDocument.Statement);
    }
  }
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    const inline = (
      resource as { Properties: { Policies?: { PolicyDocument: { Statement: RawStatement[] } }[] } }
    ).Properties.Policies;
    for (const policy of inline ?? []) push(id, policy.PolicyDocument.Statement);
  }
  return statements;
}

/** The statements of the role named `roleName` in the audit stack (its inline and overflow policies). */
export function roleStatements(synthesized: Synthesized, roleName: string): IamStatement[] {
  const template = synthesized.templates.audit;
  const [roleId] = Object.entries(template.findResources('AWS::IAM::Role')).find(
    ([, role]) => (role as { Properties: { RoleName?: string } }).Properties.RoleName === roleName,
  ) ?? [undefined];
  // CDK moves statements past the inline size limit into an overflow managed policy.
  const policies = Object.entries({
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  })
    .filter(([, policy]) =>
      JSON.stringify((policy as { Properties: { Roles?: unknown } }).Properties.Roles ?? []).includes(
        `"${roleId}"`,
      ),
    )
    .map(([id]) => id);
  return iamStatements(synthesized.stacks.audit, template).filter((s) => policies.includes(s.resource));
}

/** The role's trust policy statements. */
export function trustStatements(template: Template, logicalIdPrefix: string): RawStatement[] {
  const roles = template.findResources('AWS::IAM::Role');
  const entry = Object.entries(roles).find(([id]) => id.startsWith(logicalIdPrefix));
  if (!entry) throw new Error(`no role ${logicalIdPrefix}* in the template`);
  return (entry[1] as { Properties: { AssumeRolePolicyDocument: { Statement: RawStatement[] } } }).Properties
    .AssumeRolePolicyDocument.Statement;
}

/** CloudFormation `Fn::Join` flattened to a string with `<Ref>` placeholders (cdk-nag's notation), for readable asserts. */
export function flatten(value: unknown): unknown {
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => (typeof part === 'string' ? part : `<${refName(part)}>`)).join(separator);
    }
  }
  return value;
}

function refName(part: unknown): string {
  const record = part as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref;
  if (Array.isArray(record['Fn::GetAtt'])) return (record['Fn::GetAtt'] as string[]).join('.');
  return JSON.stringify(part);
}

/**
 * The bundled asset directory (`<outdir>/asset.<hash>`) of the function whose logical id starts
 * with `logicalIdPrefix` (`AuditPitr`, `Snapshots`), from its `Code.S3Key` (`<hash>.zip`).
 */
export function functionAssetDir(outdir: string, template: Template, logicalIdPrefix: string): string {
  const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    id.startsWith(logicalIdPrefix),
  );
  const [only, ...more] = functions;
  if (!only || more.length > 0)
    throw new Error(`expected one function ${logicalIdPrefix}*, found ${functions.length}`);
  const key = (only[1] as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

/** The schedule expressions of the audit jobs (the snapshot job has its own, from snapshots.maintenanceSchedule). */
export function auditScheduleExpressions(synthesized: Synthesized): string[] {
  return Object.entries(synthesized.templates.audit.findResources('AWS::Scheduler::Schedule'))
    .filter(([id]) => id.startsWith('Audit'))
    .map(
      ([, schedule]) =>
        (schedule as { Properties: { ScheduleExpression: string } }).Properties.ScheduleExpression,
    )
    .sort();
}
