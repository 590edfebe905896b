import { rm } from 'node:fs/promises';

import { EVENT_TYPES, FEATURES, generate, type GenerateSummary } from '../../generator';
import { buildPopulation } from '../../generator/population';
import { parseDay, weekday } from '../../generator/time';
import { readLines, tempDir, type GeneratedEvent, type Line } from './helpers';

const FROM = '2024-01-01';
const TO = '2024-04-30';

/** A seat's plan, with the price it pays when the account says so. */
const SEAT_KEYS = [
  ['plan', 'previous_plan', 'billing_cycle'],
  ['plan', 'previous_plan', 'billing_cycle', 'mrr', 'currency'],
  ['plan', 'previous_plan', 'billing_cycle', 'amount', 'currency'],
];

const PROPERTY_KEYS: Record<string, string[][]> = {
  user_signed_up: [['email', 'name', 'plan', 'company', 'country', 'signup_source']],
  user_login: [['method']],
  user_logout: [['session_duration_sec']],
  document_created: [['document_id', 'title', 'template']],
  document_edited: [['document_id', 'edit_duration_sec', 'characters_added']],
  document_shared: [['document_id', 'share_type']],
  document_deleted: [['document_id']],
  feature_used: [
    ['feature_id', 'feature_name', 'duration_sec'],
    ['feature_id', 'feature_name', 'duration_sec', 'document_id'],
  ],
  subscription_started: SEAT_KEYS,
  subscription_upgraded: SEAT_KEYS,
  subscription_downgraded: SEAT_KEYS,
  subscription_cancelled: [['plan', 'previous_plan', 'reason']],
};

const PREMIUM = new Set(FEATURES.filter((f) => f.is_premium).map((f) => f.feature_id));

interface Event extends GeneratedEvent, Line {
  /** Position in the run's files, for stable ordering of equal timestamps. */
  readonly position: number;
}

function byUser(events: readonly Event[]): Map<string, Event[]> {
  const map = new Map<string, Event[]>();
  for (const event of events) {
    const list = map.get(event.user_id) ?? [];
    list.push(event);
    map.set(event.user_id, list);
  }
  return map;
}

function days(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 86_400_000;
}

describe('generated events tell a believable story', () => {
  let root: string;
  let summary: GenerateSummary;
  let events: Event[];
  let users: Map<string, Event[]>;

  beforeAll(async () => {
    root = await tempDir('realism');
    summary = await generate({ from: FROM, to: TO, seed: 11, scale: 0.3, outDir: root });
    const lines = await readLines(root);
    events = lines.map((line, position) => ({
      ...(JSON.parse(line.text) as GeneratedEvent),
      ...line,
      position,
    }));
    // Files are per day and sorted by time, so file order is time order.
    users = byUser(events);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('the summary matches the files', () => {
    expect(summary.events).toBe(events.length);
    expect(summary.lines).toBe(events.length);
    expect(summary.events).toBeGreaterThan(100_000);
    expect(summary.users).toBe(users.size);
    const counts = Object.fromEntries(EVENT_TYPES.map((type) => [type, 0]));
    for (const event of events) counts[event.event_type] = (counts[event.event_type] ?? 0) + 1;
    expect(summary.eventsByType).toEqual(counts);
  });

  test('every line follows the event contract, fields in order', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
    const topLevel = JSON.stringify([
      'event_id',
      'event_type',
      'event_timestamp',
      'user_id',
      'account_id',
      'session_id',
      'properties',
      'context',
    ]);
    const contextKeys = JSON.stringify(['platform', 'ip_address', 'user_agent']);
    const propertyKeys = Object.fromEntries(
      Object.entries(PROPERTY_KEYS).map(([type, options]) => [
        type,
        options.map((keys) => JSON.stringify(keys)),
      ]),
    );
    const platforms = new Set(['web', 'desktop', 'ios', 'android']);
    const problems = new Set<string>();
    // One expect per event would take jest minutes on 200k events: collect, then assert once.
    const check = (ok: boolean, what: string, event: Event) => {
      if (!ok && problems.size < 10) problems.add(`${what}: ${event.text}`);
    };
    for (const event of events) {
      const p = event.properties;
      check(
        JSON.stringify(Object.keys(JSON.parse(event.text) as object)) === topLevel,
        'top-level keys',
        event,
      );
      check(uuid.test(event.event_id), 'event_id', event);
      check(new Date(event.event_timestamp).toISOString() === event.event_timestamp, 'timestamp', event);
      check(event.event_timestamp.slice(0, 10) === event.date, 'timestamp in its day', event);
      check(/^usr_\d{6}$/.test(event.user_id) && /^ses_[0-9a-f]{16}$/.test(event.session_id), 'ids', event);
      check(/^acct_\d{6}$/.test(event.account_id), 'account_id', event);
      check(
        propertyKeys[event.event_type]?.includes(JSON.stringify(Object.keys(p))) === true,
        'properties',
        event,
      );
      check(JSON.stringify(Object.keys(event.context)) === contextKeys, 'context keys', event);
      check(platforms.has(event.context.platform), 'platform', event);
      check(ipv4.test(event.context.ip_address) && event.context.user_agent.length >= 20, 'context', event);
      for (const key of ['edit_duration_sec', 'characters_added', 'duration_sec', 'session_duration_sec']) {
        check(!(key in p) || (Number.isInteger(p[key]) && (p[key] as number) >= 0), key, event);
      }
      check(!('document_id' in p) || /^doc_\d{6}$/.test(String(p.document_id)), 'document_id', event);
    }
    expect([...problems]).toEqual([]);
  });

  test('property values come from the documented vocabularies', () => {
    const values = (type: string, key: string) =>
      new Set(events.filter((e) => e.event_type === type).map((e) => e.properties[key]));
    expect([...values('user_signed_up', 'plan')].sort()).toEqual(['enterprise', 'free', 'pro']);
    expect([...values('user_signed_up', 'signup_source')].sort()).toEqual(['ads', 'organic', 'referral']);
    expect([...values('user_signed_up', 'country')].filter((c) => !/^[A-Z]{2}$/.test(String(c)))).toEqual([]);
    expect([...values('user_login', 'method')].sort()).toEqual(['google', 'password', 'sso']);
    expect([...values('document_shared', 'share_type')].sort()).toEqual(['comment', 'edit', 'view']);
    const names = new Set(
      events
        .filter((e) => e.event_type === 'feature_used')
        .map((e) => `${String(e.properties.feature_id)}: ${String(e.properties.feature_name)}`),
    );
    expect([...names].sort()).toEqual(FEATURES.map((f) => `${f.feature_id}: ${f.feature_name}`).sort());
    const emails = [...values('user_signed_up', 'email')].map(String);
    expect(new Set(emails).size).toBe(users.size);
    expect(emails.filter((email) => !/^[^@\s]+@[^@\s]+\.[a-z]+$/.test(email))).toEqual([]);
  });

  test('event ids are unique and every file is sorted by time', () => {
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    for (let i = 1; i < events.length; i++) {
      const [previous, current] = [events[i - 1], events[i]] as [Event, Event];
      if (previous.key === current.key && previous.event_timestamp > current.event_timestamp) {
        throw new Error(
          `not sorted in ${current.key}: ${previous.event_timestamp} > ${current.event_timestamp}`,
        );
      }
    }
  });

  test("a user's first event is the sign-up, and nothing comes before it", () => {
    const wrong = [...users].filter(
      ([, list]) =>
        list[0]?.event_type !== 'user_signed_up' ||
        list.filter((e) => e.event_type === 'user_signed_up').length !== 1,
    );
    expect(wrong.map(([user]) => user)).toEqual([]);
  });

  test('sign-ups are spread over the months and growing', () => {
    const signups = events.filter((e) => e.event_type === 'user_signed_up');
    const month = (m: string) => signups.filter((e) => e.event_timestamp.startsWith(m)).length;
    expect(month('2024-01')).toBeGreaterThan(10);
    expect(month('2024-04')).toBeGreaterThan(month('2024-01') * 1.2);
  });

  test('subscription events change the plan in a consistent order', () => {
    const problems: string[] = [];
    const reasons = new Set([
      'too_expensive',
      'missing_features',
      'switched_competitor',
      'no_longer_needed',
      'other',
    ]);
    let changes = 0;
    for (const list of users.values()) {
      let plan = String(list[0]?.properties.plan);
      for (const event of list) {
        if (!event.event_type.startsWith('subscription_')) continue;
        const p = event.properties;
        const expected: Record<string, [string, string[]]> = {
          subscription_started: ['free', ['pro', 'enterprise']],
          subscription_upgraded: ['pro', ['enterprise']],
          subscription_downgraded: ['enterprise', ['pro']],
          subscription_cancelled: [plan, [plan]],
        };
        const [before, after] = expected[event.event_type] ?? ['?', []];
        const ok =
          plan === before &&
          p.previous_plan === plan &&
          after.includes(String(p.plan)) &&
          (event.event_type === 'subscription_cancelled'
            ? plan !== 'free' && reasons.has(String(p.reason))
            : ['monthly', 'annual'].includes(String(p.billing_cycle)));
        if (!ok) problems.push(`on ${plan}: ${event.text}`);
        plan = event.event_type === 'subscription_cancelled' ? 'free' : String(p.plan);
        changes++;
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(changes).toBeGreaterThan(5);
  });

  test('sessions begin with a login and mostly end with a logout', () => {
    const sessions = new Map<string, Event[]>();
    for (const event of events) {
      const list = sessions.get(event.session_id) ?? [];
      list.push(event);
      sessions.set(event.session_id, list);
    }
    const problems: string[] = [];
    let loggedOut = 0;
    for (const [id, list] of sessions) {
      const first = list[0] as Event;
      const last = list[list.length - 1] as Event;
      const body = first.event_type === 'user_signed_up' ? list.slice(1) : list;
      if (new Set(list.map((e) => `${e.user_id} ${e.date}`)).size !== 1)
        problems.push(`${id}: several users or days`);
      if (body[0]?.event_type !== 'user_login') problems.push(`${id}: starts with ${body[0]?.event_type}`);
      if (list.filter((e) => e.event_type === 'user_login').length !== 1)
        problems.push(`${id}: not one login`);
      const logout = list.findIndex((e) => e.event_type === 'user_logout');
      if (logout < 0) continue;
      loggedOut++;
      if (logout !== list.length - 1) problems.push(`${id}: events after the logout`);
      const seconds = (Date.parse(last.event_timestamp) - Date.parse(first.event_timestamp)) / 1000;
      const reported = last.properties.session_duration_sec as number;
      if (Math.abs(reported - seconds) > 1)
        problems.push(`${id}: lasted ${seconds} s, logout says ${reported}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(sessions.size).toBeGreaterThan(1000);
    expect(loggedOut / sessions.size).toBeGreaterThan(0.8);
    expect(loggedOut / sessions.size).toBeLessThan(0.97);
  });

  test('documents are created before use, used by their owner, and silent once deleted', () => {
    const created = new Map<string, string>();
    const deleted = new Set<string>();
    const problems: string[] = [];
    let edits = 0;
    for (const event of events) {
      const doc = event.properties.document_id as string | undefined;
      if (doc === undefined) continue;
      if (deleted.has(doc)) problems.push(`after deletion: ${event.text}`);
      if (event.event_type === 'document_created') {
        if (created.has(doc)) problems.push(`created twice: ${event.text}`);
        created.set(doc, event.user_id);
        continue;
      }
      if (created.get(doc) !== event.user_id) problems.push(`not created by this user before: ${event.text}`);
      if (event.event_type === 'document_deleted') deleted.add(doc);
      if (event.event_type === 'document_edited') edits++;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(created.size).toBeGreaterThan(200);
    expect(deleted.size).toBeGreaterThan(5);
    expect(edits / events.length).toBeGreaterThan(0.3);
  });

  test('weekends carry about 40% of a weekday and working hours peak', () => {
    const perDate = new Map<string, number>();
    for (const event of events) perDate.set(event.date, (perDate.get(event.date) ?? 0) + 1);
    // Compare whole weeks only, from February when the user base is no longer tiny.
    const sums = { weekday: 0, weekdays: 0, weekend: 0, weekends: 0 };
    for (const [date, count] of perDate) {
      if (date < '2024-02-05' || date > '2024-04-28') continue;
      const dow = weekday(parseDay(date));
      if (dow === 0 || dow === 6) {
        sums.weekend += count;
        sums.weekends++;
      } else {
        sums.weekday += count;
        sums.weekdays++;
      }
    }
    const ratio = sums.weekend / sums.weekends / (sums.weekday / sums.weekdays);
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.5);

    const hours = new Array<number>(24).fill(0);
    for (const event of events) {
      const hour = Number(event.event_timestamp.slice(11, 13));
      hours[hour] = (hours[hour] ?? 0) + 1;
    }
    expect(Math.max(...hours)).toBeGreaterThan(3 * Math.min(...hours));
  });

  test('some users churn: they stop long before the end', () => {
    const end = `${TO}T23:59:59.999Z`;
    const longTenured = [...users.values()].filter((list) => days(list[0]?.event_timestamp ?? end, end) > 60);
    const stopped = longTenured.filter(
      (list) => days(list[list.length - 1]?.event_timestamp ?? end, end) > 30,
    );
    expect(longTenured.length).toBeGreaterThan(30);
    expect(stopped.length / longTenured.length).toBeGreaterThan(0.1);
    expect(stopped.length / longTenured.length).toBeLessThan(0.7);
  });

  test('premium features are used mostly by paying users; features are adopted at different speeds', () => {
    const planAt = new Map<string, string>();
    let premiumUses = 0;
    let premiumByPaying = 0;
    const firstUse = new Map<string, number[]>();
    const signupAt = new Map<string, number>();
    const seen = new Set<string>();
    for (const event of events) {
      const p = event.properties;
      if (event.event_type === 'user_signed_up') {
        planAt.set(event.user_id, String(p.plan));
        signupAt.set(event.user_id, Date.parse(event.event_timestamp));
      } else if (event.event_type.startsWith('subscription_')) {
        planAt.set(event.user_id, event.event_type === 'subscription_cancelled' ? 'free' : String(p.plan));
      } else if (event.event_type === 'feature_used') {
        const feature = String(p.feature_id);
        if (PREMIUM.has(feature)) {
          premiumUses++;
          if (planAt.get(event.user_id) !== 'free') premiumByPaying++;
        }
        if (!seen.has(`${event.user_id} ${feature}`)) {
          seen.add(`${event.user_id} ${feature}`);
          const list = firstUse.get(feature) ?? [];
          list.push((Date.parse(event.event_timestamp) - (signupAt.get(event.user_id) ?? 0)) / 86_400_000);
          firstUse.set(feature, list);
        }
      }
    }
    expect(premiumUses).toBeGreaterThan(100);
    expect(premiumByPaying / premiumUses).toBeGreaterThan(0.75);
    const median = (feature: string) => {
      const list = [...(firstUse.get(feature) ?? [])].sort((a, b) => a - b);
      return list[Math.floor(list.length / 2)] ?? Infinity;
    };
    expect(median('comments')).toBeLessThan(median('advanced_search'));
    expect(firstUse.get('comments')?.length).toBeGreaterThan(firstUse.get('team_analytics')?.length ?? 0);
  });

  test('each user keeps a few devices, not a new user agent per event', () => {
    const counts = [...users.values()].map(
      (list) =>
        new Set(list.map((e) => `${e.context.platform} ${e.context.user_agent} ${e.context.ip_address}`))
          .size,
    );
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    expect(counts.filter((n) => n > 1).length).toBeGreaterThan(0);
  });
});

describe('the population', () => {
  test('the default six months have about 500 users and 2,000 documents', () => {
    const launchDay = parseDay('2024-01-01');
    const population = buildPopulation({ seed: 42, scale: 1, launchDay, untilDay: parseDay('2024-06-30') });
    expect(population.users.length).toBeGreaterThan(430);
    expect(population.users.length).toBeLessThan(570);
    expect(population.documentCount).toBeGreaterThan(1700);
    expect(population.documentCount).toBeLessThan(2300);
  });

  test("a company's founder signs up on a plan about 70/25/5, later members free; a few churned users come back", () => {
    const launchDay = parseDay('2024-01-01');
    const { users } = buildPopulation({ seed: 3, scale: 8, launchDay, untilDay: parseDay('2024-06-30') });
    expect(users.length).toBeGreaterThan(3000);
    const seen = new Set<string>();
    const founders = users.filter((u) => !seen.has(u.accountId) && seen.add(u.accountId));
    const share = (plan: string) => founders.filter((u) => u.signupPlan === plan).length / founders.length;
    expect(share('free')).toBeCloseTo(0.7, 1);
    expect(share('pro')).toBeCloseTo(0.25, 1);
    expect(Math.abs(share('enterprise') - 0.05)).toBeLessThan(0.015);
    const founderSet = new Set(founders);
    const members = users.filter((u) => !founderSet.has(u));
    expect(members.length).toBeGreaterThan(1000);
    expect(members.filter((u) => u.signupPlan !== 'free')).toEqual([]);
    const comebacks = users.filter((u) => u.windows.length > 1).length / users.length;
    expect(comebacks).toBeGreaterThan(0.1);
    expect(comebacks).toBeLessThan(0.4);
  });
});
