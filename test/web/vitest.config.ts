// Browser tests of the playground: real headless Chromium (Debian's, at
// /usr/bin/chromium) driven by playwright-core against the built page served
// on loopback. Kept out of `npm test` (their files end in .browser.ts) because a
// fresh machine may lack Chromium: `npm run test:browser` runs them.

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/web/**/*.browser.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
