/**
 * Simulated AWS Secrets Manager (JSON 1.1 protocol: `POST /`, `X-Amz-Target:
 * secretsmanager.<Operation>`): DescribeSecret, ListSecrets, GetSecretValue, BatchGetSecretValue,
 * validated against the published model (test/sim/models/secrets-kms.json) and answering with the
 * errors it declares. Secrets live in one account and region (the caller's signing region); an ARN
 * carries the 6-character suffix the service appends, and DescribeSecret omits `KmsKeyId` for the
 * aws/secretsmanager key, as the API reference says
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
 *
 * Values come from the scenario (`value: <text>`, `value: { file }`, `value: { json: { key: text |
 * { file } } }`) and are only ever returned by GetSecretValue / BatchGetSecretValue. A secret seeded
 * with `createdWithoutValue: true` is one CreateSecret made without SecretString or SecretBinary: it
 * has no version, so DescribeSecret and ListSecrets leave out the version map ("Secrets Manager only
 * returns fields that have a value in the response",
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html), and
 * GetSecretValue / BatchGetSecretValue find no value labelled AWSCURRENT.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { accountIdSchema, regionSchema, type SimTime, simTimeSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { AwsJsonFaults, awsJson, awsJsonError } from './aws-json.ts';
import { modelViolation } from './json-model.ts';

export const SECRETS_MANAGER_SERVICE = 'secretsManager';
const TARGET_PREFIX = 'secretsmanager.';
const REPLICA_STATUSES = ['InSync', 'Failed', 'InProgress'] as const;
/** How ReplicationStatus names a replica's aws/secretsmanager key (see the replica `kmsKeyId`). */
const DEFAULT_REPLICA_KEY = 'alias/aws/secretsmanager';

const fileOrText = z.union([z.string(), z.strictObject({ file: z.string().min(1) })]);
const valueSchema = z.union([
  z.string(),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ json: z.record(z.string(), fileOrText) }),
]);

const secretSchema = z.strictObject({
  name: z.string().regex(/^[\w/+=.@-]{1,512}$/, 'must be a Secrets Manager name'),
  account: accountIdSchema.default('111111111111'),
  region: regionSchema,
  description: z.string().max(2048).optional(),
  /** Key id, ARN or alias; absent: the aws/secretsmanager key (omitted from DescribeSecret). */
  kmsKeyId: z.string().min(1).optional(),
  /** Scheduled deletion (`DeletedDate`). */
  deletedDate: simTimeSchema.optional(),
  createdDate: simTimeSchema.prefault('-400d'),
  replicas: z
    .array(
      z.strictObject({
        region: regionSchema,
        status: z.enum(REPLICA_STATUSES).default('InSync'),
        statusMessage: z.string().optional(),
        /**
         * The replica's key; absent: its region's aws/secretsmanager key, which ReplicationStatus
         * names `alias/aws/secretsmanager` (the ReplicateSecretToRegions and describe-secret examples
         * of the API reference and the AWS CLI), while the replica's own DescribeSecret omits it.
         */
        kmsKeyId: z.string().min(1).optional(),
        /** False: the ReplicationStatus entry leaves out `KmsKeyId` (optional in ReplicationStatusType). */
        kmsKeyIdSent: z.boolean().default(true),
        /** False: the ReplicationStatus entry leaves out `Region` (optional in ReplicationStatusType). */
        regionSent: z.boolean().default(true),
        /**
         * False: the ReplicationStatus entry leaves out `Status`, and so `StatusMessage` (both
         * optional in ReplicationStatusType).
         */
        statusSent: z.boolean().default(true),
      }),
    )
    .default([]),
  tags: z.record(z.string(), z.string()).default({}),
  value: valueSchema.optional(),
  /** Created without SecretString or SecretBinary: no version at all (see the module comment). */
  createdWithoutValue: z.boolean().default(false),
  /**
   * Stored as SecretBinary (`create-secret --secret-binary`): the value's UTF-8 bytes are answered
   * as `SecretBinary` (base64 in the JSON protocol) and no `SecretString`.
   */
  binary: z.boolean().default(false),
  /** Operations answered AccessDeniedException for this secret. */
  denied: z.array(z.enum(['DescribeSecret', 'GetSecretValue'])).default([]),
});

/** Schema of `services.secretsManager`. */
export const secretsManagerSectionSchema = z
  .strictObject({
    secrets: z
      .array(
        secretSchema.refine((secret) => !(secret.createdWithoutValue && secret.value !== undefined), {
          message: 'a secret createdWithoutValue has no value: leave out `value`',
          path: ['value'],
        }),
      )
      .default([]),
  })
  .prefault({});

export type SecretScenario = z.input<typeof secretSchema>;
type Secret = z.output<typeof secretSchema> & {
  readonly arn: string;
  readonly versionId: string;
  /** Set on the view of a replica: the region of its primary. */
  readonly primaryRegion?: string;
};

/** The secret's value as the scenario gives it. */
function resolveValue(value: z.output<typeof valueSchema> | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const read = (entry: z.output<typeof fileOrText>): string =>
    typeof entry === 'string' ? entry : readFileSync(entry.file, 'utf8');
  if ('file' in value) return read(value);
  return JSON.stringify(
    Object.fromEntries(Object.entries(value.json).map(([key, entry]) => [key, read(entry)])),
  );
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

export class SecretsManagerService extends AwsJsonFaults implements SimService {
  protected readonly internalError = [
    'InternalServiceError',
    'An error occurred on the server side.',
  ] as const;
  readonly name = SECRETS_MANAGER_SERVICE;
  readonly #secrets: Secret[];
  readonly #values = new Map<Secret, string | undefined>();

  constructor(section: unknown) {
    super();
    const parsed = secretsManagerSectionSchema.parse(section);
    this.#secrets = parsed.secrets.map((secret) => {
      const suffix = createHash('sha256')
        .update(`${secret.account}/${secret.region}/${secret.name}`)
        .digest('base64url')
        .replace(/[^A-Za-z0-9]/g, 'x')
        .slice(0, 6);
      const full = {
        ...secret,
        arn: `arn:aws:secretsmanager:${secret.region}:${secret.account}:secret:${secret.name}-${suffix}`,
        versionId: createHash('sha256')
          .update(secret.name)
          .digest('hex')
          .slice(0, 32)
          .replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
      };
      this.#values.set(full, resolveValue(secret.value));
      return full;
    });
  }

  /** Every secret of the scenario (tests read the seeded state). */
  secrets(): readonly Secret[] {
    return this.#secrets;
  }

  matches(request: SimRequest): boolean {
    const target = request.headers['x-amz-target'];
    return (
      request.signingService === 'secretsmanager' ||
      (typeof target === 'string' && target.startsWith(TARGET_PREFIX))
    );
  }

  operation(request: SimRequest): string {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' ? target.slice(TARGET_PREFIX.length) : 'Unknown';
  }

  #find(request: SimRequest, secretId: string): Secret | undefined {
    const region = request.signingRegion;
    const named = (secret: Secret) =>
      secret.name === secretId || secret.arn === secretId || secret.arn.slice(0, -7) === secretId;
    const primary = this.#secrets.find(
      (secret) => secret.region === region && secret.account === request.callerAccount && named(secret),
    );
    if (primary || region === undefined) return primary;
    // A replica answers in its own region, by the primary's name or by the primary's ARN with its
    // region: its own key, no replicas of its own, and its primary's region.
    for (const secret of this.#secrets) {
      const replica = secret.replicas.find((candidate) => candidate.region === region);
      if (!replica || secret.account !== request.callerAccount) continue;
      const { kmsKeyId: _primaryKey, ...rest } = secret;
      const view: Secret = {
        ...rest,
        region,
        arn: secret.arn.replace(`:secretsmanager:${secret.region}:`, `:secretsmanager:${region}:`),
        ...(replica.kmsKeyId ? { kmsKeyId: replica.kmsKeyId } : {}),
        replicas: [],
        // IAM grants name ARNs, which differ by region: the primary's refusals are its own.
        denied: [],
        primaryRegion: secret.region,
      };
      if (named(view)) return view;
    }
    return undefined;
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const caller = this.callerOf(request);
    if (typeof caller !== 'string') return caller;
    const operation = this.operation(request);
    let input: unknown;
    try {
      input = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
    } catch {
      return awsJsonError(400, 'SerializationException', 'The request body is not JSON');
    }
    if (!['DescribeSecret', 'ListSecrets', 'GetSecretValue', 'BatchGetSecretValue'].includes(operation)) {
      return awsJsonError(
        400,
        'UnknownOperationException',
        `The simulated Secrets Manager has no ${operation}`,
      );
    }
    const problem = modelViolation('secretsmanager', operation, input);
    if (problem) return awsJsonError(400, 'InvalidParameterException', problem);
    const now = context.now();
    const body = input as Record<string, unknown>;
    switch (operation) {
      case 'DescribeSecret': {
        const secret = this.#find(request, body.SecretId as string);
        if (!secret) return awsJsonError(400, 'ResourceNotFoundException', NOT_FOUND);
        if (secret.denied.includes('DescribeSecret')) return this.#denied(request, 'DescribeSecret', secret);
        return awsJson(200, this.#describe(secret, now));
      }
      case 'GetSecretValue': {
        const secret = this.#find(request, body.SecretId as string);
        if (!secret) return awsJsonError(400, 'ResourceNotFoundException', NOT_FOUND);
        const answer = this.#value(request, secret, now);
        return 'error' in answer ? answer.error : awsJson(200, answer.entry);
      }
      case 'BatchGetSecretValue':
        return this.#batchGet(request, body, now);
      default:
        return this.#list(request, body, now);
    }
  }

  #denied(request: SimRequest, operation: string, secret: Secret): SimResponse {
    return awsJsonError(
      400,
      'AccessDeniedException',
      `User: arn:aws:sts::${request.callerAccount}:assumed-role/audit is not authorized to perform: secretsmanager:${operation} on resource: ${secret.arn}`,
    );
  }

  #describe(secret: Secret, now: Date): Record<string, unknown> {
    const created = secret.createdDate.at(now);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      LastChangedDate: epochSeconds(created),
      CreatedDate: epochSeconds(created),
      ...(secret.deletedDate ? { DeletedDate: epochSeconds(secret.deletedDate.at(now)) } : {}),
      Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })),
      ...(secret.createdWithoutValue ? {} : { VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] } }),
      PrimaryRegion: secret.primaryRegion ?? secret.region,
      ...(secret.replicas.length > 0
        ? {
            ReplicationStatus: secret.replicas.map((replica) => ({
              ...(replica.regionSent ? { Region: replica.region } : {}),
              ...(replica.kmsKeyIdSent ? { KmsKeyId: replica.kmsKeyId ?? DEFAULT_REPLICA_KEY } : {}),
              ...(replica.statusSent ? { Status: replica.status } : {}),
              // StatusMessage is optional (ReplicationStatusType): a Failed replica says why only
              // when the scenario gives the service's message.
              ...(replica.statusSent && (replica.statusMessage !== undefined || replica.status !== 'Failed')
                ? {
                    StatusMessage:
                      replica.statusMessage ??
                      (replica.status === 'InSync' ? 'Replication succeeded' : 'Replication in progress'),
                  }
                : {}),
            })),
          }
        : {}),
    };
  }

  #value(
    request: SimRequest,
    secret: Secret,
    now: Date,
  ): { entry: Record<string, unknown> } | { error: SimResponse; code: string; message: string } {
    if (secret.denied.includes('GetSecretValue')) {
      const error = this.#denied(request, 'GetSecretValue', secret);
      return { error, code: 'AccessDeniedException', message: 'not authorized' };
    }
    if (secret.deletedDate) {
      return {
        error: awsJsonError(400, 'InvalidRequestException', MARKED_FOR_DELETION),
        code: 'InvalidRequestException',
        message: MARKED_FOR_DELETION,
      };
    }
    const value = this.#values.get(secret);
    if (value === undefined) {
      const message = "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT";
      return {
        error: awsJsonError(400, 'ResourceNotFoundException', message),
        code: 'ResourceNotFoundException',
        message,
      };
    }
    return {
      entry: {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        ...(secret.binary
          ? { SecretBinary: Buffer.from(value, 'utf8').toString('base64') }
          : { SecretString: value }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: epochSeconds(secret.createdDate.at(now)),
      },
    };
  }

  #batchGet(request: SimRequest, body: Record<string, unknown>, now: Date): SimResponse {
    const ids = body.SecretIdList as string[] | undefined;
    if (ids && body.Filters) {
      return awsJsonError(
        400,
        'InvalidParameterException',
        'Either SecretIdList or Filters must be provided, not both.',
      );
    }
    if (!ids && !body.Filters)
      return awsJsonError(400, 'InvalidParameterException', 'SecretIdList or Filters is required.');
    if (body.MaxResults !== undefined && !body.Filters) {
      return awsJsonError(400, 'InvalidParameterException', 'MaxResults can only be used with Filters.');
    }
    const wanted = ids ?? this.#filtered(request, body, now).map((secret) => secret.arn);
    const values: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    for (const id of wanted) {
      const secret = this.#find(request, id);
      if (!secret) {
        errors.push({ SecretId: id, ErrorCode: 'ResourceNotFoundException', Message: NOT_FOUND });
        continue;
      }
      const answer = this.#value(request, secret, now);
      if ('error' in answer) errors.push({ SecretId: id, ErrorCode: answer.code, Message: answer.message });
      else values.push(answer.entry);
    }
    return awsJson(200, { SecretValues: values, Errors: errors });
  }

  #filtered(request: SimRequest, body: Record<string, unknown>, now: Date): Secret[] {
    const filters = (body.Filters as { Key: string; Values: string[] }[] | undefined) ?? [];
    return this.#secrets.filter((secret) => {
      if (secret.region !== request.signingRegion || secret.account !== request.callerAccount) return false;
      if (secret.deletedDate && body.IncludePlannedDeletion !== true) return false;
      void now;
      return filters.every((filter) =>
        filter.Values.some((raw) => {
          const negate = raw.startsWith('!');
          const value = negate ? raw.slice(1) : raw;
          const candidates =
            filter.Key === 'name'
              ? [secret.name]
              : filter.Key === 'tag-key'
                ? Object.keys(secret.tags)
                : filter.Key === 'tag-value'
                  ? Object.values(secret.tags)
                  : filter.Key === 'primary-region'
                    ? [secret.region]
                    : filter.Key === 'description'
                      ? [secret.description ?? '']
                      : [
                          secret.name,
                          secret.description ?? '',
                          ...Object.keys(secret.tags),
                          ...Object.values(secret.tags),
                        ];
          const hit = candidates.some((candidate) =>
            filter.Key === 'description' || filter.Key === 'all'
              ? candidate.toLowerCase().startsWith(value.toLowerCase())
              : candidate.startsWith(value),
          );
          return negate ? !hit : hit;
        }),
      );
    });
  }

  #list(request: SimRequest, body: Record<string, unknown>, now: Date): SimResponse {
    const secrets = this.#filtered(request, body, now).sort((a, b) => a.name.localeCompare(b.name));
    const pageSize = (body.MaxResults as number | undefined) ?? 100;
    let offset = 0;
    if (body.NextToken !== undefined) {
      const match = /^sim-secrets:(\d+)$/.exec(
        Buffer.from(body.NextToken as string, 'base64url').toString('utf8'),
      );
      if (!match) return awsJsonError(400, 'InvalidNextTokenException', 'The NextToken value is invalid.');
      offset = Number(match[1]);
    }
    const page = secrets.slice(offset, offset + pageSize).map((secret) => {
      const { ReplicationStatus: _replication, VersionIdsToStages, ...rest } = this.#describe(secret, now);
      // ListSecrets names the version map SecretVersionsToStages and has no ReplicationStatus.
      return { ...rest, ...(VersionIdsToStages ? { SecretVersionsToStages: VersionIdsToStages } : {}) };
    });
    const end = offset + pageSize;
    return awsJson(200, {
      SecretList: page,
      ...(end < secrets.length ? { NextToken: Buffer.from(`sim-secrets:${end}`).toString('base64url') } : {}),
    });
  }
}

export function secretsManagerService(section: unknown): SecretsManagerService {
  return new SecretsManagerService(section);
}

export type { SimTime };
