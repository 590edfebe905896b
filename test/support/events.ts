import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { IngestSource } from '../../lambdas/warehouse/ingest';

/** A hand-made event in the producers' contract; only what a test cares about needs giving. */
export interface FixtureEvent {
  id: string;
  type: string;
  at: string;
  user: string;
  /** The top-level account_id; absent unless given, as in files from before accounts. */
  account?: string;
  session?: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export function eventLine(event: FixtureEvent): string {
  return JSON.stringify({
    event_id: event.id,
    event_type: event.type,
    event_timestamp: event.at,
    user_id: event.user,
    ...(event.account === undefined ? {} : { account_id: event.account }),
    session_id: event.session ?? `ses_${event.user}_${event.at.slice(0, 10)}`,
    properties: event.properties ?? {},
    context: event.context ?? { platform: 'web', ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0' },
  });
}

/** An in-memory gzipped NDJSON file as the ingest step sees it. The ETag is derived from the content, as S3's is. */
export function ndjsonSource(
  key: string,
  lines: readonly string[],
  options: { bucket?: string; gzip?: boolean } = {},
): IngestSource {
  const text = lines.join('\n') + '\n';
  const bytes = options.gzip === false ? Buffer.from(text) : gzipSync(text);
  return {
    bucket: options.bucket ?? 'landing',
    key,
    etag: createHash('md5').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    body: Readable.from([bytes]),
  };
}

export function fileOf(key: string, events: readonly FixtureEvent[]): IngestSource {
  return ndjsonSource(key, events.map(eventLine));
}
