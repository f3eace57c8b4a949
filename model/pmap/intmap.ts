// A persistent map from small non-negative integers (pids, ring, table and node ids)
// to values: a 32-way radix trie with path copying. Sets and deletes return a new
// map that shares every untouched branch with the old one, so the world can be
// branched and kept at O(log32 n) cost per change: a fork among a million tasks
// copies five 32-slot arrays, not the task table.

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Node<V> = (Node<V> | V | undefined)[];

export class IntMap<V> {
  private constructor(
    private readonly root: Node<V> | undefined,
    /** Bits above the root's level: keys must be < 2^(shift+BITS). */
    private readonly shift: number,
    readonly size: number,
  ) {}

  static empty<V>(): IntMap<V> {
    return EMPTY as IntMap<V>;
  }

  static of<V>(entries: Iterable<readonly [number, V]>): IntMap<V> {
    let m = IntMap.empty<V>();
    for (const [k, v] of entries) m = m.set(k, v);
    return m;
  }

  get(key: number): V | undefined {
    let node = this.root;
    if (node === undefined || key >>> 0 !== key || key >= 2 ** (this.shift + BITS)) return undefined;
    for (let s = this.shift; s > 0; s -= BITS) {
      node = node[(key >>> s) & MASK] as Node<V> | undefined;
      if (node === undefined) return undefined;
    }
    return node[key & MASK] as V | undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with key bound to value (undefined values are not stored: use delete). */
  set(key: number, value: V): IntMap<V> {
    if (key >>> 0 !== key) throw new RangeError(`IntMap key ${key} is not a u32`);
    let root = this.root;
    let shift = this.shift;
    // Grow the trie upward until the key fits.
    while (key >= 2 ** (shift + BITS)) {
      root = root === undefined ? undefined : [root];
      shift += BITS;
    }
    let added = false;
    const put = (node: Node<V> | undefined, s: number): Node<V> => {
      const copy: Node<V> = node === undefined ? new Array(WIDTH) : node.slice();
      const i = (key >>> s) & MASK;
      if (s === 0) {
        if (copy[i] === undefined) added = true;
        copy[i] = value;
      } else {
        copy[i] = put(copy[i] as Node<V> | undefined, s - BITS);
      }
      return copy;
    };
    const r = put(root, shift);
    return new IntMap<V>(r, shift, this.size + (added ? 1 : 0));
  }

  delete(key: number): IntMap<V> {
    if (this.get(key) === undefined) return this;
    const del = (node: Node<V>, s: number): Node<V> | undefined => {
      const i = (key >>> s) & MASK;
      const copy = node.slice();
      if (s === 0) copy[i] = undefined;
      else copy[i] = del(copy[i] as Node<V>, s - BITS);
      // Drop branches that became empty so memory follows the live entries.
      return copy.every((x) => x === undefined) ? undefined : copy;
    };
    const size = this.size - 1;
    if (size === 0) return IntMap.empty<V>();
    return new IntMap<V>(del(this.root!, this.shift), this.shift, size);
  }

  /** Replace the value at key through f (no-op when absent). */
  update(key: number, f: (v: V) => V): IntMap<V> {
    const v = this.get(key);
    return v === undefined ? this : this.set(key, f(v));
  }

  /** Entries in ascending key order. */
  *entries(): IterableIterator<[number, V]> {
    if (this.root === undefined) return;
    const walk = function* (node: Node<V>, s: number, base: number): Generator<[number, V]> {
      for (let i = 0; i < WIDTH; i++) {
        const x = node[i];
        if (x === undefined) continue;
        const k = base + i * 2 ** s;
        if (s === 0) yield [k, x as V];
        else yield* walk(x as Node<V>, s - BITS, k);
      }
    };
    yield* walk(this.root, this.shift, 0);
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  *keys(): IterableIterator<number> {
    for (const [k] of this.entries()) yield k;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}

const EMPTY = new (IntMap as unknown as new (r: undefined, s: number, n: number) => IntMap<never>)(undefined, 0, 0);
