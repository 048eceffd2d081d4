/**
 * Where chat answers may be posted: the one allowlist the Slack endpoint (which refuses a command
 * whose `response_url` is elsewhere, before any work), the hand-off (work.ts `parseChatWork`, which
 * refuses such work before it runs) and the action side (which posts there) share.
 * Slack sends `response_url`s on `hooks.slack.com`, GovSlack on `hooks.slack-gov.com`
 * (https://docs.slack.dev/govslack). Refusing any other host keeps a forged `response_url` from
 * turning the functions into a request relay.
 */
import { isHttpsOrLoopback, isLoopback } from '../core/loopback.ts';
import { ChatError } from './errors.ts';

/** Hosts a `response_url` may name: exact host names, https only. */
export const SLACK_REPLY_HOSTS: readonly string[] = ['hooks.slack.com', 'hooks.slack-gov.com'];

/**
 * Check a `response_url` against `allowedHosts` (default {@link SLACK_REPLY_HOSTS}): an exact host
 * (with its port, or by name on the scheme's default port; a loopback name on any port), https
 * (plain http only to a loopback host a test or the local stack allows), no credentials. Throws a 400 {@link ChatError} that never repeats the URL (it is a
 * capability: whoever has it may post to the channel).
 */
export function checkReplyUrl(responseUrl: string, allowedHosts: readonly string[] = SLACK_REPLY_HOSTS): URL {
  // Hosts as code: a reader copies them exactly, and an answer's guard against Slack's parsing
  // (replies.ts withoutAutoParsing) leaves code as written.
  const expected = `${allowedHosts.map((host) => `\`${host}\``).join(' or ')} over https`;
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    throw new ChatError(400, `response_url is not a URL; answers go only to ${expected}`);
  }
  // A host listed with its port matches that port; one listed by name matches its scheme's
  // default port (`url.port` is empty then), except a loopback host, whose receiver (a test, the
  // local stack) listens on a port picked at start. `hooks.slack.com:8443` is not where Slack
  // takes answers, and a relay through any port of an allowed name is what this check prevents.
  const byName = allowedHosts.includes(url.hostname) && (url.port === '' || isLoopback(url));
  if (!allowedHosts.includes(url.host) && !byName) {
    throw new ChatError(400, `response_url is not a Slack address; answers go only to ${expected}`);
  }
  if (!isHttpsOrLoopback(url)) {
    throw new ChatError(400, `response_url is not an https address; answers go only to ${expected}`);
  }
  if (url.username || url.password) {
    throw new ChatError(400, `response_url carries credentials; answers go only to ${expected}`);
  }
  return url;
}
