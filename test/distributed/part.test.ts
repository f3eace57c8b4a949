// The parts of a distributed search, run in this process with no Redis: every batch a
// part sends is handed to its owner as Redis might hand it over (a Buffer that may
// start off a word boundary), and the parts together must count what the
// single-machine search counts. This pins the batch layout (sim/distributed/explore.ts)
// without servers; explore.test.ts runs the same through real workers.

import { describe, expect, it } from 'vitest';
import { Part, batchWords, useHashedTextNumbers } from '../../sim/distributed/explore.ts';
import { buildSearch, type SearchSpec } from '../../sim/explore/spec.ts';
import { explore } from '../../sim/explore/engine.ts';
import { DEFAULT_UNIVERSE } from '../../sim/explore/universe.ts';

// Texts are numbered by content, as in a worker, before this process writes its first key.
useHashedTextNumbers();

const spec = (over: Partial<typeof DEFAULT_UNIVERSE> = {}): SearchSpec => ({
  subject: { kind: 'model', model: 'kernel', profile: '7.3' },
  universe: { ...DEFAULT_UNIVERSE, ...over },
});

/** A copy of b starting `skew` bytes into a larger buffer (Redis's replies are slices of its reads). */
function skewed(b: Buffer, skew: number): Buffer {
  const big = Buffer.alloc(b.length + skew + 3);
  b.copy(big, skew);
  return big.subarray(skew, skew + b.length);
}

async function inProcess(s: SearchSpec, depth: number, parts: number, skew: (i: number) => number) {
  const ps: Part<unknown>[] = [];
  for (let p = 0; p < parts; p++) {
    const { subject, universe } = await buildSearch(s);
    ps.push(new Part(subject, universe, p, parts, depth, 1));
  }
  let sent = 0;
  const spare = { buf: new ArrayBuffer(0) };
  for (let level = 1; level <= depth; level++) {
    const inbox: Buffer[][] = ps.map(() => []);
    for (const p of ps) p.begin(level);
    // Copied when sent: the part reuses a batch's memory once send() resolves.
    for (const p of ps) await p.expand(level, async (to, b) => { inbox[to].push(skewed(b, skew(sent++))); }, async () => {});
    ps.forEach((p, i) => inbox[i].forEach((b) => p.absorb(batchWords(b, spare))));
  }
  const perDepth = ps[0].perDepth.map((_, d) => ps.reduce((a, p) => a + (p.perDepth[d] ?? 0), 0));
  return { perDepth, transitions: ps.reduce((a, p) => a + p.transitions, 0), sent };
}

describe('the parts of a distributed search, in one process', () => {
  it('count what one machine counts, whatever byte offset a batch arrives at', async () => {
    for (const [s, depth] of [[spec(), 4], [spec({ tasks: 3, lifecycle: false, denyRest: false }), 4]] as const) {
      const { subject, universe } = await buildSearch(s);
      const one = explore(subject, universe, { depth });
      for (const parts of [2, 3]) {
        const got = await inProcess(s, depth, parts, (i) => i % 4);
        expect(got.sent).toBeGreaterThan(0);
        expect({ perDepth: got.perDepth.slice(0, one.perDepth.length), transitions: got.transitions })
          .toEqual({ perDepth: one.perDepth, transitions: one.transitions });
      }
    }
  }, 120_000);
});
