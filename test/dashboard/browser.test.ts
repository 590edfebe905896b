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

/** What each chart was given to draw, read from its ECharts instance. */
function drawn(page: Page) {
  return page.evaluate(() => {
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
      ].map(svgShapes),
      summary: document.getElementById('range-summary')?.textContent ?? '',
    };
  });
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
  expect(problems).toEqual([]);
  await page.close();
});

test('the report needs nothing but its own file', async () => {
  const { page, requests } = await open(reportUrl);
  expect(requests.filter((r) => !r.startsWith('file://') && !r.startsWith('data:'))).toEqual([]);
  await page.close();
});
