/**
 * A Cloud Function's handler module served as the Functions Framework serves it in production
 * (importing the module registers the function, as the framework's loader does), on loopback,
 * with the environment it reads set for the test and put back as it was by `close()`.
 */
import type { AddressInfo } from 'node:net';
import type * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

export interface ServedFunction {
  /** Where the function answers: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Stop serving and restore every environment variable the test set. */
  close(): Promise<void>;
}

export async function serveFunction(options: {
  /** The entry point the module registers (`auditPitr`, `snapshot`). */
  readonly entryPoint: string;
  /** Imports the handler module (a literal import, so the test's module graph names it). */
  readonly load: () => Promise<unknown>;
  /** The environment the function reads at import and on each request. */
  readonly env: Readonly<Record<string, string>>;
}): Promise<ServedFunction> {
  const saved = new Map(Object.keys(options.env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, options.env);
  await options.load();
  const server = getTestServer(options.entryPoint);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}

/** Call an HTTP function in-process with a POST of `body`: the status and JSON it answered. */
export async function postTo(
  handler: functions.HttpFunction,
  body: unknown,
): Promise<{ status: number; answer: unknown }> {
  let status = 0;
  let answer: unknown;
  const res = {
    status(code: number) {
      status = code;
      return res;
    },
    set() {
      return res;
    },
    json(value: unknown) {
      answer = value;
      return res;
    },
  };
  const req = { method: 'POST', rawBody: Buffer.from(JSON.stringify(body)), body };
  await handler(req as never, res as never);
  return { status, answer };
}
