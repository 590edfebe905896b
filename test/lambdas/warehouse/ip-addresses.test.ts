import { stageAllLoadedFiles } from '../../../lambdas/warehouse/staging';
import { ingestFile } from '../../../lambdas/warehouse/ingest';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventLine, ndjsonSource } from '../../support/events';

// IP addresses are stored truncated, /24 for IPv4 and /48 for IPv6, unless FULL_IP_ADDRESSES=on; text
// that is no address is stored as null, and never fails a statement.
const IPS: [string, unknown, string | null, string | null][] = [
  // id, as sent, truncated, kept whole
  ['v4', '203.0.113.77', '203.0.113.0', '203.0.113.77'],
  ['v4-zero', '10.0.0.0', '10.0.0.0', '10.0.0.0'],
  ['v6', '2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::', '2001:db8:85a3:8d3:1319:8a2e:370:7348'],
  ['v6-short', '2001:DB8::1', '2001:db8::', '2001:db8::1'],
  ['octet-too-big', '256.1.1.1', null, null],
  ['three-octets', '1.2.3', null, null],
  ['zone', 'fe80::1%eth0', null, null],
  ['two-gaps', '1::2::3', null, null],
  ['words', 'localhost', null, null],
  ['number', 1234, null, null],
];

const file = () =>
  ndjsonSource(
    'events/dt=2024-03-01/ips.ndjson.gz',
    IPS.map(([id, ip]) =>
      eventLine({
        id,
        type: 'user_login',
        at: '2024-03-01T10:00:00Z',
        user: 'u1',
        context: { platform: 'web', ip_address: ip, user_agent: 'Mozilla/5.0' },
      }),
    ),
  );

async function staged(db: TestDatabase, fullIpAddresses: boolean) {
  await ingestFile(db.pool, file());
  const result = await stageAllLoadedFiles(db.pool, { fullIpAddresses });
  expect(result).toMatchObject({ staged: IPS.length, quarantined: 0 });
  const { rows } = await db.pool.query<{ event_id: string; ip_address: string | null }>(
    'select event_id, ip_address from staging.events',
  );
  return Object.fromEntries(rows.map((row) => [row.event_id, row.ip_address]));
}

let truncated: TestDatabase;
let whole: TestDatabase;
beforeAll(async () => {
  [truncated, whole] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(() => Promise.all([truncated.drop(), whole.drop()]));

test('by default an IPv4 address keeps its /24 and an IPv6 address its /48', async () => {
  expect(await staged(truncated, false)).toEqual(Object.fromEntries(IPS.map(([id, , cut]) => [id, cut])));
});

test('FULL_IP_ADDRESSES keeps valid addresses whole, and still no text that is not one', async () => {
  expect(await staged(whole, true)).toEqual(Object.fromEntries(IPS.map(([id, , , kept]) => [id, kept])));
});
