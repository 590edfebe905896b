/**
 * The byte-level encoding of events: the JSON fragments every event line is made of, encoded
 * once, and the buffer a day's events are written into.
 */
import { EVENT_TYPES, SHARE_TYPES, type EventType } from './catalog';
import { utf8, type User } from './model';
import type { Random } from './random';
import type { DayClock } from './time';

/** Event types by their index in EVENT_TYPES: the code an EventBuffer keeps per event. */
export const TYPE = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<EventType, number>;

// Events are written as UTF-8 bytes straight into one buffer per day. Building each line as
// a JavaScript string costs several times more (rope strings, flattening, re-encoding), and
// the bytes are what gzip wants anyway. Every fragment that repeats is encoded once here or
// in the population.
const HEAD = utf8('{"event_id":"');
const TYPE_PART = EVENT_TYPES.map((type) => utf8(`","event_type":"${type}","event_timestamp":"`));
export const PROPERTIES = utf8('","properties":');
export const EDIT_SECONDS = utf8(',"edit_duration_sec":');
export const EDIT_CHARACTERS = utf8(',"characters_added":');
export const SHARE = SHARE_TYPES.map((type) => utf8(`,"share_type":"${type}"}`));
export const LOGOUT = utf8('{"session_duration_sec":');
const HEX = utf8('0123456789abcdef');
const ZERO = 48;
const DASH = 45;
export const CLOSE = 125; // }

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
