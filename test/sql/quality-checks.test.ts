import { readdirSync } from 'node:fs';
import path from 'node:path';
import { refreshAnalyticsView } from '../../lambdas/warehouse/analytics';
import { type Pool, withTransaction } from '../../lambdas/warehouse/db';
import { ingestFile } from '../../lambdas/warehouse/ingest';
import { runWarehouse, type WarehouseRunSummary } from '../../lambdas/warehouse/pipeline';
import {
  assertQualityGate,
  checkPhase,
  filesStagedByRun,
  listQualityChecks,
  QualityGateError,
  type QualityResult,
  type QualityScope,
  runQualityChecks,
  type Severity,
} from '../../lambdas/warehouse/quality';
import { snapshotPendingDates, startRun } from '../../lambdas/warehouse/runs';
import { stageAllLoadedFiles } from '../../lambdas/warehouse/staging';
import { runSqlFile, sqlDir } from '../../lambdas/warehouse/sql-files';
import { copyTestDatabase, createTestDatabase, type TestDatabase } from '../support/database';
import { eventLine, type FixtureEvent, ndjsonSource } from '../support/events';

// Every check in sql/quality is run the way the gate runs it (runQualityChecks for its phase, with
// the run's rebuilt dates and staged files), first on a clean warehouse that the real pipeline built,
// where it must pass, then on a copy of that warehouse with one small change that breaks its rule,
// where it must return exactly the offending rows, and the gate must stop (error) or only record it
// (warn). Each case gets a fresh copy of the clean warehouse, so no case sees another's change.
// Where a rule has a bound, the clean warehouse sits on it (adoption exactly 100%, a file exactly 5%
// quarantined, first events exactly at sign-up), so that passing is not for want of data.
//
// A new check needs an entry under its name in FAILING: a change that breaks its rule and no other,
// and the rows it must then return. A file in sql/quality without one fails here.

const THIS_FILE = 'test/sql/quality-checks.test.ts';
const CHECK_FILES = readdirSync(path.join(sqlDir(), 'quality'))
  .filter((file) => file.endsWith('.sql'))
  .sort();

const DAYS = ['2024-03-04', '2024-03-05', '2024-03-06'] as const;
const fileKey = (day: string, part = 0) => `events/dt=${day}/part-${String(part).padStart(4, '0')}.ndjson.gz`;

// Three users who all use Comments (so its adoption rate is exactly 100, the bound); u2 subscribes on
// day 2 (two dim_users versions); everyone's first event is their sign-up (equal, not before).
const EVENTS: FixtureEvent[] = [
  {
    id: 'u1-signup',
    type: 'user_signed_up',
    at: '2024-03-04T09:00:00Z',
    user: 'u1',
    properties: { plan: 'free' },
  },
  {
    id: 'u1-doc',
    type: 'document_created',
    at: '2024-03-04T09:10:00Z',
    user: 'u1',
    properties: { document_id: 'doc1', title: 'Roadmap' },
  },
  {
    id: 'u1-comment',
    type: 'feature_used',
    at: '2024-03-04T09:20:00Z',
    user: 'u1',
    properties: { feature_id: 'comments', duration_sec: 30 },
  },
  {
    id: 'u2-signup',
    type: 'user_signed_up',
    at: '2024-03-04T10:00:00Z',
    user: 'u2',
    properties: { plan: 'free' },
  },
  {
    id: 'u2-comment',
    type: 'feature_used',
    at: '2024-03-04T10:05:00Z',
    user: 'u2',
    properties: { feature_id: 'comments' },
  },
  {
    id: 'u2-subscribe',
    type: 'subscription_started',
    at: '2024-03-05T08:00:00Z',
    user: 'u2',
    properties: { plan: 'pro', billing_cycle: 'monthly' },
  },
  // A feature id outside the catalogue, on an event that is not feature_used.
  {
    id: 'u2-edit',
    type: 'document_edited',
    at: '2024-03-05T08:30:00Z',
    user: 'u2',
    properties: {
      document_id: 'doc1',
      feature_id: 'ai_assist',
      edit_duration_sec: 60,
      characters_added: 120,
    },
  },
  {
    id: 'u3-signup',
    type: 'user_signed_up',
    at: '2024-03-05T11:00:00Z',
    user: 'u3',
    properties: { plan: 'free' },
  },
  {
    id: 'u3-comment',
    type: 'feature_used',
    at: '2024-03-05T11:15:00Z',
    user: 'u3',
    properties: { feature_id: 'comments' },
  },
  // Day 3: 19 logins and, in the same file, one line staging quarantines: exactly 5%, the bound.
  ...Array.from({ length: 19 }, (_, i) => ({
    id: `login-${i + 1}`,
    type: 'user_login',
    at: `2024-03-06T08:${String(i).padStart(2, '0')}:00Z`,
    user: `u${(i % 3) + 1}`,
  })),
];
const QUARANTINED_LINE = eventLine({
  id: 'view-1',
  type: 'page_viewed',
  at: '2024-03-06T09:00:00Z',
  user: 'u1',
});

function cleanFiles() {
  return DAYS.map((day) => {
    const lines = EVENTS.filter((e) => e.at.startsWith(day)).map(eventLine);
    return ndjsonSource(fileKey(day), day === '2024-03-06' ? [...lines, QUARANTINED_LINE] : lines);
  });
}

/** A small change to the clean warehouse that breaks one rule; it may return the scope of a run it made. */
interface FailingFixture {
  /** The severity the check declares, and so how the gate treats its failure. */
  readonly severity: Severity;
  readonly breakRule: (pool: Pool) => Promise<Partial<QualityScope> | void>;
  /** Every row the check must return (up to 5, what the gate samples), matched on the fields given. */
  readonly failingRows: readonly Record<string, unknown>[];
}

const FAILING: Record<string, FailingFixture> = {
  // Daily feature facts name a user with no daily activity: Comments' 4 users over 3 active ones.
  analytics_within_bounds: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(
        `insert into core.fact_daily_user_features
           (feature_id, user_id, activity_date, use_count, duration_seconds_total, duration_count, first_used_at, last_used_at)
         values ('comments', 'ghost', '2024-03-06', 1, 0, 0, '2024-03-06T12:00:00Z', '2024-03-06T12:00:00Z')`,
      );
      await refreshAnalyticsView(pool, 'feature_adoption_funnel');
    },
    failingRows: [{ view_name: 'feature_adoption_funnel', row_key: 'comments' }],
  },
  // A tampered fact: u2 paying 12 at the end of February with no movement into it. February then ends
  // at 12 from a start of 0 with nothing added (March, the month of A, starts from it and adds up).
  analytics_mrr_movements_add_up: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(
        `insert into core.fact_customer_mrr_monthly (account_id, is_personal, currency, month, previous_mrr,
           mrr, movement, movement_mrr, paying_users, paying_user_ids)
         values ('u2', true, 'USD', '2024-02-01', 0.00, 12.00, 'none', 0.00, 1, '{u2}')`,
      );
      await refreshAnalyticsView(pool, 'mrr_monthly');
    },
    failingRows: [
      {
        month: '2024-02-01',
        currency: 'USD',
        starting_mrr: 0,
        new_mrr: 0,
        ending_mrr: 12,
        movements_give: 0,
      },
    ],
  },
  // u2's first version ends an hour before the second begins.
  dim_users_versions_well_formed: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(
        `update core.dim_users set valid_to = valid_to - interval '1 hour' where user_id = 'u2' and version_number = 1`,
      );
    },
    failingRows: [
      { user_id: 'u2', version_number: 1, valid_to: '2024-03-05T07:00:00+00:00', is_current: false },
    ],
  },
  // u1's sign-up is recorded a minute after u1's first event.
  events_before_signup: {
    severity: 'warn',
    async breakRule(pool) {
      await pool.query(
        `update core.dim_users set signup_at = signup_at + interval '1 minute' where user_id = 'u1'`,
      );
    },
    failingRows: [
      { user_id: 'u1', first_event_at: '2024-03-04T09:00:00+00:00', signup_at: '2024-03-04T09:01:00+00:00' },
    ],
  },
  // One fact of a type staging does not accept.
  fact_events_accepted_event_types: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`update core.fact_events set event_type = 'page_viewed' where event_id = 'login-1'`);
    },
    failingRows: [{ event_type: 'page_viewed', events: 1 }],
  },
  // Day 2 missing from the calendar.
  fact_events_date_in_dim_date: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`delete from core.dim_date where calendar_date = '2024-03-05'`);
    },
    failingRows: [{ event_date: '2024-03-05' }],
  },
  // doc1, created on day 1 and edited on day 2, missing from dim_documents.
  fact_events_document_in_dim_documents: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`delete from core.dim_documents where document_id = 'doc1'`);
    },
    failingRows: [{ document_id: 'doc1', events: 2 }],
  },
  // A second fact under u1-doc's id, in place of another fact of the same day (the counts still agree).
  fact_events_event_id_unique: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`update core.fact_events set event_id = 'u1-doc' where event_id = 'u1-comment'`);
    },
    failingRows: [{ event_id: 'u1-doc', copies: 2 }],
  },
  // The uncatalogued feature named only by a document_edited event, missing from dim_features.
  fact_events_feature_in_dim_features: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`delete from core.dim_features where feature_id = 'ai_assist'`);
    },
    failingRows: [{ feature_id: 'ai_assist', events: 1 }],
  },
  // A document event without its document, and a feature use without its feature.
  fact_events_required_keys: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`update core.fact_events set document_id = null where event_id = 'u2-edit'`);
      await pool.query(`update core.fact_events set feature_id = null where event_id = 'u3-comment'`);
    },
    failingRows: [
      { event_id: 'u2-edit', event_type: 'document_edited', event_date: '2024-03-05' },
      { event_id: 'u3-comment', event_type: 'feature_used', event_date: '2024-03-05' },
    ],
  },
  // u3 (a sign-up, a feature use and 6 logins) missing from dim_users.
  fact_events_user_in_dim_users: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`delete from core.dim_users where user_id = 'u3'`);
    },
    failingRows: [{ user_id: 'u3', events: 8 }],
  },
  // The price list loses pro monthly, and the subscriptions are built again: u2's has no price.
  subscription_changes_priced: {
    severity: 'warn',
    async breakRule(pool) {
      await withTransaction(pool, async (client) => {
        await client.query(`delete from core.price_list where plan = 'pro' and billing_cycle = 'monthly'`);
        await runSqlFile(client, 'steps/core/fact_subscription_changes.sql', { dates: [...DAYS] });
      });
    },
    failingRows: [
      {
        event_id: 'u2-subscribe',
        user_id: 'u2',
        plan: 'pro',
        billing_cycle: 'monthly',
        currency: 'USD',
        change_date: '2024-03-05',
      },
    ],
  },
  // A later run loads and stages a file of two lines: a resent event (a duplicate) and one that
  // staging quarantines, 50%. Neither adds a date, so the run has no rebuilt dates.
  quarantine_share: {
    severity: 'warn',
    async breakRule(pool) {
      const runId = await startRun(pool, { runId: 'run-resend' });
      const resent = EVENTS.find((e) => e.id === 'u1-signup') as FixtureEvent;
      const file = ndjsonSource(fileKey('2024-03-06', 1), [eventLine(resent), QUARANTINED_LINE]);
      await ingestFile(pool, file, { runId });
      await stageAllLoadedFiles(pool, { runId });
      return {
        runId,
        dates: (await snapshotPendingDates(pool)).dates,
        fileIds: await filesStagedByRun(pool, runId),
      };
    },
    failingRows: [
      { object_key: fileKey('2024-03-06', 1), line_count: 2, quarantined_rows: 1, quarantined_percent: 50 },
    ],
  },
  // One line of day 2's file gone from raw.events after the ledger counted it.
  reconcile_raw_to_staging: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(
        `delete from raw.events
         where file_id = (select file_id from raw.files where object_key = $1) and line_number = 1`,
        [fileKey('2024-03-05')],
      );
    },
    failingRows: [
      {
        object_key: fileKey('2024-03-05'),
        line_count: 4,
        row_count: 4,
        raw_table_lines: 3,
        raw_table_rows: 3,
      },
    ],
  },
  // A staged event of day 2 missing from fact_events (the daily aggregate still counts it).
  reconcile_staging_to_facts: {
    severity: 'error',
    async breakRule(pool) {
      await pool.query(`delete from core.fact_events where event_id = 'u3-comment'`);
    },
    failingRows: [{ event_date: '2024-03-05', staged: 4, facts: 3, daily_activity: 4 }],
  },
};

/** The checks assertQualityGate stops the run for: what the pipeline and the handler do with the results. */
function gateFailure(results: readonly QualityResult[]): string[] {
  try {
    assertQualityGate(results);
    return [];
  } catch (error) {
    if (!(error instanceof QualityGateError)) throw error;
    return error.failed.map((result) => result.name);
  }
}

let clean: TestDatabase;
let run: WarehouseRunSummary;
/** What the run's gate was given: its id, the dates it rebuilt (all three days) and the files it staged. */
let scope: QualityScope;
let cleanResults: QualityResult[];
/** A fresh copy of the clean warehouse per case, made two at a time ahead of the cases: copying is most of a case's time. */
const copies = new Map<string, Promise<TestDatabase>>();

beforeAll(async () => {
  clean = await createTestDatabase();
  run = await runWarehouse(clean.pool, { sources: cleanFiles(), asOf: DAYS[2] });
  scope = { runId: run.runId, dates: [...DAYS], fileIds: await filesStagedByRun(clean.pool, run.runId) };
  cleanResults = [
    ...(await runQualityChecks(clean.pool, scope, 'core')),
    ...(await runQualityChecks(clean.pool, scope, 'analytics')),
  ];
  // The original of every copy: nothing may be connected to it.
  await clean.pool.end();
  const lanes = [Promise.resolve(), Promise.resolve()];
  Object.keys(FAILING).forEach((name, index) => {
    const lane = index % lanes.length;
    const copy = (lanes[lane] as Promise<void>).then(() => copyTestDatabase(clean));
    copy.catch(() => undefined); // a failed copy fails its case, which awaits it
    lanes[lane] = copy.then(
      () => undefined,
      () => undefined,
    );
    copies.set(name, copy);
  });
});
afterAll(async () => {
  await Promise.all([...copies.values()].map((copy) => copy.then((db) => db.drop()).catch(() => undefined)));
  await clean?.drop();
});

test('the clean warehouse is what the fixtures assume: three days rebuilt, three files staged, one line quarantined', () => {
  expect(run.models.find((m) => m.model === 'fact_events')).toMatchObject({ dates: DAYS.length });
  expect(scope.fileIds).toHaveLength(DAYS.length);
  expect(run.staging).toMatchObject({ staged: EVENTS.length, quarantined: 1, duplicates: 0 });
});

test('every fixture belongs to a check in sql/quality', () => {
  const names = CHECK_FILES.map((file) => file.slice(0, -'.sql'.length));
  expect(Object.keys(FAILING).filter((name) => !names.includes(name))).toEqual([]);
});

describe.each(CHECK_FILES)('sql/quality/%s', (file) => {
  const name = file.slice(0, -'.sql'.length);

  test('passes on the clean warehouse, in the run and run again with the same scope', () => {
    const inRun = run.quality.find((result) => result.name === name);
    expect(inRun).toMatchObject({ passed: true, failingRows: 0 });
    expect(cleanResults.find((result) => result.name === name)).toEqual(inRun);
  });

  test('fails on its fixture with exactly the offending rows, and the gate treats it by its severity', async () => {
    const fixture = FAILING[name];
    if (fixture === undefined) {
      throw new Error(
        `sql/quality/${file} has no failing fixture: add one under "${name}" in FAILING in ${THIS_FILE}`,
      );
    }
    const check = listQualityChecks().find((c) => c.name === name);
    if (check === undefined) throw new Error(`listQualityChecks() does not list sql/quality/${file}`);
    expect(check.severity).toBe(fixture.severity);

    const db = await (copies.get(name) as Promise<TestDatabase>);
    const caseScope = { ...scope, ...(await fixture.breakRule(db.pool)) };
    const results = await runQualityChecks(db.pool, caseScope, checkPhase(check));
    const result = results.find((r) => r.name === name);
    expect(result).toMatchObject({
      severity: fixture.severity,
      passed: false,
      failingRows: fixture.failingRows.length,
    });
    expect(result?.sample).toHaveLength(fixture.failingRows.length);
    expect(result?.sample).toEqual(
      expect.arrayContaining(fixture.failingRows.map((row) => expect.objectContaining(row))),
    );
    // The change breaks this rule only: every other check of the phase still passes.
    expect(results.filter((r) => !r.passed).map((r) => r.name)).toEqual([name]);

    const stored = await db.pool.query(
      `select severity, passed, failing_rows from ops.quality_results where run_id = $1 and check_name = $2`,
      [caseScope.runId, name],
    );
    expect(stored.rows).toEqual([
      { severity: fixture.severity, passed: false, failing_rows: fixture.failingRows.length },
    ]);

    // An error stops the run (the gate throws); a warning is only recorded.
    expect(gateFailure(results)).toEqual(fixture.severity === 'error' ? [name] : []);
  });
});
