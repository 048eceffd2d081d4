/**
 * The AWS JSON 1.1 protocol as the simulated Secrets Manager and KMS answer it: a JSON body with a
 * request id, errors with `__type` in the body (what AwsJson1_1Protocol reads) and the
 * `x-amzn-errortype` header, and the fault answers every such service gives alike.
 */
import { randomUUID } from 'node:crypto';
import type { InjectedFailure } from '../faults.ts';
import type { SimRequest, SimResponse } from '../service.ts';

/** A JSON answer with its request id. */
export function awsJson(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(body),
  };
}

/** An AWS JSON error: `__type` in the body and the header. */
export function awsJsonError(status: number, type: string, message: string): SimResponse {
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': type,
    },
    body: JSON.stringify({ __type: type, Message: message }),
  };
}

/** The fault answers of an AWS JSON service: throttling, its own internal error, unavailable. */
export abstract class AwsJsonFaults {
  /** The service's internal-error code and message, as its model names them. */
  protected abstract readonly internalError: readonly [code: string, message: string];

  /** The caller's account, or the answer to an unsigned request or an unknown access key. */
  protected callerOf(request: SimRequest): string | SimResponse {
    if (request.accessKeyId && request.callerAccount) return request.callerAccount;
    return awsJsonError(
      400,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }

  /** `ThrottlingException` (HTTP 400), or the failure the faults name (`faults.throttleCode`). */
  throttled(_request?: SimRequest, injected?: InjectedFailure): SimResponse {
    return injected
      ? awsJsonError(injected.status, injected.code, injected.message)
      : awsJsonError(400, 'ThrottlingException', 'Rate exceeded');
  }

  serverError(): SimResponse {
    return awsJsonError(500, ...this.internalError);
  }

  unavailable(): SimResponse {
    return awsJsonError(503, 'ServiceUnavailableException', 'Service Unavailable');
  }
}
