/**
 * The RDS backend of the snapshot action: instances get DB snapshots, Aurora clusters cluster
 * snapshots (CreateDBSnapshot on an Aurora member fails with InvalidParameterValue,
 * https://github.com/cloud-custodian/cloud-custodian/issues/313).
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import {
  createRdsSnapshot,
  deleteRdsSnapshot,
  describeRdsSnapshots,
  listManualRdsSnapshots,
  type RdsSnapshotState,
} from '../../aws/rds-snapshots.ts';
import { errorCode } from '../../core/errors.ts';
import type { BackendSnapshot, CreateErrorKind, SnapshotBackend } from './backend.ts';

/** `backing-up`, `modifying` and friends: the create is refused until the target is available again. */
const BUSY = new Set(['InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault']);
const QUOTA = new Set(['SnapshotQuotaExceeded', 'SnapshotQuotaExceededFault']);
const EXISTS = new Set([
  'DBSnapshotAlreadyExists',
  'DBSnapshotAlreadyExistsFault',
  'DBClusterSnapshotAlreadyExistsFault',
]);

function toBackend(state: RdsSnapshotState): BackendSnapshot {
  return {
    id: state.id,
    kind: state.kind,
    target: state.target,
    status: state.status,
    ref: state.arn,
    createdAt: state.createdAt,
    encrypted: state.encrypted,
    kmsKeyId: state.kmsKeyId,
    sizeGb: state.sizeGb,
    tags: state.tags,
  };
}

function rdsKind(kind: string): RdsSnapshotState['kind'] {
  if (kind === 'rds-instance' || kind === 'aurora-cluster') return kind;
  throw new TypeError(`RDS cannot snapshot a ${kind}`);
}

export function rdsSnapshotBackend(rds: RDSClient): SnapshotBackend {
  return {
    quotaApplies: true,
    create: async (target, snapshotId, tags) =>
      toBackend(await createRdsSnapshot(rds, rdsKind(target.kind), target.id, snapshotId, tags)),
    poll: async (snapshots) => {
      const states: BackendSnapshot[] = [];
      for (const kind of ['rds-instance', 'aurora-cluster'] as const) {
        const ids = snapshots.filter((snapshot) => snapshot.kind === kind).map((snapshot) => snapshot.id);
        if (ids.length > 0) states.push(...(await describeRdsSnapshots(rds, kind, ids)).map(toBackend));
      }
      return states;
    },
    listManual: async (kind) => (await listManualRdsSnapshots(rds, rdsKind(kind))).map(toBackend),
    delete: (snapshot) => deleteRdsSnapshot(rds, rdsKind(snapshot.kind), snapshot.id),
    classify: (error): CreateErrorKind => {
      const code = errorCode(error);
      if (BUSY.has(code)) return 'busy';
      if (QUOTA.has(code)) return 'quota';
      if (EXISTS.has(code)) return 'exists';
      return 'other';
    },
  };
}
