/**
 * The audited side of bench/audit-dumps.ts, in its own process so its CPU time is the audit's alone
 * (the simulator runs in the parent). Runs the audit twice, each time with a fresh client factory
 * (new clients, new sockets): the first pays what a new function instance's first audit pays,
 * running code the JIT has not compiled yet and growing the heap; the second is
 * the audit's own work. Prints one JSON line with both runs' figures, including the API calls each
 * sent and the bytes its GetObject calls received (the ranged header reads).
 *
 * The collector is the one the `audit-dumps` Lambda passes (functions/handlers/aws/audit-dumps.ts),
 * imported statically as there: the Lambda loads @aws-sdk/client-s3 and the collector at init,
 * which bench:bundles measures (`init`), not during its first audit. `node:http` is imported
 * before the first audit too (child-side.ts `loadSimulatorTransport`: the simulator's plain HTTP
 * is no part of a deployed audit). With `BENCH_CPU_PROFILE=<file>` the second run is profiled (node:inspector) and
 * the profile written there (open it in Chrome DevTools or speedscope); with
 * `BENCH_CPU_PROFILE_RUN=first` too, the first run instead (it runs from sources, so module loads
 * of its own weigh more than in the bundle). `BENCH_TIMELINE=<file>` writes the first run's
 * requests there ({@link timed}).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import {
  type AuditedAccount,
  AwsClientFactory,
  type ClientConnections,
  type ClientConstructor,
} from '../functions/aws/clients.ts';
import { prepareAwsPlanning } from '../functions/aws/planner.ts';
import { s3DumpsCollector } from '../functions/aws/s3-dumps.ts';
import { parsePolicy } from '../functions/core/policy.ts';
import { runAuditReport } from '../functions/jobs/audit.ts';
import { checkGroup } from '../functions/jobs/groups.ts';
import { simCredentials } from '../test/sim/accounts.ts';
import {
  type AuditFigures,
  type CriticalPath,
  loadSimulatorTransport,
  measureAudit,
  reportFigures,
  watchCriticalPath,
} from './child-side.ts';

const endpoint = process.env.BENCH_ENDPOINT;
const policyJson = process.env.BENCH_POLICY;
const profileFile = process.env.BENCH_CPU_PROFILE;
/** Which audit `BENCH_CPU_PROFILE` profiles: `second` (the warm one, the default) or `first` (the headline). */
const profileWhich = process.env.BENCH_CPU_PROFILE_RUN === 'first' ? 'first' : 'second';
const timelineFile = process.env.BENCH_TIMELINE;
if (!endpoint || !policyJson) throw new Error('run bench/audit-dumps.ts, not this file');

const policy = parsePolicy(JSON.parse(policyJson));

/** What one audit run reports. */
export interface DumpsRunFigures extends AuditFigures {
  /** HTTP requests the clients sent (every attempt, retries included). */
  readonly calls: number;
  readonly rangedBytes: number;
  readonly rangedReads: number;
  /** The first answer after GetCallerIdentity's, and the main thread's CPU after it. */
  readonly criticalPath: CriticalPath;
}

/**
 * A factory whose clients count the bytes of their GetObject answers, at each client's request
 * handler: the ranged reads go out on the lean S3 path (functions/aws/s3-wire.ts), past the
 * client's middleware stack, and KMS DescribeKey on the lean JSON path. The requests themselves are
 * counted apart ({@link audit}).
 */
class CountingFactory extends AwsClientFactory {
  rangedBytes = 0;
  rangedReads = 0;
  readonly #counted = new WeakSet<object>();

  override client<C>(
    ctor: ClientConstructor<C>,
    region: string,
    account?: AuditedAccount,
    connections?: ClientConnections,
  ): C {
    const client = super.client(ctor, region, account, connections);
    const handler = (client as { config?: { requestHandler?: RequestHandlerLike } }).config?.requestHandler;
    if (handler && !this.#counted.has(client as object)) {
      this.#counted.add(client as object);
      const handle = handler.handle.bind(handler);
      // Once per attempt, whichever path sent it; GetObject is the only call with `x-id=GetObject`.
      handler.handle = async (request, options) => {
        const result = await handle(request, options);
        if (request.query?.['x-id'] === 'GetObject') {
          this.rangedBytes += Number(result.response.headers?.['content-length'] ?? 0);
          this.rangedReads += 1;
        }
        return result;
      };
    }
    return client;
  }
}

/** What the counting reads of a client's request handler. */
interface RequestHandlerLike {
  handle(
    request: { readonly query?: Record<string, unknown> },
    options?: unknown,
  ): Promise<{ readonly response: { readonly headers?: Record<string, string> } }>;
}

async function audit(): Promise<DumpsRunFigures> {
  const factory = new CountingFactory({
    maxAttempts: policy.aws.maxAttempts,
    credentials: simCredentials(),
    endpoint,
  });
  // What the Lambda's init does after building its factory (functions/handlers/aws/audit-handler.ts,
  // `ready`, awaited at the top of the handler module): the endpoint settings and the STS client
  // every run makes first. bench:bundles measures it as part of the function's init.
  await prepareAwsPlanning(policy, factory, {
    groups: ['dumps'],
    placesOf: (name) => checkGroup(name)?.places?.(policy, 'aws'),
  });
  // Every HTTP request the audit sends, whichever path sent it: this process sends no other.
  let calls = 0;
  const count = () => {
    calls += 1;
  };
  subscribe('http.client.request.start', count);
  // GetCallerIdentity is the one call every other waits for.
  const path = watchCriticalPath(1);
  try {
    const figures = await measureAudit(() =>
      runAuditReport(
        { providers: ['aws'], groups: ['dumps'] },
        { policy, aws: { factory, collectors: { dumps: s3DumpsCollector } } },
      ),
    );
    return {
      ...figures,
      calls,
      rangedBytes: factory.rangedBytes,
      rangedReads: factory.rangedReads,
      criticalPath: path.stop(),
    };
  } finally {
    unsubscribe('http.client.request.start', count);
    path.stop();
    factory.destroy();
  }
}

/** Runs `run` under the CPU profiler when `BENCH_CPU_PROFILE` names a file, else just runs it. */
async function profiled<T>(run: () => Promise<T>): Promise<T> {
  if (!profileFile) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 0.1 ms samples: the audit's CPU is a few hundred ms, spread over many short functions.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const result = await run();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await writeFile(profileFile, JSON.stringify(profile));
  return result;
}

/** What the timeline reads of a Node `ClientRequest` (node:http). */
interface TimedRequest {
  readonly method: string;
  readonly path: string;
  /** Whether the request went out on a kept-alive connection rather than a new one. */
  readonly reusedSocket: boolean;
  getHeader(name: string): unknown;
  once(event: 'finish', listener: () => void): unknown;
}

/**
 * With `BENCH_TIMELINE=<file>`, every HTTP request of the first audit (the headline) as one line,
 * in ms from the audit's start: when it was made, when it was written out (after its connection
 * was open), when its answer's headers and the end of its body were read, whether its connection
 * was new or kept alive, and what it asked. It shows the idle gaps between calls that wait for
 * each other, the requests that wait for a connection, and the answers that wait for the event
 * loop. Node publishes `http.client.response.finish` once an answer's headers are parsed.
 */
async function timed<T>(run: () => Promise<T>): Promise<T> {
  if (!timelineFile) return run();
  const origin = performance.now();
  const since = () => performance.now() - origin;
  const ms = (time: number | undefined) => (time ?? Number.NaN).toFixed(1).padStart(7);
  const times = new Map<TimedRequest, { made: number; written?: number; answered?: number }>();
  const lines: { readonly at: number; readonly line: string }[] = [];
  const onStart = (message: unknown) => {
    const { request } = message as { request: TimedRequest };
    const entry: { made: number; written?: number } = { made: since() };
    times.set(request, entry);
    request.once('finish', () => {
      entry.written = since();
    });
  };
  const onAnswer = (message: unknown) => {
    const { request, response } = message as {
      request: TimedRequest;
      response: { once(event: 'end', listener: () => void): unknown };
    };
    const entry = times.get(request);
    if (!entry) return;
    entry.answered = since();
    response.once('end', () => {
      const target = request.getHeader('x-amz-target');
      lines.push({
        at: entry.made,
        line: `${ms(entry.made)} ${ms(entry.written)} ${ms(entry.answered)} ${ms(since())} ${request.reusedSocket ? 'kept' : 'new '} ${request.method} ${request.path}${target ? ` ${String(target)}` : ''}`,
      });
    });
  };
  subscribe('http.client.request.start', onStart);
  subscribe('http.client.response.finish', onAnswer);
  try {
    const result = await run();
    lines.push({ at: since(), line: `${ms(since())} audit finished` });
    return result;
  } finally {
    unsubscribe('http.client.request.start', onStart);
    unsubscribe('http.client.response.finish', onAnswer);
    const header = '   made written headers    read conn request';
    const sorted = lines.sort((a, b) => a.at - b.at).map((entry) => entry.line);
    await writeFile(timelineFile, `${[header, ...sorted].join('\n')}\n`);
  }
}

await loadSimulatorTransport();
const first = await timed(() => (profileWhich === 'first' ? profiled(audit) : audit()));
const second = profileWhich === 'first' ? await audit() : await profiled(audit);
reportFigures({ first, second });
