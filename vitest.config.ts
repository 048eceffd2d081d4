import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'cdk.out/**'],
    // Generous: several tests spawn processes (cdk synth, esbuild, the CLI, Chromium) on a shared 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
