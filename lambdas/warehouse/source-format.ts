/**
 * What a landed file holds, declared by where it lands (docs/pipeline.md, "Sources"):
 * - `segment`: Segment-spec messages (RudderStack's S3 export follows the same spec). Segment's S3
 *   destination writes `segment-logs/<source-id>/<received-day-ms>/<file>.gz`; any other file may say
 *   so by its name, `*.segment.ndjson[.gz]`.
 * - `native`: the event contract (docs/metrics.md), `*.ndjson[.gz]` anywhere else.
 */
export type SourceFormat = 'native' | 'segment';

/** Where each format lands in the bucket: what the pipeline lists, reads and is notified of. */
export const LANDING_PREFIXES = ['events/', 'segment-logs/'] as const;

const SEGMENT_LOGS = /(^|\/)segment-logs\/[^/]+\/\d+\/[^/]+\.gz$/;
const SEGMENT_NAME = /\.segment\.ndjson(\.gz)?$/;
const NDJSON = /\.ndjson(\.gz)?$/;

export function formatOfKey(key: string): SourceFormat {
  return SEGMENT_LOGS.test(key) || SEGMENT_NAME.test(key) ? 'segment' : 'native';
}

/** Whether a key is an event file of either format; anything else in the bucket is left alone. */
export function isEventFileKey(key: string): boolean {
  return NDJSON.test(key) || SEGMENT_LOGS.test(key);
}
