import { RunInProgressError } from '../lambdas/warehouse/runs';
import { ClusterInUseError } from '../local/embedded-postgres';
import type { LandingStore } from '../local/s3-server';
import { DatabaseUnreachableError, openDatabase, openLanding, type Database } from './environment';
import { onInterrupt } from './interrupt';
import { EXIT, type Writer } from './output';

type Opened = (close: () => Promise<unknown>) => void;

/**
 * Opens what a command needs, runs it, and closes everything again, also on Ctrl-C. A failure
 * becomes the exit code its kind documents, with the message on stderr.
 */
async function withOpened<R>(
  write: Writer,
  open: (opened: Opened) => Promise<R>,
  work: (resources: R) => Promise<number>,
): Promise<number> {
  const closers: (() => Promise<unknown>)[] = [];
  // Called by the interrupt handler and by the command's own ending, often both at once (Ctrl-C makes
  // the work fail too): the second call waits for the first, so the process exits only once every
  // server is stopped, not while one still is.
  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> =>
    (closing ??= (async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
      closing = undefined;
    })());
  const forget = onInterrupt(closeAll);
  try {
    return await work(await open((close) => closers.push(close)));
  } catch (error) {
    process.stderr.write(`\nerror: ${(error as Error).message}\n`);
    if (error instanceof ClusterInUseError || error instanceof RunInProgressError) return EXIT.runInProgress;
    return error instanceof DatabaseUnreachableError ? EXIT.databaseUnreachable : EXIT.failure;
  } finally {
    forget();
    await closeAll();
  }
}

async function database(write: Writer, opened: Opened): Promise<Database> {
  const db = await openDatabase(write);
  opened(() => db.close());
  return db;
}

async function landingStore(write: Writer, opened: Opened): Promise<LandingStore> {
  const landing = await openLanding(write);
  opened(() => landing.close());
  return landing;
}

/**
 * The database and the landing bucket, opened at once: the local S3 server starts in a process of its
 * own while the database connects (or the embedded one starts). The work starts once the database is
 * open, so that what needs only the database overlaps the server's start; it waits for the bucket
 * with `landing()`. Lines come in the same order as ever, the database's first: the bucket's are
 * held back until the work asks for it.
 */
export function withServices(
  write: Writer,
  work: (db: Database, landing: () => Promise<LandingStore>) => Promise<number>,
): Promise<number> {
  return withOpened(
    write,
    async (opened) => {
      const held: string[] = [];
      let holding = true;
      const opening = landingStore((line) => (holding ? held.push(line) : write(line)), opened);
      // Settled either way before anything is thrown, so that whatever opened is closed again.
      const [db] = await Promise.allSettled([database(write, opened)]);
      if (db.status === 'rejected') {
        await opening.catch(() => undefined);
        throw db.reason;
      }
      opening.catch(() => undefined);
      const landing = async (): Promise<LandingStore> => {
        const settled = await Promise.allSettled([opening]);
        for (const line of held.splice(0)) write(line);
        holding = false;
        if (settled[0].status === 'rejected') throw settled[0].reason;
        return settled[0].value;
      };
      return [db.value, landing] as const;
    },
    ([db, landing]) => work(db, landing),
  );
}

/** Only the landing bucket, for commands that need no database. */
export function withLanding(
  write: Writer,
  work: (landing: LandingStore) => Promise<number>,
): Promise<number> {
  return withOpened(write, (opened) => landingStore(write, opened), work);
}

/** Only the database, for commands that need no bucket. */
export function withDatabase(write: Writer, work: (db: Database) => Promise<number>): Promise<number> {
  return withOpened(write, (opened) => database(write, opened), work);
}
