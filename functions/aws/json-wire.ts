/**
 * A lean path for AWS JSON 1.1 reads made once per resource in bulk: Secrets Manager
 * `DescribeSecret` and KMS `DescribeKey` in the key-material audit (one call per inventory secret;
 * ListSecrets lacks `ReplicationStatus`). The SDK's per-call pipeline (middleware stack, endpoint
 * and auth-scheme resolution, schema serde, user agent, retry bookkeeping) took about as much CPU
 * again as the signed HTTP exchange itself (~0.8 ms per call against ~0.4 ms for the exchange on a
 * loaded 2-core machine), and the audit is CPU-bound.
 *
 * Only the clean success is handled here, and everything it needs is the client's own:
 * - the endpoint and the auth scheme are what the client resolves for the operation, captured once
 *   per (client, operation) by running the command through the client's own middleware up to the
 *   build step (the probe sends nothing);
 * - the request is signed by the client's own SigV4 signer: the `SignatureV4` (@smithy/signature-v4)
 *   that the client's `config.signer` makes, holding the client's credentials provider (so
 *   assumed-role credentials keep refreshing), made once per route where the SDK makes one per
 *   call; the signing date is skew-corrected by the client's `systemClockOffset`, which the SDK's
 *   `AwsSdkSigV4Signer` success handler updates from the answer's `Date` header as on the SDK path;
 * - it is sent by the client's own request handler (its agent, sockets and timeouts) under a token
 *   of the client's own retry strategy (adaptive rate limiting, retry quota);
 * - the answer body is read (a Node stream directly, anything else by the client's stream
 *   collector) and decoded to the members the caller reads, exactly as the SDK decodes them
 *   (timestamps as `Date`s).
 *
 * Anything else (a non-2xx answer, a transport error, a body that is not the expected JSON) is
 * handed to the SDK as the outcome of its first attempt: the command is sent through `client.send`
 * with a middleware that replays that outcome in place of the first HTTP exchange. The SDK then
 * builds the error exactly as it always does (name, message, `$metadata`), retries what its policy
 * retries (throttling, 5xx, transient errors) with its backoff, counting the replayed attempt as
 * the first of `maxAttempts`. No error is made here, so no answer body can reach an error message.
 *
 * test/aws/json-wire.test.ts runs the same inventory both ways against the simulator, error answers
 * included.
 */
import { Readable } from 'node:stream';
import type { HandlerExecutionContext, HttpResponse } from '@smithy/types';

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

/** The SDK command class of an operation (constructed per call; its endpoint instructions are static). */
export interface SdkCommandClass<I> {
  new (input: I): SdkCommand;
  getEndpointParameterInstructions?(): Record<string, { type: string }>;
}

interface SdkCommand {
  readonly middlewareStack: {
    add(middleware: unknown, options: { step: string; priority?: string; name?: string }): void;
  };
}

interface RetryToken {
  readonly __retryToken?: never;
}
interface RetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/** The SDK's SigV4 auth-scheme signer (`AwsSdkSigV4Signer`): its clock-skew sampling is reused. */
interface SchemeSigner {
  successHandler?(response: unknown, signingProperties: Record<string, unknown>): void;
}

/** `@smithy/signature-v4`'s `SignatureV4`, as the client's `config.signer` makes it. */
interface SignatureV4Like {
  sign(
    request: unknown,
    options: { signingDate: Date; signingRegion?: string; signingService?: string },
  ): Promise<unknown>;
}

/** The resolved client configuration the SDK's SigV4 signer reads and updates. */
interface SigningConfig {
  signer(authScheme?: unknown): Promise<SignatureV4Like>;
  disableClockSkewCorrection?(): Promise<boolean>;
  systemClockOffset: number;
}

/** What the lean path reads of an SDK client (SecretsManagerClient, KMSClient). */
export interface JsonWireClient {
  send(command: never): Promise<unknown>;
  readonly config: {
    readonly requestHandler: unknown;
    readonly streamCollector: (stream: unknown) => Promise<Uint8Array>;
    readonly retryStrategy: () => Promise<unknown>;
  };
}

interface SelectedScheme {
  readonly httpAuthOption: {
    readonly schemeId: string;
    readonly signingProperties?: Record<string, unknown>;
  };
  readonly signer: SchemeSigner;
}

interface Endpoint {
  readonly url: URL;
  readonly headers?: Record<string, string[]>;
  readonly properties?: { readonly authSchemes?: readonly unknown[] };
}

/** What one (client, operation) is sent with: resolved once, by the client. */
interface Route {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly host: string;
  /** `content-type` and `x-amz-target`, as the client's serializer writes them for the operation. */
  readonly contentType: string;
  readonly target: string;
  readonly schemeSigner: SchemeSigner;
  /** The client's SigV4 signer, made once (the SDK makes one per call from the same configuration). */
  readonly signature: SignatureV4Like;
  readonly signingConfig: SigningConfig;
  readonly signingRegion: string | undefined;
  readonly signingService: string | undefined;
  /** `AWS_DISABLE_CLOCK_SKEW_CORRECTION` as the client resolved it. */
  readonly noSkewCorrection: boolean;
  readonly handler: { handle(request: unknown, options: object): Promise<{ response: HttpResponse }> };
  readonly collect: (stream: unknown) => Promise<Uint8Array>;
  readonly retry: RetryStrategy;
}

/** The one outcome of the first attempt that the SDK is handed. */
type Outcome = { readonly response: HttpResponse } | { readonly error: unknown };

const SMITHY_CONTEXT = '__smithy_context';
const PROBE_DONE = Symbol('backupGuardJsonWireProbe');
/** Endpoint parameters that do not depend on the call's input (the route is the same for every call). */
const INPUT_FREE_PARAMETERS = new Set(['builtInParams', 'clientContextParams', 'staticContextParams']);

const routes = new WeakMap<object, Map<unknown, Promise<Route | undefined>>>();

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
  const route = await routeOf(client, Command, input);
  if (!route) return (await client.send(new Command(input) as never)) as O;
  const body = JSON.stringify(input);
  const request = {
    method: 'POST',
    protocol: route.protocol,
    hostname: route.hostname,
    port: route.port,
    path: route.path,
    query: {},
    headers: {
      'content-type': route.contentType,
      'x-amz-target': route.target,
      'content-length': String(Buffer.byteLength(body)),
      host: route.host,
    },
    body,
  };
  const token = await route.retry.acquireInitialRetryToken('');
  const config = route.signingConfig;
  // What the SDK's AwsSdkSigV4Signer.sign records for its success handler's clock-skew sampling.
  const signingProperties = {
    config,
    _disableClockSkewCorrection: route.noSkewCorrection,
    _skipClockSkewSampling: route.noSkewCorrection,
    _requestSentAt: Date.now(),
  };
  let signed: unknown;
  try {
    signed = await route.signature.sign(request, {
      signingDate: route.noSkewCorrection ? new Date() : new Date(Date.now() + config.systemClockOffset),
      signingRegion: route.signingRegion,
      signingService: route.signingService,
    });
  } catch {
    // Nothing was sent (no credentials, say): the SDK makes the call from its start and reports why not.
    return (await client.send(new Command(input) as never)) as O;
  }
  let outcome: Outcome;
  try {
    const { response } = await route.handler.handle(signed, {});
    if (response.statusCode >= 200 && response.statusCode < 300) {
      const bytes = await collectBody(response.body, route.collect);
      const decoded = decodeJson(bytes, shape);
      if (decoded) {
        route.retry.recordSuccess(token);
        route.schemeSigner.successHandler?.(response, signingProperties);
        decoded.$metadata = metadataOf(response);
        return decoded as O;
      }
      // The SDK reads it as its own collector's answer: a plain Uint8Array of its own.
      response.body = new Uint8Array(bytes);
    }
    outcome = { response };
  } catch (error) {
    outcome = { error };
  }
  return replay(client, Command, input, outcome);
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
  await routeOf(client, Command, input);
}

/** The command sent by the SDK, its first attempt answered by `outcome` instead of the network. */
async function replay<I extends object, O>(
  client: JsonWireClient,
  Command: SdkCommandClass<I>,
  input: I,
  outcome: Outcome,
): Promise<O> {
  let pending: Outcome | undefined = outcome;
  const command = new Command(input);
  command.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      const first = pending;
      pending = undefined;
      if (!first) return next(args);
      if ('error' in first) throw first.error;
      return { response: first.response };
    },
    { step: 'deserialize', priority: 'low', name: 'backupGuardJsonWireReplay' },
  );
  return (await client.send(command as never)) as O;
}

function routeOf<I extends object>(
  client: JsonWireClient,
  Command: SdkCommandClass<I>,
  input: I,
): Promise<Route | undefined> {
  let perClient = routes.get(client);
  if (!perClient) {
    perClient = new Map();
    routes.set(client, perClient);
  }
  let route = perClient.get(Command);
  if (!route) {
    const cache = perClient;
    // A probe that failed (credentials not to be had yet) is tried again by the next call; this
    // one goes through the SDK, which reports the failure as it would.
    route = discover(client, Command, input).catch(() => {
      cache.delete(Command);
      return undefined;
    });
    perClient.set(Command, route);
  }
  return route;
}

/**
 * The client's own endpoint, auth scheme and serialized request for the command, read at the build
 * step of a probe command that is stopped there (nothing is sent; it rejects when the client cannot
 * get that far, e.g. without credentials); undefined when the lean path
 * cannot serve it exactly (an endpoint that depends on the input or adds headers, an auth scheme
 * other than SigV4, a body the SDK serializes otherwise than `JSON.stringify`, a client whose
 * `send` is replaced, as by a test double).
 */
async function discover<I extends object>(
  client: JsonWireClient,
  Command: SdkCommandClass<I>,
  input: I,
): Promise<Route | undefined> {
  // A `send` of the instance's own (a test double, a wrapper) is the caller's: every call goes to it.
  if (Object.hasOwn(client, 'send')) return undefined;
  const instructions = Object.values(Command.getEndpointParameterInstructions?.() ?? {});
  if (instructions.some((instruction) => !INPUT_FREE_PARAMETERS.has(instruction.type))) return undefined;
  const handler = client.config.requestHandler as Route['handler'] | undefined;
  if (typeof handler?.handle !== 'function') return undefined;
  let seen:
    | {
        endpoint?: Endpoint;
        scheme?: SelectedScheme;
        request?: { headers?: Record<string, string>; body?: unknown };
      }
    | undefined;
  const probe = new Command(input);
  probe.middlewareStack.add(
    () => async () => {
      throw PROBE_DONE;
    },
    { step: 'build', priority: 'low', name: 'backupGuardJsonWireProbe' },
  );
  probe.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: HandlerExecutionContext) =>
      async (args: unknown) => {
        const smithy = (context as Record<string, unknown>)[SMITHY_CONTEXT] as
          | { selectedHttpAuthScheme?: SelectedScheme }
          | undefined;
        seen = {
          endpoint: context.endpointV2 as Endpoint | undefined,
          scheme: smithy?.selectedHttpAuthScheme,
          request: (args as { request?: { headers?: Record<string, string>; body?: unknown } }).request,
        };
        return next(args);
      },
    { step: 'build', priority: 'high', name: 'backupGuardJsonWireRoute' },
  );
  try {
    // A `send` that answers without running the middleware is not the SDK's.
    await client.send(probe as never);
    return undefined;
  } catch (error) {
    if (error !== PROBE_DONE) throw error;
  }
  const endpoint = seen?.endpoint;
  const scheme = seen?.scheme;
  if (!endpoint || !scheme || scheme.httpAuthOption.schemeId !== 'aws.auth#sigv4') return undefined;
  if (endpoint.headers && Object.keys(endpoint.headers).length > 0) return undefined;
  // Endpoint auth schemes (signing-region overrides, SigV4a) are left to the SDK.
  if (endpoint.properties?.authSchemes && endpoint.properties.authSchemes.length > 0) return undefined;
  const properties = scheme.httpAuthOption.signingProperties ?? {};
  const signingConfig = properties.config as SigningConfig | undefined;
  if (typeof signingConfig?.signer !== 'function') return undefined;
  const contentType = seen?.request?.headers?.['content-type'];
  const target = seen?.request?.headers?.['x-amz-target'];
  if (!contentType || !target || textOf(seen?.request?.body) !== JSON.stringify(input)) return undefined;
  const url = endpoint.url;
  const port = url.port ? Number(url.port) : undefined;
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port,
    path: url.pathname || '/',
    host: url.port ? `${url.hostname}:${url.port}` : url.hostname,
    contentType,
    target,
    schemeSigner: scheme.signer,
    signature: await signingConfig.signer(),
    signingConfig,
    signingRegion: properties.signingRegion as string | undefined,
    signingService: properties.signingName as string | undefined,
    noSkewCorrection: (await signingConfig.disableClockSkewCorrection?.()) === true,
    handler,
    collect: client.config.streamCollector,
    retry: (await client.config.retryStrategy()) as RetryStrategy,
  };
}

/**
 * The bytes of an answer body. A Node stream (the SDK's Node handler answers with the
 * `IncomingMessage`) is read directly; the client's collector pipes it into a `Writable` and copies
 * the chunks into a fresh array, which cost about as much as decoding the answer. Anything else goes
 * to the client's collector. A stream error rejects, as with the client's collector.
 */
function collectBody(body: unknown, collect: Route['collect']): Promise<Uint8Array> {
  if (!(body instanceof Readable)) return collect(body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    body.once('error', reject);
  });
}

/** A serialized request body as text (the SDK writes JSON bodies as bytes). */
function textOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return undefined;
}

/** `$metadata` as the SDK's JSON protocol reads it from a successful answer (one attempt). */
function metadataOf(response: HttpResponse): Record<string, unknown> {
  const headers = response.headers;
  return {
    httpStatusCode: response.statusCode,
    requestId: headers['x-amzn-requestid'] ?? headers['x-amzn-request-id'] ?? headers['x-amz-request-id'],
    extendedRequestId: headers['x-amz-id-2'],
    cfId: headers['x-amz-cf-id'],
    attempts: 1,
    totalRetryDelay: 0,
  };
}

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
