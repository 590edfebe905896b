import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { forgetPerson } from '../../lambdas/warehouse/erasure';
import { migrate } from '../../lambdas/warehouse/migrate';
import { holdRunSlot } from '../../lambdas/warehouse/runs';
import { EXIT, formatCount, table, type Writer, exitCodesHelp } from '../output';
import { withServices } from '../services';
import { exitCodeOf, runOnce } from './run';

export const FORGET_HELP = `Usage: saas-pipeline forget --user ID [--by WHO]

Erases a person (the right to be forgotten): every row of the userId ID, of the anonymous ids linked
to it and every line that names them or their emails, from raw, staging, core and the published
analytics, in one transaction. Records the request in ops.erasures (who asked, when, a salted hash of
the id, never the id, and the rows removed per table) and leaves a tombstone that keeps a later
re-load or reprocess from bringing the person back. Then runs the pipeline, which rebuilds the
facts and refreshes the analytics for the dates the person was active on.

The landing bucket still holds the original files: see "Erasure" in the README for what to do.

Options:
  --user ID        the person's userId
  --by WHO         who asked, for the audit                          default the login name
  -h, --help       show this help

${exitCodesHelp({ ok: 'done', failure: true, usage: true, qualityGate: true, runInProgress: true, databaseUnreachable: true })}
`;

export async function forgetCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { user: { type: 'string' }, by: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (write(FORGET_HELP), EXIT.ok);
  const userId = values.user;
  if (userId === undefined || userId.trim() === '')
    return (write(`forget needs --user ID\n\n${FORGET_HELP}`), EXIT.usage);
  return withServices(write, async (db, openLanding) => {
    await migrate(db.pool);
    // No run may stage or build while the person's rows leave.
    const slot = await holdRunSlot(db.pool);
    let result;
    try {
      result = await forgetPerson(db.pool, {
        userId,
        requestedBy: values.by ?? `cli:${userInfo().username}`,
      });
    } finally {
      await slot.release();
    }
    write(
      `forget: erasure ${result.erasureId}, ${result.ids} ids (hash ${result.idHash.slice(0, 12)}…), ${formatCount(result.datesRebuilt)} dates to rebuild`,
    );
    write(
      table(
        Object.entries(result.rowsRemoved)
          .filter(([, rows]) => Number(rows) > 0)
          .map(([name, rows]) => ({ table: name, rows_removed: Number(rows) })),
      ),
    );
    return exitCodeOf(await runOnce(db, openLanding, {}, write), write);
  });
}
