import { defineConfig } from 'vitest/config';

/**
 * Live suites against real services, run by `npm run test:live`. Each suite skips itself cleanly when
 * its service is not configured (e.g. `QDRANT_URL` unset). Unlike the unit config, network access is
 * not blocked: the service may be a container or a remote server.
 */
export default defineConfig({
  test: {
    include: ['test/live/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One service, shared: files run one after another.
    fileParallelism: false,
  },
});
