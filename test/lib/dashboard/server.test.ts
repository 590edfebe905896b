import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { loadFeatureUsage } from '../../../lib/dashboard/data';
import { createReaderPool } from '../../../lib/dashboard/reader';
import { type DashboardServer, startDashboardServer } from '../../../lib/dashboard/server';
import type { Pool } from '../../../lambdas/warehouse/db';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { loadDashboardFixture } from '../../support/dashboard-fixture';

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

/** A raw HTTP/1.1 request, for what fetch would refuse to send. */
function rawRequest(lines: string[]): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
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
