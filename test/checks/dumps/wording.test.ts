/**
 * The listing index the freshness, retention and integrity checks share: which listed dump a
 * checksum, signature or log sits beside, by its key alone.
 */
import { describe, expect, it } from 'vitest';
import { besideDumpIndex, hasBesideDumpExtension } from '../../../functions/checks/dumps/wording.ts';
import type { DumpObject } from '../../../functions/core/dump-facts.ts';

const at = new Date('2026-12-01T03:00:00Z');
const dump = (key: string, size = 6451): DumpObject => ({ key, size, lastModified: at });

describe('besideDumpIndex', () => {
  it('names the dump a checksum, signature or log sits beside, by its whole key or its stem', () => {
    // Prepare
    const whole = dump('prod/certctl-1.dump');
    const stem = dump('prod/certctl-2.dump');
    const objects = [
      whole,
      dump('prod/certctl-1.dump.sha256', 64),
      stem,
      dump('prod/certctl-2.SIG', 566),
      dump('prod/certctl-3.log', 90),
    ];
    // Act
    const besideDump = besideDumpIndex(objects);
    // Assess
    expect(besideDump(objects[1] as DumpObject)).toBe(whole);
    expect(besideDump(objects[3] as DumpObject)).toBe(stem);
    expect(besideDump(objects[4] as DumpObject)).toBeUndefined();
    expect(besideDump(whole)).toBeUndefined();
  });

  it('names no empty object and no other checksum as the dump a file sits beside', () => {
    // Prepare: the only objects its key could name are an empty upload and another checksum.
    const objects = [
      dump('prod/certctl-1.dump', 0),
      dump('prod/certctl-1.dump.md5', 32),
      dump('prod/certctl-1.dump.md5.sha256', 64),
    ];
    // Act
    const besideDump = besideDumpIndex(objects);
    // Assess
    expect(besideDump(objects[1] as DumpObject)).toBeUndefined();
    expect(besideDump(objects[2] as DumpObject)).toBeUndefined();
  });

  it('gives every check asking of one listing the same index, and another listing its own', () => {
    // Prepare: the checks of one fact ask of the same listing (the fact's objects).
    const objects = [dump('prod/certctl-1.dump'), dump('prod/certctl-1.dump.sha256', 64)];
    const other = [dump('prod/certctl-1.sha256', 64)];
    // Act
    const first = besideDumpIndex(objects);
    const again = besideDumpIndex(objects);
    const ofOther = besideDumpIndex(other);
    // Assess
    expect(again).toBe(first);
    expect(ofOther).not.toBe(first);
    expect(ofOther(other[0] as DumpObject)).toBeUndefined();
  });
});

describe('hasBesideDumpExtension', () => {
  it('reads the last segment’s extension in any case, and nothing else as one', () => {
    // Prepare
    const besides = [
      'prod/x.dump.sha256',
      'prod/x.SHA512SUM',
      'prod/x.Sig',
      'x.asc',
      'prod/x.dump.LOG',
      'x.md5',
    ];
    const others = [
      'prod/x.dump',
      'prod/x.sha256sums',
      'prod/x.sha256/dump',
      'prod/.sha256',
      'prod/x',
      'prod/x.',
      'prod/x.dump.sha-256',
      'prod/x.2026-12-01',
      'prod/x.@sig',
      'prod/x.\u212Asig',
    ];
    // Act / Assess
    expect(besides.filter(hasBesideDumpExtension)).toEqual(besides);
    expect(others.filter(hasBesideDumpExtension)).toEqual([]);
  });
});
