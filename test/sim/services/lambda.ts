/**
 * Simulated AWS Lambda `Invoke` (REST-JSON, `POST /2015-03-31/functions/{FunctionName}/invocations`)
 * over handlers deployed in-process: a test deploys the real handler module's `handler` under the
 * function's name, and the real `LambdaClient` invokes it through the wire protocol, as one Lambda
 * function invokes another.
 *
 * As strict as the service (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html and the
 * published model, test/sim/models/chat.json): the input read from the URI, headers and query is
 * validated against the model (the `FunctionName` pattern matched whole, `InvocationType` and
 * `LogType` enums); the payload must be JSON, at most 6 MB synchronously and 1 MB asynchronously
 * (`RequestTooLargeException`, 413); an unknown function or qualifier is `ResourceNotFoundException`
 * (404); a function of another account is refused.
 *
 * - `RequestResponse` runs the handler and answers 200 with its result; a handler that throws or
 *   outlives the function's timeout answers 200 with `X-Amz-Function-Error: Unhandled` and the
 *   error document, as Lambda does (the handler cannot be stopped in-process; it runs on).
 * - `Event` answers 202 at once and queues the event, run after the answer has gone, with the same
 *   request id on every attempt: `asyncDeliveries` > 1 delivers it that many times at once (Lambda
 *   delivers at least once, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html),
 *   and a handler that throws is retried `retryAttempts` times (Lambda's default 2). `hold()` keeps
 *   queued events until `release()`, so a test can show what the caller saw before any ran. An
 *   event whose last attempt failed (threw or timed out) goes to the function's `onFailure`
 *   function, invoked asynchronously with Lambda's invocation record (`version`, `timestamp`,
 *   `requestContext` {requestId, functionArn, condition `RetriesExhausted`, approximateInvokeCount},
 *   `requestPayload`, `responseContext` {statusCode, executedVersion, functionError `Unhandled`},
 *   `responsePayload`: the error document), as "Capturing records of Lambda asynchronous
 *   invocations" shows (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * - `DryRun` answers 204.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { jsonError, restJsonAuthError } from '../protocols/rest-json.ts';
import type { SimRequest, SimResponse, SimService } from '../service.ts';
import { DeclaredError, modelError, modelLocatedMembers, modelViolation } from './json-model.ts';

export const LAMBDA_SERVICE = 'lambda';
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Payload limits (API_Invoke): 6 MB synchronous, 1 MB asynchronous. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
const FUNCTION_NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_.]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;

/** The context object Lambda hands a Node.js handler, as far as handlers and middy read it. */
export interface SimLambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export type SimLambdaHandler = (event: unknown, context: SimLambdaContext) => unknown;

const functionSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/, 'must be a Lambda function name (1-64 characters)'),
  region: z.string().min(1),
  account: z.string().regex(/^\d{12}$/),
  timeoutSeconds: z.number().int().min(1).max(900),
  memorySizeMb: z.number().int().min(128).max(10_240),
  asyncDeliveries: z.number().int().min(1).max(3),
  retryAttempts: z.number().int().min(0).max(2),
  onFailure: z.optional(z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/)),
});

export interface SimFunctionConfig {
  readonly name: string;
  readonly region: string;
  /** @default '111111111111' */
  readonly account?: string;
  /** The function's timeout, as deployed. */
  readonly timeoutSeconds: number;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /** How many times each asynchronous event is delivered. @default 1 */
  readonly asyncDeliveries?: number;
  /** Retries of an asynchronous event whose handler threw (the function's event invoke config). @default 2 */
  readonly retryAttempts?: number;
  /** The on-failure destination: a function of the same account and region, by name. */
  readonly onFailure?: string;
  readonly handler: SimLambdaHandler;
}

type SimFunction = z.output<typeof functionSchema> & { readonly handler: SimLambdaHandler };

/** One run of a handler, for tests to read. */
export interface SimInvocation {
  readonly functionName: string;
  readonly invocationType: 'RequestResponse' | 'Event';
  readonly requestId: string;
  readonly attempt: number;
  readonly payload: unknown;
  readonly startedAt: Date;
  outcome?: 'returned' | 'threw' | 'timed out';
}

class InvokeError extends DeclaredError {}

export class LambdaService implements SimService {
  readonly name = LAMBDA_SERVICE;
  readonly #functions = new Map<string, SimFunction>();
  readonly #invocations: SimInvocation[] = [];
  readonly #running = new Set<Promise<void>>();
  #held: (() => void)[] | undefined;

  /** Deploys `config.handler` as the function `config.name` (replacing one of that name). */
  deploy(config: SimFunctionConfig): string {
    const fn = {
      ...functionSchema.parse({
        name: config.name,
        region: config.region,
        account: config.account ?? '111111111111',
        timeoutSeconds: config.timeoutSeconds,
        memorySizeMb: config.memorySizeMb ?? 128,
        asyncDeliveries: config.asyncDeliveries ?? 1,
        retryAttempts: config.retryAttempts ?? 2,
        ...(config.onFailure ? { onFailure: config.onFailure } : {}),
      }),
      handler: config.handler,
    };
    const arn = functionArn(fn);
    this.#functions.set(arn, fn);
    return arn;
  }

  /** Every handler run so far, oldest first. */
  invocations(functionName?: string): readonly SimInvocation[] {
    return this.#invocations.filter((run) => functionName === undefined || run.functionName === functionName);
  }

  /** Keep asynchronous events queued until {@link release}. */
  hold(): void {
    this.#held ??= [];
  }

  /** Run the held events and stop holding. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const start of held) start();
  }

  /** Resolves once every queued asynchronous event, and every event those queued, has run. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  matches(request: SimRequest): boolean {
    return request.signingService === LAMBDA_SERVICE || INVOKE_PATH.test(request.path);
  }

  operation(request: SimRequest): string {
    return INVOKE_PATH.test(request.path) ? 'Invoke' : `${request.method} ${request.path}`;
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const authError = restJsonAuthError(request);
    if (authError) return authError;
    const path = INVOKE_PATH.exec(request.path);
    if (request.method !== 'POST' || !path) {
      return jsonError(
        404,
        'UnknownOperationException',
        `The simulated Lambda has no ${request.method} ${request.path}`,
      );
    }
    try {
      const input = invokeInput(request, decodeURIComponent(path[1] ?? ''));
      const fn = this.#resolve(input, request);
      if (!('handler' in fn)) return fn;
      const payload = parsePayload(request.body, input.InvocationType ?? 'RequestResponse');
      switch (input.InvocationType ?? 'RequestResponse') {
        case 'DryRun':
          return { status: 204, headers: { 'x-amzn-requestid': randomUUID() }, body: '' };
        case 'Event':
          this.#queue(fn, payload);
          return { status: 202, headers: { 'x-amzn-requestid': randomUUID() }, body: '' };
        default:
          return await this.#runSync(fn, payload);
      }
    } catch (error) {
      if (!(error instanceof InvokeError)) throw error;
      const { status } = modelError('lambda', 'Invoke', error.shape);
      return jsonError(status, error.shape, error.message, { Type: 'User' });
    }
  }

  #resolve(input: InvokeInput, request: SimRequest): SimFunction | SimResponse {
    const match = FUNCTION_NAME.exec(input.FunctionName);
    if (!match) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `1 validation error detected: Value '${input.FunctionName}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`,
      );
    }
    const [, arnRegion, arnAccount, name = '', qualifierInName] = match;
    const region = request.signingRegion ?? '';
    const account = arnAccount ?? request.callerAccount ?? '';
    if (arnRegion !== undefined && arnRegion !== region) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `The region in the function ARN (${arnRegion}) is not the region the request was sent to (${region})`,
      );
    }
    if (account !== request.callerAccount) {
      return jsonError(
        403,
        'AccessDeniedException',
        `User: arn:aws:iam::${request.callerAccount}:user/certctl-operator is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:${region}:${account}:function:${name}`,
      );
    }
    const qualifier = input.Qualifier ?? qualifierInName;
    const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
    const fn = this.#functions.get(arn);
    if (!fn || (qualifier !== undefined && qualifier !== '$LATEST')) {
      throw new InvokeError(
        'ResourceNotFoundException',
        `Function not found: ${arn}${qualifier === undefined ? '' : `:${qualifier}`}`,
      );
    }
    return fn;
  }

  async #runSync(fn: SimFunction, payload: unknown): Promise<SimResponse> {
    const requestId = randomUUID();
    const run = this.#record(fn, 'RequestResponse', requestId, 1, payload);
    const result = await this.#run(fn, payload, requestId, run);
    const headers = {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
    };
    if (result.ok) return { status: 200, headers, body: JSON.stringify(result.value ?? null) };
    return {
      status: 200,
      headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify(result.error),
    };
  }

  #queue(fn: SimFunction, payload: unknown): void {
    const requestId = randomUUID();
    const deliver = (attempt: number): Promise<void> =>
      (async () => {
        const run = this.#record(fn, 'Event', requestId, attempt, payload);
        const result = await this.#run(fn, payload, requestId, run);
        if (result.ok) return;
        if (attempt <= fn.retryAttempts) await deliver(attempt + 1);
        else this.#sendToOnFailure(fn, requestId, attempt, payload, result.error);
      })();
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    })
      .then(() => new Promise((next) => setImmediate(next)))
      .then(() => Promise.all(Array.from({ length: fn.asyncDeliveries }, () => deliver(1))))
      .then(() => undefined);
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
    if (this.#held) this.#held.push(started);
    else started();
  }

  /** Queue the invocation record of a failed event to the function's on-failure destination. */
  #sendToOnFailure(
    fn: SimFunction,
    requestId: string,
    attempts: number,
    payload: unknown,
    error: Record<string, unknown>,
  ): void {
    if (!fn.onFailure) return;
    const destination = this.#functions.get(functionArn({ ...fn, name: fn.onFailure }));
    if (!destination) throw new Error(`on-failure destination ${fn.onFailure} is not deployed`);
    this.#queue(destination, {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${functionArn(fn)}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    });
  }

  #record(
    fn: SimFunction,
    invocationType: SimInvocation['invocationType'],
    requestId: string,
    attempt: number,
    payload: unknown,
  ): SimInvocation {
    const run: SimInvocation = {
      functionName: fn.name,
      invocationType,
      requestId,
      attempt,
      payload,
      startedAt: new Date(),
    };
    this.#invocations.push(run);
    return run;
  }

  /** Runs the handler within the function's timeout; the error document when it throws or times out. */
  async #run(
    fn: SimFunction,
    payload: unknown,
    requestId: string,
    run: SimInvocation,
  ): Promise<{ ok: true; value: unknown } | { ok: false; error: Record<string, unknown> }> {
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context: SimLambdaContext = {
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn(fn),
      memoryLimitInMB: String(fn.memorySizeMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), fn.timeoutSeconds * 1000);
    });
    try {
      const value = await Promise.race([
        Promise.resolve().then(() => fn.handler(payload, context)),
        timedOut,
      ]);
      if (value === 'timed out') {
        run.outcome = 'timed out';
        return {
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        };
      }
      run.outcome = 'returned';
      return { ok: true, value };
    } catch (error) {
      run.outcome = 'threw';
      const thrown = error instanceof Error ? error : new Error(String(error));
      return {
        ok: false,
        error: {
          errorType: thrown.name,
          errorMessage: thrown.message,
          trace: (thrown.stack ?? '').split('\n'),
        },
      };
    } finally {
      clearTimeout(timer);
    }
  }

  throttled(): SimResponse {
    const { status } = modelError('lambda', 'Invoke', 'TooManyRequestsException');
    return jsonError(status, 'TooManyRequestsException', 'Rate Exceeded.', {
      Type: 'User',
      Reason: 'CallerRateLimitExceeded',
    });
  }

  serverError(): SimResponse {
    const { status } = modelError('lambda', 'Invoke', 'ServiceException');
    return jsonError(status, 'ServiceException', 'An internal error occurred.', { Type: 'Service' });
  }
}

function functionArn(fn: { region: string; account: string; name: string }): string {
  return `arn:aws:lambda:${fn.region}:${fn.account}:function:${fn.name}`;
}

interface InvokeInput {
  readonly FunctionName: string;
  readonly InvocationType?: 'Event' | 'RequestResponse' | 'DryRun';
  readonly Qualifier?: string;
  readonly [member: string]: unknown;
}

/** Invoke's input as the model places it: FunctionName from the URI, the rest from headers and query. */
function invokeInput(request: SimRequest, functionName: string): InvokeInput {
  const input: Record<string, unknown> = { FunctionName: functionName };
  for (const { member, name } of modelLocatedMembers('lambda', 'Invoke', 'header')) {
    const value = request.headers[name.toLowerCase()];
    if (typeof value === 'string') input[member] = value;
  }
  for (const { member, name } of modelLocatedMembers('lambda', 'Invoke', 'querystring')) {
    const value = request.query.get(name);
    if (value !== null) input[member] = value;
  }
  const problem = modelViolation('lambda', 'Invoke', input);
  if (problem) {
    throw new InvokeError('InvalidParameterValueException', `1 validation error detected: ${problem}`);
  }
  return input as InvokeInput;
}

/** The event: the payload's JSON (an empty payload is `{}`), within the invocation type's limit. */
function parsePayload(body: Buffer, invocationType: string): unknown {
  const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
  if (body.length > limit) {
    throw new InvokeError(
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the ${invocationType === 'Event' ? 'InvokeAsync' : 'Invoke'} operation`,
    );
  }
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvokeError(
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`,
    );
  }
}

export function lambdaService(): LambdaService {
  return new LambdaService();
}
