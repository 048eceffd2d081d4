/**
 * Simulated Cloud SQL Admin API v1, REST as `@google-cloud/sql`'s REST fallback calls it. gax
 * transcodes each RPC with the proto's `google.api.http` rule (google-gax 6.17
 * `fallbackRest.encodeRequest`; rules from the package's `protos.json`):
 *
 * - `GET /v1/projects/{project}/instances?maxResults=&pageToken=`               instances.list
 * - `GET /v1/projects/{project}/instances/{instance}`                           instances.get
 * - `GET /v1/projects/{project}/instances/{instance}/getLatestRecoveryTime`     getLatestRecoveryTime
 * - `GET /v1/projects/{project}/instances/{instance}/backupRuns?maxResults=&pageToken=` backupRuns.list
 * - `GET /v1/projects/{project}/instances/{instance}/backupRuns/{id}`           backupRuns.get
 * - `POST /v1/projects/{project}/instances/{instance}/backupRuns`, `DELETE …/backupRuns/{id}` and
 *   `GET /v1/projects/{project}/operations/{operation}`: on-demand backups (cloud-sql-backups.ts)
 *
 * Answers are proto3 JSON as the API sends them: wrapper values (BoolValue, Int32Value) bare, int64
 * as decimal strings, timestamps RFC 3339, and enums as numbers when the client asks for
 * `$alt=json;enum-encoding=int` (gax always does in REST mode), as names otherwise. Enum numbers come
 * from the generated protos, never typed by hand. Errors use Google's JSON error body
 * (`{ error: { code, message, status } }`), which gax maps to a GoogleError with the gRPC code.
 *
 * The scenario seeds `services.cloudSql.projects.<project>.instances`; restore windows and backup
 * runs follow from the settings on the simulator clock unless the scenario pins them, and faults are
 * per project (listing) or per instance (recovery time, backup runs). `backups.logStorage` of `DISK`
 * or `SWITCHING_TO_CLOUD_STORAGE` makes getLatestRecoveryTime refuse, as the real call does for logs
 * not in Cloud Storage.
 * `scheduledMaintenance.start` (fixed when the simulator starts, as an announced date is) appears in
 * the instance's `scheduledMaintenance`, as the API reports upcoming maintenance.
 */
import { createHash } from 'node:crypto';
import sqlProtos from '@google-cloud/sql/build/protos/protos.json' with { type: 'json' };
import * as z from 'zod';
import { scenarioError } from '../errors.ts';
import type { InjectedFailure } from '../faults.ts';
import { type SimTime, simTimeSchema, tagsSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService, SimServiceFactory } from '../service.ts';
import {
  BACKUP_RUN_FIELDS,
  type BackupRefusal,
  CloudSqlBackupStore,
  onDemandBackupsSchema,
  operationStatus,
  type SimOperation,
  startedAt,
} from './cloud-sql-backups.ts';

export const CLOUD_SQL_SERVICE = 'cloudSql';

const SQL_V1 = sqlProtos.nested.google.nested.cloud.nested.sql.nested.v1.nested;
const ENUMS = {
  databaseVersion: SQL_V1.SqlDatabaseVersion.values,
  instanceType: SQL_V1.SqlInstanceType.values,
  instanceState: SQL_V1.DatabaseInstance.nested.SqlInstanceState.values,
  suspensionReason: SQL_V1.SqlSuspensionReason.values,
  edition: SQL_V1.Settings.nested.Edition.values,
  retentionUnit: SQL_V1.BackupRetentionSettings.nested.RetentionUnit.values,
  logStorage: SQL_V1.BackupConfiguration.nested.TransactionalLogStorageState.values,
  backupTier: SQL_V1.BackupConfiguration.nested.BackupTier.values,
  backupRunStatus: SQL_V1.SqlBackupRunStatus.values,
  backupRunType: SQL_V1.SqlBackupRunType.values,
  backupKind: SQL_V1.SqlBackupKind.values,
  operationStatus: SQL_V1.Operation.nested.SqlOperationStatus.values,
  operationType: SQL_V1.Operation.nested.SqlOperationType.values,
  pricingPlan: SQL_V1.SqlPricingPlan.values,
  activationPolicy: SQL_V1.Settings.nested.SqlActivationPolicy.values,
  replicationType: SQL_V1.SqlReplicationType.values,
  dataDiskType: SQL_V1.SqlDataDiskType.values,
  availabilityType: SQL_V1.SqlAvailabilityType.values,
  sslMode: SQL_V1.IpConfiguration.nested.SslMode.values,
  connectorEnforcement: SQL_V1.Settings.nested.ConnectorEnforcement.values,
  networkArchitecture: SQL_V1.DatabaseInstance.nested.SqlNetworkArchitecture.values,
  ipAddressType: SQL_V1.SqlIpAddressType.values,
} as const;
type EnumKind = keyof typeof ENUMS;

/** The canonical error statuses and the HTTP code Google pairs with each (google/rpc/code.proto). */
const GOOGLE_STATUS_HTTP = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;
export type GoogleStatus = keyof typeof GOOGLE_STATUS_HTTP;
const googleStatusSchema = z.enum(Object.keys(GOOGLE_STATUS_HTTP) as [GoogleStatus, ...GoogleStatus[]]);

/** A name the protos define for `kind`. */
function enumValue(kind: EnumKind) {
  return z.string().refine((name) => Object.hasOwn(ENUMS[kind], name), {
    message: `must be one of ${Object.keys(ENUMS[kind]).join(', ')}`,
  });
}

/** An API error for a call, optionally only from its N-th occurrence on (`after` calls succeed first). */
const faultSchema = z.union([
  googleStatusSchema.transform((status) => ({ status, after: 0 })),
  z.strictObject({ status: googleStatusSchema, after: z.int().min(0).default(0) }),
]);

const backupRunSchema = z.strictObject({
  /** When the backup finished (its restore point). */
  end: simTimeSchema,
  status: enumValue('backupRunStatus').default('SUCCESSFUL'),
  type: z.enum(['AUTOMATED', 'ON_DEMAND']).default('AUTOMATED'),
});

const instanceSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,96}$/, 'must be a Cloud SQL instance name'),
    region: z.string().min(1).default('europe-west1'),
    databaseVersion: enumValue('databaseVersion').default('POSTGRES_16'),
    /** `UNSPECIFIED` leaves the field out, as for instances created before editions existed. */
    edition: z.enum(['ENTERPRISE', 'ENTERPRISE_PLUS', 'DEVELOPER', 'UNSPECIFIED']).default('ENTERPRISE'),
    state: enumValue('instanceState').default('RUNNABLE'),
    /**
     * `suspensionReason` ("If the instance state is SUSPENDED, the reason for the suspension", a
     * repeated SqlSuspensionReason): sent only on a SUSPENDED instance, so set only with that state.
     */
    suspensionReasons: z.array(enumValue('suspensionReason')).min(1).optional(),
    /** `settings.activationPolicy`: a stopped instance stays RUNNABLE with activation policy NEVER. */
    activationPolicy: enumValue('activationPolicy').default('ALWAYS'),
    instanceType: enumValue('instanceType').default('CLOUD_SQL_INSTANCE'),
    /** Set for replicas (`project:instance`, as the API writes it). */
    masterInstanceName: z.string().min(1).optional(),
    labels: tagsSchema,
    createdAt: simTimeSchema.prefault('-400d'),
    backups: z
      .strictObject({
        enabled: z.boolean().default(true),
        pointInTimeRecovery: z.boolean().default(true),
        /** Default as Cloud SQL: 7 on Enterprise, 14 on Enterprise Plus. */
        transactionLogRetentionDays: z.int().min(1).max(35).optional(),
        retainedBackups: z.int().min(1).max(365).default(7),
        startTime: z
          .string()
          .regex(/^\d{2}:\d{2}$/)
          .default('02:00'),
        /** Backup location (`eu`, `europe-west1`); absent: the default multi-region, field left out. */
        location: z.string().min(1).optional(),
        /**
         * Where the PITR transaction logs are (output-only `transactionalLogStorageState`). `DISK` is an
         * instance that enabled PITR before logs moved to Cloud Storage (January 2023).
         */
        logStorage: enumValue('logStorage').default('CLOUD_STORAGE'),
        /**
         * Output-only `backupTier`: `STANDARD` (Cloud SQL keeps the backups) or `ENHANCED` ("Instance is
         * managed by Google Cloud Backup and DR Service"); absent: the field is left out of the answer.
         */
        backupTier: enumValue('backupTier').optional(),
        /**
         * Seeds a state Cloud SQL refuses to set (more than 7 log days on ENTERPRISE) straight into the
         * store, for a test proving the audit does not trust such an answer; without it the scenario is
         * refused, as the API refuses the setting (Cloud SQL docs, "Use point-in-time recovery":
         * Enterprise keeps 1-7 days, Enterprise Plus 1-35).
         */
        impossible: z.boolean().optional(),
      })
      .prefault({}),
    /** Absent fields are left out of the answer, as the API does for settings never set. */
    deletionProtection: z.boolean().optional(),
    retainBackupsOnDelete: z.boolean().optional(),
    finalBackup: z
      .strictObject({ enabled: z.boolean(), retentionDays: z.int().min(1).max(365).optional() })
      .optional(),
    /** Pins the restore window; by default it follows retention, creation time and the clock. */
    recovery: z
      .strictObject({ earliest: simTimeSchema.optional(), latest: simTimeSchema.optional() })
      .optional(),
    /** Pins the backup runs; by default one successful automated run per day, `retainedBackups` of them. */
    backupRuns: z.array(backupRunSchema).optional(),
    /** On-demand backups: how long they take, whether they fail, existing ones, a busy period. */
    onDemandBackups: onDemandBackupsSchema,
    /**
     * Google suspends the instance while an on-demand backup of it runs, for these reasons (empty:
     * none sent): its backups fail (the operation DONE with an error that does not say why), and
     * once one's operation is DONE the instance answers SUSPENDED (and refuses another backup).
     */
    suspendedDuringBackup: z.array(enumValue('suspensionReason')).optional(),
    /**
     * A customer-managed key (CMEK): every backup run then carries `diskEncryptionConfiguration.kmsKeyName`
     * and, when `kmsKeyVersionName` is set, `diskEncryptionStatus.kmsKeyVersionName` (the version the
     * backup was encrypted with). Absent: Google-managed encryption, both fields left out. The
     * instance's own answer carries both too (DatabaseInstance `diskEncryptionConfiguration` and
     * `diskEncryptionStatus`, "KMS key version used to encrypt the Cloud SQL instance resource"); `runsOmitKey`: the
     * backup runs leave theirs out (tests: a value the API did not send).
     */
    cmek: z
      .strictObject({
        kmsKeyName: z.string().min(1),
        kmsKeyVersionName: z.string().min(1).optional(),
        runsOmitKey: z.boolean().optional(),
      })
      .optional(),
    /**
     * Upcoming maintenance (`scheduledMaintenance`), its dates fixed when the simulator starts; without
     * `start`, the answer leaves `startTime` out (tests: a value the API did not send).
     */
    scheduledMaintenance: z
      .strictObject({
        start: simTimeSchema.optional(),
        canReschedule: z.boolean().default(true),
        deadline: simTimeSchema.optional(),
      })
      .optional(),
    faults: z
      .strictObject({
        getLatestRecoveryTime: faultSchema.optional(),
        instancesGet: faultSchema.optional(),
        backupRuns: faultSchema.optional(),
        backupRunsInsert: faultSchema.optional(),
        backupRunsDelete: faultSchema.optional(),
        operationsGet: faultSchema.optional(),
      })
      .prefault({}),
    /**
     * Dotted paths left out of the instance's answer (`settings.backupConfiguration.enabled`), as when
     * the API omits a field: exercises what the audit does with a value it cannot read.
     */
    omit: z.array(z.string().min(1)).default([]),
  })
  .superRefine((instance, context) => {
    if (instance.suspensionReasons && instance.state !== 'SUSPENDED') {
      context.addIssue({
        code: 'custom',
        path: ['suspensionReasons'],
        message: `Cloud SQL sends a suspensionReason only for a SUSPENDED instance, not ${instance.state}`,
      });
    }
    const days = instance.backups.transactionLogRetentionDays;
    if (instance.edition === 'ENTERPRISE' && days !== undefined && days > 7 && !instance.backups.impossible) {
      context.addIssue({
        code: 'custom',
        path: ['backups', 'transactionLogRetentionDays'],
        message: `Cloud SQL keeps 1-7 days on ENTERPRISE, so it refuses ${days}; set backups.impossible to seed it anyway`,
      });
    }
  });

const projectSchema = z.strictObject({
  instances: z.array(instanceSchema).default([]),
  faults: z.strictObject({ list: faultSchema.optional() }).prefault({}),
});

/** Schema of `services.cloudSql`. */
export const cloudSqlSectionSchema = z
  .strictObject({
    /**
     * Largest page `instances.list` returns. The API's is 1000 ("values above 1000 are coerced to
     * 1000"); a smaller one exercises paging with few instances.
     */
    maxPageSize: z.int().min(1).max(1000).default(1000),
    /** How long an on-demand backup takes when its instance gives no duration (simulated ms). */
    backupDurationMs: z.int().min(0).default(2000),
    projects: z
      .record(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'), projectSchema)
      .default({}),
  })
  .prefault({});

export type CloudSqlScenario = z.input<typeof cloudSqlSectionSchema>;
export type CloudSqlInstanceScenario = z.input<typeof instanceSchema>;
type Instance = z.output<typeof instanceSchema>;
type Project = z.output<typeof projectSchema>;
type Fault = { readonly status: GoogleStatus; readonly after: number };

const DAY_MS = 86_400_000;
/** The `transactionalLogStorageState`s whose logs are in Cloud Storage, where getLatestRecoveryTime serves. */
const LOGS_IN_CLOUD_STORAGE: ReadonlySet<string> = new Set(['CLOUD_STORAGE', 'SWITCHED_TO_CLOUD_STORAGE']);
const API_HOST = 'https://sqladmin.googleapis.com';
/** Default page of backupRuns.list when the caller gives no maxResults. */
const BACKUP_RUNS_DEFAULT_PAGE = 100;
const INSTANCE = '/v1/projects/([^/]+)/instances/([^/]+)';
const ROUTES = [
  { operation: 'instances.list', method: 'GET', pattern: /^\/v1\/projects\/([^/]+)\/instances$/ },
  { operation: 'instances.get', method: 'GET', pattern: new RegExp(`^${INSTANCE}$`) },
  {
    operation: 'instances.getLatestRecoveryTime',
    method: 'GET',
    pattern: new RegExp(`^${INSTANCE}/getLatestRecoveryTime$`),
  },
  { operation: 'backupRuns.list', method: 'GET', pattern: new RegExp(`^${INSTANCE}/backupRuns$`) },
  { operation: 'backupRuns.insert', method: 'POST', pattern: new RegExp(`^${INSTANCE}/backupRuns$`) },
  { operation: 'backupRuns.get', method: 'GET', pattern: new RegExp(`^${INSTANCE}/backupRuns/([^/]+)$`) },
  {
    operation: 'backupRuns.delete',
    method: 'DELETE',
    pattern: new RegExp(`^${INSTANCE}/backupRuns/([^/]+)$`),
  },
  {
    operation: 'operations.get',
    method: 'GET',
    pattern: /^\/v1\/projects\/([^/]+)\/operations\/([^/]+)$/,
  },
] as const;
type Operation = (typeof ROUTES)[number]['operation'];

interface Route {
  readonly operation: Operation;
  readonly project: string;
  /** The instance name, or the operation name for `operations.get`. */
  readonly instance: string;
  /** The backup run id of `backupRuns.get` and `backupRuns.delete`. */
  readonly id: string;
}

function route(request: SimRequest): Route | undefined {
  for (const { operation, method, pattern } of ROUTES) {
    if (request.method !== method) continue;
    const match = pattern.exec(request.path);
    if (match) {
      return {
        operation,
        project: decodeURIComponent(match[1] ?? ''),
        instance: decodeURIComponent(match[2] ?? ''),
        id: decodeURIComponent(match[3] ?? ''),
      };
    }
  }
  return undefined;
}

/** Google's JSON error body. */
export function googleError(status: GoogleStatus, message: string): SimResponse {
  return googleErrorOf(GOOGLE_STATUS_HTTP[status], status, message);
}

/**
 * Google's JSON error body of any `google.rpc.Code` name, with its HTTP status; `errors[0].reason`
 * is the status in lower case unless `extra.reason` says the service's own, and `extra.details` are
 * the answer's `details[]` (a `google.rpc.ErrorInfo`).
 */
function googleErrorOf(
  code: number,
  status: string,
  message: string,
  extra: { readonly reason?: string; readonly details?: readonly unknown[] } = {},
): SimResponse {
  const reason = extra.reason ?? status.toLowerCase();
  return {
    status: code,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify({
      error: {
        code,
        message,
        status,
        errors: [{ message, domain: 'global', reason }],
        ...(extra.details ? { details: extra.details } : {}),
      },
    }),
  };
}

function ok(body: unknown): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify(body),
  };
}

/** Page tokens are opaque to clients; here they carry the offset and what they page over. */
function encodeToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ scope, offset })).toString('base64url');
}

function decodeToken(token: string, scope: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      scope?: unknown;
      offset?: unknown;
    };
    return parsed.scope === scope && typeof parsed.offset === 'number' ? parsed.offset : undefined;
  } catch {
    return undefined;
  }
}

/** The simulated Cloud SQL Admin API; a `SimService` plus counters tests assert on. */
export class CloudSqlSim implements SimService {
  readonly name = CLOUD_SQL_SERVICE;
  readonly #maxPageSize: number;
  readonly #projects: ReadonlyMap<string, Project>;
  readonly #calls = new Map<string, number>();
  /** Scheduled maintenance per `project/instance`, its dates resolved when the simulator started. */
  readonly #maintenance = new Map<
    string,
    { start: Date | undefined; canReschedule: boolean; deadline: Date | undefined }
  >();
  /** On-demand backups and their operations; tests read and steer it (`setBusy`). */
  readonly backups: CloudSqlBackupStore;

  constructor(section: unknown, context: SimContext = { now: () => new Date() }) {
    const parsed = cloudSqlSectionSchema.safeParse(section);
    if (!parsed.success) {
      throw scenarioError(
        'scenario',
        undefined,
        parsed.error.issues.map((issue) => ({
          path: ['services', CLOUD_SQL_SERVICE, ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
      );
    }
    this.#maxPageSize = parsed.data.maxPageSize;
    this.#projects = new Map(Object.entries(parsed.data.projects));
    this.backups = new CloudSqlBackupStore(parsed.data.backupDurationMs);
    const now = context.now();
    for (const [project, { instances }] of this.#projects) {
      for (const instance of instances) {
        this.backups.seed(project, instance.name, instance.onDemandBackups, now);
        // Made now rather than while a request waits: see serverCaPems.
        serverCaPem(`${project}/${instance.name}`);
        const maintenance = instance.scheduledMaintenance;
        if (maintenance) {
          this.#maintenance.set(`${project}/${instance.name}`, {
            start: maintenance.start?.at(now),
            canReschedule: maintenance.canReschedule,
            deadline: maintenance.deadline?.at(now),
          });
        }
      }
    }
  }

  /** How often an operation was called (`instances.list`), for one project or all of them. */
  callCount(operation: Operation, project?: string): number {
    let total = 0;
    for (const [key, count] of this.#calls) {
      const [op, proj] = key.split(' ');
      if (op === operation && (project === undefined || proj === project)) total += count;
    }
    return total;
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && route(request) !== undefined;
  }

  operation(request: SimRequest): string {
    return route(request)?.operation ?? `${request.method} ${request.path}`;
  }

  /**
   * RESOURCE_EXHAUSTED (HTTP 429) as Cloud SQL Admin answers its per-minute rate quota: the
   * `google.rpc.ErrorInfo` reason RATE_LIMIT_EXCEEDED and `errors[0].reason` rateLimitExceeded (a
   * real answer of sqladmin.googleapis.com,
   * https://github.com/GoogleCloudPlatform/cloud-sql-jdbc-socket-factory/issues/979); or the failure
   * the faults name (`faults.throttleCode`).
   */
  throttled(_request?: SimRequest, injected?: InjectedFailure): SimResponse {
    if (injected) return googleErrorOf(injected.status, injected.code, injected.message);
    return googleErrorOf(
      GOOGLE_STATUS_HTTP.RESOURCE_EXHAUSTED,
      'RESOURCE_EXHAUSTED',
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'sqladmin.googleapis.com'.",
      {
        reason: 'rateLimitExceeded',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: { service: 'sqladmin.googleapis.com' },
          },
        ],
      },
    );
  }

  serverError(): SimResponse {
    return googleError('UNAVAILABLE', 'The service is currently unavailable.');
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const target = route(request);
    if (!target) return googleError('NOT_FOUND', `No API route for ${request.method} ${request.path}`);
    // Faults are per instance: an operation is counted under the instance it runs on.
    const operation =
      target.operation === 'operations.get'
        ? this.backups.operation(target.project, target.instance)
        : undefined;
    const occurrence = this.#count(target.operation, target.project, operation?.instance ?? target.instance);
    const project = this.#projects.get(target.project);
    if (!project) {
      // Google answers 403 for projects the caller cannot see, whether or not they exist.
      return googleError(
        'PERMISSION_DENIED',
        `The client is not authorized to make this request (project ${target.project}).`,
      );
    }
    const now = context.now();
    const numericEnums = (request.query.get('$alt') ?? '').includes('enum-encoding=int');
    const encode = (kind: EnumKind, name: string): string | number =>
      numericEnums ? ((ENUMS[kind] as Readonly<Record<string, number>>)[name] ?? 0) : name;

    if (target.operation === 'instances.list') {
      const fault = failing(project.faults.list, occurrence);
      if (fault) return googleError(fault, `Simulated ${fault} for instances.list in ${target.project}.`);
      return this.#list(target.project, project, request, now, encode);
    }
    if (target.operation === 'operations.get') {
      if (!operation) {
        return googleError('NOT_FOUND', `The Cloud SQL operation ${target.instance} does not exist.`);
      }
      const owner = project.instances.find((candidate) => candidate.name === operation.instance);
      const fault = failing(owner?.faults.operationsGet, occurrence);
      if (fault) return googleError(fault, `Simulated ${fault} for operations.get on ${operation.name}.`);
      return ok(operationJson(operation, now, encode));
    }
    const listed = project.instances.find((candidate) => candidate.name === target.instance);
    const instance = listed && this.#asAt(target.project, listed, now);
    if (!instance) {
      return googleError(
        'NOT_FOUND',
        `The Cloud SQL instance does not exist. (${target.project}:${target.instance})`,
      );
    }
    switch (target.operation) {
      case 'instances.get': {
        const fault = failing(instance.faults.instancesGet, occurrence);
        if (fault) return googleError(fault, `Simulated ${fault} for instances.get on ${instance.name}.`);
        return ok(this.#instanceJson(target.project, project, instance, now, encode));
      }
      case 'instances.getLatestRecoveryTime': {
        const fault = failing(instance.faults.getLatestRecoveryTime, occurrence);
        if (fault)
          return googleError(fault, `Simulated ${fault} for getLatestRecoveryTime on ${instance.name}.`);
        if (!instance.backups.enabled || !instance.backups.pointInTimeRecovery) {
          // Assumed wording: the call only serves PITR-enabled PostgreSQL instances (gcloud reference).
          return googleError(
            'FAILED_PRECONDITION',
            'Point-in-time recovery is not enabled for this instance.',
          );
        }
        if (!LOGS_IN_CLOUD_STORAGE.has(instance.backups.logStorage)) {
          // Assumed wording: the call only serves instances whose PITR logs are in Cloud Storage
          // (gcloud reference, `sql instances get-latest-recovery-time`), SWITCHED_TO_CLOUD_STORAGE
          // included: its logs "are now stored in Cloud Storage" (TransactionalLogStorageState).
          return googleError(
            'FAILED_PRECONDITION',
            'The latest recovery time is only available for instances that store transaction logs in Cloud Storage.',
          );
        }
        const window = recoveryWindow(instance, now);
        return ok({
          kind: 'sql#getLatestRecoveryTime',
          latestRecoveryTime: window.latest.toISOString(),
          earliestRecoveryTime: window.earliest.toISOString(),
        });
      }
      case 'backupRuns.list': {
        const fault = failing(instance.faults.backupRuns, occurrence);
        if (fault) return googleError(fault, `Simulated ${fault} for backupRuns.list on ${instance.name}.`);
        return this.#backupRuns(target.project, instance, request, now, encode);
      }
      case 'backupRuns.get': {
        // Faults as the listing's: the same backup runs read.
        const fault = failing(instance.faults.backupRuns, occurrence);
        if (fault) return googleError(fault, `Simulated ${fault} for backupRuns.get on ${instance.name}.`);
        if (!/^\d+$/.test(target.id)) {
          return googleError('INVALID_ARGUMENT', `Invalid value at 'id' (TYPE_INT64), "${target.id}"`);
        }
        return this.#backupRuns(target.project, instance, request, now, encode, target.id);
      }
      case 'backupRuns.insert': {
        const fault = failing(instance.faults.backupRunsInsert, occurrence);
        if (fault) return googleError(fault, `Simulated ${fault} for backupRuns.insert on ${instance.name}.`);
        return this.#insert(target.project, instance, request, now, encode);
      }
      case 'backupRuns.delete': {
        const fault = failing(instance.faults.backupRunsDelete, occurrence);
        if (fault) return googleError(fault, `Simulated ${fault} for backupRuns.delete on ${instance.name}.`);
        if (!/^\d+$/.test(target.id)) {
          return googleError('INVALID_ARGUMENT', `Invalid value at 'id' (TYPE_INT64), "${target.id}"`);
        }
        return operationOrRefusal(
          this.backups.delete(target.project, instance.name, target.id, now),
          now,
          encode,
        );
      }
    }
  }

  /** backupRuns.insert: the body is a `BackupRun`; unknown fields are refused as the API does. */
  #insert(
    project: string,
    instance: Instance,
    request: SimRequest,
    now: Date,
    encode: (kind: EnumKind, name: string) => string | number,
  ): SimResponse {
    let body: Record<string, unknown>;
    try {
      // gax sends an empty message as the JSON string "" (google-gax fallbackRest encodeRequest).
      const text = request.body.toString('utf8');
      const parsed: unknown = text === '' || text === '""' ? {} : JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new TypeError('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return googleError('INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const unknown = Object.keys(body).find((field) => !BACKUP_RUN_FIELDS.has(field));
    if (unknown !== undefined) {
      return googleError(
        'INVALID_ARGUMENT',
        `Invalid JSON payload received. Unknown name "${unknown}" at 'body': Cannot find field.`,
      );
    }
    if (instance.masterInstanceName || instance.instanceType === 'READ_REPLICA_INSTANCE') {
      // Assumed wording: read replicas have no backups of their own.
      return googleError('INVALID_ARGUMENT', 'Backups are not supported for read replica instances.');
    }
    // A stopped instance stays RUNNABLE with activation policy NEVER; Cloud SQL backs up neither.
    if (instance.state !== 'RUNNABLE' || instance.activationPolicy === 'NEVER') {
      return googleError('FAILED_PRECONDITION', 'Invalid request since instance is not running.');
    }
    const description = typeof body.description === 'string' ? body.description : '';
    const suspends = instance.suspendedDuringBackup !== undefined;
    return operationOrRefusal(
      this.backups.insert(
        project,
        instance.name,
        description,
        suspends ? { ...instance.onDemandBackups, fails: true } : instance.onDemandBackups,
        now,
      ),
      now,
      encode,
    );
  }

  /** The instance as the API answers it, with its replicas and its scheduled maintenance. */
  #instanceJson(
    project: string,
    projectData: Project,
    instance: Instance,
    now: Date,
    encode: (kind: EnumKind, name: string) => string | number,
  ): Record<string, unknown> {
    const json = instanceJson(project, instance, now, encode, replicasOf(project, projectData, instance));
    const maintenance = this.#maintenance.get(`${project}/${instance.name}`);
    if (!maintenance) return json;
    return {
      ...json,
      scheduledMaintenance: {
        ...(maintenance.start ? { startTime: maintenance.start.toISOString() } : {}),
        canDefer: maintenance.canReschedule,
        canReschedule: maintenance.canReschedule,
        ...(maintenance.deadline ? { scheduleDeadlineTime: maintenance.deadline.toISOString() } : {}),
      },
    };
  }

  /**
   * The instance as it is at `now`: SUSPENDED, with its `suspendedDuringBackup` reasons, once an
   * on-demand backup of it has ended; as the scenario says otherwise.
   */
  #asAt(project: string, instance: Instance, now: Date): Instance {
    const reasons = instance.suspendedDuringBackup;
    if (reasons === undefined || !this.backups.backupEnded(project, instance.name, now)) return instance;
    return {
      ...instance,
      state: 'SUSPENDED',
      suspensionReasons: reasons.length > 0 ? reasons : undefined,
    };
  }

  /** Counts the call; returns how many times this operation was called before on this target. */
  #count(operation: Operation, project: string, instance: string): number {
    const key = `${operation} ${project} ${instance}`;
    const previous = this.#calls.get(key) ?? 0;
    this.#calls.set(key, previous + 1);
    return previous;
  }

  #list(
    projectId: string,
    project: Project,
    request: SimRequest,
    now: Date,
    encode: (kind: EnumKind, name: string) => string | number,
  ): SimResponse {
    const page = pageOf(request, this.#maxPageSize, 500, `instances/${projectId}`);
    if (page === undefined) return googleError('INVALID_ARGUMENT', 'Invalid page token.');
    const items = project.instances.slice(page.offset, page.offset + page.size);
    const next = page.offset + page.size;
    return ok({
      kind: 'sql#instancesList',
      ...(items.length > 0
        ? {
            items: items.map((instance) =>
              this.#instanceJson(projectId, project, this.#asAt(projectId, instance, now), now, encode),
            ),
          }
        : {}),
      ...(next < project.instances.length
        ? { nextPageToken: encodeToken(`instances/${projectId}`, next) }
        : {}),
    });
  }

  #backupRuns(
    projectId: string,
    instance: Instance,
    request: SimRequest,
    now: Date,
    encode: (kind: EnumKind, name: string) => string | number,
    /** `backupRuns.get`: only the run of this id, NOT_FOUND when there is none. */
    id?: string,
  ): SimResponse {
    const automated = backupRuns(instance, now).map((run, index, all) => {
      const start = new Date(run.end.getTime() - 10 * 60_000);
      return {
        at: run.end,
        // int64 fields travel as strings.
        id: String(1_700_000_000_000 + all.length - index),
        status: run.status,
        type: run.type,
        enqueued: start,
        start,
        end: run.end as Date | undefined,
        description: undefined as string | undefined,
      };
    });
    const onDemand = this.backups.runs(projectId, instance.name, now).map(({ run, status }) => {
      const start = startedAt(run.enqueuedAt, run.durationMs);
      const finished = status !== 'ENQUEUED' && status !== 'RUNNING';
      return {
        at: run.enqueuedAt,
        id: run.id,
        status,
        type: 'ON_DEMAND',
        enqueued: run.enqueuedAt,
        start: status === 'ENQUEUED' ? undefined : start,
        end: finished ? new Date(run.enqueuedAt.getTime() + run.durationMs) : undefined,
        description: run.description,
      };
    });
    // Newest first, as the API lists them.
    const runs = [...automated, ...onDemand].sort((a, b) => b.at.getTime() - a.at.getTime());
    const itemOf = (run: (typeof runs)[number]) => ({
      kind: 'sql#backupRun',
      id: run.id,
      status: encode('backupRunStatus', run.status),
      type: encode('backupRunType', run.type),
      backupKind: encode('backupKind', 'SNAPSHOT'),
      ...(run.description ? { description: run.description } : {}),
      enqueuedTime: run.enqueued.toISOString(),
      ...(run.start ? { startTime: run.start.toISOString(), windowStartTime: run.start.toISOString() } : {}),
      ...(run.end ? { endTime: run.end.toISOString() } : {}),
      ...(run.status === 'FAILED'
        ? {
            error: {
              kind: 'sql#operationError',
              code: 'INTERNAL_ERROR',
              message: 'An internal error occurred while backing up the instance.',
            },
          }
        : {}),
      instance: instance.name,
      location: instance.region,
      databaseVersion: encode('databaseVersion', instance.databaseVersion),
      ...(instance.cmek && !instance.cmek.runsOmitKey ? diskEncryption(instance.cmek.kmsKeyName) : {}),
      ...(instance.cmek?.kmsKeyVersionName && !instance.cmek.runsOmitKey
        ? diskEncryptionStatus(instance.cmek.kmsKeyVersionName)
        : {}),
      selfLink: `${API_HOST}/v1/projects/${projectId}/instances/${instance.name}/backupRuns/${run.id}`,
    });
    if (id !== undefined) {
      const found = runs.find((run) => run.id === id);
      // Assumed wording; the status (404 NOT_FOUND) is what a missing resource gets.
      return found ? ok(itemOf(found)) : googleError('NOT_FOUND', `The backup run ${id} does not exist.`);
    }
    const scope = `backupRuns/${projectId}/${instance.name}`;
    const page = pageOf(request, this.#maxPageSize, BACKUP_RUNS_DEFAULT_PAGE, scope);
    if (page === undefined) return googleError('INVALID_ARGUMENT', 'Invalid page token.');
    const items = runs.slice(page.offset, page.offset + page.size).map(itemOf);
    const next = page.offset + page.size;
    return ok({
      kind: 'sql#backupRunsList',
      ...(items.length > 0 ? { items } : {}),
      ...(next < runs.length ? { nextPageToken: encodeToken(scope, next) } : {}),
    });
  }
}

/** The fault that applies to the N-th call (0-based), if any. */
function failing(fault: Fault | undefined, occurrence: number): GoogleStatus | undefined {
  return fault && occurrence >= fault.after ? fault.status : undefined;
}

function pageOf(
  request: SimRequest,
  maxPageSize: number,
  defaultSize: number,
  scope: string,
): { offset: number; size: number } | undefined {
  const requested = Number(request.query.get('maxResults') ?? '0');
  const size = Math.min(maxPageSize, requested > 0 ? requested : defaultSize);
  const token = request.query.get('pageToken');
  if (!token) return { offset: 0, size };
  const offset = decodeToken(token, scope);
  return offset === undefined ? undefined : { offset, size };
}

function logRetentionDays(instance: Instance): number {
  return instance.backups.transactionLogRetentionDays ?? (instance.edition === 'ENTERPRISE_PLUS' ? 14 : 7);
}

/** The restore window: pinned by the scenario, or `max(created, now - log days)` .. `now - 2 min`. */
function recoveryWindow(instance: Instance, now: Date): { earliest: Date; latest: Date } {
  const created = instance.createdAt.at(now);
  const byRetention = new Date(now.getTime() - logRetentionDays(instance) * DAY_MS);
  const earliest = instance.recovery?.earliest?.at(now) ?? (created > byRetention ? created : byRetention);
  // WAL reaches Cloud Storage at least every 5 minutes; two minutes is a healthy instance.
  const latest = instance.recovery?.latest?.at(now) ?? new Date(now.getTime() - 2 * 60_000);
  return { earliest, latest };
}

interface Run {
  readonly end: Date;
  readonly status: string;
  readonly type: string;
}

/** The backup runs, newest first (as the API lists them). */
function backupRuns(instance: Instance, now: Date): Run[] {
  const pinned: readonly { end: SimTime; status: string; type: string }[] | undefined = instance.backupRuns;
  if (pinned) {
    return pinned
      .map((run) => ({ end: run.end.at(now), status: run.status, type: run.type }))
      .sort((a, b) => b.end.getTime() - a.end.getTime());
  }
  if (!instance.backups.enabled) return [];
  const created = instance.createdAt.at(now);
  const runs: Run[] = [];
  // One automated backup per day, the newest a few hours ago, as many as are retained.
  for (let day = 0; day < instance.backups.retainedBackups; day++) {
    const end = new Date(now.getTime() - 3 * 3_600_000 - day * DAY_MS);
    if (end < created) break;
    runs.push({ end, status: 'SUCCESSFUL', type: 'AUTOMATED' });
  }
  return runs;
}

/**
 * The names of the instances whose primary is `instance` (the service's `replicaNames`); a
 * replica's `masterInstanceName` is `project:name` or the bare name.
 */
function replicasOf(projectId: string, project: Project, instance: Instance): string[] {
  const primary = new Set([instance.name, `${projectId}:${instance.name}`]);
  return project.instances
    .filter((candidate) => candidate.masterInstanceName && primary.has(candidate.masterInstanceName))
    .map((candidate) => candidate.name);
}

/** The `DatabaseInstance` as proto3 JSON, without the scenario's omitted fields. */
function instanceJson(
  project: string,
  instance: Instance,
  now: Date,
  encode: (kind: EnumKind, name: string) => string | number,
  replicaNames: readonly string[],
): Record<string, unknown> {
  const json = {
    ...fullInstanceJson(project, instance, now, encode),
    ...(replicaNames.length > 0 ? { replicaNames } : {}),
  };
  for (const path of instance.omit) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let parent: unknown = json;
    for (const key of keys) parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[last];
  }
  return json;
}

/** Deterministic per-instance material for the fields the audit never reads (addresses, certificates). */
function seeded(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/**
 * A server CA certificate as `serverCaCert.cert` carries it: a PEM of about 1.3 KB (a 2048-bit RSA
 * self-signed CA). The body is deterministic filler of the real length; nothing parses it.
 */
function serverCaPem(seed: string): string {
  let pem = serverCaPems.get(seed);
  if (pem === undefined) {
    pem = makeServerCaPem(seed);
    serverCaPems.set(seed, pem);
  }
  return pem;
}

/**
 * The certificates made so far, by seed (a pure function of it: 20 SHA-256 digests each), made
 * when the simulator starts. Made anew for every instance of every `instances.list` page, they were
 * most of the simulator's time serving a page (7-11 ms of 50 instances, down to 1.5-3 ms), and the
 * simulator serves one request at a time: the GCP benchmark's 20 pages queued behind each other.
 */
const serverCaPems = new Map<string, string>();

function makeServerCaPem(seed: string): string {
  let body = '';
  for (let block = 0; body.length < 1_236; block += 1) {
    body += seeded(`${seed}/${block}`).toString('base64').replace(/=+$/, '');
  }
  const lines = body.slice(0, 1_236).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

/**
 * Everything the real `DatabaseInstance` carries beside what the audit reads (the documented
 * representation: https://cloud.google.com/sql/docs/postgres/admin-api/rest/v1/instances), so pages
 * are as large as real ones: addresses, the server CA certificate, the service account, versions.
 */
function instanceExtras(
  project: string,
  instance: Instance,
  now: Date,
  encode: (kind: EnumKind, name: string) => string | number,
): Record<string, unknown> {
  const id = seeded(`${project}/${instance.name}`);
  const created = instance.createdAt.at(now);
  const expires = new Date(created.getTime() + 10 * 365 * 24 * 3_600_000);
  const major = instance.databaseVersion.replace(/^POSTGRES_/, '');
  return {
    etag: id.toString('hex'),
    maxDiskSize: '65184411658240',
    currentDiskSize: String(1_500_000_000 + (id.readUInt32BE(0) % 4_000_000_000)),
    ipAddresses: [
      { type: encode('ipAddressType', 'PRIMARY'), ipAddress: `34.${id[1]}.${id[2]}.${id[3]}` },
      { type: encode('ipAddressType', 'PRIVATE'), ipAddress: `10.${id[4]}.${id[5]}.${id[6]}` },
    ],
    serverCaCert: {
      kind: 'sql#sslCert',
      certSerialNumber: '0',
      cert: serverCaPem(`${project}/${instance.name}`),
      commonName: `C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier=${id.toString('hex', 8, 24)}`,
      sha1Fingerprint: id.toString('hex', 0, 20),
      instance: instance.name,
      createTime: created.toISOString(),
      expirationTime: expires.toISOString(),
    },
    serviceAccountEmailAddress: `p${id.readUInt32BE(8)}-${base36(id, 6)}@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    databaseInstalledVersion: `POSTGRES_${major}_4`,
    maintenanceVersion: `POSTGRES_${major}_4.R20250302.00_01`,
    upgradableDatabaseVersions: ['POSTGRES_16', 'POSTGRES_17'].map((version) => ({
      majorVersion: version,
      name: version,
      displayName: `PostgreSQL ${version.slice(9)}`,
    })),
    sqlNetworkArchitecture: encode('networkArchitecture', 'NEW_NETWORK_ARCHITECTURE'),
    createTime: created.toISOString(),
  };
}

/** The settings the audit never reads (networking, maintenance, storage, flags). */
function settingsExtras(
  project: string,
  instance: Instance,
  encode: (kind: EnumKind, name: string) => string | number,
): Record<string, unknown> {
  return {
    authorizedGaeApplications: [],
    pricingPlan: encode('pricingPlan', 'PER_USE'),
    replicationType: encode('replicationType', 'SYNCHRONOUS'),
    activationPolicy: encode('activationPolicy', instance.activationPolicy),
    ipConfiguration: {
      ipv4Enabled: false,
      privateNetwork: `projects/${project}/global/networks/certctl-vpc`,
      requireSsl: true,
      sslMode: encode('sslMode', 'ENCRYPTED_ONLY'),
      authorizedNetworks: [],
      enablePrivatePathForGoogleCloudServices: true,
    },
    locationPreference: { kind: 'sql#locationPreference', zone: `${instance.region}-b` },
    databaseFlags: [
      { name: 'log_min_duration_statement', value: '1000' },
      { name: 'cloudsql.enable_pgaudit', value: 'on' },
      { name: 'max_connections', value: '200' },
    ],
    dataDiskType: encode('dataDiskType', 'PD_SSD'),
    maintenanceWindow: { kind: 'sql#maintenanceWindow', hour: 3, day: 7 },
    storageAutoResize: true,
    storageAutoResizeLimit: '0',
    availabilityType: encode('availabilityType', 'REGIONAL'),
    insightsConfig: { queryInsightsEnabled: true, queryStringLength: 1024, queryPlansPerMinute: 5 },
    connectorEnforcement: encode('connectorEnforcement', 'NOT_REQUIRED'),
  };
}

function base36(bytes: Buffer, length: number): string {
  let out = '';
  for (let index = 0; index < length; index += 1) out += ((bytes[index] ?? 0) % 36).toString(36);
  return out;
}

/** A `diskEncryptionConfiguration` naming a customer-managed key (an instance's, or a backup run's). */
function diskEncryption(kmsKeyName: string) {
  return { diskEncryptionConfiguration: { kmsKeyName, kind: 'sql#diskEncryptionConfiguration' } };
}

/** A `diskEncryptionStatus`: the key version that encrypts the instance (or a backup run). */
function diskEncryptionStatus(kmsKeyVersionName: string) {
  return { diskEncryptionStatus: { kmsKeyVersionName, kind: 'sql#diskEncryptionStatus' } };
}
function fullInstanceJson(
  project: string,
  instance: Instance,
  now: Date,
  encode: (kind: EnumKind, name: string) => string | number,
): Record<string, unknown> {
  const { backups } = instance;
  return {
    kind: 'sql#instance',
    name: instance.name,
    project,
    region: instance.region,
    gceZone: `${instance.region}-b`,
    databaseVersion: encode('databaseVersion', instance.databaseVersion),
    instanceType: encode('instanceType', instance.instanceType),
    state: encode('instanceState', instance.state),
    ...(instance.masterInstanceName ? { masterInstanceName: instance.masterInstanceName } : {}),
    connectionName: `${project}:${instance.region}:${instance.name}`,
    selfLink: `${API_HOST}/v1/projects/${project}/instances/${instance.name}`,
    ...(instance.suspensionReasons
      ? { suspensionReason: instance.suspensionReasons.map((reason) => encode('suspensionReason', reason)) }
      : {}),
    ...(instance.cmek ? diskEncryption(instance.cmek.kmsKeyName) : {}),
    ...(instance.cmek?.kmsKeyVersionName ? diskEncryptionStatus(instance.cmek.kmsKeyVersionName) : {}),
    backendType: 'SECOND_GEN',
    ...instanceExtras(project, instance, now, encode),
    settings: {
      kind: 'sql#settings',
      tier: instance.edition === 'ENTERPRISE_PLUS' ? 'db-perf-optimized-N-2' : 'db-custom-2-7680',
      ...(instance.edition === 'UNSPECIFIED' ? {} : { edition: encode('edition', instance.edition) }),
      // Int64Value wrappers travel as strings.
      settingsVersion: '12',
      dataDiskSizeGb: '100',
      ...settingsExtras(project, instance, encode),
      userLabels: instance.labels,
      backupConfiguration: {
        kind: 'sql#backupConfiguration',
        startTime: backups.startTime,
        enabled: backups.enabled,
        pointInTimeRecoveryEnabled: backups.pointInTimeRecovery,
        transactionLogRetentionDays: logRetentionDays(instance),
        backupRetentionSettings: {
          retentionUnit: encode('retentionUnit', 'COUNT'),
          retainedBackups: backups.retainedBackups,
        },
        transactionalLogStorageState: encode('logStorage', backups.logStorage),
        ...(backups.location ? { location: backups.location } : {}),
        ...(backups.backupTier ? { backupTier: encode('backupTier', backups.backupTier) } : {}),
      },
      ...(instance.deletionProtection === undefined
        ? {}
        : { deletionProtectionEnabled: instance.deletionProtection }),
      ...(instance.retainBackupsOnDelete === undefined
        ? {}
        : { retainBackupsOnDelete: instance.retainBackupsOnDelete }),
      ...(instance.finalBackup ? { finalBackupConfig: instance.finalBackup } : {}),
    },
  };
}

/** Cloud SQL's `Operation` as proto3 JSON at `now`; DONE with `error` when the backup failed. */
function operationJson(
  operation: SimOperation,
  now: Date,
  encode: (kind: EnumKind, name: string) => string | number,
): Record<string, unknown> {
  const status = operationStatus(operation, now);
  const instanceLink = `${API_HOST}/v1/projects/${operation.project}/instances/${operation.instance}`;
  return {
    kind: 'sql#operation',
    targetLink: instanceLink,
    status: encode('operationStatus', status),
    user: 'certctl-backup-guard@certctl-prod.iam.gserviceaccount.com',
    insertTime: operation.insertedAt.toISOString(),
    ...(status === 'PENDING'
      ? {}
      : { startTime: startedAt(operation.insertedAt, operation.durationMs).toISOString() }),
    ...(status === 'DONE'
      ? { endTime: new Date(operation.insertedAt.getTime() + operation.durationMs).toISOString() }
      : {}),
    ...(status === 'DONE' && operation.fails
      ? {
          error: {
            kind: 'sql#operationErrors',
            errors: [
              {
                kind: 'sql#operationError',
                code: 'INTERNAL_ERROR',
                message: 'An internal error occurred while backing up the instance.',
              },
            ],
          },
        }
      : {}),
    operationType: encode('operationType', operation.type),
    ...(operation.type === 'BACKUP_VOLUME'
      ? { backupContext: { kind: 'sql#backupContext', backupId: operation.backupId } }
      : {}),
    name: operation.name,
    targetId: operation.instance,
    selfLink: `${API_HOST}/v1/projects/${operation.project}/operations/${operation.name}`,
    targetProject: operation.project,
  };
}

/** The operation a write started, or its refusal in Google's error body. */
function operationOrRefusal(
  result: SimOperation | BackupRefusal,
  now: Date,
  encode: (kind: EnumKind, name: string) => string | number,
): SimResponse {
  if ('kind' in result) {
    return googleError(result.kind === 'busy' ? 'ABORTED' : 'NOT_FOUND', result.message);
  }
  return ok(operationJson(result, now, encode));
}

/** The factory the simulator server registers under `cloudSql`. */
export const cloudSqlService: SimServiceFactory = (section, context) => new CloudSqlSim(section, context);
