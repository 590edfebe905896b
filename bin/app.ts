#!/usr/bin/env node
/** The CDK app: wires the stacks together; `cdk synth` and `cdk deploy` run this file. */
import { App } from 'aws-cdk-lib';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App();
new PipelineStack(app, 'SaasAnalyticsPipeline', {
  databaseSecretName: app.node.tryGetContext('databaseSecretName') as string | undefined,
});
