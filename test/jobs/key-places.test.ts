/**
 * The keys group's places and its collectors read one inventory per policy: the planner's places
 * (before the account is known) and every scope's collector share what keysInventoryOf made.
 */
import { describe, expect, it, vi } from 'vitest';
import { keysInventoryOf } from '../../functions/core/key-material.ts';
import { keyInventory } from '../../functions/core/keys-policy.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { keyPlaces } from '../../functions/jobs/groups.ts';

vi.mock('../../functions/core/keys-policy.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/core/keys-policy.ts')>();
  return { ...original, keyInventory: vi.fn(original.keyInventory) };
});

describe('keyPlaces', () => {
  it("builds the policy's inventory once for the places of both clouds and every scope's collector", () => {
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
    vi.mocked(keyInventory).mockClear();

    // Act
    const aws = keyPlaces(keys, 'aws');
    const gcp = keyPlaces(keys, 'gcp');
    const collected = keys ? keysInventoryOf(keys) : undefined;

    // Assess
    expect(aws).toEqual([{ account: '111111111111', region: 'eu-west-1' }]);
    expect(gcp).toEqual([{ account: 'certctl-prod', region: '*' }]);
    expect(collected?.inventory.map((item) => item.id)).toEqual(['ca', 'tls']);
    expect(keyInventory).toHaveBeenCalledTimes(1);
  });
});
