#!/usr/bin/env node
// npm's bin entry: runs the TypeScript CLI through tsx, a runtime dependency.
require('tsx/cjs');
require('./saas-pipeline.ts');
