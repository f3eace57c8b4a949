// Bounded exhaustive exploration: breadth-first over every move sequence up to a
// depth, skipping states whose canonical key was already seen. Breadth-first order
// makes the first path found to any issue a shortest one.
//
// This runs the search in this thread, as one shard (shard.ts, search.ts);
// parallel.ts runs the same search over worker threads.

import { Search } from './search.ts';
import { Shard } from './shard.ts';
import type { Subject } from './subject.ts';
import type { Universe } from './universe.ts';
import type { ExploreOptions, ExploreResult } from './result.ts';

export type { ExploreOptions, ExploreResult, Finding, Progress } from './result.ts';

export function explore<S>(subject: Subject<S>, universe: Universe, opts: ExploreOptions): ExploreResult {
  const search = new Search(opts, 1);
  const shard = new Shard(subject, universe, 0, 1, opts.depth, opts.stopAtFirst ? 1 : (opts.perKind ?? 1));
  while (!search.finished) search.absorb([shard.step(search.request()[0])]);
  return search.result();
}
