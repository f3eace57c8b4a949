// The set of state keys an exploration in one thread has seen (several threads
// share shared-keys.ts instead). Keys are int sequences (model/world/key.ts
// KeyBuf); they are stored varint-packed in byte chunks, each starting on a word,
// and found through an open-addressing table of hashes, with an exact compare, a
// word at a time, on every hash match. Nothing per key lives on the JS heap, so a
// million states cost tens of megabytes and no garbage collection.
//
// A complete depth-6 search keeps ten million keys, far beyond the
// caches, so the layout is about memory accesses: a table slot holds the entry and
// its hash side by side (a probe reads one line, and only a hash match reads more);
// an entry's place and length sit together; the bytes live in fixed-size chunks,
// so the store grows without copying what it holds.

import type { KeyBuf } from '../../model/world/key.ts';

export class KeySet {
  /** Bytes per chunk of key storage (a key never spans two chunks). */
  private readonly chunk: number;
  private chunks: Uint8Array[];
  /** The chunks as int32 words: entries start on a word, so a lookup compares words. */
  private words: Int32Array[];
  /** Bytes used in the last chunk. */
  private used = 0;
  /** Per entry, side by side: its chunk, offset in the chunk, byte length. */
  private meta = new Int32Array(3 << 14);
  /** Per entry: its hash (for rehashing and for seeding the shared set; lookups read the table's copy). */
  private hash = new Uint32Array(1 << 14);
  /** Open addressing, two ints a slot: entry index + 1 (0 = free), the entry's hash. */
  private table = new Int32Array(2 << 15);
  private mask = (1 << 15) - 1;
  size = 0;

  /** chunkBits: log2 of the chunk size (16 MiB by default; tests make it small). */
  constructor(chunkBits = 24) {
    this.chunk = 1 << chunkBits;
    this.chunks = [new Uint8Array(Math.min(1 << 16, this.chunk))];
    this.words = [new Int32Array(this.chunks[0].buffer)];
  }

  /** Add the key in buf; true when it was not there yet. */
  add(buf: KeyBuf): boolean {
    return this.addKey(buf) >= 0;
  }

  /** Add the key in buf: the new entry's index, or -1 - the index of the entry that holds it. */
  addKey(buf: KeyBuf): number {
    return this.addHashed(buf, buf.hash());
  }

  /** addKey, given the key's hash (buf.hash(), computed where the key was made). */
  addHashed(buf: KeyBuf, h: number): number {
    const t = this.table, mask = this.mask;
    const hs = h | 0;
    let slot = h & mask;
    for (;;) {
      const e = t[2 * slot];
      if (e === 0) break;
      if (t[2 * slot + 1] === hs && this.sameWords(e - 1, buf)) return -e;
      slot = (slot + 1) & mask;
    }
    this.insert(slot, h, buf);
    return this.size - 1;
  }

  /** Entry e's packed bytes (a view into storage: copy it before the next add; how a shard seeds the shared set). */
  bytes(e: number): Uint8Array {
    const off = this.meta[3 * e + 1];
    return this.chunks[this.meta[3 * e]].subarray(off, off + this.meta[3 * e + 2]);
  }

  /** Entry e's hash. */
  hashOf(e: number): number {
    return this.hash[e];
  }

  /** The key in buf as a string (for tests and small tools; the set itself never makes one). */
  static text(buf: KeyBuf): string {
    return buf.ints().join(',');
  }

  /** Whether entry e holds the key in buf, compared a word at a time (bytes past the key's end masked off). */
  private sameWords(e: number, buf: KeyBuf): boolean {
    const m = this.meta, n = buf.n;
    if (m[3 * e + 2] !== n) return false;
    const c = this.words[m[3 * e]], s = m[3 * e + 1] >> 2, w = buf.w, full = n >>> 2;
    for (let i = 0; i < full; i++) if (c[s + i] !== w[i]) return false;
    const rest = n & 3;
    return rest === 0 || ((c[s + full] ^ w[full]) & ((1 << (8 * rest)) - 1)) === 0;
  }

  private insert(slot: number, h: number, buf: KeyBuf): void {
    const e = this.size, n = buf.n;
    if (e === this.hash.length) {
      this.meta = grow(this.meta);
      this.hash = grow(this.hash);
    }
    let c = this.chunks[this.chunks.length - 1];
    if (this.used + n > c.length) {
      if (c.length < this.chunk) {
        // The first chunk starts small and doubles up to CHUNK.
        let size = c.length * 2;
        while (size < this.used + n) size *= 2;
        const bigger = new Uint8Array(Math.min(size, this.chunk));
        bigger.set(c.subarray(0, this.used));
        this.chunks[this.chunks.length - 1] = c = bigger;
        this.words[this.words.length - 1] = new Int32Array(bigger.buffer);
      }
      if (this.used + n > c.length) {
        if (n > this.chunk) throw new Error(`internal: a ${n}-byte key is longer than a key-set chunk`);
        this.chunks.push((c = new Uint8Array(this.chunk)));
        this.words.push(new Int32Array(c.buffer));
        this.used = 0;
      }
    }
    // A word at a time (entries start on a word; bytes past the key's end in its last
    // word are never compared). A loop: keys are tens of bytes, and subarray + set
    // cost more than the copy.
    const u = this.used, cw = this.words[this.words.length - 1], w = buf.w, at = u >> 2;
    for (let i = 0, words = (n + 3) >>> 2; i < words; i++) cw[at + i] = w[i];
    this.meta[3 * e] = this.chunks.length - 1;
    this.meta[3 * e + 1] = u;
    this.meta[3 * e + 2] = n;
    this.hash[e] = h;
    this.used = (u + n + 3) & ~3;
    this.table[2 * slot] = e + 1;
    this.table[2 * slot + 1] = h | 0;
    this.size++;
    if (this.size * 2 > this.mask + 1) this.rehash();
  }

  private rehash(): void {
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(2 * slots);
    const mask = slots - 1;
    for (let e = 0; e < this.size; e++) {
      const h = this.hash[e];
      let slot = h & mask;
      while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = e + 1;
      table[2 * slot + 1] = h | 0;
    }
    this.table = table;
    this.mask = mask;
  }
}

function grow<T extends Int32Array | Uint32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
