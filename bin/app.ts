#!/usr/bin/env node
/** The CDK app: `cdk synth` and `cdk deploy` run this file, with cdk-nag's AWS Solutions checks on every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addStacks } from '../lib/app';

const app = new App();
addStacks(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
