/**
 * The engagement panels of a month range: the weekly lifecycle, N-day retention, the activation
 * funnel, sessions, and active users by plan and by platform; each chart with its table.
 */
import {
  inRange,
  latestCohorts,
  RETENTION_COHORTS,
  type RangeFunnel,
  type RetentionCohort,
  rangeFunnel,
  sessionsPerUserDay,
} from '../engagement';
import type { LifecycleWeek, MonthRange, Overview, PlanDay, SessionDay } from '../types';
import type { Chart } from './charts';
import { byId, renderTable } from './dom';
import {
  activationOption,
  activeByPlanOption,
  activeByPlatformOption,
  type DayGroup,
  lifecycleOption,
  platformLabel,
  retentionCurvesOption,
  sessionDurationOption,
  sessionsPerUserOption,
  stepBarLabel,
  stepLabel,
  weekLabel,
} from './engagement-charts';
import { count, duration, monthLabel, percent } from './format';

type ChartOf = (name: string) => Chart;

export function renderEngagement(overview: Overview, range: MonthRange, chart: ChartOf): void {
  const { lifecycle, retentionDays, activation, sessions, activeByPlan } = overview.engagement;
  const weeks = lifecycle.filter((w) => inRange(w.weekStart, range));
  const days = sessions.filter((d) => inRange(d.date, range));
  const platformDays = days.filter((d) => d.platform !== 'all');
  // The days of the active-users chart: every day of the range up to A, with zeros where nobody was.
  const dates = overview.activity.filter((d) => inRange(d.date, range)).map((d) => d.date);
  renderLifecycle(weeks, chart);
  renderRetentionDays(latestCohorts(retentionDays, range), chart);
  renderActivation(rangeFunnel(activation, range), range, chart);
  renderSessions(days, chart);
  renderActiveByPlan(dates, activeByPlan, chart);
  renderActiveByPlatform(dates, platformDays, chart);
}

function renderLifecycle(weeks: readonly LifecycleWeek[], chart: ChartOf): void {
  chart('lifecycle').setOption(lifecycleOption(weeks), true);
  renderTable(
    byId('table-lifecycle'),
    'Users per lifecycle status per ISO week (* week not complete yet)',
    [
      { label: 'Week of', value: weekLabel },
      { label: 'To', value: (w) => w.weekEnd },
      { label: 'New', value: (w) => count(w.newUsers), numeric: true },
      { label: 'Returning', value: (w) => count(w.returningUsers), numeric: true },
      { label: 'Resurrecting', value: (w) => count(w.resurrectingUsers), numeric: true },
      { label: 'Dormant', value: (w) => count(w.dormantUsers), numeric: true },
    ],
    weeks,
  );
}

function renderRetentionDays(cohorts: readonly RetentionCohort[], chart: ChartOf): void {
  chart('retention-days').setOption(retentionCurvesOption(cohorts), true);
  renderTable(
    byId('table-retention-days'),
    `Return on day N and on day N or after, the latest ${RETENTION_COHORTS} signup weeks in the range`,
    [
      { label: 'Cohort week', value: (p) => p.cohortWeek },
      { label: 'Users', value: (p) => count(p.cohortSize), numeric: true },
      { label: 'Day N', value: (p) => String(p.n), numeric: true },
      { label: 'On day N', value: (p) => count(p.retainedOnDay), numeric: true },
      { label: 'Rate on day N', value: (p) => percent(p.retainedOnDayRate), numeric: true },
      { label: 'On day N or after', value: (p) => count(p.retainedOnOrAfter), numeric: true },
      { label: 'Rate on or after', value: (p) => percent(p.retainedOnOrAfterRate), numeric: true },
      { label: 'Maturity', value: (p) => (p.isMature ? 'mature' : 'immature') },
    ],
    cohorts.flatMap((c) => c.points),
  );
}

function renderActivation(funnel: RangeFunnel, range: MonthRange, chart: ChartOf): void {
  chart('activation').setOption(activationOption(funnel.steps), true);
  const medians = funnel.medianCohort === null ? 'no complete cohort in the range' : funnel.medianCohort;
  renderTable(
    byId('table-activation'),
    `Activation of the signup cohorts of ${monthLabel(range.from)} to ${monthLabel(range.to)}, added up; ` +
      `median hours from signup of the latest complete cohort in the range (${medians})`,
    [
      { label: 'Step', value: stepLabel },
      { label: 'Users', value: (s) => count(s.users), numeric: true },
      { label: 'Conversion', value: (s) => (s.step === 1 ? '' : stepBarLabel(s)), numeric: true },
      {
        label: 'Median hours',
        value: (s) => (s.medianHoursFromSignup === null ? '–' : s.medianHoursFromSignup.toFixed(1)),
        numeric: true,
      },
    ],
    funnel.steps,
  );
}

function renderSessions(days: readonly SessionDay[], chart: ChartOf): void {
  const all = days.filter((d) => d.platform === 'all');
  chart('session-duration').setOption(sessionDurationOption(all), true);
  renderTable(
    byId('table-session-duration'),
    'Session duration per day, all platforms',
    [
      { label: 'Date', value: (d) => d.date },
      { label: 'Sessions', value: (d) => count(d.sessions), numeric: true },
      { label: 'Users', value: (d) => count(d.users), numeric: true },
      { label: 'Median', value: (d) => duration(d.medianDurationSeconds), numeric: true },
      { label: 'P90', value: (d) => duration(d.p90DurationSeconds), numeric: true },
    ],
    all,
  );
  const platforms = sessionsPerUserDay(days);
  chart('sessions-per-user').setOption(sessionsPerUserOption(platforms), true);
  renderTable(
    byId('table-sessions-per-user'),
    "Sessions per user-day by platform in the range: the days' sessions ÷ the days' users added up",
    [
      { label: 'Platform', value: (p) => platformLabel(p.platform) },
      { label: 'Sessions', value: (p) => count(p.sessions), numeric: true },
      { label: 'User-days', value: (p) => count(p.userDays), numeric: true },
      { label: 'Per user-day', value: (p) => p.sessionsPerUserDay.toFixed(2), numeric: true },
    ],
    platforms,
  );
}

const NO_PLAN = 'no plan';
// Plans in the order of the price list, platforms web first; any other after them by name.
const PLANS = ['free', 'pro', 'enterprise'];
const PLATFORMS = ['web', 'desktop', 'ios', 'android'];

function renderActiveByPlan(dates: readonly string[], rows: readonly PlanDay[], chart: ChartOf): void {
  const plans = perDay(dates, rows, (r) => r.plan ?? NO_PLAN, PLANS, [NO_PLAN]);
  chart('active-by-plan').setOption(activeByPlanOption(dates, plans), true);
  renderDayTable(
    'active-by-plan',
    'Active users per day by plan at the end of the day ("no plan": anonymous, or before the sign-up)',
    dates,
    plans,
    true,
  );
}

function renderActiveByPlatform(dates: readonly string[], rows: readonly SessionDay[], chart: ChartOf): void {
  const platforms = perDay(dates, rows, (r) => r.platform, PLATFORMS);
  chart('active-by-platform').setOption(activeByPlatformOption(dates, platforms), true);
  renderDayTable(
    'active-by-platform',
    'Users with a session per day by platform (a user with sessions on two platforms counts on both)',
    dates,
    platforms,
    false,
  );
}

/**
 * Users per day of each group, on every one of the days (0 where a group has none): the groups named
 * in `first` in that order, then any others by name, then those named in `last`.
 */
function perDay<T extends { readonly date: string; readonly users: number }>(
  dates: readonly string[],
  rows: readonly T[],
  group: (row: T) => string,
  first: readonly string[],
  last: readonly string[] = [],
): DayGroup[] {
  const index = new Map(dates.map((d, i) => [d, i]));
  const values = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.date);
    if (i === undefined) continue;
    const name = group(row);
    const series = values.get(name) ?? dates.map(() => 0);
    series[i] = (series[i] ?? 0) + row.users;
    values.set(name, series);
  }
  const rank = (name: string) =>
    first.includes(name)
      ? first.indexOf(name)
      : last.includes(name)
        ? first.length + 1 + last.indexOf(name)
        : first.length;
  const names = [...values.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  return names.map((name) => ({ name, values: values.get(name) ?? [] }));
}

function renderDayTable(
  id: string,
  caption: string,
  dates: readonly string[],
  groups: readonly DayGroup[],
  total: boolean,
): void {
  const indexes = dates.map((_, i) => i);
  renderTable(
    byId(`table-${id}`),
    caption,
    [
      { label: 'Date', value: (i: number) => dates[i] ?? '' },
      ...groups.map((g) => ({ label: g.name, value: (i: number) => count(g.values[i] ?? 0), numeric: true })),
      ...(total
        ? [
            {
              label: 'Total',
              value: (i: number) => count(groups.reduce((sum, g) => sum + (g.values[i] ?? 0), 0)),
              numeric: true,
            },
          ]
        : []),
    ],
    indexes,
  );
}
