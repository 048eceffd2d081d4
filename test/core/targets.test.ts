import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { isTarget } from '../../functions/core/targets.ts';

const ARN = 'arn:aws:rds:eu-west-1:111122223333:db:certctl-db';

function targets(input: Record<string, unknown> = {}) {
  return parsePolicy({ targets: input }).targets;
}

describe('isTarget', () => {
  it('selects a resource carrying the default tag when the policy sets no targets', () => {
    const candidate = { identifiers: ['certctl-db', ARN], tags: { 'certctl:backup-guard': 'enabled' } };
    expect(isTarget(candidate, targets())).toBe(true);
  });

  it('skips a resource whose tag value differs when only tags select', () => {
    const candidate = { identifiers: ['certctl-db'], tags: { 'certctl:backup-guard': 'disabled' } };
    expect(isTarget(candidate, targets())).toBe(false);
  });

  it('skips a resource whose tag key differs only in case when only tags select', () => {
    const candidate = { identifiers: ['certctl-db'], tags: { 'Certctl:Backup-Guard': 'enabled' } };
    expect(isTarget(candidate, targets())).toBe(false);
  });

  it('selects a resource when any one of several tags matches', () => {
    const selection = targets({
      tags: [
        { key: 'app', value: 'certctl' },
        { key: 'tier', value: 'pki' },
      ],
    });
    expect(isTarget({ identifiers: ['db'], tags: { tier: 'pki' } }, selection)).toBe(true);
    expect(isTarget({ identifiers: ['db'], tags: { tier: 'web' } }, selection)).toBe(false);
  });

  it('selects a resource named by identifier when the policy lists it', () => {
    expect(
      isTarget({ identifiers: ['certctl-db', ARN], tags: {} }, targets({ identifiers: ['certctl-db'] })),
    ).toBe(true);
  });

  it('selects a resource named by ARN when the policy lists the ARN', () => {
    expect(isTarget({ identifiers: ['certctl-db', ARN], tags: {} }, targets({ identifiers: [ARN] }))).toBe(
      true,
    );
  });

  it('selects a resource whose identifier differs only in case, as RDS identifiers do', () => {
    expect(
      isTarget({ identifiers: ['certctl-db'], tags: {} }, targets({ identifiers: ['CertCtl-DB'] })),
    ).toBe(true);
  });

  it('skips a resource neither named nor tagged when identifiers are listed', () => {
    expect(isTarget({ identifiers: ['other-db'], tags: {} }, targets({ identifiers: ['certctl-db'] }))).toBe(
      false,
    );
  });

  it('selects every resource when the policy sets all', () => {
    expect(isTarget({ identifiers: ['anything'], tags: {} }, targets({ all: true, tags: [] }))).toBe(true);
  });

  it('selects nothing when tags and identifiers are empty and all is off', () => {
    expect(
      isTarget({ identifiers: ['db'], tags: { 'certctl:backup-guard': 'enabled' } }, targets({ tags: [] })),
    ).toBe(false);
  });
});
