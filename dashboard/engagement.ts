/**
 * The engagement panels' figures for a month range, from the overview's rows: what the page draws,
 * and what the tests check. Shared by the Node side and the browser bundle, so it imports only types.
 */
import type { ActivationStep, MonthRange, RetentionDayPoint, SessionDay } from './types';

/** The N of the retention curves, in order. */
export const RETENTION_DAYS = [1, 3, 7, 14, 30] as const;

/** How many cohort weeks the retention chart draws: more lines than this cannot be told apart. */
export const RETENTION_COHORTS = 8;

/** Whether a day (`YYYY-MM-DD`) or a month (`YYYY-MM`) falls in the range's months. */
export function inRange(date: string, range: MonthRange): boolean {
  const month = date.slice(0, 7);
  return month >= range.from && month <= range.to;
}

export interface RetentionCohort {
  readonly cohortWeek: string;
  readonly cohortSize: number;
  /** By N, in the order of RETENTION_DAYS. */
  readonly points: readonly RetentionDayPoint[];
}

/** The latest `limit` cohort weeks whose Monday falls in the range, oldest first. */
export function latestCohorts(
  points: readonly RetentionDayPoint[],
  range: MonthRange,
  limit = RETENTION_COHORTS,
): RetentionCohort[] {
  const byWeek = new Map<string, RetentionDayPoint[]>();
  for (const p of points) {
    if (!inRange(p.cohortWeek, range)) continue;
    byWeek.set(p.cohortWeek, [...(byWeek.get(p.cohortWeek) ?? []), p]);
  }
  return [...byWeek.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(-limit)
    .map(([cohortWeek, cohort]) => ({
      cohortWeek,
      cohortSize: cohort[0]?.cohortSize ?? 0,
      points: [...cohort].sort((a, b) => a.n - b.n),
    }));
}

export interface PlatformSessions {
  /** A platform, or `all`. */
  readonly platform: string;
  readonly sessions: number;
  /** The days' users added up: a user active on 3 days is 3 user-days. */
  readonly userDays: number;
  /** sessions ÷ userDays: the mean of the days' sessions per user, weighted by their users. */
  readonly sessionsPerUserDay: number;
}

/**
 * Sessions per user-day of each platform over the given days, most sessions first, and `all` last.
 * A user with sessions on two platforms on a day is a user-day of each, and one of `all`.
 */
export function sessionsPerUserDay(days: readonly SessionDay[]): PlatformSessions[] {
  const totals = new Map<string, { sessions: number; userDays: number }>();
  for (const d of days) {
    const total = totals.get(d.platform) ?? { sessions: 0, userDays: 0 };
    totals.set(d.platform, { sessions: total.sessions + d.sessions, userDays: total.userDays + d.users });
  }
  return [...totals.entries()]
    .map(([platform, t]) => ({ platform, ...t, sessionsPerUserDay: t.sessions / t.userDays }))
    .sort(
      (a, b) =>
        Number(a.platform === 'all') - Number(b.platform === 'all') ||
        b.sessions - a.sessions ||
        (a.platform < b.platform ? -1 : 1),
    );
}

export interface FunnelStep {
  readonly step: number;
  readonly stepName: string;
  /** Added up over the range's cohorts. */
  readonly users: number;
  /** 100 × users ÷ the step before's users, of the sums; null for step 1 and after a step of 0. */
  readonly conversionRate: number | null;
  /** Of the latest complete cohort in the range; null without one, or when nobody reached the step. */
  readonly medianHoursFromSignup: number | null;
}

export interface RangeFunnel {
  /** The signup months in the range that have a cohort, `YYYY-MM`, oldest first. */
  readonly cohorts: readonly string[];
  /** The latest complete cohort in the range, whose medians the steps carry; null when there is none. */
  readonly medianCohort: string | null;
  readonly steps: readonly FunnelStep[];
}

/** The activation funnel of the signup cohorts in the range, added up step by step. */
export function rangeFunnel(steps: readonly ActivationStep[], range: MonthRange): RangeFunnel {
  const inside = steps.filter((s) => inRange(s.cohortMonth, range));
  const cohorts = [...new Set(inside.map((s) => s.cohortMonth))].sort();
  const medianCohort = inside.reduce<string | null>(
    (latest, s) => (s.isComplete && (latest === null || s.cohortMonth > latest) ? s.cohortMonth : latest),
    null,
  );
  const sums = new Map<number, { stepName: string; users: number }>();
  for (const s of inside) {
    sums.set(s.step, { stepName: s.stepName, users: (sums.get(s.step)?.users ?? 0) + s.users });
  }
  const ordered = [...sums.entries()].sort(([a], [b]) => a - b);
  return {
    cohorts,
    medianCohort,
    steps: ordered.map(([step, { stepName, users }], i) => {
      const previous = ordered[i - 1]?.[1].users;
      const median = inside.find((s) => s.cohortMonth === medianCohort && s.step === step);
      return {
        step,
        stepName,
        users,
        conversionRate: previous ? (100 * users) / previous : null,
        medianHoursFromSignup: median?.medianHoursFromSignup ?? null,
      };
    }),
  };
}
