import { assertSchemaCurrent, loadSchema, migrate } from '../../../lambdas/warehouse/migrate';
import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { listSeeds, parsePriceList, seedOf } from '../../../lambdas/warehouse/seeds';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { fileOf } from '../../support/events';

// The seeds of sql/seeds, loaded by the migrator when their file changes, as the models are applied.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const priceList = async () =>
  (
    await db.pool.query(
      `select plan, billing_cycle, currency, price::text, cycle_months, position from core.price_list order by position`,
    )
  ).rows;

test('the shipped price list is the documented default, loaded exactly, and recorded', async () => {
  expect(await priceList()).toEqual([
    { plan: 'free', billing_cycle: 'monthly', currency: 'USD', price: '0', cycle_months: 1, position: 1 },
    { plan: 'free', billing_cycle: 'annual', currency: 'USD', price: '0', cycle_months: 12, position: 2 },
    { plan: 'pro', billing_cycle: 'monthly', currency: 'USD', price: '12', cycle_months: 1, position: 3 },
    { plan: 'pro', billing_cycle: 'annual', currency: 'USD', price: '120', cycle_months: 12, position: 4 },
    {
      plan: 'enterprise',
      billing_cycle: 'monthly',
      currency: 'USD',
      price: '30',
      cycle_months: 1,
      position: 5,
    },
    {
      plan: 'enterprise',
      billing_cycle: 'annual',
      currency: 'USD',
      price: '300',
      cycle_months: 12,
      position: 6,
    },
  ]);
  const recorded = await db.pool.query('select name, checksum from ops.seeds order by name');
  expect(recorded.rows).toEqual(listSeeds().map((seed) => ({ name: seed.name, checksum: seed.checksum })));
  expect(recorded.rows.map((row) => row.name)).toEqual(['price_list', 'segment_mapping']);
  await expect(assertSchemaCurrent(db.pool)).resolves.toBeUndefined();
  expect(await migrate(db.pool)).toEqual({ applied: [] });
});

test('an edited price list is loaded by the next migrate, refused by assertSchemaCurrent until then, and has every date rebuilt', async () => {
  await runWarehouse(db.pool, {
    sources: [
      fileOf('events/dt=2024-05-01/part-0000.ndjson.gz', [
        { id: 'e1', type: 'user_login', at: '2024-05-01T10:00:00Z', user: 'u1' },
      ]),
      fileOf('events/dt=2024-05-02/part-0000.ndjson.gz', [
        { id: 'e2', type: 'user_login', at: '2024-05-02T10:00:00Z', user: 'u1' },
      ]),
    ],
  });
  expect((await db.pool.query('select count(*)::integer as n from ops.pending_dates')).rows[0].n).toBe(0);

  const edited = seedOf(
    'price_list',
    '# prices in two currencies\nplan,billing_cycle,price,currency\n\nPro,monthly,12.50,EUR\npro,monthly,13,USD\n',
  );
  const schema = { ...loadSchema(), seeds: [edited] };
  await expect(assertSchemaCurrent(db.pool, schema)).rejects.toThrow(
    /seeds not loaded or changed: seeds\/price_list\.csv/,
  );
  expect(await migrate(db.pool, schema)).toEqual({ applied: ['seeds/price_list.csv'] });
  expect(await priceList()).toEqual([
    { plan: 'pro', billing_cycle: 'monthly', currency: 'EUR', price: '12.50', cycle_months: 1, position: 1 },
    { plan: 'pro', billing_cycle: 'monthly', currency: 'USD', price: '13', cycle_months: 1, position: 2 },
  ]);
  const pending = await db.pool.query('select event_date from ops.pending_dates order by 1');
  expect(pending.rows.map((row) => row.event_date)).toEqual(['2024-05-01', '2024-05-02']);

  // Back to the file: loaded again, and the dates stay pending for the next run.
  expect(await migrate(db.pool)).toEqual({ applied: ['seeds/price_list.csv'] });
  expect(await priceList()).toHaveLength(6);
});

test('a price list that is not well-formed is refused with its line, and changes nothing', async () => {
  const header = 'plan,billing_cycle,price,currency';
  const cases: [string, string][] = [
    ['plan,cycle,price\npro,monthly,12,USD', 'line 1: the header must be plan,billing_cycle,price,currency'],
    [`${header}\npro,monthly,12`, 'line 2: a row has 4 fields'],
    [`${header}\n,monthly,12,USD`, 'line 2: the plan is empty'],
    [`${header}\npro,weekly,12,USD`, 'line 2: billing_cycle must be monthly or annual'],
    [`${header}\npro,monthly,1.2e1,USD`, 'line 2: price must be a decimal number >= 0'],
    [`${header}\npro,monthly,-12,USD`, 'line 2: price must be a decimal number >= 0'],
    [`${header}\npro,monthly,12,usd`, 'line 2: currency must be three upper-case letters'],
    [`${header}\npro,monthly,12,USD\n\nPRO,monthly,13,USD`, 'line 4: pro,monthly,USD is listed twice'],
    [`${header}\n`, 'no prices'],
    ['# only a comment', 'no header'],
  ];
  for (const [text, message] of cases) expect(() => parsePriceList(text)).toThrow(message);

  const before = await priceList();
  const broken = { ...loadSchema(), seeds: [seedOf('price_list', `${header}\npro,monthly,twelve,USD\n`)] };
  await expect(migrate(db.pool, broken)).rejects.toThrow(
    'sql/seeds/price_list.csv line 2: price must be a decimal number >= 0',
  );
  expect(await priceList()).toEqual(before);
});
