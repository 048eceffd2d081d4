/**
 * The policy: one zod schema, parsed the same way by the CDK app, the Lambda handlers, the Cloud
 * Functions and the CLI. Every bad field is reported with its exact path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { awsAccountIdField, awsRegionField } from './aws-region.ts';
import { chatopsPolicySchema } from './chatops-policy.ts';
import { dumpsPolicySchema } from './dumps-policy.ts';
import { type InputIssue, inputIssues, PolicyError } from './errors.ts';
import { exceptionHorizonIssues, exceptionsPolicySchema } from './exceptions-policy.ts';
import { GCP_PROJECT } from './gcp-project.ts';
import { identifierProblem } from './invisible.ts';
import { inventoryOf, type KeysPolicy, keysPolicySchema } from './keys-policy.ts';
import { parseAuditSchedule } from './schedule.ts';
import { didYouMeanFields, fieldsAt, formsTaking } from './schema-fields.ts';
import { snapshotsPolicySchema, waiverHorizonIssues } from './snapshots-policy.ts';
import * as z from './zod.ts';

/** A Google service account's numeric uniqueId. */
const UNIQUE_ID = /^\d{10,30}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ROLE_ARN_ACCOUNT = /^arn:[^:]+:iam::(\d{12}):role\//;

const region = awsRegionField;

const tagSelector = z.strictObject({
  key: z.described(
    z.string().check(z.minLength(1), z.maxLength(128)),
    'The tag key (`certctl:backup-guard`); on Cloud SQL read as a label key, as `targets.tags` says.',
  ),
  value: z.described(z.string().check(z.maxLength(256)), 'The value the tag must have (`enabled`).'),
});

/** The tag that marks a database as one certctl depends on, unless the policy says otherwise. */
export const DEFAULT_TARGET_TAG = { key: 'certctl:backup-guard', value: 'enabled' } as const;

/** The PITR audit's section: what every managed-Postgres target must keep. */
const pitrSection = z.strictObject({
  minPitrDays: z.described(
    z._default(z.int().check(z.gte(1), z.lte(35)), 30),
    'Days of point-in-time recovery every target must keep (RDS and Aurora allow at most 35).',
  ),
  maxRestoreLagMinutes: z.described(
    z._default(z.int().check(z.gte(5), z.lte(24 * 60)), 15),
    'How far the latest restorable time may trail now before PITR counts as stalled.',
  ),
  requireCrossRegionBackup: z.described(
    z._default(z.boolean(), false),
    'Judge `pitr.cross-region` (automated backups replicated to another region, each replica read in its destination region, so the audit role may list automated backups in every region).',
  ),
});

/**
 * Fields that moved into a section, with where they live now. A policy written for an earlier
 * version gets one line naming the new place instead of "unrecognized key".
 */
export const MOVED_POLICY_FIELDS: Readonly<Record<string, string>> = {
  minPitrDays: 'pitr.minPitrDays',
  maxRestoreLagMinutes: 'pitr.maxRestoreLagMinutes',
  requireCrossRegionBackup: 'pitr.requireCrossRegionBackup',
};

/**
 * A database the policy names. Identifiers, instance names, ARNs and selfLinks hold no blank and no
 * invisible character, so one pasted with either would match nothing, and the report's "not
 * found: certctl-db" would read as if the database were missing: refused here, naming the place.
 */
const targetIdentifier = z.string().check(
  z.minLength(1),
  z.maxLength(2048),
  z.superRefine((identifier, context) => {
    const problem = identifierProblem(identifier);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: identifier });
  }),
);

export const policySchema = z
  .strictObject({
    pitr: z.described(z.prefault(pitrSection, {}), 'The PITR audit (RDS, Aurora, Cloud SQL).'),
    dumps: z.described(
      z.prefault(dumpsPolicySchema, {}),
      'The pg_dump audit (dump series in S3 and Cloud Storage).',
    ),
    keys: z.described(
      z.optional(keysPolicySchema),
      'The key-material audit (Secrets Manager, Secret Manager); absent: no key material is audited.',
    ),
    snapshots: z.described(
      z.prefault(snapshotsPolicySchema, {}),
      'Pre-maintenance snapshots, pruning and readiness.',
    ),
    exceptions: exceptionsPolicySchema,
    chatops: z.described(
      z.prefault(chatopsPolicySchema, {}),
      'Who may run the chat commands (Slack slash command, Amazon Q Developer in chat, the GCP chat function), and from where.',
    ),
    targets: z.prefault(
      z.strictObject({
        tags: z.described(
          z._default(z.array(tagSelector), [{ ...DEFAULT_TARGET_TAG }]),
          "A database carrying any of these tags (key and value equal) is a target. An Aurora or Multi-AZ DB cluster is selected by its own tags, an RDS source by its own, never by its members' or replicas' (a member or replica carrying one of these tags under an untagged cluster or source is reported as a coverage problem naming what to tag, and not audited); a Cloud SQL instance by its labels, where a tag reads lowercase with every other character than letters, digits, `_` and `-` as `-` (`certctl-backup-guard: enabled`).",
        ),
        identifiers: z.described(
          z._default(z.array(targetIdentifier), []),
          'Targets named by DB identifier, cluster identifier, Cloud SQL instance name, or ARN. A read replica or Aurora member named here selects its source or cluster, where it is judged, and the report says so.',
        ),
        all: z.described(z._default(z.boolean(), false), 'Every PostgreSQL database is a target.'),
      }),
      {},
    ),
    aws: z.prefault(
      z.strictObject({
        regions: z.described(
          z._default(z.union([z.literal('all'), z.array(region).check(z.minLength(1))]), 'all'),
          'Regions to audit: a list, or `all` for every region enabled in the account.',
        ),
        accounts: z.described(
          z._default(
            z.array(
              z.strictObject({
                accountId: z.described(
                  awsAccountIdField,
                  'The member account id, in quotes (`"222222222222"`).',
                ),
                roleArn: z.described(
                  z.string().check(z.regex(ROLE_ARN, 'must be an IAM role ARN')),
                  "The read-only role the audit assumes in that account (the CertctlBackupGuardMember stack's); a deployment needs every member role to have one name.",
                ),
              }),
            ),
            [],
          ),
          "Member accounts read through a read-only role; empty means the caller's own account.",
        ),
        maxAttempts: z.described(
          z._default(z.int().check(z.gte(1), z.lte(20)), 8),
          'Attempts per API call (adaptive retry); throttling is retried with backoff.',
        ),
        organizationId: z.described(
          z.optional(
            z
              .string()
              .check(z.regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id such as o-a1b2c3d4e5')),
          ),
          'The AWS Organizations id; when set, member roles accept only callers of this organisation (`aws:PrincipalOrgID`).',
        ),
        regionConcurrency: z.described(
          z._default(z.int().check(z.gte(1), z.lte(64)), 32),
          "Scopes each check group reads at once (an account's region, or a GCP project), per account in aws.accounts (at least one): the pool is this times the number of accounts, shared by all of them, so one account may have more of its regions read at once while the others have fewer.",
        ),
        configured: z.described(
          z.optional(z.boolean()),
          'Whether the databases of this policy may live in AWS. Leave it out: a policy that lists gcp.projects and has no aws section gets false (it is GCP-only), so a database named in targets.identifiers that the GCP run does not find is reported not found; any other policy counts AWS. It also sets the default of the CLI option --provider: the clouds the policy configures: gcp for a GCP-only policy, all when it counts AWS and lists gcp.projects, aws otherwise (none when it is false and gcp.projects is empty: --provider is then required). Written out with the parsed policy, so a deployed copy keeps it.',
        ),
      }),
      {},
    ),
    gcp: z.prefault(
      z.strictObject({
        projects: z.described(
          z._default(z.array(z.string().check(z.regex(GCP_PROJECT, 'must be a GCP project id'))), []),
          'GCP projects whose Cloud SQL instances are audited.',
        ),
        federation: z.described(
          z.optional(
            z.strictObject({
              roleArn: z.described(
                z.string().check(z.regex(ROLE_ARN, 'must be an IAM role ARN')),
                'The AWS role the Cloud Function assumes with its Google ID token.',
              ),
              audience: z.described(
                z.string().check(z.minLength(1), z.maxLength(512)),
                'The audience requested for the ID token; pinned as `accounts.google.com:oaud`.',
              ),
              serviceAccountUniqueId: z.described(
                z.union([
                  z.string().check(z.regex(UNIQUE_ID, 'must be the numeric uniqueId')),
                  z
                    .array(z.string().check(z.regex(UNIQUE_ID, 'must be the numeric uniqueId')))
                    .check(z.minLength(1)),
                ]),
                "The numeric unique id of the functions' service accounts (one, or a list: each audit function runs as its own); pinned as `:aud` and `:sub`.",
              ),
            }),
          ),
          'Keyless publishing from GCP to AWS (AssumeRoleWithWebIdentity).',
        ),
      }),
      {},
    ),
    securityHub: z.prefault(
      z.strictObject({
        enabled: z.described(
          z._default(z.boolean(), false),
          'Publish findings to Security Hub after each scheduled audit.',
        ),
        refreshDays: z.described(
          z._default(z.int().check(z.gte(1), z.lte(89)), 7),
          'Re-import an unchanged finding after this many days (Security Hub drops it after 90).',
        ),
        reconcileDays: z.described(
          z._default(z.int().check(z.gte(1), z.lte(89)), 7),
          'Read every held finding back from Security Hub (GetFindings) this often per account and region, correcting drift; in between, the import ledger decides. Without a ledger every run reads in full.',
        ),
        centralAccountId: z.described(
          z.optional(awsAccountIdField),
          "Where GCP findings are imported (Security Hub only accepts findings for the caller's account).",
        ),
        centralRegion: z.described(
          z.optional(region),
          "Region of the central account where GCP findings are imported, and of every account where its whole-account finding (scope `*`) is imported, whichever region the run is called from. The CDK deployment requires it with `securityHub.enabled`, a region list and member accounts: the member role is granted Security Hub there, and the member template cannot know the audit stack's region.",
        ),
      }),
      {},
    ),
    schedules: z.prefault(
      z.strictObject({
        auditPitr: z.described(
          z._default(z.string().check(z.minLength(1)), 'rate(1 hour)'),
          'EventBridge Scheduler / Cloud Scheduler expression for the PITR audit.',
        ),
        auditDumps: z.described(
          z._default(z.string().check(z.minLength(1)), 'rate(6 hours)'),
          'EventBridge Scheduler / Cloud Scheduler expression for the pg_dump audit.',
        ),
        auditKeys: z.described(
          z._default(z.string().check(z.minLength(1)), 'rate(1 day)'),
          'EventBridge Scheduler / Cloud Scheduler expression for the key-material audit.',
        ),
      }),
      {},
    ),
    alarms: z.prefault(
      z.strictObject({
        emails: z.described(z._default(z.array(z.email()), []), 'E-mail subscribers of the alarm topic.'),
      }),
      {},
    ),
  })
  .check(
    z.superRefine((policy, context) => {
      // Cross-field rules live here, in the schema, so the CLI, the Lambdas, the Cloud Functions and
      // CDK synth refuse the same policies with the same messages.
      // A list naming an entry twice: the same account twice audits (and publishes) each of its
      // scopes twice, under two roles; the same project twice snapshots its instances twice.
      const regions = policy.aws.regions === 'all' ? [] : policy.aws.regions;
      for (const [path, values, advice] of [
        [['aws', 'regions'], regions, ''],
        [
          ['aws', 'accounts'],
          policy.aws.accounts.map((account) => account.accountId),
          '; give each account one role',
        ],
        [['gcp', 'projects'], policy.gcp.projects, ''],
        // Each address is one SNS subscription, whose construct id CDK synth refuses to repeat.
        [['alarms', 'emails'], policy.alarms.emails, ''],
      ] as const) {
        values.forEach((value, index) => {
          const first = values.indexOf(value);
          if (first === index) return;
          const field = path[1] === 'accounts' ? ['accountId'] : [];
          context.addIssue({
            code: 'custom',
            path: [...path, index, ...field],
            message: `${value} is listed twice (also ${path.join('.')}.${first})${advice}`,
          });
        });
      }
      policy.aws.accounts.forEach((account, index) => {
        const roleAccount = ROLE_ARN_ACCOUNT.exec(account.roleArn)?.[1];
        if (roleAccount !== undefined && roleAccount !== account.accountId) {
          context.addIssue({
            code: 'custom',
            path: ['aws', 'accounts', index, 'roleArn'],
            message: `is in account ${roleAccount}, but accountId is ${account.accountId}`,
          });
        }
      });
      for (const [name, schedule] of Object.entries(policy.schedules)) {
        try {
          parseAuditSchedule(schedule, `schedules.${name}`);
        } catch (error) {
          if (!(error instanceof PolicyError)) throw error;
          for (const issue of error.issues) {
            context.addIssue({ code: 'custom', path: ['schedules', name], message: issue.message });
          }
        }
      }
      placedLocationIssues(policy).forEach((issue) => {
        context.addIssue({ code: 'custom', ...issue });
      });
      // GCP findings can only land in one AWS account and region (Security Hub accepts findings for
      // the caller's own account only): name them wherever GCP findings may be published.
      const publishesGcp =
        policy.gcp.federation !== undefined || (policy.securityHub.enabled && policy.gcp.projects.length > 0);
      if (!publishesGcp) return;
      const why = policy.gcp.federation
        ? 'is required when gcp.federation is set (the Cloud Function publishes there)'
        : 'is required when Security Hub publishing is on and gcp.projects is not empty (GCP findings are imported there)';
      const central = policy.securityHub.centralAccountId;
      if (central === undefined) {
        context.addIssue({ code: 'custom', path: ['securityHub', 'centralAccountId'], message: why });
      }
      if (policy.securityHub.centralRegion === undefined) {
        context.addIssue({ code: 'custom', path: ['securityHub', 'centralRegion'], message: why });
      }
      const federationAccount = policy.gcp.federation
        ? ROLE_ARN_ACCOUNT.exec(policy.gcp.federation.roleArn)?.[1]
        : undefined;
      if (central !== undefined && federationAccount !== undefined && federationAccount !== central) {
        context.addIssue({
          code: 'custom',
          path: ['gcp', 'federation', 'roleArn'],
          message: `is in account ${federationAccount}, but securityHub.centralAccountId is ${central}; Security Hub only accepts findings imported by the account they belong to`,
        });
      }
    }),
  );

/** A location the policy names, where the rule of {@link placedLocationIssues} reports it. */
interface NamedLocation {
  readonly location: { provider: 'aws'; account: string } | { provider: 'gcp'; project: string };
  /** The field that names the account or project. */
  readonly path: (string | number)[];
  /** What the section calls its locations, in the message (`dump locations`). */
  readonly label: string;
}

/** The dump locations and key-material secrets of a policy, each with the field naming its place. */
function namedLocations(policy: {
  readonly dumps: {
    readonly locations: readonly (
      | { provider: 'aws'; account: string }
      | { provider: 'gcp'; project: string }
    )[];
  };
  readonly keys?: KeysPolicy | undefined;
}): NamedLocation[] {
  const dumps = policy.dumps.locations.map((location, index) => ({
    location,
    path: ['dumps', 'locations', index, location.provider === 'aws' ? 'account' : 'project'],
    label: 'dump locations',
  }));
  // Made once for the policy object (inventoryOf): the runs read this one.
  const keys = (policy.keys ? inventoryOf(policy.keys) : []).map(({ id, location }) => ({
    location,
    // A Secrets Manager name carries its account in its own field; an ARN or GCP name in `secret`.
    path: ['keys', 'items', id, location.provider === 'aws' && !location.arn ? 'account' : 'secret'],
    label: 'key-material secrets',
  }));
  return [...dumps, ...keys];
}

/**
 * Locations the runs could not read (dump locations, key-material secrets): the planners audit
 * `aws.accounts` (or, when it is empty, the caller's own account, known only at run time) and
 * `gcp.projects`, so a location elsewhere would never be read and its contents never judged.
 */
function placedLocationIssues(
  policy: Parameters<typeof namedLocations>[0] & {
    readonly aws: { readonly accounts: readonly { readonly accountId: string }[] };
    readonly gcp: { readonly projects: readonly string[] };
  },
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const members = policy.aws.accounts.map((account) => account.accountId);
  const callerAccounts: NamedLocation[] = [];
  for (const named of namedLocations(policy)) {
    const { location, path } = named;
    if (location.provider === 'gcp') {
      if (!policy.gcp.projects.includes(location.project)) {
        issues.push({
          path,
          message: `${location.project} is not in gcp.projects; list it there (the projects an audit reads)`,
        });
      }
      continue;
    }
    if (members.length > 0 && !members.includes(location.account)) {
      issues.push({
        path,
        message: `${location.account} is not in aws.accounts; list it there with its role (the accounts an audit reads)`,
      });
    }
    if (members.length === 0) callerAccounts.push(named);
  }
  const accountOf = (named: NamedLocation): string =>
    named.location.provider === 'aws' ? named.location.account : '';
  const accounts = [...new Set(callerAccounts.map(accountOf))];
  const other = callerAccounts.find((named) => accountOf(named) !== accounts[0]);
  if (other) {
    const labels = [...new Set(callerAccounts.map((named) => named.label))].join(' and ');
    issues.push({
      path: other.path,
      message: `AWS ${labels} name accounts ${accounts.join(', ')}, but with aws.accounts empty only the caller's own account is read; list the accounts in aws.accounts`,
    });
  }
  return issues;
}

/** The policy after defaults are applied. */
export type Policy = z.infer<typeof policySchema>;
/** The policy as a user writes it (every field optional where a default exists). */
export type PolicyInput = z.input<typeof policySchema>;

/** Environment variable that carries the policy as JSON (Cloud Functions, the CLI, tests). */
export const POLICY_ENV = 'BACKUP_GUARD_POLICY';

/**
 * Environment variable naming the policy file bundled with a Lambda's code (relative paths resolve
 * against `LAMBDA_TASK_ROOT`). A file has no size limit; the Lambda environment holds 4 KB in all.
 */
export const POLICY_FILE_ENV = 'BACKUP_GUARD_POLICY_FILE';

/** The file name the deployment bundles the policy under, beside the function's code. */
export const BUNDLED_POLICY_FILE = 'policy.json';

/**
 * Parse a policy object, failing with every bad field and its path. `source` names where it came
 * from; `now` is the day it is read, against which policy exceptions and readiness waivers may run
 * 90 days at most.
 */
export function parsePolicy(input: unknown, source = 'policy', now: Date = new Date()): Policy {
  // The input of each issue is kept for the hints that depend on it (hintNumbers), never shown whole.
  const result = policySchema.safeParse(withConfiguredClouds(input ?? {}), { reportInput: true });
  const issues = result.success
    ? [
        ...exceptionHorizonIssues(result.data.exceptions, now),
        ...waiverHorizonIssues(result.data.snapshots.readinessWaivers, now),
      ]
    : inputIssues(
        result.error.issues.flatMap(explainUnknownKeys).map(hintFields).map(hintNumbers).map(hintLists),
      ).map(hintQuotes);
  if (result.success && issues.length === 0) return result.data;
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  throw new PolicyError(`${source} is invalid:\n${lines.join('\n')}`, issues);
}

/**
 * A policy that lists `gcp.projects` and has no `aws` section configures no AWS: say so in
 * `aws.configured` before the defaults fill the section in, so a parsed (and deployed) policy still
 * tells a GCP-only policy from one that also audits AWS with the defaults.
 */
function withConfiguredClouds(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const record = input as Record<string, unknown>;
  if (record.aws !== undefined) return input;
  const gcp = record.gcp as { projects?: unknown } | null | undefined;
  const gcpProjects =
    typeof gcp === 'object' && gcp !== null && Array.isArray(gcp.projects) ? gcp.projects : [];
  return gcpProjects.length > 0 ? { ...record, aws: { configured: false } } : input;
}

/**
 * The clouds a policy's databases may live in: AWS unless the policy is GCP-only
 * (`aws.configured: false`), GCP when it lists projects.
 */
export function policyProviders(policy: {
  readonly aws: { readonly configured?: boolean | undefined };
  readonly gcp: { readonly projects: readonly string[] };
}): ('aws' | 'gcp')[] {
  return [
    ...(policy.aws.configured === false ? [] : (['aws'] as const)),
    ...(policy.gcp.projects.length > 0 ? (['gcp'] as const) : []),
  ];
}

/**
 * A number where text is expected is, in a policy, nearly always digits written without quotes (an
 * account id, which may start with 0 and would lose it as a number): say how to write it. The other
 * way round, text where a number or boolean is expected is nearly always one quoted (`"30"` in JSON,
 * `"true"` or YAML 1.1's `yes`, which YAML 1.2 reads as text): say that too.
 */
function hintQuotes(issue: InputIssue): InputIssue {
  const hint = /expected string, received number$/.test(issue.message)
    ? 'write it in quotes (YAML reads digits as a number)'
    : /expected (?:number|int), received string$/.test(issue.message)
      ? 'write the number without quotes'
      : /expected boolean, received string$/.test(issue.message)
        ? 'write true or false, without quotes'
        : undefined;
  return hint === undefined ? issue : { ...issue, message: `${issue.message}; ${hint}` };
}

/**
 * A number written other than as a number: a fraction where a whole one is expected (zod's "expected
 * int, received number" says neither), or text that is no number (`24h`, `14 days`), which has no
 * quotes to remove, unlike `"30"` ({@link hintQuotes}).
 */
function hintNumbers(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_type' || (issue.expected !== 'number' && issue.expected !== 'int'))
    return issue;
  const { input } = issue;
  if (issue.expected === 'int' && typeof input === 'number' && Number.isFinite(input)) {
    return { ...issue, message: `Invalid input: expected a whole number, received ${input}` };
  }
  if (typeof input === 'string' && (input.trim() === '' || !Number.isFinite(Number(input)))) {
    return { ...issue, message: `${issue.message}; write the number alone, without a unit or quotes` };
  }
  return issue;
}

/**
 * A list field written as one value (`projects: certctl-prod`, which YAML reads as text): say to
 * write a list, echoing the value only when it is a short plain name, never free text.
 */
function hintLists(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_type' || issue.expected !== 'array' || typeof issue.input !== 'string')
    return issue;
  const item = /^[\w.:/@+-]{1,64}$/.test(issue.input) ? issue.input : 'item';
  return { ...issue, message: `${issue.message}; write it as a list, even of one: [${item}]` };
}

/**
 * An "unrecognized key" issue made useful: a field that moved into a section names where it lives
 * now, and a mistyped one the field of its section it likely means (`aws.region`: `regions`).
 */
function explainUnknownKeys(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'unrecognized_keys') return [issue];
  const moved =
    issue.path.length === 0 ? issue.keys.filter((name) => Object.hasOwn(MOVED_POLICY_FIELDS, name)) : [];
  const rest = issue.keys.filter((name) => !moved.includes(name));
  const guesses = didYouMeanFields(rest, fieldsAt(policySchema, issue.path), (key) =>
    formsTaking(policySchema, issue.path, key),
  );
  const unknown =
    moved.length === 0 ? issue.message : `Unrecognized keys: ${rest.map((name) => `"${name}"`).join(', ')}`;
  return [
    ...moved.map((name) => ({
      ...issue,
      path: [name],
      message: `has moved: write it as ${MOVED_POLICY_FIELDS[name]}`,
    })),
    ...(rest.length > 0
      ? [
          {
            ...issue,
            message: `${unknown}${guesses}`,
          },
        ]
      : []),
  ];
}

/**
 * A mapping written as something else (a tag as `key=value`, a key item as its secret's name,
 * `securityHub: true`): say which fields it takes.
 */
function hintFields(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  const fields =
    issue.code === 'invalid_type' && issue.expected === 'object' ? fieldsAt(policySchema, issue.path) : [];
  return fields.length > 0
    ? { ...issue, message: `${issue.message}; write it as fields: ${fields.join(', ')}` }
    : issue;
}

/** One open object or array while {@link repeatedJsonKey} scans: its keys so far, or its item index. */
type JsonFrame =
  | { readonly kind: 'object'; readonly keys: Set<string>; key?: string; expectKey: boolean }
  | { readonly kind: 'array'; index: number };

/**
 * The dotted path of the first key an object of valid JSON `text` names twice, or undefined.
 * `JSON.parse` keeps the last value without a word, so a policy pasted together from two versions
 * (`"pitr"` twice) would silently run on whichever came second; the YAML parser refuses the same.
 */
export function repeatedJsonKey(text: string): string | undefined {
  const stack: JsonFrame[] = [];
  const pathOf = (key: string): string =>
    [...stack.map((frame) => (frame.kind === 'object' ? frame.key : String(frame.index))).slice(0, -1), key]
      .filter((part) => part !== undefined)
      .join('.');
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    const top = stack.at(-1);
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && top.expectKey) {
        // Parsed, so `"a"` and `"\u0061"` are the same key, as JSON.parse reads them.
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return pathOf(key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (char === '{') stack.push({ kind: 'object', keys: new Set(), expectKey: true });
    else if (char === '[') stack.push({ kind: 'array', index: 0 });
    else if (char === '}' || char === ']') stack.pop();
    else if (char === ',' && top?.kind === 'object') top.expectKey = true;
    else if (char === ',' && top?.kind === 'array') top.index += 1;
  }
  return undefined;
}

/** Throws when valid JSON `text` names a key twice (see {@link repeatedJsonKey}); `what` names it. */
export function refuseRepeatedJsonKeys(text: string, what: string): void {
  const repeated = repeatedJsonKey(text);
  if (repeated === undefined) return;
  throw new PolicyError(`${what} names ${repeated} twice; JSON keeps only the last, so write each key once`, [
    { path: repeated, message: 'is named twice' },
  ]);
}

/** Load the policy from the environment (`BACKUP_GUARD_POLICY`, JSON); absent means all defaults. */
export function loadPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): Policy {
  const text = env[POLICY_ENV];
  if (text === undefined || text.trim() === '') return parsePolicy({}, `${POLICY_ENV}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // `BACKUP_GUARD_POLICY=policy.yaml`: a file name where the policy itself belongs.
    const fileName = /^[\w./~-]+$/.test(text.trim())
      ? '; it holds the policy itself as a JSON object, not a file name (the CLI reads a file with --policy FILE)'
      : '';
    throw new PolicyError(`${POLICY_ENV} is not valid JSON: ${(error as Error).message}${fileName}`, [], {
      cause: error,
    });
  }
  refuseRepeatedJsonKeys(text, POLICY_ENV);
  return parsePolicy(raw, POLICY_ENV);
}

/**
 * The policy of a deployed function: the bundled file `BACKUP_GUARD_POLICY_FILE` names, else the JSON
 * in `BACKUP_GUARD_POLICY`. Unlike the CLI, a function never falls back to the defaults: a deployment
 * that lost its policy must fail visibly, not audit something nobody configured.
 */
export function loadFunctionPolicy(env: NodeJS.ProcessEnv = process.env): Policy {
  const file = env[POLICY_FILE_ENV]?.trim();
  if (file) {
    const path = resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new PolicyError(
        `cannot read the bundled policy ${path} (${POLICY_FILE_ENV}): ${(error as Error).message}`,
        [],
        {
          cause: error,
        },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new PolicyError(`the bundled policy ${path} is not valid JSON: ${(error as Error).message}`, [], {
        cause: error,
      });
    }
    if (raw === null) throw nullFunctionPolicy(`the bundled policy ${path}`);
    refuseRepeatedJsonKeys(text, `the bundled policy ${path}`);
    return parsePolicy(raw, `bundled policy ${path}`);
  }
  const text = env[POLICY_ENV];
  if (text === undefined || text.trim() === '') {
    throw new PolicyError(
      `no policy: set ${POLICY_FILE_ENV} (the deployment bundles one) or ${POLICY_ENV} (the policy as JSON); a function does not run on defaults`,
      [],
    );
  }
  // JSON null (a deploy script's `JSON.stringify(policy)` of an unset policy) is no policy either,
  // though the CLI reads it, like an empty YAML file, as the defaults.
  if (text.trim() === 'null') throw nullFunctionPolicy(POLICY_ENV);
  return loadPolicyFromEnv(env);
}

function nullFunctionPolicy(what: string): PolicyError {
  return new PolicyError(
    `${what} holds JSON null, not a policy; a function does not run on defaults: deploy the policy as a JSON object`,
    [],
  );
}
