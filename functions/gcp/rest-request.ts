/**
 * One request to a Google REST API over the global `fetch`, retried on throttling (429
 * RESOURCE_EXHAUSTED / rateLimitExceeded), server errors (500, 502, 503 UNAVAILABLE, 504
 * DEADLINE_EXCEEDED) and a request that got no answer at all, with exponential backoff and full
 * jitter; any other answer (400, 403, 404, 412) will not change and is final, and so is a 409
 * ABORTED, which Google's guidance leaves to a retry at a higher level (RETRIED_STATUSES). Every
 * attempt, sleeps included, fits in `totalTimeoutMs`.
 *
 * That set is Cloud Storage's ("HTTP 408, 429, and 5xx response codes" and lost connections are
 * transient, https://cloud.google.com/storage/docs/retry-strategy), not every Google client
 * library's: the Secret Manager library retries only UNAVAILABLE and DEADLINE_EXCEEDED (UNKNOWN and
 * UNAVAILABLE for AccessSecretVersion), never a 429 RESOURCE_EXHAUSTED or a 500 INTERNAL (see
 * RETRIED_STATUSES). One policy serves both callers, the Secret Manager reads (./secret-manager.ts)
 * and the chat function's request records in Cloud Storage (./chat-records.ts), because both send
 * only requests that are safe to repeat (reads, and writes conditioned on a generation): a repeat
 * cannot do twice what the first did, and without it one 429 or 500 on a read would fail the whole
 * scope, where a second try within the same time budget may be answered.
 *
 * Errors name the operation, the HTTP status, Google's error code and what Google said (its
 * `error.message`, or the first characters of an answer that is not JSON, a proxy's page), quoted
 * as core/errors.ts quotedAnswer quotes a cloud's words: on one line, bounded, without a URL's query
 * or a token. Never a body the request sent, and nothing Google said of a request that sent one: its
 * message may repeat a value of the request (INVALID_ARGUMENT's often does), and such a body (a chat
 * record, the chat work with its reply URL) holds what no filter knows to leave out; nor anything an
 * answer said that may hold a secret value (`answerHoldsSecret`: Secret Manager's `:access`). A caller may
 * log or show them. When the retries run out, the error says how many attempts were made, over how
 * long, and why no other was made.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../core/backoff.ts';
import { CredentialsError, describeError, quotedAnswer } from '../core/errors.ts';
import { plural } from '../core/plural.ts';
import { scopeCallWithCallSignal, scopeSignal } from '../core/scope-calls.ts';

/** Signs requests; google-auth-library's resolved `AuthClient` fits. */
export interface RequestSigner {
  getRequestHeaders(): Promise<Headers>;
}

/** Where a run's REST clients point and how they sign: the GCP client factory's two answers. */
export interface RestClientSource {
  /** A local API's base URL (the simulator): its requests are not signed. */
  readonly endpoint?: string | undefined;
  /** The production credentials, resolved once (a failure is one CredentialsError). */
  credentials(): Promise<RequestSigner>;
}

/**
 * A REST client of a run, made on the first call: against `source`'s endpoint unauthenticated (the
 * simulator), else signed with its resolved credentials, so missing credentials are one
 * CredentialsError before any request. Every later call answers the same client.
 */
export function lazyRestClient<C>(
  source: RestClientSource,
  make: (options: { readonly endpoint: string } | { readonly auth: RequestSigner }) => C,
): () => Promise<C> {
  let client: C | undefined;
  return async () => {
    if (source.endpoint) {
      client ??= make({ endpoint: source.endpoint });
      return client;
    }
    const auth = await source.credentials();
    client ??= make({ auth });
    return client;
  };
}

/** How a request is retried (see the module comment). */
export interface GcpRestRetry {
  /** @default 5 */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly initialDelayMs?: number;
  /** @default 10,000 */
  readonly maxDelayMs?: number;
  /** @default 30,000: the Cloud SQL reads' bound (functions/gcp/clients.ts CLOUD_SQL_READ_TIMEOUT_MS) */
  readonly totalTimeoutMs?: number;
}

/** A Google REST call answered with an HTTP status it does not accept. */
export class GcpApiError extends Error {
  readonly status: number;
  /** Google's error code: `error.status` (UNAVAILABLE), else `errors[0].reason` (conditionNotMet). */
  readonly code: string;
  /**
   * The `google.rpc.ErrorInfo` of the answer (AIP-193 `error.details[]`): its `reason`
   * (SERVICE_DISABLED) and `metadata` (`service`, `consumer`), under the names gax gives them on its
   * GoogleError (google-gax `googleError.js`), so ../core/errors.ts refusalNotOfPermission reads both alike.
   */
  reason?: string;
  errorInfoMetadata?: Readonly<Record<string, string>>;
  /**
   * What Google said, as the message quotes it (core/errors.ts quotedAnswer: one line, bounded, no
   * URL query or token): its `error.message`, or the text of an answer that is not JSON. Undefined
   * when there was nothing to quote, and for a request that sent a body (see the module comment).
   */
  said?: string;
  constructor(message: string, status: number, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GcpApiError';
    this.status = status;
    this.code = code;
  }
}

/** How an API's client makes its own error class, so callers can tell its failures apart. */
export type GcpApiErrorClass = new (
  message: string,
  status: number,
  code: string,
  options?: ErrorOptions,
) => GcpApiError;

export interface GcpRestRequest {
  /** Names the call in errors: `Cloud Storage POST b/certctl-chat/o/chat-requests/k.json`. */
  readonly what: string;
  readonly url: string;
  /** @default 'GET' */
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: string;
  readonly contentType?: string;
  /** @default 'application/json' */
  readonly accept?: string;
  /** Statuses answered to the caller rather than thrown (404, 412 for a conditional write). */
  readonly answered?: readonly number[];
  /**
   * The answer may hold a secret value (Secret Manager's `:access`): its errors quote nothing the
   * answer said, only the call, its status and Google's code, as for a request that sent a body. An
   * error answer of a value read is no place to look for the value, but nothing keeps a proxy or a
   * server from echoing it there, and what the errors say reaches findings, logs and chat.
   */
  readonly answerHoldsSecret?: boolean;
}

/** A 2xx answer, or one of the request's `answered` statuses, its body read whole. */
export interface GcpRestAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** How many attempts were made: more than one means an earlier one may have taken effect. */
  readonly attempts: number;
}

export interface GcpRestClientOptions {
  /** The resolved production credentials; none for a local API (the simulator takes no auth). */
  readonly auth?: RequestSigner;
  readonly retry?: GcpRestRetry;
  /** The error class of the API's failures. @default GcpApiError */
  readonly errorClass?: GcpApiErrorClass;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
}

/** The options of one Google API's REST client (Cloud KMS, Resource Manager). */
export interface GoogleApiClientOptions {
  /** Base URL of a local API (the simulator); production leaves it unset. */
  readonly endpoint?: string;
  /** The resolved production credentials; none with an endpoint (local APIs take no auth). */
  readonly auth?: RequestSigner;
  readonly retry?: GcpRestRetry;
}

/**
 * The base URL (`options.endpoint`, else `productionUrl`) and REST client of one Google API, its
 * failures of `errorClass`.
 */
export function googleApiClient(
  options: GoogleApiClientOptions,
  productionUrl: string,
  errorClass?: GcpApiErrorClass,
): { readonly base: string; readonly rest: GcpRestClient } {
  return {
    base: (options.endpoint ?? productionUrl).replace(/\/$/, ''),
    rest: new GcpRestClient({
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(errorClass ? { errorClass } : {}),
    }),
  };
}

/**
 * A `google.protobuf.Timestamp` field as proto3 JSON sends it (RFC 3339 text): its instant, none when
 * not sent, and an Invalid Date when sent in a form that does not parse (a number, an object: never
 * read as milliseconds since 1970). The Secret Manager and Cloud KMS times read (expireTime,
 * scheduledDestroyTime, destroyTime) are sent only when the deletion or destruction is scheduled, so
 * their presence is what is judged; the checks say the time is not readable (keys.not-deleting
 * `onDate`).
 */
export function timestampOf(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
}

/**
 * HTTP statuses retried, here and by the chat hand-off's publish (./chat-dispatch.ts).
 *
 * Not 409 (ABORTED), not even for a GET that is safe to repeat: AIP-194 ("Automatic retry
 * configuration", google.aip.dev/194) lists ABORTED among the codes a client should not retry
 * for the single request, since it means a sequencer check or a transaction failed, and leaves the
 * retry to a higher level (the whole transaction). Google's generated clients of the APIs read here
 * agree: Secret Manager v1 retries only DEADLINE_EXCEEDED and UNAVAILABLE (UNKNOWN and UNAVAILABLE
 * for AccessSecretVersion), Cloud SQL Admin v1 nothing at all (googleapis/google-cloud-node
 * `secret_manager_service_client_config.json`, `sql_instances_service_client_config.json`). A
 * read that meets ABORTED fails its scope after one attempt; core/errors.ts counts the code as
 * passing (`busy`), so the scope is failed for the service, never its resource judged, and the next
 * run asks again.
 */
export const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Requests to one Google API, signed and retried as the module comment says. */
export class GcpRestClient {
  readonly #auth: RequestSigner | undefined;
  readonly #retry: Required<GcpRestRetry>;
  readonly #errorClass: GcpApiErrorClass;
  readonly #fetch: typeof fetch | undefined;

  constructor(options: GcpRestClientOptions = {}) {
    this.#auth = options.auth;
    this.#retry = {
      maxAttempts: options.retry?.maxAttempts ?? 5,
      initialDelayMs: options.retry?.initialDelayMs ?? 200,
      maxDelayMs: options.retry?.maxDelayMs ?? 10_000,
      totalTimeoutMs: options.retry?.totalTimeoutMs ?? 30_000,
    };
    this.#errorClass = options.errorClass ?? GcpApiError;
    this.#fetch = options.fetch;
  }

  /**
   * A GET of a JSON resource, retried as {@link request}: its parsed body, or `{}` when the body is
   * not JSON (every field then reads as not sent, and is not evaluated). `answerHoldsSecret`: see
   * {@link GcpRestRequest}.
   */
  async getJson(
    what: string,
    url: string,
    options: Pick<GcpRestRequest, 'answerHoldsSecret'> = {},
  ): Promise<unknown> {
    const { text } = await this.request({ what, url, ...options });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return {};
    }
  }

  /**
   * A GET of one resource whose answer must be that resource, retried as {@link request}: its parsed
   * body when it is a JSON object carrying the resource's `name` (every Google REST resource does);
   * else an error of the API's class naming what was wrong (not JSON, or no `name`), never quoting
   * the body. A 200 answer that is not the resource (a proxy's page, an empty body) proves nothing
   * of it, not even that it exists.
   */
  async getResource(what: string, url: string): Promise<{ readonly name: string }> {
    const { status, text } = await this.request({ what, url });
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new this.#errorClass(
        `${what} answered ${status} with a body that is not JSON`,
        status,
        'NOT_JSON',
      );
    }
    const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined;
    if (typeof name !== 'string' || name === '') {
      throw new this.#errorClass(
        `${what} answered ${status} with a body that is not the resource (no name)`,
        status,
        'NOT_THE_RESOURCE',
      );
    }
    return body as { readonly name: string };
  }

  /**
   * One request, retried; when the retries run out, the error of the last attempt names how many
   * attempts were made, over how long, and why no other was ({@link triedFor}).
   */
  async request(request: GcpRestRequest): Promise<GcpRestAnswer> {
    const { maxAttempts, initialDelayMs, maxDelayMs, totalTimeoutMs } = this.#retry;
    const started = Date.now();
    const deadline = started + totalTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      const remaining = deadline - Date.now();
      let failure: Error;
      try {
        return { ...(await this.#attempt(request, remaining)), attempts: attempt };
      } catch (error) {
        // Credentials that cannot be found (the factory's one CredentialsError, from a signer that
        // resolves them on first use) are final, not a request that "got no answer".
        const retried =
          error instanceof GcpApiError
            ? RETRIED_STATUSES.has(error.status)
            : !isTimeout(error) && !(error instanceof CredentialsError);
        if (!retried) throw error;
        failure = error instanceof Error ? error : new Error(String(error));
      }
      const delay = backoffDelay(attempt, initialDelayMs, maxDelayMs);
      if (attempt >= maxAttempts || Date.now() + delay >= deadline) {
        const tried = triedFor(
          attempt,
          Date.now() - started,
          attempt >= maxAttempts ? undefined : totalTimeoutMs,
        );
        if (failure instanceof GcpApiError) {
          const { said } = failure;
          const error = new this.#errorClass(
            `${answeredHead(request.what, failure)} ${tried}${said ? `: ${said}` : ''}`,
            failure.status,
            failure.code,
            { cause: failure },
          );
          if (said) error.said = said;
          if (failure.reason) error.reason = failure.reason;
          if (failure.errorInfoMetadata) error.errorInfoMetadata = failure.errorInfoMetadata;
          throw error;
        }
        throw new Error(`${request.what} got no answer ${tried}: ${describeError(failure)}`, {
          cause: failure,
        });
      }
      // A failed scope's wait ends at once (functions/core/scope-calls.ts): nothing more is asked.
      await sleep(delay, undefined, { signal: scopeSignal() });
    }
  }

  async #attempt(request: GcpRestRequest, timeoutMs: number): Promise<Omit<GcpRestAnswer, 'attempts'>> {
    const headers: Record<string, string> = { accept: request.accept ?? 'application/json' };
    if (request.contentType) headers['content-type'] = request.contentType;
    if (this.#auth) {
      const auth = await this.#auth.getRequestHeaders();
      auth.forEach((value, key) => {
        headers[key] = value;
      });
    }
    // One of the scope's calls, the answer read whole (functions/core/scope-calls.ts): stopped by
    // its time bound or by its scope's failure (told through its CallSignal, not a listener on the
    // scope's AbortSignal), through the one signal fetch takes.
    const { response, text } = await scopeCallWithCallSignal(async (callSignal) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(timeoutReason()), Math.max(1, timeoutMs));
      if (callSignal) callSignal.onabort = () => controller.abort(callSignal.reason);
      try {
        const answer = await (this.#fetch ?? fetch)(request.url, {
          method: request.method ?? 'GET',
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: controller.signal,
        });
        return { response: answer, text: await answer.text() };
      } finally {
        clearTimeout(timer);
        if (callSignal) callSignal.onabort = null;
      }
    });
    if (response.ok || request.answered?.includes(response.status)) {
      return { status: response.status, headers: response.headers, text };
    }
    const code = errorCodeOf(text) ?? `HTTP_${response.status}`;
    const info = errorInfoOf(text);
    const head = answeredHead(request.what, { status: response.status, code, reason: info?.reason });
    // Nothing Google said of a request that sent a body (see the module comment), nor of one whose
    // answer may hold a secret value.
    const said = request.body === undefined && !request.answerHoldsSecret ? googleSaid(text) : undefined;
    const error = new this.#errorClass(`${head}${said ? `: ${said}` : ''}`, response.status, code);
    if (said) error.said = said;
    if (info?.reason) error.reason = info.reason;
    if (info?.metadata) error.errorInfoMetadata = info.metadata;
    throw error;
  }
}

/** `Cloud KMS GET … answered 403 PERMISSION_DENIED (SERVICE_DISABLED)`: the call, its status and code. */
function answeredHead(
  what: string,
  answer: { readonly status: number; readonly code: string; readonly reason?: string | undefined },
): string {
  return `${what} answered ${answer.status} ${answer.code}${answer.reason ? ` (${answer.reason})` : ''}`;
}

/**
 * How many attempts a request made before its retries ran out, over how long (from the first
 * attempt's start to the last one's end, waits included), and why no other was made: as many as a
 * call makes (`timeLimitMs` undefined), or the wait before another would not end within the
 * `timeLimitMs` a call may take. As `after 5 attempts over 3.2 s (as many as a call makes)`.
 */
function triedFor(attempts: number, elapsedMs: number, timeLimitMs?: number): string {
  const why =
    timeLimitMs === undefined
      ? 'as many as a call makes'
      : `no time was left for another in the ${seconds(timeLimitMs)} s a call may take`;
  return `after ${plural(attempts, 'attempt')} over ${(elapsedMs / 1000).toFixed(1)} s (${why})`;
}

/** Milliseconds as seconds, without a trailing zero: 30 for 30,000, 0.05 for 50. */
function seconds(ms: number): string {
  return String(ms / 1000);
}

/**
 * What Google said in an error answer, quoted as core/errors.ts quotedAnswer quotes it: its
 * `error.message` when the answer is Google's JSON error (none when that sends no message), else the
 * answer's text (a proxy's page); undefined when there is nothing to quote.
 */
function googleSaid(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return text.trim() === '' ? undefined : quotedAnswer(text);
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  // Another JSON answer (not Google's error shape) is said no more than its status: it is no message.
  if (typeof error !== 'object' || error === null) return undefined;
  const { message } = error as { message?: unknown };
  return typeof message === 'string' && message.trim() !== '' ? quotedAnswer(message) : undefined;
}

const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/**
 * The `google.rpc.ErrorInfo` among an error answer's `error.details[]` (AIP-193): its `reason`
 * when it is an UPPER_SNAKE_CASE identifier, and its metadata's string values. Never the message.
 */
export function errorInfoOf(
  text: string,
): { readonly reason?: string; readonly metadata?: Readonly<Record<string, string>> } | undefined {
  let details: unknown;
  try {
    details = (JSON.parse(text) as { error?: { details?: unknown } }).error?.details;
  } catch {
    return undefined;
  }
  if (!Array.isArray(details)) return undefined;
  const info = details.find(
    (detail): detail is { reason?: unknown; metadata?: unknown } =>
      typeof detail === 'object' &&
      detail !== null &&
      (detail as { '@type'?: unknown })['@type'] === ERROR_INFO_TYPE,
  );
  if (!info) return undefined;
  const reason =
    typeof info.reason === 'string' && /^[A-Z][A-Z0-9_]*$/.test(info.reason) ? info.reason : undefined;
  const metadata =
    typeof info.metadata === 'object' && info.metadata !== null
      ? Object.fromEntries(
          Object.entries(info.metadata as Record<string, unknown>).filter(
            (entry): entry is [string, string] => typeof entry[1] === 'string',
          ),
        )
      : undefined;
  return { ...(reason ? { reason } : {}), ...(metadata ? { metadata } : {}) };
}

/** Google's error code in an error answer, without its message (which may quote the request). */
function errorCodeOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as {
      error?: { status?: unknown; errors?: readonly { reason?: unknown }[] };
    };
    const code = body.error?.status ?? body.error?.errors?.[0]?.reason;
    return typeof code === 'string' && /^[A-Za-z_]+$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Why a request out of time was aborted: what `AbortSignal.timeout` aborts with. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/**
 * The request's time ran out (its {@link timeoutReason}), or its scope failed (an `AbortError`): no
 * time is left for another attempt, or none is wanted.
 */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
