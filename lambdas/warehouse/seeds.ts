import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { PoolClient, Queryable } from './db';
import { loadSegmentMapping } from './segment-mapping';
import { readSql, sqlDir } from './sql-files';

/** A table whose rows come from a file users edit: sql/seeds/<name>.csv or .json. */
export interface Seed {
  readonly name: string;
  /** Relative to sql/: `seeds/price_list.csv`. */
  readonly file: string;
  readonly checksum: string;
  readonly text: string;
}

/** One row of the price list, as the file has it; the price stays text so that it reaches numeric exactly. */
export interface PriceListRow {
  readonly plan: string;
  readonly billingCycle: 'monthly' | 'annual';
  readonly price: string;
  readonly currency: string;
  readonly position: number;
}

interface SeedLoader {
  readonly load: (client: PoolClient, seed: Seed) => Promise<void>;
  /**
   * A change re-derives the core for every staged date. The Segment mapping's does not: it applies to
   * what is staged from then on, and `saas-pipeline reprocess` applies it to dates already staged.
   */
  readonly rebuildsCore: boolean;
}

/** How each seed is read and loaded; a file in sql/seeds with no loader here is an error. */
const LOADERS: Record<string, SeedLoader> = {
  price_list: { load: loadPriceList, rebuildsCore: true },
  segment_mapping: {
    load: (client, seed) => loadSegmentMapping(client, seed.text, `sql/${seed.file}`),
    rebuildsCore: false,
  },
};

export function seedOf(name: string, text: string, extension = 'csv'): Seed {
  return {
    name,
    file: `seeds/${name}.${extension}`,
    checksum: createHash('sha256').update(text).digest('hex'),
    text,
  };
}

/** The project's seeds, each read from its file. */
export function listSeeds(): Seed[] {
  const files = readdirSync(path.join(sqlDir(), 'seeds'))
    .filter((file) => /\.(csv|json)$/.test(file))
    .sort();
  const unknown = files.filter((file) => !(baseName(file) in LOADERS));
  if (unknown.length > 0)
    throw new Error(
      `sql/seeds has files no loader reads (lambdas/warehouse/seeds.ts): ${unknown.join(', ')}`,
    );
  return files.map((file) => seedOf(baseName(file), readSql(`seeds/${file}`), path.extname(file).slice(1)));
}

const baseName = (file: string): string => file.slice(0, -path.extname(file).length);

const PRICE_LIST_HEADER = 'plan,billing_cycle,price,currency';
const CYCLES = ['monthly', 'annual'] as const;

/**
 * Reads the price list: a header, then plan,billing_cycle,price,currency per line. Blank lines and
 * lines starting with # are skipped. Plans are lower-cased (core.dim_users compares them so); the
 * price is a plain decimal (12, 12.50), never a float. Any other shape is an error naming its line.
 */
export function parsePriceList(text: string, file = 'sql/seeds/price_list.csv'): PriceListRow[] {
  const rows: PriceListRow[] = [];
  const seen = new Set<string>();
  let header = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (why: string): never => {
      throw new Error(`${file} line ${index + 1}: ${why}: ${JSON.stringify(raw)}`);
    };
    if (!header) {
      if (line.replace(/\s+/g, '') !== PRICE_LIST_HEADER) fail(`the header must be ${PRICE_LIST_HEADER}`);
      header = true;
      return;
    }
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== 4) fail('a row has 4 fields: plan,billing_cycle,price,currency');
    const [plan, cycle, price, currency] = fields as [string, string, string, string];
    if (plan === '') fail('the plan is empty');
    if (!(CYCLES as readonly string[]).includes(cycle)) fail(`billing_cycle must be ${CYCLES.join(' or ')}`);
    if (!/^\d{1,15}(\.\d{1,6})?$/.test(price))
      fail('price must be a decimal number >= 0, such as 12 or 12.50');
    if (!/^[A-Z]{3}$/.test(currency)) fail('currency must be three upper-case letters (ISO 4217)');
    const key = `${plan.toLowerCase()},${cycle},${currency}`;
    if (seen.has(key)) fail(`${key} is listed twice`);
    seen.add(key);
    rows.push({
      plan: plan.toLowerCase(),
      billingCycle: cycle as PriceListRow['billingCycle'],
      price,
      currency,
      position: rows.length + 1,
    });
  });
  if (!header) throw new Error(`${file}: no header (${PRICE_LIST_HEADER})`);
  if (rows.length === 0) throw new Error(`${file}: no prices`);
  return rows;
}

async function loadPriceList(client: PoolClient, seed: Seed): Promise<void> {
  const rows = parsePriceList(seed.text, `sql/${seed.file}`);
  await client.query('delete from core.price_list');
  await client.query(
    `insert into core.price_list (plan, billing_cycle, currency, price, cycle_months, position)
     select plan, billing_cycle, currency, price::numeric,
       case billing_cycle when 'monthly' then 1 else 12 end, position
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[])
       as r (plan, billing_cycle, currency, price, position)`,
    [
      rows.map((row) => row.plan),
      rows.map((row) => row.billingCycle),
      rows.map((row) => row.currency),
      rows.map((row) => row.price),
      rows.map((row) => row.position),
    ],
  );
}

/**
 * Loads each seed whose file changed since ops.seeds recorded it (all of them the first time), in the
 * migrator's transaction. A seed prices or names things the core derives for every date, so a change
 * marks every staged date pending: the next run rebuilds all of the core with it.
 */
export async function applySeeds(client: PoolClient, seeds: readonly Seed[]): Promise<string[]> {
  if (seeds.length === 0) return [];
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'select name, checksum from ops.seeds',
  );
  const recorded = new Map(rows.map((row) => [row.name, row.checksum]));
  const applied: string[] = [];
  let rebuildCore = false;
  for (const seed of seeds) {
    if (recorded.get(seed.name) === seed.checksum) continue;
    const loader = LOADERS[seed.name];
    if (loader === undefined) throw new Error(`No loader for seed ${seed.file}`);
    await loader.load(client, seed);
    rebuildCore ||= loader.rebuildsCore;
    await client.query(
      `insert into ops.seeds (name, checksum) values ($1, $2)
       on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
      [seed.name, seed.checksum],
    );
    applied.push(seed.file);
  }
  if (rebuildCore)
    await client.query(
      `insert into ops.pending_dates (event_date)
       select distinct event_date from staging.events order by event_date
       on conflict (event_date) do update set marked_at = excluded.marked_at`,
    );
  return applied;
}

/** The seeds whose file is not what ops.seeds recorded (all of them before the migration that makes it). */
export async function staleSeeds(db: Queryable, seeds: readonly Seed[]): Promise<Seed[]> {
  if (seeds.length === 0) return [];
  const { rows: present } = await db.query<{ present: boolean }>(
    `select to_regclass('ops.seeds') is not null as present`,
  );
  const recorded =
    present[0]?.present === true
      ? new Map(
          (
            await db.query<{ name: string; checksum: string }>('select name, checksum from ops.seeds')
          ).rows.map((row) => [row.name, row.checksum]),
        )
      : new Map<string, string>();
  return seeds.filter((seed) => recorded.get(seed.name) !== seed.checksum);
}
