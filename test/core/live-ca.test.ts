/** readLiveCa over a stand-in fetch: every answer certctl's endpoints can give, and every failure as a reason. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FetchLike, readLiveCa } from '../../functions/core/live-ca.ts';
import { CA_FINGERPRINT, pem } from '../fixtures/keys/world.ts';

const EST = 'https://certctl.example/.well-known/est/cacerts';
const SCEP = 'https://certctl.example/scep';
const SCEP_GET = 'https://certctl.example/scep?operation=GetCACert';

/** A fetch that answers every URL with one response, and records what it was asked. */
function answering(body: ConstructorParameters<typeof Response>[0], status = 200) {
  const calls: { url: string; signal: AbortSignal }[] = [];
  const fetchLike: FetchLike = async (url, init) => {
    calls.push({ url, signal: init.signal });
    return new Response(body, { status });
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
      fingerprints: [CA_FINGERPRINT],
      source: 'the configured fingerprint',
    });
    expect(calls).toEqual([]);
  });
  it('asks SCEP for GetCACert with a deadline, and names the SCEP URL as the source', async () => {
    const { calls, fetchLike } = answering(new X509Certificate(pem('ca.crt')).raw);
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'read',
      fingerprints: [CA_FINGERPRINT],
      source: `SCEP GetCACert at ${SCEP_GET}`,
    });
    expect(calls.map((call) => call.url)).toEqual([SCEP_GET]);
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0]?.signal.aborted).toBe(false);
  });
  it('decodes EST base64 with line breaks and spaces', async () => {
    const base64 = readFileSync('test/fixtures/keys/ca.p7b').toString('base64');
    const wrapped = `${base64.replace(/(.{64})/g, '$1\r\n')} \n`;
    const { calls, fetchLike } = answering(wrapped);
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'read',
      fingerprints: [CA_FINGERPRINT],
      source: `EST cacerts at ${EST}`,
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
  it('says when a PKCS#7 answer holds no certificate', async () => {
    // ContentInfo { OID, [0] { SignedData { INTEGER 1 } } }: no certificates field.
    const empty = Buffer.from([0x30, 0x0a, 0x06, 0x01, 0x01, 0xa0, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01]);
    const { fetchLike } = answering(empty.toString('base64'));
    expect(await readLiveCa({ estUrl: EST }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `EST cacerts at ${EST} returned no certificate`,
    });
  });
  it('says when the answer is neither a certificate nor PKCS#7', async () => {
    const { fetchLike } = answering('<html>certctl</html>');
    expect(await readLiveCa({ scepUrl: SCEP }, fetchLike)).toEqual({
      state: 'unknown',
      reason: `SCEP GetCACert at ${SCEP_GET} did not return a certificate or PKCS#7 certs-only message`,
    });
  });
});
