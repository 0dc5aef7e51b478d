/** Type checking happens once in `tsc --noEmit` (npm test); jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 120000,
  // Both cores: the artifact suites spend most of their time in child processes and loopback servers.
  maxWorkers: 2,
};
