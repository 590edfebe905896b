import type { App } from 'aws-cdk-lib';
import { PipelineStack } from './pipeline-stack';

/** The app's stacks, from its context (`cdk deploy -c databaseSecretName=...`). The CDK entry and the local renderer both build them here. */
export function addStacks(app: App): { pipeline: PipelineStack } {
  const context = (name: string) => app.node.tryGetContext(name) as string | undefined;
  const pipeline = new PipelineStack(app, 'SaasAnalyticsPipeline', {
    databaseSecretName: context('databaseSecretName'),
    databaseSecretArn: context('databaseSecretArn'),
    databaseSecretKeyArn: context('databaseSecretKeyArn'),
  });
  return { pipeline };
}
