import { describe, expect, it } from 'vitest';
import {
  type DumpObject,
  dumpResourceId,
  newestObject,
  rulePrefixApplies,
  sortOldestFirst,
} from '../../functions/core/dump-facts.ts';

const at = (key: string, iso?: string): DumpObject => ({
  key,
  size: 1,
  lastModified: iso ? new Date(iso) : undefined,
});

describe('dump facts', () => {
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
});
