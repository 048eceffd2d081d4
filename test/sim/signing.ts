/**
 * Reads the SigV4 credential scope of a request: `Credential=<key>/<date>/<region>/<service>/aws4_request`
 * in the `Authorization` header, or `X-Amz-Credential` in a presigned URL. The signature itself is
 * not checked (see accounts.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Scope {
  readonly accessKeyId: string;
  /** `yyyymmdd`. */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

const AUTHORIZATION_CREDENTIAL = /Credential=([^,\s]+)/;

/** The credential scope of a signed request, or undefined when the request is unsigned. */
export function parseSigV4Scope(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): SigV4Scope | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('AWS4-HMAC-SHA256')) {
    const credential = AUTHORIZATION_CREDENTIAL.exec(authorization)?.[1];
    return credential ? parseCredential(credential) : undefined;
  }
  const presigned = query.get('X-Amz-Credential');
  return presigned ? parseCredential(presigned) : undefined;
}

function parseCredential(credential: string): SigV4Scope | undefined {
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') return undefined;
  return { accessKeyId, date, region, service };
}
