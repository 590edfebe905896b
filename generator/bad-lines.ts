/**
 * Bad lines, as a real feed has them: events that arrive a few days late, duplicates, and broken
 * copies of valid events (cut-off JSON, a missing field, an unknown type, impossible or far-future
 * timestamps), mixed in at random places. Deterministic in (seed, day) like the rest of a day.
 */
import { BAD_LINE_KINDS, type BadLineKind } from './catalog';
import { EventBuffer, TYPE } from './event-buffer';
import { STREAM, type Population, type User } from './model';
import { Random } from './random';
import { DayClock } from './time';
import { generateUserDay } from './user-day';

export interface BadLineOptions {
  /** Share of extra bad lines, 0 to disable. */
  readonly badRate: number;
  /** Kinds of bad lines to inject; the rate is split evenly between them. */
  readonly badKinds: readonly BadLineKind[];
}

/** The share of each kind: what `badRate` becomes once split between the chosen kinds. */
export type BadLineShares = Record<BadLineKind, number>;

export interface DayBadLines {
  /** The lines to mix into the day's valid events. */
  readonly extras: Buffer[];
  readonly counts: Record<BadLineKind, number>;
}

const SIGNED_UP = TYPE.user_signed_up;
const UNKNOWN_TYPES = ['page_viewed', 'document_printed', 'user_invited', 'workspace_archived'];
const REQUIRED_FIELDS = ['event_id', 'event_type', 'event_timestamp', 'user_id'];

interface Pick {
  /** Days later the event appears: 1 to 3. */
  readonly delay: number;
  /** Which of the user-day's events, as a fraction. */
  readonly at: number;
}

/**
 * Whether a user-day gives up one event to a later day (late) or copies one into a later
 * day (duplicate). Decided without generating the user-day, so the receiving day can find
 * its sources cheaply and regenerate only those.
 */
function pickFor(stream: number, share: number, seed: number, user: User, day: number): Pick | undefined {
  if (share <= 0) return undefined;
  const rng = Random.of(seed, stream, user.index, day);
  if (!rng.chance(Math.min(1, share * user.eventsPerActiveDay))) return undefined;
  return { delay: rng.int(1, 3), at: rng.next() };
}

/** Index in [start, end) of the event a pick designates: never the sign-up, never `exclude`. */
function pickIndex(out: EventBuffer, start: number, end: number, at: number, exclude = -1): number {
  const candidates: number[] = [];
  for (let i = start; i < end; i++) if (out.types[i] !== SIGNED_UP && i !== exclude) candidates.push(i);
  return candidates[Math.floor(at * candidates.length)] ?? -1;
}

export function badLineShares(options: BadLineOptions): BadLineShares {
  const kinds = new Set(options.badKinds);
  const each = kinds.size === 0 ? 0 : options.badRate / kinds.size;
  return Object.fromEntries(
    BAD_LINE_KINDS.map((kind) => [kind, kinds.has(kind) ? each : 0]),
  ) as BadLineShares;
}

/**
 * The index of the event in `events[start ..]` (one user-day, just generated) that arrives late,
 * in a later day's file, or -1 when none does.
 */
export function lateEventIndex(
  share: BadLineShares,
  seed: number,
  user: User,
  day: number,
  events: EventBuffer,
  start: number,
): number {
  const late =
    events.length > start ? pickFor(STREAM.latePick, share.late_event, seed, user, day) : undefined;
  return late ? pickIndex(events, start, events.length, late.at) : -1;
}

const CORRUPTIONS = [
  'invalid_json',
  'missing_field',
  'unknown_event_type',
  'invalid_timestamp',
  'future_timestamp',
] as const;

/** A broken copy of a valid event, under a new event id so it never doubles as a duplicate. */
function corrupt(kind: (typeof CORRUPTIONS)[number], line: Buffer, rng: Random): Buffer {
  const event = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
  const id = new EventBuffer(64);
  id.uuid(rng);
  event.event_id = id.bytes.toString('latin1', 0, id.pos);
  const timestamp = String(event.event_timestamp);
  switch (kind) {
    case 'invalid_json': {
      const text = JSON.stringify(event);
      // Cut before the final brace: a truncated object is never valid JSON.
      return Buffer.from(text.slice(0, rng.int(20, text.length - 10)));
    }
    case 'missing_field':
      delete event[rng.pick(REQUIRED_FIELDS)];
      break;
    case 'unknown_event_type':
      event.event_type = rng.pick(UNKNOWN_TYPES);
      break;
    case 'invalid_timestamp':
      event.event_timestamp = rng.pick([
        `${timestamp.slice(0, 10)}T25:61:00Z`,
        `${timestamp.slice(0, 5)}13-45T09:00:00Z`,
        'not-a-timestamp',
        `${timestamp.slice(0, 10)}Tnoon`,
      ]);
      break;
    case 'future_timestamp': {
      // Decades ahead, yet before 2100: some parsers accept only years up to 2099.
      const future = new Date(timestamp);
      future.setUTCFullYear(2090 + rng.int(0, 8));
      event.event_timestamp = future.toISOString();
      break;
    }
  }
  return Buffer.from(JSON.stringify(event));
}

/**
 * The day's bad lines: late arrivals and duplicates from the three days before, duplicates within
 * the day, then broken copies. `out` holds the day's events and `order` the valid ones in file
 * order; late arrivals are valid events, so they are added to `eventsByType`.
 */
export function dayBadLines(
  population: Population,
  day: number,
  options: BadLineOptions,
  share: BadLineShares,
  out: EventBuffer,
  order: readonly number[],
  eventsByType: number[],
): DayBadLines {
  const { seed } = population;
  const n = out.length;
  const badLines = Object.fromEntries(BAD_LINE_KINDS.map((kind) => [kind, 0])) as Record<BadLineKind, number>;
  const extras: Buffer[] = [];
  if (options.badRate > 0 && order.length > 0) {
    const rng = Random.of(seed, STREAM.badLines, day);
    const countFor = (rate: number): number => Math.floor(rate * n + rng.next());
    const anyEvent = (): Buffer => out.line(order[rng.int(0, order.length - 1)] ?? 0);

    // Events of the previous three days: late arrivals (moved here) and duplicates (copied).
    for (let delay = 1; delay <= 3; delay++) {
      const source = day - delay;
      if (source < population.launchDay) break;
      const sourceClock = new DayClock(source);
      for (const user of population.users) {
        if (user.signupDay > source) break;
        const late = pickFor(STREAM.latePick, share.late_event, seed, user, source);
        const copy = pickFor(STREAM.duplicatePick, share.duplicate / 2, seed, user, source);
        if (late?.delay !== delay && copy?.delay !== delay) continue;
        const events = new EventBuffer(1 << 16);
        generateUserDay(seed, user, sourceClock, events);
        const lateIndex = late ? pickIndex(events, 0, events.length, late.at) : -1;
        if (late?.delay === delay && lateIndex >= 0) {
          extras.push(Buffer.from(events.line(lateIndex)));
          const type = events.types[lateIndex] ?? 0;
          eventsByType[type] = (eventsByType[type] ?? 0) + 1;
          badLines.late_event++;
        }
        if (copy?.delay === delay) {
          const index = pickIndex(events, 0, events.length, copy.at, lateIndex);
          if (index >= 0) {
            extras.push(Buffer.from(events.line(index)));
            badLines.duplicate++;
          }
        }
      }
    }

    // Duplicates within the day, then broken lines.
    for (let i = countFor(share.duplicate / 2); i > 0; i--) {
      extras.push(anyEvent());
      badLines.duplicate++;
    }
    for (const kind of CORRUPTIONS) {
      for (let i = countFor(share[kind]); i > 0; i--) {
        extras.push(corrupt(kind, anyEvent(), rng));
        badLines[kind]++;
      }
    }
  }
  return { extras, counts: badLines };
}

/**
 * Bad lines land at random places, as they would in a real feed. Returns the day's lines in
 * file order: indices into the day's events for events (from `order`), -1 - i for `extras[i]`.
 */
export function mixIn(
  seed: number,
  day: number,
  order: readonly number[],
  extras: readonly Buffer[],
): number[] {
  const lines: number[] = [];
  const rng = Random.of(seed, STREAM.badLines, day, 1);
  const placed = extras.map((_, i) => ({ at: rng.int(0, order.length), i }));
  placed.sort((a, b) => a.at - b.at || a.i - b.i);
  let next = 0;
  for (let g = 0; g <= order.length; g++) {
    while (next < placed.length && placed[next]?.at === g) lines.push(-1 - (placed[next++]?.i ?? 0));
    if (g < order.length) lines.push(order[g] ?? 0);
  }
  return lines;
}
