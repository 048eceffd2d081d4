/**
 * Request counters of the simulator, per (service, operation, region), plus what fault injection
 * did. Benchmarks compare API calls against the minimum with them; tests assert on them instead of
 * timing anything.
 */

/** One (service, operation, region) counter. */
export interface SimCallCount {
  readonly service: string;
  readonly operation: string;
  /** The SigV4 signing region, or `none` for unsigned requests. */
  readonly region: string;
  readonly count: number;
}

export interface SimFaultCounts {
  readonly throttled: number;
  readonly serverErrors: number;
  readonly regionDown: number;
  /** Requests that waited for injected latency, and the total wait. */
  readonly delayed: number;
  readonly injectedLatencyMs: number;
}

export interface SimStatsSnapshot {
  readonly requests: number;
  /** Requests the SDK marked as retries (`amz-sdk-request: attempt=N`, N > 1). */
  readonly retries: number;
  /** Requests no simulated service recognised. */
  readonly unmatched: number;
  readonly byService: Readonly<Record<string, number>>;
  /** Keyed `service:Operation`, e.g. `rds:DescribeDBInstances`. */
  readonly byOperation: Readonly<Record<string, number>>;
  readonly byRegion: Readonly<Record<string, number>>;
  readonly calls: readonly SimCallCount[];
  readonly faults: SimFaultCounts;
  /** Response body bytes the simulated services sent, per service (what a client had to read). */
  readonly bytesOut: Readonly<Record<string, number>>;
}

export const UNMATCHED_SERVICE = 'unmatched';
export const NO_REGION = 'none';

export class SimStats {
  readonly #calls = new Map<string, { service: string; operation: string; region: string; count: number }>();
  #retries = 0;
  #throttled = 0;
  #serverErrors = 0;
  #regionDown = 0;
  #delayed = 0;
  #injectedLatencyMs = 0;
  readonly #bytesOut = new Map<string, number>();

  recordBytes(service: string, bytes: number): void {
    this.#bytesOut.set(service, (this.#bytesOut.get(service) ?? 0) + bytes);
  }

  record(service: string, operation: string, region: string | undefined, attempt: number): void {
    const regionName = region ?? NO_REGION;
    const key = `${service}\u0000${operation}\u0000${regionName}`;
    const entry = this.#calls.get(key);
    if (entry) entry.count += 1;
    else this.#calls.set(key, { service, operation, region: regionName, count: 1 });
    if (attempt > 1) this.#retries += 1;
  }

  recordFault(outcome: 'regionDown' | 'throttled' | 'serverError' | undefined, delayMs: number): void {
    if (outcome === 'throttled') this.#throttled += 1;
    else if (outcome === 'serverError') this.#serverErrors += 1;
    else if (outcome === 'regionDown') this.#regionDown += 1;
    if (delayMs > 0) {
      this.#delayed += 1;
      this.#injectedLatencyMs += delayMs;
    }
  }

  reset(): void {
    this.#calls.clear();
    this.#retries = 0;
    this.#throttled = 0;
    this.#serverErrors = 0;
    this.#regionDown = 0;
    this.#delayed = 0;
    this.#injectedLatencyMs = 0;
    this.#bytesOut.clear();
  }

  snapshot(): SimStatsSnapshot {
    const byService: Record<string, number> = {};
    const byOperation: Record<string, number> = {};
    const byRegion: Record<string, number> = {};
    const calls: SimCallCount[] = [];
    let requests = 0;
    for (const entry of this.#calls.values()) {
      requests += entry.count;
      byService[entry.service] = (byService[entry.service] ?? 0) + entry.count;
      const operation = `${entry.service}:${entry.operation}`;
      byOperation[operation] = (byOperation[operation] ?? 0) + entry.count;
      byRegion[entry.region] = (byRegion[entry.region] ?? 0) + entry.count;
      calls.push({ ...entry });
    }
    calls.sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.operation.localeCompare(b.operation) ||
        a.region.localeCompare(b.region),
    );
    return {
      requests,
      retries: this.#retries,
      unmatched: byService[UNMATCHED_SERVICE] ?? 0,
      byService,
      byOperation,
      byRegion,
      calls,
      bytesOut: Object.fromEntries(this.#bytesOut),
      faults: {
        throttled: this.#throttled,
        serverErrors: this.#serverErrors,
        regionDown: this.#regionDown,
        delayed: this.#delayed,
        injectedLatencyMs: this.#injectedLatencyMs,
      },
    };
  }
}
