/** Every status of every keys check, from hand-made facts. */
import { describe, expect, it } from 'vitest';
import { keysCmkCheck } from '../../../functions/checks/keys/cmk.ts';
import { keysContentCheck } from '../../../functions/checks/keys/content.ts';
import { keysNotDeletingCheck } from '../../../functions/checks/keys/not-deleting.ts';
import { keysPresentCheck } from '../../../functions/checks/keys/present.ts';
import { keysReplicatedCheck } from '../../../functions/checks/keys/replicated.ts';
import type { CheckContext } from '../../../functions/core/check.ts';
import type { EncryptionKey, KeySecretFact } from '../../../functions/core/key-facts.ts';
import { analyzeItem } from '../../../functions/core/key-material.ts';
import type { InventoryItem } from '../../../functions/core/keys-policy.ts';
import { parsePolicy } from '../../../functions/core/policy.ts';
import { pem } from '../../fixtures/keys/world.ts';

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

  it('does not claim the secret backs its items when it holds no value, or only a destroyed one', () => {
    // Prepare: AWS, no version labelled AWSCURRENT; GCP, the latest version DESTROYED.
    const none = fact({ latestVersion: { state: 'read', value: { state: 'none' } } });
    const destroyed = fact({ latestVersion: { state: 'read', value: { state: 'DESTROYED' } } });
    // Act
    const outcomes = [none, destroyed].map((each) => keysPresentCheck.evaluate(each, context));
    // Assess
    expect(outcomes.map((outcome) => outcome?.description)).toEqual([
      'The secret certctl/ca (ca-cert) exists, but holds no value (no version carries the AWSCURRENT label), so it backs none of CERTCTL_CA_CERT_PATH (see keys.not-deleting).',
      'The secret certctl/ca (ca-cert) exists, but its latest version (the most recently added; older versions were not read) is DESTROYED, so that version backs none of CERTCTL_CA_CERT_PATH (see keys.not-deleting).',
    ]);
    expect(outcomes.map((outcome) => outcome?.observed.latestVersionState)).toEqual(['none', 'DESTROYED']);
  });

  it('does not claim a GCP secret whose latest version is DISABLED backs its items: Secret Manager gives no value of it', () => {
    // Prepare: the latest version DISABLED (also what a version scheduled for destruction is).
    const disabled = fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'global',
        type: 'GcpSecretManagerSecret',
        id: 'projects/certctl-prod/secrets/ca',
      },
      latestVersion: { state: 'read', value: { state: 'DISABLED' } },
    });
    // Act
    const outcome = keysPresentCheck.evaluate(disabled, context);
    // Assess
    expect(outcome).toMatchObject({
      status: 'PASSED',
      description:
        'The secret projects/certctl-prod/secrets/ca (ca-cert) exists, but its latest version (the most recently added; older versions were not read) is DISABLED (Secret Manager gives no value of it until it is enabled), so that version backs none of CERTCTL_CA_CERT_PATH (see keys.not-deleting).',
      observed: { present: true, latestVersionState: 'DISABLED' },
    });
  });

  it('does not claim a GCP secret backs its items when its latest version was not read, or is in a state not known', () => {
    // Prepare: versions.get refused (roles/secretmanager.secretAccessor grants versions.access
    // only), and a state this audit does not know; the value not read in this run.
    const gcpSecret = (latestVersion: KeySecretFact['latestVersion'], content: KeySecretFact['content']) =>
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        latestVersion,
        content,
      });
    const unread = gcpSecret(
      { state: 'unknown', reason: '403 PERMISSION_DENIED' },
      { state: 'not-inspected' },
    );
    const unknownState = gcpSecret(
      { state: 'read', value: { state: 'STATE_UNSPECIFIED' } },
      { state: 'not-inspected' },
    );
    // The value read in this run proves a version holds it, whatever versions.get answered.
    const valueRead = gcpSecret({ state: 'unknown', reason: '403 PERMISSION_DENIED' }, fact().content);
    // Act
    const [first, second, third] = [unread, unknownState, valueRead].map((each) =>
      keysPresentCheck.evaluate(each, context),
    );
    // Assess: present (the secret exists), but backing is not claimed unproven.
    expect(first).toMatchObject({
      status: 'PASSED',
      description:
        'The secret projects/certctl-prod/secrets/ca (ca-cert) exists, but whether it holds a value of CERTCTL_CA_CERT_PATH is not proven: its latest version could not be read (403 PERMISSION_DENIED) (see keys.not-deleting).',
      observed: { present: true, valueProven: false },
    });
    expect(second).toMatchObject({
      status: 'PASSED',
      description:
        'The secret projects/certctl-prod/secrets/ca (ca-cert) exists, but whether it holds a value of CERTCTL_CA_CERT_PATH is not proven: its latest version is STATE_UNSPECIFIED, a version state this audit does not know (see keys.not-deleting).',
      observed: { present: true, valueProven: false, latestVersionState: 'STATE_UNSPECIFIED' },
    });
    expect(third?.description).toBe(
      'The secret projects/certctl-prod/secrets/ca (ca-cert) exists and backs CERTCTL_CA_CERT_PATH.',
    );
  });

  it('passes an AWS secret scheduled for deletion as present, saying the deletion and that no value is given until it is restored, without claiming or denying backing', () => {
    // Prepare: DescribeSecret sent DeletedDate; Secrets Manager refuses GetSecretValue of such a
    // secret until restore-secret, but the secret exists until the deletion date (keys.not-deleting
    // fails it).
    const deleting = fact({ deletionScheduled: new Date('2026-12-09T00:00:00Z') });
    // Act
    const outcome = keysPresentCheck.evaluate(deleting, context);
    // Assess
    expect(outcome).toMatchObject({
      status: 'PASSED',
      description:
        'The secret certctl/ca (ca-cert) of CERTCTL_CA_CERT_PATH exists, scheduled for deletion on 2026-12-09T00:00:00.000Z (keys.not-deleting fails it); until it is restored, Secrets Manager gives no value of it.',
      observed: { present: true, scheduledForDeletion: true, deletionDate: '2026-12-09T00:00:00.000Z' },
    });
    expect(outcome?.description).not.toContain('backs');
  });

  it('passes a GCP secret with an expireTime as present and backing its items, saying it is scheduled for deletion', () => {
    // Prepare: a GCP secret with expireTime stays readable until it expires.
    const expiring = fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'global',
        type: 'GcpSecretManagerSecret',
        id: 'projects/certctl-prod/secrets/ca',
      },
      deletionScheduled: new Date('2026-12-09T00:00:00Z'),
    });
    // Act
    const outcome = keysPresentCheck.evaluate(expiring, context);
    // Assess
    expect(outcome).toMatchObject({
      status: 'PASSED',
      description:
        'The secret projects/certctl-prod/secrets/ca (ca-cert) exists and backs CERTCTL_CA_CERT_PATH. It is scheduled for deletion on 2026-12-09T00:00:00.000Z (keys.not-deleting fails it).',
      observed: { present: true, scheduledForDeletion: true, deletionDate: '2026-12-09T00:00:00.000Z' },
    });
  });

  it('does not claim a secret backs its items when no key of any copy can decrypt it', () => {
    // Prepare: the secret's only copy is under a KMS key that is disabled, pending deletion or
    // deleted: GetSecretValue cannot decrypt it, so it holds nothing to restore now.
    const under = (keys: EncryptionKey[], content: KeySecretFact['content'] = { state: 'not-inspected' }) =>
      keysPresentCheck.evaluate(fact({ encryption: { state: 'read', value: keys }, content }), context);
    for (const key of [
      { ...CMK, state: 'Disabled' },
      { ...CMK, state: 'PendingDeletion' },
      { ...CMK, state: undefined, deleted: true },
    ]) {
      // Act
      const outcome = under([key]);
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).not.toContain('backs CERTCTL_CA_CERT_PATH');
      expect(outcome?.description).toContain('so it backs none of CERTCTL_CA_CERT_PATH now');
      expect(outcome?.observed).toMatchObject({ present: true, valueDecryptable: false });
    }
    // A copy under a usable key still backs the item (its replica in another region here).
    expect(
      under([
        { ...CMK, state: 'Disabled' },
        { ...CMK, id: 'arn:aws:kms:us-east-1:111111111111:key/r', replicaRegion: 'us-east-1' },
      ])?.description,
    ).toBe('The secret certctl/ca (ca-cert) exists and backs CERTCTL_CA_CERT_PATH.');
    // A value read in this run was decrypted: the key's state read since proves nothing against it.
    expect(
      under([{ ...CMK, state: 'Disabled' }], {
        state: 'read',
        items: [{ item: 'ca-cert', problems: [], observed: {} }],
      })?.description,
    ).toBe('The secret certctl/ca (ca-cert) exists and backs CERTCTL_CA_CERT_PATH.');
  });

  describe('for items held under JSON keys of one secret', () => {
    const JSON_ITEMS: KeySecretFact['items'] = [
      { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH', jsonKey: 'cert' },
      {
        id: 'ca-key',
        kind: 'private-key',
        source: 'CERTCTL_CA_KEY_PATH',
        jsonKey: 'key',
        certificate: 'ca-cert',
      },
    ];
    it('says the JSON keys were not checked when the values were not read (metadata only)', () => {
      const outcome = keysPresentCheck.evaluate(
        fact({ items: JSON_ITEMS, content: { state: 'not-inspected' } }),
        context,
      );
      expect(outcome).toEqual({
        status: 'PASSED',
        description:
          'The secret certctl/ca (ca-cert, ca-key) exists; whether it holds CERTCTL_CA_CERT_PATH, CERTCTL_CA_KEY_PATH (its JSON keys "cert", "key") is not proven: values are not read (keys.inspectSecretValues is off, so keys.content cannot judge them either: turn it on to prove them).',
        observed: { items: 'ca-cert,ca-key', present: true, jsonKeysChecked: false },
        required: { present: true },
      });
    });
    it('names why the JSON keys are unproven when the values could not be read', () => {
      const outcome = keysPresentCheck.evaluate(
        fact({
          items: JSON_ITEMS,
          content: { state: 'unknown', reason: 'BatchGetSecretValue: DecryptionFailure' },
        }),
        context,
      );
      expect(outcome?.description).toContain(
        'is not proven: its value could not be read (BatchGetSecretValue: DecryptionFailure)',
      );
      expect(outcome?.observed.jsonKeysChecked).toBe(false);
    });
    /** The two items' secret read, ca-key's analysis with one problem of `code`. */
    const keyProblem = (status: 'FAILED' | 'NOT_AVAILABLE', code: string) =>
      keysPresentCheck.evaluate(
        fact({
          items: JSON_ITEMS,
          content: {
            state: 'read',
            items: [
              { item: 'ca-cert', problems: [], observed: {} },
              { item: 'ca-key', problems: [{ status, code, detail: 'ca-key is not read' }], observed: {} },
            ],
          },
        }),
        context,
      );
    it('does not claim to back an item the analysis could not read from the value', () => {
      const outcome = keyProblem('NOT_AVAILABLE', 'value-unread');
      expect(outcome?.description).toBe(
        'The secret certctl/ca (ca-cert, ca-key) exists and backs CERTCTL_CA_CERT_PATH; whether it holds CERTCTL_CA_KEY_PATH (its JSON key "key") is not proven: keys.content could not read them from its value.',
      );
      expect(outcome?.observed.jsonKeysChecked).toBe(false);
    });
    it('does not claim to back an item whose JSON key the value lacks', () => {
      const outcome = keyProblem('FAILED', 'item-missing');
      expect(outcome?.description).toBe(
        'The secret certctl/ca (ca-cert, ca-key) exists and backs CERTCTL_CA_CERT_PATH; its value has no JSON key "key", so CERTCTL_CA_KEY_PATH has no backup in it (see keys.content).',
      );
      expect(outcome?.observed).toMatchObject({ jsonKeysChecked: true, missingItems: 'ca-key' });
    });
    it('does not claim to back an item whose JSON key holds an empty value', () => {
      // Prepare: {"cert": "<pem>", "key": ""}: the key is there, the item is not.
      const outcome = keyProblem('FAILED', 'empty');
      expect(outcome?.description).toBe(
        'The secret certctl/ca (ca-cert, ca-key) exists and backs CERTCTL_CA_CERT_PATH; its value\'s JSON key "key" is empty, so CERTCTL_CA_KEY_PATH has no backup in it (see keys.content).',
      );
      expect(outcome?.observed).toMatchObject({ jsonKeysChecked: true, emptyItems: 'ca-key' });
    });
  });
});

describe('keys.not-deleting', () => {
  it('passes when neither the secret nor its key is being deleted', () => {
    expect(keysNotDeletingCheck.evaluate(fact(), context)?.status).toBe('PASSED');
  });
  describe('with a KMS key of imported material that expires (ValidTo)', () => {
    // Origin EXTERNAL, ExpirationModel KEY_MATERIAL_EXPIRES: at ValidTo KMS deletes the material.
    const expiring = (validTo: string, id = CMK.id) => ({
      state: 'read' as const,
      value: [{ ...CMK, id, region: 'eu-west-1', materialExpires: new Date(validTo) }],
    });
    it('warns when the material expires within the horizon, naming the date and the re-import', () => {
      const outcome = keysNotDeletingCheck.evaluate(
        fact({ encryption: expiring('2026-12-09T12:00:00Z') }),
        context,
      );
      expect(outcome).toMatchObject({
        status: 'WARNING',
        description:
          'The imported key material of the KMS key arn:aws:kms:eu-west-1:111111111111:key/k of the secret certctl/ca (ca-cert) expires on 2026-12-09T12:00:00.000Z (ValidTo, in 7 days): KMS then deletes it, and the backup cannot be decrypted until the same material is imported again.',
        observed: { scheduledForDeletion: false, keyMaterialExpires: '2026-12-09T12:00:00.000Z' },
      });
      expect(outcome?.remediationText).toContain(
        "aws kms import-key-material --key-id arn:aws:kms:eu-west-1:111111111111:key/k --import-token '<token>' --encrypted-key-material '<material>' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1",
      );
    });
    it.each([
      [
        'warns, not fails, when it expires within hours',
        '2026-12-02T20:00:00Z',
        'WARNING',
        '(ValidTo, within a day)',
      ],
      [
        'fails when it has expired though the key still reads Enabled',
        '2026-12-01T00:00:00Z',
        'FAILED',
        'expired on 2026-12-01T00:00:00.000Z',
      ],
      [
        'passes, naming the expiry, when it is beyond the horizon',
        '2027-06-01T00:00:00Z',
        'PASSED',
        'its imported key material expires on 2027-06-01T00:00:00.000Z',
      ],
    ])('%s', (_, validTo, status, said) => {
      const outcome = keysNotDeletingCheck.evaluate(fact({ encryption: expiring(validTo) }), context);
      expect(outcome?.status).toBe(status);
      expect(outcome?.description).toContain(said);
      expect(outcome?.observed.keyMaterialExpires).toBe(new Date(validTo).toISOString());
    });
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
  it("words a pending-deletion key of a replica whose Region was not sent as that replica's, not the secret's own", () => {
    // Prepare: the replica's key ARN was sent, its ReplicationStatus entry's Region was not.
    const replicaKey = {
      ...CMK,
      id: 'arn:aws:kms:us-east-1:111111111111:key/r',
      state: 'PendingDeletion',
      replicaRegionNotSent: true as const,
    };
    const encryption = { state: 'read' as const, value: [CMK, replicaKey] };
    // Act
    const outcome = keysNotDeletingCheck.evaluate(fact({ encryption }), context);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The KMS key arn:aws:kms:us-east-1:111111111111:key/r of the replica in a region DescribeSecret did not send (ReplicationStatus without Region) of the secret certctl/ca (ca-cert) is PendingDeletion: that replica cannot be decrypted.',
    );
    expect(outcome?.observed.replicaRegion).toBe('not sent');
  });
  it('fails when the latest GCP version is disabled', () => {
    const outcome = keysNotDeletingCheck.evaluate(
      fact({ latestVersion: { state: 'read', value: { state: 'DISABLED' } } }),
      context,
    );
    expect(outcome?.status).toBe('FAILED');
  });
  it('is not available when the KMS key is in a state this audit does not know to be usable', () => {
    // Prepare: a multi-Region replica key still being created, and a state KMS may add later.
    for (const state of ['Creating', 'Archived']) {
      const encryption = { state: 'read' as const, value: [CMK, { ...CMK, id: 'k2', state }] };
      // Act
      const outcome = keysNotDeletingCheck.evaluate(fact({ encryption }), context);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`its KMS key k2 is ${state}`);
      expect(outcome?.observed).toMatchObject({ keyState: state });
    }
  });
  it('fails saying the AWS secret holds no value when no version carries AWSCURRENT', () => {
    // Act
    const outcome = keysNotDeletingCheck.evaluate(
      fact({ latestVersion: { state: 'read', value: { state: 'none' } } }),
      context,
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'The secret certctl/ca (ca-cert) holds no value: no version carries the AWSCURRENT label.',
    );
    expect(outcome?.remediationText).toContain('aws secretsmanager put-secret-value --secret-id certctl/ca');
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
    const KEY = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const VERSION = `${KEY}/cryptoKeyVersions/3`;
    const gcp = (
      key: Partial<EncryptionKey>,
      content: KeySecretFact['content'] = { state: 'not-inspected' },
    ) =>
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        encryption: { state: 'read', value: [{ id: KEY, manager: 'CUSTOMER', version: VERSION, ...key }] },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
        content,
      });
    const flags = '3 --key=backup --keyring=certctl --location=global --project=certctl-kms';
    it('passes when the key version protecting the latest version is ENABLED', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'ENABLED' }), context);
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ scheduledForDeletion: false, keyUsable: true });
    });
    it('fails a key version scheduled for destruction, naming when and how to restore it', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(
        gcp({ state: 'DESTROY_SCHEDULED', deletionDate: new Date('2026-12-10T00:00:00Z') }),
        context,
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ keyState: 'DESTROY_SCHEDULED', keyVersion: VERSION });
      expect(outcome?.description).toBe(
        `The Cloud KMS key version ${VERSION} protecting the secret projects/certctl-prod/secrets/ca (ca-cert) is DESTROY_SCHEDULED (destruction on 2026-12-10T00:00:00.000Z): the backup cannot be decrypted.`,
      );
      expect(outcome?.remediationText).toBe(
        `Restore the key version before it is destroyed, then enable it: \`gcloud kms keys versions restore ${flags}\`, then \`gcloud kms keys versions enable ${flags}\`.`,
      );
    });
    it('fails a disabled key version, with how to enable it', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'DISABLED' }), context);
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed.keyState).toBe('DISABLED');
      expect(outcome?.remediationText).toBe(
        `Enable the key version: \`gcloud kms keys versions enable ${flags}\`.`,
      );
    });
    it('fails a destroyed key version, whose material is gone, with how to store the value again', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'DESTROYED' }), context);
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed.keyState).toBe('DESTROYED');
      expect(outcome?.remediationText).toContain(
        "`gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'`",
      );
    });
    it("says when the state is the key's primary version's (the secret version named none)", () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'DISABLED', primary: true }), context);
      // Assess
      expect(outcome?.description).toContain(
        `${VERSION} (its key's primary, as the secret version names none) protecting the secret`,
      );
    });
    it("does not judge the key's primary version when the latest version's own key version was not reported", () => {
      // Prepare: what functions/gcp/secret-manager.ts reads when the latest version came without its
      // replicationStatus: the secret's key now and its primary version, which may not be the one
      // that encrypted the latest version (rotated since, or the version added before CMEK was set).
      const unproven = 'the API did not report the replicationStatus of its latest version';
      // Act
      const enabled = keysNotDeletingCheck.evaluate(
        gcp({ state: 'ENABLED', primary: true, unproven }),
        context,
      );
      const disabled = keysNotDeletingCheck.evaluate(
        gcp({ state: 'DISABLED', primary: true, unproven }),
        context,
      );
      // Assess: neither state says whether the latest version's key is usable
      expect(enabled?.status).toBe('NOT_AVAILABLE');
      expect(enabled?.description).toContain(unproven);
      expect(enabled?.description).toContain(`its key's primary version ${VERSION} is ENABLED`);
      expect(disabled?.status).toBe('NOT_AVAILABLE');
      expect(disabled?.description).toContain(`its key's primary version ${VERSION} is DISABLED`);
      expect(disabled?.observed).toMatchObject({ primaryKeyState: 'DISABLED', keyVersion: VERSION });
    });
    it('is not available when the key could not be read, naming the missing permission', () => {
      // Prepare: what functions/gcp/cloud-kms.ts reports for a 403.
      const unreadReason =
        "cryptoKeyVersions.get was denied (PERMISSION_DENIED): the service account that made the call (the audit, snapshot or chat-action function's) needs cloudkms.cryptoKeyVersions.get on the key (roles/cloudkms.viewer)";
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ unreadReason }), context);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(`its Cloud KMS key ${KEY} could not be read (${unreadReason})`);
    });
    it('does not evaluate a key whose state Cloud KMS did not send, even when this run decrypted the value', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({}, fact().content), context);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('could not be read (no state)');
    });
    it('does not count a key version still being generated or imported as usable', () => {
      // Act
      const outcome = keysNotDeletingCheck.evaluate(gcp({ state: 'PENDING_GENERATION' }), context);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed.keyState).toBe('PENDING_GENERATION');
    });
    it('still fails when the latest version is destroyed', () => {
      // Act
      const destroyed = {
        ...gcp({ state: 'ENABLED' }),
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
  it('is not available when the only replica in sync did not report its region', () => {
    // Prepare: ReplicationStatus without Region: nothing says the copy is in another region.
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [{ region: undefined, status: 'InSync' }],
      },
    };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ replication }), context);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('did not report its region');
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
  it('is not available when a replica reports a status Secrets Manager does not document', () => {
    // Prepare: StatusType is InSync | Failed | InProgress; a status added later says nothing known.
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [{ region: 'us-east-1', status: 'Removing' }],
      },
    };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ replication }), context);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the replica in us-east-1 reported Removing, a Status Secrets Manager does not document',
    );
    expect(outcome?.description).not.toContain('not yet in sync');
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
  it('requires the latest version ENABLED on GCP: a replicated secret whose latest version is not proves no usable copy', () => {
    // Prepare: automatic replication (every copy holds the same versions), the latest version in
    // each state the GCP adapter reports.
    const gcp = (latestVersion: KeySecretFact['latestVersion']) =>
      keysReplicatedCheck.evaluate(
        fact({ replication: { state: 'read', value: { kind: 'gcp-automatic' } }, latestVersion }),
        context,
      );
    // Act
    const disabled = gcp({ state: 'read', value: { state: 'DISABLED' } });
    const none = gcp({ state: 'read', value: { state: 'none' } });
    const unread = gcp({ state: 'unknown', reason: 'PERMISSION_DENIED' });
    const unknownState = gcp({ state: 'read', value: { state: 'STATE_UNSPECIFIED' } });
    const enabled = gcp({ state: 'read', value: { state: 'ENABLED' } });
    // Assess
    expect(disabled).toMatchObject({
      status: 'FAILED',
      description:
        'The secret certctl/ca (ca-cert) uses automatic replication, but its latest version (the most recently added; older versions were not read) is DISABLED, so no copy holds a usable value of it (see keys.not-deleting).',
      observed: { replication: 'automatic', latestVersionState: 'DISABLED' },
      required: { replication: 'automatic or >= 2 locations', latestVersionState: 'ENABLED' },
    });
    expect(none?.status).toBe('FAILED');
    expect(unread?.status).toBe('NOT_AVAILABLE');
    expect(unread?.description).toContain('PERMISSION_DENIED');
    expect(unknownState?.status).toBe('NOT_AVAILABLE');
    expect(enabled?.status).toBe('PASSED');
  });
  it('fails an AWS secret whose replicas are in sync but which holds no value: no copy holds the key material', () => {
    // Prepare: replicas InSync (the fact's default), but no version carries AWSCURRENT, so every
    // replica holds the same nothing (a replica holds its primary's versions).
    const none = fact({ latestVersion: { state: 'read', value: { state: 'none' } } });
    const enabled = fact({ latestVersion: { state: 'read', value: { state: 'ENABLED' } } });
    // Act
    const outcome = keysReplicatedCheck.evaluate(none, context);
    // Assess
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description:
        'The secret certctl/ca (ca-cert) is replicated to us-east-1, but holds no value (no version carries the AWSCURRENT label), so no copy holds a usable value (see keys.not-deleting).',
      observed: { otherRegions: 'us-east-1', latestVersionState: 'none' },
      required: { otherRegions: '>= 1', replicasInSync: true, latestVersionState: 'ENABLED' },
    });
    expect(outcome?.remediationText).toContain('aws secretsmanager put-secret-value --secret-id certctl/ca');
    expect(keysReplicatedCheck.evaluate(enabled, context)?.status).toBe('PASSED');
  });
  it('names the latest version ENABLED among what an AWS secret passed on, as GCP does, once the check read it', () => {
    // Prepare: replicas InSync (the fact's default); the latest version read ENABLED, or not in the fact.
    const enabled = fact({ latestVersion: { state: 'read', value: { state: 'ENABLED' } } });

    // Act
    const passed = keysReplicatedCheck.evaluate(enabled, context);
    const passedUnread = keysReplicatedCheck.evaluate(fact(), context);
    const pending = keysReplicatedCheck.evaluate(
      fact({
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
        replication: {
          state: 'read',
          value: {
            kind: 'aws',
            primaryRegion: 'eu-west-1',
            replicas: [{ region: 'us-east-1', status: 'InProgress' }],
          },
        },
      }),
      context,
    );
    // Assess: the requirement is shown only where the check judged the latest version.
    expect(passed).toMatchObject({
      status: 'PASSED',
      required: { otherRegions: '>= 1', replicasInSync: true, latestVersionState: 'ENABLED' },
    });
    expect(pending).toMatchObject({
      status: 'WARNING',
      required: { otherRegions: '>= 1', replicasInSync: true, latestVersionState: 'ENABLED' },
    });
    expect(passedUnread?.status).toBe('PASSED');
    expect(passedUnread?.required).toEqual({ otherRegions: '>= 1', replicasInSync: true });
  });
  it('is not available when the replication could not be read', () => {
    expect(keysReplicatedCheck.evaluate(fact({ replication: unknown }), context)?.status).toBe(
      'NOT_AVAILABLE',
    );
  });
  it('does not count a replica in sync whose own key cannot decrypt it as a copy elsewhere', () => {
    // Prepare: the only replica reports InSync, but the KMS key of its region is disabled, pending
    // deletion, or gone: that copy cannot be decrypted, so no restorable copy is elsewhere.
    const replicaKey = (key: Partial<EncryptionKey>): KeySecretFact =>
      fact({
        encryption: {
          state: 'read',
          value: [
            CMK,
            {
              id: 'arn:aws:kms:us-east-1:111111111111:key/r',
              manager: 'CUSTOMER',
              replicaRegion: 'us-east-1',
              ...key,
            },
          ],
        },
      });
    for (const key of [
      { state: 'Disabled' },
      { state: 'PendingDeletion', deletionDate: new Date('2026-12-09T00:00:00Z') },
      { state: undefined, deleted: true },
    ]) {
      // Act
      const outcome = keysReplicatedCheck.evaluate(replicaKey(key), context);
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('us-east-1');
      expect(outcome?.description).toContain('cannot be decrypted');
      expect(outcome?.observed).toMatchObject({ undecryptableCopies: 'us-east-1' });
    }
    // A usable key, or one whose state is not known (keys.not-deleting says so), changes nothing here.
    expect(keysReplicatedCheck.evaluate(replicaKey({ state: 'Enabled' }), context)?.status).toBe('PASSED');
  });
  it("does not count a replica's primary in another region as a copy when the primary's key cannot decrypt it", () => {
    // Prepare: this secret is the replica in eu-west-1; its primary in us-east-1 (the copy elsewhere)
    // is under a KMS key pending deletion, as the primary's DescribeSecret and DescribeKey say.
    const replication = (primaryKey: EncryptionKey) => ({
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'us-east-1',
        replicas: [],
        asReplica: { state: 'read' as const, value: { status: 'InSync', primaryKey } },
      },
    });
    const pending = {
      id: 'arn:aws:kms:us-east-1:111111111111:key/p',
      manager: 'CUSTOMER' as const,
      state: 'PendingDeletion',
      region: 'us-east-1',
    };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ replication: replication(pending) }), context);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('the primary in us-east-1');
    expect(outcome?.description).toContain('PendingDeletion');
    expect(
      keysReplicatedCheck.evaluate(
        fact({ replication: replication({ ...pending, state: 'Enabled' }) }),
        context,
      )?.status,
    ).toBe('PASSED');
  });
});

describe('keys.replicated, a copy elsewhere whose key does not prove it can be decrypted', () => {
  it('AWS: is not available, naming the copy, when the only replica elsewhere is under a key not read or named by an alias', () => {
    // Prepare: the only replica reports InSync, but its region's KMS key could not be described, or
    // is named by an alias (which may have been moved since the replica was written).
    const replicaKey = (key: EncryptionKey): KeySecretFact =>
      fact({ encryption: { state: 'read', value: [CMK, { ...key, replicaRegion: 'us-east-1' }] } });
    const unread = {
      id: 'arn:aws:kms:us-east-1:111111111111:key/r',
      manager: undefined,
      unreadReason: 'DescribeKey failed: AccessDeniedException',
    };
    const alias = {
      id: 'alias/certctl',
      manager: 'CUSTOMER' as const,
      state: 'Enabled',
      aliasTarget: 'arn:aws:kms:us-east-1:111111111111:key/r',
    };
    for (const [key, why] of [
      [unread, 'AccessDeniedException'],
      [alias, 'alias/certctl'],
    ] as const) {
      // Act
      const outcome = keysReplicatedCheck.evaluate(replicaKey(key), context);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('the replica in us-east-1');
      expect(outcome?.description).toContain(why);
      expect(outcome?.observed).toMatchObject({ unprovenCopies: 'us-east-1' });
    }
    // An AWS-managed key needs no KMS read; a second replica under a usable key proves a copy.
    const managed = { id: 'aws/secretsmanager (us-east-1)', manager: 'PROVIDER' as const };
    expect(keysReplicatedCheck.evaluate(replicaKey(managed), context)?.status).toBe('PASSED');
    const twoReplicas = fact({
      encryption: {
        state: 'read',
        value: [
          CMK,
          { ...unread, replicaRegion: 'us-east-1' },
          { ...CMK, id: 'arn:aws:kms:us-west-2:111111111111:key/w', replicaRegion: 'us-west-2' },
        ],
      },
      replication: {
        state: 'read',
        value: {
          kind: 'aws',
          primaryRegion: 'eu-west-1',
          replicas: [
            { region: 'us-east-1', status: 'InSync' },
            { region: 'us-west-2', status: 'InSync' },
          ],
        },
      },
    });
    const passed = keysReplicatedCheck.evaluate(twoReplicas, context);
    expect(passed?.status).toBe('PASSED');
    expect(passed?.description).toContain('Not counted: the replica in us-east-1 is under the KMS key');
  });

  it('AWS: names, for each replica whose key could not be read, its Region, the key and what fixes the read', () => {
    // Prepare: the adapter's remedies of a refused DescribeKey (functions/aws/kms-keys.ts
    // keyReadRemedy): a missing grant on one replica's key, an explicit deny on the other's.
    const grant =
      'Grant the role that made the call (the audit, readiness, snapshot or chat-action role) kms:DescribeKey on k-east, from its IAM policy and, for a key of another account, from the key policy, then run the audit again.';
    const deny =
      "An explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.";
    const unread = (id: string, region: string, remedy: string) => ({
      id,
      manager: undefined,
      region,
      replicaRegion: region,
      unreadReason: 'DescribeKey was refused (AccessDeniedException)',
      remedy,
    });
    const twoUnread = fact({
      encryption: {
        state: 'read',
        value: [CMK, unread('k-east', 'us-east-1', grant), unread('k-west', 'us-west-2', deny)],
      },
      replication: {
        state: 'read',
        value: {
          kind: 'aws',
          primaryRegion: 'eu-west-1',
          replicas: [
            { region: 'us-east-1', status: 'InSync' },
            { region: 'us-west-2', status: 'InSync' },
          ],
        },
      },
    });
    // Act
    const outcome = keysReplicatedCheck.evaluate(twoUnread, context);
    // Assess: before, the check's own fix ('Replicate the secret …'), for a secret already replicated.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.remediationText).toBe(
      "For the replica in us-east-1 (its KMS key k-east, in us-east-1): grant the role that made the call (the audit, readiness, snapshot or chat-action role) kms:DescribeKey on k-east, from its IAM policy and, for a key of another account, from the key policy, then run the audit again. For the replica in us-west-2 (its KMS key k-west, in us-west-2): an explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
    );
  });

  it('AWS: is not available, never a warning, when a replica is in progress and no copy elsewhere has a key that proves it', () => {
    // Prepare: the copies elsewhere are in progress (or one in sync) under keys not read, or the
    // secret's encryption was not read at all: in sync or not, no copy is known to be decryptable,
    // as without the replica in progress (a WARNING would let readiness say GO).
    const unread = {
      id: 'arn:aws:kms:us-east-1:111111111111:key/r',
      manager: undefined,
      unreadReason: 'DescribeKey failed: AccessDeniedException',
    };
    const replicas = (list: { region: string; status: string }[]) => ({
      state: 'read' as const,
      value: { kind: 'aws' as const, primaryRegion: 'eu-west-1', replicas: list },
    });
    const pendingOnly = fact({
      encryption: { state: 'read', value: [CMK, { ...unread, replicaRegion: 'us-east-1' }] },
      replication: replicas([{ region: 'us-east-1', status: 'InProgress' }]),
    });
    const pendingBesideInSync = fact({
      encryption: {
        state: 'read',
        value: [
          CMK,
          { ...unread, replicaRegion: 'us-east-1' },
          { ...unread, id: 'alias/certctl', replicaRegion: 'us-west-2' },
        ],
      },
      replication: replicas([
        { region: 'us-east-1', status: 'InSync' },
        { region: 'us-west-2', status: 'InProgress' },
      ]),
    });
    const encryptionUnread = fact({
      encryption: { state: 'unknown', reason: 'DescribeKey failed: AccessDeniedException' },
      replication: replicas([{ region: 'us-east-1', status: 'InProgress' }]),
    });
    for (const [name, each] of [
      ['pending only', pendingOnly],
      ['pending beside in sync', pendingBesideInSync],
      ['encryption not read', encryptionUnread],
    ] as const) {
      // Act
      const outcome = keysReplicatedCheck.evaluate(each, context);
      // Assess: not evaluated, saying which replica is in progress and why no key proves a copy.
      expect(outcome?.status, name).toBe('NOT_AVAILABLE');
      expect(outcome?.description, name).toContain('(InProgress)');
      expect(outcome?.description, name).toContain('AccessDeniedException');
      expect(outcome?.observed, name).toMatchObject({ unprovenCopies: expect.stringContaining('us-east-1') });
    }
    // A copy under a key that proves it still makes the replica in progress a warning.
    const provenBeside = fact({
      encryption: {
        state: 'read',
        value: [
          CMK,
          { ...unread, replicaRegion: 'us-east-1' },
          { ...CMK, id: 'arn:aws:kms:us-west-2:111111111111:key/w', replicaRegion: 'us-west-2' },
        ],
      },
      replication: replicas([
        { region: 'us-east-1', status: 'InSync' },
        { region: 'us-west-2', status: 'InProgress' },
      ]),
    });
    const warned = keysReplicatedCheck.evaluate(provenBeside, context);
    expect(warned?.status).toBe('WARNING');
    expect(warned?.description).toContain('us-west-2 (InProgress)');
    expect(warned?.description).toContain('Not counted: the replica in us-east-1 is under the KMS key');
  });

  it("AWS: is not available when a replica's only copy elsewhere, its primary, is under a key not read", () => {
    // Prepare: this secret is the replica in eu-west-1; DescribeKey of its primary's key was refused.
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'us-east-1',
        replicas: [],
        asReplica: {
          state: 'read' as const,
          value: {
            status: 'InSync',
            primaryKey: {
              id: 'arn:aws:kms:us-east-1:111111111111:key/p',
              manager: undefined,
              unreadReason: 'DescribeKey failed: AccessDeniedException',
            },
          },
        },
      },
    };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ replication }), context);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the primary in us-east-1');
    expect(outcome?.description).toContain('AccessDeniedException');
  });

  it("AWS: is not available when the secret's encryption was not read, so no replica's key was judged", () => {
    // Prepare: DescribeSecret's keys unread (the fact says why); the replica reports InSync.
    const encryption = { state: 'unknown' as const, reason: 'DescribeKey failed: ThrottlingException' };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ encryption }), context);
    // Assess: an InSync status proves no copy that can be decrypted.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the replica in us-east-1');
    expect(outcome?.description).toContain('DescribeKey failed: ThrottlingException');
    expect(outcome?.observed).toMatchObject({ unprovenCopies: 'us-east-1' });
  });

  it("AWS: passes a replica on its primary's proven key when its own encryption was not read, not counting the other replicas", () => {
    // Prepare: this secret is the replica in eu-west-1 of a primary in us-east-1 under a usable
    // key, and lists a further replica in ap-south-1, whose key is not known.
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'us-east-1',
        replicas: [{ region: 'ap-south-1', status: 'InSync' }],
        asReplica: {
          state: 'read' as const,
          value: { status: 'InSync', primaryKey: { ...CMK, id: 'arn:aws:kms:us-east-1:111111111111:key/p' } },
        },
      },
    };
    const encryption = { state: 'unknown' as const, reason: 'DescribeKey failed: ThrottlingException' };
    // Act
    const outcome = keysReplicatedCheck.evaluate(fact({ replication, encryption }), context);
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'Not counted: which key encrypts the replica in ap-south-1 is not known',
    );
  });

  it("GCP: is not available when the secret's encryption was not read", () => {
    const outcome = keysReplicatedCheck.evaluate(
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        encryption: { state: 'unknown', reason: 'the API did not report the replication' },
        replication: { state: 'read', value: { kind: 'gcp-automatic' } },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
      }),
      context,
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the API did not report the replication');
  });

  it('GCP: is not available when a copy needed for two locations is under a Cloud KMS key not read or not proven', () => {
    // Prepare: user-managed in two locations, the europe-west4 copy's key version not read; automatic
    // replication whose one key is only the secret's setting (the latest version's status not sent).
    const gcpFact = (replication: KeySecretFact['replication'], key: EncryptionKey): KeySecretFact =>
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        replication,
        encryption: { state: 'read', value: [key] },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
      });
    const userManaged = {
      state: 'read' as const,
      value: { kind: 'gcp-user-managed' as const, locations: ['europe-west1', 'europe-west4'] },
    };
    const cloudKey = 'projects/certctl-kms/locations/europe-west4/keyRings/certctl/cryptoKeys/backup';
    // Act
    const grant = `Grant the service account that made the call (the audit, snapshot or chat-action function's) cloudkms.cryptoKeyVersions.get on the key ${cloudKey} (roles/cloudkms.viewer holds it), then run the audit again.`;
    const unread = keysReplicatedCheck.evaluate(
      gcpFact(userManaged, {
        id: cloudKey,
        manager: undefined,
        location: 'europe-west4',
        unreadReason: 'PERMISSION_DENIED',
        remedy: grant,
      }),
      context,
    );
    const unproven = keysReplicatedCheck.evaluate(
      gcpFact(
        { state: 'read', value: { kind: 'gcp-automatic' } },
        {
          id: cloudKey,
          manager: 'CUSTOMER',
          state: 'ENABLED',
          primary: true,
          unproven: 'the latest version did not send its replication status',
        },
      ),
      context,
    );
    // Assess
    expect(unread?.status).toBe('NOT_AVAILABLE');
    expect(unread?.description).toContain('europe-west4');
    expect(unread?.description).toContain('PERMISSION_DENIED');
    // The fix of the read, for the copy it is about; none for a key only the setting names.
    expect(unread?.remediationText).toBe(`For the copy in europe-west4: g${grant.slice(1)}`);
    expect(unproven?.status).toBe('NOT_AVAILABLE');
    expect(unproven?.description).toContain('did not send its replication status');
    expect(unproven?.remediationText).toBeUndefined();
    // A Google-managed copy needs no Cloud KMS read.
    expect(
      keysReplicatedCheck.evaluate(
        gcpFact(userManaged, { id: 'google-managed', manager: 'PROVIDER', location: 'europe-west4' }),
        context,
      )?.status,
    ).toBe('PASSED');
  });
  it('GCP: does not claim no copy can be decrypted when a user-managed copy whose location was not reported is lost', () => {
    // Prepare: user-managed copies in europe-west1 and europe-west4 under usable keys, and a third
    // replica that did not report its location, under a DISABLED key version. That key encrypts its
    // own copy, not every copy (automatic replication's one key would).
    const cloudKey = (location: string) =>
      `projects/certctl-kms/locations/${location}/keyRings/certctl/cryptoKeys/backup`;
    const usable = (location: string): EncryptionKey => ({
      id: cloudKey(location),
      version: `${cloudKey(location)}/cryptoKeyVersions/1`,
      manager: 'CUSTOMER',
      state: 'ENABLED',
      location,
    });
    const lost: EncryptionKey = {
      id: cloudKey('us-central1'),
      version: `${cloudKey('us-central1')}/cryptoKeyVersions/1`,
      manager: 'CUSTOMER',
      state: 'DISABLED',
    };
    const gcpFact = (replication: KeySecretFact['replication'], keys: EncryptionKey[]): KeySecretFact =>
      fact({
        resource: {
          provider: 'gcp',
          account: 'certctl-prod',
          region: 'global',
          type: 'GcpSecretManagerSecret',
          id: 'projects/certctl-prod/secrets/ca',
        },
        replication,
        encryption: { state: 'read', value: keys },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
      });
    // Act
    const userManaged = keysReplicatedCheck.evaluate(
      gcpFact(
        {
          state: 'read',
          value: { kind: 'gcp-user-managed', locations: ['europe-west1', 'europe-west4'] },
        },
        [usable('europe-west1'), usable('europe-west4'), lost],
      ),
      context,
    );
    const automatic = keysReplicatedCheck.evaluate(
      gcpFact({ state: 'read', value: { kind: 'gcp-automatic' } }, [lost]),
      context,
    );
    // Assess: the lost copy is named as the one whose location was not reported; the known ones stand.
    expect(userManaged?.status).toBe('FAILED');
    expect(userManaged?.description).not.toContain('no copy can be decrypted');
    expect(userManaged?.description).toContain(
      `the copy whose location was not reported is under the Cloud KMS key version ${lost.version}, which is DISABLED: only europe-west1, europe-west4 hold copies that can be decrypted`,
    );
    expect(userManaged?.observed).toMatchObject({ undecryptableCopies: 'location not reported' });
    // Not proven (its key not read) rather than lost, that copy is not counted, and the two known
    // locations still pass.
    const unread = keysReplicatedCheck.evaluate(
      gcpFact(
        {
          state: 'read',
          value: { kind: 'gcp-user-managed', locations: ['europe-west1', 'europe-west4'] },
        },
        [
          usable('europe-west1'),
          usable('europe-west4'),
          { id: lost.id, manager: undefined, unreadReason: 'PERMISSION_DENIED' },
        ],
      ),
      context,
    );
    expect(unread?.status).toBe('PASSED');
    expect(unread?.description).toContain(
      `(not counted: the copy whose location was not reported is under the Cloud KMS key ${lost.id}, which could not be read (PERMISSION_DENIED))`,
    );
    // Automatic replication's one key still encrypts every copy.
    expect(automatic?.status).toBe('FAILED');
    expect(automatic?.description).toContain('no copy can be decrypted');
    expect(automatic?.observed).toMatchObject({ undecryptableCopies: 'all' });
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
  it('fails naming the replica that is on the AWS-managed key of its region, and how to move that replica', () => {
    // The copy in eu-west-1 is under a customer-managed key; the replica in us-east-1 is not.
    const encryption = {
      state: 'read' as const,
      value: [
        CMK,
        { id: 'aws/secretsmanager (us-east-1)', manager: 'PROVIDER' as const, replicaRegion: 'us-east-1' },
      ],
    };
    const outcome = keysCmkCheck.evaluate(fact({ encryption }), context);
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description:
        'The replica in us-east-1 of the secret certctl/ca (ca-cert) is encrypted with the AWS-managed key aws/secretsmanager (us-east-1), which no other account can use: that replica cannot be recovered cross-account.',
      observed: { keyManager: 'AWS', replicaRegion: 'us-east-1' },
      remediationText:
        "Replicate to us-east-1 under a customer-managed KMS key of that region whose policy admits the recovery account: remove the replica (`aws secretsmanager remove-regions-from-replication --secret-id certctl/ca --remove-replica-regions us-east-1 --region eu-west-1`) and add it again with the key (`aws secretsmanager replicate-secret-to-regions --secret-id certctl/ca --add-replica-regions Region=us-east-1,KmsKeyId='<key-arn>' --region eu-west-1`).",
    });
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
  it('names the Google-managed copies when the other copies of a GCP secret are under a customer-managed key', () => {
    // Prepare: user-managed replication, europe-west1 under a Cloud KMS key, us-east1 Google-managed.
    const encryption = {
      state: 'read' as const,
      value: [
        {
          id: 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k',
          manager: 'CUSTOMER' as const,
          state: 'ENABLED',
        },
        { id: 'google-managed (us-east1)', manager: 'PROVIDER' as const },
      ],
    };
    const resource = {
      ...fact().resource,
      provider: 'gcp' as const,
      type: 'GcpSecretManagerSecret' as const,
    };
    // Act
    const outcome = keysCmkCheck.evaluate(fact({ encryption, resource }), context);
    // Assess: not "the secret uses Google-managed encryption", which one copy does not.
    expect(outcome).toMatchObject({
      status: 'WARNING',
      description:
        'The copy in us-east1 of the secret certctl/ca (ca-cert) uses Google-managed encryption, not a customer-managed key (the other copies use projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k).',
      observed: { keyManager: 'GOOGLE' },
    });
  });
  it('is not available when the key could not be described', () => {
    const encryption = { state: 'read' as const, value: [{ id: 'k', manager: undefined }] };
    expect(keysCmkCheck.evaluate(fact({ encryption }), context)?.status).toBe('NOT_AVAILABLE');
    expect(keysCmkCheck.evaluate(fact({ encryption: unknown }), context)?.status).toBe('NOT_AVAILABLE');
  });
});

describe('keys.cmk, a customer-managed key that cannot protect the secret for long', () => {
  const DELETION = new Date('2026-12-09T00:00:00Z');
  const GCP = {
    provider: 'gcp' as const,
    account: 'certctl-prod',
    region: 'global',
    type: 'GcpSecretManagerSecret' as const,
    id: 'projects/certctl-prod/secrets/ca',
  };
  const KEY_VERSION = 'projects/certctl-prod/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3';
  const cmk = (key: Partial<EncryptionKey>) =>
    keysCmkCheck.evaluate(
      fact({ encryption: { state: 'read', value: [{ ...CMK, region: 'eu-west-1', ...key }] } }),
      context,
    );

  it('fails a key pending deletion with its date and the commands that cancel the deletion', () => {
    // Act
    const outcome = cmk({ state: 'PendingDeletion', deletionDate: DELETION });
    // Assess: who manages it is not all keys.cmk judges.
    expect(outcome).toMatchObject({
      status: 'FAILED',
      observed: { keyManager: 'CUSTOMER', keyState: 'PendingDeletion', deletionDate: DELETION.toISOString() },
    });
    expect(outcome?.description).toContain(`is PendingDeletion (deletion on ${DELETION.toISOString()})`);
    expect(outcome?.remediationText).toContain(
      `\`aws kms cancel-key-deletion --key-id ${CMK.id} --region eu-west-1\``,
    );
    expect(outcome?.remediationText).toContain(
      `\`aws kms enable-key --key-id ${CMK.id} --region eu-west-1\``,
    );
  });

  it.each(['PendingReplicaDeletion', 'Disabled'])('fails a key that is %s', (state) => {
    const outcome = cmk({ state });
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.keyState).toBe(state);
    expect(outcome?.remediationText).toContain(`aws kms enable-key --key-id ${CMK.id}`);
  });

  it("fails naming the replica whose own region's key is pending deletion", () => {
    const encryption = {
      state: 'read' as const,
      value: [
        CMK,
        {
          ...CMK,
          id: 'arn:aws:kms:us-east-1:111111111111:key/r',
          region: 'us-east-1',
          replicaRegion: 'us-east-1',
          state: 'PendingDeletion',
          deletionDate: DELETION,
        },
      ],
    };
    const outcome = keysCmkCheck.evaluate(fact({ encryption }), context);
    expect(outcome).toMatchObject({
      status: 'FAILED',
      observed: { replicaRegion: 'us-east-1', keyState: 'PendingDeletion' },
    });
    expect(outcome?.description).toContain('of the replica in us-east-1');
    expect(outcome?.remediationText).toContain('--region us-east-1');
  });

  it('fails a key DescribeKey no longer finds: the copy it encrypted can no longer be decrypted', () => {
    // Prepare: DescribeKey answered NotFoundException for the key ARN, in its own account and Region
    // (functions/aws/kms-keys.ts describeKmsKey): the key is gone, and its key material with it.
    const gone = {
      id: CMK.id,
      manager: undefined,
      region: 'eu-west-1',
      deleted: true,
      unreadReason: `DescribeKey: NotFoundException: the key ${CMK.id} does not exist`,
    };
    // Act
    const outcome = keysCmkCheck.evaluate(fact({ encryption: { state: 'read', value: [gone] } }), context);
    const replica = keysCmkCheck.evaluate(
      fact({
        encryption: {
          state: 'read',
          value: [
            CMK,
            { ...gone, id: 'arn:aws:kms:us-east-1:111111111111:key/r', replicaRegion: 'us-east-1' },
          ],
        },
      }),
      context,
    );
    // Assess: not "could not be described", which says nothing was learnt.
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `The customer-managed KMS key ${CMK.id} of the secret certctl/ca (ca-cert) does not exist (DescribeKey: NotFoundException), deleted with its key material: the secret can no longer be decrypted (see keys.not-deleting).`,
      observed: { keyExists: false },
    });
    expect(outcome?.observed).not.toHaveProperty('keyManager');
    expect(outcome?.remediationText).toContain(
      'The key cannot be restored: store the value certctl runs with again',
    );
    expect(replica).toMatchObject({
      status: 'FAILED',
      description:
        'The customer-managed KMS key arn:aws:kms:us-east-1:111111111111:key/r (us-east-1) of the replica in us-east-1 of the secret certctl/ca (ca-cert) does not exist (DescribeKey: NotFoundException), deleted with its key material: that replica can no longer be decrypted (see keys.not-deleting).',
      observed: { keyExists: false, replicaRegion: 'us-east-1' },
    });
    expect(replica?.remediationText).toContain('re-create the replica under a usable key of us-east-1');
  });

  it("names each copy's key and its state when the primary is on the AWS-managed key and a replica's key is pending deletion", () => {
    // Prepare: the primary (eu-west-1) under aws/secretsmanager; the replica in us-east-1 under its
    // region's customer-managed key, pending deletion; the replica in us-west-2 under a usable one.
    const encryption = {
      state: 'read' as const,
      value: [
        { id: 'aws/secretsmanager', manager: 'PROVIDER' as const },
        {
          ...CMK,
          id: 'arn:aws:kms:us-east-1:111111111111:key/r',
          region: 'us-east-1',
          replicaRegion: 'us-east-1',
          state: 'PendingDeletion',
          deletionDate: DELETION,
        },
        {
          ...CMK,
          id: 'arn:aws:kms:us-west-2:111111111111:key/s',
          region: 'us-west-2',
          replicaRegion: 'us-west-2',
        },
      ],
    };
    // Act
    const outcome = keysCmkCheck.evaluate(fact({ encryption }), context);
    // Assess: neither copy's problem hides the other's, and the usable replica is named as usable.
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `The copies of the secret certctl/ca (ca-cert) are not all under a usable customer-managed key: its own copy is encrypted with the AWS-managed key aws/secretsmanager, which no other account can use, so it cannot be recovered cross-account; the replica in us-east-1 is encrypted with the customer-managed KMS key arn:aws:kms:us-east-1:111111111111:key/r, which is PendingDeletion (deletion on ${DELETION.toISOString()}) and protects that replica only until it is deleted with its key material; the replica in us-west-2 is encrypted with the customer-managed KMS key arn:aws:kms:us-west-2:111111111111:key/s, which is Enabled.`,
      observed: { keyStates: 'primary=AWS-managed,us-east-1=PendingDeletion,us-west-2=Enabled' },
    });
    expect(outcome?.remediationText).toBe(
      "For its own copy: re-encrypt it with a customer-managed KMS key whose policy admits the recovery account (`aws secretsmanager update-secret --secret-id certctl/ca --kms-key-id '<key-arn>' --region eu-west-1`). For the replica in us-east-1: cancel the key's deletion (`aws kms cancel-key-deletion --key-id arn:aws:kms:us-east-1:111111111111:key/r --region us-east-1`, which leaves it Disabled) and enable it (`aws kms enable-key --key-id arn:aws:kms:us-east-1:111111111111:key/r --region us-east-1`).",
    );
  });

  it('names both when the primary key is Disabled and a replica key no longer exists', () => {
    const encryption = {
      state: 'read' as const,
      value: [
        { ...CMK, state: 'Disabled', region: 'eu-west-1' },
        {
          id: 'arn:aws:kms:us-east-1:111111111111:key/r',
          manager: undefined,
          region: 'us-east-1',
          replicaRegion: 'us-east-1',
          deleted: true,
        },
      ],
    };
    const outcome = keysCmkCheck.evaluate(fact({ encryption }), context);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `its own copy is encrypted with the customer-managed KMS key ${CMK.id}, which is Disabled`,
    );
    expect(outcome?.description).toContain(
      'the replica in us-east-1 was encrypted with the KMS key arn:aws:kms:us-east-1:111111111111:key/r, which does not exist (DescribeKey: NotFoundException), deleted with its key material, so it can no longer be decrypted',
    );
    expect(outcome?.observed.keyStates).toBe('primary=Disabled,us-east-1=deleted');
    expect(outcome?.remediationText).toContain('For its own copy: enable the key');
    expect(outcome?.remediationText).toContain(
      'For the replica in us-east-1: the key cannot be restored: re-create the replica',
    );
  });

  it("GCP: names each copy's key version and its state when several user-managed copies' versions cannot decrypt", () => {
    // Prepare: user-managed copies in europe-west1 (its key version DISABLED), europe-west4
    // (DESTROY_SCHEDULED) and us-central1 (ENABLED).
    const version = (location: string) =>
      `projects/certctl-kms/locations/${location}/keyRings/certctl/cryptoKeys/backup/cryptoKeyVersions/1`;
    const copy = (location: string, state: string): EncryptionKey => ({
      id: version(location).replace(/\/cryptoKeyVersions\/1$/, ''),
      version: version(location),
      manager: 'CUSTOMER',
      state,
      location,
      ...(state === 'DESTROY_SCHEDULED' ? { deletionDate: DELETION } : {}),
    });
    const outcome = keysCmkCheck.evaluate(
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
          value: [
            copy('europe-west1', 'DISABLED'),
            copy('europe-west4', 'DESTROY_SCHEDULED'),
            copy('us-central1', 'ENABLED'),
          ],
        },
      }),
      context,
    );
    // Assess: neither failing copy hides the other; the usable copy is named as usable.
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `The copies of the secret projects/certctl-prod/secrets/ca (ca-cert) are not all under a usable customer-managed key: the copy in europe-west1 is encrypted with the customer-managed Cloud KMS key version ${version('europe-west1')}, which is DISABLED: nothing it encrypts can be decrypted while it is disabled; the copy in europe-west4 is encrypted with the customer-managed Cloud KMS key version ${version('europe-west4')}, which is DESTROY_SCHEDULED (destruction on ${DELETION.toISOString()}) and protects that copy only until it is destroyed; the copy in us-central1 is encrypted with the customer-managed Cloud KMS key version ${version('us-central1')}, which is ENABLED.`,
      observed: { keyStates: 'europe-west1=DISABLED,europe-west4=DESTROY_SCHEDULED,us-central1=ENABLED' },
    });
    expect(outcome?.remediationText).toContain('For the copy in europe-west1: enable the key version:');
    expect(outcome?.remediationText).toContain(
      'For the copy in europe-west4: restore the key version before it is destroyed, then enable it:',
    );
    expect(outcome?.remediationText).not.toContain('us-central1');
  });

  it("is not available when DescribeKey did not send the key's KeyState, never passed", () => {
    const outcome = cmk({ state: undefined });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('KeyState');
  });

  it('is not available on a key state this audit does not know to be usable', () => {
    const outcome = cmk({ state: 'Creating' });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('Creating');
  });

  it('fails a Cloud KMS key version scheduled for destruction, with the gcloud commands that restore it', () => {
    const key = {
      id: 'projects/certctl-prod/locations/global/keyRings/r/cryptoKeys/k',
      manager: 'CUSTOMER' as const,
      version: KEY_VERSION,
      state: 'DESTROY_SCHEDULED',
      deletionDate: DELETION,
    };
    const encryption = { state: 'read' as const, value: [key] };
    const outcome = keysCmkCheck.evaluate(fact({ encryption, resource: GCP }), context);
    expect(outcome).toMatchObject({
      status: 'FAILED',
      observed: { keyState: 'DESTROY_SCHEDULED', keyVersion: KEY_VERSION },
    });
    expect(outcome?.description).toContain(`(destruction on ${DELETION.toISOString()})`);
    expect(outcome?.remediationText).toContain(
      '`gcloud kms keys versions restore 3 --key=k --keyring=r --location=global --project=certctl-prod`',
    );
    const disabled = keysCmkCheck.evaluate(
      fact({
        encryption: {
          state: 'read',
          value: [{ ...key, state: 'DISABLED', deletionDate: undefined }],
        },
        resource: GCP,
      }),
      context,
    );
    expect(disabled?.status).toBe('FAILED');
    expect(disabled?.remediationText).toContain('`gcloud kms keys versions enable 3 --key=k');
  });

  it('is not available when the Cloud KMS key could not be read, never passed', () => {
    const encryption = {
      state: 'read' as const,
      value: [
        {
          id: 'projects/certctl-prod/locations/global/keyRings/r/cryptoKeys/k',
          manager: 'CUSTOMER' as const,
          version: KEY_VERSION,
          unreadReason: 'cryptoKeyVersions.get was denied (PERMISSION_DENIED)',
        },
      ],
    };
    const outcome = keysCmkCheck.evaluate(fact({ encryption, resource: GCP }), context);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('cryptoKeyVersions.get was denied (PERMISSION_DENIED)');
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
  it('warns about a trust bundle with an expired member beside a valid one, and a WARNING item never hides a FAILED one', () => {
    // Prepare: the analysis of a bundle (one valid anchor, one expired) and of an expired certificate.
    const location = {
      provider: 'aws' as const,
      account: '111111111111',
      region: 'eu-west-1',
      secretId: 's',
      name: 's',
    };
    const item = (id: string, kind: InventoryItem['kind']): InventoryItem => ({
      id,
      kind,
      source: id,
      location,
    });
    const values: Record<string, string> = {
      bundle: pem('ca.crt') + pem('expired-ca.crt'),
      old: pem('expired-ca.crt'),
    };
    const analyze = (subject: InventoryItem) =>
      analyzeItem(subject, {
        now: NOW,
        expiryHorizonDays: 30,
        valueOf: (id) => (values[id] === undefined ? undefined : { state: 'read', text: values[id] }),
      });
    const bundleOnly = fact({
      items: [{ id: 'bundle', kind: 'bundle', source: 'TRUST_BUNDLE_PATH' }],
      content: { state: 'read', items: [analyze(item('bundle', 'bundle'))] },
    });
    const both = fact({
      items: [
        { id: 'bundle', kind: 'bundle', source: 'TRUST_BUNDLE_PATH' },
        { id: 'old', kind: 'certificate', source: 'CERT_PATH' },
      ],
      content: {
        state: 'read',
        items: [analyze(item('bundle', 'bundle')), analyze(item('old', 'certificate'))],
      },
    });

    // Act
    const warned = keysContentCheck.evaluate(bundleOnly, context);
    const failed = keysContentCheck.evaluate(both, context);

    // Assess
    expect(warned?.status).toBe('WARNING');
    expect(warned?.observed).toMatchObject({
      'bundle.certificates': 2,
      'bundle.valid': 1,
      problems: 'bundle-member-expired',
    });
    expect(warned?.description).toContain('CN=certctl expired CA');
    expect(failed?.status).toBe('FAILED');
    expect(failed?.observed.problems).toBe('bundle-member-expired,certificate-expired');
    expect(failed?.description).toMatch(
      /^The secret certctl\/ca \(bundle, old\): old expired on 2021-01-01T00:00:00\.000Z\. Also: bundle \(CN=certctl expired CA, SHA-256 [0-9A-F:]+\) expired on 2021-01-01T00:00:00\.000Z\.$/,
    );
  });
  it('warns when a certificate expires within the horizon', () => {
    expect(
      keysContentCheck.evaluate(withProblems({ status: 'WARNING', code: 'certificate-expiring' }), context)
        ?.status,
    ).toBe('WARNING');
  });
  it('requires only the pairings the secret’s items have: none for a lone OCSP key, the match for a key with its certificate, the chain for an RA certificate', () => {
    // Prepare
    const lone = fact({
      items: [
        {
          id: 'ocsp-key.issuer-a',
          kind: 'private-key',
          source: 'CERTCTL_OCSP_RESPONDER_KEY_DIR/ocsp-responder-issuer-a.key',
        },
      ],
      content: { state: 'read', items: [{ item: 'ocsp-key.issuer-a', problems: [], observed: {} }] },
    });
    const paired = fact({
      items: [
        { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH' },
        { id: 'ca-key', kind: 'private-key', source: 'CERTCTL_CA_KEY_PATH', certificate: 'ca-cert' },
      ],
    });
    const ra = fact({
      items: [
        { id: 'scep-ra-cert', kind: 'certificate', source: 'CERTCTL_SCEP_RA_CERT_PATH', issuer: 'ca-cert' },
      ],
    });

    // Act
    const outcomes = [lone, paired, ra].map((secret) => keysContentCheck.evaluate(secret, context));
    const notRead = keysContentCheck.evaluate({ ...lone, content: { state: 'not-inspected' } }, context);

    // Assess
    expect(outcomes.map((outcome) => outcome?.status)).toEqual(['PASSED', 'PASSED', 'PASSED']);
    expect(outcomes.map((outcome) => outcome?.required)).toEqual([
      { parses: true },
      { parses: true, notExpired: true, keyMatchesCertificate: true },
      { parses: true, notExpired: true, signedByCa: true },
    ]);
    expect(notRead?.required).toEqual({ parses: true });
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

/** Two items, so labels and observed values show how items are joined. */
const TWO_ITEMS: KeySecretFact['items'] = [
  { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH' },
  { id: 'ca-key', kind: 'private-key', source: 'CERTCTL_CA_KEY_PATH', certificate: 'ca-cert' },
];
const LABEL = 'secret certctl/ca (ca-cert, ca-key)';
const GCP_RESOURCE = {
  provider: 'gcp' as const,
  account: 'certctl-prod',
  region: 'global',
  type: 'GcpSecretManagerSecret' as const,
  id: 'projects/certctl-prod/secrets/ca',
};

describe('every keys check says what it judged', () => {
  const two = (overrides: Partial<KeySecretFact> = {}) => fact({ items: TWO_ITEMS, ...overrides });
  const checks = [keysCmkCheck, keysNotDeletingCheck, keysReplicatedCheck, keysContentCheck];

  it('is not available naming the reason when existence could not be read, for every metadata check', () => {
    for (const check of [...checks, keysPresentCheck]) {
      const outcome = check.evaluate(two({ existence: unknown }), context);
      expect(outcome).toMatchObject({
        status: 'NOT_AVAILABLE',
        description: `Could not evaluate ${LABEL}: AccessDeniedException.`,
      });
      expect(outcome?.observed.items).toBe('ca-cert,ca-key');
    }
  });

  it('is not available pointing to keys.present when the secret does not exist, for every metadata check', () => {
    for (const check of checks) {
      expect(check.evaluate(two({ existence: { state: 'read', value: false } }), context)).toMatchObject({
        status: 'NOT_AVAILABLE',
        description: `Could not evaluate ${LABEL}: the secret does not exist (see keys.present).`,
        observed: { items: 'ca-cert,ca-key', present: false },
      });
    }
  });

  it('keys.present: says which settings the secret backs, and which have no backup', () => {
    expect(keysPresentCheck.evaluate(two(), context)).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} exists and backs CERTCTL_CA_CERT_PATH, CERTCTL_CA_KEY_PATH.`,
      observed: { items: 'ca-cert,ca-key', present: true },
      required: { present: true },
    });
    expect(keysPresentCheck.evaluate(two({ existence: { state: 'read', value: false } }), context)).toEqual({
      status: 'FAILED',
      description: `The ${LABEL} does not exist: CERTCTL_CA_CERT_PATH, CERTCTL_CA_KEY_PATH has no backup.`,
      observed: { items: 'ca-cert,ca-key', present: false },
      required: { present: true },
    });
    expect(keysPresentCheck.evaluate(two({ existence: unknown }), context)?.observed).toEqual({
      items: 'ca-cert,ca-key',
      present: null,
    });
  });

  it('keys.cmk: names the customer-managed keys when it passes', () => {
    const encryption = { state: 'read' as const, value: [CMK, { ...CMK, id: 'k2' }] };
    expect(keysCmkCheck.evaluate(two({ encryption }), context)).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} is encrypted with the customer-managed key ${CMK.id}, k2.`,
      observed: { items: 'ca-cert,ca-key', keys: `${CMK.id},k2`, keyManager: 'CUSTOMER' },
      required: { keyManager: 'CUSTOMER' },
    });
  });

  it('keys.cmk: fails naming the AWS-managed key, or the default one when no key is listed', () => {
    // Prepare
    const provider = {
      state: 'read' as const,
      value: [CMK, { id: 'alias/aws/secretsmanager', manager: 'PROVIDER' as const }],
    };
    // Act
    const named = keysCmkCheck.evaluate(two({ encryption: provider }), context);
    const none = keysCmkCheck.evaluate(two({ encryption: { state: 'read', value: [] } }), context);
    // Assess
    expect(named).toEqual({
      status: 'FAILED',
      description: `The ${LABEL} is encrypted with the AWS-managed key alias/aws/secretsmanager, which no other account can use: it cannot be recovered cross-account.`,
      observed: { items: 'ca-cert,ca-key', keys: `${CMK.id},alias/aws/secretsmanager`, keyManager: 'AWS' },
      required: { keyManager: 'CUSTOMER' },
    });
    expect(none?.status).toBe('FAILED');
    expect(none?.description).toContain('the AWS-managed key aws/secretsmanager, which');
  });

  it('keys.cmk: warns with the CMEK guide on Google-managed encryption', () => {
    const encryption = {
      state: 'read' as const,
      value: [{ id: 'google-managed', manager: 'PROVIDER' as const }],
    };
    expect(keysCmkCheck.evaluate(two({ encryption, resource: GCP_RESOURCE }), context)).toEqual({
      status: 'WARNING',
      description:
        'The secret projects/certctl-prod/secrets/ca (ca-cert, ca-key) uses Google-managed encryption, not a customer-managed key.',
      observed: { items: 'ca-cert,ca-key', keys: 'google-managed', keyManager: 'GOOGLE' },
      required: { keyManager: 'CUSTOMER' },
      // The commands, not a guide's address: the key encrypts only versions added afterwards, so
      // setting it alone would leave the value Google-managed, and this WARNING with it.
      remediationText:
        "Set a customer-managed Cloud KMS key on the secret (`gcloud secrets replication update ca --project=certctl-prod --set-kms-key='<key>'`, a key in location global, as automatic replication takes), then add the value again as a new version, which that key encrypts (a key set on a secret encrypts only the versions added afterwards): `gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'` (the file in its CERTCTL_*_PATH setting). Secret Manager's service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key, and the recovery project the use of it: https://cloud.google.com/secret-manager/docs/cmek",
    });
  });

  it("keys.cmk: a secret with no version yet, whose key's primary version is DESTROYED, makes another version primary first", () => {
    // Prepare: no version to name its key version, so the key's primary was read; it is DESTROYED,
    // and Secret Manager would encrypt the first version with it.
    const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const encryption = {
      state: 'read' as const,
      value: [
        {
          id: key,
          manager: 'CUSTOMER' as const,
          version: `${key}/cryptoKeyVersions/1`,
          primary: true,
          state: 'DESTROYED',
        },
      ],
    };
    const latestVersion = { state: 'read' as const, value: { state: 'none' } };
    // Act
    const outcome = keysCmkCheck.evaluate(
      two({ encryption, latestVersion, resource: GCP_RESOURCE }),
      context,
    );
    // Assess: before, only "add a new version of the secret from the live file", which fails.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe(
      "The key material is gone, and projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup/cryptoKeyVersions/1 is also the key's primary version, which Secret Manager encrypts new versions with: make an ENABLED version of the key primary (`gcloud kms keys set-primary-version backup --keyring=certctl --location=global --project=certctl-kms --version='<enabled-version>'`), or create one as primary (`gcloud kms keys versions create --key=backup --keyring=certctl --location=global --project=certctl-kms --primary`), then add a new version of the secret from the live file (`gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'`).",
    );
  });

  it('keys.cmk: names each user-managed location to put under a key of its own location', () => {
    // Prepare: user-managed replication in two locations, europe-west1 under a customer-managed key
    // and europe-west4 Google-managed, plus a copy whose location was not reported.
    const encryption = {
      state: 'read' as const,
      value: [
        {
          id: 'projects/certctl-prod/locations/europe-west1/keyRings/r/cryptoKeys/k',
          manager: 'CUSTOMER' as const,
          state: 'ENABLED',
          location: 'europe-west1',
        },
        { id: 'google-managed (europe-west4)', manager: 'PROVIDER' as const, location: 'europe-west4' },
      ],
    };
    const replication = {
      state: 'read' as const,
      value: { kind: 'gcp-user-managed' as const, locations: ['europe-west1', 'europe-west4'] },
    };
    // Act
    const outcome = keysCmkCheck.evaluate(two({ encryption, replication, resource: GCP_RESOURCE }), context);
    const unreported = keysCmkCheck.evaluate(
      two({
        encryption: { state: 'read', value: [{ id: 'google-managed', manager: 'PROVIDER' }] },
        replication,
        resource: GCP_RESOURCE,
      }),
      context,
    );
    // Assess: `--set-kms-key` alone is refused for a secret of several user-managed replicas, and
    // each replica's key must be in that replica's location.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.remediationText).toContain(
      "`gcloud secrets replication update ca --project=certctl-prod --location=europe-west4 --set-kms-key='<key-in-europe-west4>'`, a key in location europe-west4",
    );
    expect(outcome?.remediationText).not.toContain('europe-west1');
    expect(outcome?.remediationText).toContain(
      "`gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'`",
    );
    expect(unreported?.remediationText).toContain(
      "`gcloud secrets replication update ca --project=certctl-prod --location='<location>' --set-kms-key='<key-in-location>'`, a key in the location of that replica",
    );
  });

  it("keys.cmk: sets every user-managed replica's key in one replication policy when several are Google-managed", () => {
    // Prepare: two user-managed locations, both Google-managed. `gcloud secrets replication update
    // --location --set-kms-key` refuses a secret whose other replicas would stay Google-managed
    // ("Either all replicas must use customer managed encryption or all replicas must use Google
    // managed encryption"), so the fix is `replication set` with a key per location.
    const encryption = {
      state: 'read' as const,
      value: [
        { id: 'google-managed (europe-west1)', manager: 'PROVIDER' as const, location: 'europe-west1' },
        { id: 'google-managed (europe-west4)', manager: 'PROVIDER' as const, location: 'europe-west4' },
      ],
    };
    const replication = {
      state: 'read' as const,
      value: { kind: 'gcp-user-managed' as const, locations: ['europe-west1', 'europe-west4'] },
    };
    // Act
    const outcome = keysCmkCheck.evaluate(two({ encryption, replication, resource: GCP_RESOURCE }), context);
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.remediationText).toContain(
      "`gcloud secrets replication set ca --project=certctl-prod --replication-policy-file='<policy-file>'`",
    );
    expect(outcome?.remediationText).toContain(
      '{"userManaged":{"replicas":[{"location":"europe-west1","customerManagedEncryption":{"kmsKeyName":"<key-in-europe-west1>"}},{"location":"europe-west4","customerManagedEncryption":{"kmsKeyName":"<key-in-europe-west4>"}}]}}',
    );
    expect(outcome?.remediationText).not.toContain('`gcloud secrets replication update');
    expect(outcome?.remediationText).toContain(
      "`gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'`",
    );
  });

  it('keys.cmk: is not available naming the key that could not be described and why', () => {
    const encryption = (unreadReason?: string) => ({
      state: 'read' as const,
      value: [CMK, { id: 'k', manager: undefined, ...(unreadReason ? { unreadReason } : {}) }],
    });
    expect(keysCmkCheck.evaluate(two({ encryption: encryption('AccessDenied') }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: the KMS key k could not be described (AccessDenied).`,
      observed: { items: 'ca-cert,ca-key', keys: `${CMK.id},k` },
      required: { keyManager: 'CUSTOMER' },
    });
    // Described, but KeyManager not sent (or neither AWS nor CUSTOMER): not an unread key.
    expect(keysCmkCheck.evaluate(two({ encryption: encryption() }), context)?.description).toBe(
      `Could not evaluate ${LABEL}: DescribeKey did not say who manages the KMS key k (KeyManager AWS or CUSTOMER).`,
    );
  });

  it('keys.not-deleting: passes saying the key is usable', () => {
    expect(keysNotDeletingCheck.evaluate(two(), context)).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} is not scheduled for deletion and its key is usable.`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false, keyUsable: true },
      required: { scheduledForDeletion: false, keyUsable: true },
    });
  });

  describe('keys.not-deleting, a secret that names its KMS key by an alias', () => {
    // DescribeKey on an alias describes the key the alias points to now; a version was encrypted
    // under the key the alias pointed to when it was written (the alias may have moved since).
    const ALIASED = {
      id: 'alias/certctl-backup',
      manager: 'CUSTOMER' as const,
      state: 'Enabled',
      region: 'eu-west-1',
      aliasTarget: 'arn:aws:kms:eu-west-1:111111111111:key/k2',
    };
    const aliased = (overrides: Partial<KeySecretFact> = {}) =>
      two({
        encryption: { state: 'read', value: [ALIASED] },
        content: { state: 'not-inspected' },
        ...overrides,
      });

    it('is not available naming the alias and the key it points to now, when no value was read', () => {
      const outcome = keysNotDeletingCheck.evaluate(aliased(), context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('alias/certctl-backup');
      expect(outcome?.description).toContain('arn:aws:kms:eu-west-1:111111111111:key/k2');
      expect(outcome?.observed).toMatchObject({ scheduledForDeletion: false, keyState: 'Enabled' });
    });
    it('passes when the value was read in this run: its key decrypted it', () => {
      const read = aliased({ content: { state: 'read', items: [] } });
      expect(keysNotDeletingCheck.evaluate(read, context)?.status).toBe('PASSED');
    });
    it("is not available for a replica's alias even when the secret's own value was read", () => {
      const replica = aliased({
        encryption: {
          state: 'read',
          value: [CMK, { ...ALIASED, region: 'us-east-1', replicaRegion: 'us-east-1' }],
        },
        content: { state: 'read', items: [] },
      });
      const outcome = keysNotDeletingCheck.evaluate(replica, context);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('us-east-1');
    });
    it('fails on an alias of a key pending deletion naming that key, without stating the current version lost: the alias may have moved since it was written', () => {
      // Prepare: the alias points to k2, PendingDeletion; the current version may be under k2 or
      // under the key the alias pointed to before (UpdateAlias).
      const deleting = {
        ...ALIASED,
        state: 'PendingDeletion',
        deletionDate: new Date('2026-12-20T00:00:00Z'),
      };
      const outcome = (overrides: Partial<KeySecretFact>) =>
        keysNotDeletingCheck.evaluate(
          aliased({ encryption: { state: 'read', value: [deleting] }, ...overrides }),
          context,
        );

      // Act
      const unread = outcome({});
      const read = outcome({ content: { state: 'read', items: [] } });

      // Assess: the key the secret names cannot encrypt a new version: proven, FAILED.
      expect(unread?.status).toBe('FAILED');
      expect(unread?.description).toBe(
        `The KMS key alias/certctl-backup (pointing to ${ALIASED.aliasTarget} now) of the ${LABEL} is PendingDeletion (deletion on 2026-12-20T00:00:00.000Z): the secret cannot store a new version under it, and its current version cannot be decrypted if it was written while the alias pointed to that key (which key encrypts it is not known: the alias may have been moved since).`,
      );
      expect(unread?.observed).toMatchObject({
        keyState: 'PendingDeletion',
        kmsAlias: 'alias/certctl-backup',
        aliasTarget: ALIASED.aliasTarget,
      });
      // Its value decrypted in this run: the current version is not said to be lost.
      expect(read?.status).toBe('FAILED');
      expect(read?.description).not.toContain('cannot be decrypted');
      expect(read?.description).toContain('its current version was decrypted in this run');
      // A replica's alias: the replica is not said to be lost either.
      const replica = outcome({
        encryption: {
          state: 'read',
          value: [CMK, { ...deleting, region: 'us-east-1', replicaRegion: 'us-east-1' }],
        },
      });
      expect(replica?.description).toContain(
        'that replica cannot take a new version under it, and cannot be decrypted if its current version was written while the alias pointed to that key',
      );
      // Expiring imported material of the key an alias points to: the same words.
      const expired = outcome({
        encryption: {
          state: 'read',
          value: [{ ...ALIASED, materialExpires: new Date('2026-11-01T00:00:00Z') }],
        },
      });
      expect(expired?.status).toBe('FAILED');
      expect(expired?.description).toContain(
        'cannot be decrypted if it was written while the alias pointed to that key',
      );
      expect(expired?.description).not.toContain('the backup cannot be decrypted');
    });
    it('is not available, never a warning, when the key the alias points to now has imported material expiring and no value was read', () => {
      // Prepare: the key behind the alias now is Enabled, its imported material expiring in 3 days;
      // the current version may be under another key (the alias may have moved), whose state is
      // not known. A WARNING would let readiness say GO on a key never proven to decrypt.
      const expiring = aliased({
        encryption: {
          state: 'read',
          value: [{ ...ALIASED, materialExpires: new Date('2026-12-05T12:00:00Z') }],
        },
      });
      // Act
      const outcome = keysNotDeletingCheck.evaluate(expiring, context);
      const read = keysNotDeletingCheck.evaluate(
        { ...expiring, content: { state: 'read', items: [] } },
        context,
      );
      // Assess: not evaluated, naming the alias and the expiry; with the value read (its key
      // decrypted it), the expiry warns as before.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('by the alias alias/certctl-backup');
      expect(outcome?.description).toContain(
        'the imported key material of the key it points to now expires on 2026-12-05T12:00:00.000Z (ValidTo)',
      );
      expect(outcome?.observed).toMatchObject({ keyMaterialExpires: '2026-12-05T12:00:00.000Z' });
      expect(read?.status).toBe('WARNING');
    });
    it('passes keys.cmk: an alias of a customer-managed key can only ever point to customer-managed keys', () => {
      expect(keysCmkCheck.evaluate(aliased(), context)?.status).toBe('PASSED');
    });
  });

  it('keys.not-deleting: fails with the deletion date', () => {
    expect(
      keysNotDeletingCheck.evaluate(two({ deletionScheduled: new Date('2026-12-09T00:00:00Z') }), context),
    ).toEqual({
      status: 'FAILED',
      description: `The ${LABEL} is scheduled for deletion on 2026-12-09T00:00:00.000Z.`,
      observed: {
        items: 'ca-cert,ca-key',
        scheduledForDeletion: true,
        deletionDate: '2026-12-09T00:00:00.000Z',
      },
      required: { scheduledForDeletion: false, keyUsable: true },
    });
  });

  it('keys.not-deleting: fails naming what is wrong with the latest version', () => {
    // Prepare
    const version = (value: { state: string; scheduledDestroy?: Date }) =>
      keysNotDeletingCheck.evaluate(two({ latestVersion: { state: 'read', value } }), context);
    // Act
    const none = keysNotDeletingCheck.evaluate(
      two({ resource: GCP_RESOURCE, latestVersion: { state: 'read', value: { state: 'none' } } }),
      context,
    );
    const disabled = version({ state: 'DISABLED' });
    const destroying = version({ state: 'ENABLED', scheduledDestroy: new Date('2026-12-20T00:00:00Z') });
    // Assess
    expect(none).toEqual({
      status: 'FAILED',
      description: 'The secret projects/certctl-prod/secrets/ca (ca-cert, ca-key) has no version at all.',
      observed: { items: 'ca-cert,ca-key', latestVersionState: 'none' },
      required: { scheduledForDeletion: false, keyUsable: true, latestVersionState: 'ENABLED' },
      remediationText:
        "Add the value certctl runs with as a new version: `gcloud secrets versions add ca --project=certctl-prod --data-file='<file>'` (the file in its CERTCTL_*_PATH setting).",
    });
    expect(disabled?.description).toBe(`The ${LABEL} has its latest version DISABLED.`);
    expect(destroying?.description).toBe(
      `The ${LABEL} has its latest version scheduled for destruction on 2026-12-20T00:00:00.000Z.`,
    );
    expect(destroying?.status).toBe('FAILED');
  });

  it('keys.not-deleting: is not available for a latest-version state it does not know, still judging the key', () => {
    // Prepare: a state Secret Manager may add (or STATE_UNSPECIFIED): neither usable nor gone, as far as known.
    const latestVersion = { state: 'read' as const, value: { state: 'STATE_UNSPECIFIED' } };
    const deleting = { state: 'read' as const, value: [{ ...CMK, state: 'PendingDeletion' }] };
    // Act
    const alone = keysNotDeletingCheck.evaluate(two({ resource: GCP_RESOURCE, latestVersion }), context);
    const withKey = keysNotDeletingCheck.evaluate(two({ latestVersion, encryption: deleting }), context);
    // Assess
    expect(alone).toEqual({
      status: 'NOT_AVAILABLE',
      description:
        'Could not evaluate secret projects/certctl-prod/secrets/ca (ca-cert, ca-key): its latest version is STATE_UNSPECIFIED, a version state this audit does not know.',
      observed: {
        items: 'ca-cert,ca-key',
        scheduledForDeletion: false,
        latestVersionState: 'STATE_UNSPECIFIED',
      },
      required: { scheduledForDeletion: false, keyUsable: true, latestVersionState: 'ENABLED' },
    });
    expect(withKey?.status).toBe('FAILED');
    expect(withKey?.observed).toMatchObject({ keyState: 'PendingDeletion' });
  });

  it('keys.not-deleting: fails naming an unusable key and its deletion date', () => {
    // Prepare
    const encryption = {
      state: 'read' as const,
      value: [
        CMK,
        { ...CMK, id: 'k2', state: 'PendingDeletion', deletionDate: new Date('2026-12-30T00:00:00Z') },
      ],
    };
    // Act / Assess
    expect(keysNotDeletingCheck.evaluate(two({ encryption }), context)).toEqual({
      status: 'FAILED',
      description: `The KMS key k2 of the ${LABEL} is PendingDeletion (deletion on 2026-12-30T00:00:00.000Z): the backup cannot be decrypted.`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false, keyState: 'PendingDeletion' },
      required: { scheduledForDeletion: false, keyUsable: true },
      remediationText:
        "Cancel the key's deletion (`aws kms cancel-key-deletion --key-id k2`, which leaves it Disabled) and enable it (`aws kms enable-key --key-id k2`).",
    });
    const disabled = { state: 'read' as const, value: [{ ...CMK, state: 'Disabled' }] };
    expect(keysNotDeletingCheck.evaluate(two({ encryption: disabled }), context)?.description).toBe(
      `The KMS key ${CMK.id} of the ${LABEL} is Disabled: the backup cannot be decrypted.`,
    );
  });

  it('keys.not-deleting: fails a key that no longer exists, before what it could not read', () => {
    // Prepare: the primary's key is gone (DescribeKey NotFoundException); a replica's key is unread.
    const gone = {
      id: 'k2',
      manager: undefined,
      deleted: true,
      unreadReason: 'DescribeKey: NotFoundException',
    };
    const unread = { id: 'k3', manager: undefined, unreadReason: 'denied' };
    // Act
    const outcome = keysNotDeletingCheck.evaluate(
      two({ encryption: { state: 'read', value: [unread, gone] } }),
      context,
    );
    // Assess
    expect(outcome).toMatchObject({
      status: 'FAILED',
      description: `The KMS key k2 of the ${LABEL} does not exist (DescribeKey: NotFoundException), deleted with its key material: the backup cannot be decrypted.`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false, keyExists: false },
    });
    expect(outcome?.remediationText).toContain(
      "aws secretsmanager create-secret --name '<name>' --kms-key-id '<key>'",
    );
  });

  it('keys.not-deleting: names the key an alias points to in each KMS command, which takes no alias', () => {
    // CancelKeyDeletion, EnableKey, ImportKeyMaterial, GetParametersForImport: "Specify the key ID
    // or key ARN of the KMS key".
    const TARGET = 'arn:aws:kms:eu-west-1:111111111111:key/k2';
    const fixFor = (key: Partial<EncryptionKey>) =>
      keysNotDeletingCheck.evaluate(
        two({
          encryption: {
            state: 'read',
            value: [{ ...CMK, id: 'alias/certctl-backup', aliasTarget: TARGET, ...key }],
          },
        }),
        context,
      );
    const deleting = fixFor({ state: 'PendingDeletion' });
    expect(deleting?.description).toContain('alias/certctl-backup');
    expect(deleting?.remediationText).toBe(
      `Cancel the key's deletion (\`aws kms cancel-key-deletion --key-id ${TARGET}\`, which leaves it Disabled) and enable it (\`aws kms enable-key --key-id ${TARGET}\`).`,
    );
    expect(fixFor({ materialExpires: new Date('2026-12-01T00:00:00Z') })?.remediationText).toContain(
      `aws kms get-parameters-for-import --key-id ${TARGET}`,
    );
    // The target not sent: the alias is all there is to name (the reader looks the key up).
    expect(fixFor({ state: 'Disabled', aliasTarget: undefined })?.remediationText).toContain(
      'aws kms enable-key --key-id alias/certctl-backup',
    );
  });

  it('keys.not-deleting: names the fix an unusable KMS key state allows', () => {
    // Prepare
    const fixFor = (state: string) =>
      keysNotDeletingCheck.evaluate(
        two({ encryption: { state: 'read', value: [{ ...CMK, id: 'k2', state }] } }),
        context,
      )?.remediationText;
    // Act / Assess: cancelling a deletion leaves the key Disabled, so it is enabled too.
    expect(fixFor('PendingDeletion')).toBe(
      "Cancel the key's deletion (`aws kms cancel-key-deletion --key-id k2`, which leaves it Disabled) and enable it (`aws kms enable-key --key-id k2`).",
    );
    expect(fixFor('PendingReplicaDeletion')).toContain('aws kms cancel-key-deletion --key-id k2');
    expect(fixFor('Disabled')).toBe('Enable the key (`aws kms enable-key --key-id k2`).');
    expect(fixFor('Unavailable')).toBe(
      "Reconnect the key's custom key store (`aws kms connect-custom-key-store --custom-key-store-id '<its CustomKeyStoreId>'`).",
    );
    expect(fixFor('PendingImport')).toBe(
      "Import the key material again (`aws kms import-key-material --key-id k2 --import-token '<token>' --encrypted-key-material '<material>'`, both from `aws kms get-parameters-for-import --key-id k2`).",
    );
  });

  it('keys.not-deleting: names the region of the key in each fix command when it is known', () => {
    // Prepare: a replica's key, described in the replica's region (functions/aws/kms-keys.ts).
    const fixFor = (state: string) =>
      keysNotDeletingCheck.evaluate(
        two({ encryption: { state: 'read', value: [{ ...CMK, id: 'k2', state, region: 'us-east-2' }] } }),
        context,
      )?.remediationText;
    // Act / Assess: a command without it goes to the CLI's default region, where no such key is.
    expect(fixFor('PendingDeletion')).toBe(
      "Cancel the key's deletion (`aws kms cancel-key-deletion --key-id k2 --region us-east-2`, which leaves it Disabled) and enable it (`aws kms enable-key --key-id k2 --region us-east-2`).",
    );
    expect(fixFor('Disabled')).toBe('Enable the key (`aws kms enable-key --key-id k2 --region us-east-2`).');
    expect(fixFor('Unavailable')).toBe(
      "Reconnect the key's custom key store (`aws kms connect-custom-key-store --custom-key-store-id '<its CustomKeyStoreId>' --region us-east-2`).",
    );
    expect(fixFor('PendingImport')).toBe(
      "Import the key material again (`aws kms import-key-material --key-id k2 --import-token '<token>' --encrypted-key-material '<material>' --region us-east-2`, both from `aws kms get-parameters-for-import --key-id k2 --region us-east-2`).",
    );
  });

  it("keys.not-deleting: names the replica whose own region's key cannot decrypt it, not the whole backup", () => {
    // The primary's key is Enabled; the replica in us-east-1 is under its region's key, Disabled.
    const replicaKey = { ...CMK, id: 'replica-key', region: 'us-east-1', replicaRegion: 'us-east-1' };
    const outcome = (key: EncryptionKey) =>
      keysNotDeletingCheck.evaluate(two({ encryption: { state: 'read', value: [CMK, key] } }), context);
    expect(outcome({ ...replicaKey, state: 'Disabled' })).toMatchObject({
      status: 'FAILED',
      description: `The KMS key replica-key (us-east-1) of the replica in us-east-1 of the ${LABEL} is Disabled: that replica cannot be decrypted.`,
      observed: { keyState: 'Disabled', replicaRegion: 'us-east-1' },
      remediationText: 'Enable the key (`aws kms enable-key --key-id replica-key --region us-east-1`).',
    });
    expect(outcome({ ...replicaKey, state: undefined, manager: undefined, deleted: true })).toMatchObject({
      description: `The KMS key replica-key (us-east-1) of the replica in us-east-1 of the ${LABEL} does not exist (DescribeKey: NotFoundException), deleted with its key material: that replica cannot be decrypted.`,
      // The primary still decrypts: the replica is made again from it, not the secret anew.
      remediationText:
        "The key cannot be restored: re-create the replica under a usable key of us-east-1: remove the replica (`aws secretsmanager remove-regions-from-replication --secret-id certctl/ca --remove-replica-regions us-east-1 --region eu-west-1`) and add it again with the key (`aws secretsmanager replicate-secret-to-regions --secret-id certctl/ca --add-replica-regions Region=us-east-1,KmsKeyId='<key-arn>' --region eu-west-1`).",
    });
  });

  it('keys.not-deleting: judges a deleting key even when the latest version could not be read', () => {
    const encryption = { state: 'read' as const, value: [{ ...CMK, state: 'Unavailable' }] };
    const outcome = keysNotDeletingCheck.evaluate(two({ encryption, latestVersion: unknown }), context);
    expect(outcome?.status).toBe('FAILED');
  });

  it('keys.not-deleting: is not available when the latest version or the key could not be read', () => {
    expect(keysNotDeletingCheck.evaluate(two({ latestVersion: unknown }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: the latest version could not be read (AccessDeniedException).`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false },
      required: { scheduledForDeletion: false, keyUsable: true },
    });
    expect(keysNotDeletingCheck.evaluate(two({ encryption: unknown }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: its encryption key could not be read (AccessDeniedException).`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false },
      required: { scheduledForDeletion: false, keyUsable: true },
    });
  });

  it('keys.not-deleting: is not available naming an AWS key without a state, or a GCP key that could not be read', () => {
    // Prepare
    const stateless = { state: 'read' as const, value: [{ id: 'k', manager: 'CUSTOMER' as const }] };
    const unread = {
      state: 'read' as const,
      value: [{ id: 'k', manager: 'CUSTOMER' as const, unreadReason: 'denied' }],
    };
    // Act / Assess
    expect(keysNotDeletingCheck.evaluate(two({ encryption: stateless }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: its KMS key k could not be described (no state).`,
      observed: { items: 'ca-cert,ca-key', scheduledForDeletion: false },
      required: { scheduledForDeletion: false, keyUsable: true },
    });
    expect(
      keysNotDeletingCheck.evaluate(two({ encryption: unread, resource: GCP_RESOURCE }), context)
        ?.description,
    ).toContain('its Cloud KMS key k could not be read (denied)');
  });

  it('keys.not-deleting: passes a GCP secret with a provider key without naming Cloud KMS', () => {
    const encryption = {
      state: 'read' as const,
      value: [{ id: 'google-managed', manager: 'PROVIDER' as const }],
    };
    const outcome = keysNotDeletingCheck.evaluate(two({ encryption, resource: GCP_RESOURCE }), context);
    expect(outcome?.observed).toEqual({
      items: 'ca-cert,ca-key',
      scheduledForDeletion: false,
      keyUsable: true,
    });
  });

  it('keys.replicated: passes naming the regions in sync', () => {
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [
          { region: 'eu-west-1', status: 'InSync' },
          { region: 'us-east-1', status: 'InSync' },
          { region: 'eu-central-1', status: 'InSync' },
        ],
      },
    };
    expect(keysReplicatedCheck.evaluate(two({ replication }), context)).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} is replicated to us-east-1, eu-central-1, all in sync.`,
      observed: {
        items: 'ca-cert,ca-key',
        otherRegions: 'us-east-1,eu-central-1',
        replicaStatus: 'us-east-1=InSync,eu-central-1=InSync',
      },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
  });

  it('keys.replicated: judges a replica by its own status as its primary in another region reports it', () => {
    // Prepare: this is the replica in eu-west-1 of a secret whose primary is in us-east-1; its own
    // DescribeSecret says where the primary is, not whether this copy is in sync.
    const asReplica = (
      own: NonNullable<
        Extract<KeySecretFact['replication'], { state: 'read' }>['value'] & { kind: 'aws' }
      >['asReplica'],
    ) => ({
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'us-east-1',
        replicas: [],
        ...(own ? { asReplica: own } : {}),
      },
    });
    const judge = (own: Parameters<typeof asReplica>[0]) =>
      keysReplicatedCheck.evaluate(two({ replication: asReplica(own) }), context);

    // Act / Assess: in sync, as the primary says
    expect(judge({ state: 'read', value: { status: 'InSync' } })).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} is a replica of the secret in us-east-1, in sync with it as the primary reports.`,
      observed: { items: 'ca-cert,ca-key', otherRegions: 'us-east-1', replicaStatus: 'eu-west-1=InSync' },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
    // out of sync: this copy holds an older key than certctl runs with
    const failed = judge({ state: 'read', value: { status: 'Failed', statusMessage: 'KMS key disabled' } });
    expect(failed?.status).toBe('FAILED');
    expect(failed?.description).toContain('eu-west-1 (KMS key disabled)');
    expect(judge({ state: 'read', value: { status: 'InProgress' } })?.status).toBe('WARNING');
    // not proven: the primary unread, not read at all, or not listing this region
    const unread = judge({
      state: 'unknown',
      reason: 'DescribeSecret in us-east-1 failed: AccessDeniedException',
    });
    expect(unread?.status).toBe('NOT_AVAILABLE');
    expect(unread?.description).toContain('only the primary reports whether a replica is in sync');
    expect(unread?.description).toContain('AccessDeniedException');
    expect(judge(undefined)?.status).toBe('NOT_AVAILABLE');
    const unlisted = judge({ state: 'read', value: { status: undefined } });
    expect(unlisted?.status).toBe('NOT_AVAILABLE');
    expect(unlisted?.description).toContain('does not list eu-west-1 among its replicas');
  });

  it('keys.replicated: fails naming the only region', () => {
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [{ region: 'eu-west-1', status: 'InSync' }],
      },
    };
    expect(keysReplicatedCheck.evaluate(two({ replication }), context)).toEqual({
      status: 'FAILED',
      description: `The ${LABEL} exists in eu-west-1 only.`,
      observed: { items: 'ca-cert,ca-key', otherRegions: null },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
  });

  it('keys.replicated: without PrimaryRegion, judges the replicas listed, and is not available naming the field when none is elsewhere', () => {
    const replication = (replicas: { region: string; status: string }[]) => ({
      state: 'read' as const,
      value: { kind: 'aws' as const, primaryRegion: undefined, replicas },
    });
    // No replica elsewhere: the secret may itself be a replica of a secret in another region.
    const none = keysReplicatedCheck.evaluate(two({ replication: replication([]) }), context);
    expect(none).toMatchObject({
      status: 'NOT_AVAILABLE',
      observed: { items: 'ca-cert,ca-key', otherRegions: null },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
    expect(none?.description).toContain('PrimaryRegion');
    expect(none?.description).toContain('is itself a replica');
    // A replica listed in another region is a copy there whatever this secret's own role.
    const listed = keysReplicatedCheck.evaluate(
      two({ replication: replication([{ region: 'us-east-1', status: 'InSync' }]) }),
      context,
    );
    expect(listed).toMatchObject({ status: 'PASSED', observed: { otherRegions: 'us-east-1' } });
    const failed = keysReplicatedCheck.evaluate(
      two({ replication: replication([{ region: 'us-east-1', status: 'Failed' }]) }),
      context,
    );
    expect(failed?.status).toBe('FAILED');
  });

  it('keys.replicated: fails naming each failed replica, and does not evaluate pending ones beside one without Status', () => {
    // Prepare
    const replicas = (list: { region: string; status: string | undefined; statusMessage?: string }[]) => ({
      state: 'read' as const,
      value: { kind: 'aws' as const, primaryRegion: 'eu-west-1', replicas: list },
    });
    // Act
    const failed = keysReplicatedCheck.evaluate(
      two({
        replication: replicas([
          { region: 'us-east-1', status: 'Failed' },
          { region: 'us-west-2', status: 'InProgress' },
          { region: 'eu-central-1', status: 'Failed', statusMessage: 'KMS key disabled' },
        ]),
      }),
      context,
    );
    const pending = keysReplicatedCheck.evaluate(
      two({
        replication: replicas([
          { region: 'us-east-1', status: 'InSync' },
          { region: 'us-west-2', status: 'InProgress' },
          { region: 'ap-south-1', status: undefined },
        ]),
      }),
      context,
    );
    // Assess
    expect(failed).toEqual({
      status: 'FAILED',
      description: `The ${LABEL} has replicas out of sync: us-east-1 (Failed), eu-central-1 (KMS key disabled).`,
      observed: {
        items: 'ca-cert,ca-key',
        otherRegions: 'us-east-1,us-west-2,eu-central-1',
        replicaStatus: 'us-east-1=Failed,us-west-2=InProgress,eu-central-1=Failed',
      },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
    // A replica without Status may be Failed: beside one in progress it is not evaluated either,
    // never part of a WARNING (which readiness passes as GO).
    expect(pending).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: the replica in ap-south-1 reported no Status (ReplicationStatus without Status), so whether it is in sync is not known; the replica in us-west-2 is InProgress, not yet in sync.`,
      observed: {
        items: 'ca-cert,ca-key',
        otherRegions: 'us-east-1,us-west-2,ap-south-1',
        replicaStatus: 'us-east-1=InSync,us-west-2=InProgress,ap-south-1=unknown',
      },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
  });

  it('keys.replicated: is not available, never a warning, when a replica reported no Status and none is failed or pending', () => {
    // A value the API did not send is not evaluated: a replica without Status is not known to lag.
    const replication = {
      state: 'read' as const,
      value: {
        kind: 'aws' as const,
        primaryRegion: 'eu-west-1',
        replicas: [
          { region: 'us-east-1', status: 'InSync' },
          { region: 'ap-south-1', status: undefined },
        ],
      },
    };
    expect(keysReplicatedCheck.evaluate(two({ replication }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: the replica in ap-south-1 reported no Status (ReplicationStatus without Status), so whether it is in sync is not known.`,
      observed: {
        items: 'ca-cert,ca-key',
        otherRegions: 'us-east-1,ap-south-1',
        replicaStatus: 'us-east-1=InSync,ap-south-1=unknown',
      },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
  });

  it('keys.replicated: judges GCP replication by its kind and locations', () => {
    // Prepare
    const gcp = (value: NonNullable<Extract<KeySecretFact['replication'], { state: 'read' }>['value']>) =>
      keysReplicatedCheck.evaluate(
        two({ resource: GCP_RESOURCE, replication: { state: 'read', value } }),
        context,
      );
    const label = 'secret projects/certctl-prod/secrets/ca (ca-cert, ca-key)';
    const required = { replication: 'automatic or >= 2 locations' };
    // Act / Assess
    expect(gcp({ kind: 'gcp-automatic' })).toEqual({
      status: 'PASSED',
      description: `The ${label} uses automatic replication.`,
      observed: { items: 'ca-cert,ca-key', replication: 'automatic' },
      required,
    });
    expect(gcp({ kind: 'gcp-user-managed', locations: ['europe-west1', 'europe-west4'] })).toEqual({
      status: 'PASSED',
      description: `The ${label} is replicated to europe-west1, europe-west4.`,
      observed: {
        items: 'ca-cert,ca-key',
        replication: 'user-managed',
        locations: 'europe-west1,europe-west4',
      },
      required,
    });
    expect(gcp({ kind: 'gcp-user-managed', locations: ['europe-west1'] })?.description).toBe(
      `The ${label} is kept in europe-west1 only.`,
    );
    expect(gcp({ kind: 'gcp-user-managed', locations: [] })).toMatchObject({
      status: 'FAILED',
      description: `The ${label} is kept in no location only.`,
      observed: { items: 'ca-cert,ca-key', replication: 'user-managed', locations: '' },
      required,
    });
    expect(gcp({ kind: 'gcp-user-managed', locations: [] })?.remediationText).toContain(
      "--replication-policy=user-managed --locations='<location>,<other-location>'",
    );
  });

  it('keys.replicated: gives the commands of a new replicated GCP secret, as the locations of one cannot change', () => {
    // Prepare: user-managed replication in europe-west1 only. Secret Manager sets a secret's
    // replication when it is created ("The locations in the replication policy cannot be
    // updated"): no command changes it in place.
    const outcome = keysReplicatedCheck.evaluate(
      two({
        resource: GCP_RESOURCE,
        replication: { state: 'read', value: { kind: 'gcp-user-managed', locations: ['europe-west1'] } },
      }),
      context,
    );
    // Assess: before, no remediation of its own (the check's text, which gave no command).
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe(
      "Secret Manager cannot change where a secret is replicated (the locations are set when it is created), so the fix is a new secret: create it with automatic replication (`gcloud secrets create '<new-secret>' --project=certctl-prod --replication-policy=automatic`; under a customer-managed key add `--kms-key-name='<key-in-global>'`, a key in location global), or in two or more locations (`--replication-policy=user-managed --locations='europe-west1,<other-location>'` in place of `--replication-policy=automatic`; under customer-managed keys, `--replication-policy-file='<policy-file>'` naming each location's key instead); copy into it each version to keep, oldest first and the value certctl runs with last, as the latest version is the one added last (`gcloud secrets versions access '<version>' --secret=ca --project=certctl-prod --out-file='<file>'`, then `gcloud secrets versions add '<new-secret>' --project=certctl-prod --data-file='<file>'`, then delete the file); then point the backup and the policy's keys items at projects/certctl-prod/secrets/<new-secret>.",
    );
  });

  it('keys.replicated: gives the Cloud KMS commands for GCP copies whose key version cannot decrypt them', () => {
    // Prepare: automatic replication under one key version, DISABLED.
    const key = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
    const outcome = keysReplicatedCheck.evaluate(
      two({
        resource: GCP_RESOURCE,
        replication: { state: 'read', value: { kind: 'gcp-automatic' } },
        encryption: {
          state: 'read',
          value: [
            {
              id: key,
              manager: 'CUSTOMER',
              version: `${key}/cryptoKeyVersions/2`,
              state: 'DISABLED',
              keyPrimary: { version: `${key}/cryptoKeyVersions/2`, state: 'DISABLED' },
            },
          ],
        },
        latestVersion: { state: 'read', value: { state: 'ENABLED' } },
      }),
      context,
    );
    // Assess: before, the check's text ("Use automatic replication …"), which it already uses.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe(
      'Enable the key version: `gcloud kms keys versions enable 2 --key=backup --keyring=certctl --location=global --project=certctl-kms`.',
    );
  });

  it('keys.replicated: is not available naming the reason', () => {
    expect(keysReplicatedCheck.evaluate(two({ replication: unknown }), context)).toEqual({
      status: 'NOT_AVAILABLE',
      description: `Could not evaluate ${LABEL}: AccessDeniedException.`,
      observed: { items: 'ca-cert,ca-key' },
      required: { otherRegions: '>= 1', replicasInSync: true },
    });
  });

  it('keys.content: passes with every item observed', () => {
    const content: KeySecretFact['content'] = {
      state: 'read' as const,
      items: [
        { item: 'ca-cert', problems: [], observed: { certificateNotAfter: '2027-01-01' } },
        { item: 'ca-key', problems: [], observed: { keyType: 'EC' } },
      ],
    };
    expect(keysContentCheck.evaluate(two({ content }), context)).toEqual({
      status: 'PASSED',
      description: `The ${LABEL} holds parseable, unexpired key material.`,
      observed: { items: 'ca-cert,ca-key', certificateNotAfter: '2027-01-01', keyType: 'EC' },
      required: { parses: true, notExpired: true, keyMatchesCertificate: true },
    });
  });

  it('keys.content: claims no parsing nor expiry for a secret of opaque items, only that it is not empty', () => {
    // Opaque values (API keys, the config encryption key) are only checked to be non-empty.
    const items: KeySecretFact['items'] = [
      { id: 'api-keys', kind: 'opaque', source: 'CERTCTL_AUTH_SECRET / CERTCTL_API_KEYS_NAMED' },
    ];
    const content: KeySecretFact['content'] = {
      state: 'read' as const,
      items: [{ item: 'api-keys', problems: [], observed: {} }],
    };
    expect(keysContentCheck.evaluate(fact({ items, content }), context)).toEqual({
      status: 'PASSED',
      description:
        'The secret certctl/ca (api-keys) holds a non-empty value; its content is opaque, so nothing more is checked.',
      observed: { items: 'api-keys' },
      required: { notEmpty: true },
    });
  });

  it('keys.content: claims no expiry for a secret without certificates (a lone OCSP responder key)', () => {
    const items: KeySecretFact['items'] = [
      {
        id: 'ocsp-key.iss-local',
        kind: 'private-key',
        source: 'CERTCTL_OCSP_RESPONDER_KEY_DIR/ocsp-responder-iss-local.key',
      },
    ];
    const content: KeySecretFact['content'] = {
      state: 'read' as const,
      items: [{ item: 'ocsp-key.iss-local', problems: [], observed: { 'ocsp-key.iss-local.type': 'ec' } }],
    };
    expect(keysContentCheck.evaluate(fact({ items, content }), context)).toEqual({
      status: 'PASSED',
      description: 'The secret certctl/ca (ocsp-key.iss-local) holds parseable key material.',
      observed: { items: 'ocsp-key.iss-local', 'ocsp-key.iss-local.type': 'ec' },
      required: { parses: true },
    });
  });

  it('keys.content: claims only the pairings that were compared, and names those that were not', () => {
    // Prepare
    const content: KeySecretFact['content'] = {
      state: 'read' as const,
      items: [
        {
          item: 'ca-cert',
          problems: [],
          observed: {},
          proven: ['ca-cert is the CA certificate certctl serves now'],
        },
        { item: 'ca-key', problems: [], observed: {}, proven: ['ca-key matches ca-cert'] },
        {
          item: 'scep-ra-cert',
          problems: [],
          observed: {},
          unchecked: ["scep-ra-cert's signature by ca-cert (ca-cert is switched off in the inventory)"],
        },
        {
          item: 'scep-ra-cert.iot',
          problems: [],
          observed: {},
          unchecked: ["scep-ra-cert.iot's signature by ca-cert (ca-cert is switched off in the inventory)"],
        },
      ],
    };
    // Act / Assess
    expect(keysContentCheck.evaluate(two({ content }), context)?.description).toBe(
      `The ${LABEL} holds parseable, unexpired key material; ca-cert is the CA certificate certctl serves now; ca-key matches ca-cert; not checked: scep-ra-cert's signature by ca-cert (ca-cert is switched off in the inventory); scep-ra-cert.iot's signature by ca-cert (ca-cert is switched off in the inventory).`,
    );
  });

  it('keys.content: is not available naming the switched-off certificate a key was not compared with', () => {
    // Prepare
    const content: KeySecretFact['content'] = {
      state: 'read' as const,
      items: [
        {
          item: 'ca-key',
          problems: [
            {
              status: 'NOT_AVAILABLE',
              code: 'partner-off',
              detail: 'ca-key was not compared with a certificate: ca-cert is switched off in the inventory',
            },
          ],
          observed: { 'ca-key.type': 'rsa' },
        },
      ],
    };
    // Act
    const outcome = keysContentCheck.evaluate(two({ content }), context);
    // Assess
    expect(outcome).toEqual({
      status: 'NOT_AVAILABLE',
      description: `The ${LABEL}: ca-key was not compared with a certificate: ca-cert is switched off in the inventory.`,
      observed: { items: 'ca-cert,ca-key', 'ca-key.type': 'rsa', problems: 'partner-off' },
      required: { parses: true, notExpired: true, keyMatchesCertificate: true },
    });
    expect(outcome?.description).not.toMatch(/match(es)?\b(?! a certificate)/);
  });

  it('keys.content: reports the worst status with its problems first, then what else it could not check or warns about', () => {
    // Prepare
    const problem = (status: 'FAILED' | 'WARNING' | 'NOT_AVAILABLE', code: string) => ({
      status,
      code,
      detail: `${code} detail`,
    });
    const content = {
      state: 'read' as const,
      items: [
        { item: 'ca-cert', problems: [problem('NOT_AVAILABLE', 'a'), problem('FAILED', 'b')], observed: {} },
        { item: 'ca-key', problems: [problem('WARNING', 'c'), problem('FAILED', 'd')], observed: {} },
      ],
    };
    // Act / Assess
    expect(keysContentCheck.evaluate(two({ content }), context)).toEqual({
      status: 'FAILED',
      description: `The ${LABEL}: b detail; d detail. Could not check: a detail. Also: c detail.`,
      observed: { items: 'ca-cert,ca-key', problems: 'a,b,c,d' },
      required: { parses: true, notExpired: true, keyMatchesCertificate: true },
    });
    const warningFirst = {
      state: 'read' as const,
      items: [
        {
          item: 'ca-cert',
          problems: [problem('WARNING', 'w'), problem('NOT_AVAILABLE', 'n'), problem('WARNING', 'v')],
          observed: {},
        },
      ],
    };
    // A part that could not be evaluated outranks a warning: the run must not read as complete
    // (exit 0) while the comparison it could not make is hidden behind a warning.
    expect(keysContentCheck.evaluate(two({ content: warningFirst }), context)).toMatchObject({
      status: 'NOT_AVAILABLE',
      description: `The ${LABEL}: n detail. Also: w detail; v detail.`,
    });
    // The worst problem wins wherever it stands: first here, before a milder one.
    const failedFirst = {
      state: 'read' as const,
      items: [
        { item: 'ca-cert', problems: [problem('FAILED', 'f'), problem('NOT_AVAILABLE', 'n')], observed: {} },
      ],
    };
    expect(keysContentCheck.evaluate(two({ content: failedFirst }), context)).toMatchObject({
      status: 'FAILED',
      description: `The ${LABEL}: f detail. Could not check: n detail.`,
    });
  });

  it('keys.content: is not available saying the value was not read, or why it could not be', () => {
    expect(
      keysContentCheck.evaluate(two({ content: { state: 'not-inspected' } }), context)?.description,
    ).toBe(`Could not evaluate ${LABEL}: its value was not read.`);
    expect(keysContentCheck.evaluate(two({ content: unknown }), context)?.description).toBe(
      `Could not evaluate ${LABEL}: AccessDeniedException.`,
    );
  });
});

describe('keys trust edges', () => {
  it('keys.not-deleting: is not available when DescribeKey failed (the adapter leaves the manager unknown)', () => {
    // Prepare: what functions/aws/kms-keys.ts describeKmsKey returns when DescribeKey is denied.
    const encryption = {
      state: 'read' as const,
      value: [
        {
          id: 'arn:aws:kms:eu-west-1:222222222222:key/k',
          manager: undefined,
          unreadReason: 'DescribeKey failed: AccessDeniedException',
        },
      ],
    };
    // Act
    const outcome = keysNotDeletingCheck.evaluate(fact({ encryption }), context);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('AccessDeniedException');
  });
  it('keys.not-deleting: fails a KMS key waiting for its key material (PendingImport)', () => {
    const encryption = { state: 'read' as const, value: [{ ...CMK, state: 'PendingImport' }] };
    const outcome = keysNotDeletingCheck.evaluate(fact({ encryption }), context);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed.keyState).toBe('PendingImport');
  });
});

describe('GCP secret fix commands', () => {
  // A policy audits several projects (gcp.projects); gcloud falls back to its configured default
  // project for a secret named by its short name, so a fix that names no project adds a version to
  // (or enables one of) a same-named secret in whatever project the shell points at, or fails NOT_FOUND.
  const gcpSecret = (overrides: Partial<KeySecretFact>) =>
    fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-stage-2',
        region: 'global',
        type: 'GcpSecretManagerSecret',
        id: 'projects/certctl-stage-2/secrets/ca',
      },
      replication: { state: 'read', value: { kind: 'gcp-automatic' } },
      latestVersion: { state: 'read', value: { state: 'ENABLED' } },
      content: { state: 'not-inspected' },
      ...overrides,
    });
  const KEY = 'projects/certctl-kms/locations/global/keyRings/certctl/cryptoKeys/backup';
  /** Every `gcloud secrets …` command a text names. */
  const secretCommands = (text: string | undefined) =>
    [...(text ?? '').matchAll(/`(gcloud secrets [^`]*)`/g)].map((m) => m[1]);

  it('names the secret project in each gcloud secrets command a finding gives', () => {
    // Prepare: a destroyed key version (not-deleting), a latest version added before CMEK (cmk),
    // a latest version DISABLED and one DESTROYED (replicated).
    const destroyedKey = gcpSecret({
      encryption: {
        state: 'read',
        value: [{ id: KEY, manager: 'CUSTOMER', version: `${KEY}/cryptoKeyVersions/3`, state: 'DESTROYED' }],
      },
    });
    const beforeCmek = gcpSecret({
      encryption: { state: 'read', value: [{ id: 'google-managed', manager: 'PROVIDER', beforeCmek: KEY }] },
    });
    const disabled = gcpSecret({ latestVersion: { state: 'read', value: { state: 'DISABLED' } } });
    const destroyed = gcpSecret({ latestVersion: { state: 'read', value: { state: 'DESTROYED' } } });
    // Act
    const texts = [
      keysNotDeletingCheck.evaluate(destroyedKey, context)?.remediationText,
      keysCmkCheck.evaluate(beforeCmek, context)?.remediationText,
      keysReplicatedCheck.evaluate(disabled, context)?.remediationText,
      keysReplicatedCheck.evaluate(destroyed, context)?.remediationText,
    ];
    // Assess: one command each, every one naming the secret's own project.
    const commands = texts.map(secretCommands);
    expect(commands.map((each) => each.length)).toEqual([1, 1, 1, 1]);
    expect(commands.flat()).toEqual([
      "gcloud secrets versions add ca --project=certctl-stage-2 --data-file='<file>'",
      "gcloud secrets versions add ca --project=certctl-stage-2 --data-file='<file>'",
      "gcloud secrets versions enable '<version>' --secret=ca --project=certctl-stage-2",
      "gcloud secrets versions add ca --project=certctl-stage-2 --data-file='<file>'",
    ]);
  });
});
