import { describe, expect, it } from 'vitest';
import { GOOGLE_ISSUER, IdTokenError, mintIdToken, verifyIdToken } from './jwt.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;

function problemOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof IdTokenError) return error.problem;
    throw error;
  }
  return undefined;
}

describe('mintIdToken and verifyIdToken', () => {
  it('round-trips Google service-account claims when the token is fresh', () => {
    const token = mintIdToken(
      { aud: 'https://aud.example.com', sub: '1234567890', email: 'guard@p.iam.gserviceaccount.com' },
      { now: NOW },
    );

    const claims = verifyIdToken(token, { now: NOW });

    expect(claims).toEqual({
      iss: GOOGLE_ISSUER,
      aud: 'https://aud.example.com',
      azp: '1234567890',
      sub: '1234567890',
      email: 'guard@p.iam.gserviceaccount.com',
      email_verified: true,
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 3600,
    });
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      alg: 'HS256',
    });
  });

  it('refuses with expired when the clock is past exp', () => {
    const token = mintIdToken({ aud: 'a', sub: '1' }, { now: NOW, lifetimeSeconds: 60 });

    expect(problemOf(() => verifyIdToken(token, { now: new Date(NOW.getTime() + 61_000) }))).toBe('expired');
  });

  it('refuses with signature when the payload was changed', () => {
    const [header, , signature] = mintIdToken({ aud: 'a', sub: '1' }, { now: NOW }).split('.');
    const payload = Buffer.from(
      JSON.stringify({ iss: GOOGLE_ISSUER, aud: 'b', azp: '1', sub: '1', iat: 0, exp: 9e9 }),
    ).toString('base64url');

    expect(problemOf(() => verifyIdToken(`${header}.${payload}.${signature}`, { now: NOW }))).toBe(
      'signature',
    );
  });

  it('refuses with issuer when the token was not issued by Google', () => {
    const token = mintIdToken({ aud: 'a', sub: '1', iss: 'https://evil.example.com' }, { now: NOW });

    expect(problemOf(() => verifyIdToken(token, { now: NOW }))).toBe('issuer');
  });

  it('refuses with malformed when the text is not a JWT', () => {
    expect(problemOf(() => verifyIdToken('not-a-token'))).toBe('malformed');
  });
});
