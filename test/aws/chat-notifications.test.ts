import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import {
  amazonQReplier,
  type SnsSender,
  snsClientOnFirstSend,
} from '../../functions/aws/chat-notifications.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:backup-guard-chat';

/** An SNS client that records what it was sent. */
function recordingSns(): SnsSender & { readonly sent: unknown[] } {
  const sent: unknown[] = [];
  const send = async (command: unknown) => {
    sent.push(command);
    return {};
  };
  return { sent, send: send as SnsSender['send'] };
}

describe('snsClientOnFirstSend', () => {
  it('makes the client on the first send only, and once for every later send', async () => {
    // Prepare
    const sns = recordingSns();
    let made = 0;
    const client = snsClientOnFirstSend(async () => {
      made += 1;
      return sns;
    });
    const replier = amazonQReplier(client, TOPIC, 'thread-1');

    // Act
    const before = made;
    await replier.progress({ text: 'snapshotting' });
    await replier.post({ text: 'done' });

    // Assess
    expect(before).toBe(0);
    expect(made).toBe(1);
    expect(sns.sent).toHaveLength(2);
    expect(sns.sent[0]).toBeInstanceOf(PublishCommand);
    expect((sns.sent[1] as PublishCommand).input.TopicArn).toBe(TOPIC);
  });

  it('makes the client again on the next send when making it failed', async () => {
    // Prepare
    const sns = recordingSns();
    let made = 0;
    const client = snsClientOnFirstSend(async () => {
      made += 1;
      if (made === 1) throw new Error('no credentials yet');
      return sns;
    });
    const replier = amazonQReplier(client, TOPIC, 'thread-1');

    // Act
    const first = await replier.post({ text: 'one' }).catch((error: unknown) => error);
    await replier.post({ text: 'two' });

    // Assess
    expect((first as Error).message).toBe('no credentials yet');
    expect(made).toBe(2);
    expect(sns.sent).toHaveLength(1);
  });
});
