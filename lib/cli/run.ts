import { parseArgs } from 'node:util';
import { runWarehouse, type WarehouseRunSummary } from '../../lambdas/warehouse/pipeline';
import { QualityGateError } from '../../lambdas/warehouse/quality';
import { RunInProgressError } from '../../lambdas/warehouse/runs';
import { landedFileSource, listLandedFiles } from '../local/landing-folder';
import { createProgress } from '../progress';
import { DatabaseUnreachableError, landingDir, openDatabase, type Database } from './environment';
import { EXIT, formatCount, seconds, type Writer } from './output';

export const RUN_HELP = `Usage: saas-pipeline run [--as-of DATE] [--landing DIR]

Loads the files in the landing folder that are not loaded yet (exactly once: a file already loaded
is skipped), then stages, builds the star schema for the dates those files touched, refreshes the
analytics views as of DATE and runs the data-quality gate. Each step prints its rows and time.

Options:
  --as-of DATE     the logical date of the analytics, YYYY-MM-DD   default the latest event date
  --landing DIR    folder holding events/dt=YYYY-MM-DD/*.ndjson.gz  default $SAAS_PIPELINE_HOME/landing
  -h, --help       show this help

Database: DATABASE_URL if set, else an embedded PostgreSQL 15 in $SAAS_PIPELINE_HOME/pg
(default .saas-pipeline/pg), started for the command and stopped after it.

Exit codes: 0 done, 1 failed, 2 bad arguments, 3 data-quality gate failed,
4 another run is in progress, 5 database unreachable.
`;

export async function runCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-of': { type: 'string' },
      landing: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(RUN_HELP), EXIT.ok);
  const asOf = values['as-of'];
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    write(`--as-of must be a date like 2024-06-30, got ${JSON.stringify(asOf)}`);
    return EXIT.usage;
  }
  return withDatabase(write, async (db) => {
    await runOnce(db, { asOf, landing: values.landing ?? landingDir() }, write);
    return EXIT.ok;
  });
}

/** Opens the database, runs `work`, and turns the pipeline's known failures into exit codes with a clear message. */
export async function withDatabase(write: Writer, work: (db: Database) => Promise<number>): Promise<number> {
  let db: Database | undefined;
  try {
    db = await openDatabase(write);
    return await work(db);
  } catch (error) {
    write(`\nerror: ${(error as Error).message}`);
    if (error instanceof DatabaseUnreachableError) return EXIT.databaseUnreachable;
    if (error instanceof QualityGateError) {
      write(
        'The failing checks and their sample rows are in ops.quality_results; "saas-pipeline status" lists them.',
      );
      return EXIT.qualityGate;
    }
    if (error instanceof RunInProgressError) return EXIT.runInProgress;
    return EXIT.failure;
  } finally {
    await db?.close();
  }
}

export async function runOnce(
  db: Database,
  options: { asOf?: string; landing: string },
  write: Writer,
): Promise<WarehouseRunSummary> {
  const files = await listLandedFiles(options.landing);
  write(`run: ${files.length} files in ${options.landing}; database: ${db.description}`);
  const progress = createProgress({ total: files.length, unit: 'files', label: 'load_files' });
  let done = 0;
  let rows = 0;
  const summary = await runWarehouse(db.pool, {
    asOf: options.asOf,
    trigger: 'cli',
    sources: (async function* () {
      for (const file of files) yield await landedFileSource('local-landing', file);
    })(),
    onFileLoaded: (result) => {
      rows += result.rows;
      progress.update(++done, `${formatCount(rows)} rows`);
    },
    onStep: (event) => {
      if (event.step === 'load_files' && event.status !== 'started')
        progress.finish(`${formatCount(rows)} rows`);
      if (event.status === 'succeeded') {
        write(
          `  ok    ${event.step.padEnd(34)} ${formatCount(event.rows).padStart(11)} rows ${seconds(event.durationMs ?? 0).padStart(9)}`,
        );
      } else if (event.status === 'failed') {
        write(
          `  FAIL  ${event.step.padEnd(34)} ${seconds(event.durationMs ?? 0).padStart(27)}  ${event.error ?? ''}`,
        );
      }
    },
  });
  const skipped = summary.files.filter((file) => file.status === 'skipped').length;
  const warnings = summary.quality.filter((check) => !check.passed);
  write(
    `run ${summary.runId} succeeded in ${seconds(summary.durationMs)}: ${summary.files.length - skipped} files loaded, ${skipped} already loaded; ` +
      `${formatCount(summary.staging.staged)} events staged, ${formatCount(summary.staging.quarantined)} quarantined, ` +
      `${formatCount(summary.staging.duplicates)} duplicates; analytics as of ${summary.asOf ?? '-'}`,
  );
  for (const check of warnings) write(`  warning: ${check.name} (${check.failingRows} rows)`);
  return summary;
}
