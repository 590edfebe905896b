import { rm } from 'node:fs/promises';

import { PRICE_LIST, generate } from '../../generator';
import { isAlive, planOn, type User } from '../../generator/model';
import { buildPopulation } from '../../generator/population';
import { parseDay } from '../../generator/time';
import { readLines, tempDir, type GeneratedEvent } from './helpers';

const LAUNCH = parseDay('2024-01-01');
const UNTIL = parseDay('2024-06-30');

/** The properties of a user's plan changes, as the events carry them. */
function changeProps(user: User): { day: number; type: string; props: Record<string, unknown> }[] {
  return user.planChanges.map((change) => ({
    day: change.day,
    type: change.type,
    props: JSON.parse(Buffer.from(change.props).toString('utf8')) as Record<string, unknown>,
  }));
}

function byAccount(users: readonly User[]): Map<string, User[]> {
  const accounts = new Map<string, User[]>();
  for (const user of users) accounts.set(user.accountId, [...(accounts.get(user.accountId) ?? []), user]);
  return accounts;
}

describe('accounts and seats in the population', () => {
  let users: readonly User[];
  let accounts: Map<string, User[]>;
  let seatChanges: ReturnType<typeof changeProps>;

  beforeAll(() => {
    // Six months at six times the default scale: about 3,000 users in some 1,300 accounts.
    users = buildPopulation({ seed: 5, scale: 6, launchDay: LAUNCH, untilDay: UNTIL }).users;
    accounts = byAccount(users);
    seatChanges = users.flatMap(changeProps).filter((c) => c.type !== 'subscription_cancelled');
  });

  test('ids are readable and stable: acct_ and the company number, in order of founding', () => {
    const ids = [...accounts.keys()];
    expect(ids.every((id) => /^acct_\d{6}$/.test(id))).toBe(true);
    expect(ids).toEqual(ids.map((_, i) => `acct_${String(i + 1).padStart(6, '0')}`));
    expect([...accounts.values()].filter((members) => members.length >= 5).length).toBeGreaterThan(20);
  });

  test('the seats of an account are all on its plan, day after day', () => {
    const problems: string[] = [];
    for (const [id, members] of accounts) {
      if (members.length < 2) continue;
      for (let day = members[0]?.signupDay ?? 0; day <= UNTIL; day++) {
        // After the day's changes, among members active then and still the day after; a seat
        // cancelled for belonging to an earlier paid period is given again the next day.
        const plans = new Set(
          members
            .filter((u) => isAlive(u, day) && isAlive(u, day + 1))
            .filter((u) => !u.planChanges.some((c) => c.day === day + 1))
            .map((u) => planOn(u, day + 1)),
        );
        if (plans.size > 1) problems.push(`${id} on day ${day}: ${[...plans].join(', ')}`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  test('some accounts have several paying users, and their seats come and go', () => {
    const busy = [...accounts.values()].filter((members) => {
      const seatsByDay = new Set<number>();
      let most = 0;
      for (let day = members[0]?.signupDay ?? 0; day <= UNTIL; day++) {
        const seats = members.filter((u) => isAlive(u, day) && planOn(u, day + 1) !== 'free').length;
        seatsByDay.add(seats);
        most = Math.max(most, seats);
      }
      return most >= 3 && seatsByDay.size >= 4;
    });
    expect(busy.length).toBeGreaterThan(10);
    // Seats start for members who join a paying account and end as members leave.
    const starts = users.filter((u) =>
      u.planChanges.some((c) => c.type === 'subscription_started' && c.day === u.signupDay),
    );
    expect(starts.length).toBeGreaterThan(100);
  });

  test('the share of paying users stays near 40%', () => {
    let active = 0;
    let paying = 0;
    for (const user of users) {
      for (let day = user.signupDay; day <= UNTIL; day++) {
        if (!isAlive(user, day)) continue;
        active++;
        if (planOn(user, day + 1) !== 'free') paying++;
      }
    }
    expect(paying / active).toBeGreaterThan(0.35);
    expect(paying / active).toBeLessThan(0.5);
  });

  test('prices: about 10% negotiated, annual invoices, a few accounts in euros, the rest from the list', () => {
    const share = (test: (p: Record<string, unknown>) => boolean) =>
      seatChanges.filter((c) => test(c.props)).length / seatChanges.length;
    const negotiated = (p: Record<string, unknown>) =>
      p.currency === 'USD' &&
      typeof p.mrr === 'number' &&
      p.mrr <
        PRICE_LIST.USD[p.plan as 'pro'][p.billing_cycle as 'monthly'] /
          (p.billing_cycle === 'annual' ? 12 : 1);
    expect(seatChanges.length).toBeGreaterThan(500);
    expect(share(negotiated)).toBeGreaterThan(0.04);
    expect(share(negotiated)).toBeLessThan(0.2);
    expect(share((p) => p.currency === 'USD' && 'amount' in p)).toBeGreaterThan(0.04);
    expect(share((p) => p.currency === 'EUR')).toBeGreaterThan(0.01);
    expect(share((p) => !('currency' in p))).toBeGreaterThan(0.5);

    const problems: string[] = [];
    for (const { props: p } of seatChanges) {
      const text = JSON.stringify(p);
      if ('mrr' in p && 'amount' in p) problems.push(`both: ${text}`);
      for (const key of ['mrr', 'amount']) {
        const value = p[key];
        // A positive JSON number with at most two decimals.
        if (
          value !== undefined &&
          !(typeof value === 'number' && /^[1-9]\d*(\.\d{1,2})?$|^0\.\d{1,2}$/.test(String(value)))
        )
          problems.push(`${key}: ${text}`);
      }
      // Without a negotiated discount, an annual invoice is the list price for the year.
      if (p.currency === 'USD' && 'amount' in p && p.amount !== PRICE_LIST.USD[p.plan as 'pro'].annual)
        problems.push(`invoice: ${text}`);
      if ('amount' in p && p.billing_cycle !== 'annual') problems.push(`monthly invoice: ${text}`);
      if (p.currency === 'EUR' && !('mrr' in p || 'amount' in p))
        problems.push(`euros without a price: ${text}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  test('an account pays in one currency', () => {
    for (const members of accounts.values()) {
      const currencies = new Set(
        members
          .flatMap(changeProps)
          .flatMap((c) => (c.props.currency === undefined ? [] : [c.props.currency])),
      );
      expect(currencies.size).toBeLessThanOrEqual(1);
    }
  });

  test('the accounts up to a day do not depend on how far the population is built', () => {
    const march = parseDay('2024-03-31');
    const short = buildPopulation({ seed: 5, scale: 6, launchDay: LAUNCH, untilDay: march });
    const until = (list: readonly User[]) =>
      list.map((u) => [u.accountId, u.planChanges.filter((c) => c.day <= march).map((c) => c.props)]);
    expect(until(short.users)).toEqual(until(users.slice(0, short.users.length)));
  });
});

describe('account_id in the events', () => {
  let root: string;
  let events: GeneratedEvent[];

  beforeAll(async () => {
    root = await tempDir('accounts');
    // A small run, and a seed whose three months hold seats of every kind of price.
    await generate({ from: '2024-01-01', to: '2024-03-31', seed: 5, scale: 0.3, outDir: root });
    events = (await readLines(root)).map((line) => JSON.parse(line.text) as GeneratedEvent);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("every event names its user's account, one per user and one company per account", () => {
    expect(events.length).toBeGreaterThan(50_000);
    expect(events.filter((e) => !/^acct_\d{6}$/.test(e.account_id))).toEqual([]);
    const accountOf = new Map<string, Set<string>>();
    for (const e of events)
      accountOf.set(e.user_id, (accountOf.get(e.user_id) ?? new Set()).add(e.account_id));
    expect([...accountOf.values()].filter((ids) => ids.size !== 1)).toEqual([]);

    const companies = new Map<string, Set<unknown>>();
    for (const e of events.filter((e) => e.event_type === 'user_signed_up')) {
      companies.set(e.account_id, (companies.get(e.account_id) ?? new Set()).add(e.properties.company));
    }
    expect([...companies.values()].filter((names) => names.size !== 1)).toEqual([]);
    expect([...companies.keys()].length).toBeLessThan(accountOf.size * 0.7);
  });

  test('subscription events carry every kind of price the warehouse reads', () => {
    const seats = events.filter(
      (e) => e.event_type.startsWith('subscription_') && e.event_type !== 'subscription_cancelled',
    );
    expect(seats.filter((e) => 'mrr' in e.properties).length).toBeGreaterThan(0);
    expect(
      seats.filter((e) => 'amount' in e.properties && e.properties.billing_cycle === 'annual').length,
    ).toBeGreaterThan(0);
    expect(seats.filter((e) => e.properties.currency === 'EUR').length).toBeGreaterThan(0);
    expect(seats.filter((e) => !('currency' in e.properties)).length).toBeGreaterThan(0);
  });
});
