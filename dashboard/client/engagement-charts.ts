/** The engagement panels' charts: one option builder per chart, in the style of charts.ts. */
import { type FunnelStep, type PlatformSessions, RETENTION_DAYS, type RetentionCohort } from '../engagement';
import type { LifecycleWeek, RetentionDayPoint, SessionDay } from '../types';
import { COLORS, COMMON, CONTAIN_LABELS, type Option } from './charts';
import { count, duration, percent } from './format';

/** The statuses of a week: the active ones above zero, dormant below. */
const LIFECYCLE_STATUSES = [
  ['New', 'newUsers', 1, '#2563eb'],
  ['Returning', 'returningUsers', 1, '#16a34a'],
  ['Resurrecting', 'resurrectingUsers', 1, '#0d9488'],
  ['Dormant', 'dormantUsers', -1, '#dc2626'],
] as const;

/** A week's label: its Monday, starred while the week is not complete. */
export const weekLabel = (w: LifecycleWeek): string => `${w.weekStart}${w.isComplete ? '' : '*'}`;

/** Users per lifecycle status per ISO week, stacked: dormant users drawn below zero, as negatives. */
export function lifecycleOption(weeks: readonly LifecycleWeek[]): Option {
  const users = (value: number) => count(Math.abs(value));
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: users },
    grid: { left: 8, right: 8, top: 56, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: weeks.map(weekLabel) },
    // The axis counts users both ways from zero: below it, the dormant users. No name: on a phone
    // the legend takes two lines where the name would go.
    yAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: users } },
    series: LIFECYCLE_STATUSES.map(([name, key, sign, color]) => ({
      name,
      type: 'bar',
      // One stack: ECharts stacks the positive values up and the negative ones down, in one column.
      stack: 'lifecycle',
      itemStyle: { color },
      data: weeks.map((w) => ({
        // 0 rather than -0, so that a week without dormant users reads as zero.
        value: w[key] === 0 ? 0 : sign * w[key],
        // The week holding A can still change: drawn lighter, and starred on the axis.
        ...(w.isComplete ? {} : { itemStyle: { color, opacity: 0.4 } }),
      })),
    })),
  };
}

// Oldest to newest cohort, dark to light, so that eight lines can still be told apart.
const COHORT_COLORS = [
  '#1e3a8a',
  '#2563eb',
  '#0891b2',
  '#0d9488',
  '#16a34a',
  '#ca8a04',
  '#ea580c',
  '#dc2626',
];

export const cohortLabel = (c: RetentionCohort): string => `${c.cohortWeek} · ${count(c.cohortSize)} users`;

/**
 * The rate of return on day N against N, one line per cohort week. A point not mature yet (a member's
 * day N is after A) is a hollow symbol, and the segments to it are dashed: a second series of the same
 * name and colour, so that the legend shows and hides both.
 */
export function retentionCurvesOption(cohorts: readonly RetentionCohort[]): Option {
  const point = (c: RetentionCohort, n: number) => c.points.find((p) => p.n === n);
  const item = (p: RetentionDayPoint, symbol: string) => ({ value: p.retainedOnDayRate, point: p, symbol });
  return {
    ...COMMON,
    legend: { top: 0, type: 'scroll' },
    tooltip: {
      trigger: 'item',
      formatter: (p: { data: { point: RetentionDayPoint } }) => {
        const r = p.data.point;
        return `${r.cohortWeek} cohort, day ${r.n}: ${percent(r.retainedOnDayRate)} (${count(r.retainedOnDay)} of ${count(r.cohortSize)})${r.isMature ? '' : ', immature: can still grow'}`;
      },
    },
    // The last label, "day 30", sits on the grid's right edge.
    grid: { left: 8, right: 32, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: {
      type: 'category',
      boundaryGap: false,
      name: 'day N',
      nameLocation: 'middle',
      nameGap: 26,
      data: RETENTION_DAYS.map((n) => `day ${n}`),
    },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: cohorts.flatMap((c, i) => {
      const color = COHORT_COLORS[i % COHORT_COLORS.length];
      const name = cohortLabel(c);
      const points = RETENTION_DAYS.map((n) => point(c, n));
      const immature = (k: number) => points[k]?.isMature === false;
      const line = { name, type: 'line', color, symbolSize: 7, z: 3 };
      const series: object[] = [
        {
          ...line,
          id: c.cohortWeek,
          data: points.map((p) => (p?.isMature ? item(p, 'circle') : null)),
        },
      ];
      if (points.some((p, k) => p && immature(k)))
        series.push({
          ...line,
          id: `${c.cohortWeek} immature`,
          lineStyle: { type: 'dashed' },
          // The immature points, and the mature ones next to them so that the dashes join the line.
          data: points.map((p, k) =>
            !p
              ? null
              : immature(k)
                ? item(p, 'emptyCircle')
                : immature(k - 1) || immature(k + 1)
                  ? item(p, 'none')
                  : null,
          ),
        });
      return series;
    }),
  };
}

/** The median and the 90th percentile of session duration per day, in minutes. */
export function sessionDurationOption(days: readonly SessionDay[]): Option {
  const minutes = (seconds: number) => seconds / 60;
  const line = (name: string, values: number[], extra: object = {}) => ({
    name,
    type: 'line',
    data: values,
    showSymbol: days.length < 40,
    ...extra,
  });
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: (value: number) => duration(value * 60) },
    grid: { left: 8, right: 8, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: days.map((d) => d.date) },
    yAxis: { type: 'value', name: 'minutes', min: 0 },
    series: [
      line(
        'Median',
        days.map((d) => minutes(d.medianDurationSeconds)),
      ),
      line(
        'P90',
        days.map((d) => minutes(d.p90DurationSeconds)),
        { lineStyle: { type: 'dashed' } },
      ),
    ],
  };
}

const decimals = (value: number): string => value.toFixed(2);

export const platformLabel = (platform: string): string => (platform === 'all' ? 'all platforms' : platform);

/** Sessions per user-day of each platform in the range, and of all together (grey). */
export function sessionsPerUserOption(platforms: readonly PlatformSessions[]): Option {
  return {
    ...COMMON,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: decimals },
    grid: { left: 8, right: 8, top: 32, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: platforms.map((p) => platformLabel(p.platform)) },
    yAxis: { type: 'value', name: 'sessions per user-day', nameTextStyle: { align: 'left' }, min: 0 },
    series: [
      {
        name: 'Sessions per user-day',
        type: 'bar',
        label: { show: true, position: 'top', formatter: (p: { value: number }) => decimals(p.value) },
        data: platforms.map((p) => ({
          value: p.sessionsPerUserDay,
          itemStyle: { color: p.platform === 'all' ? '#64748b' : (COLORS[0] ?? '#2563eb') },
        })),
      },
    ],
  };
}

const STEP_LABELS: Record<string, string> = {
  signed_up: 'Signed up',
  created_document: 'Created a document',
  edited_on_second_day_or_shared: 'Edited on a 2nd day or shared',
  active_in_second_week: 'Active in week 2',
  paying: 'Paying',
};

export const stepLabel = (s: FunnelStep): string => `${s.step}. ${STEP_LABELS[s.stepName] ?? s.stepName}`;

/** The label on a step's bar: its users for the first, the conversion from the step before for the rest. */
export const stepBarLabel = (s: FunnelStep): string =>
  s.step === 1 ? count(s.users) : percent(s.conversionRate);

/** Users per activation step, added up over the range's cohorts, each bar labelled with its conversion. */
export function activationOption(steps: readonly FunnelStep[]): Option {
  return {
    ...COMMON,
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataIndex: number }) => {
        const s = steps[p.dataIndex];
        if (!s) return '';
        const conversion = s.step === 1 ? '' : `, ${percent(s.conversionRate)} of the step before`;
        return `${stepLabel(s)}: ${count(s.users)} users${conversion}`;
      },
    },
    grid: { left: 24, right: 64, top: 8, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'value', name: 'users', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: steps.map(stepLabel) },
    series: [
      {
        name: 'Users',
        type: 'bar',
        itemStyle: { color: COLORS[0] ?? '#2563eb' },
        data: steps.map((s) => ({ value: s.users, label: { formatter: stepBarLabel(s) } })),
        label: { show: true, position: 'right' },
      },
    ],
  };
}

/** Users of one group (a plan, a platform) on each day of a stacked chart. */
export interface DayGroup {
  readonly name: string;
  readonly values: readonly number[];
}

const PLAN_COLORS: Record<string, string> = {
  free: '#94a3b8',
  pro: '#2563eb',
  enterprise: '#9333ea',
  'no plan': '#f59e0b',
};
const PLATFORM_COLORS: Record<string, string> = {
  web: '#2563eb',
  desktop: '#0d9488',
  ios: '#ea580c',
  android: '#16a34a',
  unknown: '#94a3b8',
};

function stackedBarsOption(
  dates: readonly string[],
  groups: readonly DayGroup[],
  colors: Record<string, string>,
) {
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    // Room for the last date's label, centred on the right edge.
    grid: { left: 8, right: 24, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: [...dates] },
    yAxis: { type: 'value', name: 'users', minInterval: 1 },
    series: groups.map((g, i) => ({
      name: g.name,
      type: 'bar',
      stack: 'users',
      color: colors[g.name] ?? COLORS[i % COLORS.length],
      data: [...g.values],
    })),
  };
}

/** Active users per day, stacked by the plan they were on at the end of the day. */
export function activeByPlanOption(dates: readonly string[], plans: readonly DayGroup[]): Option {
  return stackedBarsOption(dates, plans, PLAN_COLORS);
}

/** Users with a session per day, stacked by platform: a user on two platforms is in both layers. */
export function activeByPlatformOption(dates: readonly string[], platforms: readonly DayGroup[]): Option {
  return stackedBarsOption(dates, platforms, PLATFORM_COLORS);
}
