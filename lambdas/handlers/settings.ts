import {
  DEFAULT_MIN_EVENT_TIMESTAMP,
  parseMinEventTimestamp,
  parsePositiveInteger,
  STAGING_BATCH_LIMITS,
} from '../warehouse/limits';

/**
 * The earliest event time staging accepts (MIN_EVENT_TIMESTAMP, an ISO-8601 instant with a zone, or
 * a date meaning its UTC midnight); events before it are quarantined as timestamp_too_old.
 */
export function minEventTimestamp(): string {
  const value = process.env.MIN_EVENT_TIMESTAMP;
  return value === undefined || value === '' ? DEFAULT_MIN_EVENT_TIMESTAMP : parseMinEventTimestamp(value);
}

/** Whether staging keeps IP addresses whole (FULL_IP_ADDRESSES=on) instead of their /24 or /48. */
export function fullIpAddresses(): boolean {
  const value = process.env.FULL_IP_ADDRESSES;
  if (value === undefined || value === '' || value === 'off') return false;
  if (value === 'on') return true;
  throw new Error(`FULL_IP_ADDRESSES must be on or off, got ${JSON.stringify(value)}`);
}

/**
 * How much one staging batch takes (STAGING_BATCH_MAX_LINES, STAGING_BATCH_MAX_BYTES): less for a
 * smaller database server, so that each call stays well inside the function's timeout.
 */
export function stagingBatchLimits(): { lines: number; inflatedBytes: number } {
  const read = (name: string, fallback: number): number => {
    const value = process.env[name];
    return value === undefined || value === '' ? fallback : parsePositiveInteger(value, name);
  };
  return {
    lines: read('STAGING_BATCH_MAX_LINES', STAGING_BATCH_LIMITS.lines),
    inflatedBytes: read('STAGING_BATCH_MAX_BYTES', STAGING_BATCH_LIMITS.inflatedBytes),
  };
}
