import { defineConfig } from 'vitest/config';

/**
 * One test runner for the whole project. Unit tests never touch the network:
 * `test/setup/no-network.ts` rejects any connection that is not to loopback.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live/**', 'node_modules/**'],
    setupFiles: ['test/setup/no-network.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
