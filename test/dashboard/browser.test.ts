// The functions passed to page.evaluate run in the browser and use its DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { clientBundle } from '../../dashboard/bundle';
import { allMonthRanges } from '../../dashboard/data';
import { renderPage } from '../../dashboard/page';
import { createReaderPool } from '../../dashboard/reader';
import { writeReport } from '../../dashboard/report';
import { type DashboardServer, startDashboardServer } from '../../dashboard/server';
import { type Overview, rangeKey } from '../../dashboard/types';
import type { Pool } from '../../lambdas/warehouse/db';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadDashboardFixture } from '../support/dashboard-fixture';
import { loadEngagementFixture } from './engagement-fixture';
import { loadRevenueFixture } from './revenue-fixture';

// The dashboard in a real browser (Debian's Chromium), served by `serve` and opened from the file
// that `report` writes. Every number a chart shows is compared with a query of the database.
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/dashboard');
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

let db: TestDatabase;
let reader: Pool;
let server: DashboardServer;
let browser: Browser;
let folder: string;
let reportUrl: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDashboardFixture(db.pool);
  await loadRevenueFixture(db.pool);
  // A file the loader rejected, for the pipeline-health table; the detail is data, so it must stay text.
  await db.pool.query(
    `insert into raw.files (bucket, object_key, etag, status, reject_reason, error, rejected_at)
     values ('landing', 'events/dt=2024-03-14/part-0009.ndjson.gz', 'e1', 'rejected', 'truncated_gzip',
             '<b>unexpected end of file</b>', '2024-03-15T06:00:00Z')`,
  );
  reader = createReaderPool(db.url);
  server = await startDashboardServer({ db: reader, port: 0 });
  folder = await mkdtemp(path.join(tmpdir(), 'dashboard-'));
  const report = await writeReport(reader, path.join(folder, 'report.html'));
  reportUrl = `file://${report.path}`;
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await reader?.end();
  await db?.drop();
  await rm(folder, { recursive: true, force: true });
});

interface Opened {
  readonly page: Page;
  readonly problems: string[];
  readonly requests: string[];
}

async function open(url: string, viewport = LAPTOP): Promise<Opened> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  await ready(page);
  return { page, problems, requests };
}

const ready = (page: Page, range?: string) =>
  page.waitForFunction(
    (want) => document.body.dataset.state === 'ready' && (!want || document.body.dataset.range === want),
    range,
    { timeout: 15_000 },
  );

const ENGAGEMENT_CHARTS = [
  'lifecycle',
  'retention-days',
  'activation',
  'session-duration',
  'sessions-per-user',
  'active-by-plan',
  'active-by-platform',
];

/** What each chart was given to draw, read from its ECharts instance. */
function drawn(page: Page) {
  return page.evaluate((engagementCharts) => {
    type Option = {
      series: { name?: string; data: unknown[] }[];
      xAxis: { data?: string[] }[];
      yAxis: { data?: string[] }[];
    };
    const charts = (
      window as unknown as { saasDashboard: { charts: Record<string, { getOption(): Option }> } }
    ).saasDashboard.charts;
    const option = (name: string) => charts[name]?.getOption() as Option;
    const values = (data: unknown[]) =>
      data.map((d) =>
        typeof d === 'object' && d !== null && 'value' in d ? (d as { value: unknown }).value : d,
      );
    const svgShapes = (name: string) => document.querySelectorAll(`#chart-${name} svg path`).length;
    const activity = option('activity');
    const retention = option('retention');
    const features = option('features');
    const funnel = option('funnel');
    const churn = option('churn');
    const series = (name: string) => {
      const o = option(name);
      return {
        x: o.xAxis[0]?.data ?? [],
        series: Object.fromEntries(o.series.map((s) => [s.name, values(s.data)])),
      };
    };
    return {
      mrr: series('mrr'),
      revenueRetention: series('revenue-retention'),
      accounts: series('accounts'),
      kpis: Object.fromEntries(
        [...document.querySelectorAll<HTMLElement>('.kpi')].map((k) => [
          k.dataset.kpi,
          k.querySelector('dd')?.textContent,
        ]),
      ),
      activity: {
        dates: activity.xAxis[0]?.data ?? [],
        series: Object.fromEntries(activity.series.map((s) => [s.name, values(s.data)])),
      },
      retention: { rows: retention.yAxis[0]?.data ?? [], cells: values(retention.series[0]?.data ?? []) },
      features: {
        names: features.yAxis[0]?.data ?? [],
        users: values(features.series[0]?.data ?? []),
        uses: values(features.series[1]?.data ?? []),
      },
      funnel: funnel.series.map((s) => [s.name, values(s.data)]),
      churn: (churn.series[0]?.data as { name: string; value: number }[]).map((d) => [d.name, d.value]),
      shapes: [
        'activity',
        'retention',
        'features',
        'funnel',
        'churn',
        'mrr',
        'revenue-retention',
        'accounts',
        ...engagementCharts,
      ].map(svgShapes),
      summary: document.getElementById('range-summary')?.textContent ?? '',
    };
  }, ENGAGEMENT_CHARTS);
}

/** The figures straight from the database, for the range [start, end]. */
async function expected(start: string, end: string) {
  const q = async (sql: string, values: unknown[] = []) => (await db.pool.query(sql, values)).rows;
  const activity = await q(
    'select activity_date, dau, wau, mau from analytics.daily_active_users where activity_date between $1 and $2 order by 1',
    [start, end],
  );
  const features = await q(
    `select feature_id, sum(use_count)::int as uses, count(distinct user_id)::int as users
     from core.fact_daily_user_features where activity_date between $1 and $2 group by 1`,
    [start, end],
  );
  const cells = await q(
    `select months_since_signup, retention_rate::float as rate from analytics.user_retention_cohorts
     where cohort_month between date_trunc('month', $1::date) and $2 order by cohort_month, months_since_signup`,
    [start, end],
  );
  const churn =
    await q(`select churn_risk_category as name, count(*)::int as value from analytics.churn_risk_scores
    group by 1 order by array_position(array['active','low','medium','high'], churn_risk_category)`);
  return { activity, features, cells, churn };
}

async function expectFigures(page: Page, start: string, end: string): Promise<void> {
  const shown = await drawn(page);
  const want = await expected(start, end);
  expect(shown.activity.dates).toEqual(want.activity.map((r) => r.activity_date));
  expect(shown.activity.series.DAU).toEqual(want.activity.map((r) => r.dau));
  expect(shown.activity.series.WAU).toEqual(want.activity.map((r) => r.wau));
  expect(shown.activity.series.MAU).toEqual(want.activity.map((r) => r.mau));
  expect(shown.retention.cells.map((c) => [(c as number[])[0], (c as number[])[2]])).toEqual(
    want.cells.map((c) => [c.months_since_signup, c.rate]),
  );
  const templates = want.features.find((f) => f.feature_id === 'templates') ?? { uses: 0, users: 0 };
  expect(shown.features).toEqual({ names: ['Templates'], users: [templates.users], uses: [templates.uses] });
  expect(shown.churn).toEqual(want.churn.map((c) => [c.name, c.value]));
  // Each chart drew shapes, not just an empty frame.
  for (const shapes of shown.shapes) expect(shapes).toBeGreaterThan(3);
}

async function expectKeyboardAndFilter(page: Page): Promise<void> {
  const focused = () =>
    page.evaluate(() => {
      const element = document.activeElement as HTMLElement;
      return { id: element.id || element.className, outline: getComputedStyle(element).outlineStyle };
    });
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ id: 'skip', outline: 'solid' });
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ id: 'range-from', outline: 'solid' });
  // Arrow down on the closed "From" list picks February: the figures follow.
  await page.keyboard.press('ArrowDown');
  await ready(page, '2024-02..2024-03');
  await expectFigures(page, '2024-02-01', '2024-03-31');
  const february = await drawn(page);
  expect(february.activity.dates[0]).toBe('2024-02-01');
  expect(february.retention.rows).toEqual(['2024-02 · 2 users']);
  expect(february.features.uses).toEqual([3]);
  // The revenue and account charts and tables keep to the range too.
  expect(february.mrr.x).toEqual(['2024-02', '2024-03']);
  expect(february.mrr.series['Ending MRR']).toEqual([130, 140]);
  expect(february.revenueRetention.series.NRR).toEqual([80, 88.5]);
  expect(february.accounts.x).toEqual(['2024-02-05', '2024-03-14']);
  expect(await page.locator('#table-mrr tbody tr').count()).toBe(2);
  expect(await page.locator('#table-accounts tbody td').first().textContent()).toBe('2024-02-05');
  expect(february.summary).toBe(
    'Feb 2024 to Mar 2024: 2 sign-ups, 0.2 daily active users on average, 3 feature uses.',
  );
  // To the "All time" button, and back to the whole history.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect((await focused()).id).toBe('range-all');
  await page.keyboard.press('Enter');
  await ready(page, '2024-01..2024-03');
  expect((await drawn(page)).features.uses).toEqual([7]);
}

async function expectLegibleOnPhone(url: string, name: string): Promise<void> {
  const { page, problems } = await open(url, PHONE);
  const layout = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    features: document.getElementById('chart-features')?.dataset.layout,
    charts: [...document.querySelectorAll<HTMLElement>('.chart')].map((c) => [c.clientWidth, c.clientHeight]),
    kpiFontPx: parseFloat(getComputedStyle(document.querySelector('.kpi dd') as Element).fontSize),
  }));
  expect(layout.overflow).toBeLessThanOrEqual(0);
  expect(layout.features).toBe('stacked');
  for (const [width, height] of layout.charts) {
    expect(width).toBeLessThanOrEqual(PHONE.width);
    expect(height).toBeGreaterThanOrEqual(250);
  }
  expect(layout.kpiFontPx).toBeGreaterThanOrEqual(16);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
}

describe.each([
  ['serve', () => server.url],
  ['report', () => reportUrl],
])('the dashboard from %s', (name, url) => {
  test('shows the numbers in the database, in every chart', async () => {
    const { page, problems } = await open(url());
    expect(await page.textContent('#as-of')).toBe(
      "Figures as of 2024-03-15 (the pipeline's logical date); days, weeks and months in UTC",
    );
    expect((await drawn(page)).kpis).toEqual({
      users: '4',
      active: '0',
      wau: '1',
      mau: '2',
      stickiness: '0%',
      retention: '50.0%',
      'at-risk': '2',
      // test/dashboard/revenue-fixture.ts: USD is the main currency; EUR is noted, never added.
      mrr: '$140.00',
      'net-new-mrr': '+$10.00',
      nrr: '80.0%',
      paying: '4',
    });
    expect(await page.textContent('[data-kpi="mrr"] dt')).toBe('MRR, Mar 2024 (USD)');
    expect(await page.textContent('[data-kpi="mrr"] .kpi-note')).toBe('Not added: €50.00 EUR');
    expect(await page.textContent('[data-kpi="nrr"] dt')).toBe('NRR, Feb 2024');
    const revenue = (await drawn(page)).mrr;
    expect(revenue.x).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(revenue.series).toEqual({
      New: [100, 50, 0],
      Reactivation: [0, 0, 25],
      Expansion: [0, 20, 15],
      Contraction: [0, -10, 0],
      Churn: [0, -30, -30],
      'Net new': [100, 30, 10],
      'Ending MRR': [100, 130, 140],
    });
    expect((await drawn(page)).revenueRetention.series).toEqual({
      NRR: [null, 80, 88.5],
      GRR: [null, 60, 76.9],
    });
    expect(await page.locator('#table-mrr tbody tr').last().locator('td').allTextContents()).toEqual([
      '2024-03*',
      '$130.00',
      '$0.00',
      '$25.00',
      '$15.00',
      '$0.00',
      '−$30.00',
      '+$10.00',
      '$140.00',
      '4',
    ]);
    expect(await page.locator('#table-revenue-retention td').allTextContents()).toEqual([
      '2024-01',
      '–',
      '–',
      '2024-02',
      '80.0%',
      '60.0%',
      '2024-03*',
      '88.5%',
      '76.9%',
    ]);
    expect((await drawn(page)).accounts).toEqual({
      x: ['2024-01-10', '2024-02-05', '2024-03-14'],
      series: { DAA: [1, 2, 1], WAA: [1, 2, 1], MAA: [1, 2, 2] },
    });
    expect(await page.locator('#table-accounts tbody tr').count()).toBe(3);
    expect(
      await page
        .locator('#table-at-risk-accounts tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent))),
    ).toEqual([
      ['Acme', 'company', '$90.00', '3', '0', '2024-02-01', '43', '15'],
      ['Beta', 'company', '$40.00', '2', '1', '2024-02-20', '24', '35'],
    ]);
    await expectFigures(page, '2024-01-01', '2024-03-31');
    expect(await page.locator('#table-quarantine td').allTextContents()).toEqual([
      'invalid_json',
      '1',
      '1',
      'missing_field',
      '1',
      '1',
    ]);
    expect(await page.locator('#table-rejected td').allTextContents()).toEqual([
      'events/dt=2024-03-14/part-0009.ndjson.gz',
      'truncated_gzip',
      '<b>unexpected end of file</b>',
      '2024-03-15 06:00:00',
    ]);
    expect(await page.locator('#table-layers tr', { hasText: 'raw.files (rejected)' }).textContent()).toMatch(
      /rejected\)1$/,
    );
    expect(await page.locator('#table-at-risk tbody tr').count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-laptop.png`), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  test('the filter changes the figures, by keyboard alone', async () => {
    const { page, problems } = await open(url());
    await expectKeyboardAndFilter(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  test('a range in the address is where the page opens', async () => {
    const { page } = await open(`${url()}#from=2024-01&to=2024-01`);
    await ready(page, '2024-01..2024-01');
    expect((await drawn(page)).features.uses).toEqual([4]);
    await page.close();
  });

  test('is legible at phone width', () => expectLegibleOnPhone(url(), name));
});

test('behind a token, the browser logs in once and its fetches carry the token', async () => {
  const token = 'browser-test-token-0123456789';
  const locked = await startDashboardServer({ db: reader, port: 0, token });
  try {
    // What a person does at the browser's prompt: any user name, the token as the password.
    const context = await browser.newContext({ httpCredentials: { username: 'me', password: token } });
    const page = await context.newPage();
    await page.goto(locked.url);
    await ready(page);
    expect((await drawn(page)).kpis.users).toBe('4');
    await context.close();
  } finally {
    await locked.close();
  }
});

test('over a history longer than 60 months, "All time" and the filter keep to 60', async () => {
  // The filter's own logic, on figures made up for it: a report file of 61 months with no activity.
  const months = Array.from(
    { length: 61 },
    (_, i) => `${2020 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
  );
  const overview: Overview = {
    headline: {
      asOfDate: '2025-01-31',
      timeZone: 'UTC',
      users: 0,
      activeUsers: 0,
      weeklyActiveUsers: 0,
      monthlyActiveUsers: 0,
      stickiness: 0,
      month1RetentionRate: null,
      atRiskUsers: 0,
    },
    months,
    activity: [],
    retention: [],
    churn: { categories: [], atRiskPaying: [] },
    revenue: { headline: null, months: [] },
    accounts: { activity: [], atRiskPaying: [] },
    engagement: { lifecycle: [], retentionDays: [], activation: [], sessions: [], activeByPlan: [] },
    pipeline: { runs: [], layers: [], quarantine: [], unmapped: [], rejected: [], quality: [] },
  };
  const file = path.join(folder, 'long.html');
  const featureUsage = Object.fromEntries(allMonthRanges(months).map((range) => [rangeKey(range), []]));
  await writeFile(
    file,
    renderPage({ script: { inline: await clientBundle() }, data: { overview, featureUsage } }),
  );
  const { page, problems } = await open(`file://${file}`);
  expect(await page.evaluate(() => document.body.dataset.range)).toBe('2020-02..2025-01');
  expect(await page.textContent('#range-all')).toBe('Latest 60 months');
  // Moving "From" to the first month drags "To" back to 60 months after it.
  await page.selectOption('#range-from', '2020-01');
  await ready(page, '2020-01..2024-12');
  await page.click('#range-all');
  await ready(page, '2020-02..2025-01');
  expect(await page.textContent('#table-rejected')).toBe('Rejected files, newest first: none.');
  // The engagement panels with no rows at all: empty charts, and tables that say so.
  expect(await page.textContent('#table-lifecycle')).toBe(
    'Users per lifecycle status per ISO week (* week not complete yet): none.',
  );
  for (const id of [
    'retention-days',
    'session-duration',
    'sessions-per-user',
    'active-by-plan',
    'active-by-platform',
  ])
    expect(await page.textContent(`#table-${id}`)).toMatch(/: none\.$/);
  expect(await page.textContent('#table-activation')).toMatch(/no complete cohort in the range\): none\.$/);
  expect(problems).toEqual([]);
  await page.close();
});

test('the report needs nothing but its own file', async () => {
  const { page, requests } = await open(reportUrl);
  expect(requests.filter((r) => !r.startsWith('file://') && !r.startsWith('data:'))).toEqual([]);
  await page.close();
});

/** What the engagement charts were given to draw, and what they show as text. */
function drawnEngagement(page: Page) {
  return page.evaluate(() => {
    type Item = {
      value?: unknown;
      symbol?: string;
      itemStyle?: { opacity?: number };
      label?: { formatter?: string };
    };
    type Series = {
      id?: string;
      name?: string;
      data: (Item | number | null)[];
      lineStyle?: { type?: string };
    };
    type Option = { series: Series[]; xAxis: { data?: string[] }[]; yAxis: { data?: string[] }[] };
    const charts = (
      window as unknown as { saasDashboard: { charts: Record<string, { getOption(): Option }> } }
    ).saasDashboard.charts;
    const option = (name: string) => charts[name]?.getOption() as Option;
    const item = (d: Item | number | null): Item | undefined =>
      typeof d === 'object' && d !== null ? d : undefined;
    const value = (d: Item | number | null) => (item(d) ? item(d)?.value : d);
    const chart = (name: string, axis: 'xAxis' | 'yAxis' = 'xAxis') => {
      const o = option(name);
      return {
        labels: o[axis][0]?.data ?? [],
        series: Object.fromEntries(o.series.map((s) => [s.name, s.data.map(value)])),
      };
    };
    const texts = (name: string) =>
      [...document.querySelectorAll(`#chart-${name} svg text`)].map((t) => t.textContent ?? '');
    const lifecycle = option('lifecycle');
    const activation = option('activation');
    return {
      lifecycle: {
        ...chart('lifecycle'),
        // The weeks drawn lighter.
        faded: (lifecycle.series[0]?.data ?? []).flatMap((d, i) =>
          (item(d)?.itemStyle?.opacity ?? 1) < 1 ? [i] : [],
        ),
        texts: texts('lifecycle'),
      },
      retention: {
        labels: option('retention-days').xAxis[0]?.data ?? [],
        series: option('retention-days').series.map((s) => ({
          id: s.id,
          name: s.name,
          values: s.data.map(value),
          dashed: s.lineStyle?.type === 'dashed',
          symbols: s.data.map((d) => item(d)?.symbol ?? null),
        })),
      },
      activation: {
        ...chart('activation', 'yAxis'),
        barLabels: (activation.series[0]?.data ?? []).map((d) => item(d)?.label?.formatter),
        texts: texts('activation'),
      },
      sessionDuration: chart('session-duration'),
      sessionsPerUser: chart('sessions-per-user'),
      byPlan: chart('active-by-plan'),
      byPlatform: chart('active-by-platform'),
      dau: chart('activity').series.DAU as number[],
    };
  });
}

/** A table's body, row by row, cell by cell. */
const tableRows = (page: Page, id: string) =>
  page
    .locator(`#table-${id} tbody tr`)
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));

/** The days of a day-by-day series that are not zero, `{ date: value }`. */
const nonZero = (labels: string[], values: unknown[] | undefined) =>
  Object.fromEntries(labels.flatMap((date, i) => (values?.[i] ? [[date, values[i]]] : [])));

describe('the engagement panels, on test/dashboard/engagement-fixture.ts (worked out in data.test.ts)', () => {
  let engagementDb: TestDatabase;
  let engagementReader: Pool;
  let engagementServer: DashboardServer;
  let engagementReportUrl: string;
  beforeAll(async () => {
    engagementDb = await createTestDatabase();
    await loadEngagementFixture(engagementDb.pool);
    engagementReader = createReaderPool(engagementDb.url);
    engagementServer = await startDashboardServer({ db: engagementReader, port: 0 });
    const report = await writeReport(engagementReader, path.join(folder, 'engagement.html'));
    engagementReportUrl = `file://${report.path}`;
  });
  afterAll(async () => {
    await engagementServer?.close();
    await engagementReader?.end();
    await engagementDb?.drop();
  });

  describe.each([
    ['serve', () => engagementServer.url],
    ['report', () => engagementReportUrl],
  ])('from %s', (name, url) => {
    test('each chart draws the figures, and its table lists them', async () => {
      const { page, problems } = await open(url());
      const shown = await drawnEngagement(page);

      // Lifecycle: dormant below zero, the week holding A starred and lighter.
      expect(shown.lifecycle.labels).toEqual([
        '2024-02-05',
        '2024-02-12',
        '2024-02-19',
        '2024-02-26',
        '2024-03-04',
        '2024-03-11',
        '2024-03-18',
        '2024-03-25*',
      ]);
      expect(shown.lifecycle.series).toEqual({
        New: [2, 0, 0, 1, 0, 0, 1, 0],
        Returning: [0, 1, 0, 0, 1, 1, 0, 1],
        Resurrecting: [0, 0, 0, 0, 1, 0, 0, 2],
        Dormant: [0, -1, -1, 0, 0, -1, -1, 0],
      });
      expect(shown.lifecycle.faded).toEqual([7]);
      // The axis counts users both ways from zero: no label is negative.
      expect(shown.lifecycle.texts.filter((t) => /^[-−]\d/.test(t))).toEqual([]);
      const lifecycle = await tableRows(page, 'lifecycle');
      expect(lifecycle).toHaveLength(8);
      expect(lifecycle[1]).toEqual(['2024-02-12', '2024-02-18', '0', '1', '0', '1']);
      expect(lifecycle[7]).toEqual(['2024-03-25*', '2024-03-31', '0', '1', '2', '0']);

      // N-day retention: dan's days 14 and 30 are after A: hollow, on a dashed line from day 7.
      expect(shown.retention.labels).toEqual(['day 1', 'day 3', 'day 7', 'day 14', 'day 30']);
      expect(shown.retention.series).toEqual([
        {
          id: '2024-02-05',
          name: '2024-02-05 · 2 users',
          values: [100, 50, 50, 0, 0],
          dashed: false,
          symbols: ['circle', 'circle', 'circle', 'circle', 'circle'],
        },
        {
          id: '2024-02-26',
          name: '2024-02-26 · 1 users',
          values: [100, 0, 100, 0, 100],
          dashed: false,
          symbols: ['circle', 'circle', 'circle', 'circle', 'circle'],
        },
        {
          id: '2024-03-18',
          name: '2024-03-18 · 1 users',
          values: [100, 0, 100, null, null],
          dashed: false,
          symbols: ['circle', 'circle', 'circle', null, null],
        },
        {
          id: '2024-03-18 immature',
          name: '2024-03-18 · 1 users',
          values: [null, null, 100, 0, 0],
          dashed: true,
          symbols: [null, null, 'none', 'emptyCircle', 'emptyCircle'],
        },
      ]);
      const retention = await tableRows(page, 'retention-days');
      expect(retention).toHaveLength(15);
      expect(retention[4]).toEqual(['2024-02-05', '2', '30', '0', '0.0%', '1', '50.0%', 'mature']);
      expect(retention.slice(12)).toEqual([
        ['2024-03-18', '1', '7', '1', '100.0%', '1', '100.0%', 'mature'],
        ['2024-03-18', '1', '14', '0', '0.0%', '0', '0.0%', 'immature'],
        ['2024-03-18', '1', '30', '0', '0.0%', '0', '0.0%', 'immature'],
      ]);

      // Activation: the sums of February and March, each bar with the conversion from the step before.
      expect(shown.activation.labels).toEqual([
        '1. Signed up',
        '2. Created a document',
        '3. Edited on a 2nd day or shared',
        '4. Active in week 2',
        '5. Paying',
      ]);
      expect(shown.activation.series).toEqual({ Users: [4, 3, 3, 2, 1] });
      expect(shown.activation.barLabels).toEqual(['4', '75.0%', '100.0%', '66.7%', '50.0%']);
      expect(shown.activation.texts).toEqual(expect.arrayContaining(['75.0%', '100.0%', '66.7%', '50.0%']));
      expect(await tableRows(page, 'activation')).toEqual([
        ['1. Signed up', '4', '', '0.0'],
        ['2. Created a document', '3', '75.0%', '0.3'],
        ['3. Edited on a 2nd day or shared', '3', '100.0%', '49.0'],
        ['4. Active in week 2', '2', '66.7%', '168.5'],
        ['5. Paying', '1', '50.0%', '217.0'],
      ]);
      expect(await page.textContent('#table-activation caption')).toBe(
        'Activation of the signup cohorts of Feb 2024 to Mar 2024, added up; median hours from signup of the latest complete cohort in the range (2024-02)',
      );

      // Sessions: median and p90 of every day with a session, in minutes.
      expect(shown.sessionDuration.labels).toEqual([
        '2024-02-05',
        '2024-02-06',
        '2024-02-07',
        '2024-02-08',
        '2024-02-12',
        '2024-02-14',
        '2024-02-26',
        '2024-02-27',
        '2024-03-01',
        '2024-03-04',
        '2024-03-06',
        '2024-03-12',
        '2024-03-18',
        '2024-03-19',
        '2024-03-25',
        '2024-03-26',
        '2024-03-27',
      ]);
      expect(shown.sessionDuration.series).toEqual({
        Median: [10, 12.5, 30, 15, 0, 120, 15, 0, 0, 20, 0, 0, 20, 0, 0, 0, 0],
        P90: [10, 18.5, 30, 27, 0, 120, 15, 0, 0, 36, 0, 0, 20, 0, 0, 0, 0],
      });
      const durations = await tableRows(page, 'session-duration');
      expect(durations.slice(0, 2)).toEqual([
        ['2024-02-05', '1', '1', '10m 00s', '10m 00s'],
        ['2024-02-06', '2', '1', '12m 30s', '18m 30s'],
      ]);
      expect(durations[5]).toEqual(['2024-02-14', '1', '1', '2h 00m', '2h 00m']);
      expect(shown.sessionsPerUser.labels).toEqual(['web', 'ios', 'android', 'all platforms']);
      expect(shown.sessionsPerUser.series).toEqual({ 'Sessions per user-day': [13 / 12, 1, 1, 20 / 18] });
      expect(await tableRows(page, 'sessions-per-user')).toEqual([
        ['web', '13', '12', '1.08'],
        ['ios', '4', '4', '1.00'],
        ['android', '3', '3', '1.00'],
        ['all platforms', '20', '18', '1.11'],
      ]);

      // DAU by plan: every day of the active-users chart, adding up to its DAU.
      expect(shown.byPlan.labels).toHaveLength(52);
      expect(shown.byPlan.labels[0]).toBe('2024-02-05');
      expect(Object.keys(shown.byPlan.series)).toEqual(['free', 'pro', 'no plan']);
      expect(nonZero(shown.byPlan.labels, shown.byPlan.series.pro)).toEqual({
        '2024-02-14': 1,
        '2024-03-26': 1,
      });
      expect(nonZero(shown.byPlan.labels, shown.byPlan.series['no plan'])).toEqual({ '2024-03-19': 1 });
      expect(Object.keys(nonZero(shown.byPlan.labels, shown.byPlan.series.free))).toHaveLength(15);
      const planTotals = shown.byPlan.labels.map((_, i) =>
        Object.values(shown.byPlan.series).reduce<number>(
          (sum, values) => sum + Number((values as number[])[i]),
          0,
        ),
      );
      expect(planTotals).toEqual(shown.dau);
      const planRows = await tableRows(page, 'active-by-plan');
      expect(planRows.find((r) => r[0] === '2024-03-19')).toEqual(['2024-03-19', '1', '0', '1', '2']);
      expect(planRows.find((r) => r[0] === '2024-02-14')).toEqual(['2024-02-14', '0', '1', '0', '1']);

      // DAU by platform: ann is on web and ios on Feb 6; anon-z (Mar 19) has no session.
      expect(Object.keys(shown.byPlatform.series)).toEqual(['web', 'ios', 'android']);
      expect(nonZero(shown.byPlatform.labels, shown.byPlatform.series.ios)).toEqual({
        '2024-02-06': 1,
        '2024-02-07': 1,
        '2024-02-08': 1,
        '2024-03-06': 1,
      });
      expect(nonZero(shown.byPlatform.labels, shown.byPlatform.series.android)).toEqual({
        '2024-03-18': 1,
        '2024-03-19': 1,
        '2024-03-25': 1,
      });
      expect(Object.keys(nonZero(shown.byPlatform.labels, shown.byPlatform.series.web))).toHaveLength(12);
      const platformRows = await tableRows(page, 'active-by-platform');
      expect(platformRows.find((r) => r[0] === '2024-02-06')).toEqual(['2024-02-06', '1', '1', '0']);
      expect(platformRows.find((r) => r[0] === '2024-03-19')).toEqual(['2024-03-19', '0', '0', '1']);

      await page.screenshot({ path: path.join(ARTIFACTS, `engagement-${name}-laptop.png`), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });

    test('the month range picks the weeks, cohorts and days that start in it', async () => {
      const { page, problems } = await open(url());
      await page.selectOption('#range-from', '2024-03');
      await ready(page, '2024-03..2024-03');
      const shown = await drawnEngagement(page);
      // The week of Feb 26 ends in March, but starts in February.
      expect(shown.lifecycle.labels).toEqual(['2024-03-04', '2024-03-11', '2024-03-18', '2024-03-25*']);
      expect(shown.lifecycle.series.Dormant).toEqual([0, -1, -1, 0]);
      expect(shown.retention.series.map((s) => s.id)).toEqual(['2024-03-18', '2024-03-18 immature']);
      expect(shown.activation.series).toEqual({ Users: [1, 1, 1, 1, 0] });
      expect(shown.activation.barLabels).toEqual(['1', '100.0%', '100.0%', '100.0%', '0.0%']);
      // Only dan's March cohort, not complete: no medians.
      expect((await tableRows(page, 'activation')).map((r) => r[3])).toEqual(['–', '–', '–', '–', '–']);
      expect(await page.textContent('#table-activation caption')).toMatch(
        /latest complete cohort in the range \(no complete cohort in the range\)$/,
      );
      expect(shown.sessionDuration.labels[0]).toBe('2024-03-01');
      expect(shown.sessionsPerUser.labels).toEqual(['web', 'android', 'ios', 'all platforms']);
      expect(shown.sessionsPerUser.series).toEqual({ 'Sessions per user-day': [1.2, 1, 1, 10 / 9] });
      expect(shown.byPlan.labels[0]).toBe('2024-03-01');
      expect(shown.byPlan.labels).toHaveLength(27);
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
