/**
 * What the snapshot, prune and readiness commands add to the shared cloud options
 * (./clouds.ts): their `--format`, and the snapshot clouds (functions/actions/snapshot) made from
 * the CLI's clients.
 */
import { awsSnapshotCloud } from '../actions/snapshot/aws.ts';
import type { SnapshotCloud } from '../actions/snapshot/backend.ts';
import { gcpSnapshotCloud } from '../actions/snapshot/gcp.ts';
import { InputError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import { didYouMean } from './args.ts';
import {
  type CliClouds,
  loadCliPolicy,
  openClouds,
  parseWhereArgs,
  projectsOf,
  type WhereArgs,
} from './clouds.ts';
import type { CliIo, CliOption, CliOverrides } from './command.ts';

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
  const where = parseWhereArgs(values);
  const policy = await loadCliPolicy(where.policyFile, io.env);
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
