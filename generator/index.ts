/**
 * The event generator: realistic product events for a document-editing SaaS, deterministic
 * in the seed, written as gzipped NDJSON partitioned by day to a folder or an S3 bucket.
 *
 *   const summary = await generate({ from: '2024-01-01', to: '2024-06-30', seed: 42, outDir: 'landing' });
 *
 * Keys: `events/dt=YYYY-MM-DD/part-0000.ndjson.gz` (Hive-style partitions) and one manifest
 * per run at `_manifests/<run id>.json`.
 */
import type { S3Client } from '@aws-sdk/client-s3';

import { BAD_LINE_KINDS, EVENT_TYPES, GENERATOR_VERSION, type BadLineKind, type EventType } from './catalog';
import { generateDay, type DayOptions, type DayResult } from './day';
import type { PopulationOptions } from './model';
import { buildPopulation } from './population';
import { DEFAULT_SEGMENT_SOURCE_ID, segmentKey, segmentPart } from './segment';
import { LocalSink, S3Sink, TaskPool, type Sink } from './sink';
import { formatDay, parseDay } from './time';
import { generateDaysInWorkers } from './worker';

export {
  BAD_LINE_KINDS,
  BILLING_CYCLES,
  CANCELLATION_REASONS,
  CURRENCIES,
  EVENT_TYPES,
  FEATURES,
  GENERATOR_VERSION,
  LOGIN_METHODS,
  PLANS,
  PLATFORMS,
  PRICE_LIST,
  SHARE_TYPES,
  SIGNUP_SOURCES,
  type BadLineKind,
  type BillingCycle,
  type Currency,
  type EventType,
  type Feature,
  type FeatureCategory,
  type Plan,
  type Platform,
} from './catalog';
export { createS3Client, type CreateS3ClientOptions } from '../common/s3-client';

/** Users who sign up in the first 182 days at scale 1. */
export const USERS_PER_SCALE = 500;
/** The product's launch: the first sign-ups happen on this day. */
export const DEFAULT_LAUNCH_DATE = '2024-01-01';

export interface GenerateOptions {
  /** First day to write, `YYYY-MM-DD` (UTC). */
  readonly from: string;
  /** Last day to write, inclusive. */
  readonly to: string;
  /** Any non-negative safe integer. Same seed and options, same bytes. */
  readonly seed: number;
  /**
   * Multiplies users and documents (and so events).
   * @default 1 (about 500 users and 1.8M events over the first six months)
   */
  readonly scale?: number;
  /**
   * Alternative to `scale`: how many users sign up in the first six months after launch.
   * @default 500
   */
  readonly users?: number;
  /**
   * The day the product launched; the population grows forward from it, which is why any
   * range of days comes out the same whatever else the run covers.
   * @default '2024-01-01'
   */
  readonly launchDate?: string;
  /** Write to this folder. Exactly one of `outDir` and `s3` is required. */
  readonly outDir?: string;
  /** Upload to this bucket; `prefix` (e.g. `landing/`) goes in front of every key. */
  readonly s3?: { readonly client: S3Client; readonly bucket: string; readonly prefix?: string };
  /**
   * Share of extra bad lines (invalid JSON, missing fields, unknown types, bad or future
   * timestamps, duplicates, late events), split evenly between `badKinds`.
   * @default 0
   */
  readonly badRate?: number;
  /** @default all of BAD_LINE_KINDS */
  readonly badKinds?: readonly BadLineKind[];
  /**
   * Start a new part file after this many lines.
   * @default 0 (one file per day)
   */
  readonly maxLinesPerFile?: number;
  /**
   * gzip level 1–9. Level 1 is ~1.6× faster than 6 for ~10% bigger files.
   * @default 1
   */
  readonly gzipLevel?: number;
  /**
   * Threads generating days. Output does not depend on it.
   * @default 1 (generate on the calling thread)
   */
  readonly workers?: number;
  /**
   * Files written or uploaded at once.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * `native`: the event contract, under `events/dt=YYYY-MM-DD/`. `segment`: the same events as
   * Segment-spec messages, under `segment-logs/<source-id>/<received-day-ms>/` (generator/segment.ts).
   * @default 'native'
   */
  readonly format?: 'native' | 'segment';
  /** The Segment source id in the keys. @default DEFAULT_SEGMENT_SOURCE_ID */
  readonly segmentSourceId?: string;
  /**
   * With `format: 'segment'`: anonymous traffic around each sign-up (generator/segment.ts): the user's
   * pricing-page view before it, and a visitor who never signs up.
   * @default false
   */
  readonly anonymousVisitors?: boolean;
  /** Called after each day is written. */
  readonly onProgress?: (progress: GenerateProgress) => void;
}

export interface GenerateProgress {
  readonly daysDone: number;
  readonly daysTotal: number;
  readonly events: number;
  readonly files: number;
  readonly bytes: number;
}

export interface ManifestFile {
  readonly key: string;
  readonly lines: number;
  readonly bytes: number;
}

export interface ManifestDay {
  readonly date: string;
  readonly events: number;
  readonly lines: number;
  readonly files: readonly ManifestFile[];
}

export interface GenerateSummary {
  readonly runId: string;
  /** Where the files went: a folder or `s3://bucket/prefix`. */
  readonly location: string;
  readonly manifestKey: string;
  readonly from: string;
  readonly to: string;
  readonly seed: number;
  readonly scale: number;
  readonly days: number;
  readonly files: number;
  /** Valid, distinct events written (late arrivals included, duplicates and bad lines not). */
  readonly events: number;
  /** All lines written. */
  readonly lines: number;
  /** Gzipped bytes written (event files only). */
  readonly bytes: number;
  readonly eventsByType: Record<EventType, number>;
  /**
   * Bad lines injected, by kind. Late events are valid events in a later day's file, so they
   * are also counted in `events`; the other kinds are not.
   */
  readonly badLines: Record<BadLineKind, number>;
  /** Users signed up by `to`, documents created by then, and the accounts (companies) they belong to. */
  readonly users: number;
  readonly documents: number;
  readonly accounts: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** The manifest written with every run. Everything but `run` is determined by the options. */
export interface Manifest {
  readonly generator_version: string;
  readonly run_id: string;
  readonly seed: number;
  readonly from: string;
  readonly to: string;
  readonly options: {
    readonly scale: number;
    readonly launch_date: string;
    readonly bad_rate: number;
    readonly bad_kinds: readonly BadLineKind[];
    readonly max_lines_per_file: number;
    readonly gzip_level: number;
  };
  readonly population: { readonly users: number; readonly documents: number; readonly accounts: number };
  readonly totals: {
    readonly days: number;
    readonly files: number;
    readonly events: number;
    readonly lines: number;
    readonly bytes: number;
  };
  readonly events_by_type: Record<EventType, number>;
  readonly bad_lines: Record<BadLineKind, number> & { readonly total: number };
  readonly days: readonly ManifestDay[];
  readonly run: { readonly workers: number; readonly seconds: number; readonly events_per_second: number };
}

export function eventKey(date: string, part: string): string {
  return `events/dt=${date}/${part}.ndjson.gz`;
}

interface ResolvedOptions {
  fromDay: number;
  toDay: number;
  scale: number;
  launchDate: string;
  launchDay: number;
  dayOptions: DayOptions;
  workers: number;
  concurrency: number;
}

function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const fromDay = parseDay(options.from);
  const toDay = parseDay(options.to);
  if (toDay < fromDay) throw new RangeError(`--to (${options.to}) is before --from (${options.from})`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${options.seed}`);
  }
  if (options.scale !== undefined && options.users !== undefined) {
    throw new RangeError('give either scale or users, not both');
  }
  const scale = options.users !== undefined ? options.users / USERS_PER_SCALE : (options.scale ?? 1);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) {
    throw new RangeError(`scale must be in (0, 1000], got ${scale}`);
  }
  const launchDate = options.launchDate ?? DEFAULT_LAUNCH_DATE;
  const badRate = options.badRate ?? 0;
  if (!(badRate >= 0 && badRate <= 0.5)) throw new RangeError(`bad rate must be in [0, 0.5], got ${badRate}`);
  const badKinds = [...new Set(options.badKinds ?? BAD_LINE_KINDS)];
  for (const kind of badKinds) {
    if (!BAD_LINE_KINDS.includes(kind)) throw new RangeError(`unknown bad line kind: ${kind}`);
  }
  const maxLinesPerFile = options.maxLinesPerFile ?? 0;
  if (!Number.isSafeInteger(maxLinesPerFile) || maxLinesPerFile < 0) {
    throw new RangeError(`max lines per file must be a non-negative integer, got ${maxLinesPerFile}`);
  }
  const gzipLevel = options.gzipLevel ?? 1;
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) {
    throw new RangeError(`gzip level must be 1–9, got ${gzipLevel}`);
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new RangeError(`workers must be an integer in [1, 64], got ${workers}`);
  }
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  if ((options.outDir === undefined) === (options.s3 === undefined)) {
    throw new RangeError('give exactly one destination: outDir or s3');
  }
  return {
    fromDay,
    toDay,
    scale,
    launchDate,
    launchDay: parseDay(launchDate),
    dayOptions: { badRate, badKinds, maxLinesPerFile, gzipLevel },
    workers,
    concurrency,
  };
}

function countsByName<K extends string>(names: readonly K[], counts: readonly number[]): Record<K, number> {
  return Object.fromEntries(names.map((name, i) => [name, counts[i] ?? 0])) as Record<K, number>;
}

/** Generates events for every day in [from, to] and writes them with a manifest. */
export async function generate(options: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now();
  const resolved = resolveOptions(options);
  const { fromDay, toDay, scale, launchDay, dayOptions, workers } = resolved;

  const sink: Sink = options.s3
    ? new S3Sink(options.s3.client, options.s3.bucket, options.s3.prefix ?? '')
    : new LocalSink(options.outDir ?? '.');
  const pool = new TaskPool(resolved.concurrency);
  const populationOptions: PopulationOptions = { seed: options.seed, scale, launchDay, untilDay: toDay };

  const days: number[] = [];
  for (let day = fromDay; day <= toDay; day++) days.push(day);
  const manifestDays = new Map<number, ManifestDay>();
  const eventsByType = new Array<number>(EVENT_TYPES.length).fill(0);
  const badLines = countsByName(
    BAD_LINE_KINDS,
    BAD_LINE_KINDS.map(() => 0),
  );
  const totals = { files: 0, events: 0, lines: 0, bytes: 0 };

  const sourceId = options.segmentSourceId ?? DEFAULT_SEGMENT_SOURCE_ID;
  if (!/^[A-Za-z0-9_-]+$/.test(sourceId))
    throw new RangeError(`segment source id must be letters, digits, _ or -`);
  const onDay = async (native: DayResult): Promise<void> => {
    const segment = options.format === 'segment';
    const parts = segment
      ? native.parts.map((part) =>
          segmentPart(part, native.date, dayOptions.gzipLevel, {
            anonymousVisitors: options.anonymousVisitors,
          }),
        )
      : native.parts;
    const result = { ...native, parts, lines: parts.reduce((sum, part) => sum + part.lines, 0) };
    const folder = segment
      ? `segment-logs/${sourceId}/${Date.parse(`${result.date}T00:00:00Z`)}/`
      : `events/dt=${result.date}/`;
    const files: ManifestFile[] = result.parts.map((part) => ({
      key: segment ? segmentKey(sourceId, result.date, part) : eventKey(result.date, part.name),
      lines: part.lines,
      bytes: part.data.byteLength,
    }));
    // A re-run with fewer parts must not leave an older run's parts behind.
    await pool.submit(() => sink.removeOthers(folder, new Set(files.map((file) => file.key))));
    for (const [i, part] of result.parts.entries()) {
      const key = files[i]?.key ?? '';
      await pool.submit(() => sink.put(key, part.data, 'application/gzip'));
    }
    manifestDays.set(result.day, { date: result.date, events: result.events, lines: result.lines, files });
    result.eventsByType.forEach((count, i) => (eventsByType[i] = (eventsByType[i] ?? 0) + count));
    for (const kind of BAD_LINE_KINDS) badLines[kind] += result.badLines[kind];
    totals.files += files.length;
    totals.events += result.events;
    totals.lines += result.lines;
    totals.bytes += files.reduce((sum, file) => sum + file.bytes, 0);
    options.onProgress?.({ daysDone: manifestDays.size, daysTotal: days.length, ...totals });
  };

  const population = buildPopulation(populationOptions);
  if (workers === 1) {
    for (const day of days) await onDay(generateDay(population, day, dayOptions));
  } else {
    await generateDaysInWorkers(workers, population, dayOptions, days, onDay);
  }
  await pool.drain();
  // Users and documents known by the last day.
  const users = population.users.length;
  const documents = population.documentCount;
  const accounts = population.accountCount;

  const seconds = (performance.now() - started) / 1000;
  const runId = `events_${options.from}_${options.to}_seed-${options.seed}`;
  const manifestKey = `_manifests/${runId}.json`;
  const eventsByTypeNamed = countsByName(EVENT_TYPES, eventsByType);
  const manifest: Manifest = {
    generator_version: GENERATOR_VERSION,
    run_id: runId,
    seed: options.seed,
    from: options.from,
    to: options.to,
    options: {
      scale,
      launch_date: resolved.launchDate,
      bad_rate: dayOptions.badRate,
      bad_kinds: dayOptions.badKinds,
      max_lines_per_file: dayOptions.maxLinesPerFile,
      gzip_level: dayOptions.gzipLevel,
    },
    population: { users, documents, accounts },
    totals: { days: days.length, ...totals },
    events_by_type: eventsByTypeNamed,
    bad_lines: { ...badLines, total: BAD_LINE_KINDS.reduce((sum, kind) => sum + badLines[kind], 0) },
    days: [...manifestDays.keys()].sort((a, b) => a - b).map((day) => manifestDays.get(day) as ManifestDay),
    run: {
      workers,
      seconds: Math.round(seconds * 1000) / 1000,
      events_per_second: Math.round(totals.events / seconds),
    },
  };
  await sink.put(manifestKey, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'application/json');

  return {
    runId,
    location: sink.location,
    manifestKey,
    from: formatDay(fromDay),
    to: formatDay(toDay),
    seed: options.seed,
    scale,
    days: days.length,
    ...totals,
    eventsByType: eventsByTypeNamed,
    badLines,
    users,
    documents,
    accounts,
    seconds,
    eventsPerSecond: totals.events / seconds,
  };
}
