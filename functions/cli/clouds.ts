/**
 * What every command that reads a cloud shares (audit, snapshot, prune, readiness): the options
 * that say which policy and where to look (provider, regions, projects, endpoint overrides), their
 * validation with one-line errors, the policy loader, and the clients made from them with the
 * caller's credentials. One place, so each command checks the same input the same way before any
 * API call.
 */
import { AwsClientFactory, DEFAULT_HOME_REGION } from '../aws/clients.ts';
import { isAwsRegionName, likelyAwsRegion } from '../core/aws-region.ts';
import { InputError } from '../core/errors.ts';
import type { Provider } from '../core/finding.ts';
import { GCP_PROJECT } from '../core/gcp-project.ts';
import { loadPolicyFromEnv, POLICY_ENV, type Policy, policyProviders } from '../core/policy.ts';
import { loadPolicyFile } from '../core/policy-file.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../gcp/clients.ts';
import { type GcpClientsWithSecretManager, withSecretManager } from '../gcp/secret-manager.ts';
import { withCloudStorage } from '../gcp/storage-client.ts';
import { arnPartitionOf } from '../publish/security-hub/asff.ts';
import { didYouMean, splitList } from './args.ts';
import type { CliIo, CliOption, CliOverrides } from './command.ts';
import { resolveAwsCredentials } from './credentials.ts';
import { awsProfileRegion, type ProfileRegion } from './shared-config.ts';

export const PROVIDERS = ['aws', 'gcp', 'all'] as const;
export type ProviderChoice = (typeof PROVIDERS)[number];

/** How a command words its own `--provider`, `--region` and `--project` help. */
export interface WhereWords {
  /** `Which cloud to audit`; the default, the same for every command, is added after it. */
  readonly provider: string;
  /** `Audit only this AWS region` */
  readonly region: string;
  /** `Audit this GCP project's Cloud SQL` */
  readonly project: string;
}

/** `--policy`, `--provider`, `--region`, `--project`: which policy, and where to look. */
export function whereOptions(words: WhereWords): Record<string, CliOption> {
  return {
    policy: {
      type: 'string',
      value: 'FILE',
      help: `Policy file, YAML or JSON (default: $${POLICY_ENV} as JSON, else all defaults: 30 days PITR, 15 min restore lag, targets tagged certctl:backup-guard=enabled, every enabled region). 'backup-guard init' writes a starter.`,
    },
    provider: {
      type: 'string',
      value: 'aws|gcp|all',
      help: `${words.provider} (default: the clouds the policy configures: gcp for a policy that lists gcp.projects and has no aws section or sets aws.configured: false, aws and gcp for one with both, none for one that configures neither (pass --provider), else aws)`,
    },
    region: {
      type: 'string',
      multiple: true,
      value: 'REGION',
      help: `${words.region}; repeat or comma-separate for several`,
    },
    project: {
      type: 'string',
      multiple: true,
      value: 'PROJECT',
      help: `${words.project} (default: gcp.projects of the policy); repeat or comma-separate for several`,
    },
  };
}

/** `--endpoint-url`, `--gcp-endpoint-url`: the simulator (or an emulator) instead of the clouds. */
export const ENDPOINT_OPTIONS: Readonly<Record<string, CliOption>> = {
  'endpoint-url': {
    type: 'string',
    value: 'URL',
    help: 'Send every AWS API call to URL (for the bundled simulator)',
  },
  'gcp-endpoint-url': {
    type: 'string',
    value: 'URL',
    help: `Send every GCP API call (Cloud SQL Admin, Cloud Storage, Secret Manager, Cloud KMS, Resource Manager) to URL, unauthenticated (for the simulator; also $${CLOUD_SQL_ENDPOINT_ENV})`,
  },
};

/** The simulator's address, as the endpoint flags' errors give it for an example. */
const ENDPOINT_EXAMPLE = 'http://127.0.0.1:4566';

/** The parsed where-options, before the policy gives `--provider` its default. */
export interface WhereInput {
  readonly policyFile: string | undefined;
  /** `--provider`; undefined when it was not given (the policy's clouds, {@link whereFor}). */
  readonly provider: ProviderChoice | undefined;
  readonly regions: string[] | undefined;
  readonly projects: string[] | undefined;
  /** `--endpoint-url`, checked; `AWS_ENDPOINT_URL` is checked by {@link openClouds} and read by the SDK. */
  readonly endpointUrl: string | undefined;
  /** `--gcp-endpoint-url`, checked; {@link openClouds} falls back on its variable. */
  readonly gcpEndpointUrl: string | undefined;
}

/** The where-options of a run: `--provider`, else the clouds its policy configures. */
export interface WhereArgs extends WhereInput {
  readonly provider: ProviderChoice;
  /** The clouds the run reads. */
  readonly providers: Provider[];
}

/**
 * An endpoint flag's value, when given, is an http or https URL: the clients speak nothing else, and
 * `ftp://host` would otherwise be sent to as if it were `https://host` and fail as a DNS or
 * connection error that never names the flag.
 */
export function checkEndpointUrl(flag: string, value: string | undefined, example: string): void {
  if (value === undefined) return;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new InputError(
      `${flag} must be an http or https URL such as ${example}; got '${withoutUserInfo(value)}'`,
    );
  }
  // Neither the AWS SDK nor the Google clients send a URL's user and password (no Authorization
  // header is made of them): they would do nothing but be shown, in this error or in a finding
  // that names the endpoint no answer came from.
  if (url.username !== '' || url.password !== '') {
    throw new InputError(
      `${flag} holds a user name or password ('${withoutUserInfo(value)}'), which no client sends: remove it, as in ${example}`,
    );
  }
}

/** `http://***@host:4566` for `http://user:password@host:4566`: a URL shown without its user and password. */
function withoutUserInfo(value: string): string {
  return value.replace(/^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/**
 * The endpoint a flag gives, else the environment variable that stands in for it, checked as
 * {@link checkEndpointUrl} checks the flag and named as what was set (`$AWS_ENDPOINT_URL_DYNAMODB`):
 * a variable that is no URL would otherwise surface as a client's TypeError with its stack trace, or
 * as a failed call whose advice (set AWS_REGION) points away from it. Blank counts as unset.
 */
export function endpointOf(
  flag: string,
  value: string | undefined,
  env: NodeJS.ProcessEnv,
  variable: string,
  example: string,
): string | undefined {
  if (value !== undefined) {
    checkEndpointUrl(flag, value, example);
    return value;
  }
  const fromEnv = env[variable]?.trim() || undefined;
  checkEndpointUrl(`$${variable}`, fromEnv, example);
  return fromEnv;
}

/**
 * Check the where-options; every mistake is one {@link InputError} naming the flag. The variables
 * that stand in for the endpoint flags are checked by {@link openClouds}, for the clouds it makes
 * clients of.
 */
export function parseWhereArgs(values: Readonly<Record<string, unknown>>): WhereInput {
  const provider = values.provider as string | undefined;
  if (provider !== undefined && !(PROVIDERS as readonly string[]).includes(provider)) {
    throw new InputError(
      `--provider must be one of ${PROVIDERS.join(', ')}; got '${provider}'.${didYouMean(provider, PROVIDERS)}`,
    );
  }
  const regions = splitList(values.region);
  if (values.region && regions?.length === 0)
    throw new InputError('--region needs a region name, e.g. eu-west-1');
  const badRegion = regions?.find((region) => !isAwsRegionName(region));
  if (badRegion !== undefined) {
    const likely = likelyAwsRegion(badRegion);
    throw new InputError(
      `--region '${badRegion}' is not an AWS region name such as eu-west-1.${likely ? ` Did you mean '${likely}'?` : ''}`,
    );
  }
  // The flags only: the variables that stand in for them are checked when a client of their cloud
  // is made (openClouds), since a run that makes none never reads them.
  const endpointUrl = values['endpoint-url'] as string | undefined;
  checkEndpointUrl('--endpoint-url', endpointUrl, ENDPOINT_EXAMPLE);
  const gcpEndpointUrl = values['gcp-endpoint-url'] as string | undefined;
  checkEndpointUrl('--gcp-endpoint-url', gcpEndpointUrl, ENDPOINT_EXAMPLE);
  const projects = splitList(values.project);
  if (values.project && projects?.length === 0) throw new InputError('--project needs a GCP project id');
  // The same rule as the policy's gcp.projects: a name that is no project id would otherwise be sent
  // into the API path (`../x`) and come back as a permission error about a project nobody has.
  const badProject = projects?.find((project) => !GCP_PROJECT.test(project));
  if (badProject !== undefined) {
    throw new InputError(
      `--project '${badProject}' is not a GCP project id (6 to 30 lower-case letters, digits or hyphens, starting with a letter)`,
    );
  }
  const input: WhereInput = {
    policyFile: values.policy as string | undefined,
    provider: provider as ProviderChoice | undefined,
    regions,
    projects,
    endpointUrl,
    gcpEndpointUrl,
  };
  // A --provider given is checked against --region and --project at once, before the policy is read.
  if (input.provider !== undefined) checkWhereClouds(input, providersOf(input.provider));
  return input;
}

function providersOf(choice: ProviderChoice): Provider[] {
  return choice === 'all' ? ['aws', 'gcp'] : [choice];
}

/** `--region` needs AWS in the run and `--project` GCP; `defaulted` words the error of a policy's default. */
function checkWhereClouds(input: WhereInput, providers: readonly Provider[], defaulted?: string): void {
  if (!providers.includes('gcp') && input.projects) {
    throw new InputError(
      defaulted
        ? `--project selects GCP projects, but ${defaulted}, so the run reads AWS: pass --provider gcp or --provider all`
        : '--project needs --provider gcp or --provider all',
    );
  }
  if (!providers.includes('aws') && input.regions) {
    throw new InputError(
      defaulted
        ? `--region selects AWS regions, but ${defaulted}, so the run reads GCP: pass --provider all (or aws) to read AWS too, or choose projects with --project`
        : '--region selects AWS regions; with --provider gcp choose projects with --project',
    );
  }
}

/**
 * The where-options of a run under its policy: without `--provider`, the clouds the policy
 * configures (`policyProviders`: a GCP-only policy is read on GCP, not on the AWS account the
 * caller's credentials happen to reach); a policy that configures none has no default, and says so.
 */
export function whereFor(input: WhereInput, policy: Policy): WhereArgs {
  if (input.provider !== undefined) {
    return { ...input, provider: input.provider, providers: providersOf(input.provider) };
  }
  const providers = policyProviders(policy);
  if (providers.length === 0) {
    throw new InputError(
      'the policy configures no cloud (aws.configured is false and gcp.projects is empty), so there is no default for --provider: pass --provider aws, gcp or all',
    );
  }
  const gcpAlone = !providers.includes('aws');
  checkWhereClouds(
    input,
    providers,
    gcpAlone
      ? 'the policy configures GCP alone (gcp.projects and no aws section, or aws.configured: false)'
      : 'the policy configures AWS alone (no gcp.projects)',
  );
  const provider: ProviderChoice = providers.length === 2 ? 'all' : gcpAlone ? 'gcp' : 'aws';
  return { ...input, provider, providers };
}

/** The policy of `--policy FILE`, else `$BACKUP_GUARD_POLICY`, else the defaults. */
export async function loadCliPolicy(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Policy> {
  return file ? loadPolicyFile(file) : loadPolicyFromEnv(env);
}

/** The GCP projects of a run: `--project`, else the policy's; none is a clear error. */
export function projectsOf(where: WhereArgs, policy: Policy, verb: string): readonly string[] {
  const projects = where.projects ?? policy.gcp.projects;
  if (where.providers.includes('gcp') && projects.length === 0) {
    throw new InputError(
      `no GCP project to ${verb}: pass --project PROJECT or list them in the policy (gcp.projects)`,
    );
  }
  return projects;
}

/**
 * The region of each partition where account-level calls go when no setting names one: STS has a
 * regional endpoint there (sts.us-gov-west-1.amazonaws.com, sts.cn-north-1.amazonaws.com.cn:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html).
 */
export const PARTITION_HOME_REGIONS: Readonly<Record<string, string>> = {
  aws: DEFAULT_HOME_REGION,
  'aws-us-gov': 'us-gov-west-1',
  'aws-cn': 'cn-north-1',
};

/** A setting that names a partition: a region (`--region`, `aws.regions`, the central region) or a role ARN. */
interface PartitionSetting {
  readonly setting: string;
  readonly partition: string;
  readonly region?: string;
}

function partitionSettings(where: WhereArgs, policy: Policy): PartitionSetting[] {
  const byRegion = (setting: string, region: string): PartitionSetting => ({
    setting: `${setting} ${region}`,
    partition: arnPartitionOf(region),
    region,
  });
  // `--region` replaces the policy's regions for the run, so only the run's regions count.
  const runRegions = where.regions
    ? where.regions.map((region) => byRegion('--region', region))
    : policy.aws.regions === 'all'
      ? []
      : policy.aws.regions.map((region) => byRegion('aws.regions', region));
  const central = policy.securityHub.centralRegion;
  return [
    ...runRegions,
    ...(central ? [byRegion('securityHub.centralRegion', central)] : []),
    ...policy.aws.accounts.map((account, index) => ({
      setting: `aws.accounts[${index}].roleArn ${account.roleArn}`,
      partition: account.roleArn.split(':')[1] ?? 'aws',
    })),
  ];
}

/** A region the caller configured outside the settings: how to name it, and how to fix it. */
interface ConfiguredRegion {
  readonly region: string;
  /** `AWS_REGION us-east-1`, `the region us-east-1 of AWS profile 'ops' in /home/op/.aws/config` */
  readonly source: string;
  /** `set AWS_REGION to` */
  readonly fix: string;
}

/** `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the AWS profile's region. */
function configuredRegion(
  env: NodeJS.ProcessEnv,
  profile: ProfileRegion | undefined,
): ConfiguredRegion | undefined {
  for (const variable of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const region = env[variable];
    if (region && !isAwsRegionName(region)) {
      // A typo here would send STS, Security Hub's home and the idempotency table to no region.
      const likely = likelyAwsRegion(region);
      throw new InputError(
        `${variable} '${region}' is not an AWS region name such as eu-west-1${likely ? ` (did you mean ${likely}?)` : ''}: set ${variable} to the region for STS and Security Hub's home, or unset it`,
      );
    }
    if (region) return { region, source: `${variable} ${region}`, fix: `set ${variable} to` };
  }
  if (profile === undefined) return undefined;
  return {
    region: profile.region,
    source: `the region ${profile.region} of AWS profile '${profile.profile}' in ${profile.file}`,
    fix: `set the region of profile '${profile.profile}' (or AWS_REGION) to`,
  };
}

/**
 * The region for account-level calls of a CLI run (STS, the Account API, Security Hub's home, the
 * idempotency table), in the order the AWS CLI and SDKs take a region: `AWS_REGION`, then
 * `AWS_DEFAULT_REGION`, then the `region` of the AWS profile ({@link awsProfileRegion}, read by
 * the caller). Without them, us-east-1 is right only in the commercial partition: when the settings
 * name GovCloud or China (regions, the central region, member role ARNs), the first region they
 * name there, else that partition's {@link PARTITION_HOME_REGIONS}. Undefined in the commercial
 * partition, where the run's regions, then us-east-1, serve as before. One run's credentials
 * belong to one partition, so settings that name two (or an `AWS_REGION` or profile region in
 * another than theirs) are refused before any call, naming each setting.
 */
export function cliHomeRegion(
  env: NodeJS.ProcessEnv,
  where: WhereArgs,
  policy: Policy,
  profile?: ProfileRegion,
): string | undefined {
  const configured = configuredRegion(env, profile);
  const settings = partitionSettings(where, policy);
  const partitions = [...new Set(settings.map((entry) => entry.partition))];
  const listed = (partition: string) =>
    settings
      .filter((entry) => entry.partition === partition)
      .map((entry) => entry.setting)
      .join(', ');
  if (partitions.length > 1) {
    throw new InputError(
      `the settings name more than one AWS partition (${partitions.map((partition) => `${partition}: ${listed(partition)}`).join('; ')}), ` +
        "and one run's credentials belong to one: keep the regions and member roles of one partition, and set AWS_REGION to a region of it",
    );
  }
  const [partition] = partitions;
  if (configured !== undefined) {
    const configuredPartition = arnPartitionOf(configured.region);
    if (partition !== undefined && configuredPartition !== partition) {
      throw new InputError(
        `${configured.source} is in the ${configuredPartition} partition, but the settings name the ${partition} partition (${listed(partition)}): ` +
          `${configured.fix} a region of ${partition}${PARTITION_HOME_REGIONS[partition] ? ` such as ${PARTITION_HOME_REGIONS[partition]}` : ''}, or fix the settings`,
      );
    }
    return configured.region;
  }
  if (partition === undefined || partition === 'aws') return undefined;
  const home =
    settings.find((entry) => entry.region !== undefined)?.region ?? PARTITION_HOME_REGIONS[partition];
  if (home === undefined) {
    throw new InputError(
      `the member roles are in the ${partition} partition (${listed(partition)}), whose region backup-guard cannot guess: set AWS_REGION, or list the regions in aws.regions`,
    );
  }
  return home;
}

/** The clients of a command, made once the input is checked. */
export interface CliClouds {
  /**
   * The region for account-level calls: `AWS_REGION`, `AWS_DEFAULT_REGION`, the AWS profile's
   * region, else the GovCloud or China region the settings point to ({@link cliHomeRegion});
   * undefined in the commercial partition.
   */
  readonly homeRegion: string | undefined;
  /** The caller's AWS credentials behind the one client factory; absent when AWS is not needed. */
  readonly aws: { readonly factory: AwsClientFactory; readonly homeRegion: string | undefined } | undefined;
  readonly gcp: GcpClientFactory | undefined;
  /** Close every client's sockets. */
  close(): Promise<void>;
}

/**
 * Resolve the caller's credentials (one clear line when there are none) and make the clients.
 * `needs.aws` may be wider than `--provider` (publishing GCP findings goes to Security Hub).
 */
export async function openClouds(
  policy: Policy,
  where: WhereArgs,
  io: CliIo,
  overrides: CliOverrides,
  needs: { readonly aws: boolean; readonly gcp: boolean },
): Promise<CliClouds> {
  // The variables standing in for the endpoint flags, checked for the clouds whose clients are made:
  // the SDK reads AWS_ENDPOINT_URL itself (checked, not passed on), and a GCP-only run reads none
  // of AWS's, as an AWS-only one reads no GCP endpoint.
  if (needs.aws) {
    endpointOf('--endpoint-url', where.endpointUrl, io.env, 'AWS_ENDPOINT_URL', ENDPOINT_EXAMPLE);
  }
  const gcpEndpoint = needs.gcp
    ? endpointOf('--gcp-endpoint-url', where.gcpEndpointUrl, io.env, CLOUD_SQL_ENDPOINT_ENV, ENDPOINT_EXAMPLE)
    : undefined;
  // A run that needs no AWS call (GCP only, not publishing) has no partition to get right.
  const fromEnv = io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined;
  // The profile is read only when the environment names no region, as the SDK reads it.
  const homeRegion = needs.aws
    ? cliHomeRegion(io.env, where, policy, fromEnv ? undefined : await awsProfileRegion(io.env))
    : fromEnv;
  const credentials = needs.aws ? await resolveAwsCredentials(overrides, io.env) : undefined;
  // Member roles are assumed through STS in the home region, else in the first region of the run.
  const stsRegion =
    homeRegion ?? where.regions?.[0] ?? (policy.aws.regions === 'all' ? undefined : policy.aws.regions[0]);
  const factory = credentials
    ? new AwsClientFactory({
        maxAttempts: policy.aws.maxAttempts,
        credentials,
        ...(where.endpointUrl ? { endpoint: where.endpointUrl } : {}),
        ...(stsRegion ? { stsRegion } : {}),
        ...awsRetryWaits(overrides),
      })
    : undefined;
  const gcp = needs.gcp ? new GcpClientFactory(gcpEndpoint ? { endpoint: gcpEndpoint } : {}) : undefined;
  // A GCP-only run without Google credentials is one clear line, as one without AWS credentials is
  // (a run of both clouds keeps the AWS results and reports the GCP scopes not read).
  const clouds: CliClouds = {
    homeRegion,
    aws: factory ? { factory, homeRegion } : undefined,
    gcp,
    async close() {
      factory?.destroy();
      await gcp?.close();
    },
  };
  if (gcp && where.provider === 'gcp') {
    await gcp.requestClient().catch(async (error: unknown) => {
      await clouds.close();
      throw error;
    });
  }
  return clouds;
}

/** The AWS client factory's retry waits the overrides ask for (CliOverrides `retries`): none, the SDK's own. */
export function awsRetryWaits(overrides: CliOverrides): { retryWaitScale?: number } {
  const scale = overrides.retries?.awsWaitScale;
  return scale === undefined ? {} : { retryWaitScale: scale };
}

/**
 * The GCP clients of a CLI run, which may run any group: Cloud SQL, Cloud Storage (dumps) and
 * Secret Manager (keys). The deployed functions each take only their own (audit-function.ts).
 * `overrides` may retry the Secret Manager reads otherwise (CliOverrides `retries`).
 */
export function gcpClientsOfEveryGroup(
  factory: GcpClientFactory,
  overrides: CliOverrides = {},
): GcpClientsWithSecretManager {
  return withSecretManager(factory, withCloudStorage(factory), overrides.retries?.secretManager);
}
