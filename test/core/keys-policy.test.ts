/** The `keys` policy section: the certctl preset, mappings, switch-offs and the live CA. */
import { describe, expect, it } from 'vitest';
import { isAwsRegionName } from '../../functions/core/aws-region.ts';
import { keysInventoryOf } from '../../functions/core/key-material.ts';
import { keyInventory, presetItems, secretKey } from '../../functions/core/keys-policy.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { keysPolicy } from '../fixtures/keys/world.ts';

function problems(input: unknown): string {
  try {
    parsePolicy(input);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('keys policy', () => {
  it('audits no key material when the section is absent', () => {
    expect(parsePolicy({}).keys).toBeUndefined();
  });
  it('names every unmapped preset item with its certctl setting when the section is present', () => {
    const message = problems({ keys: {} });
    expect(message).toContain('keys.items.ca-key: CERTCTL_CA_KEY_PATH is not mapped');
    expect(message).toContain(
      'keys.items.config-encryption-key: CERTCTL_CONFIG_ENCRYPTION_KEY is not mapped',
    );
  });
  it('calls a preset item mapped with neither secret nor off unmapped', () => {
    expect(problems({ keys: { items: { 'ca-key': { jsonKey: 'key' } } } })).toContain(
      'keys.items.ca-key: CERTCTL_CA_KEY_PATH is not mapped',
    );
  });
  it('expands SCEP profiles into one RA pair each when scepProfiles is set', () => {
    const ids = presetItems({
      preset: 'certctl',
      scepProfiles: ['corp', 'iot'],
      ocspIssuers: ['iss-local'],
      trustBundleProfiles: [],
    }).map((item) => item.id);
    expect(ids).toContain('scep-ra-key.iot');
    expect(ids).not.toContain('scep-ra-key');
    expect(
      presetItems({
        preset: 'certctl',
        scepProfiles: ['corp'],
        ocspIssuers: [],
        trustBundleProfiles: [],
      }).find((item) => item.id === 'scep-ra-cert.corp')?.source,
    ).toBe('CERTCTL_SCEP_PROFILE_CORP_RA_CERT_PATH');
  });
  it('leaves out items switched off with a reason and drops their pairing', () => {
    const policy = parsePolicy({
      keys: {
        preset: 'none',
        items: {
          'ca-cert': { off: 'the CA runs in an external HSM' },
          key: { kind: 'private-key', secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:k' },
        },
      },
    });
    expect(keyInventory(policy.keys ?? ({} as never)).map((item) => item.id)).toEqual(['key']);
  });
  it('refuses an off without a reason, a bare name without region, and two live-CA sources', () => {
    expect(problems({ keys: { preset: 'none', items: { x: { off: 'no' } } } })).toContain(
      'keys.items.x.off: must give the reason',
    );
    // Blanks are no reason: the item would drop out of the audit with nothing said why.
    expect(problems({ keys: { preset: 'none', items: { x: { off: ' '.repeat(12) } } } })).toContain(
      'keys.items.x.off: must give the reason',
    );
    expect(problems({ keys: { preset: 'none', items: { x: { off: '\n\t no  \n\t\t' } } } })).toContain(
      'keys.items.x.off: must give the reason',
    );
    expect(
      problems({ keys: { preset: 'none', items: { x: { kind: 'opaque', secret: 'certctl/x' } } } }),
    ).toContain('a secret named without an ARN needs region and account');
    expect(
      problems({
        keys: {
          preset: 'none',
          liveCa: { estUrl: 'https://a/.well-known/est/cacerts', scepUrl: 'https://a/scep' },
        },
      }),
    ).toContain('set exactly one of');
  });
  it('refuses a live-CA URL carrying a user name or password, without repeating it, before a finding could quote it', () => {
    // fetch refuses such a URL, and its error quotes it whole: the password reached the finding,
    // its reports and Security Hub. certctl's cacerts and GetCACert need no credentials.
    const live = (liveCa: Record<string, string>) => problems({ keys: { preset: 'none', liveCa } });
    const messages = [
      live({ estUrl: 'https://ops:CANARY-pw-77@certctl.example/.well-known/est/cacerts' }),
      live({ scepUrl: 'https://CANARY-token-77@certctl.example/scep' }),
    ];
    expect(messages[0]).toContain('keys.liveCa.estUrl: must not carry a user name or password');
    expect(messages[1]).toContain('keys.liveCa.scepUrl: must not carry a user name or password');
    expect(messages.join('\n')).not.toContain('CANARY');
  });
  it('refuses a live-CA URL over plain http except to a loopback host: an unauthenticated answer proves no CA', () => {
    // GetCACert and cacerts are unsigned: over plain http anyone on the path can serve the backed-up
    // CA certificate (it is public) and make keys.content pass while certctl serves another one.
    const live = (liveCa: Record<string, string>) => problems({ keys: { preset: 'none', liveCa } });
    expect(live({ estUrl: 'http://certctl.example/.well-known/est/cacerts' })).toContain(
      'keys.liveCa.estUrl: must be an https URL',
    );
    expect(live({ scepUrl: 'http://10.0.0.5:8080/scep' })).toContain(
      'keys.liveCa.scepUrl: must be an https URL',
    );
    expect(live({ scepUrl: 'http://127.0.0.1:8080/scep' })).toBe('');
    expect(live({ estUrl: 'http://localhost:8080/.well-known/est/cacerts' })).toBe('');
    expect(live({ estUrl: 'https://certctl.example/.well-known/est/cacerts' })).toBe('');
  });
  it('refuses another kind for a preset item: certctl fixes what its file holds', () => {
    // ca-cert as a bundle (its file holds a chain) was judged as a set of anchors: any valid member
    // passed, and neither its CA constraint nor the live CA was compared.
    const off = { off: 'not part of this deployment' };
    const items = (caCert: Record<string, string>) => ({
      keys: {
        scepProfiles: [],
        ocspIssuers: [],
        items: {
          'ca-cert': { secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ca', ...caCert },
          'ca-key': off,
          'scep-ra-cert': off,
          'scep-ra-key': off,
          'server-tls-cert': off,
          'server-tls-key': off,
          'api-keys': off,
          'config-encryption-key': off,
        },
      },
    });
    expect(problems(items({ kind: 'bundle' }))).toContain(
      'keys.items.ca-cert.kind: CERTCTL_CA_CERT_PATH holds a certificate (the preset says so): leave kind out, or set it to certificate',
    );
    expect(problems(items({ kind: 'opaque' }))).toContain(
      'keys.items.ca-cert.kind: CERTCTL_CA_CERT_PATH holds a certificate',
    );
    expect(problems(items({ kind: 'certificate' }))).toBe('');
    expect(problems(items({}))).toBe('');
  });
  it('resolves ARNs, names and GCP resource names to their locations', () => {
    const policy = parsePolicy(keysPolicy());
    const inventory = keyInventory(policy.keys ?? ({} as never));
    expect(inventory.find((item) => item.id === 'ca-key')?.location).toMatchObject({
      provider: 'aws',
      region: 'eu-west-1',
      name: 'certctl/ca',
    });
    expect(inventory.find((item) => item.id === 'ca-key')?.certificate).toBe('ca-cert');
    expect(inventory.find((item) => item.id === 'ocsp-key.iss-local')?.location).toMatchObject({
      secretId: 'certctl/ocsp-iss-local',
      account: '111111111111',
    });
    expect(inventory.find((item) => item.id === 'gcp-config-key')?.location).toMatchObject({
      provider: 'gcp',
      project: 'certctl-prod',
    });
  });

  it('names the item whose secret is in an account aws.accounts does not list', () => {
    // Prepare
    const member = { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/audit' };
    // Act
    const byArn = problems({ ...keysPolicy(), aws: { accounts: [member] } });
    // Assess: the ARN names the account in `secret`, a bare name in `account`.
    expect(byArn).toContain('keys.items.ca-key.secret: 111111111111 is not in aws.accounts');
    expect(byArn).toContain('keys.items.ocsp-key.iss-local.account: 111111111111 is not in aws.accounts');
  });
  it('names the item whose Secret Manager project is not in gcp.projects', () => {
    // Act / Assess
    expect(problems({ ...keysPolicy(), gcp: { projects: [] } })).toContain(
      'keys.items.gcp-ca-backup.secret: certctl-prod is not in gcp.projects',
    );
  });
  it('refuses secrets and dump locations in two accounts when only the caller’s own account is read', () => {
    // Act
    const message = problems({
      dumps: {
        locations: [
          { provider: 'aws', bucket: 'certctl-dumps', account: '111111111111', region: 'eu-west-1' },
        ],
      },
      keys: {
        preset: 'none',
        items: {
          other: { kind: 'opaque', secret: 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:x' },
        },
      },
    });
    // Assess
    expect(message).toContain(
      'keys.items.other.secret: AWS dump locations and key-material secrets name accounts 111111111111, 333333333333',
    );
  });
  it('runs the keys audit daily unless schedules.auditKeys says otherwise, with the schedule rules', () => {
    // Act / Assess
    expect(parsePolicy({}).schedules.auditKeys).toBe('rate(1 day)');
    expect(problems({ schedules: { auditKeys: 'rate(often)' } })).toContain('schedules.auditKeys: ');
  });
});

describe('keys policy inventory and item rules', () => {
  const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}`;
  const keysOf = (input: unknown) => parsePolicy(input).keys ?? ({} as never);

  it('lists the certctl preset with every setting, pairing and issuer', () => {
    expect(
      presetItems({
        preset: 'certctl',
        scepProfiles: [],
        ocspIssuers: ['iss'],
        trustBundleProfiles: ['corp'],
      }),
    ).toEqual([
      { id: 'ca-cert', kind: 'certificate', source: 'CERTCTL_CA_CERT_PATH' },
      { id: 'ca-key', kind: 'private-key', source: 'CERTCTL_CA_KEY_PATH', certificate: 'ca-cert' },
      { id: 'scep-ra-cert', kind: 'certificate', source: 'CERTCTL_SCEP_RA_CERT_PATH', issuer: 'ca-cert' },
      {
        id: 'scep-ra-key',
        kind: 'private-key',
        source: 'CERTCTL_SCEP_RA_KEY_PATH',
        certificate: 'scep-ra-cert',
      },
      {
        id: 'trust-bundle.corp',
        kind: 'bundle',
        source: 'CERTCTL_*_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH',
      },
      {
        id: 'ocsp-key.iss',
        kind: 'private-key',
        source: 'CERTCTL_OCSP_RESPONDER_KEY_DIR/ocsp-responder-iss.key',
      },
      { id: 'server-tls-cert', kind: 'certificate', source: 'CERTCTL_SERVER_TLS_CERT_PATH' },
      {
        id: 'server-tls-key',
        kind: 'private-key',
        source: 'CERTCTL_SERVER_TLS_KEY_PATH',
        certificate: 'server-tls-cert',
      },
      { id: 'api-keys', kind: 'opaque', source: 'CERTCTL_AUTH_SECRET / CERTCTL_API_KEYS_NAMED' },
      { id: 'config-encryption-key', kind: 'opaque', source: 'CERTCTL_CONFIG_ENCRYPTION_KEY' },
    ]);
    expect(
      presetItems({
        preset: 'certctl',
        scepProfiles: ['iot'],
        ocspIssuers: [],
        trustBundleProfiles: [],
      }).slice(2, 4),
    ).toEqual([
      {
        id: 'scep-ra-cert.iot',
        kind: 'certificate',
        source: 'CERTCTL_SCEP_PROFILE_IOT_RA_CERT_PATH',
        issuer: 'ca-cert',
      },
      {
        id: 'scep-ra-key.iot',
        kind: 'private-key',
        source: 'CERTCTL_SCEP_PROFILE_IOT_RA_KEY_PATH',
        certificate: 'scep-ra-cert.iot',
      },
    ]);
  });

  it('refuses an item with both secret and off, and an extra item without kind or secret', () => {
    const message = problems({
      keys: {
        preset: 'none',
        items: { both: { secret: ARN('b'), off: 'a reason long enough', kind: 'opaque' }, bare: {} },
      },
    });
    expect(message).toContain('keys.items.both: set either secret or off, not both');
    expect(message).toContain('keys.items.bare.kind: is required for an item outside the preset');
    expect(message).toContain('keys.items.bare.secret: is required for an item outside the preset');
  });

  it('says why a secret reference is wrong', () => {
    const secret = (value: string, extra: Record<string, string> = {}) =>
      problems({ keys: { preset: 'none', items: { x: { kind: 'opaque', secret: value, ...extra } } } });
    expect(secret('arn:aws:s3:::bucket')).toContain(
      'keys.items.x.secret: is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    );
    expect(secret('projects/p')).toContain(
      'keys.items.x.secret: is not a Secret Manager resource name (projects/<project>/secrets/<secret>)',
    );
    // A name as Secret Manager answers it (the project by its number), and a regional secret:
    // before, both were 'is not a Secret Manager resource name', which they are.
    expect(secret('projects/104753918625/secrets/ca-key')).toContain(
      'keys.items.x.secret: names the project by its number (104753918625): write its project ID, as gcp.projects does (projects/<project-id>/secrets/ca-key)',
    );
    expect(secret('projects/certctl-prod/locations/europe-west1/secrets/ca-key')).toContain(
      'keys.items.x.secret: is a regional secret (projects/<project>/locations/<location>/secrets/<secret>), which this audit does not read: name a global secret (projects/certctl-prod/secrets/<secret>)',
    );
    expect(secret('bad name!', { region: 'eu-west-1', account: '111111111111' })).toContain(
      'keys.items.x.secret: is not a Secrets Manager secret name',
    );
    expect(secret(ARN('x'), { region: 'eu-west-1' })).toContain(
      'keys.items.x.secret: region and account belong to a secret named without an ARN',
    );
    expect(secret('certctl/x', { region: 'eu-west-1' })).toContain(
      'a secret named without an ARN needs region and account',
    );
    expect(secret('certctl/x', { account: '111111111111' })).toContain(
      'a secret named without an ARN needs region and account',
    );
    expect(secret('certctl/x', { region: 'eu-west-1', account: '111111111111' })).toBe('');
  });

  it('refuses a Secrets Manager ARN whose region is not an AWS region name, naming the item', () => {
    // Arrange
    const withSecret = (secret: string) =>
      problems({ keys: { preset: 'none', items: { 'ca-bundle': { kind: 'opaque', secret } } } });

    // Act
    const moon = withSecret('arn:aws:secretsmanager:moon-1:111111111111:secret:certctl/ca');
    const noNumber = withSecret('arn:aws:secretsmanager:eu-west:111111111111:secret:certctl/ca');
    const good = withSecret('arn:aws:secretsmanager:us-gov-west-1:111111111111:secret:certctl/ca');

    // Assess: the same rule as aws.regions (isAwsRegionName), said at the item.
    expect(isAwsRegionName('moon-1')).toBe(false);
    expect(moon).toContain(
      'keys.items.ca-bundle.secret: names the region moon-1, which is not an AWS region name',
    );
    expect(noNumber).toContain(
      'keys.items.ca-bundle.secret: names the region eu-west, which is not an AWS region name',
    );
    expect(good).toBe('');
  });

  it('refuses one secret named two ways (its complete ARN in one item, its name or partial ARN in another)', () => {
    // Two ways of naming one secret made two secrets of the inventory: two facts of one resource,
    // each check's finding twice under one identity (a report merge and Security Hub keep one), and
    // the value read once, for one of them only.
    const full = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca-AbC123';
    const twoWays = (other: Record<string, string>) =>
      problems({
        aws: {
          accounts: ['111111111111', '222222222222'].map((accountId) => ({
            accountId,
            roleArn: `arn:aws:iam::${accountId}:role/audit`,
          })),
        },
        keys: {
          preset: 'none',
          items: {
            cert: { kind: 'certificate', secret: full, jsonKey: 'cert' },
            key: { kind: 'private-key', jsonKey: 'key', ...other },
          },
        },
      });
    const byName = twoWays({ secret: 'certctl/ca', region: 'eu-west-1', account: '111111111111' });
    expect(byName).toContain(
      `keys.items.cert.secret: names the secret certctl/ca (the last "-" and six characters of a complete ARN are the suffix Secrets Manager adds), which item key names as certctl/ca: name it the same way in every item, so it is read and judged once`,
    );
    expect(twoWays({ secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca' })).toContain(
      'which item key names as arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca: name it the same way',
    );
    // The same form twice, other secrets, another region or account, or two complete ARNs of two
    // secrets of one name (one deleted since) are not one secret named two ways.
    expect(twoWays({ secret: full })).toBe('');
    expect(twoWays({ secret: 'certctl/ca-AbC123', region: 'eu-west-1', account: '111111111111' })).toBe('');
    expect(twoWays({ secret: 'certctl/cb', region: 'eu-west-1', account: '111111111111' })).toBe('');
    expect(twoWays({ secret: 'certctl/ca', region: 'us-east-1', account: '111111111111' })).toBe('');
    expect(twoWays({ secret: 'certctl/ca', region: 'eu-west-1', account: '222222222222' })).toBe('');
    expect(twoWays({ secret: `${full.slice(0, -6)}XyZ789` })).toBe('');
    // An item switched off is not read.
    expect(
      problems({
        keys: {
          preset: 'none',
          items: {
            cert: { kind: 'certificate', secret: full },
            key: { kind: 'private-key', off: 'not part of this deployment' },
          },
        },
      }),
    ).toBe('');
  });

  it('gives an extra item its own kind and an items.<id> source, with its JSON key, and drops pairs switched off', () => {
    // Prepare
    const keys = keysOf({
      keys: {
        preset: 'none',
        items: {
          extra: { kind: 'bundle', secret: ARN('e'), jsonKey: 'pem' },
          other: { kind: 'opaque', secret: ARN('o') },
        },
      },
    });
    // Act / Assess
    expect(keyInventory(keys)).toEqual([
      {
        id: 'extra',
        kind: 'bundle',
        source: 'items.extra',
        location: {
          provider: 'aws',
          account: '111111111111',
          region: 'eu-west-1',
          secretId: ARN('e'),
          name: 'e',
          arn: ARN('e'),
        },
        jsonKey: 'pem',
      },
      {
        id: 'other',
        kind: 'opaque',
        source: 'items.other',
        location: {
          provider: 'aws',
          account: '111111111111',
          region: 'eu-west-1',
          secretId: ARN('o'),
          name: 'o',
          arn: ARN('o'),
        },
      },
    ]);
  });

  it('keeps the issuer of a preset certificate unless the issuer is switched off', () => {
    // Prepare
    const on = { secret: ARN('s') };
    const items = (caCert: object) => ({
      'ca-cert': caCert,
      'ca-key': on,
      'scep-ra-cert': on,
      'scep-ra-key': on,
      'server-tls-cert': { off: 'no TLS in this deployment' },
      'server-tls-key': { off: 'no TLS in this deployment' },
      'api-keys': on,
      'config-encryption-key': on,
      'ocsp-key.iss-local': on,
    });
    // Act
    const withCa = keyInventory(keysOf({ keys: { items: items(on) } }));
    const withoutCa = keyInventory(keysOf({ keys: { items: items({ off: 'the CA lives in an HSM' }) } }));
    // Assess
    expect(withCa.find((item) => item.id === 'scep-ra-cert')?.issuer).toBe('ca-cert');
    expect(withoutCa.find((item) => item.id === 'scep-ra-cert')).not.toHaveProperty('issuer');
    expect(withoutCa.find((item) => item.id === 'ca-key')).not.toHaveProperty('certificate');
    expect(withCa.find((item) => item.id === 'scep-ra-key')?.kind).toBe('private-key');
  });

  it('names a partner switched off in the inventory, so a key or RA certificate is never taken as paired', () => {
    // Prepare
    const on = { secret: ARN('s') };
    const off = { off: 'the CA lives in an HSM' };
    const items = {
      'ca-cert': off,
      'ca-key': on,
      'scep-ra-cert': { off: 'the RA certificate is reissued at restore' },
      'scep-ra-key': on,
      'server-tls-cert': on,
      'server-tls-key': on,
      'api-keys': on,
      'config-encryption-key': on,
      'ocsp-key.iss-local': on,
    };
    // Act
    const inventory = keyInventory(keysOf({ keys: { items } }));
    const find = (id: string) => inventory.find((item) => item.id === id);
    // Assess
    expect(find('ca-key')).toMatchObject({ certificateOff: 'ca-cert' });
    expect(find('ca-key')).not.toHaveProperty('certificate');
    expect(find('scep-ra-key')).toMatchObject({ certificateOff: 'scep-ra-cert' });
    expect(find('server-tls-key')).toMatchObject({ certificate: 'server-tls-cert' });
    expect(find('server-tls-key')).not.toHaveProperty('certificateOff');
    expect(find('ocsp-key.iss-local')).not.toHaveProperty('certificateOff');
    const raOn = keyInventory(keysOf({ keys: { items: { ...items, 'scep-ra-cert': on } } }));
    expect(raOn.find((item) => item.id === 'scep-ra-cert')).toMatchObject({ issuerOff: 'ca-cert' });
    expect(raOn.find((item) => item.id === 'scep-ra-cert')).not.toHaveProperty('issuer');
    expect(find('server-tls-cert')).not.toHaveProperty('issuerOff');
  });

  it('keys a secret by provider, account, region and name, or by its GCP resource name', () => {
    expect(
      secretKey({
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        secretId: 'x',
        name: 'certctl/ca',
      }),
    ).toBe('aws/111111111111/eu-west-1/certctl/ca');
    expect(
      secretKey({ provider: 'gcp', project: 'p', secret: 's', resourceName: 'projects/p/secrets/s' }),
    ).toBe('gcp/projects/p/secrets/s');
  });
});

describe('the key inventory at parse', () => {
  it('gives the same errors, in the same order, for secrets placed where no audit reads', () => {
    // Prepare: the fixture's secrets in account 111111111111 and project certctl-prod, neither of
    // which the policy audits.
    const member = { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/audit' };
    const input = { ...keysPolicy(), aws: { accounts: [member] }, gcp: { projects: ['other-project'] } };
    const notListed = (field: string) =>
      `  keys.items.${field}: 111111111111 is not in aws.accounts; list it there with its role (the accounts an audit reads)`;

    // Act
    const message = problems(input);

    // Assess: as before the inventory was built once (inventory order, preset items first).
    expect(message.split('\n')).toEqual([
      'policy is invalid:',
      ...[
        'ca-cert.secret',
        'ca-key.secret',
        'scep-ra-cert.secret',
        'scep-ra-key.secret',
        'trust-bundle.corp.secret',
        'ocsp-key.iss-local.account',
        'server-tls-cert.secret',
        'server-tls-key.secret',
        'api-keys.secret',
        'config-encryption-key.secret',
        'intermediate-cert.secret',
        'agent-bootstrap-token.secret',
        'missing-bundle.secret',
      ].map(notListed),
      '  keys.items.gcp-ca-backup.secret: certctl-prod is not in gcp.projects; list it there (the projects an audit reads)',
      '  keys.items.gcp-config-key.secret: certctl-prod is not in gcp.projects; list it there (the projects an audit reads)',
    ]);
  });

  it('is built once per parsed policy: the runs read the inventory the parse built', () => {
    // Prepare
    const policy = parsePolicy(keysPolicy());
    const keys = policy.keys ?? ({} as never);
    // A parsed policy is not changed afterwards; changed here only to show which build a run reads.
    delete (keys.items as Record<string, unknown>)['ca-key'];

    // Act
    const { inventory } = keysInventoryOf(keys);

    // Assess: still the item the parse saw, so the run did not build the inventory again.
    expect(inventory.map((item) => item.id)).toContain('ca-key');
  });
});
