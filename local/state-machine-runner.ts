import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { StepHandler } from '../lambdas/plan';

/**
 * The state machine as the local runner executes it. Rendered from the CDK app by state-machine.ts;
 * this module loads no CDK, so that a run whose definition is cached never does.
 */
export interface RenderedStateMachine {
  /** The Amazon States Language definition CDK deploys, with fake ARNs for the functions. */
  readonly definition: StateMachineDefinition;
  /** Every Task state's name, with the handler its function runs. */
  readonly taskHandlers: Record<string, StepHandler>;
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
  /**
   * The definition passed `validateStateMachine` already (every one `loadStateMachine` returns did):
   * the library's own check, which takes most of a second, is skipped. @default false
   */
  readonly validated?: boolean;
}

/**
 * aws-local-stepfunctions, loaded on first use, through state-machine-library.js: in dist/ that is one
 * bundled file whose validator and Lambda client load only if used. Calling it early lets the load
 * overlap with something the caller waits for.
 */
export function loadRunnerLibrary(): Promise<typeof import('aws-local-stepfunctions')> {
  polyfillPromiseWithResolvers();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain .js file, typed as the package it re-exports
  return Promise.resolve(require('./state-machine-library.js') as typeof import('aws-local-stepfunctions'));
}

/** Checks the definition as aws-local-stepfunctions does before running it; throws what it finds. */
export async function validateStateMachine(rendered: RenderedStateMachine): Promise<void> {
  const { StateMachine } = await loadRunnerLibrary();
  new StateMachine(JSON.parse(JSON.stringify(rendered.definition)) as StateMachineDefinition);
}

/**
 * Executes the rendered definition with aws-local-stepfunctions, each Task running its handler in
 * this process. Retries, catches, Map and Parallel behave as the definition says.
 */
export async function executeStateMachine(
  rendered: RenderedStateMachine,
  options: ExecuteOptions,
): Promise<LocalExecution> {
  const { StateMachine, ExecutionError } = await loadRunnerLibrary();
  // The library changes the definition it is given: hand it a copy (made by JSON, so that under jest
  // its objects belong to the same realm as the library's own type checks).
  const machine = new StateMachine(
    JSON.parse(JSON.stringify(rendered.definition)) as StateMachineDefinition,
    {
      validationOptions: { noValidate: options.validated === true },
    },
  );
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
