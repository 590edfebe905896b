import { parseArgs } from 'node:util';
import { runGenerateCommand } from '../../generator/cli';
import { listLandedFiles } from '../local/landing-folder';
import { landingDir } from './environment';
import { EXIT, type Writer } from './output';
import { runOnce, withDatabase } from './run';
import { printAnalyticsSummary } from './summary';

export const DEMO_HELP = `Usage: saas-pipeline demo [--as-of DATE]

Everything end to end on the local state folder: generates six months of events
(2024-01-01..2024-06-30, seed 42, about 1.8M) into the landing folder unless it already holds
files, runs the pipeline on them, and prints the analytics. Running it again loads nothing twice.
This is what "npm start" runs.

Exit codes: as for "saas-pipeline run".
`;

export async function demoCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'as-of': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (write(DEMO_HELP), EXIT.ok);
  const landing = landingDir();
  if ((await listLandedFiles(landing)).length === 0) {
    write(`demo: generating six months of events into ${landing}`);
    const generated = await runGenerateCommand(['--out', landing, '--workers', '2']);
    if (generated !== EXIT.ok) return generated;
  }
  return withDatabase(write, async (db) => {
    await runOnce(db, { asOf: values['as-of'], landing }, write);
    await printAnalyticsSummary(db.pool, write);
    write(
      '\nNext: "saas-pipeline status" for runs, files, quarantine and quality results; "saas-pipeline --help" for the rest.',
    );
    return EXIT.ok;
  });
}
