/**
 * Answers of the simulated Google REST APIs that speak plain JSON (Secret Manager, Cloud KMS): a
 * JSON body, and the `google.rpc.Status` error body (`{ error: { code, message, status } }`).
 */
import type { SimResponse } from '../service.ts';

export function json(status: number, body: unknown): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify(body),
  };
}

export function googleError(
  code: number,
  status: string,
  message: string,
  details?: readonly unknown[],
): SimResponse {
  return json(code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

/**
 * The 403 Google answers a call to an API not enabled for the consumer project (AIP-193): PERMISSION_DENIED
 * with a `google.rpc.ErrorInfo` of reason SERVICE_DISABLED naming the service and consumer, and a
 * `google.rpc.Help` link to enable it.
 */
export function serviceDisabled(service: string, title: string, projectNumber: string): SimResponse {
  const activation = `https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber}`;
  return googleError(
    403,
    'PERMISSION_DENIED',
    `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ${activation} then retry.`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: { consumer: `projects/${projectNumber}`, service, activationUrl: activation },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Google developers console API activation', url: activation }],
      },
    ],
  );
}
