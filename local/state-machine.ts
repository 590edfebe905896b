import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { addStacks } from '../lib/app';
import { STEP_HANDLERS, type StepHandler } from '../lambdas/plan';

export interface RenderedStateMachine {
  /** The Amazon States Language definition CDK deploys, with fake ARNs for the functions. */
  readonly definition: StateMachineDefinition;
  /** Every Task state's name, with the handler its function runs. */
  readonly taskHandlers: Record<string, StepHandler>;
}

const FAKE_ARN = 'arn:aws:lambda:local:000000000000:function:';

/**
 * Renders the state machine from the CDK app in-process, without bundling, so that the local runner
 * executes exactly the definition `cdk deploy` ships: no second copy of the flow.
 */
export function renderStateMachine(): RenderedStateMachine {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = addStacks(app).pipeline;
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: { DefinitionString: unknown } }>;
  };
  const machine = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (!machine) throw new Error('The CDK app has no state machine');
  const definition = JSON.parse(
    resolveIntrinsics(machine.Properties.DefinitionString),
  ) as StateMachineDefinition;

  const handlerByArn = new Map<string, StepHandler>();
  for (const handler of STEP_HANDLERS) {
    const logicalId = Stack.of(stack).getLogicalId(
      stack.pipeline.functions[handler].node.defaultChild as CfnElement,
    );
    handlerByArn.set(FAKE_ARN + logicalId, handler);
  }
  const taskHandlers: Record<string, StepHandler> = {};
  visitStates(definition.States as Record<string, AnyState>, (name, state) => {
    if (state.Type !== 'Task') return;
    const handler = handlerByArn.get(String(state.Resource));
    if (!handler)
      throw new Error(`Task "${name}" calls ${String(state.Resource)}, which is no pipeline function`);
    taskHandlers[name] = handler;
  });
  return { definition, taskHandlers };
}

interface AnyState {
  Type: string;
  Resource?: unknown;
  Branches?: { States: Record<string, AnyState> }[];
  ItemProcessor?: { States: Record<string, AnyState> };
  Iterator?: { States: Record<string, AnyState> };
}

function visitStates(states: Record<string, AnyState>, visit: (name: string, state: AnyState) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    for (const branch of state.Branches ?? []) visitStates(branch.States, visit);
    if (state.ItemProcessor) visitStates(state.ItemProcessor.States, visit);
    if (state.Iterator) visitStates(state.Iterator.States, visit);
  }
}

/** The definition is a Fn::Join of text and Fn::GetAtt of function ARNs; this evaluates it with fake ARNs. */
function resolveIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveIntrinsics).join(separator);
  }
  if ('Fn::GetAtt' in node) return FAKE_ARN + (node['Fn::GetAtt'] as string[])[0];
  if ('Ref' in node) return String(node.Ref);
  throw new Error(`Cannot evaluate ${JSON.stringify(value).slice(0, 200)} in the state machine definition`);
}

export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface ExecuteOptions {
  readonly input: { asOf?: string; trigger?: string; ownerPid?: number };
  /** The execution's name, which becomes the run id. */
  readonly executionName: string;
  readonly handlers: Record<StepHandler, (input: never) => Promise<unknown>>;
  readonly onEvent?: (event: EventLog) => void;
  /** Seconds between retries; tests set 0. @default the definition's */
  readonly retryIntervalSeconds?: number;
  /** Aborts the execution: no further state starts. */
  readonly signal?: AbortSignal;
  /** Called with each Task's result, by state name: what a progress display shows of a step. */
  readonly onTaskResult?: (state: string, result: unknown) => void;
}

/**
 * Executes the rendered definition with aws-local-stepfunctions, each Task running its handler in
 * this process. Retries, catches, Map and Parallel behave as the definition says.
 */
export async function executeStateMachine(
  rendered: RenderedStateMachine,
  options: ExecuteOptions,
): Promise<LocalExecution> {
  polyfillPromiseWithResolvers();
  const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');
  // The library changes the definition it is given: hand it a copy (made by JSON, so that under jest
  // its objects belong to the same realm as the library's own type checks).
  const machine = new StateMachine(JSON.parse(JSON.stringify(rendered.definition)) as StateMachineDefinition);
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(rendered.taskHandlers).map(([state, handler]) => [
      state,
      async (input: unknown) => {
        const result = await options.handlers[handler](input as never);
        options.onTaskResult?.(state, result);
        return result;
      },
    ]),
  ) as Record<string, (input: JSONValue) => Promise<JSONValue>>;
  const retryIntervalOverrides =
    options.retryIntervalSeconds === undefined
      ? undefined
      : Object.fromEntries(
          Object.keys(rendered.taskHandlers).map((state) => [state, options.retryIntervalSeconds as number]),
        );
  const execution = machine.run(options.input as JSONValue, {
    overrides: { taskResourceLocalHandlers, retryIntervalOverrides },
    context: {
      Execution: {
        Id: `local:${options.executionName}`,
        Name: options.executionName,
        StartTime: new Date().toISOString(),
        Input: options.input,
      },
    },
  });
  options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
  const watching = (async () => {
    for await (const event of execution.eventLogs) options.onEvent?.(event);
  })();
  try {
    const output = await execution.result;
    await watching;
    return { status: 'SUCCEEDED', output };
  } catch (error) {
    await watching.catch(() => undefined);
    if (error instanceof ExecutionError) {
      const cause = (error as Error & { cause?: { name?: string; message?: string } }).cause;
      return { status: 'FAILED', error: cause?.name ?? error.name, cause: cause?.message ?? error.message };
    }
    throw error;
  }
}

type JSONValue = Parameters<InstanceType<typeof import('aws-local-stepfunctions').StateMachine>['run']>[0];
type EventLog = Awaited<
  ReturnType<
    ReturnType<
      InstanceType<typeof import('aws-local-stepfunctions').StateMachine>['run']
    >['eventLogs']['next']
  >
>['value'];

/** aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks. */
function polyfillPromiseWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const created = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: created, resolve, reject };
  };
}
