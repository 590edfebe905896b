import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IngestSource } from '../lambdas/warehouse/ingest';
import { isEventFileKey } from '../lambdas/warehouse/source-format';

export interface LandedFile {
  readonly key: string;
  readonly path: string;
  readonly sizeBytes: number;
}

/**
 * The event files under a landing folder, in key order: native ones under `events/`
 * (`events/dt=.../*.ndjson[.gz]`) and Segment ones under `segment-logs/` (lambdas/warehouse/source-format.ts).
 */
export async function listLandedFiles(root: string): Promise<LandedFile[]> {
  const files: LandedFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const key = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) await walk(full);
      else if (isEventFileKey(key)) files.push({ key, path: full, sizeBytes: (await stat(full)).size });
    }
  };
  await walk(path.join(root, 'events'));
  await walk(path.join(root, 'segment-logs'));
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A landed file as the ingest step sees it. Its ETag is the MD5 of its bytes, as S3 computes for a
 * single-part upload, so a file written again with the same content is recognised as already loaded.
 */
export async function landedFileSource(bucket: string, file: LandedFile): Promise<IngestSource> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file.path), hash);
  return {
    bucket,
    key: file.key,
    etag: hash.digest('hex'),
    sizeBytes: file.sizeBytes,
    body: createReadStream(file.path, { highWaterMark: 1 << 20 }),
  };
}
