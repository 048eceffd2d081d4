/**
 * The contract between the simulator's HTTP server and each simulated service. A service decides
 * whether a request is its own (`matches`), answers it in the real wire protocol (`handle`), and
 * says how a throttling or 5xx answer looks in that protocol so the server can inject faults.
 *
 * Each service lives in its own file under test/sim/services/ and parses its own section of the
 * scenario (`scenario.services[name]`), so new services slot in without touching the others.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { InjectedFailure } from './faults.ts';

export interface SimRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** From the SigV4 credential scope (`.../<date>/<region>/<service>/aws4_request`), when signed. */
  readonly signingRegion: string | undefined;
  /** From the SigV4 credential scope, when signed (`rds`, `sts`, `securityhub`, `account`, …). */
  readonly signingService: string | undefined;
  /** The access key id of a signed request. */
  readonly accessKeyId: string | undefined;
  /** The AWS account the access key belongs to (see test/sim/accounts.ts), when signed. */
  readonly callerAccount: string | undefined;
}

export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export interface SimContext {
  /** The simulator's clock (tests may freeze or move it). */
  now(): Date;
}

export interface SimService {
  /** Also the key for per-service fault injection (`faults.services`). */
  readonly name: string;
  matches(request: SimRequest): boolean;
  handle(request: SimRequest, context: SimContext): Promise<SimResponse> | SimResponse;
  /**
   * The protocol's throttling answer (e.g. RDS `Throttling` XML with HTTP 400); with `injected`
   * (`faults.throttleCode`), a service that can answers that code instead, with its status and
   * message, in its protocol's error shape.
   */
  throttled(request: SimRequest, injected?: InjectedFailure): SimResponse;
  /** The protocol's internal error answer (HTTP 500/503). */
  serverError(request: SimRequest): SimResponse;
  /**
   * The protocol's 503 "service unavailable" answer, used for whole-region outages. When absent,
   * the server sends `serverError` with status 503.
   */
  unavailable?(request: SimRequest): SimResponse;
  /**
   * The API operation a request calls (`DescribeDBInstances`), for per-operation request counts.
   * When absent, the server uses the query `Action`, the `X-Amz-Target` suffix, or `METHOD /path`.
   */
  operation?(request: SimRequest): string;
}

/** Builds a service from its scenario section (unknown until the service parses it). */
export type SimServiceFactory = (section: unknown, context: SimContext) => SimService;
