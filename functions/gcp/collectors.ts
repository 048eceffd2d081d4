/**
 * The GCP collectors of the built-in check groups: how one project's facts are read. Each group's
 * collector lives beside its adapter (`cloudSqlPitrCollector` in cloud-sql.ts, `gcsDumpsCollector`
 * in gcs-dumps.ts, `secretManagerKeysCollector` in secret-manager.ts), not in the group registry,
 * so that a function bundles only the clients of the groups it runs: a Cloud Function passes its
 * own groups' collectors (and its clients: `withCloudStorage`, `withSecretManager`), the CLI
 * {@link gcpCollectors}.
 */

import type { Storage } from '@google-cloud/storage';
import type { Fact } from '../core/facts.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import { type CloudSqlApi, cloudSqlPitrCollector } from './cloud-sql.ts';
import { gcsDumpsCollector } from './gcs-dumps.ts';
import { type SecretManagerApi, secretManagerKeysCollector } from './secret-manager.ts';

/** The GCP clients a collector may use (the GCP client factory fits). */
export interface GcpClientSource {
  cloudSql(): CloudSqlApi;
  /** The Cloud Storage client (the dumps group); a source without one cannot audit GCS dumps. */
  storage?(): Promise<Storage>;
  /** The Secret Manager client (the keys group); a source without one cannot audit GCP key material. */
  secretManager?(): Promise<SecretManagerApi>;
}

/** Where a GCP collector reads one scope: the project (all its regions) and the clients. */
export interface GcpScopeReader {
  readonly clients: GcpClientSource;
  readonly project: string;
  readonly policy: Policy;
  readonly now: () => Date;
}

/** Reads one GCP project's facts for a group; throws when the project cannot be read. */
export type GcpCollector = (reader: GcpScopeReader) => Promise<readonly Fact[]>;

/** The GCP collector of each built-in group. */
export type GcpCollectors = Readonly<Partial<Record<CheckGroup, GcpCollector>>>;

/** Every built-in group's GCP collector (the CLI, which may run any group). */
export const gcpCollectors: GcpCollectors = {
  pitr: cloudSqlPitrCollector,
  dumps: gcsDumpsCollector,
  keys: secretManagerKeysCollector,
};
