import { describe, expect, it } from 'vitest';
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
});
