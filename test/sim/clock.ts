/**
 * A simulator clock that follows the real one, or stands still while held: a barrier for tests that
 * need work the simulator runs (a snapshot being created, a backup run) still running at a given
 * point, however slowly the machine runs. Release lets it finish (the clock jumps back to real time).
 */
export interface HoldableClock {
  readonly now: () => Date;
  hold(): void;
  release(): void;
}

export function holdableClock(): HoldableClock {
  let heldAt: Date | undefined;
  return {
    now: () => heldAt ?? new Date(),
    hold() {
      heldAt = new Date();
    },
    release() {
      heldAt = undefined;
    },
  };
}
