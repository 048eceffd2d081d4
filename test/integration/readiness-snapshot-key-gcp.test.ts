/**
 * The Cloud KMS key version of a Cloud SQL backup a GO rests on, end to end against the simulator
 * (the real `@google-cloud/sql` clients and the Cloud KMS REST client): a backup run of an instance
 * encrypted with a customer-managed key names the key (`diskEncryptionConfiguration.kmsKeyName`)
 * and the version it was encrypted with (`diskEncryptionStatus.kmsKeyVersionName`); readiness gives
 * a GO only when that version is ENABLED, and reads each distinct version once per run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gcpSnapshotCloud } from '../../functions/actions/snapshot/gcp.ts';
import { SNAPSHOT_PURPOSE } from '../../functions/actions/snapshot/model.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { runSnapshotJob } from '../../functions/jobs/snapshot.ts';
import { cloudSqlScenario, instance, PROJECT, startGcpSim } from '../gcp/sim-setup.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlInstanceScenario } from '../sim/services/cloud-sql.ts';
import { NO_KEYS_WAIVER } from './snapshot-support.ts';

const KEY = `projects/${PROJECT}/locations/europe-west1/keyRings/certctl/cryptoKeys/cloudsql`;
const version = (n: number) => `${KEY}/cryptoKeyVersions/${n}`;

let sim: Sim | undefined;
let factory: GcpClientFactory | undefined;

afterEach(async () => {
  await factory?.close();
  await sim?.close();
  sim = undefined;
  factory = undefined;
});

/** A labelled instance with a fresh backup run of ours (two hours old) and this encryption. */
function cmekInstance(name: string, cmek?: CloudSqlInstanceScenario['cmek']): CloudSqlInstanceScenario {
  return instance(name, {
    ...(cmek ? { cmek } : {}),
    onDemandBackups: {
      durationMs: 50,
      existing: [
        {
          description: `${SNAPSHOT_PURPOSE}; id=certctl-premaint-${name}; reason=CA rotation; requested-by=bob; request-id=r-1`,
          createdAt: '-2h',
        },
      ],
    },
  });
}

type KmsKey = { name: string; versions: { state: string }[]; primary?: number; deniedVersions?: number[] };

async function start(instances: readonly CloudSqlInstanceScenario[], keys: readonly KmsKey[]) {
  const base = cloudSqlScenario(instances);
  ({ sim } = await startGcpSim(
    { ...base, services: { ...base.services, cloudKms: { keys: [...keys] } } },
    { clock: () => new Date() },
  ));
  factory = new GcpClientFactory({ endpoint: sim.endpoint });
  const policy = parsePolicy({
    pitr: { minPitrDays: 7 },
    gcp: { projects: [PROJECT] },
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: 0.1,
      readinessWaivers: NO_KEYS_WAIVER,
    },
  });
  const cloud = gcpSnapshotCloud({ policy, clients: factory });
  return {
    sim,
    deps: { policy, clouds: [cloud] },
    readinessDeps: { policy, gcp: { clients: factory, collectors: gcpCollectors }, clouds: [cloud] },
  };
}

async function readiness(instances: readonly CloudSqlInstanceScenario[], keys: readonly KmsKey[]) {
  const started = await start(instances, keys);
  const result = await runReadinessJob({ providers: ['gcp'] }, started.readinessDeps);
  const gateOf = (id: string) =>
    result.targets.find((entry) => entry.target.id === id)?.gates.find((gate) => gate.gate === 'snapshot');
  const { byOperation } = started.sim.stats();
  return {
    result,
    gateOf,
    versionReads: byOperation['cloudKms:cryptoKeyVersions.get'] ?? 0,
    keyReads: byOperation['cloudKms:cryptoKeys.get'] ?? 0,
  };
}

const key = (...states: string[]): KmsKey => ({ name: KEY, versions: states.map((state) => ({ state })) });

describe('readiness and the Cloud KMS key version of the Cloud SQL backup it relies on', () => {
  it('refuses the GO, naming the version, DESTROY_SCHEDULED, its destroy time and the restore, when the version is scheduled for destruction', async () => {
    // Act
    const { result, gateOf } = await readiness(
      [cmekInstance('certctl-pg', { kmsKeyName: KEY, kmsKeyVersionName: version(1) })],
      [key('DESTROY_SCHEDULED', 'ENABLED')],
    );

    // Assess
    expect(result.verdict).toBe('NO-GO');
    const gate = gateOf('certctl-pg');
    expect(gate?.status).toBe('NO-GO');
    expect(gate?.evidence).toContain('certctl-premaint-certctl-pg');
    expect(gate?.evidence).toContain(
      `Cloud KMS key version ${version(1)} is DESTROY_SCHEDULED (destroyed on `,
    );
    expect(gate?.action).toContain(
      `gcloud kms keys versions restore 1 --key=cloudsql --keyring=certctl --location=europe-west1 --project=${PROJECT}`,
    );
    expect(gate?.action).toContain('gcloud kms keys versions enable 1');
  });

  it('refuses the GO, naming the version and the enable command, when the version is DISABLED', async () => {
    // Act
    const { result, gateOf } = await readiness(
      [cmekInstance('certctl-pg', { kmsKeyName: KEY, kmsKeyVersionName: version(2) })],
      [key('ENABLED', 'DISABLED')],
    );

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(gateOf('certctl-pg')?.evidence).toContain(`Cloud KMS key version ${version(2)} is DISABLED`);
    expect(gateOf('certctl-pg')?.action).toContain(
      `gcloud kms keys versions enable 2 --key=cloudsql --keyring=certctl --location=europe-west1 --project=${PROJECT}`,
    );
  });

  it('answers could-not-evaluate, naming the version and PERMISSION_DENIED, when the version read is denied', async () => {
    // Act
    const { result, gateOf } = await readiness(
      [cmekInstance('certctl-pg', { kmsKeyName: KEY, kmsKeyVersionName: version(1) })],
      [{ ...key('ENABLED'), deniedVersions: [1] }],
    );

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    const gate = gateOf('certctl-pg');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toContain(`could not check the backup's Cloud KMS key version ${version(1)}`);
    expect(gate?.evidence).toContain('PERMISSION_DENIED');
    expect(gate?.action).toContain('cloudkms.cryptoKeyVersions.get');
  });

  it('gives the GO when the version is ENABLED, reading a version two backups share once', async () => {
    // Act
    const { result, gateOf, versionReads } = await readiness(
      [
        cmekInstance('certctl-pg', { kmsKeyName: KEY, kmsKeyVersionName: version(1) }),
        cmekInstance('certctl-pg-2', { kmsKeyName: KEY, kmsKeyVersionName: version(1) }),
      ],
      [key('ENABLED')],
    );

    // Assess
    expect(result.verdict).toBe('GO');
    expect(gateOf('certctl-pg')?.status).toBe('GO');
    expect(gateOf('certctl-pg')?.evidence).toContain(`Cloud KMS key version ${version(1)} ENABLED`);
    expect(gateOf('certctl-pg-2')?.status).toBe('GO');
    expect(versionReads).toBe(1);
  });

  it('gives the GO as before, reading no key, for a Google-managed encryption', async () => {
    // Act
    const { result, gateOf, versionReads, keyReads } = await readiness([cmekInstance('certctl-pg')], []);

    // Assess
    expect(result.verdict).toBe('GO');
    expect(gateOf('certctl-pg')?.status).toBe('GO');
    expect(gateOf('certctl-pg')?.evidence).not.toContain('Cloud KMS');
    expect(versionReads + keyReads).toBe(0);
  });

  it('could not evaluate, naming the instance and its key, when the backup run of a CMEK instance names no key', async () => {
    // Act: the instance is encrypted with a customer-managed key; backupRuns.list sends its run
    // without diskEncryptionConfiguration (not sent, not Google-managed).
    const { result, gateOf, versionReads, keyReads } = await readiness(
      [cmekInstance('certctl-pg', { kmsKeyName: KEY, runsOmitKey: true })],
      [key('ENABLED')],
    );

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    const gate = gateOf('certctl-pg');
    expect(gate?.status).toBe('UNKNOWN');
    expect(gate?.evidence).toContain(
      `names no key (diskEncryptionConfiguration), but instance certctl-pg is encrypted with the customer-managed key ${KEY}`,
    );
    expect(gate?.action).toContain(`gcloud sql backups list --instance=certctl-pg --project=${PROJECT}`);
    expect(versionReads + keyReads).toBe(0);
  });

  it("judges a backup run that names no key version by the key's primary version, saying so", async () => {
    // Act
    const { result, gateOf, keyReads } = await readiness(
      [cmekInstance('certctl-pg', { kmsKeyName: KEY })],
      [{ ...key('ENABLED', 'DISABLED'), primary: 2 }],
    );

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(gateOf('certctl-pg')?.evidence).toContain(`Cloud KMS key version ${version(2)} is DISABLED`);
    expect(gateOf('certctl-pg')?.evidence).toContain('primary version');
    expect(keyReads).toBe(1);
  });
});

describe('the snapshot job and the Cloud KMS key version of the backup it took', () => {
  it('reports a backup whose key version is DISABLED as not restorable', async () => {
    // Prepare
    const { deps } = await start(
      [
        instance('certctl-pg', {
          cmek: { kmsKeyName: KEY, kmsKeyVersionName: version(1) },
          onDemandBackups: { durationMs: 50 },
        }),
      ],
      [key('DISABLED')],
    );

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-7', reason: 'CA rotation', ticket: 'CHG-7', requestedBy: 'alice' },
      deps,
    );

    // Assess
    expect(result.results[0]).toMatchObject({ outcome: 'error', error: { code: 'SnapshotKeyUnusable' } });
    expect(result.results[0]?.error?.message).toContain(`Cloud KMS key version ${version(1)} is DISABLED`);
  });
});

describe('readiness of a Cloud SQL instance on the enhanced backup tier', () => {
  it('gives no GO on instance settings a Backup and DR backup plan overrides, even with a fresh backup of ours', async () => {
    // Prepare: settings that give the GO on the standard tier (the test above), on the enhanced
    // tier, where a Backup and DR backup plan sets the schedule and the retention.
    const enhanced = cmekInstance('certctl-pg');
    enhanced.backups = { backupTier: 'ENHANCED' };

    // Act
    const { result } = await readiness([enhanced], []);

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    const pitr = result.targets[0]?.gates.find((gate) => gate.gate === 'audit:pitr');
    expect(pitr?.status).toBe('UNKNOWN');
    expect(pitr?.evidence).toContain('NOT_AVAILABLE');
  });

  it('says to look at the backup plan, not to fix permissions, when the audit gate cannot be judged for that reason', async () => {
    // Prepare
    const enhanced = cmekInstance('certctl-pg');
    enhanced.backups = { backupTier: 'ENHANCED' };

    // Act
    const { result } = await readiness([enhanced], []);

    // Assess
    const pitr = result.targets[0]?.gates.find((gate) => gate.gate === 'audit:pitr');
    expect(pitr?.action).toContain(
      `gcloud backup-dr backup-plan-associations fetch-for-resource-type sqladmin.googleapis.com/Instance --location=europe-west1 --project=${PROJECT}`,
    );
    expect(pitr?.action).not.toContain('permissions');
    expect(pitr?.action).toMatch(/run readiness again\.$/);
  });
});
