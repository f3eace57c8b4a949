// A canonical key of a world, for state hashing (sim/explore): the world written
// as a sequence of small integers, with pids, ring ids, filter table ids and node
// ids renumbered in order of first reach from a list of root pids.
//
// Why renumbering is exact: the kernel only compares these ids for identity and
// hands out fresh ones from counters that never reuse a number, so two worlds that
// differ only by a renaming of ids answer every future call alike. Everything else
// (the counters themselves, which raw id an entity got) is left out; everything a
// call can read is in. Entities no root reaches (a table kept alive only by a
// leaked reference, a node only a refcount remembers) are appended in raw id order,
// so nothing is dropped.
//
// Records with ids (tasks, rings, tables, nodes) are written field by field.
// Immutable parts without ids (legacy policies, programs, SQEs, the file system,
// ring registrations) are interned once per object by their content, so a part
// shared by many worlds is read once.

import { DENY, type FilterNode, type FilterTable, type Slot } from '../filter/table.ts';
import type { RestrictionSet } from '../restriction/set.ts';
import type { Ring } from '../ring/ring.ts';
import type { Cqe, Sqe } from '../ring/sqe.ts';
import type { Task } from '../task/task.ts';
import type { QueueState, World } from './world.ts';

/**
 * A growable buffer a key is written into (reused between keys): a sequence of
 * int32s, each stored as a zigzag varint (one byte for -64..63, which most of a
 * key is). The bytes are what the explorer's key set stores and compares, so a
 * key is packed as it is written, not in a pass of its own.
 */
export class KeyBuf {
  /** The key's bytes: b[0, n). */
  b = new Uint8Array(1024);
  /** The same bytes as little-endian int32 words (the buffer's length is a multiple of 4); bytes past n are stale. */
  w = new Int32Array(this.b.buffer);
  /** Bytes written. */
  n = 0;
  /** The slot reserve() handed out and patch() has not filled yet, or -1. */
  private open = -1;

  reset(): void {
    this.n = 0;
    this.open = -1;
  }

  /** Append an int32; any other number is written as an escape and an interned id. */
  put(x: number): void {
    if ((x | 0) !== x || x === ESCAPE) {
      this.raw(ESCAPE);
      this.raw(internText('n' + String(x)));
      return;
    }
    this.raw(x);
  }

  /** Append a bigint (small ones inline, others interned). */
  big(x: bigint): void {
    if (x >= 0n && x < 0x40000000n) this.raw(Number(x));
    else {
      this.raw(ESCAPE);
      this.raw(internText('b' + x.toString(16)));
    }
  }

  /** Append a text, length first (for keys that are already texts). */
  text(s: string): void {
    this.put(s.length);
    for (let i = 0; i < s.length; i++) this.raw(s.charCodeAt(i));
  }

  /** A slot to fill in later (counts known only after a pass); patch it before reserving another. */
  reserve(): number {
    if (this.open >= 0) throw new Error('internal: KeyBuf.reserve before the last reserved slot was patched');
    this.raw(0);
    this.open = this.n - 1;
    return this.open;
  }

  patch(at: number, x: number): void {
    if (at !== this.open) throw new Error('internal: KeyBuf.patch of a slot that is not the one reserved');
    this.open = -1;
    const v = ((x << 1) ^ (x >> 31)) >>> 0;
    if (v < 0x80) {
      this.b[at] = v;
      return;
    }
    // A count of 64 or more (never seen in practice): make room after the slot.
    let len = 1;
    for (let w = v; w >= 0x80; w >>>= 7) len++;
    this.room(len - 1);
    this.b.copyWithin(at + len, at + 1, this.n);
    this.n += len - 1;
    writeVarint(this.b, at, v);
  }

  /** The ints written so far, decoded (tests and tools). */
  ints(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.n;) {
      let x = this.b[p++];
      let v = x & 0x7f;
      for (let shift = 7; x & 0x80; shift += 7) {
        x = this.b[p++];
        v |= (x & 0x7f) << shift;
      }
      out.push((v >>> 1) ^ -(v & 1));
    }
    return out;
  }

  /** Make the key the n bytes b[at, at + n) (a key stored elsewhere, to look it up again). */
  setBytes(b: Uint8Array, at: number, n: number): void {
    this.reset();
    this.room(n);
    this.b.set(b.subarray(at, at + n));
    this.n = n;
  }

  /**
   * Make the key the n bytes held in the words w[at, at + ceil(n / 4)) (how a distributed
   * search loads the keys it is sent: a word at a time, a quarter of the byte loop's
   * work). Bytes past n in the last word are copied too; nothing reads them.
   */
  setWords(w: Int32Array, at: number, n: number): void {
    this.reset();
    this.room(n + 3);
    const d = this.w;
    for (let i = 0, words = (n + 3) >>> 2; i < words; i++) d[i] = w[at + i];
    this.n = n;
  }

  /** The key's hash: hashKeyBytes(b, 0, n), a word at a time. */
  hash(): number {
    const w = this.w, n = this.n, full = n >>> 2;
    let h = 0;
    for (let i = 0; i < full; i++) h = mixWord(h, w[i]);
    const rest = n & 3;
    if (rest) h = mixWord(h, w[full] & ((1 << (8 * rest)) - 1));
    return finishHash(h, n);
  }

  private room(more: number): void {
    if (this.n + more <= this.b.length) return;
    const b = new Uint8Array((Math.max(this.b.length * 2, this.n + more) + 3) & ~3);
    b.set(this.b.subarray(0, this.n));
    this.b = b;
    this.w = new Int32Array(b.buffer);
  }

  private raw(x: number): void {
    if (this.n + 5 > this.b.length) this.room(5);
    this.n = writeVarint(this.b, this.n, ((x << 1) ^ (x >> 31)) >>> 0);
  }
}

/**
 * The hash of a key's bytes, as the explorer's key sets use it: the bytes read as
 * little-endian int32 words (the last one zero-padded) through MurmurHash3's word
 * mix, then its finaliser with the length. KeyBuf.hash is the same, reading words.
 */
export function hashKeyBytes(b: Uint8Array, at: number, n: number): number {
  let h = 0;
  for (let i = 0; i < n; i += 4) {
    let k = 0;
    for (let j = 0; j < 4 && i + j < n; j++) k |= b[at + i + j] << (8 * j);
    h = mixWord(h, k);
  }
  return finishHash(h, n);
}

function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finishHash(h: number, n: number): number {
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The unsigned varint of v into b at p; the position after it. */
function writeVarint(b: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

const ESCAPE = -0x80000000;

// ---------------------------------------------------------------- interning

const texts = new Map<string, number>();

/**
 * Where a text not met before gets its number. By default the numbers are this
 * thread's own, in order of first use; threads that compare keys with each other
 * (a parallel exploration) must number texts alike and install a shared numbering
 * before their first key (useTextNumbers).
 */
let numberOf: (s: string) => number = () => texts.size;

/** A process-wide number for a text: equal texts, equal numbers. */
export function internText(s: string): number {
  let id = texts.get(s);
  if (id === undefined) texts.set(s, (id = numberOf(s)));
  return id;
}

/**
 * Number texts from now on with `f`, which must give '' the number 0 (the only text
 * numbered at load). Throws if any other text was numbered before.
 */
export function useTextNumbers(f: (s: string) => number): void {
  if (texts.size !== 1 || texts.get('') !== 0 || f('') !== 0) {
    throw new Error('internal: a shared text numbering must be installed before the first key is written');
  }
  numberOf = f;
}

/** internText(''), which most node labels are. */
const EMPTY_TEXT = internText('');

/** A stable text of an immutable id-free value (Maps and Sets sorted, bigints and typed arrays kept apart). */
export function contentText(v: unknown, skip?: ReadonlySet<string>): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'u';
    case 'bigint': return `${v}n`;
    case 'string': return JSON.stringify(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean': return v ? 't' : 'f';
    case 'function': return 'fn';
    case 'object': break;
    default: return String(v);
  }
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (v[i] === undefined ? '_' : contentText(v[i])) + ',';
    return s + ']';
  }
  if (v instanceof Map) return 'M{' + [...v].map(([k, x]) => contentText(k) + ':' + contentText(x)).sort().join(',') + '}';
  if (v instanceof Set) return 'S{' + [...v].map((x) => contentText(x)).sort().join(',') + '}';
  if (ArrayBuffer.isView(v)) return `B${v.constructor.name}(${Array.from(v as Uint8Array).join('.')})`;
  const o = v as Record<string, unknown>;
  let s = '{';
  for (const k of Object.keys(o).sort()) if (!skip?.has(k)) s += k + ':' + contentText(o[k]) + ',';
  return s + '}';
}

/** Content ids of objects of one kind, memoised by identity. */
class Interner {
  private readonly byObj = new WeakMap<object, number>();
  /** The last object asked for and its id: most lookups repeat it (the console fds, no registrations, the initial file system). */
  private last: object | null = null;
  private lastId = 0;
  constructor(private readonly kind: string, private readonly skip?: ReadonlySet<string>) {}

  id(o: object): number {
    if (o === this.last) return this.lastId;
    let id = this.byObj.get(o);
    if (id === undefined) {
      id = internText(this.kind + contentText(o, this.skip));
      this.byObj.set(o, id);
    }
    this.last = o;
    this.lastId = id;
    return id;
  }
}

/**
 * Every field of the records a key reads, as this file writes them. A field not
 * listed here would be left out of the key; test/explore/key.test.ts compares
 * these lists with the records the kernel model builds.
 */
export const KEY_FIELDS = {
  world: ['tasks', 'rings', 'filters', 'fs', 'nextPid', 'nextRing', 'leaked', 'queues'],
  task: ['pid', 'ppid', 'uid', 'cap', 'nnp', 'fds', 'rs'],
  ring: ['id', 'flags', 'sqEntries', 'cqEntries', 'disabled', 'submitter', 'rs', 'opRestricted', 'regRestricted', 'regInherited', 'filterCache', 'fileRefs', 'creator', 'reg'],
  set: ['legacy', 'table', 'cow'],
  store: ['tables', 'nodeRefs', 'nextTable', 'nextNode'],
  table: ['id', 'refs', 'slots'],
  node: ['id', 'opcode', 'insns', 'label', 'next'],
  queue: ['sq', 'cq', 'drainDisabled'],
  cqe: ['userData', 'res', 'flags'],
} as const;

/** Instruction lists by content (each node keeps its own frozen copy). */
const insnsIds = new WeakMap<object, number>();
function insnsId(insns: readonly { code: number; jt: number; jf: number; k: number }[]): number {
  let id = insnsIds.get(insns);
  if (id === undefined) {
    let s = 'I';
    for (const i of insns) s += `${i.code},${i.jt},${i.jf},${i.k};`;
    insnsIds.set(insns, (id = internText(s)));
  }
  return id;
}
const legacyContent = new Interner('L');
// Leaf values, one interner per place they are read (the same kind, so equal
// contents get equal ids everywhere), which keeps each one's last-object cache warm.
const fdContent = new Interner('V');
const sqeContent = new Interner('V');
const regContent = new Interner('V');
const fsContent = new Interner('V');

// ---------------------------------------------------------------- renumbering

/** Raw id -> canonical number, reset per key by bumping a generation. */
class Renumber {
  private canon = new Int32Array(64);
  private stamp = new Uint32Array(64);
  private gen = 0;
  /** Raw ids in canonical order: order[0 .. count). (A typed array and a count:
   * truncating a JS array on every key showed up in profiles.) */
  order = new Int32Array(64);
  count = 0;

  reset(): void {
    this.gen++;
    this.count = 0;
  }

  get(raw: number): number {
    return raw < this.stamp.length && this.stamp[raw] === this.gen ? this.canon[raw] : -1;
  }

  /** The canonical number of a raw id, given the next one on first reach. */
  of(raw: number): number {
    if (raw >= this.stamp.length) this.grow(raw);
    if (this.stamp[raw] === this.gen) return this.canon[raw];
    this.stamp[raw] = this.gen;
    if (this.count === this.order.length) {
      const o = new Int32Array(this.order.length * 2);
      o.set(this.order);
      this.order = o;
    }
    this.canon[raw] = this.count;
    this.order[this.count++] = raw;
    return this.count - 1;
  }

  private grow(raw: number): void {
    let n = this.stamp.length;
    while (n <= raw) n *= 2;
    const c = new Int32Array(n);
    c.set(this.canon);
    const s = new Uint32Array(n);
    s.set(this.stamp);
    this.canon = c;
    this.stamp = s;
  }
}

const pids = new Renumber();
const rings = new Renumber();
const tables = new Renumber();
const nodes = new Renumber();
/** Node objects by canonical number (nodes are only reachable through slots); entries from nodes.count on are stale. */
const nodeObjs: FilterNode[] = [];

const PRESENT = 1, ABSENT = 0;
/** A pid that names no live task (pids are never reused, so it never matches one). */
const GONE = -1;
const NONE = -2;

function pidRef(w: World, pid: number | null): number {
  if (pid === null) return NONE;
  return w.tasks.get(pid) ? pids.of(pid) : GONE;
}

function tableRef(id: number | null): number {
  return id === null ? NONE : tables.of(id);
}

function slotRef(s: Slot): number {
  if (s === null) return NONE;
  if (s === DENY) return GONE;
  const node = s as FilterNode;
  const n = nodes.of(node.id);
  nodeObjs[n] = node;
  return n;
}

function putSet(out: KeyBuf, rs: RestrictionSet | null): void {
  if (rs === null) { out.put(ABSENT); return; }
  out.put(PRESENT);
  out.put(rs.legacy === null ? NONE : legacyContent.id(rs.legacy));
  out.put(tableRef(rs.table));
  out.put(rs.cow ? 1 : 0);
}

function putTask(out: KeyBuf, w: World, t: Task): void {
  out.put(t.uid);
  out.put(t.cap ? 1 : 0);
  out.put(t.nnp ? 1 : 0);
  out.put(pidRef(w, t.ppid));
  putSet(out, t.rs);
  const fds = t.fds;
  out.put(fds.length);
  for (let fd = 0; fd < fds.length; fd++) {
    const e = fds[fd];
    if (e === undefined) out.put(NONE);
    else if (e.kind === 'ring') out.put(-3 - rings.of(e.ring));
    else out.put(fdContent.id(e));
  }
}

function putQueues(out: KeyBuf, q: QueueState | undefined): void {
  if (q === undefined) { out.put(ABSENT); return; }
  out.put(PRESENT);
  out.put(q.drainDisabled ? 1 : 0);
  out.put(q.sq.length);
  for (let i = 0; i < q.sq.length; i++) out.put(sqeContent.id(q.sq[i] as Sqe));
  out.put(q.cq.length);
  for (let i = 0; i < q.cq.length; i++) {
    const c = q.cq[i] as Cqe;
    out.big(c.userData);
    out.put(c.res);
    out.put(c.flags);
  }
}

function putRing(out: KeyBuf, w: World, r: Ring): void {
  out.put(r.flags);
  out.put(r.sqEntries);
  out.put(r.cqEntries);
  out.put((r.disabled ? 1 : 0) | (r.opRestricted ? 2 : 0) | (r.regRestricted ? 4 : 0) | (r.regInherited ? 8 : 0));
  out.put(r.fileRefs);
  out.put(regContent.id(r.reg));
  out.put(pidRef(w, r.submitter));
  out.put(pidRef(w, r.creator));
  putSet(out, r.rs);
  out.put(tableRef(r.filterCache));
  putQueues(out, w.queues?.get(r.id));
}

function putTable(out: KeyBuf, t: FilterTable): void {
  out.put(t.refs);
  // The slots in short: DENY slots as a bit mask (DENY_REST fills every empty
  // slot, so a mask keeps keys short), then each slot holding a chain with its head.
  const l = t.slots;
  out.put(l.length);
  for (let i = 0; i < l.deny.length; i++) out.put(l.deny[i]);
  out.put(l.chained.length);
  for (let i = 0; i < l.chained.length; i++) {
    out.put(l.chained[i]);
    out.put(slotRef(l.heads[i]));
  }
}

/** Tasks from canonical number i on (the list grows as ppids are reached). */
function putTasksFrom(out: KeyBuf, w: World, i: number): number {
  for (; i < pids.count; i++) {
    const t = w.tasks.get(pids.order[i]);
    if (t === undefined) out.put(ABSENT);
    else { out.put(PRESENT); putTask(out, w, t); }
  }
  return i;
}

function putRingsFrom(out: KeyBuf, w: World, i: number): number {
  for (; i < rings.count; i++) {
    const r = w.rings.get(rings.order[i]);
    if (r === undefined) out.put(ABSENT);
    else { out.put(PRESENT); putRing(out, w, r); }
  }
  return i;
}

function putTablesFrom(out: KeyBuf, w: World, i: number): number {
  for (; i < tables.count; i++) {
    const t = w.filters.tables.get(tables.order[i]);
    if (t === undefined) out.put(ABSENT);
    else { out.put(PRESENT); putTable(out, t); }
  }
  return i;
}

/** How many of the ids reached so far exist in a map (if all of its entries, nothing is unreached). */
function reachedIn(r: Renumber, m: { has(id: number): boolean }): number {
  let n = 0;
  for (let i = 0; i < r.count; i++) if (m.has(r.order[i])) n++;
  return n;
}

/**
 * Write the canonical key of `w` into `out`. `roots` are the pids the caller names
 * (in a fixed order of the caller's names); they get canonical pids 0, 1, ... in
 * that order.
 */
export function encodeWorld(w: World, roots: readonly number[], out: KeyBuf, nRoots = roots.length): void {
  pids.reset(); rings.reset(); tables.reset(); nodes.reset();
  out.put(nRoots);
  for (let i = 0; i < nRoots; i++) pids.of(roots[i]);

  // Tasks: the roots, then any task a ppid names, then the rest in raw order.
  out.put(w.tasks.size);
  let ti = putTasksFrom(out, w, 0);
  const tAt = out.reserve();
  let unreached = 0;
  if (reachedIn(pids, w.tasks) !== w.tasks.size) {
    for (const id of w.tasks.keys()) if (pids.get(id) < 0) { pids.of(id); unreached++; ti = putTasksFrom(out, w, ti); }
  }
  out.patch(tAt, unreached);

  // Rings: in order of first reach from the tasks' fd tables, then unreached ones.
  out.put(w.rings.size);
  let ri = putRingsFrom(out, w, 0);
  const rAt = out.reserve();
  unreached = 0;
  if (reachedIn(rings, w.rings) !== w.rings.size) {
    for (const id of w.rings.keys()) if (rings.get(id) < 0) { rings.of(id); unreached++; ri = putRingsFrom(out, w, ri); }
  }
  out.patch(rAt, unreached);

  // Leaked table references name tables too.
  out.put(w.leaked.size);
  if (w.leaked.size) for (const [id, n] of w.leaked) { out.put(tables.of(id)); out.put(n); }

  // Tables: reached from sets, ring caches and leaks, then unreached ones.
  const store = w.filters;
  out.put(store.tables.size);
  let tbi = putTablesFrom(out, w, 0);
  const tbAt = out.reserve();
  unreached = 0;
  if (reachedIn(tables, store.tables) !== store.tables.size) {
    for (const id of store.tables.keys()) if (tables.get(id) < 0) { tables.of(id); unreached++; tbi = putTablesFrom(out, w, tbi); }
  }
  out.patch(tbAt, unreached);

  // Nodes: in order of first reach through slots and `next`, with their refcounts.
  let withRefs = 0;
  for (let i = 0; i < nodes.count; i++) {
    const n = nodeObjs[i];
    // A node's content: opcode, program and label (its compiled `program` follows from insns).
    out.put(n.opcode);
    out.put(insnsId(n.insns));
    out.put(n.label === '' ? EMPTY_TEXT : internText(n.label));
    out.put(slotRef(n.next));
    const r = store.nodeRefs.get(n.id);
    if (r !== undefined) withRefs++;
    out.put(r ?? NONE);
  }
  out.put(nodes.count);
  // Refcounts of nodes nothing reaches (only the invariants look at them), in raw order.
  const nAt = out.reserve();
  unreached = 0;
  if (withRefs !== store.nodeRefs.size) {
    for (const [id, n] of store.nodeRefs) if (nodes.get(id) < 0) { out.put(n); unreached++; }
  }
  out.patch(nAt, unreached);

  out.put(fsContent.id(w.fs));
}
