#!/usr/bin/env node
// npm's bin entry: runs the CLI compiled to JavaScript in dist/, rebuilt first when a TypeScript
// source changed since (scripts/build.js), or the sources through tsx when dist/ cannot be built.
'use strict';
const path = require('node:path');
// Node 22.1 and later keep V8's compiled code between starts (a tenth of a second of the CLI's start,
// and of the local S3 server's, which this setting reaches through the environment); older Node
// versions lack the function and start as before.
const compileCache = require('node:module').enableCompileCache?.(
  path.join(__dirname, '..', '.cache', 'compile'),
);
if (compileCache?.directory) process.env.NODE_COMPILE_CACHE ??= compileCache.directory;
const { ensureBuilt, runSources } = require('../scripts/build');

const entry = ensureBuilt();
if (entry) require(entry);
else runSources(path.join(__dirname, 'saas-pipeline.ts'));
