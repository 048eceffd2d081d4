/**
 * A key naming some parts, for records that must be found again from the same parts (request,
 * delivery and retry keys of chat work and of snapshot requests): the SHA-256 of their JSON, in
 * hex. Every entry point computes its keys with this one function, so the CLI, the Lambdas and chat
 * find each other's records in the shared idempotency stores.
 */
import { createHash } from 'node:crypto';

export function keyOf(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
