import { describe, expect, it } from 'vitest';
import { ChatError, SignatureError } from '../../functions/chatops/errors.ts';
import {
  SLACK_MAX_SKEW_SECONDS,
  slackSignature,
  verifySlackRequest,
} from '../../functions/chatops/signature.ts';

/** Slack's published example (https://api.slack.com/authentication/verifying-requests-from-slack). */
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT_TIMESTAMP = new Date(Number(TIMESTAMP) * 1000);

function reasonOf(attempt: () => void): string | undefined {
  try {
    attempt();
  } catch (error) {
    return error instanceof SignatureError ? error.reason : `other: ${String(error)}`;
  }
  return undefined;
}

describe('verifySlackRequest', () => {
  it("accepts Slack's published example when the clock is at its timestamp", () => {
    // Act / Assess
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(() =>
      verifySlackRequest({ signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: BODY }, SECRET, AT_TIMESTAMP),
    ).not.toThrow();
    expect(() =>
      verifySlackRequest(
        { signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: Buffer.from(BODY) },
        SECRET,
        AT_TIMESTAMP,
      ),
    ).not.toThrow();
  });

  it('refuses the example when any single byte of the body is changed', () => {
    // Act
    const reasons = new Set<string | undefined>();
    for (let index = 0; index < BODY.length; index += 1) {
      const changed = `${BODY.slice(0, index)}${BODY[index] === 'x' ? 'y' : 'x'}${BODY.slice(index + 1)}`;
      reasons.add(
        reasonOf(() =>
          verifySlackRequest(
            { signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: changed },
            SECRET,
            AT_TIMESTAMP,
          ),
        ),
      );
    }

    // Assess
    expect([...reasons]).toEqual(['mismatch']);
  });

  it('refuses the example when the signature, the timestamp or the secret differ by one character', () => {
    // Prepare
    const flipped = `${SIGNATURE.slice(0, -1)}${SIGNATURE.endsWith('3') ? '4' : '3'}`;

    // Act / Assess
    expect(
      reasonOf(() =>
        verifySlackRequest({ signature: flipped, timestamp: TIMESTAMP, rawBody: BODY }, SECRET, AT_TIMESTAMP),
      ),
    ).toBe('mismatch');
    expect(
      reasonOf(() =>
        verifySlackRequest(
          { signature: SIGNATURE, timestamp: '1531420619', rawBody: BODY },
          SECRET,
          AT_TIMESTAMP,
        ),
      ),
    ).toBe('mismatch');
    expect(
      reasonOf(() =>
        verifySlackRequest(
          { signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: BODY },
          `${SECRET}x`,
          AT_TIMESTAMP,
        ),
      ),
    ).toBe('mismatch');
  });

  it('refuses the example as stale when the clock is 6 minutes later, or 6 minutes earlier', () => {
    // Prepare
    const sixMinutes = 6 * 60 * 1000;

    // Act / Assess
    for (const now of [
      new Date(AT_TIMESTAMP.getTime() + sixMinutes),
      new Date(AT_TIMESTAMP.getTime() - sixMinutes),
    ]) {
      expect(
        reasonOf(() =>
          verifySlackRequest({ signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: BODY }, SECRET, now),
        ),
      ).toBe('stale');
    }
    const edge = new Date(AT_TIMESTAMP.getTime() + SLACK_MAX_SKEW_SECONDS * 1000);
    expect(
      reasonOf(() =>
        verifySlackRequest({ signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: BODY }, SECRET, edge),
      ),
    ).toBeUndefined();
  });

  it('refuses a request without the headers or with malformed ones', () => {
    // Act / Assess
    expect(
      reasonOf(() =>
        verifySlackRequest(
          { signature: undefined, timestamp: TIMESTAMP, rawBody: BODY },
          SECRET,
          AT_TIMESTAMP,
        ),
      ),
    ).toBe('missing-header');
    expect(
      reasonOf(() =>
        verifySlackRequest(
          { signature: SIGNATURE, timestamp: undefined, rawBody: BODY },
          SECRET,
          AT_TIMESTAMP,
        ),
      ),
    ).toBe('missing-header');
    expect(
      reasonOf(() =>
        verifySlackRequest(
          { signature: 'v0=lolno', timestamp: TIMESTAMP, rawBody: BODY },
          SECRET,
          AT_TIMESTAMP,
        ),
      ),
    ).toBe('malformed');
    expect(
      reasonOf(() =>
        verifySlackRequest({ signature: SIGNATURE, timestamp: '15e8', rawBody: BODY }, SECRET, AT_TIMESTAMP),
      ),
    ).toBe('malformed');
  });

  it.each(['', '   '])(
    'refuses to verify against a signing secret of %j, even a request signed with that secret',
    (secret) => {
      // Prepare: HMAC takes an empty key, so a forger who guesses an unset secret can sign with it.
      const forged = slackSignature(secret, TIMESTAMP, BODY);

      // Act
      let thrown: unknown;
      try {
        verifySlackRequest({ signature: forged, timestamp: TIMESTAMP, rawBody: BODY }, secret, AT_TIMESTAMP);
      } catch (error) {
        thrown = error;
      }

      // Assess: our failure (a 5xx, never shown), not a refusal of the request nor an acceptance.
      expect(thrown).toBeInstanceOf(ChatError);
      expect(thrown).not.toBeInstanceOf(SignatureError);
      expect(thrown).toMatchObject({
        status: 500,
        expose: false,
        message: 'the Slack signing secret is empty: no request is verified against it',
      });
    },
  );

  it('never puts the signing secret in the error it throws', () => {
    // Act
    let message = '';
    try {
      verifySlackRequest(
        { signature: SIGNATURE, timestamp: TIMESTAMP, rawBody: 'tampered' },
        SECRET,
        AT_TIMESTAMP,
      );
    } catch (error) {
      message = `${String(error)} ${JSON.stringify(error)}`;
    }

    // Assess
    expect(message).not.toBe('');
    expect(message).not.toContain(SECRET);
  });
});
