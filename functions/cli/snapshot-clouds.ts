/**
 * What the snapshot, prune and readiness commands add to the shared cloud options
 * (./clouds.ts): their `--format`, and the snapshot clouds (functions/actions/snapshot) made from
 * the CLI's clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsSnapshotCloud } from '../actions/snapshot/aws.ts';
import { memberAccountsLeftOut, ownAccountPolicy, type SnapshotCloud } from '../actions/snapshot/backend.ts';
import { gcpSnapshotCloud } from '../actions/snapshot/gcp.ts';
import { AwsClientFactory, DEFAULT_HOME_REGION } from '../aws/clients.ts';
import { InputError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import { didYouMean } from './args.ts';
import {
  awsRetryWaits,
  type CliClouds,
  checkEndpointUrl,
  endpointOf,
  loadCliPolicy,
  openClouds,
  parseWhereArgs,
  projectsOf,
  type WhereArgs,
  whereFor,
} from './clouds.ts';
import type { CliIo, CliOption, CliOverrides } from './command.ts';
import { resolveAwsCredentials } from './credentials.ts';

/** The SDK's own variable for a DynamoDB endpoint; the CLI also reads it from its environment. */
export const DYNAMODB_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB';
/** A local DynamoDB's address, as the endpoint's errors give it for an example. */
export const DYNAMODB_ENDPOINT_EXAMPLE = 'http://127.0.0.1:8000';

const FORMATS = ['table', 'json'] as const;
export type SnapshotFormat = (typeof FORMATS)[number];

/** `--format table|json`. */
export const OUTPUT_OPTIONS: Readonly<Record<string, CliOption>> = {
  format: { type: 'string', value: 'FORMAT', help: 'table (default) or json' },
};

export function parseSnapshotFormat(values: Readonly<Record<string, unknown>>): SnapshotFormat {
  const format = (values.format as string | undefined) ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new InputError(
      `--format must be one of ${FORMATS.join(', ')}; got '${format}'.${didYouMean(format, FORMATS)}`,
    );
  }
  return format as SnapshotFormat;
}

/** A command's policy, clients and snapshot clouds, opened after its input is checked. */
export interface SnapshotCommandContext {
  /** The policy the command runs with: for one that writes, its own account's ({@link ownAccountPolicy}). */
  readonly policy: Policy;
  /**
   * The member accounts (`aws.accounts`) a command that writes leaves out ({@link memberAccountsLeftOut});
   * empty for one that only reads.
   */
  readonly membersLeftOut: readonly string[];
  readonly where: WhereArgs;
  readonly clouds: CliClouds;
  /** One per cloud of `--provider`. */
  readonly snapshotClouds: SnapshotCloud[];
  readonly projects: readonly string[];
}

/**
 * Check the where-options, load the policy, resolve the credentials and make the clients; `verb`
 * words the error when no GCP project is configured. `checkWithPolicy` checks the command's own
 * input that depends on the policy, before any client is made. A command that `writes` snapshots
 * (takes or deletes them) runs on AWS in the account of its credentials only, as the snapshot Lambda
 * and chat do ({@link ownAccountPolicy}: the member roles are read-only, so every write through one
 * would be refused, target by target), and learns which member accounts it leaves out.
 */
export async function openSnapshotCommand(
  values: Readonly<Record<string, unknown>>,
  io: CliIo,
  overrides: CliOverrides,
  verb: string,
  checkWithPolicy?: (policy: Policy) => void,
  options: { readonly writes?: boolean } = {},
): Promise<SnapshotCommandContext> {
  const input = parseWhereArgs(values);
  const loaded = await loadCliPolicy(input.policyFile, io.env);
  const where = whereFor(input, loaded);
  const projects = projectsOf(where, loaded, verb);
  checkWithPolicy?.(loaded);
  const clouds = await openClouds(loaded, where, io, overrides, {
    aws: where.providers.includes('aws'),
    gcp: where.providers.includes('gcp'),
  });
  const policy = options.writes ? ownAccountPolicy(loaded) : loaded;
  const snapshotClouds: SnapshotCloud[] = [];
  let membersLeftOut: readonly string[] = [];
  if (clouds.aws) {
    const aws = awsSnapshotCloud({
      policy,
      factory: clouds.aws.factory,
      homeRegion: clouds.homeRegion,
      regions: where.regions,
    });
    snapshotClouds.push(aws);
    if (options.writes) membersLeftOut = await memberAccountsLeftOut(loaded, policy, aws);
  }
  if (clouds.gcp) snapshotClouds.push(gcpSnapshotCloud({ policy, clients: clouds.gcp, projects }));
  return { policy, membersLeftOut, where, clouds, snapshotClouds, projects };
}

/**
 * The warning a command that writes gives, once, on stderr, for the member accounts it left out
 * ({@link openSnapshotCommand}): which, why, and how to act on them. Undefined when none.
 */
export function membersLeftOutLine(
  command: 'snapshot' | 'prune',
  accounts: readonly string[],
): string | undefined {
  if (accounts.length === 0) return undefined;
  const one = accounts.length === 1;
  const which = `member account${one ? '' : 's'} ${accounts.join(', ')} (aws.accounts) left out`;
  const whose = one ? "that account's credentials" : "each account's credentials";
  const their = one ? 'its' : 'their';
  return command === 'snapshot'
    ? `backup-guard: ${which}: snapshot writes in the account of its credentials only, as the snapshot Lambda does, since the member role is read-only; to snapshot ${their} databases, run backup-guard snapshot with ${whose} (or use the snapshot Lambda deployed there)\n`
    : `backup-guard: ${which}: prune lists and deletes in the account of its credentials only, since the member role is read-only; to prune ${their} snapshots, run backup-guard prune with ${whose}\n`;
}

/** The idempotency table (`snapshots.idempotencyTable`) and the client that reaches it. */
export interface IdempotencyTable {
  readonly name: string;
  readonly dynamo: DynamoDBClient;
  /** Ends the client's connections. */
  destroy(): void;
}

/**
 * The idempotency table of `snapshot` (its requests and the run records of the snapshots it takes)
 * and `prune` (which reads those records): `--dynamodb-endpoint-url` is checked at once, and its
 * variable read in `check`, which {@link openSnapshotCommand} calls before any client is made, only
 * when the policy names a table (no DynamoDB client is made otherwise). Without either, the table is
 * reached at `--endpoint-url`, as every other AWS call is and as the SDK sends DynamoDB calls to
 * `$AWS_ENDPOINT_URL` without `$AWS_ENDPOINT_URL_DYNAMODB`: a run against the simulator must not
 * read or write the real account's table. `open` then reaches the table in the caller's own account
 * and home region, whatever the targets' cloud; undefined without one.
 */
export function idempotencyTableInput(
  values: Readonly<Record<string, unknown>>,
  io: CliIo,
): {
  readonly check: (policy: Policy) => void;
  readonly open: (
    context: SnapshotCommandContext,
    overrides: CliOverrides,
  ) => Promise<IdempotencyTable | undefined>;
} {
  const flag = values['dynamodb-endpoint-url'] as string | undefined;
  checkEndpointUrl('--dynamodb-endpoint-url', flag, DYNAMODB_ENDPOINT_EXAMPLE);
  // Checked by parseWhereArgs with the other where-options.
  const everyAwsCall = values['endpoint-url'] as string | undefined;
  let endpoint: string | undefined;
  return {
    check(policy) {
      if (policy.snapshots.idempotencyTable) {
        endpoint =
          endpointOf(
            '--dynamodb-endpoint-url',
            flag,
            io.env,
            DYNAMODB_ENDPOINT_ENV,
            DYNAMODB_ENDPOINT_EXAMPLE,
          ) ?? everyAwsCall;
      }
    },
    async open({ policy, clouds }, overrides) {
      const name = policy.snapshots.idempotencyTable;
      if (!name) return undefined;
      const factory = new AwsClientFactory({
        maxAttempts: policy.aws.maxAttempts,
        credentials: await resolveAwsCredentials(overrides, io.env),
        ...(endpoint ? { endpoint } : {}),
        ...awsRetryWaits(overrides),
      });
      return {
        name,
        dynamo: factory.client(DynamoDBClient, clouds.homeRegion ?? DEFAULT_HOME_REGION),
        destroy: () => factory.destroy(),
      };
    },
  };
}
