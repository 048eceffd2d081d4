/**
 * What `keys.content` proves, computed in memory from secret values with node:crypto
 * (https://nodejs.org/api/crypto.html#class-x509certificate, #cryptocreateprivatekeykey): PEM
 * parses, certificate valid now (past its notBefore, not expired) nor expiring within the horizon,
 * the CA certificate is a CA (CA:TRUE, keyCertSign), the CA files start with their certificate and
 * key (certctl reads their first PEM block), private key matches its certificate (public halves equal and a signature it makes verifies), RA certificate
 * issued by the CA (directly or through proven intermediate CA certificates), bundle certificates parse and at least one of them is valid now, and the
 * backed-up CA is the one certctl serves now.
 *
 * Values never leave this module: results carry codes, dates and fingerprints only. Parser error
 * messages are never quoted (JSON.parse and OpenSSL may echo the input), only their error codes.
 */
import { createPrivateKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import type { ResourceRef } from './finding.ts';
import { jsonObjectOf } from './json-object.ts';
import type { ContentProblem, ContentReading, ItemContent, KeyItemRef, KeySecretFact } from './key-facts.ts';
import {
  type InventoryItem,
  inventoryOf,
  type KeysPolicy,
  type keyInventory,
  type SecretLocation,
  secretKey,
} from './keys-policy.ts';
import { DAY_MS } from './time.ts';

/** A secret's value as the API returned it (SecretString or SecretBinary / payload.data). */
export interface SecretValue {
  readonly text?: string;
  readonly binary?: Uint8Array;
}

/**
 * An item's value; or why it could not be read (`unknown`); or, the secret's value read, why it
 * does not hold the item (`missing`: not a JSON object, or no string at the item's JSON key).
 */
export type ItemValue =
  | { readonly state: 'read'; readonly text: string }
  | { readonly state: 'unknown'; readonly reason: string }
  | { readonly state: 'missing'; readonly reason: string };

/**
 * The CA certificate certctl issues from now: its SHA-256 fingerprint (colon hex) and, when it was
 * fetched, its subject; or why it is unknown. One certificate: a backup matching another certificate
 * of the served chain (the root above an issuing intermediate) is not the CA certctl runs with.
 */
export type LiveCa =
  | {
      readonly state: 'read';
      readonly fingerprint: string;
      readonly source: string;
      readonly subject?: string;
    }
  | { readonly state: 'unknown'; readonly reason: string };

export interface AnalyzeOptions {
  readonly now: Date;
  readonly expiryHorizonDays: number;
  /** Every inventory item's value this analysis may need (the secret's own, and partners). */
  readonly valueOf: (itemId: string) => ItemValue | undefined;
  /** For the `ca-cert` item: the live CA to compare with. */
  readonly liveCa?: LiveCa | undefined;
  /**
   * Items besides a certificate's own file whose certificates may be the intermediate CAs it
   * chains through to its issuer item (the trust bundles of the inventory).
   */
  readonly chainSources?: readonly string[] | undefined;
}

/** The preset's CA certificate item (CERTCTL_CA_CERT_PATH): the one compared with the live CA. */
export const CA_CERT_ITEM = 'ca-cert';
/** The preset's CA key item (CERTCTL_CA_KEY_PATH). */
const CA_KEY_ITEM = 'ca-key';
/** The PEM types certctl's CA key loader parses (PKCS#1, SEC 1, PKCS#8). */
const CA_KEY_TYPES: ReadonlySet<string> = new Set(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'PRIVATE KEY']);

/**
 * A PEM block: a BEGIN line, a body that opens no other block, the END line of its type. A block cut
 * short (no END line) is no block, and the whole one after it is still found, as Go's pem.Decode
 * skips to the next BEGIN; {@link pemOpenings} counts the blocks that were begun.
 */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----(?:(?!-----BEGIN )[\s\S])+?-----END \1-----/g;

/** The item's text inside a secret value: the whole string, or one key of a JSON object. */
export function itemValue(value: SecretValue, jsonKey: string | undefined): ItemValue {
  const text = value.text ?? (value.binary ? Buffer.from(value.binary).toString('utf8') : undefined);
  if (text === undefined) return { state: 'unknown', reason: 'the secret has no value' };
  if (jsonKey === undefined) return { state: 'read', text };
  const parsed = jsonObjectOf(text);
  if (parsed === undefined) {
    return { state: 'missing', reason: `the secret is not a JSON object, so it has no key "${jsonKey}"` };
  }
  const field = parsed[jsonKey];
  if (typeof field !== 'string')
    return { state: 'missing', reason: `the JSON secret has no string key "${jsonKey}"` };
  return { state: 'read', text: field };
}

/** Normalize a SHA-256 fingerprint to Node's form: uppercase hex pairs joined by colons. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replaceAll(':', '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? hex;
}

function pemBlocks(text: string, label: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((match) => match[1] === label).map((match) => match[0]);
}

/** How many blocks of a type a PEM text begins, whole or cut short (a BEGIN line without its END). */
function pemOpenings(text: string, label: string): number {
  return text.split(`-----BEGIN ${label}-----`).length - 1;
}

/** PEM types a finding may name (RFC 7468 §§5-13, and OpenSSL's traditional key and parameter types). */
const KNOWN_PEM_TYPES: ReadonlySet<string> = new Set([
  'CERTIFICATE',
  'TRUSTED CERTIFICATE',
  'X509 CRL',
  'CERTIFICATE REQUEST',
  'NEW CERTIFICATE REQUEST',
  'PKCS7',
  'CMS',
  'PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'DSA PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
  'PUBLIC KEY',
  'RSA PUBLIC KEY',
  'EC PARAMETERS',
  'DH PARAMETERS',
  'ATTRIBUTE CERTIFICATE',
]);

/** The type of a PEM text's first block (`CERTIFICATE`, `EC PARAMETERS`, …), or undefined. */
function firstBlockType(text: string): string | undefined {
  return new RegExp(PEM_BLOCK.source).exec(text)?.[1];
}

/**
 * certctl's CA loader reads the first PEM block of CERTCTL_CA_CERT_PATH and of CERTCTL_CA_KEY_PATH
 * only (Go's pem.Decode), refusing a certificate file that does not start with a CERTIFICATE and a
 * key file whose first block is not a key it parses (certctl-io/certctl
 * internal/connector/issuer/local/local.go loadCAFromDisk): a combined key-and-certificate file,
 * or `openssl ecparam -genkey` output (EC PARAMETERS, then the key), restores no CA although both
 * blocks parse. Other items are read by loaders that skip other blocks (Go's tls.X509KeyPair).
 */
function firstBlockProblem(item: InventoryItem, text: string): ContentProblem | undefined {
  const type = firstBlockType(text);
  // The type is part of the value: only a type PEM defines is named (RFC 7468 labels and OpenSSL's).
  const first = type === undefined || KNOWN_PEM_TYPES.has(type) ? type : 'PEM block of another type';
  if (item.id === CA_CERT_ITEM && first !== undefined && first !== 'CERTIFICATE') {
    return {
      status: 'FAILED',
      code: 'first-block',
      detail: `the first PEM block of ${item.id} is a ${first}, not a CERTIFICATE, and certctl reads only the first block of its CA certificate file`,
    };
  }
  if (item.id === CA_KEY_ITEM && first !== undefined && !CA_KEY_TYPES.has(first)) {
    return {
      status: 'FAILED',
      code: 'first-block',
      detail: `the first PEM block of ${item.id} is a ${first}, not a private key (${[...CA_KEY_TYPES].join(', ').replace(/, (?=[^,]+$)/, ' or ')}), and certctl reads only the first block of its CA key file`,
    };
  }
  return undefined;
}

function privateKeyBlocks(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)]
    .filter((match) => /PRIVATE KEY$/.test(match[1] ?? ''))
    .map((match) => match[0]);
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}

type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: ContentProblem };

/** The first certificate of a PEM text. */
function parseCertificate(item: string, text: string): Parsed<X509Certificate> {
  const [block] = pemBlocks(text, 'CERTIFICATE');
  if (!block) {
    return {
      ok: false,
      problem: { status: 'FAILED', code: 'not-pem', detail: `${item} holds no PEM certificate` },
    };
  }
  try {
    return { ok: true, value: new X509Certificate(block) };
  } catch (error) {
    return {
      ok: false,
      problem: {
        status: 'FAILED',
        code: 'certificate-unparseable',
        detail: `${item}'s PEM certificate does not parse (${errorCodeOf(error)})`,
      },
    };
  }
}

/** The private key of a PEM text; encrypted keys are reported, never guessed. */
function parsePrivateKey(item: string, text: string): Parsed<KeyObject> {
  const [block] = privateKeyBlocks(text);
  if (!block) {
    return {
      ok: false,
      problem: { status: 'FAILED', code: 'not-pem', detail: `${item} holds no PEM private key` },
    };
  }
  if (block.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type: 4,ENCRYPTED/.test(block)) {
    return {
      ok: false,
      problem: {
        status: 'NOT_AVAILABLE',
        code: 'key-encrypted',
        detail: `${item} is an encrypted private key; without its passphrase it cannot be checked`,
      },
    };
  }
  try {
    return { ok: true, value: createPrivateKey(block) };
  } catch (error) {
    return {
      ok: false,
      problem: {
        status: 'FAILED',
        code: 'key-unparseable',
        detail: `${item}'s PEM private key does not parse or is of an unsupported type (${errorCodeOf(error)})`,
      },
    };
  }
}

/**
 * Validity is read from the certificate's own dates (validFromDate / validToDate, Node >= 22.10),
 * never by parsing OpenSSL's text form: it prints a year below 1000 unpadded ("Jan  1 00:00:00 49
 * GMT"), which Date reads as 2049, so a certificate that expired in year 49 would pass.
 */
function certificateProblems(item: string, cert: X509Certificate, options: AnalyzeOptions): ContentProblem[] {
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  if (notBefore.getTime() > options.now.getTime()) {
    // Not the certificate certctl serves now: TLS peers and chain checks refuse it until notBefore.
    return [
      {
        status: 'FAILED',
        code: 'certificate-not-yet-valid',
        detail: `${item} is not valid before ${notBefore.toISOString()}`,
      },
    ];
  }
  const daysLeft = Math.floor((notAfter.getTime() - options.now.getTime()) / DAY_MS);
  if (notAfter.getTime() <= options.now.getTime()) {
    return [
      {
        status: 'FAILED',
        code: 'certificate-expired',
        detail: `${item} expired on ${notAfter.toISOString()}`,
      },
    ];
  }
  if (daysLeft < options.expiryHorizonDays) {
    return [
      {
        status: 'WARNING',
        code: 'certificate-expiring',
        detail: `${item} expires on ${notAfter.toISOString()}, within the ${options.expiryHorizonDays}-day horizon`,
      },
    ];
  }
  return [];
}

/** Whether a certificate is valid at `now`: past its notBefore and before its notAfter. */
function validAt(cert: X509Certificate, now: Date): boolean {
  return cert.validFromDate.getTime() <= now.getTime() && now.getTime() < cert.validToDate.getTime();
}

/** A bundle member's FAILED problem when another member is valid: a WARNING with a member's code. */
function asBundleMemberWarning(problem: ContentProblem): ContentProblem {
  if (problem.status !== 'FAILED') return problem;
  const code =
    problem.code === 'certificate-expired' ? 'bundle-member-expired' : 'bundle-member-not-yet-valid';
  return { ...problem, status: 'WARNING', code };
}

/**
 * A partner item's certificate. A partner with no value (not in the inventory) or an unread one is
 * never taken as matching: the caller reports it as not available.
 */
function certificateOf(itemId: string, options: AnalyzeOptions): Parsed<X509Certificate> {
  const value = options.valueOf(itemId) ?? { state: 'unknown', reason: 'it is not in the inventory' };
  if (value.state === 'unknown') {
    return {
      ok: false,
      problem: {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: `${itemId} could not be read (${value.reason})`,
      },
    };
  }
  if (value.state === 'missing') {
    // The partner's own finding fails it; here only the pairing is not known.
    return {
      ok: false,
      problem: {
        status: 'NOT_AVAILABLE',
        code: 'partner-unread',
        detail: `${itemId} could not be read (${itemId} is not in its secret: ${value.reason})`,
      },
    };
  }
  return parseCertificate(itemId, value.text);
}

/** What a key signs to prove it is its certificate's key; a constant, never a secret. */
const CHALLENGE = Buffer.from('certctl-backup-guard key-material pairing');

/**
 * Whether a private key is its certificate's: OpenSSL's checkPrivateKey compares only the public
 * halves, and a SEC 1 or PKCS#1 key carries its public half beside the private one, so a key whose
 * private half is another key's (corrupted, or spliced) would match while Go, which derives the
 * public key from the private one, refuses the pair. A signature it makes must verify with the
 * certificate's public key too (node:crypto sign / verify; Ed25519 and Ed448 take no digest). A
 * key that cannot sign (X25519, DH) is no key certctl serves TLS or signs with.
 */
function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  if (!cert.checkPrivateKey(key)) return false;
  const digest = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  try {
    return verify(digest, CHALLENGE, cert.publicKey, sign(digest, CHALLENGE, key));
  } catch {
    return false;
  }
}

/** The wording of a partner switched off in the inventory. */
function switchedOff(itemId: string): string {
  return `${itemId} is switched off in the inventory`;
}

/**
 * Why certctl's sub-CA mode refuses a certificate as its CA, or undefined when it does not
 * (certctl-io/certctl internal/connector/issuer/local/local.go loadCAFromDisk): "loaded certificate
 * is not a CA" without BasicConstraints CA:TRUE (the TLS pair backed up as the CA's matches itself,
 * yet restores no CA), and "does not have KeyUsageCertSign" without keyCertSign in its keyUsage (Go
 * reads an absent keyUsage as none, which `openssl req -x509` writes with OpenSSL's default
 * configuration). OpenSSL's CA flag (X509Certificate.ca) is false for either, so CA:TRUE is read
 * from the DER before the flag's false is taken to mean CA:FALSE.
 */
function caCertificateProblem(id: string, cert: X509Certificate): ContentProblem | undefined {
  let saysCa: boolean | undefined;
  let certSign: boolean | undefined;
  try {
    saysCa = saysCaTrue(cert);
  } catch {
    saysCa = undefined;
  }
  try {
    certSign = allowsCertSign(cert);
  } catch {
    certSign = undefined;
  }
  const refused = 'so certctl refuses to load it as its CA';
  if (!cert.ca && !(saysCa === true && certSign !== true)) {
    return {
      status: 'FAILED',
      code: 'not-a-ca',
      detail: `${id} is not a CA certificate (its basic constraints do not say CA:TRUE), ${refused}`,
    };
  }
  if (certSign === false) {
    return {
      status: 'FAILED',
      code: 'no-cert-sign',
      detail: `${id} does not allow certificate signing (its key usage lacks keyCertSign, or it has none), ${refused}`,
    };
  }
  if (certSign === undefined) {
    return {
      status: 'NOT_AVAILABLE',
      code: 'key-usage-unread',
      detail: `the key usage of ${id} could not be read from its DER, so whether certctl may sign with it is not known`,
    };
  }
  return undefined;
}

/** Analyze one item. */
export function analyzeItem(item: InventoryItem, options: AnalyzeOptions): ItemContent {
  const value = options.valueOf(item.id);
  const problems: ContentProblem[] = [];
  const observed: Record<string, string | number | boolean> = {};
  const proven: string[] = [];
  const unchecked: string[] = [];
  if (!value || value.state === 'unknown') {
    problems.push({
      status: 'NOT_AVAILABLE',
      code: 'value-unread',
      detail: `${item.id} could not be read (${value?.reason ?? 'not read'})`,
    });
    return { item: item.id, problems, observed };
  }
  if (value.state === 'missing') {
    // The secret's value was read and does not hold the item: a backup without it, not an unknown.
    problems.push({
      status: 'FAILED',
      code: 'item-missing',
      detail: `${item.id} is not in its secret: ${value.reason}`,
    });
    return { item: item.id, problems, observed };
  }
  const text = value.text;
  if (text.trim() === '') {
    problems.push({ status: 'FAILED', code: 'empty', detail: `${item.id} is empty` });
    return { item: item.id, problems, observed };
  }
  if (item.kind !== 'opaque' && item.jsonKey === undefined && jsonObjectOf(text) !== undefined) {
    // A multi-item JSON secret mapped without jsonKey: its PEM text sits in JSON strings, escaped.
    problems.push({
      status: 'FAILED',
      code: 'json-without-key',
      detail: `${item.id}'s secret holds a JSON object, not the item itself: name the key that holds ${item.id} with jsonKey`,
    });
    return { item: item.id, problems, observed };
  }
  switch (item.kind) {
    case 'certificate': {
      const parsed = parseCertificate(item.id, text);
      if (!parsed.ok) {
        problems.push(parsed.problem);
        break;
      }
      const cert = parsed.value;
      const misplaced = firstBlockProblem(item, text);
      if (misplaced) problems.push(misplaced);
      observed[`${item.id}.notAfter`] = cert.validToDate.toISOString();
      observed[`${item.id}.sha256`] = cert.fingerprint256;
      problems.push(...certificateProblems(item.id, cert, options));
      if (item.id === CA_CERT_ITEM) {
        const problem = caCertificateProblem(item.id, cert);
        if (problem) problems.push(problem);
      }
      if (item.issuer) {
        const issuer = certificateOf(item.issuer, options);
        if (!issuer.ok) problems.push({ ...issuer.problem, status: 'NOT_AVAILABLE' });
        else {
          const chain = chainToIssuer(item.id, item.issuer, text, cert, issuer.value, options);
          if ('problem' in chain) problems.push(chain.problem);
          else proven.push(chain.proven);
        }
      } else if (item.issuerOff) {
        // The chain is checked when the CA certificate is backed up; its absence is said, never passed over.
        unchecked.push(`${item.id}'s signature by ${item.issuerOff} (${switchedOff(item.issuerOff)})`);
      }
      if (item.id === CA_CERT_ITEM && options.liveCa) {
        const live = options.liveCa;
        if (live.state === 'unknown') {
          problems.push({
            status: 'NOT_AVAILABLE',
            code: 'live-ca-unknown',
            detail: `the CA certctl serves now could not be learned (${live.reason})`,
          });
        } else if (normalizeFingerprint(live.fingerprint) !== cert.fingerprint256) {
          problems.push({
            status: 'FAILED',
            code: 'live-ca-differs',
            detail: liveCaDiffers(item.id, cert, live),
          });
        } else {
          observed.liveCaMatches = true;
          proven.push(`${item.id} is the CA certificate certctl serves now`);
        }
      }
      break;
    }
    case 'private-key': {
      const parsed = parsePrivateKey(item.id, text);
      if (!parsed.ok) {
        problems.push(parsed.problem);
        break;
      }
      observed[`${item.id}.type`] = parsed.value.asymmetricKeyType ?? 'unknown';
      const misplacedKey = firstBlockProblem(item, text);
      if (misplacedKey) problems.push(misplacedKey);
      if (item.certificate) {
        const cert = certificateOf(item.certificate, options);
        if (!cert.ok) problems.push({ ...cert.problem, status: 'NOT_AVAILABLE' });
        else if (!keyMatches(cert.value, parsed.value)) {
          problems.push({
            status: 'FAILED',
            code: 'key-mismatch',
            detail: `${item.id} does not match the certificate in ${item.certificate}`,
          });
        } else proven.push(`${item.id} matches ${item.certificate}`);
      } else if (item.certificateOff) {
        // The match is part of what keys.content proves: a key whose certificate is off is not a pair.
        problems.push({
          status: 'NOT_AVAILABLE',
          code: 'partner-off',
          detail: `${item.id} was not compared with a certificate: ${switchedOff(item.certificateOff)}`,
        });
      }
      break;
    }
    case 'bundle': {
      // A trust bundle is a set of anchors: a peer chaining to any valid one is accepted, so the
      // restored bundle works while one member is valid. A member that is expired or not yet valid
      // then only warns, named by subject and fingerprint; with no valid member the bundle fails.
      const blocks = pemBlocks(text, 'CERTIFICATE');
      // A member cut short (its END line lost) is a member that does not parse, not one less.
      const begun = pemOpenings(text, 'CERTIFICATE');
      if (begun === 0) {
        problems.push({ status: 'FAILED', code: 'not-pem', detail: `${item.id} holds no PEM certificate` });
        break;
      }
      const members: X509Certificate[] = [];
      for (const block of blocks) {
        try {
          members.push(new X509Certificate(block));
        } catch {
          // Counted below; the parser's message is never quoted.
        }
      }
      const valid = members.filter((cert) => validAt(cert, options.now)).length;
      for (const cert of members) {
        const label = `${item.id} (${cert.subject.replaceAll('\n', ', ')}, SHA-256 ${cert.fingerprint256})`;
        for (const problem of certificateProblems(label, cert, options)) {
          problems.push(valid > 0 ? asBundleMemberWarning(problem) : problem);
        }
      }
      observed[`${item.id}.certificates`] = begun;
      observed[`${item.id}.valid`] = valid;
      const unparseable = begun - members.length;
      if (unparseable > 0) {
        problems.push({
          status: 'FAILED',
          code: 'bundle-unparseable',
          detail: `${unparseable} of ${begun} certificates in ${item.id} do not parse`,
        });
      }
      break;
    }
    case 'opaque':
      break;
  }
  return {
    item: item.id,
    problems,
    observed,
    ...(proven.length > 0 ? { proven } : {}),
    ...(unchecked.length > 0 ? { unchecked } : {}),
  };
}

/**
 * Why a backed-up CA certificate is not the one certctl serves, naming both plainly: the backup's
 * subject and fingerprint, and what the live source says (its subject too when it served a
 * certificate, only a fingerprint when it is the configured one). The same subject in another
 * certificate is a renewed or re-keyed CA; another subject may be another CA's endpoint.
 */
function liveCaDiffers(id: string, backup: X509Certificate, live: LiveCa & { state: 'read' }): string {
  const subject = backup.subject.replaceAll('\n', ', ');
  const held = `the backup holds ${subject} (SHA-256 ${backup.fingerprint256})`;
  const fingerprint = normalizeFingerprint(live.fingerprint);
  if (live.subject === undefined) {
    return `the backed-up ${id} is not the CA certificate certctl serves now: ${held}, and ${live.source} says SHA-256 ${fingerprint}`;
  }
  const served = `${held}, and ${live.source} serves ${live.subject} (SHA-256 ${fingerprint})`;
  const advice =
    live.subject === subject
      ? ', the same subject in another certificate (a renewed or re-keyed CA): back up the one certctl serves now'
      : "; if certctl now issues from that CA, back it up, and if that URL is not this certctl's, correct keys.liveCa";
  return `the backed-up ${id} is not the issuing CA certificate certctl serves now: ${served}${advice}`;
}

/** Whether `child` names `parent` as its issuer and its signature verifies with `parent`'s key. */
function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** A certificate as findings name it: its subject on one line and its SHA-256 fingerprint. */
function certificateLabel(cert: X509Certificate): string {
  return `${cert.subject.replaceAll('\n', ', ')}, SHA-256 ${cert.fingerprint256}`;
}

/**
 * Why a certificate cannot issue others, or undefined when it can: keyCertSign in its key usage and
 * CA:TRUE. Key usage first: OpenSSL's CA flag (X509Certificate.ca) is false too for CA:TRUE
 * without keyCertSign.
 */
function unfitIssuer(cert: X509Certificate): string | undefined {
  let certSign: boolean;
  try {
    certSign = allowsCertSign(cert);
  } catch {
    return 'has a key usage that could not be read from its DER';
  }
  if (!certSign)
    return 'does not allow certificate signing (its key usage lacks keyCertSign, or it has none)';
  if (!cert.ca) return 'is not a CA certificate (its basic constraints do not say CA:TRUE)';
  return undefined;
}

/** Why an intermediate cannot stand between a certificate and its CA, or undefined when it can. */
function unfitIntermediate(cert: X509Certificate, now: Date): string | undefined {
  const unfit = unfitIssuer(cert);
  if (unfit) return unfit;
  if (!validAt(cert, now)) {
    return `is not valid now (valid from ${cert.validFromDate.toISOString()} to ${cert.validToDate.toISOString()})`;
  }
  return undefined;
}

/**
 * Whether `child` names `parent` as its issuer and `parent`'s key signed it, whether or not OpenSSL's
 * checkIssued accepts `parent` as an issuer (it refuses one whose keyUsage lacks keyCertSign).
 */
function signedByKeyOf(child: X509Certificate, parent: X509Certificate): boolean {
  return child.issuer === parent.subject && child.verify(parent.publicKey);
}

/**
 * The failure of a chain that reaches the CA item's key, but whose CA certificate a verifier
 * refuses as an issuer: named as such, never as a missing CA certificate.
 */
function refusedIssuer(
  itemId: string,
  issuerId: string,
  ca: X509Certificate,
  path: readonly X509Certificate[],
): { readonly problem: ContentProblem } {
  const why =
    unfitIssuer(ca) ??
    "is refused as its issuer by OpenSSL's issuer check (its key identifier is not the one the certificate names)";
  const reached =
    path.length === 0
      ? `${itemId} is signed by the key of the backed-up ${issuerId}`
      : `${itemId} chains to the key of the backed-up ${issuerId} through ${path.map(certificateLabel).join('; ')}`;
  return {
    problem: {
      status: 'FAILED',
      code: 'issuer-unfit',
      detail: `${reached}, but ${issuerId} ${why}, so the chain is refused`,
    },
  };
}

/** Each parseable CERTIFICATE block of a PEM text (unparseable ones are judged where they are items). */
function certificatesOf(text: string): X509Certificate[] {
  return pemBlocks(text, 'CERTIFICATE').flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

/**
 * Whether a certificate (an SCEP RA's) is signed by its issuer item (`ca-cert`) directly, or through
 * intermediate CA certificates: certctl reads the first CERTIFICATE block of the RA file as the RA
 * certificate and carries the later ones as its chain (certctl cmd/server/main.go loadSCEPRAPair,
 * Go's tls.X509KeyPair), and a trust bundle may hold the intermediates too. Each link is proven
 * with node:crypto (X509Certificate.checkIssued and verify) and each intermediate must be a CA
 * (CA:TRUE, keyCertSign) valid now. A chain that cannot be built fails, naming the missing issuer;
 * when a source that could hold it was not read, it is not available.
 */
function chainToIssuer(
  itemId: string,
  issuerId: string,
  text: string,
  cert: X509Certificate,
  ca: X509Certificate,
  options: AnalyzeOptions,
): { readonly proven: string } | { readonly problem: ContentProblem } {
  if (signedBy(cert, ca)) return { proven: `${itemId} is signed by ${issuerId}` };
  if (signedByKeyOf(cert, ca)) return refusedIssuer(itemId, issuerId, ca, []);
  const candidates = certificatesOf(text).slice(1);
  const unread: string[] = [];
  for (const source of options.chainSources ?? []) {
    const value = options.valueOf(source);
    if (value?.state === 'read') candidates.push(...certificatesOf(value.text));
    // A source whose secret does not hold it holds no intermediate; its own finding fails it.
    else if (value?.state !== 'missing') unread.push(`${source} (${value?.reason ?? 'not read'})`);
  }
  const path: X509Certificate[] = [];
  const seen = new Set([cert.fingerprint256, ca.fingerprint256]);
  let current = cert;
  for (;;) {
    // A link is its issuer name and its signature; OpenSSL's checkIssued would also refuse an
    // issuer without keyCertSign, which is then named as unfit instead of as missing.
    const issuers = candidates.filter(
      (candidate) =>
        !seen.has(candidate.fingerprint256) &&
        current.issuer === candidate.subject &&
        current.verify(candidate.publicKey),
    );
    const next = issuers.find((candidate) => !unfitIntermediate(candidate, options.now)) ?? issuers[0];
    if (!next) break;
    const unfit = unfitIntermediate(next, options.now);
    if (unfit) {
      return {
        problem: {
          status: 'FAILED',
          code: 'intermediate-unfit',
          detail: `${itemId} chains to ${issuerId} only through ${certificateLabel(next)}, which ${unfit}`,
        },
      };
    }
    path.push(next);
    seen.add(next.fingerprint256);
    current = next;
    if (signedBy(current, ca)) {
      const count = `${path.length} intermediate CA certificate${path.length === 1 ? '' : 's'}`;
      return {
        proven: `${itemId} is signed by ${issuerId} through ${count} (${path.map(certificateLabel).join('; ')})`,
      };
    }
    if (signedByKeyOf(current, ca)) return refusedIssuer(itemId, issuerId, ca, path);
  }
  if (unread.length > 0) {
    return {
      problem: {
        status: 'NOT_AVAILABLE',
        code: 'chain-unknown',
        detail: `${itemId} is not signed by the backed-up ${issuerId} directly, and what could hold an intermediate CA certificate between them could not be read: ${unread.join('; ')}`,
      },
    };
  }
  const bundles = options.chainSources ?? [];
  const searched = `the certificates after the first in ${itemId}${bundles.length > 0 ? ` or in ${bundles.join(', ')}` : ''}`;
  const signer = current === cert ? itemId : certificateLabel(current);
  return {
    problem: {
      status: 'FAILED',
      code: 'not-issued-by-ca',
      detail: `${itemId} is not signed by the backed-up ${issuerId}, and no chain to it could be built from ${searched}: missing the CA certificate "${current.issuer.replaceAll('\n', ', ')}" that signed ${signer}`,
    },
  };
}

/** A DER node: its tag, where its content starts and ends. */
interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** The DER node at `offset` (definite lengths of up to four bytes); throws when it is cut short. */
function derNode(buffer: Buffer, offset: number): DerNode {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) throw new RangeError('truncated DER');
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new RangeError('unsupported DER length');
    length = 0;
    for (let index = 0; index < bytes; index++) length = length * 256 + (buffer[start + index] ?? 0);
    start += bytes;
  }
  if (start + length > buffer.length) throw new RangeError('truncated DER');
  return { tag, start, end: start + length };
}

/** The DER nodes between `start` and `end`, each with the offset of its tag. */
function derChildren(buffer: Buffer, start: number, end: number): (DerNode & { readonly offset: number })[] {
  const out = [];
  let offset = start;
  while (offset < end) {
    const node = derNode(buffer, offset);
    out.push({ ...node, offset });
    offset = node.end;
  }
  return out;
}

/** The DER content of the keyUsage extension's OID, 2.5.29.15 (RFC 5280 §4.2.1.3). */
const KEY_USAGE_OID = Buffer.from([0x55, 0x1d, 0x0f]);
/** The DER content of the basicConstraints extension's OID, 2.5.29.19 (RFC 5280 §4.2.1.9). */
const BASIC_CONSTRAINTS_OID = Buffer.from([0x55, 0x1d, 0x13]);

/**
 * The value (the node inside extnValue's OCTET STRING) of a certificate's extension, or undefined
 * when it has none; throws when the DER cannot be walked. Node's X509Certificate exposes neither
 * key usage bits nor basic constraints, so they are read from its DER: Certificate >
 * tbsCertificate > [3] extensions > Extension { extnID, critical?, extnValue }.
 */
function extensionOf(cert: X509Certificate, oid: Buffer): { der: Buffer; node: DerNode } | undefined {
  const der = cert.raw;
  const certificate = derNode(der, 0);
  const [tbs] = derChildren(der, certificate.start, certificate.end);
  if (!tbs) throw new RangeError('no tbsCertificate');
  const explicit = derChildren(der, tbs.start, tbs.end).find((node) => node.tag === 0xa3);
  if (!explicit) return undefined;
  const [extensions] = derChildren(der, explicit.start, explicit.end);
  if (!extensions) return undefined;
  for (const extension of derChildren(der, extensions.start, extensions.end)) {
    const fields = derChildren(der, extension.start, extension.end);
    const [id] = fields;
    const value = fields.at(-1);
    if (id?.tag !== 0x06 || value?.tag !== 0x04) continue;
    if (!der.subarray(id.start, id.end).equals(oid)) continue;
    return { der, node: derNode(der, value.start) };
  }
  return undefined;
}

/**
 * Whether a certificate's keyUsage allows certificate signing (keyCertSign, bit 5), as Go reads it
 * (crypto/x509: an absent extension is no usage at all); throws when the DER cannot be walked. The
 * value is a BIT STRING (first content byte: unused bits; bit 5 is 0x04 of the next byte).
 */
export function allowsCertSign(cert: X509Certificate): boolean {
  const extension = extensionOf(cert, KEY_USAGE_OID);
  if (!extension) return false;
  const { der, node: bits } = extension;
  if (bits.tag !== 0x03) throw new RangeError('keyUsage is not a BIT STRING');
  const first = bits.end - bits.start > 1 ? der[bits.start + 1] : 0;
  return ((first ?? 0) & 0x04) !== 0;
}

/**
 * Whether a certificate's basicConstraints say CA:TRUE (`SEQUENCE { cA BOOLEAN DEFAULT FALSE, … }`);
 * throws when the DER cannot be walked. Node's X509Certificate.ca is OpenSSL's X509_check_ca, which
 * is false too for CA:TRUE beside a keyUsage without keyCertSign: this tells the two apart.
 */
function saysCaTrue(cert: X509Certificate): boolean {
  const extension = extensionOf(cert, BASIC_CONSTRAINTS_OID);
  if (!extension) return false;
  const { der, node: sequence } = extension;
  if (sequence.tag !== 0x30) throw new RangeError('basicConstraints is not a SEQUENCE');
  const [first] = derChildren(der, sequence.start, sequence.end);
  return first?.tag === 0x01 && first.end > first.start && der[first.start] !== 0;
}

/** The DER content of id-signedData, 1.2.840.113549.1.7.2 (RFC 5652 §5.1), a certs-only message's content type. */
const SIGNED_DATA_OID = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

/** The PKCS#7 content types (RFC 2315 §14, RFC 5652) by their last arc under 1.2.840.113549.1.7. */
const PKCS7_TYPES = [
  '',
  'data',
  'signedData',
  'envelopedData',
  'signedAndEnvelopedData',
  'digestedData',
  'encryptedData',
];

/** The dotted form of a DER OBJECT IDENTIFIER's content (X.690 §8.19); undefined when it is no OID. */
function dottedOid(content: Uint8Array): string | undefined {
  if (content.length === 0 || content.length > 32) return undefined;
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of content) {
    arc = arc * 128 + (byte & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if (byte & 0x80) continue;
    arcs.push(arc);
    arc = 0;
  }
  if ((content.at(-1) ?? 0) & 0x80) return undefined;
  const [first = 0, ...rest] = arcs;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...rest].join('.');
}

/**
 * A PKCS#7 ContentInfo whose content type is not signedData (data, envelopedData, …): EST cacerts
 * (RFC 7030 §4.1.3) and SCEP GetCACert (RFC 8894 §4.2.1.2) answer a certs-only SignedData, so what
 * such a message holds is never read as the served certificates. `contentType` names it in words.
 */
export class Pkcs7ContentTypeError extends RangeError {
  readonly contentType: string;
  constructor(oid: Uint8Array) {
    const dotted = dottedOid(oid);
    const known = dotted?.startsWith('1.2.840.113549.1.7.')
      ? PKCS7_TYPES[Number(dotted.slice(19))]
      : undefined;
    const contentType = dotted === undefined ? 'no readable OID' : known ? `${known} (${dotted})` : dotted;
    super(
      `a PKCS#7 message ${dotted === undefined ? 'whose content type is no readable OID' : `of content type ${contentType}`}, not signedData (1.2.840.113549.1.7.2)`,
    );
    this.name = 'Pkcs7ContentTypeError';
    this.contentType = contentType;
  }
}

/**
 * The certificates of a DER PKCS#7 / CMS SignedData (RFC 5652 §5.1 `certificates [0] IMPLICIT
 * CertificateSet`), as EST `/cacerts` (RFC 7030 §4.1.3, base64) and SCEP GetCACert with a chain
 * (RFC 8894 §4.2.1.2) return them. Node has no PKCS#7 parser; this reads just enough DER. A
 * ContentInfo of another content type throws {@link Pkcs7ContentTypeError}.
 */
export function pkcs7Certificates(der: Uint8Array): Buffer[] {
  const buffer = Buffer.from(der);
  const read = (offset: number) => derNode(buffer, offset);
  const children = (start: number, end: number) => derChildren(buffer, start, end);
  const contentInfo = read(0);
  const [contentType, explicit] = children(contentInfo.start, contentInfo.end);
  if (contentType?.tag !== 0x06 || explicit?.tag !== 0xa0) throw new RangeError('not a PKCS#7 ContentInfo');
  const type = buffer.subarray(contentType.start, contentType.end);
  if (!type.equals(SIGNED_DATA_OID)) throw new Pkcs7ContentTypeError(type);
  const [signedData] = children(explicit.start, explicit.end);
  if (!signedData) throw new RangeError('no SignedData');
  const certificates = children(signedData.start, signedData.end).find((node) => node.tag === 0xa0);
  if (!certificates) return [];
  return children(certificates.start, certificates.end)
    .filter((node) => node.tag === 0x30)
    .map((node) => buffer.subarray(node.offset, node.end));
}

/** A served CA certificate, as findings name it: subject on one line and SHA-256 fingerprint. */
export interface ServedCa {
  readonly subject: string;
  readonly fingerprint: string;
}

/**
 * The issuing CA of what certctl serves: `found`, or `ambiguous` with the candidates, or `none`.
 * EST `/cacerts` returns the CA certificates, possibly a chain (RFC 7030 §4.1.3) and SCEP GetCACert
 * one CA certificate, or the CA with RA certificates (RFC 8894 §4.2.1.1-2); certctl issues from the
 * bottom of the chain. So: a lone certificate is the CA; otherwise among the CA:TRUE certificates
 * (RA certificates are not CA), the issuing CA is the one that issued no other served CA
 * certificate (`checkIssued` and its signature verify, node:crypto X509Certificate). More than
 * one such certificate (two unrelated CAs, a root rollover's link certificates) is never guessed.
 */
export type ServedIssuingCa =
  | ({ readonly state: 'found' } & ServedCa)
  | { readonly state: 'ambiguous'; readonly candidates: readonly ServedCa[]; readonly why: string }
  | { readonly state: 'none' };

/** The issuing CA of a DER certificate or PKCS#7 certs-only answer; throws when it is neither. */
export function servedIssuingCa(body: Uint8Array): ServedIssuingCa {
  let ders: Buffer[];
  try {
    ders = [Buffer.from(new X509Certificate(Buffer.from(body)).raw)];
  } catch {
    ders = pkcs7Certificates(body);
  }
  const byFingerprint = new Map<string, X509Certificate>();
  for (const der of ders) {
    const cert = new X509Certificate(der);
    byFingerprint.set(cert.fingerprint256, cert);
  }
  const certs = [...byFingerprint.values()];
  const named = (cert: X509Certificate): ServedCa => ({
    subject: cert.subject.replaceAll('\n', ', '),
    fingerprint: cert.fingerprint256,
  });
  const [lone] = certs;
  if (!lone) return { state: 'none' };
  if (certs.length === 1) return { state: 'found', ...named(lone) };
  const cas = certs.filter((cert) => cert.ca);
  if (cas.length === 0) {
    return {
      state: 'ambiguous',
      candidates: certs.map(named),
      why: 'none of them is a CA certificate (CA:TRUE)',
    };
  }
  const issuedAnother = (issuer: X509Certificate) =>
    cas.some((other) => other !== issuer && other.checkIssued(issuer) && other.verify(issuer.publicKey));
  const bottoms = cas.filter((cert) => !issuedAnother(cert));
  const [issuing] = bottoms;
  if (issuing && bottoms.length === 1) return { state: 'found', ...named(issuing) };
  return {
    state: 'ambiguous',
    candidates: (bottoms.length > 0 ? bottoms : cas).map(named),
    why:
      bottoms.length > 0
        ? 'none of them issued another served CA certificate'
        : 'each issued another served CA certificate',
  };
}

/** A secret of the inventory and the items it backs. */
export interface InventorySecret {
  readonly location: SecretLocation;
  readonly items: readonly InventoryItem[];
}

/** The inventory items a secret backs, as findings name them (never their values). */
export function itemRefs(secret: InventorySecret): KeyItemRef[] {
  return secret.items.map((item) => ({
    id: item.id,
    kind: item.kind,
    source: item.source,
    ...(item.jsonKey ? { jsonKey: item.jsonKey } : {}),
    // The pairings keys.content requires: a key's certificate, on or off (off, the pair cannot be
    // proven); a certificate's CA only when on (off, the chain is an optional check it names).
    ...(item.kind === 'private-key' && (item.certificate ?? item.certificateOff)
      ? { certificate: item.certificate ?? item.certificateOff }
      : {}),
    ...(item.kind === 'certificate' && item.issuer ? { issuer: item.issuer } : {}),
  }));
}

/**
 * The fact of a secret whose metadata was not read: it does not exist (existence read as false),
 * or it could not be read (`reason`), so nothing about it is known.
 */
export function unreadSecretFact(
  resource: ResourceRef,
  secret: InventorySecret,
  missing: { readonly absent: true } | { readonly reason: string; readonly remedy?: string | undefined },
  content: ContentReading,
): KeySecretFact {
  const unknown = {
    state: 'unknown' as const,
    reason: 'reason' in missing ? missing.reason : 'the secret does not exist',
    ...('remedy' in missing && missing.remedy !== undefined ? { remedy: missing.remedy } : {}),
  };
  return {
    resource,
    items: itemRefs(secret),
    existence: 'absent' in missing ? { state: 'read', value: false } : unknown,
    encryption: unknown,
    replication: unknown,
    content,
  };
}

/**
 * A secret's value as read, or why it could not be read, with what fixes that when the adapter
 * knows it (`remedy`, core/errors.ts readFailureRemedy: the grant, what lifts an explicit deny).
 */
export type ValueReading =
  | { readonly state: 'read'; readonly value: SecretValue }
  | { readonly state: 'unknown'; readonly reason: string; readonly remedy?: string };

/** The inventory grouped by backing secret, in inventory order. */
export function inventorySecrets(items: readonly InventoryItem[]): InventorySecret[] {
  const bySecret = new Map<string, { location: SecretLocation; items: InventoryItem[] }>();
  for (const item of items) {
    const key = secretKey(item.location);
    const entry = bySecret.get(key) ?? { location: item.location, items: [] };
    entry.items.push(item);
    bySecret.set(key, entry);
  }
  return [...bySecret.values()];
}

/** A keys policy's inventory and its secrets, as {@link keyInventory} and {@link inventorySecrets} make them. */
export interface KeysInventory {
  readonly inventory: readonly InventoryItem[];
  readonly secrets: readonly InventorySecret[];
}

const inventories = new WeakMap<KeysPolicy, KeysInventory>();

/**
 * {@link keyInventory} and {@link inventorySecrets} of a keys policy, made once per policy object:
 * every scope of a run reads the whole inventory to pick its own secrets (eight regions made it
 * eight times over 2,000 items in the keys benchmark). The inventory is the one the parse built
 * ({@link inventoryOf}). A parsed policy is not changed afterwards.
 */
export function keysInventoryOf(keys: KeysPolicy): KeysInventory {
  let made = inventories.get(keys);
  if (!made) {
    const inventory = inventoryOf(keys);
    made = { inventory, secrets: inventorySecrets(inventory) };
    inventories.set(keys, made);
  }
  return made;
}

/** The inventory's trust bundles: where the intermediates of an RA certificate's chain may be. */
function chainSourcesOf(inventory: readonly InventoryItem[]): string[] {
  return inventory.filter((item) => item.kind === 'bundle').map((item) => item.id);
}

/**
 * The secrets whose values judging `secrets` needs: their own, and those of partner items (the
 * certificate a key must match, the CA an RA certificate must chain to, and the trust bundles
 * that may hold the intermediates between them), wherever they live.
 */
export function secretsToRead(
  secrets: readonly InventorySecret[],
  inventory: readonly InventoryItem[],
): InventorySecret[] {
  const byId = new Map(inventory.map((item) => [item.id, item]));
  const wanted = new Map(secrets.map((secret) => [secretKey(secret.location), secret]));
  const bundles = chainSourcesOf(inventory);
  for (const secret of secrets) {
    for (const item of secret.items) {
      for (const partnerId of [item.certificate, item.issuer, ...(item.issuer ? bundles : [])]) {
        const partner = partnerId ? byId.get(partnerId) : undefined;
        if (!partner) continue;
        const key = secretKey(partner.location);
        if (!wanted.has(key)) {
          wanted.set(key, {
            location: partner.location,
            items: inventory.filter((other) => secretKey(other.location) === key),
          });
        }
      }
    }
  }
  return [...wanted.values()];
}

/**
 * The content reading of each secret, from the values read (keyed by {@link secretKey}). Binary
 * values are zeroed afterwards and the map cleared: values do not outlive the analysis.
 */
export function contentReadings(
  secrets: readonly InventorySecret[],
  inventory: readonly InventoryItem[],
  values: Map<string, ValueReading>,
  options: Omit<AnalyzeOptions, 'valueOf'>,
): Map<string, ContentReading> {
  const byId = new Map(inventory.map((item) => [item.id, item]));
  const itemValueOf = (itemId: string): ItemValue | undefined => {
    const item = byId.get(itemId);
    if (!item) return undefined;
    const reading = values.get(secretKey(item.location));
    // An inventory item whose secret gave no value (e.g. it does not exist): nothing proves a pair.
    if (!reading) return { state: 'unknown', reason: 'no value was read from its secret' };
    if (reading.state === 'unknown') return reading;
    return itemValue(reading.value, item.jsonKey);
  };
  const readings = new Map<string, ContentReading>();
  const chainSources = chainSourcesOf(inventory);
  try {
    for (const secret of secrets) {
      const key = secretKey(secret.location);
      const reading = values.get(key);
      if (!reading) readings.set(key, { state: 'not-inspected' });
      else if (reading.state === 'unknown') {
        const { reason, remedy } = reading;
        readings.set(key, { state: 'unknown', reason, ...(remedy === undefined ? {} : { remedy }) });
      } else {
        readings.set(key, {
          state: 'read',
          items: secret.items.map((item) =>
            analyzeItem(item, { ...options, valueOf: itemValueOf, chainSources }),
          ),
        });
      }
    }
  } finally {
    for (const reading of values.values()) if (reading.state === 'read') reading.value.binary?.fill(0);
    values.clear();
  }
  return readings;
}
