/**
 * `npm run test:bundles`: the bundles `cdk deploy` uploads, executed. Apart from `npm test` because it
 * synthesizes the app with bundling on and runs the functions under Node 24 (.ci/node24); jest itself
 * may run on any supported Node.
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/bundles'],
  testPathIgnorePatterns: ['/node_modules/'],
  // The setup synthesizes the app with bundling on: half a minute and more on a busy 2-core machine.
  testTimeout: 180000,
};
