import { exitCodesHelp } from '../output';
/**
 * `saas-pipeline generate`: parses arguments, calls `generate`, shows progress on stderr and
 * a one-line summary on stdout.
 */
import { parseArgs } from 'node:util';

import { createProgress } from '../progress';
import { BAD_LINE_KINDS, type BadLineKind } from '../../generator/catalog';
import { DEFAULT_LAUNCH_DATE, generate, type GenerateOptions } from '../../generator/index';
import { createS3Client } from '../../common/s3-client';
import { parseDay } from '../../generator/time';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_OUT_DIR = '.saas-pipeline/landing';

export const GENERATE_HELP = `Usage: saas-pipeline generate [options]

Generates product events for a document-editing SaaS as gzipped NDJSON, one folder per
day (events/dt=YYYY-MM-DD/part-0000.ndjson.gz) plus a manifest (_manifests/<run>.json),
into a local folder or an S3 bucket. The same seed and options give byte-identical files,
and any day comes out the same whichever range it is generated in.

Options:
  --from DATE              first day, YYYY-MM-DD (UTC)             default 2024-01-01
  --to DATE                last day, inclusive                     default 2024-06-30
  --seed N                 non-negative integer                    default 42
  --out DIR                write to this folder                    default ${DEFAULT_OUT_DIR}
  --bucket NAME            upload to this S3 bucket instead of --out
  --prefix P               key prefix in the bucket, e.g. landing/ default none
  --endpoint URL           custom S3 endpoint (LocalStack, a local S3 server)
  --region R               S3 region                               default the SDK's (us-east-1 with --endpoint)
  --scale N                multiply users and documents            default 1 (about 500 users,
                                                                   1.8M events in six months)
  --users N                users signed up in the first six months (instead of --scale)
  --launch-date DATE       the product's launch: the first sign-ups default ${DEFAULT_LAUNCH_DATE}
  --bad-rate R             share of bad lines to inject, 0 to 0.5   default 0
  --bad-kinds K,K          which bad lines (default all): ${BAD_LINE_KINDS.join(', ')}
  --format F               native, or segment: the same events as Segment-spec messages
                           under segment-logs/<source-id>/<day-ms>/ (see docs/pipeline.md)
                                                                   default native
  --segment-source ID      the Segment source id in the keys       default DocsAppWeb1
  --anonymous-visitors     with --format segment: anonymous traffic around each sign-up (a
                           pricing-page view before it, a visitor who never signs up)
  --max-lines-per-file N   start a new part after N lines          default 0 (one file per day)
  --gzip-level N           1 (fastest) to 9                        default 1
  --workers N              threads generating days; output is the same for any N   default 1
  --concurrency N          files written or uploaded at once       default 8
  --quiet                  no progress display
  -h, --help               show this help

S3 credentials come from the AWS SDK's default chain (environment, profile). For a local
server set them in the environment, e.g. AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
for s3rver.

${exitCodesHelp({ ok: 'success', failure: 'generation or upload failed', usage: true })}

Examples:
  saas-pipeline generate --from 2024-01-01 --to 2024-06-30 --seed 42
  saas-pipeline generate --from 2024-01-01 --to 2024-01-31 --scale 0.1 --bad-rate 0.02 --out /tmp/landing
  saas-pipeline generate --bucket landing --endpoint http://127.0.0.1:4569 --workers 2
  saas-pipeline generate --from 2024-01-01 --to 2024-01-31 --format segment --out /tmp/segment
`;

interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

class UsageError extends Error {}

function number(
  name: string,
  text: string | undefined,
  check: (n: number) => boolean,
  rule: string,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name} must be ${rule}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function date(name: string, text: string): string {
  try {
    parseDay(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
  return text;
}

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (n: number) =>
    Number.isInteger(n) && n >= min && n <= max;

interface Parsed {
  readonly help: false;
  readonly quiet: boolean;
  /** Everything but the destination. */
  readonly options: Omit<GenerateOptions, 'outDir' | 's3'>;
  readonly outDir?: string;
  readonly s3?: { bucket: string; prefix?: string; endpoint?: string; region?: string };
}

function parse(argv: string[]): { help: true } | Parsed {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        scale: { type: 'string' },
        users: { type: 'string' },
        'launch-date': { type: 'string' },
        'bad-rate': { type: 'string' },
        'bad-kinds': { type: 'string' },
        'max-lines-per-file': { type: 'string' },
        format: { type: 'string' },
        'segment-source': { type: 'string' },
        'anonymous-visitors': { type: 'boolean' },
        'gzip-level': { type: 'string' },
        workers: { type: 'string' },
        concurrency: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };

  const from = date('from', values.from ?? '2024-01-01');
  const to = date('to', values.to ?? '2024-06-30');
  if (to < from) throw new UsageError(`--to (${to}) is before --from (${from})`);
  if (values.out !== undefined && values.bucket !== undefined) {
    throw new UsageError('give --out or --bucket, not both');
  }
  if (values.bucket === undefined) {
    for (const name of ['prefix', 'endpoint', 'region'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} only applies with --bucket`);
    }
  }
  if (values.scale !== undefined && values.users !== undefined) {
    throw new UsageError('give --scale or --users, not both');
  }
  let badKinds: BadLineKind[] | undefined;
  if (values['bad-kinds'] !== undefined) {
    badKinds = values['bad-kinds'].split(',').map((kind) => {
      const trimmed = kind.trim();
      if (!(BAD_LINE_KINDS as readonly string[]).includes(trimmed)) {
        throw new UsageError(`--bad-kinds: unknown kind ${JSON.stringify(trimmed)}`);
      }
      return trimmed as BadLineKind;
    });
  }

  const format = values.format ?? 'native';
  if (format !== 'native' && format !== 'segment')
    throw new UsageError(`--format must be native or segment, got ${JSON.stringify(format)}`);
  if ((values['segment-source'] !== undefined || values['anonymous-visitors']) && format !== 'segment')
    throw new UsageError('--segment-source and --anonymous-visitors only apply with --format segment');
  const options: Parsed['options'] = {
    from,
    format,
    segmentSourceId: values['segment-source'],
    anonymousVisitors: values['anonymous-visitors'],
    to,
    seed: number('seed', values.seed, integer(0), 'a non-negative integer') ?? 42,
    scale: number('scale', values.scale, (n) => n > 0 && n <= 1000, 'a number in (0, 1000]'),
    users: number('users', values.users, integer(1, 500_000), 'a positive integer'),
    launchDate: date('launch-date', values['launch-date'] ?? DEFAULT_LAUNCH_DATE),
    badRate: number('bad-rate', values['bad-rate'], (n) => n >= 0 && n <= 0.5, 'a number in [0, 0.5]'),
    badKinds,
    maxLinesPerFile: number(
      'max-lines-per-file',
      values['max-lines-per-file'],
      integer(0),
      'a non-negative integer',
    ),
    gzipLevel: number('gzip-level', values['gzip-level'], integer(1, 9), 'an integer from 1 to 9'),
    workers: number('workers', values.workers, integer(1, 64), 'an integer from 1 to 64'),
    concurrency: number('concurrency', values.concurrency, integer(1, 256), 'an integer from 1 to 256'),
  };
  const quiet = values.quiet === true;
  if (values.bucket === undefined)
    return { help: false, quiet, options, outDir: values.out ?? DEFAULT_OUT_DIR };
  const s3 = {
    bucket: values.bucket,
    prefix: values.prefix,
    endpoint: values.endpoint,
    region: values.region,
  };
  return { help: false, quiet, options, s3 };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Runs `saas-pipeline generate` with the arguments after `generate`; resolves to the exit code.
 */
export async function runGenerateCommand(
  argv: string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`saas-pipeline generate: ${error.message}\nTry 'saas-pipeline generate --help'.\n`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    io.stdout.write(GENERATE_HELP);
    return EXIT_OK;
  }

  const { options, quiet, outDir, s3 } = parsed;
  // Created here, not in `parse`, so that it is always destroyed (its sockets closed).
  const client = s3 ? createS3Client({ endpoint: s3.endpoint, region: s3.region }) : undefined;
  const progress = quiet
    ? undefined
    : createProgress({
        total: parseDay(options.to) - parseDay(options.from) + 1,
        unit: 'days',
        label: 'generate',
        stream: io.stderr,
      });
  try {
    const summary = await generate({
      ...options,
      ...(client && s3 ? { s3: { client, bucket: s3.bucket, prefix: s3.prefix } } : { outDir }),
      onProgress: (p) =>
        progress?.update(p.daysDone, `${p.events.toLocaleString('en-US')} events · ${megabytes(p.bytes)}`),
    });
    progress?.finish();
    const bad = Object.values(summary.badLines).reduce((a, b) => a + b, 0);
    io.stdout.write(
      `generated ${summary.events.toLocaleString('en-US')} events` +
        (bad > 0 ? ` (+${bad.toLocaleString('en-US')} bad lines)` : '') +
        ` in ${summary.files} files, ${megabytes(summary.bytes)} gzipped, to ${summary.location}` +
        ` in ${summary.seconds.toFixed(1)} s: ${Math.round(summary.eventsPerSecond).toLocaleString('en-US')} events/s\n`,
    );
    return EXIT_OK;
  } catch (error) {
    progress?.finish();
    io.stderr.write(
      `saas-pipeline generate failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT_FAILURE;
  } finally {
    client?.destroy();
  }
}
