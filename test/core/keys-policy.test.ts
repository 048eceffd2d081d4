/** The `keys` policy section: the certctl preset, mappings, switch-offs and the live CA. */
import { describe, expect, it } from 'vitest';
import { keyInventory, presetItems } from '../../functions/core/keys-policy.ts';
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
