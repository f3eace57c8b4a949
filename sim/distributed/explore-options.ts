// The options `ringfence explore` takes to run on a queue (--queue URL, --parts N),
// kept together so the command's own option list grows by one line.

import { rfError, type RfError } from '../../model/errors.ts';
import type { ExploreOptions, ExploreResult } from '../explore/result.ts';
import { exploreSpec } from '../explore/parallel.ts';
import type { SearchSpec } from '../explore/spec.ts';
import { exploreQueue } from './explore.ts';
import { parseQueueUrl } from './queue.ts';

export const DISTRIBUTED_EXPLORE_OPTIONS = {
  queue: { type: 'string' }, parts: { type: 'string' },
} as const;

export type Explorer = (spec: SearchSpec, o: ExploreOptions, workers: number) => Promise<ExploreResult>;

/** The search to run: this machine's (parallel.ts), or the queue's when --queue is given. */
export function explorer(v: Record<string, unknown>, log: (l: string) => void): { ok: true; value: Explorer } | { ok: false; error: RfError } {
  if (v.queue === undefined) {
    if (v.parts !== undefined) return { ok: false, error: rfError('usage', '--parts needs --queue') };
    return { ok: true, value: exploreSpec };
  }
  const c = parseQueueUrl(String(v.queue));
  if (!c.ok) return c;
  let parts: number | undefined;
  if (v.parts !== undefined) {
    parts = Number(v.parts);
    if (!Number.isInteger(parts) || parts < 1 || parts > 1024) return { ok: false, error: rfError('usage', `--parts wants an integer 1..1024, not '${String(v.parts)}'`) };
  }
  for (const o of ['max-states', 'seconds', 'diff', 'escapes'] as const) {
    if (v[o] !== undefined) return { ok: false, error: rfError('usage', `--${o} does not go with --queue (a distributed search runs every level to the end)`) };
  }
  return {
    ok: true,
    value: (spec, o) => exploreQueue(spec, { depth: o.depth, perKind: o.perKind ?? 1, parts, onProgress: o.onProgress, log }, c.value),
  };
}
