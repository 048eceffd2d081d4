/**
 * The Cloud KMS key version of a Cloud SQL backup, over a fake Cloud KMS API: what the reader makes
 * of each answer (a failure is a key version not read, never a throw and never usable), and what
 * the judgement says of each state.
 */
import type { protos } from '@google-cloud/sql';
import { describe, expect, it } from 'vitest';
import { cloudSqlSnapshotKeyReader } from '../../../functions/actions/snapshot/gcp.ts';
import { judgeSnapshotKey } from '../../../functions/actions/snapshot/keys.ts';
import { CredentialsError } from '../../../functions/core/errors.ts';
import {
  type CloudKmsApi,
  CloudKmsApiError,
  type GcpCryptoKeyVersion,
} from '../../../functions/gcp/cloud-kms.ts';

const KEY = 'projects/certctl-prod/locations/europe-west1/keyRings/certctl/cryptoKeys/cloudsql';
const VERSION = `${KEY}/cryptoKeyVersions/3`;
const SCOPE = { account: 'certctl-prod', region: 'europe-west1', id: 'certctl-db' };

/** An instances.get whose instance has `kmsKeyName` as its own disk encryption key (none: Google-managed). */
function instanceWith(kmsKeyName: string | undefined) {
  const reads: string[] = [];
  const getInstance = async ({
    project,
    instance,
  }: {
    project?: string | null;
    instance?: string | null;
  }) => {
    reads.push(`${project}/${instance}`);
    return [
      kmsKeyName === undefined
        ? { name: instance, diskEncryptionConfiguration: null }
        : { name: instance, diskEncryptionConfiguration: { kmsKeyName } },
    ] as [protos.google.cloud.sql.v1.IDatabaseInstance];
  };
  return { getInstance, reads };
}
const GOOGLE_MANAGED = instanceWith(undefined).getInstance;

/** A fake Cloud KMS whose version read answers `answer` (or throws it), counting the reads. */
function fakeKms(answer: GcpCryptoKeyVersion | Error) {
  const reads: string[] = [];
  const api: CloudKmsApi = {
    getCryptoKey: async () => {
      throw new Error('not expected');
    },
    getCryptoKeyVersion: async (name) => {
      reads.push(name);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { api, reads };
}

async function judge(answer: GcpCryptoKeyVersion | Error) {
  const { api } = fakeKms(answer);
  const read = cloudSqlSnapshotKeyReader(async () => api, GOOGLE_MANAGED);
  return judgeSnapshotKey(await read(SCOPE, { id: 'b-1', kmsKeyId: KEY, kmsKeyVersion: VERSION }));
}

describe('the Cloud KMS key version of a Cloud SQL backup', () => {
  it('is unknown, naming the version and the code, when the read fails after its retries', async () => {
    // Act
    const judgement = await judge(new CloudKmsApiError('quota', 429, 'RESOURCE_EXHAUSTED'));

    // Assess
    expect(judgement.status).toBe('unknown');
    expect(judgement.evidence).toContain(VERSION);
    expect(judgement.evidence).toContain('RESOURCE_EXHAUSTED');
  });

  it('names the call, the key version and the grant on its key when Cloud KMS refuses the read', async () => {
    // Act
    const judgement = await judge(
      new CloudKmsApiError('Cloud KMS GET answered 403 PERMISSION_DENIED', 403, 'PERMISSION_DENIED'),
    );

    // Assess: before, the action named no key: 'Grant the function's service account
    // cloudkms.cryptoKeyVersions.get and cloudkms.cryptoKeys.get on the key (…), or read it again later.'
    expect(judgement.status).toBe('unknown');
    expect(judgement.evidence).toBe(
      `could not check the backup's Cloud KMS key version ${VERSION}: cryptoKeyVersions.get was denied (PERMISSION_DENIED): the service account that made the call (the audit, snapshot or chat-action function's) needs cloudkms.cryptoKeyVersions.get on the key (roles/cloudkms.viewer)`,
    );
    expect(judgement.status === 'unknown' ? judgement.action : '').toBe(
      `Grant the service account that made the call (the audit, snapshot or chat-action function's) cloudkms.cryptoKeyVersions.get on the key ${KEY} (roles/cloudkms.viewer holds it: \`gcloud kms keys add-iam-policy-binding ${KEY} --member=serviceAccount:'<service-account-email>' --role=roles/cloudkms.viewer\`), then read it again later.`,
    );
  });

  it('says what enables the API, not a grant, when Cloud KMS is not enabled on the key project', async () => {
    // Prepare
    const disabled = Object.assign(
      new CloudKmsApiError('Cloud KMS GET answered 403 PERMISSION_DENIED', 403, 'PERMISSION_DENIED'),
      { reason: 'SERVICE_DISABLED', errorInfoMetadata: { consumer: 'projects/certctl-prod' } },
    );

    // Act
    const judgement = await judge(disabled);

    // Assess
    expect(judgement.status === 'unknown' ? judgement.action : '').toBe(
      'The cloudkms.googleapis.com API is not enabled on project certctl-prod: enable it (`gcloud services enable cloudkms.googleapis.com --project certctl-prod`), then read it again later.',
    );
  });

  it('names the call, the key version and its code, and says it passes on its own, when Cloud KMS throttles the read', async () => {
    // Act
    const judgement = await judge(
      new CloudKmsApiError(
        'Cloud KMS GET answered 429 RESOURCE_EXHAUSTED after 5 attempts',
        429,
        'RESOURCE_EXHAUSTED',
      ),
    );

    // Assess: before, 'Cloud KMS cryptoKeyVersions.get failed (RESOURCE_EXHAUSTED)' and a grant.
    expect(judgement.evidence).toBe(
      `could not check the backup's Cloud KMS key version ${VERSION}: Cloud KMS cryptoKeyVersions.get failed for ${VERSION}: Cloud KMS GET answered 429 RESOURCE_EXHAUSTED after 5 attempts`,
    );
    expect(judgement.status === 'unknown' ? judgement.action : '').toBe(
      'The read did not go through (the service throttled it (rate-limited)), which passes on its own: read it again later.',
    );
  });

  it('is unknown, never a throw, when there are no credentials for Cloud KMS', async () => {
    // Prepare
    const read = cloudSqlSnapshotKeyReader(async () => {
      throw new CredentialsError('No Google Cloud credentials found');
    }, GOOGLE_MANAGED);

    // Act
    const judgement = judgeSnapshotKey(
      await read(SCOPE, { id: 'b-1', kmsKeyId: KEY, kmsKeyVersion: VERSION }),
    );

    // Assess
    expect(judgement.status).toBe('unknown');
    expect(judgement.evidence).toContain(
      `${VERSION}: Cloud KMS cryptoKeyVersions.get failed for ${VERSION}: No Google Cloud credentials found (CredentialsError)`,
    );
    // Before: the grant of cloudkms.cryptoKeyVersions.get, which no credentials problem asks for.
    expect(judgement.status === 'unknown' ? judgement.action : '').toBe(
      'The Google Cloud credentials could not be used, so Cloud KMS was not asked (no grant on the key is missing): No Google Cloud credentials found. Fix them, then read it again later.',
    );
  });

  it('is unknown when Cloud KMS sends no state, or a state not known to be usable', async () => {
    // Act
    const unsent = await judge({ name: VERSION });
    const pending = await judge({ name: VERSION, state: 'PENDING_GENERATION' });

    // Assess
    expect(unsent.status).toBe('unknown');
    expect(unsent.evidence).toContain('did not send its state');
    expect(pending.status).toBe('unknown');
    expect(pending.evidence).toContain('PENDING_GENERATION');
  });

  it('is unusable when DESTROYED, saying the backup cannot be restored and to take a new one', async () => {
    // Act
    const judgement = await judge({ name: VERSION, state: 'DESTROYED' });

    // Assess
    expect(judgement.status).toBe('unusable');
    expect(judgement.evidence).toContain(`Cloud KMS key version ${VERSION} is DESTROYED`);
    if (judgement.status === 'unusable') expect(judgement.action).toContain('Take a new backup');
  });

  it('is unusable, never a throw, when a DESTROY_SCHEDULED version sends a destroyTime that does not parse', async () => {
    // Act: an Invalid Date has no ISO form (toISOString throws a RangeError).
    for (const destroyTime of ['next tuesday', 1_781_049_600] as unknown as string[]) {
      const judgement = await judge({ name: VERSION, state: 'DESTROY_SCHEDULED', destroyTime });

      // Assess
      expect(judgement.status).toBe('unusable');
      expect(judgement.evidence).toContain(
        `Cloud KMS key version ${VERSION} is DESTROY_SCHEDULED (destroyed at a time Cloud KMS sent in a form that does not parse)`,
      );
    }
  });

  it("is unknown, naming the instance's key, when the backup run of a CMEK instance names no key", async () => {
    // Prepare: the instance is encrypted with a customer-managed key; its backup run did not say
    // which key encrypts it (diskEncryptionConfiguration not sent): not evidence of Google-managed.
    const { api, reads: kmsReads } = fakeKms({ name: VERSION, state: 'ENABLED' });
    const instance = instanceWith(KEY);
    const read = cloudSqlSnapshotKeyReader(async () => api, instance.getInstance);

    // Act
    const judgement = judgeSnapshotKey(await read(SCOPE, { id: 'b-1', encrypted: true }));

    // Assess
    expect(judgement.status).toBe('unknown');
    expect(judgement.evidence).toContain(
      `backup run b-1 names no key (diskEncryptionConfiguration), but instance certctl-db is encrypted with the customer-managed key ${KEY}`,
    );
    expect(judgement.status === 'unknown' ? judgement.action : '').toContain(
      'gcloud sql backups list --instance=certctl-db --project=certctl-prod',
    );
    expect(instance.reads).toEqual(['certctl-prod/certctl-db']);
    expect(kmsReads).toEqual([]);
  });

  it('is unknown, naming the error, when the instance a keyless backup run is of cannot be read', async () => {
    // Prepare
    const { api } = fakeKms({ name: VERSION, state: 'ENABLED' });
    const read = cloudSqlSnapshotKeyReader(
      async () => api,
      async () => {
        throw Object.assign(new Error('denied'), { code: 7 });
      },
    );

    // Act
    const judgement = judgeSnapshotKey(await read(SCOPE, { id: 'b-1', encrypted: true }));

    // Assess
    expect(judgement.status).toBe('unknown');
    expect(judgement.evidence).toContain('instances.get for certctl-db failed');
  });

  it('reads each distinct version once, and nothing for a Google-managed backup', async () => {
    // Prepare
    const { api, reads } = fakeKms({ name: VERSION, state: 'ENABLED' });
    const read = cloudSqlSnapshotKeyReader(async () => api, GOOGLE_MANAGED);

    // Act
    const answers = await Promise.all([
      read(SCOPE, { id: 'b-1', kmsKeyId: KEY, kmsKeyVersion: VERSION }),
      read(SCOPE, { id: 'b-2', kmsKeyId: KEY, kmsKeyVersion: VERSION }),
      read(SCOPE, { id: 'b-3', encrypted: true }),
    ]);

    // Assess
    expect(answers.map((answer) => judgeSnapshotKey(answer).status)).toEqual(['usable', 'usable', 'usable']);
    expect(answers[2]).toEqual({ kind: 'none' });
    expect(reads).toEqual([VERSION]);
  });
});
