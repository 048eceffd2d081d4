import { describe, expect, it } from 'vitest';
import { type FailedImport, FindingsImportError } from '../../../functions/publish/security-hub/errors.ts';

const failure = (index: number): FailedImport => ({
  id: `finding-${index}`,
  account: '111111111111',
  region: 'eu-west-1',
  code: 'InvalidInput',
  message: `bad ${index}`,
});

describe('FindingsImportError', () => {
  it('lists every failure when there are at most five', () => {
    // Act
    const error = new FindingsImportError([failure(1), failure(2)]);

    // Assess
    expect(error.name).toBe('FindingsImportError');
    expect(error.failures).toEqual([failure(1), failure(2)]);
    expect(error.message).toBe(
      '2 finding(s) could not be imported into Security Hub; the others were imported:\n' +
        '  finding-1 (111111111111/eu-west-1): InvalidInput bad 1\n' +
        '  finding-2 (111111111111/eu-west-1): InvalidInput bad 2\n' +
        'Check that Security Hub is enabled in those accounts and regions and that the publishing role may call securityhub:BatchImportFindings.',
    );
  });

  it('lists the first five and counts the rest', () => {
    const error = new FindingsImportError(Array.from({ length: 7 }, (_, index) => failure(index)));
    expect(error.message).toMatch(/^7 finding\(s\) could not be imported/);
    expect(error.message).toContain('finding-4 (111111111111/eu-west-1)');
    expect(error.message).not.toContain('finding-5');
    expect(error.message).toContain('\n  … and 2 more\nCheck that');
  });

  it('counts the total it is told when the failures are a sample', () => {
    const error = new FindingsImportError([failure(1)], { total: 40 });
    expect(error.message).toMatch(/^40 finding\(s\) could not be imported/);
    expect(error.message).toContain('\n  … and 39 more\n');
  });

  it('counts a destination that could not be read apart from the findings that failed', () => {
    const unread = { ...failure(0), id: '*', code: 'ServiceUnavailableException' };
    expect(new FindingsImportError([unread]).message).toMatch(
      /^Security Hub could not be read in 1 account and region; every finding was imported:\n {2}\* \(111111111111\/eu-west-1\): ServiceUnavailableException bad 0\n.*securityhub:BatchImportFindings and securityhub:GetFindings\.$/,
    );
    expect(new FindingsImportError([failure(1), unread], { total: 3, unread: 2 }).message).toMatch(
      /^3 finding\(s\) could not be imported into Security Hub, and Security Hub could not be read in 2 accounts and regions; the other findings were imported:\n(?:.*\n){2} {2}… and 3 more\n/,
    );
  });

  it('never counts fewer than the failures it lists', () => {
    const error = new FindingsImportError([failure(1), failure(2)], { total: 1 });
    expect(error.message).toMatch(/^2 finding\(s\)/);
    expect(error.message).not.toContain('more');
  });
});
