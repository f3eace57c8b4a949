// The options `ringfence explore` takes to run on a queue (--queue URL, --parts N),
// kept together so the command's own option list grows by one line.

import { rfError, type RfError } from '../../model/errors.ts';
import { DEFAULT_PROFILE, getProfile, PROFILE_NAMES } from '../../model/profile/profiles.ts';
import { reportError } from '../cli/command.ts';
import type { Io } from '../cli/io.ts';
import type { ModelChoice } from '../explore/run.ts';
import type { SubjectSpec } from '../explore/spec.ts';
import type { UniverseSpec } from '../explore/universe.ts';
import { parseShard } from './shard.ts';
import { swarm } from './swarm.ts';
import type { ExploreOptions, ExploreResult } from '../explore/result.ts';
import { exploreSpec } from '../explore/parallel.ts';
import type { SearchSpec } from '../explore/spec.ts';
import { parseQueueUrl } from './queue.ts';

export const DISTRIBUTED_EXPLORE_OPTIONS = {
  queue: { type: 'string' }, parts: { type: 'string' }, 'compact-keys': { type: 'boolean' },
  swarm: { type: 'boolean' }, walks: { type: 'string' }, seed: { type: 'string' }, shard: { type: 'string' },
} as const;

/** `explore --swarm`: seeded random walks, all of them or a static slice (--shard I/N). */
export async function swarmCommand(io: Io, v: Record<string, unknown>, universe: UniverseSpec, depth: number, model: ModelChoice, usage: string): Promise<number> {
  const bad = (m: string) => reportError(io, rfError('usage', m), undefined, usage);
  if (v.queue !== undefined) return bad('--swarm runs without a queue (each slice on its own: --shard I/N)');
  const walks = v.walks === undefined ? 1000 : Number(v.walks);
  if (!Number.isInteger(walks) || walks < 1 || walks > 1e9) return bad(`--walks wants an integer 1..1000000000, not '${String(v.walks)}'`);
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return bad(`--seed wants an integer 0..4294967295, not '${String(v.seed)}'`);
  const shard = parseShard(v.shard as string | undefined);
  if (!shard.ok) return reportError(io, shard.error, undefined, usage);
  let subject: SubjectSpec;
  if (v.diff !== undefined) {
    const names = String(v.diff).split(',').map((n) => n.trim());
    if (names.length !== 2 || names.some((n) => !getProfile(n))) return bad(`--diff wants two profiles such as 7.2,7.3 (known: ${PROFILE_NAMES.join(', ')})`);
    subject = { kind: 'diff', model, a: names[0], b: names[1] };
  } else {
    const p = getProfile((v.profile as string | undefined) ?? DEFAULT_PROFILE);
    if (!p) return bad(`--profile: unknown profile '${String(v.profile)}' (known: ${PROFILE_NAMES.join(', ')})`);
    subject = { kind: 'model', model, profile: p.name };
  }
  return swarm(io, { search: { subject, universe }, depth, walks, seed }, shard.value, v.out as string | undefined, Boolean(v.json));
}

export type Explorer = (spec: SearchSpec, o: ExploreOptions, workers: number) => Promise<ExploreResult>;

/** The search to run: this machine's (parallel.ts), or the queue's when --queue is given. */
export function explorer(v: Record<string, unknown>, log: (l: string) => void): { ok: true; value: Explorer } | { ok: false; error: RfError } {
  for (const o of ['walks', 'seed', 'shard'] as const) {
    if (v[o] !== undefined) return { ok: false, error: rfError('usage', `--${o} goes with --swarm`) };
  }
  if (v.queue === undefined) {
    if (v.parts !== undefined) return { ok: false, error: rfError('usage', '--parts needs --queue') };
    if (v['compact-keys'] !== undefined) return { ok: false, error: rfError('usage', '--compact-keys needs --queue (the threads of one machine share one key set of whole keys)') };
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
    // Loaded only here: BullMQ and ioredis took about half a second of every explore's start.
    value: async (spec, o) => (await import('./explore.ts')).exploreQueue(spec, { depth: o.depth, perKind: o.perKind ?? 1, parts, compact: v['compact-keys'] === true, onProgress: o.onProgress, log }, c.value),
  };
}
