#!/usr/bin/env node
// npm's bin entry: runs the CLI compiled to JavaScript in dist/, rebuilt first when a TypeScript
// source changed since (scripts/build.js), or the sources through tsx when dist/ cannot be built.
'use strict';
const path = require('node:path');
const { ensureBuilt, runSources } = require('../scripts/build');

const entry = ensureBuilt();
if (entry) require(entry);
else runSources(path.join(__dirname, 'saas-pipeline.ts'));
