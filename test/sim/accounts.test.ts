import { describe, expect, it } from 'vitest';
import {
  accountOfAccessKey,
  baseAccessKeyId,
  DEFAULT_ACCOUNT_ID,
  isSessionAccessKey,
  sessionAccessKeyId,
  simCredentials,
  simEnvironment,
} from './accounts.ts';

describe('simulator access keys', () => {
  it('encodes the default account in base credentials when no account is given', () => {
    const credentials = simCredentials();

    expect(credentials.accessKeyId).toBe('AKIA111111111111SIMK');
    expect(credentials.accessKeyId).toHaveLength(20);
    expect(accountOfAccessKey(credentials.accessKeyId)).toBe(DEFAULT_ACCOUNT_ID);
  });

  it('encodes the assumed account in session keys when STS issues them', () => {
    const key = sessionAccessKeyId('222222222222', 37);

    expect(key).toBe('ASIA2222222222220011');
    expect(accountOfAccessKey(key)).toBe('222222222222');
    expect(isSessionAccessKey(key)).toBe(true);
    expect(isSessionAccessKey(baseAccessKeyId('222222222222'))).toBe(false);
  });

  it('knows no account when the key is not a simulator key', () => {
    expect(accountOfAccessKey('AKIAIOSFODNN7EXAMPLE')).toBeUndefined();
    expect(accountOfAccessKey(undefined)).toBeUndefined();
  });

  it('points a child process at the simulator when given the environment', () => {
    expect(simEnvironment('http://127.0.0.1:4566', '333333333333')).toEqual({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'AKIA333333333333SIMK',
      AWS_SECRET_ACCESS_KEY: expect.any(String),
    });
  });
});
