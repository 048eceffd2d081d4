/**
 * The local cloud simulator: one HTTP server on 127.0.0.1 that speaks the real wire protocols, so
 * unmodified SDK clients run against it with only `endpoint: sim.endpoint` and simulator
 * credentials (test/sim/accounts.ts).
 *
 * Each request is read in full, its SigV4 credential scope gives the signing region, service and
 * caller account, and it goes to the first service that claims it. Fault injection (latency,
 * throttling, 5xx, region outages) happens here, in each service's own error format.
 *
 * A region outage answers 503 in the service's protocol (`ServiceUnavailable`) rather than
 * resetting the connection: SDK v3 retries both, but a 503 is what a regional AWS endpoint in
 * trouble actually returns, it reaches the caller as a typed service error with an HTTP status
 * (not a socket error that could also mean "simulator not running"), and it cannot poison the
 * keep-alive connections other regions' requests share.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { accountOfAccessKey } from './accounts.ts';
import { FaultInjector, type Faults, type ResolvedFaults } from './faults.ts';
import { queryParams } from './protocols/aws-query.ts';
import { jsonError } from './protocols/rest-json.ts';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from './service.ts';
import { buildSimServices } from './services/index.ts';
import { parseSigV4Scope } from './signing.ts';
import { SimStats, type SimStatsSnapshot, UNMATCHED_SERVICE } from './stats.ts';

export interface StartSimOptions {
  /** What the clouds contain (validated here; `loadScenario` or `generateFleet` make one). */
  readonly scenario: ScenarioInput;
  /** 0 or absent: a random free port. */
  readonly port?: number;
  readonly faults?: Faults;
  /** The simulator clock, against which scenario times are resolved; default: the real clock. */
  readonly clock?: () => Date;
  /** Services tried before the registered ones (tests of the server itself). */
  readonly extraServices?: readonly SimService[];
  /**
   * Benchmarks only: a request the simulator has answered before (same service, caller account,
   * signing region, method, URL, body and meaningful headers, see {@link answerKey}) gets the same
   * successful answer again without being served anew. A real API answers from many machines at
   * once, its serialization inside the latency it is measured by; the simulator serves from one
   * thread and serialized about 6 ms per realistic RDS page after the injected latency, so 48
   * concurrent pages queued about 290 ms behind each round trip and charged the server's CPU to the
   * client's wall time. Only for state that does not change between the requests (an audit reads).
   */
  readonly reuseAnswers?: boolean;
  /**
   * Benchmarks only: the injected latency runs from the moment the request is read, and the answer
   * is made within it (then sent when the latency is over, or at once when making it took longer).
   * By default the answer is made after the latency, so the time this one thread takes to serve
   * is added to every round trip, one request after another: in the GCP benchmark the 20
   * concurrent `instances.list` pages (200 KB each) left the simulator 7-11 ms apart after their
   * 50 ms, the last one more than 150 ms after its latency, where a real API serves them at once
   * on many machines. Latency faults only; throttling, 5xx and outages answer after the latency as
   * before.
   */
  readonly answerWithinLatency?: boolean;
  /**
   * Tests only: awaited before a request is answered (after the service is chosen, before the
   * injected latency), so a test can hold one answer until another request has arrived and pin an
   * order a loaded machine would otherwise decide.
   */
  readonly holdRequest?: (request: SimRequest) => Promise<void> | undefined;
}

/** A running simulator. */
export interface Sim {
  /** `http://127.0.0.1:<port>`, for every SDK client's `endpoint` (or `AWS_ENDPOINT_URL`). */
  readonly endpoint: string;
  readonly port: number;
  readonly scenario: Scenario;
  /** The services in routing order. */
  readonly services: readonly SimService[];
  /** A service by name (`rds`, `sts`, …), to inspect or change its state in tests. */
  service<T extends SimService = SimService>(name: string): T;
  /** The simulator clock. */
  now(): Date;
  /** Replaces the faults; decisions restart from the seed. */
  setFaults(faults: Faults): void;
  faults(): ResolvedFaults;
  /** Request counts per service, operation and region, and what fault injection did. */
  stats(): SimStatsSnapshot;
  resetStats(): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** The API operation when a service does not name it: query Action, JSON target, or method and path. */
function inferOperation(request: SimRequest): string {
  const action = queryParams(request).get('Action');
  if (action) return action;
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return `${request.method} ${request.path}`;
}

/** The SDK's attempt number (`amz-sdk-request: attempt=2; max=3`), 1 when absent. */
function attemptOf(request: IncomingMessage): number {
  const header = request.headers['amz-sdk-request'];
  const match = typeof header === 'string' ? /attempt=(\d+)/.exec(header) : null;
  return match ? Number(match[1]) : 1;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, answer: SimResponse, method: string | undefined): void {
  if (response.destroyed || response.writableEnded) return;
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  // A HEAD answer has no body but announces the length a GET would send (S3 HeadObject).
  const length = method === 'HEAD' ? (answer.headers?.['content-length'] ?? '0') : String(body.length);
  response.writeHead(answer.status, { ...answer.headers, 'content-length': length });
  response.end(body);
}

function unmatched(request: SimRequest, services: readonly SimService[]): SimResponse {
  const signed = request.signingService
    ? ` (signed for service '${request.signingService}' in ${request.signingRegion})`
    : ' (unsigned)';
  return jsonError(
    404,
    'UnknownOperationException',
    `The simulator has no service for ${request.method} ${request.path}${signed}. ` +
      `Simulated services: ${services.map((service) => service.name).join(', ')}.`,
  );
}

/**
 * Headers that differ between two sends of the same request (signature, time, invocation id,
 * attempt, client identification, connection): left out of {@link answerKey}. Every other header
 * (`x-amz-target`, `range`, `content-type`, …) can change the answer and is part of the key.
 */
const VOLATILE_HEADERS = new Set([
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'user-agent',
  'x-amz-user-agent',
  'x-goog-api-client',
  'host',
  'connection',
  'content-length',
]);

/** What makes two requests the same request, for {@link StartSimOptions.reuseAnswers}. */
export function answerKey(service: string, request: SimRequest, rawUrl: string): string {
  const headers = Object.entries(request.headers)
    .filter(([name]) => !VOLATILE_HEADERS.has(name))
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : (value ?? '')}`)
    .sort()
    .join('\n');
  return `${service}\n${request.callerAccount ?? ''}\n${request.signingRegion ?? ''}\n${request.method} ${rawUrl}\n${headers}\n\n${request.body.toString('latin1')}`;
}

/** Starts the simulator and resolves once it listens. */
export async function startSim(options: StartSimOptions): Promise<Sim> {
  const scenario = parseScenario(options.scenario);
  const clock = options.clock ?? (() => new Date());
  const context: SimContext = { now: clock };
  const services = [...(options.extraServices ?? []), ...buildSimServices(scenario, context)];
  const faults = new FaultInjector(options.faults);
  const stats = new SimStats();
  const answered = options.reuseAnswers ? new Map<string, SimResponse>() : undefined;

  async function answer(incoming: IncomingMessage): Promise<SimResponse> {
    const received = performance.now();
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? '/', `http://${HOST}`);
    const scope = parseSigV4Scope(incoming.headers, url.searchParams);
    const request: SimRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
      signingRegion: scope?.region,
      signingService: scope?.service,
      accessKeyId: scope?.accessKeyId,
      callerAccount: accountOfAccessKey(scope?.accessKeyId),
    };
    const service = services.find((candidate) => candidate.matches(request));
    if (!service) {
      stats.record(
        UNMATCHED_SERVICE,
        `${request.method} ${request.path}`,
        request.signingRegion,
        attemptOf(incoming),
      );
      return unmatched(request, services);
    }
    const operation = service.operation?.(request) ?? inferOperation(request);
    stats.record(service.name, operation, request.signingRegion, attemptOf(incoming));
    await options.holdRequest?.(request);
    const decision = faults.decide({
      service: service.name,
      operation,
      region: request.signingRegion,
      callerAccount: request.callerAccount,
      method: request.method,
      url: incoming.url ?? '/',
      body,
    });
    stats.recordFault(decision.outcome, decision.delayMs);
    const withinLatency = options.answerWithinLatency === true && decision.outcome === undefined;
    if (decision.delayMs > 0 && !withinLatency) await sleep(decision.delayMs);
    switch (decision.outcome) {
      case 'regionDown':
        return service.unavailable?.(request) ?? { ...service.serverError(request), status: 503 };
      case 'throttled':
        return service.throttled(request, decision.injected);
      case 'serverError':
        return service.serverError(request);
      default: {
        const key = answered ? answerKey(service.name, request, incoming.url ?? '/') : undefined;
        const reused = key === undefined ? undefined : answered?.get(key);
        const response = reused ?? (await service.handle(request, context));
        stats.recordBytes(service.name, Buffer.byteLength(response.body));
        if (key !== undefined && !reused && response.status >= 200 && response.status < 300) {
          // Kept as bytes: a reused answer is only written to the socket.
          answered?.set(key, { ...response, body: Buffer.from(response.body) });
        }
        if (withinLatency) {
          const left = decision.delayMs - (performance.now() - received);
          if (left > 0) await sleep(left);
        }
        return response;
      }
    }
  }

  const server: Server = createServer((incoming, response) => {
    answer(incoming).then(
      (simResponse) => send(response, simResponse, incoming.method),
      (error: unknown) => {
        // A simulator bug, not a simulated fault: say so loudly in the answer.
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        send(
          response,
          jsonError(500, 'SimulatorFailure', `The simulator failed: ${message}`),
          incoming.method,
        );
      },
    );
  });
  // Node closes a keep-alive connection idle 5 s by default; a client that reuses it in the same
  // instant gets ECONNRESET. A run paced by throttling (the AWS clients' adaptive retry mode) leaves
  // connections idle that long, and on a loaded machine the race made a throttled call end in
  // ECONNRESET instead of the throttling under test. Kept 30 s here, longer than any pause of a
  // test's run; `close` ends every connection itself.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://${HOST}:${port}`,
    port,
    scenario,
    services,
    service<T extends SimService = SimService>(name: string): T {
      const found = services.find((service) => service.name === name);
      if (!found)
        throw new Error(
          `The simulator has no service ${name}; it has ${services.map((s) => s.name).join(', ')}`,
        );
      return found as T;
    },
    now: clock,
    setFaults: (next) => faults.set(next),
    faults: () => faults.faults,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
