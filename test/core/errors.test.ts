import { describe, expect, it } from 'vitest';
import {
  BackupGuardError,
  CloudApiError,
  CredentialsError,
  callFailure,
  callFailureKind,
  describeError,
  errorCode,
  explicitDenyIn,
  explicitDenyWords,
  InputError,
  isAccessDenied,
  isPermissionRefusal,
  isTransient,
  PolicyError,
  readFailureRemedy,
  refusalNotOfPermission,
  refusalWords,
  saysNothingOfTheResource,
  transientKind,
  withoutCaller,
} from '../../functions/core/errors.ts';
import { googleErrorCode } from '../../functions/gcp/wire.ts';
import { worthRetrying } from '../../functions/jobs/snapshot.ts';

describe('errors', () => {
  it('names each error class for logs and error codes', () => {
    expect(new BackupGuardError('x').name).toBe('BackupGuardError');
    expect(new PolicyError('x', []).name).toBe('PolicyError');
    expect(new InputError('x').name).toBe('InputError');
    expect(new CloudApiError('x', 'Throttling').name).toBe('CloudApiError');
    expect(new CredentialsError('x').name).toBe('CredentialsError');
    expect(new InputError('bad region', { cause: 'c' })).toMatchObject({ message: 'bad region', cause: 'c' });
  });

  it('takes the code from a CloudApiError, then Code, code, a numeric code, a specific name', () => {
    expect(errorCode(new CloudApiError('x', 'Throttling'))).toBe('Throttling');
    expect(errorCode({ Code: 'AccessDenied', code: 'other', name: 'N' })).toBe('AccessDenied');
    expect(errorCode({ code: 'ECONNREFUSED', name: 'N' })).toBe('ECONNREFUSED');
    expect(errorCode({ code: 7, name: 'N' })).toBe('7');
    expect(errorCode({ name: 'ThrottlingException' })).toBe('ThrottlingException');
    expect(errorCode(Object.assign(new Error('x'), { Code: 5 }))).toBe('Unknown');
    expect(errorCode(new Error('plain'))).toBe('Unknown');
    expect(errorCode(null)).toBe('Unknown');
    expect(errorCode('AccessDenied')).toBe('Unknown');
    expect(errorCode({ name: 5 })).toBe('Unknown');
  });

  it('tells access denied from a code or an error', () => {
    expect(isAccessDenied('AccessDeniedException')).toBe(true);
    expect(isAccessDenied({ code: 403 })).toBe(true);
    expect(isAccessDenied({ name: 'AccessDenied' })).toBe(true);
    expect(isAccessDenied('Throttling')).toBe(false);
    expect(isAccessDenied({ name: 'Throttling' })).toBe(false);
  });

  it('knows every refusal code of AWS, gRPC and HTTP', () => {
    for (const code of [
      'AccessDenied',
      'AccessDeniedException',
      'UnauthorizedOperation',
      'UnauthorizedAccess',
      'AuthorizationError',
      'PERMISSION_DENIED',
      '7',
      '403',
      'Forbidden',
    ]) {
      expect(isAccessDenied(code), code).toBe(true);
    }
    expect(isAccessDenied({ code: 7 })).toBe(true);
    expect(isAccessDenied('')).toBe(false);
  });

  it('describes an error by its message, else its name, and anything else as text', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError(new InputError(''))).toBe('InputError');
    expect(describeError('text')).toBe('text');
    expect(describeError(42)).toBe('42');
  });
});

describe("Google's RESOURCE_EXHAUSTED, a rate limit or a quota", () => {
  // gRPC 8 / HTTP 429 serves both; google.rpc.ErrorInfo's reason (google/api/error_reason.proto)
  // tells them apart, as gax's GoogleError and the REST client's GcpApiError keep it.
  const rateLimited = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded'), {
    code: 8,
    reason: 'RATE_LIMIT_EXCEEDED',
    errorInfoMetadata: { quota_limit: 'MutateRequestsPerMinutePerProject' },
  });
  const overQuota = Object.assign(new Error('8 RESOURCE_EXHAUSTED: Quota exceeded'), {
    code: 8,
    reason: 'RESOURCE_QUOTA_EXCEEDED',
  });
  const unexplained = Object.assign(new Error('8 RESOURCE_EXHAUSTED'), { code: 8 });

  it('is a rate limit that passes on its own when ErrorInfo says RATE_LIMIT_EXCEEDED', () => {
    expect(googleErrorCode(rateLimited)).toBe('RATE_LIMIT_EXCEEDED');
    expect(isTransient(rateLimited)).toBe(true);
    expect(isTransient(googleErrorCode(rateLimited))).toBe(true);
    expect(isTransient(new Error('wrapped', { cause: rateLimited }))).toBe(true);
    expect(
      worthRetrying({ outcome: 'error', error: { code: googleErrorCode(rateLimited), message: 'm' } }),
    ).toBe(true);
  });

  it('is a quota, not worth asking again as it is, when ErrorInfo says RESOURCE_QUOTA_EXCEEDED or nothing', () => {
    for (const error of [overQuota, unexplained]) {
      expect(googleErrorCode(error)).toBe('RESOURCE_EXHAUSTED');
      expect(isTransient(error)).toBe(false);
      expect(worthRetrying({ outcome: 'error', error: { code: googleErrorCode(error), message: 'm' } })).toBe(
        false,
      );
    }
  });
});

describe('a failed read that says nothing of the resource', () => {
  it('counts S3’s SlowDown as throttling, not as a server error', () => {
    // Act / Assess
    expect(transientKind('SlowDown')).toBe('throttled');
    expect(callFailureKind({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe('throttled');
  });

  it('reads a 429 or 5xx status as a passing failure whatever code the body sent, and a 4xx about the resource as none', () => {
    // Act / Assess
    expect(callFailureKind({ name: 'Weird', $metadata: { httpStatusCode: 429 } })).toBe('throttled');
    expect(callFailureKind({ code: 503, message: 'Backend Error' })).toBe('serverError');
    expect(saysNothingOfTheResource({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(
      false,
    );
    expect(saysNothingOfTheResource({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })).toBe(
      false,
    );
    expect(saysNothingOfTheResource({ code: 416 })).toBe(false);
    expect(saysNothingOfTheResource(new CloudApiError('answered without Rules', 'IncompleteAnswer'))).toBe(
      false,
    );
  });

  it('reads gax’s numeric gRPC codes of a call failure, a quota’s RESOURCE_EXHAUSTED included, and not an answer about the resource', () => {
    // Prepare: gax's GoogleError carries the gRPC status as a number.
    const grpc = (code: number) => Object.assign(new Error(`${code} status`), { code });

    // Act / Assess
    // 8 RESOURCE_EXHAUSTED (a quota, or a rate limit without its reason), 4 DEADLINE_EXCEEDED,
    // 13 INTERNAL, 14 UNAVAILABLE: each refuses the call, whatever the resource.
    for (const code of [8, 4, 13, 14]) expect(saysNothingOfTheResource(grpc(code))).toBe(true);
    expect(saysNothingOfTheResource({ code: 'RESOURCE_EXHAUSTED' })).toBe(true);
    expect(saysNothingOfTheResource(new CloudApiError('wrapped', 'Wrapped', { cause: grpc(8) }))).toBe(true);
    // 7 PERMISSION_DENIED, 5 NOT_FOUND, 9 FAILED_PRECONDITION: answers about the resource.
    for (const code of [7, 5, 9]) expect(saysNothingOfTheResource(grpc(code))).toBe(false);
    // Not asked again as it is: a quota stays until it is raised.
    expect(isTransient(grpc(8))).toBe(false);
  });

  it('reads an adapter’s error by the call failure it wraps', () => {
    // Prepare
    const cause = { name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } };

    // Act / Assess
    expect(callFailureKind(new CloudApiError('DescribeKey failed', 'KMSInternalException', { cause }))).toBe(
      'serverError',
    );
  });

  it('says the failure was not retried, rather than that retries ran out, for a client that does not retry it', () => {
    // Prepare: Cloud SQL's read clients retry UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, never INTERNAL.
    const error = { code: 13, details: 'internal error' };

    // Act
    const failure = callFailure(
      'Cloud SQL backupRuns.list for instance db in project p',
      'INTERNAL: internal error',
      error,
      false,
    );

    // Assess
    expect(failure.message).toBe(
      'Cloud SQL backupRuns.list for instance db in project p failed: the service answered with a server error, which this client does not retry; its answer: INTERNAL: internal error',
    );
    expect(failure.message).not.toContain('retries ran out');
  });

  it('says in words that the calls were throttled, before the service’s last answer', () => {
    // Prepare
    const error = { name: 'SlowDown', $metadata: { httpStatusCode: 503 } };

    // Act
    const failure = callFailure(
      'S3 ListObjectsV2 of s3://b/p/',
      'SlowDown (HTTP 503): Please reduce your request rate.',
      error,
    );

    // Assess
    expect(failure.code).toBe('SlowDown');
    expect(failure.cause).toBe(error);
    expect(failure.message).toBe(
      'S3 ListObjectsV2 of s3://b/p/ failed: the service throttled it (rate-limited) until the retries ran out; its last answer: SlowDown (HTTP 503): Please reduce your request rate.',
    );
  });
});

describe('isPermissionRefusal', () => {
  it.each([
    ['AWS AccessDenied', Object.assign(new Error('denied'), { name: 'AccessDenied' }), true],
    ["gax's PERMISSION_DENIED without a reason", Object.assign(new Error('denied'), { code: 7 }), true],
    ['a NOT_FOUND', Object.assign(new Error('gone'), { code: 5 }), false],
    [
      'PERMISSION_DENIED for a disabled API (SERVICE_DISABLED)',
      Object.assign(new Error('disabled'), { code: 7, reason: 'SERVICE_DISABLED' }),
      false,
    ],
    [
      'PERMISSION_DENIED from a VPC Service Controls perimeter (SECURITY_POLICY_VIOLATED)',
      Object.assign(new Error('perimeter'), { code: 7, reason: 'SECURITY_POLICY_VIOLATED' }),
      false,
    ],
  ])('is %s a refusal a grant fixes: %s', (_what, error, expected) => {
    expect(isPermissionRefusal(error)).toBe(expected);
  });
});

/** An AWS refusal as the SDK throws it: `name` the code, `message` AWS's words. */
function awsDenied(message: string, name = 'AccessDenied'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
}

const CALLER = 'arn:aws:sts::111122223333:assumed-role/certctl-backup-guard-audit/session';

describe('an AWS explicit deny', () => {
  it.each([
    [
      'service control policy',
      'service control policy',
      "ask the organization's administrators to exempt the role",
    ],
    [
      'Service Control Policy',
      'service control policy',
      "ask the organization's administrators to exempt the role",
    ],
    [
      'resource control policy',
      'resource control policy',
      "ask the organization's administrators to exempt the role",
    ],
    ['permissions boundary', 'permissions boundary', 'permissions boundary'],
    ['identity-based policy', 'identity-based policy', 'remove the deny'],
    ['resource-based policy', 'resource-based policy', 'owner of the resource'],
    ['VPC endpoint policy', 'VPC endpoint policy', 'VPC endpoint'],
    ['session policy', 'session policy', 'session policy'],
  ])('in a %s is no refusal a grant fixes, and the advice names the policy type', (said, type, fix) => {
    // Prepare: AWS's words, which name the caller's ARN.
    const article = /^[aeiou]/i.test(said) ? 'an' : 'a';
    const error = awsDenied(
      `User: ${CALLER} is not authorized to perform: rds:DescribeDBClusters on resource: arn:aws:rds:eu-west-1:111122223333:cluster:* with an explicit deny in ${article} ${said}`,
    );
    // Act
    const words = refusalNotOfPermission(error);
    // Assess
    expect(explicitDenyIn(error)).toBe(type);
    expect(isAccessDenied(error)).toBe(true);
    expect(isPermissionRefusal(error)).toBe(false);
    expect(words).toContain(`an explicit deny in ${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type}`);
    expect(words).toContain('a grant to the audit role cannot override it');
    expect(words).toContain(fix);
    // Nothing of AWS's message but the policy type: not the caller, not the action.
    expect(words).not.toContain('111122223333');
    expect(words).not.toContain('DescribeDBClusters');
  });

  it('is read through the cause of an adapter error, and said without a type when AWS names none', () => {
    const wrapped = new CloudApiError('RDS DescribeDBClusters failed', 'AccessDenied', {
      cause: awsDenied(`User: ${CALLER} is not authorized to perform: s3:GetObject with an explicit deny`),
    });
    expect(explicitDenyIn(wrapped)).toBe('policy');
    expect(isPermissionRefusal(wrapped)).toBe(false);
    expect(refusalNotOfPermission(wrapped)).toContain('a grant to the audit role cannot override it');
    expect(refusalNotOfPermission(wrapped)).not.toContain('111122223333');
  });

  it('leaves an implicit deny to a grant', () => {
    const implicit = awsDenied(
      `User: ${CALLER} is not authorized to perform: kms:DescribeKey on resource: k because no identity-based policy allows the kms:DescribeKey action`,
      'AccessDeniedException',
    );
    expect(explicitDenyIn(implicit)).toBeUndefined();
    expect(isPermissionRefusal(implicit)).toBe(true);
    expect(refusalNotOfPermission(implicit)).toBeUndefined();
  });

  it('is not read from an error that is no refusal', () => {
    expect(explicitDenyIn(new Error('with an explicit deny in a session policy'))).toBeUndefined();
  });
});

describe('withoutCaller', () => {
  it.each([
    [
      'the newer form, an assumed role',
      `User: ${CALLER} is not authorized to perform: s3:GetBucketVersioning on resource: "arn:aws:s3:::b" because no identity-based policy allows the s3:GetBucketVersioning action`,
      'User is not authorized to perform: s3:GetBucketVersioning on resource: "arn:aws:s3:::b" because no identity-based policy allows the s3:GetBucketVersioning action',
    ],
    [
      'an IAM user of another partition',
      'User: arn:aws-us-gov:iam::111122223333:user/ops is not authorized to perform: rds:DescribeDBClusters',
      'User is not authorized to perform: rds:DescribeDBClusters',
    ],
    ['a message with no caller', 'Access Denied', 'Access Denied'],
    [
      'an ARN that is not the caller',
      'not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/k',
      'not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/k',
    ],
  ])('leaves out the caller of %s and keeps the action and the resource', (_what, text, expected) => {
    expect(withoutCaller(text)).toBe(expected);
  });
});

describe('refusalWords', () => {
  const needs = 's3:GetBucketVersioning on the bucket b';
  it('names the grant of a refusal a grant fixes, and nothing of the message', () => {
    const implicit = awsDenied(`User: ${CALLER} is not authorized to perform: s3:GetBucketVersioning`);
    expect(refusalWords(implicit, needs)).toBe('the audit role needs s3:GetBucketVersioning on the bucket b');
    expect(refusalWords(implicit, needs, 'the snapshot role')).toBe(
      'the snapshot role needs s3:GetBucketVersioning on the bucket b',
    );
  });

  it('says what lifts an explicit deny, not a grant', () => {
    const deny = awsDenied(
      `User: ${CALLER} is not authorized to perform: s3:GetBucketVersioning with an explicit deny in a resource-based policy`,
    );
    const words = refusalWords(deny, needs);
    expect(words).toBe(explicitDenyWords('resource-based policy'));
    expect(words).not.toContain('111122223333');
  });

  it('says nothing of a failure that is no refusal', () => {
    expect(refusalWords(Object.assign(new Error('slow down'), { name: 'SlowDown' }), needs)).toBeUndefined();
  });
});

describe('readFailureRemedy', () => {
  const grant = 'the audit role secretsmanager:DescribeSecret on this secret';
  it.each([
    [
      'a refusal a grant fixes',
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }),
      'Grant the audit role secretsmanager:DescribeSecret on this secret, then run the audit again.',
    ],
    [
      'an explicit deny',
      Object.assign(new Error('… with an explicit deny in a VPC endpoint policy'), {
        name: 'AccessDeniedException',
      }),
      'An explicit deny in a VPC endpoint policy refuses the call: a grant to the audit role cannot override it; exempt the role in the policy of the VPC endpoint the call went through, then run the audit again.',
    ],
    [
      'throttling',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      'The read did not go through (the service throttled it (rate-limited)), which passes on its own: run the audit again.',
    ],
    [
      'an unavailable service',
      Object.assign(new Error('unavailable'), { code: 'UNAVAILABLE' }),
      'The read did not go through (the service answered with a server error), which passes on its own: run the audit again.',
    ],
    [
      'a failure it knows no fix for',
      Object.assign(new Error('bad'), { name: 'InvalidRequestException' }),
      undefined,
    ],
  ])('follows the failure: %s', (_what, error, expected) => {
    expect(readFailureRemedy(error, grant)).toBe(expected);
  });

  it('names the role an explicit deny refuses, and says what to do once fixed when it is not an audit run', () => {
    // Prepare
    const deny = Object.assign(new Error('… with an explicit deny in a session policy'), {
      name: 'AccessDeniedException',
    });
    const refused = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const options = { role: 'the snapshot role', again: 'read it again later' };
    // Act and assess
    expect(readFailureRemedy(deny, grant, options)).toBe(
      'An explicit deny in a session policy refuses the call: a grant to the snapshot role cannot override it; assume the role without the session policy that denies it, then read it again later.',
    );
    expect(readFailureRemedy(refused, grant, options)).toBe(
      'Grant the audit role secretsmanager:DescribeSecret on this secret, then read it again later.',
    );
    expect(readFailureRemedy(throttled, grant, options)).toBe(
      'The read did not go through (the service throttled it (rate-limited)), which passes on its own: read it again later.',
    );
  });
});
