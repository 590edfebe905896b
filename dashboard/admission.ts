/** Thrown when every slot is taken and the queue is full: the caller answers 503 at once. */
export class Busy extends Error {
  constructor() {
    super('every slot and queue place is taken');
  }
}

export interface Admission {
  /** Runs work in a free slot, or once one frees up; throws Busy when the queue is full too. */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

/**
 * At most `slots` pieces of work at once, and at most `queue` more waiting their turn, first come
 * first served. Beyond that the caller is told at once, instead of piling more on a pool that is full.
 */
export function createAdmission(slots: number, queue: number): Admission {
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finished piece of work hands its slot straight to the next in line, so none can overtake.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return {
    async run(work) {
      if (active < slots) active += 1;
      else if (waiting.length < queue) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw new Busy();
      try {
        return await work();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
  };
}
