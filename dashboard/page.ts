import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/project-root';
import type { ReportData } from './types';

export interface PageOptions {
  /** The script: a URL the server serves, or the bundle itself for a self-contained file. */
  readonly script: { readonly src: string } | { readonly inline: string };
  /** Embedded data, for a report that opens offline; without it the page asks the server's API. */
  readonly data?: ReportData;
}

const css = (): string =>
  readFileSync(path.join(PROJECT_ROOT, 'dashboard', 'client', 'dashboard.css'), 'utf8');

// Inside <script>, only "</script" (and "<!--") can end the element early: escaping every "<" in the
// JSON and every "</script" in the bundle keeps both inert whatever the data holds.
const safeJson = (data: ReportData): string => JSON.stringify(data).replace(/</g, '\\u003c');
const safeScript = (code: string): string =>
  code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

function panel(id: string, title: string, hint: string, body: string, wide = false): string {
  return `
    <section class="panel${wide ? ' wide' : ''}" aria-labelledby="${id}-title">
      <h2 id="${id}-title">${title}</h2>
      <p class="hint">${hint}</p>
      ${body}
    </section>`;
}

const chart = (id: string, label: string, tall = false): string =>
  `<div class="chart${tall ? ' tall' : ''}" id="chart-${id}" role="img" aria-label="${label}"></div>`;

const dataTable = (id: string): string =>
  `<details><summary>Data table</summary><div id="table-${id}"></div></details>`;

/** The Executive Overview's HTML: the page's frame; the script fills it in. */
export function renderPage(options: PageOptions): string {
  let script: string;
  let policy = '';
  if ('src' in options.script) {
    script = `<script src="${options.script.src}" defer></script>`;
  } else {
    const inline = safeScript(options.script.inline);
    script = `<script>${inline}</script>`;
    // A file opened from disk gets no headers: its policy goes in a meta tag, allowing only the one
    // inline script by its hash (the JSON data block is not a script and runs nothing).
    policy = `<meta http-equiv="content-security-policy" content="default-src 'none'; script-src 'sha256-${createHash('sha256').update(inline).digest('base64')}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`;
  }
  const data = options.data
    ? `<script type="application/json" id="dashboard-data">${safeJson(options.data)}</script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${policy}
  <link rel="icon" href="data:,">
  <title>Executive Overview · saas-analytics-pipeline</title>
  <style>${css()}</style>
</head>
<body data-state="loading">
  <a class="skip" href="#main">Skip to the figures</a>
  <header class="top">
    <div>
      <h1>Executive Overview</h1>
      <p class="as-of" id="as-of">Loading…</p>
    </div>
    <div class="filter" id="filter" role="group" aria-label="Date range">
      <label for="range-from">From <select id="range-from" disabled></select></label>
      <label for="range-to">To <select id="range-to" disabled></select></label>
      <button type="button" id="range-all" disabled>All time</button>
    </div>
  </header>
  <main id="main" tabindex="-1">
    <p class="status" id="status" role="status">Loading the figures…</p>
    <section class="wide" aria-labelledby="kpi-title">
      <h2 id="kpi-title" class="visually-hidden">Headline numbers</h2>
      <dl class="kpis" id="kpis"></dl>
      <p class="range-summary" id="range-summary" aria-live="polite"></p>
    </section>
    ${panel(
      'activity',
      'Active users',
      'Daily, weekly (7 days) and monthly (30 days) active users per day; stickiness = DAU / MAU, right axis.',
      chart('activity', 'Line chart of daily, weekly and monthly active users over the selected range') +
        dataTable('activity'),
      true,
    )}
    ${panel(
      'retention',
      'Retention by signup month',
      'Share of each monthly cohort active k months after signup, for the cohorts that signed up in the range. * and dashed: the month is not complete yet.',
      chart('retention', 'Heat map of retention by cohort month and months since signup', true) +
        dataTable('retention'),
    )}
    ${panel(
      'churn',
      'Churn risk',
      'Users per category as of the as-of date, by days since their last activity: active ≤ 7, low ≤ 14, medium ≤ 30, high over 30.',
      chart('churn', 'Donut chart of users per churn-risk category') + dataTable('churn'),
    )}
    ${panel(
      'features',
      'Feature adoption',
      'Unique users and total uses of each feature in the range. ★ premium.',
      chart('features', 'Bar charts of unique users and total uses per feature in the selected range') +
        dataTable('features'),
      true,
    )}
    ${panel(
      'funnel',
      'Feature funnel',
      'Users who tried each feature in the range, used it on 2 or more days (repeated), and in 3 or more ISO weeks (habit).',
      chart('funnel', 'Grouped bar chart of tried, repeated and habit users per feature', true),
      true,
    )}
    ${panel(
      'mrr',
      'Revenue: MRR movements',
      'MRR per month in the main currency (the one with the most MRR in the month of A; others are noted in the headline, never added): new, reactivation and expansion above zero, contraction and churn below, net new dashed, and ending MRR. The month of A runs to day A.',
      chart('mrr', 'Stacked bar chart of MRR movements per month, with lines of net new and ending MRR') +
        dataTable('mrr'),
      true,
    )}
    ${panel(
      'revenue-retention',
      'Revenue: net and gross retention',
      'NRR = (starting + expansion − contraction − churn) ÷ starting MRR; GRR leaves expansion out. New and reactivated revenue count in neither. No point for a month that started with no MRR.',
      chart('revenue-retention', 'Line chart of net and gross revenue retention per month') +
        dataTable('revenue-retention'),
    )}
    ${panel(
      'accounts',
      'Accounts: active accounts',
      'Accounts with a user active on the day (DAA), in the last 7 days (WAA) and in the last 30 days (MAA).',
      chart('accounts', 'Line chart of daily, weekly and monthly active accounts over the selected range') +
        dataTable('accounts'),
    )}
    ${panel(
      'lifecycle',
      'Engagement: lifecycle per week',
      'Signed-up users per ISO week (Monday to Sunday) starting in the range: new (signed up that week), returning (active the week before too) and resurrecting (back after a quiet week) above zero; dormant (active the week before, not this one) below zero. * and lighter: the week holding A, not complete yet.',
      chart(
        'lifecycle',
        'Stacked bar chart per week of new, returning and resurrecting users above zero and dormant users below zero',
      ) + dataTable('lifecycle'),
      true,
    )}
    ${panel(
      'retention-days',
      'Engagement: N-day retention',
      'Share of each weekly signup cohort active on day N after signing up (day 0), for the latest 8 cohort weeks starting in the range. Hollow points and dashes: immature, a member’s day N is after A, so the rate can still grow. The table also gives the share active on day N or after.',
      chart(
        'retention-days',
        'Line chart of the rate of return on day 1, 3, 7, 14 and 30 per weekly signup cohort',
      ) + dataTable('retention-days'),
    )}
    ${panel(
      'activation',
      'Engagement: activation funnel',
      'Users of the monthly signup cohorts in the range who reached each step and every one before it, added up; each bar shows the conversion from the step before, of the sums. A cohort whose 30 days are not over can still grow.',
      chart(
        'activation',
        'Bar chart of users per activation step, labelled with the conversion from the step before',
      ) + dataTable('activation'),
    )}
    ${panel(
      'session-duration',
      'Sessions: duration',
      'Median and 90th-percentile duration, in minutes, of the sessions of signed-up users per day in the range, all platforms; a session counts on the day it started. Days without a session have no point.',
      chart('session-duration', 'Line chart of the median and 90th-percentile session duration per day') +
        dataTable('session-duration'),
    )}
    ${panel(
      'sessions-per-user',
      'Sessions: per user by platform',
      'Sessions per user-day on each platform over the range: the days’ sessions ÷ the days’ users added up (a user with sessions on 3 days is 3 user-days). All platforms together count a user once a day.',
      chart('sessions-per-user', 'Bar chart of sessions per user-day per platform in the selected range') +
        dataTable('sessions-per-user'),
    )}
    ${panel(
      'active-by-plan',
      'Active users by plan',
      'Daily active users, one bar per day, stacked by the plan each was on at the end of the day (an upgrade during the day counts that day); no plan: anonymous persons, or activity from before the sign-up. The bars add up to DAU.',
      chart('active-by-plan', 'Stacked bar chart of daily active users by plan over the selected range') +
        dataTable('active-by-plan'),
    )}
    ${panel(
      'active-by-platform',
      'Active users by platform',
      'Signed-up users with a session, one bar per day, stacked by the session’s platform. A user with sessions on two platforms counts on both, so a bar can add up to more than DAU; anonymous persons have no sessions here.',
      chart(
        'active-by-platform',
        'Stacked bar chart of daily users with a session by platform over the selected range',
      ) + dataTable('active-by-platform'),
    )}
    ${panel('at-risk-accounts', 'Accounts: paying accounts at risk', 'Paying accounts whose health is at_risk (score below 40) as of A, the most MRR first; MRR in the account’s main currency.', '<div id="table-at-risk-accounts"></div>', true)}
    ${panel('at-risk', 'Paying users most at risk', 'Active paid subscriptions with the highest churn-risk score.', '<div id="table-at-risk"></div>', true)}
    ${panel(
      'pipeline',
      'Pipeline health',
      'The latest runs, rows per layer, quarantined lines, the Segment events no mapping covers, the latest rejected files (they cannot load until replaced) and the data-quality checks of the latest run.',
      `<div id="table-runs"></div>
      <div id="table-layers"></div>
      <div id="table-quarantine"></div>
      <div id="table-unmapped"></div>
      <div id="table-rejected"></div>
      <div id="table-quality"></div>`,
      true,
    )}
  </main>
  <footer>saas-analytics-pipeline · Executive Overview · figures from the analytics schema, read through the analytics_reader role.</footer>
  ${data}
  ${script}
</body>
</html>
`;
}
