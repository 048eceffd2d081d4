/**
 * The policy: one zod schema, parsed the same way by the CDK app, the Lambda handlers, the Cloud
 * Functions and the CLI. Every bad field is reported with its exact path.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { inputIssues, PolicyError } from './errors.ts';

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

const region = z.string().regex(AWS_REGION, 'must be an AWS region name such as eu-west-1');

const tagSelector = z.strictObject({
  key: z.string().min(1).max(128),
  value: z.string().max(256),
});

/** The tag that marks a database as one certctl depends on, unless the policy says otherwise. */
export const DEFAULT_TARGET_TAG = { key: 'certctl:backup-guard', value: 'enabled' } as const;

export const policySchema = z
  .strictObject({
    minPitrDays: z
      .int()
      .min(1)
      .max(35)
      .default(30)
      .describe('Days of point-in-time recovery every target must keep (RDS and Aurora allow at most 35).'),
    maxRestoreLagMinutes: z
      .int()
      .min(5)
      .max(24 * 60)
      .default(15)
      .describe('How far the latest restorable time may trail now before PITR counts as stalled.'),
    dumpCadenceHours: z
      .number()
      .positive()
      .max(24 * 31)
      .default(24)
      .describe('Expected pg_dump cadence; a newer dump must exist within cadence + grace.'),
    dumpGraceHours: z
      .number()
      .min(0)
      .max(24 * 7)
      .default(6)
      .describe('Grace added to the dump cadence.'),
    requireCrossRegionBackup: z
      .boolean()
      .default(false)
      .describe('Judge `pitr.cross-region` (automated backups replicated to another region).'),
    inspectSecretValues: z
      .boolean()
      .default(false)
      .describe('Read secret values to check PEM content (needs GetSecretValue); values never leave memory.'),
    snapshots: z
      .strictObject({
        retentionDays: z
          .int()
          .min(1)
          .max(3650)
          .default(14)
          .describe('Pre-maintenance snapshots expire (and may be pruned) after this many days.'),
        readinessMaxAgeHours: z
          .number()
          .positive()
          .max(24 * 7)
          .default(24)
          .describe('Readiness needs a successful pre-maintenance snapshot younger than this.'),
        waitTimeoutMinutes: z
          .int()
          .min(1)
          .max(24 * 60)
          .default(60)
          .describe('How long a snapshot request waits for `available` before it reports a timeout.'),
      })
      .prefault({}),
    targets: z
      .strictObject({
        tags: z
          .array(tagSelector)
          .default([{ ...DEFAULT_TARGET_TAG }])
          .describe('A database carrying any of these tags (key and value equal) is a target.'),
        identifiers: z
          .array(z.string().min(1).max(2048))
          .default([])
          .describe('Targets named by DB identifier, cluster identifier, Cloud SQL instance name, or ARN.'),
        all: z.boolean().default(false).describe('Every PostgreSQL database is a target.'),
      })
      .prefault({}),
    aws: z
      .strictObject({
        regions: z
          .union([z.literal('all'), z.array(region).min(1)])
          .default('all')
          .describe('Regions to audit: a list, or `all` for every region enabled in the account.'),
        accounts: z
          .array(
            z.strictObject({
              accountId: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'),
              roleArn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN'),
            }),
          )
          .default([])
          .describe("Member accounts read through a read-only role; empty means the caller's own account."),
        maxAttempts: z
          .int()
          .min(1)
          .max(20)
          .default(8)
          .describe('Attempts per API call (adaptive retry); throttling is retried with backoff.'),
        regionConcurrency: z
          .int()
          .min(1)
          .max(64)
          .default(32)
          .describe('Regions audited at once per account.'),
      })
      .prefault({}),
    gcp: z
      .strictObject({
        projects: z
          .array(z.string().regex(GCP_PROJECT, 'must be a GCP project id'))
          .default([])
          .describe('GCP projects whose Cloud SQL instances are audited.'),
        federation: z
          .strictObject({
            roleArn: z
              .string()
              .regex(ROLE_ARN, 'must be an IAM role ARN')
              .describe('The AWS role the Cloud Function assumes with its Google ID token.'),
            audience: z
              .string()
              .min(1)
              .max(512)
              .describe('The audience requested for the ID token; pinned as `accounts.google.com:oaud`.'),
            serviceAccountUniqueId: z
              .string()
              .regex(/^\d{10,30}$/, 'must be the numeric uniqueId')
              .describe("The service account's numeric unique id; pinned as `:aud` and `:sub`."),
          })
          .optional()
          .describe('Keyless publishing from GCP to AWS (AssumeRoleWithWebIdentity).'),
      })
      .prefault({}),
    securityHub: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe('Publish findings to Security Hub after each scheduled audit.'),
        refreshDays: z
          .int()
          .min(1)
          .max(89)
          .default(7)
          .describe('Re-import an unchanged finding after this many days (Security Hub drops it after 90).'),
        centralAccountId: z
          .string()
          .regex(ACCOUNT_ID, 'must be a 12-digit AWS account id')
          .optional()
          .describe(
            "Where GCP findings are imported (Security Hub only accepts findings for the caller's account).",
          ),
        centralRegion: region
          .optional()
          .describe('Region of the central account where GCP findings are imported.'),
      })
      .prefault({}),
    schedules: z
      .strictObject({
        auditPitr: z
          .string()
          .min(1)
          .default('rate(1 hour)')
          .describe('EventBridge Scheduler / Cloud Scheduler expression for the PITR audit.'),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        emails: z.array(z.email()).default([]).describe('E-mail subscribers of the alarm topic.'),
      })
      .prefault({}),
  })
  .superRefine((policy, context) => {
    // GCP findings can only land in one AWS account and region (Security Hub accepts findings for
    // the caller's own account only): name them wherever GCP findings may be published.
    const publishesGcp =
      policy.gcp.federation !== undefined || (policy.securityHub.enabled && policy.gcp.projects.length > 0);
    if (!publishesGcp) return;
    const why = policy.gcp.federation
      ? 'is required when gcp.federation is set (the Cloud Function publishes there)'
      : 'is required when Security Hub publishing is on and gcp.projects is not empty (GCP findings are imported there)';
    if (policy.securityHub.centralAccountId === undefined) {
      context.addIssue({ code: 'custom', path: ['securityHub', 'centralAccountId'], message: why });
    }
    if (policy.securityHub.centralRegion === undefined) {
      context.addIssue({ code: 'custom', path: ['securityHub', 'centralRegion'], message: why });
    }
  });

/** The policy after defaults are applied. */
export type Policy = z.infer<typeof policySchema>;
/** The policy as a user writes it (every field optional where a default exists). */
export type PolicyInput = z.input<typeof policySchema>;

/** Environment variable that carries the policy as JSON (Lambda, Cloud Functions). */
export const POLICY_ENV = 'BACKUP_GUARD_POLICY';

/** Parse a policy object, failing with every bad field and its path. `source` names where it came from. */
export function parsePolicy(input: unknown, source = 'policy'): Policy {
  const result = policySchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = inputIssues(result.error.issues);
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  throw new PolicyError(`${source} is invalid:\n${lines.join('\n')}`, issues);
}

/** Load a policy file (JSON, or YAML by `.yaml`/`.yml` extension). */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PolicyError(`cannot read policy file ${path}: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new PolicyError(
      `policy file ${path} is not valid ${extname(path) || 'JSON'}: ${(error as Error).message}`,
      [],
      {
        cause: error,
      },
    );
  }
  return parsePolicy(raw, `policy file ${path}`);
}

/** Load the policy from the environment (`BACKUP_GUARD_POLICY`, JSON); absent means all defaults. */
export function loadPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): Policy {
  const text = env[POLICY_ENV];
  if (text === undefined || text.trim() === '') return parsePolicy({}, `${POLICY_ENV}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(`${POLICY_ENV} is not valid JSON: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  return parsePolicy(raw, POLICY_ENV);
}
