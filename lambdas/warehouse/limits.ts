/**
 * What one file and one line may hold. Past a file limit the file is rejected; past a line limit the
 * line is quarantined with its reason. Every limit is documented in docs/metrics.md, section 2.3.
 */
export const LINE_LIMITS = {
  /** A longer line (bytes, newline excluded) is quarantined as `line_too_long`: 1 MiB. */
  maxLineBytes: 1024 * 1024,
  /** Of a line too long, this much is kept to show what it was. */
  keptPrefixBytes: 4096,
  /** Deeper nesting of arrays and objects is quarantined as `too_deeply_nested`; events need 3. */
  maxDepth: 64,
  /** A longer number literal is quarantined as `number_out_of_range`. */
  maxNumberChars: 64,
  /**
   * A number is quarantined as `number_out_of_range` unless its magnitude lies within [1e-307, 1e308)
   * (a zero: unless its written exponent lies within ±307): what a double holds, so that every reader
   * of the warehouse can hold it too, and far inside what jsonb holds.
   */
  maxDecimalExponent: 307,
} as const;

export interface FileLimits {
  /** Bytes a file may inflate to; past it the file is rejected as `file_too_large`. */
  readonly maxInflatedBytes: number;
  /** Inflated bytes per compressed byte past which a file is rejected as `compression_ratio_too_high`. */
  readonly maxCompressionRatio: number;
  /** The ratio is judged once a file has inflated to this much, so small files are never judged. */
  readonly ratioCheckAfterBytes: number;
  /** A NUL byte within the first this many bytes marks a file that is not text: `not_text`. */
  readonly binarySniffBytes: number;
  /**
   * Lines a file may hold (blank ones too); past it the file is rejected as `too_many_lines`. A
   * staging batch always takes at least one whole file, so this bounds the work of one staging call.
   */
  readonly maxLines: number;
}

/**
 * NDJSON of events gzips about 5:1 (up to 15:1 for repetitive events); a gzip bomb reaches 1000:1.
 * 4 GiB inflated is about 15 million events of the usual 265 bytes. Staging takes 75,000 to 160,000
 * lines a second on two cores (measured), so 20 million lines, however short, stage in under five
 * minutes: inside a Lambda's fifteen.
 */
export const FILE_LIMITS: FileLimits = {
  maxInflatedBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 100,
  ratioCheckAfterBytes: 16 * 1024 ** 2,
  binarySniffBytes: 4096,
  maxLines: 20_000_000,
};

/**
 * Identifiers (event, user, session, document, feature, account) longer than this are quarantined as
 * `identifier_too_long`: keys of up to 256 characters (1 KiB of UTF-8) always fit a btree index entry,
 * even two to an index. Enforced in staging.raw_events_checked, which repeats the number.
 */
export const MAX_IDENTIFIER_CHARS = 256;

/**
 * Events before this instant are quarantined as `timestamp_too_old`: a clock reset to 1970 would
 * otherwise stretch every daily series over fifty years. Set MIN_EVENT_TIMESTAMP to change it.
 */
export const DEFAULT_MIN_EVENT_TIMESTAMP = '2000-01-01T00:00:00Z';

/**
 * The earliest event instant as staging takes it: a date (its UTC midnight) or an ISO-8601 instant
 * with a zone. Throws a message that names the setting for anything else.
 */
export function parseMinEventTimestamp(value: string, setting = 'MIN_EVENT_TIMESTAMP'): string {
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(instant) || Number.isNaN(Date.parse(instant)))
    throw new Error(
      `${setting} must be a date (2020-01-01) or an instant with a zone (2020-01-01T00:00:00Z), got ${JSON.stringify(value)}`,
    );
  return instant;
}

/**
 * A staging batch takes files, oldest first, until it holds this many lines or inflated bytes
 * (always at least one file), so that staging it takes minutes however large the backlog: measured,
 * 1.8 million lines stage in about 20 s on two cores.
 */
export const STAGING_BATCH_LIMITS = { lines: 5_000_000, inflatedBytes: 2 * 1024 ** 3 };

/** A setting that must be a positive whole number; throws a message that names it. */
export function parsePositiveInteger(value: string, setting: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1)
    throw new Error(`${setting} must be a positive whole number, got ${JSON.stringify(value)}`);
  return number;
}

/**
 * The most files the Load files map loads at once (the stack's loadConcurrency): Step Functions' Map
 * allows more, but each is a connection on the warehouse; 40 of them, with their pools, stay inside
 * the smallest instance class's max_connections (README, "Loading in parallel").
 */
export const MAX_LOAD_CONCURRENCY = 40;

export function parseLoadConcurrency(value: string, setting: string): number {
  const number = parsePositiveInteger(value, setting);
  if (number > MAX_LOAD_CONCURRENCY)
    throw new Error(`${setting} must be at most ${MAX_LOAD_CONCURRENCY}, got ${JSON.stringify(value)}`);
  return number;
}

/** A load that failed for a passing reason (connection lost, throttling) in this many runs is rejected. */
export const MAX_FAILED_LOAD_RUNS = 3;
