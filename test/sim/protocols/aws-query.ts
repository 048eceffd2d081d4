/**
 * The AWS query protocol (RDS, STS): form-encoded `Action=…&Version=…` requests, XML answers
 * `<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>…`, and errors
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, which is
 * what `@aws-sdk/core`'s AwsQueryProtocol parses.
 */
import { randomUUID } from 'node:crypto';
import type { SimRequest, SimResponse } from '../service.ts';

const formCache = new WeakMap<SimRequest, URLSearchParams>();

/**
 * The request parameters: the form body of a POST, or the query string of a GET. Cached per
 * request because several services look at them while the server routes.
 */
export function queryParams(request: SimRequest): URLSearchParams {
  let params = formCache.get(request);
  if (!params) {
    const contentType = String(request.headers['content-type'] ?? '');
    params =
      request.body.length > 0 && contentType.startsWith('application/x-www-form-urlencoded')
        ? new URLSearchParams(request.body.toString('utf8'))
        : request.query;
    formCache.set(request, params);
  }
  return params;
}

/** True when the request is a query-protocol call of API version `version`. */
export function isQueryCall(request: SimRequest, version: string): boolean {
  return queryParams(request).get('Version') === version && queryParams(request).has('Action');
}

/**
 * The members of a serialized list, e.g. `listMembers(p, 'Filters.Filter')` gives the prefixes
 * `Filters.Filter.1`, `Filters.Filter.2`, … in index order (the SDK numbers them from 1).
 */
export function listMembers(params: URLSearchParams, prefix: string): string[] {
  const indices = new Set<number>();
  const start = `${prefix}.`;
  for (const key of params.keys()) {
    if (!key.startsWith(start)) continue;
    const index = Number.parseInt(key.slice(start.length), 10);
    if (Number.isInteger(index) && index > 0) indices.add(index);
  }
  return [...indices].sort((a, b) => a - b).map((index) => `${prefix}.${index}`);
}

/** The values of a serialized list of strings (`Filters.Filter.1.Values.Value.N`). */
export function listValues(params: URLSearchParams, prefix: string): string[] {
  return listMembers(params, prefix).flatMap((member) => {
    const value = params.get(member);
    return value === null ? [] : [value];
  });
}

/** A `Filters.Filter.N` entry. */
export interface QueryFilter {
  readonly name: string;
  readonly values: readonly string[];
}

export function queryFilters(params: URLSearchParams): QueryFilter[] {
  return listMembers(params, 'Filters.Filter').map((member) => ({
    name: params.get(`${member}.Name`) ?? '',
    values: listValues(params, `${member}.Values.Value`),
  }));
}

/** A list in XML: `<Name><Member>…</Member>…</Name>`. */
export class XmlList {
  readonly member: string;
  readonly items: readonly XmlValue[];
  constructor(member: string, items: readonly XmlValue[]) {
    this.member = member;
    this.items = items;
  }
}

/** Already rendered element content (e.g. from a cached template). */
export class XmlRaw {
  readonly xml: string;
  constructor(xml: string) {
    this.xml = xml;
  }
}

/** A value known only when rendering (times relative to the simulator clock). */
export class XmlLater {
  readonly resolve: (now: Date) => XmlValue;
  constructor(resolve: (now: Date) => XmlValue) {
    this.resolve = resolve;
  }
}

/** A value rendered as XML; undefined members are left out, as AWS leaves out unset fields. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | XmlList
  | XmlRaw
  | XmlLater
  | XmlStructure;
export interface XmlStructure {
  readonly [member: string]: XmlValue;
}

/**
 * The members of a structure compiled once: fixed text between slots for the `XmlLater` values.
 * Rendering a page is then string concatenation, which keeps large fleets cheap to serve.
 */
export interface XmlTemplate {
  readonly parts: readonly string[];
  readonly slots: readonly ((now: Date) => string)[];
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => XML_ESCAPES[character] ?? character);
}

class TemplateBuilder {
  readonly parts: string[] = [''];
  readonly slots: ((now: Date) => string)[] = [];

  text(xml: string): void {
    this.parts[this.parts.length - 1] += xml;
  }

  slot(render: (now: Date) => string): void {
    this.slots.push(render);
    this.parts.push('');
  }

  element(name: string, value: XmlValue): void {
    if (value === undefined) return;
    if (value instanceof XmlLater) {
      this.slot((now) => renderXml(name, value.resolve(now), now));
      return;
    }
    if (value instanceof XmlList) {
      if (value.items.length === 0) {
        this.text(`<${name}/>`);
        return;
      }
      this.text(`<${name}>`);
      for (const item of value.items) this.element(value.member, item);
      this.text(`</${name}>`);
      return;
    }
    if (value instanceof XmlRaw) {
      this.text(`<${name}>${value.xml}</${name}>`);
      return;
    }
    if (value instanceof Date) {
      this.text(`<${name}>${value.toISOString()}</${name}>`);
      return;
    }
    if (typeof value === 'object') {
      this.text(`<${name}>`);
      this.members(value);
      this.text(`</${name}>`);
      return;
    }
    this.text(`<${name}>${escapeXml(String(value))}</${name}>`);
  }

  members(structure: XmlStructure): void {
    for (const [member, memberValue] of Object.entries(structure)) this.element(member, memberValue);
  }
}

/** Compiles the members of a structure (its element content) into a template. */
export function compileXml(structure: XmlStructure): XmlTemplate {
  const builder = new TemplateBuilder();
  builder.members(structure);
  return { parts: builder.parts, slots: builder.slots };
}

export function renderTemplate(template: XmlTemplate, now: Date): string {
  let xml = template.parts[0] ?? '';
  for (let index = 0; index < template.slots.length; index += 1) {
    xml += (template.slots[index]?.(now) ?? '') + (template.parts[index + 1] ?? '');
  }
  return xml;
}

/** Renders `<name>value</name>` (an empty list as `<name/>`, as AWS does); `now` resolves `XmlLater`. */
export function renderXml(name: string, value: XmlValue, now: Date = new Date()): string {
  const builder = new TemplateBuilder();
  builder.element(name, value);
  return renderTemplate({ parts: builder.parts, slots: builder.slots }, now);
}

function xmlResponse(status: number, body: string, requestId: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** A successful answer to `action`, with `result` as the `<{action}Result>` members. */
export function queryResult(action: string, namespace: string, result: XmlStructure): SimResponse {
  const requestId = randomUUID();
  const body =
    `<${action}Response xmlns="${namespace}">${renderXml(`${action}Result`, result)}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return xmlResponse(200, body, requestId);
}

/** An error answer of a query-protocol API, thrown inside a handler and rendered once by it. */
export class QueryApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'QueryApiError';
    this.status = status;
    this.code = code;
  }
}

export interface QueryErrorOptions {
  readonly namespace: string;
  /** Default: client errors (4xx) are `Sender`, service faults (5xx) `Receiver`. */
  readonly type?: 'Sender' | 'Receiver';
}

/** An error answer in the query protocol's `ErrorResponse` shape. */
export function queryError(
  status: number,
  code: string,
  message: string,
  options: QueryErrorOptions,
): SimResponse {
  const requestId = randomUUID();
  const type = options.type ?? (status >= 500 ? 'Receiver' : 'Sender');
  const body =
    `<ErrorResponse xmlns="${options.namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return xmlResponse(status, body, requestId);
}

/**
 * The authentication answers every query service shares: unsigned calls and keys the simulator
 * did not issue are refused the way AWS refuses them.
 */
export function queryAuthError(request: SimRequest, namespace: string): SimResponse | undefined {
  if (!request.accessKeyId) {
    return queryError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token', {
      namespace,
    });
  }
  if (!request.callerAccount) {
    return queryError(
      403,
      'InvalidClientTokenId',
      `The security token included in the request is invalid: ${request.accessKeyId} is not a simulator key ` +
        '(use simCredentials(accountId) from test/sim/accounts.ts).',
      { namespace },
    );
  }
  return undefined;
}
