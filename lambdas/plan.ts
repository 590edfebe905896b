/**
 * The pipeline plan: every stage of a run in order, the state it is in the state machine, the handler
 * that runs it (lambdas/handlers/<handler>.ts), the name it is recorded under in ops.run_steps, and the
 * groups that run in parallel with their shard counts. The CDK state machine, the in-process run
 * (lambdas/warehouse/pipeline.ts) and the handlers all read this one list. It imports nothing, so
 * `cdk synth` loads no database driver.
 */

/** The kinds of step, one handler file each in lambdas/handlers and one Lambda function each. */
export const STEP_HANDLERS = [
  'start-run',
  'erase-requested',
  'list-new-files',
  'load-file',
  'stage-events',
  'build-model',
  'check-quality',
  'set-as-of',
  'refresh-view',
  'publish',
  'finish-run',
] as const;
export type StepHandler = (typeof STEP_HANDLERS)[number];

/** One task of the plan: a state in the state machine, and the row its work leaves in ops.run_steps. */
export interface PlanTask<H extends StepHandler = StepHandler> {
  /** The state's name in the state machine. */
  readonly state: string;
  readonly handler: H;
  /** The step it is recorded under in ops.run_steps; start and finish record the run itself. */
  readonly step?: string;
}

/** One date shard of a core model (the whole model when shardCount is 1). */
export interface ModelTask extends PlanTask<'build-model'> {
  readonly model: CoreModel;
  readonly shard: number;
  readonly shardCount: number;
  readonly step: string;
}

export interface ViewTask extends PlanTask<'refresh-view'> {
  readonly view: AnalyticsView;
  readonly step: string;
}

export interface QualityTask extends PlanTask<'check-quality'> {
  readonly phase: 'core' | 'analytics';
  readonly step: string;
}

/**
 * The core layer in build order, with the shards each model is split into. Models in one group read
 * nothing written by each other, so each group runs in parallel. Facts come first: they need only
 * staging, and dim_users takes a user's first activity from the daily facts when no sign-up event
 * exists. Only models rebuilt date by date, with nothing shared between dates, may have more than one
 * shard; the dimensions rebuild rows keyed by user or document, which two shards' dates would share,
 * and the revenue models rows keyed by account.
 */
export const CORE_MODEL_GROUPS = [
  // Reads staging for the pending dates.
  { state: 'Build facts', models: { fact_events: 2 } },
  // All three read fact_events for the pending dates; the daily activity also takes each day's account.
  // The sessions are not split by date: one can cross midnight.
  {
    state: 'Build daily aggregates',
    models: { fact_daily_user_activity: 2, fact_daily_user_features: 2, fact_sessions: 1 },
  },
  {
    state: 'Build dimensions',
    models: { dim_date: 1, dim_features: 1, dim_users: 1, dim_documents: 1, dim_user_accounts: 1 },
  },
  // dim_user_accounts (from fact_daily_user_activity) came before: both read each user's account, and
  // the subscriptions also dim_users' version 1.
  { state: 'Build accounts and subscriptions', models: { dim_accounts: 1, fact_subscription_changes: 1 } },
  // Reads the subscription changes, and dim_date for the last month.
  { state: 'Build monthly MRR', models: { fact_customer_mrr_monthly: 1 } },
] as const;

export type CoreModel = keyof (typeof CORE_MODEL_GROUPS)[number]['models'];

/** The analytics layer: materialized views, each refreshed on its own, so all of them in parallel. */
export const ANALYTICS_VIEWS = [
  'daily_active_users',
  'user_retention_cohorts',
  'feature_adoption_funnel',
  'churn_risk_scores',
  'mrr_monthly',
  'trial_to_paid',
  'account_health',
  'daily_active_accounts',
  'account_retention_cohorts',
  'user_lifecycle_weekly',
  'user_lifecycle_monthly',
  'user_retention_days',
  'session_metrics',
  'activation_funnel',
] as const;
export type AnalyticsView = (typeof ANALYTICS_VIEWS)[number];

/** A step that runs once. */
export interface SingleStage {
  readonly kind: 'single';
  readonly task: PlanTask;
}
/** One task per listed file, a few at a time; a file that fails does not fail the run. */
export interface EachFileStage {
  readonly kind: 'each-file';
  readonly state: string;
  readonly task: PlanTask<'load-file'>;
  /** The state for a file that still failed after its retries. */
  readonly failedState: string;
  /** The state after the files, which keeps only their counts: the list leaves the execution's state. */
  readonly loadedState: string;
}
/**
 * Back to an earlier state while the listing says files are left (NewFiles.more): one run works off
 * a backlog round by round (list, load, stage), up to the listing's bound for a run.
 */
export interface LoopStage {
  readonly kind: 'loop';
  readonly choiceState: string;
  /** The state of the plan to go back to. */
  readonly backTo: string;
}
/** One bounded batch a call, called again while the handler says there is more. */
export interface UntilDoneStage {
  readonly kind: 'until-done';
  readonly task: PlanTask<'stage-events'> & {
    readonly step: string;
    /** Shards one call stages in parallel, one connection each. */
    readonly shards: number;
  };
  /** The choice state that loops. */
  readonly choiceState: string;
  /**
   * Where the choice goes when the handler staged no file, no date is pending and the published
   * analytics are current: a state that keeps the published as-of date and goes to the plan's last
   * stage (Finish run), past every build, check, refresh and publication.
   */
  readonly upToDateState: string;
}
/** Tasks that run at the same time; the stage fails if any of them does. */
export interface ParallelStage<T extends PlanTask = PlanTask> {
  readonly kind: 'parallel';
  readonly state: string;
  readonly tasks: readonly T[];
}
export type PlanStage = SingleStage | EachFileStage | UntilDoneStage | LoopStage | ParallelStage;

/** The step name of one model shard, as recorded in ops.run_steps. */
export function modelStepName(model: CoreModel, shard: number, shardCount: number): string {
  return shardCount > 1 ? `build_${model}_${shard}` : `build_${model}`;
}

function modelTasks(models: Readonly<Record<string, number>>): ModelTask[] {
  return Object.entries(models).flatMap(([name, shardCount]) => {
    const model = name as CoreModel;
    return Array.from({ length: shardCount }, (_, shard) => ({
      state: shardCount > 1 ? `Build ${model} (${shard + 1} of ${shardCount})` : `Build ${model}`,
      handler: 'build-model' as const,
      model,
      shard,
      shardCount,
      step: modelStepName(model, shard, shardCount),
    }));
  });
}

const quality = (phase: QualityTask['phase'], state: string): SingleStage => ({
  kind: 'single',
  task: { state, handler: 'check-quality', phase, step: `quality_gate_${phase}` } as QualityTask,
});

/** The run, in order. Readers see nothing of it before Publish, which comes after every check. */
export const PIPELINE_PLAN: readonly PlanStage[] = [
  { kind: 'single', task: { state: 'Start run', handler: 'start-run' } },
  // Before any file loads, so that the tombstones of the people it erases apply to the new files.
  {
    kind: 'single',
    task: { state: 'Erase requested people', handler: 'erase-requested', step: 'erase_requested' },
  },
  { kind: 'single', task: { state: 'List new files', handler: 'list-new-files', step: 'list_new_files' } },
  {
    kind: 'each-file',
    state: 'Load files',
    task: { state: 'Load file', handler: 'load-file', step: 'load_file' },
    failedState: 'Load failed',
    loadedState: 'Files loaded',
  },
  {
    kind: 'until-done',
    // Two shards: one per core of a small database server.
    task: { state: 'Stage events', handler: 'stage-events', step: 'stage_events', shards: 2 },
    choiceState: 'More to stage?',
    upToDateState: 'Already published',
  },
  // What one round could not take: list again, before anything is built from what was staged.
  { kind: 'loop', choiceState: 'More new files?', backTo: 'List new files' },
  ...CORE_MODEL_GROUPS.map((group): ParallelStage<ModelTask> => ({
    kind: 'parallel',
    state: group.state,
    tasks: modelTasks(group.models),
  })),
  // The core is checked before the views are refreshed.
  quality('core', 'Check core quality'),
  { kind: 'single', task: { state: 'Set as-of date', handler: 'set-as-of', step: 'set_as_of' } },
  {
    kind: 'parallel',
    state: 'Refresh analytics',
    tasks: ANALYTICS_VIEWS.map((view): ViewTask => ({
      state: `Refresh ${view}`,
      handler: 'refresh-view',
      view,
      step: `refresh_${view}`,
    })),
  },
  quality('analytics', 'Check analytics quality'),
  { kind: 'single', task: { state: 'Publish analytics', handler: 'publish', step: 'publish' } },
  { kind: 'single', task: { state: 'Finish run', handler: 'finish-run' } },
];

/** Every task of the plan, in order, those of parallel stages included. */
export const PLAN_TASKS: readonly PlanTask[] = PIPELINE_PLAN.flatMap((stage) =>
  stage.kind === 'parallel' ? [...stage.tasks] : stage.kind === 'loop' ? [] : [stage.task],
);

/** Where a step that fails after the run started goes: it records the run as failed, then fails. */
export const FAILURE_PLAN = {
  record: { state: 'Record failure', handler: 'finish-run' },
  failState: 'Run failed',
} as const satisfies { record: PlanTask; failState: string };

/** Every core model, in build order. */
export const CORE_MODELS: readonly CoreModel[] = CORE_MODEL_GROUPS.flatMap(
  (group) => Object.keys(group.models) as CoreModel[],
);

/** How many date shards a model is built in. */
export function shardCountOf(model: CoreModel): number {
  for (const group of CORE_MODEL_GROUPS) {
    const count = (group.models as Readonly<Record<string, number>>)[model];
    if (count !== undefined) return count;
  }
  throw new Error(`Unknown core model "${model}"`);
}

/** The index of a model's group in build order. */
export function groupIndexOf(model: CoreModel): number {
  return CORE_MODEL_GROUPS.findIndex((group) => model in group.models);
}

/**
 * The name a handler records its step under, from the plan: the one task of that handler, or the one
 * that `which` picks among several (a view, a quality phase).
 */
export function stepNameOf(handler: StepHandler, which: (task: PlanTask) => boolean = () => true): string {
  const matching = PLAN_TASKS.filter((task) => task.handler === handler && which(task));
  const step = matching[0]?.step;
  if (matching.length !== 1 || step === undefined)
    throw new Error(`The plan has ${matching.length} recorded ${handler} steps where one was asked for`);
  return step;
}

/** The shards one staging call works in. */
export function stagingShards(): number {
  for (const stage of PIPELINE_PLAN) if (stage.kind === 'until-done') return stage.task.shards;
  throw new Error('The plan has no staging stage');
}
