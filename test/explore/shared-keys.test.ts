// The shared key set of a parallel exploration (sim/explore/shared-keys.ts) and the
// shared text numbering (shared-texts.ts), held to the plain statement of what they
// are: a set (a key is new exactly once, whoever adds it) and a function from texts
// to numbers that every thread computes alike and that never gives two texts one
// number. Several shards are several views of the same memory, as in worker threads;
// real threads race in test/explore/parallel.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKeyBytes, KeyBuf } from '../../model/world/key.ts';
import { KeySpace, SharedKeySet, type KeySpaceSizes } from '../../sim/explore/shared-keys.ts';
import { makeSharedTexts, SharedTexts } from '../../sim/explore/shared-texts.ts';

/** Small enough that a few hundred keys grow the table and change arenas. */
const SMALL: KeySpaceSizes = { firstSlots: 16, arenaBytes: 40 << 10, arenaMargin: 17 << 10, arenaRefill: 20 << 10 };

function keyOf(ints: readonly number[]): KeyBuf {
  const b = new KeyBuf();
  for (const x of ints) b.put(x);
  return b;
}

/**
 * `shards` views of one shared set, driven as the search drives shards: when the
 * view about to add says it is full, the round ends and the coordinator makes room.
 */
class Driver {
  readonly space: KeySpace;
  readonly views: SharedKeySet[];
  rounds = 0;

  constructor(shards: number, sizes = SMALL) {
    this.space = new KeySpace(shards, sizes);
    this.views = Array.from({ length: shards }, (_, i) => new SharedKeySet(i));
    this.round(null);
  }

  private round(free: (number | undefined)[] | null): void {
    // Structured clones, as a worker thread receives the update.
    const u = this.space.update(free);
    if (u) for (const v of this.views) v.update(structuredClone(u));
    this.rounds++;
  }

  /** Add by the key's own hash, or by the given one (as packed keys are). */
  add(shard: number, key: KeyBuf, hash?: number): boolean {
    for (let tries = 0; this.views[shard].full(); tries++) {
      if (tries > 2) throw new Error('the coordinator made no room');
      this.round(this.views.map((v) => v.free));
    }
    const v = this.views[shard];
    return hash === undefined ? v.addKey(key) : v.addBytes(key.b, 0, key.n, hash);
  }
}

function run(keys: { shard: number; ints: readonly number[] }[], shards: number) {
  const d = new Driver(shards);
  const answers = keys.map((k) => d.add(k.shard, keyOf(k.ints)));
  return { answers, size: d.space.size, rounds: d.rounds };
}

const keyArb = fc.array(fc.integer({ min: -200, max: 200 }), { maxLength: 40 });

describe('SharedKeySet', () => {
  it('is a set: a key is new exactly once, whichever shard adds it, across growth and arena changes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.record({
        shard: fc.integer({ min: 0, max: n - 1 }),
        // Few distinct keys, so that most adds are repeats; some long ones fill arenas.
        ints: fc.oneof(fc.constantFrom([], [1], [1, 2], [2, 1], [-1]), keyArb, fc.array(fc.integer(), { minLength: 200, maxLength: 600 })),
      }), { maxLength: 400 }))),
      ([n, keys]) => {
        const model = new Set<string>();
        const want = keys.map((k) => {
          const t = k.ints.join(',');
          const fresh = !model.has(t);
          model.add(t);
          return fresh;
        });
        const got = run(keys, n);
        expect(got.answers).toEqual(want);
        expect(got.size).toBe(model.size);
      },
    ), { numRuns: 150 });
  });

  it('grows: thousands of keys through a 16-slot first table and 40 KiB arenas, every one found again', () => {
    const d = new Driver(2);
    const keys = Array.from({ length: 3000 }, (_, i) => keyOf([i, i * 7, -i]));
    keys.forEach((k, i) => expect(d.add(i % 2, k)).toBe(true));
    keys.forEach((k, i) => expect(d.add(1 - (i % 2), k)).toBe(false));
    expect(d.space.size).toBe(3000);
    expect(d.rounds).toBeGreaterThan(5);
  });

  it('finds a key whose hash is 0 (stored as 1) after the table grows', () => {
    // Other keys get hashes 2, 3, ..., so slot 0 stays free and a lookup that
    // started anywhere but where the key was put back would miss it.
    const d = new Driver(1);
    const z = keyOf([-9, 9]);
    expect(d.add(0, z, 0)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(d.add(0, keyOf([i]), i + 2)).toBe(true);
    expect(d.rounds).toBeGreaterThan(3);
    expect(d.add(0, z, 0)).toBe(false);
  });

  it('takes keys by bytes and hash as they were packed, equal to adding the key', () => {
    const d = new Driver(1);
    const a = keyOf([5, -3, 1000]);
    expect(d.add(0, a, hashKeyBytes(a.b, 0, a.n))).toBe(true);
    expect(d.add(0, keyOf([5, -3, 1000]))).toBe(false);
    expect(d.add(0, keyOf([5, -3, 1001]))).toBe(true);
  });

  it('refuses, rather than corrupts, a key it cannot hold', () => {
    const d = new Driver(1);
    const huge = keyOf(Array.from({ length: 20000 }, (_, i) => i));
    expect(() => d.add(0, huge)).toThrow(/longer than the shared key set takes/);
    expect(d.space.size).toBe(0);
    expect(d.add(0, keyOf([1]))).toBe(true);
  });
});

describe('SharedTexts', () => {
  it('numbers texts alike in every thread, whatever order each meets them in, and never two texts alike', () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 60 }), fc.array(fc.nat()), (texts, order) => {
      const init = makeSharedTexts();
      const a = new SharedTexts(init), b = new SharedTexts(init);
      const shuffled = texts.map((t, i) => [order[i] ?? 0, t] as const).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
      const na = texts.map((t) => a.number(t));
      const nb = shuffled.map((t) => b.number(t));
      const byText = new Map<string, number>();
      texts.forEach((t, i) => byText.set(t, na[i]));
      shuffled.forEach((t, i) => expect(nb[i]).toBe(byText.get(t)));
      // One number per text, distinct texts distinct numbers, '' is 0 as every thread numbers it at load.
      expect(new Set(byText.values()).size).toBe(byText.size);
      expect(a.number('')).toBe(0);
      if (byText.has('')) expect(byText.get('')).toBe(0);
    }));
  });
});
