// aws-local-stepfunctions, as the local runner loads it (local/state-machine-runner.ts). From the
// sources this is the package itself. In dist/, scripts/build.js bundles it into one file, with three
// of its imports loaded on first use instead of at start: the definition validator (asl-validator and
// ajv, most of the library's load time), which is skipped for a definition that passed it when it was
// rendered, and the Lambda client and credential providers, which only a Task without a local handler
// would use, and every Task of ours has one.
'use strict';
module.exports = require('aws-local-stepfunctions');
