import type { IngestSource } from '../../lambdas/warehouse/ingest';
import { type FixtureEvent, fileOf } from './events';

/**
 * Customers whose revenue is worked out by hand in test/lambdas/warehouse/revenue-core.test.ts and
 * revenue-metrics.test.ts, as of A = 2024-06-20 (the price list is the shipped default):
 *
 * - northwind (alice): pro monthly on Jan 10 (12), enterprise annual on Feb 15 (300 / 12 = 25), pro on
 *   Mar 20 keeping the annual cycle (120 / 12 = 10), cancelled on Apr 5, pro monthly again on Jun 10.
 * - globex: three users whose seats change. bob pro from Feb 3 (12); carol pro from Mar 1 at midnight
 *   (so in March), enterprise from Apr 12 (30); dave (his account in the properties) enterprise from
 *   Mar 6 (30), cancelled May 10.
 * - initech (erin): pro with an explicit mrr of 9.99 from Mar 10 (not the list's 12), 19.99 from May 2.
 * - umbrella (frank): pro annual for an amount of 100 from Apr 15: 100 / 12 = 8.33; cancelled Jun 25,
 *   after A.
 * - soylent (gina), in EUR: an amount of 11 a month from Feb 20; enterprise at 28 on Mar 5 and back to
 *   11 on Mar 25 (undone within the month); 28 from May 20, the currency kept from before.
 * - hank, with no account_id anywhere (seed format, no amounts): signs up on pro on Jan 20 (12 from
 *   the price list), cancels Mar 15. His account is himself.
 * - nora: pro from Feb 5 while her events say hooli; her login of May 3 says piedpiper, so piedpiper is
 *   her account, with all her history.
 */
const signup = (
  id: string,
  at: string,
  user: string,
  account: string | undefined,
  plan = 'free',
  company?: string,
) =>
  ({
    id,
    type: 'user_signed_up',
    at,
    user,
    ...(account === undefined ? {} : { account }),
    properties: { plan, ...(company === undefined ? {} : { company }) },
  }) as FixtureEvent;

const sub = (
  id: string,
  type: string,
  at: string,
  user: string,
  account: string | undefined,
  properties: Record<string, unknown> = {},
): FixtureEvent => ({ id, type, at, user, ...(account === undefined ? {} : { account }), properties });

export const REVENUE_AS_OF = '2024-06-20';

export const REVENUE_EVENTS: FixtureEvent[] = [
  signup('alice-signup', '2024-01-05T09:00:00Z', 'alice', 'northwind', 'free', 'Northwind Traders'),
  sub('alice-start', 'subscription_started', '2024-01-10T10:00:00Z', 'alice', 'northwind', {
    plan: 'pro',
    billing_cycle: 'monthly',
  }),
  sub('alice-upgrade', 'subscription_upgraded', '2024-02-15T12:00:00Z', 'alice', 'northwind', {
    plan: 'enterprise',
    previous_plan: 'pro',
    billing_cycle: 'annual',
  }),
  sub('alice-downgrade', 'subscription_downgraded', '2024-03-20T12:00:00Z', 'alice', 'northwind', {
    plan: 'pro',
    previous_plan: 'enterprise',
  }),
  sub('alice-cancel', 'subscription_cancelled', '2024-04-05T12:00:00Z', 'alice', 'northwind', {
    plan: 'pro',
    reason: 'too_expensive',
  }),
  sub('alice-back', 'subscription_started', '2024-06-10T12:00:00Z', 'alice', 'northwind', {
    plan: 'pro',
    billing_cycle: 'monthly',
  }),

  signup('bob-signup', '2024-02-01T08:00:00Z', 'bob', 'globex', 'free', 'Globex'),
  sub('bob-start', 'subscription_started', '2024-02-03T08:00:00Z', 'bob', 'globex', {
    plan: 'pro',
    billing_cycle: 'monthly',
  }),
  signup('carol-signup', '2024-02-10T08:00:00Z', 'carol', 'globex', 'free', 'Globex Corporation'),
  sub('carol-start', 'subscription_started', '2024-03-01T00:00:00Z', 'carol', 'globex', {
    plan: 'pro',
    billing_cycle: 'monthly',
  }),
  sub('carol-upgrade', 'subscription_upgraded', '2024-04-12T08:00:00Z', 'carol', 'globex', {
    plan: 'enterprise',
  }),
  {
    id: 'dave-signup',
    type: 'user_signed_up',
    at: '2024-03-05T08:00:00Z',
    user: 'dave',
    properties: { plan: 'free', account_id: 'globex' },
  },
  sub('dave-start', 'subscription_started', '2024-03-06T08:00:00Z', 'dave', undefined, {
    plan: 'enterprise',
    billing_cycle: 'monthly',
    account_id: 'globex',
  }),
  sub('dave-cancel', 'subscription_cancelled', '2024-05-10T08:00:00Z', 'dave', undefined, {
    account_id: 'globex',
  }),

  signup('erin-signup', '2024-03-01T09:00:00Z', 'erin', 'initech', 'free', 'Initech'),
  sub('erin-start', 'subscription_started', '2024-03-10T09:00:00Z', 'erin', 'initech', {
    plan: 'pro',
    billing_cycle: 'monthly',
    mrr: 9.99,
  }),
  sub('erin-seats', 'subscription_upgraded', '2024-05-02T09:00:00Z', 'erin', 'initech', {
    plan: 'pro',
    mrr: 19.99,
  }),

  signup('frank-signup', '2024-04-14T09:00:00Z', 'frank', 'umbrella', 'free', 'Umbrella'),
  sub('frank-start', 'subscription_started', '2024-04-15T09:00:00Z', 'frank', 'umbrella', {
    plan: 'pro',
    billing_cycle: 'annual',
    amount: 100,
  }),
  // After A: the month of A at the end of day A still counts him; the core's June does not.
  sub('frank-cancel', 'subscription_cancelled', '2024-06-25T09:00:00Z', 'frank', 'umbrella'),

  signup('gina-signup', '2024-02-19T09:00:00Z', 'gina', 'soylent', 'free', 'Soylent'),
  sub('gina-start', 'subscription_started', '2024-02-20T09:00:00Z', 'gina', 'soylent', {
    plan: 'pro',
    billing_cycle: 'monthly',
    amount: 11,
    currency: 'EUR',
  }),
  sub('gina-try', 'subscription_upgraded', '2024-03-05T09:00:00Z', 'gina', 'soylent', {
    plan: 'enterprise',
    amount: 28,
  }),
  sub('gina-undo', 'subscription_downgraded', '2024-03-25T09:00:00Z', 'gina', 'soylent', {
    plan: 'pro',
    amount: 11,
  }),
  sub('gina-upgrade', 'subscription_upgraded', '2024-05-20T09:00:00Z', 'gina', 'soylent', {
    plan: 'enterprise',
    amount: 28,
  }),

  signup('hank-signup', '2024-01-20T09:00:00Z', 'hank', undefined, 'pro'),
  { id: 'hank-login', type: 'user_login', at: '2024-02-12T09:00:00Z', user: 'hank' },
  sub('hank-cancel', 'subscription_cancelled', '2024-03-15T09:00:00Z', 'hank', undefined, { plan: 'pro' }),

  signup('nora-signup', '2024-02-01T09:00:00Z', 'nora', 'hooli', 'free', 'Hooli'),
  sub('nora-start', 'subscription_started', '2024-02-05T09:00:00Z', 'nora', 'hooli', {
    plan: 'pro',
    billing_cycle: 'monthly',
  }),
  { id: 'nora-login', type: 'user_login', at: '2024-05-03T09:00:00Z', user: 'nora', account: 'piedpiper' },
];

export const REVENUE_DAYS = [...new Set(REVENUE_EVENTS.map((event) => event.at.slice(0, 10)))].sort();

export const revenueFileKey = (day: string) => `events/dt=${day}/part-0000.ndjson.gz`;

/** One file per day, as the generator writes them. */
export function revenueFiles(days: readonly string[] = REVENUE_DAYS): IngestSource[] {
  return days.map((day) =>
    fileOf(
      revenueFileKey(day),
      REVENUE_EVENTS.filter((event) => event.at.startsWith(day)),
    ),
  );
}
