/**
 * One day of events: every user's sessions, merged and sorted by time, optional bad lines,
 * cut into gzipped NDJSON parts. A pure function of (population, day, options): that is what
 * lets worker threads take any day, and lets a day re-derive an earlier day's events.
 */
import { gzipSync } from 'node:zlib';

import { badLineShares, dayBadLines, lateEventIndex, mixIn, type BadLineOptions } from './bad-lines';
import { EVENT_TYPES, type BadLineKind } from './catalog';
import { EventBuffer } from './event-buffer';
import type { Population } from './model';
import { DayClock, formatDay } from './time';
import { generateUserDay } from './user-day';

export interface DayOptions extends BadLineOptions {
  /** Lines per file before a new part starts; 0 for one file per day. */
  readonly maxLinesPerFile: number;
  readonly gzipLevel: number;
}

const NEWLINE = 10;

export interface DayPart {
  /** `part-0000` etc. */
  readonly name: string;
  readonly lines: number;
  readonly data: Uint8Array;
}

export interface DayResult {
  readonly day: number;
  readonly date: string;
  readonly parts: DayPart[];
  /** Valid, distinct events in the day's files (late arrivals included, duplicates not). */
  readonly events: number;
  /** All lines written, bad ones included. */
  readonly lines: number;
  /** Counts of valid events, in EVENT_TYPES order. */
  readonly eventsByType: number[];
  readonly badLines: Record<BadLineKind, number>;
}

/**
 * Buffers reused from day to day on this thread (generateDay is synchronous), so a long run
 * allocates its big buffers once instead of once a day.
 */
const scratch = {
  events: new EventBuffer(),
  textBuffer: Buffer.allocUnsafe(1 << 20),
  text(size: number): Buffer {
    if (this.textBuffer.length < size)
      this.textBuffer = Buffer.allocUnsafe(Math.max(size, this.textBuffer.length * 2));
    return this.textBuffer;
  },
};

/** Generates one day: events of all users, sorted by time, bad lines mixed in, gzipped parts. */
export function generateDay(population: Population, day: number, options: DayOptions): DayResult {
  const { seed } = population;
  const clock = new DayClock(day);
  const out = scratch.events;
  out.reset();
  const share = badLineShares(options);
  const removed = new Set<number>();

  for (const user of population.users) {
    if (user.signupDay > day) break; // users are in sign-up order
    const start = out.length;
    generateUserDay(seed, user, clock, out);
    const late = lateEventIndex(share, seed, user, day, out, start);
    if (late >= 0) removed.add(late);
  }

  // Sort by time; ties keep generation order. Packing (time, index) into one double lets the
  // native numeric sort do the work without a comparator.
  const n = out.length;
  if (n >= 2 ** 24) throw new Error(`too many events in one day (${n}); lower the scale`);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = (out.times[i] ?? 0) * 16_777_216 + i;
  keys.sort();
  const eventsByType = new Array<number>(EVENT_TYPES.length).fill(0);
  /** Indices into `out`, in file order. */
  const order: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = (keys[k] ?? 0) % 16_777_216;
    if (removed.has(i)) continue;
    order.push(i);
    const type = out.types[i] ?? 0;
    eventsByType[type] = (eventsByType[type] ?? 0) + 1;
  }

  const { extras, counts } = dayBadLines(population, day, options, share, out, order, eventsByType);
  const lines = mixIn(seed, day, order, extras);
  return {
    day,
    date: formatDay(day),
    parts: gzipParts(out, extras, lines, options),
    events: eventsByType.reduce((a, b) => a + b, 0),
    lines: lines.length,
    eventsByType,
    badLines: counts,
  };
}

/** The day's lines (as `mixIn` orders them) cut into parts of at most `maxLinesPerFile`, gzipped. */
function gzipParts(
  out: EventBuffer,
  extras: readonly Buffer[],
  lines: readonly number[],
  options: DayOptions,
): DayPart[] {
  const parts: DayPart[] = [];
  const perFile = options.maxLinesPerFile > 0 ? options.maxLinesPerFile : Math.max(lines.length, 1);
  for (let from = 0; from < lines.length; from += perFile) {
    const to = Math.min(lines.length, from + perFile);
    let size = 0;
    for (let k = from; k < to; k++) {
      const i = lines[k] ?? 0;
      size += (i >= 0 ? (out.ends[i] ?? 0) - (out.starts[i] ?? 0) : (extras[-1 - i]?.length ?? 0)) + 1;
    }
    const text = scratch.text(size);
    let pos = 0;
    for (let k = from; k < to; k++) {
      const i = lines[k] ?? 0;
      pos +=
        i >= 0
          ? out.bytes.copy(text, pos, out.starts[i], out.ends[i])
          : (extras[-1 - i]?.copy(text, pos) ?? 0);
      text[pos++] = NEWLINE;
    }
    const data = gzipSync(text.subarray(0, pos), { level: options.gzipLevel });
    parts.push({ name: `part-${String(parts.length).padStart(4, '0')}`, lines: to - from, data });
  }
  return parts;
}
