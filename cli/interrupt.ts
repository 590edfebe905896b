/**
 * Ctrl-C, a closed terminal or a `kill` must not leave a run marked running or a database server
 * behind: the first such signal runs the registered clean-ups, newest first, then exits 130.
 */
import { EXIT } from './output';

type CleanUp = () => Promise<unknown>;

const cleanUps: CleanUp[] = [];
let installed = false;
let interrupted = false;

/** After a signal the clean-ups own the exit (130); the command's own ending must not exit first. */
export function isInterrupted(): boolean {
  return interrupted;
}

export function onInterrupt(cleanUp: CleanUp): () => void {
  install();
  cleanUps.push(cleanUp);
  return () => {
    const index = cleanUps.indexOf(cleanUp);
    if (index >= 0) cleanUps.splice(index, 1);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  const handle = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping (a run in progress is recorded as interrupted)\n`);
    void (async () => {
      for (const cleanUp of [...cleanUps].reverse()) await cleanUp().catch(() => undefined);
      process.exit(EXIT.interrupted);
    })();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, handle);
}
