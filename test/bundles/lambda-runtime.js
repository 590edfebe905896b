'use strict';
/**
 * A stand-in for the bootstrap of Lambda's Node.js runtime, run under Node 24 (the nodejs24.x
 * runtime) in the function's code folder: it loads the handler named by _HANDLER from
 * LAMBDA_TASK_ROOT, as the runtime does at init, then answers one invocation at a time over the IPC
 * channel, with the error shape Lambda reports (errorType is the error's name). The real runtime polls
 * the Runtime API over HTTP instead; what the handler sees (its event, a context, the environment, a
 * process that lives on between invocations) is the same.
 *
 * It also notes every .sql file the bundle reads, so that the test can check that a bundle reads its
 * SQL from its own folder, as it must in Lambda, where nothing else of the repository exists.
 */
const fs = require('node:fs');
const path = require('node:path');

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [moduleName, exportName] = splitHandler(process.env._HANDLER);

const sqlRead = new Set();
const noteRead = (file) => {
  if (typeof file !== 'string' && !(file instanceof URL)) return;
  const absolute = path.resolve(file instanceof URL ? file.pathname : file);
  if (absolute.endsWith('.sql')) sqlRead.add(absolute);
};
// The bundle calls these through the module object (esbuild keeps node: built-ins as requires), so
// wrapping the properties sees every call.
for (const name of ['readFileSync', 'readFile']) {
  const original = fs[name];
  fs[name] = function (file, ...rest) {
    noteRead(file);
    return original.call(this, file, ...rest);
  };
}
const originalPromisesReadFile = fs.promises.readFile;
fs.promises.readFile = function (file, ...rest) {
  noteRead(file);
  return originalPromisesReadFile.call(this, file, ...rest);
};

function splitHandler(handler) {
  const dot = String(handler).lastIndexOf('.');
  if (dot <= 0) throw new Error(`_HANDLER must be module.export, got ${handler}`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

function errorResponse(error) {
  const failure = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: failure.name || 'Error',
    errorMessage: failure.message,
    trace: String(failure.stack || '').split('\n'),
  };
}

function takeSqlRead() {
  const files = [...sqlRead];
  sqlRead.clear();
  return files;
}

let handler;
let initError;
try {
  handler = require(path.join(taskRoot, moduleName))[exportName];
  if (typeof handler !== 'function') throw new Error(`${moduleName}.${exportName} is not a function`);
} catch (error) {
  const failure = errorResponse(error);
  initError = {
    ...failure,
    errorType: 'Runtime.ImportModuleError',
    errorMessage: `${failure.errorType}: ${failure.errorMessage}`,
  };
}
// A container ends with the process that started it, as a sandbox ends with its Lambda service.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', node: process.version, initError, sqlRead: takeSqlRead() });

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const { id, event, requestId, deadline } = message;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)};Sampled=0`;
  try {
    const result = await handler(event, context);
    process.send({
      type: 'result',
      id,
      result: result === undefined ? null : result,
      sqlRead: takeSqlRead(),
    });
  } catch (error) {
    process.send({ type: 'error', id, error: errorResponse(error), sqlRead: takeSqlRead() });
  }
});
