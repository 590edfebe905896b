import type { App } from 'aws-cdk-lib';
import {
  parseLoadConcurrency,
  parseMinEventTimestamp,
  parsePositiveInteger,
} from '../lambdas/warehouse/limits';
import { parseTimeZone } from '../lambdas/warehouse/time-zone-names';
import { DatabaseStack } from './stacks/database-stack';
import { NetworkStack, SUBNETS } from './stacks/network-stack';
import { PipelineStack } from './stacks/pipeline-stack';

/**
 * The app's stacks, from its context (`cdk deploy -c name=value`). The CDK entry and the local
 * renderer both build them here. By default a VPC, an RDS PostgreSQL 15 and the pipeline in that
 * VPC; with `databaseSecretName` or `databaseSecretArn`, only the pipeline, against a database of
 * your own, optionally with a login per job (`loaderSecretName`, `transformerSecretName`, `eraserSecretName`; what you
 * must create yourself is in PipelineStackProps).
 */
export function addStacks(app: App): {
  pipeline: PipelineStack;
  database?: DatabaseStack;
  network?: NetworkStack;
} {
  const context = (name: string) => {
    const value = app.node.tryGetContext(name) as unknown;
    return value === undefined ? undefined : String(value);
  };
  // Staging's settings, checked here so that a bad one fails the synth, not the first run.
  const staging = () => {
    const floor = context('minEventTimestamp');
    const lines = context('stagingBatchMaxLines');
    const zone = context('reportingTimeZone');
    const concurrency = context('loadConcurrency');
    return {
      minEventTimestamp: floor === undefined ? undefined : parseMinEventTimestamp(floor, 'minEventTimestamp'),
      stagingBatchMaxLines:
        lines === undefined ? undefined : parsePositiveInteger(lines, 'stagingBatchMaxLines'),
      fullIpAddresses: context('fullIpAddresses') === 'true',
      reportingTimeZone: zone === undefined ? undefined : parseTimeZone(zone, 'reportingTimeZone'),
      loadConcurrency:
        concurrency === undefined ? undefined : parseLoadConcurrency(concurrency, 'loadConcurrency'),
    };
  };
  if (context('databaseSecretName') || context('databaseSecretArn')) {
    const pipeline = new PipelineStack(app, 'SaasAnalyticsPipeline', {
      databaseSecretName: context('databaseSecretName'),
      databaseSecretArn: context('databaseSecretArn'),
      databaseSecretKeyArn: context('databaseSecretKeyArn'),
      loaderSecretName: context('loaderSecretName'),
      transformerSecretName: context('transformerSecretName'),
      eraserSecretName: context('eraserSecretName'),
      alarmEmail: context('alarmEmail'),
      ...staging(),
    });
    return { pipeline };
  }
  const network = new NetworkStack(app, 'SaasAnalyticsNetwork');
  const retention = context('backupRetentionDays');
  const database = new DatabaseStack(app, 'SaasAnalyticsDatabase', {
    vpc: network.vpc,
    instanceType: context('instanceType'),
    multiAz: context('multiAz') === 'true',
    backupRetentionDays: retention === undefined ? undefined : Number(retention),
    production: context('production') === 'true',
  });
  const days = (name: string) => (context(name) === undefined ? undefined : Number(context(name)));
  const pipeline = new PipelineStack(app, 'SaasAnalyticsPipeline', {
    alarmEmail: context('alarmEmail'),
    infrequentAccessAfterDays: days('infrequentAccessAfterDays'),
    startOnNewFiles: context('startOnNewFiles') === 'true',
    glacierAfterDays: days('glacierAfterDays'),
    ...staging(),
    database: {
      instance: database.instance,
      masterSecret: database.masterSecret,
      loginSecrets: database.loginSecrets,
      vpc: network.vpc,
      vpcSubnets: { subnetGroupName: SUBNETS.functions },
      securityGroups: [database.clientSecurityGroup],
    },
  });
  return { pipeline, database, network };
}
