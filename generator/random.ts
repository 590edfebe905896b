/**
 * Seeded randomness for the generator's hot path.
 *
 * Every stream is keyed by a tuple such as (seed, user, day), so any user-day can be
 * regenerated on its own: that is what makes a one-month run equal the first month of a
 * six-month run, lets worker threads split days freely, and lets a later day re-derive an
 * earlier day's event when it injects a late or duplicate copy.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast counter"): as cheap per call as
 * mulberry32, but with 128 bits of state. mulberry32 walks one cycle of 2^32 states, so tens
 * of thousands of independently seeded streams overlap somewhere in that cycle, and
 * overlapping streams would repeat event ids. With 128-bit state that does not happen.
 */

/** Final avalanche step of MurmurHash3: a bijection on 32-bit integers. */
export function fmix32(input: number): number {
  let h = input | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a tuple of integers into one 32-bit hash; `salt` separates independent uses. */
export function hashInts(salt: number, values: readonly number[]): number {
  let h = fmix32(salt ^ 0x9e3779b9);
  for (const value of values) {
    // Values may exceed 32 bits (seeds): fold the high part in separately.
    const low = value | 0;
    const high = Math.floor(value / 4294967296) | 0;
    h = fmix32(Math.imul(h ^ low, 0x27d4eb2f) + 0x165667b1);
    h = fmix32(Math.imul(h ^ high, 0x2c1b3c6d) + 0x297a2d39);
  }
  return h;
}

/** A seeded pseudo-random stream. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    // The first outputs of a freshly seeded sfc32 are poorly mixed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A stream keyed by a tuple of integers; equal keys give equal streams. */
  static of(...key: number[]): Random {
    return new Random(hashInts(1, key), hashInts(2, key), hashInts(3, key), hashInts(4, key));
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream simple). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Poisson-distributed count; a normal approximation above 30 keeps big means O(1). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty array');
    return item;
  }
}

/**
 * Cumulative weights for fast repeated weighted choice: build once, draw with `choose`.
 */
export class WeightedChoice<T> {
  readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0) throw new Error('WeightedChoice needs at least one entry');
    this.items = entries.map(([item]) => item);
    this.cumulative = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach(([, weight], i) => {
      sum += weight;
      this.cumulative[i] = sum;
    });
    this.total = sum;
  }

  choose(rng: Random): T {
    return this.chooseWith(rng.next());
  }

  /** Chooses with a given uniform draw in [0, 1). */
  chooseWith(uniform: number): T {
    const target = uniform * this.total;
    const cumulative = this.cumulative;
    let i = 0;
    while (i < cumulative.length - 1 && (cumulative[i] ?? 0) <= target) i++;
    return this.items[i] as T;
  }
}
