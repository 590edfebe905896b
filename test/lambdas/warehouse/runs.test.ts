import {
  finishRun,
  holdRunSlot,
  RunIdInUseError,
  RunInProgressError,
  startRun,
} from '../../../lambdas/warehouse/runs';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// Who owns a run, and what may start one.

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

const status = async (runId: string) =>
  (await db.pool.query('select status, error from ops.runs where run_id = $1', [runId])).rows[0];

test('a Step Functions start retried after its first attempt committed finds its own run', async () => {
  const started = '2026-12-01T02:00:00.000Z';
  await startRun(db.pool, { runId: 'exec-1', executionStartedAt: started });
  await expect(startRun(db.pool, { runId: 'exec-1', executionStartedAt: started })).resolves.toBe('exec-1');
  expect(await status('exec-1')).toMatchObject({ status: 'running' });
});

test('a re-used execution name cannot start a run under an id that another run had', async () => {
  await startRun(db.pool, { runId: 'exec-2', executionStartedAt: '2026-09-01T02:00:00.000Z' });
  await finishRun(db.pool, 'exec-2', { status: 'succeeded' });
  // Ninety days later, the same name: a new execution, which must not pass for the old run.
  await expect(
    startRun(db.pool, { runId: 'exec-2', executionStartedAt: '2026-12-01T02:00:00.000Z' }),
  ).rejects.toThrow(RunIdInUseError);
  expect(await status('exec-2')).toMatchObject({ status: 'succeeded' });
  // Nor can it take over a run of the same name that is still going.
  await startRun(db.pool, { runId: 'exec-3', executionStartedAt: '2026-12-01T03:00:00.000Z' });
  await expect(
    startRun(db.pool, { runId: 'exec-3', executionStartedAt: '2026-12-01T04:00:00.000Z' }),
  ).rejects.toThrow(RunIdInUseError);
});

test('the run slot: one holder at a time; a run whose holder is gone is abandoned by the next start', async () => {
  const first = await holdRunSlot(db.pool);
  await expect(holdRunSlot(db.pool)).rejects.toThrow(RunInProgressError);
  await startRun(db.pool, { runId: 'local-1', ownerPid: first.ownerPid });
  await expect(holdRunSlot(db.pool)).rejects.toThrow(/local-1 is still running/);

  // The owner's session ends, as when its process is killed: its backend goes away with the lock.
  await db.pool.query('select pg_terminate_backend($1)', [first.ownerPid]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const second = await holdRunSlot(db.pool);
  try {
    await startRun(db.pool, { runId: 'local-2', ownerPid: second.ownerPid });
    expect(await status('local-1')).toEqual({
      status: 'abandoned',
      error: 'abandoned: the process that ran it is gone (its database session ended)',
    });
    expect(await status('local-2')).toMatchObject({ status: 'running' });
  } finally {
    await second.release();
    await first.release();
  }
});

test('a start that claims a session which does not hold the slot is refused', async () => {
  const { rows } = await db.pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  await expect(startRun(db.pool, { runId: 'fake-owner', ownerPid: rows[0]?.pid })).rejects.toThrow(
    /does not hold the run slot/,
  );
});

test('a Step Functions run left running for longer than any execution may is abandoned', async () => {
  await db.pool.query(
    `insert into ops.runs (run_id, status, started_at) values ('stuck', 'running', now() - interval '4 hours')`,
  );
  await startRun(db.pool, { runId: 'after-stuck' });
  expect(await status('stuck')).toMatchObject({
    status: 'abandoned',
    error: expect.stringMatching(/after 180 minutes/),
  });
});
