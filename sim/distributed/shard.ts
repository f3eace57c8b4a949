// Static sharding: `--shard I/N` picks slice I of N of a piece of work, with no
// coordination at all (a Kubernetes Indexed Job, a batch scheduler's array job).
// Without the option, Kubernetes' JOB_COMPLETION_INDEX names the slice when the
// total is known (JOB_COMPLETION_TOTAL, or `--shard /N`).

import { rfError, type Result } from '../../model/errors.ts';

export interface Shard {
  index: number;
  count: number;
}

/** Most slices a piece of work may be cut into. */
export const MAX_SHARDS = 100_000;

const whole = (s: string | undefined): number | undefined => (s !== undefined && /^\d{1,6}$/.test(s) ? Number(s) : undefined);

/** The slice asked for, or null for all of the work. */
export function parseShard(opt: string | undefined, env: NodeJS.ProcessEnv = process.env): Result<Shard | null> {
  const fromEnv = env.JOB_COMPLETION_INDEX;
  if (opt === undefined && (fromEnv === undefined || env.JOB_COMPLETION_TOTAL === undefined)) return { ok: true, value: null };
  const text = opt ?? `${fromEnv}/${env.JOB_COMPLETION_TOTAL}`;
  const m = /^(\d*)\/(\d+)$/.exec(text);
  const bad = (why: string): Result<Shard | null> => ({ ok: false, error: rfError('usage', `--shard ${text}: ${why}`, undefined, 'I/N with 0 <= I < N <= 100000, or /N to take I from JOB_COMPLETION_INDEX') });
  if (!m) return bad('expected I/N');
  const count = whole(m[2]);
  const index = whole(m[1] === '' ? fromEnv : m[1]);
  if (m[1] === '' && fromEnv === undefined) return bad('no index: JOB_COMPLETION_INDEX is not set');
  if (count === undefined || count < 1 || count > MAX_SHARDS) return bad(`the count must be 1..${MAX_SHARDS}`);
  if (index === undefined || index >= count) return bad(`the index must be 0..${count - 1}`);
  return { ok: true, value: { index, count } };
}

/** Items [from, to) of n that slice I of N takes: contiguous, balanced, covering 0..n exactly once. */
export function sliceOf(n: number, s: Shard): { from: number; to: number } {
  return { from: Math.floor((n * s.index) / s.count), to: Math.floor((n * (s.index + 1)) / s.count) };
}
