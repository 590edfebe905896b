import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Construct } from 'constructs';
import { PROJECT_ROOT } from '../../common/project-root';
import { addStacks } from '../../lib/app';
import { PipelineFunction } from '../../lib/constructs/pipeline-function';
import type { PipelineLogin } from '../../lambdas/warehouse/login-names';

/** Where the assembly says the functions live: the account and region its ARNs are evaluated in. */
export const LOCAL_ACCOUNT = { region: 'us-east-1', account: '000000000000', partition: 'aws' };

/** One Lambda function of the pipeline stack, as `cdk deploy` would create it from the assembly. */
export interface DeployedFunction {
  readonly logicalId: string;
  /** Its ARN, as the state machine's definition names it. */
  readonly arn: string;
  /** The source file in lambdas/handlers it was bundled from, e.g. `load-file`. */
  readonly handlerFile: string;
  /** The folder that is zipped and uploaded as its code. */
  readonly assetDir: string;
  /** `index.handler`: the module in assetDir and its export. */
  readonly handler: string;
  readonly runtime: string;
  readonly architectures: readonly string[];
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Its environment, with every reference evaluated. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface SynthesizedPipeline {
  readonly outdir: string;
  readonly functions: readonly DeployedFunction[];
  /** The state machine's definition as deployed, its function references evaluated to their ARNs. */
  readonly definition: StateMachineDefinition;
  /** The ARN each secret reference evaluates to: the RDS master's and each login's. */
  readonly secretArns: Readonly<Record<'master' | PipelineLogin, string>>;
}

export interface SynthesizeOptions {
  readonly outdir: string;
  /** The name the landing bucket's Ref evaluates to. */
  readonly landingBucket: string;
}

/**
 * Synthesizes the CDK app as `cdk synth` does (bin/app.ts's stacks, cdk.json's context), with bundling
 * on: NodejsFunction bundles each handler with the esbuild in node_modules, no Docker. Then reads the
 * cloud assembly from disk, the way the CDK CLI does before it deploys: the templates, and the asset
 * manifest that says which folder becomes each function's code. Skipped here, as costly and no part of
 * what runs: CloudFormation's validation and cdk-nag (test/lib/nag.test.ts runs the latter).
 */
export function synthesizePipeline(options: SynthesizeOptions): SynthesizedPipeline {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const app = new App({
    outdir: options.outdir,
    context: cdkJson.context,
    builtinCloudFormationValidation: false,
  });
  const stacks = addStacks(app);
  if (!stacks.database) throw new Error('The default app has a database stack; no context may change that');
  app.synth();

  const pipeline = stacks.pipeline;
  const logicalId = (construct: Construct) =>
    Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  // Which handler file each function was built from, known only to the constructs.
  const handlerFiles = new Map<string, string>(
    Object.entries(pipeline.pipeline.functions).map(([file, fn]) => [logicalId(fn), file]),
  );
  const schema = pipeline.node.tryFindChild('Schema') as
    { bootstrapFunction: PipelineFunction; migrateFunction: PipelineFunction } | undefined;
  if (schema) {
    handlerFiles.set(logicalId(schema.bootstrapFunction), 'provision-migrator');
    handlerFiles.set(logicalId(schema.migrateFunction), 'migrate-schema');
  }
  const ours = pipeline.node.findAll().filter((c): c is PipelineFunction => c instanceof PipelineFunction);
  for (const fn of ours)
    if (!handlerFiles.has(logicalId(fn)))
      throw new Error(`${fn.node.path} is a pipeline function this test does not know the handler of`);

  const database = stacks.database;
  const secretLogicalIds: Record<'master' | PipelineLogin, string> = {
    master: logicalId(database.masterSecret as unknown as Construct),
    migrator: logicalId(database.loginSecrets.migrator),
    loader: logicalId(database.loginSecrets.loader),
    transformer: logicalId(database.loginSecrets.transformer),
    eraser: logicalId(database.loginSecrets.eraser),
    reader: logicalId(database.loginSecrets.reader),
  };

  const assembly = readAssembly(options.outdir, app.node.children.filter(Stack.isStack));
  const evaluate = evaluator(assembly, options.landingBucket);
  const template = assembly.get(pipeline.stackName);
  if (!template) throw new Error(`No template for ${pipeline.stackName}`);
  const assets = JSON.parse(
    readFileSync(path.join(options.outdir, `${pipeline.artifactId}.assets.json`), 'utf8'),
  ) as {
    files: Record<
      string,
      { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
    >;
  };

  const functions = ours.map((fn): DeployedFunction => {
    const id = logicalId(fn);
    const properties = template.Resources[id]?.Properties as unknown as LambdaProperties;
    const objectKey = evaluate(pipeline.stackName, properties.Code.S3Key);
    const asset = Object.values(assets.files).find((file) =>
      Object.values(file.destinations).some((destination) => destination.objectKey === objectKey),
    );
    if (!asset || asset.source.packaging !== 'zip')
      throw new Error(`${id}: no zipped folder asset is uploaded as ${objectKey}`);
    return {
      logicalId: id,
      arn: functionArn(id),
      handlerFile: handlerFiles.get(id) as string,
      assetDir: path.join(options.outdir, asset.source.path),
      handler: properties.Handler,
      runtime: properties.Runtime,
      architectures: properties.Architectures ?? ['x86_64'],
      timeoutSeconds: properties.Timeout ?? 3,
      memorySize: properties.MemorySize ?? 128,
      environment: Object.fromEntries(
        Object.entries(properties.Environment?.Variables ?? {}).map(([name, value]) => [
          name,
          evaluate(pipeline.stackName, value),
        ]),
      ),
    };
  });

  const machine = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (!machine) throw new Error('The pipeline stack has no state machine');
  const definition = JSON.parse(
    evaluate(pipeline.stackName, machine.Properties.DefinitionString),
  ) as StateMachineDefinition;
  const secretArns = Object.fromEntries(
    Object.entries(secretLogicalIds).map(([kind, id]) => [kind, secretArn(id)]),
  ) as Record<'master' | PipelineLogin, string>;
  return { outdir: options.outdir, functions, definition, secretArns };
}

interface LambdaProperties {
  Code: { S3Key: unknown };
  Handler: string;
  Runtime: string;
  Architectures?: string[];
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, unknown> };
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** Each stack's template, as written into the assembly, by stack name. */
function readAssembly(outdir: string, stacks: Stack[]): Map<string, Template> {
  return new Map(
    stacks.map((stack) => [
      stack.stackName,
      JSON.parse(readFileSync(path.join(outdir, stack.templateFile), 'utf8')) as Template,
    ]),
  );
}

export function functionArn(logicalId: string): string {
  const { partition, region, account } = LOCAL_ACCOUNT;
  return `arn:${partition}:lambda:${region}:${account}:function:${logicalId}`;
}

function secretArn(logicalId: string): string {
  const { partition, region, account } = LOCAL_ACCOUNT;
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${logicalId}`;
}

/**
 * Evaluates the intrinsic functions of the templates as CloudFormation would, in one local account:
 * Ref (a function's name, a secret's ARN, the landing bucket's name, pseudo parameters), Fn::GetAtt of
 * a function's ARN, Fn::Join, Fn::Sub of pseudo parameters, and Fn::ImportValue through the other
 * stacks' exports. Anything else is an error, so that nothing reaches a function unevaluated.
 */
function evaluator(assembly: Map<string, Template>, landingBucket: string) {
  const pseudo: Record<string, string> = {
    'AWS::Region': LOCAL_ACCOUNT.region,
    'AWS::AccountId': LOCAL_ACCOUNT.account,
    'AWS::Partition': LOCAL_ACCOUNT.partition,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const exported = new Map<string, { stack: string; value: unknown }>();
  for (const [stack, template] of assembly)
    for (const output of Object.values(template.Outputs ?? {}))
      if (output.Export) exported.set(String(output.Export.Name), { stack, value: output.Value });

  const evaluate = (stack: string, value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const node = (value ?? {}) as Record<string, unknown>;
    const fail = () => {
      throw new Error(`Cannot evaluate ${JSON.stringify(value).slice(0, 200)} in ${stack}`);
    };
    if ('Ref' in node) {
      const name = String(node.Ref);
      if (name in pseudo) return pseudo[name] as string;
      const type = assembly.get(stack)?.Resources[name]?.Type;
      if (type === 'AWS::S3::Bucket' && name.startsWith('LandingBucket')) return landingBucket;
      if (type === 'AWS::SecretsManager::Secret' || type === 'AWS::SecretsManager::SecretTargetAttachment')
        return secretArn(name);
      if (type === 'AWS::Lambda::Function') return name;
      return fail();
    }
    if ('Fn::GetAtt' in node) {
      const [name, attribute] = node['Fn::GetAtt'] as [string, string];
      const type = assembly.get(stack)?.Resources[name]?.Type;
      if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(name);
      return fail();
    }
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => evaluate(stack, part)).join(separator);
    }
    if ('Fn::Sub' in node && typeof node['Fn::Sub'] === 'string')
      return node['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_match, name: string) => pseudo[name] ?? fail());
    if ('Fn::ImportValue' in node) {
      const found = exported.get(evaluate(stack, node['Fn::ImportValue']));
      return found ? evaluate(found.stack, found.value) : fail();
    }
    return fail();
  };
  return evaluate;
}
