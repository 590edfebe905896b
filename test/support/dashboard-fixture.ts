import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { cohortFiles } from './cohort-fixture';
import { ndjsonSource } from './events';

/** The dashboard's as-of date for the fixture below. */
export const DASHBOARD_AS_OF = '2024-03-15';

/**
 * The four users of the cohort fixture (see test/support/cohort-fixture.ts), plus a file with two bad
 * lines (one not JSON, one without user_id), run through the warehouse as of 2024-03-15.
 */
export async function loadDashboardFixture(pool: Parameters<typeof runWarehouse>[0]): Promise<void> {
  const bad = ndjsonSource('events/dt=2024-03-14/part-0001.ndjson.gz', [
    '{"event_id": "broken',
    JSON.stringify({
      event_id: 'no-user',
      event_type: 'user_login',
      event_timestamp: '2024-03-14T10:00:00Z',
      properties: {},
    }),
  ]);
  await runWarehouse(pool, { sources: [...cohortFiles(), bad], asOf: DASHBOARD_AS_OF, trigger: 'test' });
}
