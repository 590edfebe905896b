import { type Pool, type Queryable, withTransaction } from '../lambdas/warehouse/db';
import { runSqlFile, type SqlParams } from '../lambdas/warehouse/sql-files';
import {
  type FeatureUsage,
  MAX_RANGE_MONTHS,
  type MonthRange,
  type Overview,
  type ReportData,
  rangeDates,
  rangeKey,
  revenueHeadline,
} from './types';

// Everything here reads through the analytics_reader role: only analytics and the ops views granted
// to it (sql/migrations/0017, and the grants in each view's file in sql/models/ops). The SQL is in
// sql/dashboard, one file per dataset.

type Row = Record<string, unknown>;

async function rows(db: Queryable, file: string, params: SqlParams = {}): Promise<Row[]> {
  const [result] = await runSqlFile(db, `dashboard/${file}.sql`, params);
  return result?.rows ?? [];
}

// numeric columns arrive as strings; counts and rates are small enough for a double.
const num = (value: unknown): number => Number(value);
const text = (value: unknown): string => String(value);
const textOrNull = (value: unknown): string | null => (value === null ? null : String(value));
const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));
const numOrNull = (value: unknown): number | null => (value === null ? null : Number(value));

export interface OverviewOptions {
  /** @default 10 */
  readonly atRiskLimit?: number;
  /** @default 10 */
  readonly atRiskAccountLimit?: number;
  /** @default 10 */
  readonly runLimit?: number;
  /** @default 20 */
  readonly rejectedLimit?: number;
  /** @default 20 */
  readonly unmappedLimit?: number;
}

/**
 * Runs `work` on one connection in one repeatable-read, read-only transaction when `db` is a pool:
 * every query then sees the same publication, even if a run publishes while they run. Anything else
 * (a client already in a transaction) is used as it is.
 */
export async function inOneSnapshot<T>(db: Queryable, work: (db: Queryable) => Promise<T>): Promise<T> {
  if (!('connect' in db) || typeof (db as Pool).connect !== 'function') return work(db);
  return withTransaction(db as Pool, work, 'begin isolation level repeatable read read only');
}

export async function loadOverview(db: Queryable, options: OverviewOptions = {}): Promise<Overview> {
  return inOneSnapshot(db, (snapshot) => loadOverviewFrom(snapshot, options));
}

/**
 * The queries one after another: they share one client (one snapshot), which runs one query at a
 * time anyway; pg 8 warns about queries issued while another runs, and pg 9 refuses them.
 */
async function inTurn<const Q extends readonly (readonly [string, SqlParams?])[]>(
  db: Queryable,
  queries: Q,
): Promise<{ [K in keyof Q]: Row[] }> {
  const results: Row[][] = [];
  for (const [name, params] of queries) results.push(await rows(db, name, params));
  return results as { [K in keyof Q]: Row[] };
}

async function loadOverviewFrom(db: Queryable, options: OverviewOptions): Promise<Overview> {
  const [
    headline,
    activity,
    retention,
    categories,
    atRisk,
    runs,
    layers,
    quarantine,
    unmapped,
    rejected,
    quality,
    mrr,
    accountActivity,
    atRiskAccounts,
    lifecycle,
    retentionDays,
    activation,
    sessions,
    activeByPlan,
  ] = await inTurn(db, [
    ['headline'],
    ['daily_active_users'],
    ['retention_cohorts'],
    ['churn_risk_categories'],
    ['churn_at_risk_paying_users', { limit: options.atRiskLimit ?? 10 }],
    ['pipeline_runs', { limit: options.runLimit ?? 10 }],
    ['pipeline_layers'],
    ['pipeline_quarantine'],
    ['pipeline_unmapped_events', { limit: options.unmappedLimit ?? 20 }],
    ['pipeline_rejected_files', { limit: options.rejectedLimit ?? 20 }],
    ['pipeline_quality'],
    ['mrr_monthly'],
    ['daily_active_accounts'],
    ['at_risk_paying_accounts', { limit: options.atRiskAccountLimit ?? 10 }],
    ['lifecycle_weekly'],
    ['retention_days'],
    ['activation_funnel'],
    ['session_metrics'],
    ['daily_active_users_by_plan'],
  ]);
  const h = headline[0];
  const days = activity.map((r) => ({
    date: text(r.activity_date),
    dau: num(r.dau),
    wau: num(r.wau),
    mau: num(r.mau),
    stickiness: num(r.stickiness),
  }));
  const asOfDate = h ? text(h.as_of_date) : undefined;
  const mrrMonths = mrr.map((r) => ({
    month: text(r.month).slice(0, 7),
    currency: text(r.currency),
    startingMrr: num(r.starting_mrr),
    newMrr: num(r.new_mrr),
    reactivationMrr: num(r.reactivation_mrr),
    expansionMrr: num(r.expansion_mrr),
    contractionMrr: num(r.contraction_mrr),
    churnMrr: num(r.churn_mrr),
    endingMrr: num(r.ending_mrr),
    payingCustomers: num(r.paying_customers),
    grossRevenueRetention: numOrNull(r.gross_revenue_retention),
    netRevenueRetention: numOrNull(r.net_revenue_retention),
    isComplete: r.is_complete === true,
  }));
  return {
    headline: h
      ? {
          asOfDate: text(h.as_of_date),
          timeZone: text(h.time_zone),
          users: num(h.user_count),
          activeUsers: num(h.active_users),
          weeklyActiveUsers: num(h.weekly_active_users),
          monthlyActiveUsers: num(h.monthly_active_users),
          stickiness: num(h.stickiness),
          month1RetentionRate: numOrNull(h.month_1_retention_rate),
          atRiskUsers: num(h.at_risk_users),
        }
      : null,
    months: monthsBetween(days[0]?.date, asOfDate),
    activity: days,
    retention: retention.map((r) => ({
      cohortMonth: text(r.cohort_month).slice(0, 7),
      monthsSinceSignup: num(r.months_since_signup),
      cohortSize: num(r.cohort_size),
      retainedUsers: num(r.retained_users),
      retentionRate: num(r.retention_rate),
      isCompleteMonth: r.is_complete_month === true,
    })),
    churn: {
      categories: categories.map((r) => ({
        category: text(r.churn_risk_category),
        users: num(r.user_count),
        averageScore: num(r.average_score),
      })),
      atRiskPaying: atRisk.map((r) => ({
        userId: text(r.user_id),
        company: textOrNull(r.company),
        plan: text(r.current_plan),
        lastActiveDate: textOrNull(r.last_active_date),
        daysSinceLastActivity: num(r.days_since_last_activity),
        eventsLast30Days: num(r.events_last_30_days),
        eventsPrior30Days: num(r.events_prior_30_days),
        category: text(r.churn_risk_category),
        score: num(r.churn_risk_score),
      })),
    },
    revenue: { headline: revenueHeadline(mrrMonths), months: mrrMonths },
    accounts: {
      activity: accountActivity.map((r) => ({
        date: text(r.activity_date),
        daa: num(r.daa),
        waa: num(r.waa),
        maa: num(r.maa),
      })),
      atRiskPaying: atRiskAccounts.map((r) => ({
        accountId: text(r.account_id),
        isPersonal: r.is_personal === true,
        name: textOrNull(r.account_name),
        mrr: num(r.current_mrr),
        currency: textOrNull(r.currency),
        users: num(r.users),
        activeUsers30d: num(r.active_users_30d),
        lastActiveDate: textOrNull(r.last_active_date),
        daysSinceLastActivity: num(r.days_since_last_activity),
        score: num(r.account_health_score),
      })),
    },
    engagement: engagementOf(lifecycle, retentionDays, activation, sessions, activeByPlan),
    pipeline: {
      runs: runs.map((r) => ({
        runId: text(r.run_id),
        status: text(r.status),
        trigger: text(r.trigger),
        asOfDate: textOrNull(r.as_of_date),
        startedAt: iso(r.started_at),
        durationSeconds: numOrNull(r.duration_seconds),
        error: textOrNull(r.error),
      })),
      layers: layers.map((r) => ({
        layer: text(r.layer),
        table: text(r.table_name),
        rows: num(r.row_count),
      })),
      quarantine: quarantine.map((r) => ({
        reason: text(r.reason),
        rows: num(r.row_count),
        files: num(r.file_count),
      })),
      unmapped: unmapped.map((r) => ({
        type: text(r.message_type),
        name: text(r.event_name),
        rows: num(r.row_count),
        firstDate: textOrNull(r.first_date),
        lastDate: textOrNull(r.last_date),
      })),
      rejected: rejected.map((r) => ({
        objectKey: text(r.object_key),
        reason: text(r.reject_reason),
        detail: textOrNull(r.detail),
        rejectedAt: r.rejected_at === null ? null : iso(r.rejected_at),
      })),
      quality: quality.map((r) => ({
        name: text(r.check_name),
        severity: text(r.severity),
        passed: r.passed === true,
        failingRows: num(r.failing_rows),
        description: text(r.description),
      })),
    },
  };
}

/** The engagement panels' rows: lifecycle, N-day retention, activation, sessions and DAU by plan. */
function engagementOf(
  lifecycle: Row[],
  retentionDays: Row[],
  activation: Row[],
  sessions: Row[],
  activeByPlan: Row[],
): Overview['engagement'] {
  return {
    lifecycle: lifecycle.map((r) => ({
      weekStart: text(r.period_start),
      weekEnd: text(r.period_end),
      newUsers: num(r.new_users),
      returningUsers: num(r.returning_users),
      resurrectingUsers: num(r.resurrecting_users),
      dormantUsers: num(r.dormant_users),
      isComplete: r.is_complete === true,
    })),
    retentionDays: retentionDays.map((r) => ({
      cohortWeek: text(r.cohort_week),
      n: num(r.n),
      cohortSize: num(r.cohort_size),
      retainedOnDay: num(r.retained_on_day),
      retainedOnOrAfter: num(r.retained_on_or_after),
      retainedOnDayRate: num(r.retained_on_day_rate),
      retainedOnOrAfterRate: num(r.retained_on_or_after_rate),
      isMature: r.is_mature === true,
    })),
    activation: activation.map((r) => ({
      cohortMonth: text(r.cohort_month).slice(0, 7),
      step: num(r.step),
      stepName: text(r.step_name),
      users: num(r.users),
      conversionRate: numOrNull(r.conversion_rate),
      medianHoursFromSignup: numOrNull(r.median_hours_from_signup),
      isComplete: r.is_complete === true,
    })),
    sessions: sessions.map((r) => ({
      date: text(r.session_date),
      platform: text(r.platform),
      sessions: num(r.sessions),
      users: num(r.users),
      medianDurationSeconds: num(r.median_duration_seconds),
      p90DurationSeconds: num(r.p90_duration_seconds),
      sessionsPerUser: num(r.sessions_per_user),
    })),
    activeByPlan: activeByPlan.map((r) => ({
      date: text(r.activity_date),
      plan: textOrNull(r.plan),
      users: num(r.users),
    })),
  };
}

/** The months from the first day with activity to the month of A. */
function monthsBetween(first: string | undefined, last: string | undefined): string[] {
  if (first === undefined || last === undefined) return [];
  const months: string[] = [];
  let [year, month] = first.split('-').map(Number) as [number, number];
  const end = last.slice(0, 7);
  for (;;) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    if (current > end) return months;
    months.push(current);
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
}

/** Feature use inside each range, in the order given. */
export async function loadFeatureUsage(
  db: Queryable,
  ranges: readonly MonthRange[],
): Promise<FeatureUsage[][]> {
  const dates = ranges.map(rangeDates);
  const result = await rows(db, 'feature_usage', {
    range_starts: dates.map((d) => d.start),
    range_ends: dates.map((d) => d.end),
  });
  const byRange: FeatureUsage[][] = ranges.map(() => []);
  for (const r of result) {
    byRange[num(r.range_index) - 1]?.push({
      featureId: text(r.feature_id),
      featureName: text(r.feature_name),
      isPremium: r.is_premium === true,
      totalUses: num(r.total_uses),
      uniqueUsers: num(r.unique_users),
      repeatedUsers: num(r.repeated_users),
      habitUsers: num(r.habit_users),
    });
  }
  return byRange;
}

/**
 * Every range the filter can pick: each pair of months, from <= to, spanning at most
 * MAX_RANGE_MONTHS (the longest the server computes).
 */
export function allMonthRanges(months: readonly string[]): MonthRange[] {
  return months.flatMap((from, i) => months.slice(i, i + MAX_RANGE_MONTHS).map((to) => ({ from, to })));
}

/** The overview and the feature use of every range, for a report that needs no server. */
export async function loadReportData(db: Queryable): Promise<ReportData> {
  // One snapshot for all of it: the report's figures all come from the same publication.
  return inOneSnapshot(db, async (snapshot) => {
    const overview = await loadOverviewFrom(snapshot, {});
    const ranges = allMonthRanges(overview.months);
    const usage = ranges.length > 0 ? await loadFeatureUsage(snapshot, ranges) : [];
    return {
      overview,
      featureUsage: Object.fromEntries(ranges.map((range, i) => [rangeKey(range), usage[i] ?? []])),
    };
  });
}
