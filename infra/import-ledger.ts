/**
 * The import ledger's bucket (see functions/publish/security-hub/ledger.ts): one gzip object per
 * (account, region) destination under `import-ledger/v1/`, read and conditionally rewritten by the
 * publishing job with its own role. S3 rather than a DynamoDB table: a destination's ledger is read
 * in one GET and replaced in one conditional PUT (`If-Match`), about 40 bytes a finding once
 * compressed, where a table would cost one item (and a few hundred bytes of DynamoDB JSON) per
 * finding on every read; the ledger is a cache, so it needs no versioning or backup.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { LEDGER_BUCKET_ENV, LEDGER_PREFIX } from '../functions/aws/ledger-location.ts';
import { acknowledge } from './nag.ts';
import type { ScheduledJob } from './scheduled-job.ts';

/**
 * Create the ledger bucket shared by the publishing `jobs` (the lifecycle keeps other scopes'
 * entries, and a conditional write makes concurrent runs safe) and grant each job's role exactly: read, write and delete the ledger
 * objects, and list only their prefix (without `s3:ListBucket` a missing object answers 403 instead
 * of 404, and a missing ledger would read as an error).
 */
export function addImportLedger(scope: Construct, jobs: readonly ScheduledJob[]): Bucket {
  const bucket = new Bucket(scope, 'ImportLedger', {
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // Kept when the stack is destroyed: CloudFormation deletes only an empty bucket, so a bucket
    // holding ledgers would stop `cdk destroy`. It is a cache of Security Hub (losing it costs one
    // full read) and its lifecycle empties it within 90 days; docs/deploy.md says to delete it.
    removalPolicy: RemovalPolicy.RETAIN,
    // Every run rewrites the ledgers it uses (at least at each weekly reconciliation); a ledger left
    // untouched this long belongs to a destination no longer published.
    lifecycleRules: [{ prefix: LEDGER_PREFIX, expiration: Duration.days(90) }],
  });
  for (const job of jobs) {
    grantLedger(bucket, job, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], {
      objects: 'ImportLedgerObjects',
      list: 'ImportLedgerList',
      reason:
        'The import ledger holds one object per account and region the job publishes to, named at run time; the grant is limited to the ledger prefix of this one bucket.',
    });
  }
  acknowledge(bucket, [
    {
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the publishing job cache of what it imported into Security Hub; its only reader and writer is the job role, whose calls CloudTrail records.',
    },
  ]);
  return bucket;
}

/**
 * Let `role` read the ledgers (list the prefix, get the objects), never write them: the chat action
 * summarizes what the audits last published for `status`.
 */
export function grantLedgerRead(bucket: Bucket, reader: LedgerUser): void {
  grantLedger(bucket, reader, ['s3:GetObject'], {
    objects: 'ReadImportLedgers',
    list: 'ListImportLedgers',
    reason:
      'The import ledger holds one object per account and region the audits publish to, named at run time; the read is limited to the ledger prefix of this one bucket.',
  });
}

/** A function that uses the ledgers, and its role. */
interface LedgerUser {
  readonly role: IRole;
  readonly function: LambdaFunction;
}

/** `actions` on the ledger objects, listing their prefix, and the bucket's name in the environment. */
function grantLedger(
  bucket: Bucket,
  user: LedgerUser,
  actions: readonly string[],
  names: { readonly objects: string; readonly list: string; readonly reason: string },
): void {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);
  user.role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: names.objects,
      effect: Effect.ALLOW,
      actions: [...actions],
      resources: [bucket.arnForObjects(`${LEDGER_PREFIX}*`)],
    }),
  );
  user.role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: names.list,
      effect: Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${LEDGER_PREFIX}*`] } },
    }),
  );
  user.function.addEnvironment(LEDGER_BUCKET_ENV, bucket.bucketName);
  acknowledge(user.role, [
    {
      id: 'AwsSolutions-IAM5',
      reason: names.reason,
      findings: [`Resource::<${bucketId}.Arn>/${LEDGER_PREFIX}*`],
    },
  ]);
}
