/**
 * The calls one audit scope has in flight, and the signal that stops them. A collector reads its
 * scope with many calls at once (listings, pages, reads, each with its retries) joined by
 * `Promise.all`, which rejects with the first failure and cancels nothing: the others went on
 * asking, waiting out their backoff and asking again, after the run had returned with the scope
 * failed, and in a Lambda they ran into the next invocation after the freeze (requests of a run
 * long over, CPU billed to the next one). `runAudit` (./audit.ts) reads each scope inside
 * {@link ScopeCalls.run}; when the scope fails it aborts them and waits until the last has settled.
 *
 * The scope is carried by an `AsyncLocalStorage`, not passed down as an argument: the calls are
 * made at the bottom of every collector (the AWS clients' request handler and retry wait, the lean
 * wire paths that send through that handler after a send token of its retry strategy, the Google
 * clients' fetch, the gax Cloud SQL reads with their waits between attempts), and one binding where
 * they leave the process covers every collector, present and future, without a signal threaded
 * through each. The transports ask for it with {@link scopeCallWithCallSignal}, {@link scopeWait},
 * {@link scopeCall} and {@link scopeSignal}. Outside a scope
 * (planning, the name look-ups after every scope is read, chat, snapshots) there is no signal and
 * calls go as before. Work shared between scopes must not be started under one scope's signal: the
 * lean wire's route probes send nothing, and the caches collectors share are per scope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

const current = new AsyncLocalStorage<ScopeCalls>();

/** The calls of one scope: the signal they are sent with, and those not yet settled. */
export class ScopeCalls {
  readonly #controller = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** The {@link CallSignal}s of the calls in flight, told when the scope fails. */
  readonly #callSignals = new Set<CallSignal>();

  constructor() {
    // Every request in flight listens to the signal (the SDK's request handler and retry wait,
    // httpFetch): a scope's hundreds at once are not a leak, and Node warns past 10 listeners.
    setMaxListeners(0, this.#controller.signal);
  }

  /** Aborted once the scope has failed: nothing more of it is worth asking. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Runs `read` (a collector's reading of the scope) with its calls counted as this scope's. */
  run<T>(read: () => Promise<T>): Promise<T> {
    return current.run(this, read);
  }

  /** Counts `call` until it settles, then drops `callSignal` (its {@link CallSignal}) if given. */
  track<T>(call: Promise<T>, callSignal?: CallSignal): Promise<T> {
    this.#inFlight.add(call);
    const settled = (): void => {
      this.#inFlight.delete(call);
      if (callSignal) this.#callSignals.delete(callSignal);
    };
    call.then(settled, settled);
    return call;
  }

  /**
   * A {@link CallSignal} of this scope, told when the scope fails until {@link releaseCallSignal}
   * (or the call {@link track} counts with it settles).
   */
  callSignal(): CallSignal {
    const { aborted, reason } = this.#controller.signal;
    const callSignal: CallSignal = { aborted, reason, onabort: null };
    if (!aborted) this.#callSignals.add(callSignal);
    return callSignal;
  }

  releaseCallSignal(callSignal: CallSignal): void {
    this.#callSignals.delete(callSignal);
  }

  /**
   * Aborts every call of the scope still running and resolves once none is in flight: an aborted
   * call rejects at once (its socket closed, its retry wait cut short), and a call made after the
   * abort is refused before it is sent. What they reject with is not reported: the scope has
   * already failed with its own reason.
   */
  async abort(): Promise<void> {
    this.#controller.abort(new ScopeAbortedError());
    const { reason } = this.#controller.signal;
    for (const callSignal of this.#callSignals) {
      callSignal.aborted = true;
      callSignal.reason = reason;
      callSignal.onabort?.call(callSignal, { type: 'abort' });
    }
    this.#callSignals.clear();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}

/** Why a scope's calls were aborted: the scope failed, of another of its calls. */
export class ScopeAbortedError extends Error {
  /**
   * The code gaxios gives an aborted request (the DOM's name for it), which clients that classify a
   * failure by its code read as a cancellation, not a lost connection: google-gax maps it to
   * CANCELLED (fallbackServiceStub.js), which it does not retry. Without it gaxios left the code
   * unset, gax read UNAVAILABLE and asked again, each attempt refused, until its deadline.
   */
  readonly code = 'AbortError';

  constructor() {
    super('not sent: the scope this call reads has already failed');
    this.name = 'AbortError';
  }
}

/**
 * An abort signal of one call, of the shape the AWS SDK's own type names (@smithy/types
 * `AbortSignal`: `aborted`, `onabort`, and `reason` read when it builds the abort error), which its
 * request handler and retry middleware accept beside a DOM `AbortSignal` (@smithy/node-http-handler
 * and @smithy/core's retry `race`: `addEventListener` when the signal has it, else `onabort`). One
 * per call rather than the scope's own signal: each request on the scope's signal added a listener
 * to a Node `EventTarget` and removed it when done, with hundreds in flight at once, which cost the
 * 202-call dumps audit about 12 ms of its 340 (bench:dumps, alternating pairs, stop 47). The scope
 * tells its call signals itself when it fails ({@link ScopeCalls.abort}). Each holds one `onabort`:
 * the SDK sets it for one wait or one request at a time, in turn.
 */
export interface CallSignal {
  aborted: boolean;
  reason: unknown;
  onabort: ((this: CallSignal, event: { readonly type: 'abort' }) => unknown) | null;
}

/** The scope being read here, if any. */
export function currentScope(): ScopeCalls | undefined {
  return current.getStore();
}

/**
 * `send(callSignal)` (one request leaving the process) counted as a call of the scope being read
 * here, with a {@link CallSignal} of its own; outside a scope, `send(undefined)`. Refused without
 * sending once the scope's calls are aborted.
 */
export function scopeCallWithCallSignal<T>(
  send: (callSignal: CallSignal | undefined) => Promise<T>,
): Promise<T> {
  const scope = current.getStore();
  if (!scope) return send(undefined);
  const { signal } = scope;
  if (signal.aborted) return Promise.reject(signal.reason);
  const callSignal = scope.callSignal();
  let call: Promise<T>;
  try {
    call = send(callSignal);
  } catch (error) {
    scope.releaseCallSignal(callSignal);
    return Promise.reject(error);
  }
  return scope.track(call, callSignal);
}

/**
 * `wait()` (a wait of one call before it may send, such as for a send token of the AWS clients'
 * client-side rate limiter) counted as a call of the scope being read here and cut short when the
 * scope fails: rejected then with the scope's reason, and refused without waiting once it has
 * failed. Outside a scope, `wait()` as is. What it waited on is not stopped (a rate limiter's timer
 * still runs out), but nothing waits on it: the call ends, and sends nothing.
 */
export function scopeWait<T>(wait: () => Promise<T>): Promise<T> {
  const scope = current.getStore();
  if (!scope) return wait();
  const { signal } = scope;
  if (signal.aborted) return Promise.reject(signal.reason);
  const callSignal = scope.callSignal();
  const waited = new Promise<T>((resolve, reject) => {
    callSignal.onabort = () => reject(callSignal.reason);
    wait().then(resolve, reject);
  });
  return scope.track(waited, callSignal);
}

/** The signal of the scope being read here, if any. */
export function scopeSignal(): AbortSignal | undefined {
  return current.getStore()?.signal;
}

/**
 * `send(signal)` (one request leaving the process) counted as a call of the scope being read here,
 * with its signal; outside a scope, `send(undefined)`. Refused without sending once the scope's
 * calls are aborted.
 */
export function scopeCall<T>(send: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const scope = current.getStore();
  if (!scope) return send(undefined);
  const { signal } = scope;
  if (signal.aborted) return Promise.reject(signal.reason);
  let call: Promise<T>;
  try {
    call = send(signal);
  } catch (error) {
    return Promise.reject(error);
  }
  return scope.track(call);
}
