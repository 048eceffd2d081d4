import { describe, expect, it } from 'vitest';
import { currentVersionOf } from '../../functions/aws/secrets-manager.ts';

describe('currentVersionOf', () => {
  it('reads a secret whose version carries AWSCURRENT as holding a value', () => {
    expect(currentVersionOf({ VersionIdsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] } })).toEqual({
      state: 'read',
      value: { state: 'ENABLED' },
    });
  });

  it('reads a secret with no version labelled AWSCURRENT as holding no value', () => {
    // A secret created without SecretString or SecretBinary has no version at all.
    expect(currentVersionOf({ VersionIdsToStages: {} })).toEqual({ state: 'read', value: { state: 'none' } });
    expect(currentVersionOf({ VersionIdsToStages: { v1: ['AWSPENDING'] } })).toEqual({
      state: 'read',
      value: { state: 'none' },
    });
  });

  it('reads a secret as holding no value when DescribeSecret leaves VersionIdsToStages out', () => {
    // DescribeSecret only returns fields that have a value: a secret with no version has no map.
    expect(currentVersionOf({})).toEqual({ state: 'read', value: { state: 'none' } });
  });
});
