/**
 * The same events as Segment-spec messages (https://segment.com/docs/connections/spec/), as Segment's
 * S3 destination writes them: `segment-logs/<source-id>/<received-day-ms>/<epoch-ms>.<hash>.gz`. Each
 * native event becomes a `track` call named as sql/seeds/segment_mapping.json expects, with the
 * contract's fields where that mapping reads them. A sign-up also sends an `identify` (the user's
 * traits) and a `group` (the account); a login also sends a `page` (web, desktop) or a `screen` (apps)
 * call, which the mapping leaves unmapped, as real sources send calls a warehouse does not use.
 *
 * With `anonymousVisitors`, each sign-up also brings anonymous traffic: the new user's own `page` view
 * of the pricing page a few minutes before signing up (unmapped: it changes no figure), and a visitor
 * who never signs up and tries the template gallery (a mapped `Feature Used` with only an anonymousId):
 * an anonymous person, the one difference it makes to the figures.
 *
 * A line that is not a JSON object (the generator's bad lines) is written unchanged. The conversion
 * is a pure function of the native line and the day it arrived: the same seed gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

import type { DayPart } from './day';

/** The Segment source the demo's files come from: Segment names one by an id of its own. */
export const DEFAULT_SEGMENT_SOURCE_ID = 'DocsAppWeb1';

/** The track event name of each contract event type, as the shipped mapping names them. */
export const SEGMENT_EVENT_NAMES: Record<string, string> = {
  user_signed_up: 'Signed Up',
  user_login: 'Signed In',
  user_logout: 'Signed Out',
  document_created: 'Document Created',
  document_edited: 'Document Edited',
  document_shared: 'Document Shared',
  document_deleted: 'Document Deleted',
  feature_used: 'Feature Used',
  subscription_started: 'Subscription Started',
  subscription_upgraded: 'Subscription Upgraded',
  subscription_downgraded: 'Subscription Downgraded',
  subscription_cancelled: 'Subscription Cancelled',
};

/** Contract property → Segment property, where the name differs beyond snake to camel case. */
const PROPERTY_NAMES: Record<string, string> = {
  edit_duration_sec: 'durationSeconds',
  duration_sec: 'durationSeconds',
  session_duration_sec: 'sessionDurationSeconds',
};

/** The sign-up's person fields, which Segment sends as context.traits and context.location. */
const SIGNUP_TRAITS = new Set(['name', 'company', 'country']);

const LIBRARIES: Record<string, { name: string; version: string }> = {
  web: { name: 'analytics.js', version: '5.2.0' },
  desktop: { name: 'analytics.js', version: '5.2.0' },
  ios: { name: 'analytics-ios', version: '4.1.8' },
  android: { name: 'analytics-android', version: '4.11.3' },
};

export function segmentKey(sourceId: string, date: string, part: DayPart): string {
  const dayMs = Date.parse(`${date}T00:00:00Z`);
  const hash = createHash('sha256').update(`${sourceId}/${date}/${part.name}`).digest('hex').slice(0, 12);
  const partIndex = Number(part.name.slice(-4)) || 0;
  return `segment-logs/${sourceId}/${dayMs}/${dayMs + partIndex}.${hash}.gz`;
}

export interface SegmentOptions {
  /** @default false */
  readonly anonymousVisitors?: boolean;
}

/** A day's gzipped native part as Segment messages, gzipped again; `lines` counts what it holds now. */
export function segmentPart(
  part: DayPart,
  date: string,
  gzipLevel: number,
  options: SegmentOptions = {},
): DayPart {
  const dayStart = Date.parse(`${date}T00:00:00Z`);
  const lines = gunzipSync(part.data).toString('utf8').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    for (const message of toSegmentMessages(line, dayStart, options)) out.push(message);
  }
  const data = gzipSync(`${out.join('\n')}\n`, { level: gzipLevel });
  return { name: part.name, lines: out.length, data };
}

/** One native line as one or more Segment lines. */
export function toSegmentMessages(
  line: string,
  arrivalDayStart: number,
  options: SegmentOptions = {},
): string[] {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return [line];
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return [line];
  const e = event as Record<string, unknown>;
  const type = typeof e.event_type === 'string' ? e.event_type : undefined;
  const timestamp = e.event_timestamp;
  const context = (typeof e.context === 'object' && e.context !== null ? e.context : {}) as Record<
    string,
    unknown
  >;
  const platform = typeof context.platform === 'string' ? context.platform : undefined;
  const rawProperties = (
    typeof e.properties === 'object' && e.properties !== null && !Array.isArray(e.properties)
      ? e.properties
      : {}
  ) as Record<string, unknown>;

  const properties: Record<string, unknown> = {};
  const traits: Record<string, unknown> = {};
  let country: unknown;
  for (const [key, value] of Object.entries(rawProperties)) {
    if (type === 'user_signed_up' && SIGNUP_TRAITS.has(key)) {
      if (key === 'country') country = value;
      else traits[key] = value;
    } else if (key !== 'account_id') {
      properties[PROPERTY_NAMES[key] ?? camel(key)] = value;
    }
  }
  if (e.session_id !== undefined) properties.sessionId = e.session_id;

  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  // Received on the day of the file it arrived in (a late event arrives days after it happened).
  const received = Number.isNaN(at) ? arrivalDayStart : Math.max(at, arrivalDayStart) + 1_200;
  const receivedAt = new Date(received).toISOString();
  const common = {
    anonymousId: typeof e.user_id === 'string' ? anonymousIdOf(e.user_id) : undefined,
    channel: platform === 'ios' || platform === 'android' ? 'mobile' : 'client',
    context: {
      ...(platform === undefined ? {} : { device: { type: platform }, library: LIBRARIES[platform] }),
      ip: context.ip_address,
      userAgent: context.user_agent,
      groupId: e.account_id ?? rawProperties.account_id,
      ...(Object.keys(traits).length > 0 ? { traits } : {}),
      ...(country === undefined ? {} : { location: { country } }),
    },
    integrations: { All: true },
    originalTimestamp: timestamp,
    receivedAt,
    sentAt: receivedAt,
    timestamp,
    userId: e.user_id,
    version: 2,
  };
  const messages: Record<string, unknown>[] = [
    {
      ...common,
      event: type === undefined ? undefined : (SEGMENT_EVENT_NAMES[type] ?? titleCase(type)),
      messageId: e.event_id,
      properties,
      type: 'track',
    },
  ];
  const id = typeof e.event_id === 'string' ? e.event_id : undefined;
  if (type === 'user_signed_up' && id !== undefined) {
    messages.push({
      ...common,
      messageId: derivedId(id, 'identify'),
      traits: {
        email: rawProperties.email,
        name: rawProperties.name,
        company: rawProperties.company,
        plan: rawProperties.plan,
        address: { country },
        createdAt: timestamp,
      },
      type: 'identify',
    });
    if (common.context.groupId !== undefined)
      messages.push({
        ...common,
        groupId: common.context.groupId,
        messageId: derivedId(id, 'group'),
        traits: { name: rawProperties.company },
        type: 'group',
      });
    if (options.anonymousVisitors && !Number.isNaN(at)) messages.push(...anonymousTraffic(common, id, at));
  }
  if (type === 'user_login' && id !== undefined)
    messages.push({
      ...common,
      messageId: derivedId(id, 'view'),
      name: 'Home',
      properties: { path: '/home' },
      type: platform === 'ios' || platform === 'android' ? 'screen' : 'page',
    });
  return messages.map((message) => JSON.stringify(message));
}

/** The new user's pricing-page view before signing up, and a visitor who never signs up. */
function anonymousTraffic(
  common: Record<string, unknown>,
  signupId: string,
  signupAt: number,
): Record<string, unknown>[] {
  const before = new Date(
    Math.max(signupAt - 300_000, Math.floor(signupAt / 86_400_000) * 86_400_000),
  ).toISOString();
  const visitor = formatUuid(createHash('sha256').update(`visitor:${signupId}`).digest('hex'));
  const context = {
    device: { type: 'web' },
    library: LIBRARIES.web,
    ip: '198.51.100.23',
    userAgent: 'Mozilla/5.0',
  };
  const anonymous = { ...common, userId: undefined, originalTimestamp: before, timestamp: before, context };
  return [
    {
      ...anonymous,
      anonymousId: common.anonymousId,
      messageId: derivedId(signupId, 'pricing'),
      name: 'Pricing',
      properties: { path: '/pricing' },
      type: 'page',
    },
    {
      ...anonymous,
      anonymousId: visitor,
      messageId: derivedId(signupId, 'visitor-pricing'),
      name: 'Pricing',
      properties: { path: '/pricing' },
      type: 'page',
    },
    {
      ...anonymous,
      anonymousId: visitor,
      event: 'Feature Used',
      messageId: derivedId(signupId, 'visitor-gallery'),
      properties: {
        featureId: 'template_gallery',
        featureName: 'Template Gallery',
        sessionId: `ses_${visitor.slice(0, 16)}`,
      },
      type: 'track',
    },
  ];
}

/** A stable anonymous id per user: the browser's, before and after sign-up. */
function anonymousIdOf(userId: string): string {
  return formatUuid(createHash('sha256').update(`anonymous:${userId}`).digest('hex'));
}

function derivedId(eventId: string, kind: string): string {
  return formatUuid(createHash('sha256').update(`${eventId}:${kind}`).digest('hex'));
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const titleCase = (key: string): string =>
  key
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
