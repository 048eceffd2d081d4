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
  return readStruct(value, shape);
}

/**
 * The first member of a decoded answer (the lean path's, or the SDK's) that is not of its model
 * type, said as `<path> as <what was sent> where the API defines <type>`; undefined when every
 * member `shape` names is of its type or not sent (null is not sent). The SDK's JSON decoding hands
 * a string, list or map member through as sent (a string where the model has a list of strings, a
 * number where it has a string), and a caller that reads such a value by its content (`includes`,
 * a region) would read what was never sent.
 */
export function shapeMismatch(value: unknown, shape: JsonShape, path = ''): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${path || 'the answer'} as ${kindOf(value)} where the API defines a structure`;
  const record = value as Record<string, unknown>;
  for (const name in shape) {
    const member = record[name];
    if (member === undefined || member === null) continue;
    const found = fieldMismatch(member, shape[name] as JsonField, path ? `${path}.${name}` : name);
    if (found) return found;
  }
  return undefined;
}

function fieldMismatch(value: unknown, field: JsonField, path: string): string | undefined {
  const wrong = (expected: string) => `${path} as ${kindOf(value)} where the API defines ${expected}`;
  if (field === 'string') return typeof value === 'string' ? undefined : wrong('text');
  if (field === 'timestamp') return value instanceof Date ? undefined : wrong('a timestamp');
  if ('struct' in field) return shapeMismatch(value, field.struct, path);
  if ('map' in field) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return wrong('a map');
    for (const [key, entry] of Object.entries(value)) {
      const found = fieldMismatch(entry, field.map, `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  if (!Array.isArray(value)) return wrong('a list');
  const of = field.list;
  for (const [index, item] of value.entries()) {
    const found =
      of === 'string'
        ? fieldMismatch(item, 'string', `${path}[${index}]`)
        : shapeMismatch(item, of, `${path}[${index}]`);
    if (found) return found;
  }
  return undefined;
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

function readStruct(value: unknown, shape: JsonShape): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name in shape) {
    const member = record[name];
    if (member === undefined) continue;
    const decoded = readField(member, shape[name] as JsonField);
    if (decoded === MISMATCH) return undefined;
    out[name] = decoded;
  }
  return out;
}

function readField(value: unknown, field: JsonField): unknown {
  if (field === 'string') return typeof value === 'string' ? value : MISMATCH;
  if (field === 'timestamp') {
    // JSON 1.1 timestamps are epoch seconds; the SDK rounds to milliseconds.
    return typeof value === 'number' && Number.isFinite(value)
      ? new Date(Math.round(value * 1000))
      : MISMATCH;
  }
  if ('struct' in field) return readStruct(value, field.struct) ?? MISMATCH;
  if ('map' in field) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return MISMATCH;
    const entries: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      const decoded = readField(entry, field.map);
      if (decoded === MISMATCH) return MISMATCH;
      entries[key] = decoded;
    }
    return entries;
  }
  if (!Array.isArray(value)) return MISMATCH;
  const of = field.list;
  const items: unknown[] = [];
  for (const item of value) {
    const decoded = of === 'string' ? (typeof item === 'string' ? item : MISMATCH) : readStruct(item, of);
    if (decoded === MISMATCH || decoded === undefined) return MISMATCH;
    items.push(decoded);
  }
  return items;
}
