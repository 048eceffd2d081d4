import { describe, expect, it } from 'vitest';
import { countStatuses, EXIT_CODES, exitCodeFor } from '../../functions/core/audit.ts';
import { applyExceptions } from '../../functions/core/exceptions.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { auditGate } from '../../functions/jobs/readiness.ts';
import { destinationFor, publishTargetFrom, toAsff } from '../../functions/publish/security-hub/index.ts';
import { summarize } from '../../functions/publish/summary.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  cloudSqlResource,
  rdsResource,
  retentionFinding,
} from '../publish/security-hub/fixtures.ts';

const NOW = new Date('2027-03-31T23:00:00Z');
/** The policy as read on NOW's day: exceptions run 90 days at most from the day it is read. */
const policyOn = (input: unknown) => parsePolicy(input, 'policy', NOW);
/** A policy (read on NOW's day) excepting `check` on `resource`, with `where` (account, region) beside it. */
const exceptionOf = (resource: string, check: string, where: Record<string, string> = {}) =>
  policyOn({
    exceptions: [{ resource, ...where, check, reason: 'accepted by the CA owner', expires: '2027-03-31' }],
  });
/** Whether each finding is excepted (true), under an expired exception (false) or neither (null). */
const excepted = (findings: Finding[], p: ReturnType<typeof parsePolicy>) =>
  applyExceptions(findings, p, NOW).map((finding) => finding.exception?.active ?? null);
const policy = policyOn({
  exceptions: [
    {
      resource: 'certctl-prod',
      account: ACCOUNT_A,
      check: 'pitr.retention',
      reason: 'AWS Backup copies it to eu-central-1 (plan certctl-dr)',
      expires: '2027-03-31',
    },
  ],
});

function report(findings: Finding[]) {
  return { findings, scopes: [], counts: countStatuses(findings) };
}

describe('applyExceptions', () => {
  it('keeps the real status, marks the finding excepted and exits 0 when an exception applies', () => {
    // Act
    const [excepted] = applyExceptions([retentionFinding(rdsResource('certctl-prod'))], policy, NOW);

    // Assess
    expect(excepted?.status).toBe('FAILED');
    expect(excepted?.exception).toEqual({
      reason: 'AWS Backup copies it to eu-central-1 (plan certctl-dr)',
      expires: '2027-03-31',
      active: true,
    });
    expect(excepted?.description).toContain('Accepted risk (policy exception until 2027-03-31)');
    expect(exitCodeFor(report(excepted ? [excepted] : []))).toBe(EXIT_CODES.ok);
  });

  it('gives the summary every output shows (CLI exit code, Lambda verdict) the same exit code when the only failure is accepted risk', () => {
    // Prepare
    const findings = applyExceptions(
      [
        retentionFinding(rdsResource('certctl-prod')),
        retentionFinding(rdsResource('other'), { status: 'PASSED' }),
      ],
      policy,
      NOW,
    );
    const times = { startedAt: NOW.toISOString(), finishedAt: NOW.toISOString() };

    // Act
    const summary = summarize({ ...report(findings), ...times });
    const open = summarize({ ...report([retentionFinding(rdsResource('other'))]), ...times });

    // Assess
    expect(summary.exitCode).toBe(EXIT_CODES.ok);
    expect(summary.verdict).toBe('no open failure: 1 failure accepted as risk (policy exception)');
    expect(open.exitCode).toBe(EXIT_CODES.failed);
  });

  it('stops applying and says so when the exception has expired', () => {
    // Act
    const [expired] = applyExceptions(
      [retentionFinding(rdsResource('certctl-prod'))],
      policy,
      new Date('2027-04-01T00:00:00Z'),
    );

    // Assess
    expect(expired?.exception?.active).toBe(false);
    expect(expired?.description).toContain('expired on 2027-03-31 and no longer applies');
    expect(exitCodeFor(report(expired ? [expired] : []))).toBe(EXIT_CODES.failed);
  });

  it('names the expired exception in the readiness gate it no longer lets through, so it is renewed', () => {
    // Prepare
    const [expired] = applyExceptions(
      [retentionFinding(rdsResource('certctl-prod'))],
      policy,
      new Date('2027-04-01T00:00:00Z'),
    );

    // Act
    const gate = auditGate('pitr', expired ? [expired] : []);

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.acceptedRisk).toBeUndefined();
    expect(gate.evidence).toContain(
      'pitr.retention FAILED (retentionDays 7); its policy exception expired on 2027-03-31 (it said: AWS Backup',
    );
    expect(gate.action).toContain('renew the exception (expires) if the risk is still accepted');
  });

  it('applies the renewed exception when the expired one is still listed before it (renewed by adding an entry)', () => {
    // Prepare: the 2027-03-31 entry has lapsed; the team added a renewal below it instead of editing it.
    const [lapsed] = policy.exceptions;
    const dayAfter = new Date('2027-04-01T00:00:00Z');
    const renewed = parsePolicy(
      {
        exceptions: [
          lapsed,
          {
            ...lapsed,
            reason: 'AWS Backup copies it to eu-central-1 (renewed, CHG-9)',
            expires: '2027-06-30',
          },
        ],
      },
      'policy',
      dayAfter,
    );

    // Act
    const [finding] = applyExceptions([retentionFinding(rdsResource('certctl-prod'))], renewed, dayAfter);
    const gate = auditGate('pitr', finding ? [finding] : []);

    // Assess
    expect(finding?.exception).toEqual({
      reason: 'AWS Backup copies it to eu-central-1 (renewed, CHG-9)',
      expires: '2027-06-30',
      active: true,
    });
    expect(gate.status).toBe('GO');
  });

  it('tells Security Hub that a finding is excepted, why and until when, without Workflow or Note', () => {
    // Prepare
    const [excepted] = applyExceptions([retentionFinding(rdsResource('certctl-prod'))], policy, NOW);
    const finding = excepted as Finding;

    // Act
    const asff = toAsff(finding, {
      destination: destinationFor(finding.resource, publishTargetFrom(policy)),
      now: NOW,
    });

    // Assess
    expect(asff.Compliance?.Status).toBe('FAILED');
    expect(asff.Title).toMatch(/^Excepted until 2027-03-31: /);
    expect(asff.ProductFields).toMatchObject({
      exception: 'accepted risk until 2027-03-31',
      'exception/reason': 'AWS Backup copies it to eu-central-1 (plan certctl-dr)',
    });
    expect(asff).not.toHaveProperty('Workflow');
    expect(asff).not.toHaveProperty('Note');
  });

  it('does not accept a finding that could not be evaluated, and says the exception does not cover it', () => {
    // Prepare: the same (resource, check), but this run could not judge it.
    const unknown = retentionFinding(rdsResource('certctl-prod'), {
      status: 'NOT_AVAILABLE',
      description: 'Could not read the backup retention of certctl-prod (AccessDenied).',
    });

    // Act
    const [finding] = applyExceptions([unknown], policy, NOW);

    // Assess: accepted risk is about a known result, not about not knowing.
    expect(finding?.status).toBe('NOT_AVAILABLE');
    expect(finding?.exception?.active).not.toBe(true);
    expect(finding?.description).toContain('AWS Backup copies it to eu-central-1 (plan certctl-dr)');
    expect(finding?.description).toContain('does not apply');
    expect(exitCodeFor(report(finding ? [finding] : []))).toBe(EXIT_CODES.incomplete);
    expect(auditGate('pitr', finding ? [finding] : []).status).toBe('UNKNOWN');
  });

  it('refuses an exception without a reason or with a malformed expiry', () => {
    expect(() =>
      policyOn({
        exceptions: [
          { resource: 'db', account: ACCOUNT_A, check: 'pitr.lag', reason: 'x', expires: '31/03/2027' },
        ],
      }),
    ).toThrow(/exceptions\.0\.reason|exceptions\.0\.expires/);
  });

  it('refuses a reason of blanks, which would go to Security Hub as a blank ProductFields value and fail every import', () => {
    // Prepare: ten spaces, a tab and newlines: long enough, but nothing said.
    const exceptionWith = (reason: string) => ({
      exceptions: [{ resource: 'db', account: ACCOUNT_A, check: 'pitr.lag', reason, expires: '2027-03-31' }],
    });

    // Act + Assess
    for (const reason of [' '.repeat(10), '\t\n   \n    \t ', '   ok      ']) {
      expect(() => policyOn(exceptionWith(reason))).toThrow(/exceptions\.0\.reason.*10 characters/s);
    }
    expect(() => policyOn(exceptionWith('  migration window  '))).not.toThrow();
  });
});

describe('which findings an exception names', () => {
  const arn = rdsResource('certctl-prod').arn as string;
  const exceptionFor = (resource: string, check = 'pitr.retention') =>
    policyOn({
      exceptions: [
        {
          resource,
          ...(resource.includes(':') ? {} : { account: ACCOUNT_A }),
          check,
          reason: 'covered elsewhere',
          expires: '2027-03-31',
        },
      ],
    });
  const excepted = (findings: Finding[], p = exceptionFor('certctl-prod')) =>
    applyExceptions(findings, p, NOW).map((finding) => finding.exception?.active ?? null);

  it('names a resource by its ARN or selfLink as well as its id', () => {
    const sql = {
      ...rdsResource('sql'),
      provider: 'gcp' as const,
      arn: undefined,
      selfLink: 'https://sqladmin.googleapis.com/v1/projects/p/instances/sql',
    };
    expect(excepted([retentionFinding(rdsResource('certctl-prod'))], exceptionFor(arn))).toEqual([true]);
    expect(excepted([retentionFinding(sql)], exceptionFor(sql.selfLink))).toEqual([true]);
    expect(excepted([retentionFinding(rdsResource('other'))], exceptionFor(arn))).toEqual([null]);
  });

  it('leaves PASSED findings, whole-scope findings and other checks alone', () => {
    const scope = {
      provider: 'aws' as const,
      account: '111111111111',
      region: 'eu-west-1',
      type: 'Scope' as const,
      id: 'certctl-prod',
    };
    expect(
      excepted([
        retentionFinding(rdsResource('certctl-prod'), { status: 'PASSED' }),
        retentionFinding(scope, { status: 'NOT_AVAILABLE' }),
        retentionFinding(rdsResource('certctl-prod'), { checkId: 'pitr.window' }),
        retentionFinding(rdsResource('certctl-prod'), { status: 'WARNING' }),
      ]),
    ).toEqual([null, null, null, true]);
  });

  it('returns a copy of the findings when the policy has no exceptions', () => {
    const findings = [retentionFinding(rdsResource('certctl-prod'))];
    const result = applyExceptions(findings, policyOn({}), NOW);
    expect(result).toEqual(findings);
    expect(result).not.toBe(findings);
  });
});

describe('where an exception applies (account and region)', () => {
  /** A policy excepting pitr.retention on `resource`, with `where` (account, region) beside it. */
  const exceptionAt = (resource: string, where: Record<string, string>) =>
    policyOn({
      exceptions: [
        {
          resource,
          ...where,
          check: 'pitr.retention',
          reason: 'staging keeps 7 days on purpose',
          expires: '2027-03-31',
        },
      ],
    });

  it('accepts a plain id only in the account and region it names, not a same-named database elsewhere', () => {
    // Prepare: staging's certctl-db is excepted; production's certctl-db lives in another account.
    const staging = exceptionAt('certctl-db', { account: ACCOUNT_A, region: 'eu-west-1' });
    const production = retentionFinding(rdsResource('certctl-db', ACCOUNT_B, 'eu-west-1'));

    // Act
    const findings = applyExceptions(
      [
        retentionFinding(rdsResource('certctl-db', ACCOUNT_A, 'eu-west-1')),
        production,
        retentionFinding(rdsResource('certctl-db', ACCOUNT_A, 'us-east-1')),
      ],
      staging,
      NOW,
    );

    // Assess: only staging's is accepted risk; production's failure still fails the audit.
    expect(findings.map((finding) => finding.exception?.active ?? null)).toEqual([true, null, null]);
    expect(exitCodeFor(report(findings.slice(1, 2)))).toBe(EXIT_CODES.failed);
  });

  it('accepts a plain id in every region of its account when no region is given', () => {
    const staging = exceptionAt('certctl-db', { account: ACCOUNT_A });
    expect(
      excepted(
        [
          retentionFinding(rdsResource('certctl-db', ACCOUNT_A, 'eu-west-1')),
          retentionFinding(rdsResource('certctl-db', ACCOUNT_A, 'us-east-1')),
          retentionFinding(rdsResource('certctl-db', ACCOUNT_B, 'eu-west-1')),
        ],
        staging,
      ),
    ).toEqual([true, true, null]);
  });

  it('takes a GCP project as the account of a Cloud SQL instance', () => {
    const staging = exceptionAt('certctl-sql', { account: 'certctl-staging', region: 'europe-west1' });
    expect(
      excepted(
        [
          retentionFinding(cloudSqlResource('certctl-sql', 'certctl-staging')),
          retentionFinding(cloudSqlResource('certctl-sql', 'certctl-prod')),
        ],
        staging,
      ),
    ).toEqual([true, null]);
  });

  it('refuses a plain id without its account, naming the entry', () => {
    expect(() => exceptionAt('certctl-db', {})).toThrow(
      "exceptions.0.resource: 'certctl-db' is a plain id, which names a database in every account and region; give its account (and region), or its ARN or selfLink",
    );
    expect(() => exceptionAt('certctl-db', { region: 'eu-west-1' })).toThrow(
      /exceptions\.0\.resource: 'certctl-db' is a plain id/,
    );
  });

  it('refuses a resource that names nothing by its shape, naming the entry, with or without an account', () => {
    for (const where of [{}, { account: ACCOUNT_A }] as Record<string, string>[]) {
      expect(() => exceptionAt('   ', where)).toThrow(
        /exceptions\.0\.resource: ' {3}' names no resource: it is blank/,
      );
      for (const wildcard of ['*', `arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:*`]) {
        expect(() => exceptionAt(wildcard, where)).toThrow(
          `exceptions.0.resource: '${wildcard}' names no resource: an exception covers one resource, and '*' is no pattern`,
        );
      }
      for (const url of ['s3://', 'gs://', 'https://', 'https:///', 'https://sqladmin.googleapis.com/']) {
        expect(() => exceptionAt(url, where)).toThrow(
          `exceptions.0.resource: '${url}' names no resource: it is a URL with nothing after its host`,
        );
      }
      for (const arn of [`arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:`, 'arn:aws:rds:::', 'arn:::::']) {
        expect(() => exceptionAt(arn, where)).toThrow(
          `exceptions.0.resource: '${arn}' names no resource: it is an ARN without a resource name`,
        );
      }
    }
    // Real names still parse.
    expect(() => exceptionAt('certctl-db', { account: ACCOUNT_A })).not.toThrow();
    expect(() => exceptionAt('s3://certctl-dumps', {})).toThrow(/never judges a dump location/);
  });

  it('refuses an account or region that is not one, or that disagrees with the ARN or selfLink', () => {
    const arn = rdsResource('certctl-db', ACCOUNT_A, 'eu-west-1').arn as string;
    const selfLink = 'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql';
    expect(() => exceptionAt('certctl-db', { account: '1111-1111-1111' })).toThrow(
      /exceptions\.0\.account: must be a 12-digit AWS account id or a GCP project id/,
    );
    expect(() => exceptionAt(arn, { account: ACCOUNT_B })).toThrow(
      `exceptions.0.account: is ${ACCOUNT_B}, but the resource ${arn} is in ${ACCOUNT_A}`,
    );
    expect(() => exceptionAt(arn, { region: 'us-east-1' })).toThrow(
      `exceptions.0.region: is us-east-1, but the resource ${arn} is in eu-west-1`,
    );
    expect(() => exceptionAt(selfLink, { account: 'certctl-staging' })).toThrow(
      `exceptions.0.account: is certctl-staging, but the resource ${selfLink} is in certctl-prod`,
    );
  });

  it('keeps matching an ARN or selfLink alone, and with the account and region it names', () => {
    const arn = rdsResource('certctl-db', ACCOUNT_A, 'eu-west-1').arn as string;
    const findings = [
      retentionFinding(rdsResource('certctl-db', ACCOUNT_A, 'eu-west-1')),
      retentionFinding(rdsResource('certctl-db', ACCOUNT_B, 'eu-west-1')),
    ];
    expect(excepted(findings, exceptionAt(arn, {}))).toEqual([true, null]);
    // A GCP resource name names its project as a selfLink does.
    expect(() => exceptionAt('projects/certctl-prod/instances/certctl-sql', {})).not.toThrow();
    // A dump series under a prefix that happens to say projects/ is still a plain id.
    expect(() => exceptionAt('certctl-dumps/projects/ca/', {})).toThrow(/is a plain id/);
    expect(excepted(findings, exceptionAt(arn, { account: ACCOUNT_A, region: 'eu-west-1' }))).toEqual([
      true,
      null,
    ]);
  });
});

describe('GCP resources, by the names operators write', () => {
  const secretResource = (project: string, name: string) => ({
    provider: 'gcp' as const,
    account: project,
    region: 'global',
    type: 'GcpSecretManagerSecret' as const,
    id: `projects/${project}/secrets/${name}`,
    selfLink: `https://secretmanager.googleapis.com/v1/projects/${project}/secrets/${name}`,
  });
  const bucketResource = (id: string) => ({
    provider: 'gcp' as const,
    account: 'certctl-prod',
    region: 'europe-west1',
    type: 'GcpStorageBucket' as const,
    id,
  });

  it('names a Cloud SQL instance by its resource name, any selfLink version or its connection name', () => {
    // Prepare: findings carry the short instance name and the selfLink the API sent.
    const findings = [
      retentionFinding({
        ...cloudSqlResource('certctl-sql', 'certctl-prod'),
        selfLink: 'https://sqladmin.googleapis.com/sql/v1beta4/projects/certctl-prod/instances/certctl-sql',
      }),
      retentionFinding(cloudSqlResource('certctl-sql', 'certctl-staging')),
    ];

    for (const resource of [
      'projects/certctl-prod/instances/certctl-sql',
      'https://sqladmin.googleapis.com/v1/projects/certctl-prod/instances/certctl-sql',
      '//cloudsql.googleapis.com/projects/certctl-prod/instances/certctl-sql',
      'certctl-prod:europe-west1:certctl-sql',
    ]) {
      // Act + Assess: the production instance only, never its namesake in staging.
      expect(excepted(findings, exceptionOf(resource, 'pitr.retention')), resource).toEqual([true, null]);
    }
  });

  it('names a Secret Manager secret by its short name in its project as well as its resource name', () => {
    const findings = [
      retentionFinding(secretResource('certctl-prod', 'ca-key'), { checkId: 'keys.replicated' }),
      retentionFinding(secretResource('certctl-staging', 'ca-key'), { checkId: 'keys.replicated' }),
    ];

    expect(excepted(findings, exceptionOf('ca-key', 'keys.replicated', { account: 'certctl-prod' }))).toEqual(
      [true, null],
    );
    expect(
      excepted(findings, exceptionOf('projects/certctl-prod/secrets/ca-key', 'keys.replicated')),
    ).toEqual([true, null]);
  });

  it('names a dump series by its gs:// (or s3://) location, with or without the last slash', () => {
    const findings = [
      retentionFinding(bucketResource('certctl-dumps/prod/'), { checkId: 'dumps.fresh' }),
      retentionFinding(bucketResource('certctl-dumps/staging/'), { checkId: 'dumps.fresh' }),
    ];

    expect(excepted(findings, exceptionOf('gs://certctl-dumps/prod/', 'dumps.fresh'))).toEqual([true, null]);
    expect(excepted(findings, exceptionOf('gs://certctl-dumps/prod', 'dumps.fresh'))).toEqual([true, null]);
    // The same for S3, and never across clouds.
    const s3 = retentionFinding(
      { ...bucketResource('certctl-dumps/prod/'), provider: 'aws', account: ACCOUNT_A, type: 'AwsS3Bucket' },
      { checkId: 'dumps.fresh' },
    );
    expect(excepted([s3], exceptionOf('s3://certctl-dumps/prod/', 'dumps.fresh'))).toEqual([true]);
    expect(excepted([s3], exceptionOf('gs://certctl-dumps/prod/', 'dumps.fresh'))).toEqual([null]);
  });

  it('refuses a GCP name no finding carries, naming the entry and the forms that work', () => {
    expect(() => exceptionOf('projects/certctl-prod/secrets/ca-key/versions/3', 'keys.replicated')).toThrow(
      /exceptions\.0\.resource: 'projects\/certctl-prod\/secrets\/ca-key\/versions\/3' is a GCP resource name no finding carries: name a Cloud SQL instance projects\/<project>\/instances\/<name>/,
    );
    expect(() => exceptionOf('projects/certctl-prod/locations/europe-west1/keyRings/ca', 'keys.cmk')).toThrow(
      /Secret Manager secret projects\/<project>\/secrets\/<name>/,
    );
  });

  it('refuses a check that is no check id once, not again as a check of another kind of resource', () => {
    // `pitr lag` (a blank for the dot) names the pitr group in spirit: one line says what is wrong.
    expect(() => exceptionOf('arn:aws:rds:eu-west-1:111111111111:db:certctl-db', 'pitr lag')).toThrow(
      /^policy is invalid:\n {2}exceptions\.0\.check: must be a check id such as pitr\.cross-region$/,
    );
  });

  it('refuses a GCP name whose kind the check never judges', () => {
    expect(() => exceptionOf('projects/certctl-prod/secrets/ca-key', 'pitr.retention')).toThrow(
      /exceptions\.0\.check: pitr\.retention never judges a Secret Manager secret .*: give a keys\.\* check/,
    );
    expect(() => exceptionOf('certctl-prod:europe-west1:certctl-sql', 'keys.present')).toThrow(
      /exceptions\.0\.check: keys\.present never judges a Cloud SQL instance .*: give a pitr\.\* check/,
    );
    expect(() => exceptionOf('gs://certctl-dumps/prod/', 'pitr.retention')).toThrow(
      /exceptions\.0\.check: pitr\.retention never judges a dump location .*: give a dumps\.\* check/,
    );
  });

  it('refuses an AWS ARN whose kind the check never judges, and takes the ones it does', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca-key-AbCdEf';
    const database = 'arn:aws-us-gov:rds:us-gov-west-1:111111111111:db:certctl-db';
    const cluster = 'arn:aws:rds:eu-west-1:111111111111:cluster:certctl-aurora';
    const bucket = 'arn:aws:s3:::certctl-dumps';
    expect(() => exceptionOf(secret, 'pitr.retention')).toThrow(
      /exceptions\.0\.check: pitr\.retention never judges a Secrets Manager secret .*: give a keys\.\* check/,
    );
    expect(() => exceptionOf(database, 'keys.present')).toThrow(
      /exceptions\.0\.check: keys\.present never judges an RDS database or Aurora cluster .*: give a pitr\.\* check/,
    );
    expect(() => exceptionOf(cluster, 'dumps.fresh')).toThrow(/give a pitr\.\* check/);
    expect(() => exceptionOf(bucket, 'pitr.window')).toThrow(
      /exceptions\.0\.check: pitr\.window never judges an S3 bucket .*: give a dumps\.\* check/,
    );
    expect(() => exceptionOf(secret, 'keys.replicated')).not.toThrow();
    expect(() => exceptionOf(database, 'pitr.window')).not.toThrow();
    expect(() => exceptionOf(cluster, 'pitr.cross-region')).not.toThrow();
    expect(() => exceptionOf(bucket, 'dumps.protection')).not.toThrow();
  });
});

describe('a name that matches more than one resource', () => {
  /** A policy excepting pitr.retention (or `check`) on `resource`, with `where` (account, region) beside it. */
  const exceptionOf = (resource: string, where: Record<string, string> = {}, check = 'pitr.retention') =>
    policyOn({
      exceptions: [
        { resource, ...where, check, reason: 'accepted by the database owner', expires: '2027-03-31' },
      ],
    });
  const auroraResource = (name: string) => ({
    ...rdsResource(name),
    type: 'AwsRdsDbCluster' as const,
    arn: `arn:aws:rds:eu-west-1:${ACCOUNT_A}:cluster:${name}`,
  });
  const s3Series = (id: string) => ({
    provider: 'aws' as const,
    account: ACCOUNT_A,
    region: 'eu-west-1',
    type: 'AwsS3Bucket' as const,
    id,
    arn: 'arn:aws:s3:::certctl-dumps',
  });

  it('applies a plain id naming both an RDS instance and an Aurora cluster to neither, and says what to write', () => {
    // Prepare: the exception was written for the cluster (which passes); the instance of the same
    // name fails, and must not be silenced by it.
    const findings = [
      retentionFinding(rdsResource('certctl')),
      retentionFinding(auroraResource('certctl'), { status: 'PASSED' }),
    ];

    // Act
    const [instance, cluster] = applyExceptions(
      findings,
      exceptionOf('certctl', { account: ACCOUNT_A }),
      NOW,
    );

    // Assess
    expect(instance?.status).toBe('FAILED');
    expect(instance?.exception).toBeUndefined();
    expect(instance?.description).toContain(
      `policy exception exceptions.0 ('certctl' in ${ACCOUNT_A}) names more than one resource pitr.retention judged (arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:certctl, arn:aws:rds:eu-west-1:${ACCOUNT_A}:cluster:certctl), so it applies to none of them: to accept this one, write its resource as arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:certctl`,
    );
    expect(cluster).toEqual(findings[1]);
    expect(exitCodeFor(report(instance ? [instance] : []))).toBe(EXIT_CODES.failed);
  });

  it('says in the readiness gate it keeps from GO that the exception names more than one resource, and what to write', () => {
    const findings = applyExceptions(
      [
        retentionFinding(rdsResource('certctl')),
        retentionFinding(auroraResource('certctl'), { status: 'PASSED' }),
      ],
      exceptionOf('certctl', { account: ACCOUNT_A }),
      NOW,
    );

    const gate = auditGate('pitr', findings.slice(0, 1));

    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain(
      `pitr.retention FAILED (retentionDays 7); the policy exception exceptions.0 ('certctl' in ${ACCOUNT_A}) names more than one resource`,
    );
    expect(gate.action).toContain(
      `Or write the exception's resource as arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:certctl if this risk is accepted.`,
    );
  });

  it('applies the ARN of one of them to that one only', () => {
    const findings = [retentionFinding(rdsResource('certctl')), retentionFinding(auroraResource('certctl'))];
    const arn = auroraResource('certctl').arn;

    const excepted = applyExceptions(findings, exceptionOf(arn), NOW);

    expect(excepted.map((finding) => finding.exception?.active ?? null)).toEqual([null, true]);
    expect(excepted[0]?.description).toBe(findings[0]?.description);
  });

  it('applies a bucket ARN to no dump series when the bucket holds several, naming the s3:// form', () => {
    const findings = [
      retentionFinding(s3Series('certctl-dumps/prod/'), { checkId: 'dumps.fresh' }),
      retentionFinding(s3Series('certctl-dumps/staging/'), { checkId: 'dumps.fresh' }),
    ];

    const excepted = applyExceptions(
      findings,
      exceptionOf('arn:aws:s3:::certctl-dumps', {}, 'dumps.fresh'),
      NOW,
    );

    expect(excepted.map((finding) => finding.exception?.active ?? null)).toEqual([null, null]);
    expect(excepted[1]?.description).toContain(
      'to accept this one, write its resource as s3://certctl-dumps/staging/',
    );
    // The bucket ARN still names the one series of a bucket that holds one.
    const alone = applyExceptions(
      findings.slice(0, 1),
      exceptionOf('arn:aws:s3:::certctl-dumps', {}, 'dumps.fresh'),
      NOW,
    );
    expect(alone.map((finding) => finding.exception?.active ?? null)).toEqual([true]);
  });
});

describe('the horizon of a policy exception (at most 90 days from the day the policy is read, as a readiness waiver)', () => {
  const READ = new Date('2026-12-04T23:59:59.999Z');
  const policyAt = (expires: string, now?: Date) =>
    parsePolicy(
      {
        exceptions: [
          {
            resource: `arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:certctl-prod`,
            check: 'pitr.retention',
            reason: 'AWS Backup copies it to eu-central-1 (plan certctl-dr)',
            expires,
          },
        ],
      },
      'policy',
      ...(now ? [now] : []),
    );

  it('accepts an exception whose last day is at most 90 days after the day it is read', () => {
    expect(policyAt('2027-03-04', READ).exceptions[0]?.expires).toBe('2027-03-04');
    expect(policyAt('2026-12-04', READ).exceptions[0]?.expires).toBe('2026-12-04');
  });

  it('refuses one that runs longer, naming the entry, its expiry and the last day it may have', () => {
    expect(() => policyAt('2027-03-05', READ)).toThrow(
      `exceptions.0.expires: 2027-03-05 is more than 90 days after 2026-12-04, the day the policy is read: a policy exception (pitr.retention on arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:certctl-prod) runs 90 days at most; give it a last day on or before 2027-03-04, and renew it then if its reason still holds`,
    );
    // The exception for ever is refused; with no clock given, today's is used.
    expect(() => policyAt('9999-12-31')).toThrow(
      /exceptions\.0\.expires: 9999-12-31 is more than 90 days after/,
    );
  });

  it('keeps an expired exception: accepted by the policy, and the finding counts again', () => {
    const policy = policyAt('2026-11-30', READ);
    const [finding] = applyExceptions([retentionFinding(rdsResource('certctl-prod'))], policy, READ);
    expect(finding?.exception?.active).toBe(false);
    expect(exitCodeFor(report(finding ? [finding] : []))).toBe(EXIT_CODES.failed);
  });
});

describe('the case of a name', () => {
  it('matches an RDS identifier in any case, as RDS stores it in lower case', () => {
    // Prepare: created as `Certctl-Prod`, the API lists `certctl-prod`.
    const findings = [retentionFinding(rdsResource('certctl-prod'))];

    expect(excepted(findings, exceptionOf('Certctl-Prod', 'pitr.retention', { account: ACCOUNT_A }))).toEqual(
      [true],
    );
    expect(
      excepted(findings, exceptionOf(`arn:aws:rds:eu-west-1:${ACCOUNT_A}:db:Certctl-Prod`, 'pitr.retention')),
    ).toEqual([true]);
  });

  it('matches a region in any case: a GCS multi-region shows as EU, findings say eu', () => {
    const series = {
      provider: 'gcp' as const,
      account: 'certctl-prod',
      region: 'eu',
      type: 'GcpStorageBucket' as const,
      id: 'certctl-dumps/prod/',
    };
    const findings = [retentionFinding(series, { checkId: 'dumps.fresh' })];

    expect(
      excepted(findings, exceptionOf('gs://certctl-dumps/prod/', 'dumps.fresh', { region: 'EU' })),
    ).toEqual([true]);
    expect(
      excepted(findings, exceptionOf('gs://certctl-dumps/prod/', 'dumps.fresh', { region: 'US' })),
    ).toEqual([null]);
  });

  it('keeps a Secrets Manager name case-sensitive: another case is another secret', () => {
    const secret = {
      provider: 'aws' as const,
      account: ACCOUNT_A,
      region: 'eu-west-1',
      type: 'AwsSecretsManagerSecret' as const,
      id: 'certctl/ca-key',
    };
    const findings = [retentionFinding(secret, { checkId: 'keys.replicated' })];

    expect(
      excepted(findings, exceptionOf('certctl/CA-key', 'keys.replicated', { account: ACCOUNT_A })),
    ).toEqual([null]);
    expect(
      excepted(findings, exceptionOf('certctl/ca-key', 'keys.replicated', { account: ACCOUNT_A })),
    ).toEqual([true]);
  });
});

describe('a Secrets Manager secret by its ARN', () => {
  const arn = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_A}:secret:certctl/ca-key-AbCdEf`;
  const secret = (name: string, secretArn: string) => ({
    provider: 'aws' as const,
    account: ACCOUNT_A,
    region: 'eu-west-1',
    type: 'AwsSecretsManagerSecret' as const,
    id: name,
    arn: secretArn,
  });
  it('takes the partial ARN (without the 6 characters Secrets Manager adds) as well as the full one', () => {
    // Prepare: certctl/ca-key, and a secret whose name only starts like it.
    const findings = [
      retentionFinding(secret('certctl/ca-key', arn), { checkId: 'keys.replicated' }),
      retentionFinding(
        secret(
          'certctl/ca-key-backup',
          `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_A}:secret:certctl/ca-key-backup-GhIjKl`,
        ),
        { checkId: 'keys.replicated' },
      ),
    ];

    const partialArnIn = (account: string) =>
      exceptionOf(`arn:aws:secretsmanager:eu-west-1:${account}:secret:certctl/ca-key`, 'keys.replicated');

    expect(excepted(findings, exceptionOf(arn, 'keys.replicated'))).toEqual([true, null]);
    expect(excepted(findings, partialArnIn(ACCOUNT_A))).toEqual([true, null]);
    // Another account's secret of that name is not this one.
    expect(excepted(findings, partialArnIn(ACCOUNT_B))).toEqual([null, null]);
  });
});
