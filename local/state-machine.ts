import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { addStacks } from '../lib/app';
import { STEP_HANDLERS, type StepHandler } from '../lambdas/plan';
import type { RenderedStateMachine } from './state-machine-runner';

// The runner lives apart so that a run whose definition is cached never loads the CDK; the tests and the
// warehouse benchmark import both from here.
export {
  executeStateMachine,
  type ExecuteOptions,
  type LocalExecution,
  type RenderedStateMachine,
} from './state-machine-runner';

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
