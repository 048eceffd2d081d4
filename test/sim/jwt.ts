/**
 * Google-style ID tokens for the simulator: the fake GCE metadata server mints them, the simulated
 * STS verifies them in AssumeRoleWithWebIdentity. Real Google tokens are RS256-signed and checked
 * against Google's published keys; the simulator signs with HS256 and one fixed key, because
 * nothing outside the simulator ever has to verify them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Google's issuer for service-account ID tokens. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

const SIM_KEY = 'certctl-backup-guard-simulator-id-token-key';
const KEY_ID = 'certctl-sim-1';
const DEFAULT_LIFETIME_SECONDS = 3600;

/** The claims of a service-account ID token (`format=full`). */
export interface IdTokenClaims {
  readonly iss: string;
  /** The audience the caller asked for (AWS condition key `accounts.google.com:oaud`). */
  readonly aud: string;
  /** The service account's numeric unique id (AWS condition key `accounts.google.com:aud`). */
  readonly azp: string;
  /** Also the service account's numeric unique id (`accounts.google.com:sub`). */
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  /** Seconds since the epoch. */
  readonly iat: number;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/** What a caller gives to mint a token; the rest is derived. */
export interface IdTokenRequest {
  readonly aud: string;
  readonly sub: string;
  /** Defaults to `sub`, as in Google service-account tokens. */
  readonly azp?: string;
  readonly email?: string;
  readonly iss?: string;
  readonly iat?: number;
  readonly exp?: number;
}

export interface MintIdTokenOptions {
  /** Issue time; pass the simulator clock (`context.now()`) so STS judges expiry on the same clock. */
  readonly now?: Date;
  /** Lifetime when `exp` is not given (Google: one hour). */
  readonly lifetimeSeconds?: number;
}

export interface VerifyIdTokenOptions {
  /** The clock expiry is judged on (the simulator clock). */
  readonly now?: Date;
}

/** Why a token was refused. */
export type IdTokenProblem = 'malformed' | 'signature' | 'issuer' | 'expired';

export class IdTokenError extends Error {
  readonly problem: IdTokenProblem;
  constructor(problem: IdTokenProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IdTokenError';
    this.problem = problem;
  }
}

/** Mints a signed ID token with Google's claim layout. */
export function mintIdToken(request: IdTokenRequest, options: MintIdTokenOptions = {}): string {
  const iat = request.iat ?? Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: IdTokenClaims = {
    iss: request.iss ?? GOOGLE_ISSUER,
    aud: request.aud,
    azp: request.azp ?? request.sub,
    sub: request.sub,
    ...(request.email ? { email: request.email, email_verified: true } : {}),
    iat,
    exp: request.exp ?? iat + (options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS),
  };
  const header = encodeSegment({ alg: 'HS256', kid: KEY_ID, typ: 'JWT' });
  const payload = encodeSegment(claims);
  return `${header}.${payload}.${sign(`${header}.${payload}`)}`;
}

/** Verifies signature, issuer and expiry; returns the claims or throws an IdTokenError. */
export function verifyIdToken(token: string, options: VerifyIdTokenOptions = {}): IdTokenClaims {
  const parts = token.split('.');
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || !header || !payload || !signature) {
    throw new IdTokenError('malformed', 'the token is not a JWT (three base64url segments)');
  }
  const expected = Buffer.from(sign(`${header}.${payload}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new IdTokenError('signature', 'the token signature does not verify');
  }
  const claims = decodeClaims(payload);
  if (claims.iss !== GOOGLE_ISSUER && claims.iss !== 'accounts.google.com') {
    throw new IdTokenError('issuer', `the token issuer ${claims.iss} is not ${GOOGLE_ISSUER}`);
  }
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (claims.exp <= nowSeconds) {
    throw new IdTokenError(
      'expired',
      `Token expired: current date/time ${nowSeconds} must be before the expiration date/time ${claims.exp}`,
    );
  }
  return claims;
}

function sign(input: string): string {
  return createHmac('sha256', SIM_KEY).update(input).digest('base64url');
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeClaims(payload: string): IdTokenClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (error) {
    throw new IdTokenError('malformed', 'the token payload is not JSON', { cause: error });
  }
  if (!isClaims(parsed)) {
    throw new IdTokenError('malformed', 'the token lacks iss, aud, azp, sub, iat or exp');
  }
  return parsed;
}

function isClaims(value: unknown): value is IdTokenClaims {
  if (!value || typeof value !== 'object') return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.iss === 'string' &&
    typeof claims.aud === 'string' &&
    typeof claims.azp === 'string' &&
    typeof claims.sub === 'string' &&
    typeof claims.iat === 'number' &&
    typeof claims.exp === 'number'
  );
}
