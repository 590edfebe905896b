import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { generate } from '../../generator';
import { createProgress } from '../progress';
import { defaultReportPath, describeReport, writeReportFor } from './dashboard';
import { EXIT, formatCount, type Writer } from '../output';
import { withServices } from '../services';
import { checkAsOf, exitCodeOf, runOnce, useTimeZone } from './run';
import { printAnalyticsSummary } from '../summary';

export const DEMO_HELP = `Usage: saas-pipeline demo [--as-of DATE] [--format native|segment] [--time-zone ZONE]

Everything end to end on the local state folder: generates six months of events
(2024-01-01..2024-06-30, seed 42, about 1.8M) into the landing bucket unless it already holds
files, runs the state machine on them, prints the analytics, and writes the Executive Overview
dashboard to $SAAS_PIPELINE_HOME/report.html (a file that opens offline in any browser). Running it
again loads nothing twice. This is what "npm start" runs.

--format segment generates the same events as Segment-spec messages under segment-logs/ and runs
the demo from them through sql/seeds/segment_mapping.json: the figures are the native demo's. One
warehouse takes one demo format; give the other its own state folder:
  SAAS_PIPELINE_HOME=.saas-pipeline-segment npm start -- --format segment

--time-zone ZONE builds the demo's days, weeks and months in an IANA zone (REPORTING_TIME_ZONE; the
default is UTC). A warehouse built in one zone refuses another: "saas-pipeline time-zone ZONE" moves it.

Exit codes: as for "saas-pipeline run".
`;

export async function demoCommand(argv: string[], write: Writer): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-of': { type: 'string' },
      format: { type: 'string' },
      'time-zone': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (write(DEMO_HELP), EXIT.ok);
  const format = values.format ?? 'native';
  if (format !== 'native' && format !== 'segment')
    return (write(`demo: --format must be native or segment\n\n${DEMO_HELP}`), EXIT.usage);
  const asOf = checkAsOf(values['as-of'], write);
  if (asOf === false) return EXIT.usage;
  if (!useTimeZone(values['time-zone'], write)) return EXIT.usage;
  return withServices(write, async (db, openLanding) => {
    const landing = await openLanding();
    const holds = async (prefix: string): Promise<boolean> => {
      const listed = await landing.client.send(
        new ListObjectsV2Command({ Bucket: landing.bucket, Prefix: prefix, MaxKeys: 1 }),
      );
      return (listed.KeyCount ?? 0) > 0;
    };
    const [own, other] = format === 'segment' ? ['segment-logs/', 'events/'] : ['events/', 'segment-logs/'];
    // The two formats carry the same event ids: one bucket holding both would stage each event once
    // and count the other copy as a duplicate, which is not the demo either format shows.
    if (!(await holds(own)) && (await holds(other))) {
      write(
        `demo: the landing bucket holds the ${format === 'segment' ? 'native' : 'segment'} demo already; run the ${format} demo in a state folder of its own, e.g. SAAS_PIPELINE_HOME=.saas-pipeline-${format} npm start -- --format ${format}`,
      );
      return EXIT.usage;
    }
    if (!(await holds(own))) {
      write(`demo: generating six months of events (seed 42, ${format} format) into the landing bucket`);
      const progress = createProgress({ total: 182, unit: 'days', label: 'generate' });
      const summary = await generate({
        from: '2024-01-01',
        to: '2024-06-30',
        seed: 42,
        workers: 2,
        format,
        s3: { client: landing.client, bucket: landing.bucket },
        onProgress: (p) => progress.update(p.daysDone, `${formatCount(p.events)} events`),
      });
      progress.finish(`${formatCount(summary.events)} events`);
      write(
        `generated ${formatCount(summary.events)} events in ${summary.files} files (${(summary.bytes / 1e6).toFixed(1)} MB) in ${summary.seconds.toFixed(1)} s`,
      );
    }
    const outcome = await runOnce(db, landing, { asOf }, write);
    if (outcome.execution.status === 'SUCCEEDED') {
      await printAnalyticsSummary(db.pool, write);
      write('\n' + describeReport(await writeReportFor(db, defaultReportPath())));
      write(
        '\nNext: open the report in a browser, or "saas-pipeline serve" for the live dashboard; "saas-pipeline status" for runs, files, quarantine and quality results; "saas-pipeline --help" for the rest.',
      );
    }
    return exitCodeOf(outcome, write);
  });
}
