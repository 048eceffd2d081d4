/**
 * Simulated AWS KMS (JSON 1.1, `X-Amz-Target: TrentService.DescribeKey`): DescribeKey by key id,
 * key ARN, alias name or alias ARN, validated against the published model. An AWS-managed alias
 * (`alias/aws/secretsmanager`, `alias/aws/s3`, `alias/aws/rds`) resolves to the account's
 * AWS-managed key of that service in that region, as KMS does, and so does that key's id or ARN
 * (RDS names it as the key of a database encrypted by default: {@link awsManagedKeyArn}), unless the
 * scenario declares that key (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { EXPLICIT_DENY_POLICY_TYPES } from '../../../functions/core/errors.ts';
import { accountIdSchema, regionSchema, simTimeSchema } from '../scenario-fields.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from '../service.ts';
import { AwsJsonFaults, awsJson, awsJsonError } from './aws-json.ts';
import { modelViolation } from './json-model.ts';

export const KMS_SERVICE = 'kms';
const TARGET_PREFIX = 'TrentService.';
const KEY_STATES = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const;

const keySchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f-]{36}$|^mrk-[0-9a-f]{32}$/, 'must be a KMS key id'),
  account: accountIdSchema.default('111111111111'),
  region: regionSchema,
  aliases: z.array(z.string().regex(/^alias\/[\w/-]+$/)).default([]),
  manager: z.enum(['CUSTOMER', 'AWS']).default('CUSTOMER'),
  state: z.enum(KEY_STATES).default('Enabled'),
  deletionDate: simTimeSchema.optional(),
  /**
   * A key of imported material (Origin EXTERNAL) that expires then (ExpirationModel
   * KEY_MATERIAL_EXPIRES, `ValidTo`). A `PendingImport` key is EXTERNAL too; another key's material
   * is KMS-generated (AWS_KMS) and has neither field.
   */
  validTo: simTimeSchema.optional(),
  createdDate: simTimeSchema.prefault('-500d'),
  /**
   * Other accounts the key policy lets call kms:DescribeKey (a central key account's grant to the
   * accounts whose secrets it encrypts); any other account's caller is denied, as KMS denies a
   * cross-account call no key policy allows.
   */
  keyPolicyAccounts: z.array(accountIdSchema).default([]),
  /**
   * A Deny statement of this policy type refuses every caller's kms:DescribeKey on the key (an SCP
   * of the organization, the key policy, a permissions boundary…): KMS answers AccessDeniedException
   * "… with an explicit deny in a <type>", which no allow overrides.
   */
  explicitDeny: z.enum(EXPLICIT_DENY_POLICY_TYPES).optional(),
});

/**
 * The id of the AWS-managed key an `alias/aws/<service>` alias names in an account and region:
 * stable, so the services that use it by default (RDS encrypts with `aws/rds` when no key is given)
 * name the same key KMS describes.
 */
export function awsManagedKeyId(account: string, region: string, alias: string): string {
  const hex = createHash('sha256')
    .update(`${account}/${region}/${alias.slice('alias/'.length)}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The ARN of the AWS-managed key of `service` (`rds`, `s3`, `secretsmanager`) in an account and region. */
export function awsManagedKeyArn(account: string, region: string, service: string): string {
  return `arn:aws:kms:${region}:${account}:key/${awsManagedKeyId(account, region, `alias/aws/${service}`)}`;
}

/** The AWS-managed aliases the simulated services use by default, found by their key id too. */
const AWS_MANAGED_ALIASES = ['alias/aws/rds', 'alias/aws/s3', 'alias/aws/secretsmanager'] as const;

export const kmsSectionSchema = z.strictObject({ keys: z.array(keySchema).default([]) }).prefault({});
type Key = z.output<typeof keySchema>;

export class KmsService extends AwsJsonFaults implements SimService {
  protected readonly internalError = ['KMSInternalException', 'An internal error occurred.'] as const;
  readonly name = KMS_SERVICE;
  readonly #keys: Key[];

  constructor(section: unknown) {
    super();
    this.#keys = kmsSectionSchema.parse(section).keys;
  }

  matches(request: SimRequest): boolean {
    const target = request.headers['x-amz-target'];
    return (
      request.signingService === 'kms' || (typeof target === 'string' && target.startsWith(TARGET_PREFIX))
    );
  }

  operation(request: SimRequest): string {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' ? target.slice(TARGET_PREFIX.length) : 'Unknown';
  }

  /** The AWS-managed key `alias` (`alias/aws/<service>`) names in an account and region. */
  #awsManaged(account: string, region: string, alias: string): Key {
    const id = awsManagedKeyId(account, region, alias);
    return keySchema.parse({ id, account, region, aliases: [alias], manager: 'AWS' });
  }

  /** The AWS-managed key `name` (an `alias/aws/<service>` alias, or such a key's id) names, if any. */
  #awsManagedNamed(account: string, region: string, name: string): Key | undefined {
    if (/^alias\/aws\/[\w-]+$/.test(name)) return this.#awsManaged(account, region, name);
    const alias = AWS_MANAGED_ALIASES.find(
      (candidate) => awsManagedKeyId(account, region, candidate) === name,
    );
    return alias ? this.#awsManaged(account, region, alias) : undefined;
  }

  /** The key `name` (a key id or an alias name) names in an account and region, if any. */
  #named(account: string, region: string, name: string): Key | undefined {
    return (
      this.#keys.find(
        (candidate) =>
          candidate.account === account &&
          candidate.region === region &&
          (candidate.id === name || candidate.aliases.includes(name)),
      ) ?? this.#awsManagedNamed(account, region, name)
    );
  }

  /**
   * The ARN of the key an alias (name, or alias ARN) of an account and region points to now, as a
   * service resolves it when it encrypts (S3 answers an object's key by that ARN); undefined when no
   * key of the scenario has it.
   */
  aliasTargetArn(account: string, region: string, alias: string): string | undefined {
    const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):alias\/(.+)$/.exec(alias);
    const key = this.#named(arn?.[2] ?? account, arn?.[1] ?? region, arn ? `alias/${arn[3]}` : alias);
    return key && `arn:aws:kms:${key.region}:${key.account}:key/${key.id}`;
  }

  handle(request: SimRequest, context: SimContext): SimResponse {
    const caller = this.callerOf(request);
    if (typeof caller !== 'string') return caller;
    const operation = this.operation(request);
    if (operation !== 'DescribeKey')
      return awsJsonError(400, 'UnknownOperationException', `The simulated KMS has no ${operation}`);
    let input: unknown;
    try {
      input = JSON.parse(request.body.toString('utf8') || '{}');
    } catch {
      return awsJsonError(400, 'SerializationException', 'The request body is not JSON');
    }
    const problem = modelViolation('kms', 'DescribeKey', input);
    if (problem) return awsJsonError(400, 'ValidationException', problem);
    const keyId = (input as { KeyId: string }).KeyId;
    const region = request.signingRegion ?? '';
    const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(keyId);
    if (keyId.startsWith('arn:') && !arn)
      return awsJsonError(400, 'InvalidArnException', `Invalid arn ${keyId}`);
    const account = arn?.[2] ?? caller;
    if (arn && arn[1] !== region) return awsJsonError(400, 'NotFoundException', `Invalid arn ${arn[1]}`);
    const name = arn ? (arn[3] === 'alias' ? `alias/${arn[4]}` : arn[4]) : keyId;
    const key = name ? this.#named(account, region, name) : undefined;
    if (!key) {
      return awsJsonError(
        400,
        'NotFoundException',
        name?.startsWith('alias/')
          ? `Alias arn:aws:kms:${region}:${account}:${name} is not found.`
          : `Key 'arn:aws:kms:${region}:${account}:key/${name}' does not exist`,
      );
    }
    const callerAccount = request.callerAccount;
    if (key.explicitDeny !== undefined) {
      return awsJsonError(
        400,
        'AccessDeniedException',
        `User: arn:aws:sts::${callerAccount ?? account}:assumed-role/audit/session is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:${region}:${account}:key/${key.id} with an explicit deny in ${/^[aeiou]/i.test(key.explicitDeny) ? 'an' : 'a'} ${key.explicitDeny}`,
      );
    }
    const allowed =
      key.account === callerAccount ||
      (callerAccount !== undefined && key.keyPolicyAccounts.includes(callerAccount));
    if (!allowed) {
      return awsJsonError(
        400,
        'AccessDeniedException',
        `User is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:${region}:${account}:key/${key.id} because no resource-based policy allows the kms:DescribeKey action`,
      );
    }
    const now = context.now();
    return awsJson(200, {
      KeyMetadata: {
        AWSAccountId: key.account,
        KeyId: key.id,
        Arn: `arn:aws:kms:${key.region}:${key.account}:key/${key.id}`,
        CreationDate: key.createdDate.at(now).getTime() / 1000,
        Enabled: key.state === 'Enabled',
        Description:
          key.manager === 'AWS'
            ? key.aliases.includes('alias/aws/s3')
              ? 'Default key that protects my S3 objects when no other key is defined'
              : 'Default key that protects my Secrets Manager data when no other key is defined'
            : '',
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: key.state,
        ...(key.state === 'PendingDeletion' && key.deletionDate
          ? { DeletionDate: key.deletionDate.at(now).getTime() / 1000 }
          : {}),
        ...(key.validTo || key.state === 'PendingImport'
          ? {
              Origin: 'EXTERNAL',
              ExpirationModel: key.validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
              ...(key.validTo ? { ValidTo: key.validTo.at(now).getTime() / 1000 } : {}),
            }
          : { Origin: 'AWS_KMS' }),
        KeyManager: key.manager,
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: key.id.startsWith('mrk-'),
      },
    });
  }
}

export function kmsService(section: unknown): KmsService {
  return new KmsService(section);
}
