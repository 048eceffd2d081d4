/**
 * The lean request path shared by the AWS reads made in bulk: AWS JSON 1.1 (Secrets Manager
 * `DescribeSecret`, KMS `DescribeKey`; functions/aws/json-wire.ts), S3 REST (ranged `GetObject`,
 * `ListObjectsV2`; functions/aws/s3-wire.ts) and the RDS query protocol (the PITR audit's list
 * pages; functions/aws/rds-wire.ts `leanListPages`), and STS `GetCallerIdentity`, every audit's first
 * call (functions/aws/sts-wire.ts). The SDK's per-call pipeline (middleware stack,
 * endpoint ruleset and auth-scheme resolution, schema serde, user agent, retry bookkeeping, and for
 * S3 its own middleware) took about as much CPU again as the signed HTTP exchange itself, and the
 * audits are CPU-bound.
 *
 * What is shared lives here; a {@link LeanProtocol} says how one operation's request is built from
 * its input and how its clean answer is decoded. Only the clean success is handled leanly, and
 * everything it needs is the client's own:
 * - the route (endpoint, auth scheme, and the request the client's serializer and build middleware
 *   make) is captured once per (client, operation, route key: the bucket for S3) by running a probe
 *   command through the client's own middleware up to the end of the build step (it sends nothing).
 *   The protocol derives its template from that request, and the route is taken only when the
 *   protocol, building the probe's own input from the template, gives back exactly the request the
 *   SDK built (method, URL, query, every header but the SDK's telemetry, body): anything the SDK
 *   adds that the lean path would not reproduce leaves the route to the SDK;
 * - the request is signed by the client's own SigV4 signer: the one `config.signer` makes for the
 *   endpoint's auth scheme (so S3's single path encoding and `x-amz-content-sha256` are its own),
 *   holding the client's credentials provider (so assumed-role credentials keep refreshing), made
 *   once per route where the SDK makes one per call; the signing date is skew-corrected by the
 *   client's `systemClockOffset`, which the SDK's `AwsSdkSigV4Signer` success handler updates from
 *   the answer's `Date` header as on the SDK path;
 * - it is sent by the client's own request handler (its agent, sockets and timeouts) under a token
 *   of the client's own retry strategy (adaptive rate limiting, retry quota);
 * - the answer is decoded by the protocol to the members the caller reads, as the SDK decodes them.
 *
 * Anything else (a non-2xx answer such as S3's 301 region redirect, a transport error, an answer
 * the protocol does not decode) is handed to the SDK as the outcome of its first attempt: the
 * command is sent through `client.send` with a middleware that replays that outcome in place of the
 * first HTTP exchange. The SDK then builds the error exactly as it always does (name, message,
 * `$metadata`, S3's `x-amz-bucket-region`), retries what its policy retries with its backoff,
 * counting the replayed attempt as the first of `maxAttempts`. No error is made here, so no answer
 * body can reach an error message.
 *
 * Not sent on the lean path: the SDK's `user-agent`, `x-amz-user-agent` and, in a Lambda, the
 * recursion-detection `x-amzn-trace-id` (telemetry the services do not answer differently to).
 */
import { Readable } from 'node:stream';
import type { HandlerExecutionContext, HttpResponse } from '@smithy/types';
import { scopeWait } from '../core/scope-calls.ts';

/** An HTTP request as the SDK's request handlers take it (`@smithy/protocol-http` `HttpRequest`'s fields). */
export interface WireRequest {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** How a 2xx answer was decoded. */
export type LeanAnswer<O> =
  /** The output, the exchange a success. */
  | { readonly output: O }
  /**
   * The exchange was a success (the SDK would have returned its output), but the caller's read of
   * it fails (an S3 object body cut short, which the SDK's caller meets reading `Body`): rejected
   * with this error, never retried.
   */
  | { readonly failed: unknown }
  /** Not an answer the protocol decodes: the SDK is handed the response (`body` re-readable). */
  | undefined;

/**
 * One operation's request and answer on the lean path. `T` is what the protocol keeps of the probe
 * (its template), `I` the command's input, `O` the output the caller reads.
 */
export interface LeanProtocol<I, T, O> {
  /** What besides the client and command the route depends on (S3: the bucket); undefined: the SDK serves the call. */
  routeKey(input: I): string | undefined;
  /** The template from the request the SDK built for `input`; undefined when it cannot be reproduced. */
  template(request: WireRequest, input: I): T | undefined;
  /** The request for `input`; undefined when the lean path does not serve this input (the SDK does). */
  build(template: T, input: I): WireRequest | undefined;
  /**
   * The output of a 2xx answer ({@link LeanAnswer}); `collect` reads a body. Throwing (a body that
   * could not be read) hands the error to the SDK as the attempt's transport error.
   */
  decode(response: HttpResponse, collect: (body: unknown) => Promise<Uint8Array>): Promise<LeanAnswer<O>>;
  /** The SDK's output made into the caller's (on the SDK path), when it differs from the SDK's. */
  fromSdk?(output: unknown): Promise<O>;
  /**
   * Readies a command sent on the SDK path (a route the lean path does not serve, an input it does
   * not write, an attempt the SDK retries) before it is sent, as by plugging in the decoding the
   * lean path does, so that an answer is held to the same rules whichever path read it.
   */
  viaSdk?(command: SdkCommand, client: LeanClient): void;
}

/** The SDK command class of an operation (constructed per call; its endpoint instructions are static). */
export interface SdkCommandClass<I> {
  new (input: I): SdkCommand;
}

export interface SdkCommand {
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

/** What the lean path reads of an SDK client (SecretsManagerClient, KMSClient, S3Client). */
export interface LeanClient {
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

interface EndpointAuthScheme {
  readonly name?: string;
  readonly signingName?: string;
  readonly signingRegion?: string;
}

interface Endpoint {
  readonly url: URL;
  readonly headers?: Record<string, string[]>;
  readonly properties?: { readonly authSchemes?: readonly EndpointAuthScheme[] };
}

/** What one (client, operation, route key) is sent with: resolved once, by the client. */
interface Route<T> {
  readonly template: T;
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
const PROBE_DONE = Symbol('backupGuardLeanWireProbe');
/**
 * Headers of the SDK's own telemetry, left out of the lean request: the user agents, and the
 * recursion-detection trace id the SDK adds inside a Lambda (it differs per invocation).
 */
const TELEMETRY_HEADERS = new Set(['user-agent', 'x-amz-user-agent', 'x-amzn-trace-id']);

/** Routes by client, then command, then route key. */
const routes = new WeakMap<object, Map<unknown, Map<string, Promise<Route<unknown> | undefined>>>>();

/**
 * `client.send(new Command(input))` as the caller reads it: leanly on a clean success, through the
 * SDK itself for anything else (made into the caller's output by `protocol.fromSdk`).
 */
export async function sendLean<I extends object, T, O>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  protocol: LeanProtocol<I, T, O>,
  input: I,
): Promise<O> {
  const route = await routeOf(client, Command, protocol, input);
  const request = route && protocol.build(route.template, input);
  if (!route || !request) return viaSdk(client, Command, protocol, input, undefined);
  // The token may be a wait (the adaptive mode's rate limiter, once throttled, paces the sends), cut
  // short when the call's audit scope fails, as the SDK's retry middleware cuts its own.
  const token = await scopeWait(() => route.retry.acquireInitialRetryToken(''));
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
    signed = await route.signature.sign(
      { ...request, query: { ...request.query }, headers: { ...request.headers } },
      {
        signingDate: route.noSkewCorrection ? new Date() : new Date(Date.now() + config.systemClockOffset),
        signingRegion: route.signingRegion,
        signingService: route.signingService,
      },
    );
  } catch {
    // Nothing was sent (no credentials, say): the SDK makes the call from its start and reports why not.
    return viaSdk(client, Command, protocol, input, undefined);
  }
  let outcome: Outcome;
  try {
    const { response } = await route.handler.handle(signed, {});
    const answer =
      response.statusCode >= 200 && response.statusCode < 300
        ? await protocol.decode(response, route.collect)
        : undefined;
    if (answer) {
      route.retry.recordSuccess(token);
      route.schemeSigner.successHandler?.(response, signingProperties);
      if ('failed' in answer) throw new CallerReadFailure(answer.failed);
      (answer.output as Record<string, unknown>).$metadata = metadataOf(response);
      return answer.output;
    }
    outcome = { response };
  } catch (error) {
    if (error instanceof CallerReadFailure) throw error.failure;
    outcome = { error };
  }
  return viaSdk(client, Command, protocol, input, outcome);
}

/** A success whose caller-side read failed: rejected as is, past the replay. */
class CallerReadFailure {
  readonly failure: unknown;
  constructor(failure: unknown) {
    this.failure = failure;
  }
}

/**
 * Resolve, ahead of the first call, the route {@link sendLean} sends `Command` of `client` by (the
 * probe runs the client's middleware up to the build step and sends nothing), with `input` standing
 * for the calls' inputs. Resolves once done; a probe that failed is tried again by the next call.
 */
export async function prepareLean<I extends object, T, O>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  protocol: LeanProtocol<I, T, O>,
  input: I,
): Promise<void> {
  await routeOf(client, Command, protocol, input);
}

/**
 * The command sent by the SDK, its first attempt answered by `outcome` (when there is one) instead
 * of the network, its output made into the caller's.
 */
async function viaSdk<I extends object, T, O>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  protocol: LeanProtocol<I, T, O>,
  input: I,
  outcome: Outcome | undefined,
): Promise<O> {
  const command = new Command(input);
  protocol.viaSdk?.(command, client);
  if (outcome) {
    let pending: Outcome | undefined = outcome;
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        const first = pending;
        pending = undefined;
        if (!first) return next(args);
        if ('error' in first) throw first.error;
        return { response: first.response };
      },
      { step: 'deserialize', priority: 'low', name: 'backupGuardLeanWireReplay' },
    );
  }
  const output = await client.send(command as never);
  return protocol.fromSdk ? protocol.fromSdk(output) : (output as O);
}

function routeOf<I extends object, T, O>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  protocol: LeanProtocol<I, T, O>,
  input: I,
): Promise<Route<T> | undefined> {
  const key = protocol.routeKey(input);
  if (key === undefined) return Promise.resolve(undefined);
  let perClient = routes.get(client);
  if (!perClient) {
    perClient = new Map();
    routes.set(client, perClient);
  }
  let perCommand = perClient.get(Command);
  if (!perCommand) {
    perCommand = new Map();
    perClient.set(Command, perCommand);
  }
  let route = perCommand.get(key);
  if (!route) {
    const cache = perCommand;
    // A probe that failed (credentials not to be had yet) is tried again by the next call; this
    // one goes through the SDK, which reports the failure as it would.
    route = discover(client, Command, protocol, input).catch(() => {
      cache.delete(key);
      return undefined;
    });
    perCommand.set(key, route);
  }
  return route as Promise<Route<T> | undefined>;
}

/** What the probe saw at the end of the build step. */
interface Probed {
  readonly endpoint?: Endpoint;
  readonly scheme?: SelectedScheme;
  readonly request?: {
    readonly method?: string;
    readonly protocol?: string;
    readonly hostname?: string;
    readonly port?: number;
    readonly path?: string;
    readonly query?: Record<string, unknown>;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
  };
}

/**
 * The client's own endpoint, auth scheme and built request for the command, read at the end of the
 * build step of a probe command that is stopped there (nothing is sent; it rejects when the client
 * cannot get that far, e.g. without credentials); undefined when the lean path cannot serve it
 * exactly (a request the protocol does not rebuild as the SDK built it, an endpoint that adds
 * headers, an auth scheme other than SigV4 as the endpoint names it, a client whose `send` is
 * replaced, as by a test double).
 */
async function discover<I extends object, T, O>(
  client: LeanClient,
  Command: SdkCommandClass<I>,
  protocol: LeanProtocol<I, T, O>,
  input: I,
): Promise<Route<T> | undefined> {
  // A `send` of the instance's own or of its class's own (a test double, as aws-sdk-client-mock's
  // stub on the client class's prototype; a wrapper) is the caller's: every call goes to it, the
  // probe included if it were sent. The SDK's clients inherit theirs from the Smithy `Client`.
  if (Object.hasOwn(client, 'send') || Object.hasOwn(Object.getPrototypeOf(client) as object, 'send'))
    return undefined;
  const handler = client.config.requestHandler as Route<T>['handler'] | undefined;
  if (typeof handler?.handle !== 'function') return undefined;
  let seen: Probed | undefined;
  // A copy: the SDK's middleware may write to the input (S3's `ChecksumMode` from the client's
  // `responseChecksumValidation`), and the caller's must stay as given.
  const probe = new Command({ ...input });
  probe.middlewareStack.add(
    (_next: unknown, context: HandlerExecutionContext) => async (args: unknown) => {
      const smithy = (context as Record<string, unknown>)[SMITHY_CONTEXT] as
        | { selectedHttpAuthScheme?: SelectedScheme }
        | undefined;
      seen = {
        endpoint: context.endpointV2 as Endpoint | undefined,
        scheme: smithy?.selectedHttpAuthScheme,
        request: (args as { request?: Probed['request'] }).request,
      };
      throw PROBE_DONE;
    },
    { step: 'build', priority: 'low', name: 'backupGuardLeanWireProbe' },
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
  const properties = scheme.httpAuthOption.signingProperties ?? {};
  const signingRegion = properties.signingRegion as string | undefined;
  const signingService = properties.signingName as string | undefined;
  // The endpoint's auth scheme, when it names one (S3 always does), is what the SDK makes its signer
  // for: plain SigV4 for the scope the SDK signs with only (not SigV4a, not S3 Express sessions).
  const authSchemes = endpoint.properties?.authSchemes ?? [];
  const [authScheme] = authSchemes;
  if (
    authScheme &&
    (authSchemes.length > 1 ||
      authScheme.name !== 'sigv4' ||
      authScheme.signingName !== signingService ||
      authScheme.signingRegion !== signingRegion)
  )
    return undefined;
  const signingConfig = properties.config as SigningConfig | undefined;
  if (typeof signingConfig?.signer !== 'function') return undefined;
  const built = wireRequestOf(seen?.request);
  const template = built && protocol.template(built, input);
  if (!built || template === undefined) return undefined;
  const rebuilt = protocol.build(template, input);
  if (!rebuilt || !sameRequest(rebuilt, built)) return undefined;
  return {
    template,
    schemeSigner: scheme.signer,
    signature: await signingConfig.signer(authScheme),
    signingConfig,
    signingRegion,
    signingService,
    noSkewCorrection: (await signingConfig.disableClockSkewCorrection?.()) === true,
    handler,
    collect: client.config.streamCollector,
    retry: (await client.config.retryStrategy()) as RetryStrategy,
  };
}

/** The request the SDK built, without its telemetry headers; undefined when it is not plain. */
function wireRequestOf(request: Probed['request']): WireRequest | undefined {
  if (!request?.method || !request.protocol || !request.hostname || request.path === undefined)
    return undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    // A repeated parameter (an array) is not one the lean protocols write.
    if (typeof value !== 'string') return undefined;
    query[name] = value;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TELEMETRY_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  const body = request.body;
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array)
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else if (body !== undefined && body !== null) return undefined;
  return {
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    query,
    headers,
    ...(text === undefined ? {} : { body: text }),
  };
}

function sameEntries(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

/** Whether the lean protocol built exactly the request the SDK built. */
function sameRequest(lean: WireRequest, sdk: WireRequest): boolean {
  return (
    lean.method === sdk.method &&
    lean.protocol === sdk.protocol &&
    lean.hostname === sdk.hostname &&
    lean.port === sdk.port &&
    lean.path === sdk.path &&
    (lean.body ?? '') === (sdk.body ?? '') &&
    sameEntries(lean.query, sdk.query) &&
    sameEntries(lean.headers, sdk.headers)
  );
}

/**
 * The bytes of an answer body. A Node stream (the SDK's Node handler answers with the
 * `IncomingMessage`) is read directly; the client's collector pipes it into a `Writable` and copies
 * the chunks into a fresh array, which cost about as much as decoding the answer. Anything else goes
 * to the client's collector. A stream error rejects, as with the client's collector.
 */
export function collectBody(
  body: unknown,
  collect: (stream: unknown) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  if (!(body instanceof Readable)) return collect(body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer | string) => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    body.once('error', reject);
  });
}

/** `$metadata` as the SDK's protocols read it from a successful answer (one attempt). */
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
