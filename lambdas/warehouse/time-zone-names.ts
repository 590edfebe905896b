/**
 * Time zone names, dependency-free: the CDK app checks the stack's setting with them without loading
 * the database driver (lambdas/warehouse/time-zone.ts holds what needs the database).
 */

/** The reporting time zone when nothing says otherwise: every current figure is a UTC one. */
export const DEFAULT_TIME_ZONE = 'UTC';

/**
 * An IANA zone name, in its canonical spelling ("europe/berlin" is Europe/Berlin), or an error that
 * says what was wrong. Node's ICU and PostgreSQL each check it: both must know the zone.
 */
export function parseTimeZone(value: string, name = 'REPORTING_TIME_ZONE'): string {
  try {
    const zone = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    // ICU also takes offsets ("+01:00"), which have no daylight saving and no IANA name.
    if (!/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) throw new RangeError(zone);
    return zone === 'Etc/UTC' || zone === 'Etc/GMT' ? 'UTC' : zone;
  } catch {
    throw new RangeError(
      `${name} must be an IANA time zone such as UTC, Europe/Berlin or Asia/Tokyo, got ${JSON.stringify(value)}`,
    );
  }
}

/** The calendar date of an instant in a zone, as YYYY-MM-DD. */
export function dateIn(zone: string, instant: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
