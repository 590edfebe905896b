/** Calendar helpers. Days are counted as whole UTC days since 1970-01-01 ("day numbers"). */

export const DAY_MS = 86_400_000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` into a day number; throws on anything else, including 2024-02-30. */
export function parseDay(text: string): number {
  const match = DATE_PATTERN.exec(text);
  if (!match) throw new Error(`not a date (expected YYYY-MM-DD): ${JSON.stringify(text)}`);
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const ms = Date.UTC(year, month - 1, day);
  if (formatDay(ms / DAY_MS) !== text) throw new Error(`not a calendar date: ${text}`);
  return ms / DAY_MS;
}

/** Day number to `YYYY-MM-DD`. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  // 1970-01-01 was a Thursday.
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const dow = weekday(day);
  return dow === 0 || dow === 6;
}

/**
 * Writes times within one UTC day as ISO-8601 with milliseconds and `Z`
 * (`2024-01-15T09:32:11.123Z`) straight into a byte buffer: much cheaper than
 * `Date#toISOString` on the hot path.
 */
export class DayClock {
  readonly day: number;
  readonly startMs: number;
  /** `YYYY-MM-DDT` */
  private readonly prefix: Uint8Array;

  constructor(day: number) {
    this.day = day;
    this.startMs = day * DAY_MS;
    this.prefix = Buffer.from(`${formatDay(day)}T`, 'latin1');
  }

  /** Writes the timestamp for `msOfDay` (an integer in [0, DAY_MS)) at `pos`; returns the end. */
  write(bytes: Uint8Array, pos: number, msOfDay: number): number {
    const prefix = this.prefix;
    for (let i = 0; i < 11; i++) bytes[pos + i] = prefix[i] as number;
    let p = pos + 11;
    const hours = Math.floor(msOfDay / 3_600_000);
    const minutes = Math.floor(msOfDay / 60_000) % 60;
    const seconds = Math.floor(msOfDay / 1000) % 60;
    const millis = msOfDay % 1000;
    bytes[p++] = 48 + Math.floor(hours / 10);
    bytes[p++] = 48 + (hours % 10);
    bytes[p++] = 58; // :
    bytes[p++] = 48 + Math.floor(minutes / 10);
    bytes[p++] = 48 + (minutes % 10);
    bytes[p++] = 58;
    bytes[p++] = 48 + Math.floor(seconds / 10);
    bytes[p++] = 48 + (seconds % 10);
    bytes[p++] = 46; // .
    bytes[p++] = 48 + Math.floor(millis / 100);
    bytes[p++] = 48 + (Math.floor(millis / 10) % 10);
    bytes[p++] = 48 + (millis % 10);
    bytes[p++] = 90; // Z
    return p;
  }
}
