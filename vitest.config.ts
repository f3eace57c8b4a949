import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests and scenario replays are CPU-bound; the machines have 2 cores.
    pool: 'threads',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
