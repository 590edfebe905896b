import { isCalendarDate } from '../../lambdas/warehouse/analytics';
import { LANDING_PREFIXES } from '../../lambdas/warehouse/source-format';
import { PIPELINE_PLAN } from '../../lambdas/plan';
import { parseArgs } from 'node:util';
import { createPool, type Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { parseTimeZone } from '../../lambdas/warehouse/time-zone';
import { finishRun, holdRunSlot, newRunId, summarizeRunFiles } from '../../lambdas/warehouse/runs';
import type { LandingStore } from '../../local/s3-server';
import { type LoadedStateMachine, loadStateMachine } from '../../local/state-machine-cache';
import {
  executeStateMachine,
  loadRunnerLibrary,
  type LocalExecution,
} from '../../local/state-machine-runner';
import { createProgress, type Progress } from '../progress';
import type { Database } from '../environment';
import { onInterrupt } from '../interrupt';
import { queryRows } from '../queries';
import { withServices } from '../services';
import { EXIT, formatCount, seconds, table, type Writer, exitCodesHelp } from '../output';

export const RUN_HELP = `Usage: saas-pipeline run [--as-of DATE] [--time-zone ZONE]

Executes the pipeline's state machine once, the same definition "cdk deploy" ships, with its Lambda
handlers running in this process: loads the landing files not loaded yet (exactly once), stages
them, rebuilds the star schema for the dates they touched, refreshes the analytics views as of DATE
and gates on data quality. Prints each state as it finishes, then every step's rows and time.

Options:
  --as-of DATE     the logical date of the analytics, YYYY-MM-DD   default the latest event date
  --time-zone ZONE the reporting time zone (REPORTING_TIME_ZONE)    default UTC
                   a warehouse that holds events runs only in its own: see "saas-pipeline time-zone"
  -h, --help       show this help

Environment:
  DATABASE_URL     PostgreSQL to use; unset: an embedded PostgreSQL 15 in $SAAS_PIPELINE_HOME/pg
  LANDING_BUCKET   the landing bucket (default landing)
  S3_ENDPOINT      an S3 API (LocalStack, AWS); unset: a local S3 server in $SAAS_PIPELINE_HOME/s3
  AWS_REGION       region for S3_ENDPOINT
  MIN_EVENT_TIMESTAMP  events before it are quarantined as timestamp_too_old   default 2000-01-01
  STAGING_BATCH_MAX_LINES, STAGING_BATCH_MAX_BYTES
                   what one staging batch takes at most      default 5000000 lines, 2 GiB

A file that can never load (damaged gzip, not text, too large) is rejected and the run goes on;
"saas-pipeline files" lists it and "files retry KEY" lets it load again. A run killed on the way
is marked abandoned by the next one, which carries on from where it stopped.

${exitCodesHelp({
  ok: 'done',
  failure: true,
  usage: true,
  qualityGate: true,
  runInProgress: true,
  databaseUnreachable: true,
  interrupted: 'interrupted (the run is recorded as failed: interrupted)',
})}
`;

/** The state a run with nothing new goes through on its way to Finish run. */
const UP_TO_DATE_STATE = PIPELINE_PLAN.flatMap((stage) =>
  stage.kind === 'until-done' ? [stage.upToDateState] : [],
)[0];

export async function runCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-of': { type: 'string' },
      'time-zone': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(RUN_HELP), EXIT.ok);
  const asOf = checkAsOf(values['as-of'], write);
  if (asOf === false) return EXIT.usage;
  if (!useTimeZone(values['time-zone'], write)) return EXIT.usage;
  // The definition is read and its runner loaded while the services open, the local S3 server
  // booting in a process of its own meanwhile. The run awaits it, and reports what went wrong.
  const machine = loadStateMachine();
  machine.catch(() => undefined);
  const exitCode = withServices(write, async (db, landing) =>
    exitCodeOf(await runOnce(db, landing, { asOf, machine }, write), write),
  );
  loadRunnerLibrary().catch(() => undefined);
  return exitCode;
}

/**
 * --time-zone, checked, becomes REPORTING_TIME_ZONE for this process, which the handlers read (as the
 * functions read it on AWS); false, with a message, when it names no zone.
 */
export function useTimeZone(zone: string | undefined, write: Writer): boolean {
  if (zone === undefined) return true;
  try {
    process.env.REPORTING_TIME_ZONE = parseTimeZone(zone, '--time-zone');
    return true;
  } catch (error) {
    write((error as Error).message);
    return false;
  }
}

/** The --as-of value, undefined when absent, or false (with a message) when it names no day. */
export function checkAsOf(asOf: string | undefined, write: Writer): string | undefined | false {
  if (asOf === undefined || isCalendarDate(asOf)) return asOf;
  write(`--as-of must be a date like 2024-06-30, got ${JSON.stringify(asOf)}`);
  return false;
}

export interface RunOutcome {
  readonly runId: string;
  readonly execution: LocalExecution;
}

/**
 * One execution of the state machine, shown as it goes: a line per state, a bar over the files.
 * `landing` may still be opening: the migrations and the run's slot need only the database.
 */
export async function runOnce(
  db: Database,
  landing: LandingStore | (() => Promise<LandingStore>),
  options: { asOf?: string; machine?: Promise<LoadedStateMachine> },
  write: Writer,
): Promise<RunOutcome> {
  // The owner applies the migrations; the steps then run as the roles the Lambda functions use.
  await migrate(db.pool);
  const slot = await holdRunSlot(db.pool);
  const loader = createPool(db.url, 3, { role: 'saas_loader' });
  const transformer = createPool(db.url, 4, { role: 'saas_transformer' });
  // Connects only when an erasure request is waiting.
  const eraser = createPool(db.url, 1, { role: 'saas_eraser' });
  try {
    // While a local S3 server may still be booting: the handlers (and the AWS SDK they load) load,
    // and each pool opens its connections, which the parallel steps would otherwise open one by one.
    await Promise.all([
      import('../../local/handlers'),
      openConnections(loader, 3),
      openConnections(transformer, 4),
    ]);
    const store = typeof landing === 'function' ? await landing() : landing;
    return await executeRun(
      db,
      { loader, transformer, eraser, ownerPid: slot.ownerPid },
      store,
      options,
      write,
    );
  } finally {
    await Promise.all([loader.end(), transformer.end(), eraser.end()]);
    await slot.release();
  }
}

/** Opens `count` connections of the pool and returns them to it, idle and ready. */
async function openConnections(pool: Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  for (const client of clients) client.release();
}

async function executeRun(
  db: Database,
  roles: { loader: Pool; transformer: Pool; eraser: Pool; ownerPid: number },
  landing: LandingStore,
  options: { asOf?: string; machine?: Promise<LoadedStateMachine> },
  write: Writer,
): Promise<RunOutcome> {
  const runId = newRunId();
  write(`run ${runId}: state machine from the CDK app, database ${db.description}`);
  const { rendered } = await (options.machine ?? loadStateMachine());
  const deps = (pool: Pool) => ({
    pool: async () => pool,
    s3: () => landing.client,
    landing: { bucket: landing.bucket, prefixes: LANDING_PREFIXES },
  });
  // Imported on first use, not above (see runOnce).
  const { createLocalHandlers } = await import('../../local/handlers');
  const handlers = createLocalHandlers(deps(roles.transformer), deps(roles.loader), deps(roles.eraser));
  // Registered after the services' clean-up, so it runs first: the run is recorded before they close.
  const stop = new AbortController();
  const forget = onInterrupt(() => {
    stop.abort();
    return finishRun(db.pool, runId, { status: 'failed', error: 'interrupted: the command was stopped' });
  });
  const started = new Map<string, number>();
  const rows = new Map<string, string | undefined>();
  let files: Progress | undefined;
  let filesDone = 0;
  const execution = await executeStateMachine(rendered, {
    input: { ...(options.asOf ? { asOf: options.asOf } : {}), trigger: 'cli', ownerPid: roles.ownerPid },
    executionName: runId,
    handlers,
    validated: true,
    signal: stop.signal,
    onTaskResult: (state, result) => rows.set(state, rowsIn(result)),
    onEvent: (event) => {
      if (!('state' in event)) return;
      const key = `${event.state.name}#${event.index ?? ''}`;
      if (event.type === 'StateEntered') started.set(key, event.timestamp);
      if (event.state.type === 'Map' && event.type === 'StateExited') files?.finish();
      if (event.state.name === UP_TO_DATE_STATE && event.type === 'StateExited') {
        const asOf = (event.state.output as { analytics?: { asOf?: string } } | undefined)?.analytics?.asOf;
        write(
          `  ok     Nothing new: readers already see the analytics as of ${asOf ?? '-'}; nothing to rebuild`,
        );
      }
      if (event.state.type !== 'Task') return;
      const took = seconds(event.timestamp - (started.get(key) ?? event.timestamp));
      if (event.state.name === 'Load file' && event.type === 'StateExited') {
        files?.update(++filesDone);
      } else if (event.type === 'StateExited' && event.state.name !== 'Load file') {
        if (event.state.name === 'List new files') {
          const listed = (event.state.output as { files?: { items?: unknown[]; left?: number } } | undefined)
            ?.files;
          const count = listed?.items?.length ?? 0;
          const left = listed?.left ?? 0;
          write(
            `  ok     ${event.state.name.padEnd(42)} ${took.padStart(9)}   ${count} new files${left > 0 ? `, ${formatCount(left)} more waiting` : ''}`,
          );
          files?.finish();
          filesDone = 0;
          files =
            count > 0 ? createProgress({ total: count, unit: 'files', label: 'Load files' }) : undefined;
        } else {
          const count = rows.get(event.state.name);
          write(
            `  ok     ${event.state.name.padEnd(42)} ${took.padStart(9)}${count === undefined ? '' : `   ${count}`}`,
          );
        }
      } else if (event.type === 'StateRetried') {
        write(
          `  retry  ${event.state.name.padEnd(42)} ${took.padStart(9)}   attempt ${event.retry.attempt + 1}`,
        );
      } else if (event.type === 'StateFailed') {
        write(
          `  FAIL   ${event.state.name.padEnd(42)} ${took.padStart(9)}   ${event.Error}: ${String(event.Cause).slice(0, 300)}`,
        );
      }
    },
  });
  forget();
  files?.finish();
  const steps = await queryRows(db.pool, 'run/steps', { run_id: runId });
  if (steps.length > 0) write('\nSteps (rows and seconds as each handler recorded them)\n' + table(steps));
  const outcomes = await summarizeRunFiles(db.pool, runId);
  if (outcomes.rejected > 0) {
    write(
      `\n${outcomes.rejected === 1 ? '1 file' : `${outcomes.rejected} files`} rejected, not to be tried again until a new version lands or "saas-pipeline files retry KEY" releases it\n` +
        table(outcomes.rejectedFiles),
    );
  }
  const left = (execution.output as { files?: { left?: number; more?: boolean } } | undefined)?.files;
  if (execution.status === 'SUCCEEDED' && (left?.left ?? 0) > 0)
    write(
      `\n${formatCount(left?.left ?? 0)} new files left: more than one run takes (lambdas/handlers/list-new-files.ts, RUN_LIMITS); the next run takes them`,
    );
  if (outcomes.failed > 0)
    write(
      `\n${outcomes.failed} file(s) could not be loaded this time and will be tried again by the next run`,
    );
  const [record] = await queryRows<{ status: string; as_of_date: string | null; seconds: string }>(
    db.pool,
    'run/outcome',
    { run_id: runId },
  );
  if (execution.status === 'SUCCEEDED') {
    write(
      `\nrun ${runId} succeeded in ${record?.seconds ?? '?'} s; analytics as of ${record?.as_of_date ?? '-'}`,
    );
  } else {
    write(`\nrun ${runId} failed: ${execution.error}: ${execution.cause}`);
  }
  return { runId, execution };
}

/** What a step's result counts, whatever the kind of step: "12 checks", "55,973 rows". */
function rowsIn(result: unknown): string | undefined {
  const fields = (result ?? {}) as {
    rows?: unknown;
    staged?: unknown;
    checks?: unknown;
    quarantined?: unknown;
    duplicates?: unknown;
    erased?: unknown;
    rejected?: unknown;
    left?: unknown;
  };
  if (typeof fields.checks === 'number') return `${fields.checks} checks`;
  if (typeof fields.erased === 'number') {
    const rejected =
      typeof fields.rejected === 'number' && fields.rejected > 0
        ? `, ${fields.rejected} rejected (see status)`
        : '';
    const left =
      typeof fields.left === 'number' && fields.left > 0 ? `, ${fields.left} left for the next run` : '';
    return `${fields.erased} people erased${rejected}${left}`;
  }
  if (typeof fields.staged === 'number') {
    const set = [
      typeof fields.quarantined === 'number' && fields.quarantined > 0
        ? `${formatCount(fields.quarantined)} quarantined`
        : '',
      typeof fields.duplicates === 'number' && fields.duplicates > 0
        ? `${formatCount(fields.duplicates)} duplicates`
        : '',
    ].filter(Boolean);
    return `${formatCount(fields.staged)} rows${set.length > 0 ? `, ${set.join(', ')}` : ''}`;
  }
  const value = fields.rows ?? fields.staged;
  return typeof value === 'number' ? `${formatCount(value)} rows` : undefined;
}

export function exitCodeOf(outcome: RunOutcome, write: Writer): number {
  const { execution } = outcome;
  if (execution.status === 'SUCCEEDED') return EXIT.ok;
  if (/QualityGateError/.test(`${execution.error} ${execution.cause}`)) {
    write(
      'The failing checks and their sample rows are in ops.quality_results; "saas-pipeline status" lists them.',
    );
    return EXIT.qualityGate;
  }
  if (execution.error === 'RunInProgressError') return EXIT.runInProgress;
  return EXIT.failure;
}
