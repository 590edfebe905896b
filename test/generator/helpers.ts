/** Reading back what the generator wrote. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';

export function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `generator-${name}-`));
}

/** Every file under `root`, as slash-separated keys, sorted. */
export async function listKeys(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** sha256 of every event file, by key: compact to compare, readable when it fails. */
export async function eventFileHashes(root: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const key of await listKeys(root)) {
    if (!key.startsWith('events/')) continue;
    hashes[key] = createHash('sha256')
      .update(await readFile(join(root, key)))
      .digest('hex');
  }
  return hashes;
}

export interface Line {
  /** `events/dt=…/part-….ndjson.gz` */
  readonly key: string;
  /** The file's partition date. */
  readonly date: string;
  readonly text: string;
}

/** All lines of all event files, in file order (by date, then part). */
export async function readLines(root: string): Promise<Line[]> {
  const lines: Line[] = [];
  for (const key of await listKeys(root)) {
    const match = /^events\/dt=(\d{4}-\d{2}-\d{2})\/part-\d{4}\.ndjson\.gz$/.exec(key);
    if (!match?.[1]) continue;
    const text = gunzipSync(await readFile(join(root, key))).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) lines.push({ key, date: match[1], text: line });
  }
  return lines;
}

export interface GeneratedEvent {
  event_id: string;
  event_type: string;
  event_timestamp: string;
  user_id: string;
  /** The customer account (company) the user acts for. */
  account_id: string;
  session_id: string;
  properties: Record<string, unknown>;
  context: { platform: string; ip_address: string; user_agent: string };
}

export async function readManifest(root: string): Promise<Record<string, unknown>> {
  const [key] = (await listKeys(root)).filter((k) => k.startsWith('_manifests/'));
  if (!key) throw new Error(`no manifest under ${root}`);
  return JSON.parse(await readFile(join(root, key), 'utf8')) as Record<string, unknown>;
}
