/**
 * A backlog in one run: 2,500 files of 200 events each (the case), put on a local S3 server,
 * then one execution of the state machine (rendered from the CDK app, the handlers in-process) on a
 * fresh database. Prints the wall time, files per second, the rounds it took and what it left.
 *
 *   npm run bench:backlog -- [--files 2500] [--events 200]
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createPool } from '../lambdas/warehouse/db';
import { migrate } from '../lambdas/warehouse/migrate';
import { createLocalHandlers } from '../local/handlers';
import { openLandingStore } from '../local/s3-server';
import { executeStateMachine, renderStateMachine } from '../local/state-machine';
import { withDatabase } from './database';

const { values: args } = parseArgs({
  options: { files: { type: 'string', default: '2500' }, events: { type: 'string', default: '200' } },
});
const FILES = Number(args.files);
const EVENTS = Number(args.events);

/** One small file: EVENTS logins and feature uses of 50 users, on one of 30 days. */
function fileBody(n: number): Buffer {
  const day = `2024-03-${String((n % 30) + 1).padStart(2, '0')}`;
  const lines = Array.from({ length: EVENTS }, (_, i) =>
    JSON.stringify({
      event_id: `backlog-${n}-${i}`,
      event_type: i % 2 === 0 ? 'user_login' : 'feature_used',
      event_timestamp: `${day}T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
      user_id: `usr_${(n * 7 + i) % 50}`,
      session_id: `ses_${n}_${i % 5}`,
      properties: { feature_id: 'export', feature_name: 'Export', duration_sec: 3 },
      context: { platform: 'web' },
    }),
  );
  return gzipSync(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const s3Dir = await mkdtemp(path.join(tmpdir(), 'bench-backlog-'));
  const store = await openLandingStore({ bucket: 'landing', localDir: s3Dir });
  try {
    for (let n = 0; n < FILES; n++)
      await store.client.send(
        new PutObjectCommand({
          Bucket: 'landing',
          Key: `events/dt=2024-03-${String((n % 30) + 1).padStart(2, '0')}/part-${String(n).padStart(5, '0')}.ndjson.gz`,
          Body: fileBody(n),
        }),
      );
    await withDatabase('bench_backlog', async (url) => {
      const pool = createPool(url, 6);
      try {
        await migrate(pool);
        const handlers = createLocalHandlers({
          pool: async () => pool,
          s3: () => store.client,
          landing: { bucket: 'landing', prefixes: ['events/', 'segment-logs/'] },
        });
        let rounds = 0;
        const started = performance.now();
        const result = await executeStateMachine(renderStateMachine(), {
          input: { asOf: '2024-03-30' },
          executionName: `backlog-${Date.now()}`,
          handlers,
          onEvent: (event) => {
            if (event.type === 'StateEntered' && 'state' in event && event.state.name === 'List new files')
              rounds++;
          },
        });
        const seconds = (performance.now() - started) / 1000;
        if (result.status !== 'SUCCEEDED')
          throw new Error(`${result.status}: ${result.error} ${result.cause}`);
        const { rows } = await pool.query<{ files: number; events: number }>(
          `select count(*)::integer as files, coalesce(sum(staged_rows), 0)::integer as events
           from raw.files where status = 'staged'`,
        );
        const left = (result.output as { files?: { left?: number } }).files?.left ?? 0;
        console.log(`${FILES} files of ${EVENTS} events, one run: ${seconds.toFixed(1)} s wall`);
        console.log(
          `  ${rows[0]?.files} files staged (${rows[0]?.events} events) in ${rounds} rounds, ${left} left; ${((rows[0]?.files ?? 0) / seconds).toFixed(1)} files/s`,
        );
      } finally {
        await pool.end();
      }
    });
  } finally {
    await store.close();
    await rm(s3Dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
