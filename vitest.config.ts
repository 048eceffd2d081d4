import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'cdk.out/**'],
    // Generous: several tests spawn processes (cdk synth, esbuild, the CLI, Chromium) on a shared 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Both cores: Vitest's default is one fewer than the machine has, so one worker on the 2-core
    // machine the project is built on, and the suite ran its files one after another (607 s in the
    // fresh-clone CI of stop 47). Many files mostly wait (simulated latency, retry pacing, child
    // processes), which a second worker overlaps; the tests hold under load (every whole run of
    // stop 47 beside eight helpers' test runs passed).
    maxWorkers: 2,
  },
});
