// Sharded exploration (sim/explore/shard.ts, search.ts, parallel.ts): splitting the
// breadth-first search between shards must not change what it finds. Shards are
// driven in this thread (every step message goes through a structured clone, as
// it would between threads), and once through real worker threads.

import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { explore } from '../../sim/explore/engine.ts';
import { exploreSpec } from '../../sim/explore/parallel.ts';
import { Search } from '../../sim/explore/search.ts';
import { Shard } from '../../sim/explore/shard.ts';
import { buildSearch, type SearchSpec } from '../../sim/explore/spec.ts';
import type { ExploreOptions, ExploreResult } from '../../sim/explore/result.ts';
import { DEFAULT_UNIVERSE, type UniverseSpec } from '../../sim/explore/universe.ts';

const LEAN: UniverseSpec = { ...DEFAULT_UNIVERSE, denyRest: false, lifecycle: false };

/** The search with n shards in this thread; `work` gets each shard's own transitions. */
async function sharded(spec: SearchSpec, opts: ExploreOptions, n: number, work: number[] = [], gifts = { entries: 0 }): Promise<ExploreResult> {
  const shards: Shard<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const { subject, universe } = await buildSearch(spec);
    shards.push(new Shard(subject, universe, i, n, opts.depth, opts.perKind ?? 1));
  }
  const search = new Search(opts, n);
  while (!search.finished) {
    const reqs = search.request();
    const replies = shards.map((s, i) => structuredClone(s.step(structuredClone(reqs[i]))));
    replies.forEach((r, i) => { work[i] = r.transitions; gifts.entries += r.gift ? count(r.gift) : 0; });
    search.absorb(replies);
  }
  return search.result();
}

/** Paths in a gift (see Shard.give). */
function count(gift: Int32Array): number {
  let n = 0;
  for (let p = 0; p < gift.length; p += 1 + gift[p]) n++;
  return n;
}

async function single(spec: SearchSpec, opts: ExploreOptions): Promise<ExploreResult> {
  const { subject, universe } = await buildSearch(spec);
  return explore(subject, universe, opts);
}

const summary = (r: ExploreResult) => ({ states: r.states, transitions: r.transitions, perDepth: r.perDepth, complete: r.complete });
const kinds = (r: ExploreResult) => r.findings.map((f) => `${f.moves.length} ${f.kind}`).sort();

describe('sharded exploration', () => {
  for (const [name, spec, depth] of [
    ['kernel 7.3, default', { subject: { kind: 'model', model: 'kernel', profile: '7.3' }, universe: DEFAULT_UNIVERSE }, 3],
    ['reference 7.2, default', { subject: { kind: 'model', model: 'reference', profile: '7.2' }, universe: DEFAULT_UNIVERSE }, 3],
    ['kernel 6.18, one opcode', { subject: { kind: 'model', model: 'kernel', profile: '6.18' }, universe: { ...DEFAULT_UNIVERSE, opcodes: [OP.NOP] } }, 5],
  ] as [string, SearchSpec, number][]) {
    it(`${name}: 2 and 3 shards find the same states per depth as one`, async () => {
      const one = await single(spec, { depth });
      expect(one.complete).toBe(true);
      for (const n of [2, 3]) {
        const work: number[] = [];
        expect(summary(await sharded(spec, { depth }, n, work))).toEqual(summary(one));
        // Every shard expanded states of its own (the search was split, not replicated).
        expect(work.length).toBe(n);
        for (const w of work) expect(w).toBeGreaterThan(0);
      }
    });
  }

  it('a diff search finds the same kinds of difference at the same depths with 3 shards', async () => {
    const spec: SearchSpec = { subject: { kind: 'diff', model: 'reference', a: '7.2', b: '7.3' }, universe: { ...LEAN, opcodes: [OP.NOP] } };
    const one = await single(spec, { depth: 4, perKind: 1 });
    const three = await sharded(spec, { depth: 4, perKind: 1 }, 3);
    expect(one.findings.length).toBeGreaterThan(0);
    expect(kinds(three)).toEqual(kinds(one));
    expect(summary(three)).toEqual(summary(one));
  });

  it('hands entries from busy shards to idle ones without changing what is found', async () => {
    // Rounds of a few entries, so that shards run out at different times within every level.
    const spec: SearchSpec = { subject: { kind: 'model', model: 'kernel', profile: '7.3' }, universe: DEFAULT_UNIVERSE };
    const one = await single(spec, { depth: 4 });
    for (const n of [2, 3]) {
      const gifts = { entries: 0 };
      const r = await sharded(spec, { depth: 4, roundEntries: 5 }, n, [], gifts);
      expect(summary(r)).toEqual(summary(one));
      expect(kinds(r)).toEqual(kinds(one));
      expect(gifts.entries).toBeGreaterThan(0);
    }
  });

  it('stops at a state limit and a depth of 0 like one shard', async () => {
    const spec: SearchSpec = { subject: { kind: 'model', model: 'reference', profile: '7.3' }, universe: LEAN };
    const capped = await sharded(spec, { depth: 6, maxStates: 5000 }, 2);
    expect(capped.stoppedBy).toBe('max-states');
    expect(capped.complete).toBe(false);
    expect(capped.states).toBeGreaterThanOrEqual(5000);
    expect(capped.states).toBe(capped.perDepth.reduce((a, b) => a + b, 0));
    const none = await sharded(spec, { depth: 0 }, 2);
    expect(summary(none)).toEqual(summary(await single(spec, { depth: 0 })));
  });

  it('runs in worker threads with the same result', async () => {
    // Deep enough that the threads race on the shared key set for two levels.
    const spec: SearchSpec = { subject: { kind: 'model', model: 'kernel', profile: '7.3' }, universe: LEAN };
    const one = await single(spec, { depth: 4 });
    const two = await exploreSpec(spec, { depth: 4 }, 2);
    expect(two.workers).toBe(2);
    expect(summary(two)).toEqual(summary(one));
  }, 60_000);
});
