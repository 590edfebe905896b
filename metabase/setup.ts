/**
 * Puts the "Executive Overview" dashboard into a running Metabase (0.47 or later) through its REST
 * API: the warehouse connection, a collection, one native-SQL card per file in sql/metabase, and the
 * dashboard with the four cards on it. Everything is found by name first and updated in place, so a
 * second run changes the same objects instead of adding copies.
 */
import { readSql } from '../lambdas/warehouse/sql-files';

export const DATABASE_NAME = 'SaaS Analytics warehouse';
export const COLLECTION_NAME = 'SaaS Analytics';
export const DASHBOARD_NAME = 'Executive Overview';

/** Creating a database makes Metabase test the connection, which can take a while. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface MetabaseLogin {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/** The warehouse as Metabase reaches it (from its own network, which may not be this machine's). */
export interface WarehouseConnection {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly user: string;
  readonly password: string;
  /**
   * Connect with TLS (`ssl-mode` require), as RDS asks.
   * @default false
   */
  readonly ssl?: boolean;
}

/** A place on the dashboard's grid, which is 24 columns wide. */
export interface DashboardPlace {
  readonly row: number;
  readonly col: number;
  readonly size_x: number;
  readonly size_y: number;
}

export interface CardSpec {
  readonly name: string;
  readonly description: string;
  /** Relative to sql/. */
  readonly sqlFile: string;
  readonly display: 'line' | 'table' | 'bar' | 'pie';
  readonly visualizationSettings: Readonly<Record<string, unknown>>;
  readonly place: DashboardPlace;
}

const RETENTION_COLUMNS = Array.from({ length: 12 }, (_, k) => `m${k}`);

/** Three rows of two, the wider tiles where the content is wider. */
export const EXECUTIVE_OVERVIEW_CARDS: readonly CardSpec[] = [
  {
    name: 'Active users: DAU, WAU, MAU',
    description:
      'Distinct users active on the day, in the 7 and in the 30 days up to it (analytics.daily_active_users; docs/metrics.md 4.1).',
    sqlFile: 'metabase/daily_active_users.sql',
    display: 'line',
    visualizationSettings: {
      'graph.dimensions': ['activity_date'],
      'graph.metrics': ['dau', 'wau', 'mau'],
      'graph.x_axis.title_text': 'Day (UTC)',
      'graph.y_axis.title_text': 'Active users',
    },
    place: { row: 0, col: 0, size_x: 14, size_y: 6 },
  },
  {
    name: 'Churn risk: users per category',
    description:
      'Users by days since their last activity: active 0-7, low 8-14, medium 15-30, high 31+ (analytics.churn_risk_scores; docs/metrics.md 4.4).',
    sqlFile: 'metabase/churn_risk.sql',
    display: 'pie',
    visualizationSettings: {
      'pie.dimension': 'churn_risk_category',
      'pie.metric': 'user_count',
      // Slices in the query's order (rising risk), not by size.
      'pie.sort_rows': false,
      'pie.colors': { active: '#88BF4D', low: '#F9D45C', medium: '#F2A86F', high: '#EF8C8C' },
    },
    place: { row: 0, col: 14, size_x: 10, size_y: 6 },
  },
  {
    name: 'Feature adoption funnel',
    description:
      'Per feature: users who tried it, used it on 2+ days, and in 3+ ISO weeks (analytics.feature_adoption_funnel; docs/metrics.md 4.3).',
    sqlFile: 'metabase/feature_adoption.sql',
    display: 'bar',
    visualizationSettings: {
      'graph.dimensions': ['feature_name'],
      'graph.metrics': ['tried_users', 'repeated_users', 'habit_users'],
      'graph.y_axis.title_text': 'Users',
    },
    place: { row: 6, col: 0, size_x: 10, size_y: 8 },
  },
  {
    name: 'Retention by signup month',
    description:
      '% of each signup cohort active k months later, m0 = the signup month; the last month of a cohort can be in progress (analytics.user_retention_cohorts; docs/metrics.md 4.2).',
    sqlFile: 'metabase/retention_cohorts.sql',
    display: 'table',
    visualizationSettings: {
      // A heat map by conditional formatting: white at 0 %, full blue at 100 %.
      'table.column_formatting': [
        {
          id: 0,
          type: 'range',
          columns: RETENTION_COLUMNS,
          colors: ['#FFFFFF', '#509EE3'],
          min_type: 'custom',
          min_value: 0,
          max_type: 'custom',
          max_value: 100,
        },
      ],
      column_settings: Object.fromEntries(
        RETENTION_COLUMNS.map((column) => [JSON.stringify(['name', column]), { suffix: ' %' }]),
      ),
    },
    place: { row: 6, col: 10, size_x: 14, size_y: 8 },
  },
  {
    name: 'MRR movements by month',
    description:
      'Per month and currency (never added): new, reactivation, expansion, contraction and churn (negative), net new and ending MRR, paying customers, NRR and GRR in % (analytics.mrr_monthly; docs/metrics.md 13).',
    sqlFile: 'metabase/mrr_movements.sql',
    display: 'table',
    visualizationSettings: {
      // Losses in red, gains in green, as the dashboard's bars.
      'table.column_formatting': [
        {
          id: 0,
          type: 'single',
          operator: '<',
          value: 0,
          color: '#EF8C8C',
          columns: ['contraction_mrr', 'churn_mrr', 'net_new_mrr'],
          highlight_row: false,
        },
        {
          id: 1,
          type: 'single',
          operator: '>',
          value: 0,
          color: '#88BF4D',
          columns: ['new_mrr', 'reactivation_mrr', 'expansion_mrr', 'net_new_mrr'],
          highlight_row: false,
        },
      ],
    },
    place: { row: 14, col: 0, size_x: 14, size_y: 8 },
  },
  {
    name: 'Account health: paying accounts at risk',
    description:
      'Paying accounts whose health score is below 40 (at_risk) as of the as-of date, the most MRR first (analytics.account_health; docs/metrics.md 13).',
    sqlFile: 'metabase/account_health.sql',
    display: 'table',
    visualizationSettings: {},
    place: { row: 14, col: 14, size_x: 10, size_y: 8 },
  },
];

export type MetabaseObject = 'database' | 'collection' | 'card' | 'dashboard';

export interface Change {
  readonly object: MetabaseObject;
  readonly name: string;
  readonly id: number;
  readonly action: 'created' | 'updated' | 'unchanged';
}

/** A non-2xx answer or no answer. The message names the endpoint and never holds a secret. */
export class MetabaseError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'MetabaseError';
  }
}

type Json = Record<string, unknown>;

export interface MetabaseSession {
  readonly url: string;
  request(method: string, path: string, body?: unknown): Promise<unknown>;
  logOut(): Promise<void>;
}

/**
 * Logs in with `POST /api/session`. `secrets` are values (such as the warehouse password this
 * session will send) that must never appear in an error message, should Metabase echo them.
 */
export async function logIn(login: MetabaseLogin, secrets: readonly string[] = []): Promise<MetabaseSession> {
  const url = login.url.replace(/\/+$/, '');
  const hidden = [login.password, ...secrets];
  const answer = await call(url, 'POST', '/api/session', {
    body: { username: login.username, password: login.password },
    secrets: hidden,
  }).catch((error: unknown) => {
    if (error instanceof MetabaseError && error.status === 401)
      throw new MetabaseError(
        error.endpoint,
        401,
        `${error.message} (Metabase refused the login of ${JSON.stringify(login.username)}: check the user and password)`,
      );
    throw error;
  });
  const sessionId = (answer as Json | undefined)?.id;
  if (typeof sessionId !== 'string')
    throw new MetabaseError('POST /api/session', 200, 'POST /api/session: no session id in the answer');
  hidden.push(sessionId);
  return {
    url,
    request: (method, path, body) => call(url, method, path, { body, sessionId, secrets: hidden }),
    // Sessions live for two weeks unless ended; a failed log-out must not hide what the run did.
    logOut: () =>
      call(url, 'DELETE', '/api/session', { sessionId, secrets: hidden }).then(
        () => undefined,
        () => undefined,
      ),
  };
}

async function call(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; sessionId?: string; secrets: readonly string[] },
): Promise<unknown> {
  const endpoint = `${method} ${path.split('?')[0]}`;
  let response: Response;
  try {
    response = await fetch(url + path, {
      method,
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.sessionId === undefined ? {} : { 'x-metabase-session': options.sessionId }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new MetabaseError(
      endpoint,
      undefined,
      `${endpoint}: cannot reach Metabase at ${url}: ${reasonOf(error)}`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const detail = redact(detailOf(text), options.secrets);
    throw new MetabaseError(
      endpoint,
      response.status,
      `${endpoint} failed: ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`,
    );
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MetabaseError(
      endpoint,
      response.status,
      `${endpoint}: the answer is not JSON; is ${url} a Metabase?`,
    );
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Metabase's own explanation: `message`, else `errors`, else the text, on one short line. */
function detailOf(text: string): string {
  let detail = text;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'string') detail = parsed;
    else if (isJson(parsed) && typeof parsed.message === 'string') detail = parsed.message;
    else if (isJson(parsed) && parsed.errors !== undefined) detail = JSON.stringify(parsed.errors);
  } catch {
    // Not JSON (a proxy's HTML page, say): the text as it is.
  }
  detail = detail.replace(/\s+/g, ' ').trim();
  return detail.length > 300 ? `${detail.slice(0, 300)}...` : detail;
}

/** Removes each secret, raw and as JSON escapes it. */
function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)]))
      result = result.split(form).join('***');
  }
  return result;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list answer: a bare array, or `{ data: [...] }` as newer versions page their lists. */
function listOf(answer: unknown): Json[] {
  const items = isJson(answer) ? answer.data : answer;
  return Array.isArray(items) ? items.filter(isJson) : [];
}

function idOf(answer: unknown, endpoint: string): number {
  const id = isJson(answer) ? answer.id : undefined;
  if (typeof id !== 'number')
    throw new MetabaseError(endpoint, undefined, `${endpoint}: no id in the answer`);
  return id;
}

/** Finds the warehouse connection by name and updates it (a new password, say), or creates it. */
export async function ensureDatabase(
  session: MetabaseSession,
  warehouse: WarehouseConnection,
): Promise<Change> {
  const body = {
    name: DATABASE_NAME,
    engine: 'postgres',
    details: {
      host: warehouse.host,
      port: warehouse.port,
      dbname: warehouse.dbname,
      user: warehouse.user,
      password: warehouse.password,
      ssl: warehouse.ssl ?? false,
      ...(warehouse.ssl ? { 'ssl-mode': 'require' } : {}),
      // The schemas analytics_reader may read; Metabase then does not try to sync raw and staging.
      'schema-filters-type': 'inclusion',
      'schema-filters-patterns': 'analytics,core,ops',
    },
  };
  const existing = listOf(await session.request('GET', '/api/database')).find(
    (db) => db.name === DATABASE_NAME && db.engine === 'postgres' && typeof db.id === 'number',
  );
  if (existing) {
    const id = idOf(existing, 'GET /api/database');
    await session.request('PUT', `/api/database/${id}`, body);
    return { object: 'database', name: DATABASE_NAME, id, action: 'updated' };
  }
  const id = idOf(await session.request('POST', '/api/database', body), 'POST /api/database');
  return { object: 'database', name: DATABASE_NAME, id, action: 'created' };
}

export async function ensureCollection(session: MetabaseSession): Promise<Change> {
  // The list holds the root collection (id "root") and everyone's personal ones: only a shared one counts.
  const existing = listOf(await session.request('GET', '/api/collection')).find(
    (c) =>
      c.name === COLLECTION_NAME && typeof c.id === 'number' && !c.archived && c.personal_owner_id == null,
  );
  if (existing)
    return {
      object: 'collection',
      name: COLLECTION_NAME,
      id: idOf(existing, 'GET /api/collection'),
      action: 'unchanged',
    };
  const created = await session.request('POST', '/api/collection', {
    name: COLLECTION_NAME,
    description: 'Product analytics from the warehouse analytics schema, made by "saas-pipeline metabase".',
  });
  return {
    object: 'collection',
    name: COLLECTION_NAME,
    id: idOf(created, 'POST /api/collection'),
    action: 'created',
  };
}

/** The cards and dashboards in a collection, by the one listing scoped to it. */
async function collectionItems(session: MetabaseSession, collectionId: number): Promise<Json[]> {
  return listOf(
    await session.request('GET', `/api/collection/${collectionId}/items?models=card&models=dashboard`),
  );
}

function findItem(items: readonly Json[], model: 'card' | 'dashboard', name: string): number | undefined {
  const ids = items
    .filter((item) => item.model === model && item.name === name && typeof item.id === 'number')
    .map((item) => item.id as number);
  // Should someone have made a copy by hand, always the oldest is the one kept up to date.
  return ids.length > 0 ? Math.min(...ids) : undefined;
}

/** The card's native query: its file, without the trailing newline. */
export function cardQuery(spec: CardSpec): string {
  return readSql(spec.sqlFile).trim();
}

export async function ensureCard(
  session: MetabaseSession,
  spec: CardSpec,
  query: string,
  ids: { database: number; collection: number; existing?: number },
): Promise<Change> {
  const body = {
    name: spec.name,
    description: spec.description,
    collection_id: ids.collection,
    display: spec.display,
    visualization_settings: spec.visualizationSettings,
    dataset_query: {
      type: 'native',
      native: { query, 'template-tags': {} },
      database: ids.database,
    },
  };
  if (ids.existing !== undefined) {
    await session.request('PUT', `/api/card/${ids.existing}`, body);
    return { object: 'card', name: spec.name, id: ids.existing, action: 'updated' };
  }
  const id = idOf(await session.request('POST', '/api/card', body), 'POST /api/card');
  return { object: 'card', name: spec.name, id, action: 'created' };
}

/**
 * Puts each card at its place. A dashcard already showing one of the cards keeps its id (and its
 * settings), so nothing is duplicated; dashcards someone added by hand are sent back as they were,
 * since `PUT /api/dashboard/:id` deletes the dashcards it is not given.
 */
export function layDashcards(
  existing: readonly Json[],
  cards: readonly { cardId: number; place: DashboardPlace }[],
): Json[] {
  const used = new Set<Json>();
  let nextNewId = -1;
  const ours = cards.map(({ cardId, place }) => {
    const current = existing.find((dashcard) => dashcard.card_id === cardId && !used.has(dashcard));
    if (current) {
      used.add(current);
      return { ...current, ...place };
    }
    // Negative ids ask Metabase to create the dashcard.
    return {
      id: nextNewId--,
      card_id: cardId,
      ...place,
      parameter_mappings: [],
      series: [],
      visualization_settings: {},
    };
  });
  return [...ours, ...existing.filter((dashcard) => !used.has(dashcard))];
}

export async function ensureDashboard(
  session: MetabaseSession,
  cards: readonly { cardId: number; place: DashboardPlace }[],
  ids: { collection: number; existing?: number },
): Promise<Change> {
  const id =
    ids.existing ??
    idOf(
      await session.request('POST', '/api/dashboard', {
        name: DASHBOARD_NAME,
        description:
          'Active users, retention, feature adoption and churn risk, from the warehouse analytics views.',
        collection_id: ids.collection,
      }),
      'POST /api/dashboard',
    );
  const dashboard = await session.request('GET', `/api/dashboard/${id}`);
  const existing = isJson(dashboard) ? dashboard.dashcards : undefined;
  if (!Array.isArray(existing))
    throw new MetabaseError(
      `GET /api/dashboard/${id}`,
      200,
      `GET /api/dashboard/${id}: the answer has no "dashcards"; this needs Metabase 0.47 or later`,
    );
  await session.request('PUT', `/api/dashboard/${id}`, {
    dashcards: layDashcards(existing.filter(isJson), cards),
  });
  return {
    object: 'dashboard',
    name: DASHBOARD_NAME,
    id,
    action: ids.existing === undefined ? 'created' : 'updated',
  };
}

export interface SetupOptions {
  readonly metabase: MetabaseLogin;
  readonly warehouse: WarehouseConnection;
  /** Called as each object is created or updated. */
  readonly onChange?: (change: Change) => void;
}

export interface SetupResult {
  readonly changes: readonly Change[];
  readonly dashboardUrl: string;
}

export async function setupMetabase(options: SetupOptions): Promise<SetupResult> {
  // Read before anything in Metabase changes, so that a missing file stops the run at the start.
  const queries = EXECUTIVE_OVERVIEW_CARDS.map((spec) => ({ spec, query: cardQuery(spec) }));
  const session = await logIn(options.metabase, [options.warehouse.password]);
  const changes: Change[] = [];
  const record = (change: Change): Change => {
    changes.push(change);
    options.onChange?.(change);
    return change;
  };
  try {
    const database = record(await ensureDatabase(session, options.warehouse));
    const collection = record(await ensureCollection(session));
    const items = await collectionItems(session, collection.id);
    const cards = [];
    for (const { spec, query } of queries) {
      const ids = {
        database: database.id,
        collection: collection.id,
        existing: findItem(items, 'card', spec.name),
      };
      cards.push({ cardId: record(await ensureCard(session, spec, query, ids)).id, place: spec.place });
    }
    const existing = findItem(items, 'dashboard', DASHBOARD_NAME);
    const dashboard = record(await ensureDashboard(session, cards, { collection: collection.id, existing }));
    return { changes, dashboardUrl: `${session.url}/dashboard/${dashboard.id}` };
  } finally {
    await session.logOut();
  }
}
