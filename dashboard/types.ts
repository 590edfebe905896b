/**
 * What the Executive Overview shows, as the server sends it and the report embeds it. Shared by the
 * Node side and the browser bundle, so it imports nothing.
 */

export interface Headline {
  readonly asOfDate: string;
  /** The IANA zone whose calendar the figures' days, weeks and months are in. */
  readonly timeZone: string;
  readonly users: number;
  readonly activeUsers: number;
  readonly weeklyActiveUsers: number;
  readonly monthlyActiveUsers: number;
  readonly stickiness: number;
  /** Null while no cohort has a complete first month. */
  readonly month1RetentionRate: number | null;
  readonly atRiskUsers: number;
}

export interface ActivityDay {
  readonly date: string;
  readonly dau: number;
  readonly wau: number;
  readonly mau: number;
  readonly stickiness: number;
}

export interface RetentionCell {
  readonly cohortMonth: string;
  readonly monthsSinceSignup: number;
  readonly cohortSize: number;
  readonly retainedUsers: number;
  readonly retentionRate: number;
  readonly isCompleteMonth: boolean;
}

export interface FeatureUsage {
  readonly featureId: string;
  readonly featureName: string;
  readonly isPremium: boolean;
  readonly totalUses: number;
  readonly uniqueUsers: number;
  readonly repeatedUsers: number;
  readonly habitUsers: number;
}

export interface ChurnCategory {
  readonly category: string;
  readonly users: number;
  readonly averageScore: number;
}

export interface AtRiskUser {
  readonly userId: string;
  readonly company: string | null;
  readonly plan: string;
  readonly lastActiveDate: string | null;
  readonly daysSinceLastActivity: number;
  readonly eventsLast30Days: number;
  readonly eventsPrior30Days: number;
  readonly category: string;
  readonly score: number;
}

export interface PipelineRun {
  readonly runId: string;
  readonly status: string;
  readonly trigger: string;
  readonly asOfDate: string | null;
  readonly startedAt: string;
  /** Null for a run that ended without recording when. */
  readonly durationSeconds: number | null;
  readonly error: string | null;
}

export interface LayerCount {
  readonly layer: string;
  readonly table: string;
  readonly rows: number;
}

export interface QuarantineReason {
  readonly reason: string;
  readonly rows: number;
  readonly files: number;
}

/** Segment calls of one type and name that no mapping covers: kept, not quarantined. */
export interface UnmappedEventName {
  readonly type: string;
  readonly name: string;
  readonly rows: number;
  readonly firstDate: string | null;
  readonly lastDate: string | null;
}

/** A file the pipeline will not load again until it is replaced: which, why and when, never its content. */
export interface RejectedFile {
  readonly objectKey: string;
  readonly reason: string;
  /** The loader's message, at most 300 characters. */
  readonly detail: string | null;
  readonly rejectedAt: string | null;
}

export interface QualityCheck {
  readonly name: string;
  readonly severity: string;
  readonly passed: boolean;
  readonly failingRows: number;
  readonly description: string;
}

/** One month of `analytics.mrr_monthly` in one currency; ratios are fractions, null with no starting MRR. */
export interface MrrMonth {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly currency: string;
  readonly startingMrr: number;
  readonly newMrr: number;
  readonly reactivationMrr: number;
  readonly expansionMrr: number;
  readonly contractionMrr: number;
  readonly churnMrr: number;
  readonly endingMrr: number;
  readonly payingCustomers: number;
  readonly grossRevenueRetention: number | null;
  readonly netRevenueRetention: number | null;
  /** False for the month of A. */
  readonly isComplete: boolean;
}

/** MRR figures as of A in the main currency (the one with the most MRR in the month of A). */
export interface RevenueHeadline {
  readonly currency: string;
  /** The month of A, `YYYY-MM`. */
  readonly month: string;
  readonly mrr: number;
  /** new + reactivation + expansion − contraction − churn, in the month of A. */
  readonly netNewMrr: number;
  readonly payingCustomers: number;
  /** NRR of the last complete month (null when none, or it started with no MRR), and which month. */
  readonly netRevenueRetention: number | null;
  readonly netRevenueRetentionMonth: string | null;
  /** The other currencies with MRR in the month of A, most first: never added to the main one. */
  readonly otherCurrencies: readonly { readonly currency: string; readonly mrr: number }[];
}

export interface AccountDay {
  readonly date: string;
  readonly daa: number;
  readonly waa: number;
  readonly maa: number;
}

/** A paying account whose health is `at_risk` as of A. */
export interface AtRiskAccount {
  readonly accountId: string;
  readonly isPersonal: boolean;
  readonly name: string | null;
  readonly mrr: number;
  readonly currency: string | null;
  readonly users: number;
  readonly activeUsers30d: number;
  readonly lastActiveDate: string | null;
  readonly daysSinceLastActivity: number;
  readonly score: number;
}

/** One ISO week of `analytics.user_lifecycle_weekly`: users per status, all counts (dormant too). */
export interface LifecycleWeek {
  /** The Monday, `YYYY-MM-DD`. */
  readonly weekStart: string;
  /** The Sunday. */
  readonly weekEnd: string;
  readonly newUsers: number;
  readonly returningUsers: number;
  readonly resurrectingUsers: number;
  /** Active the week before, not in this one. */
  readonly dormantUsers: number;
  /** False for the week holding A, which ends after it. */
  readonly isComplete: boolean;
}

/** One weekly signup cohort and N of `analytics.user_retention_days`; rates are percentages. */
export interface RetentionDayPoint {
  /** The Monday of the signup week, `YYYY-MM-DD`. */
  readonly cohortWeek: string;
  /** 1, 3, 7, 14 or 30. */
  readonly n: number;
  readonly cohortSize: number;
  readonly retainedOnDay: number;
  readonly retainedOnOrAfter: number;
  readonly retainedOnDayRate: number;
  readonly retainedOnOrAfterRate: number;
  /** False while a member's day N is after A: the counts are a lower bound. */
  readonly isMature: boolean;
}

/** One day and platform of `analytics.session_metrics`; platform `all` is every platform together. */
export interface SessionDay {
  readonly date: string;
  readonly platform: string;
  readonly sessions: number;
  readonly users: number;
  readonly medianDurationSeconds: number;
  readonly p90DurationSeconds: number;
  readonly sessionsPerUser: number;
}

/** One monthly signup cohort and step of `analytics.activation_funnel`. */
export interface ActivationStep {
  /** `YYYY-MM`. */
  readonly cohortMonth: string;
  /** 1 to 5. */
  readonly step: number;
  readonly stepName: string;
  readonly users: number;
  /** A percentage; null for step 1 and after a step nobody reached. */
  readonly conversionRate: number | null;
  /** Null when nobody reached the step. */
  readonly medianHoursFromSignup: number | null;
  /** False while a member's 30 days are not over. */
  readonly isComplete: boolean;
}

/** Active users of one day on one plan: the plan of their dim_users version at the end of the day. */
export interface PlanDay {
  readonly date: string;
  /** Null for persons with no version by then: anonymous, or active before their sign-up. */
  readonly plan: string | null;
  readonly users: number;
}

/** Everything that does not depend on the date range. */
export interface Overview {
  /** Null until a run has set the as-of date. */
  readonly headline: Headline | null;
  /** The months a range can start or end in, `YYYY-MM`, oldest first. */
  readonly months: readonly string[];
  readonly activity: readonly ActivityDay[];
  readonly retention: readonly RetentionCell[];
  readonly churn: {
    readonly categories: readonly ChurnCategory[];
    readonly atRiskPaying: readonly AtRiskUser[];
  };
  readonly revenue: {
    /** Null while no currency has MRR in the month of A. */
    readonly headline: RevenueHeadline | null;
    /** Every month and currency, oldest first. */
    readonly months: readonly MrrMonth[];
  };
  readonly accounts: {
    readonly activity: readonly AccountDay[];
    readonly atRiskPaying: readonly AtRiskAccount[];
  };
  readonly engagement: {
    /** Every week, oldest first. */
    readonly lifecycle: readonly LifecycleWeek[];
    /** Every cohort week and N, oldest first. */
    readonly retentionDays: readonly RetentionDayPoint[];
    /** Every cohort month and step, oldest first. */
    readonly activation: readonly ActivationStep[];
    /** Every day with a session, per platform and `all`. */
    readonly sessions: readonly SessionDay[];
    /** Every day with activity, per plan. */
    readonly activeByPlan: readonly PlanDay[];
  };
  readonly pipeline: {
    readonly runs: readonly PipelineRun[];
    readonly layers: readonly LayerCount[];
    readonly quarantine: readonly QuarantineReason[];
    /** The most frequent names first. */
    readonly unmapped: readonly UnmappedEventName[];
    /** The latest few, newest first; the layer counts hold how many there are. */
    readonly rejected: readonly RejectedFile[];
    readonly quality: readonly QualityCheck[];
  };
}

/** A range of whole months, `YYYY-MM` to `YYYY-MM`, both included. */
export interface MonthRange {
  readonly from: string;
  readonly to: string;
}

/**
 * The longest range the server computes, so that one request cannot hold a reader connection for
 * long; the page's filter keeps its ranges inside it, and "All time" is the latest this many months.
 */
export const MAX_RANGE_MONTHS = 60;

/** What a report file embeds: the overview and the feature use of every range the filter can pick. */
export interface ReportData {
  readonly overview: Overview;
  /** By `rangeKey(range)`. */
  readonly featureUsage: Readonly<Record<string, readonly FeatureUsage[]>>;
}

export function rangeKey(range: MonthRange): string {
  return `${range.from}..${range.to}`;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: string): boolean {
  return MONTH.test(value);
}

/** How many months a range spans, both ends included. */
export function monthSpan(range: MonthRange): number {
  const index = (month: string): number => {
    const [year, m] = month.split('-').map(Number) as [number, number];
    return year * 12 + m;
  };
  return index(range.to) - index(range.from) + 1;
}

/** The first and last day of a month range, as `YYYY-MM-DD`. */
export function rangeDates(range: MonthRange): { start: string; end: string } {
  const [year, month] = range.to.split('-').map(Number) as [number, number];
  // Day 0 of the next month is the last day of this one.
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { start: `${range.from}-01`, end: `${range.to}-${String(lastDay).padStart(2, '0')}` };
}

/**
 * The revenue headline from the months of `analytics.mrr_monthly`: the main currency is the one with
 * the most ending MRR in the month of A (the latest month; ties: the code), as the page shows it.
 */
export function revenueHeadline(months: readonly MrrMonth[]): RevenueHeadline | null {
  const last = months.reduce((latest, m) => (m.month > latest ? m.month : latest), '');
  const current = months
    .filter((m) => m.month === last && m.endingMrr > 0)
    .sort((a, b) => b.endingMrr - a.endingMrr || (a.currency < b.currency ? -1 : 1));
  const main = current[0];
  if (!main) return null;
  const complete = months
    .filter((m) => m.currency === main.currency && m.isComplete)
    .reduce<MrrMonth | undefined>((latest, m) => (!latest || m.month > latest.month ? m : latest), undefined);
  return {
    currency: main.currency,
    month: main.month,
    mrr: main.endingMrr,
    netNewMrr: netNewMrr(main),
    payingCustomers: main.payingCustomers,
    netRevenueRetention: complete?.netRevenueRetention ?? null,
    netRevenueRetentionMonth: complete?.month ?? null,
    otherCurrencies: current.slice(1).map((m) => ({ currency: m.currency, mrr: m.endingMrr })),
  };
}

/** new + reactivation + expansion − contraction − churn, rounded to the cent as the amounts are. */
export function netNewMrr(m: MrrMonth): number {
  const cents = (value: number) => Math.round(value * 100);
  return (
    (cents(m.newMrr) +
      cents(m.reactivationMrr) +
      cents(m.expansionMrr) -
      cents(m.contractionMrr) -
      cents(m.churnMrr)) /
    100
  );
}
