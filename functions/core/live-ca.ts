/**
 * The CA certificate certctl serves now, for `keys.content`: a configured SHA-256 fingerprint, or
 * fetched from certctl's unauthenticated endpoints (certctl-io/certctl `internal/api/router/router.go`):
 * EST `GET /.well-known/est/cacerts` (base64 PKCS#7 certs-only, RFC 7030 §4.1.3) or SCEP
 * `GET /scep?operation=GetCACert` (DER for one certificate, PKCS#7 for a chain; RFC 8894 §4.2).
 * Of a served chain only the issuing CA counts (functions/core/key-material.ts servedIssuingCa): a
 * backup of the root above an issuing intermediate is not the CA certctl runs with. When the served
 * set names no single issuing CA the comparison is not available, saying why, never guessed.
 *
 * Reads over plain `fetch` (no cloud SDK), with a deadline and a size cap ({@link LIVE_CA_MAX_BYTES}); a
 * PKCS#7 answer counts only as a SignedData (the certs-only message both endpoints answer); any failure
 * is a reason, never a throw.
 */
import { describeError } from './errors.ts';
import {
  type LiveCa,
  normalizeFingerprint,
  Pkcs7ContentTypeError,
  type ServedIssuingCa,
  servedIssuingCa,
} from './key-material.ts';
import type { KeysPolicy } from './keys-policy.ts';
import { isHttpsOrLoopback } from './loopback.ts';

/** A fetch of certctl's endpoint gives up after this long. */
const LIVE_CA_TIMEOUT_MS = 10_000;

/**
 * The most of an answer read: a CA certificate chain is a few KB, so an answer beyond this is not
 * certctl's CA (a file served by mistake, a hostile endpoint) and is not held in memory.
 */
export const LIVE_CA_MAX_BYTES = 1024 * 1024;

/** An answer longer than {@link LIVE_CA_MAX_BYTES}. */
class TooLargeError extends Error {}

/**
 * The body of `response`, up to `limit` bytes: an announced Content-Length beyond it is refused
 * before reading, and a streamed body is cancelled once it passes it. Throws {@link TooLargeError}.
 */
async function cappedBody(response: Response, limit: number): Promise<Uint8Array> {
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel();
    throw new TooLargeError();
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new TooLargeError();
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

/** The live CA the policy points at; undefined when none is configured. */
export async function readLiveCa(
  liveCa: KeysPolicy['liveCa'],
  fetchLike: FetchLike = fetch,
): Promise<LiveCa | undefined> {
  if (!liveCa) return undefined;
  if (liveCa.fingerprintSha256) {
    return {
      state: 'read',
      fingerprint: normalizeFingerprint(liveCa.fingerprintSha256),
      source: 'the configured fingerprint',
    };
  }
  const url = liveCa.estUrl ?? scepGetCaCertUrl(liveCa.scepUrl ?? '');
  const shown = withoutQueryValues(url);
  const source = liveCa.estUrl ? `EST cacerts at ${shown}` : `SCEP GetCACert at ${shown}`;
  let body: Uint8Array;
  let answered: string;
  try {
    const response = await fetchLike(url, { signal: AbortSignal.timeout(LIVE_CA_TIMEOUT_MS) });
    if (!response.ok) return { state: 'unknown', reason: `${source} answered HTTP ${response.status}` };
    // fetch follows redirects, https to http too: an answer from plain http proves no CA.
    const final = response.url ? new URL(response.url) : undefined;
    if (final && !isHttpsOrLoopback(final)) {
      return {
        state: 'unknown',
        reason: `${source} redirected to plain http (${final.host}), where anyone on the path may answer; certctl's CA is compared only over https`,
      };
    }
    const bytes = await cappedBody(response, LIVE_CA_MAX_BYTES);
    answered = whatCameBack(response.headers.get('content-type'), bytes, liveCa.estUrl !== undefined);
    body = liveCa.estUrl
      ? Buffer.from(Buffer.from(bytes).toString('ascii').replace(/\s+/g, ''), 'base64')
      : bytes;
  } catch (error) {
    if (error instanceof TooLargeError) {
      const cap = `${LIVE_CA_MAX_BYTES / (1024 * 1024)} MiB`;
      return {
        state: 'unknown',
        reason: `${source} answered more than ${cap}, where a CA certificate chain is a few KB, so the read was stopped at ${cap}`,
      };
    }
    return { state: 'unknown', reason: `${source} could not be fetched: ${describeError(error)}` };
  }
  let served: ServedIssuingCa;
  try {
    served = servedIssuingCa(body);
  } catch (error) {
    if (error instanceof Pkcs7ContentTypeError) {
      return {
        state: 'unknown',
        reason: `${source} answered ${error.message}, the certs-only message EST cacerts and SCEP GetCACert answer; its certificates were not read`,
      };
    }
    return {
      state: 'unknown',
      reason: `${source} did not return a certificate or PKCS#7 certs-only message${answered}`,
    };
  }
  if (served.state === 'none') return { state: 'unknown', reason: `${source} returned no certificate` };
  if (served.state === 'ambiguous') {
    const named = served.candidates.map((ca) => `${ca.subject}, SHA-256 ${ca.fingerprint}`).join('; ');
    return {
      state: 'unknown',
      reason: `${source} serves ${served.candidates.length} candidate issuing CA certificates (${named}): ${served.why}, so which one certctl issues from is ambiguous; set keys.liveCa.fingerprintSha256 to the issuing CA's fingerprint`,
    };
  }
  return { state: 'read', fingerprint: served.fingerprint, source, subject: served.subject };
}

/**
 * What an answer that is not a certificate was, for the reason (never its body, which may be a login
 * form): its media type, and when it is an HTML page (by its type, or a body that opens with `<`)
 * that the URL is probably not certctl's endpoint. EST cacerts answers `application/pkcs7-mime`
 * (RFC 7030 §4.1.3); SCEP GetCACert `application/x-x509-ca-cert` for one certificate,
 * `application/x-x509-ca-ra-cert` for a chain (RFC 8894 §4.2.1).
 */
function whatCameBack(contentType: string | null, bytes: Uint8Array, est: boolean): string {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  // Only a well-formed type is repeated: the header is the server's text.
  const type = /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(mediaType)
    ? mediaType
    : mediaType
      ? 'an unreadable Content-Type'
      : 'no Content-Type';
  const expected = est
    ? 'EST cacerts answers application/pkcs7-mime'
    : 'GetCACert answers application/x-x509-ca-cert or application/x-x509-ca-ra-cert';
  const opening = Buffer.from(bytes.subarray(0, 256))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml' || opening.startsWith('<')) {
    const endpoint = est ? 'EST cacerts endpoint' : 'SCEP endpoint';
    return `: it answered an HTML page (${type}), so the URL is probably not certctl's ${endpoint} (a login page in front of it, or a wrong path); ${expected}`;
  }
  return ` (it answered ${type}; ${expected})`;
}

/**
 * The URL as findings and reports show it: a query value may be a token (the policy refuses
 * user:password, not `?token=`), so every value but our own `operation=GetCACert` is elided; the
 * names stay, so the user can tell which URL was read; a fragment (never sent) is left out. The
 * fetch itself uses the URL as given.
 */
function withoutQueryValues(url: string): string {
  const parsed = new URL(url);
  if (parsed.search === '' && parsed.hash === '') return url;
  if (parsed.search === '') return `${parsed.origin}${parsed.pathname}`;
  const names = [...parsed.searchParams].map(([name, value]) =>
    name === 'operation' && value === 'GetCACert' ? 'operation=GetCACert' : `${encodeURIComponent(name)}=…`,
  );
  return `${parsed.origin}${parsed.pathname}?${names.join('&')}`;
}

function scepGetCaCertUrl(base: string): string {
  const url = new URL(base);
  url.searchParams.set('operation', 'GetCACert');
  return url.toString();
}
