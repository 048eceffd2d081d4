/**
 * The `fetch` the Cloud SQL read clients' requests go out through: `node:http`/`node:https`, the
 * whole answer buffered. gax's REST transport hands each request to its auth client's `fetch`
 * (google-gax 6.17 `fallbackServiceStub.js`), which google-auth-library passes to gaxios with the
 * credentials' headers, and gaxios sends it with the request's `fetchImplementation` (gaxios 8
 * `_defaultAdapter`), by default node-fetch 3. Profiled on the benchmark (bench/audit-pitr-gcp.ts),
 * node-fetch's request and response objects, header classes and stream pipeline cost about a third
 * of the audit's CPU for answers gax reads whole anyway (`response.arrayBuffer()`).
 *
 * It does what node-fetch does for these requests, so gax and gaxios see the same answers and the
 * same failures:
 * - the agent given (gax passes its keep-alive agents, as a function of the URL);
 * - `Accept-Encoding: gzip, deflate, br` unless set, and the body decompressed;
 * - redirects of GET and HEAD followed, at most 20, the credentials (`authorization`,
 *   `www-authenticate`, `cookie`, `cookie2`) dropped on one to another host (other than a subdomain
 *   of it) or another protocol, so a token never reaches a host it was not made for;
 * - a request that gets no answer rejects with `request to <url> failed, reason: <socket error>`
 *   and the socket error's `code` (node-fetch's FetchError, which functions/gcp/wire.ts
 *   `transportFailure` reads), and an aborted one with an `AbortError`.
 * Everything above it stays: gax transcodes the request, retries, pages and turns error answers into
 * `GoogleError`s; google-auth-library adds the credentials.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { type CallSignal, scopeCallWithCallSignal } from '../core/scope-calls.ts';

/** What gaxios hands a `fetchImplementation` for gax's requests. */
export interface HttpFetchInit {
  readonly method?: string;
  readonly headers?: Headers | Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | null;
  readonly signal?: AbortSignal | null;
  /**
   * Abort a request that has not got its whole answer after this long, as an `AbortError` (each
   * redirect gets the time anew). The lean reads (./cloud-sql-lean.ts) bound their attempt with it:
   * a timer per request costs less than an `AbortController` and its listeners.
   */
  readonly timeoutMs?: number;
  /** An agent, or node-fetch's form: a function of the URL (what gax passes). */
  readonly agent?: http.Agent | ((url: URL) => http.Agent | undefined) | null;
}

/** The part of a fetch `Response` gax and gaxios read, the body already whole. */
export interface HttpFetchResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly redirected: boolean;
  readonly headers: Headers;
  /** The body as an async iterable of one chunk (gaxios drains it for a 401 or 403). */
  readonly body: AsyncIterable<Buffer>;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A request that got no answer, worded and coded as node-fetch's FetchError. */
export class HttpFetchError extends Error {
  readonly type = 'system';
  readonly code: string | undefined;
  readonly errno: number | undefined;

  constructor(url: URL, cause: NodeJS.ErrnoException) {
    super(`request to ${url.href} failed, reason: ${cause.message}`, { cause });
    this.name = 'FetchError';
    this.code = cause.code;
    this.errno = cause.errno;
  }
}

/**
 * An aborted request, named and coded as gaxios codes one (`AbortError`): gaxios copies a cause's
 * string `code` onto its GaxiosError, and google-gax reads that code as CANCELLED (its
 * fallbackServiceStub.js), which the read clients do not retry. Without the code, a request of a
 * failed scope aborted in flight read as UNAVAILABLE and gax asked again until its deadline.
 */
function abortError(): Error {
  return Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', code: 'AbortError' });
}

function headerRecord(headers: HttpFetchInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      record[name] = value;
    });
  } else if (headers) Object.assign(record, headers);
  return record;
}

/** The headers node-fetch 3 deletes on a redirect that leaves the host or the protocol. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);

/**
 * The request a redirect from `from` to `to` sends: the same, without the credentials when `to`
 * is neither `from`'s host nor a subdomain of it, or uses another protocol (node-fetch 3
 * `src/index.js`, `isDomainOrSubdomain` and `isSameProtocol` of `src/utils/is.js`).
 */
function redirectInit(init: HttpFetchInit, from: URL, to: URL): HttpFetchInit {
  const sameHost = to.hostname === from.hostname || to.hostname.endsWith(`.${from.hostname}`);
  if (sameHost && to.protocol === from.protocol) return init;
  const headers = Object.fromEntries(
    Object.entries(headerRecord(init.headers)).filter(
      ([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()),
    ),
  );
  return { ...init, headers };
}

function responseHeaders(incoming: http.IncomingMessage): Headers {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/** The body decoded per `Content-Encoding`, leniently as node-fetch (a truncated stream is kept). */
function decompress(body: Buffer, encoding: string | undefined): Buffer {
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH, flush: zlib.constants.Z_SYNC_FLUSH };
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body, flush);
    case 'deflate':
      // Raw deflate or zlib-wrapped, told apart by the first byte as node-fetch does.
      return (body[0] ?? 0) & 0x0f ? zlib.inflateSync(body, flush) : zlib.inflateRawSync(body, flush);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      return body;
  }
}

/**
 * An answer with its body whole. A class rather than an object literal of closures: one is made per
 * request, and the lean reads (./cloud-sql-lean.ts) only read `status` and `text()`.
 */
class BufferedResponse implements HttpFetchResponse {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected: boolean;
  readonly #incoming: http.IncomingMessage;
  readonly #bytes: Buffer;
  #headers: Headers | undefined;

  constructor(
    url: string,
    status: number,
    statusText: string,
    incoming: http.IncomingMessage,
    bytes: Buffer,
    redirected: boolean,
  ) {
    this.url = url;
    this.status = status;
    this.statusText = statusText;
    this.ok = status >= 200 && status < 300;
    this.redirected = redirected;
    this.#incoming = incoming;
    this.#bytes = bytes;
  }

  // Made when first read: gaxios reads them, the lean reads never do, and a `Headers` is not cheap.
  get headers(): Headers {
    this.#headers ??= responseHeaders(this.#incoming);
    return this.#headers;
  }

  get body(): AsyncIterable<Buffer> {
    const bytes = this.#bytes;
    return {
      async *[Symbol.asyncIterator]() {
        yield bytes;
      },
    };
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#bytes;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return this.#bytes.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#bytes.toString('utf8'));
  }
}

/**
 * What `http.request(url)` takes from a URL (Node's `urlToHttpOptions`), made here so the request
 * is given plain options: the URL is parsed once, by {@link httpFetch}.
 */
function requestTarget(url: URL): http.RequestOptions {
  const { hostname, port, username, password } = url;
  return {
    protocol: url.protocol,
    hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
    ...(port === '' ? {} : { port: Number(port) }),
    path: `${url.pathname}${url.search}`,
    ...(username || password
      ? { auth: `${decodeURIComponent(username)}:${decodeURIComponent(password)}` }
      : {}),
  };
}

/**
 * One request and its whole answer, following redirects of a GET or HEAD; stopped by `init.signal`
 * or by `callSignal`, the request's signal of its audit scope (one per request, told by the scope
 * itself: core/scope-calls.ts CallSignal says why not the scope's AbortSignal).
 */
function send(
  url: URL,
  init: HttpFetchInit,
  redirects: number,
  callSignal?: CallSignal,
): Promise<HttpFetchResponse> {
  return new Promise((resolve, reject) => {
    const { signal } = init;
    const aborted = () => signal?.aborted === true || callSignal?.aborted === true;
    if (aborted()) {
      reject(abortError());
      return;
    }
    const headers = headerRecord(init.headers);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) {
      headers['accept-encoding'] = 'gzip, deflate, br';
    }
    const agent = typeof init.agent === 'function' ? init.agent(url) : (init.agent ?? undefined);
    const method = (init.method ?? 'GET').toUpperCase();
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const stopListening = () => {
      signal?.removeEventListener('abort', onAbort);
      if (callSignal) callSignal.onabort = null;
      clearTimeout(timer);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      stopListening();
      reject(error);
    };
    const onAbort = () => {
      request.destroy();
      fail(abortError());
    };
    const options = { ...requestTarget(url), method, headers, ...(agent ? { agent } : {}) };
    const request = transport.request(options, (incoming) => {
      const status = incoming.statusCode ?? 0;
      const location = incoming.headers.location;
      if (REDIRECTS.has(status) && location && (method === 'GET' || method === 'HEAD')) {
        incoming.resume();
        if (redirects >= MAX_REDIRECTS) {
          fail(new Error(`maximum redirect reached at: ${url.href}`));
          return;
        }
        settled = true;
        stopListening();
        // The answer of the last hop says `redirected` itself (redirects > 0).
        const next = new URL(location, url);
        send(next, redirectInit(init, url, next), redirects + 1, callSignal).then(resolve, reject);
        return;
      }
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', (error) => fail(aborted() ? abortError() : new HttpFetchError(url, error)));
      incoming.on('end', () => {
        if (settled) return;
        let body: Buffer;
        try {
          body = decompress(Buffer.concat(chunks), incoming.headers['content-encoding']);
        } catch (error) {
          fail(new HttpFetchError(url, error as NodeJS.ErrnoException));
          return;
        }
        settled = true;
        stopListening();
        resolve(
          new BufferedResponse(url.href, status, incoming.statusMessage ?? '', incoming, body, redirects > 0),
        );
      });
    });
    request.on('error', (error) => fail(aborted() ? abortError() : new HttpFetchError(url, error)));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (callSignal) callSignal.onabort = onAbort;
    if (init.timeoutMs !== undefined) timer = setTimeout(onAbort, init.timeoutMs);
    request.end(init.body ?? undefined);
  });
}

/**
 * A `fetch` for gaxios' `fetchImplementation`: see the module comment for what it keeps. Inside an
 * audit scope (functions/core/scope-calls.ts) the request is one of the scope's calls: aborted
 * when the scope fails, and refused unsent once it has.
 */
export function httpFetch(input: string | URL, init: HttpFetchInit = {}): Promise<HttpFetchResponse> {
  const url = new URL(String(input));
  return scopeCallWithCallSignal((callSignal) => send(url, init, 0, callSignal));
}
