import type { IngestSource } from '../../lambdas/warehouse/ingest';
import { type FixtureEvent, fileOf } from './events';

/**
 * Four users whose metrics are worked out by hand in test/lambdas/warehouse/metrics.test.ts:
 * u1 signs up free in January, subscribes to pro on Feb 5 and cancels on Mar 1; u2 signs up pro and
 * is never seen after Jan 22; u3 signs up in February and uses Templates in three ISO weeks; u4 never
 * sends a sign-up (its first event, Feb 10, stands in).
 */
export const COHORT_EVENTS: FixtureEvent[] = [
  {
    id: 'u1-signup',
    type: 'user_signed_up',
    at: '2024-01-10T10:00:00Z',
    user: 'u1',
    properties: { plan: 'free', email: 'u1@example.com', company: 'Acme', country: 'DE' },
  },
  { id: 'u1-login-1', type: 'user_login', at: '2024-01-10T10:01:00Z', user: 'u1' },
  {
    id: 'u1-tpl-1',
    type: 'feature_used',
    at: '2024-01-10T10:05:00Z',
    user: 'u1',
    properties: { feature_id: 'templates', feature_name: 'Templates', duration_sec: 20 },
  },
  {
    id: 'u1-tpl-2',
    type: 'feature_used',
    at: '2024-01-10T10:10:00Z',
    user: 'u1',
    properties: { feature_id: 'templates', feature_name: 'Templates', duration_sec: 20 },
  },
  {
    id: 'u1-doc1',
    type: 'document_created',
    at: '2024-01-10T10:15:00Z',
    user: 'u1',
    properties: { document_id: 'doc1', title: 'Plan' },
  },
  {
    id: 'u2-signup',
    type: 'user_signed_up',
    at: '2024-01-20T08:00:00Z',
    user: 'u2',
    properties: { plan: 'pro', email: 'u2@example.com' },
  },
  {
    id: 'u2-tpl-1',
    type: 'feature_used',
    at: '2024-01-20T08:30:00Z',
    user: 'u2',
    properties: { feature_id: 'templates', duration_sec: 40 },
  },
  { id: 'u2-login-1', type: 'user_login', at: '2024-01-22T09:00:00Z', user: 'u2' },
  {
    id: 'u2-tpl-2',
    type: 'feature_used',
    at: '2024-01-22T09:10:00Z',
    user: 'u2',
    properties: { feature_id: 'templates', duration_sec: 60 },
  },
  {
    id: 'u2-edit-1',
    type: 'document_edited',
    at: '2024-01-22T09:20:00Z',
    user: 'u2',
    properties: { document_id: 'doc1', edit_duration_sec: 120, characters_added: 50 },
  },
  {
    id: 'u3-signup',
    type: 'user_signed_up',
    at: '2024-02-03T09:00:00Z',
    user: 'u3',
    properties: { plan: 'free' },
  },
  {
    id: 'u3-tpl-1',
    type: 'feature_used',
    at: '2024-02-03T09:05:00Z',
    user: 'u3',
    properties: { feature_id: 'templates', duration_sec: 10 },
  },
  { id: 'u1-login-2', type: 'user_login', at: '2024-02-05T11:00:00Z', user: 'u1' },
  {
    id: 'u1-sub-start',
    type: 'subscription_started',
    at: '2024-02-05T11:05:00Z',
    user: 'u1',
    properties: { plan: 'pro', previous_plan: 'free', billing_cycle: 'monthly' },
  },
  {
    id: 'u3-tpl-2',
    type: 'feature_used',
    at: '2024-02-05T14:00:00Z',
    user: 'u3',
    properties: { feature_id: 'templates' },
  },
  { id: 'u4-login-1', type: 'user_login', at: '2024-02-10T16:00:00Z', user: 'u4' },
  {
    id: 'u4-doc2',
    type: 'document_created',
    at: '2024-02-10T16:10:00Z',
    user: 'u4',
    properties: { document_id: 'doc2' },
  },
  {
    id: 'u3-tpl-3',
    type: 'feature_used',
    at: '2024-02-12T09:30:00Z',
    user: 'u3',
    properties: { feature_id: 'templates', duration_sec: 30 },
  },
  { id: 'u1-login-3', type: 'user_login', at: '2024-03-01T12:00:00Z', user: 'u1' },
  {
    id: 'u1-sub-cancel',
    type: 'subscription_cancelled',
    at: '2024-03-01T12:05:00Z',
    user: 'u1',
    properties: { plan: 'pro', previous_plan: 'pro', reason: 'too_expensive' },
  },
  { id: 'u3-login-1', type: 'user_login', at: '2024-03-14T08:00:00Z', user: 'u3' },
];

/** The fixture as the producer would land it: one file per UTC day. */
export function cohortFiles(events: readonly FixtureEvent[] = COHORT_EVENTS): IngestSource[] {
  const byDay = new Map<string, FixtureEvent[]>();
  for (const event of events) {
    const day = event.at.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), event]);
  }
  return [...byDay.entries()].map(([day, dayEvents]) =>
    fileOf(`events/dt=${day}/part-0000.ndjson.gz`, dayEvents),
  );
}
