import { parseArgs } from 'node:util';
import { migrate } from '../../lambdas/warehouse/migrate';
import { holdRunSlot } from '../../lambdas/warehouse/runs';
import {
  changeTimeZone,
  configuredTimeZone,
  parseTimeZone,
  warehouseTimeZone,
} from '../../lambdas/warehouse/time-zone';
import { EXIT, formatCount, type Writer, exitCodesHelp } from '../output';
import { withServices } from '../services';
import { exitCodeOf, runOnce } from './run';

export const TIME_ZONE_HELP = `Usage: saas-pipeline time-zone [ZONE] [--no-run]

The reporting time zone: the IANA zone (UTC, Europe/Berlin, Asia/Tokyo, ...) whose calendar decides
what a day, an ISO week and a month are for every date of the warehouse. A run takes it from
REPORTING_TIME_ZONE (or "run --time-zone"), default UTC; a warehouse that holds events refuses a run
in another zone than its own, so that no figure mixes two calendars.

Without ZONE: prints the warehouse's zone and the configured one.
With ZONE: moves the warehouse to ZONE and rebuilds everything: every staged event's date is
computed again in ZONE, every date is marked to rebuild, and the pipeline runs, which rebuilds every
fact and view and publishes them. Readers see the figures of the old zone until it publishes. Then
set REPORTING_TIME_ZONE=ZONE for the runs that follow.

Options:
  --no-run         move the warehouse to ZONE; the next run rebuilds and publishes
  -h, --help       show this help

${exitCodesHelp({ ok: 'done', failure: true, usage: true, qualityGate: true, runInProgress: true, databaseUnreachable: true })}
`;

export async function timeZoneCommand(argv: string[], write: Writer): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'no-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (write(TIME_ZONE_HELP), EXIT.ok);
  if (positionals.length > 1) return (write(`time-zone takes one zone\n\n${TIME_ZONE_HELP}`), EXIT.usage);
  let zone: string | undefined;
  try {
    zone = positionals[0] === undefined ? undefined : parseTimeZone(positionals[0], 'ZONE');
  } catch (error) {
    return (write((error as Error).message), EXIT.usage);
  }
  return withServices(write, async (db, openLanding) => {
    await migrate(db.pool);
    const current = await warehouseTimeZone(db.pool);
    if (zone === undefined) {
      write(`reporting time zone: ${current} (the warehouse); ${configuredTimeZone()} (REPORTING_TIME_ZONE)`);
      return EXIT.ok;
    }
    if (zone === current) {
      write(`time-zone: the warehouse is in ${zone} already; nothing to rebuild`);
      return EXIT.ok;
    }
    // No run may stage or build while the dates move.
    const slot = await holdRunSlot(db.pool);
    let change;
    try {
      change = await changeTimeZone(db.pool, zone);
    } finally {
      await slot.release();
    }
    write(
      `time-zone: ${change.from} -> ${change.to}: ${formatCount(change.eventsRedated)} events moved to another date, ${formatCount(change.datesPending)} dates to rebuild`,
    );
    if (values['no-run']) {
      write(
        `The next run (with REPORTING_TIME_ZONE=${zone}) rebuilds them and publishes the figures in ${zone}.`,
      );
      return EXIT.ok;
    }
    process.env.REPORTING_TIME_ZONE = zone;
    return exitCodeOf(await runOnce(db, openLanding, {}, write), write);
  });
}
