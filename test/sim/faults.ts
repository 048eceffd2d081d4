/**
 * Fault injection: latency, throttling (with the service's own code or another passing one), 5xx
 * answers and whole-region outages, optionally limited to some services, operations, requests
 * (`containing`) and first attempts. Every random decision is a hash of (seed, request content, how many times that
 * same request was seen), not a draw from a shared stream, so the same workload gets the same
 * faults even when its requests arrive in a different order (concurrent pages, parallel regions),
 * and a retry of a throttled call gets a fresh decision.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The HTTP status each passing failure's code comes with, for every simulated service: one table,
 * so a service answering `faults.throttleCode` only renders it in its protocol. AWS: the throttling
 * of the query and JSON protocols is 400 (RDS `Throttling`, the JSON services'
 * `ThrottlingException`, EC2's `RequestLimitExceeded`; AWS "Common Errors"), S3's `SlowDown` 503
 * and its `RequestTimeout` 400 (S3 API reference, "Error responses"); `TooManyRequestsException`
 * 429 as Lambda and API Gateway send it; the internal errors 500, unavailable 503, a request timeout
 * 408. Google: each `google.rpc.Code` with the HTTP status google/rpc/code.proto maps it to, and
 * Cloud Storage's JSON API reasons (`rateLimitExceeded` 429, `backendError` 503, `internalError`
 * 500; Cloud Storage "HTTP status and error codes").
 */
export const INJECTED_CODE_STATUS: Readonly<Record<string, number>> = {
  Throttling: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 400,
  SlowDown: 503,
  TooManyRequestsException: 429,
  InternalServiceError: 500,
  InternalFailure: 500,
  InternalError: 500,
  InternalServerError: 500,
  KMSInternalException: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  RequestTimeout: 400,
  RequestTimeoutException: 408,
  RESOURCE_EXHAUSTED: 429,
  ABORTED: 409,
  INTERNAL: 500,
  UNKNOWN: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  rateLimitExceeded: 429,
  backendError: 503,
  internalError: 500,
};

/**
 * A failure the faults name for a service to answer instead of its own throttling: the code, the
 * HTTP status it comes with, and a message (the throttling's "Rate exceeded", else one naming the
 * code; never a request's content).
 */
export interface InjectedFailure {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

/** The {@link InjectedFailure} of `code` (one of {@link INJECTED_CODE_STATUS}'s). */
export function injectedFailure(code: string): InjectedFailure {
  const status = INJECTED_CODE_STATUS[code] ?? 500;
  return {
    code,
    status,
    message: status === 400 || status === 429 ? 'Rate exceeded' : `The service answered ${code}.`,
  };
}

export const faultsSchema = z.strictObject({
  /** Added to every request of an affected service. */
  latencyMs: z.number().min(0).max(60_000).default(0),
  /** Up to this much more, uniformly distributed. */
  latencyJitterMs: z.number().min(0).max(60_000).default(0),
  /** Share of requests answered with the service's throttling error (0..1). */
  throttleRate: z.number().min(0).max(1).default(0),
  /**
   * The code the throttling answer carries instead of the service's own (`TooManyRequestsException`,
   * `InternalServiceError`, `RequestTimeoutException`, Google's `UNAVAILABLE`, …), with the HTTP
   * status that code comes with ({@link INJECTED_CODE_STATUS}), so a caller's handling of every
   * passing failure is tried through the real clients. The services whose `throttled` renders an
   * {@link InjectedFailure} answer it (RDS, S3, Secrets Manager, KMS, Cloud SQL, Cloud Storage,
   * Secret Manager); the others answer their own.
   */
  throttleCode: z
    .string()
    .refine((code) => Object.hasOwn(INJECTED_CODE_STATUS, code), {
      message: 'must be a code of the injected-failure table (test/sim/faults.ts INJECTED_CODE_STATUS)',
    })
    .optional(),
  /** Share of requests answered with the service's internal error (0..1). */
  errorRate: z.number().min(0).max(1).default(0),
  /** Regions in outage: every request signed for one of them gets a 503 ServiceUnavailable. */
  downRegions: z.array(z.string().min(1)).default([]),
  /** When given, faults apply only to these services (`rds`, `sts`, `account`, …). */
  services: z.array(z.string().min(1)).optional(),
  /** When given, faults apply only to these operations (`DescribeSecret`, `secrets.get`, …). */
  operations: z.array(z.string().min(1)).optional(),
  /** When given, faults apply only to requests signed for these regions (one Region's scope). */
  regions: z.array(z.string().min(1)).optional(),
  /** When given, faults apply only to requests whose URL or body holds this text (one secret's name). */
  containing: z.string().min(1).optional(),
  /**
   * When given, a request is throttled or failed only the first this many times it is seen: its
   * retries after that are answered (with `throttleRate: 1`, a call that succeeds on its
   * `failedAttempts + 1`th attempt).
   */
  failedAttempts: z.int().min(0).optional(),
  /** Seed of the deterministic decisions. */
  seed: z.int().default(1),
});

/** Faults as callers write them (every field optional). */
export type Faults = z.input<typeof faultsSchema>;
/** Faults with defaults applied. */
export type ResolvedFaults = z.output<typeof faultsSchema>;

/** What the injector decided for one request. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly outcome: 'regionDown' | 'throttled' | 'serverError' | undefined;
  /** What a `throttled` answer carries, when not the service's own throttling (`faults.throttleCode`). */
  readonly injected?: InjectedFailure;
}

const NO_FAULT: FaultDecision = { delayMs: 0, outcome: undefined };

/** Identifies "the same request" across retries: everything the SDK sends except signing noise. */
export interface FaultRequestKey {
  readonly service: string;
  /** The operation called; not part of the request's identity (the URL and body are). */
  readonly operation?: string;
  readonly region: string | undefined;
  readonly callerAccount: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
}

export class FaultInjector {
  #faults: ResolvedFaults;
  #downRegions: ReadonlySet<string>;
  #services: ReadonlySet<string> | undefined;
  readonly #seen = new Map<string, number>();

  constructor(faults: Faults = {}) {
    this.#faults = faultsSchema.parse(faults);
    this.#downRegions = new Set(this.#faults.downRegions);
    this.#services = this.#faults.services ? new Set(this.#faults.services) : undefined;
  }

  get faults(): ResolvedFaults {
    return this.#faults;
  }

  /** Replaces the faults and restarts the decision sequence (same seed, same decisions). */
  set(faults: Faults): void {
    this.#faults = faultsSchema.parse(faults);
    this.#downRegions = new Set(this.#faults.downRegions);
    this.#services = this.#faults.services ? new Set(this.#faults.services) : undefined;
    this.#seen.clear();
  }

  decide(key: FaultRequestKey): FaultDecision {
    const faults = this.#faults;
    if (this.#services && !this.#services.has(key.service)) return NO_FAULT;
    if (faults.operations && !faults.operations.includes(key.operation ?? '')) return NO_FAULT;
    if (faults.regions && !faults.regions.includes(key.region ?? '')) return NO_FAULT;
    if (
      faults.containing !== undefined &&
      !key.url.includes(faults.containing) &&
      !key.body.includes(faults.containing)
    )
      return NO_FAULT;
    const random = faults.throttleRate > 0 || faults.errorRate > 0 || faults.latencyJitterMs > 0;
    const draws = random ? this.#draws(key) : undefined;
    const delayMs = faults.latencyMs + (draws ? draws.jitter * faults.latencyJitterMs : 0);
    if (key.region !== undefined && this.#downRegions.has(key.region))
      return { delayMs, outcome: 'regionDown' };
    const failing =
      draws !== undefined &&
      (faults.failedAttempts === undefined || draws.occurrence < faults.failedAttempts);
    if (failing && draws.throttle < faults.throttleRate)
      return {
        delayMs,
        outcome: 'throttled',
        ...(faults.throttleCode !== undefined ? { injected: injectedFailure(faults.throttleCode) } : {}),
      };
    if (failing && draws.error < faults.errorRate) return { delayMs, outcome: 'serverError' };
    return delayMs > 0 ? { delayMs, outcome: undefined } : NO_FAULT;
  }

  /** Three independent uniform numbers in [0, 1) for this occurrence (counted from 0) of this request. */
  #draws(key: FaultRequestKey): { throttle: number; error: number; jitter: number; occurrence: number } {
    const identity = createHash('sha256')
      .update(`${key.service}\n${key.region ?? ''}\n${key.callerAccount ?? ''}\n${key.method} ${key.url}\n`)
      .update(key.body)
      .digest('base64');
    const occurrence = this.#seen.get(identity) ?? 0;
    this.#seen.set(identity, occurrence + 1);
    const digest = createHash('sha256').update(`${this.#faults.seed}\n${identity}\n${occurrence}`).digest();
    const unit = (offset: number): number => digest.readUInt32BE(offset) / 2 ** 32;
    return { throttle: unit(0), error: unit(4), jitter: unit(8), occurrence };
  }
}
