/**
 * Neutral finding -> AWS Security Finding Format (ASFF), and the validation every finding passes
 * before it is sent. Limits come from the ASFF reference and the BatchImportFindings API reference
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html,
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html).
 */
import { createHash } from 'node:crypto';
import type { AwsSecurityFinding, Partition, Resource } from '@aws-sdk/client-securityhub';
import { DEFAULT_HOME_REGION } from '../../aws/clients.ts';
import type { Finding, FindingValues, ResourceRef, ResourceType } from '../../core/finding.ts';
import { COMPLIANCE_STATUSES, findingSubject, resourceIdentifier, SEVERITIES } from '../../core/finding.ts';
import type { Policy } from '../../core/policy.ts';
import { AsffValidationError, SecurityHubConfigError } from './errors.ts';

/** The only ASFF schema version Security Hub accepts. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Prefix of every finding `Id` and `GeneratorId` this product writes (also the GetFindings filter). */
export const ASFF_ID_PREFIX = 'certctl-backup-guard/';

/**
 * The one ASFF type of every finding. Chosen deliberately over `AWS Security Best Practices`: the
 * checks enforce the organisation's recovery requirement (e.g. 30 days of PITR, stricter than the
 * AWS control RDS.11 at 7) on AWS and GCP alike, which is a standards/compliance control, not an AWS
 * best practice.
 */
export const ASFF_FINDING_TYPE = 'Software and Configuration Checks/Industry and Regulatory Standards';

/** Documented limits (ASFF reference; BatchImportFindings API reference). */
export const ASFF_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  recommendationText: 512,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  resources: 32,
  resourceType: 256,
  resourceRegion: 16,
  /** `Details.Other`: up to 50 pairs, key "less than 128", value "less than 1024" characters. */
  otherPairs: 50,
  otherKey: 127,
  otherValue: 1023,
  types: 50,
  /** 240 KB per finding. */
  findingBytes: 240 * 1024,
  /** Findings per BatchImportFindings call. */
  batch: 100,
  /**
   * Bytes per BatchImportFindings call: "up to 100 findings per batch, up to 240 KB per finding, and
   * up to 6 MB per batch" (Security Hub partner guide, guidelines-batchimportfindings). 100 findings
   * near their own limit would be 24 MB. Counted as 6,000,000 so that neither reading of "MB" is
   * exceeded.
   */
  batchBytes: 6_000_000,
} as const;

/** ProductFields keys this product writes; lifecycle reads them back to find a finding's scope. */
export const PRODUCT_FIELD = {
  checkId: 'checkId',
  group: 'checkGroup',
  provider: 'provider',
  account: 'account',
  region: 'region',
  /** The region of the scope that read the resource, written only when it differs from `region`. */
  scopeRegion: 'scope/region',
  resourceType: 'resourceType',
  resourceId: 'resourceId',
  gcpProject: 'gcp/project',
  gcpRegion: 'gcp/region',
  gcpSelfLink: 'gcp/selfLink',
  /** `accepted risk until 2027-03-31` or `expired 2027-03-31`: a policy exception names this finding. */
  exception: 'exception',
  exceptionReason: 'exception/reason',
  /**
   * Written only on a finding kept alive while its scope (or its check) could not be evaluated: the
   * last time it was evaluated, and why it was not since (lifecycle.ts, keepAliveImport).
   */
  notEvaluatedSince: 'notEvaluated/since',
  notEvaluatedReason: 'notEvaluated/reason',
  /**
   * `PASSED`, written only on a finding last evaluated PASSED and kept alive: it is re-imported
   * NOT_AVAILABLE (a pass no run has proven since is not asserted again), and this says what it was.
   */
  notEvaluatedLastStatus: 'notEvaluated/lastStatus',
  /**
   * Written only when observed or required values did not fit ProductFields (50 pairs, keys of at
   * most 128 characters): how many, which, and a digest of them, so that a change of one is still a
   * change of the finding (lifecycle.ts compares ProductFields).
   */
  omitted: 'omitted',
  observedPrefix: 'observed/',
  requiredPrefix: 'required/',
} as const;

/** Where a finding is imported: the AWS account and region whose Security Hub holds it. */
export interface Destination {
  readonly account: string;
  readonly region: string;
  readonly partition: Partition;
}

/**
 * Where findings go besides their own account and region: GCP findings into the central account,
 * findings for a whole AWS account (region `*`) into its home region.
 */
export interface PublishTarget {
  /** `policy.securityHub.centralAccountId`: required when any GCP finding is published. */
  readonly centralAccountId?: string | undefined;
  /** Region of the central account's Security Hub; defaults to `homeRegion`. */
  readonly centralRegion?: string | undefined;
  /** Region used when a finding has no AWS region of its own (scope `*`): the same for every caller. */
  readonly homeRegion: string;
}

/**
 * The publish target from the policy. The home region is `securityHub.centralRegion` when the policy
 * names one, else the caller's region (`homeRegion`), then us-east-1. The policy comes first because
 * a whole-account finding's Id is the same from every caller: taken from the caller's region, a CLI
 * run from a laptop in another region than the Lambda's would import the same finding into a second
 * Security Hub, where nothing archives it when the account recovers.
 */
export function publishTargetFrom(policy: Policy, homeRegion?: string): PublishTarget {
  const home = policy.securityHub.centralRegion ?? homeRegion ?? DEFAULT_HOME_REGION;
  return {
    centralAccountId: policy.securityHub.centralAccountId,
    centralRegion: policy.securityHub.centralRegion ?? home,
    homeRegion: home,
  };
}

/**
 * The partition of a region as ARNs write it (`aws-iso`, `aws-iso-b`, …); the ASFF `Partition` enum
 * spells the isolated ones differently ({@link partitionOf}).
 */
export function arnPartitionOf(region: string): string {
  const isolated = /^[a-z]{2}-iso([a-z]?)-/.exec(region);
  if (isolated) return isolated[1] ? `aws-iso-${isolated[1]}` : 'aws-iso';
  return partitionOf(region);
}

/** The AWS partition a region belongs to, as the ASFF `Partition` enum names it (`aws-us-iso`). */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-us-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-us-iso';
  return 'aws';
}

/** The Security Hub account and region a resource's finding belongs in. */
export function destinationFor(resource: ResourceRef, target: PublishTarget): Destination {
  if (resource.provider === 'gcp') {
    if (!target.centralAccountId) {
      throw new SecurityHubConfigError(
        `cannot publish the finding for GCP ${resource.account}/${resource.id}: Security Hub only accepts findings for the calling account, so GCP findings need a central AWS account. Set securityHub.centralAccountId (and securityHub.centralRegion) in the policy.`,
      );
    }
    const region = target.centralRegion ?? target.homeRegion;
    return { account: target.centralAccountId, region, partition: partitionOf(region) };
  }
  const region = resource.region === '*' ? target.homeRegion : resource.region;
  return { account: resource.account, region, partition: partitionOf(region) };
}

/**
 * The Security Hub a finding is imported into: its resource's ({@link destinationFor}), except for an
 * AWS resource the scope of another region read (`scopeRegion`: a dumps bucket S3 redirected away
 * from the region the policy places it in), whose finding goes to that scope's region. The audit
 * role's Security Hub grants follow the policy's regions (infra/permissions.ts), and that scope is
 * the one that settles the finding; `Resources[].Region` still names where the resource is.
 */
export function findingDestination(
  finding: Pick<Finding, 'resource' | 'scopeRegion'>,
  target: PublishTarget,
): Destination {
  const destination = destinationFor(finding.resource, target);
  const scope = finding.scopeRegion;
  if (finding.resource.provider !== 'aws' || scope === undefined || scope === '*') return destination;
  return { account: destination.account, region: scope, partition: partitionOf(scope) };
}

/** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default` (custom integration). */
export function productArn(destination: Destination): string {
  const { region, account } = destination;
  return `arn:${arnPartitionOf(region)}:securityhub:${region}:${account}:product/${account}/default`;
}

/** One generator per check. */
export function generatorId(checkId: string): string {
  return `${ASFF_ID_PREFIX}${checkId}`;
}

/**
 * Deterministic finding Id per (check, resource). An Id over the 512 limit keeps a readable prefix
 * and ends with a SHA-256 of the whole, so it stays unique and stable.
 */
export function asffFindingId(finding: Pick<Finding, 'checkId' | 'resource'>): string {
  const full = `${ASFF_ID_PREFIX}${finding.checkId}/${findingSubject(finding.resource)}`;
  if (full.length <= ASFF_LIMITS.id) return full;
  const digest = sha256Hex(full);
  const suffix = `#sha256:${digest}`;
  return `${cutAtCodePoint(full, ASFF_LIMITS.id - suffix.length)}${suffix}`;
}

/** What a recommendation cut to fit says, so the reader knows where the rest is. */
const RECOMMENDATION_CONTINUED = ' The full steps are in the description of this check at the URL.';

/** `Remediation.Recommendation.Text` of a PASSED finding. */
export const PASSED_RECOMMENDATION =
  'Nothing to fix: this check passes. The linked page describes the setting that keeps it passing.';

/**
 * `Remediation.Recommendation.Text` within its 512 characters (ASFF syntax,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/asff-top-level-attributes.html#asff-remediation):
 * a longer text keeps its whole sentences that fit and says where the rest is, never a cut
 * mid-instruction.
 */
export function recommendationText(text: string): string {
  const max = ASFF_LIMITS.recommendationText;
  if (text.length <= max) return text;
  const room = max - RECOMMENDATION_CONTINUED.length;
  const head = text.slice(0, room);
  const end = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'), head.lastIndexOf('; '));
  const kept = end > 0 ? text.slice(0, end + 1) : truncate(text, room);
  return `${kept}${RECOMMENDATION_CONTINUED}`;
}

/**
 * Shorten `text` to at most `max` UTF-16 code units, ending with an ellipsis when cut. A surrogate
 * pair is never split (Security Hub counts characters; counting code units is the stricter bound).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${cutAtCodePoint(text, max - 1)}…`;
}

function cutAtCodePoint(text: string, max: number): string {
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  // A high surrogate as the last kept unit would leave half a character.
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/**
 * The Description within its 1,024 characters. A policy exception's note is the end of the neutral
 * description (core/exceptions.ts), so a cut would drop exactly the words that say the risk is
 * accepted, or that the exception expired: a description that must be cut leads with them instead.
 */
function asffDescription(finding: Finding): string {
  const max = ASFF_LIMITS.description;
  if (finding.description.length <= max || !finding.exception) return truncate(finding.description, max);
  const { active, expires } = finding.exception;
  const lead = active
    ? `Accepted risk until ${expires} (policy exception; reason in ProductFields). `
    : `Policy exception expired ${expires}; it no longer applies. `;
  return `${lead}${truncate(finding.description, max - lead.length)}`;
}

const ASFF_RESOURCE_TYPES: Partial<Record<ResourceType, string>> = {
  AwsRdsDbInstance: 'AwsRdsDbInstance',
  AwsRdsDbCluster: 'AwsRdsDbCluster',
  AwsS3Bucket: 'AwsS3Bucket',
  AwsSecretsManagerSecret: 'AwsSecretsManagerSecret',
};

/**
 * The ASFF `Resources[].Type` Security Hub shows for a resource of `type`: the AWS types ASFF names
 * as they are, every other one (a GCP resource) `Other`, whose real type the finding carries in
 * `ProductFields` and `Details.Other` ({@link toResource}). The check catalog says it so
 * (functions/cli/docs.ts).
 */
export function asffResourceType(type: ResourceType): string {
  return ASFF_RESOURCE_TYPES[type] ?? 'Other';
}

function formatValue(value: FindingValues[string]): string {
  if (value === null) return 'null';
  return String(value);
}

function resourceFields(resource: ResourceRef): Record<string, string> {
  const fields: Record<string, string> = {
    [PRODUCT_FIELD.provider]: resource.provider,
    [PRODUCT_FIELD.account]: resource.account,
    [PRODUCT_FIELD.region]: resource.region,
    [PRODUCT_FIELD.resourceType]: resource.type,
    [PRODUCT_FIELD.resourceId]: resource.id,
  };
  if (resource.provider === 'gcp') {
    fields[PRODUCT_FIELD.gcpProject] = resource.account;
    fields[PRODUCT_FIELD.gcpRegion] = resource.region;
    if (resource.selfLink) fields[PRODUCT_FIELD.gcpSelfLink] = resource.selfLink;
  }
  return fields;
}

function toResource(resource: ResourceRef, destination: Destination): Resource {
  const asffType = resource.provider === 'aws' ? ASFF_RESOURCE_TYPES[resource.type] : undefined;
  // A GCP region is not an AWS region (and may exceed the 16-character limit), so Region/Partition
  // name where the finding lives; the GCP location goes to Details.Other.
  const region =
    resource.provider === 'aws' && resource.region !== '*' ? resource.region : destination.region;
  const base: Resource = {
    Type: asffType ?? 'Other',
    Id: resourceIdentifier(resource),
    Partition: partitionOf(region),
    Region: region,
  };
  if (asffType) return base;
  const other: Record<string, string> = {};
  for (const [key, value] of Object.entries(resourceFields(resource))) {
    other[key] = truncate(value, ASFF_LIMITS.otherValue);
  }
  return { ...base, Details: { Other: other } };
}

/**
 * ProductFields pairs a finding's own fields leave free for a keep-alive's marks
 * (`notEvaluated/since`, `notEvaluated/reason`, and `notEvaluated/lastStatus` of a finding last
 * evaluated PASSED, lifecycle.ts keptAliveCopy): a finding imported with all 50 could never be kept
 * alive, and Security Hub would delete it while its scope fails.
 */
const KEEP_ALIVE_FIELDS = 3;

/**
 * The observed and required values as ProductFields, within what is left of the 50 pairs after the
 * `taken` identity fields (which the lifecycle reads back, so never dropped) and the keep-alive's
 * marks, each key at most 128 characters. A check may observe more (keys.content: two values per
 * certificate of a secret, whose items and their ids the policy names without limit), and one
 * finding over a limit would be refused, stopping the publication of every other: the required
 * values are kept first, then the observed ones in order, and the rest are named in
 * `omitted` with a digest of their values (the drifting ones left out of it, as the lifecycle
 * leaves them out of its comparison).
 */
function valueFields(finding: Finding, taken: number): Record<string, string> {
  // A ProductFields value is a NonEmptyString (pattern `.*\S.*` in the Security Hub model), and one
  // blank value makes Security Hub reject the whole finding: a blank observation is left out.
  const candidates: { key: string; text: string; drifting: boolean; required: boolean }[] = [];
  const drifting = new Set(finding.drifting ?? []);
  for (const [key, value] of Object.entries(finding.observed)) {
    const text = formatValue(value);
    if (hasText(text)) {
      candidates.push({
        key: `${PRODUCT_FIELD.observedPrefix}${key}`,
        text,
        drifting: drifting.has(key),
        required: false,
      });
    }
  }
  for (const [key, value] of Object.entries(finding.required)) {
    const text = formatValue(value);
    if (hasText(text)) {
      candidates.push({
        key: `${PRODUCT_FIELD.requiredPrefix}${key}`,
        text,
        drifting: false,
        required: true,
      });
    }
  }
  const room = ASFF_LIMITS.productFields - KEEP_ALIVE_FIELDS - taken;
  const fitting = candidates.filter((candidate) => candidate.key.length <= ASFF_LIMITS.productFieldKey);
  const kept = new Set<(typeof candidates)[number]>();
  if (fitting.length === candidates.length && candidates.length <= room) {
    for (const candidate of candidates) kept.add(candidate);
  } else {
    // One pair goes to the note of what was left out.
    const budget = room - 1;
    for (const candidate of [...fitting.filter((c) => c.required), ...fitting.filter((c) => !c.required)]) {
      if (kept.size < budget) kept.add(candidate);
    }
  }
  const fields: Record<string, string> = {};
  for (const candidate of candidates) if (kept.has(candidate)) fields[candidate.key] = candidate.text;
  const omitted = candidates.filter((candidate) => !kept.has(candidate));
  if (omitted.length > 0) {
    const digest = sha256Hex(
      JSON.stringify(omitted.map(({ key, text, drifting: moves }) => [key, moves ? null : text])),
    ).slice(0, 16);
    fields[PRODUCT_FIELD.omitted] =
      `${omitted.length} observed or required values are not in ProductFields (at most ${ASFF_LIMITS.productFields} pairs, keys of at most ${ASFF_LIMITS.productFieldKey} characters); digest ${digest}: ${omitted.map(({ key }) => key).join(', ')}`;
  }
  return fields;
}

/** Where the finding goes and which times it carries. */
export interface ToAsffOptions {
  readonly destination: Destination;
  /** Becomes `UpdatedAt`: always the time of this publication (Security Hub ignores older updates). */
  readonly now: Date;
  /** `CreatedAt` of the finding already in Security Hub, kept; this run's time otherwise. */
  readonly createdAt?: string | undefined;
}

/** The ASFF finding for a neutral finding, `RecordState: ACTIVE`. Never sets Workflow or Note. */
export function toAsff(finding: Finding, options: ToAsffOptions): AwsSecurityFinding {
  const { destination, now } = options;
  const { resource } = finding;
  const productFields: Record<string, string> = {
    [PRODUCT_FIELD.checkId]: finding.checkId,
    [PRODUCT_FIELD.group]: finding.group,
    ...resourceFields(resource),
    ...(finding.scopeRegion === undefined ? {} : { [PRODUCT_FIELD.scopeRegion]: finding.scopeRegion }),
  };
  // Workflow and Note belong to the customer after creation (BatchImportFindings may not update
  // them: https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchimportfindings.html),
  // so an exception travels in ProductFields and the Description, which the provider keeps current.
  if (finding.exception) {
    productFields[PRODUCT_FIELD.exception] = finding.exception.active
      ? `accepted risk until ${finding.exception.expires}`
      : `expired ${finding.exception.expires}`;
    productFields[PRODUCT_FIELD.exceptionReason] = finding.exception.reason;
  }
  Object.assign(productFields, valueFields(finding, Object.keys(productFields).length));
  for (const key of Object.keys(productFields)) {
    productFields[key] = truncate(productFields[key] as string, ASFF_LIMITS.productFieldValue);
  }
  const updatedAt = now.toISOString();
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: asffFindingId(finding),
    ProductArn: productArn(destination),
    GeneratorId: generatorId(finding.checkId),
    AwsAccountId: destination.account,
    Types: [ASFF_FINDING_TYPE],
    CreatedAt: options.createdAt ?? updatedAt,
    UpdatedAt: updatedAt,
    Severity: { Label: finding.severity },
    Title: truncate(
      `${finding.exception?.active ? `Excepted until ${finding.exception.expires}: ` : ''}${finding.title}: ${resource.id}`,
      ASFF_LIMITS.title,
    ),
    Description: asffDescription(finding),
    // A PASSED finding says there is nothing to fix (the fix text could name other clouds' commands)
    // and links its own cloud's page. It carries a Remediation all the same: an update may leave a
    // field it omits as it was, and a resolved finding must not keep its failing instructions.
    Remediation: {
      Recommendation: {
        Text:
          finding.status === 'PASSED' ? PASSED_RECOMMENDATION : recommendationText(finding.remediation.text),
        Url: finding.remediation.url,
      },
    },
    ProductFields: productFields,
    Resources: [toResource(resource, destination)],
    Compliance: { Status: finding.status },
    RecordState: 'ACTIVE',
    // Severity and Types after creation are the provider's to update only through
    // FindingProviderFields (the top-level copies belong to the customer's BatchUpdateFindings).
    FindingProviderFields: { Severity: { Label: finding.severity }, Types: [ASFF_FINDING_TYPE] },
  };
}

const PRODUCT_ARN = /^arn:aws(?:-[a-z-]+)?:securityhub:[a-z0-9-]+:(\d{12}):product\/(\d{12})\/default$/;
const ACCOUNT_ID = /^\d{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov', 'aws-us-iso', 'aws-us-iso-b'];
const TYPE_NAMESPACES: readonly string[] = [
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
];
/** Attributes only the customer may change after creation; this product never sends them. */
const CUSTOMER_OWNED = [
  'Workflow',
  'WorkflowState',
  'Note',
  'UserDefinedFields',
  'VerificationState',
] as const;

function hasText(value: unknown): value is string {
  return typeof value === 'string' && /\S/.test(value);
}

/**
 * Throws `AsffValidationError` naming the field when a required attribute is missing or a limit is
 * broken. Called on every finding before it is sent.
 */
export function validateAsff(finding: AwsSecurityFinding): void {
  const id = hasText(finding.Id) ? finding.Id : undefined;
  const fail = (field: string, problem: string): never => {
    throw new AsffValidationError(field, problem, id);
  };
  if (finding.SchemaVersion !== ASFF_SCHEMA_VERSION) fail('SchemaVersion', `must be ${ASFF_SCHEMA_VERSION}`);
  if (!id) fail('Id', 'is required');
  if ((finding.Id as string).length > ASFF_LIMITS.id)
    fail('Id', `is longer than ${ASFF_LIMITS.id} characters`);
  if (!hasText(finding.GeneratorId)) fail('GeneratorId', 'is required');
  if ((finding.GeneratorId as string).length > ASFF_LIMITS.generatorId) {
    fail('GeneratorId', `is longer than ${ASFF_LIMITS.generatorId} characters`);
  }
  if (!hasText(finding.AwsAccountId) || !ACCOUNT_ID.test(finding.AwsAccountId)) {
    fail('AwsAccountId', 'must be a 12-digit AWS account id');
  }
  const arn = PRODUCT_ARN.exec(finding.ProductArn ?? '');
  if (!arn)
    fail('ProductArn', 'must be arn:<partition>:securityhub:<region>:<account>:product/<account>/default');
  if (arn?.[1] !== finding.AwsAccountId || arn?.[2] !== finding.AwsAccountId) {
    fail('ProductArn', `must name the finding's account ${finding.AwsAccountId}`);
  }
  for (const field of ['CreatedAt', 'UpdatedAt'] as const) {
    const value = finding[field];
    if (!hasText(value) || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
      fail(field, 'must be an ISO 8601 date-time');
    }
  }
  const label = finding.Severity?.Label;
  if (!label || !(SEVERITIES as readonly string[]).includes(label)) fail('Severity.Label', 'is required');
  validateTypes(finding.Types, 'Types', fail);
  if (!hasText(finding.Title)) fail('Title', 'is required');
  if ((finding.Title as string).length > ASFF_LIMITS.title)
    fail('Title', `is longer than ${ASFF_LIMITS.title}`);
  if (!hasText(finding.Description)) fail('Description', 'is required');
  if ((finding.Description as string).length > ASFF_LIMITS.description) {
    fail('Description', `is longer than ${ASFF_LIMITS.description}`);
  }
  validateResources(finding.Resources, fail);
  const status = finding.Compliance?.Status;
  if (status !== undefined && !(COMPLIANCE_STATUSES as readonly string[]).includes(status)) {
    fail('Compliance.Status', `has unknown value ${status}`);
  }
  if (
    finding.RecordState !== undefined &&
    finding.RecordState !== 'ACTIVE' &&
    finding.RecordState !== 'ARCHIVED'
  ) {
    fail('RecordState', `has unknown value ${finding.RecordState}`);
  }
  const recommendation = finding.Remediation?.Recommendation;
  if (recommendation) {
    if ((recommendation.Text ?? '').length > ASFF_LIMITS.recommendationText) {
      fail('Remediation.Recommendation.Text', `is longer than ${ASFF_LIMITS.recommendationText}`);
    }
    if (recommendation.Url !== undefined && !URL.canParse(recommendation.Url)) {
      fail('Remediation.Recommendation.Url', 'must be an absolute URL');
    }
  }
  validateMap(
    finding.ProductFields,
    'ProductFields',
    ASFF_LIMITS.productFields,
    ASFF_LIMITS.productFieldKey,
    ASFF_LIMITS.productFieldValue,
    fail,
  );
  const providerFields = finding.FindingProviderFields;
  if (providerFields) {
    const providerLabel = providerFields.Severity?.Label;
    if (providerLabel !== undefined && !(SEVERITIES as readonly string[]).includes(providerLabel)) {
      fail('FindingProviderFields.Severity.Label', `has unknown value ${providerLabel}`);
    }
    if (providerFields.Types !== undefined)
      validateTypes(providerFields.Types, 'FindingProviderFields.Types', fail);
  }
  for (const field of CUSTOMER_OWNED) {
    if (finding[field] !== undefined)
      fail(field, 'is owned by the customer and must not be sent by the provider');
  }
  const bytes = Buffer.byteLength(JSON.stringify(finding), 'utf8');
  if (bytes > ASFF_LIMITS.findingBytes) fail('(finding)', `is ${bytes} bytes, over the 240 KB limit`);
}

type Fail = (field: string, problem: string) => never;

function validateTypes(types: readonly string[] | undefined, field: string, fail: Fail): void {
  if (!types || types.length === 0) fail(field, 'needs at least one type');
  if ((types as readonly string[]).length > ASFF_LIMITS.types)
    fail(field, `has more than ${ASFF_LIMITS.types} entries`);
  (types as readonly string[]).forEach((type, index) => {
    const parts = type.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => !hasText(part))) {
      fail(`${field}.${index}`, 'must be namespace/category[/classifier]');
    }
    if (!TYPE_NAMESPACES.includes(parts[0] as string))
      fail(`${field}.${index}`, `has unknown namespace ${parts[0]}`);
  });
}

function validateResources(resources: readonly Resource[] | undefined, fail: Fail): void {
  if (!resources || resources.length === 0) fail('Resources', 'needs at least one resource');
  if ((resources as readonly Resource[]).length > ASFF_LIMITS.resources) {
    fail('Resources', `has more than ${ASFF_LIMITS.resources} entries`);
  }
  (resources as readonly Resource[]).forEach((resource, index) => {
    const at = `Resources.${index}`;
    if (!hasText(resource.Type)) fail(`${at}.Type`, 'is required');
    if ((resource.Type as string).length > ASFF_LIMITS.resourceType) fail(`${at}.Type`, 'is too long');
    if (!hasText(resource.Id)) fail(`${at}.Id`, 'is required');
    if (!resource.Partition || !PARTITIONS.includes(resource.Partition))
      fail(`${at}.Partition`, 'must be an AWS partition');
    if (!hasText(resource.Region)) fail(`${at}.Region`, 'is required');
    if ((resource.Region as string).length > ASFF_LIMITS.resourceRegion) {
      fail(`${at}.Region`, `is longer than ${ASFF_LIMITS.resourceRegion}`);
    }
    validateMap(
      resource.Details?.Other,
      `${at}.Details.Other`,
      ASFF_LIMITS.otherPairs,
      ASFF_LIMITS.otherKey,
      ASFF_LIMITS.otherValue,
      fail,
    );
  });
}

function validateMap(
  map: Readonly<Record<string, string>> | undefined,
  field: string,
  maxPairs: number,
  maxKey: number,
  maxValue: number,
  fail: Fail,
): void {
  if (!map) return;
  const entries = Object.entries(map);
  if (entries.length > maxPairs) fail(field, `has ${entries.length} pairs, more than ${maxPairs}`);
  for (const [key, value] of entries) {
    if (!hasText(key) || key.length > maxKey) fail(`${field}.${key}`, `key must be 1-${maxKey} characters`);
    if (!hasText(value) || value.length > maxValue) {
      fail(`${field}.${key}`, `value must be a non-blank string of at most ${maxValue} characters`);
    }
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
