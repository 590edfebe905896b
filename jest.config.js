/** Type checking runs once in `npm run typecheck`; ts-jest only transpiles (isolatedModules), which keeps cold test files fast. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // npm run test:bundles runs these, with a config of its own (test/bundles/jest.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/bundles/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
};
