/**
 * A readiness run judges the clouds it is asked for (the AWS Lambda AWS, the GCP function GCP, the
 * CLI its --provider). When the policy selects databases in a cloud the run does not cover and the
 * request names no database, the run cannot say every database is ready: not a GO.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countStatuses } from '../../functions/core/audit.ts';
import { presetItems } from '../../functions/core/keys-policy.ts';
import { type PolicyInput, parsePolicy, policyProviders } from '../../functions/core/policy.ts';
import {
  judgeReadiness,
  renderReadiness,
  runReadinessJob,
  unreadPlaces,
} from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness } from '../integration/snapshot-support.ts';
import { rdsResource, retentionFinding } from '../publish/security-hub/fixtures.ts';

let harness: SnapshotHarness;

beforeEach(async () => {
  harness = await startSnapshotHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('readiness over fewer clouds than the policy configures', () => {
  it('could not evaluate, naming the cloud, when the policy also selects Cloud SQL databases and the run judges AWS only', async () => {
    // Prepare: every AWS database the policy names has a fresh snapshot; certctl-gcp-db, a plain
    // name, lives in the GCP project the policy lists.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp-db'] },
      gcp: { projects: ['certctl-gcp'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-21', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db GO',
    ]);
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(/^gcp: the policy selects databases there too \(gcp\.projects certctl-gcp\)/),
    ]);
  });

  it('answers GO over an AWS-only policy', async () => {
    // Prepare
    const policy = fastPolicy({ targets: { tags: [], identifiers: ['certctl-prod-db'] } });
    await runSnapshotJob(
      { requestId: 'CHG-22', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess
    expect(result.notEvaluated).toEqual([]);
    expect(result.verdict).toBe('GO');
  });
});

describe('readiness narrowed to some regions (CLI --region, the Lambda input regions)', () => {
  it('says its verdict covers only the databases of those regions, in the text and the result', async () => {
    // Prepare: the policy names certctl-prod-db (eu-west-1) and certctl-broken-db (us-east-1); the
    // run reads eu-west-1 alone, so certctl-broken-db is neither judged nor named by the answer.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-broken-db'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-24', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const narrowed = await runReadinessJob(
      { providers: ['aws'], regions: ['eu-west-1'] },
      harness.readinessDeps(policy),
    );
    const whole = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy));

    // Assess: GO over what it read, saying what that was; the whole run says nothing of the kind.
    expect(narrowed.verdict).toBe('GO');
    expect(narrowed.targets.map((entry) => entry.target.id)).toEqual(['certctl-prod-db']);
    expect(narrowed.narrowedTo).toBe('AWS regions eu-west-1');
    expect(renderReadiness(narrowed)).toContain(
      '\n  narrowed: the run read the databases of AWS regions eu-west-1 only: those the policy selects elsewhere are not part of this verdict\n',
    );
    expect(whole.narrowedTo).toBeUndefined();
    expect(renderReadiness(whole)).not.toContain('narrowed');
  });
});

describe('readiness asked about a database of a cloud the run does not judge', () => {
  it('says the database may be in that cloud, and where to ask, rather than only that the policy does not select it', async () => {
    // Prepare: certctl-gcp-db, a plain name, lives in the GCP project the policy lists.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp-db'] },
      gcp: { projects: ['certctl-gcp'] },
    });

    // Act: the AWS chat function is asked 'readiness certctl-gcp-db'.
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-gcp-db'] },
      harness.readinessDeps(policy),
    );

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    // Nothing says the policy selects no database, or that the PITR audit judged nothing: it judged
    // certctl-prod-db, which the request did not name.
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(
        /^target certctl-gcp-db: .*; or it is in gcp \(gcp\.projects certctl-gcp\), where the policy selects databases too and this run does not judge: ask readiness where Cloud SQL instances are judged/,
      ),
      'no target judged: none of the databases named (certctl-gcp-db) was judged by this run (above)',
    ]);
    expect(result.gates.find((gate) => gate.gate === 'audit:pitr')).toMatchObject({
      coverage: 'incomplete',
      detail: 'it judged none of the databases named',
    });
  });
});

describe('readiness asked by plain name about a database the policy also names in a cloud the run does not judge', () => {
  it('says the Cloud SQL instance of that name the policy names is not judged, so the GO of the RDS one does not read as covering it', async () => {
    // Prepare: certctl-prod-db is an RDS database with a fresh snapshot, and the policy's GCP
    // section names a Cloud SQL instance of the same name.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp:europe-west1:certctl-prod-db'] },
      gcp: { projects: ['certctl-gcp'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-23', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act: the AWS chat function is asked 'readiness certctl-prod-db'.
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-prod-db'] },
      harness.readinessDeps(policy),
    );

    // Assess: before, GO with nothing said of the Cloud SQL instance.
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db GO',
    ]);
    expect(result.notEvaluated).toEqual([
      'target certctl-prod-db: the policy also names Cloud SQL instance certctl-gcp:europe-west1:certctl-prod-db (gcp), which this run does not judge: ask readiness where Cloud SQL instances are judged (the GCP chat function, or backup-guard readiness with no --provider, which reads every cloud this policy configures, or with --provider gcp), or name the database this answer is for by its ARN or project:region:instance',
    ]);
    expect(result.verdict).toBe('UNKNOWN');
  });

  it('says nothing more when no database of that name is named in that cloud', async () => {
    // Prepare: the GCP section names another instance only.
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp:europe-west1:certctl-pg'] },
      gcp: { projects: ['certctl-gcp'] },
    });
    await runSnapshotJob(
      { requestId: 'CHG-24', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-prod-db'] },
      harness.readinessDeps(policy),
    );

    // Assess
    expect(result.notEvaluated).toEqual([]);
    expect(result.verdict).toBe('GO');
  });

  it('says the named instance alone, not also that the policy selects no database of that name, when nothing here answers to it', async () => {
    // Prepare
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-gcp:europe-west1:certctl-pg'] },
      gcp: { projects: ['certctl-gcp'] },
    });

    // Act
    const result = await runReadinessJob(
      { providers: ['aws'], targets: ['certctl-pg'] },
      harness.readinessDeps(policy),
    );

    // Assess
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(
        /^target certctl-pg: the policy also names Cloud SQL instance certctl-gcp:europe-west1:certctl-pg \(gcp\), which this run does not judge/,
      ),
      'no target judged: none of the databases named (certctl-pg) was judged by this run (above)',
    ]);
  });
});

/** Readiness inputs with a pre-maintenance snapshot of certctl-prod-db an hour old, and audit:keys waived. */
function freshSnapshotInputs(now: Date) {
  return {
    snapshotsOf: () => [
      {
        id: 'certctl-premaint-certctl-prod-db-1',
        kind: 'rds-instance' as const,
        target: 'certctl-prod-db',
        sourceResourceId: 'db-1',
        status: 'available',
        createdAt: new Date(now.getTime() - 3_600_000),
        tags: { purpose: 'certctl-pre-maintenance' },
      },
    ],
    maxAgeHours: 24,
    now,
    waivers: { 'audit:keys': { reason: 'CA keys held offline in an HSM', expires: '2027-03-31' } },
  };
}

describe('readiness over fewer clouds than the policy places dump series and key material in', () => {
  /** Readiness over AWS asked about certctl-prod-db, after a fresh snapshot of it, with `extra` in the policy. */
  async function namedAwsReadiness(extra: PolicyInput) {
    const policy = fastPolicy({
      targets: { tags: [], identifiers: ['certctl-prod-db'] },
      gcp: { projects: ['certctl-dr'] },
      ...extra,
    });
    await runSnapshotJob(
      { requestId: 'CHG-23', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy),
    );
    return runReadinessJob(
      { providers: ['aws'], targets: ['certctl-prod-db'] },
      harness.readinessDeps(policy),
    );
  }

  it('could not evaluate when the dump series of the database it is asked about are in Cloud Storage, which an AWS run does not read', async () => {
    // Act: the AWS chat function asked 'readiness certctl-prod-db'; the dumps are in a GCS bucket.
    const result = await namedAwsReadiness({
      dumps: {
        locations: [
          {
            provider: 'gcp',
            bucket: 'certctl-dumps-dr',
            prefix: 'prod/',
            project: 'certctl-dr',
            region: 'EU',
          },
        ],
      },
    });

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(result.gates.find((gate) => gate.gate === 'audit:dumps')).toEqual({
      gate: 'audit:dumps',
      coverage: 'incomplete',
      detail: 'the policy gives it places in gcp (project certctl-dr), which this run does not read',
    });
    // The policy configures both clouds, so the CLI's readiness without --provider reads both.
    expect(result.notEvaluated).toEqual([
      'audit:dumps: the policy gives it places in gcp (project certctl-dr), which this run does not read: ask readiness over every cloud (backup-guard readiness with no --provider, which reads every cloud this policy configures)',
    ]);
    // The database's own line waits on the dump series too: never GO beside them unread.
    expect(result.targets.map((entry) => `${entry.target.id} ${entry.status}`)).toEqual([
      'certctl-prod-db UNKNOWN',
    ]);
    expect(result.targets[0]?.gates.find((gate) => gate.gate === 'audit:dumps')).toEqual({
      gate: 'audit:dumps',
      status: 'UNKNOWN',
      evidence:
        "not evaluated over the whole run, which every database's GO rests on: places in gcp (project certctl-dr) not read by this run",
      action:
        'Ask readiness over every cloud (backup-guard readiness with no --provider, which reads every cloud this policy configures).',
    });
  });

  it('says to pass --provider all when the default would leave out the cloud holding the places', () => {
    // Prepare: a GCP-only policy (gcp.projects, no aws section) whose key material is in Secrets
    // Manager: without --provider the CLI reads only the clouds the policy configures
    // (core/policy.ts policyProviders), so here GCP alone.
    const awsKeys = parsePolicy({
      gcp: { projects: ['certctl-gcp'] },
      keys: {
        preset: 'none',
        items: {
          ca: {
            kind: 'opaque',
            secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ca-key-AbCdEf',
          },
        },
      },
    } as PolicyInput);

    // Act
    const keysUnread = unreadPlaces(awsKeys, ['gcp']).find((entry) => entry.group === 'keys');

    // Assess
    expect(policyProviders(awsKeys)).toEqual(['gcp']);
    expect(keysUnread?.readWith).toBe('backup-guard readiness --provider all');
    expect(
      unreadPlaces(fastPolicy({ gcp: { projects: ['certctl-gcp'] }, keys: awsKeys.keys } as PolicyInput), [
        'gcp',
      ]),
    ).toContainEqual(
      expect.objectContaining({ group: 'keys', readWith: expect.stringContaining('with no --provider') }),
    );
  });

  it('does not apply the waiver of a gate whose key material the policy keeps in Secret Manager: the run did not read it', async () => {
    // Act: audit:keys is waived (fastPolicy), but the policy now maps key material to a GCP secret.
    const result = await namedAwsReadiness({
      keys: {
        preset: 'none',
        items: { ca: { kind: 'opaque', secret: 'projects/certctl-dr/secrets/ca-key' } },
      },
    } as PolicyInput);

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.gates.find((gate) => gate.gate === 'audit:keys')?.coverage).toBe('incomplete');
    expect(result.notEvaluated).toEqual([
      expect.stringMatching(
        /^audit:keys: the policy gives it places in gcp \(project certctl-dr\), which this run does not read/,
      ),
    ]);
  });

  it('names the key-material items its verdict does not cover: those switched off and, with preset none, the preset items not listed', async () => {
    // Act: preset none lists one item of its own and switches ca-key off; the other certctl items
    // (ca-cert among them) are not listed at all.
    const result = await namedAwsReadiness({
      keys: {
        preset: 'none',
        items: {
          'ca-key': { off: 'certctl issues from an external CA here' },
          ca: { kind: 'opaque', secret: 'projects/certctl-dr/secrets/ca-key' },
        },
      },
    } as PolicyInput);

    // Assess
    expect(result.keyItemsOutside).toContainEqual({
      item: 'ca-key',
      source: 'CERTCTL_CA_KEY_PATH',
      reason: 'switched off: certctl issues from an external CA here',
    });
    expect(result.keyItemsOutside).toContainEqual({
      item: 'ca-cert',
      source: 'CERTCTL_CA_CERT_PATH',
      reason: 'keys.preset is none and keys.items does not list it',
    });
    expect(result.keyItemsOutside?.map(({ item }) => item)).not.toContain('ca');
    const text = renderReadiness(result);
    expect(text).toContain(
      '  not part of this verdict: key item ca-key (CERTCTL_CA_KEY_PATH): switched off: certctl issues from an external CA here',
    );
    expect(text).toContain(
      '  not part of this verdict: key item ca-cert (CERTCTL_CA_CERT_PATH): keys.preset is none and keys.items does not list it',
    );
  });

  it('names a preset item switched off, even the CA key, with its reason', async () => {
    // Act: the certctl preset, every item mapped to a secret but ca-key, switched off.
    const secret = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/x';
    const items = Object.fromEntries(
      presetItems({
        preset: 'certctl',
        scepProfiles: [],
        ocspIssuers: ['iss-local'],
        trustBundleProfiles: [],
      }).map(({ id }) => [
        id,
        id === 'ca-key' ? { off: 'certctl runs no local CA in this deployment' } : { secret },
      ]),
    );
    const result = await namedAwsReadiness({ keys: { items } } as PolicyInput);

    // Assess
    expect(result.keyItemsOutside).toEqual([
      {
        item: 'ca-key',
        source: 'CERTCTL_CA_KEY_PATH',
        reason: 'switched off: certctl runs no local CA in this deployment',
      },
    ]);
  });

  it('says a selected database of another engine is not evaluated, so the answer is no GO', () => {
    // Prepare: audit:pitr judged certctl-prod-db green; the policy also names a MySQL instance, which
    // the audit reports as not PostgreSQL rather than as a target not found.
    const now = new Date('2027-03-01T12:00:00Z');
    const target = { ...rdsResource('certctl-prod-db'), resourceId: 'db-1' };
    const findings = [retentionFinding(target, { status: 'PASSED' })];
    const scope = { provider: 'gcp', account: 'certctl-gcp', region: '*', group: 'pitr' } as const;
    const otherEngines = [
      {
        id: 'certctl-mysql',
        names: ['certctl-mysql'],
        selectedBy: 'targets.identifiers',
        engine: 'MYSQL_8_0',
      },
    ];

    // Act
    const result = judgeReadiness({
      report: {
        startedAt: '',
        finishedAt: '',
        findings,
        scopes: [{ scope, status: 'complete', resources: 0, otherEngines }],
        counts: countStatuses(findings),
        unmatchedTargets: [],
      },
      plannedGroups: new Set(['pitr']),
      providers: ['aws', 'gcp'],
      ...freshSnapshotInputs(now),
    });

    // Assess
    expect(result.notEvaluated).toContain(
      'certctl-mysql is selected by targets.identifiers but its engine MYSQL_8_0 is not PostgreSQL: not audited',
    );
    expect(result.verdict).not.toBe('GO');
  });

  it('says a named database of another engine, or one whose look-up failed, once, as what it is', () => {
    // Prepare: the request names a MySQL instance the policy selects and a name whose look-up
    // failed (functions/jobs/audit.ts lookUpUnlistedNames); the audit says what each is.
    const now = new Date('2027-03-01T12:00:00Z');
    const scope = { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'pitr' } as const;
    const otherEngines = [
      { id: 'certctl-mysql', names: ['certctl-mysql'], selectedBy: 'targets.identifiers', engine: 'mysql' },
    ];
    const namesNotLookedUp = { names: ['legacy-db'], code: 'Throttling', message: 'Rate exceeded' };

    // Act
    const result = judgeReadiness({
      report: {
        startedAt: '',
        finishedAt: '',
        findings: [],
        scopes: [{ scope, status: 'complete', resources: 0, otherEngines, namesNotLookedUp }],
        counts: countStatuses([]),
        unmatchedTargets: [],
      },
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      ...freshSnapshotInputs(now),
      named: ['certctl-mysql', 'legacy-db'],
    });

    // Assess: before, each also read "named in the request but not among the databases the policy
    // selects ... or not found", which the line before it contradicts (selected; not known missing).
    const about = (name: string) =>
      result.notEvaluated.filter((note) => note.includes(name) && !note.startsWith('no target judged'));
    expect(about('certctl-mysql')).toEqual([
      'certctl-mysql is selected by targets.identifiers but its engine mysql is not PostgreSQL: not audited',
    ]);
    expect(about('legacy-db')).toHaveLength(1);
    expect(about('legacy-db')[0]).toMatch(
      /^legacy-db: no PostgreSQL listing answers to it, and looking it up failed/,
    );
    expect(result.verdict).not.toBe('GO');
  });

  it('could not evaluate a gate the run judged in one cloud while the policy gives it places in another', () => {
    // Prepare: audit:pitr judged over AWS and green; the policy also places its facts in a GCP project.
    const now = new Date('2027-03-01T12:00:00Z');
    const target = { ...rdsResource('certctl-prod-db'), resourceId: 'db-1' };
    const findings = [retentionFinding(target, { status: 'PASSED' })];

    // Act
    const result = judgeReadiness({
      report: { startedAt: '', finishedAt: '', findings, scopes: [], counts: countStatuses(findings) },
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      ...freshSnapshotInputs(now),
      unreadPlaces: [
        {
          group: 'pitr',
          provider: 'gcp',
          places: ['project certctl-dr'],
          readWith: 'backup-guard readiness --provider all',
        },
      ],
    });

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.gates.find((gate) => gate.gate === 'audit:pitr')).toEqual({
      gate: 'audit:pitr',
      coverage: 'incomplete',
      detail: 'places in gcp (project certctl-dr) not read by this run',
    });
    expect(result.notEvaluated).toEqual([
      'audit:pitr: the policy gives it places in gcp (project certctl-dr) too, which this run does not read: ask readiness over every cloud (backup-guard readiness --provider all)',
    ]);
  });
});
