/**
 * The AWS planner, shared by every check group: which (account, region) pairs a run covers, as
 * plain scopes (account x region x group) that any process can run.
 *
 * Accounts: `policy.aws.accounts` through their read-only roles, or the caller's own account (one STS
 * GetCallerIdentity) when the list is empty. Regions: the request's, else `policy.aws.regions`,
 * else (`all`) the regions enabled in each account, from the Account API `ListRegions`. A region
 * listing that fails yields one planned failure per group with region `*`, so the run reports that
 * account NOT_AVAILABLE and exits "could not complete" instead of silently auditing nothing.
 *
 * A scope carries no role: the runner takes the role from the policy by account id
 * ({@link auditedAccountOf}), so a serialized plan cannot point the runner at any other role.
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { PlannedScope, ScopePlace } from '../core/audit.ts';
import {
  CloudApiError,
  CredentialsError,
  describeError,
  errorCode,
  explicitDenyIn,
  explicitDenyWords,
  isPermissionRefusal,
} from '../core/errors.ts';
import type { CheckGroup } from '../core/finding.ts';
import { pageTokens } from '../core/paging.ts';
import type { Policy } from '../core/policy.ts';
import { type AuditedAccount, type AwsClientFactory, DEFAULT_HOME_REGION } from './clients.ts';
import { describeAwsFailure, endpointOf } from './protocol.ts';
import { getCallerIdentity, prepareCallerIdentity } from './sts-wire.ts';

/** `ListRegions` accepts at most 50 results per page (Account API reference, `MaxResults`). */
const LIST_REGIONS_PAGE_SIZE = 50;

export interface PlanAwsScopesOptions {
  /** The check groups to plan, each over every (account, region). */
  readonly groups: readonly CheckGroup[];
  /** Regions of this run (CLI `--region`, handler input); they replace `policy.aws.regions` when non-empty. */
  readonly regions?: readonly string[];
  /**
   * Region for STS and the Account API (the runtime's `AWS_REGION`). Without it, STS is asked in the
   * run's regions in order and the Account API in the first of them; `DEFAULT_HOME_REGION` only
   * when no region is configured at all.
   */
  readonly homeRegion?: string;
  /**
   * The places of a group whose resources the policy names (dumps: each location's account and
   * region), or undefined for a group audited over every (account, region). Such a group is planned
   * only at its places (narrowed by `regions`), with no region discovery; a place in an account this
   * run does not read is planned as a failed scope, so the run reports it instead of skipping it.
   */
  readonly placesOf?: (group: CheckGroup) => readonly ScopePlace[] | undefined;
  /**
   * Plan a placed group at every place, whatever `regions` says: `regions` then narrows only the
   * groups audited over every region (readiness: `--region` narrows the databases, never the key
   * material and dump locations a GO rests on).
   */
  readonly placesEverywhere?: boolean;
  /**
   * Called for each place of a placed group in the run while STS is asked for the caller's account
   * (the run's only account then, read with the caller's own credentials), each in a later turn of
   * the event loop than the STS request, so that request is written first: the group's collector
   * readies its clients (its collector's `prepare`) in the round trip's idle time. Not called when
   * the policy lists the accounts (no STS call to wait for).
   */
  readonly prepare?: (scope: { group: CheckGroup; account: AuditedAccount; region: string }) => void;
}

/**
 * The regions STS GetCallerIdentity is tried in, in order: the home region, then the run's regions
 * (so an outage or an SCP in one region does not abort the run), and `DEFAULT_HOME_REGION` only
 * when nothing else is configured. STS has an endpoint in every region
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html).
 */
export function identityRegions(
  homeRegion: string | undefined,
  regions: readonly string[] | undefined,
): string[] {
  const candidates = unique([...(homeRegion ? [homeRegion] : []), ...(regions ?? [])]);
  return candidates.length > 0 ? candidates : [DEFAULT_HOME_REGION];
}

/** The account a scope runs in: the policy's member account with its role, or the caller's own. */
export function auditedAccountOf(policy: Policy, accountId: string): AuditedAccount {
  const member = policy.aws.accounts.find((account) => account.accountId === accountId);
  return member ? { accountId, roleArn: member.roleArn } : { accountId };
}

/**
 * Make, ahead of any run, the clients every run of `policy` over `options.groups` makes before it
 * reads a Region ({@link planAwsScopes}): STS in the first Region it is asked in, when the policy
 * audits the caller's own account, and, when a group is audited over every enabled Region, the
 * Account API's (its module loaded); and the endpoint settings every client reads
 * ({@link AwsClientFactory.readSettings}). Nothing is sent. A Lambda calls it at init, where AWS advises
 * making SDK clients, outside the handler
 * (https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html), so its first run starts with
 * GetCallerIdentity rather than with making clients. A run that narrows the Regions does not ask
 * the Account API; its client is then only unused.
 */
export async function prepareAwsPlanning(
  policy: Policy,
  factory: AwsClientFactory,
  options: Pick<PlanAwsScopesOptions, 'groups' | 'placesOf' | 'homeRegion'>,
): Promise<void> {
  const settings = factory.readSettings();
  const places = options.groups.map((group) => options.placesOf?.(group));
  const everywhere = places.some((placed) => placed === undefined);
  if (!everywhere && !places.some((placed) => placed !== undefined && placed.length > 0)) return settings;
  const fixedRegions = policy.aws.regions === 'all' ? undefined : policy.aws.regions;
  const ownAccount = policy.aws.accounts.length === 0;
  let identityReady: Promise<void> | undefined;
  if (ownAccount) {
    const sts = factory.client(
      STSClient,
      identityRegions(options.homeRegion, fixedRegions)[0] ?? DEFAULT_HOME_REGION,
    );
    // And its GetCallerIdentity route (sts-wire.ts; nothing is sent), once the endpoint settings
    // are read: the run's first request is then signed and sent at once, not after the SDK's
    // middleware has run for the first time.
    identityReady = settings.then(() => prepareCallerIdentity(sts));
  }
  if (!everywhere || fixedRegions) {
    await identityReady;
    return settings;
  }
  const region = options.homeRegion ?? DEFAULT_HOME_REGION;
  const { AccountClient } = await loadAccountApi(factory, region, ownAccount);
  for (const account of policy.aws.accounts) {
    factory.client(AccountClient, region, { accountId: account.accountId, roleArn: account.roleArn });
  }
  await settings;
  await identityReady;
}

/** The scopes of one AWS run, in account, region, then group order. */
export async function planAwsScopes(
  policy: Policy,
  factory: AwsClientFactory,
  options: PlanAwsScopesOptions,
): Promise<PlannedScope[]> {
  const everywhere: CheckGroup[] = [];
  const placed = new Map<CheckGroup, readonly ScopePlace[]>();
  for (const group of options.groups) {
    const places = options.placesOf?.(group);
    if (places) placed.set(group, places);
    else everywhere.push(group);
  }
  const anyPlace = [...placed.values()].some((places) => places.length > 0);
  if (everywhere.length === 0 && !anyPlace) return [];
  const fixedRegions =
    options.regions && options.regions.length > 0
      ? options.regions
      : policy.aws.regions === 'all'
        ? undefined
        : policy.aws.regions;
  const homeRegion = options.homeRegion ?? fixedRegions?.[0] ?? DEFAULT_HOME_REGION;
  const narrowedTo = options.placesEverywhere ? undefined : options.regions;
  // ListRegions needs the caller's credentials, not its account id (the id only names the scopes):
  // its client is loaded and made while GetCallerIdentity is in flight, so the answer is all that
  // lies between the two calls. The calls themselves stay one after the other: a run whose
  // identity cannot be told sends nothing to the Account API.
  const accountApi =
    everywhere.length > 0 && !fixedRegions
      ? loadAccountApi(factory, homeRegion, policy.aws.accounts.length === 0)
      : undefined;
  // A failed load is the region listing's failure (below), not an unhandled rejection when
  // GetCallerIdentity fails first.
  accountApi?.catch(() => {});
  let accounts: AuditedAccount[];
  if (policy.aws.accounts.length > 0) {
    accounts = policy.aws.accounts.map((account) => ({
      accountId: account.accountId,
      roleArn: account.roleArn,
    }));
  } else {
    const asked = callerAccountId(factory, identityRegions(options.homeRegion, fixedRegions));
    if (options.prepare) void prepareInTurns(placesInRun(placed, narrowedTo), options.prepare);
    accounts = [{ accountId: await asked }];
  }
  const scopesOf = (accountId: string, region: string, failure?: PlannedScope['failure']): PlannedScope[] =>
    everywhere.map((group) => ({
      scope: { provider: 'aws', account: accountId, region, group },
      ...(failure ? { failure } : {}),
    }));

  const perAccount = await Promise.all(
    accounts.map(async (account): Promise<PlannedScope[]> => {
      if (everywhere.length === 0) return [];
      if (fixedRegions) return unique(fixedRegions).flatMap((region) => scopesOf(account.accountId, region));
      try {
        const regions = await enabledRegions(
          await (accountApi ?? loadAccountApi(factory, homeRegion, false)),
          factory,
          account,
          homeRegion,
        );
        return regions.flatMap((region) => scopesOf(account.accountId, region));
      } catch (error) {
        return scopesOf(account.accountId, '*', { code: errorCode(error), message: describeError(error) });
      }
    }),
  );
  return [...perAccount.flat(), ...placedScopes(placed, accounts, narrowedTo)];
}

/** Each group's distinct places, in the run's regions when it names some. */
function placesInRun(
  placed: ReadonlyMap<CheckGroup, readonly ScopePlace[]>,
  regions: readonly string[] | undefined,
): { group: CheckGroup; account: string; region: string }[] {
  const inRun = regions && regions.length > 0 ? new Set(regions) : undefined;
  const kept: { group: CheckGroup; account: string; region: string }[] = [];
  for (const [group, places] of placed) {
    const seen = new Set<string>();
    for (const { account, region } of places) {
      const key = `${account}/${region}`;
      if (seen.has(key) || (inRun && !inRun.has(region))) continue;
      seen.add(key);
      kept.push({ group, account, region });
    }
  }
  return kept;
}

/** The scopes of the groups with places: each distinct place, in the run's regions when it names some. */
function placedScopes(
  placed: ReadonlyMap<CheckGroup, readonly ScopePlace[]>,
  accounts: readonly AuditedAccount[],
  regions: readonly string[] | undefined,
): PlannedScope[] {
  const audited = accounts.map((account) => account.accountId);
  return placesInRun(placed, regions).map(({ group, account, region }) => ({
    scope: { provider: 'aws', account, region, group },
    ...(audited.includes(account)
      ? {}
      : {
          failure: {
            code: 'AccountNotAudited',
            message: `the policy places ${group} in account ${account}, but this run reads ${audited.join(', ')}; list ${account} in policy.aws.accounts with its role`,
          },
        }),
  }));
}

/**
 * `prepare` each place, each in a turn of the event loop of its own, starting two turns after the
 * STS request was made: by then its socket has connected and the request is written, which
 * preparing in the same turn would delay. A place's account is read with the caller's credentials
 * (the policy lists no account, so none has a role).
 */
async function prepareInTurns(
  places: readonly { group: CheckGroup; account: string; region: string }[],
  prepare: NonNullable<PlanAwsScopesOptions['prepare']>,
): Promise<void> {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  await nextTurn();
  for (const { group, account, region } of places) {
    await nextTurn();
    try {
      prepare({ group, account: { accountId: account }, region });
    } catch {
      // Readying is an optimization: the scope's own reading meets and reports any failure.
    }
  }
}

/** What `enabledRegions` uses of the Account API's client module. */
interface AccountApi {
  readonly AccountClient: typeof import('@aws-sdk/client-account').AccountClient;
  readonly paginateListRegions: typeof import('@aws-sdk/client-account').paginateListRegions;
}

/**
 * The Account API's client module and, with `ownAccount`, the client of the caller's own credentials
 * in `homeRegion` made (the one `enabledRegions` asks when the policy lists no member account,
 * before GetCallerIdentity has answered). Loaded only for a run that lists regions: a run whose
 * regions are configured (most, and every key-material and dump audit of an inventory) never does,
 * and loading the Account client cost every such cold start some milliseconds of CPU.
 */
async function loadAccountApi(
  factory: AwsClientFactory,
  homeRegion: string,
  ownAccount: boolean,
): Promise<AccountApi> {
  const { AccountClient, paginateListRegions } = await import('@aws-sdk/client-account');
  if (ownAccount) factory.client(AccountClient, homeRegion);
  return { AccountClient, paginateListRegions };
}

/**
 * Why a region listing failed and what fixes it: an explicit deny (core/errors.ts explicitDenyIn),
 * which no grant overrides, by its policy type alone, as AWS's message names the caller's ARN; the
 * grant for a refusal a grant fixes (isPermissionRefusal); a run again for any other failure. Each
 * may be spared by listing the regions in the policy.
 */
function listingFailureWords(error: unknown): string {
  const orList = 'list the regions in policy.aws.regions.';
  const deny = explicitDenyIn(error);
  if (deny !== undefined) {
    const words = explicitDenyWords(deny);
    return `${errorCode(error)}. ${words[0]?.toUpperCase()}${words.slice(1)}, or ${orList}`;
  }
  const fix = isPermissionRefusal(error)
    ? `Grant account:ListRegions to the audit role or ${orList}`
    : `Run the audit again, or ${orList}`;
  return `${describeError(error)}. ${fix}`;
}

/** The regions enabled in an account (opted in or enabled by default), sorted. */
async function enabledRegions(
  { AccountClient, paginateListRegions }: AccountApi,
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
    // The paginator stops at a page that repeats the token it was asked with (stopOnSameToken), and
    // a longer cycle would never end: the regions after it were never listed, so the listing fails
    // rather than looks complete.
    const nextToken = pageTokens('ListRegions', 'RepeatedNextToken', 'NextToken');
    for await (const page of pages) {
      for (const region of page.Regions ?? []) if (region.RegionName) regions.push(region.RegionName);
      nextToken(page.NextToken);
    }
  } catch (error) {
    throw new CloudApiError(
      `Account ListRegions failed for account ${account.accountId} (called in ${homeRegion}): ${listingFailureWords(error)}`,
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

/**
 * The caller's own account id: STS GetCallerIdentity in the first region that answers. Missing
 * credentials stop at once (no region can help); any other failure tries the next region.
 */
export async function callerAccountId(
  factory: AwsClientFactory,
  regions: readonly string[],
): Promise<string> {
  const failures: { region: string; error: unknown }[] = [];
  for (const region of regions) {
    let account: string | undefined;
    const client = factory.client(STSClient, region);
    try {
      const identity = await getCallerIdentity(client);
      account = identity.Account;
    } catch (error) {
      if (errorCode(error) === 'CredentialsProviderError') {
        throw new CredentialsError(
          `No AWS credentials found: ${describeError(error)}. Configure a profile or environment credentials, or run \`npm run demo\` to try the audit against the local simulator.`,
          { cause: error },
        );
      }
      const failure = describeAwsFailure(error, region, await endpointOf(client, 'sts', region));
      failures.push({ region, error: new CloudApiError(failure.message, failure.code, { cause: error }) });
      continue;
    }
    if (account) return account;
    failures.push({ region, error: new CloudApiError('returned no account id', 'NoAccount') });
  }
  const last = failures.at(-1)?.error;
  const tried = failures.map(({ region, error }) => `${region}: ${describeError(error)}`).join('; ');
  throw new CloudApiError(
    `STS GetCallerIdentity failed in every region tried (${tried}) while finding the account to audit. Set AWS_REGION to a region where STS answers, or list reachable regions in policy.aws.regions.`,
    errorCode(last),
    { cause: last },
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
