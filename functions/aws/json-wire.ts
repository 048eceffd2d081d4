/**
 * The lean path (functions/aws/lean-wire.ts) for AWS JSON 1.1 reads made once per resource in
 * bulk: Secrets Manager `DescribeSecret` and KMS `DescribeKey` in the key-material audit (one call
 * per inventory secret; ListSecrets lacks `ReplicationStatus`). The SDK's per-call pipeline took
 * about as much CPU again as the signed HTTP exchange itself (~0.8 ms per call against ~0.4 ms for
 * the exchange on a loaded 2-core machine), and the audit is CPU-bound.
 *
 * What is JSON's here: the request (a POST of `JSON.stringify(input)` with the `content-type` and
 * `x-amz-target` the client's serializer writes for the operation, to the one endpoint of an
 * operation whose endpoint does not depend on its input), and the decoding of the answer body to
 * the members the caller reads, exactly as the SDK decodes them (timestamps as `Date`s); a body
 * that is not such an answer is handed to the SDK. Route probing, signing, sending and the replay
 * into the SDK are lean-wire's.
 *
 * test/aws/json-wire.test.ts runs the same inventory both ways against the simulator, error answers
 * included.
 */
import type { HttpResponse } from '@smithy/types';
import {
  collectBody,
  type LeanClient,
  type LeanProtocol,
  prepareLean,
  sendLean,
  type WireRequest,
} from './lean-wire.ts';

/** How a member is decoded (AWS model types of a JSON 1.1 answer). */
export type JsonField =
  | 'string'
  | 'timestamp'
  | { readonly list: JsonShape | 'string' }
  | { readonly struct: JsonShape }
  /** A JSON object of any keys whose values are all `map` (`VersionIdsToStages`). */
  | { readonly map: JsonField };
/** The members of a structure that are decoded; any other member is ignored. */
export interface JsonShape {
  readonly [member: string]: JsonField;
}

/** The SDK command class of a JSON operation (constructed per call; its endpoint instructions are static). */
export interface SdkCommandClass<I> {
  new (
    input: I,
  ): {
    readonly middlewareStack: {
      add(middleware: unknown, options: { step: string; priority?: string; name?: string }): void;
    };
  };
  getEndpointParameterInstructions?(): Record<string, { type: string }>;
}

/** What the lean path reads of an SDK client (SecretsManagerClient, KMSClient). */
export type JsonWireClient = LeanClient;

/** Endpoint parameters that do not depend on the call's input (the route is the same for every call). */
const INPUT_FREE_PARAMETERS = new Set(['builtInParams', 'clientContextParams', 'staticContextParams']);

/** What a JSON route keeps of the request the SDK built: everything but the body and its length. */
interface JsonTemplate {
  readonly request: WireRequest;
  readonly contentType: string;
  readonly target: string;
}

const protocols = new WeakMap<object, WeakMap<JsonShape, LeanProtocol<object, JsonTemplate, unknown>>>();

/** The JSON protocol of `Command`, answers decoded to `shape` (one per pair, made once). */
function jsonProtocol<I extends object>(
  Command: SdkCommandClass<I>,
  shape: JsonShape,
): LeanProtocol<I, JsonTemplate, unknown> {
  let byShape = protocols.get(Command);
  if (!byShape) {
    byShape = new WeakMap();
    protocols.set(Command, byShape);
  }
  let protocol = byShape.get(shape);
  if (!protocol) {
    const instructions = Object.values(Command.getEndpointParameterInstructions?.() ?? {});
    // An endpoint that depends on the input would need a route per input: left to the SDK.
    const inputFree = instructions.every((instruction) => INPUT_FREE_PARAMETERS.has(instruction.type));
    protocol = {
      routeKey: () => (inputFree ? '' : undefined),
      template(request) {
        const { 'content-type': contentType, 'x-amz-target': target } = request.headers;
        if (request.method !== 'POST' || !contentType || !target) return undefined;
        return { request, contentType, target };
      },
      build({ request, contentType, target }, input) {
        const body = JSON.stringify(input);
        return {
          ...request,
          query: {},
          headers: {
            'content-type': contentType,
            'x-amz-target': target,
            'content-length': String(Buffer.byteLength(body)),
            host: request.headers.host ?? request.hostname,
          },
          body,
        };
      },
      async decode(response: HttpResponse, collect) {
        const bytes = await collectBody(response.body, collect);
        const output = decodeJson(bytes, shape);
        if (output) return { output };
        // The SDK reads it as its own collector's answer: a plain Uint8Array of its own.
        response.body = new Uint8Array(bytes);
        return undefined;
      },
    };
    byShape.set(shape, protocol as LeanProtocol<object, JsonTemplate, unknown>);
  }
  return protocol as LeanProtocol<I, JsonTemplate, unknown>;
}

/**
 * `client.send(new Command(input))` as the SDK answers it, reduced to the members `shape` names
 * (plus `$metadata`) on a clean success; through the SDK itself for anything else.
 */
export async function sendJson<I extends object, O>(
  client: JsonWireClient,
  Command: SdkCommandClass<I>,
  shape: JsonShape,
  input: I,
): Promise<O> {
  return (await sendLean(client, Command, jsonProtocol(Command, shape), input)) as O;
}

/**
 * Resolve, ahead of the first call, the route {@link sendJson} sends `Command` of `client` by (the
 * probe runs the client's middleware up to the build step and sends nothing), with `input` standing
 * for the calls' inputs. Resolves once done; a probe that failed is tried again by the next call.
 */
export async function prepareJson<I extends object>(
  client: JsonWireClient,
  Command: SdkCommandClass<I>,
  input: I,
): Promise<void> {
  // The shape does not change the route: any one stands for the calls'.
  await prepareLean(client, Command, jsonProtocol(Command, PREPARE_SHAPE), input);
}

const PREPARE_SHAPE: JsonShape = {};

/** The members of `shape` in a JSON answer body; undefined when the body is not such an answer. */
export function decodeJson(bytes: Uint8Array, shape: JsonShape): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const read = readStruct(value, shape, WIRE, undefined);
  return read === MISMATCH ? undefined : read;
}

/**
 * The first member of a decoded answer (the lean path's, or the SDK's) that is not of its model
 * type, said as `<path> as <what was sent> where the API defines <type>`; undefined when every
 * member `shape` names is of its type or not sent (null is not sent). The SDK's JSON decoding hands
 * a string, list or map member through as sent (a string where the model has a list of strings, a
 * number where it has a string), and a caller that reads such a value by its content (`includes`,
 * a region) would read what was never sent.
 */
export function shapeMismatch(value: unknown, shape: JsonShape): string | undefined {
  const mismatch: Mismatch = { sent: '', expected: '', trail: [] };
  if (readStruct(value, shape, DECODED, mismatch) !== MISMATCH) return undefined;
  return `${pathOf(mismatch.trail)} as ${mismatch.sent} where the API defines ${mismatch.expected}`;
}

/** What a JSON value is, as a finding says it (never the value itself). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  return typeof value === 'object' ? 'a structure' : `a ${typeof value}`;
}

/** Not the model's type: the SDK decides what such an answer means. */
const MISMATCH = Symbol('mismatch');

/**
 * What differs between reading a wire answer ({@link decodeJson}) and checking the SDK's decoded
 * output ({@link shapeMismatch}); which JSON kind each model type takes, and where, is written once
 * (readStruct, readMember) for both. A reading is a constant: the walk allocates nothing for it.
 */
interface Reading {
  /**
   * Whether a member sent as null counts as not sent. The SDK drops such a member from its output;
   * the wire reading refuses the answer instead, so the SDK decides what it means. Null inside a
   * list or a map is never of its type.
   */
  readonly nullIsUnsent: boolean;
  /** Whether the walk builds the members it read (decoding) or only checks them (checking). */
  readonly builds: boolean;
  /** A timestamp member as read (a `Date`), or MISMATCH. */
  readonly timestamp: (value: unknown) => unknown;
}

/** A JSON 1.1 answer body: timestamps are epoch seconds, decoded as the SDK does (milliseconds rounded). */
const WIRE: Reading = {
  nullIsUnsent: false,
  builds: true,
  timestamp: (value) =>
    typeof value === 'number' && Number.isFinite(value) ? new Date(Math.round(value * 1000)) : MISMATCH,
};

/** An answer as the SDK (or the lean path) decoded it: timestamps are `Date`s. */
const DECODED: Reading = {
  nullIsUnsent: true,
  builds: false,
  timestamp: (value) => (value instanceof Date ? value : MISMATCH),
};

/**
 * Where a check's walk stopped, filled only on the way out of a mismatch (a walk that finds none
 * builds no path): what was sent there, the type the model defines, and the members and indexes
 * that lead to it, innermost first.
 */
interface Mismatch {
  sent: string;
  expected: string;
  readonly trail: (string | number)[];
}

/** MISMATCH, saying in `mismatch` (when the walk is asked where) what was sent and what was expected. */
function miss(mismatch: Mismatch | undefined, value: unknown, expected: string): typeof MISMATCH {
  if (mismatch) {
    mismatch.sent = kindOf(value);
    mismatch.expected = expected;
  }
  return MISMATCH;
}

/** A trail as a message names it: `ReplicationStatus[0].Region`; the answer itself when empty. */
function pathOf(trail: readonly (string | number)[]): string {
  if (trail.length === 0) return 'the answer';
  let path = '';
  for (let index = trail.length - 1; index >= 0; index--) {
    const step = trail[index];
    path += typeof step === 'number' ? `[${step}]` : path ? `.${step}` : step;
  }
  return path;
}

function isStructure(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readStruct(
  value: unknown,
  shape: JsonShape,
  reading: Reading,
  mismatch: Mismatch | undefined,
): Record<string, unknown> | typeof MISMATCH {
  if (!isStructure(value)) return miss(mismatch, value, 'a structure');
  const out: Record<string, unknown> | undefined = reading.builds ? {} : undefined;
  for (const name in shape) {
    const member = value[name];
    if (member === undefined || (member === null && reading.nullIsUnsent)) continue;
    const read = readMember(member, shape[name] as JsonField, reading, mismatch);
    if (read === MISMATCH) {
      mismatch?.trail.push(name);
      return MISMATCH;
    }
    if (out) out[name] = read;
  }
  return out ?? value;
}

function readMember(
  value: unknown,
  field: JsonField,
  reading: Reading,
  mismatch: Mismatch | undefined,
): unknown {
  if (field === 'string') return typeof value === 'string' ? value : miss(mismatch, value, 'text');
  if (field === 'timestamp') {
    const read = reading.timestamp(value);
    return read === MISMATCH ? miss(mismatch, value, 'a timestamp') : read;
  }
  if ('struct' in field) return readStruct(value, field.struct, reading, mismatch);
  if ('map' in field) {
    if (!isStructure(value)) return miss(mismatch, value, 'a map');
    const entries: Record<string, unknown> | undefined = reading.builds ? {} : undefined;
    for (const [key, entry] of Object.entries(value)) {
      const read = readMember(entry, field.map, reading, mismatch);
      if (read === MISMATCH) {
        mismatch?.trail.push(key);
        return MISMATCH;
      }
      if (!entries) continue;
      // JSON.parse makes `__proto__` an own member, and the SDK keeps it one; an assignment would
      // set the map's prototype instead and drop the member.
      if (key === '__proto__') {
        Object.defineProperty(entries, key, {
          value: read,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else entries[key] = read;
    }
    return entries ?? value;
  }
  if (!Array.isArray(value)) return miss(mismatch, value, 'a list');
  const of = field.list;
  const items: unknown[] | undefined = reading.builds ? [] : undefined;
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    const read =
      of === 'string'
        ? readMember(item, 'string', reading, mismatch)
        : readStruct(item, of, reading, mismatch);
    if (read === MISMATCH) {
      mismatch?.trail.push(index);
      return MISMATCH;
    }
    items?.push(read);
  }
  return items ?? value;
}
