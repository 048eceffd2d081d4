/**
 * Lean decoding of AWS list answers: only the members the audits read are decoded, straight from
 * the XML text, instead of the SDK turning every member into objects (the SDK's XML parsing is most
 * of an audit's CPU on realistic pages). Shared by the RDS list calls (query protocol, rds-wire.ts)
 * and S3 ListObjectsV2 (REST-XML, s3-wire.ts).
 *
 * Only successful answers are touched, and only their body: signing, retries, paging, errors and
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

/** A forward-only scanner over element tags: no DOM, no per-character string building. */
export class Scanner {
  readonly #xml: string;
  #pos = 0;
  /** The last tag read: its name, and whether it closed (`</x>`) or was empty (`<x/>`). */
  name = '';
  closing = false;
  empty = false;

  /** No comment or CDATA section anywhere (what AWS answers are): end tags can be searched for. */
  readonly #plain: boolean;

  constructor(xml: string) {
    this.#xml = xml;
    this.#plain = !xml.includes('<!');
  }

  /**
   * Reads the next tag inside `element`: true at a child's start tag, false at `element`'s own end
   * tag. A document that ends first, or an end tag of another element, is not an answer to decode
   * (a truncated or garbled body must not read as a shorter list).
   */
  child(element: string): boolean {
    if (!this.next()) throw new XmlWireError(`the answer ends inside <${element}>`);
    if (!this.closing) return true;
    if (this.name !== element) throw new XmlWireError(`</${this.name}> where </${element}> was expected`);
    return false;
  }

  /** Reads the next element tag (skipping declarations, comments and text); false at the end. */
  next(): boolean {
    const xml = this.#xml;
    for (;;) {
      const start = xml.indexOf('<', this.#pos);
      if (start < 0) return false;
      const second = xml.charCodeAt(start + 1);
      if (second === 63 /* ? */ || second === 33 /* ! */) {
        const terminator = xml.startsWith('<!--', start)
          ? '-->'
          : xml.startsWith('<![CDATA[', start)
            ? ']]>'
            : '>';
        const end = xml.indexOf(terminator, start);
        if (end < 0) throw new XmlWireError('unterminated XML declaration, comment or CDATA section');
        this.#pos = end + terminator.length;
        continue;
      }
      const end = xml.indexOf('>', start);
      if (end < 0) throw new XmlWireError('unterminated XML tag');
      this.closing = second === 47; /* / */
      this.empty = !this.closing && xml.charCodeAt(end - 1) === 47;
      let nameEnd = start + (this.closing ? 2 : 1);
      const limit = this.empty ? end - 1 : end;
      while (nameEnd < limit) {
        const code = xml.charCodeAt(nameEnd);
        if (code === 32 || code === 9 || code === 10 || code === 13) break;
        nameEnd += 1;
      }
      this.name = xml.slice(start + (this.closing ? 2 : 1), nameEnd);
      this.#pos = end + 1;
      return true;
    }
  }

  /** The text of the element just opened, up to its end tag (CDATA sections included). */
  text(): string {
    const xml = this.#xml;
    let out = '';
    for (;;) {
      const start = xml.indexOf('<', this.#pos);
      if (start < 0) throw new XmlWireError('unterminated XML element');
      out += decodeText(xml.slice(this.#pos, start));
      if (xml.startsWith('<![CDATA[', start)) {
        const end = xml.indexOf(']]>', start);
        if (end < 0) throw new XmlWireError('unterminated CDATA section');
        out += xml.slice(start + 9, end);
        this.#pos = end + 3;
        continue;
      }
      this.#pos = start;
      const element = this.name;
      if (!this.next() || !this.closing)
        throw new XmlWireError(`element content where ${element} text was expected`);
      if (this.name !== element) throw new XmlWireError(`</${this.name}> where </${element}> was expected`);
      return out;
    }
  }

  /**
   * Skips the rest of the element just opened (its children, whatever their names), up to its own
   * end tag. Most of a realistic member is skipped, so the end tag is searched for (nested elements
   * of the same name counted) rather than every tag in between read; a document with comments or
   * CDATA sections, where such a search could match inside them, is read tag by tag.
   */
  skip(): void {
    const xml = this.#xml;
    const name = this.name;
    const lt = xml.indexOf('<', this.#pos);
    // A text member: its end tag is the next tag.
    if (
      lt >= 0 &&
      xml.charCodeAt(lt + 1) === 47 /* / */ &&
      xml.startsWith(name, lt + 2) &&
      xml.charCodeAt(lt + 2 + name.length) === 62 /* > */
    ) {
      this.#pos = lt + name.length + 3;
      this.closing = true;
      return;
    }
    if (this.#plain) this.#seekEnd(name);
    else this.#walkToEnd(name);
  }

  #seekEnd(name: string): void {
    const xml = this.#xml;
    const open = `<${name}`;
    const close = `</${name}>`;
    let depth = 1;
    let pos = this.#pos;
    while (depth > 0) {
      const end = xml.indexOf(close, pos);
      if (end < 0) throw new XmlWireError(`the answer ends inside <${name}>`);
      // Nested start tags of the same name are looked for within this span only.
      const span = xml.slice(pos, end);
      for (let at = span.indexOf(open); at >= 0; at = span.indexOf(open, at + open.length)) {
        const after = span.charCodeAt(at + open.length);
        // `<name>` or `<name attr…>` opens a nested element of the same name; `<name/>` is empty and
        // `<nameOther…>` is another element.
        if (after === 62 /* > */) depth += 1;
        else if (after === 32 || after === 9 || after === 10 || after === 13) {
          const tagEnd = span.indexOf('>', at);
          if (tagEnd < 0) throw new XmlWireError('unterminated XML tag');
          if (span.charCodeAt(tagEnd - 1) !== 47 /* / */) depth += 1;
        }
      }
      depth -= 1;
      pos = end + close.length;
    }
    this.#pos = pos;
    this.name = name;
    this.closing = true;
  }

  #walkToEnd(name: string): void {
    const open = [name];
    while (open.length > 0) {
      if (!this.next()) throw new XmlWireError(`the answer ends inside <${name}>`);
      if (this.closing) {
        const expected = open.pop();
        if (this.name !== expected)
          throw new XmlWireError(`</${this.name}> where </${expected}> was expected`);
      } else if (!this.empty) open.push(this.name);
    }
  }
}

function scalar(kind: 'string' | 'integer' | 'boolean' | 'timestamp', text: string, name: string): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'integer': {
      const value = Number(text);
      if (!Number.isInteger(value)) throw new XmlWireError(`${name} is not an integer: ${text}`);
      return value;
    }
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new XmlWireError(`${name} is not a boolean: ${text}`);
    case 'timestamp': {
      const value = new Date(text);
      if (Number.isNaN(value.getTime())) throw new XmlWireError(`${name} is not a timestamp: ${text}`);
      return value;
    }
  }
}

function readField(scanner: Scanner, field: Field, name: string): unknown {
  if (typeof field === 'string')
    return scanner.empty ? (field === 'string' ? '' : undefined) : scalar(field, scanner.text(), name);
  if ('struct' in field) return scanner.empty ? {} : readStruct(scanner, field.struct, name);
  if ('flattened' in field) return scanner.empty ? {} : readStruct(scanner, field.flattened, name);
  const items: unknown[] = [];
  if (scanner.empty) return items;
  while (scanner.child(name)) {
    if (scanner.name !== field.list) {
      if (!scanner.empty) scanner.skip();
      continue;
    }
    items.push(
      field.of === 'string'
        ? readField(scanner, 'string', field.list)
        : readField(scanner, { struct: field.of }, field.list),
    );
  }
  return items;
}

/** The members of `shape` in the element just opened (`element`); other members are skipped. */
export function readStruct(scanner: Scanner, shape: Shape, element: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (scanner.child(element)) {
    const field = shape[scanner.name];
    if (field === undefined) {
      if (!scanner.empty) scanner.skip();
      continue;
    }
    const name = scanner.name;
    const value = readField(scanner, field, name);
    if (value === undefined) continue;
    if (typeof field === 'object' && 'flattened' in field) {
      const items = (out[name] as unknown[] | undefined) ?? [];
      items.push(value);
      out[name] = items;
    } else out[name] = value;
  }
  return out;
}

/**
 * The members `shape` names of the element reached through `path` (the root element first, e.g.
 * `['DescribeDBInstancesResponse', 'DescribeDBInstancesResult']` or `['ListBucketResult']`).
 */
export function decodeXmlResult(xml: string, path: readonly string[], shape: Shape): Record<string, unknown> {
  const scanner = new Scanner(xml);
  const [root, ...inner] = path;
  if (!scanner.next() || scanner.closing || scanner.name !== root)
    throw new XmlWireError(`the answer is not a ${root}`);
  let element = root;
  for (const name of inner) {
    if (scanner.empty) return {};
    let found = false;
    while (scanner.child(element)) {
      if (scanner.name === name) {
        found = true;
        break;
      }
      if (!scanner.empty) scanner.skip();
    }
    if (!found) return {};
    element = name;
  }
  return scanner.empty ? {} : readStruct(scanner, shape, element);
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
 * The plugin that decodes a command's successful answers with `decode`: `collect` is the client's
 * `streamCollector` (`client.config.streamCollector`).
 */
export function leanXmlPlugin(
  decode: (xml: string) => Record<string, unknown>,
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
            const bytes = await collect(response.body);
            context[LEAN_OUTPUT] = decode(
              Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
            );
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
