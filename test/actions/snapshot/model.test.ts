import { describe, expect, it } from 'vitest';
import type { BackendSnapshot } from '../../../functions/actions/snapshot/backend.ts';
import { describeBackup, parseBackupDescription } from '../../../functions/actions/snapshot/gcp.ts';
import { beingCreated, stuckCreating } from '../../../functions/actions/snapshot/identity.ts';
import {
  expiryOf,
  isOurs,
  MAX_SNAPSHOT_ATTEMPTS,
  nextPollDelay,
  type SnapshotTarget,
  snapshotIdentifier,
  snapshotTags,
} from '../../../functions/actions/snapshot/model.ts';

const RDS_ID = /^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$/;
const target = (id: string, kind: SnapshotTarget['kind'] = 'rds-instance'): SnapshotTarget => ({
  provider: 'aws',
  kind,
  account: '111111111111',
  region: 'eu-west-1',
  id,
});

describe('snapshotIdentifier', () => {
  it.each([
    ['certctl-prod-db', 'rds-instance'],
    ['9starts-with-digit--and--double-hyphens-', 'rds-instance'],
    ['UPPER_case.and_dots', 'rds-instance'],
    ['x'.repeat(300), 'rds-instance'],
    ['a-very-long-aurora-cluster-identifier-that-goes-past-sixty-three', 'aurora-cluster'],
    ['---', 'rds-instance'],
  ] as const)('builds a valid RDS identifier within the length limit when the target is %s', (id, kind) => {
    // Act
    const name = snapshotIdentifier(target(id, kind), 'CHG-1');

    // Assess
    expect(name).toMatch(RDS_ID);
    expect(name.length).toBeLessThanOrEqual(kind === 'aurora-cluster' ? 63 : 255);
    expect(name.startsWith('certctl-premaint-')).toBe(true);
  });

  it('gives one name per request and target and different names to different requests when called again', () => {
    // Act
    const a = snapshotIdentifier(target('db'), 'CHG-1');
    const again = snapshotIdentifier(target('db'), 'CHG-1');
    const other = snapshotIdentifier(target('db'), 'CHG-2');

    // Assess
    expect(again).toBe(a);
    expect(other).not.toBe(a);
  });

  it.each([
    ['certctl-prod-db', 'rds-instance'],
    ['x'.repeat(300), 'rds-instance'],
    ['a-very-long-aurora-cluster-identifier-that-goes-past-sixty-three', 'aurora-cluster'],
    ['---', 'rds-instance'],
  ] as const)(
    'names a later attempt with a valid identifier within the limit, the first attempt unchanged, when the target is %s',
    (id, kind) => {
      // Act
      const first = snapshotIdentifier(target(id, kind), 'CHG-1');
      const names = Array.from({ length: MAX_SNAPSHOT_ATTEMPTS }, (_, i) =>
        snapshotIdentifier(target(id, kind), 'CHG-1', i + 1),
      );

      // Assess
      expect(names[0]).toBe(first);
      expect(new Set(names).size).toBe(MAX_SNAPSHOT_ATTEMPTS);
      for (const [i, name] of names.entries()) {
        expect(name).toMatch(RDS_ID);
        expect(name.length).toBeLessThanOrEqual(kind === 'aurora-cluster' ? 63 : 255);
        if (i > 0) expect(name.endsWith(`-a${i + 1}`)).toBe(true);
      }
    },
  );
});

describe('snapshotTags', () => {
  it('marks the snapshot as ours and replaces characters AWS refuses in tag values when the reason has them', () => {
    // Act
    const tags = snapshotTags(
      { requestId: 'r1', reason: 'CA rotation <now>; ok', requestedBy: 'alice', ticket: 'T-1' },
      new Date('2030-01-01T00:00:00Z'),
    );

    // Assess
    expect(isOurs(tags)).toBe(true);
    expect(tags.reason).toBe('CA rotation _now__ ok');
    expect(tags['expires-at']).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('nextPollDelay', () => {
  it('waits the floor at first, then 3% of the time waited, then the cap, as the wait goes on', () => {
    // Act
    const delays = [0, 10_000, 40_000, 100_000, 1_000_000].map((waited) =>
      nextPollDelay(waited, 1000, 30_000),
    );

    // Assess
    expect(delays).toEqual([1000, 1000, 1200, 3000, 30_000]);
  });

  it('sees a snapshot at most 3% of its wait late, with waits that grow, when polled until it is done', () => {
    // Prepare: a snapshot that becomes available after 600 s, polled from 0 with a 5 s floor.
    const doneAt = 600_000;
    let waited = 0;
    const waits: number[] = [];

    // Act
    while (waited < doneAt) {
      const wait = nextPollDelay(waited, 5000, 60_000);
      waits.push(wait);
      waited += wait;
    }

    // Assess
    expect(waited - doneAt).toBeLessThanOrEqual(doneAt * 0.03);
    expect(waits.every((wait, i) => i === 0 || wait >= (waits[i - 1] ?? 0))).toBe(true);
    // Modest: fewer than 80 polls in 10 minutes, under one per 7.5 s.
    expect(waits.length).toBeLessThan(80);
  });
});

describe('Cloud SQL backup description', () => {
  it('round-trips the snapshot id and tags when written and parsed', () => {
    // Act
    const parsed = parseBackupDescription(
      describeBackup('certctl-premaint-x-1', { purpose: 'certctl-pre-maintenance', reason: 'a=b; c' }),
    );

    // Assess
    expect(parsed).toEqual({
      id: 'certctl-premaint-x-1',
      tags: { purpose: 'certctl-pre-maintenance', reason: 'a=b; c' },
    });
    expect(parseBackupDescription('nightly manual backup')).toBeUndefined();
  });

  it.each([
    ['a=b'],
    ['a_b'],
    ['100% done'],
    ['%3D and %25 as typed'],
    ['"quoted" and \'single\''],
    ['line one\nline two\r\ttab\u0000\u007f\u0085 end'],
    ['CA-Rotation ü 証明書 🔐'],
    ['a; b=c; id=forged; purpose=x'],
  ])('reads back the value %j exactly as written', (value) => {
    // Act
    const parsed = parseBackupDescription(
      describeBackup('certctl-premaint-x-1', { reason: value, ticket: value, 'request-id': value }),
    );

    // Assess
    expect(parsed?.id).toBe('certctl-premaint-x-1');
    expect(parsed?.tags).toEqual({
      purpose: 'certctl-pre-maintenance',
      reason: value,
      ticket: value,
      'request-id': value,
    });
  });

  it('tells apart two reasons that differ only in `=` and `_`', () => {
    const read = (reason: string) =>
      parseBackupDescription(describeBackup('certctl-premaint-x-1', { reason }))?.tags.reason;
    expect(read('a=b')).toBe('a=b');
    expect(read('a_b')).toBe('a_b');
  });

  it('keeps a description on one line and its pairs whole whatever a value holds', () => {
    const description = describeBackup('certctl-premaint-x-1', { reason: 'a\nb; c' });
    expect(description).not.toMatch(/[\n\r]/);
    expect(description.split('; ')).toHaveLength(3);
  });

  it('reads a description an earlier version wrote, `=` and `;` stored as `_`', () => {
    // Prepare: as earlier versions wrote it (every value with `;` and `=` replaced by `_`).
    const earlier =
      'certctl-pre-maintenance; id=certctl-premaint-certctl-pg-0123456789; expires-at=2026-12-17T12:00:00.000Z; request-id=slack:T1_C2_U3; reason=a_b c; requested-by=alice';

    // Act
    const parsed = parseBackupDescription(earlier);

    // Assess
    expect(parsed).toEqual({
      id: 'certctl-premaint-certctl-pg-0123456789',
      tags: {
        purpose: 'certctl-pre-maintenance',
        'expires-at': '2026-12-17T12:00:00.000Z',
        'request-id': 'slack:T1_C2_U3',
        reason: 'a_b c',
        'requested-by': 'alice',
      },
    });
  });

  it('never ends a description cut at the limit inside an escape', () => {
    // Prepare: free text of escapes, long enough to be cut, at every offset of the cut.
    for (let pad = 0; pad < 3; pad += 1) {
      const description = describeBackup('certctl-premaint-x-1', {
        'request-id': 'r',
        reason: `${'x'.repeat(pad)}${';'.repeat(400)}`,
      });
      const reason = parseBackupDescription(description)?.tags.reason ?? '';

      // Assess: whatever is cut, what remains reads back as a prefix of the value written.
      expect(description.length).toBeLessThanOrEqual(1024);
      expect(`${'x'.repeat(pad)}${';'.repeat(400)}`.startsWith(reason)).toBe(true);
      expect(reason).not.toContain('%');
    }
  });

  it('keeps the expiry, the request id and the purpose whole when long free text fills the 1,024 characters', () => {
    // Prepare: the longest values the snapshot function accepts (reason, requester and request id
    // of 256 characters each, a ticket of 128), and the expiry written last among the tags.
    const expiresAt = new Date('2026-12-17T12:00:00.000Z');
    const tags = snapshotTags(
      {
        requestId: 'r'.repeat(256),
        reason: 'x'.repeat(256),
        ticket: 't'.repeat(128),
        requestedBy: 'u'.repeat(256),
      },
      expiresAt,
    );

    // Act
    const description = describeBackup('certctl-premaint-certctl-pg-0123456789', tags);
    const parsed = parseBackupDescription(description);

    // Assess: cut to Cloud SQL's limit, never through the expiry pruning reads.
    expect(description.length).toBeLessThanOrEqual(1024);
    expect(parsed?.id).toBe('certctl-premaint-certctl-pg-0123456789');
    expect(parsed?.tags['expires-at']).toBe(expiresAt.toISOString());
    expect(parsed?.tags['request-id']).toBe('r'.repeat(256));
    expect(isOurs(parsed?.tags ?? {})).toBe(true);
  });
});

describe('beingCreated', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const database = {
    kind: 'aurora-cluster',
    account: '111111111111',
    region: 'eu-west-1',
    id: 'certctl-aurora',
    resourceId: 'cluster-ABCDEFGHIJKLMNOP',
  } as const;
  const creating = (extra: Partial<BackendSnapshot>): BackendSnapshot => ({
    id: 'certctl-premaint-aurora-1',
    kind: 'aurora-cluster',
    target: 'certctl-aurora',
    sourceResourceId: 'cluster-ABCDEFGHIJKLMNOP',
    status: 'creating',
    tags: { purpose: 'certctl-pre-maintenance' },
    ...extra,
  });

  it('does not wait for an undated snapshot being created that no readable expires-at tag dates, and names it as not waited for', () => {
    // Prepare: SnapshotCreateTime not sent (RDS: Required No), and no expires-at tag, or one that
    // does not parse: when it was asked for cannot be told, so waiting for it has no end.
    const untagged = creating({});
    const unreadable = creating({ tags: { purpose: 'certctl-pre-maintenance', 'expires-at': 'soon' } });

    // Act
    const waited = [untagged, unreadable].map((snapshot) => beingCreated([snapshot], database, now, 24, 14));
    const named = stuckCreating([unreadable], database, now, 24, 14);

    // Assess
    expect(waited).toEqual([undefined, undefined]);
    expect(named).toContain(
      'certctl-premaint-aurora-1 has been in state creating since a time that cannot be told',
    );
    expect(named).toContain('expires-at');
    expect(named).toContain('not waited for');
  });

  it('names an undated snapshot being created whose expires-at tag is at hour 24 as not dated by it, saying why', () => {
    // Prepare: SnapshotCreateTime not sent; Date.parse would read the tag's 24:00 as the next day's
    // midnight and date the ask 14 days before it, but prune reads no time in it (RFC 3339 hours
    // run 00-23), so neither does the wait.
    const midnight = creating({
      tags: { purpose: 'certctl-pre-maintenance', 'expires-at': '2026-12-18T24:00:00.000Z' },
    });

    // Act
    const named = stuckCreating([midnight], database, now, 24, 14);

    // Assess
    expect(beingCreated([midnight], database, now, 24, 14)).toBeUndefined();
    expect(named).toContain(
      'its expires-at tag ("2026-12-18T24:00:00.000Z") is not a time of day, as hours run 00 to 23 and 24:00 is written 00:00 of the next day',
    );
  });

  it('stops waiting for an undated snapshot whose expires-at tag says it was asked for longer ago than the limit', () => {
    // Prepare: SnapshotCreateTime not sent; written with a 14-day retention, so expires-at less 14
    // days is when it was asked for: 30 hours ago (stuck), or 2 hours ago (may still be the fresh one).
    const askedHoursAgo = (hours: number) =>
      creating({
        tags: {
          purpose: 'certctl-pre-maintenance',
          'expires-at': new Date(now.getTime() + (14 * 24 - hours) * 3_600_000).toISOString(),
        },
      });

    // Act
    const stuck = beingCreated([askedHoursAgo(30)], database, now, 24, 14);
    const young = beingCreated([askedHoursAgo(2)], database, now, 24, 14);

    // Assess
    expect(stuck).toBeUndefined();
    expect(young?.id).toBe('certctl-premaint-aurora-1');
  });

  it('does not wait for a copy being made in the region, which takes no new data of the database', () => {
    // Prepare: a same-region copy of an old snapshot of ours (DBClusterSnapshot `copying`).
    const copy = creating({
      id: 'certctl-premaint-aurora-copy',
      undatedBecause: 'it is a copy of arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:old',
    });

    // Act
    const found = beingCreated([copy], database, now, 24);

    // Assess
    expect(found).toBeUndefined();
  });
});

describe('expiryOf', () => {
  it.each([
    ['2026-12-03T06:00:00.000Z', Date.UTC(2026, 11, 3, 6)],
    ['2026-12-03T06:00Z', Date.UTC(2026, 11, 3, 6)],
    ['2026-12-03T08:00:00+02:00', Date.UTC(2026, 11, 3, 6)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
  ])('reads %s as the time it names', (tag, expected) => {
    expect(expiryOf(tag)).toBe(expected);
  });

  it.each([
    ['2026-02-31T00:00Z'],
    ['2026-02-29T00:00:00Z'],
    ['1900-02-29T00:00:00Z'],
    ['2026-04-31T00:00:00.000Z'],
    ['2026-06-00T00:00:00Z'],
    ['2026-13-01T00:00:00Z'],
    ['2026-12-03'],
    ['2099'],
    [undefined],
  ])('reads no time in %s, which Date.parse would roll over or guess at', (tag) => {
    expect(expiryOf(tag)).toBeNaN();
  });
});
