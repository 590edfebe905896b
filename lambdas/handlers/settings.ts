import { DEFAULT_MIN_EVENT_TIMESTAMP } from '../warehouse/limits';
import { STAGING_BATCH_LIMITS } from '../warehouse/staging';

/**
 * The earliest event time staging accepts (MIN_EVENT_TIMESTAMP, an ISO-8601 instant with a zone, or
 * a date meaning its UTC midnight); events before it are quarantined as timestamp_too_old.
 */
export function minEventTimestamp(): string {
  const value = process.env.MIN_EVENT_TIMESTAMP;
  if (value === undefined || value === '') return DEFAULT_MIN_EVENT_TIMESTAMP;
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(instant) || Number.isNaN(Date.parse(instant)))
    throw new Error(
      `MIN_EVENT_TIMESTAMP must be a date (2020-01-01) or an instant with a zone (2020-01-01T00:00:00Z), got ${JSON.stringify(value)}`,
    );
  return instant;
}

/**
 * How much one staging batch takes (STAGING_BATCH_MAX_LINES, STAGING_BATCH_MAX_BYTES): less for a
 * smaller database server, so that each call stays well inside the function's timeout.
 */
export function stagingBatchLimits(): { lines: number; inflatedBytes: number } {
  const read = (name: string, fallback: number): number => {
    const value = process.env[name];
    if (value === undefined || value === '') return fallback;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 1)
      throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
    return number;
  };
  return {
    lines: read('STAGING_BATCH_MAX_LINES', STAGING_BATCH_LIMITS.lines),
    inflatedBytes: read('STAGING_BATCH_MAX_BYTES', STAGING_BATCH_LIMITS.inflatedBytes),
  };
}
