/**
 * The GCP collectors of the built-in check groups: how one project's facts are read. Each group's
 * collector lives beside its adapter (`cloudSqlPitrCollector` in cloud-sql.ts, `gcsDumpsCollector`
 * in gcs-dumps.ts, `secretManagerKeysCollector` in secret-manager.ts), not in the group registry,
 * so that a function bundles only the clients of the groups it runs: a Cloud Function passes its
 * own groups' collectors (and its clients: `withCloudStorage`, `withSecretManager`); readiness, chat
 * and the CLI pass {@link gcpCollectors}, whose adapters are imported on a group's first scope, so
 * only the groups the policy configures load.
 */

import type { Storage } from '@google-cloud/storage';
import type { Fact } from '../core/facts.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import type { CloudKmsApi } from './cloud-kms.ts';
import type { CloudSqlApi } from './cloud-sql.ts';
import type { ResourceManagerApi } from './resource-manager.ts';
import type { SecretManagerApi } from './secret-manager.ts';

/** The GCP clients a collector may use (the GCP client factory fits). */
export interface GcpClientSource {
  cloudSql(): CloudSqlApi;
  /** The Cloud Storage client (the dumps group); a source without one cannot audit GCS dumps. */
  storage?(): Promise<Storage>;
  /**
   * The Cloud Storage client of the dumps group's ranged object reads, its automatic retries off
   * (./storage-client.ts); a source without one reads them through `storage()`.
   */
  objectReads?(): Promise<Storage>;
  /** The Secret Manager client (the keys group); a source without one cannot audit GCP key material. */
  secretManager?(): Promise<SecretManagerApi>;
  /**
   * The Cloud KMS client (the keys group: the state of a secret's customer-managed key; the dumps
   * group: the state of a dump bucket's default key). A source without one leaves those unread.
   */
  cloudKms?(): Promise<CloudKmsApi>;
  /**
   * The Resource Manager client (the dumps group: the number of the project each dump bucket must
   * belong to). A source without one proves no bucket the project's: the dumps checks are NOT_AVAILABLE.
   */
  resourceManager?(): Promise<ResourceManagerApi>;
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

/** Every built-in group's GCP collector, each importing its adapter on its group's first scope. */
export const gcpCollectors: GcpCollectors = {
  pitr: async (reader) => (await import('./cloud-sql.ts')).cloudSqlPitrCollector(reader),
  dumps: async (reader) => (await import('./gcs-dumps.ts')).gcsDumpsCollector(reader),
  keys: async (reader) => (await import('./secret-manager.ts')).secretManagerKeysCollector(reader),
};
