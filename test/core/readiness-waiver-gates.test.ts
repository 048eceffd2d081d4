/**
 * A readiness waiver names a gate of the catalog: one naming no check group (a typo such as
 * audit:key) waives nothing, and readiness then says the gate is not waived, while the policy
 * author believes it is. The policy refuses it, naming the gates there are.
 */
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';

const waiver = { reason: 'CA keys held offline in an HSM', expires: '2027-03-31' };

describe('snapshots.readinessWaivers gate names', () => {
  it('refuses a waiver naming no check group, listing the gates', () => {
    expect(() => parsePolicy({ snapshots: { readinessWaivers: { 'audit:key': waiver } } })).toThrow(
      /snapshots\.readinessWaivers\.audit:key: 'audit:key' names no check group; did you mean audit:keys\? The gates are audit:pitr, audit:dumps, audit:keys$/m,
    );
  });

  it('accepts a waiver of a catalog gate', () => {
    // Read within the 90 days before its last day.
    const policy = parsePolicy(
      { snapshots: { readinessWaivers: { 'audit:keys': waiver } } },
      'policy',
      new Date('2027-01-15T00:00:00Z'),
    );
    expect(policy.snapshots.readinessWaivers['audit:keys']).toEqual(waiver);
  });
});
