// A small seeded generator (splitmix32): every input of the harness is a pure
// function of (seed, entry, index), so any finding is replayed from those three.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  /** A uint32. */
  next(): number {
    let z = (this.s = (this.s + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

/** FNV-1a of a text, to mix names into seeds. */
export function hashText(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The generator of one input: a pure function of the run's seed, the entry and the index. */
export function inputRng(seed: number, entry: string, index: number): Rng {
  const r = new Rng(seed ^ hashText(entry));
  const mix = new Rng((r.next() ^ Math.imul(index, 0x27d4eb2d) ^ Math.floor(index / 0x100000000)) | 0);
  mix.next();
  return mix;
}
