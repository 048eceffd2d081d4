/**
 * kmsKeyDescriber against the simulator: a secret's key held in a central key account is described
 * with its key ARN, in the key's own Region, through the scope's credentials (KMS DescribeKey: "To
 * specify a KMS key in a different AWS account, you must use the key ARN or alias ARN",
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html); a call the key policy
 * refuses leaves the key unread, naming the permission.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import {
  isPerResourceError,
  kmsKeyDescriber,
  withUngrantedAccountNote,
} from '../../functions/aws/kms-keys.ts';
import { collectAwsKeyFacts } from '../../functions/aws/secrets-manager.ts';
import { keysCmkCheck } from '../../functions/checks/keys/cmk.ts';
import { keysNotDeletingCheck } from '../../functions/checks/keys/not-deleting.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const ACCOUNT = '111111111111';
const CENTRAL = '999999999999';
const SHARED = 'aaaaaaaa-0000-4000-8000-000000000001';
const PRIVATE = 'aaaaaaaa-0000-4000-8000-000000000002';
const SHARED_ARN = `arn:aws:kms:us-east-2:${CENTRAL}:key/${SHARED}`;
const PRIVATE_ARN = `arn:aws:kms:us-east-2:${CENTRAL}:key/${PRIVATE}`;
const BYOK = 'aaaaaaaa-0000-4000-8000-000000000003';
/** A central key an explicit deny in a service control policy keeps every caller from describing. */
const FENCED = 'aaaaaaaa-0000-4000-8000-000000000004';
const FENCED_ARN = `arn:aws:kms:us-east-2:${CENTRAL}:key/${FENCED}`;
/** A key of the audited account that no longer exists (deleted once its waiting period ended). */
const GONE_ARN = `arn:aws:kms:us-east-2:${ACCOUNT}:key/aaaaaaaa-0000-4000-8000-00000000dead`;
/** A key of the central account that no longer exists. */
const CENTRAL_GONE_ARN = `arn:aws:kms:us-east-2:${CENTRAL}:key/aaaaaaaa-0000-4000-8000-00000000beef`;

let sim: Sim;
let factory: AwsClientFactory;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }, { id: CENTRAL }],
      services: {
        secretsManager: {
          secrets: [
            { name: 'certctl/shared', region: 'us-east-2', kmsKeyId: SHARED_ARN, value: 'x' },
            { name: 'certctl/private', region: 'us-east-2', kmsKeyId: PRIVATE_ARN, value: 'x' },
            { name: 'certctl/orphan', region: 'us-east-2', kmsKeyId: GONE_ARN, value: 'x' },
            { name: 'certctl/central-orphan', region: 'us-east-2', kmsKeyId: CENTRAL_GONE_ARN, value: 'x' },
            { name: 'certctl/byok', region: 'us-east-2', kmsKeyId: `alias/certctl-byok`, value: 'x' },
          ],
        },
        kms: {
          keys: [
            // The central account's key policy lets the audited account describe this key only.
            { id: SHARED, account: CENTRAL, region: 'us-east-2', keyPolicyAccounts: [ACCOUNT] },
            { id: PRIVATE, account: CENTRAL, region: 'us-east-2' },
            {
              id: FENCED,
              account: CENTRAL,
              region: 'us-east-2',
              keyPolicyAccounts: [ACCOUNT],
              explicitDeny: 'service control policy',
            },
            // Imported key material that KMS deletes in 5 days (ValidTo).
            { id: BYOK, region: 'us-east-2', aliases: ['alias/certctl-byok'], validTo: '+5d' },
          ],
        },
      },
    },
  });
  factory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(ACCOUNT),
    endpoint: sim.endpoint,
  });
});

afterAll(async () => {
  factory.destroy();
  await sim.close();
});

describe('kmsKeyDescriber, a key in a central key account', () => {
  it('describes it with its ARN in its own Region through the scope’s credentials when its key policy allows', async () => {
    // Prepare
    sim.resetStats();
    const describe = kmsKeyDescriber((region) => factory.client(KMSClient, region));
    // Act: the secret is read in eu-west-1; the key ARN names us-east-2.
    const key = await describe(SHARED_ARN, 'eu-west-1');
    // Assess: the key says the region it was described in, the one a fix command must name.
    expect(key).toEqual({
      id: SHARED_ARN,
      manager: 'CUSTOMER',
      state: 'Enabled',
      deletionDate: undefined,
      region: 'us-east-2',
    });
    expect(sim.stats().byRegion).toEqual({ 'us-east-2': 1 });
  });
  it('leaves it unread, naming kms:DescribeKey and the key policy, when its key policy does not allow the call', async () => {
    // Act
    const key = await kmsKeyDescriber((region) => factory.client(KMSClient, region))(
      PRIVATE_ARN,
      'us-east-2',
    );
    // Assess: the refusal is recorded as a fact, not only in the reason's words.
    expect(key.manager).toBeUndefined();
    expect(key.state).toBeUndefined();
    expect(key.denied).toBe(true);
    expect(key.unreadReason).toBe(
      `DescribeKey was denied (AccessDeniedException): the role that made the call (the audit, readiness, snapshot or chat-action role) needs kms:DescribeKey on ${PRIVATE_ARN}, from its IAM policy and, for a key of another account, from the key policy`,
    );
  });
});

describe('kmsKeyDescriber, a key an explicit deny refuses', () => {
  it('leaves it unread saying what lifts the deny, not a grant, and not as a refusal a grant fixes', async () => {
    // Act
    const key = await kmsKeyDescriber((region) => factory.client(KMSClient, region))(FENCED_ARN, 'us-east-2');
    // The key's account is not listed: the note on ungranted accounts is for a grant, not for this.
    const noted = withUngrantedAccountNote(key, FENCED_ARN, ACCOUNT, []);
    // Assess: no allow overrides an explicit deny, so no grant is named; the caller's ARN is not quoted.
    expect(key.manager).toBeUndefined();
    expect(key.denied).toBeUndefined();
    expect(key.unreadReason).toBe(
      "DescribeKey was refused (AccessDeniedException): an explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it",
    );
    expect(noted.unreadReason).toBe(key.unreadReason);
    expect(key.unreadReason).not.toContain('needs kms:DescribeKey');
    expect(key.unreadReason).not.toContain('assumed-role');
    // What an audit finding about the key advises: what lifts the deny, for the role that called.
    expect(key.remedy).toBe(
      "An explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.",
    );
    expect(noted.remedy).toBe(key.remedy);
  });
});

describe('collectAwsKeyFacts, secrets under a central key account’s keys', () => {
  const policy = (kmsKeyAccounts: string[]) =>
    parsePolicy({
      aws: { regions: ['us-east-2'] },
      keys: {
        preset: 'none',
        kmsKeyAccounts,
        items: {
          shared: { kind: 'opaque', secret: 'certctl/shared', region: 'us-east-2', account: ACCOUNT },
          private: { kind: 'opaque', secret: 'certctl/private', region: 'us-east-2', account: ACCOUNT },
        },
      },
    });
  const collect = (kmsKeyAccounts: string[]) =>
    collectAwsKeyFacts({
      factory,
      account: { accountId: ACCOUNT },
      region: 'us-east-2',
      policy: policy(kmsKeyAccounts),
      now: () => new Date(),
    });

  it('passes keys.cmk for a central key its key policy lets the audited account describe', async () => {
    // Act
    const [shared] = await collect([CENTRAL]);
    // Assess
    expect(shared?.encryption).toEqual({
      state: 'read',
      value: [
        {
          id: SHARED_ARN,
          manager: 'CUSTOMER',
          state: 'Enabled',
          deletionDate: undefined,
          region: 'us-east-2',
        },
      ],
    });
    expect(
      shared && keysCmkCheck.evaluate(shared, { policy: policy([CENTRAL]), now: new Date() })?.status,
    ).toBe('PASSED');
  });
  it('is not available naming kms:DescribeKey, and keys.kmsKeyAccounts when the key’s account is not listed', async () => {
    // Act
    const [, listed] = await collect([CENTRAL]);
    const [, unlisted] = await collect([]);
    // Assess
    const reason = (fact: typeof listed) =>
      fact?.encryption.state === 'read' ? fact.encryption.value[0]?.unreadReason : undefined;
    expect(reason(listed)).toBe(
      `DescribeKey was denied (AccessDeniedException): the role that made the call (the audit, readiness, snapshot or chat-action role) needs kms:DescribeKey on ${PRIVATE_ARN}, from its IAM policy and, for a key of another account, from the key policy`,
    );
    expect(reason(unlisted)).toBe(
      `DescribeKey was denied (AccessDeniedException): the role that made the call (the audit, readiness, snapshot or chat-action role) needs kms:DescribeKey on ${PRIVATE_ARN}, from its IAM policy and, for a key of another account, from the key policy; the key is in account ${CENTRAL}, which keys.kmsKeyAccounts does not list, so the deployed roles are not granted it`,
    );
    expect(unlisted && keysCmkCheck.evaluate(unlisted, { policy: policy([]), now: new Date() })?.status).toBe(
      'NOT_AVAILABLE',
    );
  });

  it('gives keys.cmk and keys.not-deleting the fix of the refused DescribeKey, not the fix of a key that is no CMK', async () => {
    // Act
    const [, listed] = await collect([CENTRAL]);
    const [, unlisted] = await collect([]);
    const judged = (fact: typeof listed, accounts: string[]) =>
      [keysCmkCheck, keysNotDeletingCheck].map(
        (check) => fact && check.evaluate(fact, { policy: policy(accounts), now: new Date() }),
      );
    // Assess: before, keys.cmk said "Re-encrypt the secret with a customer-managed KMS key …" and
    // keys.not-deleting its own fix, for a key whose only problem known is that it could not be read.
    for (const outcome of judged(listed, [CENTRAL])) {
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.remediationText).toBe(
        `Grant the role that made the call (the audit, readiness, snapshot or chat-action role) kms:DescribeKey on ${PRIVATE_ARN}, from its IAM policy and, for a key of another account, from the key policy, then run the audit again.`,
      );
    }
    // The key's account is not listed: the deployed roles are granted no key of it.
    for (const outcome of judged(unlisted, [])) {
      expect(outcome?.remediationText).toBe(
        `List account ${CENTRAL} in keys.kmsKeyAccounts and deploy again, so that the deployed roles are granted kms:DescribeKey on its keys, and let the key policy of ${PRIVATE_ARN} allow the call, then run the audit again.`,
      );
    }
  });
});

describe('kmsKeyDescriber, a key that does not exist', () => {
  it('says a key id or key ARN DescribeKey does not find is deleted, and an alias it does not find only unread', async () => {
    // Prepare
    const describe = kmsKeyDescriber((region) => factory.client(KMSClient, region));
    // Act
    const key = await describe(GONE_ARN, 'us-east-2');
    const bareId = await describe('aaaaaaaa-0000-4000-8000-00000000dead', 'us-east-2');
    const alias = await describe('alias/certctl-gone', 'us-east-2');
    // Assess: the key and its material are gone; an alias that is gone says nothing of its key.
    expect(key).toEqual({
      id: GONE_ARN,
      manager: undefined,
      region: 'us-east-2',
      deleted: true,
      unreadReason: `DescribeKey: NotFoundException: the key ${GONE_ARN} does not exist (KMS deletes a key and its key material when its deletion waiting period ends)`,
    });
    expect(bareId).toMatchObject({ deleted: true, region: 'us-east-2' });
    expect(alias).toEqual({
      id: 'alias/certctl-gone',
      manager: undefined,
      region: 'us-east-2',
      unreadReason: 'DescribeKey failed: NotFoundException',
    });
  });
  it('fails keys.not-deleting and keys.cmk for a secret whose key no longer exists', async () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['us-east-2'] },
      keys: {
        preset: 'none',
        items: {
          orphan: { kind: 'opaque', secret: 'certctl/orphan', region: 'us-east-2', account: ACCOUNT },
        },
      },
    });
    // Act
    const [orphan] = await collectAwsKeyFacts({
      factory,
      account: { accountId: ACCOUNT },
      region: 'us-east-2',
      policy,
      now: () => new Date(),
    });
    const outcome = orphan && keysNotDeletingCheck.evaluate(orphan, { policy, now: new Date() });
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `The KMS key ${GONE_ARN} of the secret certctl/orphan (orphan) does not exist`,
    );
    // DescribeKey in the key's own account and Region answered NotFoundException (a refusal is
    // AccessDeniedException): keys.cmk judges the same key gone, not merely unread.
    const cmk = orphan && keysCmkCheck.evaluate(orphan, { policy, now: new Date() });
    expect(cmk?.status).toBe('FAILED');
    expect(cmk?.description).toContain('the secret can no longer be decrypted');
  });
});

describe('collectAwsKeyFacts, a key of an account keys.kmsKeyAccounts does not list', () => {
  it('does not blame the deployed roles for a key DescribeKey says does not exist', async () => {
    // Prepare: the secret's key is in the central account, not listed, and no longer exists. KMS
    // answers NotFoundException for a key that is gone (a refusal is AccessDeniedException): the
    // roles' grants are not why it is unread.
    const policy = parsePolicy({
      aws: { regions: ['us-east-2'] },
      keys: {
        preset: 'none',
        kmsKeyAccounts: [],
        items: {
          orphan: { kind: 'opaque', secret: 'certctl/central-orphan', region: 'us-east-2', account: ACCOUNT },
        },
      },
    });
    // Act
    const [orphan] = await collectAwsKeyFacts({
      factory,
      account: { accountId: ACCOUNT },
      region: 'us-east-2',
      policy,
      now: () => new Date(),
    });
    // Assess
    const key = orphan?.encryption.state === 'read' ? orphan.encryption.value[0] : undefined;
    expect(key).toMatchObject({ deleted: true });
    expect(key?.unreadReason).toBe(
      `DescribeKey: NotFoundException: the key ${CENTRAL_GONE_ARN} does not exist (KMS deletes a key and its key material when its deletion waiting period ends)`,
    );
  });
});

describe('collectAwsKeyFacts, a key of imported material that expires', () => {
  it('reads its ValidTo, and keys.not-deleting warns before KMS deletes the material', async () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['us-east-2'] },
      keys: {
        preset: 'none',
        items: { byok: { kind: 'opaque', secret: 'certctl/byok', region: 'us-east-2', account: ACCOUNT } },
      },
    });
    const now = new Date();
    // Act
    const [byok] = await collectAwsKeyFacts({
      factory,
      account: { accountId: ACCOUNT },
      region: 'us-east-2',
      policy,
      now: () => now,
    });
    // Assess
    const key = byok?.encryption.state === 'read' ? byok.encryption.value[0] : undefined;
    // The key the alias points to now, by its ARN (DescribeKey's KeyMetadata.Arn).
    expect(key).toMatchObject({
      id: 'alias/certctl-byok',
      state: 'Enabled',
      region: 'us-east-2',
      aliasTarget: `arn:aws:kms:us-east-2:${ACCOUNT}:key/${BYOK}`,
    });
    const daysLeft = ((key?.materialExpires?.getTime() ?? 0) - now.getTime()) / 86_400_000;
    // The simulator's clock is read on its own, a moment apart from the test's.
    expect(daysLeft).toBeCloseTo(5, 2);
    // Named by an alias and its value not read: which key encrypts it is not proven, so the
    // expiry is said within a finding not evaluated, never a WARNING readiness would pass as GO.
    const outcome = byok && keysNotDeletingCheck.evaluate(byok, { policy, now });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'the imported key material of the key it points to now expires on',
    );
    // Its value read in this run (the key decrypted it), the expiry warns.
    const read =
      byok &&
      keysNotDeletingCheck.evaluate({ ...byok, content: { state: 'read', items: [] } }, { policy, now });
    expect(read?.status).toBe('WARNING');
    expect(read?.description).toContain('The imported key material of the KMS key alias/certctl-byok');
  });
});

describe('withUngrantedAccountNote', () => {
  const OTHER_ARN = `arn:aws:kms:us-east-2:${CENTRAL}:key/${PRIVATE}`;
  it('notes the unlisted account of a key DescribeKey refused, whatever its reason says', () => {
    // Prepare: a refusal whose reason is worded otherwise than describeKmsKey words it today.
    const key = {
      id: OTHER_ARN,
      manager: undefined,
      denied: true,
      unreadReason: 'KMS refused DescribeKey',
    } as const;
    // Act
    const noted = withUngrantedAccountNote(key, OTHER_ARN, ACCOUNT, []);
    // Assess
    expect(noted.unreadReason).toBe(
      `KMS refused DescribeKey; the key is in account ${CENTRAL}, which keys.kmsKeyAccounts does not list, so the deployed roles are not granted it`,
    );
    expect(noted.denied).toBe(true);
  });
  it('does not blame a grant for a key not refused whose reason begins as a refusal’s does', () => {
    // Prepare: the words of a refusal, but DescribeKey was not refused (no `denied`).
    const key = {
      id: OTHER_ARN,
      manager: undefined,
      unreadReason: 'DescribeKey was denied (AccessDeniedException), then answered NotFoundException',
    };
    // Act
    const noted = withUngrantedAccountNote(key, OTHER_ARN, ACCOUNT, []);
    // Assess
    expect(noted).toBe(key);
  });
});

describe('isPerResourceError', () => {
  const sdkError = (name: string, httpStatusCode: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
  it('answers for the caller, not the resource, for every throttling code core/errors.ts knows', () => {
    // Act / Assess: a throttled call says nothing of the key or secret asked about.
    for (const code of [
      'ThrottlingException',
      'Throttling',
      'RequestLimitExceeded',
      'TooManyRequestsException',
      'RequestThrottled',
    ]) {
      expect(isPerResourceError(sdkError(code, 400)), code).toBe(false);
    }
    expect(isPerResourceError(sdkError('TooManyRequestsException', 429))).toBe(false);
    // HTTP 429 is throttling even when the body sent no code the list knows.
    expect(isPerResourceError(sdkError('UnknownError', 429))).toBe(false);
  });
  it('answers for the caller, not the resource, for a 4xx that timed out', () => {
    // Act / Assess: S3's RequestTimeout (400) and a RequestTimeoutException (408) say the call did
    // not finish in time, nothing of the key or secret asked about; core/errors.ts counts them as
    // passing failures (`unreachable`), as it counts throttling.
    expect(isPerResourceError(sdkError('RequestTimeout', 400))).toBe(false);
    expect(isPerResourceError(sdkError('RequestTimeoutException', 408))).toBe(false);
  });
  it('answers for the resource for its refusal or its state, and for the caller for its credentials', () => {
    // Act / Assess
    expect(isPerResourceError(sdkError('AccessDeniedException', 400))).toBe(true);
    expect(isPerResourceError(sdkError('NotFoundException', 400))).toBe(true);
    expect(isPerResourceError(sdkError('InvalidClientTokenId', 403))).toBe(false);
  });
});
