/**
 * The error hierarchy of certctl-backup-guard. Every error names what was wrong and what to do,
 * keeps its `cause`, and never carries a secret value.
 */
import { DOCS } from './docs.ts';
import { placeholder, shellWord } from './shell-word.ts';

export class BackupGuardError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupGuardError';
  }
}

/**
 * A request whose earlier run (another delivery, another scan) is still running: nothing was run for
 * this one. The DynamoDB store's and the Cloud Storage records' own errors extend it.
 */
export class StillRunningElsewhereError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StillRunningElsewhereError';
  }
}

/**
 * An expected condition a function throws on purpose once it has reported it (its ERROR log line,
 * its metrics), so that its runtime retries the event and then keeps it in an alarmed dead-letter
 * queue: neither a mistake in what it was given nor a fault of the code. Its message says it whole
 * ({@link withFramesOnlyForFaults}).
 */
export class ReportedConditionError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReportedConditionError';
  }
}

/** The policy (file, CDK context or environment) does not match the schema. */
export class PolicyError extends BackupGuardError {
  /** One entry per bad field: `path` is dotted (`aws.regions.0`), `message` says why. */
  readonly issues: readonly InputIssue[];
  constructor(message: string, issues: readonly InputIssue[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** An input event, CLI argument or chat command is malformed. */
export class InputError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** A cloud API call failed in a way that stops one scope from being evaluated. */
export class CloudApiError extends BackupGuardError {
  /** The API's error code (`Throttling`, `AccessDenied`, `ECONNREFUSED`, …) when one is known. */
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudApiError';
    this.code = code;
  }
}

/**
 * The idempotency table could not be written before a run (it does not exist in the caller's
 * region, the caller may not write it, DynamoDB did not answer), so the run did not start: nothing
 * runs unrecorded. Powertools says only "Failed to save in progress record to idempotency store";
 * this names the table and DynamoDB's own error (its `cause`), which tell the operator what to fix.
 * Here, not beside the idempotency layer (functions/jobs/idempotency.ts), so that whoever answers
 * for a failed run (chat) can tell it apart without loading Powertools and DynamoDB.
 */
export class IdempotencyStoreError extends CloudApiError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, code, options);
    this.name = 'IdempotencyStoreError';
  }
}

/** No usable cloud credentials were found. */
export class CredentialsError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

/** The error's code as the SDKs report it (`name` for AWS SDK v3, `code` for Node and gax). */
export function errorCode(error: unknown): string {
  if (error instanceof CloudApiError) return error.code;
  if (error && typeof error === 'object') {
    const candidate = error as { code?: unknown; name?: unknown; Code?: unknown };
    if (typeof candidate.Code === 'string') return candidate.Code;
    if (typeof candidate.code === 'string') return candidate.code;
    if (typeof candidate.code === 'number') return String(candidate.code);
    if (typeof candidate.name === 'string' && candidate.name !== 'Error') return candidate.name;
  }
  return 'Unknown';
}

/**
 * Error codes that mean the caller was refused (AWS `AccessDenied`, `AccessDeniedException`,
 * `UnauthorizedOperation`, `AuthorizationError`; gRPC `PERMISSION_DENIED` = 7; HTTP 403).
 */
const ACCESS_DENIED_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'PERMISSION_DENIED',
  '7',
  '403',
  'Forbidden',
]);

/** Whether an error (or its code) says the cloud refused the call for lack of permission. */
export function isAccessDenied(errorOrCode: unknown): boolean {
  const code = typeof errorOrCode === 'string' ? errorOrCode : errorCode(errorOrCode);
  return ACCESS_DENIED_CODES.has(code);
}

/**
 * The kinds of failure that pass on their own: a throttled call, a server error, a call that timed out
 * or lost its connection, and one aborted by a concurrent operation on the same resource.
 */
export type TransientKind = 'throttled' | 'serverError' | 'unreachable' | 'busy';

/**
 * Error codes of a refusal that passes on its own, so the same call later may succeed: throttling
 * (AWS common errors `Throttling`/`ThrottlingException`, HTTP 429), a temporary failure of the
 * server (`ServiceUnavailable`, 503; `InternalFailure`, 500: "an unknown error, exception or
 * failure"), a timeout or a dropped connection; gRPC `UNAVAILABLE` (14), `DEADLINE_EXCEEDED` (4),
 * `INTERNAL` (13) and `ABORTED` (10: Cloud SQL's 409 while another operation runs on the
 * instance). Not: access denied, the database's state (RDS `InvalidDBInstanceState` outside a
 * busy spell, gRPC `FAILED_PRECONDITION`), not found (`DBInstanceNotFound`, `NOT_FOUND`), a quota
 * (`SnapshotQuotaExceeded`, gRPC `RESOURCE_EXHAUSTED`): asking again repeats them until someone
 * fixes their cause. Google sends `RESOURCE_EXHAUSTED` for a per-minute rate limit too, which passes
 * on its own: its `google.rpc.ErrorInfo` reason says `RATE_LIMIT_EXCEEDED` ("not enough rate quota",
 * google/api/error_reason.proto) where a quota says `RESOURCE_QUOTA_EXCEEDED`, and Google's errors
 * are coded by that reason then (gcp/wire.ts googleErrorCode, {@link isRateLimit}); one without the
 * reason cannot be told apart and stays a quota. Sources: AWS "Common Errors" of the RDS API
 * reference; RDS CreateDBSnapshot / CreateDBClusterSnapshot errors; Cloud SQL Admin API error codes
 * (google.rpc.Code); google/api/error_reason.proto.
 *
 * One list, by kind, for every question about such failures: whether to ask again (`isTransient`),
 * and how a report words what did not land (jobs/publish.ts), so adding a code here reaches both.
 */
export const TRANSIENT_CODES: Readonly<Record<TransientKind, ReadonlySet<string>>> = {
  throttled: new Set([
    'Throttling',
    'ThrottlingException',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'RequestThrottled',
    // S3's throttling, with HTTP 503 ("Please reduce your request rate"; S3 API reference, "Error
    // responses"): named here so that it reads as throttling, not as a server error.
    'SlowDown',
    'RATE_LIMIT_EXCEEDED',
    '429',
  ]),
  serverError: new Set([
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'InternalFailure',
    'InternalError',
    'InternalServerError',
    // Security Hub's and other JSON services' 500 (the Security Hub API reference, "Errors").
    'InternalException',
    'InternalServerException',
    // Secrets Manager's 500 ("An error occurred on the server side"), also as a
    // BatchGetSecretValue Errors entry, which carries no HTTP status.
    'InternalServiceError',
    'UNAVAILABLE',
    'INTERNAL',
    '13',
    '14',
    '500',
    '502',
    '503',
  ]),
  unreachable: new Set([
    'RequestTimeout',
    'RequestTimeoutException',
    'TimeoutError',
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'DEADLINE_EXCEEDED',
    '4',
    '504',
  ]),
  busy: new Set(['ABORTED', '10']),
};

/**
 * Which kind of passing failure an error (or its code) is ({@link TRANSIENT_CODES}; a Google rate
 * limit, {@link isRateLimit}, is `throttled`), or undefined when it is none.
 */
export function transientKind(errorOrCode: unknown): TransientKind | undefined {
  const code = typeof errorOrCode === 'string' ? errorOrCode : errorCode(errorOrCode);
  for (const [kind, codes] of Object.entries(TRANSIENT_CODES) as [TransientKind, ReadonlySet<string>][]) {
    if (codes.has(code)) return kind;
  }
  return typeof errorOrCode !== 'string' && isRateLimit(errorOrCode) ? 'throttled' : undefined;
}

/** Whether an error (or its code) is one that passes on its own ({@link TRANSIENT_CODES}): worth asking again as it is. */
export function isTransient(errorOrCode: unknown): boolean {
  return transientKind(errorOrCode) !== undefined;
}

/** The HTTP status a failed call was answered with: the AWS SDK's `$metadata`, a Google error's `status` or numeric `code`. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { $metadata, status, code } = error as {
    $metadata?: { httpStatusCode?: unknown };
    status?: unknown;
    code?: unknown;
  };
  const candidate = $metadata?.httpStatusCode ?? status ?? code;
  return typeof candidate === 'number' && Number.isInteger(candidate) ? candidate : undefined;
}

/**
 * Which kind of passing failure a failed call was, from its code ({@link transientKind}) or, when
 * the code is none of {@link TRANSIENT_CODES}, its HTTP status: 429 is throttling, any 5xx a server
 * error, whatever code the body sent. Undefined for a failure that answers for what was asked.
 */
export function callFailureKind(error: unknown): TransientKind | undefined {
  // An adapter's own error that wraps the call's (a describer that threw for a passing failure)
  // is read by its cause too: its code alone may be a service's own 5xx code no list names.
  for (let current = error, depth = 0; depth < 3; depth += 1) {
    const byCode = transientKind(current);
    if (byCode !== undefined) return byCode;
    const status = httpStatusOf(current);
    if (status === 429) return 'throttled';
    if (status !== undefined && status >= 500 && status < 600) return 'serverError';
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether a read failed for the call, not for the resource it asked about: throttled, a server
 * error, a timeout or a dropped connection ({@link callFailureKind}), once the client's retries are
 * spent. Such a failure says nothing of the resource, so the audits fail the scope with it (the run
 * then reports partial failure, and nothing is resolved or replaced on its strength) rather than
 * read it as an answer: a resource left NOT_AVAILABLE in a scope reported complete. An answer that
 * is about the resource (access denied, not found, a refused range) is not one. Google's
 * `RESOURCE_EXHAUSTED` (gRPC 8) without the reason that tells a rate limit is one too: a quota or a
 * rate limit, not said which ({@link isUnexplainedExhaustion}), it refuses the call whatever the
 * resource, though it is not asked again as it is ({@link TRANSIENT_CODES}).
 */
export function saysNothingOfTheResource(error: unknown): boolean {
  if (callFailureKind(error) !== undefined) return true;
  for (let current = error, depth = 0; depth < 3; depth += 1) {
    if (EXHAUSTED_CODES.has(errorCode(current))) return true;
    if (typeof current !== 'object' || current === null) return false;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Google's `RESOURCE_EXHAUSTED`, by name (gcp/wire.ts googleErrorCode) or as gax's numeric gRPC code. */
const EXHAUSTED_CODES: ReadonlySet<string> = new Set(['RESOURCE_EXHAUSTED', '8']);

/** How a scope's failure words each kind of passing failure, before the service's own answer. */
const CALL_FAILURE_WORDS: Readonly<Record<TransientKind, string>> = {
  throttled: 'the service throttled it (rate-limited)',
  serverError: 'the service answered with a server error',
  unreachable: 'it timed out or lost its connection',
  busy: 'a concurrent operation aborted it',
};

/**
 * A failed read that says nothing of the resource ({@link saysNothingOfTheResource}) as the error
 * that fails the scope: `what` failed, which kind of passing failure it was in words (so a report
 * says it was throttled rather than quote a bare code), and the service's last answer (`reason`).
 * `retried` says whether the client retries that failure: true (the default), the words say it
 * lasted until the retries ran out; false (Cloud SQL's clients and INTERNAL, an SDK strategy and a
 * 5xx other than 500/502/503/504), they say the client does not retry it, rather than claim
 * retries that never happened. Its code is the error's own ({@link errorCode}); `cause` keeps the error.
 * `kind` is the error's own ({@link callFailureKind}) unless the caller knows better: a client that
 * gave up at its deadline while the service throttled every attempt (Cloud SQL's gax, whose
 * DEADLINE_EXCEEDED quotes the refusals only as text) was throttled, not cut off.
 */
export function callFailure(
  what: string,
  reason: string,
  error: unknown,
  retried = true,
  kind: TransientKind | undefined = callFailureKind(error),
): CloudApiError {
  const words =
    kind === undefined
      ? ''
      : retried
        ? `${CALL_FAILURE_WORDS[kind]} until the retries ran out; its last answer: `
        : `${CALL_FAILURE_WORDS[kind]}, which this client does not retry; its answer: `;
  return new CloudApiError(`${what} failed: ${words}${reason}`, errorCode(error), { cause: error });
}

/**
 * Throws, failing the scope, when a read's `error` says nothing of the resource
 * ({@link saysNothingOfTheResource}: throttled, a server error, a timeout, once the client's retries
 * are spent): read as an answer, it would leave the resource NOT_AVAILABLE in a scope reported
 * complete, which a publisher then settles as if it had been read. Thrown as {@link callFailure} of
 * `what`, with the service's answer in the adapter's words (`reasonOf`); an error that fails the
 * scope already (a {@link CloudApiError}, as a key describer's) passes as it is. `retries` says
 * whether the adapter's client retries such an error (callFailure's `retried`; all, when not given).
 * Returns otherwise:
 * the error is an answer about the resource, the caller's to record.
 */
export function failScopeOnCallFailure(
  what: string,
  error: unknown,
  reasonOf: (error: unknown) => string,
  retries?: (error: unknown) => boolean,
): void {
  if (!saysNothingOfTheResource(error)) return;
  if (error instanceof CloudApiError) throw error;
  throw callFailure(what, reasonOf(error), error, retries?.(error) ?? true);
}

/**
 * Whether a Google API refused the call for a rate limit (`google.rpc.ErrorInfo` reason
 * `RATE_LIMIT_EXCEEDED`, on the error or its `cause` chain), which passes on its own, rather than
 * for a quota that stays exhausted until it is raised (`RESOURCE_QUOTA_EXCEEDED`): both come as
 * `RESOURCE_EXHAUSTED`.
 */
export function isRateLimit(error: unknown): boolean {
  return errorInfoCarrier(error)?.reason === 'RATE_LIMIT_EXCEEDED';
}

/**
 * Whether a Google API refused the call with `RESOURCE_EXHAUSTED` (`code`, as gcp/wire.ts
 * googleErrorCode gives it) without the `google.rpc.ErrorInfo` reason that tells a rate limit, which
 * passes on its own, from a quota, which stays until raised ({@link isRateLimit}): either, not said
 * which. {@link isTransient} counts it as a quota; an answer must not name it one.
 */
export function isUnexplainedExhaustion(error: unknown, code: string): boolean {
  return code === 'RESOURCE_EXHAUSTED' && errorInfoCarrier(error) === undefined;
}

/** Google's `google.rpc.ErrorInfo`, as the REST client's GcpApiError and gax's GoogleError carry it. */
interface ErrorInfoFields {
  readonly reason?: unknown;
  readonly errorInfoMetadata?: unknown;
  readonly cause?: unknown;
}

/** A metadata value of an error's ErrorInfo, when it is a plain identifier (never free text). */
function errorInfoValue(error: ErrorInfoFields, key: string): string | undefined {
  const metadata = error.errorInfoMetadata;
  const value =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as Record<string, unknown>)[key]
      : undefined;
  return typeof value === 'string' && /^[\w./-]+$/.test(value) ? value : undefined;
}

/** The error, or the first error of its `cause` chain, that carries an ErrorInfo reason. */
function errorInfoCarrier(error: unknown): ErrorInfoFields | undefined {
  for (let current = error, depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const fields = current as ErrorInfoFields;
    if (typeof fields.reason === 'string') return fields;
    current = fields.cause;
  }
  return undefined;
}

/**
 * What a Google API's refusal says when no role on the resource read fixes it, per
 * `google.rpc.ErrorInfo` reason of the googleapis.com domain (google/api/error_reason.proto), given
 * `api` ("the <service> API") and `consumer` (the project it names, without `projects/`; for CLI user
 * credentials their quota project, not the project read).
 */
const NOT_OF_PERMISSION: Readonly<
  Record<
    string,
    (api: string, consumer: string | undefined, info: ErrorInfoFields, service?: string) => string
  >
> = {
  // "The request is calling a disabled service for a consumer."
  SERVICE_DISABLED: (api, consumer, _info, service) =>
    `${api} is not enabled${consumer ? ` on project ${consumer}` : ''}: enable it (\`gcloud services enable ${service !== undefined ? shellWord(service) : placeholder('service')}${consumer ? ` --project ${shellWord(consumer)}` : ''}\`)`,
  // The token lacks every scope the API accepts.
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: (api) =>
    `the access token of the credentials that made the call lacks an OAuth scope ${api} accepts (\`https://www.googleapis.com/auth/cloud-platform\` covers it)`,
  // "The request whose associated billing account is disabled."
  BILLING_DISABLED: (api, consumer) =>
    `the billing account of ${consumer ? `project ${consumer}` : 'the calling project'} is disabled, and ${api} bills to it: link an active billing account${consumer ? ` (\`gcloud billing projects describe ${shellWord(consumer)}\` names it)` : ''}`,
  // "The caller does not have required permission on the user project or the user project is invalid."
  USER_PROJECT_DENIED: (api, consumer) =>
    `the credentials that made the call may not bill ${consumer ? `project ${consumer}` : 'the project'}, their quota project, for ${api}: grant them serviceusage.services.use there (roles/serviceusage.serviceUsageConsumer) or set another quota project (\`gcloud auth application-default set-quota-project\`)`,
  // "The request is denied because it violates VPC Service Controls"; `uid` finds it in the audit log.
  SECURITY_POLICY_VIOLATED: (api, _consumer, info) => {
    const uid = errorInfoValue(info, 'uid');
    return `a VPC Service Controls perimeter refused the call to ${api}${uid ? ` (unique id ${uid} in its audit log)` : ''}: call it from inside the perimeter or allow it with an ingress rule`;
  },
  // "The consumer is suspended due to Terms of Service (ToS) violations."
  CONSUMER_SUSPENDED: (_api, consumer) =>
    `${consumer ? `project ${consumer}` : 'the calling project'} is suspended: resolve its suspension (${DOCS.gcpProjectSuspension})`,
};

/**
 * The policy types an AWS access-denied message names when a Deny statement refused the call ("with
 * an explicit deny in a <type>", IAM user guide, "Troubleshooting access denied error messages"),
 * with what lifts such a deny; `policy` when the message says "with an explicit deny" without a type.
 * An allow never overrides an explicit deny (IAM policy evaluation logic), so no grant is the fix.
 */
const EXPLICIT_DENY_FIXES = {
  'service control policy': "ask the organization's administrators to exempt the role from it",
  'resource control policy': "ask the organization's administrators to exempt the role from it",
  'permissions boundary':
    "ask the account's IAM administrators to lift the deny from the permissions boundary set on the role",
  'identity-based policy': 'remove the deny from the policy attached to the role that holds it',
  'resource-based policy':
    'ask the owner of the resource to exempt the role in its policy (the bucket, key or secret policy)',
  'VPC endpoint policy': 'exempt the role in the policy of the VPC endpoint the call went through',
  'session policy': 'assume the role without the session policy that denies it',
  policy: 'find the deny (CloudTrail records the refused call) and exempt the role from it',
} as const;

/** A policy type an AWS explicit deny names ({@link EXPLICIT_DENY_FIXES}), or `policy` when it names none. */
export type ExplicitDenyPolicy = keyof typeof EXPLICIT_DENY_FIXES;

/** The policy types an explicit deny may name, as AWS writes them (the simulator's denies use them too). */
export const EXPLICIT_DENY_POLICY_TYPES = Object.keys(EXPLICIT_DENY_FIXES).filter(
  (type): type is Exclude<ExplicitDenyPolicy, 'policy'> => type !== 'policy',
) as [Exclude<ExplicitDenyPolicy, 'policy'>, ...Exclude<ExplicitDenyPolicy, 'policy'>[]];

/** "with an explicit deny in a(n) <type>", case aside (an SCP's may say "Service Control Policy"). */
const EXPLICIT_DENY = new RegExp(
  `\\bexplicit deny(?: in (?:an?|the) (${EXPLICIT_DENY_POLICY_TYPES.join('|')}))?`,
  'i',
);

/**
 * Which policy type refused an AWS call with an explicit deny, read from the message of an
 * access-denied error ({@link isAccessDenied}) on the error or its `cause` chain; `policy` when the
 * message says it was an explicit deny without naming the type; undefined for any other error (an
 * implicit deny, "because no … policy allows", is a missing grant). Only the type is taken from
 * AWS's words, never the rest: they name the caller's ARN and the resource.
 */
export function explicitDenyIn(error: unknown): ExplicitDenyPolicy | undefined {
  for (let current = error, depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    const said = isAccessDenied(current) && typeof message === 'string' ? EXPLICIT_DENY.exec(message) : null;
    if (said) {
      const type = said[1]?.toLowerCase();
      return EXPLICIT_DENY_POLICY_TYPES.find((named) => named.toLowerCase() === type) ?? 'policy';
    }
    current = cause;
  }
  return undefined;
}

/**
 * An explicit deny as {@link refusalNotOfPermission} words it: the policy type that denies, that a
 * grant to `role` cannot override it, and who lifts it. Starts lower case, to follow a colon.
 */
export function explicitDenyWords(policy: ExplicitDenyPolicy, role = 'the audit role'): string {
  const where =
    policy === 'policy'
      ? 'an explicit deny refuses the call (AWS did not say in which policy)'
      : `an explicit deny in ${/^[aeiou]/i.test(policy) ? 'an' : 'a'} ${policy} refuses the call`;
  return `${where}: a grant to ${role} cannot override it; ${EXPLICIT_DENY_FIXES[policy]}`;
}

/**
 * The caller an AWS access-denied message names, as the message starts in its newer form: "User:
 * arn:aws:sts::123456789012:assumed-role/<role>/<session> is not authorized to perform: <action> on
 * resource: <resource> because …" (IAM user guide, "Troubleshooting access denied error messages").
 */
const AWS_CALLER = /(?:\bUser: )?\barn:aws[a-z-]*:(?:iam|sts)::\d{12}:\S+(?= is not authorized\b)/g;

/**
 * `text` with the caller an AWS access-denied message names left out ("User is not authorized to
 * perform: <action> on resource: <resource> …", as AWS's messages without an ARN read). The ARN is
 * no secret, but it is account and role-session detail in every finding that quotes the message
 * (findings go to Security Hub), where the action and the resource are what a reader acts on. For
 * the errors of calls the audit's own role makes, whose caller is known.
 */
export function withoutCaller(text: string): string {
  return text.replace(AWS_CALLER, 'User');
}

/**
 * What fixes a refused call, in the words a reason ends with after a colon (lower case): for an AWS
 * explicit deny, what lifts it ({@link explicitDenyWords}, naming `role`); for a refusal a grant
 * fixes ({@link isPermissionRefusal}), that `role` needs `needs` (`s3:GetBucketVersioning on the
 * bucket b`); undefined for any other error. Never the cloud's own words: AWS's newer message names
 * the caller's ARN ({@link withoutCaller}), and only the policy type of a deny is read from it.
 */
export function refusalWords(error: unknown, needs: string, role = 'the audit role'): string | undefined {
  const denied = explicitDenyIn(error);
  if (denied !== undefined) return explicitDenyWords(denied, role);
  return isPermissionRefusal(error) ? `${role} needs ${needs}` : undefined;
}

/**
 * Why a Google API refused a call when no role on the resource fixes it, or undefined when the
 * refusal may be a missing permission: the `google.rpc.ErrorInfo` reasons of the googleapis.com
 * domain (google/api/error_reason.proto) in {@link NOT_OF_PERMISSION}: an API not enabled
 * (SERVICE_DISABLED; metadata `service`, and `consumer`: the project it is disabled on), a token
 * without the API's scope, billing disabled, a quota project the credentials may not use, a VPC
 * Service Controls perimeter, a suspended project; and an AWS refusal by an explicit deny
 * ({@link explicitDenyIn}), which no allow overrides. Read from the error or its `cause` chain: the
 * REST client's GcpApiError and gax's GoogleError (`reason`, `errorInfoMetadata`) alike.
 * `fallback` names the project and API when the answer names none. Starts lower case, to follow a
 * colon.
 */
export function refusalNotOfPermission(
  error: unknown,
  fallback: { readonly project?: string; readonly service?: string } = {},
): string | undefined {
  const denied = explicitDenyIn(error);
  if (denied !== undefined) return explicitDenyWords(denied);
  const info = errorInfoCarrier(error);
  const reason = info?.reason;
  const say =
    typeof reason === 'string' && Object.hasOwn(NOT_OF_PERMISSION, reason)
      ? NOT_OF_PERMISSION[reason]
      : undefined;
  if (!info || !say) return undefined;
  const service = errorInfoValue(info, 'service') ?? fallback.service;
  const consumer = errorInfoValue(info, 'consumer')?.replace(/^projects\//, '') ?? fallback.project;
  return say(service ? `the ${service} API` : 'the API', consumer, info, service);
}

/**
 * Whether the cloud refused the call for lack of a permission a grant can give: access denied
 * ({@link isAccessDenied}: AWS AccessDenied…, Google PERMISSION_DENIED / 403) and not a refusal no
 * role fixes ({@link refusalNotOfPermission}: an API not enabled, billing disabled, a VPC Service
 * Controls perimeter…, which Google also answers PERMISSION_DENIED; an AWS explicit deny in a
 * service control policy, a permissions boundary…, which no allow overrides). The one rule for when a finding
 * or an error may advise a grant. `code` is the error's code when the caller reads it another way
 * (gcp/wire.ts googleErrorCode follows gax's `cause`).
 */
export function isPermissionRefusal(error: unknown, code: string = errorCode(error)): boolean {
  return isAccessDenied(code) && refusalNotOfPermission(error) === undefined;
}

/** What a remediation says to do once its fix is made, unless its caller says otherwise. */
const RUN_AGAIN = 'run the audit again';

/**
 * A {@link refusalNotOfPermission} as a remediation: a sentence, then `again` ("run the audit
 * again").
 */
export function refusalAdvice(notOfPermission: string, again = RUN_AGAIN): string {
  return `${notOfPermission[0]?.toUpperCase()}${notOfPermission.slice(1)}, then ${again}.`;
}

/**
 * What fixes a refusal no grant fixes, as a remediation ({@link refusalAdvice} of
 * {@link refusalNotOfPermission}: an AWS explicit deny, a Google API not enabled, a VPC Service
 * Controls perimeter…), as `{ remedy }` to spread into an unread value beside its `accessDenied`
 * ({@link isPermissionRefusal}); empty for any other error, a refusal a grant fixes included.
 * `again`: what to do once it is fixed ({@link refusalAdvice}).
 */
export function refusalRemedy(
  error: unknown,
  code: string = errorCode(error),
  again = RUN_AGAIN,
): { readonly remedy?: string } {
  if (!isAccessDenied(code)) return {};
  const notOfPermission = refusalNotOfPermission(error);
  return notOfPermission === undefined ? {} : { remedy: refusalAdvice(notOfPermission, again) };
}

/**
 * The remediation of a resource whose read failed, following the failure: what fixes a refusal no
 * grant fixes ({@link refusalRemedy}: an AWS explicit deny, a VPC Service Controls perimeter, an API
 * not enabled…); `Grant <grant>, then run the audit again.` for a refusal a grant fixes
 * ({@link isPermissionRefusal}; `grant` names who and the permission: "the audit role
 * secretsmanager:DescribeSecret on this secret"); a run again for a failure that passes on its own
 * ({@link callFailureKind}: throttled, a server error, a timeout). Undefined for any other failure,
 * whose caller keeps its own advice. `code`: the error's, when the caller reads it another way;
 * `role`: who an explicit deny's words say no grant helps ({@link explicitDenyWords}), when the
 * caller is not the audit role alone; `again`: what to do once it is fixed, when it is not to run
 * the audit again (a snapshot's key read again).
 */
export function readFailureRemedy(
  error: unknown,
  grant: string,
  {
    code = errorCode(error),
    role,
    again = RUN_AGAIN,
  }: { readonly code?: string; readonly role?: string; readonly again?: string } = {},
): string | undefined {
  const deny = isAccessDenied(code) ? explicitDenyIn(error) : undefined;
  if (deny !== undefined) return refusalAdvice(explicitDenyWords(deny, role), again);
  const { remedy } = refusalRemedy(error, code, again);
  if (remedy !== undefined) return remedy;
  if (isPermissionRefusal(error, code)) return `Grant ${grant}, then ${again}.`;
  const kind = callFailureKind(error);
  return kind === undefined
    ? undefined
    : `The read did not go through (${CALL_FAILURE_WORDS[kind]}), which passes on its own: ${again}.`;
}

/**
 * `text` without what would let a reader act as the caller: the query of any URL (a signed URL's
 * X-Goog-Signature and X-Goog-Credential, an access_token) and any bearer or OAuth access token
 * (`ya29.`), or signature or credential parameter. A cloud's answer may quote the request, and a
 * proxy's page anything.
 */
export function withoutSecrets(text: string): string {
  return text
    .replace(/(https?:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi, '$1?(query left out)')
    .replace(/\b(Bearer)\s+[^\s"'<>,;)]+/gi, '$1 (token left out)')
    .replace(/\bya29\.[\w.-]+/g, '(token left out)')
    .replace(
      /\b(access_token|X-Goog-Signature|X-Goog-Credential|X-Amz-Signature|X-Amz-Credential|GoogleAccessId|Signature)=[^\s&"'<>]*/gi,
      '$1=(left out)',
    );
}

/** The most characters of a cloud's own words an error quotes ({@link quotedAnswer}). */
export const QUOTED_ANSWER_MAX = 300;

/**
 * What a cloud answered (its error's message, a proxy's page), as an error may quote it: on one
 * line, without secrets ({@link withoutSecrets}, applied before the cut so that no token is cut out
 * of reach of the filters), and at most {@link QUOTED_ANSWER_MAX} characters, `…` marking a cut.
 */
export function quotedAnswer(text: string): string {
  // By code point, so that a cut never splits a character in two.
  const said = [...withoutSecrets(text.replace(/\s+/g, ' ').trim())];
  return said.length <= QUOTED_ANSWER_MAX
    ? said.join('')
    : `${said.slice(0, QUOTED_ANSWER_MAX - 1).join('')}…`;
}

/**
 * Whether `error` is a mistake in what the function or command was given (an input event, a
 * request body, a chat command, the policy or a setting of the deployment), which its message says
 * whole, rather than a fault of this code.
 */
export function isUserMistake(error: unknown): error is InputError | PolicyError {
  return error instanceof InputError || error instanceof PolicyError;
}

/**
 * `error`, its stack cut to its first line (`InputError: <message>`) when it is a user mistake
 * ({@link isUserMistake}) or an expected condition already reported ({@link ReportedConditionError}),
 * for a function to throw: what it throws, its runtime prints with the stack (the Lambda runtime's
 * `Invoke Error` log line, and the `trace` a synchronous caller gets back; the Functions Framework's
 * log of a failed event), and for either the frames would show the caller the code's insides and
 * tell nobody more than the message does. Any other error keeps its frames: they are how a fault is
 * found.
 */
export function withFramesOnlyForFaults<T>(error: T): T {
  if (isUserMistake(error) || error instanceof ReportedConditionError) {
    Object.defineProperty(error, 'stack', {
      value: `${error.name}: ${error.message}`,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}

/** A one-line description of any thrown value, safe for logs (message only, no stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** One problem in validated input: the dotted path of the bad field and why it is bad. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** A schema issue as zod reports it; a union's carries the issues of each of its forms. */
interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  readonly errors?: readonly (readonly SchemaIssue[])[];
}

/** How a form of a union is named to the reader: `"all"`, `a list`, `a string`. */
function formName(issue: SchemaIssue): string | undefined {
  if (issue.code === 'invalid_value' && issue.values?.length === 1) return JSON.stringify(issue.values[0]);
  if (issue.code === 'invalid_type' && issue.expected) {
    return issue.expected === 'array'
      ? 'a list'
      : issue.expected === 'object'
        ? 'a mapping'
        : `a ${issue.expected}`;
  }
  return undefined;
}

/**
 * A union's bare "Invalid input" made useful: when the value got inside one of its forms (a list
 * whose item is wrong), that form's own issues under the union's path; when it matched none,
 * the forms it accepts and what it was given.
 */
function unionIssues(issue: SchemaIssue): SchemaIssue[] {
  const forms = issue.errors ?? [];
  const inside = forms.filter((form) => form.some((inner) => inner.path.length > 0));
  if (inside.length === 1) {
    return (inside[0] ?? []).flatMap((inner) =>
      expandIssue({ ...inner, path: [...issue.path, ...inner.path] }),
    );
  }
  const names = forms.map((form) => (form.length === 1 && form[0] ? formName(form[0]) : undefined));
  if (forms.length === 0 || names.some((name) => name === undefined)) return [issue];
  const received = forms
    .flat()
    .map((inner) => /received (\w+)/.exec(inner.message)?.[1])
    .find((word) => word !== undefined);
  return [
    {
      path: issue.path,
      message: `expected ${names.join(' or ')}${received ? `, received ${received}` : ''}`,
    },
  ];
}

function expandIssue(issue: SchemaIssue): SchemaIssue[] {
  return issue.code === 'invalid_union' && issue.errors ? unionIssues(issue) : [issue];
}

/** The most problems an input's error lists ({@link issuesLine}); the rest are counted. */
export const LISTED_ISSUES_MAX = 10;

/** The most characters of one problem's message an input's error repeats ({@link issuesLine}). */
const ISSUE_MESSAGE_MAX = 500;

/**
 * `issues` as one line, `path: message; …`: the first {@link LISTED_ISSUES_MAX}, each message cut
 * at {@link ISSUE_MESSAGE_MAX} characters (`…` marking the cut: zod names every unknown key in one
 * message), then `and N more`. An input of thousands of bad items still gets an error a reader can
 * take in and a log entry can hold (CloudWatch Logs and Cloud Logging cut or drop an entry past
 * 256 KB), naming the first problems, which are the ones to fix first.
 */
export function issuesLine(issues: readonly InputIssue[]): string {
  const listed = issues.slice(0, LISTED_ISSUES_MAX).map(({ path, message }) => {
    const chars = [...message];
    const said =
      chars.length <= ISSUE_MESSAGE_MAX ? message : `${chars.slice(0, ISSUE_MESSAGE_MAX - 1).join('')}…`;
    return `${path}: ${said}`;
  });
  const more = issues.length - listed.length;
  return [...listed, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}

/** Schema issues (zod's shape) as dotted paths, `(root)` for the input itself. */
export function inputIssues(issues: readonly SchemaIssue[]): InputIssue[] {
  return issues.flatMap(expandIssue).map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/**
 * `read` of every item, for a run over several clouds: one whose read fails (no credentials, an
 * API unreachable) does not stop the others; its answer is `failed(item, error)`, which the caller
 * reports so the run is incomplete. Bad input (InputError, PolicyError) throws at once, and when
 * every item fails the first error is thrown: there is no finished work to keep. Answers are in
 * the items' order.
 */
export async function eachOrAllFail<I, T>(
  items: readonly I[],
  read: (item: I) => Promise<T>,
  failed: (item: I, error: unknown) => T,
): Promise<T[]> {
  const errors: unknown[] = [];
  const answers = await Promise.all(
    items.map((item) =>
      read(item).catch((error: unknown) => {
        if (error instanceof InputError || error instanceof PolicyError) throw error;
        errors.push(error);
        return failed(item, error);
      }),
    ),
  );
  if (errors.length === items.length && errors.length > 0) throw errors[0];
  return answers;
}
