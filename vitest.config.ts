import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the run; tests take a database of their own on it.
    globalSetup: ['test/support/postgres-global-setup.ts'],
    // End-to-end tests start real HTTP servers and a browser; two cores, so keep forks few.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
