import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository's root: the nearest folder above this file that holds package.json. The same from
 * the TypeScript sources (common/) and from the compiled CLI (dist/common/), so that what is read by
 * path (sql/, the dashboard's browser code, the local S3 server's script) is found from either.
 */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`No package.json in ${start} or above it`);
  }
}
