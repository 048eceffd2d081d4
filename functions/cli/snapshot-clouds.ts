/**
 * What the snapshot, prune and readiness commands add to the shared cloud options
 * (./clouds.ts): their `--format`, and the snapshot clouds (functions/actions/snapshot) made from
 * the CLI's clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsSnapshotCloud } from '../actions/snapshot/aws.ts';
import type { SnapshotCloud } from '../actions/snapshot/backend.ts';
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
  readonly policy: Policy;
  readonly where: WhereArgs;
  readonly clouds: CliClouds;
  /** One per cloud of `--provider`. */
  readonly snapshotClouds: SnapshotCloud[];
  readonly projects: readonly string[];
}

/**
 * Check the where-options, load the policy, resolve the credentials and make the clients; `verb`
 * words the error when no GCP project is configured. `checkWithPolicy` checks the command's own
 * input that depends on the policy, before any client is made.
 */
export async function openSnapshotCommand(
  values: Readonly<Record<string, unknown>>,
  io: CliIo,
  overrides: CliOverrides,
  verb: string,
  checkWithPolicy?: (policy: Policy) => void,
): Promise<SnapshotCommandContext> {
  const input = parseWhereArgs(values);
  const policy = await loadCliPolicy(input.policyFile, io.env);
  const where = whereFor(input, policy);
  const projects = projectsOf(where, policy, verb);
  checkWithPolicy?.(policy);
  const clouds = await openClouds(policy, where, io, overrides, {
    aws: where.providers.includes('aws'),
    gcp: where.providers.includes('gcp'),
  });
  const snapshotClouds: SnapshotCloud[] = [];
  if (clouds.aws) {
    snapshotClouds.push(
      awsSnapshotCloud({
        policy,
        factory: clouds.aws.factory,
        homeRegion: clouds.homeRegion,
        regions: where.regions,
      }),
    );
  }
  if (clouds.gcp) snapshotClouds.push(gcpSnapshotCloud({ policy, clients: clouds.gcp, projects }));
  return { policy, where, clouds, snapshotClouds, projects };
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
