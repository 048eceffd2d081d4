import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotAnswer } from '../../functions/chatops/answers.ts';
import { ChatError } from '../../functions/chatops/errors.ts';
import {
  context,
  escapeMrkdwn,
  escapeWording,
  listSection,
  message,
  ReplyError,
  ResponsePoster,
  SLACK_LIMITS,
  section,
} from '../../functions/chatops/replies.ts';

let server: Server;
let received: unknown[];
let status: number;
let url: string;

beforeEach(async () => {
  received = [];
  status = 200;
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push(JSON.parse(body));
      response.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/commands/T0/1/abc`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('ResponsePoster', () => {
  it('posts at most five replies in 30 minutes, and progress never takes the last one', async () => {
    // Prepare
    let now = new Date('2026-12-02T10:00:00Z');
    const poster = new ResponsePoster({ responseUrl: url, allowedHosts: ['127.0.0.1'], now: () => now });

    // Act
    const progressed: boolean[] = [];
    for (let step = 0; step < 6; step += 1) progressed.push(await poster.progress({ text: `step ${step}` }));
    await poster.post({ text: 'result' });
    const sixth = poster.post({ text: 'one too many' });

    // Assess
    expect(progressed).toEqual([true, true, true, true, false, false]);
    await expect(sixth).rejects.toBeInstanceOf(ReplyError);
    expect(received.map((body) => (body as { text: string }).text)).toEqual([
      'step 0',
      'step 1',
      'step 2',
      'step 3',
      'result',
    ]);
    now = new Date(now.getTime() + SLACK_LIMITS.postWindowMs + 1);
    await poster.post({ text: 'a new window' });
    expect(received).toHaveLength(6);
  });

  it('counts the posts the acknowledging function already made', async () => {
    // Prepare
    const now = new Date('2026-12-02T10:00:00Z');
    const earlier = Array.from({ length: 4 }, () => new Date(now.getTime() - 60_000));
    const poster = new ResponsePoster({
      responseUrl: url,
      allowedHosts: ['127.0.0.1'],
      now: () => now,
      earlierPosts: earlier,
    });

    // Act / Assess
    expect(await poster.progress({ text: 'progress' })).toBe(false);
    await poster.post({ text: 'result' });
    expect(received).toHaveLength(1);
  });

  it('refuses a response_url that is not Slack’s, so a forged one cannot relay requests', () => {
    expect(() => new ResponsePoster({ responseUrl: 'https://attacker.example/x' })).toThrow(ChatError);
    expect(() => new ResponsePoster({ responseUrl: 'http://hooks.slack.com/commands/1' })).toThrow(
      /not an https address/,
    );
    expect(
      () => new ResponsePoster({ responseUrl: 'https://hooks.slack.com/commands/T0/1/abc' }),
    ).not.toThrow();
  });

  it('delivers to GovSlack’s hooks.slack-gov.com and refuses hosts that only resemble Slack’s', async () => {
    // Prepare
    const posted: string[] = [];
    const fetcher = (async (target: string | URL | Request) => {
      posted.push(String(target));
      return new Response('ok');
    }) as typeof fetch;
    const gov = 'https://hooks.slack-gov.com/commands/T0/1/abc';

    // Act
    await new ResponsePoster({ responseUrl: gov, fetch: fetcher }).post({ text: 'result' });

    // Assess
    expect(posted).toEqual([gov]);
    for (const forged of [
      'https://hooks.slack.com.attacker.example/x',
      'https://xhooks.slack.com/x',
      'https://hooks.slack-gov.com.attacker.example/x',
      'http://hooks.slack-gov.com/x',
    ]) {
      expect(() => new ResponsePoster({ responseUrl: forged, fetch: fetcher })).toThrow(ChatError);
    }
  });

  it('follows no redirect: a reply redirected elsewhere is not sent there and is reported as refused', async () => {
    // Prepare: the allowed host answers 307 (which keeps the POST and its body) pointing at another
    // host, which records what reaches it.
    const elsewhere: string[] = [];
    const other = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        elsewhere.push(body);
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://localhost:${(other.address() as AddressInfo).port}/collect`;
    server.removeAllListeners('request');
    server.on('request', (_request, response) => response.writeHead(307, { location: otherUrl }).end());
    const allowed = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const poster = new ResponsePoster({ responseUrl: url, allowedHosts: [allowed] });

    try {
      // Act
      const posting = poster.post({ text: 'result' });

      // Assess
      await expect(posting).rejects.toThrow('Slack refused the reply with HTTP 307');
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('reports Slack refusing a reply with its status and never the response_url', async () => {
    // Prepare
    status = 404;
    const poster = new ResponsePoster({ responseUrl: url, allowedHosts: ['127.0.0.1'] });

    // Act
    const posting = poster.post({ text: 'late' });

    // Assess
    await expect(posting).rejects.toThrow('Slack refused the reply with HTTP 404');
    await posting.catch((error: Error) => expect(error.message).not.toContain('abc'));
  });
});

describe('Block Kit messages', () => {
  it('keeps a message within 50 blocks and says how many were left out', () => {
    // Act
    const built = message(
      'result',
      Array.from({ length: 80 }, (_, index) => listSection(`db-${index}`, { items: [`db-${index}`] })),
    );

    // Assess
    expect(built.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect(JSON.stringify(built.blocks?.at(-1))).toContain('31 more entries not shown');
  });

  it('counts a section or note left out by the block limit as its lines, not as an entry', () => {
    // Act: 49 listed databases, then advice of two lines and a note.
    const built = message('result', [
      ...Array.from({ length: 50 }, (_, index) => listSection(`db-${index}`, { items: [`db-${index}`] })),
      section('advice\nmore advice'),
      context('Requested by someone.'),
    ]);

    // Assess
    expect(JSON.stringify(built.blocks?.at(-1))).toContain('1 more entry and 3 more lines not shown');
  });

  it('cuts a section at 3,000 characters and escapes names that would become links or mentions', () => {
    // Act
    const long = section('x'.repeat(5000));

    // Assess
    expect(long.type === 'section' && long.text.text.length).toBe(SLACK_LIMITS.sectionText);
    expect(escapeMrkdwn('<!channel> & <https://evil|db>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil|db&gt;',
    );
  });

  it('asks Slack not to auto-link URLs, channel names or plain @channel in text that repeats user and cloud values', () => {
    // Prepare: a reason as an operator might type it, and a cloud error naming a URL.
    const answer = snapshotAnswer(
      {
        firstRun: true,
        startedAt: '2026-12-02T10:00:00.000Z',
        targets: [
          {
            name: 'db',
            location: 'aws/111111111111/eu-west-1',
            outcome: 'error',
            error: 'AccessDenied: see https://evil.example/login',
          },
        ],
        problems: ['#general: not read'],
      },
      { ticket: 'CHG-1', reason: '@channel please read https://evil.example', requestedBy: 'amazon-q:@here' },
    );

    // Act
    const texts = (answer.blocks ?? []).flatMap((block) =>
      block.type === 'section' ? [block.text] : block.type === 'context' ? block.elements : [],
    );

    // Assess: every mrkdwn text object is verbatim (no automatic parsing), so none of it becomes a
    // link or a mention.
    expect(texts.length).toBeGreaterThan(3);
    for (const text of texts) expect(text).toMatchObject({ type: 'mrkdwn', verbatim: true });
  });
});

describe('values that hold mrkdwn formatting', () => {
  /** The text outside code spans: what Slack formats. */
  const prose = (text: string) => text.replace(/`[^`\n]*`/g, ' ');
  /** A `*`, `_` or `~` that could open or close bold, italic or strike, or an emoji shortcode. */
  const formats =
    /(?<![\p{L}\p{N}])[*_~](?=\S)|(?<=\S)[*_~](?![\p{L}\p{N}])|:[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:/u;
  /** The contents of the code spans. */
  const spans = (text: string) => [...text.matchAll(/`([^`\n]*)`/g)].map((match) => match[1]);

  it('shows an ARN with paired asterisks in an error message as code, exactly as written', () => {
    // Act
    const shown = escapeWording(
      'AccessDenied: arn:aws:iam::111111111111:role/*ops*-backup is not authorized',
    );

    // Assess
    expect(prose(shown)).not.toMatch(formats);
    expect(spans(shown)).toContain('arn:aws:iam::111111111111:role/*ops*-backup');
    expect(shown).toMatch(/^AccessDenied: /);
    expect(shown).toMatch(/ is not authorized$/);
  });

  it('keeps a shortcode, strike or italics in a name from rendering', () => {
    for (const name of [':fire:', 'db ~old~ copy', '_tmp_db', 'prod*']) {
      // Act
      const shown = escapeMrkdwn(name);

      // Assess
      expect(prose(shown), name).not.toMatch(formats);
      expect(spans(shown).join(' ').length, name).toBeGreaterThan(0);
    }
  });

  it('leaves names whose underscores format nothing as they are', () => {
    // Act and assess
    expect(escapeMrkdwn('certctl_prod_db')).toBe('certctl_prod_db');
    expect(escapeWording('2026-12-03T12:00:00.000Z and certctl_prod_db')).toBe(
      '2026-12-03T12:00:00.000Z and certctl_prod_db',
    );
  });

  it("keeps the wording's own code spans and adds none inside them", () => {
    // Act
    const shown = escapeWording('Run `aws rds describe-db-instances --db-instance-identifier *x*` first');

    // Assess
    expect(shown).toBe('Run `aws rds describe-db-instances --db-instance-identifier *x*` first');
  });
});
