import { describe, expect, it } from 'vitest';
import type { SnapshotCloud } from '../../../functions/actions/snapshot/backend.ts';
import { judgeSnapshotKey, snapshotKeyReader } from '../../../functions/actions/snapshot/keys.ts';

describe('snapshotKeyReader', () => {
  it("answers that the snapshot's key could not be read when its cloud has no reader of snapshot keys, never that there is nothing to check", async () => {
    // Prepare: a cloud that reads no snapshot keys, and an encrypted snapshot of it.
    const cloud = { provider: 'aws' } as unknown as SnapshotCloud;
    const read = snapshotKeyReader([cloud]);

    // Act
    const reading = await read(
      { provider: 'aws', account: '111111111111', region: 'eu-west-1', id: 'certctl-db' },
      { id: 'certctl-db-pre-maint', encrypted: true, kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/k' },
    );
    const judgement = judgeSnapshotKey(reading);

    // Assess: before, { kind: 'none' }, judged usable with nothing to check.
    expect(judgement.status).toBe('unknown');
    expect(judgement).toMatchObject({
      evidence: "could not check the snapshot's KMS key: this run has no reader of aws snapshot keys",
    });
  });
});
