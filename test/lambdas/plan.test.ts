import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FAILURE_PLAN, PIPELINE_PLAN, PLAN_TASKS, STEP_HANDLERS } from '../../lambdas/plan';
import { runWarehouse } from '../../lambdas/warehouse/pipeline';
import { renderStateMachine } from '../../local/state-machine';
import { cohortFiles } from '../support/cohort-fixture';
import { createTestDatabase } from '../support/database';

const ROOT = path.resolve(__dirname, '../..');

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Branches?: { StartAt: string; States: Record<string, State> }[];
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
}

test('the state machine runs the plan: its states in the plan order, each task with the plan handler', () => {
  const { definition, taskHandlers } = renderStateMachine();
  const states = definition.States as Record<string, State>;
  const walked: string[] = [];
  for (let name: string | undefined = definition.StartAt as string; name;) {
    walked.push(name);
    const state = states[name] as State;
    name = state.Type === 'Choice' ? state.Default : state.Next;
  }
  const planned = PIPELINE_PLAN.flatMap((stage) => {
    switch (stage.kind) {
      case 'single':
        return [stage.task.state];
      case 'until-done':
        return [stage.task.state, stage.choiceState];
      case 'each-file':
        return [stage.state, stage.loadedState];
      case 'loop':
        return [stage.choiceState];
      default:
        return [stage.state];
    }
  });
  expect(walked).toEqual(planned);
  const expectedHandlers = Object.fromEntries(
    [...PLAN_TASKS, FAILURE_PLAN.record].map((task) => [task.state, task.handler]),
  );
  expect(taskHandlers).toEqual(expectedHandlers);
  // A parallel stage's branches are its tasks, one each, in plan order.
  for (const stage of PIPELINE_PLAN)
    if (stage.kind === 'parallel')
      expect((states[stage.state] as State).Branches?.map((branch) => branch.StartAt)).toEqual(
        stage.tasks.map((task) => task.state),
      );
});

test('a step leads to its handler file, and each handler runs in the plan', () => {
  for (const handler of STEP_HANDLERS)
    expect(existsSync(path.join(ROOT, 'lambdas/handlers', `${handler}.ts`))).toBe(true);
  expect(new Set(PLAN_TASKS.map((task) => task.handler))).toEqual(new Set(STEP_HANDLERS));
});

test('the in-process run records each step of the plan under the same name as the state machine', async () => {
  const db = await createTestDatabase();
  try {
    const summary = await runWarehouse(db.pool, { sources: cohortFiles(), asOf: '2024-03-15' });
    const { rows } = await db.pool.query<{ step_name: string }>(
      'select step_name from ops.run_steps where run_id = $1',
      [summary.runId],
    );
    // In-process, files come from the caller rather than a listing, and load as one step; there is no
    // bucket to take erasure requests from (the erasure step records itself only when it finds one).
    const planned = PLAN_TASKS.filter(
      (task) =>
        task.step !== undefined && !['list-new-files', 'load-file', 'erase-requested'].includes(task.handler),
    ).map((task) => task.step as string);
    expect(rows.map((row) => row.step_name).sort()).toEqual(['load_files', ...planned].sort());
  } finally {
    await db.drop();
  }
});

test('docs/pipeline.md leads from every state of the plan to files that exist', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/pipeline.md'), 'utf8');
  const rows = doc.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| state'));
  const states = [...PLAN_TASKS, FAILURE_PLAN.record].map((task) =>
    task.state.replace(/^(Build|Refresh) /, ''),
  );
  const firstCells = rows.map((row) => row.split('|')[1] ?? '').join(' ');
  for (const state of states)
    expect({ state, named: firstCells.includes(state.replace(/ \(.*\)$/, '')) }).toEqual({
      state,
      named: true,
    });
  for (const [, file] of doc.matchAll(/`((?:lambdas|sql|test|lib|local)\/[^`<]*)`/g))
    expect({ file, exists: existsSync(path.join(ROOT, file as string)) }).toEqual({ file, exists: true });
});
