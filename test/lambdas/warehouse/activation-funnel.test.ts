import { runWarehouse } from '../../../lambdas/warehouse/pipeline';
import { cohortFiles } from '../../support/cohort-fixture';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import type { FixtureEvent } from '../../support/events';

// The activation funnel (docs/metrics.md, section 18), worked out by hand: the March 2024 cohort.
//   f1  signs up Mar 1 09:00; creates a document at 10:00 (1 h); edits on Mar 1 and Mar 3 09:00 (the
//       second day: 48 h); active on Mar 9, day 8 (192 h); starts paying Mar 20 09:00 (456 h).
//   f2  signs up Mar 2 09:00; creates at 12:00 (3 h), shares at 13:00 (4 h); nothing on days 7-13;
//       pays on Mar 5, which does not count: step 4 was skipped.
//   f3  signs up Mar 5; edits on Mar 6 and 7 and is active on day 10, but never creates a document.
//   f4  signs up Mar 10; creates a document on Mar 26, after its 14 days.
const at = (day: string, hour = '09:00') => `2024-03-${day}T${hour}:00Z`;
const event = (id: string, type: string, when: string, user: string, properties = {}): FixtureEvent => ({
  id,
  type,
  at: when,
  user,
  properties: { document_id: `doc-${user}`, ...properties },
});
const signup = (user: string, when: string) =>
  event(`${user}-signup`, 'user_signed_up', when, user, { plan: 'free', email: `${user}@example.com` });
const pays = (user: string, when: string) =>
  event(`${user}-pays`, 'subscription_started', when, user, {
    plan: 'pro',
    previous_plan: 'free',
    billing_cycle: 'monthly',
  });
const EVENTS: FixtureEvent[] = [
  signup('f1', at('01')),
  event('f1-create', 'document_created', at('01', '10:00'), 'f1', { title: 'Plan' }),
  event('f1-edit-1', 'document_edited', at('01', '11:00'), 'f1'),
  event('f1-edit-2', 'document_edited', at('03'), 'f1'),
  event('f1-edit-3', 'document_edited', at('03', '10:00'), 'f1'),
  event('f1-login', 'user_login', at('09'), 'f1'),
  pays('f1', at('20')),
  signup('f2', at('02')),
  event('f2-create', 'document_created', at('02', '12:00'), 'f2', { title: 'Notes' }),
  event('f2-share', 'document_shared', at('02', '13:00'), 'f2'),
  pays('f2', at('05')),
  signup('f3', at('05')),
  event('f3-edit-1', 'document_edited', at('06'), 'f3'),
  event('f3-edit-2', 'document_edited', at('07'), 'f3'),
  event('f3-login', 'user_login', at('15'), 'f3'),
  signup('f4', at('10')),
  event('f4-create', 'document_created', at('26'), 'f4', { title: 'Late' }),
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runWarehouse(db.pool, { sources: cohortFiles(EVENTS), asOf: '2024-04-30' });
});
afterAll(() => db.drop());

test('an ordered funnel: a step counts only after every earlier one; conversions and median hours', async () => {
  const { rows } = await db.pool.query(
    `select step, step_name, users, conversion_rate::text as conversion, median_hours_from_signup::text as hours,
       is_complete
     from analytics.activation_funnel where cohort_month = '2024-03-01' order by step`,
  );
  expect(rows).toEqual([
    { step: 1, step_name: 'signed_up', users: 4, conversion: null, hours: '0.0', is_complete: true },
    {
      step: 2,
      step_name: 'created_document',
      users: 2,
      conversion: '50.00',
      hours: '2.0',
      is_complete: true,
    },
    {
      step: 3,
      step_name: 'edited_on_second_day_or_shared',
      users: 2,
      conversion: '100.00',
      hours: '26.0',
      is_complete: true,
    },
    {
      step: 4,
      step_name: 'active_in_second_week',
      users: 1,
      conversion: '50.00',
      hours: '192.0',
      is_complete: true,
    },
    // f2 paid, but skipped step 4.
    { step: 5, step_name: 'paying', users: 1, conversion: '100.00', hours: '456.0', is_complete: true },
  ]);
});

test('a cohort whose 30 days are not over is incomplete, and events after A count nowhere', async () => {
  await runWarehouse(db.pool, { asOf: '2024-03-19' });
  const { rows } = await db.pool.query(
    `select step, users, is_complete from analytics.activation_funnel where cohort_month = '2024-03-01' order by step`,
  );
  // As of Mar 19, f1 has not paid yet.
  expect(rows).toEqual([
    { step: 1, users: 4, is_complete: false },
    { step: 2, users: 2, is_complete: false },
    { step: 3, users: 2, is_complete: false },
    { step: 4, users: 1, is_complete: false },
    { step: 5, users: 0, is_complete: false },
  ]);
});
