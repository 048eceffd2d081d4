import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant: the unit tests of the mutated folders
 * (functions/core, functions/checks, functions/publish/security-hub). Integration, infra and
 * simulator suites stay out: they are slow and are not where these folders' behaviour is pinned.
 */
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/checks/**/*.test.ts', 'test/publish/security-hub/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'cdk.out/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
