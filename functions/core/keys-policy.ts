/**
 * The `keys` section of the policy: the key-material inventory (what certctl needs outside its
 * database, and which secret backs each item), whether values may be read, and how the backed-up CA
 * is compared with the one certctl serves.
 *
 * The certctl preset is built from certctl's own configuration names (certctl-io/certctl
 * `internal/config/issuers.go`, `internal/config/scep.go`, `docs/operator/runbooks/disaster-recovery.md`):
 * every preset item must be mapped to a secret or switched off with a reason, so "not configured"
 * can never read as "backed up".
 */
import { awsAccountIdField, awsRegionField, isAwsRegionName } from './aws-region.ts';
import { GCP_PROJECT_ID_PATTERN } from './gcp-project.ts';
import { isHttpsOrLoopback } from './loopback.ts';
import * as z from './zod.ts';

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>` (the name may carry the 6-character suffix). */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([\w/+=.@-]{1,512})$/;
/** `projects/<project>/secrets/<secret>` (Secret Manager resource names). */
const GCP_SECRET = new RegExp(`^projects/(${GCP_PROJECT_ID_PATTERN})/secrets/([\\w-]{1,255})$`);
/** Secrets Manager names: 1-512 of letters, digits and `/_+=.@-`. */
const SECRET_NAME = /^[\w/+=.@-]{1,512}$/;
const ITEM_ID = /^[a-z][a-z0-9-]*(\.[A-Za-z0-9_-]+)?$/;
const PROFILE = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256_FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;

/** `keys.expiryHorizonDays` when the policy does not set it. */
export const DEFAULT_EXPIRY_HORIZON_DAYS = 30;

/** What an item holds; it decides what `keys.content` proves about it. */
export const KEY_ITEM_KINDS = ['certificate', 'private-key', 'bundle', 'opaque'] as const;
export type KeyItemKind = (typeof KEY_ITEM_KINDS)[number];

const itemSchema = z.strictObject({
  secret: z.described(
    z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    'The backing secret: a Secrets Manager ARN, a Secrets Manager name (with region and account), or a GCP resource name projects/<project>/secrets/<secret>. Items in one secret name it the same way.',
  ),
  region: z.described(
    z.optional(awsRegionField),
    'The Region of a Secrets Manager secret named without an ARN.',
  ),
  account: z.described(
    z.optional(awsAccountIdField),
    'The AWS account of a Secrets Manager secret named without an ARN.',
  ),
  jsonKey: z.described(
    z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    'The key inside a JSON secret that holds this item (one secret holding several items).',
  ),
  kind: z.described(
    z.optional(z.enum(KEY_ITEM_KINDS)),
    'What the item holds; required for items outside the preset, whose items have theirs.',
  ),
  off: z.described(
    z.optional(
      z.string().check(
        // Blanks are no reason: counted without the spaces around it.
        z.trim(),
        z.minLength(10, 'must give the reason the deployment does not use this item (10 characters or more)'),
        z.maxLength(512),
      ),
    ),
    'Switch the item off, with the reason (e.g. "SCEP is not enabled in this deployment").',
  ),
});

/**
 * A URL of certctl's CA endpoints: https, or plain http to a loopback host only. EST cacerts and SCEP
 * GetCACert answers are not signed (RFC 7030 §4.1.3 relies on TLS; RFC 8894 §4.2 has the client
 * check the CA out of band), so over plain http anyone on the path could serve the backed-up CA
 * certificate, which is public, and make the comparison pass while certctl serves another.
 */
const liveCaUrl = z.url({ protocol: /^https?$/ }).check(
  z.refine(
    (url) => isHttpsOrLoopback(new URL(url)),
    'must be an https URL (plain http only to 127.0.0.1, localhost or [::1]): an answer over plain http proves nothing about the CA certctl serves',
  ),
  // fetch refuses a URL with credentials, quoting it whole in its error, which the finding repeated;
  // the endpoints are unauthenticated, so credentials here are a mistake (and not repeated).
  z.refine((url) => {
    const { username, password } = new URL(url);
    return username === '' && password === '';
  }, "must not carry a user name or password (certctl's cacerts and GetCACert need none; the URL is repeated in findings)"),
);

const liveCaSchema = z
  .strictObject({
    fingerprintSha256: z.described(
      z.optional(
        z
          .string()
          .check(
            z.regex(SHA256_FINGERPRINT, 'must be a SHA-256 fingerprint (64 hex digits, colons optional)'),
          ),
      ),
      "SHA-256 fingerprint of the CA certificate certctl issues from now (an intermediate's when it issues from one), compared exactly. Without it, the issuing CA is the served CA certificate that issued no other served one; several such are not guessed.",
    ),
    estUrl: z.described(
      z.optional(liveCaUrl),
      "certctl's EST cacerts URL (https://certctl.example/.well-known/est/cacerts); https, plain http only to a loopback host. Read within 10 s and up to 1 MiB; a PKCS#7 answer counts only as a certs-only SignedData (RFC 7030 §4.1.3), else the comparison is not available, saying why.",
    ),
    scepUrl: z.described(
      z.optional(liveCaUrl),
      "certctl's SCEP URL (https://certctl.example/scep); GetCACert is appended. https, plain http only to a loopback host. Read as estUrl is (10 s, 1 MiB, a PKCS#7 chain only as a certs-only SignedData, RFC 8894 §4.2.1.2).",
    ),
  })
  .check(
    z.superRefine((live, context) => {
      const set = [live.fingerprintSha256, live.estUrl, live.scepUrl].filter((value) => value !== undefined);
      if (set.length !== 1) {
        context.addIssue({
          code: 'custom',
          message: 'set exactly one of fingerprintSha256, estUrl, scepUrl',
        });
      }
    }),
  );

export const keysPolicySchema = z
  .strictObject({
    preset: z.described(
      z._default(z.enum(['certctl', 'none']), 'certctl'),
      '`certctl`: the items certctl needs outside its database; `none`: only `items`.',
    ),
    scepProfiles: z.described(
      z._default(z.array(z.string().check(z.regex(PROFILE, 'must be a SCEP profile name'))), []),
      'CERTCTL_SCEP_PROFILES: one RA certificate and key per profile; empty means the legacy CERTCTL_SCEP_RA_{CERT,KEY}_PATH pair.',
    ),
    trustBundleProfiles: z.described(
      z._default(z.array(z.string().check(z.regex(PROFILE, 'must be a profile name'))), []),
      'SCEP/EST profiles with an mTLS client-CA trust bundle (…_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH).',
    ),
    ocspIssuers: z.described(
      z._default(z.array(z.string().check(z.regex(PROFILE, 'must be an issuer id'))), ['iss-local']),
      'Issuers with an OCSP responder key (ocsp-responder-<issuer>.key).',
    ),
    items: z.described(
      z._default(
        z.record(
          z.string().check(z.regex(ITEM_ID, 'must be an item id such as ca-key or scep-ra-key.corp')),
          itemSchema,
        ),
        {},
      ),
      'Where each item is backed up, or why it is off; ids outside the preset add items.',
    ),
    inspectSecretValues: z.described(
      z._default(z.boolean(), false),
      'Read secret values to judge `keys.content` (grants GetSecretValue on inventory secrets only).',
    ),
    expiryHorizonDays: z.described(
      z._default(z.int().check(z.gte(0), z.lte(3650)), DEFAULT_EXPIRY_HORIZON_DAYS),
      'A backed-up certificate, or the imported key material of a KMS key that encrypts a secret, the dumps or a readiness snapshot, expiring within this many days is a WARNING (a warning of the readiness GO).',
    ),
    kmsKeyAccounts: z.described(
      z._default(z.array(awsAccountIdField), []),
      "AWS accounts holding the secrets' KMS keys when not the secrets' own (a central key account): the audit roles may describe those keys and, with inspectSecretValues, decrypt through Secrets Manager; the readiness, snapshot and chat roles may describe the databases' snapshot keys there too; each key's policy must allow it too.",
    ),
    liveCa: z.described(
      z.optional(liveCaSchema),
      'How to learn the CA certificate certctl serves now, to compare with the backup.',
    ),
  })
  .check(
    z.superRefine((keys, context) => {
      const preset = presetItems(keys);
      const presetIds = new Set(preset.map((item) => item.id));
      for (const item of preset) {
        const mapped = keys.items[item.id];
        // What a preset item holds is certctl's (a certificate file, a key file): another kind would
        // judge it by other rules (ca-cert as a bundle passes on any valid member, never compared
        // with the live CA nor required to be a CA), so it is refused, not honoured.
        if (mapped?.kind !== undefined && mapped.kind !== item.kind) {
          context.addIssue({
            code: 'custom',
            path: ['items', item.id, 'kind'],
            message: `${item.source} holds ${item.kind === 'opaque' ? 'an opaque value' : `a ${item.kind}`} (the preset says so): leave kind out, or set it to ${item.kind}`,
          });
        }
        if (!mapped || (mapped.secret === undefined && mapped.off === undefined)) {
          context.addIssue({
            code: 'custom',
            path: ['items', item.id],
            message: `${item.source} is not mapped: set secret (ARN, name with region and account, or projects/<p>/secrets/<s>) or switch it off with off: <reason>`,
          });
        }
      }
      for (const [id, item] of Object.entries(keys.items)) {
        const path = ['items', id];
        if (item.secret !== undefined && item.off !== undefined) {
          context.addIssue({ code: 'custom', path, message: 'set either secret or off, not both' });
        }
        if (!presetIds.has(id) && item.off === undefined) {
          if (item.kind === undefined)
            context.addIssue({
              code: 'custom',
              path: [...path, 'kind'],
              message: 'is required for an item outside the preset',
            });
          if (item.secret === undefined)
            context.addIssue({
              code: 'custom',
              path: [...path, 'secret'],
              message: 'is required for an item outside the preset',
            });
        }
        if (item.secret !== undefined) {
          const problem = secretProblem(item);
          if (problem) context.addIssue({ code: 'custom', path: [...path, 'secret'], message: problem });
        }
      }
      for (const issue of secretsNamedTwoWays(keys.items)) context.addIssue({ code: 'custom', ...issue });
    }),
  );

export type KeysPolicy = z.output<typeof keysPolicySchema>;
export type KeysPolicyInput = z.input<typeof keysPolicySchema>;
type ItemPolicy = z.output<typeof itemSchema>;

/** An item of the certctl preset: its id, what it holds, and the certctl setting it comes from. */
export interface PresetItem {
  readonly id: string;
  readonly kind: KeyItemKind;
  /** certctl's configuration name, quoted in findings and errors. */
  readonly source: string;
  /** For a private key: the certificate item it must match. */
  readonly certificate?: string;
  /** For a certificate: the CA certificate item it must chain to. */
  readonly issuer?: string;
}

/** The preset's items for this section (SCEP profiles and OCSP issuers expand). */
export function presetItems(
  keys: Pick<KeysPolicy, 'preset' | 'scepProfiles' | 'ocspIssuers' | 'trustBundleProfiles'>,
): PresetItem[] {
  if (keys.preset === 'none') return [];
  const items: PresetItem[] = [
    { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH' },
    { id: 'ca-key', kind: 'private-key', source: 'CERTCTL_CA_KEY_PATH', certificate: 'ca-cert' },
  ];
  if (keys.scepProfiles.length === 0) {
    items.push(
      { id: 'scep-ra-cert', kind: 'certificate', source: 'CERTCTL_SCEP_RA_CERT_PATH', issuer: 'ca-cert' },
      {
        id: 'scep-ra-key',
        kind: 'private-key',
        source: 'CERTCTL_SCEP_RA_KEY_PATH',
        certificate: 'scep-ra-cert',
      },
    );
  }
  for (const profile of keys.scepProfiles) {
    const name = profile.toUpperCase();
    items.push(
      {
        id: `scep-ra-cert.${profile}`,
        kind: 'certificate',
        source: `CERTCTL_SCEP_PROFILE_${name}_RA_CERT_PATH`,
        issuer: 'ca-cert',
      },
      {
        id: `scep-ra-key.${profile}`,
        kind: 'private-key',
        source: `CERTCTL_SCEP_PROFILE_${name}_RA_KEY_PATH`,
        certificate: `scep-ra-cert.${profile}`,
      },
    );
  }
  for (const profile of keys.trustBundleProfiles) {
    items.push({
      id: `trust-bundle.${profile}`,
      kind: 'bundle',
      source: `CERTCTL_*_PROFILE_${profile.toUpperCase()}_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH`,
    });
  }
  for (const issuer of keys.ocspIssuers) {
    items.push({
      id: `ocsp-key.${issuer}`,
      kind: 'private-key',
      source: `CERTCTL_OCSP_RESPONDER_KEY_DIR/ocsp-responder-${issuer}.key`,
    });
  }
  items.push(
    { id: 'server-tls-cert', kind: 'certificate', source: 'CERTCTL_SERVER_TLS_CERT_PATH' },
    {
      id: 'server-tls-key',
      kind: 'private-key',
      source: 'CERTCTL_SERVER_TLS_KEY_PATH',
      certificate: 'server-tls-cert',
    },
    { id: 'api-keys', kind: 'opaque', source: 'CERTCTL_AUTH_SECRET / CERTCTL_API_KEYS_NAMED' },
    { id: 'config-encryption-key', kind: 'opaque', source: 'CERTCTL_CONFIG_ENCRYPTION_KEY' },
  );
  return items;
}

/** Where an item's secret lives, resolved from the policy. */
export type SecretLocation =
  | {
      readonly provider: 'aws';
      readonly account: string;
      readonly region: string;
      /** What DescribeSecret is called with: the ARN as written, or the name. */
      readonly secretId: string;
      /** The secret's name (from the ARN, or as written). */
      readonly name: string;
      readonly arn?: string;
    }
  | {
      readonly provider: 'gcp';
      readonly project: string;
      readonly secret: string;
      /** `projects/<project>/secrets/<secret>`. */
      readonly resourceName: string;
    };

/** An inventory item that is on, with its secret. */
export interface InventoryItem {
  readonly id: string;
  readonly kind: KeyItemKind;
  readonly source: string;
  readonly location: SecretLocation;
  readonly jsonKey?: string;
  /** For a private key: the certificate item it must match, when that item is on. */
  readonly certificate?: string;
  /** For a private key: the certificate item it must match, when that item is switched off. */
  readonly certificateOff?: string;
  /** For a certificate: the CA certificate item it must chain to, when that item is on. */
  readonly issuer?: string;
  /** For a certificate: the CA certificate item it must chain to, when that item is switched off. */
  readonly issuerOff?: string;
}

const inventories = new WeakMap<KeysPolicy, readonly InventoryItem[]>();

/**
 * {@link keyInventory} of a keys policy, made once per policy object: the parse builds it to check
 * where the secrets are (core/policy.ts), and the runs then read that one (key-material.ts
 * `keysInventoryOf`) rather than build it again. A parsed policy is not changed afterwards.
 */
export function inventoryOf(keys: KeysPolicy): readonly InventoryItem[] {
  let made = inventories.get(keys);
  if (!made) {
    made = keyInventory(keys);
    inventories.set(keys, made);
  }
  return made;
}

/**
 * The on-items of the inventory, each with its secret; items switched off are left out. A partner
 * switched off is named as such (`certificateOff`, `issuerOff`), so `keys.content` never takes an
 * item whose partner is off for one that has no partner.
 */
export function keyInventory(keys: KeysPolicy): InventoryItem[] {
  const preset = new Map(presetItems(keys).map((item) => [item.id, item]));
  const inventory: InventoryItem[] = [];
  const ids = new Set([...preset.keys(), ...Object.keys(keys.items)]);
  for (const id of ids) {
    const mapped = keys.items[id];
    if (!mapped || mapped.off !== undefined || mapped.secret === undefined) continue;
    const base = preset.get(id);
    const location = secretLocation(mapped);
    if (!location) continue;
    const certificate = base?.certificate;
    const issuer = base?.issuer;
    const isOff = (partner: string) => keys.items[partner]?.off !== undefined;
    inventory.push({
      id,
      kind: mapped.kind ?? base?.kind ?? 'opaque',
      source: base?.source ?? `items.${id}`,
      location,
      ...(mapped.jsonKey ? { jsonKey: mapped.jsonKey } : {}),
      ...(certificate ? (isOff(certificate) ? { certificateOff: certificate } : { certificate }) : {}),
      ...(issuer ? (isOff(issuer) ? { issuerOff: issuer } : { issuer }) : {}),
    });
  }
  return inventory;
}

/** An item of key material the keys gate does not judge, and why (readiness names each). */
export interface ItemOutside {
  readonly item: string;
  /** certctl's configuration name for a preset item, `items.<id>` for one of the policy's own. */
  readonly source: string;
  readonly reason: string;
}

/**
 * The items the keys gate does not judge: those switched off (with their reason), and with preset
 * `none` the certctl preset's items `items` does not list. Both are legitimate (certctl may run no
 * local CA), but a GO of the keys gate proves nothing about them, so readiness names them.
 */
export function itemsOutside(keys: KeysPolicy): ItemOutside[] {
  const certctl = presetItems({ ...keys, preset: 'certctl' });
  const sourceOf = (id: string) => certctl.find((item) => item.id === id)?.source ?? `items.${id}`;
  const off = Object.entries(keys.items).flatMap(([id, item]) =>
    item.off === undefined ? [] : [{ item: id, source: sourceOf(id), reason: `switched off: ${item.off}` }],
  );
  const unlisted =
    keys.preset === 'none'
      ? certctl
          .filter((item) => keys.items[item.id] === undefined)
          .map((item) => ({
            item: item.id,
            source: item.source,
            reason: 'keys.preset is none and keys.items does not list it',
          }))
      : [];
  return [...off, ...unlisted];
}

/** The secret's key for grouping items: one secret may back several items. */
export function secretKey(location: SecretLocation): string {
  return location.provider === 'aws'
    ? `aws/${location.account}/${location.region}/${location.name}`
    : `gcp/${location.resourceName}`;
}

function secretLocation(item: ItemPolicy): SecretLocation | undefined {
  const secret = item.secret;
  if (secret === undefined) return undefined;
  const arn = SECRET_ARN.exec(secret);
  if (arn) {
    const [, region = '', account = '', name = ''] = arn;
    return { provider: 'aws', account, region, secretId: secret, name, arn: secret };
  }
  const gcp = GCP_SECRET.exec(secret);
  if (gcp) {
    const [, project = '', name = ''] = gcp;
    return { provider: 'gcp', project, secret: name, resourceName: secret };
  }
  if (SECRET_NAME.test(secret) && item.region && item.account) {
    return { provider: 'aws', account: item.account, region: item.region, secretId: secret, name: secret };
  }
  return undefined;
}

/** The suffix Secrets Manager adds to a secret's name in its ARN: `-` and six characters. */
const ARN_SUFFIX = /^(.+)-[A-Za-z0-9]{6}$/;

/**
 * Items that name one Secrets Manager secret two ways: its complete ARN (name, `-` and the six
 * characters Secrets Manager adds) in one, its name or partial ARN in another. Grouped by what they
 * say (functions/core/key-material.ts inventorySecrets), they would be two secrets of the
 * inventory: one resource judged twice, each check's finding twice under one identity, its value
 * read for one of them only. An ARN whose name ends in `-` and six characters is taken by Secrets
 * Manager as a complete ARN (DescribeSecret `SecretId`: "those characters cause Secrets Manager to
 * assume that you're specifying a complete ARN",
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html), so
 * the name before the suffix is the secret's. Refused rather than guessed: the items must agree.
 */
function secretsNamedTwoWays(
  items: Readonly<Record<string, ItemPolicy>>,
): { path: (string | number)[]; message: string }[] {
  const located = Object.entries(items).flatMap(([id, item]) => {
    if (item.off !== undefined) return [];
    const location = secretLocation(item);
    return location?.provider === 'aws' ? [{ id, location }] : [];
  });
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const { id, location } of located) {
    const base = location.arn === undefined ? undefined : ARN_SUFFIX.exec(location.name)?.[1];
    if (base === undefined) continue;
    const other = located.find(
      ({ location: named }) =>
        named.account === location.account && named.region === location.region && named.name === base,
    );
    if (!other) continue;
    issues.push({
      path: ['items', id, 'secret'],
      message: `names the secret ${base} (the last "-" and six characters of a complete ARN are the suffix Secrets Manager adds), which item ${other.id} names as ${other.location.secretId}: name it the same way in every item, so it is read and judged once`,
    });
  }
  return issues;
}

/**
 * What is wrong with a `projects/…` secret reference. Secret Manager answers names with the
 * project's number (`projects/{project_number}/secrets/{secret_id}`), but a scope is a project ID
 * (gcp.projects), so a number would match no scope; a regional secret
 * (`projects/*\/locations/*\/secrets/*`, https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.locations.secrets)
 * is served by other endpoints and has no replication, which this audit does not read.
 */
function gcpSecretProblem(secret: string): string {
  const numbered = /^projects\/(\d+)\/secrets\/([^/]+)$/.exec(secret);
  if (numbered)
    return `names the project by its number (${numbered[1]}): write its project ID, as gcp.projects does (projects/<project-id>/secrets/${numbered[2]})`;
  const regional = /^projects\/([^/]+)\/locations\/[^/]+\/secrets\/[^/]+$/.exec(secret);
  if (regional)
    return `is a regional secret (projects/<project>/locations/<location>/secrets/<secret>), which this audit does not read: name a global secret (projects/${regional[1]}/secrets/<secret>)`;
  return 'is not a Secret Manager resource name (projects/<project>/secrets/<secret>)';
}

function secretProblem(item: ItemPolicy): string | undefined {
  const secret = item.secret ?? '';
  const arnRegion = SECRET_ARN.exec(secret)?.[1];
  if (arnRegion !== undefined || GCP_SECRET.test(secret)) {
    if (item.region || item.account) return 'region and account belong to a secret named without an ARN';
    // The rule aws.regions uses: a region such as moon-1 would fail only when the audit calls it.
    if (arnRegion !== undefined && !isAwsRegionName(arnRegion))
      return `names the region ${arnRegion}, which is not an AWS region name (such as eu-west-1)`;
    return undefined;
  }
  if (secret.startsWith('arn:'))
    return 'is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)';
  if (secret.startsWith('projects/')) return gcpSecretProblem(secret);
  if (!SECRET_NAME.test(secret)) return 'is not a Secrets Manager secret name';
  if (!item.region || !item.account) return 'a secret named without an ARN needs region and account';
  return undefined;
}
