/**
 * Customer accounts: every company is one account, and a subscription belongs to the account,
 * not to a user. The account is on a plan (free, pro, enterprise) with one billing cycle and one
 * price; while it pays, each of its active members holds a seat on that plan, and the seats are
 * what the events show, one subscription event per user whose seat changes:
 *
 * - the account goes onto a paid plan when a member subscribes: its founder signing up paid, or
 *   later one of its active members (an engaged one more likely); that member owns it, and every
 *   active member gets a seat (`subscription_started`, except for a paid sign-up's own seat);
 * - a member who signs up or comes back while the account pays gets a seat that day;
 * - upgrades, downgrades and cancellations are the account's, and move every seat together;
 * - a member who leaves releases their seat (`subscription_cancelled` on their last day). When
 *   the owner or the last seat holder leaves, the account cancels with them 80% of the time, as a
 *   lone user did; otherwise another holder takes over, or, with nobody left, the account goes
 *   on paying for forgotten seats. A forgotten seat is brought in line on the day its user comes
 *   back (a churned user writes no events that could carry the change).
 *
 * A one-person company is the old per-user life course. The account's changes are simulated
 * forward in time, interleaved with its members' sign-ups, from one stream per account: what has
 * happened up to a day never depends on how far the population is built.
 */
import {
  BILLING_CYCLES,
  CANCELLATION_REASONS,
  PRICE_LIST,
  type BillingCycle,
  type Currency,
  type Plan,
} from './catalog';
import { utf8, type PlanChange } from './model';
import { Random, WeightedChoice } from './random';

// ---------------------------------------------------------------------------------------
// Behaviour parameters, per account and day (per user before accounts: one-person companies
// keep them as they were).

/**
 * Free → paid, times the mean engagement of the account's active members: a lone user
 * subscribes as before, and a team as its average member would. The team then brings all its
 * seats at once, which keeps the share of paying users near the ~40% it was when every user
 * decided alone (a team's sum of its members' rates would take it to ~50%).
 */
const SUBSCRIBE_RATE = 0.003;
const UPGRADE_RATE = 0.0009;
const DOWNGRADE_RATE = 0.0012;
const CANCEL_RATE: Record<Plan, number> = { free: 0, pro: 0.0012, enterprise: 0.0005 };
/** When its owner or last seat holder leaves, the account cancels on that user's last day. */
const CANCEL_ON_LEAVING = 0.8;
const ANNUAL_SHARE = 0.3;
const ENTERPRISE_AT_START = 0.15;

// Pricing, drawn each time an account starts paying.
/** Negotiated prices: an explicit `mrr` below the list price. */
const NEGOTIATED_SHARE = 0.1;
const NEGOTIATED_DISCOUNT = [0.6, 0.95] as const;
/** Annual subscriptions billed by invoice: an explicit `amount` for the year. */
const INVOICED_ANNUAL_SHARE = 0.5;
/** Countries whose companies may pay in euros, and how many of them do. */
const EURO_COUNTRIES = new Set(['DE', 'FR', 'NL', 'ES', 'IT', 'IE']);
const EURO_SHARE = 0.3;

const REASON = new WeightedChoice<string>([
  [CANCELLATION_REASONS[0], 35],
  [CANCELLATION_REASONS[1], 20],
  [CANCELLATION_REASONS[2], 15],
  [CANCELLATION_REASONS[3], 22],
  [CANCELLATION_REASONS[4], 8],
]);

// ---------------------------------------------------------------------------------------

/** What the account charges for a seat during one paid period. */
interface Pricing {
  readonly currency: Currency;
  /** `list`: no price in the events; `mrr`: an explicit monthly price; `amount`: the cycle's invoice. */
  readonly kind: 'list' | 'mrr' | 'amount';
  /** Share of the list price actually paid (below 1 for negotiated prices). */
  readonly factor: number;
}

interface Seat {
  readonly plan: Plan;
  /** The account's paid period the seat belongs to. */
  readonly period: number;
}

/** What the account needs to know of a member, and the member's plan changes it writes. */
export interface AccountMember {
  readonly engagement: number;
  /** Active windows, [firstDay, endDay). */
  readonly windows: readonly (readonly [number, number])[];
  /** Filled in by the account, in day order, at most one a day. */
  readonly planChanges: PlanChange[];
}

interface MemberState {
  readonly member: AccountMember;
  seat: Seat | undefined;
  /** The member's plan as the events show it (free without a seat). */
  plan: Plan;
  lastChangeDay: number;
}

export interface Admission {
  /** The plan in `user_signed_up`. */
  readonly signupPlan: Plan;
  /** The plan the user is on by the end of the sign-up day (with a seat, the account's). */
  readonly plan: Plan;
}

function isAliveOn(windows: readonly (readonly [number, number])[], day: number): boolean {
  for (const [first, end] of windows) if (day >= first && day < end) return true;
  return false;
}

function isLastDay(windows: readonly (readonly [number, number])[], day: number): boolean {
  for (const [, end] of windows) if (day === end - 1) return true;
  return false;
}

function money(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export class Account {
  readonly id: string;
  private readonly rng: Random;
  private readonly currency: Currency;
  private readonly members: MemberState[] = [];
  /** The member who subscribed the account (or took it over): while paying, its billing contact. */
  private owner: MemberState | undefined;
  private plan: Plan = 'free';
  private cycle: BillingCycle = 'monthly';
  private pricing: Pricing = { currency: 'USD', kind: 'list', factor: 1 };
  /** Paid periods so far; the current one while paying. */
  private period = 0;
  /** Days before this one are done. */
  private nextDay = -Infinity;
  /** A day whose morning (account changes, departures) is done and whose seats are not. */
  private openDay: number | undefined;
  private changeDay = Infinity;
  /** A day on which a seat cancelled for being out of date is given again. */
  private resyncDay = Infinity;

  /** `rng`: the account's own stream; `country`: its home country (ISO 3166 alpha-2). */
  constructor(id: string, rng: Random, country: string) {
    this.id = id;
    this.rng = rng;
    this.currency = EURO_COUNTRIES.has(country) && rng.chance(EURO_SHARE) ? 'EUR' : 'USD';
  }

  /**
   * A user signs up on `day` and drew `drawn` as their plan. Call `join` with the user next,
   * before any other account business of a later day.
   */
  admit(day: number, drawn: Plan): Admission {
    this.begin(day);
    if (this.plan !== 'free') return { signupPlan: 'free', plan: this.plan };
    // Later members join the account as it is: free, until it subscribes. Were they to
    // subscribe it as often as founders do, large companies would almost all pay.
    if (drawn === 'free' || this.members.length > 0) return { signupPlan: 'free', plan: 'free' };
    this.startPeriod(drawn);
    return { signupPlan: drawn, plan: drawn };
  }

  /** Adds the user just admitted; a paid sign-up holds its seat from the start. */
  join(member: AccountMember, admission: Admission): void {
    const seat =
      admission.signupPlan !== 'free' ? { plan: admission.signupPlan, period: this.period } : undefined;
    const state: MemberState = { member, seat, plan: admission.signupPlan, lastChangeDay: -Infinity };
    this.members.push(state);
    if (seat) this.owner = state;
  }

  /** Plays the account forward through `untilDay`. */
  finish(untilDay: number): void {
    this.runUntil(untilDay + 1);
  }

  /** Completes every day before `day`, then the morning of `day`. */
  private begin(day: number): void {
    if (this.openDay === day) return;
    this.runUntil(day);
    this.morning(day);
    this.openDay = day;
  }

  /** Completes every day before `day` on which anything can happen. */
  private runUntil(day: number): void {
    if (this.openDay !== undefined) this.close(this.openDay);
    for (let x = this.next(this.nextDay); x < day; x = this.next(x + 1)) {
      this.morning(x);
      this.close(x);
    }
    this.nextDay = Math.max(this.nextDay, day);
  }

  /** The first day from `from` on with a drawn change, a return, a departure or a pending seat. */
  private next(from: number): number {
    let day = Infinity;
    if (this.changeDay >= from) day = this.changeDay;
    if (this.resyncDay >= from && this.resyncDay < day) day = this.resyncDay;
    for (const { member } of this.members) {
      for (const [first, end] of member.windows) {
        if (first >= from && first < day) day = first;
        if (end - 1 >= from && end - 1 < day) day = end - 1;
      }
    }
    return day;
  }

  /** The account's own change of the day, if one was drawn for it, then the departures. */
  private morning(day: number): void {
    if (day === this.changeDay) this.change(day);
    this.departures(day);
  }

  /** Seats for whoever is active and has none (or an out-of-date one); then the next change is drawn. */
  private close(day: number): void {
    this.openDay = undefined;
    this.nextDay = day + 1;
    for (const state of this.members) {
      const { windows } = state.member;
      if (state.lastChangeDay === day || !isAliveOn(windows, day) || isLastDay(windows, day)) continue;
      const seat = state.seat;
      if (this.plan === 'free') {
        if (seat) this.cancel(state, day, REASON.choose(this.rng));
      } else if (!seat) {
        this.seat(state, day, 'subscription_started');
      } else if (seat.period !== this.period) {
        // One change a day per user: the new seat follows tomorrow.
        this.cancel(state, day, REASON.choose(this.rng));
        this.resyncDay = day + 1;
      } else if (seat.plan !== this.plan) {
        this.seat(
          state,
          day,
          this.plan === 'enterprise' ? 'subscription_upgraded' : 'subscription_downgraded',
        );
      }
    }
    this.drawChange(day + 1);
  }

  /** Draws the day of the account's next change from its rates as of `day` (memoryless, so redrawn freely). */
  private drawChange(day: number): void {
    let active = 0;
    let engagement = 0;
    for (const state of this.members) {
      if (!isAliveOn(state.member.windows, day)) continue;
      if (this.plan !== 'free' && !this.inStep(state)) continue;
      active++;
      engagement += state.member.engagement;
    }
    const total = active === 0 ? 0 : this.rates(engagement, active).total;
    this.changeDay = total > 0 ? day + Math.floor(this.rng.exponential(1 / total)) : Infinity;
  }

  private rates(
    engagement: number,
    active: number,
  ): { subscribe: number; up: number; down: number; total: number } {
    const subscribe = this.plan === 'free' ? (SUBSCRIBE_RATE * engagement) / active : 0;
    const up = this.plan === 'pro' ? UPGRADE_RATE : 0;
    const down = this.plan === 'enterprise' ? DOWNGRADE_RATE : 0;
    return { subscribe, up, down, total: subscribe + up + down + CANCEL_RATE[this.plan] };
  }

  private inStep(state: MemberState): boolean {
    return state.seat !== undefined && state.seat.period === this.period && state.seat.plan === this.plan;
  }

  /** The account subscribes, upgrades, downgrades or cancels. */
  private change(day: number): void {
    let active = 0;
    let engagement = 0;
    for (const state of this.members) {
      if (isAliveOn(state.member.windows, day) && !isLastDay(state.member.windows, day)) {
        active++;
        engagement += state.member.engagement;
      }
    }
    if (active === 0) return;
    const rates = this.rates(engagement, active);
    const u = this.rng.next() * rates.total;
    if (u < rates.subscribe) {
      // The member who subscribes, more likely an engaged one, owns the account; seats are
      // handed out when the day closes, to every active member.
      let pick = this.rng.next() * engagement;
      for (const state of this.members) {
        const { windows } = state.member;
        if (!isAliveOn(windows, day) || isLastDay(windows, day)) continue;
        this.owner = state;
        pick -= state.member.engagement;
        if (pick < 0) break;
      }
      this.startPeriod(this.rng.chance(ENTERPRISE_AT_START) ? 'enterprise' : 'pro');
      return;
    }
    if (u < rates.subscribe + rates.up + rates.down) {
      const before = this.plan;
      this.plan = before === 'pro' ? 'enterprise' : 'pro';
      const type = before === 'pro' ? 'subscription_upgraded' : 'subscription_downgraded';
      for (const state of this.members) {
        const { windows } = state.member;
        // Who leaves today releases the old seat instead (see `departures`).
        if (state.seat?.period !== this.period || state.seat.plan !== before) continue;
        if (isAliveOn(windows, day) && !isLastDay(windows, day)) this.seat(state, day, type);
      }
      return;
    }
    this.cancelAccount(day);
  }

  /** Every active member's seat is cancelled; forgotten seats follow when their users come back. */
  private cancelAccount(day: number): void {
    this.plan = 'free';
    this.owner = undefined;
    const reason = REASON.choose(this.rng);
    for (const state of this.members) {
      if (!state.seat || !isAliveOn(state.member.windows, day)) continue;
      if (state.lastChangeDay === day) this.resyncDay = day + 1;
      else this.cancel(state, day, reason);
    }
  }

  /**
   * Members on their last active day give up their seats. When the owner leaves, or the last
   * seat holder, the account cancels with them as a lone user would; otherwise another seat
   * holder takes over, or, with nobody left, the account goes on paying for forgotten seats.
   */
  private departures(day: number): void {
    const leaving: MemberState[] = [];
    const staying: MemberState[] = [];
    for (const state of this.members) {
      if (!state.seat || state.lastChangeDay === day) continue;
      const { windows } = state.member;
      if (isLastDay(windows, day)) leaving.push(state);
      else if (this.inStep(state) && isAliveOn(windows, day + 1)) staying.push(state);
    }
    if (leaving.length === 0) return;
    const ownerLeaves = this.owner !== undefined && leaving.includes(this.owner);
    if (this.plan !== 'free' && (ownerLeaves || staying.length === 0)) {
      if (this.rng.chance(CANCEL_ON_LEAVING)) {
        this.cancelAccount(day);
        return;
      }
      if (staying.length === 0) return;
      if (ownerLeaves) this.owner = staying[0];
    }
    for (const state of leaving) this.cancel(state, day, REASON.choose(this.rng));
  }

  private startPeriod(plan: Plan): void {
    const rng = this.rng;
    this.plan = plan;
    this.period++;
    this.cycle = rng.chance(ANNUAL_SHARE) ? BILLING_CYCLES[1] : BILLING_CYCLES[0];
    const negotiated = rng.chance(NEGOTIATED_SHARE);
    const factor = negotiated
      ? NEGOTIATED_DISCOUNT[0] + (NEGOTIATED_DISCOUNT[1] - NEGOTIATED_DISCOUNT[0]) * rng.next()
      : 1;
    const invoiced = this.cycle === 'annual' && !negotiated && rng.chance(INVOICED_ANNUAL_SHARE);
    let kind: Pricing['kind'] = negotiated ? 'mrr' : invoiced ? 'amount' : 'list';
    // The price list is in dollars: an account paying in euros always says what it pays.
    if (this.currency === 'EUR' && kind === 'list') kind = this.cycle === 'annual' ? 'amount' : 'mrr';
    this.pricing = { currency: this.currency, kind, factor };
  }

  /** Gives a member a seat on the account's plan, or moves their seat to it. */
  private seat(state: MemberState, day: number, type: PlanChange['type']): void {
    const { currency, kind, factor } = this.pricing;
    const plan = this.plan;
    const list = PRICE_LIST[currency][plan][this.cycle];
    const price =
      kind === 'mrr'
        ? `,"mrr":${money((this.cycle === 'annual' ? list / 12 : list) * factor)},"currency":"${currency}"`
        : kind === 'amount'
          ? `,"amount":${money(list * factor)},"currency":"${currency}"`
          : '';
    const props = `{"plan":"${plan}","previous_plan":"${state.plan}","billing_cycle":"${this.cycle}"${price}}`;
    this.record(state, { day, type, plan, previousPlan: state.plan, props: utf8(props) });
    state.seat = { plan, period: this.period };
  }

  private cancel(state: MemberState, day: number, reason: string): void {
    const props = `{"plan":"${state.plan}","previous_plan":"${state.plan}","reason":"${reason}"}`;
    this.record(state, {
      day,
      type: 'subscription_cancelled',
      plan: 'free',
      previousPlan: state.plan,
      props: utf8(props),
    });
    state.seat = undefined;
  }

  private record(state: MemberState, change: PlanChange): void {
    if (change.day <= state.lastChangeDay) {
      throw new Error(`${this.id}: two plan changes for one user on day ${change.day}`);
    }
    state.member.planChanges.push(change);
    state.plan = change.plan;
    state.lastChangeDay = change.day;
  }
}
