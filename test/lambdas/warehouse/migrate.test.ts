import { createReaderPool } from '../../../dashboard/reader';
import { createPool, type Pool, type Queryable } from '../../../lambdas/warehouse/db';
import { PIPELINE_SCHEMAS } from '../../../lambdas/warehouse/logins';
import {
  assertSchemaCurrent,
  listMigrations,
  listModels,
  loadSchema,
  migrate,
  type Schema,
  type SchemaModel,
  schemaModel,
  SchemaOutOfDateError,
} from '../../../lambdas/warehouse/migrate';
import { ANALYTICS_VIEWS } from '../../../lambdas/plan';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { SCHEMA_MODELS } from '../../../lambdas/warehouse/schema-models';
import { cohortFiles } from '../../support/cohort-fixture';
import {
  CORE_AND_ANALYTICS_TABLES,
  createTestDatabase,
  PUBLISHED_TABLES,
  snapshotTables,
  type TestDatabase,
} from '../../support/database';

// The migrator on a real PostgreSQL: migrations once, then the schema models of sql/models, applied
// again when their files change. Changed files are simulated by handing migrate() a schema whose model
// text differs from the files', as an edited file would.

const schema = loadSchema();
const ROLES = ['saas_loader', 'saas_transformer', 'analytics_reader'] as const;

/** The schema with some models' text changed by `edit`; their checksums follow. */
function withModels(edit: (model: SchemaModel) => string | undefined, base: Schema = schema): Schema {
  return {
    migrations: base.migrations,
    models: base.models.map((model) => {
      const sql = edit(model);
      return sql === undefined ? model : schemaModel(model.name, sql, model.dependsOn);
    }),
  };
}

/** What each pipeline object is: definition, owner, and every privilege on it, as pg_catalog has them. */
async function catalog(pool: Queryable): Promise<Record<string, unknown>> {
  const { rows } = await pool.query<{
    object: string;
    kind: string;
    definition: string | null;
    acl: unknown;
  }>(
    `with objects as (
       select n.nspname || '.' || c.relname as object, c.relkind::text as kind,
         case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid)
              when c.relkind = 'i' then pg_get_indexdef(c.oid) end as definition,
         pg_get_userbyid(c.relowner) as owner, coalesce(c.relacl, acldefault('r', c.relowner)) as acl
       from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
       where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'i')
       union all
       select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', 'f',
         pg_get_functiondef(p.oid), pg_get_userbyid(p.proowner), coalesce(p.proacl, acldefault('f', p.proowner))
       from pg_proc as p inner join pg_namespace as n on n.oid = p.pronamespace
       where n.nspname = any($1::text[])
     )
     select object, kind, definition, owner,
       (select jsonb_agg(jsonb_build_array(
                case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end,
                a.privilege_type, pg_get_userbyid(a.grantor), a.is_grantable)
              order by a.grantee::regrole::text, a.privilege_type, a.grantor::regrole::text)
        from aclexplode(objects.acl) as a) as acl
     from objects
     order by object`,
    [PIPELINE_SCHEMAS],
  );
  return Object.fromEntries(rows.map(({ object, ...rest }) => [object, rest]));
}

/** What each role may do to each view, materialized view and function, as has_*_privilege says. */
async function access(pool: Queryable): Promise<string[]> {
  const { rows } = await pool.query<{ line: string }>(
    `select role || ' ' || object || ' ' || string_agg(privilege, ',' order by privilege) as line
     from unnest($2::text[]) as role
     cross join lateral (
       select n.nspname || '.' || c.relname as object, privilege
       from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
       cross join unnest(array['select', 'insert', 'update', 'delete', 'truncate']) as privilege
       where n.nspname = any($1::text[]) and c.relkind in ('v', 'm') and has_table_privilege(role, c.oid, privilege)
       union all
       select n.nspname || '.' || p.proname, 'execute'
       from pg_proc as p inner join pg_namespace as n on n.oid = p.pronamespace
       where n.nspname = any($1::text[]) and has_function_privilege(role, p.oid, 'execute')
     ) as granted
     group by role, object
     order by 1`,
    [PIPELINE_SCHEMAS, ROLES],
  );
  return rows.map((row) => row.line);
}

async function records(pool: Pool): Promise<Record<string, { checksum: string; applied_at: string }>> {
  const { rows } = await pool.query<{ name: string; checksum: string; applied_at: string }>(
    `select name, checksum, applied_at::text from ops.schema_models order by name`,
  );
  return Object.fromEntries(rows.map(({ name, ...rest }) => [name, rest]));
}

async function populated(pool: Pool): Promise<Record<string, boolean>> {
  const { rows } = await pool.query<{ matviewname: string; ispopulated: boolean }>(
    `select matviewname, ispopulated from pg_matviews where schemaname = 'analytics_build' order by 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.matviewname, row.ispopulated]));
}

/** The catalog entries of the objects the models make (their indexes included). */
function modelObjects(entries: Record<string, unknown>): Record<string, unknown> {
  const names = new Set(SCHEMA_MODELS.map((model) => model.name.split('/')[1]));
  return Object.fromEntries(
    Object.entries(entries).filter(([object, entry]) => {
      const name = object.replace(/^\w+\./, '').replace(/(_pk|\(.*\))$/, '');
      return names.has(name) && (entry as { kind: string }).kind !== 'r';
    }),
  );
}

/**
 * The one change of privileges the models made on purpose: migration 0017 let the transformer write
 * through ops.rejected_files (a view over raw.files), and its model takes that back, leaving select.
 */
function withNarrowedGrants(objects: Record<string, unknown>): Record<string, unknown> {
  const view = objects['ops.rejected_files'] as { acl: [string, string, string, boolean][] };
  const acl = view.acl.filter(
    ([grantee, privilege]) => grantee !== 'saas_transformer' || privilege === 'SELECT',
  );
  expect(acl.length).toBeLessThan(view.acl.length);
  return { ...objects, 'ops.rejected_files': { ...view, acl } };
}

const MODEL_FILES = SCHEMA_MODELS.map((model) => `models/${model.name}.sql`);
// Loaded once, after the models; test/lambdas/warehouse/seeds.test.ts tests them.
const SEED_FILES = (schema.seeds ?? []).map((seed) => seed.file);
// The migrations of a warehouse deployed before the schema models: tables and objects, no record.
const BEFORE_MODELS: Schema = { migrations: listMigrations().filter((m) => m.version <= 17), models: [] };
/**
 * Models whose object a later change made different from what 0001-0017 made: on an upgraded database
 * they are what their file now says, which the next test compares with a fresh database.
 */
const CHANGED_SINCE_MODELS = [
  // The revenue fields (0019).
  'staging.raw_events_checked',
  // The end of A in the reporting time zone (0032).
  'analytics_build.churn_risk_scores',
];
/** Models added after 0018, which no old migration made. */
const ADDED_SINCE_MODELS = [
  'analytics/mrr_monthly',
  'analytics/trial_to_paid',
  'analytics/account_health',
  'analytics/daily_active_accounts',
  'analytics/account_retention_cohorts',
  'ops/unmapped_events_by_name',
  'staging/signed_up_persons',
  'staging/truncated_ip',
  'staging/line_outcomes',
  'analytics/lifecycle_periods',
  'analytics/user_lifecycle_weekly',
  'analytics/user_lifecycle_monthly',
  'analytics/user_retention_days',
  'analytics/session_metrics',
  'analytics/activation_funnel',
];
/** 0018, which brings the models, and every migration after it. */
const SINCE_MODELS = listMigrations()
  .filter((m) => m.version >= 18)
  .map((m) => m.file);

let fresh: TestDatabase;
let upgraded: TestDatabase;
let freshlyApplied: string[];
let upgradeApplied: string[];
let modelsOfOldMigrations: Record<string, unknown>;
beforeAll(async () => {
  fresh = await createTestDatabase({ migrate: false });
  upgraded = await createTestDatabase({ migrate: false });
  freshlyApplied = (await migrate(fresh.pool)).applied;
  await migrate(upgraded.pool, BEFORE_MODELS);
  modelsOfOldMigrations = modelObjects(await catalog(upgraded.pool));
  upgradeApplied = (await migrate(upgraded.pool)).applied;
});
afterAll(async () => {
  await fresh?.drop();
  await upgraded?.drop();
});

describe('on a fresh database and on one deployed before the models', () => {
  test('a fresh database gets the migrations, then every model in order, each recorded, then the seeds', async () => {
    expect(freshlyApplied).toEqual([...schema.migrations.map((m) => m.file), ...MODEL_FILES, ...SEED_FILES]);
    const recorded = await records(fresh.pool);
    expect(Object.keys(recorded).sort()).toEqual(SCHEMA_MODELS.map((m) => m.name).sort());
    for (const model of schema.models) expect(recorded[model.name]?.checksum).toBe(model.checksum);
  });

  test('an existing database applies the new migrations and every model, and keeps each object as it was', async () => {
    expect(upgradeApplied).toEqual([...SINCE_MODELS, ...MODEL_FILES, ...SEED_FILES]);
    // The objects of the models that 0001-0017 made: the models other than those added since.
    const old = SCHEMA_MODELS.filter((model) => !ADDED_SINCE_MODELS.includes(model.name));
    expect(Object.keys(modelsOfOldMigrations)).toHaveLength(old.length + 4); // + matview indexes
    expect(Object.keys(await records(upgraded.pool))).toHaveLength(SCHEMA_MODELS.length);
    const now = modelObjects(await catalog(upgraded.pool));
    const unchanged = (objects: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(objects).filter(([name]) => !CHANGED_SINCE_MODELS.includes(name)));
    expect(unchanged(now)).toMatchObject(unchanged(withNarrowedGrants(modelsOfOldMigrations)));
  });

  test('both end with the same catalog: definitions, owners, privileges, indexes', async () => {
    const upgradedCatalog = await catalog(upgraded.pool);
    expect(Object.keys(upgradedCatalog).length).toBeGreaterThan(60);
    expect(await catalog(fresh.pool)).toEqual(upgradedCatalog);
    expect(await access(fresh.pool)).toEqual(await access(upgraded.pool));
  });

  test('unchanged models are not applied again', async () => {
    const before = await records(fresh.pool);
    expect(await migrate(fresh.pool)).toEqual({ applied: [] });
    expect(await records(fresh.pool)).toEqual(before);
  });
});

describe('a changed model', () => {
  // A change create-or-replace cannot make: the function is dropped, and the view that calls it with it.
  const dropped = withModels((model) =>
    model.name === 'staging/parse_event_timestamp'
      ? `drop function staging.parse_event_timestamp(text) cascade;\n${model.sql}`
      : undefined,
  );

  test('is applied again after what it depends on, with its dependants after it, keeping every privilege', async () => {
    const before = { catalog: await catalog(fresh.pool), access: await access(fresh.pool) };
    const recorded = await records(fresh.pool);
    const { applied } = await migrate(fresh.pool, dropped);
    expect(applied).toEqual([
      'models/staging/parse_event_timestamp.sql',
      'models/staging/raw_events_checked.sql',
    ]);
    expect(await catalog(fresh.pool)).toEqual(before.catalog);
    expect(await access(fresh.pool)).toEqual(before.access);

    const after = await records(fresh.pool);
    for (const name of Object.keys(recorded)) {
      if (name === 'staging/parse_event_timestamp' || name === 'staging/raw_events_checked')
        expect(after[name]?.applied_at).not.toBe(recorded[name]?.applied_at);
      else expect(after[name]).toEqual(recorded[name]);
    }
    // The file as it now reads is recorded; the original then counts as changed again.
    expect(after['staging/parse_event_timestamp']?.checksum).not.toBe(
      recorded['staging/parse_event_timestamp']?.checksum,
    );
    expect((await migrate(fresh.pool)).applied).toEqual([
      'models/staging/parse_event_timestamp.sql',
      'models/staging/raw_events_checked.sql',
    ]);
  });

  test('that fails leaves everything as it was: the models before it are rolled back with it', async () => {
    const before = { catalog: await catalog(fresh.pool), records: await records(fresh.pool) };
    const failing = withModels(
      (model) => (model.name === 'staging/raw_events_checked' ? `${model.sql}\nselect 1 / 0;` : undefined),
      dropped,
    );
    await expect(migrate(fresh.pool, failing)).rejects.toThrow(
      'Schema model models/staging/raw_events_checked.sql failed: division by zero',
    );
    expect(await catalog(fresh.pool)).toEqual(before.catalog);
    expect(await records(fresh.pool)).toEqual(before.records);
    await expect(fresh.pool.query('select count(*) from staging.raw_events_checked')).resolves.toBeDefined();
  });

  test('every model applied again leaves every definition and privilege as it was', async () => {
    const before = { catalog: await catalog(fresh.pool), access: await access(fresh.pool) };
    const touched = withModels((model) => `${model.sql}\n-- touched\n`);
    expect((await migrate(fresh.pool, touched)).applied).toEqual(MODEL_FILES);
    expect(await catalog(fresh.pool)).toEqual(before.catalog);
    expect(await access(fresh.pool)).toEqual(before.access);
    expect((await migrate(fresh.pool)).applied).toEqual(MODEL_FILES);
    expect(await catalog(fresh.pool)).toEqual(await catalog(upgraded.pool));
  });

  test('is refused by assertSchemaCurrent, also as the role a run starts as, until it is applied', async () => {
    const transformer = createPool(fresh.url, 1, { role: 'saas_transformer' });
    try {
      await expect(assertSchemaCurrent(transformer)).resolves.toBeUndefined();
      const changed = withModels((model) =>
        model.name === 'ops/layer_row_counts' ? `${model.sql}\n-- changed\n` : undefined,
      );
      await expect(assertSchemaCurrent(transformer, changed)).rejects.toThrow(SchemaOutOfDateError);
      await expect(assertSchemaCurrent(transformer, changed)).rejects.toThrow(
        /\(models not applied or changed: models\/ops\/layer_row_counts\.sql\)/,
      );
      // A record that disagrees with the file, as after a deployment of other code.
      await fresh.pool.query(
        `update ops.schema_models set checksum = 'other' where name = 'ops/rejected_files'`,
      );
      await expect(assertSchemaCurrent(transformer)).rejects.toThrow(
        /models not applied or changed: models\/ops\/rejected_files\.sql/,
      );
      await expect(
        transformer.query(`update ops.schema_models set checksum = 'x' where name = 'ops/rejected_files'`),
      ).rejects.toThrow(/permission denied/);
      expect((await migrate(fresh.pool)).applied).toEqual(['models/ops/rejected_files.sql']);
      await expect(assertSchemaCurrent(transformer)).resolves.toBeUndefined();
    } finally {
      await transformer.end();
    }
  });

  test('assertSchemaCurrent on a database from before the models names the migrations and every model', async () => {
    const old = await createTestDatabase({ migrate: false });
    try {
      await migrate(old.pool, BEFORE_MODELS);
      const refusal = assertSchemaCurrent(old.pool);
      await expect(refusal).rejects.toThrow(
        `(not applied or changed: ${SINCE_MODELS.join(', ')}; models not applied or changed: models/raw/invalid_lines.sql, `,
      );
    } finally {
      await old.drop();
    }
  });
});

test('each model file carries the privileges of its object: made anew without default privileges, each has them', async () => {
  const before = { catalog: await catalog(fresh.pool), access: await access(fresh.pool) };
  const client = await fresh.pool.connect();
  try {
    await client.query('begin');
    // Without these, an object made again gets only what its file grants.
    await client.query(`alter default privileges in schema raw, staging, core, analytics, analytics_build, ops
      revoke all on tables from saas_loader, saas_transformer, analytics_reader`);
    const { rows: drops } = await client.query<{ statement: string }>(
      `select format('drop %s if exists %s cascade',
                     case c.relkind when 'v' then 'view' else 'materialized view' end, c.oid::regclass) as statement
       from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
       where n.nspname = any($1::text[]) and c.relkind in ('v', 'm')
       union all
       select format('drop function if exists %s cascade', p.oid::regprocedure)
       from pg_proc as p inner join pg_namespace as n on n.oid = p.pronamespace
       where n.nspname = any($1::text[])`,
      [PIPELINE_SCHEMAS],
    );
    expect(drops).toHaveLength(SCHEMA_MODELS.length);
    for (const { statement } of drops) await client.query(statement);
    for (const model of schema.models) await client.query(model.sql);
    const remade = { catalog: await catalog(client), access: await access(client) };
    await client.query('rollback');
    expect(remade).toEqual(before);
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
});

test('a new migration has every model applied again, so one that drops a view to change a table loses nothing', async () => {
  const before = { catalog: await catalog(upgraded.pool), access: await access(upgraded.pool) };
  const next = {
    version: 9999,
    name: 'drop_a_view',
    file: '9999_drop_a_view.sql',
    sql: 'drop view ops.rejected_files; alter table raw.files alter column error type text;',
    checksum: 'test-9999',
  };
  const { applied } = await migrate(upgraded.pool, { ...schema, migrations: [...schema.migrations, next] });
  expect(applied).toEqual(['9999_drop_a_view.sql', ...MODEL_FILES]);
  expect(await catalog(upgraded.pool)).toEqual(before.catalog);
  expect(await access(upgraded.pool)).toEqual(before.access);
});

test('a model dropped from the list loses its record; the order of the list is checked before anything runs', async () => {
  const without = { ...schema, models: schema.models.filter((m) => m.name !== 'ops/run_owner_alive') };
  expect(await migrate(upgraded.pool, without)).toEqual({ applied: [] });
  expect(Object.keys(await records(upgraded.pool))).not.toContain('ops/run_owner_alive');
  expect((await migrate(upgraded.pool)).applied).toEqual(['models/ops/run_owner_alive.sql']);

  const reversed = { ...schema, models: [...schema.models].reverse() };
  const before = await records(upgraded.pool);
  await expect(migrate(upgraded.pool, reversed)).rejects.toThrow(
    'Schema model analytics/user_lifecycle_monthly depends on analytics/lifecycle_periods, which must come before it',
  );
  expect(await records(upgraded.pool)).toEqual(before);
});

test('the list of models and the files in sql/models agree', () => {
  expect(listModels().map((model) => model.name)).toEqual(SCHEMA_MODELS.map((model) => model.name));
  expect(() => listModels(SCHEMA_MODELS.slice(1))).toThrow(
    'sql/models has files SCHEMA_MODELS does not list (lambdas/warehouse/schema-models.ts): raw/invalid_lines',
  );
  expect(() => listModels([...SCHEMA_MODELS, { name: 'ops/nowhere', dependsOn: [] }])).toThrow(
    'SCHEMA_MODELS lists models with no file in sql/models: ops/nowhere',
  );
});

test('each model declares every dependency PostgreSQL records on another model', async () => {
  const { rows } = await fresh.pool.query<{ object: string; depends_on: string }>(
    `with objects as (
       select 'pg_class'::regclass as classid, c.oid, n.nspname, c.relname as name
       from pg_class as c inner join pg_namespace as n on n.oid = c.relnamespace
       where n.nspname = any($1::text[]) and c.relkind in ('v', 'm')
       union all
       select 'pg_proc'::regclass, p.oid, n.nspname, p.proname
       from pg_proc as p inner join pg_namespace as n on n.oid = p.pronamespace
       where n.nspname = any($1::text[])
     ),
     -- A view's dependencies are recorded on its rewrite rule; a function's on itself.
     dependencies as (
       select o.name as object, d.refclassid, d.refobjid
       from objects as o
       inner join pg_depend as d
         on (o.classid = 'pg_class'::regclass and d.classid = 'pg_rewrite'::regclass
             and d.objid in (select r.oid from pg_rewrite as r where r.ev_class = o.oid))
         or (d.classid = o.classid and d.objid = o.oid)
     )
     select distinct d.object, r.name as depends_on
     from dependencies as d
     inner join objects as r on r.classid = d.refclassid and r.oid = d.refobjid and r.name <> d.object
     order by 1, 2`,
    [PIPELINE_SCHEMAS],
  );
  const byObject = new Map(SCHEMA_MODELS.map((model) => [model.name.split('/')[1], model]));
  const recorded = rows.map((row) => ({
    model: byObject.get(row.object)?.name,
    dependsOn: byObject.get(row.depends_on)?.name,
  }));
  expect(recorded).toEqual([
    { model: 'staging/raw_events_checked', dependsOn: 'staging/is_number_at_least' },
    { model: 'staging/raw_events_checked', dependsOn: 'staging/json_number' },
    { model: 'staging/raw_events_checked', dependsOn: 'staging/min_event_at' },
    { model: 'staging/raw_events_checked', dependsOn: 'staging/parse_event_timestamp' },
    { model: 'staging/raw_events_checked', dependsOn: 'staging/truncated_ip' },
    { model: 'analytics/user_lifecycle_monthly', dependsOn: 'analytics/lifecycle_periods' },
    { model: 'analytics/user_lifecycle_weekly', dependsOn: 'analytics/lifecycle_periods' },
  ]);
  for (const { model, dependsOn } of recorded)
    expect(SCHEMA_MODELS.find((m) => m.name === model)?.dependsOn).toContain(dependsOn);
});

describe('materialized views applied again', () => {
  let db: TestDatabase;
  let reader: Pool;
  const AS_OF = '2024-03-15';
  const TABLES = [...CORE_AND_ANALYTICS_TABLES, ...PUBLISHED_TABLES];
  beforeAll(async () => {
    db = await createTestDatabase();
    reader = createReaderPool(db.url);
    await runWarehouse(db.pool, { sources: cohortFiles(), asOf: AS_OF });
  });
  afterAll(async () => {
    await reader?.end();
    await db?.drop();
  });

  test('are empty until the next run refreshes them; readers see the published tables throughout', async () => {
    const published = await snapshotTables(db.pool, TABLES);
    const dau = (await reader.query('select * from analytics.daily_active_users order by activity_date'))
      .rows;
    expect(dau.length).toBeGreaterThan(10);
    expect(Object.values(await populated(db.pool)).every(Boolean)).toBe(true);

    await db.pool.query(`update ops.schema_models set checksum = 'stale' where name like 'analytics/%'`);
    expect((await migrate(db.pool)).applied).toEqual(
      MODEL_FILES.filter((file) => file.startsWith('models/analytics/')),
    );
    expect(await populated(db.pool)).toEqual(
      Object.fromEntries(ANALYTICS_VIEWS.map((view) => [view, false])),
    );
    expect(
      (await reader.query('select * from analytics.daily_active_users order by activity_date')).rows,
    ).toEqual(dau);
    expect(await snapshotTables(db.pool, TABLES)).toEqual(published);

    const run = await runWarehouse(db.pool, { asOf: AS_OF });
    expect(run.views.map((view) => view.rows)).toEqual(
      await Promise.all(
        ANALYTICS_VIEWS.map(
          async (view) =>
            (await db.pool.query(`select count(*)::integer as n from analytics.${view}`)).rows[0].n,
        ),
      ),
    );
    expect(Object.values(await populated(db.pool))).toEqual(ANALYTICS_VIEWS.map(() => true));
    expect(await snapshotTables(db.pool, TABLES)).toEqual(published);
  });
});
