// ESM all the way: @actions/core 3 is ESM-only, so ts-jest emits ESM and
// jest runs under --experimental-vm-modules (see package.json "jest").
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // End-to-end suites share one engine and registry; run files one by one
  // so their timings and logs stay readable on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 30_000,
};
