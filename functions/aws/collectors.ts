/**
 * The AWS collectors of the built-in check groups: how one (account, region) scope's facts are read.
 * They live here, not in the group registry, so that a function bundles only its own cloud's
 * adapters (the Cloud Function carries no RDS client, the Lambdas no Cloud SQL protos). Entry points
 * that audit AWS pass {@link awsCollectors} to the job; a new group adds one line below.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import type { Fact } from '../core/facts.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import type { AuditedAccount, AwsClientFactory } from './clients.ts';
import { collectRdsPitrFacts } from './rds.ts';
import { collectS3DumpFacts } from './s3-dumps.ts';
import { collectAwsKeyFacts } from './secrets-manager.ts';

/** Where an AWS collector reads one scope: the account (with its role) and region, and the clients. */
export interface AwsScopeReader {
  readonly factory: AwsClientFactory;
  readonly account: AuditedAccount;
  readonly region: string;
  readonly policy: Policy;
  readonly now: () => Date;
}

/** Reads one AWS scope's facts; throws when the scope cannot be read. */
export type AwsCollector = (reader: AwsScopeReader) => Promise<readonly Fact[]>;

/** The AWS collector of each built-in group. */
export type AwsCollectors = Readonly<Partial<Record<CheckGroup, AwsCollector>>>;

export const awsCollectors: AwsCollectors = {
  pitr: ({ factory, account, region, policy }) =>
    collectRdsPitrFacts(
      factory.client(RDSClient, region, account),
      { account: account.accountId, region },
      policy,
    ),
  dumps: ({ factory, account, region, policy }) =>
    collectS3DumpFacts({
      clientFor: (bucketRegion) => factory.client(S3Client, bucketRegion, account),
      account: account.accountId,
      region,
      dumps: policy.dumps,
    }),
  keys: (reader) => collectAwsKeyFacts(reader),
};
