/** The dashboard's charts: Apache ECharts, rendered as SVG, one option builder per chart. */
import { BarChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { LegacyGridContainLabel } from 'echarts/features';
import { SVGRenderer } from 'echarts/renderers';
import {
  type AccountDay,
  type ActivityDay,
  type ChurnCategory,
  type FeatureUsage,
  type MrrMonth,
  netNewMrr,
  type RetentionCell,
} from '../types';
import { count, money, percent, share } from './format';

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  VisualMapComponent,
  AriaComponent,
  LegacyGridContainLabel,
  SVGRenderer,
]);

export type Chart = echarts.ECharts;
export type Option = echarts.EChartsCoreOption;

// Grids shrink to keep their axis labels inside the chart: without it long category names are cut.
export const CONTAIN_LABELS = { containLabel: true } as const;

/** Below this width a chart stacks what it would otherwise put side by side. */
const NARROW_PX = 560;

export const COLORS = ['#2563eb', '#0d9488', '#9333ea', '#ea580c', '#64748b'];
export const CATEGORY_COLORS: Record<string, string> = {
  active: '#16a34a',
  low: '#ca8a04',
  medium: '#ea580c',
  high: '#dc2626',
};

// ECharts measures text to lay out labels and legends: it must measure the font the page shows.
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

// Animations would make every screenshot and every test wait; the figures matter, not the motion.
export const COMMON = {
  animation: false,
  color: COLORS,
  aria: { enabled: true },
  textStyle: { fontFamily: FONT },
};

export function createChart(container: HTMLElement): Chart {
  const chart = echarts.init(container, undefined, { renderer: 'svg' });
  new ResizeObserver(() => chart.resize()).observe(container);
  return chart;
}

export function isNarrow(container: HTMLElement): boolean {
  return container.clientWidth < NARROW_PX;
}

export function activityOption(days: readonly ActivityDay[]): Option {
  const line = (name: string, values: number[], extra: object = {}) => ({
    name,
    type: 'line',
    data: values,
    showSymbol: false,
    ...extra,
  });
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 8, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', boundaryGap: false, data: days.map((d) => d.date) },
    yAxis: [
      { type: 'value', name: 'users', minInterval: 1 },
      {
        type: 'value',
        name: 'stickiness',
        min: 0,
        max: 1,
        splitLine: { show: false },
        axisLabel: { formatter: (value: number) => share(value) },
      },
    ],
    series: [
      ...(['dau', 'wau', 'mau'] as const).map((key) =>
        line(
          key.toUpperCase(),
          days.map((d) => d[key]),
        ),
      ),
      line(
        'Stickiness',
        days.map((d) => d.stickiness),
        { yAxisIndex: 1, lineStyle: { type: 'dashed', width: 1 }, tooltip: { valueFormatter: share } },
      ),
    ],
  };
}

/** Cohort months as rows, top to bottom, with their size; months since signup as columns. */
export function retentionOption(cells: readonly RetentionCell[]): Option {
  const cohorts = [...new Map(cells.map((c) => [c.cohortMonth, c.cohortSize])).entries()];
  const rowOf = new Map(cohorts.map(([month], i) => [month, i]));
  const columns = Math.max(0, ...cells.map((c) => c.monthsSinceSignup + 1));
  return {
    ...COMMON,
    tooltip: {
      formatter: (p: { data: { cell: RetentionCell } }) => {
        const c = p.data.cell;
        return `${c.cohortMonth} cohort, month ${c.monthsSinceSignup}: ${percent(c.retentionRate)} (${count(c.retainedUsers)} of ${count(c.cohortSize)})${c.isCompleteMonth ? '' : ', month not complete yet'}`;
      },
    },
    grid: { left: 24, right: 8, top: 36, bottom: 8, ...CONTAIN_LABELS },
    xAxis: {
      type: 'category',
      position: 'top',
      name: 'months since signup',
      nameLocation: 'middle',
      nameGap: 22,
      data: Array.from({ length: columns }, (_, k) => `m${k}`),
      splitArea: { show: true },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: cohorts.map(([month, size]) => `${month} · ${count(size)} users`),
      splitArea: { show: true },
    },
    visualMap: { show: false, min: 0, max: 100, dimension: 2, inRange: { color: ['#eff6ff', '#1e40af'] } },
    series: [
      {
        type: 'heatmap',
        name: 'retention',
        data: cells.map((c) => ({
          value: [c.monthsSinceSignup, rowOf.get(c.cohortMonth) ?? 0, c.retentionRate],
          cell: c,
          label: {
            show: true,
            formatter: `${Math.round(c.retentionRate)}%${c.isCompleteMonth ? '' : '*'}`,
            color: c.retentionRate > 55 ? '#ffffff' : '#0f172a',
          },
          // An incomplete month can still grow: drawn fainter and dashed, and starred.
          itemStyle: c.isCompleteMonth
            ? { borderColor: '#ffffff', borderWidth: 1 }
            : { opacity: 0.6, borderColor: '#334155', borderWidth: 1, borderType: 'dashed' },
        })),
      },
    ],
  };
}

/** Unique users and total uses per feature, side by side (stacked when narrow). */
export function featureUseOption(features: readonly FeatureUsage[], narrow: boolean): Option {
  const names = features.map((f) => (f.isPremium ? `${f.featureName} ★` : f.featureName));
  const grids = narrow
    ? [
        { left: 24, right: 48, top: 28, height: '42%', ...CONTAIN_LABELS },
        { left: 24, right: 48, bottom: 8, height: '42%', ...CONTAIN_LABELS },
      ]
    : [
        { left: 24, width: '42%', top: 28, bottom: 8, ...CONTAIN_LABELS },
        { right: 48, width: '44%', top: 28, bottom: 8, ...CONTAIN_LABELS },
      ];
  const bar = (name: string, axis: number, values: number[], color: string) => ({
    name,
    type: 'bar',
    xAxisIndex: axis,
    yAxisIndex: axis,
    data: values,
    itemStyle: { color },
    label: { show: true, position: 'right', formatter: (p: { value: number }) => count(p.value) },
  });
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: grids,
    xAxis: [0, 1].map((i) => ({
      type: 'value',
      gridIndex: i,
      axisLabel: { show: false },
      splitLine: { show: false },
    })),
    yAxis: [0, 1].map((i) => ({
      type: 'category',
      gridIndex: i,
      inverse: true,
      data: names,
      axisLabel: { show: i === 0 || narrow },
    })),
    series: [
      bar(
        'Unique users',
        0,
        features.map((f) => f.uniqueUsers),
        COLORS[0] ?? '#2563eb',
      ),
      bar(
        'Total uses',
        1,
        features.map((f) => f.totalUses),
        COLORS[1] ?? '#0d9488',
      ),
    ],
  };
}

const FUNNEL_STAGES = [
  ['Tried', 'uniqueUsers'],
  ['Repeated', 'repeatedUsers'],
  ['Habit', 'habitUsers'],
] as const;

/** Tried, repeated (2+ days) and habit (3+ ISO weeks) users per feature. */
export function funnelOption(features: readonly FeatureUsage[]): Option {
  const stage = (name: string, values: number[]) => ({
    name,
    type: 'bar',
    data: values,
    label: { show: true, position: 'right', fontSize: 10 },
  });
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 24, right: 56, top: 32, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'value', name: 'users', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: features.map((f) => f.featureName) },
    series: [
      ...FUNNEL_STAGES.map(([name, key]) =>
        stage(
          name,
          features.map((f) => f[key]),
        ),
      ),
    ],
  };
}

export function churnOption(categories: readonly ChurnCategory[]): Option {
  return {
    ...COMMON,
    tooltip: { trigger: 'item', formatter: '{b}: {c} users ({d}%)' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        name: 'churn risk',
        radius: ['40%', '70%'],
        center: ['50%', '45%'],
        label: { formatter: '{b}: {c}' },
        data: categories.map((c) => ({
          name: c.category,
          value: c.users,
          itemStyle: { color: CATEGORY_COLORS[c.category] ?? '#64748b' },
        })),
      },
    ],
  };
}

/** The movements that add MRR, and those that take it away (drawn below zero). */
export const MRR_MOVEMENTS = [
  ['New', 'newMrr', 1, '#2563eb'],
  ['Reactivation', 'reactivationMrr', 1, '#0d9488'],
  ['Expansion', 'expansionMrr', 1, '#16a34a'],
  ['Contraction', 'contractionMrr', -1, '#ea580c'],
  ['Churn', 'churnMrr', -1, '#dc2626'],
] as const;

/** MRR movements per month in one currency as stacked bars, churn and contraction below zero, and ending MRR. */
export function mrrOption(months: readonly MrrMonth[], currency: string): Option {
  const format = (value: number) => money(value, currency);
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: format },
    grid: { left: 8, right: 8, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: months.map((m) => m.month) },
    yAxis: { type: 'value', name: currency, axisLabel: { formatter: format } },
    series: [
      ...MRR_MOVEMENTS.map(([name, key, sign, color]) => ({
        name,
        type: 'bar',
        stack: sign > 0 ? 'gain' : 'loss',
        itemStyle: { color },
        // 0 rather than -0, so that a month without a loss reads as zero.
        data: months.map((m) => (m[key] === 0 ? 0 : sign * m[key])),
      })),
      {
        name: 'Net new',
        type: 'line',
        data: months.map(netNewMrr),
        lineStyle: { type: 'dashed', width: 1 },
        itemStyle: { color: '#64748b' },
      },
      {
        name: 'Ending MRR',
        type: 'line',
        data: months.map((m) => m.endingMrr),
        itemStyle: { color: '#9333ea' },
      },
    ],
  };
}

/** Net and gross revenue retention per month, as percentages; a month that started with no MRR has none. */
export function retentionRatesOption(months: readonly MrrMonth[]): Option {
  const pct = (values: (number | null)[]) =>
    values.map((v) => (v === null ? null : Math.round(v * 1000) / 10));
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? '–' : `${v}%`) },
    grid: { left: 8, right: 8, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', data: months.map((m) => m.month) },
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: '{value}%' } },
    series: [
      { name: 'NRR', type: 'line', data: pct(months.map((m) => m.netRevenueRetention)) },
      {
        name: 'GRR',
        type: 'line',
        data: pct(months.map((m) => m.grossRevenueRetention)),
        lineStyle: { type: 'dashed' },
      },
    ],
  };
}

export function accountActivityOption(days: readonly AccountDay[]): Option {
  return {
    ...COMMON,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 8, top: 40, bottom: 8, ...CONTAIN_LABELS },
    xAxis: { type: 'category', boundaryGap: false, data: days.map((d) => d.date) },
    yAxis: { type: 'value', name: 'accounts', minInterval: 1 },
    series: (['daa', 'waa', 'maa'] as const).map((key) => ({
      name: key.toUpperCase(),
      type: 'line',
      showSymbol: days.length < 40,
      data: days.map((d) => d[key]),
    })),
  };
}
