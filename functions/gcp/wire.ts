/**
 * The one place that turns Cloud SQL Admin v1 answers into plain values, whatever transport
 * delivered them. The REST fallback (`fallback: true`) has three quirks, all visible on the wire and
 * after gax decodes it (google-gax 6.17 `fallbackRest.decodeResponse` -> protobufjs `toObject` with
 * `longs: String, enums: String, defaults: true`):
 *
 * - wrapper types (`google.protobuf.BoolValue`, `Int32Value`) arrive as `{ value }`, and as `null`
 *   when the field is absent; raw proto3 JSON carries them bare;
 * - int64 fields (including `Timestamp.seconds`) arrive as decimal strings;
 * - enums travel as numbers (`$alt=json;enum-encoding=int`); gax maps the ones its protos know back
 *   to names, and leaves a number the protos do not know (a value newer than the library) as is.
 *
 * Enum numbers are resolved with the maps of the generated protos (copied from `protos.json` into
 * ./sql-enums.ts, checked against it by a test), never with hand-written numbers.
 */

import { CloudApiError, describeError, isRateLimit } from '../core/errors.ts';
import { CLOUD_SQL_ENUMS } from './sql-enums.ts';

export { CLOUD_SQL_ENUMS };

export type CloudSqlEnum = keyof typeof CLOUD_SQL_ENUMS;

const ENUM_NAMES = new Map<CloudSqlEnum, ReadonlyMap<number, string>>(
  (Object.keys(CLOUD_SQL_ENUMS) as CloudSqlEnum[]).map((name) => [
    name,
    new Map(Object.entries(CLOUD_SQL_ENUMS[name]).map(([label, number]) => [number as number, label])),
  ]),
);

/**
 * An enum value as its name. Names pass through; numbers are looked up in the protos' map; a number
 * the protos do not know becomes `<ENUM>_<n>` so it is visible in findings instead of silently
 * matching nothing. Absent values are undefined.
 */
export function enumName(kind: CloudSqlEnum, value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return ENUM_NAMES.get(kind)?.get(value) ?? `${kind.toUpperCase()}_${value}`;
}

/** Whether `name` is one of the protos' names for the enum. */
export function isKnownEnum(kind: CloudSqlEnum, name: string): boolean {
  return Object.hasOwn(CLOUD_SQL_ENUMS[kind], name);
}

/** The JSON type a wrapper (or proto3 `optional`) field of the answers must have to be read. */
export type WrapperKind = 'boolean' | 'int32';

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * A wrapper field's value: `{ value }` (decoded), a bare value (proto3 JSON, or a proto3 `optional`
 * field), or undefined when absent. A value of the wrong JSON type for `kind` (`"false"` or `1` for
 * a BoolValue, `"abc"`, `3.5` or 2^31 for an Int32Value) is undefined too: not sent, never coerced.
 * Both decoding paths already leave such values out (./cloud-sql-lean.ts `NOT_SENT`); this does not
 * count on it, so a fake API, a new read or raw JSON cannot turn `"false"` into a truthy flag. A
 * bare decimal string is an int32 as proto3 JSON allows (`"35"`); inside `{ value }` it is not.
 */
export function unwrap(
  field: { readonly value?: boolean | null } | boolean | null | undefined,
  kind: 'boolean',
): boolean | undefined;
export function unwrap(
  field: { readonly value?: number | null } | number | null | undefined,
  kind: 'int32',
): number | undefined;
export function unwrap(field: unknown, kind: WrapperKind): boolean | number | undefined {
  const wrapped = typeof field === 'object' && field !== null;
  const value: unknown = wrapped ? (field as { value?: unknown }).value : field;
  if (kind === 'boolean') return typeof value === 'boolean' ? value : undefined;
  // Only proto3 JSON sends an int32 as a string; a decoded `{ value }` always holds a number.
  const number = !wrapped && typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  return Number.isInteger(number) && (number as number) >= INT32_MIN && (number as number) <= INT32_MAX
    ? (number as number)
    : undefined;
}

/** Something protobufjs may hand out for an int64: a number, a decimal string, or a Long. */
export type Int64 = number | string | { toNumber(): number };

/** An int64 (or int32) as a number; undefined when absent or not a number. */
export function toNumber(value: Int64 | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const number = typeof value === 'object' ? value.toNumber() : Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** A `google.protobuf.Timestamp`: decoded `{ seconds, nanos }` or an RFC 3339 string (proto3 JSON). */
export type TimestampValue =
  | { readonly seconds?: Int64 | null; readonly nanos?: number | null }
  | string
  | null
  | undefined;

/** A timestamp as a Date; undefined when absent or unreadable. */
export function toDate(value: TimestampValue): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  const seconds = toNumber(value.seconds);
  if (seconds === undefined) return undefined;
  return new Date(seconds * 1000 + Math.floor((value.nanos ?? 0) / 1_000_000));
}

/** A string field, undefined when absent or empty (protobufjs fills absent strings with ''). */
export function nonEmpty(value: string | null | undefined): string | undefined {
  return value ? value : undefined;
}

/**
 * The statuses the Cloud SQL Admin read clients retry (./clients.ts readRetry, whose `retry_codes`
 * these are): throttling and unavailability, never INTERNAL or ABORTED, which fail on the answer
 * that brings them. Here, beside the status names, so that a report can say whether a failed read
 * was retried without loading the clients.
 */
export const CLOUD_SQL_RETRIED_CODES = ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'] as const;

/**
 * Whether the Cloud SQL Admin read clients retry a read that failed with `error`
 * ({@link CLOUD_SQL_RETRIED_CODES}), by its gRPC status: gax retries by the status, so a rate limit
 * (RESOURCE_EXHAUSTED, coded RATE_LIMIT_EXCEEDED by {@link googleErrorCode}) is retried as any.
 */
export function cloudSqlRetries(error: unknown): boolean {
  const code = googleErrorCode(error);
  const status = code === 'RATE_LIMIT_EXCEEDED' ? 'RESOURCE_EXHAUSTED' : code;
  return (CLOUD_SQL_RETRIED_CODES as readonly string[]).includes(status);
}

/**
 * Canonical gRPC status names by code (google/rpc/code.proto). gax reports an API error's status as
 * this number (`GoogleError.code`); findings and logs quote the name.
 */
const RPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/**
 * What gax appends to a retried call's error: every earlier attempt's error, one after another
 * (google-gax 6.17 `normalCalls/retries.js` `errorDetailsSuffix`), kilobytes of the same line.
 */
const PREVIOUS_ERRORS = /\s*: Previous errors : \[[\s\S]*$/;

/**
 * An API error's message on one line, without gax's list of previous attempts and without its
 * trailing period, to embed in a sentence.
 */
export function googleErrorMessage(error: unknown): string {
  return describeError(error).replace(PREVIOUS_ERRORS, '').replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
}

/**
 * Why a REST call never got an HTTP answer (`connect ECONNREFUSED 127.0.0.1:4510`, `list did not
 * respond within 30000 milliseconds`), or undefined when it got one. gax's REST transport passes on
 * the fetch error's text, `request to <url> failed, reason: <socket error>` (node-fetch's
 * FetchError, which google-auth-library's gaxios uses in Node, and functions/gcp/http-fetch.ts, which
 * the read clients send through, words it the same), reports its own deadline as
 * `Deadline exceeded: <rpc> did not respond within <n> milliseconds` (google-gax 6.17
 * `fallbackServiceStub.js`), and a retried call quotes its last attempt's error in its own message.
 * gax gives these errors no structured field to read instead.
 */
export function transportFailure(error: unknown): string | undefined {
  const message = googleErrorMessage(error).replace(/\s*before any response was received$/, '');
  const reason =
    /\bfailed, reason: (.+)$/.exec(message)?.[1] ??
    /\b(\w+ did not respond within \d+ milliseconds)/.exec(message)?.[1];
  return reason?.trim() || undefined;
}

/** One attempt's status in gax's list of previous attempts (`…, code: 8, details: …`). */
const PREVIOUS_ERROR_CODE = /, code: (\d+), details: /g;

/**
 * Words for a Cloud SQL Admin read that gax gave up on (DEADLINE_EXCEEDED at the read timeout, or
 * its retries spent) when its last attempt was refused with RESOURCE_EXHAUSTED, the status Google
 * answers a rate limit with (and a quota: the two share it, core/errors.ts isRateLimit): the
 * deadline's own message reads as if the API had not answered, and quotes the refusal only as
 * text. gax keeps the attempts' statuses only in that message, in its list of previous attempts
 * (google-gax 6.17 `normalCalls/retries.js` `errorDetailsSuffix`, {@link PREVIOUS_ERRORS}), which
 * it writes for two attempts or more; for one, or for another last status, undefined: nothing is
 * claimed.
 */
export function throttledUntilGivenUp(error: unknown): string | undefined {
  if (googleErrorCode(error) !== 'DEADLINE_EXCEEDED') return undefined;
  const previous = PREVIOUS_ERRORS.exec(describeError(error))?.[0];
  const codes = previous === undefined ? [] : [...previous.matchAll(PREVIOUS_ERROR_CODE)];
  const last = codes.at(-1)?.[1];
  if (last === undefined || RPC_STATUS_NAMES[Number(last)] !== 'RESOURCE_EXHAUSTED') return undefined;
  return 'Cloud SQL Admin throttled the reads (rate-limited them: its last refusal before the read gave up was RESOURCE_EXHAUSTED, its answer to a rate limit or quota); run the audit again later, or ask for a higher Cloud SQL Admin API quota';
}

/**
 * A Cloud SQL Admin read that never got an HTTP answer (refused, reset, unresolvable, silent) in
 * all the time its retries may take. Its message is one line naming the endpoint, the time bound,
 * the socket's reason and where to look; gax's own error repeats every attempt's error (kilobytes
 * for a refused port). `code` stays gax's status name (DEADLINE_EXCEEDED or UNAVAILABLE).
 */
export class CloudSqlUnreachableError extends CloudApiError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, code, options);
    this.name = 'CloudSqlUnreachableError';
  }
}

/**
 * The status name of a gax error (`PERMISSION_DENIED`), or its Node code (`ECONNREFUSED`);
 * `RATE_LIMIT_EXCEEDED` for a `RESOURCE_EXHAUSTED` whose ErrorInfo names a rate limit.
 */
export function googleErrorCode(error: unknown): string {
  // RESOURCE_EXHAUSTED is a quota or a rate limit; the ErrorInfo reason says which (core/errors.ts
  // isRateLimit), and a rate limit, which passes on its own, is coded by it so it reads as transient.
  if (isRateLimit(error)) return 'RATE_LIMIT_EXCEEDED';
  if (error && typeof error === 'object') {
    const { code } = error as { code?: unknown };
    if (typeof code === 'number') return RPC_STATUS_NAMES[code] ?? String(code);
    if (typeof code === 'string' && code !== '') return code;
    const { cause } = error as { cause?: unknown };
    if (cause && cause !== error) return googleErrorCode(cause);
  }
  return 'UNKNOWN';
}
