import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { checkReaderPool, createReaderPool } from '../dashboard/reader';
import { writeReport, type WrittenReport } from '../dashboard/report';
import { LOOPBACK, startDashboardServer } from '../dashboard/server';
import { type Database, pipelineHome } from './environment';
import { onInterrupt } from './interrupt';
import { EXIT, type Writer } from './output';
import { withDatabase } from './run';

export const SERVE_HELP = `Usage: saas-pipeline serve [--port N] [--host ADDRESS]

Serves the Executive Overview dashboard: headline numbers, active users, retention cohorts, feature
adoption, churn risk and pipeline health, with a month-range filter. It reads the analytics schema
through the read-only analytics_reader role, in read-only transactions. Stop it with Ctrl-C.

Options:
  --port N          port to listen on (0: any free port)            default 8080
  --host ADDRESS    address to listen on; anything but loopback
                    shows the dashboard to your whole network        default 127.0.0.1
  -h, --help        show this help

Environment: DATABASE_URL and SAAS_PIPELINE_HOME, as for "saas-pipeline run".

Exit codes: 0 stopped after a clean start, 1 failed (for example the port is taken), 2 bad
arguments, 4 the embedded database is in use, 5 database unreachable, 130 stopped by Ctrl-C.
`;

export const REPORT_HELP = `Usage: saas-pipeline report [--out FILE.html]

Writes the Executive Overview dashboard as one self-contained HTML file: the charts library and the
figures of every month range its filter can pick are inside, so it opens offline and can be mailed
or attached. It reads through the read-only analytics_reader role.

Options:
  --out FILE.html   where to write it          default $SAAS_PIPELINE_HOME/report.html
  -h, --help        show this help

Exit codes: 0 written, 1 failed, 2 bad arguments, 4 the embedded database is in use, 5 database
unreachable.
`;

export function defaultReportPath(): string {
  return path.join(pipelineHome(), 'report.html');
}

/** The schema is brought up to date with the owner's login; everything after reads as the reader. */
async function withReader<T>(db: Database, work: (reader: Pool) => Promise<T>): Promise<T> {
  await migrate(db.pool);
  const reader = createReaderPool(db.url);
  try {
    await checkReaderPool(reader);
    return await work(reader);
  } finally {
    await reader.end();
  }
}

export async function writeReportFor(db: Database, outFile: string): Promise<WrittenReport> {
  return withReader(db, (reader) => writeReport(reader, outFile));
}

export function describeReport(report: WrittenReport): string {
  return `report: ${report.path} (${(report.bytes / 1e6).toFixed(1)} MB, figures as of ${report.asOfDate ?? '-'}; opens offline)`;
}

export async function reportCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (write(REPORT_HELP), EXIT.ok);
  const out = values.out ?? defaultReportPath();
  if (!out.endsWith('.html')) {
    write(`--out must name an .html file, got ${JSON.stringify(out)}`);
    return EXIT.usage;
  }
  return withDatabase(write, async (db) => {
    write(describeReport(await writeReportFor(db, out)));
    return EXIT.ok;
  });
}

export async function serveCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(SERVE_HELP), EXIT.ok);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    write(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
    return EXIT.usage;
  }
  return withDatabase(write, (db) =>
    withReader(db, async (reader) => {
      const server = await startDashboardServer({ db: reader, host: values.host, port });
      if (!LOOPBACK.has(values.host))
        write(`note: listening on ${values.host}: anyone who can reach it can read the dashboard`);
      write(`dashboard: ${server.url} (Ctrl-C to stop)`);
      // Registered last, so on Ctrl-C the server closes before the pools and the database.
      await new Promise<void>((resolve) => onInterrupt(() => server.close().then(resolve)));
      return EXIT.ok;
    }),
  );
}
