/**
 * Plans the AWS PITR audit: one scope per account x region (group `pitr`), each of which lists its
 * RDS databases when the audit engine runs it.
 *
 * Accounts: `policy.aws.accounts` through their read-only roles, or the caller's own account (one STS
 * GetCallerIdentity) when the list is empty. Regions: the CLI override, else `policy.aws.regions`,
 * else (`all`) the regions enabled in each account, from the Account API `ListRegions`. A region
 * listing that fails yields one scope with region `*` whose collection rethrows the error, so the
 * audit reports that account NOT_AVAILABLE and exits "could not complete" instead of silently
 * auditing nothing.
 */
import { AccountClient, paginateListRegions } from '@aws-sdk/client-account';
import { RDSClient } from '@aws-sdk/client-rds';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ScopePlan } from '../core/audit.ts';
import { CloudApiError, CredentialsError, describeError, errorCode } from '../core/errors.ts';
import type { PitrFact } from '../core/facts.ts';
import type { Policy } from '../core/policy.ts';
import { type AuditedAccount, type AwsClientFactory, DEFAULT_HOME_REGION } from './clients.ts';
import { collectRdsPitrFacts } from './rds.ts';

/** `ListRegions` accepts at most 50 results per page (Account API reference, `MaxResults`). */
const LIST_REGIONS_PAGE_SIZE = 50;

export interface PlanAwsPitrAuditOptions {
  /** Regions from the command line; they replace `policy.aws.regions` when non-empty. */
  readonly regions?: readonly string[];
  /** Region for STS and the Account API; default `DEFAULT_HOME_REGION`. */
  readonly homeRegion?: string;
}

/** The scopes of one AWS PITR audit, in account then region order. */
export async function planAwsPitrAudit(
  policy: Policy,
  factory: AwsClientFactory,
  options: PlanAwsPitrAuditOptions = {},
): Promise<ScopePlan<PitrFact>[]> {
  const homeRegion = options.homeRegion ?? DEFAULT_HOME_REGION;
  const accounts: AuditedAccount[] =
    policy.aws.accounts.length > 0
      ? policy.aws.accounts.map((account) => ({ accountId: account.accountId, roleArn: account.roleArn }))
      : [{ accountId: await callerAccountId(factory, homeRegion) }];
  const fixedRegions =
    options.regions && options.regions.length > 0
      ? options.regions
      : policy.aws.regions === 'all'
        ? undefined
        : policy.aws.regions;

  const perAccount = await Promise.all(
    accounts.map(async (account): Promise<ScopePlan<PitrFact>[]> => {
      if (fixedRegions)
        return unique(fixedRegions).map((region) => regionPlan(policy, factory, account, region));
      try {
        const regions = await enabledRegions(factory, account, homeRegion);
        return regions.map((region) => regionPlan(policy, factory, account, region));
      } catch (error) {
        return [failedAccountPlan(account, error)];
      }
    }),
  );
  return perAccount.flat();
}

function regionPlan(
  policy: Policy,
  factory: AwsClientFactory,
  account: AuditedAccount,
  region: string,
): ScopePlan<PitrFact> {
  return {
    scope: { provider: 'aws', account: account.accountId, region, group: 'pitr' },
    // The client is made when the scope runs, so planning many regions opens no connections.
    collect: () =>
      collectRdsPitrFacts(
        factory.client(RDSClient, region, account),
        { account: account.accountId, region },
        policy,
      ),
  };
}

/** A whole-account scope (`*`) that fails with the region-listing error when the audit runs it. */
function failedAccountPlan(account: AuditedAccount, error: unknown): ScopePlan<PitrFact> {
  return {
    scope: { provider: 'aws', account: account.accountId, region: '*', group: 'pitr' },
    collect: () => Promise.reject(error),
  };
}

/** The regions enabled in an account (opted in or enabled by default), sorted. */
async function enabledRegions(
  factory: AwsClientFactory,
  account: AuditedAccount,
  homeRegion: string,
): Promise<string[]> {
  const client = factory.client(AccountClient, homeRegion, account);
  const regions: string[] = [];
  try {
    const pages = paginateListRegions(
      { client, pageSize: LIST_REGIONS_PAGE_SIZE, stopOnSameToken: true },
      { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] },
    );
    for await (const page of pages) {
      for (const region of page.Regions ?? []) if (region.RegionName) regions.push(region.RegionName);
    }
  } catch (error) {
    throw new CloudApiError(
      `Account ListRegions failed for account ${account.accountId} (called in ${homeRegion}): ${describeError(error)}. Grant account:ListRegions to the audit role or list the regions in policy.aws.regions.`,
      errorCode(error),
      { cause: error },
    );
  }
  if (regions.length === 0) {
    throw new CloudApiError(
      `Account ListRegions returned no enabled region for account ${account.accountId} (called in ${homeRegion}); list the regions in policy.aws.regions.`,
      'NoEnabledRegions',
    );
  }
  return unique(regions).sort();
}

/** The caller's own account id (one STS GetCallerIdentity). */
async function callerAccountId(factory: AwsClientFactory, homeRegion: string): Promise<string> {
  let account: string | undefined;
  try {
    const identity = await factory.client(STSClient, homeRegion).send(new GetCallerIdentityCommand({}));
    account = identity.Account;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'CredentialsProviderError') {
      throw new CredentialsError(
        `No AWS credentials found: ${describeError(error)}. Configure a profile or environment credentials, or run \`npm run demo\` to try the audit against the local simulator.`,
        { cause: error },
      );
    }
    throw new CloudApiError(
      `STS GetCallerIdentity failed (called in ${homeRegion}) while finding the account to audit: ${describeError(error)}`,
      code,
      { cause: error },
    );
  }
  if (!account) {
    throw new CloudApiError(
      `STS GetCallerIdentity returned no account id (called in ${homeRegion})`,
      'NoAccount',
    );
  }
  return account;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
