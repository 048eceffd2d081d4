/** What every chapter of `npm run demo` gets: the running simulator and how to print. */
import type { startSim } from '../server.ts';

export interface DemoContext {
  readonly sim: Awaited<ReturnType<typeof startSim>>;
  /** The demo policy file every chapter runs with. */
  readonly policy: string;
  readonly out: (text: string) => void;
  readonly bold: (text: string) => string;
  readonly color: boolean;
}

/** A chapter prints its part of the story and returns the exit code of the command it showed. */
export type DemoChapter = (context: DemoContext) => Promise<number>;
