import { parseArgs } from 'node:util';
import { isCalendarDate } from '../../lambdas/warehouse/analytics';
import { fullIpAddresses, minEventTimestamp } from '../../lambdas/handlers/settings';
import { createPool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { reprocessDates, type ReprocessResult } from '../../lambdas/warehouse/reprocess';
import { EXIT, formatCount, seconds, table, type Writer, exitCodesHelp } from '../output';
import { withServices } from '../services';
import { checkAsOf, exitCodeOf, runOnce } from './run';

export const REPROCESS_HELP = `Usage: saas-pipeline reprocess --from DATE --to DATE [--as-of DATE] [--no-run]

Re-derives staging for the event dates DATE..DATE from what raw already holds, with the mapping
(sql/seeds/segment_mapping.json) and the rules of now: after a mapping is added, the calls it
covers are staged instead of kept as unmapped. Then runs the pipeline, which rebuilds the core for
those dates only, refreshes the analytics and publishes them through the quality gate. Other dates'
staging and facts are not touched. Safe to repeat, and to interrupt: it is one transaction.

Options:
  --from DATE      first event date, YYYY-MM-DD (UTC)
  --to DATE        last event date, inclusive
  --as-of DATE     the logical date of the analytics for the run    default the latest event date
  --no-run         re-derive staging and mark the dates pending; the next run rebuilds them
  -h, --help       show this help

Environment: as for "saas-pipeline run".
${exitCodesHelp({
  ok: 'done',
  failure: true,
  usage: true,
  qualityGate: true,
  runInProgress: true,
  databaseUnreachable: true,
})}
`;

export async function reprocessCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'as-of': { type: 'string' },
      'no-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(REPROCESS_HELP), EXIT.ok);
  const { from, to } = values;
  if (from === undefined || to === undefined || !isCalendarDate(from) || !isCalendarDate(to) || to < from)
    return (write(`reprocess needs --from DATE and --to DATE, in order\n\n${REPROCESS_HELP}`), EXIT.usage);
  const asOf = checkAsOf(values['as-of'], write);
  if (asOf === false) return EXIT.usage;
  return withServices(write, async (db, openLanding) => {
    await migrate(db.pool);
    // Staging's own role: it deletes and writes staging rows, and nothing else.
    const transformer = createPool(db.url, 2, { role: 'saas_transformer' });
    const started = Date.now();
    let result: ReprocessResult;
    try {
      result = await reprocessDates(
        transformer,
        { from, to },
        { minEventTimestamp: minEventTimestamp(), fullIpAddresses: fullIpAddresses() },
      );
    } finally {
      await transformer.end();
    }
    write(
      `reprocess ${from}..${to}: ${formatCount(result.lines)} lines of ${formatCount(result.files)} files routed again in ${seconds(Date.now() - started)}`,
    );
    const row = (outcome: string, change: { before: number; after: number }) => ({
      outcome,
      before: change.before,
      after: change.after,
    });
    write(
      table([
        row('staged', result.staged),
        row('unmapped', result.unmapped),
        row('quarantined', result.quarantined),
        row('duplicates', result.duplicates),
        row('identity messages', result.identityMessages),
      ]),
    );
    if (values['no-run']) {
      write(`${formatCount(result.pendingDates)} dates pending: the next "saas-pipeline run" rebuilds them`);
      return EXIT.ok;
    }
    return exitCodeOf(await runOnce(db, openLanding, { asOf }, write), write);
  });
}
