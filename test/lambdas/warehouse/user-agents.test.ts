import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { stageAllLoadedFiles } from '../../../lambdas/warehouse/staging';
import {
  parseUserAgent,
  USER_AGENT_LIMITS,
  UserAgentCollector,
} from '../../../lambdas/warehouse/user-agents';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventLine, ndjsonSource } from '../../support/events';

// Browser and OS families: parsed once per distinct user agent when its file loads (ua-parser-js),
// joined at staging, so that analytics need not read the full user agent.
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const IPHONE_APP = 'DocsApp/4.13.2 (iPhone; iOS 17.2; Scale/2.00)';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

test('each event gets its user agent’s browser, OS and device families; each user agent is parsed once', async () => {
  const login = (id: string, userAgent: unknown) =>
    eventLine({
      id,
      type: 'user_login',
      at: '2024-03-01T10:00:00Z',
      user: 'u1',
      context: { platform: 'web', ip_address: '203.0.113.7', user_agent: userAgent },
    });
  await ingestFile(
    db.pool,
    ndjsonSource('events/dt=2024-03-01/ua.ndjson.gz', [
      login('safari', SAFARI),
      login('safari-again', SAFARI),
      login('chrome', CHROME),
      login('app', IPHONE_APP),
      login('quoted', 'Bot "quoted" \\ agent'),
      login('none', null),
    ]),
  );
  await ingestFile(
    db.pool,
    ndjsonSource('segment-logs/web/1709251200000/1709251200000.ua.gz', [
      JSON.stringify({
        type: 'track',
        event: 'Signed In',
        messageId: 'seg-chrome',
        userId: 'u1',
        timestamp: '2024-03-01T11:00:00Z',
        context: { userAgent: CHROME, ip: '203.0.113.8' },
      }),
    ]),
  );
  await stageAllLoadedFiles(db.pool);
  const { rows } = await db.pool.query(
    'select event_id, browser_family, os_family, device_type from staging.events order by event_id',
  );
  expect(rows).toEqual([
    { event_id: 'app', browser_family: null, os_family: 'iOS', device_type: 'mobile' },
    { event_id: 'chrome', browser_family: 'Chrome', os_family: 'Windows', device_type: 'desktop' },
    { event_id: 'none', browser_family: null, os_family: null, device_type: null },
    { event_id: 'quoted', browser_family: null, os_family: null, device_type: null },
    { event_id: 'safari', browser_family: 'Safari', os_family: 'Mac OS', device_type: 'desktop' },
    { event_id: 'safari-again', browser_family: 'Safari', os_family: 'Mac OS', device_type: 'desktop' },
    { event_id: 'seg-chrome', browser_family: 'Chrome', os_family: 'Windows', device_type: 'desktop' },
  ]);
  const parsed = await db.pool.query('select user_agent from raw.user_agents order by user_agent');
  expect(parsed.rows.map((row) => row.user_agent)).toEqual(
    [CHROME, IPHONE_APP, SAFARI, 'Bot "quoted" \\ agent'].sort(),
  );
});

test('memory for user agents is bounded per file, and a long one is not parsed', () => {
  const collector = new UserAgentCollector();
  for (let i = 0; i < USER_AGENT_LIMITS.maxPerFile + 50; i++) collector.add(`{"user_agent":"agent ${i}"}`);
  collector.add(`{"user_agent":"${'x'.repeat(USER_AGENT_LIMITS.maxLength + 1)}"}`);
  expect(collector.seen.size).toBe(USER_AGENT_LIMITS.maxPerFile);
  expect(parseUserAgent('')).toEqual({
    userAgent: '',
    browserFamily: null,
    osFamily: null,
    deviceType: null,
  });
});
