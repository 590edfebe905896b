/** The Executive Overview page: headline numbers, a month-range filter, the charts and their tables. */
import {
  type FeatureUsage,
  MAX_RANGE_MONTHS,
  type MonthRange,
  type MrrMonth,
  monthSpan,
  netNewMrr,
  type Overview,
  type RetentionCell,
} from '../types';
import {
  accountActivityOption,
  activityOption,
  type Chart,
  churnOption,
  createChart,
  featureUseOption,
  funnelOption,
  isNarrow,
  mrrOption,
  retentionOption,
  retentionRatesOption,
} from './charts';
import { byId, type Column, element, renderTable } from './dom';
import { renderEngagement } from './engagement';
import { count, decimal, money, monthLabel, percent, ratio, share, signedMoney, timestamp } from './format';
import { pickSource } from './source';

interface Dashboard {
  overview?: Overview;
  range?: MonthRange;
  features?: readonly FeatureUsage[];
  readonly charts: Record<string, Chart>;
}

// Exposed for the browser tests and for anyone curious in the console: the charts and their state.
const dashboard: Dashboard = { charts: {} };
(window as unknown as { saasDashboard: Dashboard }).saasDashboard = dashboard;

const source = pickSource();
let request = 0;

function setState(state: 'loading' | 'ready' | 'empty' | 'error', message?: string): void {
  document.body.dataset.state = state;
  const status = byId('status');
  status.textContent = message ?? '';
  status.hidden = message === undefined;
}

function chart(name: string): Chart {
  dashboard.charts[name] ??= createChart(byId(`chart-${name}`));
  return dashboard.charts[name];
}

async function boot(): Promise<void> {
  try {
    const overview = await source.overview();
    dashboard.overview = overview;
    const headline = overview.headline;
    if (!headline || overview.months.length === 0) {
      setState('empty', 'No analytics yet: run "npx saas-pipeline demo" (or "run") to load events first.');
      return;
    }
    byId('as-of').textContent =
      `Figures as of ${headline.asOfDate} (the pipeline's logical date); days, weeks and months in ${headline.timeZone}`;
    renderHeadline(overview);
    renderChurn(overview);
    renderAtRiskAccounts(overview);
    renderPipeline(overview);
    setUpFilter(overview.months);
    await applyRange(rangeFromHash(overview.months) ?? allTime(overview.months));
  } catch (error) {
    setState('error', `The dashboard could not load its data: ${(error as Error).message}`);
  }
}

/** The whole history, or its latest MAX_RANGE_MONTHS months when it is longer than the server computes. */
function allTime(months: readonly string[]): MonthRange {
  const latest = months.slice(-MAX_RANGE_MONTHS);
  return { from: latest[0] ?? '', to: latest[latest.length - 1] ?? '' };
}

function rangeFromHash(months: readonly string[]): MonthRange | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const from = params.get('from');
  const to = params.get('to');
  if (from === null || to === null || !months.includes(from) || !months.includes(to) || from > to)
    return undefined;
  return monthSpan({ from, to }) <= MAX_RANGE_MONTHS ? { from, to } : undefined;
}

function setUpFilter(months: readonly string[]): void {
  const from = byId<HTMLSelectElement>('range-from');
  const to = byId<HTMLSelectElement>('range-to');
  for (const select of [from, to]) {
    select.replaceChildren(...months.map((m) => element('option', { value: m }, monthLabel(m))));
    select.disabled = false;
  }
  // Moving one end past the other, or too far from it, drags the other along: the range is never
  // empty, nor longer than the server computes. The lists hold every month, so indexes count months.
  const longest = MAX_RANGE_MONTHS - 1;
  from.addEventListener('change', () => {
    const i = from.selectedIndex;
    to.selectedIndex = Math.min(Math.max(to.selectedIndex, i), i + longest);
    void applyRange({ from: from.value, to: to.value });
  });
  to.addEventListener('change', () => {
    const i = to.selectedIndex;
    from.selectedIndex = Math.max(Math.min(from.selectedIndex, i), i - longest);
    void applyRange({ from: from.value, to: to.value });
  });
  const all = byId<HTMLButtonElement>('range-all');
  if (months.length > MAX_RANGE_MONTHS) {
    all.textContent = `Latest ${MAX_RANGE_MONTHS} months`;
    all.title = `A range spans at most ${MAX_RANGE_MONTHS} months`;
  }
  all.disabled = false;
  all.addEventListener('click', () => void applyRange(allTime(months)));
}

async function applyRange(range: MonthRange): Promise<void> {
  const overview = dashboard.overview;
  if (!overview) return;
  const mine = ++request;
  document.body.dataset.state = 'loading';
  byId<HTMLSelectElement>('range-from').value = range.from;
  byId<HTMLSelectElement>('range-to').value = range.to;
  try {
    const features = await source.featureUsage(range);
    // A later choice may have been made while this one was loading: only the latest is shown.
    if (mine !== request) return;
    dashboard.range = range;
    dashboard.features = features;
    history.replaceState(null, '', `#from=${range.from}&to=${range.to}`);
    document.body.dataset.range = `${range.from}..${range.to}`;
    renderRange(overview, range, features);
    setState('ready');
  } catch (error) {
    if (mine === request)
      setState('error', `Could not load the figures of that range: ${(error as Error).message}`);
  }
}

function renderHeadline(overview: Overview): void {
  const h = overview.headline;
  if (!h) return;
  const cards: [string, string, string][] = [
    ['users', 'Users', count(h.users)],
    ['active', `Active on ${h.asOfDate}`, count(h.activeUsers)],
    ['wau', 'Weekly active', count(h.weeklyActiveUsers)],
    ['mau', 'Monthly active', count(h.monthlyActiveUsers)],
    ['stickiness', 'Stickiness (DAU/MAU)', share(h.stickiness)],
    ['retention', 'Retention at month 1', percent(h.month1RetentionRate)],
    ['at-risk', 'At-risk users', count(h.atRiskUsers)],
  ];
  const r = overview.revenue.headline;
  const notes: Record<string, string> = {};
  if (r) {
    const month = monthLabel(r.month);
    cards.push(
      ['mrr', `MRR, ${month} (${r.currency})`, money(r.mrr, r.currency)],
      ['net-new-mrr', `Net new MRR, ${month}`, signedMoney(r.netNewMrr, r.currency)],
      [
        'nrr',
        r.netRevenueRetentionMonth === null ? 'NRR' : `NRR, ${monthLabel(r.netRevenueRetentionMonth)}`,
        ratio(r.netRevenueRetention),
      ],
      ['paying', `Paying customers (${r.currency})`, count(r.payingCustomers)],
    );
    if (r.otherCurrencies.length > 0)
      notes.mrr = `Not added: ${r.otherCurrencies.map((o) => `${money(o.mrr, o.currency)} ${o.currency}`).join(', ')}`;
  }
  byId('kpis').replaceChildren(
    ...cards.map(([key, label, value]) => {
      const note = notes[key];
      return element(
        'div',
        { class: 'kpi', 'data-kpi': key },
        element('dt', {}, label),
        element('dd', {}, value),
        ...(note ? [element('dd', { class: 'kpi-note' }, note)] : []),
      );
    }),
  );
}

function renderRange(overview: Overview, range: MonthRange, features: readonly FeatureUsage[]): void {
  const start = `${range.from}-01`;
  const days = overview.activity.filter((d) => d.date >= start && d.date.slice(0, 7) <= range.to);
  const cells = overview.retention.filter((c) => c.cohortMonth >= range.from && c.cohortMonth <= range.to);
  const signups = cells.filter((c) => c.monthsSinceSignup === 0).reduce((sum, c) => sum + c.cohortSize, 0);
  const averageDau = days.length ? days.reduce((sum, d) => sum + d.dau, 0) / days.length : 0;
  const uses = features.reduce((sum, f) => sum + f.totalUses, 0);
  byId('range-summary').textContent =
    `${monthLabel(range.from)} to ${monthLabel(range.to)}: ${count(signups)} sign-ups, ` +
    `${decimal(averageDau)} daily active users on average, ${count(uses)} feature uses.`;

  chart('activity').setOption(activityOption(days), true);
  chart('retention').setOption(retentionOption(cells), true);
  renderFeatures(features);
  chart('funnel').setOption(funnelOption(features), true);

  renderTable(
    byId('table-activity'),
    'Active users per day',
    [
      { label: 'Date', value: (d) => d.date },
      { label: 'DAU', value: (d) => count(d.dau), numeric: true },
      { label: 'WAU', value: (d) => count(d.wau), numeric: true },
      { label: 'MAU', value: (d) => count(d.mau), numeric: true },
      { label: 'Stickiness', value: (d) => share(d.stickiness), numeric: true },
    ],
    days,
  );
  renderRetentionTable(cells);
  renderTable(byId('table-features'), 'Feature use in the range', featureColumns, features);
  renderRevenue(overview, range);
  renderAccounts(overview, range);
  renderEngagement(overview, range, chart);
}

/** The months of the range in the main currency (the headline's); nothing while no currency has MRR. */
function renderRevenue(overview: Overview, range: MonthRange): void {
  const currency = overview.revenue.headline?.currency ?? '';
  const months = overview.revenue.months.filter(
    (m) => m.currency === currency && m.month >= range.from && m.month <= range.to,
  );
  chart('mrr').setOption(mrrOption(months, currency || 'USD'), true);
  chart('revenue-retention').setOption(retentionRatesOption(months), true);
  const amount = (pick: (m: MrrMonth) => number) => (m: MrrMonth) => money(pick(m), m.currency);
  const label = (m: MrrMonth) => `${m.month}${m.isComplete ? '' : '*'}`;
  renderTable(
    byId('table-mrr'),
    `MRR movements per month, ${currency || 'no currency'} (* month not complete yet)`,
    [
      { label: 'Month', value: label },
      { label: 'Starting', value: amount((m) => m.startingMrr), numeric: true },
      { label: 'New', value: amount((m) => m.newMrr), numeric: true },
      { label: 'Reactivation', value: amount((m) => m.reactivationMrr), numeric: true },
      { label: 'Expansion', value: amount((m) => m.expansionMrr), numeric: true },
      { label: 'Contraction', value: (m) => signedMoney(-m.contractionMrr, m.currency), numeric: true },
      { label: 'Churn', value: (m) => signedMoney(-m.churnMrr, m.currency), numeric: true },
      { label: 'Net new', value: (m) => signedMoney(netNewMrr(m), m.currency), numeric: true },
      { label: 'Ending', value: amount((m) => m.endingMrr), numeric: true },
      { label: 'Paying', value: (m) => count(m.payingCustomers), numeric: true },
    ],
    months,
  );
  renderTable(
    byId('table-revenue-retention'),
    `Revenue retention per month, ${currency || 'no currency'} (* month not complete yet)`,
    [
      { label: 'Month', value: label },
      { label: 'NRR', value: (m) => ratio(m.netRevenueRetention), numeric: true },
      { label: 'GRR', value: (m) => ratio(m.grossRevenueRetention), numeric: true },
    ],
    months,
  );
}

function renderAccounts(overview: Overview, range: MonthRange): void {
  const start = `${range.from}-01`;
  const days = overview.accounts.activity.filter((d) => d.date >= start && d.date.slice(0, 7) <= range.to);
  chart('accounts').setOption(accountActivityOption(days), true);
  renderTable(
    byId('table-accounts'),
    'Active accounts per day',
    [
      { label: 'Date', value: (d) => d.date },
      { label: 'DAA', value: (d) => count(d.daa), numeric: true },
      { label: 'WAA', value: (d) => count(d.waa), numeric: true },
      { label: 'MAA', value: (d) => count(d.maa), numeric: true },
    ],
    days,
  );
}

function renderAtRiskAccounts(overview: Overview): void {
  renderTable(
    byId('table-at-risk-accounts'),
    'Paying accounts at risk, most MRR first',
    [
      { label: 'Account', value: (a) => a.name ?? a.accountId },
      { label: 'Kind', value: (a) => (a.isPersonal ? 'personal' : 'company') },
      { label: 'MRR', value: (a) => (a.currency ? money(a.mrr, a.currency) : count(a.mrr)), numeric: true },
      { label: 'Users', value: (a) => count(a.users), numeric: true },
      { label: 'Active, 30 d', value: (a) => count(a.activeUsers30d), numeric: true },
      { label: 'Last active', value: (a) => a.lastActiveDate ?? 'never' },
      { label: 'Days inactive', value: (a) => count(a.daysSinceLastActivity), numeric: true },
      { label: 'Score', value: (a) => count(a.score), numeric: true },
    ],
    overview.accounts.atRiskPaying,
  );
}

const featureColumns: readonly Column<FeatureUsage>[] = [
  { label: 'Feature', value: (f) => f.featureName },
  { label: 'Premium', value: (f) => (f.isPremium ? 'yes' : 'no') },
  { label: 'Unique users', value: (f) => count(f.uniqueUsers), numeric: true },
  { label: 'Total uses', value: (f) => count(f.totalUses), numeric: true },
  { label: 'Repeated (2+ days)', value: (f) => count(f.repeatedUsers), numeric: true },
  { label: 'Habit (3+ weeks)', value: (f) => count(f.habitUsers), numeric: true },
];

function renderFeatures(features: readonly FeatureUsage[]): void {
  const container = byId('chart-features');
  const narrow = isNarrow(container);
  container.dataset.layout = narrow ? 'stacked' : 'side-by-side';
  // Stacked, each of the two bar grids needs room for every feature's bar and label.
  container.style.height = narrow ? `${Math.max(300, 80 + features.length * 2 * 30)}px` : '';
  chart('features').setOption(featureUseOption(features, narrow), true);
}

function renderRetentionTable(cells: readonly RetentionCell[]): void {
  const cohorts = [...new Set(cells.map((c) => c.cohortMonth))];
  const columns = Math.max(0, ...cells.map((c) => c.monthsSinceSignup + 1));
  const rows = cohorts.map((month) => cells.filter((c) => c.cohortMonth === month));
  renderTable(
    byId('table-retention'),
    'Retention by signup month (* month not complete yet)',
    [
      { label: 'Cohort', value: (row) => row[0]?.cohortMonth ?? '' },
      { label: 'Users', value: (row) => count(row[0]?.cohortSize ?? 0), numeric: true },
      ...Array.from({ length: columns }, (_, k) => ({
        label: `m${k}`,
        numeric: true,
        value: (row: RetentionCell[]) => {
          const cell = row.find((c) => c.monthsSinceSignup === k);
          return cell ? `${percent(cell.retentionRate)}${cell.isCompleteMonth ? '' : '*'}` : '';
        },
      })),
    ],
    rows,
  );
}

function renderChurn(overview: Overview): void {
  chart('churn').setOption(churnOption(overview.churn.categories), true);
  renderTable(
    byId('table-churn'),
    'Users per churn-risk category',
    [
      { label: 'Category', value: (c) => c.category },
      { label: 'Users', value: (c) => count(c.users), numeric: true },
      { label: 'Average score', value: (c) => count(c.averageScore), numeric: true },
    ],
    overview.churn.categories,
  );
  renderTable(
    byId('table-at-risk'),
    'Paying users most at risk',
    [
      { label: 'User', value: (u) => u.userId },
      { label: 'Company', value: (u) => u.company ?? '–' },
      { label: 'Plan', value: (u) => u.plan },
      { label: 'Last active', value: (u) => u.lastActiveDate ?? 'never' },
      { label: 'Days inactive', value: (u) => count(u.daysSinceLastActivity), numeric: true },
      { label: 'Events, last 30 d', value: (u) => count(u.eventsLast30Days), numeric: true },
      { label: 'Events, 30 d before', value: (u) => count(u.eventsPrior30Days), numeric: true },
      { label: 'Risk', value: (u) => u.category },
      { label: 'Score', value: (u) => count(u.score), numeric: true },
    ],
    overview.churn.atRiskPaying,
  );
}

function renderPipeline(overview: Overview): void {
  const { runs, layers, quarantine, unmapped, rejected, quality } = overview.pipeline;
  renderTable(
    byId('table-runs'),
    'Latest runs',
    [
      { label: 'Run', value: (r) => r.runId },
      { label: 'Status', value: (r) => r.status },
      { label: 'Trigger', value: (r) => r.trigger },
      { label: 'As of', value: (r) => r.asOfDate ?? '–' },
      { label: 'Started (UTC)', value: (r) => timestamp(r.startedAt) },
      { label: 'Seconds', value: (r) => r.durationSeconds?.toFixed(1) ?? '–', numeric: true },
      { label: 'Error', value: (r) => r.error ?? '' },
    ],
    runs,
    (r) => `status-${r.status}`,
  );
  renderTable(
    byId('table-layers'),
    'Rows per layer',
    [
      { label: 'Layer', value: (l) => l.layer },
      { label: 'Table', value: (l) => l.table },
      { label: 'Rows', value: (l) => count(l.rows), numeric: true },
    ],
    layers,
  );
  renderTable(
    byId('table-quarantine'),
    'Quarantined lines by reason',
    [
      { label: 'Reason', value: (q) => q.reason },
      { label: 'Lines', value: (q) => count(q.rows), numeric: true },
      { label: 'Files', value: (q) => count(q.files), numeric: true },
    ],
    quarantine,
  );
  renderTable(
    byId('table-unmapped'),
    'Segment events no mapping covers (kept; map them, then reprocess)',
    [
      { label: 'Type', value: (u) => u.type },
      { label: 'Name', value: (u) => u.name },
      { label: 'Lines', value: (u) => count(u.rows), numeric: true },
      { label: 'First date', value: (u) => u.firstDate ?? '–' },
      { label: 'Last date', value: (u) => u.lastDate ?? '–' },
    ],
    unmapped,
  );
  renderTable(
    byId('table-rejected'),
    'Rejected files, newest first',
    [
      { label: 'File', value: (f) => f.objectKey },
      { label: 'Reason', value: (f) => f.reason },
      { label: 'Detail', value: (f) => f.detail ?? '' },
      { label: 'Rejected (UTC)', value: (f) => (f.rejectedAt === null ? '–' : timestamp(f.rejectedAt)) },
    ],
    rejected,
  );
  renderTable(
    byId('table-quality'),
    'Data-quality checks of the latest run',
    [
      { label: 'Check', value: (q) => q.name },
      { label: 'Severity', value: (q) => q.severity },
      { label: 'Result', value: (q) => (q.passed ? 'pass' : 'FAIL') },
      { label: 'Failing rows', value: (q) => count(q.failingRows), numeric: true },
    ],
    quality,
    (q) => (q.passed ? undefined : 'status-failed'),
  );
}

// The feature chart's layout depends on its width: redraw it when a resize crosses the threshold.
window.addEventListener('resize', () => {
  const container = document.getElementById('chart-features');
  const layout = container && isNarrow(container) ? 'stacked' : 'side-by-side';
  if (dashboard.features && container && container.dataset.layout !== layout)
    renderFeatures(dashboard.features);
});

// A range typed or pasted into the address, or reached with Back, is applied like a choice in the lists.
window.addEventListener('hashchange', () => {
  const range = dashboard.overview && rangeFromHash(dashboard.overview.months);
  if (range && `${range.from}..${range.to}` !== document.body.dataset.range) void applyRange(range);
});

void boot();
