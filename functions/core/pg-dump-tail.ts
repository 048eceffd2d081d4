/**
 * The end of a pg_dump custom archive, read from its last bytes (a suffix-ranged GET, `Range:
 * bytes=-N`, never a full download). Pure: header and bytes in, a typed answer out.
 *
 * What a whole custom archive ends with, from PostgreSQL's `src/bin/pg_dump/pg_backup_custom.c`
 * `_CloseArchive` (WriteHead, WriteToc, then WriteDataChunks; the rewrite of the TOC with data
 * offsets goes back to the TOC's own place and leaves the end alone) and
 * `pg_backup_archiver.c` (WriteInt, WriteOffset, WriteToc):
 *
 * - with data blocks, the last block's end: a `BLK_DATA` block ends with `_EndData`'s end marker
 *   `WriteInt(AH, 0)` (a zero-length chunk), a `BLK_BLOBS` block with `_EndLOs`'s zero OID
 *   `WriteInt(AH, 0)`; either way an int 0, i.e. `intSize` zero bytes after a zero sign byte
 *   (archives above 1.0; 1.0 has no sign byte);
 * - without data blocks (a schema-only dump), the TOC's end: its last entry ends with
 *   `_WriteExtraToc`, `WriteOffset(AH, dataPos, K_OFFSET_NO_DATA)`, the flag byte 3 then
 *   `sizeof(pgoff_t)` (= the header's offSize) bytes of the offset 0; before 1.7 the offset was an
 *   int (0 for no data); with no entry at all, the TOC is its count, an int 0.
 *
 * So a whole archive's last intSize + sign bytes are zero, or (offSize too short for that) its last
 * offSize bytes are zero after the flag byte 3. Which end it is tells whether the archive holds data
 * (from archive version 1.7 on: before it, the TOC's last offset is an int 0 too, no flag byte before
 * it, so an int 0 ends either, `zero-int-or-toc`, and whether the archive holds data is not told):
 * the TOC is written first and every data block after it, so an archive that ends with its TOC has
 * none (`no-data-offset`: pg_dump --schema-only, or --section=pre-data/post-data, or a data dump cut
 * right after its TOC). With an offSize of 8 the zero offset also ends with an int's zero bytes: the
 * end of the last entry's deps list before the flag (the int -1) tells the TOC's end from a data
 * block's. The header read (the first 1 KiB) cannot tell it: a custom archive's TOC lists every
 * schema entry before the first `TABLE DATA` one (at byte ~3,000 of the three-table fixtures). An archive cut anywhere else ends otherwise, except
 * where the cut happens to land just after such zero bytes (a cut between two data blocks, or
 * inside the TOC after an int or offset whose high bytes are zero): the end marker is necessary for
 * a whole archive, not proof of one.
 */
import type { PgDumpHeader } from './pg-dump-header.ts';

/** ReadHead refuses an intSize above 32; an int is then at most 33 bytes, an offset too. */
export const PG_DUMP_TAIL_BYTES = 64;

/** pg_backup_archiver.h K_OFFSET_NO_DATA: the flag of a TOC entry that has no data block. */
const K_OFFSET_NO_DATA = 3;

export type PgDumpEnd =
  /**
   * The archive ends as a whole one does: `marker` says which end it ends with, a data block's
   * (`zero-int`) or its TOC's (`no-data-offset`: it holds no data block), or, in an archive older
   * than 1.7, an int 0 that ends a data block or the TOC alike (`zero-int-or-toc`: whether it holds
   * data is not told).
   */
  | { readonly kind: 'end-marker'; readonly marker: 'zero-int' | 'no-data-offset' | 'zero-int-or-toc' }
  /** It does not: the last `zeroBytes` bytes should be zero (an int 0), and are not. */
  | { readonly kind: 'mid-archive'; readonly zeroBytes: number };

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** How the archive whose header is `header` ends, from its last bytes `tail` (the object's end). */
export function pgDumpEnd(header: PgDumpHeader, tail: Uint8Array): PgDumpEnd {
  const { major, minor, revision } = header.archiveVersion;
  const signBytes = major === 1 && minor === 0 && revision === 0 ? 0 : 1;
  const zeroBytes = header.intSize + signBytes;
  const offsetAt = tail.length - header.offSize - 1;
  const offsetIsFlagged = major > 1 || (major === 1 && minor >= 7);
  // An offset of 8 zero bytes ends as a zero int does: the TOC's end is told by what precedes the
  // flag, the end of the last entry's deps list, WriteStr(NULL) = WriteInt(-1) (sign 1, then 1 in
  // intSize bytes little-endian), as in both real schema-only fixtures. A data block's last chunk
  // ending with those bytes and the flag is a compressed stream's checksum matching 2 + intSize
  // fixed bytes; an uncompressed one ends with COPY's `\.` line.
  const depsEndAt = offsetAt - signBytes - header.intSize;
  if (
    offsetIsFlagged &&
    depsEndAt >= 0 &&
    tail[offsetAt] === K_OFFSET_NO_DATA &&
    allZero(tail.subarray(offsetAt + 1)) &&
    tail[depsEndAt] === 1 &&
    tail[depsEndAt + 1] === 1 &&
    allZero(tail.subarray(depsEndAt + 2, offsetAt))
  ) {
    return { kind: 'end-marker', marker: 'no-data-offset' };
  }
  if (tail.length >= zeroBytes && allZero(tail.subarray(tail.length - zeroBytes))) {
    // Before 1.7 the last TOC entry's offset is WriteInt(0) for no data: the same bytes.
    return { kind: 'end-marker', marker: offsetIsFlagged ? 'zero-int' : 'zero-int-or-toc' };
  }
  if (
    offsetIsFlagged &&
    offsetAt >= 0 &&
    tail[offsetAt] === K_OFFSET_NO_DATA &&
    allZero(tail.subarray(offsetAt + 1))
  ) {
    return { kind: 'end-marker', marker: 'no-data-offset' };
  }
  return { kind: 'mid-archive', zeroBytes };
}
