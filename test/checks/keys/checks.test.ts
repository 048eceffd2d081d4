/** Every status of every keys check, from hand-made facts. */
import { describe, expect, it } from 'vitest';
import { keysCmkCheck } from '../../../functions/checks/keys/cmk.ts';
import { keysContentCheck } from '../../../functions/checks/keys/content.ts';
import { keysNotDeletingCheck } from '../../../functions/checks/keys/not-deleting.ts';
import { keysPresentCheck } from '../../../functions/checks/keys/present.ts';
import { keysReplicatedCheck } from '../../../functions/checks/keys/replicated.ts';
import type { CheckContext } from '../../../functions/core/check.ts';
import type { KeySecretFact } from '../../../functions/core/key-facts.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const context: CheckContext = { policy: parsePolicy({}), now: NOW };
const CMK = {
  id: 'arn:aws:kms:eu-west-1:111111111111:key/k',
  manager: 'CUSTOMER' as const,
  state: 'Enabled',
};

function fact(overrides: Partial<KeySecretFact> = {}): KeySecretFact {
  return {
    resource: {
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
      type: 'AwsSecretsManagerSecret',
      id: 'certctl/ca',
    },
    items: [{ id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH' }],
    existence: { state: 'read', value: true },
    encryption: { state: 'read', value: [CMK] },
    replication: {
      state: 'read',
      value: {
        kind: 'aws',
        primaryRegion: 'eu-west-1',
        replicas: [{ region: 'us-east-1', status: 'InSync' }],
      },
    },
    content: { state: 'read', items: [{ item: 'ca-cert', problems: [], observed: {} }] },
    ...overrides,
  };
}
const unknown = { state: 'unknown' as const, reason: 'AccessDeniedException' };

describe('keys.present', () => {
  it('passes when the secret exists', () => {
    expect(keysPresentCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  it('fails naming the certctl setting when the secret does not exist', () => {
    const outcome = keysPresentCheck.evaluate(fact({ existence: { state: 'read', value: false } }), context);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('CERTCTL_CA_CERT_PATH');
  });
  it('is not available when existence could not be read', () => {
    expect(keysPresentCheck.evaluate(fact({ existence: unknown }), context)?.status).toBe('NOT_AVAILABLE');
  });
});

describe('keys.not-deleting', () => {
  it('passes when neither the secret nor its key is being deleted', () => {
    expect(keysNotDeletingCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  it('fails when the secret is scheduled for deletion', () => {
    const outcome = keysNotDeletingCheck.evaluate(
      fact({ deletionScheduled: new Date('2026-12-09T00:00:00Z') }),
      context,
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.deletionDate).toBe('2026-12-09T00:00:00.000Z');
  });
  it('fails when the KMS key is pending deletion', () => {
    const encryption = { state: 'read' as const, value: [{ ...CMK, state: 'PendingDeletion' }] };
    expect(keysNotDeletingCheck.evaluate(fact({ encryption }), context)?.observed.keyState).toBe(
      'PendingDeletion',
    );
  });
  it('fails when the latest GCP version is disabled', () => {
    const outcome = keysNotDeletingCheck.evaluate(
      fact({ latestVersion: { state: 'read', value: { state: 'DISABLED' } } }),
      context,
    );
    expect(outcome?.status).toBe('FAILED');
  });
  it('is not available when the key could not be described', () => {
    const encryption = {
      state: 'read' as const,
      value: [{ id: 'k', manager: 'CUSTOMER' as const, unreadReason: 'denied' }],
    };
    expect(keysNotDeletingCheck.evaluate(fact({ encryption }), context)?.status).toBe('NOT_AVAILABLE');
  });
  it('is not available when the secret does not exist', () => {
    expect(
      keysNotDeletingCheck.evaluate(fact({ existence: { state: 'read', value: false } }), context)?.status,
    ).toBe('NOT_AVAILABLE');
  });
  describe('on GCP with a customer-managed Cloud KMS key', () => {
    const gcp = (content: KeySecretFact['content']): KeySecretFact =>
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        encryption: {
          state: 'read',
          value: [{ id: 'projects/p/locations/global/keyRings/r/cryptoKeys/k', manager: 'CUSTOMER' }],
        },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
        content,
      });
    it('passes on what Secret Manager reports, saying the key state was not read, when no value was read', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'not-inspected' }), context);
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({
        latestVersionState: 'ENABLED',
        cloudKmsKeyState: 'not read',
      });
      expect(outcome?.required).toEqual({ scheduledForDeletion: false, latestVersionState: 'ENABLED' });
    });
    it('counts the key usable when this run decrypted the value', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp(fact().content), context);
      // Assess
      expect(outcome?.observed.keyUsable).toBe(true);
    });
    it('still fails when the latest version is destroyed', () => {
      // Act
      const destroyed = {
        ...gcp({ state: 'not-inspected' }),
        latestVersion: { state: 'read' as const, value: { state: 'DESTROYED' } },
      };
      // Assess
      expect(keysNotDeletingCheck.evaluate(destroyed, context)?.status).toBe('FAILED');
    });
  });
});

describe('keys.replicated', () => {
  it('passes when every replica is in sync', () => {
    expect(keysReplicatedCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  it('fails when the secret lives in one region only', () => {
    const replication = {
      state: 'read' as const,
      value: { kind: 'aws' as const, primaryRegion: 'eu-west-1', replicas: [] },
    };
    expect(keysReplicatedCheck.evaluate(fact({ replication }), context)?.status).toBe('FAILED');
  });
  it('fails when a replica failed to sync', () => {
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [{ region: 'us-east-1', status: 'Failed', statusMessage: 'KMS key disabled' }],
      },
    };
    const outcome = keysReplicatedCheck.evaluate(fact({ replication }), context);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('KMS key disabled');
  });
  it('warns when a replica is still in progress', () => {
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [{ region: 'us-east-1', status: 'InProgress' }],
      },
    };
    expect(keysReplicatedCheck.evaluate(fact({ replication }), context)?.status).toBe('WARNING');
  });
  it('passes automatic GCP replication and fails a single user-managed location', () => {
    expect(
      keysReplicatedCheck.evaluate(
        fact({ replication: { state: 'read', value: { kind: 'gcp-automatic' } } }),
        context,
      )?.status,
    ).toBe('PASSED');
    expect(
      keysReplicatedCheck.evaluate(
        fact({
          replication: { state: 'read', value: { kind: 'gcp-user-managed', locations: ['europe-west1'] } },
        }),
        context,
      )?.status,
    ).toBe('FAILED');
  });
  it('is not available when the replication could not be read', () => {
    expect(keysReplicatedCheck.evaluate(fact({ replication: unknown }), context)?.status).toBe(
      'NOT_AVAILABLE',
    );
  });
});

describe('keys.cmk', () => {
  it('passes with a customer-managed key', () => {
    expect(keysCmkCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  it('fails on the AWS-managed default key', () => {
    const encryption = {
      state: 'read' as const,
      value: [{ id: 'aws/secretsmanager', manager: 'PROVIDER' as const }],
    };
    const outcome = keysCmkCheck.evaluate(fact({ encryption }), context);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.keyManager).toBe('AWS');
  });
  it('warns on Google-managed encryption', () => {
    const encryption = {
      state: 'read' as const,
      value: [{ id: 'google-managed', manager: 'PROVIDER' as const }],
    };
    const resource = {
      ...fact().resource,
      provider: 'gcp' as const,
      type: 'GcpSecretManagerSecret' as const,
    };
    expect(keysCmkCheck.evaluate(fact({ encryption, resource }), context)?.status).toBe('WARNING');
  });
  it('is not available when the key could not be described', () => {
    const encryption = { state: 'read' as const, value: [{ id: 'k', manager: undefined }] };
    expect(keysCmkCheck.evaluate(fact({ encryption }), context)?.status).toBe('NOT_AVAILABLE');
    expect(keysCmkCheck.evaluate(fact({ encryption: unknown }), context)?.status).toBe('NOT_AVAILABLE');
  });
});

describe('keys.content', () => {
  const withProblems = (...problems: { status: 'FAILED' | 'WARNING' | 'NOT_AVAILABLE'; code: string }[]) =>
    fact({
      content: {
        state: 'read',
        items: [{ item: 'ca-cert', problems: problems.map((p) => ({ ...p, detail: p.code })), observed: {} }],
      },
    });
  it('is enabled only by inspectSecretValues', () => {
    expect(keysContentCheck.enabledBy?.(parsePolicy({}))).toBe(false);
    expect(
      keysContentCheck.enabledBy?.(parsePolicy({ keys: { preset: 'none', inspectSecretValues: true } })),
    ).toBe(true);
  });
  it('passes when no item has a problem', () => {
    expect(keysContentCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  it('fails with the worst problem first when a key does not match', () => {
    const outcome = keysContentCheck.evaluate(
      withProblems(
        { status: 'WARNING', code: 'certificate-expiring' },
        { status: 'FAILED', code: 'key-mismatch' },
      ),
      context,
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.problems).toBe('certificate-expiring,key-mismatch');
  });
  it('warns when a certificate expires within the horizon', () => {
    expect(
      keysContentCheck.evaluate(withProblems({ status: 'WARNING', code: 'certificate-expiring' }), context)
        ?.status,
    ).toBe('WARNING');
  });
  it('is not available when the value was not read or a key is encrypted', () => {
    expect(keysContentCheck.evaluate(fact({ content: { state: 'not-inspected' } }), context)?.status).toBe(
      'NOT_AVAILABLE',
    );
    expect(keysContentCheck.evaluate(fact({ content: unknown }), context)?.status).toBe('NOT_AVAILABLE');
    expect(
      keysContentCheck.evaluate(withProblems({ status: 'NOT_AVAILABLE', code: 'key-encrypted' }), context)
        ?.status,
    ).toBe('NOT_AVAILABLE');
  });
});
