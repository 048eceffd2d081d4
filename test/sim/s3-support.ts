/**
 * Test helpers for the S3 simulator: real `@aws-sdk/client-s3` clients pointed at it path-style
 * (the IP endpoint) or virtual-hosted-style (`http://localhost:<port>`, so the SDK sends
 * `<bucket>.localhost`, which an HTTP agent resolves to 127.0.0.1 without touching DNS).
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { simCredentials } from './accounts.ts';
import type { InjectedFailure } from './faults.ts';
import type { Sim } from './server.ts';
import type { SimContext, SimRequest, SimResponse, SimService } from './service.ts';
import { s3Address } from './services/s3.ts';

export const DUMP_FIXTURE = 'test/fixtures/pg-dump/certctl-pg17.dump';
export const NOW = new Date('2026-12-02T12:00:00.000Z');

/**
 * The contents of a bucket (S3 or Cloud Storage) whose dump job writes a checksum after each dump,
 * with the console's folder placeholder from 90 days ago: the last run's dump never came (the
 * newest dump is 32 h old), its checksum did (8 h old). 35 dumps, 36 checksums, one placeholder.
 */
export const CHECKSUMMED_CONTENTS = {
  series: [
    { keyPrefix: 'prod/certctl-', count: 35, newest: '-32h', fixture: DUMP_FIXTURE, stampCreated: true },
    {
      keyPrefix: 'prod/certctl-',
      keySuffix: '.dump.sha256',
      count: 36,
      newest: '-8h',
      fixture: 'test/fixtures/pg-dump/certctl-pg15-plain-head.sql',
      size: 64,
    },
  ],
  objects: [{ key: 'prod/', body: '', lastModified: '-90d' }],
};

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves every host name (`certctl-dumps.localhost`) to the loopback simulator. */
export const loopbackAgent = new Agent({
  keepAlive: true,
  lookup: ((_host: string, options: LookupOptions, callback: LookupCallback) => {
    if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as never,
});

export type S3Addressing = 'path' | 'virtual-host';

/** A real S3 client against the simulator, signing for `region` as `account`. */
export function simS3Client(
  sim: Sim,
  region: string,
  addressing: S3Addressing = 'path',
  account?: string,
): S3Client {
  return new S3Client({
    region,
    credentials: simCredentials(account),
    endpoint: addressing === 'path' ? sim.endpoint : `http://localhost:${sim.port}`,
    forcePathStyle: false,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: loopbackAgent }),
  });
}

/** One S3 request as the simulator saw it: when it arrived, and when its answer left. */
export interface S3RequestEvent {
  readonly event: 'arrived' | 'answered';
  readonly operation: string;
  readonly bucket: string | undefined;
  /** The object key (GetObject, HeadObject), or the listing's `prefix` (ListObjectsV2). */
  readonly target: string;
}

/** Holds an answer until `until` holds over the requests seen so far (or `timeoutMs` passed). */
export interface S3AnswerHold {
  readonly until: (events: readonly S3RequestEvent[]) => boolean;
  /** So that a collector that never meets the condition fails its test instead of hanging it. */
  readonly timeoutMs: number;
}

/**
 * Records the S3 requests a test makes, in the order the simulator saw them arrive and answered
 * them, and holds chosen answers until other requests have arrived, so a test can assert what a
 * collector keeps in flight at once by ordering, never by timing. Pass it as `extraServices` to
 * {@link startSim}, then `attach` the simulator: it answers through the simulator's own S3 service.
 */
export class S3RequestRecorder implements SimService {
  readonly name = 's3-recorder';
  readonly events: S3RequestEvent[] = [];
  #s3: SimService | undefined;
  readonly #hold: (event: S3RequestEvent) => S3AnswerHold | undefined;
  readonly #waiting = new Set<() => void>();

  constructor(hold: (event: S3RequestEvent) => S3AnswerHold | undefined = () => undefined) {
    this.#hold = hold;
  }

  attach(sim: Sim): this {
    this.#s3 = sim.service('s3');
    return this;
  }

  /** The most requests of `operation` that had arrived and were not yet answered at one time. */
  peakInFlight(operation: string): number {
    let inFlight = 0;
    let peak = 0;
    for (const event of this.events) {
      if (event.operation !== operation) continue;
      inFlight += event.event === 'arrived' ? 1 : -1;
      peak = Math.max(peak, inFlight);
    }
    return peak;
  }

  /** Where the first event matching `test` is in the log (-1 when none). */
  indexOf(test: (event: S3RequestEvent) => boolean): number {
    return this.events.findIndex(test);
  }

  #inner(): SimService {
    if (!this.#s3) throw new Error('S3RequestRecorder: call attach(sim) before the first request');
    return this.#s3;
  }

  matches(request: SimRequest): boolean {
    return request.signingService === 's3';
  }

  operation(request: SimRequest): string {
    return this.#inner().operation?.(request) ?? request.method;
  }

  async handle(request: SimRequest, context: SimContext): Promise<SimResponse> {
    const { bucket, key } = s3Address(request);
    const operation = this.operation(request);
    const target = operation === 'ListObjectsV2' ? (request.query.get('prefix') ?? '') : key;
    const arrived: S3RequestEvent = { event: 'arrived', operation, bucket, target };
    this.#record(arrived);
    const hold = this.#hold(arrived);
    if (hold) await this.#until(hold);
    const answer = await this.#inner().handle(request, context);
    this.#record({ ...arrived, event: 'answered' });
    return answer;
  }

  #record(event: S3RequestEvent): void {
    this.events.push(event);
    for (const wake of [...this.#waiting]) wake();
  }

  #until({ until, timeoutMs }: S3AnswerHold): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(check);
        resolve();
      };
      const check = (): void => {
        if (until(this.events)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiting.add(check);
      check();
    });
  }

  throttled(request: SimRequest, injected?: InjectedFailure): SimResponse {
    return this.#inner().throttled(request, injected);
  }

  serverError(request: SimRequest): SimResponse {
    return this.#inner().serverError(request);
  }
}
