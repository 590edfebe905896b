/**
 * Worker threads that generate whole days. Each worker gets a copy of the population (plain
 * data: structured cloning keeps shared documents shared) and answers day requests; since a
 * day is a pure function of the population and the options, which worker makes which day
 * does not change a byte. Workers never load faker, which keeps their start-up short.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { generateDay, type DayOptions, type DayResult } from './day';
import type { Population } from './model';

interface WorkerInit {
  readonly kind: 'saas-pipeline-generator';
  readonly population: Population;
  readonly day: DayOptions;
}

type Reply = { day: number; result: DayResult } | { day: number; error: string };

// Runs when this module is loaded as a worker's entry.
if (
  !isMainThread &&
  parentPort &&
  (workerData as Partial<WorkerInit> | null)?.kind === 'saas-pipeline-generator'
) {
  const init = workerData as WorkerInit;
  const port = parentPort;
  const population = init.population;
  port.on('message', (day: number) => {
    let reply: Reply;
    try {
      reply = { day, result: generateDay(population, day, init.day) };
    } catch (error) {
      reply = { day, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    port.postMessage(reply);
  });
}

/**
 * Loads this file in a worker. From TypeScript sources (tests, `tsx`) the worker registers tsx
 * first, since a fresh thread has no TypeScript loader of its own.
 */
function startWorker(init: WorkerInit): Worker {
  const entry = __filename;
  const register = entry.endsWith('.ts') ? require.resolve('tsx/cjs/api') : undefined;
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    if (workerData.register) require(workerData.register).register();
    require(workerData.entry);
  `;
  return new Worker(bootstrap, { eval: true, workerData: { ...init, entry, register } });
}

/**
 * Generates `days` on `count` worker threads, handing out days one at a time so a slow day
 * does not hold up the rest. `onDay` is awaited before that worker gets another day: the
 * back-pressure that keeps memory flat.
 */
export async function generateDaysInWorkers(
  count: number,
  population: Population,
  dayOptions: DayOptions,
  days: readonly number[],
  onDay: (result: DayResult) => Promise<void>,
): Promise<void> {
  const init: WorkerInit = { kind: 'saas-pipeline-generator', population, day: dayOptions };
  const queue = [...days];
  const workers = Array.from({ length: Math.min(count, Math.max(1, days.length)) }, () => startWorker(init));
  try {
    await Promise.all(
      workers.map(async (worker) => {
        for (let day = queue.shift(); day !== undefined; day = queue.shift()) {
          const result = await request(worker, day);
          await onDay(result);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function request(worker: Worker, day: number): Promise<DayResult> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: Reply) => {
      cleanup();
      if ('error' in reply) reject(new Error(`worker failed on day ${day}: ${reply.error}`));
      else resolve(reply.result);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(day);
  });
}
