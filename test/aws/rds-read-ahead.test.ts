/**
 * The read-ahead of the lean RDS listings (functions/aws/rds-wire.ts `leanListPages`): the next
 * page is asked for with the Marker read from a clean answer before that answer is decoded, so a
 * listing's chain of pages does not wait for a busy main thread's decoding. Against a small server
 * that answers crafted pages, so where the Marker sits and what a page holds are the test's.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leanListPages, peekMarker } from '../../functions/aws/rds-wire.ts';
import { simCredentials } from '../sim/accounts.ts';

const OPERATION = 'DescribeDBInstances';

function page(result: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${OPERATION}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${OPERATION}Result>${result}</${OPERATION}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${OPERATION}Response>`;
}

function instances(...ids: string[]): string {
  return `<DBInstances>${ids.map((id) => `<DBInstance><DBInstanceIdentifier>${id}</DBInstanceIdentifier></DBInstance>`).join('')}</DBInstances>`;
}

describe('peekMarker', () => {
  it("reads the Marker where the query protocol writes it, the result's first or last child", () => {
    // Act + Assess
    expect(peekMarker(OPERATION, page(`<Marker>m-1</Marker>${instances('a')}`))).toBe('m-1');
    expect(peekMarker(OPERATION, page(`${instances('a')}<Marker>m-2</Marker>`))).toBe('m-2');
  });

  it('reads nothing it would have to guess at: no Marker, one between other members, an escaped or empty one', () => {
    // Act + Assess
    expect(peekMarker(OPERATION, page(instances('a')))).toBeUndefined();
    expect(peekMarker(OPERATION, page(`<DBInstances/><Marker>m</Marker><Other/>`))).toBeUndefined();
    expect(peekMarker(OPERATION, page(`<Marker>a&amp;b</Marker>${instances('a')}`))).toBeUndefined();
    expect(peekMarker(OPERATION, page(`<Marker><![CDATA[m]]></Marker>${instances('a')}`))).toBeUndefined();
    expect(peekMarker(OPERATION, page(`<Marker></Marker>${instances('a')}`))).toBeUndefined();
    expect(peekMarker(OPERATION, '<html>not an answer</html>')).toBeUndefined();
    // A Marker of another operation's result is not this one's.
    expect(peekMarker('DescribeDBClusters', page(`<Marker>m</Marker>${instances('a')}`))).toBeUndefined();
  });
});

describe('the read-ahead of a lean RDS listing', () => {
  let server: Server;
  let endpoint: string;
  /** The page each Marker (`''` for the first) is answered with: a body, or an HTTP status. */
  let pages: Map<string, string | number>;
  /** The Markers asked for, in order. */
  let asked: string[];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        const marker = new URLSearchParams(body).get('Marker') ?? '';
        asked.push(marker);
        const answer = pages.get(marker) ?? 404;
        if (typeof answer === 'number') {
          response.writeHead(answer, { 'content-type': 'text/xml' });
          response.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>no page ${marker}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  let clients: RDSClient[] = [];
  afterEach(() => {
    for (const client of clients) client.destroy();
    clients = [];
  });

  /** A client of the server, with the exchanges its request handler was asked for (settled or not). */
  function client(): { rds: RDSClient; exchanges: Promise<unknown>[] } {
    const rds = new RDSClient({
      endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
      region: 'us-east-1',
    });
    clients.push(rds);
    const exchanges: Promise<unknown>[] = [];
    const handler = rds.config.requestHandler as unknown as {
      handle(request: unknown, options?: unknown): Promise<{ response: { body: NodeJS.ReadableStream } }>;
    };
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options) => {
      const exchange = handle(request, options);
      // Settled once the answer's body has been read to its end (by whoever reads it).
      exchanges.push(
        exchange.then(
          ({ response }) => new Promise((resolve) => response.body.once('end', resolve)),
          () => undefined,
        ),
      );
      return exchange;
    };
    return { rds, exchanges };
  }

  function listing(rds: RDSClient) {
    return leanListPages<object, { DBInstances?: { DBInstanceIdentifier?: string }[]; Marker?: string }>(
      rds,
      DescribeDBInstancesCommand as never,
      OPERATION,
      {},
      100,
    );
  }

  /** Every exchange asked for so far, and any its answers' handling asks for in turn, settled. */
  async function settled(exchanges: Promise<unknown>[]): Promise<void> {
    for (let seen = -1; seen !== exchanges.length; ) {
      seen = exchanges.length;
      await Promise.all(exchanges);
      await nextTurn();
      await nextTurn();
    }
  }

  for (const [where, result] of [
    ['first', (marker: string, ids: string[]) => `<Marker>${marker}</Marker>${instances(...ids)}`],
    ['last', (marker: string, ids: string[]) => `${instances(...ids)}<Marker>${marker}</Marker>`],
  ] as const) {
    it(`asks for the next page before the page it got is decoded (the Marker its result's ${where} child), and each page once`, async () => {
      // Prepare
      pages = new Map<string, string | number>([
        ['', page(result('m-1', ['a', 'b']))],
        ['m-1', page(result('m-2', ['c']))],
        ['m-2', page(instances('d'))],
      ]);
      asked = [];
      const { rds, exchanges } = client();
      const ids: string[] = [];
      const exchangesAtFirstPage: number[] = [];
      // Act
      for await (const answer of listing(rds)) {
        exchangesAtFirstPage.push(exchanges.length);
        ids.push(...(answer.DBInstances ?? []).map((instance) => instance.DBInstanceIdentifier ?? ''));
      }
      await settled(exchanges);
      // Assess: the second page was asked for before the first reached the caller.
      expect(exchangesAtFirstPage[0]).toBe(2);
      expect(ids).toEqual(['a', 'b', 'c', 'd']);
      expect(asked).toEqual(['', 'm-1', 'm-2']);
    });
  }

  it('asks for the page after an escaped Marker once the page is decoded, with the Marker unescaped', async () => {
    // Prepare
    pages = new Map<string, string | number>([
      ['', page(`<Marker>a&amp;b</Marker>${instances('a')}`)],
      ['a&b', page(instances('b'))],
    ]);
    asked = [];
    const { rds, exchanges } = client();
    const exchangesAtFirstPage: number[] = [];
    const ids: string[] = [];
    // Act
    for await (const answer of listing(rds)) {
      exchangesAtFirstPage.push(exchanges.length);
      ids.push(...(answer.DBInstances ?? []).map((instance) => instance.DBInstanceIdentifier ?? ''));
    }
    // Assess
    expect(exchangesAtFirstPage[0]).toBe(1);
    expect(ids).toEqual(['a', 'b']);
    expect(asked).toEqual(['', 'a&b']);
  });

  it('reads no page past the one read ahead when its caller stops', async () => {
    // Prepare
    pages = new Map<string, string | number>([
      ['', page(`<Marker>m-1</Marker>${instances('a')}`)],
      ['m-1', page(`<Marker>m-2</Marker>${instances('b')}`)],
      ['m-2', page(`<Marker>m-3</Marker>${instances('c')}`)],
      ['m-3', page(instances('d'))],
    ]);
    asked = [];
    const { rds, exchanges } = client();
    // Act
    for await (const _ of listing(rds)) break;
    await settled(exchanges);
    // Assess: the page read ahead was answered and asked for nothing more.
    expect(asked).toEqual(['', 'm-1']);
  });

  it('fails on a page that is not an answer, and drops the page read ahead of it, failed too, without an unhandled rejection', async () => {
    // Prepare: the first page names its Marker first, then contradicts itself; the page read ahead is an error answer.
    pages = new Map<string, string | number>([
      [
        '',
        page(
          '<Marker>m-1</Marker><DBInstances><DBInstance><BackupRetentionPeriod>7</BackupRetentionPeriod><BackupRetentionPeriod>35</BackupRetentionPeriod></DBInstance></DBInstances>',
        ),
      ],
      ['m-1', 400],
    ]);
    asked = [];
    const { rds, exchanges } = client();
    // Act
    const failure = await (async () => {
      try {
        for await (const _ of listing(rds));
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    await settled(exchanges);
    // Assess (vitest fails the run on an unhandled rejection)
    expect(failure?.message).toMatch(/BackupRetentionPeriod> more than once/);
    expect(asked).toEqual(['', 'm-1']);
  });
});
