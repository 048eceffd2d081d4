/**
 * The RDS snapshot backend's reading of a create refused for the database's state: a state that
 * waiting does not end is answered at once (`unavailable`), any other refusal is retried (`busy`).
 */
import type { RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { rdsSnapshotBackend } from '../../../functions/actions/snapshot/aws.ts';

describe('RDS snapshot backend: a snapshot refused for the database state', () => {
  const target = (status: string | undefined) => ({
    provider: 'aws' as const,
    kind: 'rds-instance' as const,
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-prod-db',
    ...(status ? { status } : {}),
  });
  // CreateDBSnapshot: "The source DB instance must be in the available or storage-optimization state".
  const refused = Object.assign(new Error('DB instance is not in the available state'), {
    name: 'InvalidDBInstanceStateFault',
  });
  const backend = rdsSnapshotBackend({} as RDSClient);

  it.each([
    ['stopped', 'unavailable'],
    ['storage-full', 'unavailable'],
    // A DeleteDBInstance "cannot be canceled or reverted once submitted": the database goes away.
    ['deleting', 'unavailable'],
    ['delete-precheck', 'unavailable'],
    ['incompatible-create', 'unavailable'],
    ['backing-up', 'busy'],
    ['modifying', 'busy'],
    [undefined, 'busy'],
  ] as const)('treats the refusal of a %s instance as %s', (status, kind) => {
    expect(backend.classify(refused, target(status))).toBe(kind);
  });

  it('says a database being deleted cannot be made available, not to start it', () => {
    const advice = backend.unavailableAdvice?.(target('deleting')) ?? '';
    expect(advice).toContain('being deleted');
    expect(advice).not.toContain('start it');
    expect(backend.unavailableAdvice?.(target('stopped'))).toContain('start it');
  });
});
