/**
 * The snapshot gate and the KMS key of the snapshot it relies on: an encrypted RDS/Aurora snapshot is
 * restorable only while its key is usable, so a GO needs the key described and Enabled.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSnapshot, SnapshotKey } from '../../functions/actions/snapshot/backend.ts';
import { countStatuses } from '../../functions/core/audit.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { judgeReadiness, snapshotGate } from '../../functions/jobs/readiness.ts';
import { rdsResource, retentionFinding } from '../publish/security-hub/fixtures.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-1111-2222-3333-444444444444';
const TARGET: ResourceRef = {
  provider: 'aws',
  account: '111111111111',
  region: 'eu-west-1',
  type: 'AwsRdsDbInstance',
  id: 'certctl-prod-db',
  resourceId: 'db-CERTCTLPRODDB',
};
const FRESH: BackendSnapshot = {
  id: 'certctl-premaint-certctl-prod-db-0123456789',
  kind: 'rds-instance',
  target: 'certctl-prod-db',
  sourceResourceId: 'db-CERTCTLPRODDB',
  status: 'available',
  createdAt: new Date('2026-12-03T10:00:00.000Z'),
  encrypted: true,
  kmsKeyId: KEY_ARN,
  tags: { purpose: 'certctl-pre-maintenance' },
};

const described = (state: string | undefined, extra: { deletionDate?: Date } = {}): SnapshotKey => ({
  kind: 'described',
  key: { id: KEY_ARN, manager: 'CUSTOMER', state, ...extra },
});

/** The gate over the fresh snapshot, its key read as `key`; the snapshots whose key was asked for. */
function gateWith(key: SnapshotKey) {
  const asked: string[] = [];
  const gate = snapshotGate([FRESH], TARGET, 24, NOW, (snapshot) => {
    asked.push(snapshot.id);
    return key;
  });
  return { gate, asked };
}

describe('snapshotGate and the snapshot key', () => {
  it('refuses the GO, naming the key state and its deletion date, when the key is pending deletion', () => {
    // Act
    const { gate } = gateWith(
      described('PendingDeletion', { deletionDate: new Date('2026-12-10T00:00:00.000Z') }),
    );

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain(FRESH.id);
    expect(gate.evidence).toContain(`KMS key ${KEY_ARN} is PendingDeletion`);
    expect(gate.evidence).toContain('2026-12-10T00:00:00.000Z');
    expect(gate.action).toContain(`aws kms cancel-key-deletion --key-id ${KEY_ARN}`);
  });

  describe('a key whose imported key material expires (ValidTo)', () => {
    const expiringIn = (days: number): SnapshotKey => ({
      kind: 'described',
      key: {
        id: KEY_ARN,
        manager: 'CUSTOMER',
        state: 'Enabled',
        region: 'eu-west-1',
        materialExpires: new Date(NOW.getTime() + days * 86_400_000),
      },
    });
    const gateOf = (days: number, horizonDays?: number) =>
      snapshotGate([FRESH], TARGET, 24, NOW, () => expiringIn(days), undefined, horizonDays);

    it('refuses the GO once the material has expired, naming the key, the date and the import', () => {
      // Act
      const gate = gateOf(-1 / 24);
      // Assess
      expect(gate.status).toBe('NO-GO');
      expect(gate.evidence).toContain(
        `but the imported key material of its KMS key ${KEY_ARN} expired on 2026-12-03T11:00:00.000Z (ValidTo): KMS deletes it then, and the snapshot cannot be restored until the same material is imported again`,
      );
      expect(gate.action).toContain(
        `\`aws kms import-key-material --key-id ${KEY_ARN} --import-token '<token>' --encrypted-key-material '<material>' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1\``,
      );
    });

    it.each([
      ['within hours', 1 / 24, undefined, '(ValidTo, within a day)'],
      ['in 29 days, within the default 30', 29.5, undefined, '(ValidTo, in 29 days)'],
      ['in 40 days, within a 60-day horizon', 40, 60, '(ValidTo, in 40 days)'],
    ] as const)('gives the GO with a warning when it expires %s', (_, days, horizonDays, said) => {
      // Act
      const gate = gateOf(days, horizonDays);
      // Assess
      expect(gate.status).toBe('GO');
      expect(gate.warnings).toHaveLength(1);
      expect(gate.warnings?.[0]).toContain(`the imported key material of its KMS key ${KEY_ARN} expires on`);
      expect(gate.warnings?.[0]).toContain(said);
      expect(gate.warnings?.[0]).toContain('--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE');
    });

    it('gives the GO without a warning beyond the horizon, its evidence saying until when', () => {
      // Act
      const gate = gateOf(40);
      // Assess
      expect(gate.status).toBe('GO');
      expect(gate.warnings).toBeUndefined();
      expect(gate.evidence).toContain(
        `KMS key ${KEY_ARN} Enabled (imported key material until 2027-01-12T12:00:00.000Z)`,
      );
    });

    it("judges readiness's snapshot gate with the horizon it is given (keys.expiryHorizonDays)", () => {
      // Prepare
      const findings = [retentionFinding(TARGET, { status: 'PASSED' })];
      const at = NOW.toISOString();
      const judge = (keyHorizonDays: number) =>
        judgeReadiness({
          report: { startedAt: at, finishedAt: at, findings, scopes: [], counts: countStatuses(findings) },
          plannedGroups: new Set(['pitr']),
          providers: ['aws'],
          snapshotsOf: () => [FRESH],
          snapshotKeyOf: () => expiringIn(40),
          maxAgeHours: 24,
          keyHorizonDays,
          now: NOW,
        }).targets[0]?.gates.find((entry) => entry.gate === 'snapshot');
      // Act
      const within = judge(60);
      const beyond = judge(30);
      // Assess
      expect(within?.status).toBe('GO');
      expect(within?.warnings?.[0]).toContain('(ValidTo, in 40 days)');
      expect(beyond?.status).toBe('GO');
      expect(beyond?.warnings).toBeUndefined();
    });
  });

  it('names the region the key was described in in the fix commands', () => {
    // Act: the key ARN's region, as kmsKeyDescriber says it.
    const { gate } = gateWith({
      kind: 'described',
      key: { id: KEY_ARN, manager: 'CUSTOMER', state: 'PendingDeletion', region: 'eu-west-1' },
    });

    // Assess
    expect(gate.action).toContain(`\`aws kms cancel-key-deletion --key-id ${KEY_ARN} --region eu-west-1\``);
    expect(gate.action).toContain(`\`aws kms enable-key --key-id ${KEY_ARN} --region eu-west-1\``);
  });

  it.each(['Disabled', 'PendingReplicaDeletion', 'Unavailable'])(
    'refuses the GO naming the key state when the key is %s',
    (state) => {
      // Act
      const { gate } = gateWith(described(state));

      // Assess
      expect(gate.status).toBe('NO-GO');
      expect(gate.evidence).toContain(`KMS key ${KEY_ARN} is ${state}`);
      expect(gate.action).toBeDefined();
    },
  );

  it('refuses the GO when the key no longer exists: the snapshot cannot be restored with it', () => {
    // Prepare: DescribeKey answered NotFoundException for the key ARN (functions/aws/kms-keys.ts).
    const gone: SnapshotKey = {
      kind: 'described',
      key: {
        id: KEY_ARN,
        manager: undefined,
        deleted: true,
        unreadReason: `DescribeKey: NotFoundException: the key ${KEY_ARN} does not exist`,
      },
    };

    // Act
    const { gate } = gateWith(gone);

    // Assess
    expect(gate.status).toBe('NO-GO');
    expect(gate.evidence).toContain(
      `KMS key ${KEY_ARN} does not exist (DescribeKey: NotFoundException), deleted with its key material: the snapshot cannot be restored with it`,
    );
    expect(gate.action).toBe(
      'The key cannot be restored: take a snapshot encrypted with a key that is Enabled. Then run readiness again.',
    );
  });

  it('says it could not check the key, naming its ARN and the error code, when DescribeKey is denied', () => {
    // Prepare
    const denied: SnapshotKey = {
      kind: 'described',
      key: {
        id: KEY_ARN,
        manager: undefined,
        denied: true,
        unreadReason: 'DescribeKey was denied (AccessDeniedException)',
      },
    };

    // Act
    const { gate } = gateWith(denied);

    // Assess: not a GO, and not a NO-GO either: the key was not read.
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain(`could not check the snapshot's KMS key ${KEY_ARN}`);
    expect(gate.evidence).toContain('AccessDeniedException');
    expect(gate.action).toContain('kms:DescribeKey');
  });

  it('does not judge a key whose state KMS did not send, nor an encrypted snapshot whose key RDS did not name', () => {
    // Act
    const noState = gateWith(described(undefined)).gate;
    const unnamed = gateWith({ kind: 'unnamed', reason: 'RDS did not name its KMS key (KmsKeyId)' }).gate;
    const creating = gateWith(described('Creating')).gate;

    // Assess
    expect([noState.status, unnamed.status, creating.status]).toEqual(['UNKNOWN', 'UNKNOWN', 'UNKNOWN']);
    expect(unnamed.evidence).toContain('KmsKeyId');
    expect(creating.evidence).toContain('Creating');
  });

  describe('an older fresh snapshot beside a newest one whose key is unusable', () => {
    const OTHER_KEY = 'arn:aws:kms:eu-west-1:111111111111:key/bbbbbbbb-1111-2222-3333-444444444444';
    const OLDER: BackendSnapshot = {
      ...FRESH,
      id: 'certctl-premaint-certctl-prod-db-9876543210',
      createdAt: new Date('2026-12-03T02:00:00.000Z'),
      kmsKeyId: OTHER_KEY,
    };
    const keyOf = (older: SnapshotKey) => (snapshot: BackendSnapshot) =>
      snapshot.id === FRESH.id ? described('Disabled') : older;

    it('gives the GO naming the older snapshot to restore from, and says the newest cannot be restored', () => {
      // Act
      const gate = snapshotGate(
        [FRESH, OLDER],
        TARGET,
        24,
        NOW,
        keyOf({
          kind: 'described',
          key: { id: OTHER_KEY, manager: 'CUSTOMER', state: 'Enabled' },
        }),
      );

      // Assess
      expect(gate.status).toBe('GO');
      expect(gate.evidence).toMatch(new RegExp(`^${OLDER.id}, 10\\.0 h old \\(limit 24 h\\)`));
      expect(gate.evidence).toContain('restore from this one');
      expect(gate.warnings?.join('\n')).toContain(`the newest snapshot, ${FRESH.id}, cannot be restored`);
      expect(gate.warnings?.join('\n')).toContain(`KMS key ${KEY_ARN} is Disabled`);
    });

    it('names the older snapshot to restore from in the warning, which a chat answer shows of a GO gate', () => {
      // Prepare: chat lists a GO gate's warnings, never its evidence (chatops/answers.ts readinessAnswer).
      const usable: SnapshotKey = {
        kind: 'described',
        key: { id: OTHER_KEY, manager: 'CUSTOMER', state: 'Enabled' },
      };

      // Act
      const gate = snapshotGate([FRESH, OLDER], TARGET, 24, NOW, keyOf(usable));

      // Assess
      expect(gate.status).toBe('GO');
      expect(gate.warnings?.[0]).toContain(`the newest snapshot, ${FRESH.id}, cannot be restored`);
      expect(gate.warnings?.[0]).toContain(`restore from ${OLDER.id} (10.0 h old) instead`);
    });

    it('names a newer snapshot still being created beside the NO-GO of the newest one’s key, so none is taken twice', () => {
      // Prepare: a snapshot asked for an hour ago, still creating (the age gate says to wait for it).
      const creating: BackendSnapshot = {
        ...FRESH,
        id: 'certctl-premaint-certctl-prod-db-1111111111',
        status: 'creating',
        createdAt: new Date('2026-12-03T11:00:00.000Z'),
      };

      // Act
      const gate = snapshotGate([creating, FRESH], TARGET, 24, NOW, () => described('Disabled'), 14);

      // Assess
      expect(gate.status).toBe('NO-GO');
      expect(gate.evidence).toContain(`KMS key ${KEY_ARN} is Disabled`);
      expect(gate.evidence).toContain(
        `${creating.id} is still being created (started 2026-12-03T11:00:00.000Z)`,
      );
      expect(gate.action).toContain(`aws kms enable-key --key-id ${KEY_ARN}`);
      expect(gate.action).toContain(
        `${creating.id} is still being created: wait for it to finish rather than take another snapshot`,
      );
    });

    it('says in the gate summary that a GO rests on an older snapshot than the newest', () => {
      // Prepare
      const findings = [retentionFinding(TARGET, { status: 'PASSED' })];
      const at = NOW.toISOString();
      const usable: SnapshotKey = {
        kind: 'described',
        key: { id: OTHER_KEY, manager: 'CUSTOMER', state: 'Enabled' },
      };

      // Act
      const result = judgeReadiness({
        report: { startedAt: at, finishedAt: at, findings, scopes: [], counts: countStatuses(findings) },
        plannedGroups: new Set(['pitr']),
        providers: ['aws'],
        snapshotsOf: () => [FRESH, OLDER],
        snapshotKeyOf: keyOf(usable),
        maxAgeHours: 24,
        now: NOW,
      });

      // Assess: not "the newest snapshot of 1 target(s)", which the GO does not rest on.
      const summary = result.gates.find((gate) => gate.gate === 'snapshot');
      expect(result.targets[0]?.gates.find((gate) => gate.gate === 'snapshot')?.status).toBe('GO');
      expect(summary?.coverage).toBe('evaluated');
      expect(summary?.detail).toBe(
        'newest pre-maintenance snapshot of 1 target(s), limit 24 h; 1 of them rest(s) on an older one within the limit: the newest one cannot be restored with its key',
      );
    });

    it('stays NO-GO when the older snapshot is past the limit or its key is unusable too', () => {
      // Act
      const stale = snapshotGate(
        [FRESH, OLDER],
        TARGET,
        8,
        NOW,
        keyOf({
          kind: 'described',
          key: { id: OTHER_KEY, manager: 'CUSTOMER', state: 'Enabled' },
        }),
      );
      const bothUnusable = snapshotGate([FRESH, OLDER], TARGET, 24, NOW, keyOf(described('PendingDeletion')));

      // Assess
      expect(stale.status).toBe('NO-GO');
      expect(bothUnusable.status).toBe('NO-GO');
      expect(bothUnusable.evidence).toContain(FRESH.id);
    });
  });

  it('gives the GO as before, naming the key, when the key is Enabled', () => {
    // Act
    const { gate, asked } = gateWith(described('Enabled'));

    // Assess
    expect(gate.status).toBe('GO');
    expect(gate.evidence).toBe(`${FRESH.id}, 2.0 h old (limit 24 h); KMS key ${KEY_ARN} Enabled`);
    expect(asked).toEqual([FRESH.id]);
  });

  it('has nothing to check for an unencrypted snapshot, and asks for no key when no snapshot can make the GO', () => {
    // Prepare
    const stale: BackendSnapshot = { ...FRESH, createdAt: new Date('2026-11-20T12:00:00.000Z') };
    const asked: string[] = [];

    // Act
    const plain = gateWith({ kind: 'none' }).gate;
    const old = snapshotGate([stale], TARGET, 24, NOW, (snapshot) => {
      asked.push(snapshot.id);
      return described('PendingDeletion');
    });

    // Assess
    expect(plain).toEqual({
      gate: 'snapshot',
      status: 'GO',
      evidence: `${FRESH.id}, 2.0 h old (limit 24 h)`,
    });
    expect(old.status).toBe('NO-GO');
    expect(old.evidence).not.toContain('KMS');
    expect(asked).toEqual([]);
  });

  it('asks for no key and gives no GO when the fresh snapshot is not of the database there now', () => {
    // Prepare: the same name and an Enabled key, but taken of an earlier database of that name, or of
    // a database whose resource id the API did not send.
    const asked: string[] = [];
    const keyOf = (snapshot: BackendSnapshot): SnapshotKey => {
      asked.push(snapshot.id);
      return described('Enabled');
    };

    // Act
    const earlier = snapshotGate([{ ...FRESH, sourceResourceId: 'db-EARLIER' }], TARGET, 24, NOW, keyOf);
    const unverifiable = snapshotGate([{ ...FRESH, sourceResourceId: undefined }], TARGET, 24, NOW, keyOf);

    // Assess
    expect(earlier.status).toBe('NO-GO');
    expect(earlier.evidence).toContain('not counted');
    expect(unverifiable.status).toBe('UNKNOWN');
    expect(unverifiable.evidence).toContain('(not verifiable, not counted)');
    expect(asked).toEqual([]);
  });
});

describe('the snapshot gate summary', () => {
  it('reports both a target whose snapshot is unverifiable and one whose snapshot key was not checked', () => {
    // Prepare: one target's snapshot names no database resource id; the other's key is unreadable.
    const other: ResourceRef = { ...rdsResource('certctl-ra-db'), resourceId: 'db-CERTCTLRADB' };
    const target: ResourceRef = { ...rdsResource('certctl-prod-db'), resourceId: 'db-CERTCTLPRODDB' };
    const findings = [target, other].map((resource) => retentionFinding(resource, { status: 'PASSED' }));
    const unverifiable: BackendSnapshot = { ...FRESH, sourceResourceId: undefined };
    const ra: BackendSnapshot = {
      ...FRESH,
      id: 'certctl-premaint-certctl-ra-db-1',
      target: 'certctl-ra-db',
      sourceResourceId: 'db-CERTCTLRADB',
    };
    const at = NOW.toISOString();

    // Act
    const result = judgeReadiness({
      report: { startedAt: at, finishedAt: at, findings, scopes: [], counts: countStatuses(findings) },
      plannedGroups: new Set(['pitr']),
      providers: ['aws'],
      snapshotsOf: (resource) => (resource.id === 'certctl-ra-db' ? [ra] : [unverifiable]),
      snapshotKeyOf: () => ({ kind: 'unnamed', reason: 'it was not read in this run' }),
      maxAgeHours: 24,
      now: NOW,
    });

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.gates.find((gate) => gate.gate === 'snapshot')).toMatchObject({
      coverage: 'incomplete',
      detail:
        "1 target(s) whose snapshots could not be listed, dated or told to be of the database there now, 1 target(s) whose snapshot's KMS key could not be checked",
    });
  });
});
