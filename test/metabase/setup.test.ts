import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Pool } from '../../lambdas/warehouse/db';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { metabaseCommand } from '../../cli/commands/metabase';
import { createReaderPool } from '../../dashboard/reader';
import {
  COLLECTION_NAME,
  DASHBOARD_NAME,
  DATABASE_NAME,
  EXECUTIVE_OVERVIEW_CARDS,
  MetabaseError,
  setupMetabase,
  type SetupOptions,
} from '../../metabase/setup';
import { cohortFiles } from '../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadRevenueFixture } from '../dashboard/revenue-fixture';

const SQL_DIR = path.resolve(__dirname, '../../sql/metabase');
const sqlOf = (file: string) => readFileSync(path.join(SQL_DIR, file), 'utf8');

describe('the card queries, on a real PostgreSQL, as analytics_reader', () => {
  // Every expected value was worked out by hand from test/support/cohort-fixture.ts, as in
  // test/lambdas/warehouse/metrics.test.ts.
  let db: TestDatabase;
  let reader: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    await runWarehouse(db.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
    // The role Metabase's login holds, as the dashboard takes it on.
    reader = createReaderPool(db.url);
  });
  afterAll(async () => {
    await reader.end();
    await db.drop();
  });

  const rows = async (file: string) => (await reader.query(sqlOf(file))).rows;

  test('the pool really is analytics_reader: raw and staging are closed to it', async () => {
    expect((await reader.query('select current_user')).rows).toEqual([{ current_user: 'analytics_reader' }]);
    await expect(reader.query('select count(*) from raw.events')).rejects.toThrow(/permission denied/);
  });

  test('daily_active_users.sql: DAU, WAU and MAU for every day from the first activity to A', async () => {
    const days = await rows('daily_active_users.sql');
    expect(days).toHaveLength(66); // Jan 10 .. Mar 15
    expect(Object.keys(days[0] ?? {})).toEqual(['activity_date', 'dau', 'wau', 'mau']);
    expect(days[0]).toEqual({ activity_date: '2024-01-10', dau: 1, wau: 1, mau: 1 });
    expect(days.find((day) => day.activity_date === '2024-02-10')).toEqual({
      activity_date: '2024-02-10',
      dau: 1,
      wau: 3,
      mau: 4,
    });
    expect(days.at(-1)).toEqual({ activity_date: '2024-03-15', dau: 0, wau: 1, mau: 2 });
  });

  test('retention_cohorts.sql: a row per cohort, m0..m11 as percentages, months not reached empty', async () => {
    const empty = {
      m3: null,
      m4: null,
      m5: null,
      m6: null,
      m7: null,
      m8: null,
      m9: null,
      m10: null,
      m11: null,
    };
    expect(await rows('retention_cohorts.sql')).toEqual([
      // u1 and u2; only u1 comes back, in February and March.
      { cohort_month: '2024-01-01', cohort_size: 2, m0: '100.00', m1: '50.00', m2: '50.00', ...empty },
      // u3 and u4; u3 comes back in March, and A is in March.
      { cohort_month: '2024-02-01', cohort_size: 2, m0: '100.00', m1: '50.00', m2: null, ...empty },
    ]);
  });

  test('feature_adoption.sql: Templates, the only feature used, with its funnel', async () => {
    expect(await rows('feature_adoption.sql')).toEqual([
      {
        feature_name: 'Templates',
        unique_users: 3,
        total_uses: 7,
        tried_users: 3,
        repeated_users: 2, // u2 and u3
        habit_users: 1, // u3
      },
    ]);
  });

  test('churn_risk.sql: the four categories in order of risk, an empty one as 0, adding up to 4 users', async () => {
    const categories = await rows('churn_risk.sql');
    expect(categories).toEqual([
      { churn_risk_category: 'active', user_count: 1 }, // u3, 1 day
      { churn_risk_category: 'low', user_count: 1 }, // u1, 14 days
      { churn_risk_category: 'medium', user_count: 0 },
      { churn_risk_category: 'high', user_count: 2 }, // u2, 53 days; u4, 34 days
    ]);
    expect(categories.reduce((sum, row) => sum + Number(row.user_count), 0)).toBe(4);
  });

  test('mrr_movements.sql and account_health.sql, on the hand-made rows of test/dashboard/revenue-fixture.ts', async () => {
    await loadRevenueFixture(db.pool);
    const months = await rows('mrr_movements.sql');
    expect(
      months.map((m) => [
        m.month,
        m.currency,
        Number(m.contraction_mrr),
        Number(m.churn_mrr),
        Number(m.net_new_mrr),
        Number(m.ending_mrr),
        m.net_revenue_retention_pct === null ? null : Number(m.net_revenue_retention_pct),
      ]),
    ).toEqual([
      ['2024-01-01', 'USD', 0, 0, 100, 100, null],
      ['2024-02-01', 'EUR', 0, 0, 40, 40, null],
      // 50 new + 20 expansion − 10 contraction − 30 churn; NRR (100 + 20 − 40) / 100.
      ['2024-02-01', 'USD', -10, -30, 30, 130, 80],
      ['2024-03-01', 'EUR', 0, 0, 10, 50, 125],
      ['2024-03-01', 'USD', 0, -30, 10, 140, 88.5],
    ]);
    // Paying and at risk only (not gamma, healthy, nor u9, who pays nothing), the most MRR first.
    expect(
      (await rows('account_health.sql')).map((a) => [a.account, Number(a.current_mrr), a.currency]),
    ).toEqual([
      ['Acme', 90, 'USD'],
      ['Beta', 40, 'USD'],
    ]);
  });

  test('the six cards are the six files of sql/metabase', () => {
    const files = EXECUTIVE_OVERVIEW_CARDS.map((card) => path.basename(card.sqlFile)).sort();
    expect(files).toEqual(readdirSync(SQL_DIR).sort());
    expect(files).toHaveLength(6);
  });
});

/**
 * Metabase cannot run on the machines this project is built on (no Docker, no Java), so the HTTP API
 * is exercised against this stub: a node:http server on 127.0.0.1 that keeps the objects in memory
 * and answers the endpoints the setup calls the way Metabase 0.47+ documents them (lists as
 * Metabase shapes them, negative dashcard ids creating dashcards, dashcards left out deleted).
 */
interface StubMetabase {
  readonly url: string;
  readonly requests: { method: string; path: string; session?: string }[];
  readonly databases: Map<number, { name: string; engine: string; details: Record<string, unknown> }>;
  readonly collections: Map<number, { name: string }>;
  readonly cards: Map<number, Record<string, unknown>>;
  readonly dashboards: Map<
    number,
    { name: string; collection_id: number; dashcards: Record<string, unknown>[] }
  >;
  readonly sessions: Set<string>;
  /** Answers to give instead of the real ones, by "METHOD /path". */
  readonly failures: Map<string, readonly [number, unknown]>;
  close(): Promise<void>;
}

const ADMIN = { username: 'admin@example.com', password: 'admin-pw-Zq7!"\\' };
const DB_PASSWORD = 'db-pw-Kx9"secret';

async function startStubMetabase(): Promise<StubMetabase> {
  let nextId = 1;
  const stub: Omit<StubMetabase, 'url' | 'close'> = {
    requests: [],
    databases: new Map(),
    collections: new Map(),
    cards: new Map(),
    dashboards: new Map(),
    sessions: new Set(),
    failures: new Map(),
  };
  const route = (method: string, pathname: string, query: URLSearchParams, body: Record<string, unknown>) => {
    if (method === 'POST' && pathname === '/api/session') {
      // Echoes the password back on failure: the worst a server could do, which the client must hide.
      if (body.username !== ADMIN.username || body.password !== ADMIN.password)
        return [
          401,
          { errors: { password: `did not match stored password ${String(body.password)}` } },
        ] as const;
      const id = randomUUID();
      stub.sessions.add(id);
      return [200, { id }] as const;
    }
    if (method === 'GET' && pathname === '/api/database')
      return [
        200,
        {
          data: [...stub.databases].map(([id, db]) => ({
            id,
            ...db,
            details: { ...db.details, password: '**MetabasePass**' },
          })),
          total: stub.databases.size,
        },
      ] as const;
    if (method === 'POST' && pathname === '/api/database') {
      const id = nextId++;
      stub.databases.set(id, databaseOf(body));
      return [200, { id, ...body }] as const;
    }
    let match = /^\/api\/database\/(\d+)$/.exec(pathname);
    if (method === 'PUT' && match) {
      stub.databases.set(Number(match[1]), databaseOf(body));
      return [200, { id: Number(match[1]) }] as const;
    }
    if (method === 'GET' && pathname === '/api/collection')
      return [
        200,
        [
          { id: 'root', name: 'Our analytics' },
          { id: 900, name: COLLECTION_NAME, personal_owner_id: 1 }, // someone's personal one of that name
          ...[...stub.collections].map(([id, c]) => ({ id, ...c, personal_owner_id: null, archived: false })),
        ],
      ] as const;
    if (method === 'POST' && pathname === '/api/collection') {
      const id = nextId++;
      stub.collections.set(id, { name: String(body.name) });
      return [200, { id, name: body.name }] as const;
    }
    match = /^\/api\/collection\/(\d+)\/items$/.exec(pathname);
    if (method === 'GET' && match) {
      const collectionId = Number(match[1]);
      const models = query.getAll('models');
      const items = [
        ...[...stub.cards]
          .filter(([, card]) => card.collection_id === collectionId)
          .map(([id, card]) => ({ id, name: card.name, model: 'card' })),
        ...[...stub.dashboards]
          .filter(([, dashboard]) => dashboard.collection_id === collectionId)
          .map(([id, dashboard]) => ({ id, name: dashboard.name, model: 'dashboard' })),
      ].filter((item) => models.length === 0 || models.includes(item.model));
      return [200, { data: items, total: items.length }] as const;
    }
    if (method === 'POST' && pathname === '/api/card') {
      const id = nextId++;
      stub.cards.set(id, body);
      return [200, { id, ...body }] as const;
    }
    match = /^\/api\/card\/(\d+)$/.exec(pathname);
    if (method === 'PUT' && match && stub.cards.has(Number(match[1]))) {
      stub.cards.set(Number(match[1]), body);
      return [200, { id: Number(match[1]), ...body }] as const;
    }
    if (method === 'POST' && pathname === '/api/dashboard') {
      const id = nextId++;
      stub.dashboards.set(id, {
        name: String(body.name),
        collection_id: Number(body.collection_id),
        dashcards: [],
      });
      return [200, { id, name: body.name }] as const;
    }
    match = /^\/api\/dashboard\/(\d+)$/.exec(pathname);
    const dashboard = match ? stub.dashboards.get(Number(match[1])) : undefined;
    if (method === 'GET' && dashboard) return [200, { id: Number(match?.[1]), ...dashboard }] as const;
    if (method === 'PUT' && dashboard && Array.isArray(body.dashcards)) {
      dashboard.dashcards = (body.dashcards as Record<string, unknown>[]).map((dashcard) =>
        Number(dashcard.id) < 0 ? { ...dashcard, id: nextId++ } : dashcard,
      );
      return [200, { id: Number(match?.[1]), ...dashboard }] as const;
    }
    if (method === 'DELETE' && pathname === '/api/session') return [204, undefined] as const;
    return [404, { message: `stub: no route ${method} ${pathname}` }] as const;
  };
  const server: Server = createServer((request, response) => {
    void readBody(request).then((text) => {
      const { pathname, searchParams } = new URL(request.url ?? '/', 'http://stub');
      const session = request.headers['x-metabase-session'];
      stub.requests.push({
        method: request.method ?? '',
        path: pathname,
        session: session as string | undefined,
      });
      const open = request.method === 'POST' && pathname === '/api/session';
      const [status, body] =
        stub.failures.get(`${request.method} ${pathname}`) ??
        (open || (typeof session === 'string' && stub.sessions.has(session))
          ? route(
              request.method ?? '',
              pathname,
              searchParams,
              text ? (JSON.parse(text) as Record<string, unknown>) : {},
            )
          : ([401, 'Unauthenticated'] as const));
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...stub,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function databaseOf(body: Record<string, unknown>) {
  return { name: String(body.name), engine: String(body.engine), details: { ...(body.details as object) } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

describe('setting up Metabase through its API (a stub server, see startStubMetabase)', () => {
  let stub: StubMetabase;
  beforeEach(async () => {
    stub = await startStubMetabase();
  });
  afterEach(() => stub.close());

  const options = (): SetupOptions => ({
    metabase: { url: `${stub.url}/`, ...ADMIN },
    warehouse: {
      host: 'postgres',
      port: 5432,
      dbname: 'analytics',
      user: 'bi_reader',
      password: DB_PASSWORD,
    },
  });

  test('creates the connection, the collection, six cards from the SQL files and a dashboard showing them', async () => {
    const result = await setupMetabase(options());
    expect(result.changes.map((c) => `${c.action} ${c.object}`)).toEqual([
      'created database',
      'created collection',
      'created card',
      'created card',
      'created card',
      'created card',
      'created card',
      'created card',
      'created dashboard',
    ]);
    expect([...stub.databases.values()]).toEqual([
      {
        name: DATABASE_NAME,
        engine: 'postgres',
        details: expect.objectContaining({
          host: 'postgres',
          port: 5432,
          dbname: 'analytics',
          user: 'bi_reader',
          password: DB_PASSWORD,
          ssl: false,
        }),
      },
    ]);
    const [databaseId] = [...stub.databases.keys()];
    const [collectionId] = [...stub.collections.keys()];
    expect([...stub.collections.values()]).toEqual([{ name: COLLECTION_NAME }]);

    const cards = [...stub.cards.values()];
    expect(cards.map((card) => [card.display, card.collection_id])).toEqual([
      ['line', collectionId],
      ['pie', collectionId],
      ['bar', collectionId],
      ['table', collectionId],
      ['table', collectionId],
      ['table', collectionId],
    ]);
    for (const [i, spec] of EXECUTIVE_OVERVIEW_CARDS.entries()) {
      expect(cards[i]?.name).toBe(spec.name);
      expect(cards[i]?.dataset_query).toEqual({
        type: 'native',
        native: { query: sqlOf(path.basename(spec.sqlFile)).trim(), 'template-tags': {} },
        database: databaseId,
      });
    }
    expect(cards[0]?.visualization_settings).toMatchObject({
      'graph.dimensions': ['activity_date'],
      'graph.metrics': ['dau', 'wau', 'mau'],
    });
    expect(cards[1]?.visualization_settings).toMatchObject({
      'pie.dimension': 'churn_risk_category',
      'pie.metric': 'user_count',
    });

    const dashboards = [...stub.dashboards.entries()];
    expect(dashboards).toHaveLength(1);
    const [dashboardId, dashboard] = dashboards[0] ?? [];
    expect(dashboard?.name).toBe(DASHBOARD_NAME);
    expect(result.dashboardUrl).toBe(`${stub.url}/dashboard/${dashboardId}`);
    const dashcards = dashboard?.dashcards ?? [];
    expect(dashcards.map((d) => d.card_id).sort()).toEqual([...stub.cards.keys()].sort());
    expect(dashcards.every((d) => Number(d.id) > 0)).toBe(true);
    expectNoOverlapOnTheGrid(dashcards);

    // Every call after the login carried the session; the session was ended at the end.
    expect(stub.requests.slice(1).every((r) => r.session !== undefined && stub.sessions.has(r.session))).toBe(
      true,
    );
    expect(stub.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/session' });
  });

  test('a second run updates the same objects and creates nothing; hand-added dashcards stay', async () => {
    await setupMetabase(options());
    const before = {
      databases: [...stub.databases.keys()],
      collections: [...stub.collections.keys()],
      cards: [...stub.cards.keys()],
      dashboards: [...stub.dashboards.keys()],
      dashcards: [...stub.dashboards.values()].flatMap((d) => d.dashcards.map((dashcard) => dashcard.id)),
    };
    // Someone edits a card's SQL by hand and adds a text box to the dashboard.
    const firstCard = stub.cards.get(before.cards[0] ?? 0);
    if (firstCard) firstCard.dataset_query = { type: 'native', native: { query: 'select 1' } };
    const dashboard = stub.dashboards.get(before.dashboards[0] ?? 0);
    const textBox = {
      id: 999,
      card_id: null,
      row: 14,
      col: 0,
      size_x: 24,
      size_y: 2,
      visualization_settings: { text: 'Hi' },
    };
    dashboard?.dashcards.push(textBox);
    const posts = stub.requests.filter((r) => r.method === 'POST' && r.path !== '/api/session').length;

    const result = await setupMetabase(options());

    expect(result.changes.map((c) => `${c.action} ${c.object}`)).toEqual([
      'updated database',
      'unchanged collection',
      'updated card',
      'updated card',
      'updated card',
      'updated card',
      'updated card',
      'updated card',
      'updated dashboard',
    ]);
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path !== '/api/session')).toHaveLength(posts);
    expect([...stub.databases.keys()]).toEqual(before.databases);
    expect([...stub.collections.keys()]).toEqual(before.collections);
    expect([...stub.cards.keys()]).toEqual(before.cards);
    expect([...stub.dashboards.keys()]).toEqual(before.dashboards);
    expect(dashboard?.dashcards.map((d) => d.id)).toEqual([...before.dashcards, 999]);
    expect(dashboard?.dashcards.at(-1)).toEqual(textBox);
    expect(firstCard).toBeDefined();
    expect(stub.cards.get(before.cards[0] ?? 0)?.dataset_query).toMatchObject({
      native: { query: sqlOf('daily_active_users.sql').trim() },
    });
    expect(
      stub.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/api/database/')),
    ).toHaveLength(1);
  });

  test('a refused login is a clear error that names the endpoint and never holds the password', async () => {
    const error = await failureOf(
      setupMetabase({
        ...options(),
        metabase: { ...options().metabase, password: 'wrong"pw\\x' },
      }),
    );
    expect(error).toBeInstanceOf(MetabaseError);
    expect(error.message).toMatch(/^POST \/api\/session failed: 401 Unauthorized/);
    expect(error.message).toMatch(/admin@example\.com/);
    expect(error.message).not.toContain('wrong');
    expect(stub.databases.size).toBe(0);
  });

  test('an API error names the endpoint and status and hides every secret Metabase might echo', async () => {
    // As if Metabase quoted the connection details back in its explanation.
    stub.failures.set('POST /api/database', [
      400,
      { message: `could not connect with password ${DB_PASSWORD}` },
    ]);
    const error = await failureOf(setupMetabase(options()));
    expect(error.message).toBe(
      'POST /api/database failed: 400 Bad Request: could not connect with password ***',
    );
    // The session was still ended.
    expect(stub.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/session' });
  });

  test('a call without a valid session is refused and named', async () => {
    stub.failures.set('GET /api/database', [401, 'Unauthenticated']);
    const error = await failureOf(setupMetabase(options()));
    expect(error.message).toBe('GET /api/database failed: 401 Unauthorized: Unauthenticated');
  });

  test('an unreachable Metabase is a clear error', async () => {
    await stub.close();
    const error = await failureOf(setupMetabase(options()));
    expect(error.message).toMatch(
      /^POST \/api\/session: cannot reach Metabase at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
    stub = await startStubMetabase(); // for afterEach
  });
});

/** The error a promise fails with; a test fails if it does not. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the promise to fail');
}

function expectNoOverlapOnTheGrid(dashcards: readonly Record<string, unknown>[]): void {
  const boxes = dashcards.map((d) => ({
    row: Number(d.row),
    col: Number(d.col),
    sizeX: Number(d.size_x),
    sizeY: Number(d.size_y),
  }));
  for (const box of boxes) expect(box.col + box.sizeX).toBeLessThanOrEqual(24);
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1)) {
      const apart =
        a.col + a.sizeX <= b.col ||
        b.col + b.sizeX <= a.col ||
        a.row + a.sizeY <= b.row ||
        b.row + b.sizeY <= a.row;
      expect(apart).toBe(true);
    }
}

describe('saas-pipeline metabase', () => {
  const env = { MB_USER: ADMIN.username, MB_PASSWORD: ADMIN.password, MB_DB_PASSWORD: DB_PASSWORD };

  test('a missing secret is a usage error that names it', async () => {
    const lines: string[] = [];
    const code = await metabaseCommand([], (line) => lines.push(line), { ...env, MB_PASSWORD: undefined });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/set MB_PASSWORD in the environment/);
  });

  test('bad options are usage errors; --help documents options, environment and exit codes', async () => {
    const lines: string[] = [];
    expect(await metabaseCommand(['--db-port', 'x'], (line) => lines.push(line), env)).toBe(2);
    expect(await metabaseCommand(['--url', 'localhost:3000'], (line) => lines.push(line), env)).toBe(2);
    expect(await metabaseCommand(['--help'], (line) => lines.push(line), env)).toBe(0);
    expect(lines.at(-1)).toMatch(/--db-host[\s\S]*MB_DB_PASSWORD[\s\S]*Exit codes: 0/);
  });

  test('against the stub: one line per object, the dashboard URL last, no secret printed', async () => {
    const stub = await startStubMetabase();
    try {
      const lines: string[] = [];
      const code = await metabaseCommand(
        ['--url', stub.url, '--db-host', 'warehouse.internal'],
        (line) => lines.push(line),
        env,
      );
      expect(code).toBe(0);
      expect(lines).toHaveLength(1 + 9 + 1);
      expect(lines[1]).toMatch(
        /^ {2}created +database +"SaaS Analytics warehouse" \(id \d+\): bi_reader@warehouse.internal:5432\/analytics$/,
      );
      expect(lines.at(-1)).toMatch(new RegExp(`the dashboard is at ${stub.url}/dashboard/\\d+$`));
      const output = lines.join('\n');
      for (const secret of [ADMIN.password, DB_PASSWORD, ...stub.sessions])
        expect(output).not.toContain(secret);
    } finally {
      await stub.close();
    }
  });
});
