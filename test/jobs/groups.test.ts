import { describe, expect, it } from 'vitest';
import { CHECK_GROUPS } from '../../functions/core/finding.ts';
import { knownCheckGroups } from '../../functions/core/known-groups.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { checkGroups, defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { canaryCheck } from './throwaway-group/group.ts';

describe('registerCheckGroup', () => {
  it("refuses a check id holding '/', naming it and why, and registers nothing", () => {
    // Prepare: a finding Id is certctl-backup-guard/<check id>/<resource>, split at '/'.
    const group = defineCheckGroup({
      name: 'slashed',
      summary: 'a group whose check id holds a slash',
      checks: [
        { ...canaryCheck, metadata: { ...canaryCheck.metadata, id: 'slashed.a/b', group: 'slashed' } },
      ],
    });
    const before = checkGroups().map(({ name }) => name);

    // Act
    const register = () => registerCheckGroup(group);

    // Assess
    expect(register).toThrow(
      "check id 'slashed.a/b' must not contain '/': Security Hub finding Ids are certctl-backup-guard/<check id>/<resource>, so the check of a finding could not be read back from its Id",
    );
    expect(checkGroups().map(({ name }) => name)).toEqual(before);
  });

  it('registers a group whose check ids hold no slash, and removes it again', () => {
    // Prepare
    const group = defineCheckGroup({
      name: 'unslashed',
      summary: 'a group whose check id holds no slash',
      checks: [
        { ...canaryCheck, metadata: { ...canaryCheck.metadata, id: 'unslashed.a-b', group: 'unslashed' } },
      ],
    });

    // Act
    const unregister = registerCheckGroup(group);
    const registered = checkGroups().map(({ name }) => name);
    unregister();

    // Assess
    expect(registered).toContain('unslashed');
    expect(checkGroups().map(({ name }) => name)).not.toContain('unslashed');
  });

  it("keeps the light list of group names (core/known-groups.ts) equal to the catalog's and the registry's", () => {
    // Prepare: what the light list must say, from the registry itself.
    const fromRegistry = () => [...new Set([...CHECK_GROUPS, ...checkGroups().map(({ name }) => name)])];
    const group = defineCheckGroup({
      name: 'listed',
      summary: 'a group registered at run time',
      checks: [{ ...canaryCheck, metadata: { ...canaryCheck.metadata, id: 'listed.a', group: 'listed' } }],
    });
    const builtIn = knownCheckGroups();

    // Act
    const unregister = registerCheckGroup(group);
    const whileRegistered = knownCheckGroups();
    const expectedWhileRegistered = fromRegistry();
    unregister();

    // Assess: the built-in groups are registered and the catalog's; a group registered at run time
    // is listed while it is registered, in registration order, and no longer once removed.
    expect(builtIn).toEqual(fromRegistry());
    expect(new Set(checkGroups().map(({ name }) => name))).toEqual(new Set(CHECK_GROUPS));
    expect(whileRegistered).toEqual(expectedWhileRegistered);
    expect(whileRegistered.at(-1)).toBe('listed');
    expect(knownCheckGroups()).toEqual(builtIn);
  });
});

describe('the check ids of a registered group, and a policy exception naming one', () => {
  const NOW = new Date('2027-03-01T00:00:00Z');
  /** Whether a policy exception naming `check` is read (true) or refused (false). */
  const exceptionAccepted = (check: string) => {
    try {
      parsePolicy(
        {
          exceptions: [
            {
              resource: 'certctl-db',
              account: '111111111111',
              check,
              reason: 'accepted by the CA owner',
              expires: '2027-03-31',
            },
          ],
        },
        'policy',
        NOW,
      );
      return true;
    } catch {
      return false;
    }
  };
  /** Whether a group `group` with the one check `id` registers (true) or is refused (false). */
  const registered = (group: string, id: string) => {
    try {
      registerCheckGroup(
        defineCheckGroup({
          name: group,
          summary: 'a group registered at run time',
          checks: [{ ...canaryCheck, metadata: { ...canaryCheck.metadata, id, group } }],
        }),
      )();
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['tls13', 'tls13.cert-age', true],
    ['tls13', 'tls13.v2', true],
    ['pitr-2', 'pitr-2.window', true],
    ['tls13', 'tls13.Cert-age', false],
    ['tls13', 'tls13.cert.age', false],
    ['tls13', 'tls13.', false],
    ['tls13', 'tls13.cert_age', false],
    ['tls13', 'tls13.cert-', false],
  ] as const)('group %s with check %s: registered and excepted alike (%s)', (group, id, accepted) => {
    expect({ registered: registered(group, id), excepted: exceptionAccepted(id) }).toEqual({
      registered: accepted,
      excepted: accepted,
    });
  });

  it("refuses a check id that does not begin with its group's name and a dot, which no exception could name", () => {
    expect(() =>
      registerCheckGroup(
        defineCheckGroup({
          name: 'tls13',
          summary: 'a group registered at run time',
          checks: [
            { ...canaryCheck, metadata: { ...canaryCheck.metadata, id: 'certs.age', group: 'tls13' } },
          ],
        }),
      ),
    ).toThrow("check id 'certs.age' of group 'tls13' must be tls13.<name>");
  });
});
