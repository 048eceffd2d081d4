/** The in-memory content analysis and the live-CA reader (EST and SCEP served on loopback). */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnalyzeOptions,
  analyzeItem,
  contentReadings,
  type ItemValue,
  inventorySecrets,
  itemRefs,
  itemValue,
  keysInventoryOf,
  type LiveCa,
  normalizeFingerprint,
  Pkcs7ContentTypeError,
  pkcs7Certificates,
  secretsToRead,
  servedIssuingCa,
  unreadSecretFact,
  type ValueReading,
} from '../../functions/core/key-material.ts';
import { type InventoryItem, keyInventory, secretKey } from '../../functions/core/keys-policy.ts';
import { readLiveCa } from '../../functions/core/live-ca.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
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
  it('counts the certificates of a bundle and warns about the expired one beside a valid one', () => {
    const content = analyze(item('b', 'bundle'), { b: pem('ca.crt') + pem('expired-ca.crt') });
    expect(content.observed['b.certificates']).toBe(2);
    expect(codes(content)).toEqual(['WARNING:bundle-member-expired']);
  });
  it('fails a backed-up CA that is not the one certctl serves', () => {
    const content = analyzeItem(item('ca-cert', 'certificate'), {
      now: NOW,
      expiryHorizonDays: 30,
      valueOf: () => ({ state: 'read', text: pem('ca.crt') }),
      liveCa: { state: 'read', fingerprint: '00'.repeat(32), source: 'the configured fingerprint' },
    });
    expect(codes(content)).toEqual(['FAILED:live-ca-differs']);
  });
});

describe('itemValue', () => {
  it('does not echo a secret that is not JSON when a JSON key is asked for', () => {
    const value = itemValue({ text: `{"oops ${CANARY}` }, 'key');
    expect(value.state).toBe('missing');
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
      fingerprint: CA_FINGERPRINT,
      source: `EST cacerts at ${base}/.well-known/est/cacerts`,
      subject: 'CN=certctl test CA',
    });
  });
  it('reads the CA fingerprint from SCEP GetCACert (DER) when scepUrl is set', async () => {
    const live = await readLiveCa({ scepUrl: `${base}/scep` });
    expect(live?.state === 'read' && live.fingerprint).toBe(CA_FINGERPRINT);
  });
  it('says why when the endpoint answers an error', async () => {
    const live = await readLiveCa({ estUrl: `${base}/nothing` });
    expect(live).toEqual({ state: 'unknown', reason: `EST cacerts at ${base}/nothing answered HTTP 404` });
  });
  it('normalizes a configured fingerprint without colons', async () => {
    const live = await readLiveCa({ fingerprintSha256: CA_FINGERPRINT.replaceAll(':', '').toLowerCase() });
    expect(live?.state === 'read' && live.fingerprint).toBe(CA_FINGERPRINT);
  });
});

describe('itemValue, every shape of secret value', () => {
  it('reads the whole text, or a binary value as UTF-8, when no JSON key is asked for', () => {
    expect(itemValue({ text: 'abc' }, undefined)).toEqual({ state: 'read', text: 'abc' });
    expect(itemValue({ binary: new TextEncoder().encode('é-bin') }, undefined)).toEqual({
      state: 'read',
      text: 'é-bin',
    });
    expect(itemValue({ text: 'text', binary: new TextEncoder().encode('bin') }, undefined)).toEqual({
      state: 'read',
      text: 'text',
    });
  });
  it('says the secret has no value when it has neither text nor binary', () => {
    expect(itemValue({}, undefined)).toEqual({ state: 'unknown', reason: 'the secret has no value' });
    expect(itemValue({}, 'k')).toEqual({ state: 'unknown', reason: 'the secret has no value' });
  });
  it('reads a string key of a JSON object', () => {
    expect(itemValue({ text: '{"k":"v","n":1}' }, 'k')).toEqual({ state: 'read', text: 'v' });
  });
  it('refuses JSON that is not an object, naming the key: the value was read and holds no such item', () => {
    for (const text of ['[1]', 'null', '"s"', '3', `{"oops`]) {
      expect(itemValue({ text }, 'k')).toEqual({
        state: 'missing',
        reason: 'the secret is not a JSON object, so it has no key "k"',
      });
    }
  });
  it('says the JSON has no string key when the key is missing or not a string: the item is missing', () => {
    for (const text of ['{}', '{"k":1}', '{"k":null}', '{"k":{"a":"b"}}']) {
      expect(itemValue({ text }, 'k')).toEqual({
        state: 'missing',
        reason: 'the JSON secret has no string key "k"',
      });
    }
  });
});

describe('normalizeFingerprint', () => {
  it('uppercases and joins hex pairs with colons, with or without colons in the input', () => {
    expect(normalizeFingerprint('ab:cd:ef')).toBe('AB:CD:EF');
    expect(normalizeFingerprint('abcdef')).toBe('AB:CD:EF');
    expect(normalizeFingerprint('')).toBe('');
  });
});

const BAD_CERT = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
const BAD_KEY = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----';
/** The `code` of what Node throws, which the analysis quotes instead of the message. */
function thrownCode(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  throw new Error('expected the parser to throw an error with a code');
}

describe('analyzeItem, every problem with its wording', () => {
  const options = (
    values: Record<string, ItemValue>,
    extra: { readonly now?: Date; readonly liveCa?: LiveCa } = {},
  ): AnalyzeOptions => ({
    now: NOW,
    expiryHorizonDays: 30,
    valueOf: (id) => values[id],
    ...extra,
  });
  const read = (text: string): ItemValue => ({ state: 'read', text });
  const caNotAfter = new Date(new X509Certificate(pem('ca.crt')).validTo);
  const caSha = new X509Certificate(pem('ca.crt')).fingerprint256;

  it('is not available when the value was not read, saying why', () => {
    expect(analyzeItem(item('x', 'certificate'), options({}))).toEqual({
      item: 'x',
      problems: [{ status: 'NOT_AVAILABLE', code: 'value-unread', detail: 'x could not be read (not read)' }],
      observed: {},
    });
    expect(
      analyzeItem(item('x', 'opaque'), options({ x: { state: 'unknown', reason: 'AccessDeniedException' } })),
    ).toEqual({
      item: 'x',
      problems: [
        {
          status: 'NOT_AVAILABLE',
          code: 'value-unread',
          detail: 'x could not be read (AccessDeniedException)',
        },
      ],
      observed: {},
    });
  });
  it('fails an item the read secret does not hold (JSON key missing or not a string), never not available', () => {
    // The value was read: a JSON secret without the item's key is a backup without the item.
    const missing: ItemValue = { state: 'missing', reason: 'the JSON secret has no string key "key"' };
    expect(analyzeItem(item('ca-key', 'private-key'), options({ 'ca-key': missing }))).toEqual({
      item: 'ca-key',
      problems: [
        {
          status: 'FAILED',
          code: 'item-missing',
          detail: 'ca-key is not in its secret: the JSON secret has no string key "key"',
        },
      ],
      observed: {},
    });
    // Through the whole reading: a JSON secret with the certificate but not the key.
    const cert = item('ca-cert', 'certificate', { jsonKey: 'cert' });
    const key = item('ca-key', 'private-key', { jsonKey: 'key', certificate: 'ca-cert' });
    const [secret] = inventorySecrets([cert, key]);
    if (!secret) throw new Error('no secret');
    const values = new Map<string, ValueReading>([
      [
        secretKey(location),
        { state: 'read', value: { text: JSON.stringify({ cert: pem('ca.crt'), key: 42 }) } },
      ],
    ]);
    const reading = contentReadings([secret], [cert, key], values, { now: NOW, expiryHorizonDays: 30 }).get(
      secretKey(location),
    );
    expect(reading?.state === 'read' ? reading.items.map((entry) => entry.problems) : reading).toEqual([
      [],
      [
        {
          status: 'FAILED',
          code: 'item-missing',
          detail: 'ca-key is not in its secret: the JSON secret has no string key "key"',
        },
      ],
    ]);
  });
  it('cannot judge a key against a certificate its secret does not hold: that certificate fails on its own', () => {
    const problems = analyzeItem(
      item('ca-key', 'private-key', { certificate: 'ca-cert' }),
      options({
        'ca-key': read(pem('ca.key')),
        'ca-cert': { state: 'missing', reason: 'the JSON secret has no string key "cert"' },
      }),
    ).problems;
    expect(problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail:
          'ca-cert could not be read (ca-cert is not in its secret: the JSON secret has no string key "cert")',
      },
    ]);
  });
  it('fails an empty or blank value whatever its kind, and judges nothing else', () => {
    for (const kind of ['certificate', 'private-key', 'bundle', 'opaque'] as const) {
      expect(analyzeItem(item('x', kind), options({ x: read(' \n ') }))).toEqual({
        item: 'x',
        problems: [{ status: 'FAILED', code: 'empty', detail: 'x is empty' }],
        observed: {},
      });
    }
  });
  it('passes any non-empty opaque value without observing anything', () => {
    expect(analyzeItem(item('x', 'opaque'), options({ x: read('anything') }))).toEqual({
      item: 'x',
      problems: [],
      observed: {},
    });
  });
  it('observes a certificate expiry and fingerprint', () => {
    expect(analyzeItem(item('c', 'certificate'), options({ c: read(pem('ca.crt')) }))).toEqual({
      item: 'c',
      problems: [],
      observed: { 'c.notAfter': caNotAfter.toISOString(), 'c.sha256': caSha },
    });
  });
  it('fails a certificate item that holds only a private key, naming the item', () => {
    expect(analyzeItem(item('c', 'certificate'), options({ c: read(pem('ca.key')) })).problems).toEqual([
      { status: 'FAILED', code: 'not-pem', detail: 'c holds no PEM certificate' },
    ]);
    expect(analyzeItem(item('c', 'certificate'), options({ c: read('plain text') })).problems).toEqual([
      { status: 'FAILED', code: 'not-pem', detail: 'c holds no PEM certificate' },
    ]);
  });
  it('fails an item without jsonKey whose secret is a JSON object, saying to set jsonKey', () => {
    // Prepare: the JSON form of a multi-item secret, mapped without jsonKey (the canary in a value).
    const json = JSON.stringify({ cert: pem('ca.crt'), key: pem('ca.key'), note: CANARY });
    const expected = (id: string) => ({
      status: 'FAILED',
      code: 'json-without-key',
      detail: `${id}'s secret holds a JSON object, not the item itself: name the key that holds ${id} with jsonKey`,
    });
    // Act
    const cert = analyzeItem(item('c', 'certificate'), options({ c: read(json) }));
    const key = analyzeItem(item('k', 'private-key'), options({ k: read(json) }));
    const bundle = analyzeItem(item('b', 'bundle'), options({ b: read(json) }));
    // Assess: an opaque item may be JSON as it is.
    expect(cert.problems).toEqual([expected('c')]);
    expect(key.problems).toEqual([expected('k')]);
    expect(bundle.problems).toEqual([expected('b')]);
    expect(analyzeItem(item('o', 'opaque'), options({ o: read(json) })).problems).toEqual([]);
    expect(JSON.stringify([cert, key, bundle])).not.toContain(CANARY);
  });
  it('names the parser error code, never its message, for a certificate that does not parse', () => {
    const [problem] = analyzeItem(item('c', 'certificate'), options({ c: read(BAD_CERT) })).problems;
    expect(problem?.status).toBe('FAILED');
    expect(problem?.code).toBe('certificate-unparseable');
    expect(problem?.detail).toBe(
      `c's PEM certificate does not parse (${thrownCode(() => new X509Certificate(BAD_CERT))})`,
    );
  });
  it('says when an expired certificate expired', () => {
    expect(
      analyzeItem(item('old', 'certificate'), options({ old: read(pem('expired-ca.crt')) })).problems,
    ).toEqual([
      { status: 'FAILED', code: 'certificate-expired', detail: 'old expired on 2021-01-01T00:00:00.000Z' },
    ]);
  });
  it("reads validity dates from the certificate, not from OpenSSL's text: years 1 and 49 are not 2001 and 2049", () => {
    // OpenSSL prints a GeneralizedTime year below 1000 without padding ("Jan  1 00:00:00 49 GMT"),
    // which Date.parse reads as 2049: a certificate that expired in year 49 must not pass as valid.
    expect(
      analyzeItem(item('c', 'certificate'), options({ c: read(pem('year49-expired.crt')) })).problems,
    ).toEqual([
      { status: 'FAILED', code: 'certificate-expired', detail: 'c expired on 0049-01-01T00:00:00.000Z' },
    ]);
    expect(
      analyzeItem(
        item('b', 'bundle'),
        options({ b: read(pem('year49-expired.crt') + pem('ca.crt')) }),
      ).problems.map((problem) => `${problem.status}:${problem.code}`),
    ).toEqual(['WARNING:bundle-member-expired']);
  });
  it('treats the expiry instant as expired and a certificate valid for exactly the horizon as fine', () => {
    const c = item('c', 'certificate');
    const at = (now: Date) => analyzeItem(c, options({ c: read(pem('ca.crt')) }, { now })).problems;
    expect(at(caNotAfter)).toEqual([
      { status: 'FAILED', code: 'certificate-expired', detail: `c expired on ${caNotAfter.toISOString()}` },
    ]);
    expect(at(new Date(caNotAfter.getTime() - 1))).toEqual([
      {
        status: 'WARNING',
        code: 'certificate-expiring',
        detail: `c expires on ${caNotAfter.toISOString()}, within the 30-day horizon`,
      },
    ]);
    expect(at(new Date(caNotAfter.getTime() - 30 * 86_400_000 + 1))).toHaveLength(1);
    expect(at(new Date(caNotAfter.getTime() - 30 * 86_400_000))).toEqual([]);
  });
  it('fails a certificate that is not valid yet, naming from when, in an item and in a bundle', () => {
    // A backup whose certificate starts later than now restores nothing certctl can serve now: it
    // is not the certificate certctl runs with, and TLS and chain checks refuse it until then.
    const caNotBefore = new Date(new X509Certificate(pem('ca.crt')).validFrom);
    const before = new Date(caNotBefore.getTime() - 1);
    expect(
      analyzeItem(item('c', 'certificate'), options({ c: read(pem('ca.crt')) }, { now: before })).problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'certificate-not-yet-valid',
        detail: `c is not valid before ${caNotBefore.toISOString()}`,
      },
    ]);
    expect(
      analyzeItem(item('b', 'bundle'), options({ b: read(pem('ca.crt')) }, { now: before })).problems.map(
        (problem) => `${problem.status}:${problem.code}`,
      ),
    ).toEqual(['FAILED:certificate-not-yet-valid']);
    // From its first instant on, it is valid.
    expect(
      analyzeItem(item('c', 'certificate'), options({ c: read(pem('ca.crt')) }, { now: caNotBefore }))
        .problems,
    ).toEqual([]);
  });
  it('cannot judge the issuer when the issuer certificate could not be read or does not parse', () => {
    const ra = item('ra-cert', 'certificate', { issuer: 'ca-cert' });
    expect(
      analyzeItem(
        ra,
        options({ 'ra-cert': read(pem('ra.crt')), 'ca-cert': { state: 'unknown', reason: 'AccessDenied' } }),
      ).problems,
    ).toEqual([
      { status: 'NOT_AVAILABLE', code: 'partner-unread', detail: 'ca-cert could not be read (AccessDenied)' },
    ]);
    expect(
      analyzeItem(ra, options({ 'ra-cert': read(pem('ra.crt')), 'ca-cert': read('not a certificate') }))
        .problems,
    ).toEqual([{ status: 'NOT_AVAILABLE', code: 'not-pem', detail: 'ca-cert holds no PEM certificate' }]);
    // An issuer the analysis has no value for (not in the inventory) is not available, never chained.
    expect(analyzeItem(ra, options({ 'ra-cert': read(pem('ra.crt')) })).problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: 'ca-cert could not be read (it is not in the inventory)',
      },
    ]);
  });
  it('records the chain it verified, and claims none when the CA certificate is switched off', () => {
    const ra = item('ra-cert', 'certificate', { issuer: 'ca-cert' });
    const chained = analyzeItem(
      ra,
      options({ 'ra-cert': read(pem('ra.crt')), 'ca-cert': read(pem('ca.crt')) }),
    );
    expect(chained.problems).toEqual([]);
    expect(chained.proven).toEqual(['ra-cert is signed by ca-cert']);
    expect(chained.unchecked ?? []).toEqual([]);
    // The CA certificate switched off: the RA certificate is judged on its own, and says so.
    const alone = analyzeItem(
      item('ra-cert', 'certificate', { issuerOff: 'ca-cert' }),
      options({ 'ra-cert': read(pem('ra.crt')) }),
    );
    expect(alone.problems).toEqual([]);
    expect(alone.proven ?? []).toEqual([]);
    expect(alone.unchecked).toEqual([
      "ra-cert's signature by ca-cert (ca-cert is switched off in the inventory)",
    ]);
    expect(Object.keys(alone.observed).sort()).toEqual(['ra-cert.notAfter', 'ra-cert.sha256']);
  });
  it('names the issuer an RA certificate is not signed by', () => {
    const ra = item('ra-cert', 'certificate', { issuer: 'ca-cert' });
    // Same issuer name, another key: the name matches, the signature does not.
    expect(
      analyzeItem(ra, options({ 'ra-cert': read(pem('ra.crt')), 'ca-cert': read(pem('impostor-ca.crt')) }))
        .problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'not-issued-by-ca',
        detail:
          'ra-cert is not signed by the backed-up ca-cert, and no chain to it could be built from the certificates after the first in ra-cert: missing the CA certificate "CN=certctl test CA" that signed ra-cert',
      },
    ]);
    expect(
      analyzeItem(ra, options({ 'ra-cert': read(pem('ra.crt')), 'ca-cert': read(pem('tls.crt')) })).problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'not-issued-by-ca',
        detail:
          'ra-cert is not signed by the backed-up ca-cert, and no chain to it could be built from the certificates after the first in ra-cert: missing the CA certificate "CN=certctl test CA" that signed ra-cert',
      },
    ]);
  });
  it('says an RA certificate is signed by the CA key when the CA certificate only lacks keyCertSign', () => {
    // Prepare: the CA's name and key signed the RA certificate, but its keyUsage lacks keyCertSign,
    // so OpenSSL's checkIssued (and a verifier) refuses it as the issuer.
    const ra = item('ra-cert', 'certificate', { issuer: 'ca-cert' });
    const later = { now: new Date('2027-12-02T12:00:00Z') };
    // Act
    const content = analyzeItem(
      ra,
      options(
        { 'ra-cert': read(pem('no-cert-sign-ra.crt')), 'ca-cert': read(pem('no-cert-sign-ca.crt')) },
        later,
      ),
    );
    // Assess
    expect(content.problems).toEqual([
      {
        status: 'FAILED',
        code: 'issuer-unfit',
        detail:
          'ra-cert is signed by the key of the backed-up ca-cert, but ca-cert does not allow certificate signing (its key usage lacks keyCertSign, or it has none), so the chain is refused',
      },
    ]);
    expect(content.proven).toBeUndefined();
  });
  it('compares only the ca-cert item with the live CA, and records a match', () => {
    const live = {
      state: 'read' as const,
      fingerprint: caSha.replaceAll(':', '').toLowerCase(),
      source: 'x',
    };
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(pem('ca.crt')) }, { liveCa: live }),
      ).observed.liveCaMatches,
    ).toBe(true);
    const differs = {
      state: 'read' as const,
      fingerprint: '00'.repeat(32),
      source: 'EST cacerts at https://x',
    };
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(pem('ca.crt')) }, { liveCa: differs }),
      ).problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'live-ca-differs',
        detail: `the backed-up ca-cert is not the CA certificate certctl serves now: the backup holds CN=certctl test CA (SHA-256 ${new X509Certificate(pem('ca.crt')).fingerprint256}), and EST cacerts at https://x says SHA-256 ${'00:'.repeat(31)}00`,
      },
    ]);
    const other = analyzeItem(
      item('ra-cert', 'certificate'),
      options({ 'ra-cert': read(pem('ra.crt')) }, { liveCa: differs }),
    );
    expect(other.problems).toEqual([]);
    expect(other.observed.liveCaMatches).toBeUndefined();
  });
  it('is not available when the live CA could not be learned, saying why', () => {
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(pem('ca.crt')) }, { liveCa: { state: 'unknown', reason: 'HTTP 404' } }),
      ).problems,
    ).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'live-ca-unknown',
        detail: 'the CA certctl serves now could not be learned (HTTP 404)',
      },
    ]);
  });
  it('fails a ca-cert that is not a CA certificate, even with its key matching: certctl refuses to load it', () => {
    // The server TLS pair backed up as the CA pair: the key matches its certificate, but that
    // certificate says CA:FALSE, and certctl's sub-CA mode refuses it at start.
    const notCa = analyzeItem(item('ca-cert', 'certificate'), options({ 'ca-cert': read(pem('tls.crt')) }));
    expect(notCa.problems).toEqual([
      {
        status: 'FAILED',
        code: 'not-a-ca',
        detail:
          'ca-cert is not a CA certificate (its basic constraints do not say CA:TRUE), so certctl refuses to load it as its CA',
      },
    ]);
    const key = analyzeItem(
      item('ca-key', 'private-key', { certificate: 'ca-cert' }),
      options({ 'ca-key': read(pem('tls.key')), 'ca-cert': read(pem('tls.crt')) }),
    );
    expect(key.problems).toEqual([]);
    // Only the CA item must be a CA: an RA or TLS certificate is not one.
    expect(
      analyzeItem(item('scep-ra-cert', 'certificate'), options({ 'scep-ra-cert': read(pem('ra.crt')) }))
        .problems,
    ).toEqual([]);
    expect(
      analyzeItem(item('ca-cert', 'certificate'), options({ 'ca-cert': read(pem('int-ca.crt')) })).problems,
    ).toEqual([]);
  });
  it('names the missing keyCertSign, not CA:FALSE, for a ca-cert that says CA:TRUE with a key usage lacking it', () => {
    // Prepare: CA:TRUE, keyUsage digitalSignature and cRLSign (OpenSSL's CA flag is false for it too).
    const later = { now: new Date('2027-12-02T12:00:00Z') };
    // Act
    const content = analyzeItem(
      item('ca-cert', 'certificate'),
      options({ 'ca-cert': read(pem('no-cert-sign-ca.crt')) }, later),
    );
    // Assess
    expect(content.problems).toEqual([
      {
        status: 'FAILED',
        code: 'no-cert-sign',
        detail:
          'ca-cert does not allow certificate signing (its key usage lacks keyCertSign, or it has none), so certctl refuses to load it as its CA',
      },
    ]);
  });
  it('fails a ca-cert without keyCertSign in its key usage (or without key usage): certctl refuses it', () => {
    // `openssl req -x509` with OpenSSL's default configuration writes CA:TRUE without keyUsage; the
    // fixture was made that way, after the tests' clock, so it is judged a year on.
    const later = { now: new Date('2027-12-02T12:00:00Z') };
    const noUsage = analyzeItem(
      item('ca-key', 'private-key', { certificate: 'ca-cert' }),
      options(
        { 'ca-key': read(pem('no-key-usage-ca.key')), 'ca-cert': read(pem('no-key-usage-ca.crt')) },
        later,
      ),
    );
    expect(noUsage.problems).toEqual([]);
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(pem('no-key-usage-ca.crt')) }, later),
      ).problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'no-cert-sign',
        detail:
          'ca-cert does not allow certificate signing (its key usage lacks keyCertSign, or it has none), so certctl refuses to load it as its CA',
      },
    ]);
    // The test CA and the intermediate allow it; other certificates need not.
    for (const file of ['ca.crt', 'int-ca.crt']) {
      expect(
        analyzeItem(item('ca-cert', 'certificate'), options({ 'ca-cert': read(pem(file)) })).problems,
      ).toEqual([]);
    }
    expect(
      analyzeItem(
        item('server-tls-cert', 'certificate'),
        options({ 'server-tls-cert': read(pem('tls.crt')) }),
      ).problems,
    ).toEqual([]);
  });
  it('fails a CA certificate or CA key whose first PEM block is something else: certctl reads only the first', () => {
    // certctl loads CERTCTL_CA_CERT_PATH and CERTCTL_CA_KEY_PATH from their first PEM block (a
    // combined key-and-certificate file, or `openssl ecparam -genkey` output, which starts with the
    // curve's EC PARAMETERS).
    const ecParams = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    const combined = `${pem('ca.key')}${pem('ca.crt')}`;
    expect(
      analyzeItem(item('ca-cert', 'certificate'), options({ 'ca-cert': read(combined) })).problems,
    ).toEqual([
      {
        status: 'FAILED',
        code: 'first-block',
        detail:
          'the first PEM block of ca-cert is a PRIVATE KEY, not a CERTIFICATE, and certctl reads only the first block of its CA certificate file',
      },
    ]);
    const keyAfterCert = analyzeItem(
      item('ca-key', 'private-key', { certificate: 'ca-cert' }),
      options({ 'ca-key': read(`${pem('ca.crt')}${pem('ca.key')}`), 'ca-cert': read(pem('ca.crt')) }),
    );
    expect(keyAfterCert.problems).toEqual([
      {
        status: 'FAILED',
        code: 'first-block',
        detail:
          'the first PEM block of ca-key is a CERTIFICATE, not a private key (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY), and certctl reads only the first block of its CA key file',
      },
    ]);
    expect(
      analyzeItem(
        item('ca-key', 'private-key'),
        options({ 'ca-key': read(`${ecParams}${pem('other.key')}`) }),
      ).problems.map((problem) => problem.code),
    ).toEqual(['first-block']);
    // A type PEM does not define is part of the value, never quoted.
    const unknown = `-----BEGIN HUNTER2 SECRET-----\nAAAA\n-----END HUNTER2 SECRET-----\n${pem('ca.crt')}`;
    const [named] = analyzeItem(
      item('ca-cert', 'certificate'),
      options({ 'ca-cert': read(unknown) }),
    ).problems;
    expect(named?.detail).toBe(
      'the first PEM block of ca-cert is a PEM block of another type, not a CERTIFICATE, and certctl reads only the first block of its CA certificate file',
    );
    // Text around the blocks is no block; other items (a TLS pair: Go's tls.X509KeyPair skips
    // other blocks) may hold them in any order.
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(`# CA\n${pem('ca.crt')}${pem('ca.key')}`) }),
      ).problems,
    ).toEqual([]);
    expect(
      analyzeItem(
        item('server-tls-key', 'private-key', { certificate: 'server-tls-cert' }),
        options({
          'server-tls-key': read(`${pem('tls.crt')}${ecParams}${pem('tls.key')}`),
          'server-tls-cert': read(`${pem('tls.key')}${pem('tls.crt')}`),
        }),
      ).problems,
    ).toEqual([]);
  });
  it('fails a private-key item that holds only a certificate, naming the item', () => {
    expect(analyzeItem(item('k', 'private-key'), options({ k: read(pem('ca.crt')) })).problems).toEqual([
      { status: 'FAILED', code: 'not-pem', detail: 'k holds no PEM private key' },
    ]);
  });
  it('reports a legacy encrypted key (Proc-Type) as not checkable, with the reason', () => {
    const legacy =
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n';
    expect(analyzeItem(item('k', 'private-key'), options({ k: read(legacy) })).problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'key-encrypted',
        detail: 'k is an encrypted private key; without its passphrase it cannot be checked',
      },
    ]);
  });
  it('names the parser error code for a private key that does not parse', () => {
    const [problem] = analyzeItem(item('k', 'private-key'), options({ k: read(BAD_KEY) })).problems;
    expect(problem?.status).toBe('FAILED');
    expect(problem?.code).toBe('key-unparseable');
    expect(problem?.detail).toBe(
      `k's PEM private key does not parse or is of an unsupported type (${thrownCode(() => createPrivateKey(BAD_KEY))})`,
    );
  });
  it('observes the key type and judges a key against a certificate it cannot read as not available', () => {
    const key = item('ra-key', 'private-key', { certificate: 'ra-cert' });
    const unread = analyzeItem(
      key,
      options({ 'ra-key': read(pem('ra.key')), 'ra-cert': { state: 'unknown', reason: 'denied' } }),
    );
    expect(unread.observed).toEqual({ 'ra-key.type': 'ec' });
    expect(unread.problems).toEqual([
      { status: 'NOT_AVAILABLE', code: 'partner-unread', detail: 'ra-cert could not be read (denied)' },
    ]);
    expect(
      analyzeItem(key, options({ 'ra-key': read(pem('ra.key')), 'ra-cert': read('garbage') })).problems,
    ).toEqual([{ status: 'NOT_AVAILABLE', code: 'not-pem', detail: 'ra-cert holds no PEM certificate' }]);
    expect(
      analyzeItem(key, options({ 'ra-key': read(pem('other.key')), 'ra-cert': read(pem('ra.crt')) }))
        .problems,
    ).toEqual([
      { status: 'FAILED', code: 'key-mismatch', detail: 'ra-key does not match the certificate in ra-cert' },
    ]);
    // A certificate the analysis has no value for (not in the inventory): not available, never matched.
    expect(analyzeItem(key, options({ 'ra-key': read(pem('other.key')) })).problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: 'ra-cert could not be read (it is not in the inventory)',
      },
    ]);
  });
  it("fails a key that carries its certificate's public key but whose private half is another key's", () => {
    // SEC 1 keeps the public point beside the private scalar; OpenSSL's check compares only the
    // public point, while Go derives it from the scalar and refuses the pair. Splice another
    // key's scalar into the RA key: the public part still matches ra.crt, the key cannot sign for it.
    const sec1 = (text: string) => createPrivateKey(text).export({ format: 'der', type: 'sec1' });
    const scalarAt = (der: Buffer) => der.indexOf(Buffer.from([0x04, 0x20])) + 2;
    const own = sec1(pem('ra.key'));
    const other = sec1(pem('other.key'));
    const spliced = Buffer.from(own);
    other.copy(spliced, scalarAt(own), scalarAt(other), scalarAt(other) + 32);
    const body = spliced.toString('base64').replace(/(.{64})/g, '$1\n');
    const key = `-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`;
    const content = analyzeItem(
      item('ra-key', 'private-key', { certificate: 'ra-cert' }),
      options({ 'ra-key': read(key), 'ra-cert': read(pem('ra.crt')) }),
    );
    expect(content.problems).toEqual([
      { status: 'FAILED', code: 'key-mismatch', detail: 'ra-key does not match the certificate in ra-cert' },
    ]);
    expect(content.proven ?? []).toEqual([]);
  });
  it('records the certificate a key was compared with and matches', () => {
    const matched = analyzeItem(
      item('ra-key', 'private-key', { certificate: 'ra-cert' }),
      options({ 'ra-key': read(pem('ra.key')), 'ra-cert': read(pem('ra.crt')) }),
    );
    expect(matched.problems).toEqual([]);
    expect(matched.proven).toEqual(['ra-key matches ra-cert']);
    const live = { state: 'read' as const, fingerprint: caSha, source: 'x' };
    expect(
      analyzeItem(
        item('ca-cert', 'certificate'),
        options({ 'ca-cert': read(pem('ca.crt')) }, { liveCa: live }),
      ).proven,
    ).toEqual(['ca-cert is the CA certificate certctl serves now']);
    // A key with no certificate to match (an OCSP responder key) claims no pairing.
    const ocsp = analyzeItem(
      item('ocsp-key.x', 'private-key'),
      options({ 'ocsp-key.x': read(pem('ra.key')) }),
    );
    expect(ocsp.problems).toEqual([]);
    expect(ocsp.proven ?? []).toEqual([]);
  });
  it('is not available, never matched, when the certificate a key must match is switched off in the inventory', () => {
    // Act
    const content = analyzeItem(
      item('ca-key', 'private-key', { certificateOff: 'ca-cert' }),
      options({ 'ca-key': read(pem('ca.key')) }),
    );
    // Assess
    expect(content.problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-off',
        detail: 'ca-key was not compared with a certificate: ca-cert is switched off in the inventory',
      },
    ]);
    expect(content.observed).toEqual({ 'ca-key.type': 'rsa' });
    expect(content.proven ?? []).toEqual([]);
  });
  it('fails a bundle with no certificate, naming it', () => {
    expect(analyzeItem(item('b', 'bundle'), options({ b: read(pem('ca.key')) })).problems).toEqual([
      { status: 'FAILED', code: 'not-pem', detail: 'b holds no PEM certificate' },
    ]);
  });
  it('names each bundle certificate by its subject on one line and its fingerprint, and counts those that do not parse', () => {
    const member = new X509Certificate(pem('two-rdn.crt'));
    const memberNotAfter = new Date(member.validTo);
    const expiredSha = new X509Certificate(pem('expired-ca.crt')).fingerprint256;
    const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const content = analyzeItem(
      item('b', 'bundle'),
      options(
        { b: read(pem('two-rdn.crt') + garbage + pem('expired-ca.crt')) },
        { now: new Date(memberNotAfter.getTime() - 86_400_000) },
      ),
    );
    expect(content.observed).toEqual({ 'b.certificates': 3, 'b.valid': 1 });
    expect(content.problems).toEqual([
      {
        status: 'WARNING',
        code: 'certificate-expiring',
        detail: `b (O=certctl, CN=bundle member, SHA-256 ${member.fingerprint256}) expires on ${memberNotAfter.toISOString()}, within the 30-day horizon`,
      },
      {
        status: 'WARNING',
        code: 'bundle-member-expired',
        detail: `b (CN=certctl expired CA, SHA-256 ${expiredSha}) expired on 2021-01-01T00:00:00.000Z`,
      },
      { status: 'FAILED', code: 'bundle-unparseable', detail: '1 of 3 certificates in b do not parse' },
    ]);
  });
});

describe('pkcs7Certificates and servedIssuingCa', () => {
  const der = (file: string) => Buffer.from(new X509Certificate(pem(file)).raw);
  const fingerprint = (file: string) => new X509Certificate(pem(file)).fingerprint256;
  /** A DER node with a short-form length. */
  const node = (tag: number, ...content: number[]) => [tag, content.length, ...content];
  /** The content of id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 §5.1). */
  const SIGNED_DATA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

  it('returns each certificate of a PKCS#7 certs-only message as its DER', () => {
    const certs = pkcs7Certificates(readFileSync('test/fixtures/keys/ra-ca.p7b'));
    expect(certs.map((cert) => cert.toString('hex'))).toEqual([
      der('ra.crt').toString('hex'),
      der('ca.crt').toString('hex'),
    ]);
  });
  it('returns no certificate when the SignedData has none', () => {
    // ContentInfo { OID, [0] { SignedData { INTEGER 1, SET {} } } }
    const signedData = node(0x30, ...node(0x02, 1), ...node(0x31));
    const message = node(0x30, ...node(0x06, ...SIGNED_DATA), ...node(0xa0, ...signedData));
    expect(pkcs7Certificates(Uint8Array.from(message))).toEqual([]);
  });
  it('skips what is not a certificate inside the certificates set', () => {
    const signedData = node(0x30, ...node(0x02, 1), ...node(0xa0, ...node(0x02, 5)));
    const message = node(0x30, ...node(0x06, ...SIGNED_DATA), ...node(0xa0, ...signedData));
    expect(pkcs7Certificates(Uint8Array.from(message))).toEqual([]);
  });
  it('refuses a message that is not a PKCS#7 ContentInfo, has no SignedData, or is cut short', () => {
    const parse = (bytes: number[]) => () => pkcs7Certificates(Uint8Array.from(bytes));
    expect(parse([])).toThrow(new RangeError('truncated DER'));
    expect(parse([0x30])).toThrow(new RangeError('truncated DER'));
    expect(parse([0x30, 0x05, 0x00])).toThrow(new RangeError('truncated DER'));
    // Longer than the buffer, though what follows would parse: the length check alone catches it.
    expect(parse([0x30, 0x03, 0x06, 0x01])).toThrow(new RangeError('truncated DER'));
    expect(parse([0x30, 0x80])).toThrow(new RangeError('unsupported DER length'));
    expect(parse([0x30, 0x85, 0, 0, 0, 0, 0])).toThrow(new RangeError('unsupported DER length'));
    expect(parse([0x30, 0x81, 0x02, 0x05, 0x00])).toThrow(new RangeError('not a PKCS#7 ContentInfo'));
    expect(parse(node(0x30, ...node(0x06, ...SIGNED_DATA), ...node(0x04)))).toThrow(
      new RangeError('not a PKCS#7 ContentInfo'),
    );
    expect(parse(node(0x30, ...node(0x06, ...SIGNED_DATA), ...node(0xa0)))).toThrow(
      new RangeError('no SignedData'),
    );
  });
  it('refuses a ContentInfo that is not a SignedData, naming its content type', () => {
    // ContentInfo { <oid>, [0] { SEQUENCE { INTEGER 1 } } }
    const message = (...oid: number[]) =>
      Uint8Array.from(node(0x30, ...node(0x06, ...oid), ...node(0xa0, ...node(0x30, ...node(0x02, 1)))));
    const data = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    expect(() => pkcs7Certificates(message(...data))).toThrow(
      new Pkcs7ContentTypeError(Uint8Array.from(data)),
    );
    expect(() => pkcs7Certificates(message(...data))).toThrow(
      'a PKCS#7 message of content type data (1.2.840.113549.1.7.1), not signedData (1.2.840.113549.1.7.2)',
    );
    // An OID outside PKCS#7 (1.3.6.1.5.5.7.12.3, CMC's id-cct-PKIResponse) by its number; a broken one says so.
    expect(() => pkcs7Certificates(message(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x0c, 0x03))).toThrow(
      'a PKCS#7 message of content type 1.3.6.1.5.5.7.12.3, not signedData',
    );
    expect(() => pkcs7Certificates(message(0x2a, 0x86))).toThrow(
      'a PKCS#7 message whose content type is no readable OID, not signedData',
    );
    expect(() => servedIssuingCa(message(...data))).toThrow(Pkcs7ContentTypeError);
  });
  it('reads a long-form length of one to four bytes', () => {
    // The same empty SignedData with its lengths written in long form.
    const message = [0x30, 0x84, 0, 0, 0, 18, 0x06, 0x81, 9, ...SIGNED_DATA, 0xa0, 0x82, 0, 2, 0x30, 0];
    expect(pkcs7Certificates(Uint8Array.from(message))).toEqual([]);
  });
  it('finds the issuing CA of a DER certificate or a PKCS#7 chain: a lone certificate, else the CA certificate that issued no other', () => {
    const found = (file: string) => ({
      state: 'found',
      subject: new X509Certificate(pem(file)).subject.replaceAll('\n', ', '),
      fingerprint: fingerprint(file),
    });
    expect(servedIssuingCa(der('ca.crt'))).toEqual(found('ca.crt'));
    expect(servedIssuingCa(der('ra.crt'))).toEqual(found('ra.crt'));
    expect(servedIssuingCa(readFileSync('test/fixtures/keys/ra-ca.p7b'))).toEqual(found('ca.crt'));
    expect(servedIssuingCa(readFileSync('test/fixtures/keys/ra.p7b'))).toEqual(found('ra.crt'));
    expect(servedIssuingCa(readFileSync('test/fixtures/keys/ca-int.p7b'))).toEqual(found('int-ca.crt'));
    expect(servedIssuingCa(readFileSync('test/fixtures/keys/ra-ca-int.p7b'))).toEqual(found('int-ca.crt'));
  });
  it('is ambiguous, naming the candidates, rather than guessing an issuing CA', () => {
    const named = (file: string) => ({
      subject: new X509Certificate(pem(file)).subject.replaceAll('\n', ', '),
      fingerprint: fingerprint(file),
    });
    expect(servedIssuingCa(readFileSync('test/fixtures/keys/two-cas.p7b'))).toEqual({
      state: 'ambiguous',
      candidates: [named('ca.crt'), named('expired-ca.crt')],
      why: 'none of them issued another served CA certificate',
    });
    // Two CAs certifying each other: each issued the other, so neither is the bottom of a chain.
    const cross = servedIssuingCa(readFileSync('test/fixtures/keys/cross.p7b'));
    expect(cross.state === 'ambiguous' && cross.why).toBe('each issued another served CA certificate');
    expect(cross.state === 'ambiguous' && cross.candidates.map((candidate) => candidate.subject)).toEqual([
      'CN=certctl cross a',
      'CN=certctl cross b',
    ]);
    // An RA certificate and a TLS certificate: neither is a CA certificate.
    const signedData = (...certs: Buffer[]) => {
      const node = (tag: number, content: Buffer) => {
        const length = content.length;
        const head = length < 128 ? [tag, length] : [tag, 0x82, length >> 8, length & 0xff];
        return Buffer.concat([Buffer.from(head), content]);
      };
      const set = node(0xa0, Buffer.concat(certs));
      const body = node(0x30, Buffer.concat([node(0x02, Buffer.from([1])), set]));
      return node(0x30, Buffer.concat([node(0x06, Buffer.from(SIGNED_DATA)), node(0xa0, body)]));
    };
    expect(servedIssuingCa(signedData(der('ra.crt'), der('tls.crt')))).toEqual({
      state: 'ambiguous',
      candidates: [named('ra.crt'), named('tls.crt')],
      why: 'none of them is a CA certificate (CA:TRUE)',
    });
    // The same certificate twice is one certificate.
    expect(servedIssuingCa(signedData(der('ca.crt'), der('ca.crt')))).toMatchObject({ state: 'found' });
    expect(servedIssuingCa(signedData())).toEqual({ state: 'none' });
  });
});

describe('a partner switched off in the policy inventory', () => {
  it('leaves the CA key not available, naming the CA certificate, from the policy to the reading', () => {
    // Prepare: the CA certificate switched off, the CA key backed up.
    const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}`;
    const on = { secret: ARN('certctl/on') };
    const keys = parsePolicy({
      keys: {
        inspectSecretValues: true,
        items: {
          'ca-cert': { off: 'the CA certificate is published, not backed up' },
          'ca-key': { secret: ARN('certctl/ca-key') },
          'scep-ra-cert': { off: 'SCEP is not enabled here' },
          'scep-ra-key': { off: 'SCEP is not enabled here' },
          'server-tls-cert': on,
          'server-tls-key': on,
          'api-keys': on,
          'config-encryption-key': on,
          'ocsp-key.iss-local': on,
        },
      },
    }).keys;
    if (!keys) throw new Error('expected a keys section');
    const inventory = keyInventory(keys);
    const caKeySecret = inventorySecrets(inventory).filter((secret) =>
      secret.items.some((entry) => entry.id === 'ca-key'),
    );
    const values = new Map<string, ValueReading>([
      [secretKey(caKeySecret[0]?.location ?? location), { state: 'read', value: { text: pem('ca.key') } }],
    ]);
    // Act
    const readings = contentReadings(caKeySecret, inventory, values, { now: NOW, expiryHorizonDays: 30 });
    // Assess
    const reading = [...readings.values()][0];
    expect(reading?.state === 'read' && reading.items).toEqual([
      {
        item: 'ca-key',
        problems: [
          {
            status: 'NOT_AVAILABLE',
            code: 'partner-off',
            detail: 'ca-key was not compared with a certificate: ca-cert is switched off in the inventory',
          },
        ],
        observed: { 'ca-key.type': 'rsa' },
      },
    ]);
  });
});

describe('the inventory helpers', () => {
  const at = (name: string) => ({ ...location, secretId: name, name });
  const caCert = item('ca-cert', 'certificate', { location: at('ca') });
  const caKey = item('ca-key', 'private-key', { location: at('ca'), certificate: 'ca-cert', jsonKey: 'key' });
  const raCert = item('ra-cert', 'certificate', { location: at('ra'), issuer: 'ca-cert' });
  const raKey = item('ra-key', 'private-key', { location: at('ra-key'), certificate: 'ra-cert' });
  const lone = item('lone', 'opaque', { location: at('lone'), certificate: 'not-in-inventory' });
  const inventory = [caCert, raCert, caKey, raKey, lone];

  it('names the items of a secret without values, with the JSON key and the items each pairs with only when there are', () => {
    expect(itemRefs({ location: at('ca'), items: [caCert, caKey] })).toEqual([
      { id: 'ca-cert', kind: 'certificate', source: 'ca-cert' },
      { id: 'ca-key', kind: 'private-key', source: 'ca-key', jsonKey: 'key', certificate: 'ca-cert' },
    ]);
    expect(itemRefs({ location: at('ra'), items: [raCert] })).toEqual([
      { id: 'ra-cert', kind: 'certificate', source: 'ra-cert', issuer: 'ca-cert' },
    ]);
    const offPartner = item('ra-key', 'private-key', { location: at('ra-key'), certificateOff: 'ra-cert' });
    expect(itemRefs({ location: at('ra-key'), items: [offPartner] })).toEqual([
      { id: 'ra-key', kind: 'private-key', source: 'ra-key', certificate: 'ra-cert' },
    ]);
  });
  it('groups the inventory by secret in inventory order', () => {
    expect(inventorySecrets(inventory)).toEqual([
      { location: at('ca'), items: [caCert, caKey] },
      { location: at('ra'), items: [raCert] },
      { location: at('ra-key'), items: [raKey] },
      { location: at('lone'), items: [lone] },
    ]);
  });
  it('makes a keys policy’s inventory and secrets once, as keyInventory and inventorySecrets make them', () => {
    const keys = parsePolicy({
      keys: {
        preset: 'none',
        items: {
          a: { kind: 'opaque', secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/a' },
          b: { kind: 'opaque', secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/a' },
          c: { kind: 'opaque', secret: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:certctl/c' },
        },
      },
    }).keys;
    if (!keys) throw new Error('no keys policy');
    const made = keysInventoryOf(keys);
    expect(made.inventory).toEqual(keyInventory(keys));
    expect(made.secrets).toEqual(inventorySecrets(keyInventory(keys)));
    expect(made.secrets).toHaveLength(2);
    expect(keysInventoryOf(keys)).toBe(made);
  });
  it('adds the secrets of partner items, with all their items, once', () => {
    const ra = { location: at('ra'), items: [raCert] };
    const raKeySecret = { location: at('ra-key'), items: [raKey] };
    expect(secretsToRead([raKeySecret], inventory)).toEqual([
      { location: at('ra-key'), items: [raKey] },
      { location: at('ra'), items: [raCert] },
    ]);
    expect(secretsToRead([ra], inventory)).toEqual([
      { location: at('ra'), items: [raCert] },
      { location: at('ca'), items: [caCert, caKey] },
    ]);
    // A secret already asked for stays as given, even with only some of its items.
    expect(secretsToRead([{ location: at('ca'), items: [caKey] }], inventory)).toEqual([
      { location: at('ca'), items: [caKey] },
    ]);
    // A partner in the same secret, or one the inventory does not have, adds nothing.
    expect(secretsToRead(inventorySecrets([caCert, caKey, lone]), inventory)).toEqual(
      inventorySecrets([caCert, caKey, lone]),
    );
  });
  it('says a secret that does not exist is absent, and one that could not be read is unknown', () => {
    const resource = {
      provider: 'aws' as const,
      account: '111111111111',
      region: 'eu-west-1',
      type: 'AwsSecretsManagerSecret' as const,
      id: 'ca',
    };
    const secret = { location: at('ca'), items: [caCert] };
    const absent = { state: 'unknown', reason: 'the secret does not exist' };
    expect(unreadSecretFact(resource, secret, { absent: true }, { state: 'not-inspected' })).toEqual({
      resource,
      items: [{ id: 'ca-cert', kind: 'certificate', source: 'ca-cert' }],
      existence: { state: 'read', value: false },
      encryption: absent,
      replication: absent,
      content: { state: 'not-inspected' },
    });
    const denied = { state: 'unknown', reason: 'AccessDeniedException' };
    expect(
      unreadSecretFact(resource, secret, { reason: 'AccessDeniedException' }, { state: 'not-inspected' }),
    ).toEqual({
      resource,
      items: [{ id: 'ca-cert', kind: 'certificate', source: 'ca-cert' }],
      existence: denied,
      encryption: denied,
      replication: denied,
      content: { state: 'not-inspected' },
    });
  });
  it('analyzes each read secret with its partners, then zeroes binary values and forgets them', () => {
    const binary = new TextEncoder().encode(JSON.stringify({ key: pem('ca.key') }));
    const values = new Map<string, ValueReading>([
      [secretKey(at('ca')), { state: 'read', value: { binary } }],
      [secretKey(at('ra')), { state: 'unknown', reason: 'AccessDeniedException' }],
      [secretKey(at('ra-key')), { state: 'read', value: { text: pem('ra.key') } }],
    ]);
    const secrets = inventorySecrets(inventory);
    const readings = contentReadings(secrets, inventory, values, { now: NOW, expiryHorizonDays: 30 });
    expect(values.size).toBe(0);
    expect(binary.every((byte) => byte === 0)).toBe(true);
    expect([...readings.keys()]).toEqual(secrets.map((secret) => secretKey(secret.location)));
    const ca = readings.get(secretKey(at('ca')));
    // The CA certificate item (no jsonKey) reads the whole JSON text, which is not the item; the
    // key item its key, which is no certificate.
    expect(ca?.state === 'read' && ca.items.map((content) => content.problems.map((p) => p.code))).toEqual([
      ['json-without-key'],
      ['not-pem'],
    ]);
    expect(readings.get(secretKey(at('ra')))).toEqual({ state: 'unknown', reason: 'AccessDeniedException' });
    const raKeyReading = readings.get(secretKey(at('ra-key')));
    expect(raKeyReading?.state === 'read' && raKeyReading.items[0]?.problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: 'ra-cert could not be read (AccessDeniedException)',
      },
    ]);
    expect(readings.get(secretKey(at('lone')))).toEqual({ state: 'not-inspected' });
  });
  it('judges a key against its certificate held in another secret', () => {
    const values = new Map<string, ValueReading>([
      [secretKey(at('ra')), { state: 'read', value: { text: pem('ra.crt') } }],
      [secretKey(at('ra-key')), { state: 'read', value: { text: pem('other.key') } }],
    ]);
    const readings = contentReadings([{ location: at('ra-key'), items: [raKey] }], inventory, values, {
      now: NOW,
      expiryHorizonDays: 30,
    });
    const reading = readings.get(secretKey(at('ra-key')));
    expect(reading?.state === 'read' && reading.items[0]?.problems.map((p) => p.code)).toEqual([
      'key-mismatch',
    ]);
    expect(readings.size).toBe(1);
  });
  it('reads the trust bundles beside an RA certificate and chains it through an intermediate one holds', () => {
    const bundle = item('trust-bundle.corp', 'bundle', { location: at('bundle') });
    const withBundle = [...inventory, bundle];
    // The bundle's secret is read with the RA certificate's (it may hold the intermediates), once.
    expect(secretsToRead([{ location: at('ra'), items: [raCert] }], withBundle)).toEqual([
      { location: at('ra'), items: [raCert] },
      { location: at('ca'), items: [caCert, caKey] },
      { location: at('bundle'), items: [bundle] },
    ]);
    // A secret without a certificate to chain reads no bundle.
    expect(secretsToRead([{ location: at('ra-key'), items: [raKey] }], withBundle)).toEqual([
      { location: at('ra-key'), items: [raKey] },
      { location: at('ra'), items: [raCert] },
    ]);
    const values = new Map<string, ValueReading>([
      [secretKey(at('ra')), { state: 'read', value: { text: pem('chain-ra.crt') } }],
      [secretKey(at('ca')), { state: 'read', value: { text: pem('ca.crt') } }],
      [secretKey(at('bundle')), { state: 'read', value: { text: pem('chain-int.crt') } }],
    ]);
    const readings = contentReadings([{ location: at('ra'), items: [raCert] }], withBundle, values, {
      now: NOW,
      expiryHorizonDays: 30,
    });
    const reading = readings.get(secretKey(at('ra')));
    expect(reading?.state === 'read' && reading.items[0]?.problems).toEqual([]);
    expect(reading?.state === 'read' && reading.items[0]?.proven?.[0]).toMatch(
      /^ra-cert is signed by ca-cert through 1 intermediate CA certificate \(CN=certctl RA intermediate, SHA-256 /,
    );
  });
  it('is not available, never matched, when the certificate a key must match was not read (its secret does not exist)', () => {
    // Prepare: the adapters read no value of a partner secret that does not exist.
    const values = new Map<string, ValueReading>([
      [secretKey(at('ra-key')), { state: 'read', value: { text: pem('other.key') } }],
    ]);
    // Act
    const readings = contentReadings([{ location: at('ra-key'), items: [raKey] }], inventory, values, {
      now: NOW,
      expiryHorizonDays: 30,
    });
    // Assess
    const reading = readings.get(secretKey(at('ra-key')));
    expect(reading?.state === 'read' && reading.items[0]?.problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: 'ra-cert could not be read (no value was read from its secret)',
      },
    ]);
  });
  it('cannot judge a key against a certificate that is not in the inventory, nor when its secret was not read', () => {
    const stray = item('stray-key', 'private-key', {
      location: at('ra-key'),
      certificate: 'not-in-inventory',
    });
    const values = (): Map<string, ValueReading> =>
      new Map([[secretKey(at('ra-key')), { state: 'read', value: { text: pem('other.key') } }]]);
    const problems = (subject: InventoryItem) => {
      const readings = contentReadings(
        [{ location: at('ra-key'), items: [subject] }],
        [...inventory, stray],
        values(),
        {
          now: NOW,
          expiryHorizonDays: 30,
        },
      );
      const reading = readings.get(secretKey(at('ra-key')));
      return reading?.state === 'read' ? reading.items[0]?.problems : undefined;
    };
    expect(problems(stray)).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: 'not-in-inventory could not be read (it is not in the inventory)',
      },
    ]);
    // A partner in the inventory whose secret gave no value is not available, never matched.
    expect(problems(raKey)?.map((problem) => problem.code)).toEqual(['partner-unread']);
  });
});

describe('analyzeItem, an RA certificate below an intermediate CA', () => {
  // certctl reads the first CERTIFICATE block of the RA file as the RA certificate and carries the
  // rest as its chain (shankar0123/certctl cmd/server/main.go loadSCEPRAPair, tls.X509KeyPair).
  const ra = item('scep-ra-cert', 'certificate', { issuer: 'ca-cert' });
  const check = (values: Record<string, string>, bundles: readonly string[] = []) =>
    analyzeItem(ra, {
      now: NOW,
      expiryHorizonDays: 30,
      valueOf: (id): ItemValue | undefined =>
        values[id] === undefined ? undefined : { state: 'read', text: values[id] },
      chainSources: bundles,
    });
  const named = (file: string) => {
    const cert = new X509Certificate(pem(file));
    return `${cert.subject.replaceAll('\n', ', ')}, SHA-256 ${cert.fingerprint256}`;
  };

  it('passes an RA certificate whose file carries the intermediate after it, naming the chain', () => {
    const content = check({
      'scep-ra-cert': pem('chain-ra.crt') + pem('chain-int.crt'),
      'ca-cert': pem('ca.crt'),
    });
    expect(codes(content)).toEqual([]);
    expect(content.proven).toEqual([
      `scep-ra-cert is signed by ca-cert through 1 intermediate CA certificate (${named('chain-int.crt')})`,
    ]);
  });
  it('passes a chain of two intermediates in any order, taken from the RA file and a trust bundle', () => {
    const content = check(
      {
        'scep-ra-cert': pem('chain-ra2.crt') + pem('chain-int.crt'),
        'ca-cert': pem('ca.crt'),
        'trust-bundle.corp': pem('tls.crt') + pem('chain-int2.crt'),
      },
      ['trust-bundle.corp'],
    );
    expect(codes(content)).toEqual([]);
    expect(content.proven).toEqual([
      `scep-ra-cert is signed by ca-cert through 2 intermediate CA certificates (${named('chain-int2.crt')}; ${named('chain-int.crt')})`,
    ]);
  });
  it('fails, naming the missing issuer, when no intermediate links the RA certificate to the CA', () => {
    const content = check(
      {
        'scep-ra-cert': pem('chain-ra2.crt') + pem('chain-int.crt'),
        'ca-cert': pem('ca.crt'),
        'trust-bundle.corp': pem('tls.crt'),
      },
      ['trust-bundle.corp'],
    );
    expect(content.problems).toEqual([
      {
        status: 'FAILED',
        code: 'not-issued-by-ca',
        detail:
          'scep-ra-cert is not signed by the backed-up ca-cert, and no chain to it could be built from the certificates after the first in scep-ra-cert or in trust-bundle.corp: missing the CA certificate "CN=certctl RA intermediate 2" that signed scep-ra-cert',
      },
    ]);
  });
  it('fails a chain through an intermediate that is no CA, cannot sign certificates, or is not valid now', () => {
    const through = (ra: string, int: string) =>
      check({ 'scep-ra-cert': pem(ra) + pem(int), 'ca-cert': pem('ca.crt') }).problems;
    expect(through('chain-ra-notca.crt', 'chain-int-notca.crt')).toEqual([
      {
        status: 'FAILED',
        code: 'intermediate-unfit',
        detail: `scep-ra-cert chains to ca-cert only through ${named('chain-int-notca.crt')}, which is not a CA certificate (its basic constraints do not say CA:TRUE)`,
      },
    ]);
    expect(through('chain-ra-nosign.crt', 'chain-int-nosign.crt')).toEqual([
      {
        status: 'FAILED',
        code: 'intermediate-unfit',
        detail: `scep-ra-cert chains to ca-cert only through ${named('chain-int-nosign.crt')}, which does not allow certificate signing (its key usage lacks keyCertSign, or it has none)`,
      },
    ]);
    expect(through('chain-ra-expired-int.crt', 'chain-int-expired.crt')).toEqual([
      {
        status: 'FAILED',
        code: 'intermediate-unfit',
        detail: `scep-ra-cert chains to ca-cert only through ${named('chain-int-expired.crt')}, which is not valid now (valid from 2020-01-01T00:00:00.000Z to 2021-01-01T00:00:00.000Z)`,
      },
    ]);
  });
  it('is not available, never failed, when a trust bundle that could hold the link was not read', () => {
    const content = analyzeItem(ra, {
      now: NOW,
      expiryHorizonDays: 30,
      valueOf: (id): ItemValue | undefined =>
        id === 'trust-bundle.corp'
          ? { state: 'unknown', reason: 'AccessDenied' }
          : (
              {
                'scep-ra-cert': { state: 'read', text: pem('chain-ra.crt') },
                'ca-cert': { state: 'read', text: pem('ca.crt') },
              } as Record<string, ItemValue>
            )[id],
      chainSources: ['trust-bundle.corp'],
    });
    expect(content.problems).toEqual([
      {
        status: 'NOT_AVAILABLE',
        code: 'chain-unknown',
        detail:
          'scep-ra-cert is not signed by the backed-up ca-cert directly, and what could hold an intermediate CA certificate between them could not be read: trust-bundle.corp (AccessDenied)',
      },
    ]);
  });
  it('never quotes the PEM text of the RA file or of an intermediate', () => {
    const body = (file: string) => pem(file).split('\n')[1] ?? '';
    for (const values of [
      {
        'scep-ra-cert': `${pem('chain-ra.crt')}${pem('chain-int.crt')}# ${CANARY}\n`,
        'ca-cert': pem('ca.crt'),
      },
      { 'scep-ra-cert': `${pem('chain-ra2.crt')}# ${CANARY}\n`, 'ca-cert': pem('ca.crt') },
      {
        'scep-ra-cert': `${pem('chain-ra-nosign.crt')}${pem('chain-int-nosign.crt')}# ${CANARY}\n`,
        'ca-cert': pem('ca.crt'),
      },
    ]) {
      const text = JSON.stringify(check(values));
      expect(text).not.toContain(CANARY);
      for (const file of [
        'chain-ra.crt',
        'chain-int.crt',
        'chain-ra2.crt',
        'chain-int-nosign.crt',
        'ca.crt',
      ]) {
        expect(text).not.toContain(body(file));
      }
    }
  });
});

describe('analyzeItem, a trust-anchor bundle', () => {
  // A bundle is a set of trust anchors: a restore works while one of them is valid, so an expired
  // (or not yet valid) member warns, naming it, and only a bundle with no valid member fails.
  const bundle = item('b', 'bundle');
  const run = (text: string, now: Date = NOW) =>
    analyzeItem(bundle, {
      now,
      expiryHorizonDays: 30,
      valueOf: (id) => (id === 'b' ? { state: 'read', text } : undefined),
    });
  const cert = (file: string) => new X509Certificate(pem(file));
  const expired = cert('expired-ca.crt');
  const ca = cert('ca.crt');

  it('warns, naming the expired member by subject and fingerprint, when another member is valid', () => {
    const content = run(pem('ca.crt') + pem('expired-ca.crt'));
    expect(content.problems).toEqual([
      {
        status: 'WARNING',
        code: 'bundle-member-expired',
        detail: `b (CN=certctl expired CA, SHA-256 ${expired.fingerprint256}) expired on 2021-01-01T00:00:00.000Z`,
      },
    ]);
    expect(content.observed).toEqual({ 'b.certificates': 2, 'b.valid': 1 });
  });
  it('warns about a member not valid yet when another member is valid', () => {
    // two-rdn.crt starts at 2026-12-02T12:56:52Z, after NOW; ca.crt is valid at NOW.
    const member = cert('two-rdn.crt');
    expect(run(pem('two-rdn.crt') + pem('ca.crt')).problems).toEqual([
      {
        status: 'WARNING',
        code: 'bundle-member-not-yet-valid',
        detail: `b (O=certctl, CN=bundle member, SHA-256 ${member.fingerprint256}) is not valid before ${new Date(member.validFrom).toISOString()}`,
      },
    ]);
  });
  it('fails when no member is valid now, naming each', () => {
    const content = run(pem('expired-ca.crt'));
    expect(content.problems).toEqual([
      {
        status: 'FAILED',
        code: 'certificate-expired',
        detail: `b (CN=certctl expired CA, SHA-256 ${expired.fingerprint256}) expired on 2021-01-01T00:00:00.000Z`,
      },
    ]);
    expect(content.observed).toEqual({ 'b.certificates': 1, 'b.valid': 0 });
    const before = new Date(new Date(ca.validFrom).getTime() - 1);
    expect(
      run(pem('ca.crt') + pem('expired-ca.crt'), before).problems.map((p) => `${p.status}:${p.code}`),
    ).toEqual(['FAILED:certificate-not-yet-valid', 'FAILED:certificate-expired']);
  });
  it('passes when every member is valid beyond the horizon', () => {
    const later = new Date('2027-06-01T00:00:00Z');
    const content = run(pem('ca.crt') + pem('two-rdn.crt'), later);
    expect(content.problems).toEqual([]);
    expect(content.observed).toEqual({ 'b.certificates': 2, 'b.valid': 2 });
  });
  it('warns about a valid member inside the horizon, whether or not the others are valid', () => {
    const near = new Date(new Date(ca.validTo).getTime() - 86_400_000);
    expect(run(pem('ca.crt'), near).problems.map((p) => `${p.status}:${p.code}`)).toEqual([
      'WARNING:certificate-expiring',
    ]);
    expect(
      run(pem('ca.crt') + pem('expired-ca.crt'), near).problems.map((p) => `${p.status}:${p.code}`),
    ).toEqual(['WARNING:certificate-expiring', 'WARNING:bundle-member-expired']);
  });
  it('still fails a bundle with a block that does not parse, even with a valid member', () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(run(pem('ca.crt') + garbage).problems.map((p) => `${p.status}:${p.code}`)).toEqual([
      'FAILED:bundle-unparseable',
    ]);
  });
  it('fails a bundle whose certificate is cut short (no END line): an anchor of the backup is lost', () => {
    // A value truncated on its way into the secret: the cut member opens and never closes. Go's
    // PEM reader skips it, so the restored bundle silently lacks that anchor.
    const lines = pem('expired-ca.crt').split('\n');
    const cut = `${lines.slice(0, 4).join('\n')}\n`;
    const content = run(pem('ca.crt') + cut);
    expect(content.problems.map((p) => `${p.status}:${p.code}`)).toEqual(['FAILED:bundle-unparseable']);
    expect(content.problems[0]?.detail).toBe('1 of 2 certificates in b do not parse');
    expect(content.observed).toMatchObject({ 'b.certificates': 2, 'b.valid': 1 });
    // A cut member before a whole one: the whole one is still read, as Go's reader reads it.
    const before = run(cut + pem('ca.crt'));
    expect(before.problems.map((p) => p.detail)).toEqual(['1 of 2 certificates in b do not parse']);
    expect(before.observed).toMatchObject({ 'b.certificates': 2, 'b.valid': 1 });
  });
  it('never quotes the PEM text of a member', () => {
    const text = pem('ca.crt') + pem('expired-ca.crt');
    const body = pem('expired-ca.crt').split('\n')[1] ?? '';
    expect(body.length).toBeGreaterThan(20);
    expect(JSON.stringify(run(text))).not.toContain(body);
  });
});
