/** Who `backup-guard snapshot` names as the requester (the requested-by tag): $USER, else the login name. */
import { describe, expect, it } from 'vitest';
import { requesterOf } from '../../functions/cli/commands/snapshot.ts';
import { InputError } from '../../functions/core/errors.ts';

/** What os.userInfo() throws for a uid with no passwd entry (a container run with `-u 1000`). */
function noPasswdEntry(): string {
  throw Object.assign(
    new Error('A system error occurred: uv_os_get_passwd returned ENOENT (no such file or directory)'),
    {
      code: 'ERR_SYSTEM_ERROR',
    },
  );
}

describe('snapshot requester', () => {
  it('names $USER, else the login name', () => {
    expect(requesterOf({ USER: 'alice' }, noPasswdEntry)).toBe('alice');
    expect(requesterOf({}, () => 'bob')).toBe('bob');
    // A blank USER names nobody: the login name is asked for, as when it is unset.
    expect(requesterOf({ USER: ' ' }, () => 'bob')).toBe('bob');
  });

  it('refuses in a sentence, not a stack trace, when $USER is unset and the user has no login name', () => {
    // Act
    const asking = () => requesterOf({}, noPasswdEntry);

    // Assess
    expect(asking).toThrow(InputError);
    expect(asking).toThrow(
      'cannot tell who requests the snapshot (its requested-by tag): $USER is not set and this user has no login name (uv_os_get_passwd returned ENOENT); set USER, e.g. USER=alice backup-guard snapshot ...',
    );
  });
});
