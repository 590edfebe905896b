import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Pool } from '../../lambdas/warehouse/db';
import { migrate } from '../../lambdas/warehouse/migrate';
import { MIN_TOKEN_LENGTH, tokenProblem } from '../../dashboard/auth';
import { isHostName, LOOPBACK } from '../../dashboard/hosts';
import {
  API_STATEMENT_TIMEOUT_SECONDS,
  checkReaderPool,
  createReaderPool,
  READER_POOL_SIZE,
  type ReaderPoolOptions,
} from '../../dashboard/reader';
import { writeReport, type WrittenReport } from '../../dashboard/report';
import { MAX_QUEUED_READS, startDashboardServer } from '../../dashboard/server';
import { MAX_RANGE_MONTHS } from '../../dashboard/types';
import { type Database, pipelineHome } from '../environment';
import { onInterrupt } from '../interrupt';
import { EXIT, type Writer, exitCodesHelp } from '../output';
import { withDatabase } from '../services';

export const SERVE_HELP = `Usage: saas-pipeline serve [--port N] [--host ADDRESS] [--token-file PATH]
                          [--allow-host NAME]...

Serves the Executive Overview dashboard: headline numbers, active users, retention cohorts, feature
adoption, churn risk and pipeline health (runs, rows per layer, quarantine, rejected files, checks),
with a month-range filter. It reads the analytics schema through the read-only analytics_reader
role, in read-only transactions. Stop it with Ctrl-C.

Options:
  --port N            port to listen on (0: any free port)              default 8080
  --host ADDRESS      address or name to listen on; 0.0.0.0 or :: is
                      every interface. Anything but loopback (127.0.0.1,
                      ::1, localhost) needs a token                     default 127.0.0.1
  --token-file PATH   read the token from the first line of this file
  --allow-host NAME   also answer requests whose Host header is NAME or
                      NAME:PORT, such as a DNS name of the machine or a
                      proxy's name (repeatable)
  -h, --help          show this help

Token: from DASHBOARD_TOKEN or --token-file (one of them), never on the command line, where ps
would show it. At least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces ("openssl rand -hex 32"
makes one); a shorter or empty one is refused, on loopback too. Required off loopback, optional on
it. When set, every request (page, script, API, /healthz) must present it: a browser asks once
for a user name (any) and a password (the token); scripts send "Authorization: Bearer <token>".
Wrong or missing: 401. It crosses the network as plain HTTP: beyond a network you trust, put a TLS
proxy in front and name it with --allow-host.

Host names: a request must name the server in its Host header, or it gets 421, so that a page
elsewhere cannot point its own DNS name at this server and read it. Bound to loopback it answers
127.0.0.1, localhost and [::1]; to an address or name, that; to 0.0.0.0 or ::, every address of
the machine's interfaces (as they are at start), its host name and localhost. Each with the port;
plus the --allow-host names.

Limits, so that no request, nor a crowd of them, can hold the database:
  - a feature-use range spans at most ${MAX_RANGE_MONTHS} months (400 beyond it); the page's "All time" is
    the latest ${MAX_RANGE_MONTHS} months of a longer history;
  - a statement of a request may run ${API_STATEMENT_TIMEOUT_SECONDS} s, then it is cancelled and the request fails (500);
  - ${READER_POOL_SIZE} requests read the database at once (one per reader connection) and ${MAX_QUEUED_READS} more wait
    their turn; any beyond those get 503 with Retry-After: 1.

Environment: DATABASE_URL and SAAS_PIPELINE_HOME, as for "saas-pipeline run"; DASHBOARD_TOKEN, the
token (see above).

${exitCodesHelp({
  ok: 'stopped after a clean start',
  failure: 'failed (for example the port is taken)',
  usage: 'bad arguments, or a token that is missing off loopback, short, or unreadable',
  runInProgress: 'the embedded database is in use',
  databaseUnreachable: true,
  interrupted: 'stopped by Ctrl-C',
})}
`;

export const REPORT_HELP = `Usage: saas-pipeline report [--out FILE.html]

Writes the Executive Overview dashboard as one self-contained HTML file: the charts library and the
figures of every month range its filter can pick are inside, so it opens offline and can be mailed
or attached. It reads through the read-only analytics_reader role.

Options:
  --out FILE.html   where to write it          default $SAAS_PIPELINE_HOME/report.html
  -h, --help        show this help

${exitCodesHelp({
  ok: 'written',
  failure: true,
  usage: true,
  runInProgress: 'the embedded database is in use',
  databaseUnreachable: true,
})}
`;

export function defaultReportPath(): string {
  return path.join(pipelineHome(), 'report.html');
}

/** The schema is brought up to date with the owner's login; everything after reads as the reader. */
async function withReader<T>(
  db: Database,
  work: (reader: Pool) => Promise<T>,
  options: ReaderPoolOptions = {},
): Promise<T> {
  await migrate(db.pool);
  const reader = createReaderPool(db.url, options);
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

/** The token, from DASHBOARD_TOKEN or --token-file; or why the server must not start. */
async function readToken(
  tokenFile: string | undefined,
  host: string,
  write: Writer,
): Promise<{ token?: string; problem?: string }> {
  const fromEnvironment = process.env.DASHBOARD_TOKEN;
  if (fromEnvironment !== undefined && tokenFile !== undefined)
    return { problem: 'give the token one way: DASHBOARD_TOKEN or --token-file, not both' };
  let token = fromEnvironment;
  let source = 'DASHBOARD_TOKEN';
  if (tokenFile !== undefined) {
    source = `--token-file ${tokenFile}`;
    try {
      token = (await readFile(tokenFile, 'utf8')).split(/\r?\n/)[0]?.trim() ?? '';
      // Like ssh with a private key: worth saying, not worth refusing.
      if (((await stat(tokenFile)).mode & 0o044) !== 0)
        write(`note: ${tokenFile} can be read by other users of this machine: chmod 600 it`);
    } catch (error) {
      return { problem: `${source}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  if (token === undefined) {
    if (LOOPBACK.has(host)) return {};
    return {
      problem:
        `--host ${host} shows the dashboard beyond this machine, so it needs a token of ${MIN_TOKEN_LENGTH} or more characters: ` +
        'set DASHBOARD_TOKEN, or put it in a file and pass --token-file PATH (not on the command line, where ps would show it)',
    };
  }
  const problem = tokenProblem(token);
  // Never the token itself: only where it came from and what is wrong with it.
  if (problem)
    return {
      problem: `the token from ${source} ${problem}: use ${MIN_TOKEN_LENGTH} or more printable characters, for example from "openssl rand -hex 32"`,
    };
  return { token };
}

export async function serveCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'token-file': { type: 'string' },
      'allow-host': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(SERVE_HELP), EXIT.ok);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    write(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
    return EXIT.usage;
  }
  const badName = values['allow-host'].find((name) => !isHostName(name));
  if (badName !== undefined) {
    write(
      `--allow-host must be a host name or address, optionally with :PORT, got ${JSON.stringify(badName)}`,
    );
    return EXIT.usage;
  }
  // Checked before the database is opened: a server that would be open to the network never starts.
  const { token, problem } = await readToken(values['token-file'], values.host, write);
  if (problem !== undefined) {
    write(`saas-pipeline serve: ${problem}`);
    return EXIT.usage;
  }
  return withDatabase(write, (db) =>
    withReader(
      db,
      async (reader) => {
        const server = await startDashboardServer({
          db: reader,
          host: values.host,
          port,
          token,
          allowHosts: values['allow-host'],
        });
        if (!LOOPBACK.has(values.host)) {
          write(
            `note: listening on ${values.host}: anyone who can reach it and has the token can read the dashboard, over plain HTTP`,
          );
          write(`answers to: ${server.hosts.join(', ')}`);
        }
        write(`dashboard: ${server.url}${token === undefined ? '' : ' (token required)'} (Ctrl-C to stop)`);
        // Registered last, so on Ctrl-C the server closes before the pools and the database.
        await new Promise<void>((resolve) => onInterrupt(() => server.close().then(resolve)));
        return EXIT.ok;
      },
      { statementTimeoutSeconds: API_STATEMENT_TIMEOUT_SECONDS },
    ),
  );
}
