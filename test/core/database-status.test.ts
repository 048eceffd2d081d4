import { describe, expect, it } from 'vitest';
import {
  CLOUD_SQL_PASSING_STATUSES,
  DOWN_STATUSES,
  KNOWN_STATUSES,
  RUNNING_STATUSES,
  STOPPED_STATUSES,
} from '../../functions/core/database-status.ts';

describe('database status groups', () => {
  it('counts every down status as known when pitr.lag reads one', () => {
    // pitr.lag asks KNOWN_STATUSES first: a down status missing there would read as unknown.
    expect([...DOWN_STATUSES].filter((status) => !KNOWN_STATUSES.has(status))).toEqual([]);
  });

  it('puts no running or stopped status among the down ones', () => {
    const both = [...DOWN_STATUSES].filter(
      (status) => RUNNING_STATUSES.has(status) || STOPPED_STATUSES.has(status),
    );
    expect(both).toEqual([]);
  });

  it('counts the Cloud SQL states of an instance down for maintenance or being created as down, not those of read pool nodes', () => {
    expect(DOWN_STATUSES.has('MAINTENANCE')).toBe(true);
    expect(DOWN_STATUSES.has('PENDING_CREATE')).toBe(true);
    expect(DOWN_STATUSES.has('REPAIRING')).toBe(false);
    expect(CLOUD_SQL_PASSING_STATUSES.has('REPAIRING')).toBe(true);
  });
});
