/**
 * Bodies the Functions Framework cannot parse reach the function instead of express's error page.
 *
 * The framework parses every request body before the function runs (express with body-parser,
 * @google-cloud/functions-framework 5 `build/src/server.js` `getServer`). A body sent as
 * `application/json` that is not JSON never reaches the function: express's default handler answers
 * an HTML page (with the stack trace outside production) and logs the error with `console.error`,
 * a multi-line, non-JSON entry that quotes the body (body-parser keeps it on the error). The
 * framework offers no hook for its own errors (GoogleCloudPlatform/functions-framework-nodejs
 * issue #686, "Propagate framework errors to user application"; PR #685 is still open).
 *
 * So each HTTP server the framework builds gets one error middleware, after its routes, that hands a
 * body-parse failure, or a body it could not read at all (an unsupported charset or content
 * encoding, a corrupt compressed body: the same HTML page and multi-line log), to the registered
 * function itself. body-parser keeps the raw bytes as
 * `req.rawBody` before it parses (the framework's `verify` option), so the function answers the
 * malformed body in its own words, as for any other bad request. The framework's `getServer` is the
 * one function both its entry point (`main.js`) and its test server (`testing.js`) call through its
 * module's exports, so it is wrapped there; a framework that no longer has it fails at load, loudly.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { InputError } from '../../core/errors.ts';

/** The framework module that builds the servers (not in its package `exports`, so by path). */
interface FrameworkServerModule {
  getServer(userFunction: unknown, options: { readonly signatureType: string }): Server;
}

/** The express application the framework passes to `http.createServer`. */
interface ExpressApp {
  use(handler: (error: unknown, req: Request, res: Response, next: (error?: unknown) => void) => void): void;
}

const WRAPPED = Symbol.for('certctl-backup-guard.bodyParseFailuresToFunction');

/** Whether `error` is body-parser's "the body does not parse" (`type: 'entity.parse.failed'`). */
export function isBodyParseFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { type?: unknown }).type === 'entity.parse.failed'
  );
}

/**
 * What body-parser could not read at all, as a client error (http-errors `expose` and a 4xx status):
 * an unsupported charset or content encoding (415), a compressed body that does not inflate, a body
 * larger than the limit or cut short (400, 413). Its message names the header or the size, never the
 * body's bytes (a JSON syntax error, which may quote them, is {@link isBodyParseFailure}'s).
 */
export function bodyReadFailure(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || isBodyParseFailure(error)) return undefined;
  const { expose, status, message } = error as { expose?: unknown; status?: unknown; message?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  return typeof message === 'string' && message.trim() !== '' ? message.trim() : `HTTP ${status}`;
}

/** The body of a request whose bytes the framework could not read ({@link bodyReadFailure}). */
export class UnreadableBody {
  readonly problem: string;
  constructor(problem: string) {
    this.problem = problem;
  }
}

/**
 * Make every HTTP server the Functions Framework builds from now on pass body-parse failures to the
 * function (once per process; later calls do nothing). Call it before the framework builds its
 * server: at module load, as the framework loads the function before it serves it.
 */
export function passBodyParseFailuresToFunctions(): void {
  const requireFromHere = createRequire(import.meta.url);
  const entry = requireFromHere.resolve('@google-cloud/functions-framework');
  const server = requireFromHere(join(dirname(entry), 'server.js')) as FrameworkServerModule & {
    [WRAPPED]?: true;
  };
  if (server[WRAPPED]) return;
  const getServer = server.getServer;
  if (typeof getServer !== 'function') {
    throw new TypeError(
      `@google-cloud/functions-framework no longer exports getServer from ${join(dirname(entry), 'server.js')}: functions/handlers/gcp/framework.ts must follow it`,
    );
  }
  server.getServer = (userFunction, options) => {
    const httpServer = getServer(userFunction, options);
    const [app] = httpServer.listeners('request') as unknown as ExpressApp[];
    if (options.signatureType === 'http' && typeof app?.use === 'function') {
      const handler = userFunction as HttpFunction;
      app.use((error, req, res, next) => {
        const unreadable = bodyReadFailure(error);
        if ((!isBodyParseFailure(error) && unreadable === undefined) || res.headersSent) {
          next(error);
          return;
        }
        // The function reads req.rawBody; what body-parser left in req.body is not the request's.
        // A body not read at all has no raw bytes: the function is told why (jsonBodyOf).
        req.body = unreadable === undefined ? undefined : new UnreadableBody(unreadable);
        if (unreadable !== undefined) delete req.rawBody;
        void Promise.resolve(handler(req, res)).catch(next);
      });
    }
    return httpServer;
  };
  server[WRAPPED] = true;
}

/**
 * The JSON a function's body holds, as the framework hands it over: a Buffer or string is parsed (an
 * empty one is `{}`, so the schema names what is missing), anything else (a body express already
 * parsed) is returned as it is. A body that does not parse is an InputError naming `what` and the
 * syntax problem, never quoting the body.
 */
export function jsonBodyOf(body: unknown, what: string): unknown {
  if (body instanceof UnreadableBody) throw new InputError(`${what} body cannot be read: ${body.problem}.`);
  const raw = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch (error) {
    // No cause: V8's message may quote the body, and the body is never echoed.
    throw new InputError(`${what} body is not JSON: ${jsonSyntaxProblem(error, raw)}.`);
  }
}

/**
 * What is wrong with a body `JSON.parse` refused, without quoting it: V8's message names the
 * position, or quotes the start of the text (`Unexpected token 'c', "canary…" is not valid JSON`).
 */
export function jsonSyntaxProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : '';
  const size = `${Buffer.byteLength(text)} bytes`;
  if (/^Unexpected end of JSON input/.test(message)) return `it ends before the JSON is complete (${size})`;
  const positioned = /^([^"]*?) in JSON at position (\d+)/.exec(message);
  if (positioned) return `${positioned[1]} at position ${positioned[2]} (${size})`;
  return `it is not valid JSON (${size})`;
}
