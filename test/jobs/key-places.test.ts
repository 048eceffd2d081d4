/**
 * The keys group's places and its collectors read one inventory per policy: the one the parse built
 * (core/keys-policy.ts inventoryOf), which the planner's places (before the account is known) and
 * every scope's collector share.
 */
import { describe, expect, it } from 'vitest';
import { keysInventoryOf } from '../../functions/core/key-material.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { keyPlaces } from '../../functions/jobs/groups.ts';

describe('keyPlaces', () => {
  it("reads the inventory the parse built for the places of both clouds and every scope's collector", () => {
    // Prepare
    const keys = parsePolicy({
      gcp: { projects: ['certctl-prod'] },
      keys: {
        preset: 'none',
        items: {
          ca: { kind: 'opaque', secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/ca' },
          tls: { kind: 'opaque', secret: 'projects/certctl-prod/secrets/tls' },
        },
      },
    }).keys;
    // A parsed policy is not changed afterwards; changed here only to show which build each reads:
    // one built after this would have no item at all.
    if (keys) for (const id of Object.keys(keys.items)) delete keys.items[id];

    // Act
    const aws = keyPlaces(keys, 'aws');
    const gcp = keyPlaces(keys, 'gcp');
    const collected = keys ? keysInventoryOf(keys) : undefined;

    // Assess
    expect(aws).toEqual([{ account: '111111111111', region: 'eu-west-1' }]);
    expect(gcp).toEqual([{ account: 'certctl-prod', region: '*' }]);
    expect(collected?.inventory.map((item) => item.id)).toEqual(['ca', 'tls']);
  });
});
