#!/usr/bin/env node
/** The CDK app: `cdk synth` and `cdk deploy` run this file. */
import { App } from 'aws-cdk-lib';
import { addStacks } from '../lib/app';

addStacks(new App());
