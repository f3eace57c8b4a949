// The key set of a parallel exploration: one set for all worker threads, in shared
// memory, so that each key is stored and inserted once however many threads search.
// (With a set per thread, every thread kept and inserted every key: twice the
// memory, and a quarter more CPU per state on two threads.)
//
// Layout:
//   table   open addressing, two int32s a slot: the key's hash (never 0; 0 = free)
//           and a reference to its bytes (0 until the bytes are written);
//   arenas  areas the keys are written into, each key as its length (one int32)
//           and its bytes, starting on a word; each shard writes into its own
//           current arena, and every shard can read all of them;
//   counters  [0] distinct keys, [1] the count at which shards end their round.
//
// An insert claims a free slot by compare-and-swap on its hash word, writes the
// bytes into its arena, then publishes the reference with an atomic store. A shard
// that finds an equal hash waits for the reference (a few stores away) and compares
// the bytes, so every key has exactly one winner: the shard that claimed its slot.
//
// Nothing in the set grows during a round. Between rounds the coordinator
// (KeySpace, in the thread that drives the search) doubles the table when it is
// 40% full, and gives a shard a fresh arena when its own is nearly used; a shard
// ends its round early when the table reaches 60% or its arena runs low, so no
// round can outgrow what it was given.

import { KeyBuf } from '../../model/world/key.ts';

/** Sizes of the shared set (tests make them small to exercise growth). */
export interface KeySpaceSizes {
  /** Slots of the first table (a power of two). */
  firstSlots: number;
  /** Bytes per arena; at most 64 MiB (a reference holds the arena id and the 4-byte word in it). */
  arenaBytes: number;
  /** A shard ends its round when its arena has less than this left (more than one state's successors need). */
  arenaMargin: number;
  /** The coordinator gives a shard a new arena when its own has less than this left. */
  arenaRefill: number;
}

export const DEFAULT_SIZES: KeySpaceSizes = { firstSlots: 1 << 20, arenaBytes: 64 << 20, arenaMargin: 1 << 20, arenaRefill: 8 << 20 };

/** Arena ids are 8 bits, and 0 is no reference. */
const MAX_ARENAS = 255;
/** Keys longer than this are refused (a state's successors must fit in the arena margin). */
const MAX_KEY_BYTES = 16 << 10;
const GROW_AT = 0.4;
const STOP_AT = 0.6;
/** Past this a shard refuses to insert rather than let probing run out of free slots. */
const HARD_AT = 0.9;

/** What shards learn from the coordinator before a round. */
export interface KeySpaceUpdate {
  /** Sent once: the counters and the arena margin. */
  counters?: SharedArrayBuffer;
  arenaMargin?: number;
  /** A table to use from now on (the first, or a bigger one holding every key). */
  table?: SharedArrayBuffer;
  /** Arenas not sent before, as [id, buffer]. */
  arenas?: [number, SharedArrayBuffer][];
  /** The arena each shard writes into (index = shard). */
  writeTo?: number[];
}

/** A shard's view of the shared set. */
export class SharedKeySet {
  private table: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private mask = -1;
  private hard = 0;
  private counters: Int32Array<ArrayBufferLike> = new Int32Array(1);
  /** Arenas by id, as int32 words. */
  private readonly arenas: Int32Array<ArrayBufferLike>[] = [];
  private out: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** For keys given as bytes. */
  private readonly scratch = new KeyBuf();
  private outId = 0;
  private used = 0;
  private margin = 0;

  constructor(private readonly shard: number) {}

  update(u: KeySpaceUpdate): void {
    if (u.counters) this.counters = new Int32Array(u.counters);
    if (u.arenaMargin !== undefined) this.margin = u.arenaMargin;
    if (u.table) {
      this.table = new Int32Array(u.table);
      const slots = this.table.length >> 1;
      this.mask = slots - 1;
      this.hard = Math.floor(slots * HARD_AT);
    }
    for (const [id, buf] of u.arenas ?? []) this.arenas[id] = new Int32Array(buf);
    const id = u.writeTo?.[this.shard];
    if (id !== undefined && id !== this.outId) {
      this.outId = id;
      this.out = this.arenas[id];
      this.used = 0;
    }
  }

  /** Distinct keys in the set, all shards' together. */
  get size(): number {
    return Atomics.load(this.counters, 0);
  }

  /** Bytes left in this shard's arena. */
  get free(): number {
    return 4 * this.out.length - this.used;
  }

  /** Whether this shard should end its round so that the coordinator can make room. */
  full(): boolean {
    return Atomics.load(this.counters, 0) >= this.counters[1] || 4 * this.out.length - this.used < this.margin;
  }

  /** Add the key in buf; true when this shard added it (no shard had). */
  addKey(buf: KeyBuf): boolean {
    return this.addHashed(buf, buf.hash());
  }

  /** Add the n bytes b[at, at + n) with their hash h (hashKeyBytes); true when this shard added them. */
  addBytes(b: Uint8Array, at: number, n: number, h: number): boolean {
    this.scratch.setBytes(b, at, n);
    return this.addHashed(this.scratch, h);
  }

  private addHashed(buf: KeyBuf, h: number): boolean {
    const t = this.table, mask = this.mask, n = buf.n;
    const hs = (h | 0) || 1;
    let slot = hs & mask; // (hs, not h: the coordinator rehashes from the stored word)
    for (;;) {
      let sh = t[2 * slot];
      if (sh === 0) {
        this.roomFor(n);
        sh = Atomics.compareExchange(t, 2 * slot, 0, hs);
        if (sh === 0) {
          this.write(slot, buf);
          return true;
        }
      }
      if (sh === hs && this.same(this.refAt(slot), buf)) return false;
      slot = (slot + 1) & mask;
    }
  }

  /** The reference in a claimed slot, once its claimer has published it. */
  private refAt(slot: number): number {
    let r = Atomics.load(this.table, 2 * slot + 1);
    while (r === 0) r = Atomics.load(this.table, 2 * slot + 1);
    return r;
  }

  /** Whether the key at ref is the one in buf, compared a word at a time (bytes past its end masked off). */
  private same(ref: number, buf: KeyBuf): boolean {
    const a = this.arenas[ref >>> 24];
    if (a === undefined) throw new Error(`internal: key-set arena ${ref >>> 24} was never sent to shard ${this.shard}`);
    const at = ref & 0xffffff, n = buf.n;
    if (a[at] !== n) return false;
    const w = buf.w, full = n >>> 2, s = at + 1;
    for (let i = 0; i < full; i++) if (a[s + i] !== w[i]) return false;
    const rest = n & 3;
    return rest === 0 || ((a[s + full] ^ w[full]) & ((1 << (8 * rest)) - 1)) === 0;
  }

  /** Checked before a slot is claimed: a claimed slot must get its bytes. */
  private roomFor(n: number): void {
    if (n > MAX_KEY_BYTES) throw new Error(`internal: a ${n}-byte state key is longer than the shared key set takes (${MAX_KEY_BYTES})`);
    if (this.used + 4 + n + 3 > 4 * this.out.length) throw new Error('internal: a shard ran out of key-set arena within a round');
    if (Atomics.load(this.counters, 0) >= this.hard) throw new Error('internal: the shared key set filled up within a round');
  }

  private write(slot: number, buf: KeyBuf): void {
    const o = this.out, u = this.used >> 2, n = buf.n, w = buf.w, full = n >>> 2, rest = n & 3;
    o[u] = n;
    for (let i = 0; i < full; i++) o[u + 1 + i] = w[i];
    if (rest) o[u + 1 + full] = w[full] & ((1 << (8 * rest)) - 1);
    this.used += 4 * (1 + full + (rest ? 1 : 0));
    // The key is written before its reference is published (a seq-cst store).
    Atomics.store(this.table, 2 * slot + 1, (this.outId << 24) | u);
    Atomics.add(this.counters, 0, 1);
  }
}

/** The coordinator's side: makes the shared memory and, between rounds, room in it. */
export class KeySpace {
  private readonly counters = new Int32Array(new SharedArrayBuffer(8));
  private table: Int32Array;
  private readonly arenas: SharedArrayBuffer[] = [];
  private readonly writeTo: number[] = [];
  private first = true;

  constructor(private readonly shards: number, private readonly sizes: KeySpaceSizes = DEFAULT_SIZES) {
    if (sizes.arenaBytes > 64 << 20 || sizes.arenaMargin < 8 + MAX_KEY_BYTES || sizes.arenaRefill < sizes.arenaMargin) {
      throw new Error('internal: key-space sizes out of range');
    }
    this.table = new Int32Array(new SharedArrayBuffer(sizes.firstSlots * 8));
    this.setLimit();
    for (let i = 0; i < shards; i++) this.writeTo.push(this.newArena());
  }

  /** Distinct keys so far. */
  get size(): number {
    return Atomics.load(this.counters, 0);
  }

  /**
   * What the shards must learn before the next round, given each shard's free arena
   * bytes after the last one (null before the first round); undefined when nothing changed.
   */
  update(free: (number | undefined)[] | null): KeySpaceUpdate | undefined {
    const u: KeySpaceUpdate = {};
    let changed = false;
    if (this.first) {
      this.first = false;
      u.counters = this.counters.buffer as SharedArrayBuffer;
      u.arenaMargin = this.sizes.arenaMargin;
      u.table = this.table.buffer as SharedArrayBuffer;
      u.arenas = this.arenas.map((b, i) => [i + 1, b] as [number, SharedArrayBuffer]);
      u.writeTo = [...this.writeTo];
      return u;
    }
    if (this.size > (this.table.length >> 1) * GROW_AT) {
      this.grow();
      u.table = this.table.buffer as SharedArrayBuffer;
      changed = true;
    }
    const fresh: [number, SharedArrayBuffer][] = [];
    for (let i = 0; i < this.shards; i++) {
      if ((free?.[i] ?? Infinity) >= this.sizes.arenaRefill) continue;
      this.writeTo[i] = this.newArena();
      fresh.push([this.writeTo[i], this.arenas[this.writeTo[i] - 1]]);
    }
    if (fresh.length) {
      u.arenas = fresh;
      u.writeTo = [...this.writeTo];
      changed = true;
    }
    return changed ? u : undefined;
  }

  private newArena(): number {
    if (this.arenas.length >= MAX_ARENAS) {
      throw new Error(`exploration too large: its state keys filled ${MAX_ARENAS} arenas of ${this.sizes.arenaBytes >> 20} MiB`);
    }
    // Zero-filled pages are only committed when written, so an arena costs what it holds.
    this.arenas.push(new SharedArrayBuffer(this.sizes.arenaBytes));
    return this.arenas.length;
  }

  /** Rehash into a table twice as large (no shard is running). */
  private grow(): void {
    const old = this.table;
    const slots = old.length; // twice the old slot count
    const t = new Int32Array(new SharedArrayBuffer(slots * 8));
    const mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i];
      if (h === 0) continue;
      let slot = h & mask;
      while (t[2 * slot] !== 0) slot = (slot + 1) & mask;
      t[2 * slot] = h;
      t[2 * slot + 1] = old[i + 1];
    }
    this.table = t;
    this.setLimit();
  }

  private setLimit(): void {
    Atomics.store(this.counters, 1, Math.floor((this.table.length >> 1) * STOP_AT));
  }
}
