// The long doubling run of invariants.bench.ts, 10,000 to 1,280,000 forks (a few
// minutes and ~2-3 GB of heap at the top): run with `ringfence bench --only invariants-1m`.

import type { BenchSuite } from './harness.ts';
import { doubling } from './invariants.bench.ts';

export const suite: BenchSuite = {
  name: 'invariants-1m',
  optIn: true,
  run: (ctx) => doubling(ctx, 10_000, 1_280_000),
};
