/**
 * The simulator in a worker thread for the benchmarks: its own CPU time is not charged to the code
 * under measure (a real API serves requests in parallel elsewhere), and the measured thread's
 * event-loop utilization is the client's alone. This module is also the worker's entry point.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Faults } from '../test/sim/faults.ts';
import type { ScenarioInput } from '../test/sim/scenario.ts';
import { type StartSimOptions, startSim } from '../test/sim/server.ts';
import type { SimStatsSnapshot } from '../test/sim/stats.ts';

interface WorkerInput {
  readonly scenario: ScenarioInput;
  readonly faults?: Faults;
  /** The simulator clock (ISO time), moved with {@link SimWorker.setClock}; the real clock otherwise. */
  readonly clock?: string;
  readonly serving?: SimServing;
}

/** How the simulator serves: see {@link StartSimOptions.answerWithinLatency}. */
export type SimServing = Pick<StartSimOptions, 'answerWithinLatency'>;

type Command = 'stats' | 'reset' | 'close' | { readonly clock: string };

/** The simulator in a worker thread, driven by messages. */
export class SimWorker {
  readonly endpoint: string;
  readonly #worker: Worker;

  private constructor(worker: Worker, endpoint: string) {
    this.#worker = worker;
    this.endpoint = endpoint;
  }

  static async start(
    scenario: ScenarioInput,
    faults?: Faults,
    clock?: Date,
    serving?: SimServing,
  ): Promise<SimWorker> {
    const input: WorkerInput = {
      scenario,
      ...(faults ? { faults } : {}),
      ...(clock ? { clock: clock.toISOString() } : {}),
      ...(serving ? { serving } : {}),
    };
    const worker = new Worker(new URL(import.meta.url), { workerData: input });
    const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
      worker.once('message', (message: { endpoint: string }) => resolveEndpoint(message.endpoint));
      worker.once('error', reject);
    });
    return new SimWorker(worker, endpoint);
  }

  #ask<T>(command: Command): Promise<T> {
    return new Promise<T>((answer) => {
      this.#worker.once('message', answer);
      this.#worker.postMessage(command);
    });
  }

  stats(): Promise<SimStatsSnapshot> {
    return this.#ask('stats');
  }

  resetStats(): Promise<void> {
    return this.#ask('reset');
  }

  /** Move the simulator clock (started with one) to `at`. */
  setClock(at: Date): Promise<void> {
    return this.#ask({ clock: at.toISOString() });
  }

  async close(): Promise<void> {
    await this.#ask('close');
    await this.#worker.terminate();
  }
}

/** Worker side: start the simulator, answer stats/reset/close. */
async function serveSimulator(): Promise<void> {
  const { scenario, faults, clock, serving } = workerData as WorkerInput;
  let now = clock ? new Date(clock) : undefined;
  const sim = await startSim({
    scenario,
    ...(faults ? { faults } : {}),
    ...(now ? { clock: () => now as Date } : {}),
    ...serving,
  });
  parentPort?.on('message', async (command: Command) => {
    if (typeof command === 'object') {
      now = new Date(command.clock);
      parentPort?.postMessage(undefined);
    }
    if (command === 'stats') parentPort?.postMessage(sim.stats());
    if (command === 'reset') {
      sim.resetStats();
      parentPort?.postMessage(undefined);
    }
    if (command === 'close') {
      await sim.close();
      parentPort?.postMessage(undefined);
    }
  });
  parentPort?.postMessage({ endpoint: sim.endpoint });
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.scenario) await serveSimulator();
