import { describe, expect, it } from 'vitest';
import {
  BackupGuardError,
  CloudApiError,
  CredentialsError,
  describeError,
  errorCode,
  InputError,
  isAccessDenied,
  PolicyError,
} from '../../functions/core/errors.ts';

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
