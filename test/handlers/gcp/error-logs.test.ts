/**
 * The GCP functions' error paths log what the AWS handlers log: `describeError` of what was thrown
 * (functions/core/errors.ts), never a field read off a value that is not an Error. A client may
 * throw a plain object (an HTTP answer, a token response) whose `message` quotes what it was sent.
 */
import type * as functions from '@google-cloud/functions-framework';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditPitrHandler } from '../../../functions/handlers/gcp/audit-pitr.ts';
import { createSnapshotHandler } from '../../../functions/handlers/gcp/snapshot.ts';
import { postTo as post } from './serve.ts';

const CANARY = 'CANARY-gcp-thrown-token-4d1e';

/** What was thrown: a plain object quoting a secret, or nothing at all. */
const THROWN: readonly unknown[] = [{ name: 'TokenResponse', message: `access_token=${CANARY}` }, null];

/** Every line the function wrote (its logger writes JSON lines to stdout and stderr). */
function captureOutput(): string[] {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  for (const method of ['log', 'error', 'warn', 'info'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
  }
  return written;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the GCP functions log what was thrown as describeError says it', () => {
  const handlers: readonly [string, (thrown: unknown) => functions.HttpFunction, unknown][] = [
    [
      'snapshot',
      (thrown) =>
        createSnapshotHandler(() => {
          throw thrown;
        }),
      { action: 'readiness' },
    ],
    [
      'auditPitr',
      (thrown) =>
        createAuditPitrHandler(() => {
          throw thrown;
        }),
      {},
    ],
  ];

  for (const [name, handlerThrowing, body] of handlers) {
    it(`${name}: answers 500 and logs the failure, never a secret a thrown plain object quotes`, async () => {
      for (const thrown of THROWN) {
        // Prepare
        const written = captureOutput();

        // Act
        const { status, answer } = await post(handlerThrowing(thrown), body);
        vi.restoreAllMocks();

        // Assess
        const output = written.join('');
        expect(status).toBe(500);
        expect(output).not.toContain(CANARY);
        expect(JSON.stringify(answer)).not.toContain(CANARY);
        expect(output).toContain(thrown === null ? '"message":"null"' : '"message":"[object Object]"');
      }
    });
  }
});
