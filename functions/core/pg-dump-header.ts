/**
 * The header of a pg_dump archive, read from the first bytes of an object (a ranged GET, never a
 * full download). Pure: bytes in, a typed header or a typed reason out; garbage never throws.
 *
 * The layout follows PostgreSQL's `src/bin/pg_dump/pg_backup_archiver.c` `WriteHead`/`ReadHead`
 * (and `ReadInt`/`ReadStr`), current code:
 *
 * - bytes 0-4 `PGDMP`; then `vmaj`, `vmin`, and `vrev` only when the version is above 1.0;
 * - `intSize` (ReadHead refuses more than 32), `offSize` from 1.7 (before: = intSize), `format`
 *   (`pg_backup.h` ArchiveFormat: custom 1, tar 3, null 4, directory 5);
 * - compression: from 1.15 one byte, the algorithm (`common/compression.h` pg_compress_algorithm:
 *   0 none, 1 gzip, 2 lz4, 3 zstd; the level is not stored); 1.4-1.14 an int *level* (0 none,
 *   anything else gzip; pg_dump writes -1, zlib's default, for a plain `-Fc`); 1.2-1.3 a one-byte
 *   level; below 1.2 always gzip;
 * - from 1.4: seven ints `tm_sec, tm_min, tm_hour, tm_mday, tm_mon (0-11), tm_year (-1900),
 *   tm_isdst`, the dump host's *local* time with no offset (ReadHead's own comment admits the
 *   reconstruction is wrong across time zones), then the database name;
 * - from 1.10: the server version and the pg_dump version strings.
 *
 * An int (from 1.1 on) is a sign byte (non-zero = negative) then `intSize` bytes little-endian;
 * a string is an int length (negative = NULL) then that many bytes.
 *
 * Versions above K_VERS_MAX (1.16 in `pg_backup_archiver.h`: 1.15 added the compression byte,
 * 1.16 BLOB METADATA entries) are refused the way pg_restore refuses them: the header may have
 * changed in ways this parser cannot know.
 */

/** `PGDMP`, the archive magic. */
const MAGIC = [0x50, 0x47, 0x44, 0x4d, 0x50] as const;

/** K_VERS_MAX of pg_backup_archiver.h: the newest archive version this parser understands. */
export const MAX_ARCHIVE_VERSION = { major: 1, minor: 16 } as const;

/**
 * How many leading bytes an adapter should fetch. The header is 11 bytes of magic, version, sizes
 * and format, the compression (one byte, or an int), seven ints of time and three strings (each an
 * int length, then its bytes): with the 4-byte ints every pg_dump writes, 66 bytes plus the
 * database name and the two version strings, 129 and 133 bytes in the real pg_dump 17 and 15
 * fixtures. What is not a dump is told apart by its first 512 bytes ({@link classify}: the tar
 * `ustar` at 257, a plain script's first lines). 1 KiB holds both with room for long names and
 * version strings; a header that does not fit is reported as not read whole, never as a verdict.
 * With the 64-byte tail read beside it (pg-dump-tail.ts), 1,088 bytes a dump.
 */
export const PG_DUMP_HEADER_BYTES = 1024;

/** ReadHead refuses an intSize above 32 ("sanity check on integer size failed"). */
const MAX_INT_SIZE = 32;

/**
 * pg_backup.h ArchiveFormat (2 was the long-gone "files" format). A directory dump's `toc.dat`
 * carries 3, not 5: pg_backup_directory.c `_CloseArchive` writes archTar there on purpose.
 */
const FORMATS: Readonly<Record<number, PgDumpFormat>> = {
  1: 'custom',
  2: 'files',
  3: 'tar',
  4: 'null',
  5: 'directory',
};

/** common/compression.h pg_compress_algorithm, the byte of archive versions >= 1.15. */
const ALGORITHMS: Readonly<Record<number, PgDumpCompressionAlgorithm>> = {
  0: 'none',
  1: 'gzip',
  2: 'lz4',
  3: 'zstd',
};

export type PgDumpFormat = 'custom' | 'files' | 'tar' | 'null' | 'directory' | 'unknown';
export type PgDumpCompressionAlgorithm = 'none' | 'gzip' | 'lz4' | 'zstd' | 'unknown';

export interface PgDumpArchiveVersion {
  readonly major: number;
  readonly minor: number;
  readonly revision: number;
}

export interface PgDumpCompression {
  readonly algorithm: PgDumpCompressionAlgorithm;
  /** The stored level (archive versions 1.2-1.14); newer archives do not store it. */
  readonly level?: number;
  /** The stored algorithm byte (archive versions >= 1.15). */
  readonly algorithmCode?: number;
}

/** The `struct tm` pg_dump wrote: the dump host's local time, no offset. Month is 1-12 here. */
export interface PgDumpLocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly isDst: number;
}

export interface PgDumpHeader {
  readonly archiveVersion: PgDumpArchiveVersion;
  /** `1.14-0`, as `pg_restore -l` prints it. */
  readonly archiveVersionText: string;
  readonly intSize: number;
  readonly offSize: number;
  readonly format: PgDumpFormat;
  readonly formatCode: number;
  readonly compression: PgDumpCompression;
  /** Absent below archive version 1.4. */
  readonly createdLocal?: PgDumpLocalTime;
  /**
   * `createdLocal` read as if it were UTC. The true instant is this minus the dump host's UTC
   * offset, which the archive does not record; undefined when the fields are not a valid date.
   */
  readonly createdAsUtc?: Date;
  /** Database name (from 1.4); undefined when not stored or stored as NULL. */
  readonly databaseName?: string;
  /** Server version string (from 1.10), e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  readonly serverVersion?: string;
  /** pg_dump version string (from 1.10). */
  readonly pgDumpVersion?: string;
  /** Bytes the header occupies. */
  readonly length: number;
}

/** What the bytes look like when they are not a pg_dump archive. */
export type NotPgDumpKind = 'empty' | 'gzip' | 'zstd' | 'tar' | 'plain-sql' | 'unknown';

export type PgDumpHeaderResult =
  | { readonly kind: 'header'; readonly header: PgDumpHeader }
  /** No `PGDMP` magic: `looksLike` says what the bytes seem to be instead. */
  | { readonly kind: 'not-pg-dump'; readonly looksLike: NotPgDumpKind }
  /** The bytes end inside the header: `field` is the one cut short. */
  | { readonly kind: 'truncated'; readonly field: string; readonly available: number }
  /** `PGDMP` with an archive version this parser (like pg_restore) does not accept. */
  | { readonly kind: 'unsupported-version'; readonly archiveVersion: PgDumpArchiveVersion }
  /** `PGDMP` followed by values pg_restore would refuse (e.g. an intSize above 32). */
  | { readonly kind: 'malformed'; readonly detail: string };

class Truncated {
  readonly field: string;
  constructor(field: string) {
    this.field = field;
  }
}

class Malformed {
  readonly detail: string;
  constructor(detail: string) {
    this.detail = detail;
  }
}

/** A cursor over the bytes that stops, never throws past the end, on a cut-short header. */
class HeaderReader {
  offset = 0;
  intSize = 4;
  hasSignByte = true;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  byte(field: string): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new Truncated(field);
    this.offset += 1;
    return value;
  }

  /** ReadInt: optional sign byte, then intSize bytes little-endian. */
  int(field: string): number {
    const negative = this.hasSignByte ? this.byte(field) !== 0 : false;
    let value = 0;
    let scale = 1;
    for (let index = 0; index < this.intSize; index += 1) {
      const byte = this.byte(field);
      value += byte * scale;
      scale *= 256;
    }
    if (!Number.isSafeInteger(value)) throw new Malformed(`${field} does not fit an integer`);
    return negative ? -value : value;
  }

  /** ReadStr: an int length (negative = NULL), then the bytes. */
  string(field: string): string | undefined {
    const length = this.int(`${field} length`);
    if (length < 0) return undefined;
    if (this.offset + length > this.bytes.length) throw new Truncated(field);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(
      this.bytes.subarray(this.offset, this.offset + length),
    );
    this.offset += length;
    return text;
  }
}

function versionAtLeast(version: PgDumpArchiveVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** What bytes without the magic look like, so a finding can say "a plain SQL dump", not "garbage". */
function classify(bytes: Uint8Array): NotPgDumpKind {
  if (bytes.length === 0) return 'empty';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return 'zstd';
  // POSIX tar: "ustar" at offset 257 of the first 512-byte block (pg_dump -Ft writes one).
  if (new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') return 'tar';
  const head = new TextDecoder().decode(bytes.subarray(0, 512));
  if (/^(--|SET |CREATE |BEGIN|\\connect|SELECT )/m.test(head) && !head.includes('\u0000')) {
    return 'plain-sql';
  }
  return 'unknown';
}

function localTimeToUtc(time: PgDumpLocalTime): Date | undefined {
  const { year, month, day, hour, minute, second } = time;
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 60 &&
    year >= 1970 &&
    year <= 9999;
  if (!valid) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 February over into March: such a header is not a real date.
  return date.getUTCDate() === day ? date : undefined;
}

/**
 * Parses the header of a pg_dump archive from its first bytes (up to {@link PG_DUMP_HEADER_BYTES};
 * more are ignored). Never throws.
 */
export function parsePgDumpHeader(bytes: Uint8Array): PgDumpHeaderResult {
  const prefix = bytes.subarray(0, Math.min(bytes.length, MAGIC.length));
  const magicMatches = prefix.every((byte, index) => byte === MAGIC[index]);
  if (!magicMatches || prefix.length === 0) return { kind: 'not-pg-dump', looksLike: classify(bytes) };
  if (prefix.length < MAGIC.length) return { kind: 'truncated', field: 'magic', available: bytes.length };

  const reader = new HeaderReader(bytes);
  reader.offset = MAGIC.length;
  try {
    const major = reader.byte('version major');
    const minor = reader.byte('version minor');
    const revision = major > 1 || (major === 1 && minor > 0) ? reader.byte('version revision') : 0;
    const archiveVersion = { major, minor, revision };
    if (!versionAtLeast(archiveVersion, 1, 0) || !versionAtMost(archiveVersion)) {
      return { kind: 'unsupported-version', archiveVersion };
    }
    // ReadInt reads a sign byte only for archives above 1.0.
    reader.hasSignByte = !(major === 1 && minor === 0 && revision === 0);
    const intSize = reader.byte('intSize');
    if (intSize < 1 || intSize > MAX_INT_SIZE) {
      return { kind: 'malformed', detail: `intSize ${intSize} is outside 1-${MAX_INT_SIZE}` };
    }
    reader.intSize = intSize;
    const offSize = versionAtLeast(archiveVersion, 1, 7) ? reader.byte('offSize') : intSize;
    const formatCode = reader.byte('format');
    const compression = readCompression(reader, archiveVersion);

    let createdLocal: PgDumpLocalTime | undefined;
    let databaseName: string | undefined;
    if (versionAtLeast(archiveVersion, 1, 4)) {
      const second = reader.int('tm_sec');
      const minute = reader.int('tm_min');
      const hour = reader.int('tm_hour');
      const day = reader.int('tm_mday');
      const month = reader.int('tm_mon') + 1;
      const year = reader.int('tm_year') + 1900;
      const isDst = reader.int('tm_isdst');
      createdLocal = { year, month, day, hour, minute, second, isDst };
      databaseName = reader.string('database name');
    }
    let serverVersion: string | undefined;
    let pgDumpVersion: string | undefined;
    if (versionAtLeast(archiveVersion, 1, 10)) {
      serverVersion = reader.string('server version');
      pgDumpVersion = reader.string('pg_dump version');
    }
    const createdAsUtc = createdLocal ? localTimeToUtc(createdLocal) : undefined;
    return {
      kind: 'header',
      header: {
        archiveVersion,
        archiveVersionText: `${major}.${minor}-${revision}`,
        intSize,
        offSize,
        format: FORMATS[formatCode] ?? 'unknown',
        formatCode,
        compression,
        ...(createdLocal ? { createdLocal } : {}),
        ...(createdAsUtc ? { createdAsUtc } : {}),
        ...(databaseName !== undefined ? { databaseName } : {}),
        ...(serverVersion !== undefined ? { serverVersion } : {}),
        ...(pgDumpVersion !== undefined ? { pgDumpVersion } : {}),
        length: reader.offset,
      },
    };
  } catch (error) {
    if (error instanceof Truncated) return { kind: 'truncated', field: error.field, available: bytes.length };
    if (error instanceof Malformed) return { kind: 'malformed', detail: error.detail };
    throw error;
  }
}

function versionAtMost(version: PgDumpArchiveVersion): boolean {
  return (
    version.major < MAX_ARCHIVE_VERSION.major ||
    (version.major === MAX_ARCHIVE_VERSION.major && version.minor <= MAX_ARCHIVE_VERSION.minor)
  );
}

function readCompression(reader: HeaderReader, version: PgDumpArchiveVersion): PgDumpCompression {
  if (versionAtLeast(version, 1, 15)) {
    const algorithmCode = reader.byte('compression algorithm');
    return { algorithm: ALGORITHMS[algorithmCode] ?? 'unknown', algorithmCode };
  }
  if (versionAtLeast(version, 1, 2)) {
    const level = versionAtLeast(version, 1, 4)
      ? reader.int('compression level')
      : reader.byte('compression level');
    return { algorithm: level === 0 ? 'none' : 'gzip', level };
  }
  return { algorithm: 'gzip' };
}
