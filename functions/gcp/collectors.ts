/**
 * The GCP collectors of the built-in check groups: how one project's facts are read. They live here,
 * not in the group registry, so that a function bundles only its own cloud's adapters. Entry points
 * that audit GCP pass {@link gcpCollectors} to the job; a new group adds one line below.
 */

import type { Storage } from '@google-cloud/storage';
import type { Fact } from '../core/facts.ts';
import type { CheckGroup } from '../core/finding.ts';
import type { Policy } from '../core/policy.ts';
import { type CloudSqlApi, readCloudSqlPitrFacts } from './cloud-sql.ts';
import { collectGcsDumpFacts } from './gcs-dumps.ts';
import { readGcpKeyFacts, type SecretManagerApi } from './secret-manager.ts';

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

export const gcpCollectors: GcpCollectors = {
  pitr: ({ clients, project, policy, now }) =>
    readCloudSqlPitrFacts(clients.cloudSql(), project, policy, { now }),
  dumps: async ({ clients, project, policy }) => {
    if (!clients.storage) throw new Error('the GCP clients of this run have no Cloud Storage client');
    return collectGcsDumpFacts({ storage: await clients.storage(), project, dumps: policy.dumps });
  },
  keys: async ({ clients, project, policy, now }) => {
    if (!clients.secretManager) throw new Error('the GCP clients of this run have no Secret Manager client');
    return readGcpKeyFacts(await clients.secretManager(), project, policy, { now });
  },
};
