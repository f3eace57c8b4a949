// A persistent map from small non-negative integers (pids, ring, table and node ids)
// to values: a 32-way radix trie with path copying. Sets and deletes return a new
// map that shares every untouched branch with the old one, so the world can be
// branched and kept at O(log32 n) cost per change: a fork among a million tasks
// copies four 32-slot arrays, not the task table.

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

/**
 * A trie node: up to WIDTH children, but only as long as its highest used index
 * needs (indexes past the end read as undefined), so a set in a small map (pids
 * 1..5, a few tables) copies a few slots rather than WIDTH.
 */
type Node = unknown[];

/** Keys a trie of root level `shift` can hold: 2^(shift+BITS), by shift / BITS. */
const CAPACITY = [2 ** 5, 2 ** 10, 2 ** 15, 2 ** 20, 2 ** 25, 2 ** 30, 2 ** 35];
function capacity(shift: number): number {
  return CAPACITY[shift / BITS];
}

export class IntMap<V> {
  private constructor(
    private readonly root: Node | undefined,
    /** Bits below the root's level: keys must be < 2^(shift+BITS). */
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
    if (node === undefined || key >>> 0 !== key || key >= capacity(this.shift)) return undefined;
    for (let s = this.shift; s > 0; s -= BITS) {
      node = node[(key >>> s) & MASK] as Node | undefined;
      if (node === undefined) return undefined;
    }
    return node[key & MASK] as V | undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with key bound to value (undefined is not a storable value: use delete). */
  set(key: number, value: V): IntMap<V> {
    if (key >>> 0 !== key) throw new RangeError(`IntMap key ${key} is not a u32`);
    let root = this.root;
    let shift = this.shift;
    // Grow the trie upward until the key fits.
    while (key >= capacity(shift)) {
      if (root !== undefined) root = [root];
      shift += BITS;
    }
    const newRoot: Node = root === undefined ? [] : root.slice();
    let node = newRoot;
    for (let s = shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      const child = node[i] as Node | undefined;
      const copy: Node = child === undefined ? [] : child.slice();
      node[i] = copy;
      node = copy;
    }
    const i = key & MASK;
    const added = node[i] === undefined;
    node[i] = value;
    return new IntMap<V>(newRoot, shift, added ? this.size + 1 : this.size);
  }

  delete(key: number): IntMap<V> {
    if (this.get(key) === undefined) return this;
    if (this.size === 1) return IntMap.empty<V>();
    const path: Node[] = [];
    const newRoot = this.root!.slice();
    let node = newRoot;
    path.push(node);
    for (let s = this.shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      const copy = (node[i] as Node).slice();
      node[i] = copy;
      node = copy;
      path.push(node);
    }
    node[key & MASK] = undefined;
    // Drop branches that became empty, so memory follows the live entries.
    for (let d = path.length - 1, s = 0; d > 0; d--, s += BITS) {
      if (!path[d].every((x) => x === undefined)) break;
      path[d - 1][(key >>> (s + BITS)) & MASK] = undefined;
    }
    return new IntMap<V>(newRoot, this.shift, this.size - 1);
  }

  /** Replace the value at key through f (no-op when absent). */
  update(key: number, f: (v: V) => V): IntMap<V> {
    const v = this.get(key);
    return v === undefined ? this : this.set(key, f(v));
  }

  /**
   * Call f(key, before, after) for every key bound differently here than in `prev`
   * (added: before undefined; deleted: after undefined). Branches the two maps share
   * are skipped, so the cost follows the changes, not the size: what an incremental
   * reader of successive worlds (sim/check/incremental.ts) needs.
   */
  diff(prev: IntMap<V>, f: (key: number, before: V | undefined, after: V | undefined) => void): void {
    if (prev === this || (prev.root === this.root && prev.shift === this.shift)) return;
    let a = prev.root, b = this.root;
    let shift = Math.max(prev.shift, this.shift);
    // Lift the lower trie to the same level (its root becomes slot 0 of each new level).
    for (let s = prev.shift; s < shift; s += BITS) if (a !== undefined) a = [a];
    for (let s = this.shift; s < shift; s += BITS) if (b !== undefined) b = [b];
    diffNodes(a, b, shift, 0, f as (k: number, x: unknown, y: unknown) => void);
  }

  // The entries in key order, built on the first iteration and kept: a map is a
  // value, and the explorer iterates the same task, ring and table maps of
  // thousands of worlds that share them.
  private keyList: number[] | undefined;
  private valueList: V[] | undefined;

  private list(): void {
    const ks: number[] = [];
    const vs: V[] = [];
    if (this.root !== undefined) collect(this.root, this.shift, 0, ks, vs as unknown[]);
    this.keyList = ks;
    this.valueList = vs;
  }

  /** Call f for every entry in ascending key order. */
  forEach(f: (value: V, key: number) => void): void {
    if (this.keyList === undefined) this.list();
    const ks = this.keyList!, vs = this.valueList!;
    for (let i = 0; i < ks.length; i++) f(vs[i], ks[i]);
  }

  /** Entries in ascending key order (a snapshot array). */
  toArray(): [number, V][] {
    if (this.keyList === undefined) this.list();
    const ks = this.keyList!, vs = this.valueList!;
    const out: [number, V][] = new Array(ks.length);
    for (let i = 0; i < ks.length; i++) out[i] = [ks[i], vs[i]];
    return out;
  }

  /** The keys in ascending order, as a shared read-only array (index loops allocate no iterator). */
  keyArray(): readonly number[] {
    if (this.keyList === undefined) this.list();
    return this.keyList!;
  }

  /** The values in key order, as a shared read-only array. */
  valueArray(): readonly V[] {
    if (this.valueList === undefined) this.list();
    return this.valueList!;
  }

  /**
   * Calls f for every key bound in either map whose value differs by identity, in
   * ascending order. Branches the two maps share are skipped, so comparing a world
   * with the one a step made from it costs what the step changed, not the map's size.
   */
  changedKeys(other: IntMap<V>, f: (key: number) => void): void {
    this.diff(other, (k) => f(k));
  }

  entries(): IterableIterator<[number, V]> {
    return this.toArray()[Symbol.iterator]();
  }

  values(): IterableIterator<V> {
    if (this.valueList === undefined) this.list();
    return this.valueList![Symbol.iterator]();
  }

  keys(): IterableIterator<number> {
    if (this.keyList === undefined) this.list();
    return this.keyList![Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}

function diffNodes(a: Node | undefined, b: Node | undefined, s: number, base: number, f: (k: number, x: unknown, y: unknown) => void): void {
  if (a === b) return;
  const n = Math.max(a?.length ?? 0, b?.length ?? 0);
  for (let i = 0; i < n; i++) {
    const x = a?.[i], y = b?.[i];
    if (x === y) continue;
    const k = base + i * 2 ** s;
    if (s === 0) f(k, x, y);
    else diffNodes(x as Node | undefined, y as Node | undefined, s - BITS, k, f);
  }
}

function collect(node: Node, s: number, base: number, ks: number[], vs: unknown[]): void {
  for (let i = 0; i < node.length; i++) {
    const x = node[i];
    if (x === undefined) continue;
    const k = base + i * 2 ** s;
    if (s === 0) { ks.push(k); vs.push(x); }
    else collect(x as Node, s - BITS, k, ks, vs);
  }
}

const EMPTY = new (IntMap as unknown as new (r: undefined, s: number, n: number) => IntMap<never>)(undefined, 0, 0);
