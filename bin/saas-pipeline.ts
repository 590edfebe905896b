#!/usr/bin/env -S npx tsx
/** The `saas-pipeline` CLI: picks the command and hands it its arguments. */
import { EXIT, EXIT_MEANINGS, exitCodesHelp, type Writer } from '../cli/output';
import { isInterrupted } from '../cli/interrupt';
import { hideSdkNodeVersionNotice } from '../cli/warnings';

const HELP = `Usage: saas-pipeline <command> [options]

Product analytics for a document-editing SaaS: events land as gzipped NDJSON, a pipeline loads
them exactly once into PostgreSQL (raw -> staging -> core -> analytics) and checks the result.

Commands:
  demo        generate six months of events, run the pipeline, print the analytics and
              write the dashboard report (npm start)
  generate    write synthetic events to a folder or an S3 bucket
  upload      put event files from a folder into the landing bucket
  run         execute the state machine: load new files, rebuild what they touched
  reprocess   re-derive staging and core for a range of dates from raw (after a new mapping)
  forget      erase a person from every layer, with an audit record and a tombstone
  time-zone   show the reporting time zone, or move the warehouse to another and rebuild
  status      recent runs, step timings, file ledger, rejected files, quarantine and quality
  files       the file ledger; "files retry KEY" lets a rejected file be tried again
  serve       serve the Executive Overview dashboard on http://127.0.0.1:8080/
  report      write the dashboard as one self-contained HTML file that opens offline
  metabase    create the same Executive Overview dashboard in a running Metabase
  migrate     create or upgrade the warehouse schema
  reset       delete the local state folder (.saas-pipeline)

"saas-pipeline <command> --help" describes each command and its exit codes.

Environment:
  DATABASE_URL        PostgreSQL to use; unset: an embedded PostgreSQL 15 in $SAAS_PIPELINE_HOME/pg
  LANDING_BUCKET      the landing bucket (default landing)
  S3_ENDPOINT         an S3 API (LocalStack, AWS); unset: a local S3 server in $SAAS_PIPELINE_HOME/s3
  AWS_REGION          region for S3_ENDPOINT
  SAAS_PIPELINE_HOME  local state folder (default .saas-pipeline in the current directory)
  REPORTING_TIME_ZONE the IANA zone of every day, week and month (default UTC; see time-zone)

${exitCodesHelp(Object.fromEntries(Object.keys(EXIT_MEANINGS).map((name) => [name, true])))}
`;

const write: Writer = (line) => process.stdout.write(line + '\n');

hideSdkNodeVersionNotice();

// Each command's module (and what it loads: the AWS SDK, pg, the CDK) is imported only when that
// command runs, so that --help and a mistyped command answer at once.
const commands: Record<string, (argv: string[]) => Promise<number>> = {
  demo: async (argv) => (await import('../cli/commands/demo')).demoCommand(argv, write),
  generate: async (argv) => (await import('../cli/commands/generate')).runGenerateCommand(argv),
  run: async (argv) => {
    await prestartLanding(argv);
    return (await import('../cli/commands/run')).runCommand(argv, write);
  },
  upload: async (argv) => {
    await prestartLanding(argv);
    return (await import('../cli/commands/upload')).uploadCommand(argv, write);
  },
  reprocess: async (argv) => (await import('../cli/commands/reprocess')).reprocessCommand(argv, write),
  forget: async (argv) => (await import('../cli/commands/forget')).forgetCommand(argv, write),
  'time-zone': async (argv) => (await import('../cli/commands/time-zone')).timeZoneCommand(argv, write),
  status: async (argv) => (await import('../cli/commands/status')).statusCommand(argv, write),
  files: async (argv) => (await import('../cli/commands/files')).filesCommand(argv, write),
  serve: async (argv) => (await import('../cli/commands/dashboard')).serveCommand(argv, write),
  report: async (argv) => (await import('../cli/commands/dashboard')).reportCommand(argv, write),
  metabase: async (argv) => (await import('../cli/commands/metabase')).metabaseCommand(argv, write),
  migrate: async (argv) => (await import('../cli/commands/migrate')).migrateCommand(argv, write),
  reset: async (argv) => (await import('../cli/commands/reset')).resetCommand(argv, write),
};

/**
 * For a command that opens the landing bucket first thing: starts the local S3 server (when that is
 * where the bucket is) before the command's modules load, a tenth of a second of a run's start.
 */
async function prestartLanding(argv: string[]): Promise<void> {
  if (argv.includes('-h') || argv.includes('--help')) return;
  const directory = (await import('../cli/home')).localS3Dir();
  if (directory) (await import('../local/s3-server')).prestartLocalS3(directory);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help')
    return (write(HELP), EXIT.ok);
  const command = commands[name];
  if (!command) {
    write(`saas-pipeline: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command(rest);
  } catch (error) {
    // parseArgs rejects unknown options with a TypeError whose code says so.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      write(`saas-pipeline ${name}: ${(error as Error).message}`);
      return EXIT.usage;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (!isInterrupted()) process.exit(code);
  },
  (error: unknown) => {
    if (isInterrupted()) return;
    process.stderr.write(`saas-pipeline: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(EXIT.failure);
  },
);
