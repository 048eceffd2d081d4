/**
 * The error hierarchy of certctl-backup-guard. Every error names what was wrong and what to do,
 * keeps its `cause`, and never carries a secret value.
 */
export class BackupGuardError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupGuardError';
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

/** Schema issues (zod's shape) as dotted paths, `(root)` for the input itself. */
export function inputIssues(
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
): InputIssue[] {
  return issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
