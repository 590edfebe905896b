/**
 * The product's vocabulary: event types, plans, features. These are part of the event
 * contract the warehouse expects, so they are exported for the rest of the project.
 */

/** Bump when the same seed and options would produce different files. */
export const GENERATOR_VERSION = '1.1.0';

export const EVENT_TYPES = [
  'user_signed_up',
  'user_login',
  'user_logout',
  'document_created',
  'document_edited',
  'document_shared',
  'document_deleted',
  'feature_used',
  'subscription_started',
  'subscription_upgraded',
  'subscription_downgraded',
  'subscription_cancelled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const PLATFORMS = ['web', 'desktop', 'ios', 'android'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LOGIN_METHODS = ['password', 'google', 'sso'] as const;
export const SIGNUP_SOURCES = ['organic', 'referral', 'ads'] as const;
export const SHARE_TYPES = ['view', 'edit', 'comment'] as const;
export const BILLING_CYCLES = ['monthly', 'annual'] as const;
export type BillingCycle = (typeof BILLING_CYCLES)[number];

/** Currencies (ISO 4217) that accounts pay in; subscription events without one are in USD. */
export const CURRENCIES = ['USD', 'EUR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/**
 * List prices per seat, by plan and billing cycle: what the warehouse charges a subscription
 * event that carries no `mrr` or `amount`. The generator's EUR accounts always say what they pay.
 */
export const PRICE_LIST: Record<Currency, Record<Plan, Record<BillingCycle, number>>> = {
  USD: {
    free: { monthly: 0, annual: 0 },
    pro: { monthly: 12, annual: 120 },
    enterprise: { monthly: 30, annual: 300 },
  },
  EUR: {
    free: { monthly: 0, annual: 0 },
    pro: { monthly: 11, annual: 110 },
    enterprise: { monthly: 28, annual: 280 },
  },
};
export const CANCELLATION_REASONS = [
  'too_expensive',
  'missing_features',
  'switched_competitor',
  'no_longer_needed',
  'other',
] as const;

export type FeatureCategory = 'collaboration' | 'editing' | 'storage' | 'analytics';

export interface Feature {
  readonly feature_id: string;
  readonly feature_name: string;
  readonly category: FeatureCategory;
  readonly is_premium: boolean;
}

/** The feature catalogue (also the warehouse's `dim_features` seed). */
export const FEATURES: readonly Feature[] = [
  {
    feature_id: 'real_time_collab',
    feature_name: 'Real-time Collaboration',
    category: 'collaboration',
    is_premium: true,
  },
  { feature_id: 'comments', feature_name: 'Comments', category: 'collaboration', is_premium: false },
  { feature_id: 'version_history', feature_name: 'Version History', category: 'editing', is_premium: true },
  { feature_id: 'export_pdf', feature_name: 'Export to PDF', category: 'editing', is_premium: false },
  { feature_id: 'templates', feature_name: 'Templates', category: 'editing', is_premium: false },
  { feature_id: 'cloud_storage', feature_name: 'Cloud Storage', category: 'storage', is_premium: false },
  { feature_id: 'advanced_search', feature_name: 'Advanced Search', category: 'analytics', is_premium: true },
  { feature_id: 'team_analytics', feature_name: 'Team Analytics', category: 'analytics', is_premium: true },
];

/** Kinds of deliberately bad lines the generator can inject (see `badRate`). */
export const BAD_LINE_KINDS = [
  'invalid_json',
  'missing_field',
  'unknown_event_type',
  'invalid_timestamp',
  'future_timestamp',
  'duplicate',
  'late_event',
] as const;

export type BadLineKind = (typeof BAD_LINE_KINDS)[number];
