/**
 * The publishing step words a throttled call or a server error as no refusal by Security Hub; which
 * codes are which comes from the one list of passing failures (core/errors.ts), so the two stay in step.
 */
import { describe, expect, it } from 'vitest';
import { isTransient, TRANSIENT_CODES } from '../../functions/core/errors.ts';
import { type DeliveredPublication, notLandedReason } from '../../functions/jobs/publish.ts';

/** A partial publication in which one finding did not land, with `code`. */
function notLanded(code: string): DeliveredPublication {
  return {
    status: 'partial',
    counts: {
      created: 0,
      updated: 0,
      refreshed: 0,
      resolved: 0,
      archived: 0,
      retired: 0,
      keptAlive: 0,
      unchanged: 0,
      untouched: 0,
      failed: 1,
    },
    calls: { getFindings: 1, batchImport: 1, ledgerRead: 0, ledgerWrite: 0 },
    ledger: { used: 0, reconciled: 1, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
    failedCount: 1,
    failedByCode: { [code]: 1 },
    failures: [],
    unreadCount: 0,
    unread: [],
  };
}

const THROTTLED = 'Security Hub throttled the imports until the retries ran out';
const SERVER_ERROR = 'Security Hub answered with a server error until the retries ran out';

describe('the words for findings that did not land', () => {
  it('says the same as before of the throttling and server-error codes it knew', () => {
    // Assess
    for (const code of ['TooManyRequestsException', 'ThrottlingException', 'Throttling']) {
      expect(notLandedReason(notLanded(code)), code).toBe(`${THROTTLED}: ${code} 1`);
    }
    for (const code of [
      'InternalException',
      'InternalFailure',
      'InternalServerException',
      'ServiceUnavailable',
      'ServiceUnavailableException',
    ]) {
      expect(notLandedReason(notLanded(code)), code).toBe(`${SERVER_ERROR}: ${code} 1`);
    }
    expect(notLandedReason(notLanded('InvalidInput'))).toBe('Security Hub refused them: InvalidInput 1');
  });

  it('never says Security Hub refused findings whose code is one that passes on its own', () => {
    // Prepare: codes isTransient knew that publishing used to call refusals.
    const passing = [
      'RequestLimitExceeded',
      'RequestThrottled',
      '429',
      'InternalError',
      '503',
      'TimeoutError',
    ];

    // Assess
    for (const code of passing) {
      expect(isTransient(code), code).toBe(true);
      expect(notLandedReason(notLanded(code)), code).not.toContain('refused');
    }
  });

  it('words every code of the shared list by its kind, as isTransient knows it', () => {
    // Assess
    for (const [kind, codes] of Object.entries(TRANSIENT_CODES)) {
      for (const code of codes) {
        expect(isTransient(code), code).toBe(true);
        const reason = notLandedReason(notLanded(code));
        expect(reason, code).not.toContain('refused');
        if (kind === 'throttled') expect(reason, code).toBe(`${THROTTLED}: ${code} 1`);
        if (kind === 'serverError') expect(reason, code).toBe(`${SERVER_ERROR}: ${code} 1`);
      }
    }
  });

  it('follows a code added to the shared list', () => {
    // Prepare: Route 53's throttling code (PriorRequestNotComplete), not in the list.
    const throttled = TRANSIENT_CODES.throttled as Set<string>;
    expect(notLandedReason(notLanded('PriorRequestNotComplete'))).toBe(
      'Security Hub refused them: PriorRequestNotComplete 1',
    );
    throttled.add('PriorRequestNotComplete');
    try {
      // Act / Assess
      expect(isTransient('PriorRequestNotComplete')).toBe(true);
      expect(notLandedReason(notLanded('PriorRequestNotComplete'))).toBe(
        `${THROTTLED}: PriorRequestNotComplete 1`,
      );
    } finally {
      throttled.delete('PriorRequestNotComplete');
    }
  });
});
