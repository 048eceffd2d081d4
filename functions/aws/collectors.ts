/**
 * The AWS collectors of the built-in check groups: how one (account, region) scope's facts are read.
 * Each group's collector lives beside its adapter (`rdsPitrCollector` in rds.ts, `s3DumpsCollector`
 * in s3-dumps.ts, `secretsManagerKeysCollector` in secrets-manager.ts), not in the group registry,
 * so that a function bundles only the clients of the groups it runs: a scheduled Lambda passes its
 * own groups' collectors; readiness, chat and the CLI, which run whatever the policy configures,
 * pass {@link awsCollectors}, whose adapters are imported on a group's first scope, so only the
 * configured groups load (and, with code splitting, each group is a chunk of its own).
 * A new group adds its collector beside its adapter and one line below.
 */
import type { Fact, SelectedOtherEngine } from '../core/facts.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import type { AuditedAccount, AwsClientFactory } from './clients.ts';

/** Where an AWS collector reads one scope: the account (with its role) and region, and the clients. */
export interface AwsScopeReader {
  readonly factory: AwsClientFactory;
  readonly account: AuditedAccount;
  readonly region: string;
  readonly policy: Policy;
  readonly now: () => Date;
}

/**
 * Reads one AWS scope's facts; throws when the scope cannot be read. A collector whose listings may
 * not show every database a name selects (the PITR listings filter on engine) also has
 * `lookUpNames`: run once every scope is read (functions/jobs/audit.ts), for the policy's names no
 * scope answered to, it answers the databases of another engine that answer to them in one scope,
 * and throws when it cannot tell.
 */
export interface AwsCollector {
  (reader: AwsScopeReader): Promise<readonly Fact[]>;
  /**
   * Readies, without sending anything, what reading the scope will need first (its clients and
   * their resolved routes): the planner calls it for each place of a placed group while it waits for
   * STS to name the caller's account, so that work is not done after the answer, when the scope's
   * first calls wait for it. Never throws; a failure is left for the scope's own reading to meet.
   */
  readonly prepare?: (reader: AwsScopeReader) => void;
  readonly lookUpNames?: (
    reader: AwsScopeReader,
    names: readonly string[],
  ) => Promise<readonly SelectedOtherEngine[]>;
}

/** The AWS collector of each built-in group. */
export type AwsCollectors = Readonly<Partial<Record<CheckGroup, AwsCollector>>>;

/**
 * Every built-in group's AWS collector, each importing its adapter when a scope of its group is
 * first read: a group the policy does not configure has no scope, so its adapter and clients never
 * load.
 */
export const awsCollectors: AwsCollectors = {
  pitr: Object.assign(async (reader: AwsScopeReader) => (await import('./rds.ts')).rdsPitrCollector(reader), {
    lookUpNames: async (reader: AwsScopeReader, names: readonly string[]) =>
      (await import('./rds.ts')).lookUpRdsNamesOf(reader, names),
  }),
  dumps: Object.assign(
    async (reader: AwsScopeReader) => (await import('./s3-dumps.ts')).s3DumpsCollector(reader),
    {
      prepare: (reader: AwsScopeReader) => {
        import('./s3-dumps.ts').then(
          ({ s3DumpsCollector }) => s3DumpsCollector.prepare?.(reader),
          () => undefined,
        );
      },
    },
  ),
  keys: Object.assign(
    async (reader: AwsScopeReader) =>
      (await import('./secrets-manager.ts')).secretsManagerKeysCollector(reader),
    {
      prepare: (reader: AwsScopeReader) => {
        import('./secrets-manager.ts').then(
          ({ secretsManagerKeysCollector }) => secretsManagerKeysCollector.prepare?.(reader),
          () => undefined,
        );
      },
    },
  ),
};
