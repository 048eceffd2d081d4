import { describe, expect, it } from 'vitest';
import { dumpsProtectionCheck } from '../../../functions/checks/dumps/protection.ts';
import type { DumpFact, EncryptionConfig, ObjectHolds } from '../../../functions/core/dump-facts.ts';
import {
  DENIED,
  dailySeries,
  NEWEST_WRITTEN,
  NOW,
  newestOf,
  s3Fact,
  settingsWith,
  withChecksums,
  withEmptyObject,
  withListedRetentions,
} from './fixtures.ts';

const NO_LOCK: Partial<DumpFact> = { retentionLock: { state: 'absent' } };

function gcsFact(overrides: Partial<DumpFact>): DumpFact {
  return s3Fact({
    resource: {
      provider: 'gcp',
      account: 'certctl-prod',
      region: 'europe-west1',
      type: 'GcpStorageBucket',
      id: 'certctl-dumps',
    },
    location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
    versioning: { state: 'absent' },
    retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
    publicAccess: { state: 'read', value: { blocked: true, detail: 'publicAccessPrevention=enforced' } },
    encryption: {
      state: 'read',
      value: {
        algorithm: 'cloud-kms',
        kmsKey: 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k',
        customerManagedKey: true,
      },
    },
    ...overrides,
  });
}

/** An S3 location whose default key KMS could not say the manager of (`keyDeleted`: it no longer exists). */
function keyManagerUnknownFact(kmsKey: string, keyManagerUnknown: string, keyDeleted?: true): DumpFact {
  return s3Fact({
    encryption: {
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey,
        customerManagedKey: undefined,
        keyManagerUnknown,
        ...(keyDeleted ? { keyDeleted } : {}),
      },
    },
  });
}

describe('dumps.protection', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(dumpsProtectionCheck.metadata).toMatchObject({ id: 'dumps.protection', group: 'dumps' });
  });

  it('passes when COMPLIANCE Object Lock, Block Public Access and a CMK are all set', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(s3Fact(), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      versioning: 'Enabled',
      retentionLockDays: 35,
      retentionLockLocked: true,
      publicAccessBlocked: true,
      encryption: 'aws:kms',
      customerManagedKey: true,
    });
    expect(outcome?.required).toEqual({
      retentionLockDays: 30,
      publicAccessBlocked: true,
      customerManagedKey: true,
    });
  });

  it('passes when versioning alone guards deletion and noncurrent versions live 35 days', () => {
    expect(dumpsProtectionCheck.evaluate(s3Fact(NO_LOCK), settingsWith())?.status).toBe('PASSED');
  });

  it('passes when a GCS bucket has a locked 35-day retention policy, enforced prevention and a CMEK', () => {
    const outcome = dumpsProtectionCheck.evaluate(gcsFact({}), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    // The Cloud KMS key's state is not read: the pass says so rather than imply the key decrypts.
    expect(outcome?.description).toBe(
      "gs://certctl-dumps/prod/: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps (the Cloud KMS key's state was not read).",
    );
  });

  describe('an S3 customer-managed key whose state DescribeKey did not send', () => {
    const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const OTHER = 'arn:aws:kms:eu-west-1:111122223333:key/9999abcd-12ab-34cd-56ef-1234567890ab';
    const stateless = { algorithm: 'aws:kms', customerManagedKey: true } as const;

    it('says the default key state was not sent rather than imply the key decrypts', () => {
      // Prepare: KMS named the key customer-managed but sent no KeyState.
      const fact = s3Fact({ encryption: { state: 'read', value: { ...stateless, kmsKey: KEY } } });
      // Act
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      // Assess: it PASSED with the plain words, its key's state read as usable.
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toBe(
        `s3://certctl-dumps/prod/: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps (DescribeKey sent no state for the KMS key ${KEY}).`,
      );
      expect(outcome?.observed).toMatchObject({ kmsKeyState: null });
    });

    it("says so of the newest dump's own key too", () => {
      // Prepare: the default's state was sent; the newest dump's own key (another one) has none.
      const healthy = s3Fact();
      const fact = s3Fact({
        newest: healthy.newest && {
          ...healthy.newest,
          encryption: { ...stateless, kmsKey: OTHER },
        },
      });
      // Act
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(`(DescribeKey sent no state for the KMS key ${OTHER})`);
      expect(outcome?.description).not.toContain(`state for the KMS key ${KEY}`);
    });
  });

  describe('the Cloud KMS state of a GCS default key', () => {
    const KEY = 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k';
    const withKey = (extra: Record<string, unknown>) =>
      gcsFact({
        encryption: {
          state: 'read',
          value: { algorithm: 'cloud-kms', kmsKey: KEY, customerManagedKey: true, ...extra },
        },
      });

    it('passes without the unread caveat when the primary version is ENABLED', () => {
      const outcome = dumpsProtectionCheck.evaluate(withKey({ keyState: 'ENABLED' }), settingsWith());
      expect(outcome).toMatchObject({
        status: 'PASSED',
        description:
          'gs://certctl-dumps/prod/: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps.',
        observed: { kmsKeyState: 'ENABLED' },
      });
    });

    it('fails when the primary version is DESTROY_SCHEDULED, saying when it is destroyed', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        withKey({ keyState: 'DESTROY_SCHEDULED', keyDeletionDate: new Date('2026-12-23T00:00:00.000Z') }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `gs://certctl-dumps/prod/: the KMS key ${KEY} that encrypts the dumps is scheduled for destruction (DESTROY_SCHEDULED) on 2026-12-23T00:00:00.000Z: once its material is destroyed no dump it encrypts can be decrypted.`,
      );
    });

    it('fails when the primary version is DESTROY_SCHEDULED at a time that does not parse, never throwing', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        withKey({ keyState: 'DESTROY_SCHEDULED', keyDeletionDate: new Date(Number.NaN) }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `gs://certctl-dumps/prod/: the KMS key ${KEY} that encrypts the dumps is scheduled for destruction (DESTROY_SCHEDULED) at a time the API sent in a form that does not parse: once its material is destroyed no dump it encrypts can be decrypted.`,
      );
    });

    it.each(['DISABLED', 'IMPORT_FAILED'])('fails when the primary version is %s', (state) => {
      const outcome = dumpsProtectionCheck.evaluate(withKey({ keyState: state }), settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `gs://certctl-dumps/prod/: the KMS key ${KEY} that encrypts the dumps is ${state}: no dump it encrypts can be decrypted while it is.`,
      );
    });

    it('could not evaluate a primary version PENDING_GENERATION', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        withKey({ keyState: 'PENDING_GENERATION' }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('its state is PENDING_GENERATION');
    });

    it('could not evaluate a key whose read was refused, naming why', () => {
      const reason =
        "cryptoKeys.get was denied (PERMISSION_DENIED): the service account that made the call (the audit, snapshot or chat-action function's) needs cloudkms.cryptoKeys.get on the key (roles/cloudkms.viewer)";
      const outcome = dumpsProtectionCheck.evaluate(withKey({ keyStateUnknown: reason }), settingsWith());
      expect(outcome).toMatchObject({
        status: 'NOT_AVAILABLE',
        description: `Could not evaluate gs://certctl-dumps/prod/: could not read whether the KMS key ${KEY} can decrypt the dumps (${reason}).`,
      });
    });

    it('gives the fix the Cloud KMS read found with a key whose read was refused', () => {
      // Before: no remediationText, the reason alone.
      const reason = 'cryptoKeys.get was denied (PERMISSION_DENIED)';
      const remedy = `Grant the service account cloudkms.cryptoKeys.get on the key ${KEY}, then run the audit again.`;
      const outcome = dumpsProtectionCheck.evaluate(
        withKey({ keyStateUnknown: reason, keyStateRemedy: remedy }),
        settingsWith(),
      );
      expect(outcome).toMatchObject({ status: 'NOT_AVAILABLE', remediationText: remedy });
    });

    it('fails on the newest dump own key when it is DISABLED and the default key is ENABLED', () => {
      const other = 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/old';
      const base = withKey({ keyState: 'ENABLED' });
      const fact: DumpFact = {
        ...base,
        newest: {
          object: {
            key: 'prod/certctl-1.dump',
            size: 10,
            lastModified: new Date('2026-12-02T00:00:00.000Z'),
          },
          header: { state: 'unknown', reason: 'not read' },
          tail: { state: 'unknown', reason: 'not read' },
          encryption: {
            algorithm: 'cloud-kms',
            kmsKey: other,
            customerManagedKey: true,
            keyState: 'DISABLED',
          },
        },
      };
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(`the KMS key ${other} that encrypts the dumps is DISABLED`);
    });
  });

  it('fails when neither versioning nor Object Lock protects the dumps', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ versioning: { state: 'absent' }, ...NO_LOCK }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'neither versioning nor any Object Lock default retention protects the dumps',
    );
    expect(outcome?.observed).toMatchObject({ versioning: 'absent', retentionLockDays: null });
  });

  it('fails saying versioning is suspended when it was turned off', () => {
    const fact = s3Fact({ versioning: { state: 'read', value: { status: 'Suspended' } }, ...NO_LOCK });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('versioning is suspended');
  });

  it('fails when a 7-day Object Lock is the only protection', () => {
    const fact = s3Fact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 7, locked: true } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('keeps dumps only 7 days (30 required)');
  });

  it('fails when Block Public Access is partly off', () => {
    const fact = s3Fact({
      publicAccess: { state: 'read', value: { blocked: false, detail: 'BlockPublicPolicy=false' } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('public access is not fully blocked (BlockPublicPolicy=false)');
  });

  it('fails when the bucket has no default encryption', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ encryption: { state: 'absent' } }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('FAILED');
  });

  it('warns when the dumps use SSE-S3 instead of a customer-managed key', () => {
    // Prepare
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('encrypted with SSE-S3 (AES256), not a customer-managed KMS key');
  });

  it('does not say the dumps are under an SSE-S3 default when the newest dump carries its own customer-managed key', () => {
    // Prepare: the bucket default is SSE-S3, but the newest dump was uploaded with its own SSE-KMS
    // key (a bucket policy that refuses uploads without it, or the job's own --sse-kms-key-id).
    const cmk = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const base = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false },
      },
    });
    const fact: DumpFact = {
      ...base,
      newest: base.newest && {
        ...base.newest,
        encryption: { algorithm: 'aws:kms', kmsKey: cmk, customerManagedKey: true, keyState: 'Enabled' },
      },
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: still a warning (a dump uploaded without its own key gets the default), but it said
    // 'dumps are encrypted with SSE-S3 (AES256)', which the newest dump, read, is not.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the bucket's default encryption is SSE-S3 (AES256), not a customer-managed KMS key: the newest dump prod/certctl-2026-12-02.dump carries its own customer-managed key (${cmk}), which overrides the default, but a dump uploaded without one is encrypted with the default, and the older dumps' own encryption was not read.`,
    );
  });

  it('warns when Object Lock is in GOVERNANCE mode and versioning is off', () => {
    const fact = s3Fact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'read', value: { mode: 'GOVERNANCE', days: 35, locked: false } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('GOVERNANCE mode');
  });

  it('passes on versioning that keeps every version when the Object Lock beside it is in GOVERNANCE mode', () => {
    // Prepare: every Object Lock bucket is versioned. Versioning alone passes (a deleted dump stays a
    // noncurrent version no rule deletes sooner); a bypassable lock beside it takes nothing away.
    const versioned = s3Fact({ ...NO_LOCK });
    const governance = s3Fact({
      retentionLock: { state: 'read', value: { mode: 'GOVERNANCE', days: 35, locked: false } },
    });
    // Act
    const alone = dumpsProtectionCheck.evaluate(versioned, settingsWith());
    const outcome = dumpsProtectionCheck.evaluate(governance, settingsWith());
    // Assess
    expect(alone?.status).toBe('PASSED');
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('GOVERNANCE mode');
  });

  it('warns on a GOVERNANCE lock when the versioning beside it does not keep versions the policy days', () => {
    const fact = s3Fact({
      retentionLock: { state: 'read', value: { mode: 'GOVERNANCE', days: 35, locked: false } },
      lifecycle: { state: 'unknown', reason: 'AccessDenied' },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('in GOVERNANCE mode, which a privileged role can bypass');
  });

  it('warns when noncurrent versions expire after 7 days', () => {
    const fact = s3Fact({
      ...NO_LOCK,
      lifecycle: {
        state: 'read',
        value: [
          {
            id: 'nc',
            expirationDays: undefined,
            expirationDate: undefined,
            noncurrentExpirationDays: 7,
            prefix: undefined,
          },
        ],
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('lifecycle rule nc deletes noncurrent versions after 7 days');
  });

  it('warns when the bucket has no Block Public Access configuration of its own', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ publicAccess: { state: 'absent' } }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('WARNING');
  });

  it('warns when GCS public access prevention is inherited', () => {
    const fact = gcsFact({
      publicAccess: {
        state: 'read',
        value: { blocked: undefined, inherited: true, detail: 'publicAccessPrevention=inherited' },
      },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('WARNING');
  });

  it('warns when a GCS retention policy is long enough but not locked', () => {
    const fact = gcsFact({
      retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: false } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('is not locked');
  });

  it('is not available when versioning and Object Lock could not be read', () => {
    // Act
    const fact = s3Fact({
      versioning: { state: 'unknown', reason: DENIED },
      retentionLock: { state: 'unknown', reason: DENIED },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject({ versioning: 'unknown', retentionLockDays: 'unknown' });
  });

  it('passes on versioning alone when only the Object Lock read was denied', () => {
    const fact = s3Fact({ retentionLock: { state: 'unknown', reason: DENIED } });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('is not available when the encryption configuration was denied', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ encryption: { state: 'unknown', reason: DENIED } }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('fails on public access even when encryption could not be read', () => {
    const fact = s3Fact({
      encryption: { state: 'unknown', reason: DENIED },
      publicAccess: { state: 'read', value: { blocked: false, detail: 'BlockPublicAcls=false' } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('Could not read the default encryption');
  });

  it('does not pass on the Object Lock default alone when versioning is on but a lifecycle rule deletes noncurrent versions after 1 day', () => {
    // Prepare: every Object Lock bucket is versioned; the noncurrent rule leaves the lock alone to keep a dump.
    const fact = s3Fact({
      lifecycle: {
        state: 'read',
        value: [
          {
            id: 'expire-versions',
            expirationDays: undefined,
            expirationDate: undefined,
            noncurrentExpirationDays: 1,
            prefix: 'prod/',
          },
        ],
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED 'deletion is guarded' on the default alone: it holds only dumps
    // uploaded after it was set without a retention of their own, and the newest dump's was not sent.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "could not read whether the newest dump prod/certctl-2026-12-02.dump is held by the bucket's Object Lock default retention (COMPLIANCE, 35 days): its own retention was not sent (S3 sends it only with s3:GetObjectRetention), and the default holds only dumps uploaded after it was set without a retention of their own, while versioning does not keep a deleted dump 30 days",
    );
  });

  it('names no lock assumption when versioning keeps noncurrent versions the policy minimum anyway', () => {
    const outcome = dumpsProtectionCheck.evaluate(s3Fact(), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).not.toContain('deletion judged by');
  });

  it("does not pass when the Object Lock default keeps dumps exactly the policy minimum, versioning is off and the dump's own retention was not sent", () => {
    // Prepare
    const fact = s3Fact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 30, locked: true } },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      "is held by the bucket's Object Lock default retention (COMPLIANCE, 30 days)",
    );
  });

  it('passes when noncurrent versions live exactly the policy minimum', () => {
    const fact = s3Fact({
      ...NO_LOCK,
      lifecycle: {
        state: 'read',
        value: [
          {
            id: 'nc',
            expirationDays: undefined,
            expirationDate: undefined,
            noncurrentExpirationDays: 30,
            prefix: undefined,
          },
        ],
      },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('warns naming the shortest noncurrent expiry when several lifecycle rules set one', () => {
    // Prepare
    const rule = (id: string, noncurrentExpirationDays: number | undefined) => ({
      id,
      expirationDays: undefined,
      expirationDate: undefined,
      noncurrentExpirationDays,
      prefix: undefined,
    });
    const fact = s3Fact({
      ...NO_LOCK,
      lifecycle: { state: 'read', value: [rule('a', 40), rule('b', undefined), rule('c', 9), rule('d', 20)] },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome).toMatchObject({
      status: 'WARNING',
      description:
        's3://certctl-dumps/prod/: versioning is on, but lifecycle rule c deletes noncurrent versions after 9 days (30 required).',
    });
  });

  it('names the conditions of the noncurrent rule it warns about, which the audit cannot match to the dumps', () => {
    // Prepare: the only rule deletes noncurrent versions after a day, of tagged objects only.
    const fact = s3Fact({
      ...NO_LOCK,
      lifecycle: {
        state: 'read',
        value: [
          {
            id: 'scratch-versions',
            expirationDays: undefined,
            expirationDate: undefined,
            noncurrentExpirationDays: 1,
            noncurrentUnmodelledConditions: ['tag tier=scratch'],
            prefix: 'prod/',
          },
        ],
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: still a warning, but it said the rule 'deletes noncurrent versions after 1 day', as
    // though it reached every dump's.
    expect(outcome).toMatchObject({
      status: 'WARNING',
      description:
        's3://certctl-dumps/prod/: versioning is on, but lifecycle rule scratch-versions deletes noncurrent versions of objects that meet tag tier=scratch (which this audit cannot match to the dumps) after 1 day (30 required).',
    });
  });

  it('warns when versioning is on but the lifecycle rules could not be read', () => {
    const fact = s3Fact({ ...NO_LOCK, lifecycle: { state: 'unknown', reason: DENIED } });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome).toMatchObject({
      status: 'WARNING',
      description:
        's3://certctl-dumps/prod/: versioning is on, but whether a lifecycle rule deletes noncurrent versions early is unknown.',
    });
  });

  it('passes on versioning when no lifecycle rule expires noncurrent versions', () => {
    const fact = s3Fact({ ...NO_LOCK, lifecycle: { state: 'absent' } });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('warns about a short Object Lock beside versioning, and lists every warning', () => {
    // Prepare
    const fact = s3Fact({
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 7, locked: true } },
      publicAccess: { state: 'absent' },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the Object Lock default retention keeps dumps only 7 days (30 required); the bucket has no Block Public Access configuration of its own; only the account-level setting (not read here) can block public access.',
    );
  });

  it('fails naming the problems, then the warnings, then what could not be read', () => {
    // Prepare
    const fact = s3Fact({
      versioning: { state: 'absent' },
      ...NO_LOCK,
      publicAccess: { state: 'absent' },
      encryption: { state: 'unknown', reason: DENIED },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: neither versioning nor any Object Lock default retention protects the dumps: a deleted or overwritten dump is gone. Also: the bucket has no Block Public Access configuration of its own; only the account-level setting (not read here) can block public access. Could not read the default encryption (${DENIED}).`,
    );
  });

  it('fails with a plain description when nothing else is wrong or unread', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ encryption: { state: 'absent' } }),
      settingsWith(),
    );
    expect(outcome?.description).toBe('s3://certctl-dumps/prod/: the bucket has no default encryption.');
  });

  it('fails naming the short lock and the suspended versioning when both are too weak', () => {
    const fact = s3Fact({
      versioning: { state: 'read', value: { status: 'Suspended' } },
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 7, locked: true } },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.description).toBe(
      's3://certctl-dumps/prod/: the Object Lock default retention keeps dumps only 7 days (30 required) and versioning is off (versioning is suspended).',
    );
  });

  it('names a GCS retention policy, not Object Lock, when it is too short, and asks for a longer one, not versioning beside it', () => {
    const fact = gcsFact({
      retentionLock: { state: 'read', value: { mode: undefined, days: 7, locked: true } },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Cloud Storage refuses Object Versioning on a bucket with a retention policy (and a locked one
    // cannot be removed): the fix is a longer period.
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: the retention policy keeps dumps only 7 days (30 required), and Cloud Storage refuses Object Versioning beside it: raise its period.',
    );
    const fix = outcome?.remediationText ?? dumpsProtectionCheck.metadata.remediation.texts?.gcp ?? '';
    expect(fix).not.toMatch(/^Turn on Object Versioning/);
    expect(fix).toContain('on a bucket without a retention policy');
  });

  it('is not available naming the unread Object Lock when versioning is off', () => {
    // Prepare
    const fact = s3Fact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'unknown', reason: DENIED },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      `Could not evaluate s3://certctl-dumps/prod/: could not read the Object Lock default retention (${DENIED}).`,
    );
    expect(outcome?.observed).toMatchObject({ retentionLockDays: 'unknown', retentionLockLocked: null });
  });

  it('is not available naming both unread settings and keeps the warnings', () => {
    const fact = s3Fact({
      versioning: { state: 'unknown', reason: 'versioning denied' },
      retentionLock: { state: 'unknown', reason: 'lock denied' },
      publicAccess: { state: 'absent' },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.description).toBe(
      'Could not evaluate s3://certctl-dumps/prod/: could not read the Object Lock default retention (lock denied) and versioning (versioning denied). Also: the bucket has no Block Public Access configuration of its own; only the account-level setting (not read here) can block public access.',
    );
  });

  it('fails on a known-short lock even when versioning could not be read', () => {
    // Prepare
    const fact = s3Fact({
      versioning: { state: 'unknown', reason: DENIED },
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 7, locked: true } },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the Object Lock default retention keeps dumps only 7 days (30 required). Could not read versioning (${DENIED}).`,
    );
  });

  it('is not available when the public access settings could not be read', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      s3Fact({ publicAccess: { state: 'unknown', reason: DENIED } }),
      settingsWith(),
    );
    expect(outcome).toMatchObject({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate s3://certctl-dumps/prod/: could not read the public access settings (${DENIED}).`,
      observed: { publicAccessBlocked: 'unknown' },
    });
  });

  it('is not available when the public access answer does not say whether access is blocked', () => {
    const fact = s3Fact({
      publicAccess: {
        state: 'read',
        value: { blocked: undefined, detail: 'publicAccessPrevention=unknown' },
      },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.description).toBe(
      'Could not evaluate s3://certctl-dumps/prod/: could not read whether public access is blocked (publicAccessPrevention=unknown).',
    );
  });

  it('says the organization policy decides when GCS public access prevention is inherited', () => {
    const fact = gcsFact({
      publicAccess: {
        state: 'read',
        value: { blocked: undefined, inherited: true, detail: 'publicAccessPrevention=inherited' },
      },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.description).toBe(
      'gs://certctl-dumps/prod/: public access prevention is inherited (publicAccessPrevention=inherited): the organization policy decides, which this audit does not read.',
    );
  });

  it('names the AWS-managed key aws/s3 when SSE-KMS uses it', () => {
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: undefined, customerManagedKey: false },
      },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.description).toBe(
      's3://certctl-dumps/prod/: dumps are encrypted with the AWS-managed key aws/s3, not a customer-managed KMS key.',
    );
  });

  it('names the AWS-managed key aws/s3 when DSSE-KMS uses it, and Google-managed keys by name', () => {
    // Prepare: DSSE-KMS without a key uses aws/s3 as SSE-KMS does (an S3 default); a Cloud Storage
    // bucket without a default key uses Google-managed keys.
    const dsse = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms:dsse', kmsKey: undefined, customerManagedKey: false },
      },
    });
    const google = gcsFact({
      encryption: {
        state: 'read',
        value: { algorithm: 'google-managed', kmsKey: undefined, customerManagedKey: false },
      },
    });
    // Act
    const [onS3, onGcs] = [dsse, google].map((fact) => dumpsProtectionCheck.evaluate(fact, settingsWith()));
    // Assess: before, 'dumps are encrypted with aws:kms:dsse' and 'with google-managed'.
    expect(onS3?.description).toContain(
      'dumps are encrypted with the AWS-managed key aws/s3, not a customer-managed KMS key',
    );
    expect(onGcs?.description).toContain(
      'dumps are encrypted with Google-managed keys, not a customer-managed KMS key',
    );
  });

  it('says an AWS-managed key named by its ARN is AWS-managed, without guessing it is aws/s3', () => {
    // Prepare: KMS DescribeKey said KeyManager AWS; it does not say which alias names the key.
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4';
    const fact = s3Fact({
      encryption: { state: 'read', value: { algorithm: 'aws:kms', kmsKey: key, customerManagedKey: false } },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, "the AWS-managed key aws/s3 (arn:…)".
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: dumps are encrypted with an AWS-managed KMS key (${key}), not a customer-managed KMS key.`,
    );
  });

  it('names an AWS-managed key by the alias that proves it (alias/aws/*), whichever it is', () => {
    const [s3Alias, ebsAlias] = ['alias/aws/s3', 'arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs'].map(
      (kmsKey) =>
        dumpsProtectionCheck.evaluate(
          s3Fact({
            encryption: { state: 'read', value: { algorithm: 'aws:kms', kmsKey, customerManagedKey: false } },
          }),
          settingsWith(),
        ),
    );
    expect(s3Alias?.description).toContain(
      'dumps are encrypted with the AWS-managed key aws/s3 (alias/aws/s3)',
    );
    // Before, "the AWS-managed key aws/s3 (…alias/aws/ebs)".
    expect(ebsAlias?.description).toContain(
      'dumps are encrypted with the AWS-managed key aws/ebs (arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs)',
    );
  });

  it('says a named key it could not classify is unclassified, not that no key was sent', () => {
    // Prepare: a customer alias, and nothing said why its manager is unknown.
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: 'alias/certctl-dumps', customerManagedKey: undefined },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, "which key encrypts the dumps (not sent)", though the key was named.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Could not evaluate s3://certctl-dumps/prod/: could not read whether the KMS key alias/certctl-dumps is customer-managed (unclassified: an alias name proves who manages its key only under alias/aws/, and KMS did not say).',
    );
  });

  it('names a provider-managed key when the encryption answer has no algorithm', () => {
    const fact = gcsFact({
      encryption: {
        state: 'read',
        value: { algorithm: undefined, kmsKey: undefined, customerManagedKey: false },
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: dumps are encrypted with a provider-managed key, not a customer-managed KMS key.',
    );
    expect(outcome?.observed).toMatchObject({ encryption: null, kmsKey: null, customerManagedKey: false });
  });

  it('is not available when the answer does not say whether the key is customer-managed', () => {
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: undefined, customerManagedKey: undefined },
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.description).toBe(
      'Could not evaluate s3://certctl-dumps/prod/: could not read which key encrypts the dumps (not sent).',
    );
    expect(outcome?.observed).toMatchObject({ customerManagedKey: null });
  });

  it('is not available, naming the key and why, when KMS could not say who manages the named key', () => {
    // Prepare: a key ARN may name the AWS-managed aws/s3 key; DescribeKey was denied.
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const fact = keyManagerUnknownFact(key, 'KMS DescribeKey failed: AccessDeniedException');
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      `Could not evaluate s3://certctl-dumps/prod/: could not read whether the KMS key ${key} is customer-managed (KMS DescribeKey failed: AccessDeniedException).`,
    );
    expect(outcome?.observed).toMatchObject({ kmsKey: key, customerManagedKey: null });
  });

  it('names no KMS command in the fix of a bucket whose dumps no KMS key encrypts', () => {
    // Prepare: SSE-S3 encryption and no versioning or lock (the demo's unlocked bucket).
    const fact = s3Fact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'absent' },
      encryption: {
        state: 'read',
        value: { algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: a command without a key to name is not one a user can paste.
    expect(outcome?.status).toBe('FAILED');
    const fix = outcome?.remediationText ?? dumpsProtectionCheck.metadata.remediation.text;
    expect(fix).not.toMatch(/aws kms/);
    expect(fix).toContain('customer-managed KMS key');
  });

  describe('the state of the KMS key', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    function withKeyState(
      keyState: string,
      read: Pick<EncryptionConfig, 'keyDeletionDate' | 'keyMaterialExpires' | 'keyRegion'> = {},
      overrides: Partial<DumpFact> = {},
    ): DumpFact {
      return s3Fact({
        encryption: {
          state: 'read',
          value: { algorithm: 'aws:kms', kmsKey: key, customerManagedKey: true, keyState, ...read },
        },
        ...overrides,
      });
    }

    it('fails when the key that encrypts the dumps is scheduled for deletion', () => {
      // Act
      const outcome = dumpsProtectionCheck.evaluate(
        withKeyState('PendingDeletion', { keyDeletionDate: new Date('2026-12-09T12:00:00.000Z') }),
        settingsWith(),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `s3://certctl-dumps/prod/: the KMS key ${key} that encrypts the dumps is scheduled for deletion on 2026-12-09T12:00:00.000Z: once it is deleted no dump it encrypts can be decrypted.`,
      );
      expect(outcome?.observed).toMatchObject({ kmsKeyState: 'PendingDeletion' });
    });

    it('fixes a key scheduled for deletion with commands that name it, in its region', () => {
      // Act
      const outcome = dumpsProtectionCheck.evaluate(
        withKeyState('PendingDeletion', { keyRegion: 'eu-west-1' }),
        settingsWith(),
      );
      // Assess: commands the user can paste, and nothing else to fix.
      expect(outcome?.remediationText).toBe(
        `Cancel the key's deletion (\`aws kms cancel-key-deletion --key-id ${key} --region eu-west-1\`, which leaves it Disabled) and enable it (\`aws kms enable-key --key-id ${key} --region eu-west-1\`).`,
      );
    });

    it('fixes a disabled key and names the bucket’s other problems after it', () => {
      // Prepare: the key is Disabled and versioning is off too.
      const fact = withKeyState(
        'Disabled',
        { keyRegion: 'eu-west-1' },
        {
          versioning: { state: 'read', value: { status: 'Suspended' } },
          retentionLock: { state: 'absent' },
        },
      );
      // Act
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toMatch(
        new RegExp(
          `^Enable the key \\(\`aws kms enable-key --key-id ${key} --region eu-west-1\`\\)\\. For the other problems: `,
        ),
      );
      expect(outcome?.remediationText).toContain('versioning');
    });

    it.each(['Disabled', 'PendingReplicaDeletion', 'Unavailable', 'PendingImport'])(
      'fails when the key is %s',
      (state) => {
        const outcome = dumpsProtectionCheck.evaluate(withKeyState(state), settingsWith());
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).toContain(`the KMS key ${key} that encrypts the dumps is ${state}`);
      },
    );

    describe('whose imported key material expires (ValidTo)', () => {
      const DAY = 86_400_000;
      const expiringIn = (days: number, overrides: Partial<DumpFact> = {}, state = 'Enabled') =>
        withKeyState(
          state,
          { keyMaterialExpires: new Date(NOW.getTime() + days * DAY), keyRegion: 'eu-west-1' },
          overrides,
        );

      it.each([
        ['expired an hour ago', -1 / 24, 30, 'FAILED', 'expired on'],
        ['expiring within hours', 1 / 24, 30, 'WARNING', '(ValidTo, within a day)'],
        ['expiring in 12 days, within the default 30', 12.5, undefined, 'WARNING', '(ValidTo, in 12 days)'],
        ['expiring in 40 days, beyond the default 30', 40, undefined, 'PASSED', undefined],
        [
          'expiring in 40 days, within a 60-day keys.expiryHorizonDays',
          40,
          60,
          'WARNING',
          '(ValidTo, in 40 days)',
        ],
      ] as const)('%s: %s', (_, days, keyHorizonDays, status, said) => {
        // Act
        const outcome = dumpsProtectionCheck.evaluate(expiringIn(days), {
          ...settingsWith(),
          ...(keyHorizonDays === undefined ? {} : { keyHorizonDays }),
        });
        // Assess
        expect(outcome?.status).toBe(status);
        if (said) {
          expect(outcome?.description).toContain(
            `the imported key material of the KMS key ${key} that encrypts the dumps `,
          );
          expect(outcome?.description).toContain(said);
          expect(outcome?.remediationText).toBe(
            `Import the same key material again without expiry (\`aws kms import-key-material --key-id ${key} --import-token '<token>' --encrypted-key-material '<material>' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1\`, both from \`aws kms get-parameters-for-import --key-id ${key} --region eu-west-1\`); only the material imported before can be imported into this key.`,
          );
        } else {
          expect(outcome?.remediationText).toBeUndefined();
        }
      });

      it('names the import and the fix of the other problems when the finding says more', () => {
        // Act: expired material, and public access not blocked.
        const outcome = dumpsProtectionCheck.evaluate(
          expiringIn(-1, {
            publicAccess: { state: 'read', value: { blocked: false, detail: 'BlockPublicAcls=false' } },
          }),
          settingsWith(),
        );
        // Assess
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.remediationText).toContain('--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE');
        expect(outcome?.remediationText).toContain(
          `For the other problems: ${dumpsProtectionCheck.metadata.remediation.text}`,
        );
      });

      it('judges the expiry only of a key that is otherwise usable: a disabled key is judged by its state', () => {
        const outcome = dumpsProtectionCheck.evaluate(expiringIn(-1, {}, 'Disabled'), settingsWith());
        expect(outcome?.description).toContain(`the KMS key ${key} that encrypts the dumps is Disabled`);
        expect(outcome?.description).not.toContain('imported key material');
      });
    });

    it.each(['Enabled', 'Updating'])('passes when the key is %s', (state) => {
      expect(dumpsProtectionCheck.evaluate(withKeyState(state), settingsWith())?.status).toBe('PASSED');
    });

    it('fails, and does not ask who managed it, when the key no longer exists', () => {
      // Prepare: DescribeKey answered NotFoundException for the key ARN, so its manager is unknown.
      const fact = keyManagerUnknownFact(
        key,
        `KMS DescribeKey: NotFoundException: the key ${key} does not exist`,
        true,
      );
      // Act
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `s3://certctl-dumps/prod/: the KMS key ${key} that encrypts the dumps does not exist (DescribeKey: NotFoundException), deleted with its key material: no dump it encrypts can be decrypted.`,
      );
      // A key that is gone cannot be enabled or have its deletion cancelled: the fix says what is left.
      expect(outcome?.remediationText).toMatch(/^The key cannot be restored: /);
      expect(outcome?.remediationText).not.toContain('cancel-key-deletion');
      expect(outcome?.remediationText).toContain('new dump');
    });

    it('names the other problems in the fix when the key is gone and public access is open too', () => {
      // Prepare: the deleted key, and a bucket whose public access is not blocked.
      const gone = keyManagerUnknownFact(
        key,
        `KMS DescribeKey: NotFoundException: the key ${key} does not exist`,
        true,
      );
      const fact: DumpFact = {
        ...gone,
        publicAccess: { state: 'read', value: { blocked: false, detail: 'BlockPublicPolicy=false' } },
      };
      // Act
      const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toMatch(/^The key cannot be restored: /);
      expect(outcome?.remediationText).toContain('block all public access');
    });

    it('is not available when the key is in a state that proves nothing either way', () => {
      const outcome = dumpsProtectionCheck.evaluate(withKeyState('Creating'), settingsWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toBe(
        `Could not evaluate s3://certctl-dumps/prod/: could not read whether the KMS key ${key} can decrypt the dumps (its state is Creating).`,
      );
    });
  });

  describe("the newest dump's own encryption", () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const otherKey = 'arn:aws:kms:eu-west-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab';
    function uploadedWith(encryption: NonNullable<NonNullable<DumpFact['newest']>['encryption']>): DumpFact {
      const fact = s3Fact();
      return { ...fact, newest: fact.newest ? { ...fact.newest, encryption } : undefined };
    }

    it('passes when the newest dump is encrypted with the customer-managed default key', () => {
      const fact = uploadedWith({
        algorithm: 'aws:kms',
        kmsKey: key,
        customerManagedKey: true,
        keyState: 'Enabled',
      });
      expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('warns when the newest dump was uploaded with SSE-S3 although the default is a CMK', () => {
      // Act
      const outcome = dumpsProtectionCheck.evaluate(
        uploadedWith({ algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false }),
        settingsWith(),
      );
      // Assess
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toBe(
        's3://certctl-dumps/prod/: the newest dump prod/certctl-2026-12-02.dump is encrypted with SSE-S3 (AES256), not a customer-managed KMS key: its upload overrides the bucket default.',
      );
      expect(outcome?.observed).toMatchObject({
        newestDumpEncryption: 'AES256',
        newestDumpCustomerManagedKey: false,
      });
    });

    it('warns when the newest dump was uploaded with an AWS-managed key, not guessing which', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        uploadedWith({ algorithm: 'aws:kms', kmsKey: otherKey, customerManagedKey: false }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(
        `the newest dump prod/certctl-2026-12-02.dump is encrypted with an AWS-managed KMS key (${otherKey}), not a customer-managed KMS key`,
      );
    });

    it('fails when the key the newest dump was uploaded with is disabled', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        uploadedWith({
          algorithm: 'aws:kms',
          kmsKey: otherKey,
          customerManagedKey: true,
          keyState: 'Disabled',
        }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(`the KMS key ${otherKey} that encrypts the dumps is Disabled`);
    });

    it('is not available when KMS could not say who manages the key of the newest dump', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        uploadedWith({
          algorithm: 'aws:kms',
          kmsKey: otherKey,
          customerManagedKey: undefined,
          keyManagerUnknown: 'KMS DescribeKey failed: AccessDeniedException',
        }),
        settingsWith(),
      );
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toBe(
        `Could not evaluate s3://certctl-dumps/prod/: could not read whether the KMS key ${otherKey} that encrypts the newest dump prod/certctl-2026-12-02.dump is customer-managed (KMS DescribeKey failed: AccessDeniedException).`,
      );
    });
  });

  it('reports what it read as observed values when settings are absent or unread', () => {
    // Prepare
    const fact = s3Fact({
      versioning: { state: 'read', value: { status: undefined } },
      ...NO_LOCK,
      encryption: { state: 'unknown', reason: DENIED },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.observed).toEqual({
      versioning: null,
      retentionLockDays: null,
      retentionLockLocked: null,
      publicAccessBlocked: true,
      encryption: 'unknown',
      kmsKey: null,
      kmsKeyAccount: null,
      customerManagedKey: null,
      kmsKeyState: null,
      softDeleteDays: null,
      newestDumpLockMode: null,
      newestDumpRetainUntil: null,
      newestDumpEncryption: null,
      newestDumpKmsKey: null,
      newestDumpKmsKeyAccount: null,
      newestDumpCustomerManagedKey: null,
    });
  });
});

describe('dumps.protection, Cloud Storage soft delete', () => {
  const unguarded = { versioning: { state: 'absent' }, retentionLock: { state: 'absent' } } as const;

  it('fails without saying a deleted dump is gone when soft delete keeps it a few days', () => {
    // Prepare: soft delete is on by default (7 days) and keeps deleted or overwritten objects.
    const fact = gcsFact({ ...unguarded, softDeleteDays: { state: 'read', value: 7 } });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: neither versioning nor any retention policy protects the dumps, and soft delete keeps a deleted or overwritten dump only 7 days (30 required).',
    );
    expect(outcome?.observed).toMatchObject({ softDeleteDays: 7 });
  });

  it('warns when soft delete alone keeps deleted or overwritten dumps the policy minimum', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      gcsFact({ ...unguarded, softDeleteDays: { state: 'read', value: 30 } }),
      settingsWith(),
    );
    // Assess: restorable for 30 days, but anyone who can edit the bucket can turn soft delete off.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: neither versioning nor a retention policy protects the dumps; soft delete keeps a deleted or overwritten dump restorable 30 days, but whoever can edit the bucket can turn it off.',
    );
  });

  it('keeps the plain failure when soft delete is off', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      gcsFact({ ...unguarded, softDeleteDays: { state: 'read', value: 0 } }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('a deleted or overwritten dump is gone');
  });
});

describe('dumps.protection, versioning never turned on', () => {
  it('does not call GCS versioning that is off "suspended"', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      gcsFact({
        versioning: { state: 'read', value: { status: 'Disabled' } },
        retentionLock: { state: 'absent' },
      }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'neither versioning nor any retention policy protects the dumps: a deleted or overwritten dump is gone',
    );
    expect(outcome?.description).not.toContain('suspended');
  });
});

describe("dumps.protection by the newest dump's own Object Lock retention", () => {
  const DAY = 86_400_000;
  const base = s3Fact();
  const withOwnLock = (mode: string, days: number, overrides: Partial<DumpFact> = {}) =>
    s3Fact({
      newest: base.newest && {
        ...base.newest,
        objectLock: { mode, retainUntil: new Date(NEWEST_WRITTEN.getTime() + days * DAY) },
      },
      ...overrides,
    });
  const KEY = base.newest?.object.key;

  it("fails on the newest dump's own 7-day retention, said as keeping that dump, when versioning could not be read", () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      withOwnLock('COMPLIANCE', 7, { versioning: { state: 'unknown', reason: 'AccessDenied' } }),
      settingsWith(),
    );
    // Assess: before, 'keeps dumps only 7 days', as if the series were held by it.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} keeps it only 7 days (30 required)`,
    );
    expect(outcome?.description).toContain('Could not read versioning (AccessDenied)');
  });

  it('fails when the newest dump was uploaded with a 7-day retention under a 35-day COMPLIANCE default and versioning is off', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      withOwnLock('COMPLIANCE', 7, { versioning: { state: 'absent' } }),
      settingsWith(),
    );
    // Assess: the default does not decide how long this dump is kept; its own retention does.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} keeps it only 7 days (30 required) and versioning is off`,
    );
    expect(outcome?.observed).toMatchObject({
      newestDumpLockMode: 'COMPLIANCE',
      newestDumpRetainUntil: new Date(NEWEST_WRITTEN.getTime() + 7 * DAY).toISOString(),
    });
  });

  it('warns when the newest dump carries GOVERNANCE retention under a COMPLIANCE default and versioning is not proven to keep it', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      withOwnLock('GOVERNANCE', 35, { lifecycle: { state: 'unknown', reason: 'AccessDenied' } }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} keeps it 35 days but in GOVERNANCE mode, which a privileged role can bypass, and holds that dump alone, not the older ones`,
    );
    // Before, 'keeps dumps 35 days': a retention of one object's own keeps no other dump.
    expect(outcome?.description).not.toContain('keeps dumps');
  });

  it('counts a retention set for exactly the policy days a few seconds before the upload landed as those days', () => {
    // Prepare: `--object-lock-retain-until-date $(date -d '+30 days')` computed before the PUT, whose
    // LastModified is 20 s later: the retain-until is 30 days minus 20 s after it.
    // (Versioning keeps the older dumps; a lock judged shorter than 30 days would be a WARNING.)
    const fact = withOwnLock('COMPLIANCE', 30 - 20_000 / DAY);
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('says the CMK default is credited to dumps beyond the bound unread when the listing stopped at it', () => {
    // Prepare: ListObjectsV2 answers in key order, so the newest listed dump of a cut listing may be
    // an old one; the dumps written since may carry their own encryption (an upload's own header
    // overrides the default), as a dump whose read failed may. The listed one is under the default.
    const fact = s3Fact();
    const cut = fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing;
    const own = fact.encryption.state === 'read' ? fact.encryption.value : undefined;
    const newest = fact.newest && own ? { ...fact.newest, encryption: own } : fact.newest;
    // Act
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, listing: cut, newest }, settingsWith());
    // Assess: it PASSED 'a customer-managed key encrypts the dumps', saying only of the lock that
    // the cut listing left the newest dump unread.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      '(encryption judged by the bucket default and prod/certctl-2026-12-02.dump, the newest listed dump: the listing stopped at its bound, so the own encryption of the dumps written since, which overrides the default, was not read)',
    );
  });

  it('says so of a Cloud Storage bucket whose listing stopped at its bound too', () => {
    const fact = gcsFact({});
    const cut = fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing;
    expect(dumpsProtectionCheck.evaluate({ ...fact, listing: cut }, settingsWith())?.description).toContain(
      'the own encryption of the dumps written since, which overrides the default, was not read',
    );
  });

  it('does not pass on the retention of the newest listed dump when the listing stopped at its bound', () => {
    // Prepare: ListObjectsV2 answers in key order, so a cut listing's newest may not be the newest
    // dump; the bucket has no Object Lock default and versioning is off.
    const fact = withOwnLock('COMPLIANCE', 35, { versioning: { state: 'absent' }, ...NO_LOCK });
    const cut = fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing;
    // Act
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, listing: cut }, settingsWith());
    // Assess: the bucket's settings are judged, as for a dump without its own retention.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('of the newest dump');
  });

  it("does not pass on the bucket's Object Lock default when the listing stopped at its bound and the dump read carries a shorter retention of its own", () => {
    // Prepare: a 35-day COMPLIANCE default, but the newest listed dump was uploaded with its own
    // 7-day retention, which overrides the default for that upload; the listing was cut, so the
    // newest dump may be another one, which may override the default the same way.
    const cutListing = (fact: DumpFact): DumpFact => ({
      ...fact,
      listing: fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing,
    });
    const short = cutListing(withOwnLock('COMPLIANCE', 7));
    const governance = cutListing(
      withOwnLock('GOVERNANCE', 35, { lifecycle: { state: 'unknown', reason: 'AccessDenied' } }),
    );
    // (noncurrent versions kept a week only: the pass rests on the lock alone)
    const weekOfVersions = s3Fact().lifecycle.state === 'read' ? s3Fact().lifecycle : undefined;
    const longer = cutListing(
      withOwnLock('COMPLIANCE', 40, {
        lifecycle: {
          state: 'read',
          value: (weekOfVersions?.state === 'read' ? weekOfVersions.value : []).map((rule) => ({
            ...rule,
            noncurrentExpirationDays: 7,
          })),
        },
      }),
    );
    // Act
    const outcome = dumpsProtectionCheck.evaluate(short, settingsWith());
    const bypassable = dumpsProtectionCheck.evaluate(governance, settingsWith());
    const passed = dumpsProtectionCheck.evaluate(longer, settingsWith());
    // Assess: judged as the complete listing's newest dump would be (versioning keeps the versions)
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest listed dump ${KEY} keeps it only 7 days (30 required)`,
    );
    expect(bypassable?.status).toBe('WARNING');
    expect(bypassable?.description).toContain('in GOVERNANCE mode');
    // A longer own retention proves nothing of the dump that is newest: the default alone proves
    // nothing of it either (before, PASSED on it).
    expect(passed?.status).toBe('NOT_AVAILABLE');
    // Before, 'whether the newest dump <key> is held by … : the listing stopped at its bound, so the
    // own retention of the newest dump … was not read', though that dump's own retention was read:
    // what was not read is the own retention of the dumps written after it.
    expect(passed?.description).toContain(
      `whether the dumps written after ${KEY}, the newest listed dump, are held by the bucket's Object Lock default retention (COMPLIANCE, 35 days): the listing stopped at its bound, so their own retention, which overrides the default, was not read (${KEY}'s own is COMPLIANCE until ${new Date(NEWEST_WRITTEN.getTime() + 40 * DAY).toISOString()}), and the default holds only dumps uploaded after it was set without a retention of their own, while versioning does not keep a deleted dump 30 days`,
    );
    expect(passed?.description).not.toContain('whether the newest dump');
  });

  it("names the newest listed dump's unsent own retention and the dumps beyond the bound when the listing stopped at it", () => {
    // Prepare: a 35-day COMPLIANCE default, noncurrent versions kept a week, no own retention sent.
    const fact = s3Fact();
    const lifecycle =
      fact.lifecycle.state === 'read'
        ? fact.lifecycle.value.map((rule) => ({ ...rule, noncurrentExpirationDays: 7 }))
        : [];
    const cut = {
      ...fact,
      lifecycle: { state: 'read', value: lifecycle },
      listing: fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing,
    } as const;
    // Act
    const outcome = dumpsProtectionCheck.evaluate(cut, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `whether ${KEY}, the newest listed dump, and the dumps written after it are held by the bucket's Object Lock default retention (COMPLIANCE, 35 days): its own retention was not sent (S3 sends it only with s3:GetObjectRetention), and the listing stopped at its bound, so theirs, which overrides the default, was not read, and the default holds only dumps uploaded after it was set without a retention of their own, while versioning does not keep a deleted dump 30 days`,
    );
  });

  it("does not pass on the newest dump's own COMPLIANCE retention alone when versioning does not keep the older dumps", () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      withOwnLock('COMPLIANCE', 35, { versioning: { state: 'absent' } }),
      settingsWith(),
    );
    // Assess: before, PASSED 'deletion is guarded' naming nothing: the retention read holds the
    // newest dump alone; S3 lists no object's retention, so the older dumps of the window are not
    // shown held (the default holds only uploads made after it was set).
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not read whether the 29 older dumps of the last 30 days (the newest of them prod/certctl-2026-12-01.dump) are held: only the newest dump',
    );
  });

  it('counts the dumps alone as the older dumps not shown held, never a newer checksum', () => {
    // Prepare: each dump followed by its checksum, no suffix: the collectors read the newest dump,
    // and its checksum, a minute newer, is passed over by its key.
    const objects = withChecksums(dailySeries(35));
    const fact = withOwnLock('COMPLIANCE', 35, {
      versioning: { state: 'absent' },
      listing: { state: 'read', objects, complete: true },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, 'the 59 older dumps of the last 30 days (the newest of them
    // prod/certctl-2026-12-02.dump.sha256)', the checksums counted and the newest, newer than the
    // dump, called older.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not read whether the 29 older dumps of the last 30 days (the newest of them prod/certctl-2026-12-01.dump) are held',
    );
  });

  it("passes on the newest dump's own COMPLIANCE retention when versioning keeps the older dumps the policy days", () => {
    const outcome = dumpsProtectionCheck.evaluate(withOwnLock('COMPLIANCE', 35), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: deletion is guarded, public access is blocked and a customer-managed key encrypts the dumps.',
    );
  });
});

describe('dumps.protection when the newest dump could not be read', () => {
  it('does not say a customer-managed key encrypts the dumps from the bucket default alone', () => {
    // Prepare: the default is the CMK, but the dump's own encryption (which an upload overrides) was not read.
    const healthy = s3Fact();
    const fact = s3Fact({
      newest: healthy.newest && {
        ...healthy.newest,
        header: { state: 'unknown', reason: DENIED },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `how the newest dump ${healthy.newest?.object.key} is encrypted (its read failed: ${DENIED}; the bucket default is a customer-managed key, but an upload's own encryption overrides it)`,
    );
  });
});

describe('dumps.protection when the ranged read of the newest dump sent no encryption header', () => {
  it('does not say a customer-managed key encrypts the dumps from the bucket default alone, as for an alias', () => {
    // Prepare: the default is the CMK; the read answered the bytes but no x-amz-server-side-encryption
    // (S3 sends it on every GET of an encrypted object, so the dump's own encryption is unproven).
    const healthy = s3Fact();
    const { encryption: _sent, ...unsent } = healthy.newest as NonNullable<DumpFact['newest']>;
    const fact = s3Fact({ newest: unsent });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED on the bucket default; an alias default was NOT_AVAILABLE.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `how the newest dump ${unsent.object.key} is encrypted (its ranged read sent no x-amz-server-side-encryption header, which S3 sends for every encrypted object; the bucket default is a customer-managed key, but an upload's own encryption overrides it)`,
    );
  });

  it('passes when the read sent the default customer-managed key, as S3 does', () => {
    expect(dumpsProtectionCheck.evaluate(s3Fact(), settingsWith())?.status).toBe('PASSED');
  });
});

describe('dumps.protection when the newest dump is archived', () => {
  const healthy = s3Fact();
  const KEY = healthy.newest?.object.key;
  const ARCHIVED = "InvalidObjectState (HTTP 403): The operation is not valid for the object's storage class";
  /** The newest dump archived in DEEP_ARCHIVE: its bytes unread, what HeadObject answered of it (`metadata`) beside. */
  const archivedFact = (
    metadata: { state: 'read' } | { state: 'unknown'; reason: string } | undefined,
    own: Partial<NonNullable<DumpFact['newest']>> = {},
    overrides: Partial<DumpFact> = {},
  ) =>
    s3Fact({
      newest: healthy.newest && {
        ...healthy.newest,
        header: {
          state: 'unknown',
          reason: ARCHIVED,
          archived: 'DEEP_ARCHIVE',
          ...(metadata ? { metadata } : {}),
        },
        tail: { state: 'unknown', reason: ARCHIVED },
        ...own,
      },
      ...overrides,
    });

  it('passes when HeadObject says the archived dump is encrypted with the default customer-managed key', () => {
    // Prepare: before, the unread bytes left how the dump is encrypted unknown on every run.
    const byDefault = healthy.encryption.state === 'read' ? healthy.encryption.value : undefined;
    const fact = archivedFact({ state: 'read' }, { ...(byDefault ? { encryption: byDefault } : {}) });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('warns when HeadObject says the archived dump was uploaded with SSE-S3 under a customer-managed default', () => {
    const fact = archivedFact(
      { state: 'read' },
      { encryption: { algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false } },
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the newest dump ${KEY} is encrypted with SSE-S3 (AES256), not a customer-managed KMS key: its upload overrides the bucket default`,
    );
  });

  it('fails on the archived dump’s own short retention that HeadObject answered', () => {
    const fact = archivedFact(
      { state: 'read' },
      {
        encryption: healthy.encryption.state === 'read' ? healthy.encryption.value : undefined,
        objectLock: { mode: 'COMPLIANCE', retainUntil: new Date(NEWEST_WRITTEN.getTime() + 7 * 86_400_000) },
      },
      { versioning: { state: 'absent' } },
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} keeps it only 7 days (30 required) and versioning is off`,
    );
  });

  it('stays NOT_AVAILABLE, naming both failures, when HeadObject failed too', () => {
    // The reason as the S3 adapter words a HEAD refused without a body (functions/aws/s3-dumps.ts).
    const refused = `AccessDenied (HTTP 403): the audit role needs s3:GetObject on arn:aws:s3:::certctl-dumps/${KEY} (HeadObject needs it; S3 sends no reason with a HEAD answer)`;
    const fact = archivedFact({ state: 'unknown', reason: refused });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `how the newest dump ${KEY} is encrypted (its read failed: ${ARCHIVED}; HeadObject failed: ${refused}; the bucket default is a customer-managed key, but an upload's own encryption overrides it)`,
    );
  });
});

describe("dumps.protection by a Cloud Storage dump's own object retention", () => {
  const DAY = 86_400_000;
  const unguarded: Partial<DumpFact> = {
    versioning: { state: 'absent' },
    retentionLock: { state: 'absent' },
    softDeleteDays: { state: 'read', value: 7 },
  };
  const base = gcsFact({});
  const KEY = base.newest?.object.key;
  const withRetention = (mode: string, days: number, overrides: Partial<DumpFact> = unguarded) =>
    gcsFact({
      ...overrides,
      newest: base.newest && {
        ...base.newest,
        objectLock: { mode, retainUntil: new Date(NEWEST_WRITTEN.getTime() + days * DAY) },
      },
    });

  it('passes dumps whose own retention is each Locked for the policy days, with neither versioning nor a bucket retention policy', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      withListedRetentions(withRetention('Locked', 35)),
      settingsWith(),
    );
    // Assess: a Locked retention can be neither reduced nor removed (https://cloud.google.com/storage/docs/object-lock).
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      `(deletion judged by the newest dump ${KEY}'s own object retention, Locked until`,
    );
    expect(outcome?.description).toContain("and each older listed dump's own)");
  });

  it("does not pass on the dumps' own retentions when one of the window's is Unlocked and another absent", () => {
    // Prepare: 35 daily dumps, every one Locked for 35 days except two written in the last 30 days:
    // one not shown to carry a retention, one whose retention is Unlocked (it can be removed).
    const held = withListedRetentions(withRetention('Locked', 35), (index) => index !== 20);
    const fact = {
      ...held,
      listedRetentions: new Map([
        ...(held.listedRetentions ?? []),
        [
          'prod/certctl-2026-11-20.dump',
          { mode: 'Unlocked', retainUntil: new Date('2027-01-01T00:00:00Z') },
        ] as const,
      ]),
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: Cloud Storage keeps an object under its own retention only.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      '2 older listed dumps of the last 30 days (the newest of them prod/certctl-2026-11-20.dump) carry no Locked object retention of at least 30 days of their own',
    );
  });

  it('counts the dumps alone as the older listed dumps without a Locked retention, never a newer checksum', () => {
    // Prepare: each dump followed by its checksum, no suffix; objects.list sent the newest dump's
    // Locked retention alone.
    const objects = withChecksums(dailySeries(35));
    const fact = withRetention('Locked', 35, {
      ...unguarded,
      listing: { state: 'read', objects, complete: true },
    });
    const newestOnly = withListedRetentions(fact, (index) => objects[index]?.key === KEY);
    // Act
    const outcome = dumpsProtectionCheck.evaluate(newestOnly, settingsWith());
    // Assess: before, '59 older listed dumps of the last 30 days (the newest of them
    // prod/certctl-2026-12-02.dump.sha256)'.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      '29 older listed dumps of the last 30 days (the newest of them prod/certctl-2026-12-01.dump) carry no Locked object retention of at least 30 days of their own',
    );
  });

  it('only warns when the newest dump alone is shown held: the older dumps are not shown kept', () => {
    // Prepare: objects.list sent the newest dump's Locked retention and none for the 34 older ones.
    const fact = withRetention('Locked', 35);
    const newestOnly = withListedRetentions(fact, (index) => index === 34);
    // Act
    const outcomes = [fact, newestOnly].map((each) => dumpsProtectionCheck.evaluate(each, settingsWith()));
    // Assess: before, PASSED 'deletion is guarded' on the newest dump's retention alone, with no
    // versioning or retention policy keeping the older dumps dumps.retention counts (29 of them in
    // the last 30 days).
    for (const outcome of outcomes) {
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(
        `29 older listed dumps of the last 30 days (the newest of them ${fact.listing.state === 'read' ? fact.listing.objects[33]?.key : ''}) carry no Locked object retention of at least 30 days of their own`,
      );
    }
  });

  it('still warns of older dumps that only an object hold keeps, naming the hold', () => {
    // Prepare: the newest dump Locked for 35 days; the 34 older ones carry no retention of their
    // own, and objects.list sent a temporary hold on each.
    const fact = withRetention('Locked', 35);
    const objects = fact.listing.state === 'read' ? fact.listing.objects : [];
    const held: DumpFact = {
      ...withListedRetentions(fact, (index) => index === 34),
      listedHolds: new Map(objects.slice(0, 34).map((object) => [object.key, { temporary: true }])),
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate(held, settingsWith());
    // Assess: before, 'the older ones can be deleted', though a hold keeps each while it is set;
    // a hold is no retention period, so the warning stays.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'only the newest dump is held for the policy days; each of them is under an object hold, which keeps it only while it is set (it sets no period, and whoever may update the objects can release it)',
    );
    expect(outcome?.description).not.toContain('the older ones can be deleted');
  });

  describe('older dumps whose holds objects.list did not send', () => {
    const fact = withRetention('Locked', 35);
    const objects = fact.listing.state === 'read' ? fact.listing.objects : [];
    /** The newest dump Locked for 35 days, the 34 older ones carrying none, with `holds` of each. */
    const withHolds = (holds: (index: number) => ObjectHolds | undefined): DumpFact => {
      const sent = objects.slice(0, 34).flatMap((object, index) => {
        const each = holds(index);
        return each === undefined ? [] : [[object.key, each] as const];
      });
      return { ...withListedRetentions(fact, (index) => index === 34), listedHolds: new Map(sent) };
    };

    it('does not say they can be deleted when objects.list sent no hold for them', () => {
      // Act: objects.list sent neither temporaryHold nor eventBasedHold for any listed dump.
      const outcome = dumpsProtectionCheck.evaluate(
        withListedRetentions(fact, (index) => index === 34),
        settingsWith(),
      );
      // Assess: before, 'only the newest dump is held, the older ones can be deleted', though
      // whether a hold keeps them was not read.
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).not.toContain('can be deleted');
      expect(outcome?.description).toContain(
        "only the newest dump is held for the policy days; their holds were not read (objects.list did not send each one's temporaryHold and eventBasedHold)",
      );
    });

    it('does not say so either of a dump sent with one hold alone, as not set', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        withHolds(() => ({ temporary: false })),
        settingsWith(),
      );
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).not.toContain('can be deleted');
    });

    it('says they can be deleted when objects.list sent both holds as not set', () => {
      const outcome = dumpsProtectionCheck.evaluate(
        withHolds(() => ({ temporary: false, eventBased: false })),
        settingsWith(),
      );
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('only the newest dump is held, the older ones can be deleted');
    });

    it('says which of them are held, can be deleted, or were not read', () => {
      // Prepare: of the 29 older dumps of the window (indexes 5 to 33), 3 held, 3 sent as not
      // held, the rest sent no hold.
      const outcome = dumpsProtectionCheck.evaluate(
        withHolds((index) =>
          index >= 31
            ? { eventBased: true }
            : index >= 28
              ? { temporary: false, eventBased: false }
              : undefined,
        ),
        settingsWith(),
      );
      // Assess: before, 'and the others can be deleted', the 24 whose holds were not sent among them.
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(
        "only the newest dump is held for the policy days; 3 of them are under an object hold, which keeps each only while it is set (it sets no period, and whoever may update the objects can release it), 3 of them can be deleted, and the holds of 23 of them were not read (objects.list did not send each one's temporaryHold and eventBasedHold)",
      );
    });
  });

  it('passes when the only object of the window without a retention of its own is empty', () => {
    // Prepare: every dump Locked for 35 days; the run of 2026-11-18 uploaded 0 bytes, with none.
    const fact = withEmptyObject(withListedRetentions(withRetention('Locked', 35)), 20);
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, WARNING ('the older listed dump prod/certctl-2026-11-18.dump carries no Locked
    // object retention'): an empty object holds no dump to lose.
    expect(outcome?.status).toBe('PASSED');
  });

  it('still passes when the dumps without a retention of their own are older than the policy days', () => {
    // Prepare: the uploader began setting retentions 30 days ago (2026-11-03); the 5 dumps before
    // carry none.
    const fact = withListedRetentions(withRetention('Locked', 35), (index) => index >= 5);
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: the policy needs the last 30 days of dumps, which are all held.
    expect(outcome?.status).toBe('PASSED');
  });

  it('passes when the older dumps are kept by versioning though only the newest carries a retention', () => {
    const fact = withRetention('Locked', 35, {
      versioning: { state: 'read', value: { status: 'Enabled' } },
      retentionLock: { state: 'absent' },
      lifecycle: { state: 'absent' },
    });
    expect(dumpsProtectionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('warns, not fails, when that retention is Unlocked', () => {
    const outcome = dumpsProtectionCheck.evaluate(withRetention('Unlocked', 35), settingsWith());
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the object retention of the newest dump ${KEY} keeps it 35 days but is not locked, so it can be removed, and holds that dump alone, not the older ones`,
    );
    // Before, 'keeps dumps 35 days': a retention of one object's own keeps no other dump.
    expect(outcome?.description).not.toContain('keeps dumps');
  });

  it('still passes on versioning that keeps versions when the dump also carries an Unlocked retention', () => {
    const fact = withRetention('Unlocked', 35, {
      versioning: { state: 'read', value: { status: 'Enabled' } },
      retentionLock: { state: 'absent' },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('PASSED');
  });

  it('still passes on a locked bucket retention policy when the dump carries a shorter Unlocked retention of its own', () => {
    // Prepare: both hold the object on Cloud Storage; the locked bucket policy is the stronger.
    const fact = withRetention('Unlocked', 3, {
      versioning: { state: 'absent' },
      retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('does not pass on the retention of the newest listed dump when the listing stopped at its bound', () => {
    // Prepare: objects.list is in name order, so a cut listing's newest may not be the newest dump.
    const fact = withRetention('Locked', 35);
    const cut = fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing;
    // Act
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, listing: cut }, settingsWith());
    // Assess
    expect(outcome?.status).not.toBe('PASSED');
  });

  it.each([
    ['the newest listed dump', (fact: DumpFact) => fact],
    ['every listed dump', (fact: DumpFact) => withListedRetentions(fact)],
  ])(
    'does not fail a bucket as unguarded when %s carries its own Locked retention but the listing stopped at its bound',
    (_, held) => {
      // Prepare: neither versioning nor a retention policy, soft delete a week; the dumps written
      // after the newest listed one (beyond the bound) were not read, nor their own retention.
      const fact = held(withRetention('Locked', 35));
      const cut = fact.listing.state === 'read' ? { ...fact.listing, complete: false } : fact.listing;
      // Act
      const outcome = dumpsProtectionCheck.evaluate({ ...fact, listing: cut }, settingsWith());
      // Assess: before, FAILED 'neither versioning nor any retention policy protects the dumps', though
      // the dumps read carry a Locked retention that neither can be reduced nor removed.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        `could not read the object retention of the dumps written after ${KEY}, the newest listed dump (${KEY} carries its own, Locked until ${new Date(NEWEST_WRITTEN.getTime() + 35 * DAY).toISOString()}, but the listing stopped at its bound, so theirs was not read, and neither versioning nor a retention policy of 30 days keeps them)`,
      );
      expect(outcome?.description).not.toContain('a deleted or overwritten dump is gone');
    },
  );

  it('is not passed on an Unlocked retention when the bucket retention policy could not be read', () => {
    const fact = withRetention('Unlocked', 35, {
      versioning: { state: 'absent' },
      retentionLock: { state: 'unknown', reason: DENIED },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).not.toBe('PASSED');
  });
});

describe('dumps.protection and lifecycle rules that reach none of the dumps', () => {
  // A scratch cleanup beside the dumps: deletes objects under prod/tmp/ (or ending with .tmp) a day
  // old, live or noncurrent, as a Cloud Storage Delete rule without isLive does.
  const scratch = (reach: { narrowerPrefixes?: string[]; matchesSuffixes?: string[] }) =>
    gcsFact({
      versioning: { state: 'read', value: { status: 'Enabled' } },
      retentionLock: { state: 'absent' },
      lifecycle: {
        state: 'read',
        value: [
          {
            id: '#1',
            expirationDays: 1,
            expirationDate: undefined,
            noncurrentExpirationDays: 1,
            prefix: reach.narrowerPrefixes?.[0] ?? 'prod/',
            ...reach,
          },
        ],
      },
    });

  it('warns, naming the rule, when a rule deletes noncurrent versions under prod/tmp/, where no dump is listed now', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      scratch({ narrowerPrefixes: ['prod/tmp/'] }),
      settingsWith(),
    );
    // Assess: before, PASSED, the rule judged from the current listing alone; but a deleted dump
    // is listed no more, and dumps under prod/tmp/ are dumps of the location: its versions may be
    // the rule's.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'versioning is on, but lifecycle rule #1 deletes noncurrent versions of keys under prod/tmp/ after 1 day: no listed dump is there, but a deleted dump is listed no more, so an overwritten or deleted dump is not proven kept 30 days',
    );
  });

  it('warns when every dump was deleted and a rule on a narrower prefix deletes noncurrent versions after a day', () => {
    // Prepare: the listing is complete and empty (every dump deleted, its version noncurrent).
    const fact = scratch({ narrowerPrefixes: ['prod/certctl-'] });
    const emptied = {
      ...fact,
      listing: { state: 'read' as const, objects: [], complete: true },
      newest: undefined,
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate(emptied, settingsWith());
    // Assess: before, the rule reached no listed dump, so versioning was said to keep them.
    expect(outcome?.status).not.toBe('PASSED');
    expect(outcome?.description).toContain(
      'lifecycle rule #1 deletes noncurrent versions of keys under prod/certctl- after 1 day:',
    );
  });

  it('does not warn for a rule on keys ending with .tmp when the dumps end with .dump', () => {
    const fact = scratch({ matchesSuffixes: ['.tmp'] });
    const outcome = dumpsProtectionCheck.evaluate(
      { ...fact, location: { ...fact.location, suffix: '.dump' } },
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
  });

  it('still warns when a listed dump lies under the narrower prefix', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      scratch({ narrowerPrefixes: ['prod/certctl-'] }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('WARNING');
    // Before, 'a lifecycle rule deletes noncurrent versions after 1 days': unnamed, and '1 days'.
    expect(outcome?.description).toContain(
      'versioning is on, but lifecycle rule #1 deletes noncurrent versions after 1 day (30 required)',
    );
  });
});

describe('dumps.protection of a default key named by an alias', () => {
  const alias = 'alias/certctl-dumps';
  const target = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const earlier = 'arn:aws:kms:eu-west-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab';
  /** The default names the alias, which DescribeKey says points to `target` (Enabled) now. */
  function aliased(newestKey?: EncryptionConfig, listing?: DumpFact['listing']): DumpFact {
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: {
          algorithm: 'aws:kms',
          kmsKey: alias,
          customerManagedKey: true,
          keyState: 'Enabled',
          aliasTarget: target,
        },
      },
      ...(listing ? { listing, newest: undefined } : {}),
    });
    if (!fact.newest) return fact;
    // Without `newestKey`, a read that sent no key (the fixture sends the alias's key, as S3 does).
    const { encryption: _sent, ...unsent } = fact.newest;
    return { ...fact, newest: newestKey ? { ...unsent, encryption: newestKey } : unsent };
  }

  it("passes when the newest dump's own key (S3 answers its ARN) is the key the alias points to now", () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      aliased({ algorithm: 'aws:kms', kmsKey: target, customerManagedKey: true, keyState: 'Enabled' }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('PASSED');
  });

  it('judges the key that encrypted the newest dump, not the one the alias was moved to', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      aliased({ algorithm: 'aws:kms', kmsKey: earlier, customerManagedKey: true, keyState: 'Disabled' }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(`the KMS key ${earlier} that encrypts the dumps is Disabled`);
  });

  it('warns, not NOT_AVAILABLE, when the newest dump says it was uploaded with SSE-S3: its own encryption is known', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      aliased({ algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('is encrypted with SSE-S3 (AES256)');
  });

  it.each([
    ['its read sent no key', undefined],
    ['no dump is listed', { state: 'read', objects: [], complete: true } as const],
    ['the listing could not be read', { state: 'unknown', reason: 'AccessDenied' } as const],
  ])(
    "is NOT_AVAILABLE, naming the alias and the key it points to now, when the newest dump's key is not known: %s",
    (_, listing) => {
      // Act
      const outcome = dumpsProtectionCheck.evaluate(aliased(undefined, listing), settingsWith());
      // Assess: the alias may have been moved since the dumps were written.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`the alias ${alias}`);
      expect(outcome?.description).toContain(`${target} (Enabled)`);
    },
  );
});

describe('dumps.protection of an alias whose key now cannot decrypt', () => {
  it('names the key the alias points to now, whose state it is', () => {
    // Arrange
    const target = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: {
          algorithm: 'aws:kms',
          kmsKey: 'alias/certctl-dumps',
          customerManagedKey: true,
          keyState: 'Disabled',
          aliasTarget: target,
        },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key alias/certctl-dumps (the alias's key now: ${target}) that encrypts the dumps is Disabled`,
    );
  });
});

describe('dumps.protection of a Cloud Storage bucket whose Cloud KMS key version is DESTROYED', () => {
  const KEY = 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k';
  const destroyed = (overrides: Partial<DumpFact> = {}) =>
    gcsFact({
      encryption: {
        state: 'read',
        value: { algorithm: 'cloud-kms', kmsKey: KEY, customerManagedKey: true, keyState: 'DESTROYED' },
      },
      ...overrides,
    });

  it('says the material is gone, and the fix is a new dump under an enabled Cloud KMS key, not a restore', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(destroyed(), settingsWith());
    // Assess: a DESTROYED version cannot be restored or enabled (only DESTROY_SCHEDULED can).
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      `gs://certctl-dumps/prod/: the KMS key ${KEY} that encrypts the dumps is DESTROYED: its key material is destroyed, and no dump it encrypts can be decrypted.`,
    );
    expect(outcome?.remediationText).toMatch(/^The key cannot be restored: take a new dump now/);
    expect(outcome?.remediationText).toContain('Cloud KMS');
    expect(outcome?.remediationText).not.toMatch(/SSE-KMS|Object Lock|versions restore/);
  });

  it('gives the Cloud Storage fix for the other problems: the locked retention policy first, no Object Lock', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      destroyed({
        publicAccess: {
          state: 'read',
          value: { blocked: false, detail: 'publicAccessPrevention=inherited' },
        },
      }),
      settingsWith(),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toContain(
      'For the other problems: set a locked retention policy of at least the policy minimum (or, on a bucket without a retention policy, turn on Object Versioning: Cloud Storage refuses it beside one) and enforce public access prevention on the bucket.',
    );
    expect(outcome?.remediationText).not.toMatch(/Object Lock|block all public access/);
  });
});

describe('dumps.protection when a dump dated after this run shows its clock behind', () => {
  const DAY = 86_400_000;
  /** Two days before the newest dump was written: S3 dated its upload after this clock. */
  const BEHIND = { ...settingsWith(), now: new Date(NEWEST_WRITTEN.getTime() - 2 * DAY) };
  const CLOCK = `prod/certctl-2026-12-02.dump says it was written at ${NEWEST_WRITTEN.toISOString()}, later than this run's clock (${BEHIND.now.toISOString()})`;
  const RETAIN_UNTIL = new Date(NEWEST_WRITTEN.getTime() + 35 * DAY);
  /** One dump, which carries its own retention of 35 days after its upload. */
  const ownLocked = (mode: string, overrides: Partial<DumpFact>, provider: 'aws' | 'gcp' = 'aws') => {
    const objects = dailySeries(1);
    const newest = newestOf(objects);
    const listed = {
      listing: { state: 'read', objects, complete: true },
      // S3 answers the dump's own encryption with every read (the default's, here).
      newest: newest && {
        ...newest,
        objectLock: { mode, retainUntil: RETAIN_UNTIL },
        ...(provider === 'aws' ? { encryption: s3Fact().newest?.encryption } : {}),
      },
      ...overrides,
    } as const;
    return provider === 'aws' ? s3Fact(listed) : withListedRetentions(gcsFact(listed));
  };

  it("does not pass on an S3 dump's own retention whose end it cannot place", () => {
    // Prepare: COMPLIANCE until 35 days after the upload, versioning off.
    const fact = ownLocked('COMPLIANCE', { versioning: { state: 'absent' } });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, BEHIND);
    // Assess: before, PASSED 'deletion is guarded': a clock behind by an unknown amount reads
    // any retain-until date after it as still running.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `Could not evaluate s3://certctl-dumps/prod/: could not read the Object Lock retention of the newest dump prod/certctl-2026-12-02.dump (${CLOCK}, so whether its retain-until date ${RETAIN_UNTIL.toISOString()} has passed cannot be told; check the clock of the machine that runs the audit)`,
    );
  });

  it("does not pass on a Cloud Storage dump's own Locked retention whose end it cannot place", () => {
    const fact = ownLocked(
      'Locked',
      { versioning: { state: 'absent' }, retentionLock: { state: 'absent' } },
      'gcp',
    );
    const outcome = dumpsProtectionCheck.evaluate(fact, BEHIND);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `the object retention of the newest dump prod/certctl-2026-12-02.dump (${CLOCK}`,
    );
  });

  it('still passes on a locked bucket retention policy, which holds each dump from its own upload', () => {
    const fact = ownLocked('Locked', { versioning: { state: 'absent' } }, 'gcp');
    expect(dumpsProtectionCheck.evaluate(fact, BEHIND)?.status).toBe('PASSED');
  });

  it.each([
    ['40 days after the clock: not proven beyond the 30-day horizon', 40, 'NOT_AVAILABLE'],
    ['12 days after the clock: at least that near', 12.5, 'WARNING'],
  ] as const)('judges imported key material that expires %s', (_, days, status) => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const expires = new Date(BEHIND.now.getTime() + days * DAY);
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: {
          algorithm: 'aws:kms',
          kmsKey: key,
          customerManagedKey: true,
          keyState: 'Enabled',
          keyMaterialExpires: expires,
          keyRegion: 'eu-west-1',
        },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, BEHIND);
    // Assess: before, 40 days PASSED, though the material may expire within the horizon (KMS
    // says PendingImport only once it has expired).
    expect(outcome?.status).toBe(status);
    if (status === 'NOT_AVAILABLE') {
      expect(outcome?.description).toContain(
        `Could not evaluate s3://certctl-dumps/prod/: could not read whether the imported key material of the KMS key ${key} that encrypts the dumps expires within 30 days: it expires on ${expires.toISOString()} (ValidTo), but ${CLOCK}, so how far off that is cannot be told; check the clock of the machine that runs the audit.`,
      );
    } else {
      // The days left are counted from a clock the listing shows behind: not said as a count.
      expect(outcome?.description).not.toContain('in 12 days');
      expect(outcome?.description).toContain(
        `the imported key material of the KMS key ${key} that encrypts the dumps expires on ${expires.toISOString()} (ValidTo, within the 30-day horizon: ${CLOCK}, so how many days are left cannot be told; check the clock of the machine that runs the audit): KMS then deletes it, and no dump it encrypts can be decrypted until the same material is imported again`,
      );
    }
  });
});

describe("dumps.protection when the newest dump's own retention has ended", () => {
  const DAY = 86_400_000;
  /** 40 days after the newest dump was written: a 35-day retention of its own ended 5 days ago. */
  const LATER = { ...settingsWith(), now: new Date(NEWEST_WRITTEN.getTime() + 40 * DAY) };
  const ENDED = new Date(NEWEST_WRITTEN.getTime() + 35 * DAY);
  const withEndedLock = (fact: DumpFact, mode: string): DumpFact => ({
    ...fact,
    newest: fact.newest && { ...fact.newest, objectLock: { mode, retainUntil: ENDED } },
  });
  const KEY = s3Fact().newest?.object.key;

  it('fails, naming the end, when an S3 dump was locked for the policy days but its retention is over and versioning is off', () => {
    // Prepare: COMPLIANCE retention 35 days after upload (30 required), ended 5 days ago.
    const fact = withEndedLock(s3Fact({ versioning: { state: 'absent' } }), 'COMPLIANCE');
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, LATER);
    // Assess: before, PASSED 'deletion is guarded' on the 35 days the retention once lasted; then
    // 'so nothing locks it now', though S3 sent no legal hold status for it.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} ended at ${ENDED.toISOString()} (S3 sent no legal hold status for it`,
    );
  });

  it('fails on a Cloud Storage dump whose Locked retention is over when no retention policy or versioning holds it', () => {
    // Prepare: every listed dump Locked for 35 days after it was written, all ended by now.
    const fact = withListedRetentions(
      withEndedLock(
        gcsFact({
          versioning: { state: 'absent' },
          retentionLock: { state: 'absent' },
          softDeleteDays: { state: 'read', value: 7 },
        }),
        'Locked',
      ),
    );
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, LATER);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    // Before, 'so nothing locks it now', though objects.list sent no hold for it.
    expect(outcome?.description).toContain(
      `the object retention of the newest dump ${KEY} ended at ${ENDED.toISOString()} (its holds were not read: objects.list did not send its temporaryHold and eventBasedHold), and versioning is off, and soft delete keeps a deleted or overwritten dump only 7 days (30 required).`,
    );
  });

  it('still passes on versioning that keeps every version the policy days', () => {
    const fact = withEndedLock(s3Fact(), 'COMPLIANCE');
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, LATER);
    // Assess: the pass rests on versioning, not on the ended retention.
    expect(outcome?.status).toBe('PASSED');
  });

  it('still judges a running retention by its days from the upload', () => {
    const fact = withEndedLock(s3Fact({ versioning: { state: 'absent' } }), 'COMPLIANCE');
    // Act: 34 days after the upload the 35-day retention still runs.
    const outcome = dumpsProtectionCheck.evaluate(fact, {
      ...LATER,
      now: new Date(NEWEST_WRITTEN.getTime() + 34 * DAY),
    });
    expect(outcome?.status).toBe('PASSED');
  });
});

describe('dumps.protection counts a single day as one', () => {
  it('says a lock keeps dumps "only 1 day" when it is the only protection, and when versioning is on', () => {
    // Prepare
    const lock = { state: 'read', value: { mode: 'COMPLIANCE', days: 1, locked: true } } as const;
    const alone = s3Fact({ versioning: { state: 'absent' }, retentionLock: lock });
    const versioned = s3Fact({ retentionLock: lock });
    // Act
    const aloneOutcome = dumpsProtectionCheck.evaluate(alone, settingsWith());
    const versionedOutcome = dumpsProtectionCheck.evaluate(versioned, settingsWith());
    // Assess: before, 'keeps dumps only 1 days (30 required)'.
    expect(aloneOutcome?.status).toBe('FAILED');
    expect(aloneOutcome?.description).toContain('keeps dumps only 1 day (30 required)');
    expect(versionedOutcome?.description).toContain('keeps dumps only 1 day (30 required)');
  });

  it('says "1 day" of a policy that asks for a single day, which a count of newer versions does not prove kept', () => {
    // Prepare: versioning on, a rule that deletes noncurrent versions once 3 newer ones exist; a 1-day policy.
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      retentionLock: { state: 'absent' },
      lifecycle: {
        state: 'read',
        value: [
          {
            id: 'keep-3',
            expirationDays: undefined,
            expirationDate: undefined,
            noncurrentExpirationDays: undefined,
            noncurrentNewerVersions: 3,
            prefix: 'prod/',
          },
        ],
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith({}, 1));
    // Assess: before, 'not proven kept 1 days (1 required)'.
    expect(outcome?.description).toContain(
      'lifecycle rule keep-3 deletes noncurrent versions once 3 newer versions exist',
    );
    expect(outcome?.description).toContain(
      'so an overwritten or deleted dump is not proven kept 1 day (1 required)',
    );
  });
});

describe('dumps.protection with a default key of another account or project', () => {
  const FOREIGN_KEY = 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  it('passes, saying whose key it is and what its owner can do, when the S3 default key is in another account', () => {
    // Prepare: the bucket is in 111122223333; its default CMK, Enabled, is in 444455556666.
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: FOREIGN_KEY, customerManagedKey: true, keyState: 'Enabled' },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: before, the pass read as if the bucket's account held the key.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ customerManagedKey: true, kmsKeyAccount: '444455556666' });
    expect(outcome?.description).toContain(
      `(the default key ${FOREIGN_KEY} is in account 444455556666, not the bucket's account 111122223333: whoever administers that account can disable the key, schedule its deletion or change its key policy, leaving every dump it encrypts unreadable, and nothing in the bucket's account can stop it)`,
    );
  });

  it('names the key account, and says nothing of another, when the S3 default key is in the bucket account', () => {
    const outcome = dumpsProtectionCheck.evaluate(s3Fact(), settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ kmsKeyAccount: '111122223333' });
    expect(outcome?.description).not.toContain('not the bucket');
  });

  it('says whose key it is when a disabled S3 default key is in another account', () => {
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: FOREIGN_KEY, customerManagedKey: true, keyState: 'Disabled' },
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      "The default key is in account 444455556666, not the bucket's account 111122223333",
    );
  });

  it('passes, saying whose key it is, when the Cloud Storage default key is in another project', () => {
    // Prepare: the bucket is in project certctl-prod; its default Cloud KMS key in certctl-security.
    const kmsKey = 'projects/certctl-security/locations/europe-west1/keyRings/r/cryptoKeys/k';
    const fact = s3Fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'europe-west1',
        type: 'GcpStorageBucket',
        id: 'certctl-dumps',
      },
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      publicAccess: { state: 'read', value: { blocked: true, detail: 'publicAccessPrevention=enforced' } },
      encryption: {
        state: 'read',
        value: { algorithm: 'cloud-kms', kmsKey, customerManagedKey: true, keyState: 'ENABLED' },
      },
    });
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ kmsKeyAccount: 'certctl-security' });
    expect(outcome?.description).toContain(
      `(the default key ${kmsKey} is in project certctl-security, not the bucket's project certctl-prod: whoever administers that project can disable the key version, schedule its destruction or change the key's IAM policy, leaving every dump it encrypts unreadable, and nothing in the bucket's project can stop it)`,
    );
  });

  it("says whose key it is when the newest dump's own S3 key is in another account and the default key is the bucket's", () => {
    // Prepare: the default CMK is in the bucket's account; the newest dump was uploaded with its
    // own SSE-KMS key, Enabled, in 444455556666 (an upload's own key overrides the default).
    const fact = s3Fact();
    const newest = fact.newest && {
      ...fact.newest,
      encryption: {
        algorithm: 'aws:kms',
        kmsKey: FOREIGN_KEY,
        customerManagedKey: true,
        keyState: 'Enabled',
      },
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, newest }, settingsWith());
    // Assess: before, nothing said whose the dump's own key is.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      kmsKeyAccount: '111122223333',
      newestDumpKmsKey: FOREIGN_KEY,
      newestDumpKmsKeyAccount: '444455556666',
    });
    expect(outcome?.description).toContain(
      `(the newest dump prod/certctl-2026-12-02.dump's own key ${FOREIGN_KEY} is in account 444455556666, not the bucket's account 111122223333: whoever administers that account can disable the key, schedule its deletion or change its key policy, leaving every dump it encrypts unreadable, and nothing in the bucket's account can stop it)`,
    );
  });

  it("says whose key it is when the newest dump's own key in another account is disabled", () => {
    const fact = s3Fact();
    const newest = fact.newest && {
      ...fact.newest,
      encryption: {
        algorithm: 'aws:kms',
        kmsKey: FOREIGN_KEY,
        customerManagedKey: true,
        keyState: 'Disabled',
      },
    };
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, newest }, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      "The newest dump prod/certctl-2026-12-02.dump's own key is in account 444455556666, not the bucket's account 111122223333",
    );
  });

  it("names the newest dump's own key account once, as the default's, when the dump is under the default key", () => {
    const fact = s3Fact({
      encryption: {
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: FOREIGN_KEY, customerManagedKey: true, keyState: 'Enabled' },
      },
    });
    const newest = fact.newest &&
      fact.encryption.state === 'read' && { ...fact.newest, encryption: fact.encryption.value };
    const outcome = dumpsProtectionCheck.evaluate({ ...fact, newest: newest || undefined }, settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({
      kmsKeyAccount: '444455556666',
      newestDumpKmsKeyAccount: '444455556666',
    });
    expect(outcome?.description).not.toContain('own key');
  });

  it('claims no project for a Cloud KMS key named by project number, which may be the bucket project', () => {
    const kmsKey = 'projects/123456789012/locations/europe-west1/keyRings/r/cryptoKeys/k';
    const fact = s3Fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'europe-west1',
        type: 'GcpStorageBucket',
        id: 'certctl-dumps',
      },
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      publicAccess: { state: 'read', value: { blocked: true, detail: 'publicAccessPrevention=enforced' } },
      encryption: {
        state: 'read',
        value: { algorithm: 'cloud-kms', kmsKey, customerManagedKey: true, keyState: 'ENABLED' },
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ kmsKeyAccount: null });
    expect(outcome?.description).not.toContain('not the bucket');
  });
});

describe('dumps.protection and object holds', () => {
  const DAY = 86_400_000;
  /** 40 days after the newest dump was written: a 35-day retention of its own ended 5 days ago. */
  const LATER = { ...settingsWith(), now: new Date(NEWEST_WRITTEN.getTime() + 40 * DAY) };
  const ENDED = new Date(NEWEST_WRITTEN.getTime() + 35 * DAY);
  const KEY = s3Fact().newest?.object.key ?? '';
  const withEnded = (fact: DumpFact, mode: string, holds?: ObjectHolds): DumpFact => ({
    ...fact,
    newest: fact.newest && {
      ...fact.newest,
      objectLock: { mode, retainUntil: ENDED },
      ...(holds ? { holds } : {}),
    },
  });
  const s3Unversioned = () => s3Fact({ versioning: { state: 'absent' } });
  const gcsUnguarded = (overrides: Partial<DumpFact> = {}) =>
    gcsFact({
      versioning: { state: 'absent' },
      retentionLock: { state: 'absent' },
      softDeleteDays: { state: 'read', value: 0 },
      ...overrides,
    });

  it('does not say nothing locks an S3 dump whose retention ended but which a legal hold keeps, and still fails', () => {
    // Act
    const outcome = dumpsProtectionCheck.evaluate(
      withEnded(s3Unversioned(), 'COMPLIANCE', { legal: true }),
      LATER,
    );
    // Assess: before, 'ended at …, so nothing locks it now', though the legal hold, which GetObject
    // answered, keeps it; a hold sets no period, so the status stays.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the Object Lock retention of the newest dump ${KEY} ended at ${ENDED.toISOString()}; a legal hold keeps it only while it is on (it sets no period, and whoever has s3:PutObjectLegalHold can remove it), and versioning is off`,
    );
    expect(outcome?.description).not.toContain('nothing locks it now');
  });

  it('says nothing locks an S3 dump only when its legal hold was read off', () => {
    const off = dumpsProtectionCheck.evaluate(
      withEnded(s3Unversioned(), 'COMPLIANCE', { legal: false }),
      LATER,
    );
    const unsent = dumpsProtectionCheck.evaluate(withEnded(s3Unversioned(), 'COMPLIANCE'), LATER);
    expect(off?.status).toBe('FAILED');
    expect(off?.description).toContain(
      `ended at ${ENDED.toISOString()} and its legal hold is off, so nothing locks it now, and versioning is off`,
    );
    // Before, 'so nothing locks it now' with no legal hold status sent.
    expect(unsent?.status).toBe('FAILED');
    expect(unsent?.description).toContain(
      `ended at ${ENDED.toISOString()} (S3 sent no legal hold status for it: it sends one only to s3:GetObjectLegalHold, and only for an object once held), and versioning is off`,
    );
  });

  it('names a Cloud Storage hold on the newest dump whose retention ended, and still fails', () => {
    const outcome = dumpsProtectionCheck.evaluate(
      withEnded(gcsUnguarded(), 'Locked', { temporary: true, eventBased: false }),
      LATER,
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the object retention of the newest dump ${KEY} ended at ${ENDED.toISOString()}; a temporary hold keeps it only while it is set (it sets no period, and whoever may update the object can release it), and versioning is off`,
    );
  });

  it('says what objects.list listed of the holds of a Cloud Storage dump whose retention ended', () => {
    const none = dumpsProtectionCheck.evaluate(
      withEnded(gcsUnguarded(), 'Locked', { temporary: false, eventBased: false }),
      LATER,
    );
    const unsent = dumpsProtectionCheck.evaluate(withEnded(gcsUnguarded(), 'Locked'), LATER);
    const halfSent = dumpsProtectionCheck.evaluate(
      withEnded(gcsUnguarded(), 'Locked', { temporary: false }),
      LATER,
    );
    expect(none?.description).toContain(
      `ended at ${ENDED.toISOString()} and it is under no object hold, so nothing locks it now, and versioning is off`,
    );
    // Before, '(objects.list listed no hold on it)', which reads as no hold, for holds not sent.
    expect(unsent?.description).toContain(
      `ended at ${ENDED.toISOString()} (its holds were not read: objects.list did not send its temporaryHold and eventBasedHold), and versioning is off`,
    );
    expect(halfSent?.description).toContain(
      `ended at ${ENDED.toISOString()} (its temporary hold is not set, and its event-based hold was not read: objects.list did not send its eventBasedHold), and versioning is off`,
    );
    const otherHalf = dumpsProtectionCheck.evaluate(
      withEnded(gcsUnguarded(), 'Locked', { eventBased: false }),
      LATER,
    );
    expect(otherHalf?.description).toContain(
      `ended at ${ENDED.toISOString()} (its event-based hold is not set, and its temporary hold was not read: objects.list did not send its temporaryHold), and versioning is off`,
    );
    for (const outcome of [none, unsent, halfSent, otherHalf]) expect(outcome?.status).toBe('FAILED');
  });

  it('fails an unguarded Cloud Storage bucket whose every dump is under a hold, naming the holds', () => {
    // Prepare: no versioning, no retention policy, soft delete off; every listed dump under an
    // event-based hold, as objects.list sends it.
    const base = gcsUnguarded();
    const objects = base.listing.state === 'read' ? base.listing.objects : [];
    const fact: DumpFact = {
      ...base,
      listedHolds: new Map(objects.map((object) => [object.key, { eventBased: true }])),
    };
    // Act
    const outcome = dumpsProtectionCheck.evaluate(fact, settingsWith());
    // Assess: a hold keeps a dump while set but is no retention period: never a pass.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `neither versioning nor any retention policy protects the dumps: a deleted or overwritten dump is gone; 35 listed dumps (the newest of them ${KEY}) are under an object hold, which keeps each only while it is set (it sets no period, and whoever may update the objects can release it)`,
    );
  });
});
