/**
 * What the snapshot, prune and readiness commands share: the options that say where to look
 * (policy, provider, regions, projects, endpoints) and the clients made from them.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsClientFactory } from '../../aws/clients.ts';
import { CredentialsError, InputError } from '../../core/errors.ts';
import type { Provider } from '../../core/finding.ts';
import { loadPolicyFile, loadPolicyFromEnv, type Policy } from '../../core/policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../../gcp/clients.ts';
import type { CliIo, CliOverrides } from '../command.ts';

/** Environment variable naming a DynamoDB endpoint for the idempotency table (a local DynamoDB). */
export const DYNAMODB_ENDPOINT_ENV = 'BACKUP_GUARD_DYNAMODB_ENDPOINT';

export const WHERE_OPTIONS = {
  policy: { type: 'string' },
  provider: { type: 'string' },
  region: { type: 'string', multiple: true },
  project: { type: 'string', multiple: true },
  'endpoint-url': { type: 'string' },
  'gcp-endpoint-url': { type: 'string' },
  format: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const WHERE_HELP = `  --policy FILE           Policy file, JSON or YAML (default: $BACKUP_GUARD_POLICY, else defaults)
  --provider aws|gcp|all  Which cloud (default: aws)
  --region REGION         Only these AWS regions (repeat or comma-separate)
  --project PROJECT       These GCP projects (default: gcp.projects of the policy)
  --format table|json     Output (default: table)
  --endpoint-url URL      Send AWS API calls to URL (the bundled simulator)
  --gcp-endpoint-url URL  Send Cloud SQL Admin calls to URL (the simulator)
  --quiet                 No progress on stderr
`;

export interface Where {
  readonly policy: Policy;
  readonly providers: Provider[];
  readonly regions: string[] | undefined;
  readonly format: 'table' | 'json';
  readonly quiet: boolean;
  readonly aws: { factory: AwsClientFactory; homeRegion: string | undefined } | undefined;
  readonly gcp: GcpClientFactory | undefined;
  /** The idempotency table's client, when the policy names a table. */
  readonly dynamo: DynamoDBClient | undefined;
  close(): Promise<void>;
}

/** Parse the options (the shared ones plus `extra`), failing in one line. */
export function parseCommandArgs<
  E extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>,
>(command: string, args: readonly string[], extra: E) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...WHERE_OPTIONS, ...extra },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (error) {
    throw new InputError(
      `${(error as Error).message}. Run 'backup-guard ${command} --help' for the options.`,
      { cause: error },
    );
  }
}

function split(values: readonly string[] | undefined): string[] | undefined {
  const list = values
    ?.flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

async function credentials(
  overrides: CliOverrides,
): Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider> {
  if (overrides.awsCredentials) return overrides.awsCredentials;
  const provider = fromNodeProviderChain();
  try {
    await provider();
  } catch (error) {
    throw new CredentialsError(
      "No AWS credentials found (environment, AWS_PROFILE / SSO, config files, container or instance role). Sign in, or run 'npm run demo'.",
      { cause: error },
    );
  }
  return provider;
}

/** Load the policy and make the clients the options ask for. */
export async function openWhere(
  values: Record<string, unknown>,
  io: CliIo,
  overrides: CliOverrides,
): Promise<Where> {
  const policyFile = values.policy as string | undefined;
  const policy = policyFile ? await loadPolicyFile(policyFile) : loadPolicyFromEnv(io.env);
  const provider = (values.provider as string | undefined) ?? 'aws';
  if (!['aws', 'gcp', 'all'].includes(provider))
    throw new InputError(`--provider must be one of aws, gcp, all; got '${provider}'`);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new InputError(`--format must be table or json; got '${format}'`);
  for (const flag of ['endpoint-url', 'gcp-endpoint-url']) {
    const value = values[flag] as string | undefined;
    if (value !== undefined && !URL.canParse(value))
      throw new InputError(`--${flag} must be a URL such as http://127.0.0.1:4566; got '${value}'`);
  }
  const providers: Provider[] = provider === 'all' ? ['aws', 'gcp'] : [provider as Provider];
  const projects = split(values.project as string[] | undefined);
  const effective = projects ? { ...policy, gcp: { ...policy.gcp, projects } } : policy;
  if (providers.includes('gcp') && effective.gcp.projects.length === 0) {
    throw new InputError('no GCP project: pass --project PROJECT or list them in the policy (gcp.projects)');
  }
  const homeRegion = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const endpoint = values['endpoint-url'] as string | undefined;
  const needsAws = providers.includes('aws') || effective.snapshots.idempotencyTable !== undefined;
  const creds = needsAws ? await credentials(overrides) : undefined;
  const factory =
    creds && providers.includes('aws')
      ? new AwsClientFactory({
          maxAttempts: policy.aws.maxAttempts,
          credentials: creds,
          ...(endpoint ? { endpoint } : {}),
          ...(homeRegion ? { stsRegion: homeRegion } : {}),
        })
      : undefined;
  const gcpEndpoint = (values['gcp-endpoint-url'] as string | undefined) ?? io.env[CLOUD_SQL_ENDPOINT_ENV];
  const gcp = providers.includes('gcp')
    ? new GcpClientFactory(gcpEndpoint ? { endpoint: gcpEndpoint } : {})
    : undefined;
  const dynamoEndpoint = io.env[DYNAMODB_ENDPOINT_ENV];
  const dynamo =
    effective.snapshots.idempotencyTable && creds
      ? new DynamoDBClient({
          region: homeRegion ?? 'us-east-1',
          credentials: creds,
          ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}),
        })
      : undefined;
  return {
    policy: effective,
    providers,
    regions: split(values.region as string[] | undefined),
    format,
    quiet: (values.quiet as boolean | undefined) ?? false,
    aws: factory ? { factory, homeRegion } : undefined,
    gcp,
    dynamo,
    async close() {
      factory?.destroy();
      dynamo?.destroy();
      await gcp?.close();
    },
  };
}
