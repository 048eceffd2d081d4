/**
 * The S3 dumps adapter end to end: the real S3 client (through the one client factory) against the
 * simulator, the fact it builds, and what the dumps checks make of it.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import {
  isCustomerManagedKey,
  readS3DumpFact,
  type S3DumpLocation,
  S3KeyManagers,
  s3DumpsCollector,
} from '../../functions/aws/s3-dumps.ts';
import { dumpsFreshCheck } from '../../functions/checks/dumps/fresh.ts';
import { dumpsIntegrityCheck } from '../../functions/checks/dumps/integrity.ts';
import { dumpsProtectionCheck } from '../../functions/checks/dumps/protection.ts';
import { dumpsRetentionCheck } from '../../functions/checks/dumps/retention.ts';
import type { DumpFact } from '../../functions/core/dump-facts.ts';
import { dumpsPolicySchema } from '../../functions/core/dumps-policy.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import {
  CHECKSUMMED_CONTENTS,
  DUMP_FIXTURE,
  NOW,
  type S3AnswerHold,
  type S3RequestEvent,
  S3RequestRecorder,
  simS3Client,
} from '../sim/s3-support.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { SimService } from '../sim/service.ts';
import type { S3BucketScenario } from '../sim/services/s3.ts';

const ACCOUNT = '111111111111';
/** A customer-managed key, the account's AWS-managed aws/s3 key, and a key of another account. */
const CMK_ID = '5c1a9e2b-7d34-4f0e-9a61-2b8c3d4e5f60';
const CMK_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${CMK_ID}`;
const AWS_S3_KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4`;
const FOREIGN_KEY_ARN = 'arn:aws:kms:eu-west-1:999999999999:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** A customer-managed key of the account scheduled for deletion. */
const DELETING_CMK_ID = '7f3e2d1c-0b9a-4867-a564-3f2e1d0c9b8a';
const DELETING_CMK_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${DELETING_CMK_ID}`;
/** A key ARN of the account that KMS no longer has: deleted once its waiting period ended. */
const GONE_KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a`;
/** Customer-managed keys of imported material (Origin EXTERNAL): expired a day ago (still read Enabled), expiring in 5 days. */
const EXPIRED_CMK_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d`;
const EXPIRING_CMK_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2e`;
const KMS_KEYS = [
  { id: CMK_ID, region: 'eu-west-1', aliases: ['alias/certctl-dumps'] },
  {
    id: '9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4',
    region: 'eu-west-1',
    manager: 'AWS',
    aliases: ['alias/aws/s3'],
  },
  { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', account: '999999999999', region: 'eu-west-1' },
  { id: DELETING_CMK_ID, region: 'eu-west-1', state: 'PendingDeletion', deletionDate: '+7d' },
  { id: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d', region: 'eu-west-1', validTo: '-1d' },
  { id: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2e', region: 'eu-west-1', validTo: '+5d' },
];
const HEALTHY: S3BucketScenario = {
  name: 'certctl-dumps',
  region: 'eu-west-1',
  versioning: 'Enabled',
  objectLock: { defaultRetention: { mode: 'COMPLIANCE', days: 35 } },
  lifecycle: [
    { id: 'expire-dumps', prefix: 'prod/', expirationDays: 35, noncurrentDays: 35 },
    { id: 'other-prefix', prefix: 'tmp/', expirationDays: 1 },
    { id: 'disabled', status: 'Disabled', expirationDays: 2 },
  ],
  publicAccessBlock: {
    blockPublicAcls: true,
    ignorePublicAcls: true,
    blockPublicPolicy: true,
    restrictPublicBuckets: true,
  },
  encryption: { algorithm: 'aws:kms', kmsKeyId: CMK_ARN },
  series: [{ keyPrefix: 'prod/certctl-', count: 35, newest: '-8h20m', fixture: DUMP_FIXTURE }],
};

let sim: Sim;
let factory: AwsClientFactory;

beforeAll(async () => {
  sim = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        kms: { keys: KMS_KEYS },
        s3: {
          buckets: [
            HEALTHY,
            ...(
              [
                ['certctl-dumps-aws-key', AWS_S3_KEY_ARN],
                ['certctl-dumps-aws-alias', `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/aws/s3`],
                ['certctl-dumps-foreign-key', FOREIGN_KEY_ARN],
                ['certctl-dumps-key-id', CMK_ID],
                ['certctl-dumps-key-alias', 'alias/certctl-dumps'],
                ['certctl-dumps-deleting-key', DELETING_CMK_ARN],
                ['certctl-dumps-gone-key', GONE_KEY_ARN],
                ['certctl-dumps-expired-material', EXPIRED_CMK_ARN],
              ] as const
            ).map(([name, kmsKeyId]) => ({
              ...HEALTHY,
              name,
              encryption: { algorithm: 'aws:kms' as const, kmsKeyId },
            })),
            // The default names the CMK by its alias, but the dumps were written while the alias
            // pointed to a key now pending deletion (S3 keeps an object under the key used at PUT).
            {
              ...HEALTHY,
              name: 'certctl-dumps-alias-moved',
              encryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/certctl-dumps' },
              uploadEncryption: { algorithm: 'aws:kms', kmsKeyId: DELETING_CMK_ID },
            },
            // The default names the CMK by its alias, and no dump is there to say which key encrypts them.
            {
              ...HEALTHY,
              name: 'certctl-dumps-alias-empty',
              encryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/certctl-dumps' },
              series: [],
            },
            // The default is the CMK, but the dump job uploads with its own encryption header.
            { ...HEALTHY, name: 'certctl-dumps-sse-s3-upload', uploadEncryption: { algorithm: 'AES256' } },
            {
              ...HEALTHY,
              name: 'certctl-dumps-other-key-upload',
              uploadEncryption: { algorithm: 'aws:kms', kmsKeyId: DELETING_CMK_ARN },
            },
            {
              ...HEALTHY,
              name: 'certctl-dumps-expiring-material-upload',
              uploadEncryption: { algorithm: 'aws:kms', kmsKeyId: EXPIRING_CMK_ARN },
            },
            // The default keeps dumps 35 days in COMPLIANCE, but the dump job uploads with its own 7-day lock.
            {
              ...HEALTHY,
              name: 'certctl-dumps-short-upload-lock',
              versioning: undefined,
              uploadRetention: { mode: 'COMPLIANCE', days: 7 },
            },
            // Versioning off; the dumps carry a legal hold beside their own 7-day lock.
            {
              ...HEALTHY,
              name: 'certctl-dumps-legal-hold',
              versioning: undefined,
              uploadRetention: { mode: 'COMPLIANCE', days: 7 },
              legalHold: 'ON',
            },
            // The default is the CMK, but the dump job uploads with a customer-provided key (SSE-C).
            { ...HEALTHY, name: 'certctl-dumps-sse-c-upload', uploadEncryption: { algorithm: 'SSE-C' } },
            // In us-east-2 although the policy says eu-west-1; nothing configured; one cut dump.
            {
              name: 'certctl-dumps-bare',
              region: 'us-east-2',
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 5,
                  newest: '-40h',
                  fixture: DUMP_FIXTURE,
                  truncated: [0],
                },
              ],
            },
            // In Cape Town (an opt-in region) although the policy says eu-west-1: S3 answers 400
            // IllegalLocationConstraintException, not 301, with the bucket's region.
            {
              ...HEALTHY,
              name: 'certctl-dumps-cape-town',
              region: 'af-south-1',
              encryption: { algorithm: 'AES256' },
            },
            // The newest dump is an empty object (a failed `pg_dump | aws s3 cp -` uploads 0 bytes).
            {
              name: 'certctl-dumps-empty-newest',
              region: 'eu-west-1',
              series: [
                {
                  keyPrefix: 'prod/certctl-',
                  count: 5,
                  newest: '-2h',
                  fixture: DUMP_FIXTURE,
                  truncated: [0],
                  truncatedBytes: 0,
                },
              ],
            },
            // The job writes a checksum after each dump; the console's "Create folder" left a
            // placeholder 90 days ago; the last run's dump never came, its checksum did.
            {
              ...HEALTHY,
              name: 'certctl-dumps-sidecars',
              ...CHECKSUMMED_CONTENTS,
            },
            // A GovCloud bucket: its ARN is in the aws-us-gov partition.
            {
              name: 'certctl-dumps-gov',
              region: 'us-gov-west-1',
              series: [{ keyPrefix: 'prod/certctl-', count: 3, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
            // A lifecycle transition archived every dump (DEEP_ARCHIVE): GetObject is refused until a restore.
            { ...HEALTHY, name: 'certctl-dumps-archived', storageClass: 'DEEP_ARCHIVE' },
            // Intelligent-Tiering moved the dumps to its Deep Archive Access tier (opted in).
            {
              ...HEALTHY,
              name: 'certctl-dumps-tiered',
              storageClass: 'INTELLIGENT_TIERING',
              accessTier: 'DEEP_ARCHIVE_ACCESS',
            },
            // Archived, and uploaded with SSE-S3 under the CMK default.
            {
              ...HEALTHY,
              name: 'certctl-dumps-archived-sse-s3-upload',
              storageClass: 'DEEP_ARCHIVE',
              uploadEncryption: { algorithm: 'AES256' },
            },
            // Archived, uploaded with its own 7-day lock under the 35-day default, versioning off.
            {
              ...HEALTHY,
              name: 'certctl-dumps-archived-short-lock',
              storageClass: 'GLACIER',
              versioning: undefined,
              uploadRetention: { mode: 'COMPLIANCE', days: 7 },
            },
            // In us-east-2 although the policy says eu-west-1, under the CMK: the audit role's
            // kms:Decrypt through S3 covers the policy's region only, so the ranged reads are refused.
            {
              ...HEALTHY,
              name: 'certctl-dumps-moved-kms',
              region: 'us-east-2',
              kmsDecrypt: { viaRegions: ['eu-west-1'] },
            },
            // Where the policy says, but KMS refuses the decrypt and S3 says only "Access Denied".
            {
              ...HEALTHY,
              name: 'certctl-dumps-kms-denied-generic',
              kmsDecrypt: { viaRegions: [], message: 'generic' },
            },
            // GetObject alone refused with a bare "Access Denied", HeadObject answered, and the dump
            // is SSE-S3: KMS has no part in the refusal.
            {
              ...HEALTHY,
              name: 'certctl-dumps-get-denied-sse-s3',
              uploadEncryption: { algorithm: 'AES256' },
              getObjectDenied: true,
            },
            // The bucket policy denies the audit role s3:GetObject: a Deny no grant overrides.
            {
              ...HEALTHY,
              name: 'certctl-dumps-policy-denies-get',
              getObjectExplicitDeny: 'resource-based policy',
            },
            // Every settings read and the listing refused with S3's newer message, which names the
            // caller's ARN, the IAM action and the resource.
            {
              ...HEALTHY,
              name: 'certctl-dumps-denied-detailed',
              denied: [
                'GetBucketVersioning',
                'GetObjectLockConfiguration',
                'GetBucketLifecycleConfiguration',
                'GetPublicAccessBlock',
                'GetBucketEncryption',
                'ListObjectsV2',
              ],
              deniedMessage: 'detailed',
            },
            // s3:GetObject refused with the newer message (HeadObject, the same action, too).
            {
              ...HEALTHY,
              name: 'certctl-dumps-get-denied-detailed',
              denied: ['GetObject'],
              deniedMessage: 'detailed',
            },
            {
              name: 'certctl-dumps-locked-down',
              region: 'eu-west-1',
              denied: [
                'GetBucketVersioning',
                'GetObjectLockConfiguration',
                'GetObject',
                'GetPublicAccessBlock',
              ],
              series: [{ keyPrefix: 'prod/certctl-', count: 3, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
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

function location(bucket: string, prefix = 'prod/'): S3DumpLocation {
  return { bucket, prefix, account: ACCOUNT, region: 'eu-west-1' };
}

async function read(
  bucket: string,
  maxObjectsListed = 1000,
  keyManagers = new S3KeyManagers((region) => factory.client(KMSClient, region)),
): Promise<DumpFact> {
  return readS3DumpFact({
    clientFor: (region) => factory.client(S3Client, region),
    location: location(bucket),
    maxObjectsListed,
    keyManagers,
  });
}

const settings = { dumps: dumpsPolicySchema.parse({}), minPitrDays: 30, now: NOW };

describe('readS3DumpFact of an SSE-KMS dump whose decrypt KMS refuses', () => {
  it('says the bucket is in another region than the policy says, and names the kms:Decrypt grant the header read lacks there', async () => {
    // Act: the bucket is in us-east-2, the policy (and so the audit's kms:Decrypt grant) says eu-west-1.
    const fact = await read('certctl-dumps-moved-kms');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    const fresh = dumpsFreshCheck.evaluate(fact, settings);
    // Assess: before, the fact did not say where the policy placed the bucket, and both findings
    // said only "AccessDenied (HTTP 403): …" followed by the bucket owner condition, which S3 had
    // already passed (it asks KMS only for a bucket the owner condition let through).
    expect(fact.resource.region).toBe('us-east-2');
    expect(fact.policyRegion).toBe('eu-west-1');
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', denied: 'kms' });
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(fresh?.status).toBe('NOT_AVAILABLE');
    for (const outcome of [integrity, fresh]) {
      expect(outcome?.description).toContain(
        "KMS refused S3 the decrypt: the audit role needs kms:Decrypt on the bucket's key through S3 in us-east-2 (kms:ViaService s3.us-east-2.amazonaws.com), which its grant does not cover: it follows dumps.locations, which places the bucket in eu-west-1",
      );
      expect(outcome?.description).not.toContain('S3 refuses a bucket that account');
    }
  });

  it('tells a plain "Access Denied" of an SSE-KMS dump to be KMS\'s from one HeadObject, and judges its encryption from it', async () => {
    // Prepare
    sim.resetStats();
    // Act
    const fact = await read('certctl-dumps-kms-denied-generic');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    const protection = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: HeadObject needs the same s3:GetObject but no decrypt; it answered, so KMS refused.
    expect(fact.policyRegion).toBeUndefined();
    expect(sim.stats().byOperation['s3:HeadObject']).toBe(1);
    expect(fact.newest?.header).toMatchObject({
      state: 'unknown',
      denied: 'kms',
      metadata: { state: 'read' },
    });
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.description).toContain(
      "KMS refused S3 the decrypt (HeadObject, which needs the same s3:GetObject but no decrypt, was answered): the audit role needs kms:Decrypt on the bucket's key through S3 in eu-west-1 (kms:ViaService s3.eu-west-1.amazonaws.com), and the key policy must allow it",
    );
    // Before, NOT_AVAILABLE: how the dump is encrypted was unread, though HeadObject answers it.
    expect(fact.newest?.encryption).toMatchObject({ kmsKey: CMK_ARN, customerManagedKey: true });
    expect(protection?.status).toBe('PASSED');
  });

  it('never blames KMS for a plain "Access Denied" of a dump HeadObject shows to be SSE-S3', async () => {
    // Act: HeadObject answers, but with ServerSideEncryption AES256: S3 asks KMS nothing for it.
    const fact = await read('certctl-dumps-get-denied-sse-s3');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess: before, `denied: 'kms'`, and the finding named a kms:Decrypt grant that cannot be the cause.
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', denied: 'unattributed' });
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.description).not.toContain('KMS refused S3 the decrypt');
    expect(integrity?.description).toContain(
      'S3 answers AccessDenied both to a role without s3:GetObject on the object and when KMS refuses it the decrypt of an SSE-KMS object',
    );
  });

  it('names both grants a plain "Access Denied" may lack when HeadObject is refused too, never failing the dump', async () => {
    // Act: s3:GetObject itself is denied, so HeadObject is as well.
    const fact = await read('certctl-dumps-locked-down');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess
    expect(fact.newest?.header).toMatchObject({
      state: 'unknown',
      denied: 'unattributed',
      metadata: { state: 'unknown' },
    });
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.description).toContain(
      "S3 answers AccessDenied both to a role without s3:GetObject on the object and when KMS refuses it the decrypt of an SSE-KMS object: the audit role needs s3:GetObject on certctl-dumps-locked-down/prod/*, and kms:Decrypt on the bucket's key through S3 in eu-west-1 (kms:ViaService s3.eu-west-1.amazonaws.com)",
    );
  });
});

describe("readS3DumpFact of reads refused with S3's message that names the caller", () => {
  /** The role session S3's newer AccessDenied message names (test/sim/services/s3.ts). */
  const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/audit/session`;
  const checks = [dumpsFreshCheck, dumpsRetentionCheck, dumpsIntegrityCheck, dumpsProtectionCheck];

  it('names the permission each refused settings read and the listing need, never the caller', async () => {
    // Act
    const fact = await read('certctl-dumps-denied-detailed');
    const outcomes = checks.map((check) => check.evaluate(fact, settings));
    // Assess: before, each reason quoted S3's message: "AccessDenied (HTTP 403): User:
    // arn:aws:sts::111111111111:assumed-role/audit/session is not authorized to perform: …".
    const bucket = 'certctl-dumps-denied-detailed';
    expect(fact.versioning).toEqual({
      state: 'unknown',
      reason: `AccessDenied (HTTP 403): the audit role needs s3:GetBucketVersioning on the bucket ${bucket} (S3 refuses a bucket that account ${ACCOUNT}, the owner the policy names, does not own, as it refuses a role without the permission)`,
    });
    const needs = (action: string) =>
      `AccessDenied (HTTP 403): the audit role needs ${action} on the bucket ${bucket}`;
    expect(fact.retentionLock).toMatchObject({
      reason: expect.stringContaining(needs('s3:GetBucketObjectLockConfiguration')),
    });
    expect(fact.lifecycle).toMatchObject({
      reason: expect.stringContaining(needs('s3:GetLifecycleConfiguration')),
    });
    expect(fact.publicAccess).toMatchObject({
      reason: expect.stringContaining(needs('s3:GetBucketPublicAccessBlock')),
    });
    expect(fact.encryption).toMatchObject({
      reason: expect.stringContaining(needs('s3:GetEncryptionConfiguration')),
    });
    expect(fact.listing).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining(`${needs('s3:ListBucket')} (prefix prod/)`),
    });
    for (const outcome of outcomes) expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcomes[3]?.description).toContain(`versioning (${needs('s3:GetBucketVersioning')}`);
    const said = JSON.stringify([fact, outcomes]);
    expect(said).not.toContain(CALLER);
    expect(said).not.toContain('assumed-role');
  });

  it('quotes no caller in a refused GetObject, whose finding still names both grants', async () => {
    // Act
    const fact = await read('certctl-dumps-get-denied-detailed');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', denied: 'unattributed' });
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.description).toContain('s3:GetObject');
    expect(integrity?.description).toContain(
      'the audit role needs s3:GetObject on certctl-dumps-get-denied-detailed/prod/*, and kms:Decrypt',
    );
    expect(JSON.stringify([fact, integrity])).not.toContain('assumed-role');
  });

  it("quotes no caller when S3's refusal of an SSE-KMS dump names kms:Decrypt", async () => {
    // Act: the simulator's kms:Decrypt refusal names the caller's ARN, as S3 does.
    const fact = await read('certctl-dumps-moved-kms');
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess: the action is still named, the caller is not.
    expect(integrity?.description).toContain('kms:Decrypt');
    expect(JSON.stringify([fact, integrity])).not.toContain(CALLER);
  });
});

describe('readS3DumpFact of a dump an explicit deny keeps from being read', () => {
  it('says what lifts a bucket policy’s deny, names no grant, and quotes no caller ARN', async () => {
    // Act
    const fact = await read('certctl-dumps-policy-denies-get');
    const findings = [dumpsIntegrityCheck, dumpsFreshCheck].map((check) => check.evaluate(fact, settings));
    // Assess: before, `denied: 'unattributed'`, and the findings asked for s3:GetObject and kms:Decrypt.
    expect(fact.newest?.header).toMatchObject({ state: 'unknown' });
    expect(fact.newest?.header).not.toHaveProperty('denied');
    expect(findings[0]?.status).toBe('NOT_AVAILABLE');
    for (const finding of findings) {
      const text = `${finding?.description} ${finding?.remediationText ?? ''}`;
      expect(text).toContain(
        'an explicit deny in a resource-based policy refuses the call: a grant to the audit role cannot override it; ask the owner of the resource to exempt the role in its policy (the bucket, key or secret policy)',
      );
      expect(text).not.toContain('needs s3:GetObject');
      expect(text).not.toContain('grant the read');
      expect(text).not.toContain('assumed-role');
      expect(text).not.toContain('bucket owner');
    }
  });
});

describe('readS3DumpFact of dumps an archive storage class holds', () => {
  it('says the newest dump is archived, not that its read was denied', async () => {
    // Act
    const fact = await read('certctl-dumps-archived');
    const fresh = dumpsFreshCheck.evaluate(fact, settings);
    const integrity = dumpsIntegrityCheck.evaluate(fact, settings);
    // Assess: nothing is proven from bytes S3 serves only after a restore.
    expect(fresh?.status).toBe('NOT_AVAILABLE');
    expect(integrity?.status).toBe('NOT_AVAILABLE');
    // Before, both said only "InvalidObjectState (HTTP 403): The operation is not valid for the
    // object's storage class", and fresh told the owner to grant the read.
    for (const outcome of [fresh, integrity]) {
      expect(outcome?.description).toContain(
        'it is archived in storage class DEEP_ARCHIVE, whose bytes S3 serves only after a restore (RestoreObject)',
      );
    }
    expect(fresh?.description).not.toContain('grant the read');
    // No setting makes an unread object a dump: the `suffix` names dumps, it proves none.
    expect(fresh?.description).not.toContain("set the location's `suffix`");
    expect(fresh?.description).toContain('so nothing shows it is a dump');
  });
});

describe('readS3DumpFact of an archived newest dump: its encryption and Object Lock from one HeadObject', () => {
  it('reads them with one HeadObject beside the two refused GetObjects, and passes protection under the CMK default', async () => {
    // Prepare
    sim.resetStats();
    // Act
    const fact = await read('certctl-dumps-archived');
    // Assess: before, protection was NOT_AVAILABLE on every run (how the dump is encrypted unread).
    const calls = sim.stats().byOperation;
    expect(calls['s3:GetObject']).toBe(2);
    expect(calls['s3:HeadObject']).toBe(1);
    expect(fact.newest?.header).toMatchObject({
      state: 'unknown',
      archived: 'DEEP_ARCHIVE',
      metadata: { state: 'read' },
    });
    expect(fact.newest?.encryption).toMatchObject({
      algorithm: 'aws:kms',
      kmsKey: CMK_ARN,
      customerManagedKey: true,
    });
    expect(fact.newest?.objectLock?.mode).toBe('COMPLIANCE');
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
  });

  it('reads them with one HeadObject for a dump in an Intelligent-Tiering archive access tier too', async () => {
    sim.resetStats();
    const fact = await read('certctl-dumps-tiered');
    expect(sim.stats().byOperation['s3:HeadObject']).toBe(1);
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.description).toContain(
      'it is archived in storage class INTELLIGENT_TIERING access tier DEEP_ARCHIVE_ACCESS',
    );
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
  });

  it('sends the HeadObject under the same bucket owner condition as the reads', async () => {
    // Prepare: record what each HEAD request carries.
    const heads: Record<string, string>[] = [];
    const client = simS3Client(sim, 'eu-west-1', 'path', ACCOUNT);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method?: string; headers?: Record<string, string> };
        if (request.method === 'HEAD') heads.push({ ...request.headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordHeads' },
    );
    // Act
    const fact = await readS3DumpFact({
      clientFor: () => client,
      location: location('certctl-dumps-archived'),
      maxObjectsListed: 1000,
    });
    client.destroy();
    // Assess
    expect(heads).toHaveLength(1);
    expect(heads[0]?.['x-amz-expected-bucket-owner']).toBe(ACCOUNT);
    expect(fact.newest?.encryption?.algorithm).toBe('aws:kms');
  });

  it('warns that the archived dump was uploaded with SSE-S3 under the customer-managed default', async () => {
    const fact = await read('certctl-dumps-archived-sse-s3-upload');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'the newest dump prod/certctl-34.dump is encrypted with SSE-S3 (AES256), not a customer-managed KMS key: its upload overrides the bucket default',
    );
  });

  it('fails on the archived dump’s own 7-day retention, not the 35-day default', async () => {
    const fact = await read('certctl-dumps-archived-short-lock');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'the Object Lock retention of the newest dump prod/certctl-34.dump keeps it only 7 days (30 required) and versioning is off',
    );
    // fresh and integrity still say the bytes are archived.
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.description).toContain(
      'it is archived in storage class GLACIER',
    );
  });

  it('words a refused HeadObject, which has no body, as access denied naming s3:GetObject on the object, never "Unknown"', async () => {
    // Act: s3:GetObject is denied, so the HEAD after the refused GET is answered 403 without a body.
    const fact = await read('certctl-dumps-locked-down');
    // Assess: before, the SDK's name for a bodiless 403: 'Unknown (HTTP 403): UnknownError'.
    const key = fact.newest?.object.key;
    const header = fact.newest?.header;
    const metadata = header?.state === 'unknown' ? header.metadata : undefined;
    expect(metadata).toEqual({
      state: 'unknown',
      reason: `AccessDenied (HTTP 403): the audit role needs s3:GetObject on arn:aws:s3:::certctl-dumps-locked-down/${key} (HeadObject needs it; S3 sends no reason with a HEAD answer) (S3 refuses a bucket that account ${ACCOUNT}, the owner the policy names, does not own, as it refuses a role without the permission)`,
    });
  });

  it('words a HeadObject answered 404 as the object not found, never "Unknown"', async () => {
    // Prepare: the archived dump's GET is refused (InvalidObjectState); its HEAD is sent for a key
    // the bucket does not hold, as when the object was deleted between the listing and the HEAD.
    const client = simS3Client(sim, 'eu-west-1', 'path', ACCOUNT);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { path?: string };
        if (context.commandName === 'HeadObjectCommand' && typeof request.path === 'string')
          request.path = `${request.path}.gone`;
        return next(args);
      },
      { step: 'build', name: 'headAGoneKey' },
    );
    // Act
    const fact = await readS3DumpFact({
      clientFor: () => client,
      location: location('certctl-dumps-archived'),
      maxObjectsListed: 1000,
      keyManagers: new S3KeyManagers((region) => factory.client(KMSClient, region)),
    });
    client.destroy();
    // Assess
    const key = fact.newest?.object.key;
    const header = fact.newest?.header;
    const metadata = header?.state === 'unknown' ? header.metadata : undefined;
    expect(metadata).toEqual({
      state: 'unknown',
      reason: `NotFound (HTTP 404): S3 found no object s3://certctl-dumps-archived/${key} (deleted since it was listed)`,
    });
  });

  it('sends one HeadObject when the read was denied, to tell a missing s3:GetObject (which refuses it too) from a refused decrypt', async () => {
    sim.resetStats();
    const fact = await read('certctl-dumps-locked-down');
    expect(sim.stats().byOperation['s3:HeadObject']).toBe(1);
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', metadata: { state: 'unknown' } });
    expect(fact.newest?.encryption).toBeUndefined();
  });
});

describe('readS3DumpFact', () => {
  it("names the bucket's ARN in the partition of the bucket's region", async () => {
    // Act
    const fact = await read('certctl-dumps-gov');
    // Assess
    expect(fact.resource).toMatchObject({
      region: 'us-gov-west-1',
      arn: 'arn:aws-us-gov:s3:::certctl-dumps-gov',
    });
  });

  it('builds the full fact with the header parsed when the bucket is healthy', async () => {
    // Act
    const fact = await read('certctl-dumps');
    // Assess
    expect(fact.resource).toEqual({
      provider: 'aws',
      account: ACCOUNT,
      region: 'eu-west-1',
      type: 'AwsS3Bucket',
      id: 'certctl-dumps/prod/',
      arn: 'arn:aws:s3:::certctl-dumps',
    });
    expect(fact.listing).toMatchObject({ state: 'read', complete: true });
    expect(fact.listing.state === 'read' && fact.listing.objects).toHaveLength(35);
    expect(fact.newest?.object).toEqual({
      key: 'prod/certctl-34.dump',
      size: 6451,
      lastModified: new Date('2026-12-02T03:40:00.000Z'),
    });
    expect(fact.newest?.header).toMatchObject({ state: 'read', bytesRead: 1024, result: { kind: 'header' } });
    expect(fact.newest?.tail).toEqual({
      state: 'read',
      bytes: new Uint8Array(readFileSync(DUMP_FIXTURE).subarray(-64)),
    });
    expect(fact.versioning).toEqual({ state: 'read', value: { status: 'Enabled' } });
    expect(fact.retentionLock).toEqual({
      state: 'read',
      value: { mode: 'COMPLIANCE', days: 35, locked: true },
    });
    expect(fact.lifecycle).toEqual({
      state: 'read',
      value: [
        {
          id: 'expire-dumps',
          expirationDays: 35,
          expirationDate: undefined,
          noncurrentExpirationDays: 35,
          prefix: 'prod/',
        },
      ],
    });
    expect(fact.publicAccess).toMatchObject({ state: 'read', value: { blocked: true } });
    expect(fact.encryption).toEqual({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: CMK_ARN,
        customerManagedKey: true,
        keyState: 'Enabled',
      },
    });
  });

  it('passes every dumps check when the bucket is healthy', async () => {
    const fact = await read('certctl-dumps');
    const statuses = [dumpsFreshCheck, dumpsRetentionCheck, dumpsIntegrityCheck, dumpsProtectionCheck].map(
      (check) => check.evaluate(fact, settings)?.status,
    );
    expect(statuses).toEqual(['PASSED', 'PASSED', 'PASSED', 'PASSED']);
  });

  it('makes one listing call and two ranged GetObjects, 1 KiB of header and 64 bytes of tail, when the series fits one page', async () => {
    // Prepare
    sim.resetStats();
    // Act
    const fact = await read('certctl-dumps');
    // Assess
    const calls = sim.stats().byOperation;
    expect(calls['s3:ListObjectsV2']).toBe(1);
    expect(calls['s3:GetObject']).toBe(2);
    // The object is 6451 bytes: 1024 and 64 read mean both GETs were ranged.
    expect(fact.newest?.header).toMatchObject({ state: 'read', bytesRead: 1024 });
    expect(fact.newest?.tail.state === 'read' && fact.newest.tail.bytes.length).toBe(64);
  });

  it('follows the redirect to the bucket region and reads "absent" settings when nothing is configured', async () => {
    // Act
    const fact = await read('certctl-dumps-bare');
    // Assess
    expect(fact.resource.region).toBe('us-east-2');
    expect(fact.versioning).toEqual({ state: 'absent' });
    expect(fact.retentionLock).toEqual({ state: 'absent' });
    expect(fact.lifecycle).toEqual({ state: 'absent' });
    expect(fact.publicAccess).toEqual({ state: 'absent' });
    expect(fact.encryption).toEqual({
      state: 'read',
      value: { algorithm: 'AES256', kmsKey: undefined, customerManagedKey: false },
    });
    expect(fact.newest?.header).toMatchObject({ state: 'read', bytesRead: 1024 });
  });

  it('follows the 400 IllegalLocationConstraintException of a bucket in an opt-in region to that region', async () => {
    // Act
    const fact = await read('certctl-dumps-cape-town');
    // Assess: before, every call failed with IllegalLocationConstraintException (all four checks
    // NOT_AVAILABLE), though S3 named the bucket's region as it does with a 301.
    expect(fact.resource.region).toBe('af-south-1');
    expect(fact.listing).toMatchObject({ state: 'read', complete: true });
    expect(fact.versioning).toEqual({ state: 'read', value: { status: 'Enabled' } });
    expect(fact.newest?.header).toMatchObject({ state: 'read', bytesRead: 1024 });
  });

  it('judges a bare bucket with a stale, cut newest dump as failed', async () => {
    const fact = await read('certctl-dumps-bare');
    expect(dumpsFreshCheck.evaluate(fact, settings)?.status).toBe('FAILED');
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.status).toBe('FAILED');
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('FAILED');
  });

  it('fails integrity saying the newest dump is empty when the ranged GET of an empty object answers 416', async () => {
    // Act
    const fact = await read('certctl-dumps-empty-newest');
    // Assess
    expect(fact.newest?.header).toMatchObject({
      state: 'read',
      result: { kind: 'not-pg-dump', looksLike: 'empty' },
      bytesRead: 0,
    });
    // The suffix range of the empty object: 200 with no bytes.
    expect(fact.newest?.tail).toEqual({ state: 'read', bytes: new Uint8Array() });
    const outcome = dumpsIntegrityCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('prod/certctl-4.dump is empty');
  });

  it('keeps denied settings unknown, never absent, when calls are denied', async () => {
    // Act
    const fact = await read('certctl-dumps-locked-down');
    // Assess
    expect(fact.versioning).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('AccessDenied'),
    });
    expect(fact.retentionLock.state).toBe('unknown');
    expect(fact.publicAccess.state).toBe('unknown');
    expect(fact.newest?.header).toMatchObject({ state: 'unknown' });
    expect(dumpsIntegrityCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });

  it("lists only the keys with the location's suffix as the series, never a folder placeholder, and fresh sees the missing dump", async () => {
    // Prepare
    const withSuffix = (suffix?: string) =>
      readS3DumpFact({
        clientFor: (region) => factory.client(S3Client, region),
        location: { ...location('certctl-dumps-sidecars'), ...(suffix ? { suffix } : {}) },
        maxObjectsListed: 1000,
      });
    // Act
    const [named, unnamed] = await Promise.all([withSuffix('.dump'), withSuffix()]);
    // Assess: with the suffix, the 35 dumps; the newest is 32 h old, past 24 h + 6 h.
    const keys = (fact: DumpFact) =>
      fact.listing.state === 'read' ? fact.listing.objects.map((o) => o.key) : [];
    expect(keys(named)).toHaveLength(35);
    expect(keys(named).every((key) => key.endsWith('.dump'))).toBe(true);
    expect(named.location).toMatchObject({ suffix: '.dump' });
    expect(dumpsFreshCheck.evaluate(named, settings)?.status).toBe('FAILED');
    expect(dumpsIntegrityCheck.evaluate(named, settings)?.status).toBe('PASSED');
    // Without it, the checksums count but the placeholder does not; the newest object, a checksum
    // read as no pg_dump archive, proves no dump, and the newest dump before it is 32 h old.
    expect(keys(unnamed)).toHaveLength(71);
    expect(keys(unnamed)).not.toContain('prod/');
    // The bytes read are the newest dump's, not the newer checksum's (before, its 64 bytes were).
    expect(unnamed.newest?.object.key).toBe('prod/certctl-34.dump');
    const integrity = dumpsIntegrityCheck.evaluate(unnamed, settings);
    expect(integrity?.status).toBe('PASSED');
    expect(integrity?.observed).toMatchObject({ key: 'prod/certctl-34.dump', newerChecksums: 2 });
    expect(integrity?.description).toContain(
      'The 2 newer objects (the newest prod/certctl-35.dump.sha256) are, by their keys, checksums, signatures or logs beside listed dumps or of dumps not listed, not dumps, so they were not read',
    );
    expect(dumpsFreshCheck.evaluate(unnamed, settings)).toMatchObject({
      status: 'FAILED',
      observed: { newestKey: 'prod/certctl-34.dump', newestAgeHours: 32 },
    });
    expect(dumpsFreshCheck.evaluate(unnamed, settings)?.description).toContain('`suffix`');
  });

  it("takes the location's suffix from the policy when the collector reads it", async () => {
    // Act
    const facts = (await s3DumpsCollector({
      factory,
      account: { accountId: ACCOUNT },
      region: 'eu-west-1',
      policy: parsePolicy({
        aws: { regions: ['eu-west-1'] },
        dumps: {
          locations: [
            {
              provider: 'aws',
              bucket: 'certctl-dumps-sidecars',
              prefix: 'prod/',
              suffix: '.dump',
              account: ACCOUNT,
              region: 'eu-west-1',
            },
          ],
        },
      }),
      now: () => NOW,
    })) as DumpFact[];
    // Assess
    const [fact] = facts;
    expect(fact?.location).toMatchObject({ suffix: '.dump' });
    expect(fact?.listing.state === 'read' && fact.listing.objects).toHaveLength(35);
  });

  it('stops listing at maxObjectsListed and says the listing is incomplete', async () => {
    // Act
    const fact = await read('certctl-dumps', 10);
    // Assess
    expect(fact.listing).toMatchObject({ state: 'read', complete: false });
    expect(fact.listing.state === 'read' && fact.listing.objects).toHaveLength(10);
  });

  it('reads the bucket as absent, and fails dumps.fresh and dumps.retention, when S3 answers NoSuchBucket', async () => {
    // Act
    const fact = await read('no-such-bucket');
    // Assess: before, every dumps check was NOT_AVAILABLE ('the listing failed (NoSuchBucket …)').
    expect(fact.listing).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('NoSuchBucket'),
      bucketAbsent: true,
    });
    const fresh = dumpsFreshCheck.evaluate(fact, settings);
    expect(fresh?.status).toBe('FAILED');
    expect(fresh?.description).toContain(
      's3://no-such-bucket/prod/ holds no dump: the bucket does not exist',
    );
    expect(dumpsRetentionCheck.evaluate(fact, settings)?.status).toBe('FAILED');
  });

  it('builds the same fact when the client addresses the bucket virtual-hosted-style', async () => {
    const fact = await readS3DumpFact({
      clientFor: (region) => simS3Client(sim, region, 'virtual-host', ACCOUNT),
      location: location('certctl-dumps'),
      maxObjectsListed: 1000,
    });
    expect(fact.newest?.object.key).toBe('prod/certctl-34.dump');
    expect(fact.newest?.header).toMatchObject({ state: 'read', result: { kind: 'header' } });
  });
});

describe("the newest dump's own Object Lock retention", () => {
  it('reads the retention the newest dump was uploaded with, and protection fails when it is shorter than the policy under a longer default', async () => {
    // Act
    const fact = await read('certctl-dumps-short-upload-lock');
    // Assess: the bucket default keeps dumps 35 days, this dump's own lock ends 7 days after it was written.
    expect(fact.retentionLock).toMatchObject({ state: 'read', value: { days: 35, locked: true } });
    const written = fact.newest?.object.lastModified;
    expect(written).toBeDefined();
    expect(fact.newest?.objectLock).toEqual({
      mode: 'COMPLIANCE',
      retainUntil: new Date((written?.getTime() ?? 0) + 7 * 86_400_000),
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'the Object Lock retention of the newest dump prod/certctl-34.dump keeps it only 7 days (30 required)',
    );
  });
});

describe("the newest dump's legal hold", () => {
  it('reads the legal hold GetObject answers for the newest dump, which keeps protection failing on its short lock', async () => {
    // Act
    const fact = await read('certctl-dumps-legal-hold');
    // Assess: before, x-amz-object-lock-legal-hold was not read. A hold sets no period: the 7-day
    // lock still fails.
    expect(fact.newest?.holds).toEqual({ legal: true });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
  });

  it('keeps no legal hold for a dump S3 sent none for', async () => {
    const fact = await read('certctl-dumps-short-upload-lock');
    expect(fact.newest?.holds).toBeUndefined();
  });
});

describe('a newest dump encrypted with a customer-provided key (SSE-C)', () => {
  it('says the dump is encrypted with a key the audit does not hold, never "grant the read", and protection does not credit the CMK default', async () => {
    // Act
    const fact = await read('certctl-dumps-sse-c-upload');
    // Assess
    expect(fact.newest?.header).toMatchObject({ state: 'unknown', customerKey: true });
    const protection = dumpsProtectionCheck.evaluate(fact, settings);
    expect(protection?.status).toBe('WARNING');
    expect(protection?.description).toContain(
      'the newest dump prod/certctl-34.dump is encrypted with a customer-provided key (SSE-C), not the bucket default',
    );
    for (const check of [dumpsFreshCheck, dumpsIntegrityCheck]) {
      const outcome = check.evaluate(fact, settings);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('encrypted with a customer-provided key (SSE-C)');
      expect(outcome?.description).not.toContain('grant the read');
    }
  });
});

describe('the default encryption key', () => {
  it.each([
    ['SSE-S3', 'AES256', undefined, false],
    ['aws:kms without a key (aws/s3)', 'aws:kms', undefined, false],
    ['the aws/s3 alias name', 'aws:kms', 'alias/aws/s3', false],
    ['the aws/s3 alias ARN', 'aws:kms', 'arn:aws:kms:eu-west-1:111111111111:alias/aws/s3', false],
    ['a key ARN, which may be the aws/s3 key', 'aws:kms', CMK_ARN, undefined],
    ['a key id', 'aws:kms:dsse', CMK_ID, undefined],
    ['another alias', 'aws:kms', 'alias/certctl-dumps', undefined],
    [
      'another AWS-managed alias name (the aws/ prefix is reserved to them)',
      'aws:kms',
      'alias/aws/ebs',
      false,
    ],
    ['another AWS-managed alias ARN', 'aws:kms', 'arn:aws:kms:eu-west-1:111111111111:alias/aws/ebs', false],
    ['a customer alias ending in aws/s3', 'aws:kms', 'alias/team/aws/s3', undefined],
    ['a customer alias starting like aws', 'aws:kms', 'alias/aws-s3', undefined],
    ['no algorithm', undefined, undefined, undefined],
  ])('decides from the name alone only what the name proves: %s', (_, algorithm, key, expected) => {
    expect(isCustomerManagedKey(algorithm, key)).toBe(expected);
  });

  it('reads the AWS-managed aws/s3 key named by its key ARN as not customer-managed, and protection warns', async () => {
    // Act
    const fact = await read('certctl-dumps-aws-key');
    // Assess
    expect(fact.encryption).toEqual({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: AWS_S3_KEY_ARN,
        customerManagedKey: false,
        keyState: 'Enabled',
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('WARNING');
    // DescribeKey says who manages a key, not which alias names it: AWS-managed, not "aws/s3".
    expect(outcome?.description).toContain(`an AWS-managed KMS key (${AWS_S3_KEY_ARN})`);
    expect(outcome?.description).not.toContain('aws/s3');
  });

  it('leaves a customer alias unclassified, never AWS-managed, when KMS is not asked', async () => {
    // Act
    const fact = await readS3DumpFact({
      clientFor: (region) => factory.client(S3Client, region),
      location: location('certctl-dumps-key-alias'),
      maxObjectsListed: 1000,
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: { kmsKey: 'alias/certctl-dumps', customerManagedKey: undefined },
    });
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('whether the KMS key alias/certctl-dumps is customer-managed');
    expect(outcome?.description).not.toContain('AWS-managed');
  });

  it('reads a default key named by an alias with the key it points to now, and protection passes on the newest dump under that key (S3 answers its ARN)', async () => {
    // Act
    const fact = await read('certctl-dumps-key-alias');
    // Assess
    expect(fact.encryption).toEqual({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: 'alias/certctl-dumps',
        aliasTarget: CMK_ARN,
        customerManagedKey: true,
        keyState: 'Enabled',
      },
    });
    expect(fact.newest?.encryption?.kmsKey).toBe(CMK_ARN);
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
  });

  it('fails on the key the dumps were written under when the alias the default names has moved to another key', async () => {
    // Act
    const fact = await read('certctl-dumps-alias-moved');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key ${DELETING_CMK_ARN} that encrypts the dumps is scheduled for deletion`,
    );
  });

  it('is NOT_AVAILABLE when the default names an alias and no dump says which key encrypts the dumps', async () => {
    // Act
    const fact = await read('certctl-dumps-alias-empty');
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: the alias's key now (Enabled) may not be the one the dumps were written under.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      `the bucket default names the alias alias/certctl-dumps, which points to ${CMK_ARN} (Enabled) now`,
    );
  });

  it.each([
    ['its key ARN', 'certctl-dumps', CMK_ARN],
    ['its key id, in the bucket region', 'certctl-dumps-key-id', CMK_ID],
  ])(
    'reads a customer-managed key named by %s as customer-managed, and protection passes',
    async (_, bucket, key) => {
      // Act
      const fact = await read(bucket);
      // Assess
      expect(fact.encryption).toEqual({
        state: 'read',
        value: { algorithm: 'aws:kms', kmsKey: key, customerManagedKey: true, keyState: 'Enabled' },
      });
      expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
    },
  );

  it('reads the state of a customer-managed key, and protection fails when the key is scheduled for deletion', async () => {
    // Act
    const fact = await read('certctl-dumps-deleting-key');
    // Assess: once the key is deleted no dump in the bucket can be decrypted.
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: DELETING_CMK_ARN,
        customerManagedKey: true,
        keyState: 'PendingDeletion',
        keyDeletionDate: new Date(NOW.getTime() + 7 * 24 * 3_600_000),
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key ${DELETING_CMK_ARN} that encrypts the dumps is scheduled for deletion`,
    );
  });

  it('reads when the imported material of the default key expired, and protection fails: KMS deleted it', async () => {
    // Act
    const fact = await read('certctl-dumps-expired-material');
    // Assess: DescribeKey still says Enabled, but its ValidTo has passed.
    const expires = new Date(NOW.getTime() - 24 * 3_600_000);
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: {
        kmsKey: EXPIRED_CMK_ARN,
        customerManagedKey: true,
        keyState: 'Enabled',
        keyMaterialExpires: expires,
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the imported key material of the KMS key ${EXPIRED_CMK_ARN} that encrypts the dumps expired on ${expires.toISOString()} (ValidTo): KMS deletes it then, and no dump it encrypts can be decrypted until the same material is imported again`,
    );
    expect(outcome?.remediationText).toContain(
      `aws kms import-key-material --key-id ${EXPIRED_CMK_ARN} --import-token '<token>' --encrypted-key-material '<material>' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1`,
    );
  });

  it("reads when the imported material of the newest dump's own key expires, and protection warns within the horizon", async () => {
    // Act
    const fact = await read('certctl-dumps-expiring-material-upload');
    // Assess
    const expires = new Date(NOW.getTime() + 5 * 24 * 3_600_000);
    expect(fact.newest?.encryption).toMatchObject({ kmsKey: EXPIRING_CMK_ARN, keyMaterialExpires: expires });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      `the imported key material of the KMS key ${EXPIRING_CMK_ARN} that encrypts the dumps expires on ${expires.toISOString()} (ValidTo, in 5 days)`,
    );
    expect(outcome?.remediationText).toContain('--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE');
  });

  it('reads a default key KMS no longer finds as deleted, and protection fails: no dump it encrypts can be decrypted', async () => {
    // Act
    const fact = await read('certctl-dumps-gone-key');
    // Assess: not "whether the key is customer-managed" (unknown), but a key that is gone.
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: { algorithm: 'aws:kms', kmsKey: GONE_KEY_ARN, customerManagedKey: undefined, keyDeleted: true },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key ${GONE_KEY_ARN} that encrypts the dumps does not exist (DescribeKey: NotFoundException), deleted with its key material: no dump it encrypts can be decrypted`,
    );
    expect(outcome?.description).not.toContain('customer-managed (');
  });

  it('reads the encryption the newest dump was uploaded with, and protection warns when SSE-S3 overrides the CMK default', async () => {
    // Act
    const fact = await read('certctl-dumps-sse-s3-upload');
    // Assess: the bucket default is the CMK, but the dumps themselves are SSE-S3.
    expect(fact.encryption).toMatchObject({ state: 'read', value: { customerManagedKey: true } });
    expect(fact.newest?.encryption).toEqual({
      algorithm: 'AES256',
      kmsKey: undefined,
      customerManagedKey: false,
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'the newest dump prod/certctl-34.dump is encrypted with SSE-S3 (AES256), not a customer-managed KMS key',
    );
  });

  it('judges the key the newest dump was uploaded with when it is not the default key', async () => {
    // Act
    const fact = await read('certctl-dumps-other-key-upload');
    // Assess
    expect(fact.newest?.encryption).toMatchObject({
      algorithm: 'aws:kms',
      kmsKey: DELETING_CMK_ARN,
      customerManagedKey: true,
      keyState: 'PendingDeletion',
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `the KMS key ${DELETING_CMK_ARN} that encrypts the dumps is scheduled for deletion`,
    );
  });

  it('keeps the key unknown, naming the DescribeKey failure, and protection not available, when DescribeKey is denied', async () => {
    // Act
    const fact = await read('certctl-dumps-foreign-key');
    // Assess
    expect(fact.encryption).toMatchObject({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: FOREIGN_KEY_ARN,
        customerManagedKey: undefined,
        keyManagerUnknown: expect.stringContaining('AccessDeniedException'),
      },
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(`whether the KMS key ${FOREIGN_KEY_ARN} is customer-managed`);
    // A key of another account: say so, and why its ARN alone proves nothing.
    expect(outcome?.description).toContain(
      `the key is in account 999999999999, not the audited account ${ACCOUNT}, so its ARN does not tell who manages it (another account's aws/s3 key is named the same way and answers DescribeKey only to that account) nor whether it is enabled; this audit describes keys of the dump buckets' accounts only`,
    );
  });

  it('keeps a named key unknown, never customer-managed, when the read has no KMS access', async () => {
    // Act
    const fact = await readS3DumpFact({
      clientFor: (region) => factory.client(S3Client, region),
      location: location('certctl-dumps'),
      maxObjectsListed: 1000,
    });
    // Assess
    expect(fact.encryption).toMatchObject({ state: 'read', value: { customerManagedKey: undefined } });
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('NOT_AVAILABLE');
  });

  it('reads the aws/s3 alias ARN as AWS-managed without calling KMS', async () => {
    // Prepare
    sim.resetStats();
    // Act
    const fact = await read('certctl-dumps-aws-alias');
    // Assess: the one DescribeKey is the newest dump's key, which S3 names by its key ARN.
    expect(fact.encryption).toEqual({
      state: 'read',
      value: {
        algorithm: 'aws:kms',
        kmsKey: `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/aws/s3`,
        customerManagedKey: false,
      },
    });
    expect(fact.newest?.encryption).toMatchObject({ kmsKey: AWS_S3_KEY_ARN, customerManagedKey: false });
    expect(sim.stats().byOperation['kms:DescribeKey']).toBe(1);
  });

  it('reads the newest dump as encrypted by the default key, without describing it again, when S3 names that key by its ARN', async () => {
    // Prepare: the default names the key by its id; GetObject names it by its ARN.
    sim.resetStats();
    // Act
    const fact = await read('certctl-dumps-key-id');
    // Assess
    expect(fact.encryption.state === 'read' && fact.newest?.encryption).toEqual(
      fact.encryption.state === 'read' ? fact.encryption.value : undefined,
    );
    expect(sim.stats().byOperation['kms:DescribeKey']).toBe(1);
    expect(dumpsProtectionCheck.evaluate(fact, settings)?.status).toBe('PASSED');
  });

  it('describes each key once when several locations of a run are encrypted with it', async () => {
    // Prepare
    sim.resetStats();
    const keyManagers = new S3KeyManagers((region) => factory.client(KMSClient, region));
    // Act
    const facts = await Promise.all(
      ['certctl-dumps', 'certctl-dumps-aws-key', 'certctl-dumps'].map((bucket) =>
        read(bucket, 1000, keyManagers),
      ),
    );
    // Assess
    expect(sim.stats().byOperation['kms:DescribeKey']).toBe(2);
    expect(
      facts.map((fact) => fact.encryption.state === 'read' && fact.encryption.value.customerManagedKey),
    ).toEqual([true, false, true]);
  });
});

describe('s3DumpsCollector', () => {
  const BUCKETS = 10;
  const PREFIXES = 5;
  const SETTINGS = [
    'GetBucketVersioning',
    'GetObjectLockConfiguration',
    'GetBucketLifecycleConfiguration',
    'GetPublicAccessBlock',
    'GetBucketEncryption',
  ];
  // Long enough that a collector which never meets a hold's condition fails on the order it
  // produced, never so short that a loaded machine releases a hold early.
  const HOLD_MS = 10_000;

  function fleet(names: readonly string[], region = 'eu-west-1'): S3BucketScenario[] {
    return names.map((name) => ({
      ...HEALTHY,
      name,
      region,
      series: Array.from({ length: PREFIXES }, (_, p) => ({
        keyPrefix: `db${p}/certctl-`,
        count: 3,
        newest: '-2h',
        fixture: DUMP_FIXTURE,
      })),
    }));
  }

  async function collect(
    buckets: readonly S3BucketScenario[],
    hold: (event: S3RequestEvent) => S3AnswerHold | undefined,
    policyRegion = 'eu-west-1',
  ): Promise<{ facts: readonly DumpFact[]; recorder: S3RequestRecorder }> {
    const recorder = new S3RequestRecorder(hold);
    const local = await startSim({
      clock: () => NOW,
      scenario: { services: { s3: { buckets } } },
      extraServices: [recorder],
    });
    recorder.attach(local);
    const localFactory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(ACCOUNT),
      endpoint: local.endpoint,
    });
    const locations = buckets.flatMap((bucket) =>
      Array.from({ length: PREFIXES }, (_, p) => ({
        provider: 'aws' as const,
        bucket: bucket.name,
        prefix: `db${p}/`,
        account: ACCOUNT,
        region: policyRegion,
      })),
    );
    try {
      const facts = (await s3DumpsCollector({
        factory: localFactory,
        account: { accountId: ACCOUNT },
        region: policyRegion,
        policy: parsePolicy({ aws: { regions: [policyRegion] }, dumps: { locations } }),
        now: () => NOW,
      })) as DumpFact[];
      return { facts, recorder };
    } finally {
      localFactory.destroy();
      await local.close();
    }
  }

  const arrivedCount = (events: readonly S3RequestEvent[], operation: string): number =>
    events.filter((event) => event.event === 'arrived' && event.operation === operation).length;

  it('lists every prefix and reads every bucket setting in the same round trip when 50 prefixes sit in 10 buckets', async () => {
    // Prepare: nothing is answered before the 50 listings and the 50 settings calls all arrived.
    const names = Array.from({ length: BUCKETS }, (_, b) => `certctl-dumps-${b}`);
    const firstRoundTrip = BUCKETS * PREFIXES + BUCKETS * SETTINGS.length;
    const hold = (): S3AnswerHold => ({
      until: (events) => events.filter((e) => e.event === 'arrived').length >= firstRoundTrip,
      timeoutMs: HOLD_MS,
    });

    // Act
    const { facts, recorder } = await collect(fleet(names), hold);

    // Assess
    expect(recorder.peakInFlight('ListObjectsV2')).toBe(BUCKETS * PREFIXES);
    const firstAnswer = recorder.indexOf((e) => e.event === 'answered');
    const before = recorder.events.slice(0, firstAnswer);
    expect(arrivedCount(before, 'ListObjectsV2')).toBe(BUCKETS * PREFIXES);
    for (const operation of SETTINGS) expect(arrivedCount(before, operation)).toBe(BUCKETS);
    // Each bucket's settings once, each prefix's listing once, its header and tail once each.
    for (const operation of SETTINGS) expect(arrivedCount(recorder.events, operation)).toBe(BUCKETS);
    expect(arrivedCount(recorder.events, 'GetObject')).toBe(2 * BUCKETS * PREFIXES);
    expect(facts).toHaveLength(BUCKETS * PREFIXES);
    expect(facts.every((fact) => fact.newest?.header.state === 'read')).toBe(true);
    expect(facts.every((fact) => fact.versioning.state === 'read')).toBe(true);
  });

  it("reads a prefix's newest header as soon as its own listing is answered, while another listing is still out", async () => {
    // Prepare: db4/ of the only bucket answers only once a header read of another prefix arrived.
    const hold = (event: S3RequestEvent): S3AnswerHold | undefined =>
      event.operation === 'ListObjectsV2' && event.target === 'db4/'
        ? {
            until: (events) => events.some((e) => e.event === 'arrived' && e.operation === 'GetObject'),
            timeoutMs: HOLD_MS,
          }
        : undefined;

    // Act
    const { facts, recorder } = await collect(fleet(['certctl-dumps-slow']), hold);

    // Assess
    const firstHeader = recorder.indexOf((e) => e.event === 'arrived' && e.operation === 'GetObject');
    const slowAnswered = recorder.indexOf(
      (e) => e.event === 'answered' && e.operation === 'ListObjectsV2' && e.target === 'db4/',
    );
    expect(firstHeader).toBeGreaterThanOrEqual(0);
    expect(firstHeader).toBeLessThan(slowAnswered);
    expect(facts.map((fact) => fact.newest?.header.state)).toEqual(Array(PREFIXES).fill('read'));
  });

  it("reads a prefix's header and tail in the same round trip when both GETs are held until both arrived", async () => {
    // Prepare: no GetObject is answered before every prefix's two GetObjects arrived.
    const hold = (event: S3RequestEvent): S3AnswerHold | undefined =>
      event.operation === 'GetObject'
        ? {
            until: (events) =>
              events.filter((e) => e.event === 'arrived' && e.operation === 'GetObject').length >=
              2 * PREFIXES,
            timeoutMs: HOLD_MS,
          }
        : undefined;

    // Act
    const { facts, recorder } = await collect(fleet(['certctl-dumps-slow']), hold);

    // Assess: all arrived before the first was answered, and both reads came back for every prefix.
    const firstAnswered = recorder.indexOf((e) => e.event === 'answered' && e.operation === 'GetObject');
    expect(arrivedCount(recorder.events.slice(0, firstAnswered), 'GetObject')).toBe(2 * PREFIXES);
    expect(facts.map((fact) => [fact.newest?.header.state, fact.newest?.tail.state])).toEqual(
      Array(PREFIXES).fill(['read', 'read']),
    );
  });

  it("sends a bucket's settings calls before the listing of its first prefix, every listing in the first round trip", async () => {
    // Prepare: a factory whose S3 clients record each request as it is handed to the client's
    // request handler, whichever path built it (the SDK's, or the lean listings and reads of
    // functions/aws/s3-wire.ts, which skip the SDK's middleware).
    const local = await startSim({
      clock: () => NOW,
      scenario: { services: { s3: { buckets: fleet(['certctl-dumps-a', 'certctl-dumps-b']) } } },
    });
    const sent: string[] = [];
    const SUBRESOURCES: Record<string, string> = {
      versioning: 'GetBucketVersioning',
      'object-lock': 'GetObjectLockConfiguration',
      lifecycle: 'GetBucketLifecycleConfiguration',
      publicAccessBlock: 'GetPublicAccessBlock',
      encryption: 'GetBucketEncryption',
    };
    class RecordingFactory extends AwsClientFactory {
      readonly #recorded = new WeakSet<object>();
      override client<C>(...args: Parameters<AwsClientFactory['client']>): C {
        const client = super.client(...args) as C & {
          config: { requestHandler: { handle(request: unknown, options?: object): Promise<unknown> } };
        };
        if (!this.#recorded.has(client)) {
          this.#recorded.add(client);
          const handler = client.config.requestHandler;
          const handle = handler.handle.bind(handler);
          handler.handle = (request, options) => {
            // Path-style (the simulator's endpoint is an IP address): /<bucket>/<key>.
            const { path, query } = request as { path: string; query: Record<string, string> };
            const bucket = path.split('/')[1];
            const what =
              query['list-type'] === '2'
                ? `ListObjectsV2${query.prefix ? ` ${query.prefix}` : ''}`
                : (Object.keys(query)
                    .map((name) => SUBRESOURCES[name])
                    .find(Boolean) ??
                  query['x-id'] ??
                  'other');
            sent.push(`${bucket} ${what}`);
            return handle(request, options);
          };
        }
        return client;
      }
    }
    const localFactory = new RecordingFactory({
      maxAttempts: 1,
      credentials: simCredentials(ACCOUNT),
      endpoint: local.endpoint,
    });
    const locations = ['certctl-dumps-a', 'certctl-dumps-b'].flatMap((bucket) =>
      ['db0/', 'db1/'].map((prefix) => ({
        provider: 'aws' as const,
        bucket,
        prefix,
        account: ACCOUNT,
        region: 'eu-west-1',
      })),
    );

    // Act
    try {
      await s3DumpsCollector({
        factory: localFactory,
        account: { accountId: ACCOUNT },
        region: 'eu-west-1',
        policy: parsePolicy({ aws: { regions: ['eu-west-1'] }, dumps: { locations } }),
        now: () => NOW,
      });
    } finally {
      localFactory.destroy();
      await local.close();
    }

    // Assess: the first round trip is every bucket's settings and every prefix's listing, and each
    // bucket's settings went out before the listing of its first prefix. (The lean listings wait
    // for their bucket's route to be probed, so they now follow the settings of both buckets.)
    const settingsOf = (bucket: string) => SETTINGS.map((operation) => `${bucket} ${operation}`);
    const listingsOf = (bucket: string) => [`${bucket} ListObjectsV2 db0/`, `${bucket} ListObjectsV2 db1/`];
    const firstRoundTrip = sent.slice(0, 2 * (SETTINGS.length + 2));
    expect([...firstRoundTrip].sort()).toEqual(
      ['certctl-dumps-a', 'certctl-dumps-b']
        .flatMap((bucket) => [...settingsOf(bucket), ...listingsOf(bucket)])
        .sort(),
    );
    for (const bucket of ['certctl-dumps-a', 'certctl-dumps-b']) {
      const lastSetting = Math.max(...settingsOf(bucket).map((call) => sent.indexOf(call)));
      expect(lastSetting).toBeLessThan(sent.indexOf(`${bucket} ListObjectsV2 db0/`));
    }
    expect(settingsOf('certctl-dumps-a').map((call) => sent.indexOf(call))).toEqual([0, 1, 2, 3, 4]);
  });

  it('follows the redirect for every call issued before the region was learned when the policy names the wrong region', async () => {
    // Act: the bucket is in us-east-2, the policy says eu-west-1.
    const { facts, recorder } = await collect(fleet(['certctl-dumps-moved'], 'us-east-2'), () => undefined);

    // Assess: the header and tail reads, sent after a redirect came back, went to the bucket's region at once.
    expect(arrivedCount(recorder.events, 'GetObject')).toBe(2 * PREFIXES);
    expect(facts.map((fact) => fact.resource.region)).toEqual(Array(PREFIXES).fill('us-east-2'));
    for (const fact of facts) {
      expect(fact.listing.state).toBe('read');
      expect(fact.newest?.header.state).toBe('read');
      expect(fact.versioning).toEqual({ state: 'read', value: { status: 'Enabled' } });
      expect(fact.encryption.state).toBe('read');
    }
  });
});

/**
 * The fact of a five-dump prefix read through a simulator whose every ListObjectsV2 answer is the
 * S3 simulator's, asked without its continuation token and rewritten by `rewrite`.
 */
async function factWithListingAnswer(rewrite: (body: string) => string) {
  let s3: SimService | undefined;
  const rewriting: SimService = {
    name: 'rewritten-listing',
    matches: (request) => request.signingService === 's3' && request.query.get('list-type') === '2',
    async handle(request, context) {
      const query = new URLSearchParams(request.query);
      query.delete('continuation-token');
      const answer = await (s3 as SimService).handle({ ...request, query }, context);
      return { ...answer, body: rewrite(String(answer.body)) };
    },
    throttled: () => ({ status: 500, body: '' }),
    serverError: () => ({ status: 500, body: '' }),
  };
  const local = await startSim({
    clock: () => NOW,
    scenario: {
      services: {
        s3: {
          buckets: [
            {
              ...HEALTHY,
              series: [{ keyPrefix: 'prod/certctl-', count: 5, newest: '-2h', fixture: DUMP_FIXTURE }],
            },
          ],
        },
      },
    },
    extraServices: [rewriting],
  });
  s3 = local.service('s3');
  const localFactory = new AwsClientFactory({
    maxAttempts: 1,
    credentials: simCredentials(ACCOUNT),
    endpoint: local.endpoint,
  });
  try {
    return await readS3DumpFact({
      clientFor: (region) => localFactory.client(S3Client, region),
      location: location('certctl-dumps'),
      maxObjectsListed: 1000,
      keyManagers: new S3KeyManagers((region) => localFactory.client(KMSClient, region)),
    });
  } finally {
    localFactory.destroy();
    await local.close();
  }
}

describe('readS3DumpFact when a ListObjectsV2 answer cannot be trusted to end the listing', () => {
  it('reads the listing as unknown, not complete or cut at the limit, when ListObjectsV2 repeats a continuation token', async () => {
    // Act: every listing answer is the whole series, marked truncated and naming the same
    // continuation token (a request with it is answered from the start again).
    const fact = await factWithListingAnswer((body) =>
      body
        .replace(/<IsTruncated>false<\/IsTruncated>/, '<IsTruncated>true</IsTruncated>')
        .replace(
          '</ListBucketResult>',
          '<NextContinuationToken>page-2</NextContinuationToken></ListBucketResult>',
        ),
    );

    // Assess
    expect(fact.listing).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('continuation token it had already sent'),
    });
  });

  it('reads the listing as unknown, not complete, when ListObjectsV2 does not say whether it is truncated', async () => {
    // Act: the answer lists the series but leaves out IsTruncated.
    const fact = await factWithListingAnswer((body) => body.replace(/<IsTruncated>false<\/IsTruncated>/, ''));

    // Assess: more objects may follow, so neither freshness nor the series can be judged on it.
    expect(fact.listing).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('IsTruncated'),
    });
  });
});

describe('readS3DumpFact of a settings answer without its configuration', () => {
  /** An S3 client that answers each command from `answers` by its name, and denies the others. */
  function answering(answers: Record<string, unknown>): S3Client {
    return {
      send: async (command: object) => {
        const answer = answers[command.constructor.name];
        if (answer === undefined) {
          throw Object.assign(new Error('Access Denied'), {
            name: 'AccessDenied',
            $metadata: { httpStatusCode: 403 },
          });
        }
        return answer;
      },
    } as unknown as S3Client;
  }

  it('does not read a 200 answer without the configuration it exists to send as none configured', async () => {
    // Prepare: GetBucketEncryption answers a rule without ApplyServerSideEncryptionByDefault (the
    // API marks it optional), GetPublicAccessBlock an answer without its configuration.
    const client = answering({
      ListObjectsV2Command: { Contents: [], IsTruncated: false },
      GetBucketEncryptionCommand: {
        ServerSideEncryptionConfiguration: { Rules: [{ BucketKeyEnabled: true }] },
      },
      GetPublicAccessBlockCommand: {},
      GetObjectLockConfigurationCommand: {},
      GetBucketLifecycleConfigurationCommand: {},
    });
    // Act
    const fact = await readS3DumpFact({
      clientFor: () => client,
      location: location('certctl-dumps'),
      maxObjectsListed: 10,
      leanDecoding: false,
    });
    const outcome = dumpsProtectionCheck.evaluate(fact, settings);
    // Assess: before, both read as 'absent': FAILED 'the bucket has no default encryption', and a
    // WARNING that the bucket has no Block Public Access configuration, on what S3 did not say.
    expect(fact.encryption.state).toBe('unknown');
    expect(fact.publicAccess.state).toBe('unknown');
    // Nor an Object Lock answer without its configuration, or a lifecycle answer without rules
    // (S3 says none with ObjectLockConfigurationNotFoundError and NoSuchLifecycleConfiguration).
    expect(fact.retentionLock.state).toBe('unknown');
    expect(fact.lifecycle.state).toBe('unknown');
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).not.toContain('no default encryption');
  });
});

describe('readS3DumpFact of a lifecycle rule whose action was not read', () => {
  /** An S3 client that answers ListObjectsV2 with nothing and GetBucketLifecycleConfiguration with `rules`. */
  function withRules(rules: readonly object[]): S3Client {
    return {
      send: async (command: object) => {
        if (command.constructor.name === 'ListObjectsV2Command') return { Contents: [], IsTruncated: false };
        if (command.constructor.name === 'GetBucketLifecycleConfigurationCommand') return { Rules: rules };
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      },
    } as unknown as S3Client;
  }

  async function lifecycleOf(rules: readonly object[]): Promise<DumpFact['lifecycle']> {
    const fact = await readS3DumpFact({
      clientFor: () => withRules(rules),
      location: location('certctl-dumps'),
      maxObjectsListed: 10,
      leanDecoding: false,
    });
    return fact.lifecycle;
  }

  it.each([
    [
      'an Expiration without Days, Date or ExpiredObjectDeleteMarker',
      { ID: 'expire-dumps', Status: 'Enabled', Filter: { Prefix: 'prod/' }, Expiration: {} },
      'lifecycle rule expire-dumps with an Expiration without Days, Date or ExpiredObjectDeleteMarker',
    ],
    [
      'a NoncurrentVersionExpiration without NoncurrentDays',
      { ID: 'old-versions', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: {} },
      'lifecycle rule old-versions with a NoncurrentVersionExpiration without NoncurrentDays',
    ],
    [
      'no Status',
      { ID: 'expire-dumps', Filter: { Prefix: 'prod/' }, Expiration: { Days: 7 } },
      'lifecycle rule expire-dumps with no Status Enabled or Disabled',
    ],
  ])(
    'reads the lifecycle as unknown, not as a rule that deletes nothing, when a rule has %s',
    async (_label, rule, reason) => {
      // Prepare: what the lean decoder leaves of a rule whose <Days>, <NoncurrentDays> or <Status>
      // was not a value it reads (the SDK's own decoder refuses the answer), or of an answer
      // without them. Read as sent, the rule expired nothing (or was not enabled), and
      // dumps.retention PASSED 'no lifecycle rule expires them' on a rule that may expire them in 7 days.
      // Act
      const lifecycle = await lifecycleOf([rule]);
      // Assess
      expect(lifecycle).toEqual({ state: 'unknown', reason: expect.stringContaining(reason) });
    },
  );

  it('reads an Expiration of ExpiredObjectDeleteMarker alone, which deletes no dump, as a rule', async () => {
    // Act
    const lifecycle = await lifecycleOf([
      { ID: 'markers', Status: 'Enabled', Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: 'off', Status: 'Disabled', Filter: {}, Expiration: { Days: 1 } },
    ]);
    // Assess
    expect(lifecycle).toMatchObject({ state: 'read', value: [{ id: 'markers', expirationDays: undefined }] });
  });
});

describe('readS3DumpFact of a newest dump replaced between the listing and the read', () => {
  const BUCKET = 'certctl-dumps-replaced';
  /** An uncompressed dump (13,410 bytes) every run; the key the last run wrote is written again. */
  const LARGE = 'test/fixtures/pg-dump/certctl-pg17-z0.dump';
  /** A whole archive of a third of that size: what a dump of an emptied database looks like. */
  const SMALL = readFileSync('test/fixtures/pg-dump/certctl-pg17-schema-only.dump');

  it('does not judge the listed object by the bytes of the object that replaced it', async () => {
    // Prepare: the first ranged read of the newest dump waits until another upload has replaced it.
    let writer: S3Client | undefined;
    let rewrite: Promise<unknown> | undefined;
    const recorder = new S3RequestRecorder((event) => {
      if (event.operation !== 'GetObject') return undefined;
      rewrite ??= writer?.send(new PutObjectCommand({ Bucket: BUCKET, Key: event.target, Body: SMALL }));
      return {
        until: (events) => events.some((seen) => seen.operation === 'PutObject' && seen.event === 'answered'),
        timeoutMs: 10_000,
      };
    });
    const local = await startSim({
      clock: () => NOW,
      scenario: {
        services: {
          s3: {
            buckets: [
              {
                ...HEALTHY,
                name: BUCKET,
                encryption: { algorithm: 'AES256' },
                series: [{ keyPrefix: 'prod/certctl-', count: 10, newest: '-2h', fixture: LARGE }],
              },
            ],
          },
        },
      },
      extraServices: [recorder],
    });
    recorder.attach(local);
    writer = simS3Client(local, 'eu-west-1', 'path', ACCOUNT);
    const localFactory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(ACCOUNT),
      endpoint: local.endpoint,
    });
    try {
      // Act
      const fact = await readS3DumpFact({
        clientFor: (region) => localFactory.client(S3Client, region),
        location: location(BUCKET),
        maxObjectsListed: 1000,
      });
      await rewrite;
      const outcome = dumpsIntegrityCheck.evaluate(fact, settings);
      // Assess: before, the header and the end read were the small archive's, the time and size
      // the listed one's: FAILED 'its header says it was made 2026-12-04 15:40:20 … but the object
      // was written 2026-12-02T10:00:00.000Z …: an older archive under a newer name?'.
      expect(fact.newest?.object.size).toBe(13_410);
      expect(fact.newest?.header).toMatchObject({ state: 'unknown' });
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'holds 4335 bytes now, not the 13410 the listing said: it was written again after it was listed',
      );
    } finally {
      writer.destroy();
      localFactory.destroy?.();
      await local.close();
    }
  });
});

describe('readS3DumpFact when S3 answers a 5xx the SDK does not retry', () => {
  it('fails the scope saying the failure was not retried, not that retries ran out', async () => {
    // Prepare: every call answered 501 NotImplemented; the SDK's strategies retry 500, 502, 503 and 504 only.
    let sent = 0;
    const handler = {
      handle: async () => {
        sent += 1;
        return {
          response: {
            statusCode: 501,
            headers: {},
            body: Readable.from([
              Buffer.from('<Error><Code>NotImplemented</Code><Message>not implemented</Message></Error>'),
            ]),
          },
        };
      },
    };
    const client = new S3Client({
      region: 'eu-west-1',
      maxAttempts: 3,
      credentials: simCredentials(ACCOUNT),
      requestHandler: handler as never,
    });
    // Act
    const reading = readS3DumpFact({
      clientFor: () => client,
      location: location('certctl-dumps'),
      maxObjectsListed: 1000,
    });
    // Assess
    await expect(reading).rejects.toMatchObject({
      name: 'CloudApiError',
      code: 'NotImplemented',
      message: expect.stringContaining(
        'failed: the service answered with a server error, which this client does not retry; its answer: NotImplemented (HTTP 501)',
      ),
    });
    // One attempt of each call sent before the first failure came back: none was asked again.
    expect(sent).toBeLessThanOrEqual(6);
  });
});
