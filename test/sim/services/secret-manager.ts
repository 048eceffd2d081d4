/**
 * Simulated GCP Secret Manager REST API v1 (https://cloud.google.com/secret-manager/docs/reference/rest):
 * `GET /v1/projects/{p}/secrets/{s}`, `GET …/versions/{v|latest}` and `GET …/versions/{v|latest}:access`.
 * `latest` is the most recently created version (for `:access` it must be ENABLED, else
 * FAILED_PRECONDITION). A version scheduled for destruction is DISABLED, on a secret with a
 * `versionDestroyTtl` (delayed destruction), as Secret Manager keeps it. Errors are Google's JSON (`{ error: { code, message, status } }`).
 *
 * A secret with a `kmsKeyName` (CMEK) reports, in each version's `replicationStatus`, the Cloud KMS
 * key version that encrypts it (`kmsKeyVersionName`, version `kmsKeyVersion` of the key, 1 unless
 * said); when the scenario's Cloud KMS (./cloud-kms.ts) holds that key version in a state other
 * than ENABLED, `:access` cannot decrypt and answers FAILED_PRECONDITION (the simulator's choice:
 * Google does not document the code).
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { InjectedFailure } from '../faults.ts';
import { type SimTime, simTimeSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { googleError, json } from './google-json.ts';

export const SECRET_MANAGER_SERVICE = 'secretManager';
const PATH = /^\/v1\/projects\/([^/]+)\/secrets\/([^/:]+)(?:\/versions\/([^/:]+)(:access)?)?$/;

const versionSchema = z.strictObject({
  state: z.enum(['ENABLED', 'DISABLED', 'DESTROYED']).default('ENABLED'),
  scheduledDestroyTime: simTimeSchema.optional(),
  createTime: simTimeSchema.prefault('-30d'),
  value: z.union([z.string(), z.strictObject({ file: z.string().min(1) })]).optional(),
  /** The Cloud KMS key version (number) of the secret's `kmsKeyName` that encrypts this version. */
  kmsKeyVersion: z.number().int().positive().default(1),
});

const secretSchema = z
  .strictObject({
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
    name: z.string().regex(/^[\w-]{1,255}$/, 'must be a secret id'),
    /** `automatic`, or the user-managed locations. */
    replication: z.union([z.literal('automatic'), z.array(z.string().min(1)).min(1)]).default('automatic'),
    kmsKeyName: z.string().min(1).optional(),
    expireTime: simTimeSchema.optional(),
    /**
     * Delayed destruction (`versionDestroyTtl`, a Duration such as `86400s`): a version destroyed is
     * DISABLED with a `scheduledDestroyTime` until the delay ends.
     */
    versionDestroyTtl: z
      .string()
      .regex(/^\d+(\.\d{1,9})?s$/, 'must be a Duration in seconds, such as 86400s')
      .optional(),
    versions: z.array(versionSchema).default([]),
    denied: z.array(z.enum(['get', 'access'])).default([]),
  })
  .superRefine((secret, context) => {
    // Only delayed destruction schedules one, and the version is DISABLED until then
    // (https://cloud.google.com/secret-manager/docs/delay-destruction-of-secret-versions).
    secret.versions.forEach((version, index) => {
      if (version.scheduledDestroyTime === undefined) return;
      if (version.state !== 'DISABLED')
        context.addIssue({
          code: 'custom',
          path: ['versions', index, 'scheduledDestroyTime'],
          message: `is set on a ${version.state} version: a version scheduled for destruction is DISABLED until then`,
        });
      if (secret.versionDestroyTtl === undefined)
        context.addIssue({
          code: 'custom',
          path: ['versions', index, 'scheduledDestroyTime'],
          message:
            "needs the secret's versionDestroyTtl: without a destruction delay a version is destroyed at once",
        });
    });
  });

export const secretManagerSectionSchema = z
  .strictObject({ secrets: z.array(secretSchema).default([]) })
  .prefault({});
type Secret = z.output<typeof secretSchema>;

function time(value: SimTime, now: Date): string {
  return value.at(now).toISOString();
}

/** What Secret Manager asks Cloud KMS: the state of a key version, undefined when it is not there. */
export interface KeyVersionStates {
  versionState(versionName: string): string | undefined;
}

export class SecretManagerService implements SimService {
  readonly name = SECRET_MANAGER_SERVICE;
  readonly #secrets: Secret[];
  readonly #keys: KeyVersionStates | undefined;

  constructor(section: unknown, keys?: KeyVersionStates) {
    this.#secrets = secretManagerSectionSchema.parse(section).secrets;
    this.#keys = keys;
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && PATH.test(request.path);
  }

  operation(request: SimRequest): string {
    const match = PATH.exec(request.path);
    if (match?.[4]) return 'versions.access';
    return match?.[3] ? 'versions.get' : 'secrets.get';
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const match = PATH.exec(request.path);
    if (!match || request.method !== 'GET')
      return googleError(404, 'NOT_FOUND', `no ${request.method} ${request.path}`);
    const [, project, name, versionId, access] = match;
    const secret = this.#secrets.find(
      (candidate) => candidate.project === project && candidate.name === name,
    );
    const resource = `projects/${project}/secrets/${name}`;
    if (!secret) return googleError(404, 'NOT_FOUND', `Secret [${resource}] not found or has no versions.`);
    const now = context.now();
    if (secret.denied.includes(access ? 'access' : 'get')) {
      return googleError(
        403,
        'PERMISSION_DENIED',
        `Permission denied on resource ${resource} (or it may not exist).`,
      );
    }
    if (!versionId) return json(200, this.#secret(secret, now));
    const index = versionId === 'latest' ? secret.versions.length - 1 : Number(versionId) - 1;
    const version = secret.versions[index];
    if (!version || !Number.isInteger(index)) {
      return googleError(404, 'NOT_FOUND', `Secret Version [${resource}/versions/${versionId}] not found.`);
    }
    const versionName = `${resource}/versions/${index + 1}`;
    const kmsKeyVersionName = secret.kmsKeyName
      ? `${secret.kmsKeyName}/cryptoKeyVersions/${version.kmsKeyVersion}`
      : undefined;
    if (!access) {
      const cmek = kmsKeyVersionName ? { customerManagedEncryption: { kmsKeyVersionName } } : {};
      return json(200, {
        name: versionName,
        createTime: time(version.createTime, now),
        state: version.state,
        ...(version.scheduledDestroyTime
          ? { scheduledDestroyTime: time(version.scheduledDestroyTime, now) }
          : {}),
        replicationStatus:
          secret.replication === 'automatic'
            ? { automatic: cmek }
            : { userManaged: { replicas: secret.replication.map((location) => ({ location, ...cmek })) } },
        etag: `"${index + 1}"`,
      });
    }
    if (version.state !== 'ENABLED') {
      return googleError(
        400,
        'FAILED_PRECONDITION',
        `Secret Version [${versionName}] is in ${version.state} state.`,
      );
    }
    const keyState = kmsKeyVersionName ? this.#keys?.versionState(kmsKeyVersionName) : undefined;
    if (keyState !== undefined && keyState !== 'ENABLED') {
      return googleError(
        400,
        'FAILED_PRECONDITION',
        `The Cloud KMS key version [${kmsKeyVersionName}] protecting [${versionName}] is ${keyState}.`,
      );
    }
    const text =
      version.value === undefined
        ? ''
        : typeof version.value === 'string'
          ? version.value
          : readFile(version.value.file);
    return json(200, { name: versionName, payload: { data: Buffer.from(text).toString('base64') } });
  }

  #secret(secret: Secret, now: Date): Record<string, unknown> {
    const cmek = secret.kmsKeyName ? { customerManagedEncryption: { kmsKeyName: secret.kmsKeyName } } : {};
    return {
      name: `projects/${secret.project}/secrets/${secret.name}`,
      replication:
        secret.replication === 'automatic'
          ? { automatic: cmek }
          : { userManaged: { replicas: secret.replication.map((location) => ({ location, ...cmek })) } },
      createTime: new Date(now.getTime() - 400 * 86_400_000).toISOString(),
      ...(secret.expireTime ? { expireTime: time(secret.expireTime, now) } : {}),
      ...(secret.versionDestroyTtl ? { versionDestroyTtl: secret.versionDestroyTtl } : {}),
      etag: '"1"',
    };
  }

  /** RESOURCE_EXHAUSTED (HTTP 429), or the failure the faults name (`faults.throttleCode`). */
  throttled(_request?: SimRequest, injected?: InjectedFailure): SimResponse {
    return injected
      ? googleError(injected.status, injected.code, injected.message)
      : googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.');
  }

  serverError(): SimResponse {
    return googleError(500, 'INTERNAL', 'Internal error.');
  }
}

function readFile(file: string): string {
  return readFileSync(file, 'utf8');
}

export function secretManagerService(section: unknown, keys?: KeyVersionStates): SecretManagerService {
  return new SecretManagerService(section, keys);
}
