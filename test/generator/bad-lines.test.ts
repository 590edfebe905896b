import { rm } from 'node:fs/promises';

import {
  BAD_LINE_KINDS,
  EVENT_TYPES,
  generate,
  type BadLineKind,
  type GenerateSummary,
} from '../../generator';
import { readLines, readManifest, tempDir, type Line } from './helpers';

const REQUIRED = ['event_id', 'event_type', 'event_timestamp', 'user_id'];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KNOWN_TYPES = new Set<string>(EVENT_TYPES);

/** Sorts every line into a kind the way a warehouse would, without knowing how they were made. */
function classify(lines: readonly Line[]) {
  const counts = Object.fromEntries(BAD_LINE_KINDS.map((kind) => [kind, 0])) as Record<BadLineKind, number>;
  const valid: { line: Line; id: string; date: string }[] = [];
  for (const line of lines) {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line.text) as Record<string, unknown>;
    } catch {
      counts.invalid_json++;
      continue;
    }
    const timestamp = String(event.event_timestamp);
    if (REQUIRED.some((field) => !(field in event))) counts.missing_field++;
    else if (!KNOWN_TYPES.has(String(event.event_type))) counts.unknown_event_type++;
    else if (!TIMESTAMP.test(timestamp) || new Date(timestamp).toISOString() !== timestamp)
      counts.invalid_timestamp++;
    else if (timestamp >= '2090') counts.future_timestamp++;
    else valid.push({ line, id: String(event.event_id), date: timestamp.slice(0, 10) });
  }
  const byId = new Map<string, typeof valid>();
  for (const entry of valid) byId.set(entry.id, [...(byId.get(entry.id) ?? []), entry]);
  let crossFileDuplicates = 0;
  for (const copies of byId.values()) {
    if (copies.length > 1) {
      counts.duplicate += copies.length - 1;
      if (new Set(copies.map((copy) => copy.line.key)).size > 1) crossFileDuplicates++;
    } else if ((copies[0]?.date ?? '') < (copies[0]?.line.date ?? '')) {
      // The only copy of the event, in a file of a later day.
      counts.late_event++;
    }
  }
  return { counts, distinctValid: byId.size, crossFileDuplicates };
}

describe('bad line injection', () => {
  let root: string;
  let summary: GenerateSummary;
  let lines: Line[];

  beforeAll(async () => {
    root = await tempDir('bad-lines');
    summary = await generate({
      from: '2024-01-01',
      to: '2024-02-29',
      seed: 5,
      scale: 0.2,
      badRate: 0.07,
      outDir: root,
    });
    lines = await readLines(root);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('what the files contain matches what the manifest says was injected', async () => {
    const { counts, distinctValid } = classify(lines);
    const manifest = (await readManifest(root)) as {
      bad_lines: Record<string, number>;
      totals: { events: number; lines: number };
    };
    const { total, ...byKind } = manifest.bad_lines;
    expect(counts).toEqual(byKind);
    expect(summary.badLines).toEqual(byKind);
    // A late event is a valid event in an unexpected file: counted as an event and as injected.
    expect((total ?? 0) - (byKind.late_event ?? 0)).toBe(lines.length - summary.events);
    expect(manifest.totals).toMatchObject({ events: distinctValid, lines: lines.length });
  });

  test('each kind is about its share of the rate', () => {
    const { counts } = classify(lines);
    const expected = (0.07 / BAD_LINE_KINDS.length) * summary.events;
    for (const kind of BAD_LINE_KINDS) {
      expect([kind, counts[kind] > expected * 0.5 && counts[kind] < expected * 1.5]).toEqual([kind, true]);
    }
  });

  test('duplicates also cross files, and late events sit in a later day than their timestamp', () => {
    const { crossFileDuplicates, counts } = classify(lines);
    expect(crossFileDuplicates).toBeGreaterThan(10);
    expect(counts.late_event).toBeGreaterThan(10);
  });

  test('only the chosen kinds are injected', async () => {
    const only = await tempDir('bad-lines-only');
    try {
      const result = await generate({
        from: '2024-01-20',
        to: '2024-01-31',
        seed: 5,
        scale: 0.2,
        badRate: 0.05,
        badKinds: ['invalid_json', 'late_event'],
        outDir: only,
      });
      const { counts } = classify(await readLines(only));
      expect(counts).toEqual(result.badLines);
      expect(counts.invalid_json).toBeGreaterThan(0);
      expect(counts.late_event).toBeGreaterThan(0);
      expect(counts.duplicate + counts.missing_field + counts.future_timestamp).toBe(0);
    } finally {
      await rm(only, { recursive: true, force: true });
    }
  });
});
