// The set of state keys an exploration has seen. Keys are int sequences
// (model/world/key.ts KeyBuf); they are stored varint-packed in one byte arena and
// found through an open-addressing table of hashes, with an exact byte compare on
// every hash match. Nothing per key lives on the JS heap, so a million states cost
// tens of megabytes and no garbage collection.

import { KeyBuf } from '../../model/world/key.ts';

export class KeySet {
  private arena = new Uint8Array(1 << 20);
  private used = 0;
  /** Per entry: start in the arena, byte length, hash. */
  private start = new Int32Array(1 << 14);
  private len = new Int32Array(1 << 14);
  private hash = new Uint32Array(1 << 14);
  /** Open addressing: entry index + 1, 0 = free. */
  private table = new Int32Array(1 << 15);
  private scratch = new Uint8Array(1024);
  size = 0;

  /** Add the key in buf; true when it was not there yet. */
  add(buf: KeyBuf): boolean {
    return this.addKey(buf) >= 0;
  }

  /** Add the key in buf: the new entry's index, or -1 - the index of the entry that holds it. */
  addKey(buf: KeyBuf): number {
    const n = this.pack(buf);
    return this.addBytes(this.scratch, 0, n, this.packedHash);
  }

  /** hashBytes of what pack() wrote last, computed as it wrote the bytes. */
  private packedHash = 0;

  /**
   * Add a key already packed (as another explorer's set stored it, see `bytes`):
   * the new entry's index, or -1 - the index of the entry that holds it already.
   */
  addBytes(bytes: Uint8Array, at: number, n: number, h: number): number {
    const mask = this.table.length - 1;
    let slot = h & mask;
    for (;;) {
      const e = this.table[slot];
      if (e === 0) break;
      if (this.hash[e - 1] === h && this.len[e - 1] === n && this.same(e - 1, bytes, at, n)) return -e;
      slot = (slot + 1) & mask;
    }
    this.insert(slot, h, bytes, at, n);
    return this.size - 1;
  }

  /** Entry e's packed bytes (a view into the arena: copy it before the next add). */
  bytes(e: number): Uint8Array {
    return this.arena.subarray(this.start[e], this.start[e] + this.len[e]);
  }

  /** Entry e's hash. */
  hashOf(e: number): number {
    return this.hash[e];
  }

  /** The key in buf as a string (for tests and small tools; the set itself never makes one). */
  static text(buf: KeyBuf): string {
    return Array.from(buf.a.subarray(0, buf.n)).join(',');
  }

  private same(e: number, b: Uint8Array, at: number, n: number): boolean {
    const a = this.arena, s = this.start[e];
    for (let i = 0; i < n; i++) if (a[s + i] !== b[at + i]) return false;
    return true;
  }

  private insert(slot: number, h: number, bytes: Uint8Array, at: number, n: number): void {
    const e = this.size;
    if (e === this.start.length) {
      this.start = grow(this.start);
      this.len = grow(this.len);
      this.hash = grow(this.hash);
    }
    while (this.used + n > this.arena.length) this.arena = grow(this.arena);
    // (A loop: keys are tens of bytes, and subarray + set cost more than the copy.)
    const arena = this.arena, u = this.used;
    for (let i = 0; i < n; i++) arena[u + i] = bytes[at + i];
    this.start[e] = this.used;
    this.len[e] = n;
    this.hash[e] = h;
    this.used += n;
    this.table[slot] = e + 1;
    this.size++;
    if (this.size * 2 > this.table.length) this.rehash();
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.hash[e] & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = e + 1;
    }
    this.table = table;
  }

  /** Zigzag varints of buf's ints into scratch, hashed as hashBytes would on the way; returns the byte count. */
  private pack(buf: KeyBuf): number {
    if (this.scratch.length < buf.n * 5) this.scratch = new Uint8Array(buf.n * 10);
    const b = this.scratch, a = buf.a;
    let j = 0;
    let h = 0;
    for (let i = 0; i < buf.n; i++) {
      let v = ((a[i] << 1) ^ (a[i] >> 31)) >>> 0;
      while (v >= 0x80) {
        const x = (v & 0x7f) | 0x80;
        b[j++] = x;
        h = Math.imul(h ^ x, 0x01000193);
        v >>>= 7;
      }
      b[j++] = v;
      h = Math.imul(h ^ v, 0x01000193);
    }
    this.packedHash = finishHash(h, j);
    return j;
  }
}

/** FNV-1a over the packed bytes, then a finaliser so that low bits spread. */
export function hashBytes(b: Uint8Array, at: number, n: number): number {
  let h = 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[at + i], 0x01000193);
  return finishHash(h, n);
}

/**
 * The byte loop starts from 0; a basis and the length are mixed in at the end, so
 * that pack() can hash bytes as it writes them, before it knows how many.
 */
function finishHash(h: number, n: number): number {
  h ^= Math.imul(0x811c9dc5 ^ n, 0x2c1b3c6d);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

function grow<T extends Int32Array | Uint32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
