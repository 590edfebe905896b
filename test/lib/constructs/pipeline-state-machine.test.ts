import { FAILURE_PLAN, PLAN_TASKS } from '../../../lambdas/plan';
import { renderStateMachine } from '../../../local/state-machine';

// The definition as deployed, parsed: each state's retries, timeouts and catches, by name.
interface State {
  Type: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts: number; MaxDelaySeconds?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  TimeoutSeconds?: number;
  Next?: string;
  Default?: string;
  Choices?: { Variable: string; BooleanEquals?: boolean; Next: string }[];
  Branches?: { States: Record<string, State> }[];
  ItemProcessor?: { States: Record<string, State> };
}

const { definition } = renderStateMachine();
const top = definition.States as Record<string, State>;
const allTasks: [string, State][] = [];
const collect = (states: Record<string, State>) => {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') allTasks.push([name, state]);
    for (const branch of state.Branches ?? []) collect(branch.States);
    if (state.ItemProcessor) collect(state.ItemProcessor.States);
  }
};
collect(top);

test('every Task, nested ones included, retries transient errors with capped back-off and has a timeout', () => {
  // Every task of the plan, and the one that records a failure.
  expect(allTasks.map(([name]) => name).sort()).toEqual(
    [...PLAN_TASKS.map((task) => task.state), FAILURE_PLAN.record.state].sort(),
  );
  for (const [name, state] of allTasks) {
    const retry = state.Retry?.find((r) => r.ErrorEquals.includes('TransientError'));
    expect({
      name,
      retry: retry && { attempts: retry.MaxAttempts, maxDelay: retry.MaxDelaySeconds },
    }).toEqual({
      name,
      retry: { attempts: 6, maxDelay: 60 },
    });
    expect(state.TimeoutSeconds).toBeGreaterThan(0);
  }
});

test('after the run starts, every top-level step catches everything into Record failure, which ends in Run failed', () => {
  // A Choice or a Pass runs no code and cannot fail.
  const started = Object.entries(top).filter(
    ([name, state]) =>
      !['Start run', 'Record failure', 'Run failed'].includes(name) &&
      state.Type !== 'Choice' &&
      state.Type !== 'Pass',
  );
  expect(started.length).toBeGreaterThan(8);
  for (const [name, state] of started) {
    expect({ name, catch: state.Catch }).toEqual({
      name,
      catch: [expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Record failure' })],
    });
  }
  // A second run is refused at Start run, which must not mark the run that holds the lock as failed.
  expect(top['Start run']?.Catch).toBeUndefined();
  expect(top['Record failure']?.Catch).toEqual([
    expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Run failed' }),
  ]);
  expect(top['Record failure']?.Next).toBe('Run failed');
});

test('the run goes through the steps in order, staging batch after batch, and publishes last', () => {
  const order: string[] = [];
  for (
    let name: string | undefined = definition.StartAt;
    name && top[name];
    name = top[name]?.Next ?? top[name]?.Default
  )
    order.push(name);
  expect(order).toEqual([
    'Start run',
    'Erase requested people',
    'List new files',
    'Load files',
    'Files loaded',
    'Stage events',
    'More to stage?',
    'More new files?',
    'Build facts',
    'Build daily aggregates',
    'Build dimensions',
    'Build accounts and subscriptions',
    'Build monthly MRR',
    'Check core quality',
    'Set as-of date',
    'Refresh analytics',
    'Check analytics quality',
    'Publish analytics',
    'Finish run',
  ]);
  expect(top['More to stage?']?.Choices).toEqual([
    { Variable: '$.staging.moreToStage', BooleanEquals: true, Next: 'Stage events' },
    { Variable: '$.staging.upToDate', BooleanEquals: true, Next: 'Already published' },
  ]);
  // Nothing new: the published as-of date is kept for Finish run, past every build and publication.
  expect(top['Already published']).toEqual({
    Type: 'Pass',
    Parameters: { 'asOf.$': '$.staging.publishedAsOf' },
    ResultPath: '$.analytics',
    Next: 'Finish run',
  });
});

test('a file that fails to load after its retries is caught inside the Map: the other files and the run go on', () => {
  const map = top['Load files'] as State;
  const load = map.ItemProcessor?.States['Load file'];
  expect(load?.Catch).toEqual([
    expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Load failed' }),
  ]);
  expect(map.ItemProcessor?.States['Load failed']?.Type).toBe('Pass');
});
