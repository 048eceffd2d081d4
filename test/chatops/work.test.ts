/**
 * The chat work handed from an entry point to the action function: validated again on arrival, the
 * `response_url` against the same allowlist the Slack endpoint applies (reply-hosts.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseChatWork } from '../../functions/chatops/work.ts';

const work = (responseUrl: string) => ({
  command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-7' },
  requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
  replyTo: { kind: 'slack', responseUrl },
  requestKey: 'a'.repeat(64),
  acceptedAt: '2026-12-02T10:00:00.000Z',
});

describe('parseChatWork', () => {
  it.each([
    ['https://evil.example/x', 'is not a Slack address'],
    ['https://hooks.slack.com.evil.example/commands/T1/2/x', 'is not a Slack address'],
    // Slack's host on another port is not where Slack takes answers (README: exact hosts, https).
    ['https://hooks.slack.com:8443/commands/T1/2/x', 'is not a Slack address'],
    ['http://hooks.slack.com/commands/T1/2/x', 'is not an https address'],
    ['https://user:pw@hooks.slack.com/commands/T1/2/x', 'carries credentials'],
  ])('refuses a hand-off whose response_url is %s, saying where answers may go', (url, why) => {
    // Act / Assess
    expect(() => parseChatWork(work(url))).toThrow(
      `the chat work is invalid: replyTo.responseUrl: response_url ${why}; answers go only to \`hooks.slack.com\` or \`hooks.slack-gov.com\` over https`,
    );
  });

  it('lists the first ten problems of work with many bad targets, counting the rest', () => {
    // Prepare
    const bad = {
      ...work('https://hooks.slack.com/commands/T1/2/x'),
      command: { name: 'readiness', targets: Array(50).fill('') },
    };

    // Act / Assess
    expect(() => parseChatWork(bad)).toThrow(
      /^the chat work is invalid: command\.targets\.0: [^;]*; .*; command\.targets\.9: [^;]*; and 40 more$/,
    );
  });

  it('never repeats the refused response_url in its error', () => {
    // Act
    const error = (() => {
      try {
        parseChatWork(work('https://evil.example/secret-capability'));
      } catch (caught) {
        return caught as Error;
      }
    })();

    // Assess
    expect(error?.message).toBeDefined();
    expect(error?.message).not.toContain('evil.example');
    expect(error?.message).not.toContain('secret-capability');
  });

  it.each([
    'https://hooks.slack.com/commands/T1/2/x',
    'https://hooks.slack-gov.com/commands/T1/2/x',
    'https://hooks.slack.com:443/commands/T1/2/x',
  ])('accepts a hand-off whose response_url is %s', (url) => {
    // Act / Assess
    expect(parseChatWork(work(url)).replyTo).toEqual({ kind: 'slack', responseUrl: url });
  });

  it('accepts the hosts the action side is configured with when they are given', () => {
    // Act / Assess
    expect(parseChatWork(work('http://127.0.0.1:9/r'), ['127.0.0.1']).replyTo).toEqual({
      kind: 'slack',
      responseUrl: 'http://127.0.0.1:9/r',
    });
    // A loopback receiver listens on a port the test picks: named alone, any of its ports.
    expect(parseChatWork(work('http://127.0.0.1:4567/r'), ['127.0.0.1']).replyTo).toMatchObject({
      responseUrl: 'http://127.0.0.1:4567/r',
    });
    expect(() => parseChatWork(work('https://hooks.slack.com/r'), ['127.0.0.1'])).toThrow(
      'response_url is not a Slack address',
    );
  });
});
