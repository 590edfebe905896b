import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from '../../lambdas/warehouse/db';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { createReaderPool } from '../../dashboard/reader';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { REVENUE_AS_OF, revenueFiles } from '../support/revenue-fixture';

// The example queries of docs/metrics.md, section 11, are what BI users copy: each must run as a BI
// login (analytics_reader) on a warehouse the pipeline built, or as a pipeline role where the docs say it
// needs one, and the revenue ones must find rows.
const metrics = readFileSync(path.resolve(__dirname, '../../docs/metrics.md'), 'utf8');
const section = metrics.slice(metrics.indexOf('## 11. Example queries'), metrics.indexOf('## 12. Caveats'));
// Every sql block under each heading of the section (a heading may hold several, with prose between).
const examples = section
  .split('\n### ')
  .slice(1)
  .flatMap((part) => {
    const title = part.slice(0, part.indexOf('\n'));
    const blocks = [...part.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1] as string);
    return blocks.map((sql, index) => ({
      title: blocks.length > 1 ? `${title} (${index + 1})` : title,
      sql,
    }));
  });

let db: TestDatabase;
let reader: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: revenueFiles(), asOf: REVENUE_AS_OF });
  reader = createReaderPool(db.url);
});
afterAll(async () => {
  await reader?.end();
  await db?.drop();
});

test('section 11 holds the examples, the revenue and account ones among them', () => {
  expect(examples.length).toBeGreaterThanOrEqual(9);
  expect(examples.map((e) => e.title)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^MRR waterfall/),
      expect.stringMatching(/^Paying accounts/),
    ]),
  );
});

// Those reading raw, staging or core say that they need a pipeline role; the rest are for BI logins.
const needsPipelineRole = (sql: string) => /\b(raw|staging|core)\./.test(sql);

test.each(examples.map((e) => [e.title, e.sql]))('"%s" runs', async (_title, sql) => {
  const pool = needsPipelineRole(sql) ? db.pool : reader;
  await expect(pool.query(sql)).resolves.toEqual(expect.anything());
});

test('the revenue and account examples are for BI logins', () => {
  const revenue = examples.filter((e) => /analytics\.(mrr_monthly|account_health|trial_to_paid)/.test(e.sql));
  expect(revenue).toHaveLength(3);
  for (const example of revenue) expect(needsPipelineRole(example.sql)).toBe(false);
});

test('the MRR waterfall finds complete months on the revenue fixture', async () => {
  const waterfall = examples.find((e) => e.title.startsWith('MRR waterfall'));
  const { rows } = await reader.query(waterfall?.sql ?? '');
  expect(rows.length).toBeGreaterThan(0);
});
