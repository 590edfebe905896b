/**
 * The behaviour model shared by the population (built once per run, with faker) and the
 * day generator (the hot path, which never loads faker): stream tags, activity curves, the
 * feature model, and the shapes of users and documents.
 */
import { FEATURES, type EventType, type Plan, type Platform } from './catalog';
import { Random, WeightedChoice } from './random';
import { isWeekend } from './time';

const encoder = new TextEncoder();

/** Stream tags: each independent use of randomness has its own. */
export const STREAM = {
  signups: 11,
  company: 12,
  profile: 13,
  documents: 14,
  accounts: 15,
  fakerUser: 16,
  fakerCompany: 17,
  fakerTitles: 18,
  userDay: 21,
  badLines: 31,
  latePick: 32,
  duplicatePick: 33,
} as const;

/**
 * Chance of being active on a weekend day relative to a weekday. Work that must happen on a
 * given day (sign-ups, documents, plan changes) lifts weekends a little, so the per-day
 * volume of a weekend comes out at about 40% of a weekday's.
 */
export const WEEKEND_ACTIVITY_FACTOR = 0.37;

/** Relative activity by local hour: working-hour peaks around 10:00 and 14:00–15:00. */
const WEEKDAY_HOURS = [
  0.5, 0.3, 0.2, 0.2, 0.2, 0.4, 1, 2.5, 5, 8, 9, 8.5, 6, 7.5, 8.5, 8, 7, 5, 3, 2.5, 2.5, 2.2, 1.5, 1,
];
const WEEKEND_HOURS = [
  1, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2, 3.5, 4.5, 5, 5, 4.5, 4.5, 4, 3.5, 3, 3, 3, 3, 2.5, 2, 1.5,
];
export const HOUR_OF_DAY = {
  weekday: new WeightedChoice(WEEKDAY_HOURS.map((w, h) => [h, w] as const)),
  weekend: new WeightedChoice(WEEKEND_HOURS.map((w, h) => [h, w] as const)),
};

/**
 * Per feature: mean days after sign-up (for an average user) until first use, the share of
 * users who never use it, its popularity once adopted, and whether it acts on a document.
 */
const FEATURE_ADOPTION: Record<
  string,
  { meanDays: number; never: number; weight: number; withDoc: boolean }
> = {
  comments: { meanDays: 3, never: 0.1, weight: 30, withDoc: true },
  real_time_collab: { meanDays: 10, never: 0.25, weight: 26, withDoc: true },
  cloud_storage: { meanDays: 6, never: 0.2, weight: 15, withDoc: false },
  export_pdf: { meanDays: 12, never: 0.3, weight: 10, withDoc: true },
  version_history: { meanDays: 20, never: 0.35, weight: 10, withDoc: true },
  templates: { meanDays: 5, never: 0.3, weight: 8, withDoc: false },
  advanced_search: { meanDays: 30, never: 0.5, weight: 6, withDoc: false },
  team_analytics: { meanDays: 45, never: 0.6, weight: 4, withDoc: false },
};

export const FEATURE_MODEL = FEATURES.map((feature) => {
  const model = FEATURE_ADOPTION[feature.feature_id];
  if (!model) throw new Error(`no adoption model for feature ${feature.feature_id}`);
  return {
    ...feature,
    ...model,
    /** `{"feature_id":…,"feature_name":…,"duration_sec":`: the start of `feature_used`'s properties. */
    props: utf8(
      `{"feature_id":${JSON.stringify(feature.feature_id)},"feature_name":${JSON.stringify(feature.feature_name)},"duration_sec":`,
    ),
  };
});

/** UTF-8 bytes of a JSON fragment: events are written as bytes, not strings (see event-buffer.ts). */
export function utf8(text: string): Uint8Array {
  // Not Buffer.from: small Buffers share an 8 KB pool, which worker messages would copy whole.
  return encoder.encode(text);
}

export interface Device {
  readonly platform: Platform;
  /** `,"context":{…}}` closing an event line. */
  readonly contextTail: Uint8Array;
}

export interface DocumentPlan {
  readonly owner: number;
  /** Per-owner ordinal, in creation order. */
  readonly ordinal: number;
  readonly createdDay: number;
  /** Day of deletion, or Infinity. Always after `createdDay`. */
  readonly deletedDay: number;
  /** `,"title":…,"template":…}`: the rest of `document_created`'s properties. */
  readonly createdProps: Uint8Array;
  /** Assigned once all documents are known: `doc_000123`, numbered by creation day. */
  id: string;
  /** `{"document_id":"doc_000123"` (no closing brace). */
  propsPrefix: Uint8Array;
  /** `,"document_id":"doc_000123"}` for `feature_used`. */
  featureSuffix: Uint8Array;
}

export interface PlanChange {
  readonly day: number;
  readonly type: Extract<
    EventType,
    'subscription_started' | 'subscription_upgraded' | 'subscription_downgraded' | 'subscription_cancelled'
  >;
  readonly plan: Plan;
  readonly previousPlan: Plan;
  /** The properties object, ready to write. */
  readonly props: Uint8Array;
}

/** What must happen on one user-day, whatever the dice say. */
export interface PlannedDay {
  creates: DocumentPlan[];
  deletes: DocumentPlan[];
  planChange?: PlanChange;
}

export interface User {
  readonly index: number;
  /** `usr_000001` for index 0. */
  readonly id: string;
  /** The customer account (company) the user acts for: `acct_000001`. */
  readonly accountId: string;
  /** `","user_id":"usr_000001","account_id":"acct_000001","session_id":"ses_`: what follows the timestamp. */
  readonly sessionPrefix: Uint8Array;
  readonly signupMs: number;
  readonly signupDay: number;
  readonly tzOffsetHours: number;
  readonly signupPlan: Plan;
  /** Relative activity, median about 1; heavy users up to about 4. */
  readonly engagement: number;
  /** Probability of being active on a weekday early in life. */
  readonly weekdayActivity: number;
  /** Days over which activity decays towards `activityFloor` of its initial level. */
  readonly decayDays: number;
  readonly activityFloor: number;
  readonly sessionsPerDay: number;
  readonly actionsPerSession: number;
  /** Characters typed per second of editing. */
  readonly typingRate: number;
  /** Active windows as [firstDay, endDay) pairs: after `endDay` the user has churned. */
  readonly windows: readonly (readonly [number, number])[];
  readonly loginProps: Uint8Array;
  readonly devices: readonly Device[];
  /** Age in days at which each feature (FEATURE_MODEL order) is first used; Infinity = never. */
  readonly featureAdoptionAge: Float64Array;
  readonly planChanges: readonly PlanChange[];
  readonly documents: readonly DocumentPlan[];
  readonly planned: ReadonlyMap<number, PlannedDay>;
  /** The `properties` object of `user_signed_up`. */
  readonly signupProps: Uint8Array;
  /** Expected events on an active day, used to size injected bad lines. */
  readonly eventsPerActiveDay: number;
}

export interface Population {
  readonly seed: number;
  readonly scale: number;
  readonly launchDay: number;
  /** Last day the population was built for. */
  readonly untilDay: number;
  readonly users: readonly User[];
  readonly documentCount: number;
  /** Customer accounts, one per company: `acct_000001` … */
  readonly accountCount: number;
}

export interface PopulationOptions {
  seed: number;
  scale: number;
  launchDay: number;
  untilDay: number;
}

export function isAlive(user: User, day: number): boolean {
  for (const [first, end] of user.windows) if (day >= first && day < end) return true;
  return false;
}

/** Start of the active window containing `day`, or undefined. */
function windowStart(user: User, day: number): number | undefined {
  for (const [first, end] of user.windows) if (day >= first && day < end) return first;
  return undefined;
}

/** Probability that a user is active on a day on which nothing is planned. */
export function activityProbability(user: User, day: number): number {
  const start = windowStart(user, day);
  if (start === undefined) return 0;
  // Activity decays with time since the user (re)joined; a comeback starts fresh but lower.
  const age = day - start;
  const comeback = start === user.signupDay ? 1 : 0.7;
  const decay = user.activityFloor + (1 - user.activityFloor) * Math.exp(-age / user.decayDays);
  const weekend = isWeekend(day) ? WEEKEND_ACTIVITY_FACTOR : 1;
  return Math.min(1, user.weekdayActivity * decay * weekend * comeback);
}

export function planOn(user: User, day: number): Plan {
  let plan = user.signupPlan;
  for (const change of user.planChanges) {
    if (change.day >= day) break;
    plan = change.plan;
  }
  return plan;
}

/** A time of day in [0, DAY_MS) for a user: working-hour peaks in local time, wrapped into the UTC day. */
export function timeOfDay(rng: Random, tzOffsetHours: number, weekend: boolean): number {
  const localHour = (weekend ? HOUR_OF_DAY.weekend : HOUR_OF_DAY.weekday).choose(rng);
  const utcHour = (((localHour - tzOffsetHours) % 24) + 24) % 24;
  return utcHour * 3_600_000 + Math.floor(rng.next() * 3_600_000);
}
