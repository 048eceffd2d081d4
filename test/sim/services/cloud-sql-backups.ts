/**
 * Simulated Cloud SQL on-demand backups and their operations, as `@google-cloud/sql`'s REST
 * fallback calls them (the Cloud SQL service, cloud-sql.ts, routes them here):
 *
 * - `POST   /v1/projects/{project}/instances/{instance}/backupRuns`       backupRuns.insert
 * - `DELETE /v1/projects/{project}/instances/{instance}/backupRuns/{id}`  backupRuns.delete
 * - `GET    /v1/projects/{project}/operations/{operation}`               operations.get
 * - and the ON_DEMAND runs that `backupRuns.list` lists beside the automated ones.
 *
 * Both writes answer with Cloud SQL's own `Operation` (not `google.longrunning`): `name`, `status`
 * (`PENDING`, `RUNNING`, `DONE`), `operationType` (`BACKUP_VOLUME`, `DELETE_BACKUP`), `error`, and
 * for a backup `backupContext.backupId` (shared/reference/cloud-api-facts.md, "On-demand backup and
 * polling"). State follows the simulator clock: an insert is PENDING briefly, RUNNING for the
 * backup's duration, then DONE, with an `error` when the scenario makes the instance's backups
 * fail; the run goes ENQUEUED -> RUNNING -> SUCCESSFUL (or FAILED). While an operation runs on an
 * instance, another write is refused with HTTP 409, as Cloud SQL refuses concurrent operations
 * ("operation in progress"). A delete leaves the run DELETION_PENDING until its operation is done.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { type SimTime, simTimeSchema } from '../scenario-fields.ts';

/** An instance's on-demand backup behaviour and the backups it already has (`onDemandBackups`). */
export const onDemandBackupsSchema = z
  .strictObject({
    /** How long a backup of this instance takes (simulated milliseconds); the section default otherwise. */
    durationMs: z.int().min(0).optional(),
    /** Backups of this instance end FAILED (the operation DONE with an error). */
    fails: z.boolean().default(false),
    /** Another operation (maintenance, an automated backup) runs this long after the simulator starts. */
    busyForMs: z.int().min(0).optional(),
    /** On-demand backups that exist when the simulator starts (ours carry our description). */
    existing: z
      .array(
        z.strictObject({
          description: z.string().max(1024).default(''),
          createdAt: simTimeSchema.prefault('-2d'),
          /**
           * OVERDUE, SQL_BACKUP_RUN_STATUS_UNSPECIFIED (sent as 0) and DELETION_FAILED stay so
           * until the run is deleted: a run Cloud SQL says indicates a problem, one whose status it
           * says is unknown, and one whose deletion failed.
           */
          status: z
            .enum(['SUCCESSFUL', 'FAILED', 'OVERDUE', 'SQL_BACKUP_RUN_STATUS_UNSPECIFIED', 'DELETION_FAILED'])
            .default('SUCCESSFUL'),
        }),
      )
      .default([]),
  })
  .prefault({});

export type OnDemandBackups = z.output<typeof onDemandBackupsSchema>;

/** The fields a `BackupRun` request body may carry (the proto's JSON names). */
export const BACKUP_RUN_FIELDS: ReadonlySet<string> = new Set([
  'kind',
  'status',
  'enqueuedTime',
  'id',
  'startTime',
  'endTime',
  'error',
  'type',
  'description',
  'windowStartTime',
  'instance',
  'selfLink',
  'location',
  'databaseVersion',
  'diskEncryptionConfiguration',
  'diskEncryptionStatus',
  'backupKind',
  'timeZone',
  'maxChargeableBytes',
]);

/** How long an operation stays PENDING before it runs (never longer than a tenth of the backup). */
const PENDING_MS = 500;
/** How long a delete takes. */
const DELETE_MS = 500;

/** An on-demand backup run the simulator holds. */
export interface SimBackupRun {
  readonly project: string;
  readonly instance: string;
  readonly id: string;
  readonly description: string;
  readonly enqueuedAt: Date;
  readonly durationMs: number;
  readonly fails: boolean;
  /** A status the run keeps whatever the clock says (an existing OVERDUE or UNSPECIFIED run). */
  readonly stuck?: string;
  /** Set by a delete: the run is DELETION_PENDING until then, gone after. */
  deletedAt?: Date;
}

/** A write operation the simulator holds. */
export interface SimOperation {
  readonly name: string;
  readonly project: string;
  readonly instance: string;
  readonly type: 'BACKUP_VOLUME' | 'DELETE_BACKUP';
  readonly insertedAt: Date;
  readonly durationMs: number;
  readonly backupId: string;
  readonly fails: boolean;
}

export type OperationStatus = 'PENDING' | 'RUNNING' | 'DONE';

function pendingMs(durationMs: number): number {
  return Math.min(PENDING_MS, Math.floor(durationMs / 10));
}

export function operationStatus(operation: SimOperation, now: Date): OperationStatus {
  const elapsed = now.getTime() - operation.insertedAt.getTime();
  if (elapsed >= operation.durationMs) return 'DONE';
  return elapsed < pendingMs(operation.durationMs) ? 'PENDING' : 'RUNNING';
}

/** The run's `SqlBackupRunStatus` at `now`; undefined once a delete has completed. */
export function runStatus(run: SimBackupRun, now: Date): string | undefined {
  if (run.deletedAt)
    return now.getTime() >= run.deletedAt.getTime() + DELETE_MS ? undefined : 'DELETION_PENDING';
  if (run.stuck) return run.stuck;
  const elapsed = now.getTime() - run.enqueuedAt.getTime();
  if (elapsed >= run.durationMs) return run.fails ? 'FAILED' : 'SUCCESSFUL';
  return elapsed < pendingMs(run.durationMs) ? 'ENQUEUED' : 'RUNNING';
}

/** Why a write is refused, as the service says it. */
export type BackupRefusal =
  | { readonly kind: 'busy'; readonly message: string }
  | { readonly kind: 'not-found'; readonly message: string };

/** The on-demand backups and operations of every project. */
export class CloudSqlBackupStore {
  readonly #defaultDurationMs: number;
  readonly #runs: SimBackupRun[] = [];
  readonly #operations = new Map<string, SimOperation>();
  /** Instance key -> until when another operation keeps it busy. */
  readonly #busyUntil = new Map<string, Date>();
  #nextId = 1_800_000_000_000;
  /** Inserts accepted, for tests and benchmarks (a re-sent request must add none). */
  insertCalls = 0;

  constructor(defaultDurationMs: number) {
    this.#defaultDurationMs = defaultDurationMs;
  }

  /** Seed an instance's existing backups and its busy period, resolved against the start clock. */
  seed(project: string, instance: string, spec: OnDemandBackups, now: Date): void {
    for (const existing of spec.existing) {
      this.#runs.push({
        project,
        instance,
        id: this.#newId(),
        description: existing.description,
        enqueuedAt: (existing.createdAt as SimTime).at(now),
        durationMs: 0,
        fails: existing.status === 'FAILED',
        ...(existing.status === 'SUCCESSFUL' || existing.status === 'FAILED'
          ? {}
          : { stuck: existing.status }),
      });
    }
    if (spec.busyForMs !== undefined) this.setBusy(project, instance, spec.busyForMs, now);
  }

  /** Keep the instance busy (an operation of someone else's) for `forMs` from `now`. */
  setBusy(project: string, instance: string, forMs: number, now: Date): void {
    this.#busyUntil.set(`${project}/${instance}`, new Date(now.getTime() + forMs));
  }

  /** The refusal a write on this instance gets now, if any: another operation is running. */
  #busy(project: string, instance: string, now: Date): BackupRefusal | undefined {
    const until = this.#busyUntil.get(`${project}/${instance}`);
    const running = [...this.#operations.values()].some(
      (operation) =>
        operation.project === project &&
        operation.instance === instance &&
        operationStatus(operation, now) !== 'DONE',
    );
    if ((until && now < until) || running) {
      return {
        kind: 'busy',
        message:
          'Operation failed because another operation was already in progress. Try your request after the current operation is complete.',
      };
    }
    return undefined;
  }

  /** backupRuns.insert: a new ON_DEMAND run and its BACKUP_VOLUME operation. */
  insert(
    project: string,
    instance: string,
    description: string,
    behaviour: OnDemandBackups,
    now: Date,
  ): SimOperation | BackupRefusal {
    const refusal = this.#busy(project, instance, now);
    if (refusal) return refusal;
    this.insertCalls += 1;
    const durationMs = behaviour.durationMs ?? this.#defaultDurationMs;
    const id = this.#newId();
    this.#runs.push({
      project,
      instance,
      id,
      description,
      enqueuedAt: now,
      durationMs,
      fails: behaviour.fails,
    });
    return this.#operation(project, instance, 'BACKUP_VOLUME', now, durationMs, id, behaviour.fails);
  }

  /** backupRuns.delete: the run goes DELETION_PENDING, then away. */
  delete(project: string, instance: string, id: string, now: Date): SimOperation | BackupRefusal {
    const run = this.#runs.find(
      (candidate) =>
        candidate.project === project &&
        candidate.instance === instance &&
        candidate.id === id &&
        runStatus(candidate, now) !== undefined,
    );
    if (!run) return { kind: 'not-found', message: `The backup run ${id} does not exist.` };
    const refusal = this.#busy(project, instance, now);
    if (refusal) return refusal;
    run.deletedAt = now;
    return this.#operation(project, instance, 'DELETE_BACKUP', now, DELETE_MS, id, false);
  }

  /** Whether an on-demand backup of the instance has ended (its operation DONE) at `now`. */
  backupEnded(project: string, instance: string, now: Date): boolean {
    return [...this.#operations.values()].some(
      (operation) =>
        operation.project === project &&
        operation.instance === instance &&
        operation.type === 'BACKUP_VOLUME' &&
        operationStatus(operation, now) === 'DONE',
    );
  }

  operation(project: string, name: string): SimOperation | undefined {
    const operation = this.#operations.get(name);
    return operation?.project === project ? operation : undefined;
  }

  /** The on-demand runs of an instance that still exist at `now`, newest first. */
  runs(project: string, instance: string, now: Date): { run: SimBackupRun; status: string }[] {
    return this.#runs
      .filter((run) => run.project === project && run.instance === instance)
      .flatMap((run) => {
        const status = runStatus(run, now);
        return status ? [{ run, status }] : [];
      })
      .sort((a, b) => b.run.enqueuedAt.getTime() - a.run.enqueuedAt.getTime());
  }

  /** Every run ever held (deleted ones included), for tests. */
  all(): readonly SimBackupRun[] {
    return this.#runs;
  }

  #operation(
    project: string,
    instance: string,
    type: SimOperation['type'],
    now: Date,
    durationMs: number,
    backupId: string,
    fails: boolean,
  ): SimOperation {
    const operation = {
      name: randomUUID(),
      project,
      instance,
      type,
      insertedAt: now,
      durationMs,
      backupId,
      fails,
    };
    this.#operations.set(operation.name, operation);
    return operation;
  }

  #newId(): string {
    this.#nextId += 1;
    return String(this.#nextId);
  }
}

/** Start of a run or operation once it leaves PENDING. */
export function startedAt(insertedAt: Date, durationMs: number): Date {
  return new Date(insertedAt.getTime() + pendingMs(durationMs));
}
