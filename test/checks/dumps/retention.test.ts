import { describe, expect, it } from 'vitest';
import { dumpsRetentionCheck } from '../../../functions/checks/dumps/retention.ts';
import {
  type DumpFact,
  type DumpLifecycleRule,
  type DumpObject,
  sortOldestFirst,
} from '../../../functions/core/dump-facts.ts';
import {
  DENIED,
  dailySeries,
  NEWEST_WRITTEN,
  NOW,
  newestOf,
  s3Fact,
  settingsWith,
  withChecksums,
  withEmptyObject,
  withListedRetentions,
} from './fixtures.ts';

function rule(overrides: Partial<DumpLifecycleRule>): DumpLifecycleRule {
  return {
    id: 'expire-dumps',
    expirationDays: undefined,
    expirationDate: undefined,
    noncurrentExpirationDays: undefined,
    prefix: 'prod/',
    ...overrides,
  };
}

function withSeries(objects: readonly DumpObject[], overrides: Partial<DumpFact> = {}): DumpFact {
  return s3Fact({
    listing: { state: 'read', objects, complete: true },
    newest: newestOf(objects),
    ...overrides,
  });
}

const NO_LOCK: Partial<DumpFact> = { retentionLock: { state: 'absent' } };

describe('dumps.retention', () => {
  it('exposes the stable id and metadata when listed in the catalog', () => {
    expect(dumpsRetentionCheck.metadata).toMatchObject({ id: 'dumps.retention', group: 'dumps' });
  });

  it('passes when a 35-day rule keeps 35 daily dumps with 24 h gaps', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(s3Fact(), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toEqual({
      shortestExpirationDays: 35,
      retentionLockDays: 35,
      coveredDays: 34.3,
      longestGapHours: 24,
      dumpsListed: 35,
    });
    expect(outcome?.required).toEqual({ keptDays: 30, coveredDays: 30, maxGapHours: 48 });
  });

  it('passes when no lifecycle configuration exists and the series is long enough', () => {
    const outcome = dumpsRetentionCheck.evaluate(
      s3Fact({ lifecycle: { state: 'absent' }, ...NO_LOCK }),
      settingsWith(),
    );
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain('no lifecycle rule expires them');
  });

  it('fails with the rule days when a lifecycle rule expires dumps after 7 days', () => {
    // Prepare
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] }, ...NO_LOCK });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ shortestExpirationDays: 7 });
    expect(outcome?.description).toContain(
      'lifecycle rule expire-dumps deletes dumps after 7 days, sooner than the 30 days required',
    );
    expect(outcome?.remediationText).toContain('at least 30 days');
  });

  it('names the shortest rule, or says it is unnamed, when a lifecycle rule expires dumps too soon', () => {
    // Prepare: two short rules, the shorter one without an id.
    const named = s3Fact({
      lifecycle: {
        state: 'read',
        value: [rule({ id: 'short', expirationDays: 10 }), rule({ id: 'shorter', expirationDays: 7 })],
      },
      ...NO_LOCK,
    });
    const unnamed = s3Fact({
      lifecycle: { state: 'read', value: [rule({ id: undefined, expirationDays: 7 })] },
      ...NO_LOCK,
    });
    // Act
    const namedOutcome = dumpsRetentionCheck.evaluate(named, settingsWith());
    const unnamedOutcome = dumpsRetentionCheck.evaluate(unnamed, settingsWith());
    // Assess: before, both said 'a lifecycle rule deletes dumps after 7 days', naming none.
    expect(namedOutcome?.description).toContain('lifecycle rule shorter deletes dumps after 7 days');
    expect(unnamedOutcome?.description).toContain('lifecycle rule (unnamed) deletes dumps after 7 days');
  });

  it('fails a short S3 rule under a 35-day default Object Lock retention, which does not keep the dumps', () => {
    // Prepare: a 7-day Expiration rule; a 35-day COMPLIANCE default retention (s3Fact's).
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] } });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, WARNING 'the retention lock keeps its version 35 days': the default holds
    // only dumps uploaded after it was set without their own retention, and does not stop the rule
    // from delete-marking every dump at 7 days, so nothing proven keeps them 30 days.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('deletes dumps after 7 days, sooner than the 30 days required');
    expect(outcome?.description).toContain(
      "the bucket's default Object Lock retention of 35 days does not stop it: on S3 the rule puts a delete marker on each dump",
    );
    expect(outcome?.description).not.toContain('keeps its version');
    expect(outcome?.remediationText).toContain('at least 30 days');
  });

  it("fails a short S3 rule when the newest dump's own Object Lock retention, which overrides the 35-day default, is 1 day", () => {
    // Prepare: the uploader sets its own 1-day retention on each dump (PutObject
    // x-amz-object-lock-retain-until-date), which overrides the bucket's 35-day default.
    const base = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] } });
    const written = base.newest?.object.lastModified ?? NOW;
    const fact = {
      ...base,
      newest: base.newest && {
        ...base.newest,
        objectLock: { mode: 'COMPLIANCE', retainUntil: new Date(written.getTime() + 86_400_000) },
      },
    };
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, WARNING saying 'the retention lock keeps its version 35 days': the dump's
    // own retention keeps it 1 day, so nothing keeps it from the 7-day rule.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('deletes dumps after 7 days, sooner than the 30 days required');
  });

  it('fails with no countdown when the S3 series is cut at the rule days under a default Object Lock', () => {
    // Prepare: 7 days of current dumps, the rest delete-marked by the rule.
    const fact = withSeries(dailySeries(7), {
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, WARNING 'the retention lock keeps its version 35 days'; the current-version
    // series never grows past the rule, so no "covers the policy in N more days" either.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('more day');
    expect(outcome?.description).not.toContain('keeps its version');
    expect(outcome?.remediationText).toContain('at least 30 days');
  });

  it('passes when a short GCS rule is outweighed by a 35-day retention policy, which keeps objects live', () => {
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
    });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'a retention lock keeps them 35 days (lifecycle rule expire-dumps would delete them after 7 days)',
    );
  });

  it('passes on a short GCS rule under an unlocked 35-day retention policy, saying it is not locked', () => {
    // Prepare: the policy holds every object now (lifecycle cannot delete one it holds), but whoever
    // may edit the bucket can remove it, as a rule can be changed.
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: false } },
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: it PASSED 'a retention lock keeps them 35 days', calling the unlocked policy a lock.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'the bucket retention policy keeps them 35 days (lifecycle rule expire-dumps would delete them after 7 days), though it is not locked: whoever may edit the bucket can remove it (dumps.protection), and the series covers',
    );
  });

  it('says a GCS retention policy sent without isLocked is not shown to be locked', () => {
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: undefined } },
    });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.description).toContain(
      'would delete them after 7 days), though it is not shown to be locked:',
    );
  });

  it('fails when a lifecycle rule expires every dump on a date', () => {
    const rules = [rule({ expirationDate: new Date('2027-01-01T00:00:00Z') })];
    const fact = s3Fact({ lifecycle: { state: 'read', value: rules }, ...NO_LOCK });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('on 2027-01-01');
  });

  it('fails naming both dumps when the series has a 72 h gap', () => {
    // Prepare: drop two consecutive days from the middle of the series.
    const objects = dailySeries(35).filter((_, index) => index !== 20 && index !== 21);
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 72 });
    expect(outcome?.description).toContain(
      'gap of 3 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-20.dump',
    );
  });

  it('ignores a gap older than the window when the window itself is whole', () => {
    const objects = dailySeries(35).filter((_, index) => index !== 1 && index !== 2);
    expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.status).toBe('PASSED');
  });

  it('fails, not passes with no gap, when no dump at all was written in the window', () => {
    // Prepare: 35 daily dumps, the newest written 40 days ago: the job stopped, nothing expires them.
    const objects = dailySeries(35).map((object) => ({
      ...object,
      lastModified: new Date((object.lastModified ?? NOW).getTime() - 40 * 86_400_000),
    }));
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: it PASSED 'the series covers 74.3 days (30 required) with no gap longer than 0 h'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'no dump was written in the last 30 days: the newest, prod/certctl-2026-12-02.dump, is 40.3 days old',
    );
    expect(outcome?.observed).toMatchObject({ coveredDays: 74.3, longestGapHours: null });
  });

  describe('a series that ends long before the run (one dump, or a job that stopped)', () => {
    const DAY = 86_400_000;
    const one = (ageMs: number): DumpObject[] => [
      { key: 'prod/certctl-only.dump', size: 6451, lastModified: new Date(NOW.getTime() - ageMs) },
    ];

    it('fails a single dump written exactly the policy days ago: it covers none of the window', () => {
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(one(30 * DAY)), settingsWith());
      // Assess: it PASSED 'the series covers 30 days (30 required) with no gap longer than 0 h'.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'no dump was written in the last 30 days: the newest, prod/certctl-only.dump, is 30 days old',
      );
      expect(outcome?.observed).toMatchObject({ coveredDays: 30, longestGapHours: null, dumpsListed: 1 });
    });

    it('fails a single dump written a minute inside the window: no dump since, for nearly all of it', () => {
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(one(30 * DAY - 60_000)), settingsWith());
      // Assess: it warned that the series 'covers the policy in about 1 more day'.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'the series has a gap of 30 days since prod/certctl-only.dump, its newest dump, up to this run, longer than twice the 24 h cadence',
      );
      expect(outcome?.observed).toMatchObject({ longestGapHours: 720 });
    });

    it('names the gap since the newest dump, which still grows, when it ties with the longest gap between dumps', () => {
      // Prepare: daily dumps up to 10 days ago, then one 5 days ago: 120 h between the two, and
      // 120 h since the newest up to this run.
      const at = (hoursAgo: number) => ({
        key: `prod/certctl-${hoursAgo}h.dump`,
        size: 6451,
        lastModified: new Date(NOW.getTime() - hoursAgo * 3_600_000),
      });
      const objects = [...Array.from({ length: 26 }, (_, index) => at(840 - index * 24)), at(120)];
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess: before, the gap between prod/certctl-240h.dump and prod/certctl-120h.dump was named,
      // with 'Find why the dump job skipped runs in that period', though the job has written nothing
      // since and the gap since the newest dump is the longest a moment later.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ longestGapHours: 120 });
      expect(outcome?.description).toContain(
        'the series has a gap of 5 days since prod/certctl-120h.dump, its newest dump, up to this run, longer than twice the 24 h cadence',
      );
      expect(outcome?.remediationText).toBe('Find why the dump job stopped (dumps.fresh) and run it now.');
    });

    it('fails a single dump written a minute before the window: no dump in it', () => {
      const outcome = dumpsRetentionCheck.evaluate(withSeries(one(30 * DAY + 60_000)), settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('no dump was written in the last 30 days');
    });

    it('fails a single dump written long ago', () => {
      const outcome = dumpsRetentionCheck.evaluate(withSeries(one(90 * DAY)), settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'no dump was written in the last 30 days: the newest, prod/certctl-only.dump, is 90 days old',
      );
    });

    it('fails a daily series whose newest dump is just inside the window: the days after it are not covered', () => {
      // Prepare: daily dumps from 40 days ago to 29.9 days ago, then nothing.
      const objects = Array.from({ length: 11 }, (_, index) => ({
        key: `prod/d-${index}.dump`,
        size: 6451,
        lastModified: new Date(NOW.getTime() - (40 - index) * DAY + 2 * 3_600_000),
      }));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess: it PASSED 'the series covers 40 days (30 required) with no gap longer than 24 h'.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('gap of 29.9 days since prod/d-10.dump, its newest dump');
      expect(outcome?.remediationText).toContain('Find why the dump job stopped (dumps.fresh)');
    });

    it('passes a newest dump exactly twice the cadence old, and fails one 2 minutes older', () => {
      // The fixture's newest is 8 h 20 min old: shifted to exactly 48 h, then to 48 h 2 min.
      const shifted = (minutes: number) =>
        dailySeries(35).map((object) => ({
          ...object,
          lastModified: new Date((object.lastModified ?? NOW).getTime() - minutes * 60_000),
        }));
      const exact = dumpsRetentionCheck.evaluate(withSeries(shifted(48 * 60 - 500)), settingsWith());
      const over = dumpsRetentionCheck.evaluate(withSeries(shifted(48 * 60 - 498)), settingsWith());
      expect(exact?.status).toBe('PASSED');
      expect(exact?.observed).toMatchObject({ longestGapHours: 48 });
      expect(over?.status).toBe('FAILED');
      expect(over?.observed).toMatchObject({ longestGapHours: 48.1 });
    });

    it('is not available when an undated object may be a dump written since the newest dated one', () => {
      // Prepare
      const objects = [
        ...one(10 * DAY),
        { key: 'prod/certctl-undated.dump', size: 6451, lastModified: undefined },
      ];
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('prod/certctl-undated.dump');
    });

    it('is not available when the newest dump says it was written after this run: the series is not measured', () => {
      // Prepare: 35 daily dumps, the newest dated 3 days after the run's clock (S3 and Cloud Storage
      // date an upload themselves: the run's clock is behind, by an unknown amount more).
      const objects = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 3 * DAY),
      }));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess: it PASSED 'with no gap longer than 24 h', the hours since the newest dump measured
      // against a clock that is behind.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        "how long ago the dumps were written: prod/certctl-2026-12-02.dump says it was written at 2026-12-05T03:40:00.000Z, later than this run's clock (2026-12-02T12:00:00.000Z), so the days the series covers and its gaps in the last 30 days cannot be told; check the clock of the machine that runs the audit",
      );
    });

    it('does not measure a series dated entirely after this run: no covered days or gap, the clock named', () => {
      // Prepare: every dump dated 40 days after the run's clock (S3 dates uploads itself).
      const objects = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 40 * DAY),
      }));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess: before, coveredDays -5.7, measured from a clock the listing shows behind.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ coveredDays: null, longestGapHours: null, dumpsListed: 35 });
      expect(outcome?.description).toBe(
        "Could not evaluate s3://certctl-dumps/prod/: could not read how long ago the dumps were written: prod/certctl-2026-12-02.dump says it was written at 2027-01-11T03:40:00.000Z, later than this run's clock (2026-12-02T12:00:00.000Z), so the days the series covers and its gaps in the last 30 days cannot be told; check the clock of the machine that runs the audit.",
      );
    });

    it('does not fail a gap it cannot place in the window when the newest dump is dated after this run', () => {
      // Prepare: a 12-day gap inside the window as the run's clock places it, the newest dump 3
      // days after that clock: the window ends at least 3 days later, by an unknown amount.
      const objects = dailySeries(35)
        .filter((_, index) => index < 10 || index > 20)
        .map((object, index, all) =>
          index === all.length - 1 ? { ...object, lastModified: new Date(NOW.getTime() + 3 * DAY) } : object,
        );
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess: before, FAILED on the gap as if the window were the clock's.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain("later than this run's clock");
    });

    it('counts the dumps, not the checksums beside them, of a series it does not measure', () => {
      const objects = withChecksums(dailySeries(35)).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 3 * DAY),
      }));
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.observed).toMatchObject({ dumpsListed: 35 });
      expect(outcome?.description).toContain(
        "prod/certctl-2026-12-02.dump.sha256 says it was written at 2026-12-05T03:41:00.000Z, later than this run's clock",
      );
    });

    it('names the clock beside a listing cut at its bound', () => {
      const objects = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 3 * DAY),
      }));
      const fact = s3Fact({
        listing: { state: 'read', objects, complete: false },
        newest: newestOf(objects),
      });
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        "the whole series: the listing stopped at 35 objects (the policy's maxObjectsListed) and how long ago the dumps were written: prod/certctl-2026-12-02.dump says it was written at 2026-12-05T03:40:00.000Z, later than this run's clock",
      );
    });

    it('still fails a short rule when the newest dump says it was written after this run', () => {
      const objects = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 3 * DAY),
      }));
      const fact = withSeries(objects, {
        lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
        ...NO_LOCK,
      });
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('FAILED');
    });

    it('passes a newest dump dated within the clock tolerance after this run', () => {
      const objects = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 8 * 3_600_000 + 23 * 60_000),
      }));
      expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.status).toBe('PASSED');
    });

    it('does not count the hours since the newest dump of a series that still passes', () => {
      // The fixture's newest dump is 8.3 h old, less than the 24 h between the dumps.
      const outcome = dumpsRetentionCheck.evaluate(withSeries(dailySeries(35)), settingsWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ longestGapHours: 24 });
    });
  });

  it('warns with the days accrued when the series is 10 days old', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(dailySeries(10)), settingsWith());
    // Assess
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.observed).toMatchObject({ coveredDays: 9.3 });
    expect(outcome?.description).toContain('only 9.3 of 30 days');
  });

  it('is not available when the lifecycle configuration was denied and no lock keeps the dumps', () => {
    const fact = s3Fact({ lifecycle: { state: 'unknown', reason: DENIED }, ...NO_LOCK });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the lifecycle configuration');
  });

  it('is not available when the listing stopped at the bound', () => {
    const objects = dailySeries(35);
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('stopped at 35 objects');
  });

  it('says "1 object" when the listing stopped at a bound of one', () => {
    // Prepare: maxObjectsListed 1.
    const objects = dailySeries(1);
    const fact = s3Fact({ listing: { state: 'read', objects, complete: false }, newest: newestOf(objects) });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, 'stopped at 1 objects'.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain("the listing stopped at 1 object (the policy's maxObjectsListed)");
  });

  it('still fails on a short rule when the listing could not be read', () => {
    const fact = s3Fact({
      lifecycle: { state: 'read', value: [rule({ expirationDays: 14 })] },
      listing: { state: 'unknown', reason: 'AccessDenied' },
      newest: undefined,
      ...NO_LOCK,
    });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('Could not read the listing');
  });

  it('is not available when no listed object has a modification time', () => {
    const objects = dailySeries(3).map((object) => ({ ...object, lastModified: undefined }));
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    expect(outcome?.status).toBe('NOT_AVAILABLE');
  });

  it('describes a passing series with the rule that deletes dumps only after the policy days and the longest gap', () => {
    expect(dumpsRetentionCheck.evaluate(s3Fact(), settingsWith())?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule expire-dumps deletes them only after 35 days, and the series covers 34.3 days (30 required) with no gap longer than 24 h.',
    );
  });

  it('says no rule expires the S3 dumps, not that the default Object Lock keeps them', () => {
    // Prepare: no lifecycle configuration; a 35-day COMPLIANCE default retention.
    const fact = s3Fact({ lifecycle: { state: 'absent' } });
    // Act
    const description = dumpsRetentionCheck.evaluate(fact, settingsWith())?.description;
    // Assess: before, ': a retention lock keeps them 35 days': a bucket's default retention does
    // not reach objects uploaded before it was set, nor those uploaded with their own retention.
    expect(description).toContain(': no lifecycle rule expires them, and the series covers');
    expect(description).not.toContain('retention lock keeps them');
  });

  it('is not available when the S3 lifecycle configuration was denied, whatever the default Object Lock', () => {
    // Prepare: lifecycle denied; a 35-day COMPLIANCE default retention (s3Fact's).
    const fact = s3Fact({ lifecycle: { state: 'unknown', reason: DENIED } });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED 'a retention lock keeps them 35 days'. On S3 an Expiration rule still
    // delete-marks locked dumps, and the default does not cover dumps written before it was set.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('the lifecycle configuration');
  });

  it('is not available on an S3 rule narrowed by tags, whatever the default Object Lock', () => {
    // Prepare: a 7-day rule on tagged objects; a 35-day COMPLIANCE default retention.
    const fact = s3Fact({
      lifecycle: {
        state: 'read',
        value: [rule({ expirationDays: 7, unmodelledConditions: ['tag temp=true'] })],
      },
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, PASSED 'a retention lock keeps them 35 days': the rule was skipped.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('tag temp=true');
  });

  it('judges the shortest of several expiration rules', () => {
    // Prepare
    const rules = [
      rule({ id: 'long', expirationDays: 40 }),
      rule({ id: 'short', expirationDays: 10 }),
      rule({}),
    ];
    const fact = s3Fact({ lifecycle: { state: 'read', value: rules }, ...NO_LOCK });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ shortestExpirationDays: 10 });
  });

  it('passes when a rule keeps dumps exactly the policy minimum', () => {
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 30 })] }, ...NO_LOCK });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('passes on a short GCS rule when a retention lock keeps dumps exactly the policy minimum', () => {
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      retentionLock: { state: 'read', value: { mode: undefined, days: 30, locked: true } },
    });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('fails on a short rule when the retention lock is shorter than the minimum too', () => {
    const fact = s3Fact({
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      retentionLock: { state: 'read', value: { mode: 'COMPLIANCE', days: 29, locked: true } },
    });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ retentionLockDays: 29 });
  });

  it('says how to raise the expiration, naming the bucket and the GCS docs, when a GCS rule is short', () => {
    // Prepare
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: '' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      ...NO_LOCK,
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/: lifecycle rule expire-dumps deletes dumps after 7 days, sooner than the 30 days required.',
    );
    expect(outcome?.remediationText).toBe(
      'Raise the lifecycle expiration for the bucket to at least 30 days (https://cloud.google.com/storage/docs/lifecycle).',
    );
  });

  it('names the prefix and the S3 docs in the fix when an S3 rule is short', () => {
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] }, ...NO_LOCK });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.remediationText).toBe(
      'Raise the lifecycle expiration for prod/ to at least 30 days (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html).',
    );
  });

  it('names an unnamed date rule and sends no fix of its own', () => {
    const rules = [rule({ id: undefined, expirationDate: new Date('2027-01-01T00:00:00Z') })];
    const outcome = dumpsRetentionCheck.evaluate(
      s3Fact({ lifecycle: { state: 'read', value: rules }, ...NO_LOCK }),
      settingsWith(),
    );
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule (unnamed) expires every dump under the prefix on 2027-01-01, whatever its age.',
    );
    expect(outcome?.remediationText).toBeUndefined();
  });

  it('says once why the S3 default Object Lock retention does not stop a date rule and a short rule', () => {
    const rules = [
      rule({ expirationDays: 7 }),
      rule({ id: 'new-year', expirationDate: new Date('2027-01-01T00:00:00Z') }),
    ];
    const fact = s3Fact({ lifecycle: { state: 'read', value: rules } });
    const description = dumpsRetentionCheck.evaluate(fact, settingsWith())?.description ?? '';
    // Assess: before, the same sentence followed each of the two rules.
    expect(description.split('default Object Lock retention of 35 days does not stop').length).toBe(2);
    expect(description).toContain("the bucket's default Object Lock retention of 35 days does not stop them");
  });

  it('fails an S3 date rule under a 35-day default Object Lock retention, which does not keep the dumps', () => {
    const rules = [rule({ expirationDate: new Date('2027-01-01T00:00:00Z') })];
    const fact = s3Fact({ lifecycle: { state: 'read', value: rules } });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, WARNING 'the retention lock keeps its version 35 days', from the default.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'lifecycle rule expire-dumps expires every dump under the prefix on 2027-01-01, whatever its age',
    );
    expect(outcome?.description).toContain(
      "the bucket's default Object Lock retention of 35 days does not stop it",
    );
    // As without a lock, a date rule sends no fix of its own (the check's remediation stands).
    expect(outcome?.remediationText).toBeUndefined();
  });

  it('ignores a date rule when a long Cloud Storage retention policy keeps the dumps (lifecycle cannot delete them)', () => {
    const rules = [rule({ expirationDate: new Date('2027-01-01T00:00:00Z') })];
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: rules },
    });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('does not need the lifecycle configuration when a long GCS retention policy keeps the dumps', () => {
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'unknown', reason: DENIED },
    });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
  });

  it('says exactly what could not be read when it is not available', () => {
    const fact = s3Fact({
      lifecycle: { state: 'unknown', reason: DENIED },
      listing: { state: 'unknown', reason: 'AccessDenied' },
      newest: undefined,
      ...NO_LOCK,
    });
    expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.description).toBe(
      `Could not evaluate s3://certctl-dumps/prod/: could not read the lifecycle configuration (${DENIED}) and the listing (AccessDenied).`,
    );
  });

  it('fails naming the gap and appends what could not be read', () => {
    // Prepare
    const objects = dailySeries(35).filter((_, index) => index !== 20 && index !== 21);
    const fact = withSeries(objects, { lifecycle: { state: 'unknown', reason: DENIED }, ...NO_LOCK });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.description).toBe(
      `s3://certctl-dumps/prod/: the series has a gap of 3 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-20.dump, longer than twice the 24 h cadence. Could not read the lifecycle configuration (${DENIED}).`,
    );
    expect(outcome?.remediationText).toBe(
      'Find why the dump job skipped runs in that period (its logs and alarms).',
    );
  });

  it('passes a gap of exactly twice the cadence', () => {
    // Prepare: one missing day makes a 48 h gap.
    const objects = dailySeries(35).filter((_, index) => index !== 20);
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 48 });
  });

  it('fails a gap 2 minutes longer than twice the cadence, which rounds to it', () => {
    // Prepare: one missing day, and the dump after it written 2 minutes late: a gap of 48.03 h,
    // which one decimal rounds to 48.0 h.
    const objects = dailySeries(35)
      .filter((_, index) => index !== 20)
      .map((object, index) =>
        index === 20 && object.lastModified
          ? { ...object, lastModified: new Date(object.lastModified.getTime() + 120_000) }
          : object,
      );
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: it PASSED 'with no gap longer than 48 h'; the gap is shown on the same side of the
    // limit as it is.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 48.1 });
    expect(outcome?.description).toContain(
      'the series has a gap of 48.1 h between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-19.dump, longer than twice the 24 h cadence',
    );
  });

  it('reports the longest of several gaps', () => {
    const objects = dailySeries(35).filter((_, index) => ![10, 20, 21, 30].includes(index));
    expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.observed).toMatchObject({
      longestGapHours: 72,
    });
  });

  it('fails when the listing is complete and empty', () => {
    const fact = s3Fact({ listing: { state: 'read', objects: [], complete: true }, newest: undefined });
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('the prefix holds no dump at all');
    expect(outcome?.observed).toMatchObject({ dumpsListed: 0, coveredDays: null, longestGapHours: null });
  });

  it('says the modification times were not sent when no object has one', () => {
    const objects = dailySeries(3).map((object) => ({ ...object, lastModified: undefined }));
    expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.description).toContain(
      'could not read the modification times of the listed objects (not sent)',
    );
  });

  it('warns with the days still to accrue and what to check', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(dailySeries(10)), settingsWith());
    // Assess
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule expire-dumps deletes them only after 35 days, but the series reaches back only 9.3 of 30 days; it covers the policy in about 21 more days if nothing deletes older dumps.',
    );
    expect(outcome?.remediationText).toContain('find what deleted them');
    expect(outcome?.drifting).toEqual(['coveredDays']);
  });

  it('does not say a series 40 minutes short of the policy reaches back the policy days', () => {
    // Prepare: daily dumps, the oldest written 30 days less 40 minutes ago (29.97 days), which one
    // decimal rounds to 30.0.
    const oldest = {
      key: 'prod/certctl-first.dump',
      size: 6451,
      lastModified: new Date(NOW.getTime() - 30 * 86_400_000 + 40 * 60_000),
    };
    const objects = [oldest, ...dailySeries(30)];
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: it said 'reaches back only 30 of 30 days; it covers the policy in about 0 more days'.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.observed).toMatchObject({ coveredDays: 29.9 });
    expect(outcome?.description).toContain(
      'the series reaches back only 29.9 of 30 days; it covers the policy in about 1 more day if',
    );
  });

  describe('a prefix shared with another database', () => {
    it('does not pass the series when the newest dump is of another database than the policy names', () => {
      // Prepare: 35 daily dumps whose newest, read, is a dump of "certctl", while the policy's
      // database is "certctl_prod": the prefix holds another database's dumps, which may be the
      // ones that fill the series.
      // Act
      const outcome = dumpsRetentionCheck.evaluate(s3Fact(), settingsWith({ databaseName: 'certctl_prod' }));
      // Assess: it PASSED 'the series covers 34.3 days (30 required) with no gap longer than 24 h'.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'whether the series is of database "certctl_prod": the newest object under the prefix, prod/certctl-2026-12-02.dump, is a dump of database "certctl" (dumps.integrity), so the prefix holds the dumps of another database too, which may be the ones that cover the days and close the gaps; narrow the location\'s `prefix` or `suffix` to the dumps of "certctl_prod"',
      );
      expect(outcome?.observed).toMatchObject({ coveredDays: 34.3, longestGapHours: 24, dumpsListed: 35 });
    });

    it('calls the dump read the newest that may be a dump when newer checksums were passed over', () => {
      // Prepare: each dump followed by its checksum, no suffix: the collectors read the newest dump.
      const dumps = dailySeries(35);
      const fact = s3Fact({
        listing: { state: 'read', objects: withChecksums(dumps), complete: true },
        newest: newestOf(dumps),
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith({ databaseName: 'certctl_prod' }));
      // Assess: before, 'the newest object under the prefix, prod/certctl-2026-12-02.dump', though
      // its checksum is newer.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'the newest object under the prefix that may be a dump, prod/certctl-2026-12-02.dump, is a dump of database "certctl"',
      );
    });

    it('still fails a gap the series has with every object counted', () => {
      // Prepare: three days missing; counting another database's dumps closes no gap.
      const objects = dailySeries(35).filter((_, index) => ![17, 18].includes(index));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(
        withSeries(objects),
        settingsWith({ databaseName: 'certctl_prod' }),
      );
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('the series has a gap of 3 days');
    });

    it('judges the series as before when the newest dump is of the policy database', () => {
      expect(dumpsRetentionCheck.evaluate(s3Fact(), settingsWith())?.status).toBe('PASSED');
    });
  });

  describe('the series window', () => {
    const HOUR = 3_600_000;
    const windowStart = NOW.getTime() - 30 * 24 * HOUR;
    const at = (ms: number, index: number): DumpObject => ({
      key: `prod/d-${index}.dump`,
      size: 6451,
      lastModified: new Date(ms),
    });
    /** Daily dumps from `first` up to NOW. */
    const dailyFrom = (first: number) =>
      Array.from({ length: Math.floor((NOW.getTime() - first) / (24 * HOUR)) + 1 }, (_, index) =>
        at(first + index * 24 * HOUR, index + 1),
      );

    it('passes, not accruing, when the oldest dump is exactly at the start of the window', () => {
      const outcome = dumpsRetentionCheck.evaluate(withSeries(dailyFrom(windowStart)), settingsWith());
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.observed).toMatchObject({ coveredDays: 30, longestGapHours: 24 });
    });

    it('counts a gap that ends exactly at the start of the window', () => {
      // Prepare
      const objects = [at(windowStart - 72 * HOUR, 0), ...dailyFrom(windowStart)];
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ longestGapHours: 72 });
    });

    it('judges a listing in any order', () => {
      // Prepare
      const objects = dailySeries(35).filter((_, index) => index !== 20 && index !== 21);
      // Act
      const shuffled = dumpsRetentionCheck.evaluate(withSeries([...objects].reverse()), settingsWith());
      // Assess
      expect(shuffled?.observed).toMatchObject({ longestGapHours: 72, coveredDays: 34.3 });
      expect(shuffled?.description).toContain(
        'between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-20.dump',
      );
    });

    it('names the first of two equally long gaps', () => {
      const objects = dailySeries(35).filter((_, index) => ![10, 11, 20, 21].includes(index));
      expect(dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith())?.description).toContain(
        'gap of 3 days between prod/certctl-2026-11-07.dump and prod/certctl-2026-11-10.dump,',
      );
    });
  });

  describe('Cloud Storage Delete rules that do not delete by age', () => {
    const gcs = (rules: readonly DumpLifecycleRule[], overrides: Partial<DumpFact> = {}) =>
      s3Fact({
        location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
        lifecycle: { state: 'read', value: rules },
        ...NO_LOCK,
        ...overrides,
      });

    it('fails when createdBefore deletes dumps made inside the window', () => {
      // Prepare: NOW is 2026-12-02 12:00; the window starts 2026-11-02 12:00.
      const fact = gcs([rule({ id: '#1', createdBefore: new Date('2026-11-25T00:00:00Z') })]);
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        'gs://certctl-dumps/prod/: lifecycle rule #1 deletes every dump created before 2026-11-25, inside the 30 days required.',
      );
    });

    it('fails when createdBefore lies in the future: every dump goes', () => {
      const fact = gcs([rule({ createdBefore: new Date('2027-01-01T00:00:00Z') })]);
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('FAILED');
    });

    describe('when a dump dated after this run shows its clock behind', () => {
      const DAY = 86_400_000;
      const later = dailySeries(35).map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + 3 * DAY),
      }));
      const listed = {
        listing: { state: 'read', objects: later, complete: true },
        newest: newestOf(later),
      } as const;

      it('does not fail a createdBefore date it cannot place in the window', () => {
        // Prepare: 2026-11-25 is inside the window as the clock places it, but the window ends
        // at least 3 days after that clock, by an unknown amount.
        const fact = gcs([rule({ id: '#1', createdBefore: new Date('2026-11-25T00:00:00Z') })], listed);
        // Act
        const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
        // Assess: before, FAILED 'inside the 30 days required'.
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(
          "whether lifecycle rule #1 deletes dumps of the last 30 days: it deletes every dump created before 2026-11-25, and prod/certctl-2026-12-02.dump says it was written at 2026-12-05T03:40:00.000Z, later than this run's clock (2026-12-02T12:00:00.000Z), so whether that date lies inside them cannot be told",
        );
      });

      it("does not fail a createdBefore date at the newest dump's own time: that dump was not created before it", () => {
        const midnight = new Date('2026-12-05T00:00:00Z');
        const objects = later.map((object, index) =>
          index === later.length - 1 ? { ...object, lastModified: midnight } : object,
        );
        const fact = gcs([rule({ id: '#1', createdBefore: midnight })], {
          listing: { state: 'read', objects, complete: true },
          newest: newestOf(objects),
        });
        expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('NOT_AVAILABLE');
      });

      it('still fails a createdBefore date after every listed dump: each of them goes', () => {
        const fact = gcs([rule({ id: '#1', createdBefore: new Date('2027-01-01T00:00:00Z') })], listed);
        const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
        expect(outcome?.status).toBe('FAILED');
        expect(outcome?.description).toContain(
          'lifecycle rule #1 deletes every dump created before 2027-01-01',
        );
      });
    });

    it('passes when createdBefore only deletes dumps older than the window', () => {
      const fact = gcs([rule({ createdBefore: new Date('2026-11-02T00:00:00Z') })]);
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('passes when createdBefore is inside the window but the same rule also waits the required age', () => {
      const fact = gcs([rule({ createdBefore: new Date('2026-11-25T00:00:00Z'), expirationDays: 30 })]);
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('passes on a createdBefore rule inside the window when a long retention lock keeps the dumps', () => {
      const fact = gcs([rule({ createdBefore: new Date('2026-11-25T00:00:00Z') })], {
        retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
      });
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('is not available, naming the condition, when a rule deletes by a condition it cannot judge', () => {
      // Prepare
      const fact = gcs([rule({ id: '#2', unmodelledConditions: ['daysSinceCustomTime=1'] })]);
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toBe(
        'Could not evaluate gs://certctl-dumps/prod/: could not read whether lifecycle rule #2 deletes dumps sooner than 30 days: it deletes objects that meet daysSinceCustomTime=1, which this audit cannot match to the dumps.',
      );
    });

    it('is not available, not failed, when a short age is narrowed by a condition it cannot judge', () => {
      // Prepare: age 3 alone would fail, but only objects with the suffix are deleted.
      const fact = gcs([rule({ expirationDays: 3, unmodelledConditions: ['matchesSuffix=[".tmp"]'] })]);
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('matchesSuffix=[".tmp"]');
      expect(outcome?.observed).toMatchObject({ shortestExpirationDays: null });
    });

    it('passes when the rule also waits at least the required age, whatever else it asks', () => {
      const fact = gcs([rule({ expirationDays: 35, unmodelledConditions: ['matchesSuffix=[".dump"]'] })]);
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('passes when the rule also asks for a creation date before the window, whatever else it asks', () => {
      const fact = gcs([
        rule({
          createdBefore: new Date('2026-10-01T00:00:00Z'),
          unmodelledConditions: ['daysSinceCustomTime=1'],
        }),
      ]);
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('passes on a rule it cannot judge when a long retention lock keeps the dumps', () => {
      const fact = gcs([rule({ unmodelledConditions: ['daysSinceCustomTime=1'] })], {
        retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
      });
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('still fails on a proven short rule beside one it cannot judge', () => {
      const fact = gcs([
        rule({ expirationDays: 7 }),
        rule({ id: '#2', unmodelledConditions: ['daysSinceCustomTime=1'] }),
      ]);
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('Could not read whether lifecycle rule #2 deletes dumps');
    });
  });

  describe('a lifecycle rule narrowed by a filter the dumps may not meet', () => {
    it('is not available, naming the tag, when a 7-day rule deletes only tagged objects', () => {
      // Prepare
      const fact = s3Fact({
        lifecycle: {
          state: 'read',
          value: [rule({ expirationDays: 7, unmodelledConditions: ['tag temp=true'] })],
        },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('tag temp=true');
    });

    it('spares the series when a short rule reaches only keys under a longer prefix that holds no dump', () => {
      // Prepare: a 1-day scratch rule for prod/tmp/ inside the dump prefix prod/; no dump is under it.
      const fact = withSeries(dailySeries(35), {
        lifecycle: {
          state: 'read',
          value: [rule({ expirationDays: 1, prefix: 'prod/tmp/', narrowerPrefixes: ['prod/tmp/'] })],
        },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
    });

    it('fails when listed dumps lie under the longer prefix of a short rule', () => {
      // Prepare
      const fact = withSeries(dailySeries(35), {
        lifecycle: {
          state: 'read',
          value: [rule({ expirationDays: 7, prefix: 'prod/certctl-', narrowerPrefixes: ['prod/certctl-'] })],
        },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('after 7 days');
    });

    it('is not available, naming the prefix, when the listing stopped before it could tell', () => {
      // Prepare
      const objects = dailySeries(35);
      const fact = s3Fact({
        listing: { state: 'read', objects, complete: false },
        newest: newestOf(objects),
        lifecycle: {
          state: 'read',
          value: [
            rule({ id: 'scratch', expirationDays: 1, prefix: 'prod/tmp/', narrowerPrefixes: ['prod/tmp/'] }),
          ],
        },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'whether lifecycle rule scratch deletes dumps sooner than 30 days: it deletes objects that meet keys under prod/tmp/ (the dumps were not all listed)',
      );
    });

    it('spares the series when every listed dump is outside the rule size range', () => {
      // Prepare: a 1-day rule for objects under 1 KiB (failed uploads); the dumps are 6 KiB each.
      const fact = withSeries(dailySeries(35), {
        lifecycle: { state: 'read', value: [rule({ expirationDays: 1, objectSizeLessThan: 1024 })] },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('PASSED');
    });

    it('spares the series when only an empty object (a failed run, no dump) falls inside the rule size range', () => {
      // Prepare: the last run uploaded 0 bytes; the 1-day rule for objects under 1 KiB exists to
      // clean up exactly such failed uploads, and reaches no dump.
      const objects = dailySeries(35).map((object, index) =>
        index === 34 ? { ...object, size: 0 } : object,
      );
      const fact = withSeries(objects, {
        lifecycle: { state: 'read', value: [rule({ expirationDays: 1, objectSizeLessThan: 1024 })] },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess: it FAILED 'lifecycle rule expire-dumps deletes dumps after 1 days'.
      expect(outcome?.status, outcome?.description).toBe('PASSED');
    });

    it('fails when listed dumps fall inside the rule size range', () => {
      // Prepare
      const fact = withSeries(dailySeries(35), {
        lifecycle: { state: 'read', value: [rule({ expirationDays: 7, objectSizeGreaterThan: 1024 })] },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('after 7 days');
    });

    it('is not available when the sizes of the dumps are not all known', () => {
      // Prepare: the listing is cut, so dumps outside it may be in range.
      const objects = dailySeries(35);
      const fact = s3Fact({
        listing: { state: 'read', objects, complete: false },
        newest: newestOf(objects),
        lifecycle: { state: 'read', value: [rule({ expirationDays: 1, objectSizeLessThan: 1024 })] },
        ...NO_LOCK,
      });
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('size');
    });
  });

  describe('empty objects', () => {
    it('fails with the gap when the job wrote empty objects for six days inside the window', () => {
      // Prepare: pg_dump failed six nights running and the upload step still wrote a 0-byte object
      // each time (`pg_dump | aws s3 cp - …`): the series has no restorable dump in those days.
      const objects = dailySeries(35).map((object, index) =>
        index >= 20 && index < 26 ? { ...object, size: 0 } : object,
      );
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects, NO_LOCK), settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ longestGapHours: 168 });
      expect(outcome?.description).toContain('a gap of 7 days');
      expect(outcome?.description).toContain(
        'Not counted as dumps: 6 empty objects of the last 30 days (runs that produced nothing), the newest prod/certctl-2026-11-23.dump, prod/certctl-2026-11-22.dump, prod/certctl-2026-11-21.dump and 3 more.',
      );
    });

    it('names an empty object of the window in a pass', () => {
      // Prepare: the run of 2026-11-18 uploaded 0 bytes; the next night's run made a whole dump.
      const objects = dailySeries(35).map((object, index) =>
        index === 20 ? { ...object, size: 0 } : object,
      );
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects, NO_LOCK), settingsWith());
      // Assess: before, the pass said nothing of it, though it is no dump.
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        'Not counted as dumps: 1 empty object of the last 30 days (a run that produced nothing), prod/certctl-2026-11-18.dump.',
      );
    });

    it('does not count empty oldest objects as covering the window', () => {
      // Prepare: the ten oldest of 35 daily objects are empty, the 25 after them whole dumps.
      const objects = dailySeries(35).map((object, index) => (index < 10 ? { ...object, size: 0 } : object));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects, NO_LOCK), settingsWith());
      // Assess: the whole dumps reach back 24.3 days, not 34.3, and the empty objects of the
      // window that do not are named.
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.observed).toMatchObject({ coveredDays: 24.3 });
      expect(outcome?.description).toContain('Not counted as dumps: 5 empty objects of the last 30 days');
    });

    it('fails saying no dump exists when every listed object is empty', () => {
      // Prepare
      const objects = dailySeries(3).map((object) => ({ ...object, size: 0 }));
      // Act
      const outcome = dumpsRetentionCheck.evaluate(withSeries(objects, NO_LOCK), settingsWith());
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'every object under the prefix (3) is empty, so it holds no dump at all',
      );
    });
  });

  describe('rules that reach only some name endings (Cloud Storage matchesSuffix)', () => {
    const tmpCleanup = {
      state: 'read',
      value: [rule({ expirationDays: 1, matchesSuffixes: ['.tmp'] })],
    } as const;

    it('passes when no listed dump ends with the rule suffix', () => {
      const fact = withSeries(dailySeries(35), { lifecycle: tmpCleanup, ...NO_LOCK });
      expect(dumpsRetentionCheck.evaluate(fact, settingsWith())?.status).toBe('PASSED');
    });

    it('fails when listed dumps end with the rule suffix', () => {
      const rules = {
        state: 'read',
        value: [rule({ expirationDays: 1, matchesSuffixes: ['.dump'] })],
      } as const;
      const fact = withSeries(dailySeries(35), { lifecycle: rules, ...NO_LOCK });
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('after 1 day,');
    });

    it('is not available, naming the suffix, when the listing was cut and the location names no suffix', () => {
      const objects = dailySeries(35);
      const fact = s3Fact({
        listing: { state: 'read', objects, complete: false },
        newest: newestOf(objects),
        lifecycle: tmpCleanup,
        ...NO_LOCK,
      });
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('keys ending with .tmp');
    });

    it('spares the dumps whatever was listed when the location suffix and the rule suffix never meet', () => {
      // Prepare: every dump ends with .dump, which never ends with .tmp.
      const objects = dailySeries(35);
      const fact = s3Fact({
        location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
        listing: { state: 'read', objects, complete: false },
        newest: newestOf(objects),
        lifecycle: tmpCleanup,
        ...NO_LOCK,
      });
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess: the lifecycle is judged; only the cut listing keeps coverage unknown.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).not.toContain('.tmp');
    });
  });
  describe('Cloud Storage dumps held by their own Object Retention Lock', () => {
    function heldFact(mode: string, days: number): DumpFact {
      const objects = dailySeries(35);
      const newest = newestOf(objects);
      const written = objects.at(-1)?.lastModified ?? NOW;
      return s3Fact({
        location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
        listing: { state: 'read', objects, complete: true },
        newest: newest && {
          ...newest,
          objectLock: { mode, retainUntil: new Date(written.getTime() + days * 86_400_000) },
        },
        lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
        ...NO_LOCK,
      });
    }

    it('warns, naming the rule, when a 7-day Delete rule meets a newest dump under its own Locked retention of 35 days', () => {
      const outcome = dumpsRetentionCheck.evaluate(heldFact('Locked', 35), settingsWith());
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain('lifecycle rule expire-dumps deletes dumps after 7 days');
      expect(outcome?.description).toContain(
        'the newest dump prod/certctl-2026-12-02.dump carries its own Locked object retention until 2027-01-06',
      );
      expect(outcome?.description).toContain('lifecycle deletes it once that retention lapses');
      expect(outcome?.remediationText).toContain('at least 30 days');
    });

    it('warns "after 1 day", naming the rule, when a 1-day rule meets a newest dump under its own Locked retention', () => {
      // Prepare
      const fact = {
        ...heldFact('Locked', 35),
        lifecycle: { state: 'read', value: [rule({ id: 'daily-purge', expirationDays: 1 })] },
      } as const;
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess: before, 'deletes dumps after 1 days'.
      expect(outcome?.status).toBe('WARNING');
      expect(outcome?.description).toContain(
        'lifecycle rule daily-purge deletes dumps after 1 day, sooner than the 30 days required, but',
      );
    });

    const everyDumpHeld = (held: (index: number) => boolean) =>
      withListedRetentions(heldFact('Locked', 35), held);

    it('passes when every listed dump carries its own Locked retention to 35 days after it was written', () => {
      const outcome = dumpsRetentionCheck.evaluate(
        everyDumpHeld(() => true),
        settingsWith(),
      );
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        "each listed dump's own Locked object retention keeps it at least 30 days (lifecycle rule expire-dumps would delete them after 7 days)",
      );
    });

    it('passes when every listed dump carries its own Locked retention and an empty object in the series carries none', () => {
      // Prepare: the run of 2026-11-18 uploaded 0 bytes (a failed pg_dump | upload), with no retention.
      const fact = withEmptyObject(
        everyDumpHeld(() => true),
        20,
      );
      // Act
      const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
      // Assess: before, WARNING (the newest dump alone shown held), for an object that is no dump.
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain("each listed dump's own Locked object retention keeps it");
    });

    it('only warns when one older listed dump carries no retention of its own', () => {
      const outcome = dumpsRetentionCheck.evaluate(
        everyDumpHeld((index) => index !== 3),
        settingsWith(),
      );
      expect(outcome?.status).toBe('WARNING');
    });

    it('still fails when the newest dump carries only an Unlocked retention of 35 days', () => {
      const outcome = dumpsRetentionCheck.evaluate(heldFact('Unlocked', 35), settingsWith());
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain('deletes dumps after 7 days, sooner than the 30 days required');
    });

    it('counts a Locked retention of exactly the policy days that the uploader computed a minute before Cloud Storage dated the dump', () => {
      // Prepare: retainUntil = upload start + 30 days; timeCreated is the arrival, a minute later.
      const fact = heldFact('Locked', 30);
      const lock = fact.newest?.objectLock;
      const early = lock && { ...lock, retainUntil: new Date(lock.retainUntil.getTime() - 60_000) };
      // Act
      const outcome = dumpsRetentionCheck.evaluate(
        { ...fact, newest: fact.newest && early && { ...fact.newest, objectLock: early } },
        settingsWith(),
      );
      // Assess: as S3's own lock days (CLOCK_SKEW_TOLERANCE_MS), not read as 29 days and FAILED.
      expect(outcome?.status).toBe('WARNING');
    });

    it('still fails when the Locked retention ends before the policy minimum after the dump was written', () => {
      const outcome = dumpsRetentionCheck.evaluate(heldFact('Locked', 20), settingsWith());
      expect(outcome?.status).toBe('FAILED');
    });

    it.each([
      ['the newest listed dump', () => heldFact('Locked', 35)],
      ['every listed dump', () => everyDumpHeld(() => true)],
    ] as const)(
      'names the rule and what was not read when %s carries its own Locked retention but the listing stopped at its bound',
      (_, make) => {
        // Prepare: objects.list answers in name order, so the dumps beyond the bound (the newest ones,
        // for date-named keys) were not read, nor their own retention.
        const fact = make();
        const cut = { ...fact, listing: { ...fact.listing, complete: false } } as DumpFact;
        // Act
        const outcome = dumpsRetentionCheck.evaluate(cut, settingsWith());
        // Assess: before, NOT_AVAILABLE naming the listing alone: the 7-day rule went unsaid.
        expect(outcome?.status).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain(
          'whether lifecycle rule expire-dumps deletes dumps sooner than the 30 days required: it deletes them after 7 days, and prod/certctl-2026-12-02.dump, the newest listed dump, carries its own Locked object retention until 2027-01-06 (at least 30 days after it was written), which lifecycle cannot override, but the listing stopped at its bound, so the own retention of the dumps written since was not read',
        );
        expect(outcome?.description).not.toContain('the newest dump prod/');
      },
    );

    it('keeps S3 as it was: a COMPLIANCE retention on the newest dump does not spare a short Expiration rule', () => {
      const fact = heldFact('COMPLIANCE', 35);
      const outcome = dumpsRetentionCheck.evaluate(
        { ...fact, location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/' } } as DumpFact,
        settingsWith(),
      );
      expect(outcome?.status).toBe('FAILED');
    });
  });
});

describe('dumps.retention with checksum files beside the dumps and no suffix set', () => {
  it('counts the dumps only, not the checksum beside each', () => {
    // Act: 35 daily dumps, each with its .sha256.
    const outcome = dumpsRetentionCheck.evaluate(withSeries(withChecksums(dailySeries(35))), settingsWith());
    // Assess: before, dumpsListed was 70, the checksums counted as dumps.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ dumpsListed: 35, coveredDays: 34.3 });
  });

  it('does not pass a gap that only checksums of dumps no longer listed fill', () => {
    // Prepare: the dumps of 5 days in the window are gone; their checksums stay.
    const listed = withChecksums(dailySeries(35));
    const gone = new Set(
      dailySeries(35)
        .slice(20, 25)
        .map((dump) => dump.key),
    );
    const objects = listed.filter((object) => !gone.has(object.key));
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: before, PASSED with no gap longer than 24 h, the checksums standing for the dumps.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'whether 5 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/certctl-2026-11-22.dump.sha256) are dumps: without them, the series has a gap of 6 days between',
    );
  });

  it('names the last of them by key in the order S3 lists keys (UTF-8 bytes), not UTF-16', () => {
    // Prepare: as above, two of the orphaned checksums renamed: U+FF21 sorts after U+1F600 by UTF-16
    // code units, before it by UTF-8 bytes (EF against F0), as S3 and Cloud Storage list them.
    const gone = new Set(
      dailySeries(35)
        .slice(20, 25)
        .map((dump) => dump.key),
    );
    const renamed = new Map([
      ['prod/certctl-2026-11-21.dump.sha256', 'prod/certctl-\u{1F600}.dump.sha256'],
      ['prod/certctl-2026-11-22.dump.sha256', 'prod/certctl-\uFF21.dump.sha256'],
    ]);
    const objects = withChecksums(dailySeries(35))
      .filter((object) => !gone.has(object.key))
      .map((object) => ({ ...object, key: renamed.get(object.key) ?? object.key }));
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('(the last by key prod/certctl-\u{1F600}.dump.sha256)');
  });

  it('does not pass a series whose older days only checksums of dumps no longer listed cover', () => {
    // Prepare: only the last 10 dumps are listed (a lifecycle rule by size took the others), 35 checksums.
    const dumps = new Set(
      dailySeries(35)
        .slice(-10)
        .map((dump) => dump.key),
    );
    const objects = withChecksums(dailySeries(35)).filter(
      (object) => object.key.endsWith('.sha256') || dumps.has(object.key),
    );
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: before, PASSED as covering 34.3 days.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain('without them, the series reaches back only 9.3 of 30 days');
  });
});

describe('dumps.retention with checksums of dumps no longer listed, counted', () => {
  it('fails a gap that remains with them counted, and says they were counted', () => {
    // Prepare: the dumps of 15 days in the window are gone; of their checksums, 4 in a row are gone too.
    const gone = new Set(
      dailySeries(35)
        .slice(10, 25)
        .map((dump) => dump.key),
    );
    const objects = withChecksums(dailySeries(35)).filter(
      (object) =>
        !gone.has(object.key) &&
        !['11-13', '11-14', '11-15', '11-16'].some((day) => object.key.endsWith(`${day}.dump.sha256`)),
    );
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    // Before, the gap was named between the two checksums, prod/certctl-2026-11-12.dump.sha256 and
    // prod/certctl-2026-11-17.dump.sha256, as if they were dumps; later 'at least 5 days' with
    // longestGapHours 120, the part the checksums leave, though the dumps are 16 days apart.
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the series has a gap of 16 days between prod/certctl-2026-11-07.dump and prod/certctl-2026-11-23.dump, longer than twice the 24 h cadence; 11 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/certctl-2026-11-22.dump.sha256) are not counted as dumps; counted, the series has a gap of 5 days between prod/certctl-2026-11-12.dump.sha256 and prod/certctl-2026-11-17.dump.sha256, longer than twice the 24 h cadence.',
    );
    expect(outcome?.observed).toMatchObject({ longestGapHours: 384, dumpsListed: 20 });
  });
});

describe('dumps.retention with a checksum of a dump no longer listed beyond the listed dumps', () => {
  it('fails the gap since the newest dump that a newer checksum, which may be no dump, splits but does not close', () => {
    // Prepare: a series started 10 days ago, each dump with its checksum; the newest listed dump is
    // 3 days older than the newest checksum, whose dumps (and their checksums but the last) are gone.
    const series = withChecksums(dailySeries(10));
    const objects = series.filter(
      (object, index) => index < series.length - 6 || object.key === series.at(-1)?.key,
    );
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: first FAILED 'a gap of 3 days between prod/certctl-2026-11-29.dump.sha256 and
    // prod/certctl-2026-12-02.dump.sha256', named by two checksums; then NOT_AVAILABLE 'whether
    // prod/certctl-2026-12-02.dump.sha256 … is a dump', though no dump came for 3 days either way:
    // 3.3 days up to this run if it is none, 3 days up to it if it is one.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the series has a gap of 3.3 days since prod/certctl-2026-11-29.dump, its newest dump, up to this run, longer than twice the 24 h cadence; prod/certctl-2026-12-02.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed, is not counted as a dump; counted, the series has a gap of 3 days between prod/certctl-2026-11-29.dump and prod/certctl-2026-12-02.dump.sha256, longer than twice the 24 h cadence.',
    );
    expect(outcome?.observed).toMatchObject({ coveredDays: 9.3, longestGapHours: 80.3, dumpsListed: 7 });
    expect(outcome?.remediationText).toBe('Find why the dump job stopped (dumps.fresh) and run it now.');
  });

  it('does not fail a series still filling whose newer checksum, which may be no dump, comes within twice the cadence', () => {
    // Prepare: as above, but the newest listed dump 1 day before the newest checksum.
    const series = withChecksums(dailySeries(10));
    const objects = series.filter(
      (object, index) => index < series.length - 2 || object.key === series.at(-1)?.key,
    );
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects), settingsWith());
    // Assess: counted or not, the series is still filling (without it, 32 h since the newest dump).
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.observed).toMatchObject({ coveredDays: 9.3, longestGapHours: 32.3, dumpsListed: 9 });
    expect(outcome?.description).toContain(
      'the series reaches back only 9.3 of 30 days, not counting prod/certctl-2026-12-02.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed;',
    );
  });
});

describe('dumps.retention counts a single day as one', () => {
  it('fails saying "after 1 day" when a 1-day rule deletes dumps', () => {
    // Prepare
    const fact = s3Fact({ lifecycle: { state: 'read', value: [rule({ expirationDays: 1 })] }, ...NO_LOCK });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, 'deletes dumps after 1 days'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'lifecycle rule expire-dumps deletes dumps after 1 day, sooner than the 30 days required',
    );
  });

  it('says "1 day required" when the policy asks for a single day', () => {
    // Prepare: a Cloud Storage Delete rule at age 0, and a policy of 1 day.
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 0 })] },
      ...NO_LOCK,
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith({}, 1));
    // Assess: before, 'sooner than the 1 days required' and 'to at least 1 days'.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'lifecycle rule expire-dumps deletes dumps after 0 days, sooner than the 1 day required',
    );
    expect(outcome?.remediationText).toContain('to at least 1 day (');
  });

  it('says "about 1 more day" when the series is a day short of the policy', () => {
    // Prepare: 30 daily dumps, the oldest 29.3 days old; a 35-day rule.
    const fact = withSeries(dailySeries(30));
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, 'in about 1 more days'.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain(
      'reaches back only 29.3 of 30 days; it covers the policy in about 1 more day if',
    );
  });

  it('names the rule a retention lock outlasts, with its days, when it passes', () => {
    // Prepare: a 1-day Delete rule under a 35-day GCS retention policy, which keeps objects live.
    const fact = s3Fact({
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 1 })] },
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, '(a lifecycle rule would delete them after 1)', naming no rule and no unit.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toContain(
      'a retention lock keeps them 35 days (lifecycle rule expire-dumps would delete them after 1 day)',
    );
  });

  it('names the rule and its days in the warning while the series still accrues under a lock', () => {
    // Prepare: 7 daily dumps so far, a 7-day rule under the 35-day retention policy.
    const fact = withSeries(dailySeries(7), {
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ id: 'weekly', expirationDays: 7 })] },
    });
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, '(a lifecycle rule would delete them after 7)'.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('(lifecycle rule weekly would delete them after 7 days)');
  });

  it('says "after 1 day" where each dump holds itself past a 1-day rule', () => {
    // Prepare: every listed dump carries its own Locked retention; a 1-day rule; a 2-day policy.
    const objects = dailySeries(3);
    const base = withSeries(objects, {
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 1 })] },
      ...NO_LOCK,
    });
    const fact = withListedRetentions(base);
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith({}, 2));
    // Assess: before, '(lifecycle rule expire-dumps would delete them after 1)'.
    expect(outcome?.description).toContain('(lifecycle rule expire-dumps would delete them after 1 day)');
  });
});

/**
 * Branches no test pinned (the survivors of a Stryker run on this file, reviewed): what each says
 * to a user, by status, description, fix or observed value.
 */
describe('dumps.retention, what it says in branches first pinned by the mutation review', () => {
  const DAY = 86_400_000;
  const LIFECYCLE_URL = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html';
  const gcs = (overrides: Partial<DumpFact> = {}): DumpFact =>
    s3Fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'europe-west1',
        type: 'GcpStorageBucket',
        id: 'certctl-dumps/prod/',
      },
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      ...NO_LOCK,
      ...overrides,
    });
  const withRules = (rules: DumpLifecycleRule[], overrides: Partial<DumpFact> = {}): DumpFact =>
    s3Fact({ lifecycle: { state: 'read', value: rules }, ...overrides });
  /** The series of `days` daily dumps, as the adapters sort it (oldest first, undated last). */
  const listed = (objects: DumpObject[]): DumpFact => withSeries(sortOldestFirst(objects));
  const evaluate = (fact: DumpFact, settings = settingsWith()) =>
    dumpsRetentionCheck.evaluate(fact, settings);

  it.each([
    [
      'prefixes, suffixes and both size bounds',
      {
        narrowerPrefixes: ['prod/certctl-2026-11', 'prod/certctl-2026-12'],
        matchesSuffixes: ['.dump', '.bak'],
        objectSizeGreaterThan: 10,
        objectSizeLessThan: 500,
      },
      'keys under prod/certctl-2026-11 or prod/certctl-2026-12, keys ending with .dump or .bak, object size > 10 and < 500 bytes',
    ],
    ['a size bound alone', { objectSizeLessThan: 500 }, 'object size < 500 bytes'],
  ] as const)(
    'names the filter of a rule it cannot match (%s) when a dump was listed without its size',
    (_, filter, said) => {
      // Prepare: a complete listing, one dump of it sent without a size.
      const objects = dailySeries(35).map((object, index) =>
        index === 20 ? { ...object, size: undefined } : object,
      );
      const fact = withSeries(objects, {
        lifecycle: { state: 'read', value: [rule({ id: 'small-files', expirationDays: 1, ...filter })] },
      });
      // Act
      const outcome = evaluate(fact);
      // Assess
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toBe(
        `Could not evaluate s3://certctl-dumps/prod/: could not read whether lifecycle rule small-files deletes dumps sooner than 30 days: it deletes objects that meet ${said} (the sizes of the dumps were not all listed), which this audit cannot match to the dumps.`,
      );
    },
  );

  it('names an undated empty object of the listing, and not one written exactly 30 days ago', () => {
    // Prepare: a run that uploaded 0 bytes and was listed without a time; another, empty, written at
    // the very start of the window (not inside it).
    const objects = [
      ...dailySeries(35),
      { key: 'prod/failed.dump', size: 0, lastModified: undefined },
      { key: 'prod/edge.dump', size: 0, lastModified: new Date(NOW.getTime() - 30 * DAY) },
    ];
    // Act
    const outcome = evaluate(listed(objects));
    // Assess
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toMatch(
      / Not counted as dumps: 1 empty object of the last 30 days \(a run that produced nothing\), prod\/failed\.dump\.$/,
    );
  });

  it('fails a Delete rule shorter than the policy beside a locked Cloud Storage retention policy shorter too', () => {
    // Act: a 7-day locked retention policy does not keep the dumps the 30 days a 7-day rule cuts.
    const outcome = evaluate(
      gcs({
        retentionLock: { state: 'read', value: { mode: undefined, days: 7, locked: true } },
        lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      }),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('lifecycle rule expire-dumps deletes dumps after 7 days');
    expect(outcome?.observed).toMatchObject({ retentionLockDays: 7, shortestExpirationDays: 7 });
  });

  it('passes a rule that deletes only dumps created before the window starts, to the millisecond', () => {
    const outcome = evaluate(
      gcs({
        lifecycle: {
          state: 'read',
          value: [rule({ id: 'old-dumps', createdBefore: new Date(NOW.getTime() - 30 * DAY) })],
        },
      }),
    );
    expect(outcome?.status).toBe('PASSED');
  });

  it('names every condition of a rule it cannot match', () => {
    const outcome = evaluate(
      gcs({
        lifecycle: {
          state: 'read',
          value: [
            rule({
              id: 'cold',
              expirationDays: 1,
              unmodelledConditions: ['daysSinceCustomTime=1', 'matchesStorageClass=["STANDARD"]'],
            }),
          ],
        },
      }),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Could not evaluate gs://certctl-dumps/prod/: could not read whether lifecycle rule cold deletes dumps sooner than 30 days: it deletes objects that meet daysSinceCustomTime=1, matchesStorageClass=["STANDARD"], which this audit cannot match to the dumps.',
    );
  });

  it('says the age a createdBefore rule also asks when it fails it', () => {
    const outcome = evaluate(
      gcs({
        lifecycle: {
          state: 'read',
          value: [
            rule({ id: 'purge', createdBefore: new Date('2026-11-20T00:00:00.000Z'), expirationDays: 7 }),
          ],
        },
      }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'lifecycle rule purge deletes every dump created before 2026-11-20 once 7 days old, inside the 30 days required',
    );
  });

  it('says no rule expires the dumps when the only rule deletes noncurrent versions', () => {
    const outcome = evaluate(withRules([rule({ id: 'versions', noncurrentExpirationDays: 60 })]));
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: no lifecycle rule expires them, and the series covers 34.3 days (30 required) with no gap longer than 24 h.',
    );
    expect(outcome?.observed).toMatchObject({ shortestExpirationDays: null });
  });

  it('judges the shortest of two rules, whichever comes first', () => {
    const outcome = evaluate(
      withRules([rule({ id: 'short', expirationDays: 7 }), rule({ id: 'long', expirationDays: 40 })]),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('lifecycle rule short deletes dumps after 7 days');
    expect(outcome?.observed).toMatchObject({ shortestExpirationDays: 7 });
  });

  it('says once, after the last, why the S3 default retention stops none of two rules', () => {
    // Act: an Expiration date and a 7-day rule under a 35-day COMPLIANCE default.
    const outcome = evaluate(
      withRules([
        rule({ id: 'cutoff', expirationDate: new Date('2027-01-01T00:00:00.000Z') }),
        rule({ id: 'short', expirationDays: 7 }),
      ]),
    );
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      "s3://certctl-dumps/prod/: lifecycle rule cutoff expires every dump under the prefix on 2027-01-01, whatever its age; lifecycle rule short deletes dumps after 7 days, sooner than the 30 days required, and the bucket's default Object Lock retention of 35 days does not stop them: on S3 each rule puts a delete marker on each dump, which Object Lock does not prevent, and the default holds, as noncurrent versions this audit does not list, only the dumps uploaded after it was set without their own retention.",
    );
  });

  it('says so of one rule, in full', () => {
    const outcome = evaluate(withRules([rule({ id: 'short', expirationDays: 7 })]));
    expect(outcome?.description).toBe(
      "s3://certctl-dumps/prod/: lifecycle rule short deletes dumps after 7 days, sooner than the 30 days required, and the bucket's default Object Lock retention of 35 days does not stop it: on S3 the rule puts a delete marker on each dump, which Object Lock does not prevent, and the default holds, as noncurrent versions this audit does not list, only the dumps uploaded after it was set without their own retention.",
    );
    expect(outcome?.remediationText).toBe(
      `Raise the lifecycle expiration for prod/ to at least 30 days (${LIFECYCLE_URL}).`,
    );
  });

  it('fails a bucket that does not exist: it holds no dump', () => {
    const outcome = evaluate(
      s3Fact({
        listing: {
          state: 'unknown',
          reason: 'NoSuchBucket: The specified bucket does not exist',
          bucketAbsent: true,
        },
        newest: undefined,
      }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the bucket does not exist (NoSuchBucket: The specified bucket does not exist), so it holds no dump at all.',
    );
    expect(outcome?.observed).toMatchObject({ dumpsListed: 0 });
  });

  it('counts no object as a checksum of a dump not listed when the location names a suffix', () => {
    // Prepare: keys ending with .dump only are dumps; two days are missing.
    const objects = dailySeries(35).filter((_, index) => ![17, 18].includes(index));
    const fact = withSeries(objects, {
      location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.dump' },
    });
    // Act
    const outcome = evaluate(fact);
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the series has a gap of 3 days between prod/certctl-2026-11-14.dump and prod/certctl-2026-11-17.dump, longer than twice the 24 h cadence.',
    );
    expect(outcome?.remediationText).toBe(
      'Find why the dump job skipped runs in that period (its logs and alarms).',
    );
  });

  it('says a rule of exactly the policy days keeps the dumps until then', () => {
    const outcome = evaluate(withRules([rule({ expirationDays: 30 })]));
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule expire-dumps deletes them only after 30 days, and the series covers 34.3 days (30 required) with no gap longer than 24 h.',
    );
  });

  it('passes on a locked Cloud Storage retention policy alone, saying so', () => {
    const outcome = evaluate(
      gcs({
        retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
        lifecycle: { state: 'absent' },
      }),
    );
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: a retention lock keeps them 35 days, and the series covers 34.3 days (30 required) with no gap longer than 24 h.',
    );
  });

  /** A checksum whose dump is not listed, written at `when`. */
  const orphan = (name: string, when: Date): DumpObject => ({
    key: `prod/${name}.dump.sha256`,
    size: 96,
    lastModified: when,
  });
  const daysBeforeNewest = (days: number) => new Date(NEWEST_WRITTEN.getTime() - days * DAY);

  it('warns of a series still filling whether or not a checksum older than its first dump is a dump', () => {
    // Prepare: 10 daily dumps, and a checksum of a dump not listed written 20 days before the newest.
    const outcome = evaluate(listed([...dailySeries(10), orphan('gone', daysBeforeNewest(20))]));
    // Assess: counted or not, the series is still filling; the gap the checksum alone opens before
    // the first dump is no gap of the series.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).not.toContain('gap');
  });

  it.each([
    ['2 days into the gap', 13, 5, 'prod/gone.dump.sha256 and prod/certctl-2026-11-24.dump'],
    ['a day before its end', 9, 6, 'prod/certctl-2026-11-17.dump and prod/gone.dump.sha256'],
  ])(
    'fails a gap one checksum splits but does not close (%s), naming the dumps at its ends',
    (_, daysBefore, left, counted) => {
      // Prepare: the dumps of 6 days in the window are gone (7 days between the dumps around them);
      // a checksum of a dump not listed sits inside the gap.
      const objects = [
        ...dailySeries(35).filter((_, index) => index < 20 || index > 25),
        orphan('gone', daysBeforeNewest(daysBefore)),
      ];
      // Act
      const outcome = evaluate(listed(objects));
      // Assess: the gap is the dumps' (7 days, named by them), whichever part is the longer; the
      // part counting the checksum leaves is said after. Before, 'a gap of at least ${left} days'.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toBe(
        `s3://certctl-dumps/prod/: the series has a gap of 7 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-24.dump, longer than twice the 24 h cadence; prod/gone.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed, is not counted as a dump; counted, the series has a gap of ${left} days between ${counted}, longer than twice the 24 h cadence.`,
      );
      expect(outcome?.observed).toMatchObject({ longestGapHours: 168 });
    },
  );

  it('fails the time since the newest dump that a later checksum shortens but does not close', () => {
    // Prepare: the newest dump is 5 days older than the fixture's newest; a checksum of a dump not
    // listed came 2 days after it.
    const objects = [...dailySeries(10).slice(0, 5), orphan('gone', daysBeforeNewest(3))];
    // Act
    const outcome = evaluate(listed(objects));
    // Assess
    expect(outcome?.status).toBe('FAILED');
    // Before, 'a gap of at least 3.3 days since prod/certctl-2026-11-27.dump' (longestGapHours
    // 80): the part the checksum leaves, not the 5.3 days since the newest dump.
    expect(outcome?.description).toContain(
      'the series has a gap of 5.3 days since prod/certctl-2026-11-27.dump, its newest dump, up to this run, longer than twice the 24 h cadence; prod/gone.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed, is not counted as a dump; counted, the series has a gap of 3.3 days since prod/gone.dump.sha256, its newest dump, up to this run, longer than twice the 24 h cadence.',
    );
    expect(outcome?.observed).toMatchObject({ longestGapHours: 128.3 });
    expect(outcome?.remediationText).toBe('Find why the dump job stopped (dumps.fresh) and run it now.');
  });

  describe('checksums of dumps not listed that alone would close a gap', () => {
    /** 35 daily dumps with their checksums, the dumps of 5 days of the window gone. */
    const gapFilledByChecksums = (days = 35, gone: readonly number[] = [20, 21, 22, 23, 24]) => {
      const removed = new Set(
        dailySeries(days).flatMap((dump, index) => (gone.includes(index) ? [dump.key] : [])),
      );
      return withChecksums(dailySeries(days)).filter((object) => !removed.has(object.key));
    };

    it('says what is not known, and nothing more', () => {
      const outcome = evaluate(withSeries(gapFilledByChecksums()));
      expect(outcome?.description).toBe(
        'Could not evaluate s3://certctl-dumps/prod/: could not read whether 5 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/certctl-2026-11-22.dump.sha256) are dumps: without them, the series has a gap of 6 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-23.dump, longer than twice the 24 h cadence.',
      );
    });

    it('says both what the series lacks without them when it is also still filling', () => {
      const outcome = evaluate(withSeries(gapFilledByChecksums(10, [3, 4, 5])));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'are dumps: without them, the series has a gap of 4 days between prod/certctl-2026-11-25.dump and prod/certctl-2026-11-29.dump, longer than twice the 24 h cadence; the series reaches back only 9.3 of 30 days.',
      );
    });

    it('gives only the fix of what it proves when a lifecycle rule fails it too', () => {
      const outcome = evaluate(
        withSeries(gapFilledByChecksums(), {
          lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
        }),
      );
      // Assess: the gap is not proven, so its fix is not given.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.remediationText).toBe(
        `Raise the lifecycle expiration for prod/ to at least 30 days (${LIFECYCLE_URL}).`,
      );
    });

    it('leaves no clause unfinished when an undated dump may close the same gap', () => {
      // Prepare: as above, and a dump listed without a time.
      const objects = [
        ...gapFilledByChecksums(),
        { key: 'prod/undated.dump', size: 6451, lastModified: undefined },
      ];
      // Act
      const outcome = evaluate(listed(objects));
      // Assess: nothing short is left to say of them once the undated dump is named.
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain(
        'the modification time of prod/undated.dump (not sent), which may be a dump inside the gap of 6 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-23.dump',
      );
      expect(outcome?.description).not.toMatch(/without (it|them), (\.|and )/);
      expect(outcome?.description).toMatch(/and prod\/certctl-2026-11-23\.dump\.$/);
    });
  });

  it('fails a gap of a series whose newest dump is of another database, without asking whose the series is', () => {
    const objects = dailySeries(35).filter((_, index) => ![17, 18].includes(index));
    const outcome = evaluate(withSeries(objects), settingsWith({ databaseName: 'certctl_prod' }));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('whether the series is of database');
  });

  it('gives the fix of a lifecycle rule alone beside a series of another database', () => {
    const outcome = evaluate(
      withRules([rule({ expirationDays: 7 })]),
      settingsWith({ databaseName: 'certctl_prod' }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe(
      `Raise the lifecycle expiration for prod/ to at least 30 days (${LIFECYCLE_URL}).`,
    );
  });

  it('says each problem, each thing not read and each fix of a failing location', () => {
    // Prepare: a 7-day rule, two rules filtered by tags, and two days missing from the series.
    const objects = dailySeries(35).filter((_, index) => ![17, 18].includes(index));
    const fact = withSeries(objects, {
      lifecycle: {
        state: 'read',
        value: [
          rule({ id: 'short', expirationDays: 7 }),
          rule({ id: 'tmp', expirationDays: 1, unmodelledConditions: ['tag tier=tmp'] }),
          rule({ id: 'scratch', expirationDays: 1, unmodelledConditions: ['tag tier=scratch'] }),
        ],
      },
      ...NO_LOCK,
    });
    // Act
    const outcome = evaluate(fact);
    // Assess
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule short deletes dumps after 7 days, sooner than the 30 days required; the series has a gap of 3 days between prod/certctl-2026-11-14.dump and prod/certctl-2026-11-17.dump, longer than twice the 24 h cadence. Could not read whether lifecycle rule tmp deletes dumps sooner than 30 days: it deletes objects that meet tag tier=tmp, which this audit cannot match to the dumps and whether lifecycle rule scratch deletes dumps sooner than 30 days: it deletes objects that meet tag tier=scratch, which this audit cannot match to the dumps.',
    );
    expect(outcome?.remediationText).toBe(
      `Raise the lifecycle expiration for prod/ to at least 30 days (${LIFECYCLE_URL}). Find why the dump job skipped runs in that period (its logs and alarms).`,
    );
  });

  it.each([
    [1, 'prod/undated-1.dump (not sent), which may be a dump'],
    [2, '2 objects (the last by key prod/undated-2.dump) (not sent), which may be dumps'],
  ])('names %i undated dumps that may be older than a series still filling', (count, said) => {
    const undated = Array.from({ length: count }, (_, index) => ({
      key: `prod/undated-${index + 1}.dump`,
      size: 6451,
      lastModified: undefined,
    }));
    const outcome = evaluate(listed([...dailySeries(10), ...undated]));
    expect(outcome?.description).toBe(
      `Could not evaluate s3://certctl-dumps/prod/: could not read the modification time of ${said} older than prod/certctl-2026-11-23.dump, the oldest dated, which reaches back only 9.3 of 30 days.`,
    );
  });

  it('does not fail a series with no dated dump in the window when an undated one may be in it', () => {
    const old = dailySeries(5).map((dump) => ({
      ...dump,
      lastModified: new Date((dump.lastModified ?? NOW).getTime() - 40 * DAY),
    }));
    const outcome = evaluate(
      listed([...old, { key: 'prod/undated.dump', size: 6451, lastModified: undefined }]),
    );
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toBe(
      'Could not evaluate s3://certctl-dumps/prod/: could not read the modification time of prod/undated.dump (not sent), which may be a dump written in the last 30 days (no dump was written in the last 30 days: the newest, prod/certctl-2026-12-02.dump, is 40.3 days old).',
    );
  });

  it('says to restart the dump job when no dump was written in the window', () => {
    const old = dailySeries(5).map((dump) => ({
      ...dump,
      lastModified: new Date((dump.lastModified ?? NOW).getTime() - 40 * DAY),
    }));
    const outcome = evaluate(listed(old));
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.remediationText).toBe('Find why the dump job stopped (dumps.fresh) and run it now.');
  });

  describe('the retention lock days observed', () => {
    const ownLock = (fact: DumpFact, mode: string, days: number): DumpFact => ({
      ...fact,
      newest: fact.newest && {
        ...fact.newest,
        objectLock: { mode, retainUntil: new Date(NEWEST_WRITTEN.getTime() + days * DAY) },
      },
    });

    it("are the S3 newest dump's own when they are fewer than the default's", () => {
      const outcome = evaluate(ownLock(s3Fact(), 'COMPLIANCE', 7));
      expect(outcome?.observed).toMatchObject({ retentionLockDays: 7 });
    });

    it('are none when S3 Object Lock has no default retention, whatever the newest dump carries', () => {
      const fact = ownLock(
        s3Fact({
          retentionLock: {
            state: 'read',
            value: { mode: undefined, days: undefined, locked: undefined, enabledWithoutDefault: true },
          },
        }),
        'COMPLIANCE',
        35,
      );
      expect(evaluate(fact)?.observed).toMatchObject({ retentionLockDays: null });
    });

    it("are the Cloud Storage policy's, which keeps every dump whatever one dump's own retention", () => {
      // Prepare: a locked 35-day policy, a 7-day rule, and a newest dump Unlocked for 3 days.
      const fact = ownLock(
        gcs({
          retentionLock: { state: 'read', value: { mode: undefined, days: 35, locked: true } },
          lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
        }),
        'Unlocked',
        3,
      );
      // Act
      const outcome = evaluate(fact);
      // Assess
      expect(outcome?.status).toBe('PASSED');
      expect(outcome?.description).toContain(
        'a retention lock keeps them 35 days (lifecycle rule expire-dumps would delete them after 7 days)',
      );
      expect(outcome?.observed).toMatchObject({ retentionLockDays: 35 });
    });
  });

  it('fails a short Cloud Storage Delete rule from a cut listing whose newest listed dump carries no retention of its own', () => {
    const fact = gcs({ lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] } });
    const outcome = evaluate({ ...fact, listing: { ...fact.listing, complete: false } } as DumpFact);
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      'lifecycle rule expire-dumps deletes dumps after 7 days, sooner than the 30 days required.',
    );
  });

  it('fails a short Cloud Storage Delete rule when the listing could not be read', () => {
    const outcome = evaluate(
      gcs({
        listing: { state: 'unknown', reason: 'objects.list was denied' },
        newest: undefined,
        lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      }),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toBe(
      'gs://certctl-dumps/prod/: lifecycle rule expire-dumps deletes dumps after 7 days, sooner than the 30 days required. Could not read the listing (objects.list was denied).',
    );
  });
});

describe('dumps.retention gives what the dumps alone prove beside checksums of dumps not listed', () => {
  const DAY = 86_400_000;
  const daysBeforeNewest = (days: number) => new Date(NEWEST_WRITTEN.getTime() - days * DAY);
  /** A checksum whose dump is not listed, written at `when`. */
  const orphan = (name: string, when: Date): DumpObject => ({
    key: `prod/${name}.dump.sha256`,
    size: 96,
    lastModified: when,
  });
  /** A dump written at `when`. */
  const dump = (name: string, when: Date): DumpObject => ({
    key: `prod/${name}.dump`,
    size: 6451,
    lastModified: when,
  });
  const evaluate = (objects: DumpObject[], complete = true) =>
    dumpsRetentionCheck.evaluate(
      withSeries(sortOldestFirst(objects), {
        listing: { state: 'read', objects: sortOldestFirst(objects), complete },
      }),
      settingsWith(),
    );

  it('gives the days the dumps cover, not those a checksum older than the first dump reaches, when the series is still filling', () => {
    // Prepare: 10 daily dumps, and a checksum of a dump not listed written 20 days before the newest.
    const outcome = evaluate([...dailySeries(10), orphan('gone', daysBeforeNewest(20))]);
    // Assess: before, 'reaches back only 20.3 of 30 days', 'in about 10 more days', coveredDays
    // 20.3 and dumpsListed 11: the checksum counted as a dump.
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.observed).toMatchObject({ coveredDays: 9.3, longestGapHours: 24, dumpsListed: 10 });
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: lifecycle rule expire-dumps deletes them only after 35 days, but the series reaches back only 9.3 of 30 days, not counting prod/gone.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed; it covers the policy in about 21 more days if nothing deletes older dumps.',
    );
  });

  it('gives the gap between the dumps, not the part a checksum between them leaves, and says what counting it leaves', () => {
    // Prepare: the dumps of 6 days in the window are gone (7 days between the dumps around them); a
    // checksum of a dump not listed sits 2 days into the gap.
    const outcome = evaluate([
      ...dailySeries(35).filter((_, index) => index < 20 || index > 25),
      orphan('gone', daysBeforeNewest(13)),
    ]);
    // Assess: before, longestGapHours 120 ('a gap of at least 5 days') and dumpsListed 30.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ longestGapHours: 168, coveredDays: 34.3, dumpsListed: 29 });
    expect(outcome?.description).toBe(
      's3://certctl-dumps/prod/: the series has a gap of 7 days between prod/certctl-2026-11-17.dump and prod/certctl-2026-11-24.dump, longer than twice the 24 h cadence; prod/gone.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed, is not counted as a dump; counted, the series has a gap of 5 days between prod/gone.dump.sha256 and prod/certctl-2026-11-24.dump, longer than twice the 24 h cadence.',
    );
    expect(outcome?.remediationText).toBe(
      'Find why the dump job skipped runs in that period (its logs and alarms).',
    );
  });

  it('is not available, naming the one checksum, when it alone would close a gap', () => {
    // Prepare: the dumps of 2 days of the window are gone (72 h between the dumps around them); a
    // checksum of a dump not listed sits in the middle of the gap (36 h from each).
    const dumps = dailySeries(35).filter((_, index) => index !== 21 && index !== 22);
    const outcome = evaluate([...dumps, orphan('gone', daysBeforeNewest(12.5))]);
    // Assess
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.description).toContain(
      'could not read whether prod/gone.dump.sha256, whose key shows it the checksum, signature or log of a dump not listed, is a dump: without it, the series has a gap of 3 days between',
    );
  });

  it('names the newest dump, not a newer checksum, when no dump was written in the window', () => {
    // Prepare: 5 daily dumps, the newest 40 days old, and a checksum of a dump not listed 35 days old.
    const dumps = [44, 43, 42, 41, 40].map((days) => dump(`d${days}`, daysBeforeNewest(days)));
    const outcome = evaluate([...dumps, orphan('gone', daysBeforeNewest(35))]);
    // Assess: before, 'the newest, prod/gone.dump.sha256, is 35.3 days old', coveredDays 44.3 of 6.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.observed).toMatchObject({ coveredDays: 44.3, longestGapHours: null, dumpsListed: 5 });
    expect(outcome?.description).toContain(
      's3://certctl-dumps/prod/: no dump was written in the last 30 days: the newest, prod/d40.dump, is 40.3 days old; prod/gone.dump.sha256',
    );
  });

  describe('a prefix that lists only checksums of dumps not listed', () => {
    /** 5 daily checksums of dumps not listed, the newest `days` before the fixture's newest dump. */
    const onlyChecksums = (days: number) =>
      [4, 3, 2, 1, 0].map((back) => orphan(`gone-${back}`, daysBeforeNewest(days + back)));

    it('fails when its newest object is older than twice the cadence, naming what was listed', () => {
      // Act: the newest checksum 4 days old, the listing complete.
      const outcome = evaluate(onlyChecksums(4));
      // Assess: before, NOT_AVAILABLE 'whether 5 objects … are dumps: without them, the prefix holds
      // no dump at all', though with them no dump came for 4 days: it fails either way.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.observed).toMatchObject({ coveredDays: null, longestGapHours: null, dumpsListed: 0 });
      expect(outcome?.description).toBe(
        's3://certctl-dumps/prod/: no dump is listed under the prefix, only 5 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/gone-4.dump.sha256), which are not counted as dumps; counted, the series has a gap of 4.3 days since prod/gone-0.dump.sha256, its newest dump, up to this run, longer than twice the 24 h cadence.',
      );
      expect(outcome?.remediationText).toContain('Find why the dump job uploads no dump');
    });

    it('fails when a gap between them is longer than twice the cadence, the newest recent', () => {
      // Act: one checksum 10 days old, one 8 h old.
      const outcome = evaluate([orphan('old', daysBeforeNewest(10)), orphan('new', NEWEST_WRITTEN)]);
      // Assess: before, NOT_AVAILABLE: the gap between two checksums was not measured.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'counted, the series has a gap of 10 days between prod/old.dump.sha256 and prod/new.dump.sha256, longer than twice the 24 h cadence.',
      );
    });

    it('says the empty objects listed beside them', () => {
      const empty = { key: 'prod/run.dump', size: 0, lastModified: daysBeforeNewest(5) };
      const outcome = evaluate([...onlyChecksums(4), empty]);
      const two = evaluate([...onlyChecksums(4), empty, { ...empty, key: 'prod/rerun.dump' }]);
      // Assess: before, NOT_AVAILABLE 'without them, every object under the prefix (1) is empty'.
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        's3://certctl-dumps/prod/: no dump is listed under the prefix: 1 object is empty, and 5 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/gone-4.dump.sha256) are not counted as dumps; counted,',
      );
      expect(two?.status).toBe('FAILED');
      expect(two?.description).toContain(
        'no dump is listed under the prefix: 2 objects are empty, and 5 objects',
      );
    });

    it('joins both shortfalls counting them leaves when the newest was written exactly the policy days ago', () => {
      // Prepare: two checksums of dumps not listed, 5 days apart, the newest written exactly 30 days
      // before the run: counted, the gap ends inside the window and no dump was written in it.
      const windowStart = new Date(NOW.getTime() - 30 * DAY);
      const outcome = evaluate([
        orphan('old', new Date(windowStart.getTime() - 5 * DAY)),
        orphan('edge', windowStart),
      ]);
      // Assess
      expect(outcome?.status).toBe('FAILED');
      expect(outcome?.description).toContain(
        'counted, the series has a gap of 5 days between prod/old.dump.sha256 and prod/edge.dump.sha256, longer than twice the 24 h cadence; no dump was written in the last 30 days: the newest, prod/edge.dump.sha256, is 30 days old.',
      );
    });

    it('does not fail them when the listing stopped at its bound', () => {
      const outcome = evaluate(onlyChecksums(4), false);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toContain('the listing stopped at 5 objects');
    });

    it('does not fail them when they are recent and leave no long gap, as they may be dumps', () => {
      const outcome = evaluate(onlyChecksums(0));
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      expect(outcome?.description).toBe(
        'Could not evaluate s3://certctl-dumps/prod/: could not read whether 5 objects whose keys show them checksums, signatures or logs of dumps not listed (the last by key prod/gone-4.dump.sha256) are dumps: without them, the prefix holds no dump at all.',
      );
    });
  });
});

describe('dumps.retention and Cloud Storage object holds', () => {
  const gcsFact = (overrides: Partial<DumpFact> = {}): DumpFact =>
    s3Fact({
      resource: {
        provider: 'gcp',
        account: 'certctl-prod',
        region: 'europe-west1',
        type: 'GcpStorageBucket',
        id: 'certctl-dumps/prod/',
      },
      location: { provider: 'gcp', bucket: 'certctl-dumps', prefix: 'prod/' },
      retentionLock: { state: 'absent' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
      ...overrides,
    });

  it('still fails a short Delete rule whose dumps are all under a hold, saying the hold keeps them only while set', () => {
    // Prepare: objects.list sent an event-based hold on every listed dump.
    const base = gcsFact();
    const objects = base.listing.state === 'read' ? base.listing.objects : [];
    const fact: DumpFact = {
      ...base,
      listedHolds: new Map(objects.map((object) => [object.key, { eventBased: true }])),
    };
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess: before, the rule 'deletes dumps after 7 days', said as if nothing kept them; lifecycle
    // deletes no held object, but a hold is no retention period: the status stays.
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `lifecycle rule expire-dumps deletes dumps after 7 days, sooner than the 30 days required (it deletes none while an object hold is set on it, and 35 listed dumps, the newest of them ${objects.at(-1)?.key}, are under one, which keeps each only while it is set: a hold sets no period)`,
    );
  });

  it('names the one listed dump under a hold beside a short Delete rule', () => {
    // Prepare: a temporary hold on the newest dump alone.
    const base = gcsFact();
    const objects = base.listing.state === 'read' ? base.listing.objects : [];
    const newestKey = objects.at(-1)?.key ?? '';
    const fact: DumpFact = { ...base, listedHolds: new Map([[newestKey, { temporary: true }]]) };
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain(
      `(it deletes none while an object hold is set on it, and the listed dump ${newestKey} is under one, which keeps it only while it is set: a hold sets no period)`,
    );
  });

  it('says nothing of a legal hold beside a short S3 Expiration rule, which delete-marks a held object', () => {
    // Prepare: S3, the newest dump's read answered its legal hold ON; a 7-day Expiration rule.
    const base = s3Fact({
      retentionLock: { state: 'absent' },
      lifecycle: { state: 'read', value: [rule({ expirationDays: 7 })] },
    });
    const fact: DumpFact = { ...base, newest: base.newest && { ...base.newest, holds: { legal: true } } };
    // Act
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    // Assess
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).toContain('lifecycle rule expire-dumps deletes dumps after 7 days');
    expect(outcome?.description).not.toContain('hold');
  });

  it('says nothing of holds when no listed dump is under one', () => {
    const base = gcsFact();
    const objects = base.listing.state === 'read' ? base.listing.objects : [];
    const fact: DumpFact = {
      ...base,
      listedHolds: new Map(objects.map((object) => [object.key, { temporary: false, eventBased: false }])),
    };
    const outcome = dumpsRetentionCheck.evaluate(fact, settingsWith());
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.description).not.toContain('hold');
  });
});

describe('dumps.retention counts the dumps listed, and what else the listing holds beside them', () => {
  const DAY = 86_400_000;
  /** 35 daily dumps, each with its `.sha256`, a checksum of a dump not listed, and an empty object. */
  function crowded(shiftDays = 0): DumpObject[] {
    const objects = [
      ...withChecksums(dailySeries(35)),
      { key: 'prod/gone.dump.sha256', size: 96, lastModified: new Date(NEWEST_WRITTEN.getTime() - 3 * DAY) },
      { key: 'prod/failed.dump', size: 0, lastModified: new Date(NEWEST_WRITTEN.getTime() - 2 * DAY) },
    ];
    return sortOldestFirst(
      objects.map((object) => ({
        ...object,
        lastModified: new Date((object.lastModified ?? NOW).getTime() + shiftDays * DAY),
      })),
    );
  }
  const expected = { dumpsListed: 35, emptyObjectsListed: 1, checksumsListed: 36 };

  it('does not count an empty object of a complete listing as a dump listed', () => {
    // Prepare: 35 daily objects, the run of 2026-11-18 uploaded 0 bytes.
    const objects = dailySeries(35).map((object, index) => (index === 20 ? { ...object, size: 0 } : object));
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(objects, NO_LOCK), settingsWith());
    // Assess: before, dumpsListed 35, the empty object counted, though the finding says it is none.
    expect(outcome?.status).toBe('PASSED');
    expect(outcome?.observed).toMatchObject({ dumpsListed: 34, emptyObjectsListed: 1 });
  });

  it('counts the dumps alone, and says what else was listed, from a complete listing', () => {
    // Act
    const outcome = dumpsRetentionCheck.evaluate(withSeries(crowded(), NO_LOCK), settingsWith());
    // Assess: before, dumpsListed 36, the empty object counted.
    expect(outcome?.observed).toMatchObject(expected);
  });

  it('counts the dumps alone, and says what else was listed, from a listing cut at its bound', () => {
    // Act
    const objects = crowded();
    const outcome = dumpsRetentionCheck.evaluate(
      withSeries(objects, { listing: { state: 'read', objects, complete: false } }),
      settingsWith(),
    );
    // Assess: before, dumpsListed 72: every object listed, checksums and the empty object too.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject(expected);
    expect(outcome?.description).toContain(
      "the listing stopped at 72 objects (the policy's maxObjectsListed)",
    );
  });

  it('counts the dumps alone, and says what else was listed, when the listing shows the clock behind', () => {
    // Act: every object dated 3 days after this run's clock.
    const outcome = dumpsRetentionCheck.evaluate(withSeries(crowded(3), NO_LOCK), settingsWith());
    // Assess: before, dumpsListed 37: the checksum of a dump not listed and the empty object counted.
    expect(outcome?.status).toBe('NOT_AVAILABLE');
    expect(outcome?.observed).toMatchObject(expected);
  });

  it('says nothing else was listed when the listing holds dumps alone', () => {
    const outcome = dumpsRetentionCheck.evaluate(withSeries(dailySeries(35), NO_LOCK), settingsWith());
    expect(outcome?.observed).toMatchObject({ dumpsListed: 35 });
    expect(outcome?.observed).not.toHaveProperty('emptyObjectsListed');
    expect(outcome?.observed).not.toHaveProperty('checksumsListed');
  });

  it('counts every object ending with the suffix as listed dumps, as a suffix names the dumps', () => {
    const objects = dailySeries(35).map((object) => ({ ...object, key: `${object.key}.sha256` }));
    const outcome = dumpsRetentionCheck.evaluate(
      withSeries(objects, {
        ...NO_LOCK,
        location: { provider: 'aws', bucket: 'certctl-dumps', prefix: 'prod/', suffix: '.sha256' },
      }),
      settingsWith(),
    );
    expect(outcome?.observed).toMatchObject({ dumpsListed: 35 });
    expect(outcome?.observed).not.toHaveProperty('checksumsListed');
  });
});
