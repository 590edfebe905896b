import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createPool, type Pool } from '../lambdas/warehouse/db';
import {
  ClusterInUseError,
  EmbeddedPostgresUnavailableError,
  isReachableByOthers,
  startEmbeddedPostgres,
} from '../local/embedded-postgres';
import type { LandingStore } from '../local/s3-server';
import { localS3Dir, pipelineHome } from './home';

export { landingDir, pipelineHome } from './home';

export interface Database {
  readonly pool: Pool;
  /** How to connect, for a second pool with other settings (it may hold a password: never print it). */
  readonly url: string;
  /** `DATABASE_URL`, or where the embedded server runs, without the password. */
  readonly description: string;
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {}

/**
 * The PostgreSQL named by DATABASE_URL, else an embedded PostgreSQL 15 kept in the local state
 * folder, started for this command and stopped when it ends.
 */
export async function openDatabase(log: (line: string) => void): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const pool = createPool(url, 6);
    const description = redact(url);
    await pool.query('select 1').catch((error: Error) => {
      throw new DatabaseUnreachableError(
        `Cannot reach DATABASE_URL (${description}): ${error.message}. Is the server running and the URL right?`,
      );
    });
    return { pool, url, description, close: () => pool.end() };
  }
  const started = Date.now();
  const dataDir = await embeddedDataDir(log);
  const server = await startEmbeddedPostgres({ dataDir }).catch((error: Error) => {
    if (error instanceof ClusterInUseError) throw error;
    // Its message already names what is missing and the ways out, DATABASE_URL among them.
    if (error instanceof EmbeddedPostgresUnavailableError) throw new DatabaseUnreachableError(error.message);
    throw new DatabaseUnreachableError(
      `Could not start the embedded PostgreSQL in ${dataDir}: ${error.message}. Set DATABASE_URL to use a server of your own, or run "saas-pipeline reset" if the folder is damaged.`,
    );
  });
  const pool = createPool(server.url, 6);
  log(
    `embedded PostgreSQL 15 ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${path.relative(process.cwd(), dataDir) || dataDir})`,
  );
  return {
    pool,
    url: server.url,
    description: `embedded PostgreSQL in ${dataDir}`,
    async close() {
      await pool.end();
      await server.stop();
    },
  };
}

/**
 * `$SAAS_PIPELINE_HOME/pg`, unless this runs as root inside a folder closed to other users (a
 * private home, a mktemp clone): PostgreSQL then runs as the `postgres` user, who could not enter it,
 * so the data goes to a folder of its own under /var/tmp, named after the state folder.
 */
export async function embeddedDataDir(log?: (line: string) => void): Promise<string> {
  const preferred = path.join(pipelineHome(), 'pg');
  if (process.getuid?.() !== 0 || (await isReachableByOthers(nearestExisting(preferred)))) return preferred;
  const fallback = fallbackDataDir();
  log?.(
    `note: ${pipelineHome()} is closed to the "postgres" user PostgreSQL runs as; its data goes to ${fallback}`,
  );
  return fallback;
}

export function fallbackDataDir(): string {
  return path.join(
    '/var/tmp',
    `saas-pipeline-${createHash('sha256').update(pipelineHome()).digest('hex').slice(0, 12)}`,
    'pg',
  );
}

function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && current !== path.dirname(current)) current = path.dirname(current);
  return current;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * The landing bucket (LANDING_BUCKET, default "landing"): on S3_ENDPOINT if set (LocalStack, AWS),
 * else on a local S3 server keeping its objects in $SAAS_PIPELINE_HOME/s3, started for the command.
 */
export async function openLanding(log: (line: string) => void): Promise<LandingStore> {
  // Loaded here: the S3 server's module starts the server before it loads the AWS SDK.
  const { openLandingStore } = await import('../local/s3-server');
  const store = await openLandingStore({
    bucket: process.env.LANDING_BUCKET || 'landing',
    endpoint: process.env.S3_ENDPOINT || undefined,
    region: process.env.AWS_REGION || undefined,
    localDir: localS3Dir(),
  });
  log(`landing bucket "${store.bucket}" on ${store.description}`);
  return store;
}
