/**
 * One day of events: every user's sessions, merged and sorted by time, optional bad lines,
 * cut into gzipped NDJSON parts. A pure function of (population, day, options): that is what
 * lets worker threads take any day, and lets a day re-derive an earlier day's events.
 */
import { gzipSync } from 'node:zlib';

import { BAD_LINE_KINDS, EVENT_TYPES, SHARE_TYPES, type BadLineKind, type EventType } from './catalog';
import {
  FEATURE_MODEL,
  STREAM,
  activityProbability,
  isAlive,
  planOn,
  timeOfDay,
  type DocumentPlan,
  type Population,
  type User,
  utf8,
} from './model';
import { Random, WeightedChoice } from './random';
import { DAY_MS, DayClock, formatDay, isWeekend } from './time';

export interface DayOptions {
  /** Share of extra bad lines, 0 to disable. */
  readonly badRate: number;
  /** Kinds of bad lines to inject; the rate is split evenly between them. */
  readonly badKinds: readonly BadLineKind[];
  /** Lines per file before a new part starts; 0 for one file per day. */
  readonly maxLinesPerFile: number;
  readonly gzipLevel: number;
}

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

const TYPE = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<EventType, number>;
const SIGNED_UP = TYPE.user_signed_up;

// Events are written as UTF-8 bytes straight into one buffer per day. Building each line as
// a JavaScript string costs several times more (rope strings, flattening, re-encoding), and
// the bytes are what gzip wants anyway. Every fragment that repeats is encoded once here or
// in the population.
const HEAD = utf8('{"event_id":"');
const TYPE_PART = EVENT_TYPES.map((type) => utf8(`","event_type":"${type}","event_timestamp":"`));
const PROPERTIES = utf8('","properties":');
const EDIT_SECONDS = utf8(',"edit_duration_sec":');
const EDIT_CHARACTERS = utf8(',"characters_added":');
const SHARE = SHARE_TYPES.map((type) => utf8(`,"share_type":"${type}"}`));
const LOGOUT = utf8('{"session_duration_sec":');
const HEX = utf8('0123456789abcdef');
const ZERO = 48;
const DASH = 45;
const CLOSE = 125; // }
const NEWLINE = 10;

/**
 * One day's events as bytes: event i is `bytes[starts[i] .. ends[i])`, with its time of day
 * and type alongside for sorting and counting.
 */
export class EventBuffer {
  bytes: Buffer;
  pos = 0;
  starts: number[] = [];
  ends: number[] = [];
  times: number[] = [];
  types: number[] = [];

  constructor(initialBytes = 1 << 20) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.starts.length;
  }

  /** Empties the buffer, keeping its memory for the next day. */
  reset(): void {
    this.pos = 0;
    this.starts.length = 0;
    this.ends.length = 0;
    this.times.length = 0;
    this.types.length = 0;
  }

  /** The event's line, without the newline. */
  line(i: number): Buffer {
    return this.bytes.subarray(this.starts[i], this.ends[i]);
  }

  /** Starts an event: everything up to and including `"session_id":"ses_`. */
  begin(rng: Random, type: number, clock: DayClock, msOfDay: number, user: User): void {
    // Room for a whole event, so the small writes below need no checks of their own: the
    // longest pieces (user agents, names, titles) are a few hundred bytes.
    while (this.pos + 8192 > this.bytes.length) this.grow();
    this.starts.push(this.pos);
    this.times.push(msOfDay);
    this.types.push(type);
    this.put(HEAD);
    this.uuid(rng);
    this.put(TYPE_PART[type] as Uint8Array);
    this.pos = clock.write(this.bytes, this.pos, msOfDay);
    this.put(user.sessionPrefix);
  }

  end(tail: Uint8Array): void {
    this.put(tail);
    this.ends.push(this.pos);
  }

  put(source: Uint8Array): void {
    const n = source.length;
    // `begin` reserves room for any ordinary event; this only guards against surprises.
    while (this.pos + n > this.bytes.length) this.grow();
    const bytes = this.bytes;
    const pos = this.pos;
    // Short copies are cheaper in JavaScript than through TypedArray#set.
    if (n < 32) for (let i = 0; i < n; i++) bytes[pos + i] = source[i] as number;
    else bytes.set(source, pos);
    this.pos = pos + n;
  }

  byte(value: number): void {
    this.bytes[this.pos++] = value;
  }

  /** A non-negative integer in decimal. */
  int(value: number): void {
    const bytes = this.bytes;
    if (value < 10) {
      bytes[this.pos++] = ZERO + value;
      return;
    }
    let digits = 0;
    for (let n = value; n >= 1; n = Math.floor(n / 10)) digits++;
    let at = this.pos + digits;
    for (let n = value; n >= 1; n = Math.floor(n / 10)) bytes[--at] = ZERO + (n % 10);
    this.pos += digits;
  }

  /** `digits` lowercase hex digits of `value`, most significant first. */
  hex(value: number, digits: number): void {
    const bytes = this.bytes;
    const pos = this.pos;
    for (let i = 0; i < digits; i++) bytes[pos + i] = HEX[(value >>> (4 * (digits - 1 - i))) & 15] as number;
    this.pos = pos + digits;
  }

  /** A version-4-shaped UUID (8-4-4-4-12) from four draws. */
  uuid(rng: Random): void {
    const a = rng.nextUint32();
    const b = rng.nextUint32();
    const c = rng.nextUint32();
    const d = rng.nextUint32();
    this.hex(a, 8);
    this.byte(DASH);
    this.hex(b >>> 16, 4);
    this.byte(DASH);
    this.hex(0x4000 | (b & 0x0fff), 4);
    this.byte(DASH);
    this.hex(0x8000 | ((c >>> 16) & 0x3fff), 4);
    this.byte(DASH);
    this.hex(c & 0xffff, 4);
    this.hex(d, 8);
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafe(this.bytes.length * 2);
    this.bytes.copy(bigger, 0, 0, this.pos);
    this.bytes = bigger;
  }
}

const LAST_MS = DAY_MS - 1;
/** No new session starts in the last 20 minutes of the UTC day. */
const LAST_SESSION_START = DAY_MS - 20 * 60_000;
const MIN_SESSION_GAP = 10 * 60_000;

const SHARE_TYPE = new WeightedChoice<number>([
  [0, 50],
  [1, 35],
  [2, 15],
]);

type PlannedAction =
  | { kind: 'create'; doc: DocumentPlan }
  | { kind: 'delete'; doc: DocumentPlan }
  | { kind: 'plan'; type: number; props: Uint8Array };

/**
 * Appends one user's events for `clock.day` to `out`, in time order. Everything random is
 * drawn from a stream keyed by (seed, user, day).
 */
export function generateUserDay(seed: number, user: User, clock: DayClock, out: EventBuffer): void {
  const day = clock.day;
  const planned = user.planned.get(day);
  if (!planned && !isAlive(user, day)) return;
  const rng = Random.of(seed, STREAM.userDay, user.index, day);
  if (!planned && !rng.chance(activityProbability(user, day))) return;

  const weekend = isWeekend(day);
  const plan = planOn(user, day);
  const age = day - user.signupDay;
  const signupTime = user.signupMs - clock.startMs;
  const isSignupDay = day === user.signupDay;

  // Session start times: working-hour peaks in the user's local time.
  const sessionCount = 1 + rng.poisson(user.sessionsPerDay - 1);
  let starts: number[] = [];
  for (let i = 0; i < sessionCount; i++) starts.push(timeOfDay(rng, user.tzOffsetHours, weekend));
  starts.sort((a, b) => a - b);
  if (isSignupDay) starts = [signupTime, ...starts.filter((t) => t > signupTime)];

  // Documents alive at the start of the day; those deleted today are still here.
  const live: DocumentPlan[] = [];
  for (const doc of user.documents) {
    if (doc.createdDay < day && doc.deletedDay >= day) live.push(doc);
  }

  // Features adopted by now, weighted by popularity; premium ones only on trial for free users.
  const featureWeights = new Float64Array(FEATURE_MODEL.length);
  let featureTotal = 0;
  FEATURE_MODEL.forEach((feature, i) => {
    if (age >= (user.featureAdoptionAge[i] ?? Infinity)) {
      let weight = feature.weight;
      if (feature.is_premium && plan === 'free') weight *= 0.03;
      if (feature.feature_id === 'team_analytics' && plan === 'enterprise') weight *= 3;
      featureTotal += weight;
    }
    featureWeights[i] = featureTotal;
  });

  // What must happen today goes into a random session; the last session takes what is left.
  const bySession: PlannedAction[][] = starts.map(() => []);
  if (planned) {
    const actions: PlannedAction[] = [
      ...planned.creates.map((doc) => ({ kind: 'create' as const, doc })),
      ...planned.deletes.map((doc) => ({ kind: 'delete' as const, doc })),
    ];
    if (planned.planChange) {
      actions.push({ kind: 'plan', type: TYPE[planned.planChange.type], props: planned.planChange.props });
    }
    for (const action of actions) bySession[rng.int(0, starts.length - 1)]?.push(action);
  }

  let cursor = 0;
  for (let s = 0; s < starts.length; s++) {
    const start = Math.max(starts[s] ?? 0, cursor);
    const session1 = rng.nextUint32();
    const session2 = rng.nextUint32();
    const device =
      user.devices.length === 1 || rng.chance(0.75) ? user.devices[0] : rng.pick(user.devices.slice(1));
    if (!device) throw new Error(`user ${user.id} has no device`);
    const tail = device.contextTail;
    let t = Math.min(start, LAST_MS);
    /** Writes the event up to its properties object. */
    const begin = (type: number): void => {
      out.begin(rng, type, clock, t, user);
      out.hex(session1, 8);
      out.hex(session2, 8);
      out.put(PROPERTIES);
    };

    if (isSignupDay && s === 0) {
      begin(SIGNED_UP);
      out.put(user.signupProps);
      out.end(tail);
      t = Math.min(t + rng.int(1_000, 8_000), LAST_MS);
    }
    begin(TYPE.user_login);
    out.put(user.loginProps);
    out.end(tail);

    let focus: DocumentPlan | undefined =
      live.length === 0 ? undefined : rng.chance(0.5) ? live[live.length - 1] : rng.pick(live);
    const pending = bySession[s] ?? [];
    const actionCount = Math.max(1, Math.round(rng.logNormal(user.actionsPerSession, 0.6)));
    let remaining = actionCount + pending.length;

    const doPlanned = (action: PlannedAction): void => {
      t = Math.min(t + rng.int(2_000, 60_000), LAST_MS);
      if (action.kind === 'create') {
        begin(TYPE.document_created);
        out.put(action.doc.propsPrefix);
        out.put(action.doc.createdProps);
        live.push(action.doc);
        focus = action.doc;
      } else if (action.kind === 'delete') {
        begin(TYPE.document_deleted);
        out.put(action.doc.propsPrefix);
        out.byte(CLOSE);
        const at = live.indexOf(action.doc);
        if (at >= 0) live.splice(at, 1);
        if (focus === action.doc) focus = live[live.length - 1];
      } else {
        begin(action.type);
        out.put(action.props);
      }
      out.end(tail);
    };

    while (remaining > 0) {
      // Interleave the planned actions uniformly among the ordinary ones.
      if (pending.length > 0 && rng.next() * remaining < pending.length) {
        doPlanned(pending.shift() as PlannedAction);
        remaining--;
        continue;
      }
      remaining--;
      if (t > DAY_MS - 60_000) continue;
      const r = rng.next();
      const think = rng.int(3_000, 45_000);
      if (focus && r < 0.74) {
        if (rng.chance(0.2)) focus = rng.pick(live);
        const seconds = Math.min(1800, Math.round(rng.logNormal(40, 0.9)));
        const characters = rng.chance(0.12) ? 0 : Math.round(seconds * user.typingRate * (0.3 + rng.next()));
        t = Math.min(t + think, LAST_MS);
        begin(TYPE.document_edited);
        out.put(focus.propsPrefix);
        out.put(EDIT_SECONDS);
        out.int(seconds);
        out.put(EDIT_CHARACTERS);
        out.int(characters);
        out.byte(CLOSE);
        out.end(tail);
        t += seconds * 1000;
      } else if (focus && r < 0.775) {
        t = Math.min(t + think, LAST_MS);
        begin(TYPE.document_shared);
        out.put(focus.propsPrefix);
        out.put(SHARE[SHARE_TYPE.choose(rng)] as Uint8Array);
        out.end(tail);
      } else if (featureTotal > 0) {
        const target = rng.next() * featureTotal;
        let f = 0;
        while (f < featureWeights.length - 1 && (featureWeights[f] ?? 0) <= target) f++;
        const feature = FEATURE_MODEL[f];
        if (!feature) continue;
        const seconds = Math.min(900, Math.round(rng.logNormal(25, 0.8)));
        t = Math.min(t + think, LAST_MS);
        begin(TYPE.feature_used);
        out.put(feature.props);
        out.int(seconds);
        if (feature.withDoc && focus) out.put(focus.featureSuffix);
        else out.byte(CLOSE);
        out.end(tail);
        t += seconds * 1000;
      }
    }

    // If no further session fits today, this one takes the planned actions left over.
    const nextStart = Math.max(starts[s + 1] ?? Infinity, t + MIN_SESSION_GAP);
    const last = s === starts.length - 1 || nextStart > LAST_SESSION_START;
    if (last) {
      for (let later = s + 1; later < starts.length; later++) {
        for (const action of bySession[later] ?? []) doPlanned(action);
      }
    }

    // Most sessions end with an explicit logout; the rest simply time out.
    if (rng.chance(0.88)) {
      t = Math.min(t + rng.int(1_000, 20_000), LAST_MS);
      begin(TYPE.user_logout);
      out.put(LOGOUT);
      out.int(Math.round((t - start) / 1000));
      out.byte(CLOSE);
      out.end(tail);
    }
    if (last) break;
    cursor = t + MIN_SESSION_GAP;
  }
}

// ---------------------------------------------------------------------------------------
// Bad lines

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

function shares(options: DayOptions): Record<BadLineKind, number> {
  const kinds = new Set(options.badKinds);
  const each = kinds.size === 0 ? 0 : options.badRate / kinds.size;
  return Object.fromEntries(BAD_LINE_KINDS.map((kind) => [kind, kinds.has(kind) ? each : 0])) as Record<
    BadLineKind,
    number
  >;
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

// ---------------------------------------------------------------------------------------

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
  const share = shares(options);
  const badLines = Object.fromEntries(BAD_LINE_KINDS.map((kind) => [kind, 0])) as Record<BadLineKind, number>;
  const removed = new Set<number>();

  for (const user of population.users) {
    if (user.signupDay > day) break; // users are in sign-up order
    const start = out.length;
    generateUserDay(seed, user, clock, out);
    const late = out.length > start ? pickFor(STREAM.latePick, share.late_event, seed, user, day) : undefined;
    if (late) {
      const index = pickIndex(out, start, out.length, late.at);
      if (index >= 0) removed.add(index);
    }
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

  // Bad lines land at random places, as they would in a real feed. `lines` holds indices into
  // `out` for events and -1 - i for extras[i].
  const lines: number[] = [];
  {
    const rng = Random.of(seed, STREAM.badLines, day, 1);
    const placed = extras.map((_, i) => ({ at: rng.int(0, order.length), i }));
    placed.sort((a, b) => a.at - b.at || a.i - b.i);
    let next = 0;
    for (let g = 0; g <= order.length; g++) {
      while (next < placed.length && placed[next]?.at === g) lines.push(-1 - (placed[next++]?.i ?? 0));
      if (g < order.length) lines.push(order[g] ?? 0);
    }
  }

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

  return {
    day,
    date: formatDay(day),
    parts,
    events: eventsByType.reduce((a, b) => a + b, 0),
    lines: lines.length,
    eventsByType,
    badLines,
  };
}
