/**
 * The Slack endpoint's middleware chain, run through middy as the Lambda runs it: verification,
 * authorization, acknowledgement and error answers, with a canary signing secret that must appear
 * in no log line and no response.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CommandError, HandOffError } from '../../functions/chatops/errors.ts';
import { helpText } from '../../functions/chatops/grammar.ts';
import {
  type ChatWork,
  chatErrorResponse,
  type HttpResponse,
  type SlackEvent,
  slackAcknowledgement,
  slackAnswer,
  slackAuthorization,
  slackVerification,
} from '../../functions/chatops/middleware.ts';
import { chatopsPolicySchema } from '../../functions/core/chatops-policy.ts';
import { type RecordingLogger, recordingLogger } from '../core/recording-logger.ts';
import { signedSlackEvent, slashCommandForm } from '../sim/slack-client.ts';

const CANARY_SECRET = 'CANARY-slack-signing-secret-5b1f0e';
const NOW = new Date('2026-12-02T10:00:00Z');
const policy = chatopsPolicySchema.parse({
  slack: { teams: ['T0CERTCTL'] },
  permissions: { snapshot: ['U0OPERATOR'], readiness: ['*'], status: ['*'] },
});

interface Harness {
  readonly handler: (event: SlackEvent) => Promise<HttpResponse>;
  readonly dispatched: ChatWork[];
  readonly logger: RecordingLogger;
  readonly order: string[];
}

function harness(): Harness {
  const dispatched: ChatWork[] = [];
  const order: string[] = [];
  const logger = recordingLogger();
  const lambda = middy<SlackEvent, HttpResponse>(async (event: SlackEvent) => {
    order.push('handler');
    const command = event.slack?.command;
    return slackAnswer({ text: command?.name === 'help' ? helpText(command.topic) : 'status: nothing yet' });
  })
    .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
    .use(slackAuthorization({ policy, logger }))
    .use(
      slackAcknowledgement({
        now: () => NOW,
        dispatch: async (work) => {
          order.push('dispatch');
          dispatched.push(work);
        },
        logger,
      }),
    )
    .use(chatErrorResponse({ logger }));
  return {
    handler: (event) => lambda(event, {} as Context),
    dispatched,
    logger,
    order,
  };
}

function form(text: string, overrides: Record<string, string> = {}): string {
  return slashCommandForm(text, overrides);
}

function signed(body: string, at: Date = NOW, secret = CANARY_SECRET): SlackEvent {
  return signedSlackEvent(body, secret, at);
}

const SNAPSHOT = 'snapshot certctl-prod-db reason="CA rotation" ticket=CHG-42';

/** The chain up to the acknowledgement, counting refusals as the endpoint's metric does. */
function refusalHarness() {
  const logger = recordingLogger();
  const refusals: string[] = [];
  const chain = middy<SlackEvent, HttpResponse>(async () => slackAnswer({ text: 'unused' }))
    .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
    .use(slackAuthorization({ policy, logger }))
    .use(slackAcknowledgement({ dispatch: async () => undefined, logger }))
    .use(chatErrorResponse({ logger, onRefusal: (kind) => refusals.push(kind) }));
  return { lambda: (event: SlackEvent, context: Context) => chain(event, context), logger, refusals };
}

describe('the Slack middleware chain', () => {
  it('hands a signed, authorized snapshot to the action function and acknowledges before any snapshot work', async () => {
    // Prepare
    const { handler, dispatched, order } = harness();

    // Act
    const response = await handler(signed(form(SNAPSHOT)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('CHG-42'),
    });
    expect(dispatched).toEqual([
      {
        command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-42' },
        requestedBy: 'slack:T0CERTCTL/U0OPERATOR',
        replyTo: { kind: 'slack', responseUrl: 'https://hooks.slack.com/commands/T0CERTCTL/1/abc' },
        requestKey: expect.stringMatching(/^[0-9a-f]{64}$/),
        acceptedAt: NOW.toISOString(),
      },
    ]);
    expect(order).toEqual(['dispatch']);
  });

  it('acknowledges a snapshot of 50 long-named databases whole, counting them, with where the answer will come', async () => {
    // Prepare: the most databases a command names; their names alone are longer than a section.
    const names = Array.from(
      { length: 50 },
      (_, index) => `certctl-tenant-${String(index).padStart(2, '0')}-${'x'.repeat(50)}`,
    );
    const { handler } = harness();

    // Act
    const response = await handler(signed(form(`snapshot ${names.join(' ')} reason=rotation ticket=CHG-8`)));

    // Assess: not cut mid-name behind a bare "…", and the closing promise still there.
    const shown = JSON.stringify(JSON.parse(response.body).blocks);
    expect(shown).toContain(
      'Taking pre-maintenance snapshots of the 50 databases named for CHG-8. I will post progress and the result here.',
    );
    expect(shown).not.toContain('…');
  });

  it.each([
    'https://attacker.example/commands/T0CERTCTL/1/abc',
    'https://hooks.slack.com.attacker.example/commands/T0CERTCTL/1/abc',
    'http://hooks.slack.com/commands/T0CERTCTL/1/abc',
  ])(
    'refuses a command whose response_url %s is not Slack’s with a clear answer and hands nothing off',
    async (responseUrl) => {
      // Prepare
      const { handler, dispatched } = harness();

      // Act
      const response = await handler(signed(form(SNAPSHOT, { response_url: responseUrl })));

      // Assess: refused as a 4xx is (Slack shows the caller a 200 body only), saying where answers go.
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).text).toMatch(
        /^response_url is not (a Slack|an https) address; answers go only to `hooks\.slack\.com` or `hooks\.slack-gov\.com` over https$/,
      );
      expect(response.body).not.toContain('/1/abc');
      expect(dispatched).toEqual([]);
    },
  );

  it('hands off a command from GovSlack, whose response_url is on hooks.slack-gov.com', async () => {
    // Prepare
    const { handler, dispatched } = harness();
    const responseUrl = 'https://hooks.slack-gov.com/commands/T0CERTCTL/1/abc';

    // Act
    const response = await handler(signed(form(SNAPSHOT, { response_url: responseUrl })));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(dispatched.map((work) => work.replyTo)).toEqual([{ kind: 'slack', responseUrl }]);
  });

  it('gives a retried or double-submitted snapshot the same idempotency key', async () => {
    // Prepare
    const { handler, dispatched } = harness();

    // Act: the same command twice, with different trigger ids, as a double click sends it.
    await handler(signed(form(SNAPSHOT)));
    await handler(signed(form('snapshot  CERTCTL-PROD-DB ticket=CHG-42 reason="again, by accident"')));
    await handler(signed(form('snapshot certctl-prod-db reason="CA rotation" ticket=CHG-43')));

    // Assess
    const [first, second, third] = dispatched.map((work) => work.requestKey);
    expect(second).toBe(first);
    expect(third).not.toBe(first);
  });

  it('reads the text as the user typed it: Slack sends &, < and > as &amp;, &lt; and &gt;', async () => {
    // Prepare
    const { handler, dispatched } = harness();

    // Act: the user typed reason="R&D <urgent> rotation".
    await handler(
      signed(
        form('snapshot certctl-prod-db reason="R&amp;D &lt;urgent&gt; rotation, &amp;lt;" ticket=CHG-42'),
      ),
    );

    // Assess: decoded once (the answers and tags escape it again for their own formats).
    expect(dispatched[0]?.command).toMatchObject({ reason: 'R&D <urgent> rotation, &lt;' });
  });

  it('gives the same snapshot the same idempotency key whatever case the ticket is typed in', async () => {
    // Prepare
    const { handler, dispatched } = harness();

    // Act: the operator retypes the ticket in lower case (ticket ids are case-insensitive).
    await handler(signed(form(SNAPSHOT)));
    await handler(signed(form('snapshot certctl-prod-db reason="CA rotation" ticket=chg-42')));

    // Assess
    const [first, second] = dispatched.map((work) => work.requestKey);
    expect(second).toBe(first);
  });

  it('gives a snapshot that names one database twice (in two cases) the key of naming it once', async () => {
    // Prepare
    const { handler, dispatched } = harness();

    // Act
    await handler(signed(form(SNAPSHOT)));
    await handler(
      signed(form('snapshot certctl-prod-db CERTCTL-PROD-DB reason="CA rotation" ticket=CHG-42')),
    );

    // Assess: one database, one request, one snapshot.
    const [first, second] = dispatched.map((work) => work.requestKey);
    expect(second).toBe(first);
  });

  it('refuses a forged, a stale (a replay after the window) and an altered request with a bare 401 and no side effect', async () => {
    // Prepare: a replay inside the window is Slack's own bytes; test/integration/chat.test.ts shows it takes no second snapshot.
    const { handler, dispatched, order } = harness();
    const body = form(SNAPSHOT);
    const forged = signed(body, NOW, 'not-the-secret');
    const stale = signed(body, new Date(NOW.getTime() - 6 * 60_000));
    const altered = { ...signed(body), body: body.replace('CHG-42', 'CHG-66') };

    // Act
    const responses = [await handler(forged), await handler(stale), await handler(altered)];

    // Assess
    expect(responses.map((response) => [response.statusCode, response.body])).toEqual([
      [401, 'Request refused.'],
      [401, 'Request refused.'],
      [401, 'Request refused.'],
    ]);
    expect(dispatched).toEqual([]);
    expect(order).toEqual([]);
  });

  it('refuses per command a user outside the allow-list, telling them why and logging who', async () => {
    // Prepare
    const { handler, dispatched, logger } = harness();

    // Act
    const refused = await handler(signed(form(SNAPSHOT, { user_id: 'U0INTERN' })));
    const allowed = await handler(signed(form('readiness', { user_id: 'U0INTERN' })));

    // Assess
    expect(JSON.parse(refused.body).text).toBe(
      'you (U0INTERN) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
    );
    expect(dispatched.map((work) => work.command.name)).toEqual(['readiness']);
    expect(allowed.statusCode).toBe(200);
    expect(
      logger.entries.find((entry) => entry.message === 'chat command refused')?.attributes,
    ).toContainEqual(expect.objectContaining({ userId: 'U0INTERN' }));
  });

  it('refuses a caller the allow-lists refuse before parsing their command, even a malformed one', async () => {
    // Prepare
    const { lambda, logger, refusals } = refusalHarness();

    // Act: another workspace with a typo, and a user who may not snapshot with a half-typed snapshot.
    const otherTeam = await lambda(signed(form('snapshott', { team_id: 'T0OTHER' })), {} as Context);
    const intern = await lambda(
      signed(form('snapshot certctl-prod-db', { user_id: 'U0INTERN' })),
      {} as Context,
    );

    // Assess
    expect(JSON.parse(otherTeam.body).text).toBe(
      'this Slack workspace (T0OTHER) is not allowed to run backup-guard commands',
    );
    expect(JSON.parse(intern.body).text).toBe(
      'you (U0INTERN) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
    );
    expect(refusals).toEqual(['authorization', 'authorization']);
    expect(logger.entries.filter((entry) => entry.message === 'chat command refused')).toHaveLength(2);
  });

  it.each([
    '"snapshot" certctl-prod-db reason=rotation',
    '\u201csnapshot\u201d certctl-prod-db reason=rotation',
    'snap"shot" certctl-prod-db reason=rotation',
    '"snapshot certctl-prod-db reason=rotation',
    '\u2018snapshot\u2019 certctl-prod-db reason=rotation',
    "'snapshot' certctl-prod-db reason=rotation",
    '\u00absnapshot\u00bb certctl-prod-db reason=rotation',
    '\u2018snapshot certctl-prod-db reason=rotation',
  ])(
    'refuses, not explains, a malformed %s to a user who may not snapshot, however its first word is quoted',
    async (text) => {
      // Prepare: the grammar reads a quoted first word as the command; the refusal must read it so too.
      const { lambda, refusals } = refusalHarness();

      // Act
      const intern = await lambda(signed(form(text, { user_id: 'U0INTERN' })), {} as Context);

      // Assess: refused and counted, not given the snapshot grammar's help.
      expect(JSON.parse(intern.body).text).toBe(
        'you (U0INTERN) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
      );
      expect(refusals).toEqual(['authorization']);
    },
  );

  it('hands off nothing when the signing secret it was given is empty, answering the generic failure', async () => {
    // Prepare: a request "signed" with the empty secret, as a forger would sign one.
    const logger = recordingLogger();
    const dispatched: ChatWork[] = [];
    let failures = 0;
    const chain = middy<SlackEvent, HttpResponse>(async () => slackAnswer({ text: 'handler' }))
      .use(slackVerification({ signingSecret: async () => '', now: () => NOW }))
      .use(slackAuthorization({ policy, logger }))
      .use(slackAcknowledgement({ dispatch: async (work) => void dispatched.push(work), logger }))
      .use(chatErrorResponse({ logger, onFailure: () => (failures += 1) }));

    // Act
    const response = await chain(signed(form('status'), NOW, ''), {} as Context);

    // Assess: failed closed, counted as our failure, the reason in the log only.
    expect(dispatched).toEqual([]);
    expect(failures).toBe(1);
    expect(response.body).not.toContain('empty');
    expect(JSON.stringify(logger.entries)).toContain('the Slack signing secret is empty');
  });

  it('refuses a caller the allow-lists refuse whatever the length of their text, and tells an allowed one its length', async () => {
    // Prepare: a reason pasted with a whole change description, over the 4,000 characters read.
    const { lambda, logger, refusals } = refusalHarness();
    const text = `snapshot certctl-prod-db ticket=CHG-42 reason="${'x'.repeat(4100)}"`;

    // Act
    const answers = [];
    const callers: Record<string, string>[] = [{ team_id: 'T0OTHER' }, { user_id: 'U0INTERN' }, {}];
    for (const overrides of callers) {
      answers.push(JSON.parse((await lambda(signed(form(text, overrides)), {} as Context)).body).text);
    }

    // Assess: the two refusals are refusals (counted and logged); only the operator learns the limit.
    expect(answers).toEqual([
      'this Slack workspace (T0OTHER) is not allowed to run backup-guard commands',
      'you (U0INTERN) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
      `the command is ${text.length} characters long; keep it to 4000 (a reason to 256)`,
    ]);
    expect(refusals).toEqual(['authorization', 'authorization']);
    expect(logger.entries.filter((entry) => entry.message === 'chat command refused')).toHaveLength(2);
  });

  it('refuses a command from another Enterprise Grid organization with an ephemeral answer and hands nothing off', async () => {
    // Prepare
    const logger = recordingLogger();
    const dispatched: ChatWork[] = [];
    const grid = chatopsPolicySchema.parse({
      slack: { teams: ['T0CERTCTL'], enterpriseId: 'E0CERTCTL' },
      permissions: { snapshot: ['U0OPERATOR'] },
    });
    const lambda = middy<SlackEvent, HttpResponse>(async () => slackAnswer({ text: 'unused' }))
      .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
      .use(slackAuthorization({ policy: grid, logger }))
      .use(
        slackAcknowledgement({
          dispatch: async (work) => void dispatched.push(work),
          logger,
          now: () => NOW,
        }),
      )
      .use(chatErrorResponse({ logger }));

    // Act
    const foreign = await lambda(signed(form(SNAPSHOT, { enterprise_id: 'E0OTHER' })), {} as Context);
    const own = await lambda(signed(form(SNAPSHOT, { enterprise_id: 'E0CERTCTL' })), {} as Context);

    // Assess
    expect(foreign.statusCode).toBe(200);
    expect(JSON.parse(foreign.body)).toEqual({
      response_type: 'ephemeral',
      text: 'this Slack organization (E0OTHER) is not allowed to run backup-guard commands',
    });
    expect(foreign.body).not.toContain('E0CERTCTL');
    expect(JSON.parse(own.body).text).toContain('CHG-42');
    expect(dispatched).toHaveLength(1);
    expect(
      logger.entries
        .filter((entry) => entry.message === 'chat command refused')
        .flatMap((entry) => entry.attributes),
    ).toContainEqual(
      expect.objectContaining({
        enterpriseId: 'E0OTHER',
        teamId: 'T0CERTCTL',
        detail: 'chatops.slack.enterpriseId names E0CERTCTL; the request names E0OTHER',
      }),
    );
  });

  it('answers help itself and turns a bad command into its help, never a stack trace', async () => {
    // Prepare
    const { handler, dispatched } = harness();

    // Act
    const help = await handler(signed(form('help')));
    const bad = await handler(signed(form('snapshot certctl-prod-db')));

    // Assess
    expect(JSON.parse(help.body).text).toContain('backup-guard commands:');
    expect(JSON.parse(bad.body).text).toContain('needs reason="…" and ticket=…');
    expect(bad.body).not.toMatch(/at .*\.ts:\d+/);
    expect(dispatched).toEqual([]);
  });

  it('logs a signed request it answers with the caller’s mistake: a command not understood, and a form Slack would not send', async () => {
    // Prepare
    const { handler, logger } = harness();

    // Act
    await handler(signed(form('snapshto certctl-prod-db')));
    await handler(signed(form('status', { response_url: 'https://relay.example/hook' })));
    await handler(signed(form('status', { channel_id: 'not a channel' })));

    // Assess: one line each, saying who (when known) and what was wrong, never the response_url.
    expect(
      logger.entries.map(({ level, message, attributes }) => ({ level, message, ...attributes[0] })),
    ).toEqual([
      {
        level: 'info',
        message: 'chat command not understood',
        teamId: 'T0CERTCTL',
        channelId: 'C0PKIOPS',
        userId: 'U0OPERATOR',
        reason: expect.stringMatching(/^unknown command `snapshto`; did you mean `snapshot`\?/),
      },
      {
        level: 'warn',
        message: 'slack request malformed',
        reason:
          'response_url is not a Slack address; answers go only to `hooks.slack.com` or `hooks.slack-gov.com` over https',
      },
      {
        level: 'warn',
        message: 'slack request malformed',
        reason: 'the slash-command request is missing or has bad fields: channel_id',
      },
    ]);
    expect(logger.text()).not.toContain('relay.example');
  });

  it('verifies a base64-encoded body over its decoded bytes and answers an ssl_check with an empty 200', async () => {
    // Prepare
    const { handler, dispatched } = harness();
    const plain = signed(form(SNAPSHOT));
    const encoded = {
      ...plain,
      body: Buffer.from(plain.body ?? '').toString('base64'),
      isBase64Encoded: true,
    };
    const probe = signed('ssl_check=1&token=x');

    // Act
    const accepted = await handler(encoded);
    const probed = await handler(probe);

    // Assess
    expect(accepted.statusCode).toBe(200);
    expect(dispatched).toHaveLength(1);
    expect(probed).toEqual({ statusCode: 200, headers: {}, body: '' });
  });

  it('refuses a signed form that repeats a field, naming it, instead of running with one of its values', async () => {
    // Prepare: two texts and two users in one body; Slack sends each field once, and which one a
    // reader takes (URLSearchParams.get the first, Object.fromEntries the last) is not the sender's.
    const { handler, dispatched, logger } = harness();
    const twoTexts = `${form('readiness')}&text=status`;
    const twoUsers = `${form(SNAPSHOT, { user_id: 'U0VIEWER' })}&user_id=U0OPERATOR`;

    // Act
    const answers = [await handler(signed(twoTexts)), await handler(signed(twoUsers))];

    // Assess
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(answers.map((answer) => JSON.parse(answer.body).text)).toEqual([
      'the slash-command request is missing or has bad fields: text (given twice)',
      'the slash-command request is missing or has bad fields: user_id (given twice)',
    ]);
    expect(dispatched).toEqual([]);
    expect(JSON.stringify(logger.entries)).not.toContain(CANARY_SECRET);
  });

  it('keeps an error answer that echoes a hostile argument from mentioning or linking, its code and product links as written', async () => {
    // Prepare: an exposable error repeating what the caller typed (a database name), beside a
    // command in a code span and a product link, as errors write them.
    const logger = recordingLogger();
    const link = '<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html>';
    const lambda = middy<SlackEvent, HttpResponse>(async () => {
      throw new CommandError(
        `no database named @here or http://evil.example or #general; try \`readiness certctl@prod\`, see ${link}`,
      );
    })
      .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
      .use(slackAuthorization({ policy, logger }))
      .use(chatErrorResponse({ logger }));

    // Act
    const response = await lambda(signed(form('readiness certctl-prod-db')), {} as Context);

    // Assess: Slack parses a plain `text` answer, so what the caller typed must not notify or link.
    const text = JSON.parse(response.body).text as string;
    expect(text).not.toMatch(/@here|http:\/\/|evil\.example|#general/);
    expect(text).toContain('@\u200bhere');
    expect(text).toContain('`readiness certctl@prod`');
    expect(text).toContain(link);
  });

  it('hides the details of an internal failure from Slack and keeps the canary secret out of every output', async () => {
    // Prepare
    const logger = recordingLogger();
    const lambda = middy<SlackEvent, HttpResponse>(async () => slackAnswer({ text: 'unused' }))
      .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
      .use(slackAuthorization({ policy, logger }))
      .use(
        slackAcknowledgement({
          dispatch: async () => {
            throw new Error(
              'Lambda Invoke failed: AccessDeniedException on arn:aws:lambda:eu-west-1:111111111111:function:x',
            );
          },
          logger,
        }),
      )
      .use(chatErrorResponse({ logger }));
    const outputs: string[] = [];

    // Act
    for (const event of [
      signed(form(SNAPSHOT)),
      signed(form(SNAPSHOT), NOW, 'wrong'),
      signed(form('help')),
    ]) {
      outputs.push(JSON.stringify(await lambda(event, {} as Context)));
    }

    // Assess
    expect(JSON.parse(JSON.parse(outputs[0] as string).body).text).toBe(
      'Something went wrong on our side; the details are in the backup-guard logs.',
    );
    expect(outputs[0]).not.toContain('AccessDenied');
    expect(logger.text()).toContain('AccessDeniedException');
    for (const text of [...outputs, logger.text()]) expect(text).not.toContain(CANARY_SECRET);
  });
  it('acknowledges a hand-off that did not complete with what is known of it, never that the work started', async () => {
    // Prepare
    const answers: Record<string, string> = {};
    for (const outcome of ['unknown', 'not-started'] as const) {
      const logger = recordingLogger();
      const lambda = middy<SlackEvent, HttpResponse>(async () => slackAnswer({ text: 'unused' }))
        .use(slackVerification({ signingSecret: async () => CANARY_SECRET, now: () => NOW }))
        .use(slackAuthorization({ policy, logger }))
        .use(
          slackAcknowledgement({
            dispatch: async () => {
              throw new HandOffError(
                outcome,
                'the Lambda Invoke of arn:aws:lambda:eu-west-1:111111111111:function:x took longer than 2000 ms',
              );
            },
            logger,
          }),
        )
        .use(chatErrorResponse({ logger }));

      // Act
      const response = await lambda(signed(form(SNAPSHOT)), {} as Context);
      answers[outcome] = JSON.parse(response.body).text as string;
      expect(logger.text()).toContain('took longer than 2000 ms');
    }

    // Assess
    expect(answers.unknown).toContain('may or may not run');
    expect(answers['not-started']).toContain('did not start');
    for (const text of Object.values(answers)) {
      expect(text).not.toMatch(/Taking pre-maintenance snapshots|111111111111/);
    }
  });
});
