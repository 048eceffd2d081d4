import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAwsRegionName, likelyAwsRegion } from '../../functions/core/aws-region.ts';
import { PolicyError } from '../../functions/core/errors.ts';
import {
  loadFunctionPolicy,
  loadPolicyFromEnv,
  POLICY_ENV,
  POLICY_FILE_ENV,
  type PolicyInput,
  parsePolicy,
} from '../../functions/core/policy.ts';
import { loadPolicyFile } from '../../functions/core/policy-file.ts';

describe('parsePolicy', () => {
  it('applies the documented defaults when the policy is empty', () => {
    // Act
    const policy = parsePolicy({});

    // Assess
    expect(policy.pitr.minPitrDays).toBe(30);
    expect(policy.pitr.maxRestoreLagMinutes).toBe(15);
    expect(policy.pitr.requireCrossRegionBackup).toBe(false);
    expect(policy.targets).toEqual({
      tags: [{ key: 'certctl:backup-guard', value: 'enabled' }],
      identifiers: [],
      all: false,
    });
    expect(policy.aws.regions).toBe('all');
    expect(policy.securityHub.refreshDays).toBe(7);
  });

  it('names every bad field with its path when several are wrong', () => {
    // Act
    const attempt = (): unknown =>
      parsePolicy({
        pitr: { minPitrDays: 40 },
        aws: { regions: ['eu-west-1', 'moon-1'], accounts: [{ accountId: '12' }] },
      });

    // Assess
    expect(attempt).toThrow(PolicyError);
    try {
      attempt();
    } catch (error) {
      const paths = (error as PolicyError).issues.map((issue) => issue.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'pitr.minPitrDays',
          'aws.regions.1',
          'aws.accounts.0.accountId',
          'aws.accounts.0.roleArn',
        ]),
      );
      expect((error as PolicyError).message).toContain('aws.regions.1: must be an AWS region name');
    }
  });

  it("names the provider a dump location's key belongs to, never guessing the key itself", () => {
    // Act: each location carries the other provider's field.
    const attempt = (): unknown =>
      parsePolicy({
        gcp: { projects: ['certctl-prod'] },
        aws: { regions: ['eu-west-1'] },
        dumps: {
          locations: [
            {
              provider: 'aws',
              bucket: 'certctl-dumps',
              account: '111111111111',
              region: 'eu-west-1',
              project: 'certctl-prod',
            },
            {
              provider: 'gcp',
              bucket: 'certctl-dumps-gcp',
              project: 'certctl-prod',
              region: 'europe-west1',
              account: '111111111111',
            },
          ],
        },
      });

    // Assess
    expect(attempt).toThrow(
      [
        'policy is invalid:',
        '  dumps.locations.0: Unrecognized key: "project"; "project" goes only with provider: gcp',
        '  dumps.locations.1: Unrecognized key: "account"; "account" goes only with provider: aws',
      ].join('\n'),
    );
  });

  it('refuses a region whose direction is mistyped, naming the region it likely means', () => {
    // Act
    const attempt = (): unknown => parsePolicy({ aws: { regions: ['eu-west-1', 'eu-wst-1', 'us-eest-2'] } });

    // Assess
    expect(attempt).toThrow(PolicyError);
    expect(() => attempt()).toThrow(
      'aws.regions.1: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
    );
    expect(() => attempt()).toThrow(
      'aws.regions.2: must be an AWS region name such as eu-west-1; did you mean us-east-2?',
    );
    // A dump location's and a key item's region follow the same rule, with the same suggestion.
    const location = {
      provider: 'aws',
      bucket: 'certctl-dumps',
      account: '111111111111',
      region: 'eu-wst-1',
    };
    expect(() => parsePolicy({ dumps: { locations: [location] } })).toThrow(
      'dumps.locations.0.region: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
    );
    const item = { kind: 'opaque', secret: 'certctl/ca', region: 'eu-wst-1', account: '111111111111' };
    expect(() => parsePolicy({ keys: { preset: 'none', items: { 'ca-bundle': item } } })).toThrow(
      'keys.items.ca-bundle.region: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
    );
  });

  it('names the region meant when an availability zone, a GCP-style name or a digit typed as a letter is given', () => {
    // Act
    const attempt = (): unknown =>
      parsePolicy({ aws: { regions: ['eu-west-1a', 'eu-west1', 'eu-west-l', 'us-east-1', 'eu-west-1q'] } });

    // Assess
    expect(attempt).toThrow(
      [
        'aws.regions.0: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
        'aws.regions.1: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
        'aws.regions.2: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
        'aws.regions.4: must be an AWS region name such as eu-west-1; did you mean eu-west-1?',
      ].join('\n  '),
    );
    // The CLI's --region says the same.
    expect(likelyAwsRegion('ap-southeast-2b')).toBe('ap-southeast-2');
    expect(likelyAwsRegion('us-east-1')).toBeUndefined();
    expect(likelyAwsRegion('eu-west-12345')).toBeUndefined();
  });

  it('requires the central account and region when GCP findings are published', () => {
    // Prepare
    const federation = {
      roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
      audience: 'https://certctl-backup-guard.example.com/aws',
      serviceAccountUniqueId: '104753918625839485720',
    };

    // Act / Assess
    expect(() => parsePolicy({ gcp: { federation } })).toThrow(
      /securityHub\.centralAccountId: is required when gcp\.federation is set[\s\S]*securityHub\.centralRegion/,
    );
    expect(() =>
      parsePolicy({ gcp: { projects: ['certctl-prod'] }, securityHub: { enabled: true } }),
    ).toThrow(/securityHub\.centralAccountId: is required when Security Hub publishing is on/);
    expect(
      parsePolicy({
        gcp: { federation },
        securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
      }).securityHub.centralRegion,
    ).toBe('eu-west-1');
    expect(parsePolicy({ gcp: { projects: ['certctl-prod'] } }).gcp.projects).toEqual(['certctl-prod']);
  });

  it('names the new place of a field that moved into a section when an old policy uses it', () => {
    // Act
    const attempt = (): unknown => parsePolicy({ minPitrDays: 30, requireCrossRegionBackup: true, bogus: 1 });

    // Assess
    expect(attempt).toThrow(PolicyError);
    try {
      attempt();
    } catch (error) {
      expect((error as PolicyError).issues).toEqual([
        { path: 'minPitrDays', message: 'has moved: write it as pitr.minPitrDays' },
        { path: 'requireCrossRegionBackup', message: 'has moved: write it as pitr.requireCrossRegionBackup' },
        { path: '(root)', message: 'Unrecognized keys: "bogus"' },
      ]);
    }
  });

  it('refuses fields of subsystems that have not landed, so no documented field is inert', () => {
    // Act / Assess
    for (const field of ['dumpCadenceHours', 'dumpGraceHours', 'inspectSecretValues']) {
      expect(() => parsePolicy({ [field]: {} }), field).toThrow(/Unrecognized key/);
    }
  });

  it('gives the snapshots section its defaults and refuses a first poll longer than the longest when parsed', () => {
    // Act
    const policy = parsePolicy({});

    // Assess
    expect(policy.snapshots).toMatchObject({
      waitMinutes: 60,
      expiryDays: 14,
      readinessMaxAgeHours: 24,
      quotaPerRegion: 100,
    });
    expect(() => parsePolicy({ snapshots: { pollInitialSeconds: 40, pollMaxSeconds: 30 } })).toThrow(
      /snapshots\.pollInitialSeconds: is 40, above pollMaxSeconds \(30\)/,
    );
  });

  it('applies the cross-field rules wherever the policy is parsed', () => {
    // Act / Assess
    expect(() =>
      parsePolicy({
        aws: {
          accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::333333333333:role/member' }],
        },
      }),
    ).toThrow(/aws\.accounts\.0\.roleArn: is in account 333333333333, but accountId is 222222222222/);
    expect(() => parsePolicy({ schedules: { auditPitr: 'every hour' } })).toThrow(/schedules\.auditPitr: /);
    expect(() =>
      parsePolicy({
        gcp: {
          federation: {
            roleArn: 'arn:aws:iam::222222222222:role/certctl-backup-guard-gcp',
            audience: 'https://certctl-backup-guard.example.com/aws',
            serviceAccountUniqueId: '104753918625839485720',
          },
        },
        securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
      }),
    ).toThrow(
      /gcp\.federation\.roleArn: is in account 222222222222, but securityHub\.centralAccountId is 111111111111/,
    );
  });

  it('takes one federation uniqueId or a list of them, and refuses an empty list or a non-numeric id', () => {
    // Prepare
    const federation = (serviceAccountUniqueId: unknown) => ({
      gcp: {
        federation: {
          roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
          audience: 'https://certctl-backup-guard.example.com/aws',
          serviceAccountUniqueId,
        },
      },
      securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
    });

    // Act / Assess
    const ids = ['104753918625839485720', '104753918625839485721'];
    expect(parsePolicy(federation(ids) as PolicyInput).gcp.federation?.serviceAccountUniqueId).toEqual(ids);
    expect(() => parsePolicy(federation([]) as PolicyInput)).toThrow(
      /gcp\.federation\.serviceAccountUniqueId/,
    );
    expect(() => parsePolicy(federation(['10475391862583948572x']) as PolicyInput)).toThrow(
      /gcp\.federation\.serviceAccountUniqueId/,
    );
  });

  it('rejects an unknown field instead of ignoring a typo', () => {
    // Act / Assess
    expect(() => parsePolicy({ minPitrDay: 30 })).toThrow(/minPitrDay|Unrecognized key/);
  });
});

describe('policy loaders', () => {
  it('loads a YAML file and reports the file name when a field is bad', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yml');
    await writeFile(good, 'pitr:\n  minPitrDays: 35\naws:\n  regions: [eu-west-1]\n');
    await writeFile(bad, 'pitr:\n  maxRestoreLagMinutes: -1\n');

    // Act
    const policy = await loadPolicyFile(good);

    // Assess
    expect(policy.pitr.minPitrDays).toBe(35);
    expect(policy.aws.regions).toEqual(['eu-west-1']);
    await expect(loadPolicyFile(bad)).rejects.toThrow(
      /policy file .*bad\.yml is invalid:\n {2}pitr\.maxRestoreLagMinutes/,
    );
  });

  it('says a YAML file holds two documents in words, at the line the second starts, not as a parser call to make', async () => {
    // Prepare: two policies pasted into one file, the second after a document marker.
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.yaml');
    await writeFile(file, 'pitr:\n  minPitrDays: 30\n---\npitr:\n  minPitrDays: 35\n');

    // Act
    const error = await loadPolicyFile(file).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );

    // Assess
    expect(error).toBeInstanceOf(PolicyError);
    expect(error?.message).toBe(
      `policy file ${file} is not valid .yaml: it holds more than one YAML document (a second begins at line 3, column 1); a policy is one document: remove the document marker (--- or ...) and merge the parts`,
    );
  });

  it('says which file is not valid JSON when the syntax is broken', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "minPitrDays": ');

    // Act / Assess
    await expect(loadPolicyFile(file)).rejects.toThrow(/broken\.json is not valid \.json/);
    await expect(loadPolicyFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read policy file/);
    // --policy given the directory the policy is in: said in words, not as EISDIR.
    await expect(loadPolicyFile(dir)).rejects.toThrow(
      `cannot read policy file ${dir}: it is a directory; name the policy file in it (a .yaml, .yml or .json file)`,
    );
  });

  it('says a YAML policy under another name than .yaml or .yml was read as JSON, and how to name it', async () => {
    // Prepare: the policy init writes, saved as policy.txt and as policy (no extension).
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const txt = join(dir, 'policy.txt');
    const bare = join(dir, 'policy');
    for (const file of [txt, bare]) await writeFile(file, 'pitr:\n  minPitrDays: 30\n');

    // Act / Assess: not "is not valid .txt", which names no syntax the loader knows.
    for (const file of [txt, bare]) {
      await expect(loadPolicyFile(file)).rejects.toThrow(
        `policy file ${file} is not valid JSON, as which a name not ending in .yaml or .yml is read (name a YAML policy .yaml): Unexpected token`,
      );
    }
  });

  it('says a policy file is not UTF-8 instead of reading it with replacement characters, and reads one with a BOM', async () => {
    // Prepare: a Latin-1 tag value (it would silently become "Z\uFFFDrich" and select nothing), a UTF-16
    // file as Notepad saves it, and UTF-8 JSON with the BOM some editors write.
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const latin1 = join(dir, 'latin1.yaml');
    await writeFile(
      latin1,
      Buffer.from('targets:\n  tags:\n    - key: site\n      value: Z\xfcrich\n', 'latin1'),
    );
    const utf16 = join(dir, 'utf16.json');
    await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{}', 'utf16le')]));
    const bom = join(dir, 'bom.json');
    await writeFile(bom, `\uFEFF${JSON.stringify({ pitr: { minPitrDays: 7 } })}`);

    // Act / Assess
    await expect(loadPolicyFile(latin1)).rejects.toThrow(
      `policy file ${latin1} is not UTF-8 text (byte 0xfc at offset 47); save it as UTF-8`,
    );
    await expect(loadPolicyFile(utf16)).rejects.toThrow(
      `policy file ${utf16} is not UTF-8 text (byte 0xff at offset 0); save it as UTF-8`,
    );
    expect((await loadPolicyFile(bom)).pitr.minPitrDays).toBe(7);
  });

  it('reads the policy from the environment and defaults when it is absent', () => {
    // Act
    const fromEnv = loadPolicyFromEnv({ [POLICY_ENV]: '{"pitr": {"minPitrDays": 31}}' });
    const defaults = loadPolicyFromEnv({});

    // Assess
    expect(fromEnv.pitr.minPitrDays).toBe(31);
    expect(defaults.pitr.minPitrDays).toBe(30);
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: 'not json' })).toThrow(
      /BACKUP_GUARD_POLICY is not valid JSON/,
    );
  });

  it('refuses a JSON policy that names a key twice, wherever it is read, instead of keeping the last silently', async () => {
    // Prepare: a policy pasted together from two versions; JSON.parse keeps the second pitr, 1 day.
    const twice =
      '{"pitr": {"minPitrDays": 30}, "aws": {"accounts": [{"accountId": "1", "accountId": "2"}]}, "pitr": {"minPitrDays": 1}}';
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const file = join(dir, 'twice.json');
    await writeFile(file, twice);
    const inner =
      '{"targets": {"tags": [{"key": "a", "value": "b"}, {"key": "c", "key": "d", "value": "e"}]}}';

    // Act / Assess
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: twice })).toThrow(
      'BACKUP_GUARD_POLICY names aws.accounts.0.accountId twice; JSON keeps only the last, so write each key once',
    );
    expect(() => loadFunctionPolicy({ [POLICY_FILE_ENV]: file })).toThrow(
      `the bundled policy ${file} names aws.accounts.0.accountId twice; JSON keeps only the last, so write each key once`,
    );
    await expect(loadPolicyFile(file)).rejects.toThrow(
      `policy file ${file} names aws.accounts.0.accountId twice; JSON keeps only the last, so write each key once`,
    );
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: inner })).toThrow(
      'BACKUP_GUARD_POLICY names targets.tags.1.key twice',
    );
    // The same text inside a string, escaped keys and nested objects of the same name are no repeat.
    const fine =
      '{"targets": {"tags": [{"key": "k", "value": "{\\"a\\": 1, \\"a\\": 2}"}]}, "pitr": {"minPitrDays": 31}, "dumps": {}}';
    expect(loadPolicyFromEnv({ [POLICY_ENV]: fine }).pitr.minPitrDays).toBe(31);
  });

  it('says the variable holds the policy itself when it names a file, and not for broken JSON', () => {
    // Act / Assess: BACKUP_GUARD_POLICY=policy.yaml is a file name where the policy belongs.
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: 'policy.yaml' })).toThrow(
      /^BACKUP_GUARD_POLICY is not valid JSON: .*; it holds the policy itself as a JSON object, not a file name \(the CLI reads a file with --policy FILE\)$/,
    );
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: '{"aws": ' })).toThrow(
      /^BACKUP_GUARD_POLICY is not valid JSON: [^;]*$/,
    );
  });

  it('refuses to run a function on defaults when neither policy variable is set or both are empty', () => {
    // Act / Assess
    for (const env of [{}, { [POLICY_ENV]: '' }, { [POLICY_ENV]: '  ', [POLICY_FILE_ENV]: ' ' }]) {
      expect(() => loadFunctionPolicy(env)).toThrow(PolicyError);
      expect(() => loadFunctionPolicy(env)).toThrow(
        /no policy: set BACKUP_GUARD_POLICY_FILE .* or BACKUP_GUARD_POLICY .*; a function does not run on defaults/,
      );
    }
  });
  it('refuses to run a function on defaults when its policy is JSON null, as a deploy script writes an unset policy', async () => {
    // Prepare: JSON.stringify(null) in the variable and in the bundled file.
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.json');
    await writeFile(file, 'null\n');

    // Act / Assess
    expect(() => loadFunctionPolicy({ [POLICY_ENV]: 'null' })).toThrow(
      'BACKUP_GUARD_POLICY holds JSON null, not a policy; a function does not run on defaults: deploy the policy as a JSON object',
    );
    expect(() => loadFunctionPolicy({ [POLICY_FILE_ENV]: file })).toThrow(
      `the bundled policy ${file} holds JSON null, not a policy; a function does not run on defaults: deploy the policy as a JSON object`,
    );
    // The CLI, which runs on defaults without a policy, still reads an empty one as the defaults.
    expect(loadPolicyFromEnv({ [POLICY_ENV]: 'null' }).pitr.minPitrDays).toBe(30);
  });
});

describe('policy dumps section', () => {
  const S3 = { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', region: 'eu-west-1' } as const;
  const GCS = {
    provider: 'gcp',
    bucket: 'certctl-dumps-gcp',
    project: 'certctl-prod',
    region: 'EU',
  } as const;
  const MEMBER = { accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/audit' };

  it('keeps its own 30-day minimum and a 6-hour schedule when the section is empty', () => {
    // Act
    const policy = parsePolicy({ pitr: { minPitrDays: 7 } });
    // Assess
    expect(policy.dumps.minDays).toBe(30);
    expect(policy.dumps.locations).toEqual([]);
    expect(policy.schedules.auditDumps).toBe('rate(6 hours)');
  });

  it('accepts locations in listed member accounts and listed GCP projects', () => {
    // Act
    const policy = parsePolicy({
      aws: { accounts: [MEMBER] },
      gcp: { projects: ['certctl-prod'] },
      securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
      dumps: { locations: [{ ...S3, account: '111111111111' }, GCS] },
    });
    // Assess
    expect(policy.dumps.locations).toHaveLength(2);
  });

  it('accepts locations in two listed member accounts', () => {
    const other = { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/audit' };
    const policy = parsePolicy({
      aws: { accounts: [MEMBER, other] },
      dumps: {
        locations: [
          { ...S3, account: '111111111111' },
          { ...S3, bucket: 'other-dumps', account: '222222222222' },
        ],
      },
    });
    expect(policy.dumps.locations).toHaveLength(2);
  });

  it('names the location when its account is not in aws.accounts', () => {
    // Act / Assess
    expect(() =>
      parsePolicy({
        aws: { accounts: [MEMBER] },
        dumps: { locations: [{ ...S3, account: '222222222222' }] },
      }),
    ).toThrow(/dumps\.locations\.0\.account: 222222222222 is not in aws\.accounts/);
  });

  it('refuses AWS locations in two accounts when only the caller’s own account is read', () => {
    // Act / Assess
    expect(() =>
      parsePolicy({
        dumps: {
          locations: [
            { ...S3, account: '111111111111' },
            { ...S3, prefix: 'staging/', account: '222222222222' },
          ],
        },
      }),
    ).toThrow(/dumps\.locations\.1\.account: AWS dump locations name accounts 111111111111, 222222222222/);
  });

  it('names the location when its GCP project is not in gcp.projects', () => {
    // Act / Assess
    expect(() => parsePolicy({ dumps: { locations: [GCS] } })).toThrow(
      /dumps\.locations\.0\.project: certctl-prod is not in gcp\.projects/,
    );
  });

  it('checks schedules.auditDumps with the same rules as the PITR schedule', () => {
    // Act / Assess
    expect(() => parsePolicy({ schedules: { auditDumps: 'rate(often)' } })).toThrow(
      /schedules\.auditDumps: /,
    );
  });
});

describe('snapshots policy rules', () => {
  it('accepts a first poll as long as the longest, and refuses a maintenance schedule the scheduler cannot run', () => {
    expect(
      parsePolicy({ snapshots: { pollInitialSeconds: 30, pollMaxSeconds: 30 } }).snapshots.pollInitialSeconds,
    ).toBe(30);
    expect(() => parsePolicy({ snapshots: { maintenanceSchedule: 'every tuesday' } })).toThrow(
      /snapshots\.maintenanceSchedule: /,
    );
    expect(
      parsePolicy({ snapshots: { maintenanceSchedule: 'rate(2 hours)' } }).snapshots.maintenanceSchedule,
    ).toBe('rate(2 hours)');
  });
});

describe('the maintenance horizon and the scans', () => {
  it('refuses a maintenance horizon shorter than the gap between two scans plus the snapshot wait, naming both', () => {
    // A scan 6 hours apart with a 4-hour horizon: maintenance due 5 hours after a scan is beyond it,
    // and applied before the next scan sees it, so no snapshot is ever taken.
    expect(() => parsePolicy({ snapshots: { maintenanceHorizonHours: 4 } })).toThrow(
      'snapshots.maintenanceHorizonHours: is 4 h, shorter than the longest gap between two maintenance scans (6 h, snapshots.maintenanceSchedule rate(6 hours)) plus snapshots.waitMinutes (60 min): maintenance due between two scans would get no snapshot; make it at least 7 h',
    );
    expect(parsePolicy({ snapshots: { maintenanceHorizonHours: 7 } }).snapshots.maintenanceHorizonHours).toBe(
      7,
    );
    expect(
      parsePolicy({
        snapshots: { maintenanceHorizonHours: 2, maintenanceSchedule: 'rate(1 hour)', waitMinutes: 30 },
      }).snapshots.maintenanceHorizonHours,
    ).toBe(2);
  });
  it('refuses a readiness freshness shorter than an hour, naming the minimum, instead of a gate no snapshot can pass', () => {
    // 1e-9 h was taken: no snapshot is ever that young, so readiness would answer NO-GO for ever.
    for (const readinessMaxAgeHours of [1e-9, 0.5]) {
      expect(() => parsePolicy({ snapshots: { readinessMaxAgeHours } })).toThrow(
        `snapshots.readinessMaxAgeHours: is ${readinessMaxAgeHours} h; it must be at least 1 h (a snapshot takes minutes to become available and readiness is asked after it, so a shorter one would leave hardly any snapshot young enough for a GO)`,
      );
    }
    expect(parsePolicy({ snapshots: { readinessMaxAgeHours: 1 } }).snapshots.readinessMaxAgeHours).toBe(1);
  });
  it('refuses a readiness freshness longer than the snapshots expiry, naming both values', () => {
    // Snapshots expire after 1 day (24 h) but readiness counts one up to 30 h old: a GO could rest
    // on a snapshot past its own expires-at tag, which pruning may delete at any time.
    expect(() => parsePolicy({ snapshots: { expiryDays: 1, readinessMaxAgeHours: 30 } })).toThrow(
      'snapshots.readinessMaxAgeHours: is 30 h, longer than snapshots.expiryDays (1 day = 24 h)',
    );
    expect(
      parsePolicy({ snapshots: { expiryDays: 1, readinessMaxAgeHours: 24 } }).snapshots.readinessMaxAgeHours,
    ).toBe(24);
    expect(
      parsePolicy({ snapshots: { readinessMaxAgeHours: 720, expiryDays: 30 } }).snapshots.expiryDays,
    ).toBe(30);
  });
});

describe('loadFunctionPolicy with a bundled policy file', () => {
  async function bundle(text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'bundled-policy-'));
    await writeFile(join(dir, 'policy.json'), text);
    return dir;
  }

  it('reads the file beside the function code (LAMBDA_TASK_ROOT), ahead of the JSON variable', async () => {
    const root = await bundle('{"pitr": {"minPitrDays": 33}}');
    const policy = loadFunctionPolicy({
      [POLICY_FILE_ENV]: ' policy.json ',
      LAMBDA_TASK_ROOT: root,
      [POLICY_ENV]: '{"pitr": {"minPitrDays": 40}}',
    });
    expect(policy.pitr.minPitrDays).toBe(33);
  });
  it('names the file it cannot read', async () => {
    const root = await bundle('{}');
    const attempt = () => loadFunctionPolicy({ [POLICY_FILE_ENV]: 'missing.json', LAMBDA_TASK_ROOT: root });
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(
      new RegExp(
        `^cannot read the bundled policy ${join(root, 'missing.json')} \\(BACKUP_GUARD_POLICY_FILE\\): ENOENT`,
      ),
    );
  });
  it('names the file that is not JSON, and the file whose fields are bad', async () => {
    const root = await bundle('{"pitr": ');
    const path = join(root, 'policy.json');
    expect(() => loadFunctionPolicy({ [POLICY_FILE_ENV]: 'policy.json', LAMBDA_TASK_ROOT: root })).toThrow(
      new RegExp(`^the bundled policy ${path} is not valid JSON: `),
    );
    const bad = await bundle('{"pitr": {"minPitrDays": 0}}');
    expect(() => loadFunctionPolicy({ [POLICY_FILE_ENV]: 'policy.json', LAMBDA_TASK_ROOT: bad })).toThrow(
      new RegExp(`^bundled policy ${join(bad, 'policy.json')} is invalid:\\n  pitr\\.minPitrDays: `),
    );
  });
  it('falls back to the JSON variable when no file is named, and names that variable when it is bad', () => {
    expect(loadFunctionPolicy({ [POLICY_ENV]: '{"pitr": {"minPitrDays": 31}}' }).pitr.minPitrDays).toBe(31);
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: '{"pitr": {"minPitrDays": 0}}' })).toThrow(
      /^BACKUP_GUARD_POLICY is invalid:\n {2}pitr\.minPitrDays: /,
    );
    expect(() => loadPolicyFromEnv({ [POLICY_ENV]: '  ' })).not.toThrow();
    expect(() => parsePolicy({ pitr: { minPitrDays: 0 } })).toThrow(/^policy is invalid:\n/);
  });
});

describe('loadPolicyFile edge cases', () => {
  it('takes an empty or blank file as the default policy in either syntax', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    for (const [name, text] of [
      ['empty.json', ''],
      ['blank.json', '  \n '],
      ['blank.yaml', '\n\n'],
    ] as const) {
      await writeFile(join(dir, name), text);
      expect((await loadPolicyFile(join(dir, name))).pitr.minPitrDays, name).toBe(30);
    }
  });
  it('reads a file without a known extension as JSON, and says "JSON" when it is not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const plain = join(dir, 'policy');
    await writeFile(plain, '{"pitr": {"minPitrDays": 32}}');
    expect((await loadPolicyFile(plain)).pitr.minPitrDays).toBe(32);
    await writeFile(plain, 'pitr: {}');
    await expect(loadPolicyFile(plain)).rejects.toThrow(
      new RegExp(
        `^policy file ${plain} is not valid JSON, as which a name not ending in \\.yaml or \\.yml is read`,
      ),
    );
  });
  it('carries no field issues, and the parser or file error as its cause, when the file cannot be used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'policy-'));
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{');
    for (const path of [broken, join(dir, 'missing.json')]) {
      const error = await loadPolicyFile(path).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).issues).toEqual([]);
      expect((error as PolicyError).cause).toBeInstanceOf(Error);
    }
    const missing = await loadPolicyFile(join(dir, 'missing.json')).catch((caught: unknown) => caught);
    expect((missing as Error).message).toBe(
      `cannot read policy file ${join(dir, 'missing.json')}: no such file`,
    );
  });
  it('names the directory a relative policy file was looked for in, and how to write a YAML one, when it is missing', async () => {
    // Act
    const yaml = await loadPolicyFile('no-such-policy.yaml').catch((caught: unknown) => caught);
    const json = await loadPolicyFile('no-such-policy.json').catch((caught: unknown) => caught);

    // Assess
    expect((yaml as Error).message).toBe(
      `cannot read policy file no-such-policy.yaml: no such file in ${process.cwd()} ('backup-guard init no-such-policy.yaml' writes a starter policy)`,
    );
    expect((json as Error).message).toBe(
      `cannot read policy file no-such-policy.json: no such file in ${process.cwd()}`,
    );
  });
  it('carries no field issues and the JSON error as cause when the policy variable or bundled file is not JSON', async () => {
    const brokenRoot = await mkdtemp(join(tmpdir(), 'bundled-broken-'));
    await writeFile(join(brokenRoot, 'broken.json'), '{');
    for (const attempt of [
      () => loadPolicyFromEnv({ [POLICY_ENV]: '{' }),
      () => loadFunctionPolicy({ [POLICY_FILE_ENV]: 'nowhere.json', LAMBDA_TASK_ROOT: tmpdir() }),
      () => loadFunctionPolicy({ [POLICY_FILE_ENV]: 'broken.json', LAMBDA_TASK_ROOT: brokenRoot }),
    ]) {
      try {
        attempt();
        expect.unreachable('expected a PolicyError');
      } catch (error) {
        expect((error as PolicyError).issues).toEqual([]);
        expect((error as PolicyError).cause).toBeInstanceOf(Error);
      }
    }
  });
});

describe('parsePolicy messages the mutation run found open', () => {
  const issuesOf = (input: unknown) => {
    try {
      parsePolicy(input);
    } catch (error) {
      return { message: (error as PolicyError).message, issues: (error as PolicyError).issues };
    }
    throw new Error('expected the policy to be refused');
  };
  const federation = {
    roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
    audience: 'https://certctl-backup-guard.example.com/aws',
    serviceAccountUniqueId: '104753918625839485720',
  };

  it('tells a region name from a GCP location', () => {
    expect(isAwsRegionName('eu-west-1')).toBe(true);
    expect(isAwsRegionName('us-gov-west-1')).toBe(true);
    expect(isAwsRegionName('europe-west1')).toBe(false);
  });
  it('lists one issue a line, and only the two missing fields when federation has no central account', () => {
    const { message, issues } = issuesOf({ gcp: { federation } });
    expect(issues.map((issue) => issue.path)).toEqual([
      'securityHub.centralAccountId',
      'securityHub.centralRegion',
    ]);
    expect(message).toMatch(
      /^policy is invalid:\n {2}securityHub\.centralAccountId: .*\n {2}securityHub\.centralRegion: /,
    );
  });
  it('tells a user who wrote an account id without quotes to quote it (YAML reads 012345678901 as a number, losing its 0)', () => {
    // Act
    const { issues } = issuesOf({
      exceptions: [
        {
          resource: 'certctl-db',
          account: 111111111111,
          check: 'pitr.cross-region',
          reason: 'AWS Backup copies it elsewhere',
          expires: '2027-03-31',
        },
      ],
    });
    // Assess
    expect(issues).toEqual([
      {
        path: 'exceptions.0.account',
        message:
          'Invalid input: expected string, received number; write it in quotes (YAML reads digits as a number)',
      },
    ]);
  });
  it('tells a user who quoted a number or a boolean (JSON "30", YAML "true") to write it without quotes', () => {
    // Act
    const { issues } = issuesOf({
      pitr: { minPitrDays: '30', requireCrossRegionBackup: 'true' },
      dumps: { cadenceHours: '24' },
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'pitr.minPitrDays',
        message: 'Invalid input: expected number, received string; write the number without quotes',
      },
      {
        path: 'pitr.requireCrossRegionBackup',
        message: 'Invalid input: expected boolean, received string; write true or false, without quotes',
      },
      {
        path: 'dumps.cadenceHours',
        message: 'Invalid input: expected number, received string; write the number without quotes',
      },
    ]);
  });
  it('tells a list field written as one value (projects: certctl-prod) to write a list', () => {
    // Act
    const { issues } = issuesOf({
      gcp: { projects: 'certctl-prod' },
      targets: { identifiers: 'certctl-db' },
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'targets.identifiers',
        message:
          'Invalid input: expected array, received string; write it as a list, even of one: [certctl-db]',
      },
      {
        path: 'gcp.projects',
        message:
          'Invalid input: expected array, received string; write it as a list, even of one: [certctl-prod]',
      },
    ]);
  });
  it('tells a number written with its unit or as a fraction where a whole one is expected what to write, not to remove quotes it has none of', () => {
    // Act: YAML reads `cadenceHours: 24h` as the text "24h", with no quotes to remove.
    const { issues } = issuesOf({
      dumps: { cadenceHours: '24h' },
      pitr: { minPitrDays: 30.5 },
      snapshots: { expiryDays: '14 days' },
    });

    // Assess
    expect(issues).toEqual([
      {
        path: 'pitr.minPitrDays',
        message: 'Invalid input: expected a whole number, received 30.5',
      },
      {
        path: 'dumps.cadenceHours',
        message:
          'Invalid input: expected number, received string; write the number alone, without a unit or quotes',
      },
      {
        path: 'snapshots.expiryDays',
        message:
          'Invalid input: expected number, received string; write the number alone, without a unit or quotes',
      },
    ]);
  });
  it('says what a field of several forms accepts, or what is wrong inside the form it started, not just "Invalid input"', () => {
    // Neither `all` nor a list: both forms named, and what was given.
    expect(issuesOf({ aws: { regions: 5 } }).issues).toEqual([
      { path: 'aws.regions', message: 'expected "all" or a list, received number' },
    ]);
    expect(issuesOf({ aws: { regions: 'everything' } }).issues).toEqual([
      { path: 'aws.regions', message: 'expected "all" or a list, received string' },
    ]);
    // A list whose item is wrong: the item, as when the list alone is allowed.
    expect(issuesOf({ aws: { regions: [1] } }).issues).toEqual([
      {
        path: 'aws.regions.0',
        message:
          'Invalid input: expected string, received number; write it in quotes (YAML reads digits as a number)',
      },
    ]);
    // One id or a list of ids: the bad id's own message.
    const bad = { ...federation, serviceAccountUniqueId: 'robot@example.com' };
    expect(
      issuesOf({
        gcp: { federation: bad },
        securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
      }).issues,
    ).toEqual([{ path: 'gcp.federation.serviceAccountUniqueId', message: 'must be the numeric uniqueId' }]);
  });
  it('says a single unknown key as zod does, and joins several that did not move', () => {
    expect(issuesOf({ bogus: 1 }).issues).toEqual([{ path: '(root)', message: 'Unrecognized key: "bogus"' }]);
    expect(issuesOf({ minPitrDays: 30 }).issues).toEqual([
      { path: 'minPitrDays', message: 'has moved: write it as pitr.minPitrDays' },
    ]);
    expect(issuesOf({ minPitrDays: 30, bogus: 1, other: 2 }).issues).toEqual([
      { path: 'minPitrDays', message: 'has moved: write it as pitr.minPitrDays' },
      { path: '(root)', message: 'Unrecognized keys: "bogus", "other"' },
    ]);
  });
  it('names the field a mistyped key likely means, in the section where it was written', () => {
    expect(issuesOf({ aws: { region: ['eu-west-1'] } }).issues).toEqual([
      { path: 'aws', message: 'Unrecognized key: "region"; did you mean "regions"?' },
    ]);
    expect(issuesOf({ pitr: { minPitrDay: 30 } }).issues).toEqual([
      { path: 'pitr', message: 'Unrecognized key: "minPitrDay"; did you mean "minPitrDays"?' },
    ]);
    expect(issuesOf({ exception: [] }).issues).toEqual([
      { path: '(root)', message: 'Unrecognized key: "exception"; did you mean "exceptions"?' },
    ]);
    const exception = {
      resource: 'x',
      account: '111111111111',
      check: 'pitr.lag',
      reason: 'accepted for a test',
    };
    expect(issuesOf({ exceptions: [{ ...exception, expiry: '2027-01-01' }] }).issues).toEqual([
      { path: 'exceptions.0.expires', message: 'must be a date such as 2027-03-31' },
      { path: 'exceptions.0', message: 'Unrecognized key: "expiry"; did you mean "expires"?' },
    ]);
    expect(issuesOf({ keys: { items: { 'ca-cert': { secrt: 'certctl/ca' } } } }).issues).toContainEqual({
      path: 'keys.items.ca-cert',
      message: 'Unrecognized key: "secrt"; did you mean "secret"?',
    });
    // Nothing close: as zod says it; several keys each get their own suggestion.
    expect(issuesOf({ aws: { bogus: 1, acounts: [] } }).issues).toEqual([
      {
        path: 'aws',
        message: 'Unrecognized keys: "bogus", "acounts"; did you mean "accounts" for "acounts"?',
      },
    ]);
  });
  it('names the fields expected where a mapping was written as a string, a list or a flag', () => {
    expect(issuesOf({ targets: { tags: ['certctl:backup-guard=enabled'] } }).issues).toEqual([
      {
        path: 'targets.tags.0',
        message: 'Invalid input: expected object, received string; write it as fields: key, value',
      },
    ]);
    expect(issuesOf({ securityHub: true }).issues).toEqual([
      {
        path: 'securityHub',
        message: expect.stringMatching(
          /^Invalid input: expected object, received boolean; write it as fields: enabled, refreshDays, /,
        ),
      },
    ]);
    expect(issuesOf({ keys: { items: { 'ca-cert': 'certctl/ca' } } }).issues).toContainEqual({
      path: 'keys.items.ca-cert',
      message: expect.stringMatching(
        /received string; write it as fields: secret, region, account, jsonKey, /,
      ),
    });
  });
  it('names an account, project or region listed twice, with the entry it repeats', () => {
    // Prepare: the same account twice audits every scope twice (each finding counted twice, one
    // role's failure beside the other's pass); a project twice snapshots its instances twice.
    const role = (name: string) => `arn:aws:iam::111111111111:role/${name}`;

    // Act
    const { message, issues } = issuesOf({
      aws: {
        regions: ['eu-west-1', 'us-east-1', 'eu-west-1'],
        accounts: [
          { accountId: '111111111111', roleArn: role('audit') },
          { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/audit' },
          { accountId: '111111111111', roleArn: role('other') },
        ],
      },
      gcp: { projects: ['certctl-prod', 'certctl-prod'] },
    });

    // Assess
    expect(issues).toEqual([
      { path: 'aws.regions.2', message: 'eu-west-1 is listed twice (also aws.regions.0)' },
      {
        path: 'aws.accounts.2.accountId',
        message: '111111111111 is listed twice (also aws.accounts.0); give each account one role',
      },
      { path: 'gcp.projects.1', message: 'certctl-prod is listed twice (also gcp.projects.0)' },
    ]);
    expect(message).toContain('  aws.accounts.2.accountId: 111111111111 is listed twice');
  });
  it('names an alarm e-mail listed twice, which CDK synth would refuse with a stack trace', () => {
    // Act
    const { issues } = issuesOf({
      alarms: { emails: ['sec@example.com', 'ops@example.com', 'sec@example.com'] },
    });

    // Assess
    expect(issues).toEqual([
      { path: 'alarms.emails.2', message: 'sec@example.com is listed twice (also alarms.emails.0)' },
    ]);
  });

  it('names the root when the policy is not an object', () => {
    expect(issuesOf(42).issues).toEqual([{ path: '(root)', message: expect.any(String) }]);
  });
  it('does not call a moved field by its old name inside a section', () => {
    expect(issuesOf({ aws: { minPitrDays: 30 } }).issues).toEqual([
      { path: 'aws', message: 'Unrecognized key: "minPitrDays"' },
    ]);
  });
  it('carries no field issue when a function has no policy at all', () => {
    try {
      loadFunctionPolicy({});
      expect.unreachable('expected a PolicyError');
    } catch (error) {
      expect((error as PolicyError).issues).toEqual([]);
    }
  });
});
