import { describe, expect, it } from 'vitest';
import { type PgDumpHeader, parsePgDumpHeader } from '../../functions/core/pg-dump-header.ts';
import { PG_DUMP_TAIL_BYTES, pgDumpEnd } from '../../functions/core/pg-dump-tail.ts';
import {
  cutsOf,
  DATA_ARCHIVES,
  fixtureBytes as fixture,
  SCHEMA_ONLY_ARCHIVES,
  WHOLE_ARCHIVES,
} from '../fixtures/pg-dump/archives.ts';

function headerOf(bytes: Uint8Array): PgDumpHeader {
  const result = parsePgDumpHeader(bytes.subarray(0, 1024));
  if (result.kind !== 'header') throw new Error(`expected a header, got ${JSON.stringify(result)}`);
  return result.header;
}

/** The last bytes a suffix-ranged read of an object holding `bytes` returns. */
function tailOf(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(Math.max(0, bytes.length - PG_DUMP_TAIL_BYTES));
}

describe('pgDumpEnd on real pg_dump archives', () => {
  it.each(WHOLE_ARCHIVES)('finds the end marker when %s is whole', (name) => {
    const bytes = fixture(name);
    expect(pgDumpEnd(headerOf(bytes), tailOf(bytes)).kind).toBe('end-marker');
  });

  it.each(DATA_ARCHIVES)('finds a data block end when %s holds data', (name) => {
    const bytes = fixture(name);
    expect(pgDumpEnd(headerOf(bytes), tailOf(bytes))).toEqual({ kind: 'end-marker', marker: 'zero-int' });
  });

  it.each(SCHEMA_ONLY_ARCHIVES)('finds the end of the table of contents when %s holds no data', (name) => {
    const bytes = fixture(name);
    expect(pgDumpEnd(headerOf(bytes), tailOf(bytes))).toEqual({
      kind: 'end-marker',
      marker: 'no-data-offset',
    });
  });

  it('takes a data block whose last chunk happens to end with 3 then zeros for a data block end', () => {
    // A chunk ending 03 00 00 00 before the zero int: no deps-list end (the int -1) precedes the 3.
    const header = headerOf(fixture('certctl-pg17.dump'));
    const end = new Uint8Array([0x7a, 0x31, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0]);
    expect(pgDumpEnd(header, end)).toEqual({ kind: 'end-marker', marker: 'zero-int' });
  });

  it('finds the zero int when the archive holds data, and the no-data offset when it is schema only', () => {
    // Prepare
    const withData = fixture('certctl-pg17.dump');
    const schemaOnly = fixture('certctl-pg17-schema-only.dump');
    const header = headerOf(schemaOnly);

    // Act: an archive whose offSize leaves no room for a zero int after the flag byte.
    const narrowOffsets = { ...header, offSize: 4 };

    // Assess
    expect(pgDumpEnd(headerOf(withData), tailOf(withData))).toEqual({
      kind: 'end-marker',
      marker: 'zero-int',
    });
    // The schema-only archive's offset field is 8 zero bytes, which end like a data block's zero int:
    // its last entry's deps-list end (the int -1) before the K_OFFSET_NO_DATA flag tells them apart.
    expect(pgDumpEnd(header, tailOf(schemaOnly))).toEqual({ kind: 'end-marker', marker: 'no-data-offset' });
    const flaggedEnd = new Uint8Array([0x31, 3, 0, 0, 0, 0]);
    expect(pgDumpEnd(narrowOffsets, flaggedEnd)).toEqual({ kind: 'end-marker', marker: 'no-data-offset' });
    expect(pgDumpEnd(narrowOffsets, new Uint8Array([0x31, 2, 0, 0, 0, 0])).kind).toBe('mid-archive');
  });

  it.each(WHOLE_ARCHIVES)(
    'says mid-archive when %s is cut in its TOC, its middle or its last bytes',
    (name) => {
      // Prepare
      const bytes = fixture(name);
      const header = headerOf(bytes);

      // Act
      const ends = cutsOf(name).map((cut) => pgDumpEnd(header, tailOf(bytes.subarray(0, cut))));

      // Assess
      expect(ends).toEqual(cutsOf(name).map(() => ({ kind: 'mid-archive', zeroBytes: 5 })));
    },
  );

  it('says mid-archive when fewer bytes than an int remain', () => {
    const header = headerOf(fixture('certctl-pg15.dump'));
    expect(pgDumpEnd(header, new Uint8Array([0, 0, 0, 0]))).toEqual({ kind: 'mid-archive', zeroBytes: 5 });
  });

  it('wants intSize zero bytes and no sign byte when the archive is version 1.0', () => {
    const header = headerOf(fixture('certctl-pg15.dump'));
    const old = { ...header, archiveVersion: { major: 1, minor: 0, revision: 0 } };
    expect(pgDumpEnd(old, new Uint8Array([7, 0, 0, 0, 0]))).toEqual({
      kind: 'end-marker',
      marker: 'zero-int-or-toc',
    });
    expect(pgDumpEnd(old, new Uint8Array([0, 0, 0, 7]))).toEqual({ kind: 'mid-archive', zeroBytes: 4 });
  });

  it('does not tell a data block from the table of contents when the archive is older than 1.7', () => {
    // Prepare: before 1.7 the last TOC entry ends with its data offset written as an int (0 for no
    // data), the same zero bytes as a data block's end marker; the deps-list test needs the flag.
    const header = headerOf(fixture('certctl-pg15.dump'));
    const old = { ...header, archiveVersion: { major: 1, minor: 6, revision: 0 }, offSize: header.intSize };
    const schemaOnlyEnd = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Act / Assess: before, it said zero-int, read as holding data.
    expect(pgDumpEnd(old, schemaOnlyEnd)).toEqual({ kind: 'end-marker', marker: 'zero-int-or-toc' });
    expect(pgDumpEnd({ ...old, archiveVersion: { major: 1, minor: 7, revision: 0 } }, schemaOnlyEnd)).toEqual(
      {
        kind: 'end-marker',
        marker: 'zero-int',
      },
    );
  });
});
