/**
 * A local stand-in for Slack's `response_url`: an HTTP server on 127.0.0.1 that records every JSON
 * post, as Slack would show it, so tests and the demo can read what the channel saw. Answers 200
 * like Slack, or the status a test asks for.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackMessage } from '../../functions/chatops/replies.ts';

export interface ReceivedPost {
  readonly path: string;
  readonly at: Date;
  readonly message: SlackMessage;
}

export interface SlackReceiver {
  /** `http://127.0.0.1:<port>`; a response_url is this plus a path. */
  readonly origin: string;
  /** A fresh response_url, as Slack gives one per command. */
  responseUrl(): string;
  /** Every post, in arrival order. */
  readonly posts: ReceivedPost[];
  /** The posts made to one response_url. */
  postsTo(url: string): ReceivedPost[];
  /** Answer the next posts with this status (Slack refusing a reply). */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const posts: ReceivedPost[] = [];
  let failStatus: number | undefined;
  let next = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failStatus !== undefined) {
        response.writeHead(failStatus).end('invalid_token');
        return;
      }
      try {
        const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackMessage;
        posts.push({ path: request.url ?? '/', at: new Date(), message });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        response.writeHead(400).end('invalid_payload');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    responseUrl: () => {
      next += 1;
      return `${origin}/commands/T0CERTCTL/${next}/${Math.random().toString(36).slice(2)}`;
    },
    posts,
    postsTo: (url) => posts.filter((post) => post.path === new URL(url).pathname),
    failWith: (status) => {
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What Slack would show for a message: its text, or its blocks' text in order. */
export function slackView(message: SlackMessage): string {
  const blocks = message.blocks ?? [];
  if (blocks.length === 0) return message.text;
  return blocks
    .flatMap((block) =>
      block.type === 'section'
        ? [block.text.text]
        : block.type === 'context'
          ? block.elements.map((element) => element.text)
          : ['---'],
    )
    .join('\n');
}

/**
 * A `fetch` that sends what is addressed to Slack's `hooks.slack.com` to `receiver` instead (same
 * path) and everything else on, so a response_url on Slack's host is answered on 127.0.0.1 and
 * nothing leaves the machine. Install it with `vi.stubGlobal('fetch', …)`.
 */
export function slackHostFetch(
  receiver: SlackReceiver,
  realFetch: typeof fetch = globalThis.fetch,
): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.host !== 'hooks.slack.com') return realFetch(input, init);
    return realFetch(`${receiver.origin}${url.pathname}`, init);
  }) as typeof fetch;
}
