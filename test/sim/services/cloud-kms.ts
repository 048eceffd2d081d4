/**
 * Simulated GCP Cloud KMS REST API v1 (https://cloud.google.com/kms/docs/reference/rest), the two
 * reads of the keys audit (the dumps audit makes the first, for a bucket's default key): `GET /v1/projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}`
 * (cryptoKeys.get: `CryptoKey` with `purpose` and, for ENCRYPT_DECRYPT keys, its `primary`
 * `CryptoKeyVersion`) and `GET …/cryptoKeys/{k}/cryptoKeyVersions/{v}` (cryptoKeyVersions.get:
 * `CryptoKeyVersion` with `state`, and `destroyTime` when DESTROY_SCHEDULED). Errors are Google's
 * JSON (`{ error: { code, message, status } }`); a key the scenario marks `denied` answers 403
 * PERMISSION_DENIED, as Cloud KMS does without `cloudkms.cryptoKeys.get`.
 *
 * Scenario section `cloudKms`:
 * `keys: [{ name: projects/p/locations/global/keyRings/r/cryptoKeys/k, versions: [{ state }], primary: 1 }]`.
 */
import * as z from 'zod';
import { simTimeSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { googleError, json } from './google-json.ts';

export const CLOUD_KMS_SERVICE = 'cloudKms';
const KEY_NAME =
  /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/keyRings\/[\w-]+\/cryptoKeys\/[\w-]+$/;
const PATH =
  /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+)(?:\/cryptoKeyVersions\/([^/:]+))?$/;

/** `CryptoKeyVersionState` (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions#CryptoKeyVersionState). */
export const CRYPTO_KEY_VERSION_STATES = [
  'PENDING_GENERATION',
  'ENABLED',
  'DISABLED',
  'DESTROYED',
  'DESTROY_SCHEDULED',
  'PENDING_IMPORT',
  'IMPORT_FAILED',
  'GENERATION_FAILED',
  'PENDING_EXTERNAL_DESTRUCTION',
  'EXTERNAL_DESTRUCTION_FAILED',
] as const;

const versionSchema = z
  .strictObject({
    state: z.enum(CRYPTO_KEY_VERSION_STATES).default('ENABLED'),
    /** When a DESTROY_SCHEDULED version is destroyed; Cloud KMS schedules 30 days out by default. */
    destroyTime: simTimeSchema.prefault('+30d'),
  })
  .prefault({});

const keySchema = z.strictObject({
  name: z
    .string()
    .regex(KEY_NAME, 'must be a Cloud KMS key name projects/*/locations/*/keyRings/*/cryptoKeys/*'),
  purpose: z
    .enum(['ENCRYPT_DECRYPT', 'ASYMMETRIC_SIGN', 'ASYMMETRIC_DECRYPT', 'MAC'])
    .default('ENCRYPT_DECRYPT'),
  versions: z.array(versionSchema).min(1).prefault([{}]),
  /** The primary version's number; the last version unless said. */
  primary: z.number().int().positive().optional(),
  /** Every read of this key and its versions answers 403 (the audit's account lacks cloudkms.*.get). */
  denied: z.boolean().default(false),
  /**
   * Versions (numbers) whose cryptoKeyVersions.get answers 403 while the key itself reads: an
   * account granted cloudkms.cryptoKeys.get only.
   */
  deniedVersions: z.array(z.number().int().positive()).default([]),
});

export const cloudKmsSectionSchema = z.strictObject({ keys: z.array(keySchema).default([]) }).prefault({});
type Key = z.output<typeof keySchema>;

/** The scenario's Cloud KMS keys: served over REST, and asked by Secret Manager whether a version decrypts. */
export class CloudKmsService implements SimService {
  readonly name = CLOUD_KMS_SERVICE;
  readonly #keys: Key[];

  constructor(section: unknown) {
    this.#keys = cloudKmsSectionSchema.parse(section).keys;
    for (const key of this.#keys) {
      if (key.primary !== undefined && key.primary > key.versions.length) {
        throw new Error(`cloudKms key ${key.name}: primary ${key.primary} names no version`);
      }
    }
  }

  matches(request: SimRequest): boolean {
    return request.signingService === undefined && PATH.test(request.path);
  }

  operation(request: SimRequest): string {
    return PATH.exec(request.path)?.[2] ? 'cryptoKeyVersions.get' : 'cryptoKeys.get';
  }

  /** The state of a key version (`…/cryptoKeyVersions/3`), undefined when the scenario has no such key version. */
  versionState(versionName: string): string | undefined {
    const match = /^(.*)\/cryptoKeyVersions\/(\d+)$/.exec(versionName);
    const key = this.#keys.find((candidate) => candidate.name === match?.[1]);
    return key?.versions[Number(match?.[2]) - 1]?.state;
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const match = PATH.exec(request.path);
    if (!match || request.method !== 'GET') {
      return googleError(404, 'NOT_FOUND', `no ${request.method} ${request.path}`);
    }
    const [, keyName, versionId] = match;
    const key = this.#keys.find((candidate) => candidate.name === keyName);
    const resource = versionId ? `${keyName}/cryptoKeyVersions/${versionId}` : keyName;
    if (!key) return googleError(404, 'NOT_FOUND', `${resource} not found.`);
    if (key.denied || (versionId !== undefined && key.deniedVersions.includes(Number(versionId)))) {
      return googleError(
        403,
        'PERMISSION_DENIED',
        `Permission '${versionId ? 'cloudkms.cryptoKeyVersions.get' : 'cloudkms.cryptoKeys.get'}' denied on resource '${resource}' (or it may not exist).`,
      );
    }
    const now = context.now();
    if (versionId) {
      const index = Number(versionId) - 1;
      if (!Number.isInteger(index) || !key.versions[index]) {
        return googleError(404, 'NOT_FOUND', `${resource} not found.`);
      }
      return json(200, this.#version(key, index, now));
    }
    const primary = (key.primary ?? key.versions.length) - 1;
    return json(200, {
      name: key.name,
      purpose: key.purpose,
      ...(key.purpose === 'ENCRYPT_DECRYPT' ? { primary: this.#version(key, primary, now) } : {}),
      createTime: new Date(now.getTime() - 500 * 86_400_000).toISOString(),
      versionTemplate: { protectionLevel: 'SOFTWARE', algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' },
    });
  }

  #version(key: Key, index: number, now: Date): Record<string, unknown> {
    const version = key.versions[index];
    if (!version) throw new Error(`${key.name} has no version ${index + 1}`);
    return {
      name: `${key.name}/cryptoKeyVersions/${index + 1}`,
      state: version.state,
      protectionLevel: 'SOFTWARE',
      algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION',
      createTime: new Date(now.getTime() - 400 * 86_400_000).toISOString(),
      ...(version.state === 'DESTROY_SCHEDULED'
        ? { destroyTime: version.destroyTime.at(now).toISOString() }
        : {}),
    };
  }

  throttled(): SimResponse {
    return googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.');
  }

  serverError(): SimResponse {
    return googleError(500, 'INTERNAL', 'Internal error.');
  }
}

export function cloudKmsService(section: unknown): CloudKmsService {
  return new CloudKmsService(section);
}
