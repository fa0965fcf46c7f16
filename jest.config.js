/** @type {import('jest').Config} */
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
  setupFiles: ['reflect-metadata'],
  // A folder for the run, where the first test that needs it builds the PGlite template.
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  // PGlite's first start in a process takes several seconds.
  testTimeout: 60_000,
  // Two files at a time on two cores: much of a file's time is spent waiting on databases,
  // servers and child processes (measured: 288 s with two workers, 457–498 s with Jest's one).
  maxWorkers: 2,
};
