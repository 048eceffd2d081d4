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

export function googleError(code: number, status: string, message: string): SimResponse {
  return json(code, { error: { code, message, status } });
}
