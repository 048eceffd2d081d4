/**
 * Lean decoding of AWS list answers: only the members the audits read are decoded, straight from
 * the answer's bytes, instead of the SDK turning every member into objects (the SDK's XML parsing is
 * most of an audit's CPU on realistic pages). The markup is found by its ASCII bytes and only the
 * values kept are made strings: no page is made text whole (making each page text first took a
 * third more CPU or more on an audit's 32 MB of realistic pages, and made nearly five times the
 * garbage). Shared by the RDS list calls
 * (query protocol, rds-wire.ts) and S3 ListObjectsV2 (REST-XML, s3-wire.ts, which sends it on the
 * lean request path of lean-wire.ts and decodes with {@link decodeXmlResult}).
 *
 * The RDS calls keep the SDK's pipeline and plug the decoder into it ({@link leanXmlPlugin}). Only
 * successful answers are touched, and only their body: signing, retries, paging, errors and
 * `$metadata` stay the SDK's. The hook is a command-level plugin (the SDK middleware stack,
 * https://aws.amazon.com/blogs/developer/middleware-stack-modular-aws-sdk-js/) added through the
 * paginators' `withCommand` option (@smithy/types `PaginationConfiguration.withCommand`) or to one
 * command:
 *
 * - `deserialize` step, `low` priority (between the SDK's deserializer and the HTTP handler): on a
 *   2xx answer it decodes the body leanly, keeps the result in the handler context and hands the
 *   SDK's deserializer an empty body (which it turns into `{ $metadata }`); any other answer passes
 *   through untouched, so the SDK builds its errors (and retries them) as before;
 * - `deserialize` step, `high` priority (outside the SDK's deserializer): merges the lean result
 *   into the SDK's output, beside the SDK's `$metadata`.
 */
import { Readable } from 'node:stream';
import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  HandlerExecutionContext,
  Pluggable,
} from '@smithy/types';

/**
 * How a member is decoded (AWS model types): a scalar, a wrapped list (`<Items><Item>…</Item></Items>`,
 * the query protocol's), a flattened list (the member repeated in place, as S3's `<Contents>`), or a
 * structure.
 */
export type Field =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'timestamp'
  | { readonly list: string; readonly of: Shape | 'string' }
  | { readonly flattened: Shape }
  | { readonly struct: Shape };
/** The members of a structure that are decoded; any other member is skipped unread. */
export interface Shape {
  readonly [member: string]: Field;
}

/** A body the lean decoder cannot read (it is not the XML the operation answers with). */
export class XmlWireError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'XmlWireError';
  }
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character and entity references (XML 1.0 §4.1, §4.6). */
function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (match, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? match;
  });
}

/** Whether `code` is XML white space (§2.3 `S`). */
function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Where the first `<` at or after `from` in `xml` is, or -1. */
function ltFrom(xml: Buffer, from: number): number {
  const length = xml.length;
  for (let at = from; at < length; at += 1) {
    if (xml[at] === 60 /* < */) return at;
  }
  return -1;
}

/**
 * Where the tag starting at `start` (its `<`) of `xml` ends: its first `>` outside a quoted
 * attribute value before `limit` (XML 1.0 §2.4 forbids only `<` there), or -1 when it does not end.
 */
function tagEndAt(xml: Buffer, start: number, limit: number): number {
  let quote = 0;
  for (let at = start + 1; at < limit; at += 1) {
    const code = xml[at] as number;
    if (quote !== 0) {
      if (code === quote) quote = 0;
    } else if (code === 34 /* " */ || code === 39 /* ' */) quote = code;
    else if (code === 62 /* > */) return at;
    else if (code === 60 /* < */) return -1;
  }
  return -1;
}

/**
 * Whether the bytes of `xml` at `at` are the (ASCII) characters of `name` (a byte past the end
 * reads as undefined, which no character equals).
 */
function namedAt(xml: Buffer, at: number, name: string): boolean {
  const length = name.length;
  for (let index = 0; index < length; index += 1) {
    if (xml[at + index] !== name.charCodeAt(index)) return false;
  }
  return true;
}

/** Slots of a {@link CompiledShape}'s member table (a power of two). */
const SLOTS = 256;

/**
 * The slot of the member table a name of `length` (at least 1) characters falls in, given its
 * first, middle and last character codes: its length and three of its characters, so a name is
 * placed without reading all of it (a member's own name is then compared whole).
 */
function slotOf(length: number, first: number, middle: number, last: number): number {
  return (length * 7 + first * 3 + middle + last * 5) & (SLOTS - 1);
}

/** The slot of a shape's member name ({@link slotOf}). */
function slotOfName(name: string): number {
  return slotOf(
    name.length,
    name.charCodeAt(0),
    name.charCodeAt(name.length >> 1),
    name.charCodeAt(name.length - 1),
  );
}

const COMMENT_OPEN = Buffer.from('<!--');
const COMMENT_CLOSE = Buffer.from('-->');
const CDATA_OPEN = Buffer.from('<![CDATA[');
const CDATA_CLOSE = Buffer.from(']]>');
const PI_CLOSE = Buffer.from('?>');
const TAG_CLOSE = Buffer.from('>');

/** Whether `sequence` stands in `xml` at `at`. */
function startsWithAt(xml: Buffer, at: number, sequence: Buffer): boolean {
  return (
    at + sequence.length <= xml.length &&
    xml.compare(sequence, 0, sequence.length, at, at + sequence.length) === 0
  );
}

/**
 * Whether `xml` holds no comment, CDATA section or document type declaration (`<!`). Searched by
 * its `!` (rare in an answer) rather than by its `<` (every tag's).
 */
function isPlain(xml: Buffer): boolean {
  for (let at = xml.indexOf(33 /* ! */); at >= 0; at = xml.indexOf(33, at + 1)) {
    if (xml[at - 1] === 60 /* < */) return false;
  }
  return true;
}

/**
 * The UTF-8 bytes of an answer, as a Buffer over the same memory: an XML answer is read as bytes
 * (its markup is ASCII) and only the values kept are made strings.
 */
function bufferOf(xml: string | Uint8Array): Buffer {
  if (typeof xml === 'string') return Buffer.from(xml, 'utf8');
  return Buffer.isBuffer(xml) ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
}

/**
 * A forward-only scanner over the element tags of an answer's bytes: no DOM, no string of the page.
 * Tags are found by their ASCII bytes (a byte of a multi-byte UTF-8 character is never below 0x80,
 * so never `<`, `>`, a quote or a name character the markup is compared with); only the values
 * kept are decoded from UTF-8, each a string of its own (no view of a page keeps the page alive).
 */
export class Scanner {
  readonly #xml: Buffer;
  #pos = 0;
  /** Whether the last tag read closed (`</x>`) or was empty (`<x/>`). */
  closing = false;
  empty = false;
  /**
   * The last tag's name, as a range of the bytes: a member is looked up ({@link member}) and an end
   * tag matched without making a string of every name.
   */
  #nameStart = 0;
  #nameEnd = 0;
  #name: string | undefined = '';

  /** No comment or CDATA section anywhere (what AWS answers are): end tags can be searched for. */
  #plain: boolean | undefined;
  /**
   * The first `&` at or after the text last read (the length when there is none; -1 before the
   * first search): a text without one needs no entity decoding, and the document is searched for
   * `&` once in all rather than once per text.
   */
  #amp = -1;
  /** The first `"`, and the first `'`, at or after a tag read (the length when none; -1 before). */
  #double = -1;
  #single = -1;

  constructor(xml: string | Uint8Array) {
    this.#xml = bufferOf(xml);
  }

  /** The last tag's name. */
  get name(): string {
    this.#name ??= this.#xml.toString('utf8', this.#nameStart, this.#nameEnd);
    return this.#name;
  }

  /** Whether the last tag's name is `name` (ASCII, as every name of a shape is). */
  nameIs(name: string): boolean {
    return this.#nameEnd - this.#nameStart === name.length && namedAt(this.#xml, this.#nameStart, name);
  }

  /** The member of `shape` the last tag names, if any. */
  member(shape: CompiledShape): Member | undefined {
    const start = this.#nameStart;
    const length = this.#nameEnd - start;
    if (length === 0) return undefined;
    const xml = this.#xml;
    let member =
      shape.slots[
        slotOf(
          length,
          xml[start] as number,
          xml[start + (length >> 1)] as number,
          xml[start + length - 1] as number,
        )
      ];
    while (member !== undefined && !(member.name.length === length && namedAt(xml, start, member.name)))
      member = member.sameSlot;
    return member;
  }

  /**
   * Reads the next tag inside `element`: true at a child's start tag, false at `element`'s own end
   * tag. A document that ends first, or an end tag of another element, is not an answer to decode
   * (a truncated or garbled body must not read as a shorter list).
   */
  child(element: string): boolean {
    if (!this.next()) throw new XmlWireError(`the answer ends inside <${element}>`);
    if (!this.closing) return true;
    if (!this.nameIs(element)) throw new XmlWireError(`</${this.name}> where </${element}> was expected`);
    return false;
  }

  /** Reads the next element tag (skipping declarations, comments and text); false at the end. */
  next(): boolean {
    const xml = this.#xml;
    const length = xml.length;
    for (;;) {
      const start = ltFrom(xml, this.#pos);
      if (start < 0) return false;
      const second = xml[start + 1];
      if (second === 63 /* ? */ || second === 33 /* ! */) {
        const terminator = startsWithAt(xml, start, COMMENT_OPEN)
          ? COMMENT_CLOSE
          : startsWithAt(xml, start, CDATA_OPEN)
            ? CDATA_CLOSE
            : TAG_CLOSE;
        const end = xml.indexOf(terminator, start);
        if (end < 0) throw new XmlWireError('unterminated XML declaration, comment or CDATA section');
        this.#pos = end + terminator.length;
        continue;
      }
      let end = start + 1;
      while (end < length && xml[end] !== 62 /* > */) end += 1;
      if (end === length) throw new XmlWireError('unterminated XML tag');
      // An attribute value may hold a `>` (XML 1.0 §2.4 forbids only `<` there): the tag then ends
      // at the first `>` outside quotes. Only a tag with a quote before that `>` is scanned again.
      if (this.#quoteBefore(start, end)) end = this.#tagEnd(start);
      this.#pos = end + 1;
      this.#name = undefined;
      if (second === 47 /* / */) {
        // An end tag is its name, then maybe white space (XML 1.0 §3.1 `ETag`).
        const nameStart = start + 2;
        let nameEnd = end;
        while (nameEnd > nameStart && isSpace(xml[nameEnd - 1] as number)) nameEnd -= 1;
        this.closing = true;
        this.empty = false;
        this.#nameStart = nameStart;
        this.#nameEnd = nameEnd;
        return true;
      }
      const empty = xml[end - 1] === 47; /* / */
      const nameStart = start + 1;
      let nameEnd = empty ? end - 1 : end;
      // A tag with attributes or white space ends in a quote or a space (§3.1 `STag`: attribute
      // values are quoted); any other tag is its name alone.
      const last = xml[nameEnd - 1] as number;
      if (isSpace(last) || last === 34 /* " */ || last === 39 /* ' */) {
        const limit = nameEnd;
        nameEnd = nameStart;
        while (nameEnd < limit && !isSpace(xml[nameEnd] as number)) nameEnd += 1;
      }
      this.closing = false;
      this.empty = empty;
      this.#nameStart = nameStart;
      this.#nameEnd = nameEnd;
      return true;
    }
  }

  /**
   * Whether `</name>` of the last tag's name starts at `at` (a `<`): compared byte by byte, so no
   * end-tag string is made per element.
   */
  #endTagAt(at: number): boolean {
    const xml = this.#xml;
    const start = this.#nameStart;
    const length = this.#nameEnd - start;
    if (xml[at + 1] !== 47 /* / */ || xml[at + 2 + length] !== 62 /* > */) return false;
    for (let index = 0; index < length; index += 1) {
      if (xml[at + 2 + index] !== xml[start + index]) return false;
    }
    return true;
  }

  /**
   * Whether a quote (`"` or `'`) stands between `begin` and `end`, searched once per quote as `&`
   * is ({@link #hasReference}): tags without attributes, nearly all of them, hold none.
   */
  #quoteBefore(begin: number, end: number): boolean {
    const xml = this.#xml;
    // Each kind of quote is searched for apart: a text full of one kind never searches the rest of
    // the page for the other again and again.
    if (this.#double < begin) {
      const at = xml.indexOf(34 /* " */, begin);
      this.#double = at < 0 ? xml.length : at;
    }
    if (this.#single < begin) {
      const at = xml.indexOf(39 /* ' */, begin);
      this.#single = at < 0 ? xml.length : at;
    }
    return this.#double < end || this.#single < end;
  }

  /** Where the tag starting at `start` ends ({@link tagEndAt}). */
  #tagEnd(start: number): number {
    const end = tagEndAt(this.#xml, start, this.#xml.length);
    if (end < 0) throw new XmlWireError('unterminated XML tag');
    return end;
  }

  /** Whether the text from `begin` to `end` holds an `&` (an entity or character reference). */
  #hasReference(begin: number, end: number): boolean {
    if (this.#amp < begin) {
      const amp = this.#xml.indexOf(38 /* & */, begin);
      this.#amp = amp < 0 ? this.#xml.length : amp;
    }
    return this.#amp < end;
  }

  /**
   * The value of the scalar `member` whose start tag was just read (not empty), up to its end tag.
   * Plain text (every AWS answer's: the next tag is the element's own end tag) is read in place:
   * timestamps and integers from the bytes themselves, strings decoded once; anything else (entity
   * references, CDATA sections, an end tag with white space) the general way ({@link text}).
   */
  scalar(member: Member): unknown {
    const xml = this.#xml;
    const begin = this.#pos;
    const name = member.name;
    const lt = ltFrom(xml, begin);
    if (
      lt < 0 ||
      xml[lt + 1] !== 47 /* / */ ||
      xml[lt + 2 + name.length] !== 62 /* > */ ||
      !namedAt(xml, lt + 2, name) ||
      this.#hasReference(begin, lt)
    ) {
      return scalar(member.kind, this.text(), name);
    }
    this.#pos = lt + 3 + name.length;
    this.closing = true;
    switch (member.kind) {
      case Kind.String:
        return xml.toString('utf8', begin, lt);
      case Kind.Timestamp: {
        const value = parseUtcTimestamp(xml, begin, lt);
        if (value !== undefined) return value;
        break;
      }
      case Kind.Integer: {
        const value = lt - begin <= 15 && lt > begin ? digitsAt(xml, begin, lt) : -1;
        if (value >= 0) return value;
        break;
      }
      case Kind.Boolean:
        if (lt - begin === 4 && namedAt(xml, begin, 'true')) return true;
        if (lt - begin === 5 && namedAt(xml, begin, 'false')) return false;
        break;
    }
    return scalar(member.kind, xml.toString('utf8', begin, lt), name);
  }

  /**
   * The text of the element just opened, up to its end tag: CDATA sections included, comments and
   * processing instructions left out (XML 1.0 §2.5, §2.6: neither is part of the character data), the
   * text on both sides of them kept.
   */
  text(): string {
    const xml = this.#xml;
    const begin = this.#pos;
    const lt = ltFrom(xml, begin);
    // Plain text (every AWS answer's): the next tag is the element's own end tag.
    if (lt >= 0 && this.#endTagAt(lt)) {
      this.#pos = lt + 3 + (this.#nameEnd - this.#nameStart);
      this.closing = true;
      return decodeText(xml.toString('utf8', begin, lt));
    }
    const element = this.name;
    let out = '';
    for (;;) {
      const start = ltFrom(xml, this.#pos);
      if (start < 0) throw new XmlWireError('unterminated XML element');
      out += decodeText(xml.toString('utf8', this.#pos, start));
      if (startsWithAt(xml, start, CDATA_OPEN)) {
        const end = xml.indexOf(CDATA_CLOSE, start);
        if (end < 0) throw new XmlWireError('unterminated CDATA section');
        out += xml.toString('utf8', start + 9, end);
        this.#pos = end + 3;
        continue;
      }
      const second = xml[start + 1];
      if (second === 33 /* ! */ || second === 63 /* ? */) {
        // A comment (`<!--`) or a processing instruction (`<?`): read past it, not to the next tag,
        // which would drop the text after it (`3<!---->5` is 35, never 3).
        const terminator = second === 63 ? PI_CLOSE : COMMENT_CLOSE;
        if (second === 33 && !startsWithAt(xml, start, COMMENT_OPEN))
          throw new XmlWireError(`markup declaration where ${element} text was expected`);
        const end = xml.indexOf(terminator, start + 2);
        if (end < 0) throw new XmlWireError('unterminated XML comment or processing instruction');
        this.#pos = end + terminator.length;
        continue;
      }
      this.#pos = start;
      if (!this.next() || !this.closing)
        throw new XmlWireError(`element content where ${element} text was expected`);
      if (!this.nameIs(element)) throw new XmlWireError(`</${this.name}> where </${element}> was expected`);
      return out;
    }
  }

  /**
   * Skips the rest of the element just opened (its children, whatever their names), up to its own
   * end tag. Most of a realistic member is skipped, so only the tags of its name are looked at
   * (nested elements of the same name counted) rather than every tag in between read; a document
   * with comments or CDATA sections, where such a tag could stand inside them, is read tag by tag.
   */
  skip(): void {
    const xml = this.#xml;
    const lt = ltFrom(xml, this.#pos);
    // A text member: its end tag is the next tag.
    if (lt >= 0 && this.#endTagAt(lt)) {
      this.#pos = lt + 3 + (this.#nameEnd - this.#nameStart);
      this.closing = true;
      return;
    }
    this.#plain ??= isPlain(xml);
    if (this.#plain) this.#seekEnd(lt);
    else this.#walkToEnd(this.name);
  }

  /**
   * Reads past the end tag of the element just opened, from `from` (the first `<` after its start
   * tag), counting nested elements of its name: `<name>` or `<name attr…>` opens one; `<name/>` is
   * empty and `<nameOther…>` is another element. A nested start tag must end before the next end
   * tag of the name does.
   */
  #seekEnd(from: number): void {
    const xml = this.#xml;
    const nameStart = this.#nameStart;
    const length = this.#nameEnd - nameStart;
    let depth = 1;
    for (let at = from; ; at = ltFrom(xml, at + 1)) {
      if (at < 0) throw new XmlWireError(`the answer ends inside <${this.name}>`);
      const first = at + (xml[at + 1] === 47 /* / */ ? 2 : 1);
      if (!this.#sameName(first, nameStart, length)) continue;
      const after = xml[first + length];
      if (first === at + 2) {
        if (after !== 62 /* > */) continue;
        depth -= 1;
        if (depth === 0) {
          this.#pos = first + length + 1;
          this.closing = true;
          return;
        }
      } else if (after === 62 /* > */) depth += 1;
      else if (after === 32 || after === 9 || after === 10 || after === 13) {
        const tagEnd = tagEndAt(xml, at, this.#nextEndTag(first + length, nameStart, length));
        if (tagEnd < 0) throw new XmlWireError('unterminated XML tag');
        if (xml[tagEnd - 1] !== 47 /* / */) depth += 1;
      }
    }
  }

  /** Whether the `length` bytes at `at` (a byte past the end is undefined) are those of the name at `nameStart`. */
  #sameName(at: number, nameStart: number, length: number): boolean {
    const xml = this.#xml;
    for (let index = 0; index < length; index += 1) {
      if (xml[at + index] !== xml[nameStart + index]) return false;
    }
    return true;
  }

  /** Where the next `</name>` of the name at `nameStart` starts from `from`, or the length. */
  #nextEndTag(from: number, nameStart: number, length: number): number {
    const xml = this.#xml;
    for (let at = ltFrom(xml, from); at >= 0; at = ltFrom(xml, at + 1)) {
      if (
        xml[at + 1] === 47 /* / */ &&
        xml[at + 2 + length] === 62 &&
        this.#sameName(at + 2, nameStart, length)
      )
        return at;
    }
    return xml.length;
  }

  #walkToEnd(name: string): void {
    const open = [name];
    while (open.length > 0) {
      if (!this.next()) throw new XmlWireError(`the answer ends inside <${name}>`);
      if (this.closing) {
        const expected = open.pop() ?? name;
        if (!this.nameIs(expected))
          throw new XmlWireError(`</${this.name}> where </${expected}> was expected`);
      } else if (!this.empty) open.push(this.name);
    }
  }
}

/** How a member is decoded, as a number the decoder switches on. */
const Kind = {
  String: 0,
  Integer: 1,
  Boolean: 2,
  Timestamp: 3,
  List: 4,
  Flattened: 5,
  Struct: 6,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** One member of a {@link CompiledShape}. */
export interface Member {
  readonly name: string;
  readonly kind: Kind;
  /** A list's item element. */
  readonly item: string;
  /** A list's items, a flattened member's or a structure's shape; undefined for string items and scalars. */
  readonly shape: CompiledShape | undefined;
  /** The next member whose name falls in the same slot. */
  readonly sameSlot: Member | undefined;
}

/** A {@link Shape} as the scanner reads it: its members by the slot of their names ({@link Scanner.member}). */
export interface CompiledShape {
  readonly slots: readonly (Member | undefined)[];
}

const SCALAR_KINDS = {
  string: Kind.String,
  integer: Kind.Integer,
  boolean: Kind.Boolean,
  timestamp: Kind.Timestamp,
} as const;

const compiledShapes = new WeakMap<Shape, CompiledShape>();

/** `shape` compiled once (shapes are module constants). */
export function compileShape(shape: Shape): CompiledShape {
  let compiled = compiledShapes.get(shape);
  if (compiled) return compiled;
  const slots = new Array<Member | undefined>(SLOTS).fill(undefined);
  compiled = { slots };
  compiledShapes.set(shape, compiled);
  for (const [name, field] of Object.entries(shape)) {
    if (name.length === 0) throw new XmlWireError('a shape member without a name');
    // Names are compared with the answer's bytes character by character: AWS model names are ASCII.
    if (!isAsciiName(name) || (typeof field === 'object' && 'list' in field && !isAsciiName(field.list)))
      throw new XmlWireError(`a shape member name that is not ASCII: ${name}`);
    const slot = slotOfName(name);
    const common = { name, sameSlot: slots[slot] };
    let member: Member;
    if (typeof field === 'string')
      member = { ...common, kind: SCALAR_KINDS[field], item: '', shape: undefined };
    else if ('struct' in field)
      member = { ...common, kind: Kind.Struct, item: '', shape: compileShape(field.struct) };
    else if ('flattened' in field)
      member = { ...common, kind: Kind.Flattened, item: '', shape: compileShape(field.flattened) };
    else
      member = {
        ...common,
        kind: Kind.List,
        item: field.list,
        shape: field.of === 'string' ? undefined : compileShape(field.of),
      };
    slots[slot] = member;
  }
  return compiled;
}

/** Whether `name` is a non-empty run of ASCII characters. */
function isAsciiName(name: string): boolean {
  return name.length > 0 && /^[\x21-\x7e]+$/.test(name);
}

/** The digits of `bytes` from `start` to `end` as a number, or -1 if any is not a digit. */
function digitsAt(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let index = start; index < end; index += 1) {
    const digit = (bytes[index] as number) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The form AWS sends nearly every timestamp in (`2026-12-01T10:00:00Z` or `…:00.123Z`), read
 * without a regular expression from `start` to `end` of an answer's bytes; undefined for anything
 * else, which {@link parseTimestamp} then reads the general way. The same instant as the general
 * reading (test/aws/xml-wire.test.ts compares both with the SDK's).
 */
function parseUtcTimestamp(text: Uint8Array, start: number, end: number): Date | undefined {
  const length = end - start;
  if (length !== 20 && length !== 24) return undefined;
  if (
    text[start + 4] !== 45 /* - */ ||
    text[start + 7] !== 45 ||
    text[start + 10] !== 84 /* T */ ||
    text[start + 13] !== 58 /* : */ ||
    text[start + 16] !== 58 ||
    text[end - 1] !== 90 /* Z */
  ) {
    return undefined;
  }
  const year = digitsAt(text, start, start + 4);
  const month = digitsAt(text, start + 5, start + 7);
  const day = digitsAt(text, start + 8, start + 10);
  const hours = digitsAt(text, start + 11, start + 13);
  const minutes = digitsAt(text, start + 14, start + 16);
  const seconds = digitsAt(text, start + 17, start + 19);
  let millis = 0;
  if (length === 24) {
    if (text[start + 19] !== 46 /* . */) return undefined;
    millis = digitsAt(text, start + 20, start + 23);
  }
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hours < 0 ||
    hours > 23 ||
    minutes < 0 ||
    minutes > 59 ||
    seconds < 0 ||
    seconds > 60 ||
    millis < 0
  ) {
    return undefined;
  }
  return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, millis));
}

/** RFC 3339 date-time with a `Z` or numeric offset: what the SDK's XML deserializer accepts. */
const RFC3339_WITH_OFFSET =
  /^(\d{4})-(\d\d)-(\d\d)[tT](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[zZ]|([-+])(\d\d):(\d\d))$/;

/**
 * An XML timestamp as the SDK reads it (`date-time`, @smithy/core `parseRfc3339DateTimeWithOffset`):
 * an RFC 3339 date-time with its offset, else undefined. `new Date(text)` would read a date-time
 * without an offset in the process's local time zone, and accept forms the SDK refuses; the SDK
 * refuses them all, so the lean decoding does too.
 */
function parseTimestamp(text: string): Date | undefined {
  const match = RFC3339_WITH_OFFSET.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hours, minutes, seconds, fraction, sign, offsetHours, offsetMinutes] = match;
  const inRange = (value: string | undefined, low: number, high: number) =>
    Number(value) >= low && Number(value) <= high;
  if (
    !inRange(month, 1, 12) ||
    !inRange(day, 1, 31) ||
    !inRange(hours, 0, 23) ||
    !inRange(minutes, 0, 59) ||
    !inRange(seconds, 0, 60)
  ) {
    return undefined;
  }
  const millis = fraction ? Math.round(Number.parseFloat(`0.${fraction}`) * 1000) : 0;
  const date = new Date(
    Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hours),
      Number(minutes),
      Number(seconds),
      millis,
    ),
  );
  date.setUTCFullYear(Number(year));
  if (sign) {
    const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    date.setTime(date.getTime() + (sign === '-' ? offset : -offset));
  }
  return date;
}

/** An optionally signed decimal integer (XML Schema `xs:integer`'s lexical form, without white space). */
const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;

/**
 * `text` without the XML white space (space, tab, CR, LF) around it: `xs:integer` and `xs:boolean`
 * collapse it ("whiteSpace fixed collapse", XML Schema Part 2, 3.2.2 and 3.3.13), so ` 7 ` sends 7,
 * as the SDK reads it (its `Number(text)`). Other white space (a no-break space) is not XML's.
 */
function collapsed(text: string): string {
  let begin = 0;
  let end = text.length;
  while (begin < end && isSpace(text.charCodeAt(begin))) begin += 1;
  while (end > begin && isSpace(text.charCodeAt(end - 1))) end -= 1;
  return begin === 0 && end === text.length ? text : text.slice(begin, end);
}

function scalar(kind: Kind, text: string, name: string): unknown {
  switch (kind) {
    case Kind.Integer: {
      // Only an optionally signed decimal integer is a number: `Number` would read an empty text as
      // 0 and `0x23` or `3.5e1` as 35, values the answer never sent. Anything else is left out, as
      // a missing element is, so the checks report the value unknown.
      const digits = collapsed(text);
      if (!DECIMAL_INTEGER.test(digits)) return undefined;
      const value = Number(digits);
      return Number.isSafeInteger(value) ? value : undefined;
    }
    case Kind.Boolean: {
      // The query protocol sends `true` or `false`. The SDK reads any other text as false (`1` too,
      // which xs:boolean would call true) and `TRUE` as true: taken as either, a value the answer did
      // not send would be judged, so it is left out, as an integer that is none is.
      const word = collapsed(text);
      if (word === 'true') return true;
      if (word === 'false') return false;
      return undefined;
    }
    case Kind.Timestamp: {
      const value = parseTimestamp(text);
      if (value === undefined) throw new XmlWireError(`${name} is not a timestamp: ${text}`);
      return value;
    }
    default:
      return text;
  }
}

function readList(scanner: Scanner, member: Member): unknown[] {
  const items: unknown[] = [];
  if (scanner.empty) return items;
  const { name, item, shape } = member;
  while (scanner.child(name)) {
    // A list holds its items and nothing else (white space, comments and processing instructions
    // between them are no elements): a page listing anything else is not the answer the shape
    // describes, and read as fewer items, or none, it would make a Region look empty.
    if (!scanner.nameIs(item))
      throw new XmlWireError(`<${scanner.name}> where <${item}> was expected in <${name}>`);
    if (shape === undefined) items.push(scanner.empty ? '' : scanner.text());
    else items.push(scanner.empty ? {} : readStruct(scanner, shape, item));
  }
  return items;
}

function readMember(scanner: Scanner, member: Member): unknown {
  switch (member.kind) {
    case Kind.List:
      return readList(scanner, member);
    case Kind.Struct:
    case Kind.Flattened:
      return scanner.empty ? {} : readStruct(scanner, member.shape as CompiledShape, member.name);
    default:
      if (scanner.empty) return member.kind === Kind.String ? '' : undefined;
      return scanner.scalar(member);
  }
}

/** The members of `shape` in the element just opened (`element`); other members are skipped. */
export function readStruct(scanner: Scanner, shape: CompiledShape, element: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Members sent without a value kept (an integer text that is none, an empty non-string element).
  let unread: Set<string> | undefined;
  while (scanner.child(element)) {
    const member = scanner.member(shape);
    if (member === undefined) {
      if (!scanner.empty) scanner.skip();
      continue;
    }
    // A member sent twice contradicts itself (`<Size>0</Size>…<Size>35</Size>`): keeping either
    // value would judge one the answer also denied, so the answer is refused, as the SDK refuses it.
    // A flattened member is the one sent once per item.
    if (member.kind !== Kind.Flattened && (Object.hasOwn(out, member.name) || unread?.has(member.name)))
      throw new XmlWireError(`<${element}> sends <${member.name}> more than once`);
    const value = readMember(scanner, member);
    if (value === undefined) {
      unread ??= new Set();
      unread.add(member.name);
      continue;
    }
    if (member.kind === Kind.Flattened) {
      const items = (out[member.name] as unknown[] | undefined) ?? [];
      items.push(value);
      out[member.name] = items;
    } else out[member.name] = value;
  }
  return out;
}

/**
 * The members `shape` names of the element reached through `path` (the root element first, e.g.
 * `['DescribeDBInstancesResponse', 'DescribeDBInstancesResult']` or `['ListBucketResult']`), from
 * the answer's text or its UTF-8 bytes (read in place: no string of the page is made).
 */
export function decodeXmlResult(
  xml: string | Uint8Array,
  path: readonly string[],
  shape: Shape,
): Record<string, unknown> {
  const scanner = new Scanner(xml);
  const [root = '', ...inner] = path;
  if (!scanner.next() || scanner.closing || !scanner.nameIs(root))
    throw new XmlWireError(`the answer is not a ${root}`);
  let element = root;
  for (const name of inner) {
    if (scanner.empty) return {};
    let found = false;
    while (scanner.child(element)) {
      if (scanner.nameIs(name)) {
        found = true;
        break;
      }
      if (!scanner.empty) scanner.skip();
    }
    if (!found) return {};
    element = name;
  }
  return scanner.empty ? {} : readStruct(scanner, compileShape(shape), element);
}

/** Where the inner middleware leaves the lean result for the outer one (per call). */
const LEAN_OUTPUT = Symbol('backupGuardLeanOutput');
type LeanContext = HandlerExecutionContext & { [LEAN_OUTPUT]?: Record<string, unknown> };

interface HttpLikeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

export type StreamCollector = (stream: unknown) => Promise<Uint8Array>;

/**
 * Where the chunks of a body are joined before they are read, kept for the next body: the SDK's
 * collector allocated a zero-filled buffer per page (34 MB per audit of realistic pages) only to
 * read it once. A body is joined and decoded in one synchronous step ({@link decodeBody}), so
 * concurrent calls never share it, and nothing decoded from it refers to it.
 */
let joined: Buffer | undefined;
/** A body larger than this is joined in a buffer of its own, not kept for the next one. */
const JOINED_LIMIT = 8 * 2 ** 20;

/** `chunks` (`length` bytes in all) as one run of bytes, valid until the next body is joined. */
function bytesOf(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const [only] = chunks;
  if (chunks.length === 1 && only !== undefined) return only;
  let target = joined;
  if (length > JOINED_LIMIT) target = Buffer.allocUnsafe(length);
  else if (target === undefined || target.length < length) {
    target = Buffer.allocUnsafe(Math.max(length, 2 ** 20));
    joined = target;
  }
  let offset = 0;
  for (const chunk of chunks) {
    target.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return target.subarray(0, length);
}

/**
 * An answer's body decoded by `decode` from its bytes: a Node stream (what the SDK's Node HTTP
 * handler gives) is read chunk by chunk here; anything else goes through the client's `collect`.
 * The bytes `decode` is given are valid only while it runs (they may be the buffer the next body is
 * joined in): what it returns must not refer to them, as {@link decodeXmlResult}'s values do not.
 */
export async function decodeBody<T>(
  body: unknown,
  collect: StreamCollector,
  decode: (xml: Uint8Array) => T,
): Promise<T> {
  if (!(body instanceof Readable)) {
    const bytes = await collect(body);
    return decode(bytes);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    chunks.push(bytes);
    length += bytes.byteLength;
  }
  return decode(bytesOf(chunks, length));
}

/**
 * The plugin that decodes a command's successful answers with `decode`: `collect` is the client's
 * `streamCollector` (`client.config.streamCollector`).
 */
export function leanXmlPlugin(
  decode: (xml: Uint8Array) => Record<string, unknown>,
  collect: StreamCollector,
): Pluggable<object, object> {
  return {
    applyToStack(stack) {
      stack.add(
        (next: DeserializeHandler<object, object>, context: LeanContext) =>
          async (args: DeserializeHandlerArguments<object>): Promise<DeserializeHandlerOutput<object>> => {
            const result = await next(args);
            const response = result.response as HttpLikeResponse;
            if (response.statusCode < 200 || response.statusCode >= 300) return result;
            context[LEAN_OUTPUT] = await decodeBody(response.body, collect, decode);
            response.body = new Uint8Array(0);
            return result;
          },
        { step: 'deserialize', priority: 'low', name: 'backupGuardLeanBody' },
      );
      stack.add(
        (next: DeserializeHandler<object, object>, context: LeanContext) =>
          async (args: DeserializeHandlerArguments<object>): Promise<DeserializeHandlerOutput<object>> => {
            context[LEAN_OUTPUT] = undefined;
            const result = await next(args);
            const lean = context[LEAN_OUTPUT];
            if (lean) Object.assign(result.output as Record<string, unknown>, lean);
            return result;
          },
        { step: 'deserialize', priority: 'high', name: 'backupGuardLeanOutput' },
      );
    },
  };
}
