/**
 * One user's simulated day: sessions that start at working-hour peaks, each a login, edits,
 * shares and feature use around the documents in focus, the day's planned actions (documents
 * created or deleted, plan changes) and most often a logout. A pure function of (seed, user, day).
 */
import * as encoding from './event-buffer';
import type { EventBuffer } from './event-buffer';
import {
  FEATURE_MODEL,
  STREAM,
  activityProbability,
  isAlive,
  planOn,
  timeOfDay,
  type DocumentPlan,
  type User,
} from './model';
import { Random, WeightedChoice } from './random';
import { DAY_MS, isWeekend, type DayClock } from './time';

// Bound once here: the CommonJS that tsx and esbuild emit reads an imported name through a getter
// at every use, which costs the generator about 4% in the loop below.
const { CLOSE, EDIT_CHARACTERS, EDIT_SECONDS, LOGOUT, PROPERTIES, SHARE, TYPE } = encoding;
const SIGNED_UP = TYPE.user_signed_up;

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
