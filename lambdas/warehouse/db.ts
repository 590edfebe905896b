import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, 'query'>;

// Without these parsers `date` columns come back as JS Dates at local midnight and `bigint` as strings.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
});

/** Session settings on top of the defaults, e.g. `{ statement_timeout: '870s' }`. */
export type SessionSettings = Readonly<Record<string, string>>;

export function createPool(
  connection: string | pg.PoolConfig,
  max = 4,
  settings: SessionSettings = {},
): Pool {
  // JIT compiles each costly-looking plan for ~0.3 s; the analytics views are small and were 50x slower
  // with it. All dates are UTC; the session zone is pinned so that nothing can depend on the server's.
  const session = { jit: 'off', timezone: 'UTC', ...settings };
  const pool = new pg.Pool({
    ...(typeof connection === 'string' ? { connectionString: connection } : connection),
    max,
    application_name: 'saas-pipeline',
    options: Object.entries(session)
      .map(([name, value]) => `-c ${name}=${value}`)
      .join(' '),
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one client; rolls back on any error. `begin` may set its mode. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin = 'begin',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
