/**
 * AWS REST-JSON answers (Account, Security Hub): JSON bodies, and errors named by the
 * `x-amzn-ErrorType` header, which `@aws-sdk/core`'s AwsRestJsonProtocol reads first.
 */
import { randomUUID } from 'node:crypto';
import type { SimRequest, SimResponse } from '../service.ts';

export function jsonResponse(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(body),
  };
}

/** An error answer: `x-amzn-ErrorType: <type>` and `{ message, … }`. */
export function jsonError(
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): SimResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': type,
    },
    body: JSON.stringify({ message, ...extra }),
  };
}

/** The request body as JSON, or undefined when it is empty or not JSON. */
export function jsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The authentication answers of the REST-JSON services: an unsigned call, or a key the simulator
 * did not issue, refused the way AWS refuses them; undefined for a simulator key.
 */
export function restJsonAuthError(request: SimRequest): SimResponse | undefined {
  if (!request.accessKeyId) {
    return jsonError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  if (!request.callerAccount) {
    return jsonError(
      403,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  return undefined;
}
