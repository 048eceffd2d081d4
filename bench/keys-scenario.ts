/**
 * The keys benchmark's world (bench/audit-keys.ts, bench/audit-keys-ab.ts): 2,000 inventory secrets
 * over 8 regions, one customer-managed key per region, each secret replicated to the next region;
 * the simulator's scenario and the policy that names every secret by its ARN.
 */
import { DEFAULT_ACCOUNT_ID } from '../test/sim/accounts.ts';

export const SECRETS = 2000;
export const REGIONS = [
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
];
const keyId = (index: number): string => `0000000${index}-1111-2222-3333-444444444444`;

const secrets = Array.from({ length: SECRETS }, (_, index) => {
  const regionIndex = index % REGIONS.length;
  const region = REGIONS[regionIndex] ?? 'eu-west-1';
  return {
    name: `certctl/item-${index}`,
    region,
    kmsKeyId: `arn:aws:kms:${region}:${DEFAULT_ACCOUNT_ID}:key/${keyId(regionIndex)}`,
    replicas: [{ region: REGIONS[(regionIndex + 1) % REGIONS.length] ?? 'eu-west-1' }],
    value: `opaque value ${index}`,
  };
});

/** The simulator's scenario. */
export const scenario = {
  accounts: [{ id: DEFAULT_ACCOUNT_ID }],
  regions: REGIONS.map((name) => ({ name })),
  services: {
    secretsManager: { secrets },
    kms: { keys: REGIONS.map((region, index) => ({ id: keyId(index), region })) },
  },
};

/** The policy (before parsing): every secret an opaque item, values read only with `inspect`. */
export const items = (inspect: boolean) => ({
  aws: { regions: REGIONS },
  keys: {
    preset: 'none' as const,
    inspectSecretValues: inspect,
    items: Object.fromEntries(
      secrets.map((secret, index) => [
        `item-${index}`,
        {
          kind: 'opaque' as const,
          secret: `arn:aws:secretsmanager:${secret.region}:${DEFAULT_ACCOUNT_ID}:secret:${secret.name}`,
        },
      ]),
    ),
  },
});
