// Name tables for the assembler: names are found through a hash the scanners compute
// while they read a token, and checked against the token's characters in place, so a
// lookup on the success path cuts no string.

/** Name hashes stay small integers (30 bits and a flag), which never box. */
export const HASH_MASK = 0x3fffffff;
/** Set in a name's hash when the name holds a '.', which no label may. */
export const HASH_DOTTED = 0x40000000;

/** The scanners' hash of a name (first code, then h * 31 + code), for building tables from strings. */
export function hashOf(name: string, caseless = false): number {
  let h = 0;
  for (let j = 0; j < name.length; j++) {
    const c = caseless ? name.charCodeAt(j) | 0x20 : name.charCodeAt(j);
    h = j === 0 ? c : (Math.imul(h, 31) + c) | 0;
  }
  return (h & HASH_MASK) | (name.includes('.') ? HASH_DOTTED : 0);
}

/**
 * An open-addressing index from name hashes to dense entry ids 0..count-1; a slot holds
 * id + 1 (0 is empty). Names sharing a hash sit in later slots, so a search probes on
 * until an empty slot, checking each candidate's name itself.
 */
export class HashIndex {
  slots: Int32Array;
  mask: number;
  /** 32 - log2(slots): first() keeps the top bits of the mixed hash. */
  shift: number;
  /** Each entry's hash, by id. */
  hashes: Int32Array;
  count = 0;

  constructor(expected = 32) {
    this.slots = new Int32Array(64);
    this.mask = 63;
    this.shift = 26;
    this.hashes = new Int32Array(32);
    this.clear(expected);
  }

  /** Empty, with room for `expected` entries before the first rehash (the slots are reused when their size fits). */
  clear(expected: number): void {
    let size = 64;
    while (size < expected * 2) size *= 2;
    if (this.slots.length === size) this.slots.fill(0);
    else {
      this.slots = new Int32Array(size);
      this.mask = size - 1;
      this.shift = 32 - Math.log2(size);
    }
    if (this.hashes.length < size >> 1) this.hashes = new Int32Array(size >> 1);
    this.count = 0;
  }

  /**
   * The first slot to probe for hash h: the top bits of h times 2^32/phi, because names
   * such as l1002, l1006, l1010 hash to near neighbours and would pile up in one run of
   * slots if h's low bits picked the slot.
   */
  first(h: number): number {
    return Math.imul(h, 0x9e3779b1) >>> this.shift;
  }

  add(h: number): number {
    const id = this.count++;
    if (id === this.hashes.length) {
      const grown = new Int32Array(id * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }
  private place(id: number): void {
    let s = this.first(this.hashes[id]);
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    this.slots[s] = id + 1;
  }
  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    for (let id = 0; id < this.count; id++) this.place(id);
  }
}

/**
 * Names to values, case-sensitive. A token is looked up by its hash and its place in the
 * source, given either as the string or as its bytes (the fast scanner's ASCII copy).
 */
export class NameTable<V> {
  private index = new HashIndex();
  private names: string[] = [];
  private values: V[] = [];
  /** Every name's character codes, end to end, and where each name sits there: compared against bytes without touching a string. */
  private pool: Uint16Array = new Uint16Array(256);
  private poolStart: Int32Array = new Int32Array(16);
  private poolLen: Int32Array = new Int32Array(16);
  private poolUsed = 0;

  get size(): number { return this.names.length; }

  set(name: string, value: V): void {
    this.index.add(hashOf(name));
    this.names.push(name);
    this.values.push(value);
    if (this.poolUsed + name.length > this.pool.length) {
      const grown = new Uint16Array(Math.max(this.pool.length * 2, this.poolUsed + name.length));
      grown.set(this.pool);
      this.pool = grown;
    }
    const id = this.names.length - 1;
    if (id === this.poolStart.length) {
      const starts = new Int32Array(id * 2);
      starts.set(this.poolStart);
      this.poolStart = starts;
      const lens = new Int32Array(id * 2);
      lens.set(this.poolLen);
      this.poolLen = lens;
    }
    this.poolStart[id] = this.poolUsed;
    this.poolLen[id] = name.length;
    for (let j = 0; j < name.length; j++) this.pool[this.poolUsed++] = name.charCodeAt(j);
  }

  /** The entry id for src[s, e) whose hash is h, or -1. */
  findStr(src: string, s: number, e: number, h: number): number {
    const ix = this.index;
    for (let slot = ix.first(h), id1 = ix.slots[slot]; id1 !== 0; slot = (slot + 1) & ix.mask, id1 = ix.slots[slot]) {
      const id = id1 - 1;
      if (ix.hashes[id] !== h) continue;
      const name = this.names[id];
      if (name.length !== e - s) continue;
      let j = 0;
      while (j < name.length && src.charCodeAt(s + j) === name.charCodeAt(j)) j++;
      if (j === name.length) return id;
    }
    return -1;
  }

  /** The entry id for bytes b[s, e) whose hash is h, or -1. */
  findBytes(b: Uint8Array, s: number, e: number, h: number): number {
    const ix = this.index;
    const pool = this.pool;
    for (let slot = ix.first(h), id1 = ix.slots[slot]; id1 !== 0; slot = (slot + 1) & ix.mask, id1 = ix.slots[slot]) {
      const id = id1 - 1;
      if (ix.hashes[id] !== h) continue;
      const n = this.poolLen[id];
      if (n !== e - s) continue;
      const ps = this.poolStart[id];
      let j = 0;
      while (j < n && b[s + j] === pool[ps + j]) j++;
      if (j === n) return id;
    }
    return -1;
  }

  value(id: number): V { return this.values[id]; }
}
