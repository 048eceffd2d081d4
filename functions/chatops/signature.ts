/**
 * Slack request signing: `v0=` + hex(HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`)),
 * compared in constant time, and a timestamp no more than five minutes from now in either
 * direction (https://api.slack.com/authentication/verifying-requests-from-slack). The signature
 * covers the raw bytes: verify before parsing, and decode a base64 body first (Function URLs and
 * HTTP APIs base64-encode bodies they consider binary).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChatError, SignatureError } from './errors.ts';

/** How far a request's timestamp may be from now (Slack's documented replay window). */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

/** The `X-Slack-Signature` Slack would send for this body at this timestamp. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Whether a stored signing secret is a JSON object rather than Slack's value: Secrets Manager's
 * console stores a new secret as key/value pairs by default, and a secret mapped from Secret Manager
 * may hold such a JSON too. Slack's signing secret is a run of hexadecimal digits, never JSON, and
 * an HMAC keyed with the JSON text matches no request, so every request would be refused as forged.
 */
export function isKeyValueSecret(value: string): boolean {
  const text = value.trim();
  if (!text.startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** What to tell an operator whose signing secret {@link isKeyValueSecret}: never its keys or values. */
export const KEY_VALUE_SECRET_PROBLEM =
  "holds a JSON object (key/value pairs), not the signing secret itself; store Slack's signing secret alone, as plain text";

export interface SlackRequestToVerify {
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  readonly rawBody: string | Buffer;
}

/** Throws {@link SignatureError} unless Slack signed exactly these bytes within the replay window. */
export function verifySlackRequest(request: SlackRequestToVerify, signingSecret: string, now: Date): void {
  // HMAC accepts an empty key, and anyone can sign with it: a secret that was not set (or not read)
  // fails closed, as our failure (5xx, logged, never shown), whatever the request carries. The
  // readers refuse it too (aws/slack-secret.ts, the GCP function's environment); this is the rule.
  if (signingSecret.trim() === '') {
    throw new ChatError(500, 'the Slack signing secret is empty: no request is verified against it', {
      expose: false,
    });
  }
  const { signature, timestamp } = request;
  if (!signature || !timestamp) {
    throw new SignatureError(
      'missing-header',
      'the request carries no X-Slack-Signature or X-Slack-Request-Timestamp',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    throw new SignatureError('malformed', 'X-Slack-Signature or X-Slack-Request-Timestamp is malformed');
  }
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) {
    throw new SignatureError(
      'stale',
      `the request timestamp is ${Math.round(skew)} s from now (at most ${SLACK_MAX_SKEW_SECONDS} s)`,
    );
  }
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, request.rawBody));
  const received = Buffer.from(signature);
  // Equal lengths by the format check above; timingSafeEqual leaks nothing about where they differ.
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    throw new SignatureError('mismatch', 'the signature does not match the body');
  }
}
