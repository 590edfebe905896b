import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { AUTHENTICATE, sameToken } from '../../dashboard/auth';
import { loadFeatureUsage } from '../../dashboard/data';
import { API_STATEMENT_TIMEOUT_SECONDS, createReaderPool, READER_POOL_SIZE } from '../../dashboard/reader';
import { type DashboardServer, MAX_QUEUED_READS, startDashboardServer } from '../../dashboard/server';
import type { Pool, Queryable } from '../../lambdas/warehouse/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadDashboardFixture } from '../support/dashboard-fixture';

let db: TestDatabase;
let reader: Pool;
let server: DashboardServer;
const errors: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  await loadDashboardFixture(db.pool);
  reader = createReaderPool(db.url);
  server = await startDashboardServer({ db: reader, port: 0, logError: (m) => errors.push(m) });
});
afterAll(async () => {
  await server.close();
  await reader.end();
  await db.drop();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);

test('listens on loopback and serves the page, its script and the API', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  const html = await page.text();
  expect(html).toContain('<script src="dashboard.js" defer></script>');
  expect(html).not.toContain('dashboard-data');
  const script = await get('/dashboard.js');
  expect(script.headers.get('content-type')).toMatch(/javascript/);
  expect((await script.text()).length).toBeGreaterThan(100_000);
  const overview = (await (await get('/api/overview')).json()) as { headline: { users: number } };
  expect(overview.headline.users).toBe(4);
});

test('feature use for a range is what the query gives for it', async () => {
  const response = await get('/api/features?from=2024-02&to=2024-03');
  expect(response.status).toBe(200);
  const [expected] = await loadFeatureUsage(reader, [{ from: '2024-02', to: '2024-03' }]);
  expect(await response.json()).toEqual(expected);
  expect(expected?.[0]?.totalUses).toBe(3);
});

test('bad ranges, other methods and unknown paths get clear errors, never a stack', async () => {
  const cases: [string, RequestInit | undefined, number, RegExp][] = [
    ['/api/features?from=2024-13&to=2024-03', undefined, 400, /months like 2024-03/],
    ['/api/features?from=2024-03&to=2024-01', undefined, 400, /not be after/],
    ["/api/features?from=2024-01';drop table x&to=2024-03", undefined, 400, /months like/],
    ['/api/features', undefined, 400, /months like/],
    ['/api/overview', { method: 'POST' }, 405, /only GET/],
    ['/etc/passwd', undefined, 404, /no such page/],
  ];
  for (const [path, init, status, message] of cases) {
    const response = await get(path, init);
    expect([path, response.status]).toEqual([path, status]);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  }
  expect(errors).toEqual([]);
});

test('HEAD answers with the headers and no body', async () => {
  const response = await get('/api/overview', { method: 'HEAD' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/json/);
  expect(await response.text()).toBe('');
});

/** A raw HTTP/1.1 request, for what fetch would refuse to send (a Host header of our choosing). */
function rawRequest(
  lines: string[],
  port = Number(new URL(server.url).port),
  address = '127.0.0.1',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, address, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('a request for another host name (DNS rebinding) or a malformed target is refused, and the server lives on', async () => {
  const rebound = await rawRequest(['GET /api/overview HTTP/1.1', 'Host: evil.example', 'Connection: close']);
  expect(rebound).toMatch(/^HTTP\/1\.1 421/);
  const malformed = await rawRequest([
    'GET http://[/ HTTP/1.1',
    `Host: ${new URL(server.url).host}`,
    'Connection: close',
  ]);
  expect(malformed).toMatch(/^HTTP\/1\.1 400/);
  const localhost = await rawRequest([
    'GET /healthz HTTP/1.1',
    `Host: localhost:${new URL(server.url).port}`,
    'Connection: close',
  ]);
  expect(localhost).toMatch(/^HTTP\/1\.1 200/);
  expect((await get('/healthz')).status).toBe(200);
});

test('a database failure is a 500 with a generic message; the cause goes to the log', async () => {
  const broken = createReaderPool('postgres://postgres@127.0.0.1:1/none');
  const failing = await startDashboardServer({ db: broken, port: 0, logError: (m) => errors.push(m) });
  try {
    const response = await fetch(new URL('/api/overview', failing.url));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: 'the server could not read the analytics; its log says why',
    });
    expect(errors.at(-1)).toMatch(/GET \/api\/overview failed: .*ECONNREFUSED/);
  } finally {
    await failing.close();
    await broken.end();
  }
});

test('a port that is taken is named in the error', async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const port = (squatter.address() as AddressInfo).port;
  try {
    await expect(startDashboardServer({ db: reader, port })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is taken`,
    );
  } finally {
    squatter.close();
  }
});

test('a month range may span 60 months, not 61', async () => {
  const sixty = await get('/api/features?from=2020-01&to=2024-12');
  expect(sixty.status).toBe(200);
  expect(((await sixty.json()) as unknown[]).length).toBeGreaterThan(0);
  const sixtyOne = await get('/api/features?from=2019-12&to=2024-12');
  expect(sixtyOne.status).toBe(400);
  expect(await sixtyOne.json()).toEqual({
    error: 'a range may span at most 60 months; 2019-12 to 2024-12 spans 61',
  });
});

test('the server reads with a 10 s statement timeout; a report may take 30 s', async () => {
  const api = createReaderPool(db.url, { statementTimeoutSeconds: API_STATEMENT_TIMEOUT_SECONDS });
  try {
    expect((await api.query('show statement_timeout')).rows).toEqual([{ statement_timeout: '10s' }]);
    expect((await reader.query('show statement_timeout')).rows).toEqual([{ statement_timeout: '30s' }]);
  } finally {
    await api.end();
  }
});

test('the token comparison tells equal tokens from unequal ones of any length (constant time is by construction: it compares two SHA-256 digests)', () => {
  const token = 'a-token-of-24-characters';
  expect(sameToken(token, token)).toBe(true);
  expect(sameToken(token.replace(/s$/, 'x'), token)).toBe(false);
  expect(sameToken(token.slice(0, -1), token)).toBe(false);
  expect(sameToken(`${token}!`, token)).toBe(false);
  expect(sameToken('', token)).toBe(false);
});

test('no server off loopback without a token, and no server with a short one', async () => {
  await expect(startDashboardServer({ db: reader, host: '0.0.0.0', port: 0 })).rejects.toThrow(
    'a dashboard on 0.0.0.0, off loopback, needs a token',
  );
  await expect(startDashboardServer({ db: reader, port: 0, token: 'fifteen-chars!!' })).rejects.toThrow(
    'the dashboard token is shorter than 16 characters',
  );
  await expect(startDashboardServer({ db: reader, port: 0, token: 'sixteen chars ok' })).rejects.toThrow(
    /spaces/,
  );
});

const TOKEN = 'correct-horse-battery-staple';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('a loopback server with a token', () => {
  let locked: DashboardServer;
  const logged: string[] = [];
  beforeAll(async () => {
    locked = await startDashboardServer({
      db: reader,
      port: 0,
      token: TOKEN,
      logError: (m) => logged.push(m),
    });
  });
  afterAll(() => locked.close());

  const call = (path: string, authorization?: string, method = 'GET') =>
    fetch(new URL(path, locked.url), { method, headers: authorization ? { authorization } : {} });

  test('answers 401 to every path without the right token, Basic or Bearer', async () => {
    const wrong = [
      undefined,
      basic('me', 'not-the-token-at-all'),
      basic('me', `${TOKEN}x`),
      basic(TOKEN, ''),
      `Bearer not-the-token-at-all`,
      `Bearer ${TOKEN.slice(1)}`,
      'Basic',
      'Basic !!!not base64!!!',
      `Digest ${TOKEN}`,
      TOKEN,
    ];
    for (const path of [
      '/',
      '/dashboard.js',
      '/api/overview',
      '/api/features?from=2024-01&to=2024-03',
      '/healthz',
      '/nowhere',
    ]) {
      for (const authorization of wrong) {
        const response = await call(path, authorization);
        expect([path, authorization, response.status]).toEqual([path, authorization, 401]);
        expect(response.headers.get('www-authenticate')).toBe(
          'Basic realm="saas-pipeline dashboard", charset="UTF-8"',
        );
        const body = await response.text();
        expect(body).toMatch(/needs its token/);
        expect(body).not.toContain('not-the-token');
      }
    }
    expect(AUTHENTICATE).toBe('Basic realm="saas-pipeline dashboard", charset="UTF-8"');
    const head = await call('/api/overview', undefined, 'HEAD');
    expect(head.status).toBe(401);
    expect(await head.text()).toBe('');
    // Nothing presented, right or wrong, reaches the log.
    expect(logged).toEqual([]);
  });

  test('serves everything with the right token, as Basic password (any user) or Bearer token', async () => {
    for (const authorization of [
      basic('anyone', TOKEN),
      basic('', TOKEN),
      `Bearer ${TOKEN}`,
      `bearer ${TOKEN}`,
    ]) {
      for (const path of ['/', '/dashboard.js', '/api/overview', '/healthz']) {
        const response = await call(path, authorization);
        expect([path, authorization, response.status]).toEqual([path, authorization, 200]);
        await response.arrayBuffer();
      }
    }
    const overview = (await (await call('/api/overview', `Bearer ${TOKEN}`)).json()) as {
      headline: { users: number };
    };
    expect(overview.headline.users).toBe(4);
    // The token is checked before the method: a stranger learns nothing, not even what is allowed.
    expect((await call('/api/overview', undefined, 'POST')).status).toBe(401);
    expect((await call('/api/overview', `Bearer ${TOKEN}`, 'POST')).status).toBe(405);
  });

  test('a foreign Host is refused before any login is asked for', async () => {
    const answer = await rawRequest(
      ['GET / HTTP/1.1', 'Host: evil.example', 'Connection: close'],
      Number(new URL(locked.url).port),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 421/);
    expect(answer).not.toMatch(/www-authenticate/i);
  });
});

/** The first IPv4 address of the machine that is not loopback, if it has one. */
function machineAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal)?.address;
}

describe('a server bound to every interface', () => {
  let open: DashboardServer;
  let port: number;
  beforeAll(async () => {
    open = await startDashboardServer({
      db: reader,
      host: '0.0.0.0',
      port: 0,
      token: TOKEN,
      allowHosts: ['dash.example', 'proxy.example:443'],
    });
    port = Number(new URL(open.url).port);
  });
  afterAll(() => open.close());

  const status = async (host: string | undefined, address = '127.0.0.1') => {
    const lines = ['GET /healthz HTTP/1.1', `Authorization: Bearer ${TOKEN}`, 'Connection: close'];
    const answer = await rawRequest(host === undefined ? lines : [...lines, `Host: ${host}`], port, address);
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  };

  test('is opened through loopback and answers the names of the machine, with the port', async () => {
    expect(open.url).toBe(`http://127.0.0.1:${port}/`);
    const address = machineAddress() ?? '127.0.0.1';
    const allowed = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `${hostname()}:${port}`,
      `${hostname().toUpperCase()}:${port}`,
      `${address}:${port}`,
    ];
    for (const host of allowed) expect([host, await status(host)]).toEqual([host, 200]);
    // Reached through the machine's own address, as another machine would reach it.
    expect(await status(`${address}:${port}`, address)).toBe(200);
    expect(open.hosts).toEqual(
      expect.arrayContaining([`${hostname().toLowerCase()}:${port}`, `${address}:${port}`]),
    );
  });

  test('refuses every other Host with 421, token or not', async () => {
    const refused = [
      `evil.example:${port}`,
      'evil.example',
      `0.0.0.0:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `${hostname()}.evil.example:${port}`,
      'proxy.example',
      `proxy.example:${port}`,
      '',
    ];
    for (const host of refused) expect([host, await status(host)]).toEqual([host, 421]);
    // Without any Host header, node:http itself answers 400.
    expect(await status(undefined)).toBe(400);
  });

  test('answers the names given with --allow-host: alone and with the port, or with the port they name', async () => {
    for (const host of ['dash.example', `dash.example:${port}`, `DASH.example:${port}`, 'proxy.example:443'])
      expect([host, await status(host)]).toEqual([host, 200]);
  });
});

test('a server bound to one address answers only that address', async () => {
  // 127.0.0.2 is a loopback address on Linux, but not one the dashboard treats as loopback.
  const one = await startDashboardServer({ db: reader, host: '127.0.0.2', port: 0, token: TOKEN });
  try {
    const port = Number(new URL(one.url).port);
    const ask = (host: string) =>
      rawRequest(
        [
          'GET /healthz HTTP/1.1',
          `Host: ${host}`,
          `Authorization: ${basic('me', TOKEN)}`,
          'Connection: close',
        ],
        port,
        '127.0.0.2',
      );
    expect(await ask(`127.0.0.2:${port}`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await ask(`127.0.0.1:${port}`)).toMatch(/^HTTP\/1\.1 421/);
    expect(await ask(`localhost:${port}`)).toMatch(/^HTTP\/1\.1 421/);
  } finally {
    await one.close();
  }
});

test('no more requests read at once than the pool has connections, 16 wait, the rest get 503', async () => {
  // The only stub database in these tests: a real query cannot be held still on cue, and this test
  // is about the server's queue, not the SQL. Every query waits until the test lets it go.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let queries = 0;
  const stub = {
    query: async () => {
      queries += 1;
      await held;
      return { rows: [] };
    },
  } as unknown as Queryable;
  const busy = await startDashboardServer({ db: stub, port: 0 });
  try {
    const total = READER_POOL_SIZE + MAX_QUEUED_READS + 5;
    const finished: Response[] = [];
    const requests = Array.from({ length: total }, () =>
      fetch(new URL('/api/overview', busy.url)).then((response) => (finished.push(response), response)),
    );
    // The turned-away answer at once; the admitted and the queued wait for the held queries.
    await until(() => finished.length === 5);
    expect(finished.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(finished.map((r) => r.headers.get('retry-after'))).toEqual(['1', '1', '1', '1', '1']);
    expect(await finished[0]?.json()).toEqual({ error: 'the dashboard is busy: try again in a second' });
    // Only the admitted requests have asked the database anything: the overview's first query each,
    // held (its queries go one after another on one client).
    expect(queries).toBe(READER_POOL_SIZE);
    release();
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(READER_POOL_SIZE + MAX_QUEUED_READS);
    expect(statuses.filter((s) => s === 503)).toHaveLength(5);
    // The page and its script need no connection, and are never queued.
    expect((await fetch(busy.url)).status).toBe(200);
  } finally {
    release();
    await busy.close();
  }
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
