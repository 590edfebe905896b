import type { Queryable } from '../../lambdas/warehouse/db';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { cohortFiles } from '../support/cohort-fixture';
import { type FixtureEvent, ndjsonSource } from '../support/events';

/** The as-of date of the engagement fixture: Wednesday of ISO week 13 of 2024 (Mar 25 to 31). */
export const ENGAGEMENT_AS_OF = '2024-03-27';

/**
 * Four users and an anonymous person, for the engagement panels (lifecycle, N-day retention, sessions,
 * the activation funnel, DAU by plan and platform); every figure is worked out by hand in
 * test/dashboard/data.test.ts. All times UTC, the reporting zone.
 *
 *   ann  signs up free on web Mon Feb 5 and creates a document; edits it Feb 6 (web, then in an ios
 *        session that evening) and Feb 8; logs in Feb 12 (day 7) and Feb 14, when she subscribes to
 *        pro at 10:00; back on Mar 26. Reaches all five steps.
 *   bob  signs up on ios Wed Feb 7, creates a document, shares it Feb 8; back on Mar 6. Steps 1 to 3.
 *   cat  signs up on web Mon Feb 26 and only logs in: Feb 27, Mar 1, Mar 4 (two sessions), Mar 12 and
 *        Mar 27 (A). Step 1.
 *   dan  signs up on android Mon Mar 18, creates a document, edits it Mar 19 and Mar 25 (day 7).
 *        Steps 1 to 4, in a cohort not complete yet.
 *   anon-z  one anonymous Segment call on Mar 19: active that day, no plan, no session of a user.
 */
export async function loadEngagementFixture(pool: Queryable & Parameters<typeof runWarehouse>[0]) {
  const anonymous = ndjsonSource('segment-logs/web/1710806400000/1710806400000.anon.gz', [
    JSON.stringify({
      type: 'track',
      event: 'Feature Used',
      messageId: 'anon-z-1',
      anonymousId: 'anon-z',
      timestamp: '2024-03-19T12:00:00Z',
      properties: { featureId: 'export', featureName: 'Export', sessionId: 'ses_anon_z' },
      context: { device: { type: 'web' } },
    }),
  ]);
  await runWarehouse(pool, {
    sources: [...cohortFiles(ENGAGEMENT_EVENTS), anonymous],
    asOf: ENGAGEMENT_AS_OF,
    trigger: 'test',
  });
}

const ios = { platform: 'ios' };
const android = { platform: 'android' };

type Extra = Pick<FixtureEvent, 'session' | 'properties' | 'context'>;
const event = (user: string, type: string, at: string, extra: Extra = {}): FixtureEvent => ({
  id: `${user}-${type}-${at}`,
  type,
  at,
  user,
  ...extra,
});
const signup = (user: string, at: string, extra: Extra = {}) =>
  event(user, 'user_signed_up', at, { ...extra, properties: { plan: 'free' } });
const login = (user: string, at: string, extra: Extra = {}) => event(user, 'user_login', at, extra);
const doc = (user: string, type: string, at: string, extra: Extra = {}) =>
  event(user, type, at, { ...extra, properties: { document_id: `doc-${user}` } });

export const ENGAGEMENT_EVENTS: FixtureEvent[] = [
  signup('ann', '2024-02-05T09:00:00Z'),
  doc('ann', 'document_created', '2024-02-05T09:10:00Z'),
  login('ann', '2024-02-06T10:00:00Z'),
  doc('ann', 'document_edited', '2024-02-06T10:20:00Z'),
  login('ann', '2024-02-06T20:00:00Z', { session: 'ses_ann_ios', context: ios }),
  doc('ann', 'document_edited', '2024-02-06T20:05:00Z', { session: 'ses_ann_ios', context: ios }),
  doc('ann', 'document_edited', '2024-02-08T11:00:00Z'),
  login('ann', '2024-02-08T11:30:00Z'),
  login('ann', '2024-02-12T09:30:00Z'),
  login('ann', '2024-02-14T08:00:00Z'),
  event('ann', 'subscription_started', '2024-02-14T10:00:00Z', {
    properties: { plan: 'pro', previous_plan: 'free', billing_cycle: 'monthly' },
  }),
  login('ann', '2024-03-26T09:00:00Z'),

  signup('bob', '2024-02-07T12:00:00Z', { context: ios }),
  doc('bob', 'document_created', '2024-02-07T12:30:00Z', { context: ios }),
  doc('bob', 'document_shared', '2024-02-08T12:00:00Z', { context: ios }),
  login('bob', '2024-03-06T18:00:00Z', { context: ios }),

  signup('cat', '2024-02-26T09:00:00Z'),
  login('cat', '2024-02-26T09:15:00Z'),
  login('cat', '2024-02-27T10:00:00Z'),
  login('cat', '2024-03-01T10:00:00Z'),
  login('cat', '2024-03-04T10:00:00Z', { session: 'ses_cat_morning' }),
  login('cat', '2024-03-04T10:40:00Z', { session: 'ses_cat_morning' }),
  login('cat', '2024-03-04T15:00:00Z', { session: 'ses_cat_afternoon' }),
  login('cat', '2024-03-12T10:00:00Z'),
  login('cat', '2024-03-27T10:00:00Z'),

  signup('dan', '2024-03-18T09:00:00Z', { context: android }),
  doc('dan', 'document_created', '2024-03-18T09:20:00Z', { context: android }),
  doc('dan', 'document_edited', '2024-03-19T09:00:00Z', { context: android }),
  doc('dan', 'document_edited', '2024-03-25T09:00:00Z', { context: android }),
];
