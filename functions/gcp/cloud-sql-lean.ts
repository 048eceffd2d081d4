/**
 * A lean path for the three Cloud SQL Admin reads of the PITR audit (`instances.list`,
 * `instances.getLatestRecoveryTime`, `backupRuns.list`), the GCP analog of functions/aws/json-wire.ts.
 * gax's per-call pipeline (call settings, retry wrapper, request transcoding through protobufjs and
 * proto3-json-serializer, `Headers` and `AbortController`s, gaxios' request and response handling,
 * the answer decoded into a protobufjs message and back with `toObject`) took about 35-40% of the
 * audit's CPU on the benchmark (bench/audit-pitr-gcp.ts), paid on every one of ~900 calls whose
 * answers are plain JSON.
 *
 * Only the clean success is handled here, and everything it needs is the read client's own:
 * - the request is the one gax's REST transport builds for these methods: HTTP GET on the client's
 *   endpoint (protocol, host and port resolved as google-gax 6.17 `fallback.js` `createStub` does),
 *   the path and query of the method's `google.api.http` rule (`@google-cloud/sql` `protos.json`:
 *   `get: "/v1/projects/{project}/instances"`, `".../instances/{instance}/getLatestRecoveryTime"`,
 *   `".../instances/{instance}/backupRuns"`), the fields that are not in the path as query
 *   parameters in the request message's field order (`maxResults`, `pageToken`), percent-encoded as
 *   gax's `transcoding.js` does, and `$alt=json%3Benum-encoding=int` (the generated clients set
 *   `numericEnums`; `fallbackRest.js` `encodeRequest`);
 * - the headers are gax's (`Content-Type`, the client's `x-goog-api-client` from its own metadata
 *   builder, `x-goog-request-params` as the generated method sets it), the `User-Agent` the auth
 *   client's gaxios interceptor adds, and the credentials' headers from the client's own auth
 *   client (`getRequestHeaders()`: the `Authorization` and `x-goog-user-project` its `fetch` adds,
 *   an expiring token refreshed first, exactly as on the gax path);
 * - it goes out through ./http-fetch.ts with the read clients' keep-alive agents;
 * - an HTTP 200 whose body is JSON this module can read is decoded, to the fields of the read view
 *   only (./cloud-sql-read-view.ts), into exactly the object gax returns today: gax decodes with
 *   proto3-json-serializer `fromProto3JSON`, then protobufjs `toObject` with
 *   `{ longs: String, enums: String, defaults: true, oneofs: true }` (google-gax `fallbackRest.js`
 *   `decodeResponse`, `fallback.js` `defaultToObjectOptions`), so absent fields get their defaults
 *   (`''`, `[]`, `{}`, `null` for messages, the first enum name), timestamps are
 *   `{ seconds: '<int64 as string>', nanos }`, wrappers `{ value }`, known enum numbers their names
 *   and unknown ones stay numbers, a set proto3 `optional` field carries its synthetic oneof
 *   (`_enabled: 'enabled'`), and the keys come in `toObject`'s order. The decoder is compiled from
 *   the read client's own protobufjs types; test/gcp/cloud-sql-lean.test.ts compares it, serialised,
 *   with what the gax read clients return for the simulator's answers and for odd bodies.
 * - one departure, on both paths: a bool, int32 or wrapper value of the wrong JSON type (`"false"`
 *   for a BoolValue, `"abc"` for an Int32Value, a null wrapper) is read as not sent, where gax
 *   would coerce it into a judged value ({@link NOT_SENT}); gax's path gets the answer without
 *   those values first (./cloud-sql-clients.ts, {@link answerSanitizer}), so both read the same.
 *
 * Anything else (a non-200 answer, a transport error, a body that is not JSON or holds a value of a
 * type this decoder does not take, a request or a client setup it does not reproduce) is handed to
 * the gax client. An answer or a transport error already received is replayed as the outcome of
 * gax's first HTTP exchange (./cloud-sql-clients.ts `replayingFirstExchange`), so the request is
 * not sent twice: gax then builds the `GoogleError` from it exactly as it always does (a 401 makes
 * google-auth-library refresh the token and send again), and retries what the factory's policy
 * retries, within what is left of the read timeout (so a "Total timeout ... exceeded N
 * milliseconds" names that time, a few milliseconds under the whole). No error is made here, so no
 * answer body can reach an error message. The one exchange that is repeated is one that got no
 * answer at all: the lean attempt gives up after half of the read timeout, and gax sends the
 * request again with the other half as its timeout.
 */
import type http from 'node:http';
import querystring from 'node:querystring';
import { AuthClient } from 'google-auth-library';
import { scopeSignal } from '../core/scope-calls.ts';
import { type HttpFetchResponse, httpFetch } from './http-fetch.ts';

/** The reads this path serves, by the gax client method that serves them otherwise. */
export type LeanMethod = 'instances.list' | 'instances.getLatestRecoveryTime' | 'backupRuns.list';

/** The share of the read timeout the lean attempt may take before gax gets the rest. */
export const LEAN_ATTEMPT_SHARE = 0.5;

/** The part of a protobufjs reflection object the decoder compiles from. */
interface ReflectedField {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly partOf: { readonly name: string } | null;
  readonly typeDefault: unknown;
  readonly resolvedType: ReflectedType | ReflectedEnum | null;
  resolve(): unknown;
}
interface ReflectedType {
  readonly fullName: string;
  readonly fieldsArray: readonly ReflectedField[];
  resolveAll(): unknown;
}
interface ReflectedEnum {
  readonly values: Readonly<Record<string, number>>;
  readonly valuesById: Readonly<Record<number, string>>;
}
/** A protobufjs root, as a generated client keeps it (`_protos`). */
export interface ReflectedRoot {
  lookupType(name: string): ReflectedType;
}

/** How one field is read from proto3 JSON. */
type FieldKind =
  | { readonly kind: 'string' | 'bool' | 'int32' | 'timestamp' | 'boolValue' | 'int32Value' }
  | { readonly kind: 'enum'; readonly values: ReflectedEnum }
  | { readonly kind: 'message'; readonly message: MessagePlan };

interface FieldPlan {
  readonly name: string;
  readonly value: FieldKind;
  readonly repeated: boolean;
  readonly map: boolean;
  /** The synthetic oneof of a proto3 `optional` field (`_enabled`), which `toObject` names. */
  readonly oneof: string | undefined;
  /** What `toObject` with `defaults: true` puts in for the field when it is absent. */
  readonly absent: unknown;
}

interface MessagePlan {
  /** Fields in field-number order, the order `toObject` sets them in. */
  readonly fields: FieldPlan[];
  /** The same order, by what `toObject` fills in first: repeated fields, maps, the other non-oneof fields. */
  readonly repeated: FieldPlan[];
  readonly maps: FieldPlan[];
  readonly singular: FieldPlan[];
}

/** A body this decoder does not take; the answer goes to gax instead. */
class Unreadable extends Error {}

/**
 * A read-view type holding a field kind outside what this decoder reads (it covers the kinds the
 * read view has today). Thrown while the route is built: the lean path then stays off for that
 * client and gax reads everything, as before this module.
 */
class OutsideLeanShape extends Error {}

const TIMESTAMP = '.google.protobuf.Timestamp';
const BOOL_VALUE = '.google.protobuf.BoolValue';
const INT32_VALUE = '.google.protobuf.Int32Value';
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * The decoding plan of a message type of the read view. Throws {@link OutsideLeanShape} when the
 * type holds a field kind the decoder does not read (then the lean path stays off and gax reads
 * everything).
 */
function compileMessage(type: ReflectedType, plans: Map<ReflectedType, MessagePlan>): MessagePlan {
  const known = plans.get(type);
  if (known) return known;
  type.resolveAll();
  const plan: MessagePlan = { fields: [], repeated: [], maps: [], singular: [] };
  plans.set(type, plan);
  // protobufjs' `toObject` handles the fields in field-number order (`converter.toObject`:
  // `fieldsArray.slice().sort(util.compareFieldsById)`), which fixes the order of the keys.
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    field.resolve();
    const value = fieldKind(field, plans);
    if (field.map && (field.type !== 'string' || value.kind !== 'string')) {
      throw new OutsideLeanShape(
        `${type.fullName}.${field.name}: the lean decoder reads map<string, string> only`,
      );
    }
    const oneof = field.partOf?.name;
    const absent = field.repeated ? [] : field.map ? {} : defaultOf(field, value);
    const fieldPlan: FieldPlan = {
      name: field.name,
      value,
      repeated: field.repeated,
      map: field.map,
      oneof,
      absent,
    };
    plan.fields.push(fieldPlan);
    if (field.repeated) plan.repeated.push(fieldPlan);
    else if (field.map) plan.maps.push(fieldPlan);
    else if (oneof === undefined) plan.singular.push(fieldPlan);
  }
  return plan;
}

function fieldKind(field: ReflectedField, plans: Map<ReflectedType, MessagePlan>): FieldKind {
  const resolved = field.resolvedType;
  if (resolved && 'values' in resolved) return { kind: 'enum', values: resolved };
  if (resolved) {
    switch (resolved.fullName) {
      case TIMESTAMP:
        return { kind: 'timestamp' };
      case BOOL_VALUE:
        return { kind: 'boolValue' };
      case INT32_VALUE:
        return { kind: 'int32Value' };
      default:
        if (resolved.fullName.startsWith('.google.protobuf.')) {
          throw new OutsideLeanShape(`${field.name}: the lean decoder does not read ${resolved.fullName}`);
        }
        return { kind: 'message', message: compileMessage(resolved, plans) };
    }
  }
  if (field.type === 'string' || field.type === 'bool' || field.type === 'int32') return { kind: field.type };
  throw new OutsideLeanShape(`${field.name}: the lean decoder does not read type ${field.type}`);
}

/** `toObject`'s default of a singular field, as protobufjs' converter writes it. */
function defaultOf(field: ReflectedField, value: FieldKind): unknown {
  switch (value.kind) {
    case 'enum':
      return value.values.valuesById[field.typeDefault as number];
    case 'message':
    case 'timestamp':
    case 'boolValue':
    case 'int32Value':
      return null;
    default:
      return field.typeDefault;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX;
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
/** Where the fraction's digits start in a string {@link RFC3339_UTC} matches. */
const FRACTION_START = 'YYYY-MM-DDTHH:MM:SS.'.length;

/**
 * A Timestamp as gax hands it out: proto3-json-serializer's `googleProtobufTimestampFromProto3JSON`
 * (seconds from `new Date(json)`, nanos from the fraction's digits) through `toObject` with
 * `longs: String`. Only the UTC form (`Z`) the API sends is taken.
 */
function timestamp(json: unknown): { seconds: string; nanos: number } {
  if (typeof json !== 'string') throw new Unreadable();
  if (!RFC3339_UTC.test(json)) throw new Unreadable();
  const milliseconds = new Date(json).getTime();
  if (!Number.isFinite(milliseconds)) throw new Unreadable();
  // The fraction's 1-9 digits, when there are any, sit between `YYYY-MM-DDTHH:MM:SS.` and `Z`.
  const digits = json.length - FRACTION_START - 1;
  return {
    seconds: String(Math.floor(milliseconds / 1000)),
    nanos: digits > 0 ? Number(json.slice(FRACTION_START, -1)) * 10 ** (9 - digits) : 0,
  };
}

function enumValue(values: ReflectedEnum, json: unknown): string | number {
  if (typeof json === 'number') {
    if (!isInt32(json)) throw new Unreadable();
    // A number the protos do not know (a value newer than the library) stays a number, as in gax.
    return values.valuesById[json] ?? json;
  }
  if (typeof json === 'string' && Object.hasOwn(values.values, json)) return json;
  throw new Unreadable();
}

/**
 * A value sent with the wrong JSON type for a bool, an int32 or their wrappers: read as not sent.
 * gax would coerce it (protobufjs `fromObject`: `Boolean("false")` is true, `"abc" | 0` is 0,
 * `2 ** 31 | 0` is -2147483648, a null BoolValue becomes `{ value: false }`), so a PASS would rest
 * on a value the answer never held. As the AWS lean decoder reads `1` or `yes` for a boolean
 * (functions/aws/xml-wire.ts `scalar`), the field is left out: the check that needs it is
 * NOT_AVAILABLE, naming it. Only a field with presence (a wrapper or a proto3 `optional`) can be
 * left out; on any other, absent is the proto3 default, a judged value, so the answer is refused.
 */
const NOT_SENT: unique symbol = Symbol('not sent');

/** Kinds whose wrong-typed values are read as {@link NOT_SENT}. */
const CHECKED_SCALARS: ReadonlySet<FieldKind['kind']> = new Set(['bool', 'int32', 'boolValue', 'int32Value']);

/** An int32 in proto3 JSON: an integral number, or a decimal string, in range (proto3 JSON takes both). */
function int32Of(json: unknown): number | typeof NOT_SENT {
  const number = typeof json === 'string' && DECIMAL_INTEGER.test(json) ? Number(json) : json;
  return isInt32(number) ? number : NOT_SENT;
}

const DECIMAL_INTEGER = /^-?[0-9]+$/;

/** A bool, an int32 or one of their wrappers (`{ value }`), or {@link NOT_SENT}; objects and lists are unreadable. */
function checkedScalar(kind: FieldKind['kind'], json: unknown): unknown {
  if (typeof json === 'object' && json !== null) throw new Unreadable();
  switch (kind) {
    case 'bool':
      return typeof json === 'boolean' ? json : NOT_SENT;
    case 'boolValue':
      return typeof json === 'boolean' ? { value: json } : NOT_SENT;
    case 'int32':
      return int32Of(json);
    default: {
      const number = int32Of(json);
      return number === NOT_SENT ? NOT_SENT : { value: number };
    }
  }
}

function singular(kind: FieldKind, json: unknown): unknown {
  switch (kind.kind) {
    case 'string':
      if (typeof json !== 'string') throw new Unreadable();
      return json;
    case 'bool':
    case 'int32':
    case 'boolValue':
    case 'int32Value':
      return checkedScalar(kind.kind, json);
    case 'enum':
      return enumValue(kind.values, json);
    case 'timestamp':
      return timestamp(json);
    case 'message':
      return message(kind.message, json);
  }
}

/** A list element or map value read as {@link NOT_SENT} cannot be left out of its list: unreadable. */
function sent(value: unknown): unknown {
  if (value === NOT_SENT) throw new Unreadable();
  return value;
}

/** Whether leaving `field` out reads as "not sent" (a wrapper's `null`, an `optional` field unset). */
function hasPresence(field: FieldPlan): boolean {
  return field.oneof !== undefined || field.value.kind === 'boolValue' || field.value.kind === 'int32Value';
}

/**
 * One message as `toObject` builds it: repeated fields, then maps, then the defaults of the other
 * fields outside a oneof, then every field the JSON carries, each group in field-number order (a
 * proto3 `optional` field followed by its oneof's name). Key order matches too, so a serialised
 * answer is byte-identical.
 */
function message(plan: MessagePlan, json: unknown): Record<string, unknown> {
  if (!isObject(json)) throw new Unreadable();
  const out: Record<string, unknown> = {};
  for (const field of plan.repeated) out[field.name] = [];
  for (const field of plan.maps) out[field.name] = {};
  for (const field of plan.singular) out[field.name] = field.absent;
  for (const field of plan.fields) {
    const value = json[field.name];
    if (value === undefined && !Object.hasOwn(json, field.name)) continue;
    if (field.repeated) {
      if (!Array.isArray(value)) throw new Unreadable();
      out[field.name] = value.map((element) => sent(singular(field.value, element)));
    } else if (field.map) {
      if (!isObject(value)) throw new Unreadable();
      const entries: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(value)) entries[key] = sent(singular(field.value, entry));
      out[field.name] = entries;
    } else {
      const read = singular(field.value, value);
      if (read === NOT_SENT) {
        if (!hasPresence(field)) throw new Unreadable();
        continue;
      }
      out[field.name] = read;
      if (field.oneof !== undefined) out[field.oneof] = field.name;
    }
  }
  return out;
}

/** The answer type of each lean read, in `google.cloud.sql.v1`. */
const ANSWER_TYPES: Readonly<Record<LeanMethod, string>> = {
  'instances.list': 'google.cloud.sql.v1.InstancesListResponse',
  'instances.getLatestRecoveryTime': 'google.cloud.sql.v1.SqlInstancesGetLatestRecoveryTimeResponse',
  'backupRuns.list': 'google.cloud.sql.v1.BackupRunsListResponse',
};

/** A decoder of one read's answers: the object gax returns, or undefined when it cannot read the body. */
export type AnswerDecoder = (body: string) => Record<string, unknown> | undefined;

/** The decoder of `method`'s answers, compiled from the client's own protobufjs types. */
export function answerDecoder(root: ReflectedRoot, method: LeanMethod): AnswerDecoder {
  const plan = compileMessage(root.lookupType(ANSWER_TYPES[method]), new Map());
  return (body) => {
    let json: unknown;
    try {
      json = JSON.parse(body);
      return message(plan, json);
    } catch {
      return undefined;
    }
  };
}

/**
 * `json` (a message of `plan`) with every value {@link checkedScalar} reads as not sent removed, in
 * place; true when one was. What gax decodes goes through this first (./cloud-sql-clients.ts), so
 * gax, which would coerce those values, reads them as not sent too, as the lean decoder does. What
 * neither reads (an object for a wrapper, a wrong type on a field without presence) is left for gax
 * to refuse or decode as it always has.
 */
function removeNotSent(plan: MessagePlan, json: unknown): boolean {
  if (!isObject(json)) return false;
  let removed = false;
  for (const field of plan.fields) {
    if (!Object.hasOwn(json, field.name)) continue;
    const value = json[field.name];
    const { kind } = field.value;
    if (field.value.kind === 'message') {
      const nested = field.value.message;
      // Map values are not walked: compileMessage takes map<string, string> only (the read view's
      // one map is settings.userLabels), so no value this removes can sit under a map; a map of
      // messages makes the plan fail to compile, and then no sanitizer exists at all.
      // test/gcp/wrong-typed-wrappers.test.ts pins both on the real protos.
      const elements = field.repeated && Array.isArray(value) ? value : field.map ? [] : [value];
      for (const element of elements) removed = removeNotSent(nested, element) || removed;
    } else if (CHECKED_SCALARS.has(kind) && !field.repeated && !field.map && hasPresence(field)) {
      let read: unknown;
      try {
        read = checkedScalar(kind, value);
      } catch {
        continue;
      }
      if (read === NOT_SENT) {
        delete json[field.name];
        removed = true;
      }
    }
  }
  return removed;
}

/** Rewrites an answer body for gax: undefined when it has nothing to remove (or is not JSON). */
export type AnswerSanitizer = (body: string) => string | undefined;

/** The answer types gax decodes for the reads whose wrong-typed values are removed first. */
export type SanitizedRead = LeanMethod | 'instances.get';

const SANITIZED_TYPES: Readonly<Record<SanitizedRead, string>> = {
  ...ANSWER_TYPES,
  'instances.get': 'google.cloud.sql.v1.DatabaseInstance',
};

/**
 * The sanitizer of `read`'s answers for gax, compiled from the client's own protobufjs types, or
 * undefined when the types hold a field kind the lean decoder does not read.
 */
export function answerSanitizer(root: ReflectedRoot, read: SanitizedRead): AnswerSanitizer | undefined {
  let plan: MessagePlan;
  try {
    plan = compileMessage(root.lookupType(SANITIZED_TYPES[read]), new Map());
  } catch {
    return undefined;
  }
  return (body) => {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return undefined;
    }
    return removeNotSent(plan, json) ? JSON.stringify(json) : undefined;
  };
}

/** The path of one read and its routing header, or undefined when the request is not one it builds. */
interface LeanRequest {
  readonly pathAndQuery: string;
  readonly routing: string;
}

/**
 * Only RFC 3986 unreserved characters: what every encoding below leaves as it is (project and
 * instance names are made of them: lowercase letters, digits and hyphens), so the value is placed
 * without encoding it.
 */
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;

/** gax `transcoding.js` `encodeWithSlashes`: RFC 3986 unreserved characters only. */
function encodeSegment(value: string): string {
  if (UNRESERVED.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** gax `transcoding.js` `encodeWithoutSlashes`: the same, keeping `/`. */
function encodeQueryValue(value: string): string {
  return value.split('/').map(encodeSegment).join('/');
}

/** A value as `querystring.stringify` writes it (`querystring.escape`, which leaves unreserved characters). */
function routingValue(value: string): string {
  return UNRESERVED.test(value) ? value : querystring.escape(value);
}

/** A path variable gax would accept (`validateUriPathSegment`) and this path can place. */
function pathValue(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') return undefined;
  return value;
}

const REQUEST_FIELDS: Readonly<Record<LeanMethod, ReadonlySet<string>>> = {
  'instances.list': new Set(['project', 'maxResults', 'pageToken']),
  'instances.getLatestRecoveryTime': new Set(['project', 'instance']),
  'backupRuns.list': new Set(['project', 'instance', 'maxResults', 'pageToken']),
};

/**
 * The path, query and routing header gax builds for `request`, or undefined for a request with a
 * field, an empty value or a value type this path does not place (gax then sends it).
 * `maxResults` and `pageToken` go to the query in that order, their declaration order in both
 * request messages; gax leaves a proto3 default (0, '') out, and so does this path by not taking it.
 */
export function leanRequest(
  method: LeanMethod,
  request: Readonly<Record<string, unknown>>,
): LeanRequest | undefined {
  const allowed = REQUEST_FIELDS[method];
  for (const [key, value] of Object.entries(request)) {
    if (value !== undefined && value !== null && !allowed.has(key)) return undefined;
  }
  const project = pathValue(request.project);
  if (project === undefined) return undefined;
  const base = `/v1/projects/${encodeSegment(project)}/instances`;
  let path = base;
  // The generated methods' routing header: gax `routingHeader.fromParams`, a `querystring.stringify`.
  let routing = `project=${routingValue(project)}`;
  if (method !== 'instances.list') {
    const instance = pathValue(request.instance);
    if (instance === undefined) return undefined;
    path = `${base}/${encodeSegment(instance)}/${method === 'backupRuns.list' ? 'backupRuns' : 'getLatestRecoveryTime'}`;
    routing = `${routing}&instance=${routingValue(instance)}`;
  }
  const query: string[] = [];
  const { maxResults, pageToken } = request;
  if (maxResults !== undefined && maxResults !== null) {
    if (!Number.isInteger(maxResults) || (maxResults as number) <= 0 || (maxResults as number) > INT32_MAX) {
      return undefined;
    }
    query.push(`maxResults=${maxResults}`);
  }
  if (pageToken !== undefined && pageToken !== null) {
    if (typeof pageToken !== 'string' || pageToken === '') return undefined;
    query.push(`pageToken=${encodeQueryValue(pageToken)}`);
  }
  query.push('$alt=json%3Benum-encoding=int');
  return { pathAndQuery: `${path}?${query.join('&')}`, routing };
}

/** The credentials' headers, as the gax path's auth client adds them. */
export interface LeanAuth {
  getRequestHeaders(): Promise<Headers>;
  /** gaxios' request interceptors of the auth client's transporter (a `Set`). */
  readonly transporter?: { readonly interceptors?: { readonly request?: Iterable<unknown> } };
}

/** What the lean path takes from one generated read client; undefined when it cannot reproduce it. */
export interface LeanRoute {
  /** `protocol://host:port`, as gax's `createStub` resolves it. */
  readonly origin: string;
  readonly auth: LeanAuth;
  /**
   * The headers every request of the client carries besides the credentials: gax's
   * `x-goog-api-client` (the client's own metadata builder) and what the auth client's request
   * interceptor adds to it (`User-Agent`).
   */
  readonly fixedHeaders: Readonly<Record<string, string>>;
  readonly decoders: ReadonlyMap<LeanMethod, AnswerDecoder>;
}

/** A generated client's fields the route is read from (gax's and the generator's own). */
interface GeneratedClientInternals {
  readonly _opts?: {
    readonly protocol?: unknown;
    readonly servicePath?: unknown;
    readonly port?: unknown;
    readonly universeDomain?: unknown;
  };
  readonly _protos?: ReflectedRoot;
  readonly _gaxGrpc?: {
    readonly numericEnums?: unknown;
    readonly minifyJson?: unknown;
    readonly auth?: unknown;
  };
  readonly _defaults?: Readonly<
    Record<string, { readonly otherArgs?: { readonly metadataBuilder?: () => Record<string, unknown> } }>
  >;
}

/**
 * The route of `client` for `methods`, or undefined when something about its setup is not what the
 * lean path reproduces: not REST with numeric enums, a minified-JSON option, an auth that is not a
 * resolved auth client, a universe the credentials do not match, a missing metadata builder.
 */
export async function leanRoute(
  client: unknown,
  methods: readonly LeanMethod[],
): Promise<LeanRoute | undefined> {
  const internals = client as GeneratedClientInternals;
  const options = internals._opts;
  const grpc = internals._gaxGrpc;
  if (!options || !grpc || !internals._protos) return undefined;
  if (grpc.numericEnums !== true || grpc.minifyJson) return undefined;
  const auth = grpc.auth as (LeanAuth & { universeDomain?: unknown; getClient?: unknown }) | undefined;
  // A GoogleAuth (with getClient) resolves its client on the first call; the factory always hands
  // gax a resolved client, so anything else stays on gax.
  if (!auth || typeof auth.getRequestHeaders !== 'function' || 'getClient' in auth) return undefined;
  const universe = typeof options.universeDomain === 'string' ? options.universeDomain : 'googleapis.com';
  if (auth.universeDomain !== undefined && auth.universeDomain !== universe) return undefined;
  if (typeof options.servicePath !== 'string' || options.servicePath === '') return undefined;
  const protocol = typeof options.protocol === 'string' && options.protocol ? options.protocol : 'https';
  let host = options.servicePath;
  let port = 443;
  const withPort = /^(.*):(\d+)$/.exec(host);
  if (withPort) {
    host = withPort[1] as string;
    port = Number.parseInt(withPort[2] as string, 10);
  }
  if (options.port)
    port = typeof options.port === 'string' ? Number.parseInt(options.port, 10) : Number(options.port);
  if (!Number.isInteger(port)) return undefined;
  // Every method of a client shares its metadata builder; both read clients have `list`.
  const metadata = internals._defaults?.list?.otherArgs?.metadataBuilder?.();
  const apiClient = (metadata?.['x-goog-api-client'] as unknown[] | undefined)?.[0];
  if (typeof apiClient !== 'string') return undefined;
  const fixedHeaders = await interceptedHeaders(auth, apiClient);
  if (!fixedHeaders) return undefined;
  const decoders = new Map<LeanMethod, AnswerDecoder>();
  try {
    for (const method of methods) decoders.set(method, answerDecoder(internals._protos, method));
  } catch {
    return undefined;
  }
  return { origin: `${protocol}://${host}:${port}`, auth, fixedHeaders, decoders };
}

/**
 * gax's fixed headers as the auth client's transporter sends them: google-auth-library gives every
 * auth client's gaxios one request interceptor, `AuthClient.DEFAULT_REQUEST_INTERCEPTOR`, which adds
 * `User-Agent` (and `x-goog-api-client` when gax has not set it). It is run once here on gax's
 * headers. An auth client with any other interceptor is left to gax: what it adds is not known.
 */
async function interceptedHeaders(
  auth: LeanAuth,
  apiClient: string,
): Promise<Record<string, string> | undefined> {
  const interceptors = [...(auth.transporter?.interceptors?.request ?? [])];
  if (interceptors.some((interceptor) => interceptor !== AuthClient.DEFAULT_REQUEST_INTERCEPTOR)) {
    return undefined;
  }
  const headers = new Headers({ 'content-type': 'application/json', 'x-goog-api-client': apiClient });
  if (interceptors.length > 0) {
    await AuthClient.DEFAULT_REQUEST_INTERCEPTOR?.resolved?.({ headers } as never);
  }
  const fixed: Record<string, string> = {};
  headers.forEach((value, name) => {
    fixed[name] = value;
  });
  return fixed;
}

/** gax call options the fallback passes on: the time left of the read timeout. */
export interface GaxCallOptions {
  readonly timeout: number;
}

/** Hands an outcome already received to gax as its first exchange (./cloud-sql-clients.ts). */
export type ReplayFirstExchange = <T>(
  url: string,
  outcome: Promise<HttpFetchResponse>,
  call: () => Promise<T>,
) => Promise<T>;

/** What one lean read needs besides the request. */
export interface LeanReadContext {
  readonly route: LeanRoute;
  readonly agent: (url: URL) => http.Agent;
  readonly timeoutMs: number;
  readonly replay: ReplayFirstExchange;
}

/**
 * One read the lean way, or through `viaGax` for anything but a clean success (see the module
 * comment). `viaGax` is called with the time left of the read timeout.
 */
export async function leanRead<T>(
  context: LeanReadContext,
  method: LeanMethod,
  request: Readonly<Record<string, unknown>>,
  viaGax: (options: GaxCallOptions) => Promise<[T, ...unknown[]]>,
): Promise<[T, ...unknown[]]> {
  const { route, timeoutMs } = context;
  const started = performance.now();
  const left = () => Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
  let built: LeanRequest | undefined;
  try {
    built = leanRequest(method, request);
  } catch {
    // A value `encodeURIComponent` refuses (a lone surrogate): gax says what it says about it.
    built = undefined;
  }
  const decode = route.decoders.get(method);
  if (!built || !decode) return viaGax({ timeout: timeoutMs });
  let credentials: Headers;
  try {
    credentials = await route.auth.getRequestHeaders();
  } catch {
    // gax asks the same auth client and reports what it says, as it does today.
    return viaGax({ timeout: left() });
  }
  const url = `${route.origin}${built.pathAndQuery}`;
  const headers: Record<string, string> = { ...route.fixedHeaders, 'x-goog-request-params': built.routing };
  credentials.forEach((value, name) => {
    headers[name] = value;
  });
  let response: HttpFetchResponse;
  try {
    response = await httpFetch(url, {
      method: 'GET',
      headers,
      agent: context.agent,
      timeoutMs: Math.max(1, Math.floor(timeoutMs * LEAN_ATTEMPT_SHARE)),
    });
  } catch (error) {
    // The scope this read is of has failed (functions/core/scope-calls.ts): nothing more is asked.
    if (scopeSignal()?.aborted) throw error;
    // No signal is given, so an AbortError is otherwise the attempt's own time running out: no
    // outcome to hand on.
    if ((error as Error).name === 'AbortError') return viaGax({ timeout: left() });
    const failed = Promise.reject(error);
    // Handled by gax when it replays the exchange; marked handled here in case it never asks.
    failed.catch(() => undefined);
    return context.replay(url, failed, () => viaGax({ timeout: left() }));
  }
  if (response.status === 200) {
    const answer = decode(await response.text());
    if (answer !== undefined) return [answer as T];
  }
  return context.replay(url, Promise.resolve(response), () => viaGax({ timeout: left() }));
}
