// Preloaded with `node -r`: any require of the PostgreSQL driver throws, so a test can prove that a
// program never loads it.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^pg(-copy-streams)?(\/|$)/.test(request))
    throw new Error(`blocked: ${request} must not be loaded here`);
  return resolve.call(this, request, ...rest);
};
