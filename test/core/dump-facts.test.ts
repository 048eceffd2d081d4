import { describe, expect, it } from 'vitest';
import {
  clockContradictedBy,
  type DumpObject,
  dumpResourceId,
  newestObject,
  newestPossibleDump,
  rangeAnswerProblem,
  rulePrefixApplies,
  sortOldestFirst,
} from '../../functions/core/dump-facts.ts';

const at = (key: string, iso?: string): DumpObject => ({
  key,
  size: 1,
  lastModified: iso ? new Date(iso) : undefined,
});

describe('dump facts', () => {
  describe('clockContradictedBy', () => {
    const NOW = new Date('2026-12-02T12:00:00.000Z');
    const listed = (...objects: DumpObject[]) => ({ state: 'read', objects, complete: false }) as const;

    it('names the newest dated object dated more than 5 minutes after the clock, whatever the order', () => {
      const later = at('prod/b.dump.sha256', '2026-12-02T12:05:00.001Z');
      const found = clockContradictedBy(
        listed(later, at('prod/a.dump', '2026-12-02T12:04:00.000Z'), at('prod/c.dump')),
        NOW,
      );
      expect(found).toEqual(later);
    });

    it('trusts a date within the 5-minute tolerance, an undated object and a listing not read', () => {
      expect(clockContradictedBy(listed(at('prod/a.dump', '2026-12-02T12:05:00.000Z')), NOW)).toBeUndefined();
      expect(clockContradictedBy(listed(at('prod/a.dump')), NOW)).toBeUndefined();
      expect(clockContradictedBy({ state: 'unknown', reason: 'AccessDenied' }, NOW)).toBeUndefined();
    });
  });

  it('names a location by its bucket, and by bucket/prefix when it has a prefix', () => {
    expect(dumpResourceId('certctl-dumps', '')).toBe('certctl-dumps');
    expect(dumpResourceId('certctl-dumps', 'prod/')).toBe('certctl-dumps/prod/');
  });

  it('applies a lifecycle rule whose prefix contains the location, lies inside it, or is empty', () => {
    expect(rulePrefixApplies(undefined, 'prod/')).toBe(true);
    expect(rulePrefixApplies('', 'prod/')).toBe(true);
    expect(rulePrefixApplies('prod/', 'prod/daily/')).toBe(true);
    expect(rulePrefixApplies('prod/daily/', 'prod/')).toBe(true);
    expect(rulePrefixApplies('staging/', 'prod/')).toBe(false);
  });

  it('sorts oldest first and puts objects without a time at the end in key order', () => {
    // Prepare
    const objects = [
      at('c'),
      at('new', '2026-12-02T00:00:00Z'),
      at('a'),
      at('old', '2026-11-01T00:00:00Z'),
      at('b'),
      at('a'),
      at('mid', '2026-11-15T00:00:00Z'),
    ];
    // Act
    const sorted = sortOldestFirst(objects);
    // Assess
    expect(sorted.map((object) => object.key)).toEqual(['old', 'mid', 'new', 'a', 'a', 'b', 'c']);
    expect(objects[0]?.key).toBe('c');
  });

  it('takes the newest dated object of a sorted listing, else the last key, else nothing', () => {
    // Prepare
    const dated = sortOldestFirst([
      at('z'),
      at('b', '2026-11-02T00:00:00Z'),
      at('a', '2026-11-01T00:00:00Z'),
    ]);
    const undated = [at('b'), at('c'), at('a')];
    // Act / Assess
    expect(newestObject({ state: 'read', objects: dated, complete: true })?.key).toBe('b');
    const three = sortOldestFirst([
      at('c', '2026-11-03T00:00:00Z'),
      at('a', '2026-11-01T00:00:00Z'),
      at('b', '2026-11-02T00:00:00Z'),
    ]);
    expect(newestObject({ state: 'read', objects: three, complete: true })?.key).toBe('c');
    expect(newestObject({ state: 'read', objects: undated, complete: true })?.key).toBe('c');
    expect(newestObject({ state: 'read', objects: [], complete: true })).toBeUndefined();
    expect(newestObject({ state: 'unknown', reason: 'AccessDenied' })).toBeUndefined();
    expect(undated.map((object) => object.key)).toEqual(['b', 'c', 'a']);
  });

  it('orders undated keys by their UTF-8 bytes, as S3 and Cloud Storage list them, when a key holds a character beyond U+FFFF', () => {
    // Prepare: U+E000 is EE 80 80 in UTF-8, U+1F600 F0 9F 98 80; in UTF-16 the emoji's surrogate
    // pair (D83D DE00) sorts before E000.
    const privateUse = 'prod/\uE000.dump';
    const emoji = 'prod/\u{1F600}.dump';
    const undated = [at(emoji), at(privateUse)];
    // Act
    const sorted = sortOldestFirst(undated);
    const newest = newestObject({ state: 'read', objects: undated, complete: true });
    // Assess
    expect(sorted.map((object) => object.key)).toEqual([privateUse, emoji]);
    expect(newest?.key).toBe(emoji);
  });

  it('orders objects of the same time by key, UTF-8 bytes, whatever the order they were listed in', () => {
    // Prepare: an S3 directory bucket lists keys in no lexicographic order (ListObjectsV2); two
    // dumps written in the same second, listed last key first.
    const same = '2026-12-02T03:40:00Z';
    const listed = [at('prod/b.dump', same), at('prod/\u{1F600}.dump', same), at('prod/a.dump', same)];
    // Act
    const sorted = sortOldestFirst(listed);
    // Assess: before, they kept the listing's order, and the newest was whichever came last.
    expect(sorted.map((object) => object.key)).toEqual(['prod/a.dump', 'prod/b.dump', 'prod/\u{1F600}.dump']);
    expect(sortOldestFirst([...listed].reverse())).toEqual(sorted);
  });

  it('takes as newest the last key of the latest time, as the sorted series ends, whatever the order it is given in', () => {
    // Prepare
    const same = '2026-12-02T03:40:00Z';
    const objects = [
      at('prod/old.dump', '2026-12-01T03:40:00Z'),
      at('prod/b.dump', same),
      at('prod/a.dump', same),
    ];
    // Act
    const newest = newestObject({ state: 'read', objects, complete: true });
    const seriesEnd = sortOldestFirst(objects).at(-1);
    // Assess: before, both were prod/a.dump, the last listed: the newest hung on the listing's order.
    expect(newest?.key).toBe('prod/b.dump');
    expect(seriesEnd?.key).toBe('prod/b.dump');
  });

  describe('newestPossibleDump', () => {
    const read = (...objects: DumpObject[]) => ({ state: 'read', objects, complete: true }) as const;

    it('passes over, with no suffix, the newer checksums, signatures and logs by their keys, beside a listed dump or not', () => {
      // Prepare: the dump, its checksum a minute later, then a checksum and a log of dumps not listed.
      const listing = read(
        at('prod/b.sha256', '2026-12-02T04:00:00Z'),
        at('prod/a.dump', '2026-12-02T03:40:00Z'),
        at('prod/a.dump.sha256', '2026-12-02T03:41:00Z'),
        at('prod/c.LOG', '2026-12-02T05:00:00Z'),
      );
      // Act
      const newest = newestPossibleDump(listing, undefined);
      // Assess: before, the collectors read prod/c.LOG, the newest listed object.
      expect(newest?.key).toBe('prod/a.dump');
      expect(newestObject(listing)?.key).toBe('prod/c.LOG');
      expect(newestPossibleDump(listing, '')?.key).toBe('prod/a.dump');
    });

    it('takes the newest object, whatever its key, when a suffix names the dumps', () => {
      const listing = read(
        at('prod/a.dump.sha256', '2026-12-01T03:40:00Z'),
        at('prod/b.dump.sha256', '2026-12-02T03:40:00Z'),
      );
      expect(newestPossibleDump(listing, '.sha256')?.key).toBe('prod/b.dump.sha256');
    });

    it('takes an empty object newer than the dumps, which its key does not show to be no dump', () => {
      const listing = read(
        at('prod/a.dump', '2026-12-01T03:40:00Z'),
        { key: 'prod/b.dump', size: 0, lastModified: new Date('2026-12-02T03:40:00Z') },
        at('prod/b.dump.sha256', '2026-12-02T03:41:00Z'),
      );
      expect(newestPossibleDump(listing, undefined)?.key).toBe('prod/b.dump');
    });

    it('takes a dated object before an undated one, and of undated ones the last key, as newestObject does', () => {
      expect(
        newestPossibleDump(
          read(
            at('prod/z.dump'),
            at('prod/a.dump', '2026-12-01T03:40:00Z'),
            at('prod/a.dump.sha256', '2026-12-01T03:41:00Z'),
          ),
          undefined,
        )?.key,
      ).toBe('prod/a.dump');
      expect(
        newestPossibleDump(read(at('prod/a.dump'), at('prod/b.dump'), at('prod/c.dump.sha256')), undefined)
          ?.key,
      ).toBe('prod/b.dump');
    });

    it('names nothing when every listed object is such a file, the listing is empty or was not read', () => {
      expect(
        newestPossibleDump(
          read(at('prod/a.dump.sha256', '2026-12-01T03:40:00Z'), at('prod/a.sig')),
          undefined,
        ),
      ).toBeUndefined();
      expect(newestPossibleDump(read(), undefined)).toBeUndefined();
      expect(newestPossibleDump({ state: 'unknown', reason: 'AccessDenied' }, undefined)).toBeUndefined();
    });
  });

  describe('rangeAnswerProblem', () => {
    const dump: DumpObject = { key: 'prod/a.dump', size: 6451, lastModified: undefined };

    it('accepts the first bytes from byte 0 and the last bytes to the end of the listed size', () => {
      expect(rangeAnswerProblem(dump, 'head', 'bytes 0-1023/6451', 1024)).toBeUndefined();
      expect(rangeAnswerProblem(dump, 'tail', 'bytes 6387-6450/6451', 64)).toBeUndefined();
      // A 200 answer (no Content-Range) is the whole object.
      expect(rangeAnswerProblem(dump, 'tail', undefined, 6451)).toBeUndefined();
    });

    it('accepts the whole of an object shorter than the suffix asked for', () => {
      const small: DumpObject = { key: 'prod/a.dump', size: 30, lastModified: undefined };
      expect(rangeAnswerProblem(small, 'tail', 'bytes 0-29/30', 30)).toBeUndefined();
    });

    it('names a key written again when the length at the read is not the listed size', () => {
      expect(rangeAnswerProblem(dump, 'head', 'bytes 0-1023/4335', 1024)).toBe(
        'prod/a.dump holds 4335 bytes now, not the 6451 the listing said: it was written again after it was listed, so its bytes are not those of the dump the listing dated',
      );
    });

    it('refuses last bytes that do not end the object, which would read as a cut archive', () => {
      // A store that answered a suffix range with the object's first 64 bytes.
      expect(rangeAnswerProblem(dump, 'tail', 'bytes 0-63/6451', 64)).toContain(
        'not shown to end the object',
      );
      expect(rangeAnswerProblem(dump, 'tail', 'bytes 6387-6450/*', 64)).toContain('an unstated length');
    });

    it('refuses first bytes that do not start at byte 0, a range it cannot read, and fewer bytes than it names', () => {
      expect(rangeAnswerProblem(dump, 'head', 'bytes 100-1123/6451', 1024)).toContain(
        'do not start at byte 0',
      );
      expect(rangeAnswerProblem(dump, 'head', 'items 0-1', 1024)).toContain('names no byte range');
      expect(rangeAnswerProblem(dump, 'head', 'bytes 0-1023/6451', 52)).toContain(
        'returned 52 of the 1024 bytes',
      );
    });
  });
});
