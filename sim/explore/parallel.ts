// An exploration over several worker threads: each runs one shard (shard.ts) of the
// same breadth-first search, and this thread drives them in rounds (search.ts). The
// shards share one key set (shared-keys.ts) and one numbering of the texts keys
// refer to (shared-texts.ts). With one worker the search runs
// in this thread (engine.ts). The result is the same search: the same distinct
// states per level and shortest findings; only which shard found what differs.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { explore } from './engine.ts';
import type { ExploreOptions, ExploreResult } from './result.ts';
import { Search } from './search.ts';
import type { StepReply, StepRequest } from './shard.ts';
import { buildSearch, type SearchSpec } from './spec.ts';
import type { WorkerInit } from './worker.ts';
import { WORKER_SOURCE_ENTRY, workerBundle } from './bundle.ts';
import { makeSharedTexts } from './shared-texts.ts';
import { COMPILED, moduleUrl } from '../package/layout.ts';

/** Most worker threads a search starts by default. */
export const MAX_DEFAULT_WORKERS = 8;

/** Worker threads by default: one per CPU, up to MAX_DEFAULT_WORKERS. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism()));
}

/**
 * Below this depth a search runs in this thread unless asked otherwise: a complete
 * depth-4 search of the default universe takes about 2 s in one thread, and
 * starting workers and expanding the small first levels in each of them made it
 * slower, not faster (measured: 1.8 s in one thread, 2.2 s in two).
 */
export const PARALLEL_FROM_DEPTH = 5;

/** The thread count for a search of this depth when the user named none. */
export function workersForDepth(depth: number): number {
  return depth >= PARALLEL_FROM_DEPTH ? defaultWorkers() : 1;
}

class Link {
  private waiting: ((r: StepReply) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  readonly ready: Promise<void>;

  constructor(private readonly w: Worker) {
    this.ready = new Promise((resolve, reject) => {
      this.failed = reject;
      w.on('message', (m: StepReply | { ready: true } | { error: string }) => {
        if ('error' in m) this.fail(new Error(`exploration worker failed: ${m.error}`));
        else if ('ready' in m) resolve();
        else {
          const k = this.waiting;
          this.waiting = null;
          k?.(m);
        }
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => { if (this.waiting || this.failed) this.fail(new Error(`exploration worker exited (code ${code})`)); });
    });
  }

  private fail(e: Error): void {
    const f = this.failed;
    this.failed = null;
    this.waiting = null;
    f?.(e);
  }

  step(req: StepRequest): Promise<StepReply> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.w.postMessage(req);
    });
  }
}

/**
 * Explore `spec` with `workers` threads. The elapsed time (and so the rate) counts
 * from before the workers start: it is what the caller waits for.
 */
export async function exploreSpec(spec: SearchSpec, opts: ExploreOptions, workers = defaultWorkers()): Promise<ExploreResult> {
  const perKind = opts.stopAtFirst ? 1 : (opts.perKind ?? 1);
  if (workers <= 1) {
    const { subject, universe } = await buildSearch(spec);
    return explore(subject, universe, opts);
  }
  const search = new Search(opts, workers);
  // Compiled (dist/ or the CLI bundle), the worker is a plain module; from sources it is
  // bundled (esbuild, a development dependency) or loaded through tsx.
  const script = COMPILED ? new URL(moduleUrl('sim/explore/worker')) : ((await workerBundle()) ?? WORKER_SOURCE_ENTRY);
  const texts = makeSharedTexts();
  const pool = Array.from({ length: workers }, (_, index) => {
    const init: WorkerInit = { spec, index, count: workers, depth: opts.depth, perKind, texts };
    return new Worker(script, { workerData: init });
  });
  try {
    const links = pool.map((w) => new Link(w));
    await Promise.all(links.map((l) => l.ready));
    while (!search.finished) {
      const reqs = search.request();
      search.absorb(await Promise.all(links.map((l, i) => l.step(reqs[i]))));
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return search.result();
}
