// Name tables for the assembler: names are found through a hash the scanners compute
// while they read a token, and checked against the token's characters in place, so a
// lookup on the success path cuts no string.
//
// Names hold only ASCII letters, digits, '_' and '.', so four of their characters fit
// one 32-bit word (the first in the low byte, as a little-endian load of the bytes
// gives it). The hash and the check both go a word at a time: the fast scanner reads
// its bytes four at a time with a DataView, and a 13-character name costs four steps
// instead of thirteen.

/** Name hashes stay small integers (30 bits and a flag), which never box. */
export const HASH_MASK = 0x3fffffff;
/** Set in a name's hash when the name holds a '.', which no label may. */
export const HASH_DOTTED = 0x40000000;

/** 1 for the characters a name holds after its first: letters, digits, '_' and '.' (tables.ts's CHAR agrees, checked there). */
export const NAME_CHAR = new Uint8Array(256);
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9_.]/.test(String.fromCharCode(c))) NAME_CHAR[c] = 1;

/** The mask of a name's last word by the count of its characters in it (0 for a full word). */
export const TAIL = new Int32Array([-1, 0xff, 0xffff, 0xffffff]);

/** One step of the hash: the next word of the name into h. */
export const mixWord = (h: number, w: number): number => Math.imul(h ^ w, 0x01000193);
/** The end of the hash: fold the high bits down (the mask drops two) and add the dotted flag. */
export const finishHash = (h: number, dotted: boolean): number => ((h ^ (h >>> 16)) & HASH_MASK) | (dotted ? HASH_DOTTED : 0);

/** Characters s..s+3 (fewer at e) of a name in a string, as one word; `caseless` lowers letters. */
function wordAt(src: string, s: number, e: number, caseless: boolean): number {
  let w = 0;
  for (let j = Math.min(e - s, 4) - 1; j >= 0; j--) w = (w << 8) | (caseless ? src.charCodeAt(s + j) | 0x20 : src.charCodeAt(s + j));
  return w;
}

/** The hash of the name src[s, e) (ASCII), which starts from its length and takes a word per step. */
export function hashChars(src: string, s: number, e: number, dotted: boolean, caseless = false): number {
  let h = e - s;
  for (let p = s; p < e; p += 4) h = mixWord(h, wordAt(src, p, e, caseless));
  return finishHash(h, dotted);
}

/** The scanners' hash of a name, for building tables from strings. */
export function hashOf(name: string, caseless = false): number {
  return hashChars(name, 0, name.length, name.includes('.'), caseless);
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
    // `| 0` keeps the slot an int32 (the shift is at least 1, so the value is the same):
    // V8 cannot see that for a shift by a variable, and kept the slot as a double
    return (Math.imul(h, 0x9e3779b1) >>> this.shift) | 0;
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
 * Names of four characters or more are also indexed by their first word, so the fast
 * scanner can find a long name at a position without first reading to its end.
 */
export class NameTable<V> {
  private index = new HashIndex();
  /** Entries of four characters or more by their first word (its hash is the word itself); headIds maps to the entry. */
  private heads = new HashIndex();
  private headIds: Int32Array = new Int32Array(16);
  private names: string[] = [];
  private values: V[] = [];
  /** Every name's words (as hashChars reads them), end to end, and where each name's first word sits there: compared against bytes a word at a time. */
  private pool: Int32Array = new Int32Array(64);
  private poolStart: Int32Array = new Int32Array(16);
  private poolLen: Int32Array = new Int32Array(16);
  private poolUsed = 0;

  get size(): number { return this.names.length; }

  set(name: string, value: V): void {
    this.index.add(hashOf(name));
    this.names.push(name);
    this.values.push(value);
    const words = (name.length + 3) >> 2;
    if (this.poolUsed + words > this.pool.length) {
      const grown = new Int32Array(Math.max(this.pool.length * 2, this.poolUsed + words));
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
    for (let j = 0; j < name.length; j += 4) this.pool[this.poolUsed++] = wordAt(name, j, name.length, false);
    if (name.length >= 4) {
      const head = this.heads.add(this.pool[this.poolStart[id]]);
      if (head === this.headIds.length) {
        const grown = new Int32Array(head * 2);
        grown.set(this.headIds);
        this.headIds = grown;
      }
      this.headIds[head] = id;
    }
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

  /**
   * The entry id for bytes [s, e) of `v` whose hash is h, or -1. `v` views ASCII bytes
   * with at least three more after e, so the last word can be read whole and masked.
   */
  findBytes(v: DataView, s: number, e: number, h: number): number {
    const ix = this.index;
    const pool = this.pool;
    for (let slot = ix.first(h), id1 = ix.slots[slot]; id1 !== 0; slot = (slot + 1) & ix.mask, id1 = ix.slots[slot]) {
      const id = id1 - 1;
      if (ix.hashes[id] !== h || this.poolLen[id] !== e - s) continue;
      let w = this.poolStart[id];
      let p = s;
      while (p + 4 < e && v.getInt32(p, true) === pool[w]) { p += 4; w++; }
      if (p + 4 >= e && (v.getInt32(p, true) & TAIL[(e - p) & 3]) === pool[w]) return id;
    }
    return -1;
  }

  /**
   * The entry whose name is the whole name at s in `b` (one of at least four characters:
   * not followed by a name character), or -1; `v` views the same bytes, which are ASCII
   * and end in a newline. A name shorter than four characters is never found here.
   * The comparison stops at the first word that differs, so it never reads more than
   * three bytes past the newline.
   */
  findHead(b: Uint8Array, v: DataView, s: number): number {
    const heads = this.heads;
    const pool = this.pool;
    const w0 = v.getInt32(s, true);
    for (let slot = heads.first(w0), h1 = heads.slots[slot]; h1 !== 0; slot = (slot + 1) & heads.mask, h1 = heads.slots[slot]) {
      if (heads.hashes[h1 - 1] !== w0) continue;
      const id = this.headIds[h1 - 1];
      const e = s + this.poolLen[id];
      let w = this.poolStart[id] + 1;
      let p = s + 4;
      while (p + 4 < e && v.getInt32(p, true) === pool[w]) { p += 4; w++; }
      if ((p >= e || (p + 4 >= e && (v.getInt32(p, true) & TAIL[(e - p) & 3]) === pool[w])) && NAME_CHAR[b[e]] === 0) return id;
    }
    return -1;
  }

  /** The length of entry id's name. */
  length(id: number): number { return this.poolLen[id]; }

  value(id: number): V { return this.values[id]; }
}
