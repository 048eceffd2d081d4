/** The in-memory content analysis and the live-CA reader (EST and SCEP served on loopback). */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeItem, type ItemValue, itemValue } from '../../functions/core/key-material.ts';
import type { InventoryItem } from '../../functions/core/keys-policy.ts';
import { readLiveCa } from '../../functions/core/live-ca.ts';
import { CA_FINGERPRINT, CANARY, pem } from '../fixtures/keys/world.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const location = {
  provider: 'aws' as const,
  account: '111111111111',
  region: 'eu-west-1',
  secretId: 's',
  name: 's',
};
const item = (
  id: string,
  kind: InventoryItem['kind'],
  extra: Partial<InventoryItem> = {},
): InventoryItem => ({ id, kind, source: id, location, ...extra });

function analyze(
  subject: InventoryItem,
  values: Record<string, string>,
  extra: { horizon?: number; now?: Date } = {},
) {
  return analyzeItem(subject, {
    now: extra.now ?? NOW,
    expiryHorizonDays: extra.horizon ?? 30,
    valueOf: (id): ItemValue | undefined =>
      values[id] === undefined ? undefined : { state: 'read', text: values[id] },
  });
}
const codes = (content: ReturnType<typeof analyze>) =>
  content.problems.map((problem) => `${problem.status}:${problem.code}`);

describe('analyzeItem', () => {
  it('finds nothing wrong when the CA key matches the CA certificate', () => {
    const content = analyze(item('ca-key', 'private-key', { certificate: 'ca-cert' }), {
      'ca-key': pem('ca.key'),
      'ca-cert': pem('ca.crt'),
    });
    expect(codes(content)).toEqual([]);
    expect(content.observed['ca-key.type']).toBe('rsa');
  });
  it('reports key-mismatch when the key belongs to another certificate', () => {
    const content = analyze(item('ra-key', 'private-key', { certificate: 'ra-cert' }), {
      'ra-key': pem('other.key'),
      'ra-cert': pem('ra.crt'),
    });
    expect(codes(content)).toEqual(['FAILED:key-mismatch']);
  });
  it('reports an expired certificate as FAILED and one inside the horizon as WARNING', () => {
    expect(codes(analyze(item('old', 'certificate'), { old: pem('expired-ca.crt') }))).toEqual([
      'FAILED:certificate-expired',
    ]);
    const farFuture = new Date(
      new Date(new X509Certificate(pem('tls.crt')).validTo).getTime() - 5 * 86_400_000,
    );
    expect(codes(analyze(item('tls', 'certificate'), { tls: pem('tls.crt') }, { now: farFuture }))).toEqual([
      'WARNING:certificate-expiring',
    ]);
  });
  it('accepts an RA certificate the CA signed and rejects one it did not', () => {
    const ra = item('ra-cert', 'certificate', { issuer: 'ca-cert' });
    expect(codes(analyze(ra, { 'ra-cert': pem('ra.crt'), 'ca-cert': pem('ca.crt') }))).toEqual([]);
    expect(codes(analyze(ra, { 'ra-cert': pem('ra.crt'), 'ca-cert': pem('expired-ca.crt') }))).toEqual([
      'FAILED:not-issued-by-ca',
    ]);
  });
  it('reports an encrypted key as not checkable instead of guessing', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString();
    expect(codes(analyze(item('k', 'private-key'), { k: encrypted }))).toEqual([
      'NOT_AVAILABLE:key-encrypted',
    ]);
  });
  it('reports a malformed PEM without quoting its text', () => {
    const content = analyze(item('c', 'certificate'), {
      c: `-----BEGIN CERTIFICATE-----\n${CANARY}\n-----END CERTIFICATE-----\n`,
    });
    expect(codes(content)).toEqual(['FAILED:certificate-unparseable']);
    expect(JSON.stringify(content)).not.toContain(CANARY);
  });
  it('counts the certificates of a bundle and flags the expired one', () => {
    const content = analyze(item('b', 'bundle'), { b: pem('ca.crt') + pem('expired-ca.crt') });
    expect(content.observed['b.certificates']).toBe(2);
    expect(codes(content)).toEqual(['FAILED:certificate-expired']);
  });
  it('fails a backed-up CA that is not the one certctl serves', () => {
    const content = analyzeItem(item('ca-cert', 'certificate'), {
      now: NOW,
      expiryHorizonDays: 30,
      valueOf: () => ({ state: 'read', text: pem('ca.crt') }),
      liveCa: { state: 'read', fingerprints: ['00'.repeat(32)], source: 'the configured fingerprint' },
    });
    expect(codes(content)).toEqual(['FAILED:live-ca-differs']);
  });
});

describe('itemValue', () => {
  it('does not echo a secret that is not JSON when a JSON key is asked for', () => {
    const value = itemValue({ text: `{"oops ${CANARY}` }, 'key');
    expect(value.state).toBe('unknown');
    expect(JSON.stringify(value)).not.toContain(CANARY);
  });
});

describe('readLiveCa', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const p7 = readFileSync('test/fixtures/keys/ca.p7b');
    const der = Buffer.from(new X509Certificate(pem('ca.crt')).raw);
    server = createServer((request, response) => {
      if (request.url === '/.well-known/est/cacerts') {
        response.writeHead(200, { 'content-type': 'application/pkcs7-mime; smime-type=certs-only' });
        response.end(p7.toString('base64').replace(/(.{64})/g, '$1\r\n'));
      } else if (request.url === '/scep?operation=GetCACert') {
        response.writeHead(200, { 'content-type': 'application/x-x509-ca-cert' });
        response.end(der);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the CA fingerprint from EST cacerts (base64 PKCS#7) when estUrl is set', async () => {
    const live = await readLiveCa({ estUrl: `${base}/.well-known/est/cacerts` });
    expect(live).toEqual({
      state: 'read',
      fingerprints: [CA_FINGERPRINT],
      source: `EST cacerts at ${base}/.well-known/est/cacerts`,
    });
  });
  it('reads the CA fingerprint from SCEP GetCACert (DER) when scepUrl is set', async () => {
    const live = await readLiveCa({ scepUrl: `${base}/scep` });
    expect(live?.state === 'read' && live.fingerprints).toEqual([CA_FINGERPRINT]);
  });
  it('says why when the endpoint answers an error', async () => {
    const live = await readLiveCa({ estUrl: `${base}/nothing` });
    expect(live).toEqual({ state: 'unknown', reason: `EST cacerts at ${base}/nothing answered HTTP 404` });
  });
  it('normalizes a configured fingerprint without colons', async () => {
    const live = await readLiveCa({ fingerprintSha256: CA_FINGERPRINT.replaceAll(':', '').toLowerCase() });
    expect(live?.state === 'read' && live.fingerprints).toEqual([CA_FINGERPRINT]);
  });
});
