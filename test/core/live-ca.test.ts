/** readLiveCa over a stand-in fetch: every answer certctl's endpoints can give, and every failure as a reason. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeItem, type LiveCa } from '../../functions/core/key-material.ts';
import { type FetchLike, readLiveCa } from '../../functions/core/live-ca.ts';
import { CA_FINGERPRINT, pem } from '../fixtures/keys/world.ts';

const EST = 'https://certctl.example/.well-known/est/cacerts';
const SCEP = 'https://certctl.example/scep';
const SCEP_GET = 'https://certctl.example/scep?operation=GetCACert';
const NOW = new Date('2026-12-02T12:00:00Z');
const location = {
  provider: 'aws' as const,
  account: '111111111111',
  region: 'eu-west-1',
  secretId: 'certctl/ca',
  name: 'certctl/ca',
};

/** The DER of the ContentInfo contentType id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 §5.1). */
const SIGNED_DATA_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/** A fetch that answers every URL with one response, and records what it was asked. */
function answering(
  body: ConstructorParameters<typeof Response>[0],
  status = 200,
  headers?: Record<string, string>,
) {
  const calls: { url: string; signal: AbortSignal }[] = [];
  const fetchLike: FetchLike = async (url, init) => {
    calls.push({ url, signal: init.signal });
    return new Response(body, { status, ...(headers ? { headers } : {}) });
  };
  return { calls, fetchLike };
}

describe('readLiveCa', () => {
  it('has nothing to say when no live CA is configured', async () => {
    const { calls, fetchLike } = answering('');
    expect(await readLiveCa(undefined, fetchLike)).toBeUndefined();
    expect(calls).toEqual([]);
  });
  it('uses a configured fingerprint without fetching anything', async () => {
    const { calls, fetchLike } = answering('');
    expect(await readLiveCa({ fingerprintSha256: CA_FINGERPRINT, estUrl: EST }, fetchLike)).toEqual({
      state: 'read',
      fingerprint: CA_FINGERPRINT,
      source: 'the configured fingerprint',
    });
    expect(calls).toEqual([]);
  });
  it('asks SCEP for GetCACert with a deadline, and names the SCEP URL as the source', async () => {
    const { calls, fetchLike } = answering(new X509Certificate(pem('ca.crt')).raw);
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'read',
      fingerprint: CA_FINGERPRINT,
      source: `SCEP GetCACert at ${SCEP_GET}`,
      subject: 'CN=certctl test CA',
    });
    expect(calls.map((call) => call.url)).toEqual([SCEP_GET]);
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0]?.signal.aborted).toBe(false);
  });
  it('refuses an answer redirected to plain http: it proves nothing about the CA certctl serves', async () => {
    const fetchLike: FetchLike = async () => {
      const response = new Response(new X509Certificate(pem('ca.crt')).raw);
      Object.defineProperty(response, 'url', { value: 'http://elsewhere.example/scep?operation=GetCACert' });
      return response;
    };
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} redirected to plain http (elsewhere.example), where anyone on the path may answer; certctl's CA is compared only over https`,
    });
  });
  it('decodes EST base64 with line breaks and spaces', async () => {
    const base64 = readFileSync('test/fixtures/keys/ca.p7b').toString('base64');
    const wrapped = `${base64.replace(/(.{64})/g, '$1\r\n')} \n`;
    const { calls, fetchLike } = answering(wrapped);
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'read',
      fingerprint: CA_FINGERPRINT,
      source: `EST cacerts at ${EST}`,
      subject: 'CN=certctl test CA',
    });
    expect(calls.map((call) => call.url)).toEqual([EST]);
  });
  it('says the endpoint answered an error status', async () => {
    const { fetchLike } = answering('no', 503);
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} answered HTTP 503`,
    });
  });
  it('turns a failed fetch into a reason instead of a throw', async () => {
    const fetchLike: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} could not be fetched: fetch failed`,
    });
  });
  it('fetches a URL with a query token as given, but never repeats the query values in what it reports', async () => {
    const canary = 'CANARY-live-ca-token-5b1f';
    const failing: FetchLike = async (url) => {
      expect(url).toContain(canary);
      throw new TypeError('fetch failed');
    };
    const est = await readLiveCa({ estUrl: `${EST}?token=${canary}` }, failing);
    expect(est).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST}?token=… could not be fetched: fetch failed`,
    });
    const { fetchLike } = answering('', 503);
    const scep = await readLiveCa({ scepUrl: `${SCEP}?tenant=a&key=${canary}` }, fetchLike);
    expect(scep).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP}?tenant=…&key=…&operation=GetCACert answered HTTP 503`,
    });
    const fragment = await readLiveCa({ estUrl: `${EST}#${canary}` }, fetchLike);
    expect(fragment).toEqual({ state: 'unknown', reason: `EST cacerts at ${EST} answered HTTP 503` });
    expect(JSON.stringify([est, scep, fragment])).not.toContain(canary);
  });
  it('says when a PKCS#7 answer holds no certificate', async () => {
    // ContentInfo { signedData, [0] { SignedData { INTEGER 1 } } }: no certificates field.
    const empty = Buffer.from([0x30, 0x12, ...SIGNED_DATA_OID, 0xa0, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01]);
    const { fetchLike } = answering(empty.toString('base64'));
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} returned no certificate`,
    });
  });
  it('reads no certificate of a PKCS#7 message that is not a SignedData, naming its content type', async () => {
    // ca.p7b with its ContentInfo's contentType made data (1.2.840.113549.1.7.1), then envelopedData (.3).
    const p7b = readFileSync('test/fixtures/keys/ca.p7b');
    expect(p7b.subarray(4, 15)).toEqual(Buffer.from(SIGNED_DATA_OID));
    const retyped = (last: number) =>
      Buffer.concat([p7b.subarray(0, 14), Buffer.from([last]), p7b.subarray(15)]);
    const est = answering(retyped(0x01).toString('base64'));
    const scep = answering(retyped(0x03));
    expect(await readLiveCa({ estUrl: EST }, est.fetchLike)).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} answered a PKCS#7 message of content type data (1.2.840.113549.1.7.1), not signedData (1.2.840.113549.1.7.2), the certs-only message EST cacerts and SCEP GetCACert answer; its certificates were not read`,
    });
    expect(await readLiveCa({ scepUrl: SCEP }, scep.fetchLike)).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} answered a PKCS#7 message of content type envelopedData (1.2.840.113549.1.7.3), not signedData (1.2.840.113549.1.7.2), the certs-only message EST cacerts and SCEP GetCACert answer; its certificates were not read`,
    });
  });
  it('stops reading an answer beyond 1 MiB and says so, whether announced or streamed', async () => {
    // A chain of a few KB padded past the cap: certctl never answers this much.
    const chunk = new Uint8Array(64 * 1024);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(chunk);
      },
    });
    const streamed = answering(endless);
    const announced = answering(new Uint8Array(16), 200, { 'content-length': String(2 * 1024 * 1024) });
    // Act
    const fromStream = await readLiveCa({ scepUrl: SCEP }, streamed.fetchLike);
    const fromHeader = await readLiveCa({ estUrl: EST }, announced.fetchLike);
    // Assess
    expect(fromStream).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} answered more than 1 MiB, where a CA certificate chain is a few KB, so the read was stopped at 1 MiB`,
    });
    expect(pulled).toBeLessThanOrEqual(1024 / 64 + 2);
    expect(fromHeader).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} answered more than 1 MiB, where a CA certificate chain is a few KB, so the read was stopped at 1 MiB`,
    });
  });
  it('says when the answer is neither a certificate nor PKCS#7, naming its content type', async () => {
    const { fetchLike } = answering(Buffer.from([0x7b, 0x7d]), 200, { 'content-type': 'application/json' });
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} did not return a certificate or PKCS#7 certs-only message (it answered application/json; GetCACert answers application/x-x509-ca-cert or application/x-x509-ca-ra-cert)`,
    });
  });
  it('says an HTML page came back, so the URL is probably not the endpoint, without quoting it', async () => {
    // A single sign-on page in front of certctl, or a web server's page for a wrong path.
    const page =
      '<!DOCTYPE html><html><body><form><input name="csrf" value="tok-s3cr3t-1234"></form></body></html>';
    const est = answering(page, 200, { 'content-type': 'text/html; charset=utf-8' });
    const scep = answering(`\n  ${page}`, 200, { 'content-type': 'text/plain' });
    // Act
    const fromEst = await readLiveCa({ estUrl: EST }, est.fetchLike);
    const fromScep = await readLiveCa({ scepUrl: SCEP }, scep.fetchLike);
    // Assess
    expect(fromEst).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} did not return a certificate or PKCS#7 certs-only message: it answered an HTML page (text/html), so the URL is probably not certctl's EST cacerts endpoint (a login page in front of it, or a wrong path); EST cacerts answers application/pkcs7-mime`,
    });
    expect(fromScep).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining(
        "it answered an HTML page (text/plain), so the URL is probably not certctl's SCEP endpoint",
      ),
    });
    expect(JSON.stringify([fromEst, fromScep])).not.toMatch(/s3cr3t|csrf|DOCTYPE|<html/i);
  });
});

describe('readLiveCa, the issuing CA of the served set', () => {
  // certctl issuing from an intermediate serves the chain (EST cacerts, RFC 7030 §4.1.3; SCEP
  // GetCACert with RA certificates, RFC 8894 §4.2.1.2): only the issuing CA, the CA certificate that
  // issued no other served CA certificate, is the one a backup must hold.
  const p7b = (file: string) => readFileSync(`test/fixtures/keys/${file}`);
  const fingerprint = (file: string) => new X509Certificate(pem(file)).fingerprint256;
  const INT = fingerprint('int-ca.crt');
  /** The ca-cert item holding `file`, compared with `live`. */
  const caCertAgainst = (file: string, live: LiveCa | undefined) =>
    analyzeItem(
      { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH', location },
      { now: NOW, expiryHorizonDays: 30, valueOf: () => ({ state: 'read', text: pem(file) }), liveCa: live },
    );

  it('compares with the intermediate, not the root, when EST serves root and intermediate', async () => {
    const { fetchLike } = answering(p7b('ca-int.p7b').toString('base64'));
    const live = await readLiveCa({ estUrl: EST }, fetchLike);
    expect(live).toEqual({
      state: 'read',
      fingerprint: INT,
      source: `EST cacerts at ${EST}`,
      subject: 'CN=certctl issuing CA',
    });
    // Prepare / Act: a backup holding the root is not the CA certctl issues from.
    const root = caCertAgainst('ca.crt', live);
    // Assess
    expect(root.problems.map((problem) => `${problem.status}:${problem.code}`)).toEqual([
      'FAILED:live-ca-differs',
    ]);
    expect(root.problems[0]?.detail).toBe(
      `the backed-up ca-cert is not the issuing CA certificate certctl serves now: the backup holds CN=certctl test CA (SHA-256 ${CA_FINGERPRINT}), and EST cacerts at ${EST} serves CN=certctl issuing CA (SHA-256 ${INT}); if certctl now issues from that CA, back it up, and if that URL is not this certctl's, correct keys.liveCa`,
    );
    const intermediate = caCertAgainst('int-ca.crt', live);
    expect(intermediate.problems).toEqual([]);
    expect(intermediate.observed.liveCaMatches).toBe(true);
  });
  it('says a served CA of the same subject is another certificate of that name (renewed or re-keyed)', async () => {
    // Prepare: what certctl serves has the backed-up CA's subject but another key: a re-issued CA.
    const backup = new X509Certificate(pem('ca.crt'));
    const live = {
      state: 'read' as const,
      fingerprint: INT,
      source: `EST cacerts at ${EST}`,
      subject: backup.subject.replaceAll('\n', ', '),
    };
    // Act
    const content = caCertAgainst('ca.crt', live);
    // Assess
    expect(content.problems.map((problem) => problem.detail)).toEqual([
      `the backed-up ca-cert is not the issuing CA certificate certctl serves now: the backup holds CN=certctl test CA (SHA-256 ${CA_FINGERPRINT}), and EST cacerts at ${EST} serves CN=certctl test CA (SHA-256 ${INT}), the same subject in another certificate (a renewed or re-keyed CA): back up the one certctl serves now`,
    ]);
  });
  it('leaves the RA certificate of a SCEP chain out, in any order', async () => {
    const { fetchLike } = answering(p7b('ra-ca-int.p7b'));
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toMatchObject({ state: 'read', fingerprint: INT });
    const { fetchLike: raAndRoot } = answering(p7b('ra-ca.p7b'));
    expect(await readLiveCa({ scepUrl: SCEP }, raAndRoot)).toMatchObject({
      state: 'read',
      fingerprint: CA_FINGERPRINT,
    });
  });
  it('is not available, naming the candidates, when two served CA certificates issue no other', async () => {
    const { fetchLike } = answering(p7b('two-cas.p7b').toString('base64'));
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} serves 2 candidate issuing CA certificates (CN=certctl test CA, SHA-256 ${CA_FINGERPRINT}; CN=certctl expired CA, SHA-256 ${fingerprint('expired-ca.crt')}): none of them issued another served CA certificate, so which one certctl issues from is ambiguous; set keys.liveCa.fingerprintSha256 to the issuing CA's fingerprint`,
    });
  });
  it('keeps a configured fingerprint an exact comparison with one certificate', async () => {
    const { fetchLike } = answering('');
    expect(await readLiveCa({ fingerprintSha256: INT }, fetchLike)).toEqual({
      state: 'read',
      fingerprint: INT,
      source: 'the configured fingerprint',
    });
  });
});
