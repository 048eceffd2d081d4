/**
 * The action a readiness gate asks for when several checks fail on one database: each check's
 * remediation says how to fix its own finding, and several name the same command. The gate says
 * each command once and keeps what every check adds about it.
 */
import { describe, expect, it } from 'vitest';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { toFinding } from '../../functions/core/check.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { auditGate, combinedAction } from '../../functions/jobs/readiness.ts';
import { contextWith, NOW, rdsInstanceFact } from '../checks/pitr/fixtures.ts';

// A day above the 30-day target: an RDS instance's window starts at the oldest daily snapshot it keeps.
const RETENTION_COMMAND =
  '`aws rds modify-db-instance --db-instance-identifier certctl-db --backup-retention-period 31 --apply-immediately --region eu-west-1`';

function findingsOf(fact: ReturnType<typeof rdsInstanceFact>): Finding[] {
  const context = contextWith();
  return pitrChecks.flatMap((check) => {
    const outcome = check.evaluate(fact, context);
    return outcome ? [toFinding(check.metadata, fact.resource, outcome, NOW)] : [];
  });
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('the action of a readiness gate', () => {
  it('names a command several failing checks share once, keeping what each check adds', () => {
    // Prepare: automated backups off, so pitr.enabled, pitr.retention and pitr.window all fail
    // and each remediation names the same retention command.
    const fact = rdsInstanceFact({
      retentionDays: 0,
      automatedBackupsEnabled: false,
      pointInTimeRecoveryEnabled: false,
      restoreWindow: { known: false, reason: 'automated backups are off' },
    });
    const findings = findingsOf(fact);
    const failing = findings.filter((finding) => finding.status === 'FAILED').map((f) => f.checkId);
    expect(failing).toEqual(expect.arrayContaining(['pitr.enabled', 'pitr.retention']));

    // Act
    const gate = auditGate('pitr', findings);

    // Assess
    expect(gate.status).toBe('NO-GO');
    const action = gate.action ?? '';
    expect(occurrences(action, RETENTION_COMMAND)).toBe(1);
    for (const finding of findings.filter((f) => f.status === 'FAILED')) {
      // Every sentence of every failing check's remediation that is not only the shared command is kept.
      for (const sentence of finding.remediation.text.split(/(?<=\.)\s+(?=[A-Z])/)) {
        if (sentence.includes(RETENTION_COMMAND)) continue;
        expect(action).toContain(sentence);
      }
    }
  });

  it('names one retention for an RDS instance whose retention and window are both short', () => {
    // Prepare: 7 days kept, a 7-day window: pitr.retention and pitr.window both fail and both name
    // the retention to set, a day above the 30-day target (a retention of 30 keeps 29 to 30 days).
    const fact = rdsInstanceFact({
      retentionDays: 7,
      restoreWindow: {
        known: true,
        earliest: new Date(NOW.getTime() - 7 * 86_400_000),
        latest: NOW,
        source: 'RestoreWindow.EarliestTime',
      },
    });
    const findings = findingsOf(fact).filter((finding) => finding.status === 'FAILED');
    expect(findings.map((finding) => finding.checkId)).toEqual(
      expect.arrayContaining(['pitr.retention', 'pitr.window']),
    );

    // Act
    const action = auditGate('pitr', findings).action ?? '';

    // Assess
    expect(action).toContain('--backup-retention-period 31 ');
    expect(action).not.toContain('--backup-retention-period 30 ');
  });

  it("keeps one check's remediation whole", () => {
    // Prepare: only the retention is short.
    const findings = findingsOf(rdsInstanceFact({ retentionDays: 7 }));
    const retention = findings.find((finding) => finding.checkId === 'pitr.retention');

    // Act
    const gate = auditGate(
      'pitr',
      findings.filter((finding) => finding.checkId === 'pitr.retention'),
    );

    // Assess
    expect(retention?.status).toBe('FAILED');
    expect(gate.action).toBe(retention?.remediation.text);
  });

  it("gives a NOT_AVAILABLE finding's own advice, and the general sentence for one that has only its check's remediation", () => {
    // Prepare: the RDS retention could not be read (the finding names what the cloud did not send),
    // and a lag finding that carries only pitr.lag's general remediation, which is about failing.
    const unread = findingsOf(rdsInstanceFact({ retentionDays: undefined })).find(
      (finding) => finding.checkId === 'pitr.retention',
    );
    const lag = pitrChecks.find((check) => check.metadata.id === 'pitr.lag');
    const fact = rdsInstanceFact();
    const general =
      lag &&
      toFinding(
        lag.metadata,
        fact.resource,
        { status: 'NOT_AVAILABLE', description: 'x', observed: {}, required: {} },
        NOW,
      );

    // Act
    const own = auditGate('pitr', unread ? [unread] : []);
    const mixed = auditGate('pitr', [...(unread ? [unread] : []), ...(general ? [general] : [])]);

    // Assess
    expect(unread?.status).toBe('NOT_AVAILABLE');
    expect(own.action).toBe(`${unread?.remediation.text} Then run readiness again.`);
    expect(mixed.action).toContain(unread?.remediation.text);
    expect(mixed.action).toContain('Fix what kept the check from evaluating');
    expect(mixed.action).not.toContain(general?.remediation.text);
  });

  it('never splits a sentence inside a command, and keeps a sentence that gives a new command beside a known one', () => {
    // Act
    const action = combinedAction([
      'Run `pg_dump -Fc -f certctl.dump. --no-owner`. Then upload it.',
      'Run `pg_dump -Fc -f certctl.dump. --no-owner`! Check `aws s3 ls s3://dumps/` and `pg_dump -Fc -f certctl.dump. --no-owner` again.',
      'Then upload it.',
      'Run `pg_dump -Fc -f certctl.dump. --no-owner`. Then upload it.',
    ]);

    // Assess
    expect(action).toBe(
      'Run `pg_dump -Fc -f certctl.dump. --no-owner`. Then upload it. Check `aws s3 ls s3://dumps/` and `pg_dump -Fc -f certctl.dump. --no-owner` again.',
    );
  });
});

describe('a finding whose status readiness does not know', () => {
  it('is not a GO: a status outside PASSED, WARNING, FAILED and NOT_AVAILABLE (a defect) could not be judged', () => {
    // Prepare: a passing finding beside one whose status is none of the four.
    const [passing] = findingsOf(rdsInstanceFact({ retentionDays: 30 }));
    if (!passing) throw new Error('no finding');
    const strange = { ...passing, checkId: 'pitr.window', status: 'ERROR' } as unknown as Finding;

    // Act
    const gate = auditGate('pitr', [passing, strange]);

    // Assess
    expect(gate.status).toBe('UNKNOWN');
    expect(gate.evidence).toContain('pitr.window ERROR');
  });
});
