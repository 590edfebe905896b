import type { PoolClient } from './db';

/**
 * The Segment mapping (sql/seeds/segment_mapping.json): which contract event type each track, page and
 * screen call becomes, and where each contract field is read from in the message; which traits of
 * identify and group calls are the user's and the account's attributes. docs/pipeline.md, "Sources",
 * documents the file. Staging applies it in SQL (staging.raw_events_checked), from
 * staging.segment_mappings, one row per entry.
 */
export interface SegmentMappingRow {
  readonly messageType: 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';
  /** The track event's or the page's name; '' for identify, group and alias. */
  readonly sourceEvent: string;
  /** The contract's event type; null for identify, group and alias. */
  readonly eventType: string | null;
  readonly targets: readonly string[];
  /** Dotted paths into the message, one per target. */
  readonly sourcePaths: readonly string[];
}

export interface SegmentMapping {
  readonly version: number;
  readonly rows: readonly SegmentMappingRow[];
}

/** The contract's fields an event mapping may set: the top-level ones, then those of `properties`. */
export const EVENT_TARGETS = [
  'session_id',
  'platform',
  'account_id',
  'document_id',
  'feature_id',
  'feature_name',
  'edit_duration_sec',
  'characters_added',
  'duration_sec',
  'session_duration_sec',
  'plan',
  'previous_plan',
  'billing_cycle',
  'reason',
  'method',
  'share_type',
  'title',
  'template',
  'email',
  'name',
  'company',
  'country',
  'signup_source',
  'mrr',
  'amount',
  'currency',
] as const;

/** The user attributes identify traits may set, and the account attributes of group traits. */
export const TRAIT_TARGETS = ['email', 'name', 'plan', 'company', 'country'] as const;

const NAMED_TYPES = ['track', 'page', 'screen'] as const;
const TOP_LEVEL = ['version', 'description', 'defaults', ...NAMED_TYPES, 'identify', 'group'];
/** A path is dotted names under one of the message's objects; a name holds no dot or space. */
const PATH = /^(properties|traits|context)(\.[A-Za-z0-9_$-]+)+$/;

export class MappingError extends Error {
  constructor(file: string, entry: string, why: string) {
    super(`${file}: ${entry}: ${why}`);
    this.name = 'MappingError';
  }
}

/**
 * Reads and validates the mapping. Anything wrong is refused with the entry that holds it, before a
 * single row is written: an unknown event type, an unknown field, a path that is not under properties,
 * traits or context, a missing version.
 */
export function parseSegmentMapping(
  text: string,
  acceptedEventTypes: readonly string[],
  file = 'sql/seeds/segment_mapping.json',
): SegmentMapping {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MappingError(file, 'the file', `not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new MappingError(file, 'the file', 'must hold one JSON object');
  for (const key of Object.keys(parsed))
    if (!TOP_LEVEL.includes(key))
      throw new MappingError(file, key, `unknown section; the sections are ${TOP_LEVEL.join(', ')}`);
  const version = parsed.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1)
    throw new MappingError(file, 'version', 'must be a whole number from 1, raised with every change');

  const defaults = fieldsOf(file, 'defaults', parsed.defaults ?? {}, EVENT_TARGETS);
  const rows: SegmentMappingRow[] = [];
  for (const type of NAMED_TYPES) {
    const section = parsed[type] ?? {};
    if (!isObject(section)) throw new MappingError(file, type, 'must be an object of names');
    for (const [name, entry] of Object.entries(section)) {
      const where = `${type}."${name}"`;
      if (name.trim() === '') throw new MappingError(file, where, 'the name is empty');
      if (!isObject(entry))
        throw new MappingError(file, where, 'must be an object with event_type and fields');
      for (const key of Object.keys(entry))
        if (key !== 'event_type' && key !== 'fields')
          throw new MappingError(file, `${where}.${key}`, 'unknown key; an entry has event_type and fields');
      const eventType = entry.event_type;
      if (typeof eventType !== 'string' || !acceptedEventTypes.includes(eventType))
        throw new MappingError(
          file,
          `${where}.event_type`,
          `${JSON.stringify(eventType)} is not an event type of the contract (${acceptedEventTypes.join(', ')})`,
        );
      const fields = { ...defaults, ...fieldsOf(file, `${where}.fields`, entry.fields ?? {}, EVENT_TARGETS) };
      rows.push({ messageType: type, sourceEvent: name, eventType, ...columns(fields) });
    }
  }
  for (const type of ['identify', 'group'] as const) {
    const fields = fieldsOf(file, type, parsed[type] ?? {}, TRAIT_TARGETS);
    rows.push({ messageType: type, sourceEvent: '', eventType: null, ...columns(fields) });
  }
  // alias carries no attributes: it links previousId to userId (read by fixed rules).
  rows.push({ messageType: 'alias', sourceEvent: '', eventType: null, targets: [], sourcePaths: [] });
  return { version: version as number, rows };
}

function fieldsOf(
  file: string,
  where: string,
  value: unknown,
  allowed: readonly string[],
): Record<string, string> {
  if (!isObject(value)) throw new MappingError(file, where, 'must be an object of field: "path"');
  const fields: Record<string, string> = {};
  for (const [target, path] of Object.entries(value)) {
    if (!allowed.includes(target))
      throw new MappingError(
        file,
        `${where}.${target}`,
        `unknown field; the fields are ${allowed.join(', ')}`,
      );
    if (typeof path !== 'string' || !PATH.test(path))
      throw new MappingError(
        file,
        `${where}.${target}`,
        `${JSON.stringify(path)} is not a path such as properties.documentId (under properties, traits or context)`,
      );
    fields[target] = path;
  }
  return fields;
}

function columns(fields: Record<string, string>): { targets: string[]; sourcePaths: string[] } {
  const targets = Object.keys(fields).sort();
  return { targets, sourcePaths: targets.map((target) => fields[target] as string) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces staging.segment_mappings with the file's entries, in the migrator's transaction. */
export async function loadSegmentMapping(client: PoolClient, text: string, file: string): Promise<void> {
  const accepted = await client.query<{ event_type: string }>(
    'select event_type from staging.accepted_event_types order by event_type',
  );
  const mapping = parseSegmentMapping(
    text,
    accepted.rows.map((row) => row.event_type),
    file,
  );
  await client.query('delete from staging.segment_mappings');
  await client.query(
    `insert into staging.segment_mappings
       (message_type, source_event, event_type, targets, source_paths, mapping_version)
     select r.message_type, r.source_event, r.event_type,
       array(select jsonb_array_elements_text(r.targets)), array(select jsonb_array_elements_text(r.paths)), $2
     from jsonb_to_recordset($1::jsonb)
       as r (message_type text, source_event text, event_type text, targets jsonb, paths jsonb)`,
    [
      JSON.stringify(
        mapping.rows.map((row) => ({
          message_type: row.messageType,
          source_event: row.sourceEvent,
          event_type: row.eventType,
          targets: row.targets,
          paths: row.sourcePaths,
        })),
      ),
      mapping.version,
    ],
  );
}
