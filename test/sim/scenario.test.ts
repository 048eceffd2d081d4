import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.ts';
import { loadScenario, mergeScenarios, parseScenario } from './scenario.ts';
import { parseSimTime } from './scenario-fields.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');

async function failure(promise: Promise<unknown>): Promise<ScenarioError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario times', () => {
  it('resolves relative times against the clock when written as -12d, -3h, -5m or combinations', () => {
    expect(parseSimTime('-12d')?.at(NOW)).toEqual(new Date('2026-03-03T12:00:00.000Z'));
    expect(parseSimTime('-3h')?.at(NOW)).toEqual(new Date('2026-03-15T09:00:00.000Z'));
    expect(parseSimTime('-5m')?.at(NOW)).toEqual(new Date('2026-03-15T11:55:00.000Z'));
    expect(parseSimTime('-1d12h')?.at(NOW)).toEqual(new Date('2026-03-14T00:00:00.000Z'));
    expect(parseSimTime('+30s')?.at(NOW)).toEqual(new Date('2026-03-15T12:00:30.000Z'));
    expect(parseSimTime('now')?.at(NOW)).toEqual(NOW);
  });

  it('keeps absolute ISO times fixed whatever the clock says', () => {
    expect(parseSimTime('2025-01-02T03:04:05Z')?.at(NOW)).toEqual(new Date('2025-01-02T03:04:05.000Z'));
  });

  it('refuses text that is no time when it is neither relative nor ISO', () => {
    expect(parseSimTime('12 days ago')).toBeUndefined();
    expect(parseSimTime('5')).toBeUndefined();
  });
});

describe('loadScenario', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certctl-sim-scenario-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('loads the demo fleet when given the bundled file', async () => {
    const scenario = await loadScenario('test/sim/scenarios/demo-aws.yaml');

    expect(scenario.accounts.map((account) => account.id)).toEqual(['111111111111']);
    expect(scenario.regions.map((region) => region.name)).toEqual(['eu-west-1', 'us-east-1', 'ap-east-1']);
  });

  it('merges accounts, regions and service sections when several files are given', async () => {
    const aws = await file(
      'aws.yaml',
      [
        'accounts:',
        "  - id: '111111111111'",
        '    assumableRoles: [{ name: audit }]',
        'regions: [{ name: eu-west-1 }]',
        'services:',
        '  rds:',
        '    instances: [{ id: aws-db, region: eu-west-1 }]',
      ].join('\n'),
    );
    const more = await file(
      'more.json',
      JSON.stringify({
        accounts: [
          {
            id: '111111111111',
            webIdentityTrusts: [
              { role: 'gcp', oaud: 'https://aud.example.com', serviceAccountId: '123456789012345678901' },
            ],
          },
          { id: '222222222222' },
        ],
        regions: [{ name: 'us-east-1' }, { name: 'eu-west-1', optStatus: 'ENABLED' }],
        services: { rds: { instances: [{ id: 'more-db', region: 'us-east-1', account: '222222222222' }] } },
      }),
    );

    const scenario = await loadScenario(aws, more);

    expect(scenario.accounts).toEqual([
      {
        id: '111111111111',
        assumableRoles: [{ name: 'audit', maxSessionDurationSeconds: 3600 }],
        webIdentityTrusts: [
          {
            role: 'gcp',
            oaud: 'https://aud.example.com',
            serviceAccountId: '123456789012345678901',
            maxSessionDurationSeconds: 3600,
          },
        ],
      },
      { id: '222222222222', assumableRoles: [], webIdentityTrusts: [] },
    ]);
    expect(scenario.regions).toEqual([
      { name: 'eu-west-1', optStatus: 'ENABLED' },
      { name: 'us-east-1', optStatus: 'ENABLED_BY_DEFAULT' },
    ]);
    expect(scenario.services.rds).toEqual({
      instances: [
        { id: 'aws-db', region: 'eu-west-1' },
        { id: 'more-db', region: 'us-east-1', account: '222222222222' },
      ],
    });
  });

  it('names the file and the field path when a field is bad', async () => {
    const bad = await file(
      'bad-field.yaml',
      [
        'regions: [{ name: eu-west-1 }]',
        'services:',
        '  rds:',
        '    instances:',
        '      - { id: ok-db, region: eu-west-1 }',
        '      - { id: bad-db, region: eu-west-1, backupRetentionPeriod: 36 }',
      ].join('\n'),
    );

    const error = await failure(loadScenario(bad));

    expect(error.file).toBe(bad);
    expect(error.message).toContain(`scenario file ${bad} is invalid`);
    expect(error.issues).toEqual([
      { path: 'services.rds.instances.1.backupRetentionPeriod', message: expect.stringContaining('<=35') },
    ]);
  });

  it('names the bad time and how to write one when a time is not relative or ISO', async () => {
    const bad = await file(
      'bad-time.yaml',
      [
        'regions: [{ name: eu-west-1 }]',
        'services:',
        '  rds:',
        '    clusters:',
        '      - { id: c1, region: eu-west-1, earliestRestorableTime: 12 days ago }',
      ].join('\n'),
    );

    const error = await failure(loadScenario(bad));

    expect(error.issues[0]?.path).toBe('services.rds.clusters.0.earliestRestorableTime');
    expect(error.issues[0]?.message).toContain(
      'write it relative to the simulator clock (-12d, -3h, -5m, now)',
    );
  });

  it('refuses an unknown service section when no simulated service reads it', async () => {
    const bad = await file('unknown.yaml', 'services:\n  rdss: {}\n');

    const error = await failure(loadScenario(bad));

    expect(error.issues).toEqual([
      { path: 'services.rdss', message: expect.stringContaining('no simulated service reads this section') },
    ]);
  });

  it('names the file when it is not valid YAML', async () => {
    const bad = await file('broken.yaml', 'accounts: [\n');

    const error = await failure(loadScenario(bad));

    expect(error.message).toContain(`scenario file ${bad} is not valid YAML`);
    expect(error.file).toBe(bad);
  });

  it('names the file when it cannot be read', async () => {
    const error = await failure(loadScenario(join(dir, 'missing.yaml')));

    expect(error.message).toContain('cannot read scenario file');
  });

  it('refuses a resource in a region the scenario does not list when files are merged', async () => {
    const first = await file('first.yaml', 'regions: [{ name: eu-west-1 }]\n');
    const second = await file(
      'second.yaml',
      'services:\n  rds:\n    instances: [{ id: lost-db, region: sa-east-1 }]\n',
    );

    const error = await failure(loadScenario(first, second));

    expect(error.message).toContain(`scenario merged from ${first}, ${second} is invalid`);
    expect(error.issues).toEqual([
      {
        path: 'services.rds.instances.0.region',
        message: "region sa-east-1 is not in the scenario's regions",
      },
    ]);
  });

  it('refuses a read replica whose source does not exist', async () => {
    const bad = await file(
      'replica.yaml',
      'regions: [{ name: eu-west-1 }]\nservices:\n  rds:\n    instances: [{ id: r1, region: eu-west-1, readReplicaSource: ghost }]\n',
    );

    const error = await failure(loadScenario(bad));

    expect(error.issues[0]?.path).toBe('services.rds.instances.0.readReplicaSource');
  });
});

describe('parseScenario', () => {
  it('adds the default account when a scenario lists none', () => {
    const scenario = parseScenario({});

    expect(scenario.accounts).toEqual([{ id: '111111111111', assumableRoles: [], webIdentityTrusts: [] }]);
  });

  it('reads an unquoted YAML account id as its 12-digit string', () => {
    const scenario = parseScenario({ accounts: [{ id: 111111111111 }] });

    expect(scenario.accounts[0]?.id).toBe('111111111111');
  });

  it('refuses a Cloud Storage bucket with both Object Versioning and a retention policy, as Cloud Storage does', () => {
    // Prepare
    const bucket = (versioning: boolean) => ({
      services: {
        gcs: {
          buckets: [
            {
              name: 'certctl-dumps',
              versioning,
              retentionPolicy: { retentionPeriodSeconds: 86_400, isLocked: true },
            },
          ],
        },
      },
    });
    // Act / Assess: versioning turned off beside a policy is a state a bucket can be in.
    expect(() => parseScenario(bucket(true))).toThrow(
      /services\.gcs\.buckets\.0: .*Object Versioning.*retention policy/,
    );
    expect(() => parseScenario(bucket(false))).not.toThrow();
  });

  it('refuses an account listed twice', () => {
    expect(() => parseScenario({ accounts: [{ id: '111111111111' }, { id: '111111111111' }] })).toThrow(
      /accounts\.1\.id: account 111111111111 is listed twice/,
    );
  });
});

describe('mergeScenarios', () => {
  it('combines in-memory scenarios the way files are merged', () => {
    const merged = mergeScenarios(
      {
        regions: [{ name: 'eu-west-1' }],
        services: { rds: { instances: [{ id: 'a', region: 'eu-west-1' }] } },
      },
      { services: { rds: { instances: [{ id: 'b', region: 'eu-west-1' }] } } },
    );

    expect((merged.services.rds as { instances: unknown[] }).instances).toHaveLength(2);
  });
});
