import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { renderConsole } from '../../functions/publish/console.ts';
import { renderJson } from '../../functions/publish/json.ts';
import { renderMarkdown } from '../../functions/publish/markdown.ts';

function finding(overrides: Partial<Finding>): Finding {
  return {
    checkId: 'pitr.retention',
    group: 'pitr',
    resource: {
      provider: 'aws',
      account: '111111111111',
      region: 'eu-west-1',
      type: 'AwsRdsDbInstance',
      id: 'certctl-prod-db',
    },
    status: 'FAILED',
    severity: 'HIGH',
    title: 'PITR retention meets the policy',
    description: 'Retention is 7 days | below 30.',
    remediation: {
      text: 'aws rds modify-db-instance --backup-retention-period 30',
      url: 'https://docs.aws.amazon.com/x',
    },
    observed: { retentionDays: 7 },
    required: { retentionDays: 30 },
    evaluatedAt: '2026-11-21T12:00:00.000Z',
    ...overrides,
  };
}

const report: AuditReport = {
  startedAt: '2026-11-21T12:00:00.000Z',
  finishedAt: '2026-11-21T12:00:01.000Z',
  findings: [finding({}), finding({ status: 'PASSED', severity: 'INFORMATIONAL', checkId: 'pitr.enabled' })],
  scopes: [
    {
      scope: { provider: 'aws', account: '111111111111', region: 'eu-west-1', group: 'pitr' },
      status: 'complete',
      resources: 1,
    },
    {
      scope: { provider: 'aws', account: '111111111111', region: 'us-east-1', group: 'pitr' },
      status: 'failed',
      resources: 0,
      error: { code: 'ServiceUnavailable', message: 'region down' },
    },
  ],
  counts: { PASSED: 1, WARNING: 0, FAILED: 1, NOT_AVAILABLE: 0 },
};

describe('renderConsole', () => {
  it('prints the database x check matrix, what to fix with its numbers, failed scopes and the verdict', () => {
    // Act
    const text = renderConsole(report);

    // Assess
    expect(text).toMatch(/^DATABASE\s+enabled\s+retention$/m);
    expect(text).toMatch(/^aws:111111111111\/eu-west-1 rds:certctl-prod-db\s+ok\s+FAIL$/m);
    expect(text).toContain('FAILED pitr.retention aws:111111111111/eu-west-1 rds:certctl-prod-db');
    expect(text).toContain('observed: retentionDays=7 (required retentionDays=30)');
    expect(text).toContain('fix: aws rds modify-db-instance --backup-retention-period 30');
    expect(text).toContain('aws:111111111111/us-east-1 pitr: region down (ServiceUnavailable)');
    expect(text).toContain(
      'Summary: 1 passed, 0 warning, 1 failed, 0 not available — 1 database, 1 of 2 scopes evaluated',
    );
    expect(text).toContain('exit code 2');
    expect(text).not.toContain('\u001b[');
  });

  it('colours the status only when asked to', () => {
    expect(renderConsole(report, { color: true })).toContain('\u001b[31mFAIL');
  });
});

describe('renderMarkdown', () => {
  it('escapes pipes inside cells so the table stays intact', () => {
    // Act
    const text = renderMarkdown(report);

    // Assess
    expect(text).toContain('Retention is 7 days \\| below 30.');
    expect(text).toContain('## Scopes not evaluated');
    expect(text.split('\n').filter((line) => line.startsWith('| FAILED | `'))).toHaveLength(1);
  });
});

describe('renderJson', () => {
  it('adds the summary and exit code to the report', () => {
    // Act
    const parsed = JSON.parse(renderJson(report)) as { summary: { exitCode: number }; findings: unknown[] };

    // Assess
    expect(parsed.summary.exitCode).toBe(2);
    expect(parsed.findings).toHaveLength(2);
  });
});
