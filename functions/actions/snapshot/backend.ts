/**
 * What the snapshot action needs from a cloud, per scope (provider x account x region). The AWS
 * backend (RDS) and the GCP backend (Cloud SQL backup runs) implement it; tests may fake it.
 */
import type { SnapshotKind, SnapshotTarget } from './model.ts';

/** A snapshot or backup as a backend reports it. */
export interface BackendSnapshot {
  readonly id: string;
  readonly kind: SnapshotKind;
  /** The target's identifier. */
  readonly target: string;
  /** `creating`, `available`, `failed`, or the cloud's own word for anything else. */
  readonly status: string;
  /** ARN or selfLink. */
  readonly ref?: string | undefined;
  readonly createdAt?: Date | undefined;
  readonly encrypted?: boolean | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly sizeGb?: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Backend-specific handle to poll (a Cloud SQL operation name). */
  readonly handle?: string | undefined;
  /** Why a failed snapshot failed, when the cloud says. */
  readonly failure?: string | undefined;
}

/** How an API error of a create call is treated. */
export type CreateErrorKind =
  /** The target is busy (backing-up, modifying): retry until the deadline. */
  | 'busy'
  /** The region's snapshot quota is full. */
  | 'quota'
  /** A snapshot of that name exists already (a re-run): adopt it. */
  | 'exists'
  | 'other';

export interface SnapshotBackend {
  create(
    target: SnapshotTarget,
    snapshotId: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<BackendSnapshot>;
  /** The current state of these snapshots (missing ones are absent from the answer). */
  poll(snapshots: readonly BackendSnapshot[]): Promise<BackendSnapshot[]>;
  /** Every manual snapshot of this kind in the scope (ours and others). */
  listManual(kind: SnapshotKind, targets?: readonly SnapshotTarget[]): Promise<BackendSnapshot[]>;
  delete(snapshot: BackendSnapshot): Promise<void>;
  classify(error: unknown): CreateErrorKind;
  /** Whether this backend counts manual snapshots against a quota (RDS yes; Cloud SQL backups no). */
  readonly quotaApplies: boolean;
}
