import { describe, expect, it } from 'vitest';
import { axisDays, barGeometry, restoreWindowRows } from '../../functions/publish/restore-window.ts';
import { cloudSqlFact, daysAgo, rdsInstanceFact } from '../checks/pitr/fixtures.ts';
import {
  auditOf,
  everyStatusReport,
  fillingDatabase,
  healthyDatabase,
  sevenDayDatabase,
  stalledDatabase,
  unreadableDatabase,
} from './restore-window-fixtures.ts';

const healthyWindow = {
  known: true,
  earliest: daysAgo(30.5),
  latest: daysAgo(0),
  source: 'getLatestRecoveryTime.earliestRecoveryTime',
} as const;

function rowFor(rows: ReturnType<typeof restoreWindowRows>, id: string) {
  const row = rows.find((candidate) => candidate.resource.id === id);
  if (!row) throw new Error(`no row for ${id}`);
  return row;
}

describe('restoreWindowRows', () => {
  it('puts failing databases first, then not available, warning and passing, when every status is present', async () => {
    // Prepare
    const report = await everyStatusReport();

    // Act
    const rows = restoreWindowRows(report);

    // Assess
    expect(rows.map((row) => [row.status, row.resource.id])).toEqual([
      ['FAILED', 'certctl-archive-db'],
      ['FAILED', 'certctl-prod-db'],
      ['NOT_AVAILABLE', 'certctl-dr-db'],
      ['WARNING', 'certctl-aurora'],
      ['PASSED', 'certctl-sql'],
    ]);
  });

  it('puts failing databases first when the report lists its findings in another order', async () => {
    // Prepare: a report merged by hand, passing first.
    const report = await everyStatusReport();
    const reversed = { ...report, findings: [...report.findings].reverse() };

    // Act
    const rows = restoreWindowRows(reversed);

    // Assess
    expect(rows.map((row) => row.status)).toEqual(['FAILED', 'FAILED', 'NOT_AVAILABLE', 'WARNING', 'PASSED']);
    expect(rows[0]?.resource.id).toBe('certctl-archive-db');
  });

  it('takes the window from pitr.window, the lag from pitr.lag and the retention from pitr.retention when all three reported', async () => {
    // Act
    const row = rowFor(restoreWindowRows(await auditOf([sevenDayDatabase])), 'certctl-prod-db');

    // Assess
    expect(row).toMatchObject({
      requiredDays: 30,
      retentionDays: 7,
      window: { kind: 'proven', status: 'FAILED', earliest: '2026-08-25T12:00:00.000Z', days: 7 },
      lag: {
        kind: 'measured',
        status: 'PASSED',
        latest: '2026-09-01T11:56:00.000Z',
        minutes: 4,
        maxMinutes: 15,
      },
    });
    expect(row.fixes.flatMap((fix) => fix.findings.map((finding) => finding.checkId))).toEqual([
      'pitr.retention',
      'pitr.window',
    ]);
  });

  it('marks the window unknown and draws no bar when the restore window could not be read', async () => {
    // Act
    const rows = restoreWindowRows(await auditOf([unreadableDatabase]));
    const row = rowFor(rows, 'certctl-dr-db');
    const geometry = barGeometry(row, axisDays(rows));

    // Assess
    expect(row.window).toMatchObject({ kind: 'unknown', status: 'NOT_AVAILABLE' });
    expect(row.window.kind === 'unknown' && row.window.reason).toContain('AccessDenied');
    expect(row.lag.kind).toBe('unknown');
    expect(row.retentionDays).toBeUndefined();
    expect(geometry.window).toBeUndefined();
    expect(geometry.earliestMark).toBeUndefined();
    expect(geometry.latestMark).toBeUndefined();
    expect(geometry.required).toEqual({ left: 0, width: 1 });
  });

  it('draws only the earliest mark when the latest restorable time is unknown', async () => {
    // Prepare: Cloud SQL keeps its logs on disk, so no latest recovery time is reported.
    const fact = cloudSqlFact(
      { restoreWindow: { ...healthyWindow, latest: undefined } },
      { logStorage: 'DISK' },
    );

    // Act
    const rows = restoreWindowRows(await auditOf([fact]));
    const row = rowFor(rows, 'certctl-sql');
    const geometry = barGeometry(row, axisDays(rows));

    // Assess
    expect(row.window.kind).toBe('proven');
    expect(row.lag).toMatchObject({ kind: 'unknown', status: 'NOT_AVAILABLE' });
    expect(geometry.window).toBeUndefined();
    expect(geometry.earliestMark).toBeCloseTo(0.5 / 31, 5);
  });

  it('says there is no window when automated backups are off', async () => {
    // Act
    const rows = restoreWindowRows(
      await auditOf([
        rdsInstanceFact({
          retentionDays: 0,
          automatedBackupsEnabled: false,
          pointInTimeRecoveryEnabled: false,
        }),
      ]),
    );

    // Assess
    expect(rows[0]?.window).toMatchObject({ kind: 'none', status: 'FAILED' });
    expect(barGeometry(rows[0] as (typeof rows)[number], 30).window).toBeUndefined();
  });

  it('leaves the stand-ins of unreadable scopes out of the rows when a region failed', async () => {
    // Act
    const rows = restoreWindowRows(await auditOf([healthyDatabase], { failedRegion: 'us-east-1' }));

    // Assess
    expect(rows.map((row) => row.resource.type)).toEqual(['GcpCloudSqlInstance']);
  });

  it('gives one fix for the findings that share a remediation text', async () => {
    // Act
    const row = rowFor(restoreWindowRows(await auditOf([unreadableDatabase])), 'certctl-dr-db');

    // Assess
    const shared = row.fixes.find((fix) => fix.findings.length > 1);
    expect(shared?.findings.map((finding) => finding.checkId)).toEqual(
      expect.arrayContaining(['pitr.lag', 'pitr.window']),
    );
    expect(new Set(row.fixes.map((fix) => fix.text)).size).toBe(row.fixes.length);
  });
});

describe('barGeometry', () => {
  it('draws a 7-day window 7/30 as wide as the 30 required days when the axis is 30 days', async () => {
    // Prepare
    const rows = restoreWindowRows(await auditOf([sevenDayDatabase]));
    const row = rowFor(rows, 'certctl-prod-db');

    // Act
    const geometry = barGeometry(row, 30);

    // Assess: the window ends 4 minutes before now, the required span is the whole track.
    expect(geometry.required).toEqual({ left: 0, width: 1 });
    expect(geometry.window?.left).toBeCloseTo(23 / 30, 5);
    expect(geometry.window?.width).toBeCloseTo(7 / 30, 3);
    expect(geometry.retentionMark).toBeCloseTo(23 / 30, 5);
    expect(geometry.lag).toBeUndefined();
  });

  it('shows the stale part from the latest restorable time to now when the lag check failed', async () => {
    // Prepare
    const rows = restoreWindowRows(await auditOf([stalledDatabase]));
    const row = rowFor(rows, 'certctl-archive-db');

    // Act
    const geometry = barGeometry(row, axisDays(rows));

    // Assess: 35-day axis, archiving stopped 2 days ago.
    expect(axisDays(rows)).toBe(35);
    expect(geometry.window).toEqual({ left: 0, width: expect.closeTo(33 / 35, 5) });
    expect(geometry.lag).toEqual({ left: expect.closeTo(33 / 35, 5), width: expect.closeTo(2 / 35, 5) });
    expect(geometry.required?.left).toBeCloseTo(5 / 35, 5);
  });

  it('puts every database on one axis as long as the longest window or retention', async () => {
    // Act
    const rows = restoreWindowRows(await auditOf([fillingDatabase, healthyDatabase]));

    // Assess: Cloud SQL's 30.5-day window is the longest.
    expect(axisDays(rows)).toBe(31);
  });
});
