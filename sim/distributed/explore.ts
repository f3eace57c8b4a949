// `explore --queue URL`: one breadth-first search over many processes. The key space
// is cut into P partitions by the key's hash; partition p is one BullMQ job ('part')
// that a `ringfence worker` holds for the whole search, with the key set of its
// partition only, so memory adds up across machines. Level by level, each part
// expands the states it owns, sends every successor (its path and its key) to the
// successor's owner in batches (Redis lists), and passes a barrier; then it takes
// what was sent to it, keeps the keys it has not seen (checking the invariants), and
// those are its next level. A level ends when every part has drained its input, so
// states and transitions per depth are exactly those of the single-machine search.
//
// Keys write some parts as numbers standing for texts (model/world/key.ts
// internText); processes cannot share a numbering the way threads do, so a worker
// numbers a text by its hash (hashedTextNumber), and the parts check in Redis, level
// by level, that no two texts got one number.

import { randomBytes } from 'node:crypto';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { KeyBuf, useTextNumbers } from '../../model/world/key.ts';
import { KeySet } from '../explore/keyset.ts';
import { CompactKeySet, type StateKeys } from '../explore/compact-keys.ts';
import type { ExploreResult, Finding, Progress } from '../explore/result.ts';
import { replayPath, type PathNode, type ShardFinding } from '../explore/shard.ts';
import { buildSearch, type SearchSpec } from '../explore/spec.ts';
import { applySteps, type Subject } from '../explore/subject.ts';
import type { Move, Universe } from '../explore/universe.ts';
import { EXPLORE_QUEUE, QueueFailure, type QueueConnection } from './queue.ts';
import { reachRedis } from './reach.ts';

export interface PartJob {
  id: string;
  part: number;
  parts: number;
  spec: SearchSpec;
  depth: number;
  perKind: number;
  /** Keep keys in pieces (compact-keys.ts): a fifth of the memory, for the largest searches. */
  compact?: boolean;
  /** The coordinator's BATCH_FORMAT: parts of one search must read each other's batches. */
  format?: number;
}

export interface PartResult {
  perDepth: number[];
  transitions: number;
  findings: ShardFinding[];
}

// ---- text numbers shared by content ----

const numbered = new Map<number, string>();
const unchecked: number[] = [];

/** FNV-1a of the text's UTF-16 units, as a positive int32 ('' is 0, as every numbering has it). */
export function hashedTextNumber(s: string): number {
  if (s === '') return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  const n = (h & 0x7fffffff) || 1;
  const had = numbered.get(n);
  if (had !== undefined && had !== s) throw new Error(`internal: texts ${JSON.stringify(had)} and ${JSON.stringify(s)} hash to one number`);
  if (had === undefined) { numbered.set(n, s); unchecked.push(n); }
  return n;
}

let installed = false;
/** Number texts by content in this process (before its first key: `ringfence worker` calls it at start). */
export function useHashedTextNumbers(): void {
  if (installed) return;
  useTextNumbers(hashedTextNumber);
  installed = true;
}

// ---- batches of successors ----
//
// A batch is a run of int32 words (little-endian), one entry per successor:
//   word 0         path length (u8) | key length << 8
//   word 1         the key's hash (the sender computed it to find the owner; the owner's key set needs it again)
//   ceil(len / 2)  the path's move indices, two u16 a word
//   ceil(klen / 4) the key's bytes
// Every part of an entry is whole words, so keys are copied a word at a time on both
// sides (a byte loop was a tenth of a part's time). BATCH_FORMAT names this layout:
// a worker refuses a part whose coordinator speaks another.

/** The batch layout above; a part job carries it, and a worker of another build refuses the part. */
export const BATCH_FORMAT = 3;

/** The words an entry takes. */
function entryWords(pathLen: number, keyLen: number): number {
  return 2 + ((pathLen + 1) >>> 1) + ((keyLen + 3) >>> 2);
}

/**
 * The batch being filled for one part. Its memory is recycled: a batch handed to
 * send() comes back (give) once Redis has answered the push, so a part that sends
 * gigabytes allocates a few buffers, not one per batch (each was external memory
 * the collector had to account for).
 */
class Outbox {
  private words: Int32Array;
  /** Words used. */
  n = 0;
  /** pool: the part's free batch buffers, each `capacity` words. */
  constructor(private readonly pool: ArrayBuffer[], private readonly capacity: number) {
    this.words = new Int32Array(pool.pop() ?? new ArrayBuffer(capacity * 4));
  }
  /** Bytes used. */
  get bytes(): number {
    return this.n * 4;
  }
  /** One successor: its parent's path src[off, off + width), the move index, its key and the key's hash. */
  put(src: ArrayLike<number>, off: number, width: number, last: number, key: KeyBuf, hash: number): void {
    const len = width + 1, kn = key.n;
    const need = entryWords(len, kn);
    if (this.n + need > this.words.length) this.grow(need);
    const d = this.words;
    let o = this.n;
    d[o++] = len | (kn << 8);
    d[o++] = hash | 0;
    let i = 0;
    for (; i + 1 < width; i += 2) d[o++] = src[off + i] | (src[off + i + 1] << 16);
    d[o++] = i < width ? src[off + i] | (last << 16) : last;
    const kw = key.w;
    for (let j = 0, words = (kn + 3) >>> 2; j < words; j++) d[o + j] = kw[j];
    this.n = o + ((kn + 3) >>> 2);
  }
  private grow(need: number): void {
    const bigger = new Int32Array(Math.max(this.words.length * 2, this.n + need));
    bigger.set(this.words.subarray(0, this.n));
    this.words = bigger;
  }
  /** The batch so far, as a Buffer over this outbox's memory; the outbox goes on in a fresh one. */
  take(): Buffer {
    const out = Buffer.from(this.words.buffer, 0, this.n * 4);
    this.words = new Int32Array(this.pool.pop() ?? new ArrayBuffer(this.capacity * 4));
    this.n = 0;
    return out;
  }
  /** A batch take() handed out, done with: its memory is used again. */
  give(b: Buffer): void {
    // (A buffer grown past the capacity for one huge entry is left to the collector.)
    if (b.buffer.byteLength === this.capacity * 4) this.pool.push(b.buffer as ArrayBuffer);
  }
}

/** A received batch as words: a view when Redis's buffer sits on a word, else a copy into `spare`. */
export function batchWords(b: Buffer, spare: { buf: ArrayBuffer }): Int32Array {
  if (b.length & 3) throw new Error(`internal: a batch of ${b.length} bytes is not whole words`);
  if ((b.byteOffset & 3) === 0) return new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
  if (spare.buf.byteLength < b.length) spare.buf = new ArrayBuffer(Math.max(b.length, 2 * spare.buf.byteLength));
  b.copy(new Uint8Array(spare.buf), 0, 0, b.length);
  return new Int32Array(spare.buf, 0, b.length >>> 2);
}

/** A batch is sent once it holds this many bytes (its buffer has room for one more entry past it). */
const BATCH_BYTES = 1 << 20;
const OUTBOX_WORDS = (BATCH_BYTES + (64 << 10)) / 4;
/** How long a part computes before it lets the event loop run. */
const YIELD_MS = 200;

/**
 * The paths of one level, all of one length, packed one after another (move indices
 * as u16). Millions of them sit here between levels; one typed array instead of an
 * object each keeps them out of the garbage collector's way.
 */
export class Paths {
  data = new Uint16Array(1 << 12);
  n = 0;
  constructor(readonly width: number) {}
  /** Append the path src[off, off + width - 1) followed by the move index last. */
  push(src: ArrayLike<number>, off: number, last: number): void {
    const w = this.width;
    let o = this.n * w;
    if (o + w > this.data.length) {
      const d = new Uint16Array(Math.max(this.data.length * 2, o + w));
      d.set(this.data);
      this.data = d;
    }
    const d = this.data;
    for (let i = 0; i < w - 1; i++) d[o++] = src[off + i];
    d[o] = last;
    this.n++;
  }
}

/** One partition of a distributed search (runs in a worker process for the whole search). */
export class Part<S> {
  private readonly keys: StateKeys;
  private readonly buf = new KeyBuf();
  private readonly kb = new KeyBuf();
  /** A received path (absorb), as move indices. */
  private readonly got = new Uint16Array(256);
  /** Batch buffers, recycled between outboxes and levels (Outbox). */
  private readonly pool: ArrayBuffer[] = [];
  private readonly s0: S;
  /**
   * The last path whose states are kept: chainIdx[k] the move index at depth k + 1,
   * chainStates[k] the state after it, for k < chainLen. (A length of its own: absorb
   * moves to a new parent millions of times, and shortening an array costs a call.)
   */
  private readonly chainIdx = new Uint16Array(256);
  private readonly chainStates: S[] = [];
  private chainLen = 0;
  /** The last state whose moves were asked for, and its moves (absorb asks for one parent's many times). */
  private movesOf: S | null = null;
  private movesList: readonly Move[] = [];
  private readonly kinds = new Map<string, number>();
  readonly findings: ShardFinding[] = [];
  readonly perDepth: number[] = [0];
  transitions = 0;
  /** Successors sent to other parts, and their bytes (for the log). */
  sent = 0;
  sentBytes = 0;
  /** The level being expanded (its states' paths), and the next one as it fills. */
  frontier = new Paths(0);
  private next = new Paths(1);
  /** The level whose states absorb() and expand() are adding. */
  private level = 1;

  constructor(private readonly subject: Subject<S>, private readonly universe: Universe, readonly part: number, readonly parts: number,
    private readonly depth: number, private readonly perKind: number, compact = false) {
    this.keys = compact ? new CompactKeySet() : new KeySet();
    this.s0 = subject.init();
    subject.encode(this.s0, this.buf);
    if (this.owner(this.buf.hash()) === part) {
      this.keys.addKey(this.buf);
      this.perDepth[0] = 1;
      if (depth > 0) this.frontier.n = 1;
    }
  }

  /** The part that owns a key, by the key's hash (KeyBuf.hash). */
  owner(hash: number): number {
    return (hash >>> 0) % this.parts;
  }

  private moves(s: S): readonly Move[] {
    if (s !== this.movesOf) {
      this.movesList = this.universe.moves(this.subject.shape(s));
      this.movesOf = s;
    }
    return this.movesList;
  }

  private moveAt(s: S, index: number): Move {
    return this.moves(s)[index];
  }

  /**
   * The state after the path path[off, off + len), reusing the last path's common prefix.
   * Paths come mostly in the order their parents were expanded, so most cost one move.
   */
  private stateOf(path: ArrayLike<number>, off: number, len: number): S {
    const { chainIdx, chainStates } = this;
    const had = this.chainLen;
    let k = 0;
    while (k < len && k < had && chainIdx[k] === path[off + k]) k++;
    let s = k === 0 ? this.s0 : chainStates[k - 1];
    for (; k < len; k++) {
      s = applySteps(this.subject, s, this.moveAt(s, path[off + k]).steps).s;
      chainIdx[k] = path[off + k];
      chainStates[k] = s;
    }
    this.chainLen = len;
    return s;
  }

  private found(kind: string, message: string, depth: number, path: ArrayLike<number>, off: number, last: number): void {
    const n = this.kinds.get(kind) ?? 0;
    if (n >= this.perKind) return;
    this.kinds.set(kind, n + 1);
    let node: PathNode | null = null;
    let s = this.s0;
    for (let k = 0; k < depth; k++) {
      const i = k < depth - 1 ? path[off + k] : last;
      const move = this.moveAt(s, i);
      node = { prev: node, move, index: i };
      s = applySteps(this.subject, s, move.steps).s;
    }
    this.findings.push({ kind, message, depth, ...replayPath(this.subject, node!) });
  }

  /** A new state of this level, owned here: check it against its parent, then keep it for the next level. */
  private keep(cur: S, parent: S, path: ArrayLike<number>, off: number, last: number): void {
    const bad = this.subject.check(cur, parent);
    if (bad.length) this.found('invariant', bad.join('; '), this.level, path, off, last);
    else if (this.level < this.depth) this.next.push(path, off, last);
  }

  /**
   * Expand this part's level `level - 1` states: every successor goes to its owner
   * (send), or, when this part owns it, is kept here at once. Between parents, what
   * the other parts sent so far is taken in (drain).
   */
  async expand(level: number, send: (to: number, batch: Buffer) => Promise<void>, drain: () => Promise<void>): Promise<void> {
    const { subject, buf, parts } = this;
    const out = Array.from({ length: parts }, () => new Outbox(this.pool, OUTBOX_WORDS));
    const pending: Promise<void>[] = [];
    const ship = (to: number) => {
      const b = out[to].take();
      pending.push(send(to, b).then(() => out[to].give(b)));
    };
    const from = this.frontier;
    const w = from.width;
    for (let e = 0; e < from.n; e++) {
      const off = e * w;
      const s = this.stateOf(from.data, off, w);
      const moves = this.moves(s);
      for (let mi = 0; mi < moves.length; mi++) {
        const { s: cur, issues } = applySteps(subject, s, moves[mi].steps);
        this.transitions++;
        if (issues) {
          for (const x of issues) this.found(x.kind, x.message, level, from.data, off, mi);
          continue;
        }
        if (cur === s) continue;
        buf.reset();
        subject.encode(cur, buf);
        const h = buf.hash();
        const to = this.owner(h);
        if (to !== this.part) {
          out[to].put(from.data, off, w, mi, buf, h);
          this.sent++;
          if (out[to].bytes >= BATCH_BYTES) ship(to);
          continue;
        }
        if (this.keys.addHashed(buf, h) < 0) continue;
        this.perDepth[level]++;
        this.keep(cur, s, from.data, off, mi);
      }
      if (pending.length > 8) await Promise.all(pending.splice(0));
      if (performance.now() > this.yieldAt) {
        // What the others sent so far is taken in now, so it does not pile up in Redis.
        await drain();
        await this.breathe();
      }
    }
    for (let to = 0; to < parts; to++) if (out[to].n) ship(to);
    await Promise.all(pending);
  }

  /** Start level `level`: the states kept so far are the frontier, and level `level`'s states are counted from 0. */
  begin(level: number): void {
    this.level = level;
    if (level > 1) this.frontier = this.next;
    this.next = new Paths(level);
    while (this.perDepth.length <= level) this.perDepth.push(0);
  }

  private yieldAt = performance.now() + YIELD_MS;

  /** Let the event loop run (BullMQ renews the job's lock there: a part that never yields is taken for dead). */
  private async breathe(): Promise<void> {
    await new Promise((res) => setImmediate(res));
    this.yieldAt = performance.now() + YIELD_MS;
  }

  /**
   * Take a batch another part sent for the current level (as words: batchWords): each
   * successor whose key is new here is recomputed from its path (its parent is usually
   * the last one's) and kept.
   */
  absorb(w: Int32Array): void {
    const { kb, got } = this;
    for (let o = 0; o < w.length;) {
      const head = w[o];
      const len = head & 0xff, klen = head >>> 8;
      const h = w[o + 1] >>> 0;
      const po = o + 2;
      const ko = po + ((len + 1) >>> 1);
      o = ko + ((klen + 3) >>> 2);
      kb.setWords(w, ko, klen);
      if (this.keys.addHashed(kb, h) < 0) continue;
      this.perDepth[this.level]++;
      for (let i = 0; i < len; i += 2) {
        const x = w[po + (i >>> 1)];
        got[i] = x & 0xffff;
        got[i + 1] = x >>> 16;
      }
      const parent = this.stateOf(got, 0, len - 1);
      const cur = applySteps(this.subject, parent, this.moveAt(parent, got[len - 1]).steps).s;
      this.keep(cur, parent, got, 0, got[len - 1]);
    }
  }

  /** Distinct keys held, and (compact keys) distinct pieces. */
  get held(): string {
    const k = this.keys;
    return k instanceof CompactKeySet ? `${k.size} keys in ${k.pieceCount} pieces` : `${k.size} keys`;
  }

  /** The states kept so far for the next level. */
  get kept(): number {
    return this.next.n;
  }
}

const k = (id: string, ...rest: (string | number)[]) => ['rf', 'x', id, ...rest].join(':');

/** Run one part to the end of the search, talking to the other parts through Redis. */
async function runPart(job: Job<PartJob, PartResult>, connection: QueueConnection, log: (l: string) => void): Promise<PartResult> {
  const d = job.data;
  if (d.format !== BATCH_FORMAT) {
    throw new Error(`this worker's batch format is ${BATCH_FORMAT}, the coordinator's ${d.format ?? 'older'}: run workers and coordinator of one ringfence version`);
  }
  const cpu0 = process.cpuUsage();
  useHashedTextNumbers();
  const { subject, universe } = await buildSearch(d.spec);
  const part = new Part(subject, universe, d.part, d.parts, d.depth, d.perKind, d.compact ?? false);
  const redis = new Redis({ ...connection, lazyConnect: false });
  const blocking = new Redis({ ...connection, lazyConnect: false });
  try {
    for (let level = 1; level <= d.depth; level++) {
      if (await redis.exists(k(d.id, 'abort'))) throw new Error('the search was stopped (another part failed or the coordinator went away)');
      const inbox = k(d.id, 'in', level, d.part);
      const spare = { buf: new ArrayBuffer(0) };
      const drain = async (all: boolean) => {
        for (;;) {
          const got = await redis.lpopBuffer(inbox, 4);
          if (!got || !got.length) return;
          for (const b of got) part.absorb(batchWords(b, spare));
          if (!all) return;
        }
      };
      part.begin(level);
      await part.expand(level, async (to, batch) => { part.sentBytes += batch.length; await redis.rpush(k(d.id, 'in', level, to), batch); }, () => drain(false));
      // The barrier: a token for every part, after this part's batches for the level.
      const pipe = redis.pipeline();
      for (let q = 0; q < d.parts; q++) pipe.rpush(k(d.id, 'bar', level, q), String(d.part));
      await pipe.exec();
      for (let got = 0; got < d.parts;) {
        await drain(false);
        const r = await blocking.blpop(k(d.id, 'bar', level, d.part), 1);
        if (r) got++;
        else if (await redis.exists(k(d.id, 'abort'))) throw new Error('the search was stopped while waiting for the other parts');
      }
      await drain(true);
      await checkTexts(redis, d.id);
      log(`worker: part ${d.part}/${d.parts} level ${level}: ${part.perDepth[level]} new states, ${part.kept} to expand; sent ${part.sent} successors, ${(part.sentBytes / 2 ** 20).toFixed(1)} MiB`);
      await job.updateProgress({ part: d.part, level, states: part.perDepth[level], transitions: part.transitions });
    }
    // CPU seconds per part, to set against the single-machine search's (docs/distributed.md).
    const cpu = process.cpuUsage(cpu0);
    log(`worker: part ${d.part}/${d.parts} done: ${part.held}, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU s, max RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    return { perDepth: part.perDepth, transitions: part.transitions, findings: part.findings };
  } finally {
    redis.disconnect();
    blocking.disconnect();
  }
}

/** Every text this process numbered: its number must stand for no other text in any part. */
async function checkTexts(redis: Redis, id: string): Promise<void> {
  const fresh = unchecked.splice(0);
  if (!fresh.length) return;
  const key = k(id, 'texts');
  const pipe = redis.pipeline();
  for (const n of fresh) pipe.hsetnx(key, String(n), numbered.get(n)!);
  const set = await pipe.exec();
  const clash = fresh.filter((_, i) => set?.[i]?.[1] === 0);
  if (!clash.length) return;
  const have = await redis.hmget(key, ...clash.map(String));
  clash.forEach((n, i) => {
    if (have[i] !== numbered.get(n)) throw new Error(`internal: texts ${JSON.stringify(have[i])} and ${JSON.stringify(numbered.get(n))} hash to one number`);
  });
}

/** The exploration side of `ringfence worker`: one part at a time. */
export function exploreWorker(connection: QueueConnection, o: { lockMs: number; log: (l: string) => void }): Worker {
  return new Worker<PartJob, PartResult>(EXPLORE_QUEUE, (job) => runPart(job, connection, o.log),
    { connection, concurrency: 1, lockDuration: o.lockMs, stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)), maxStalledCount: 0 });
}

/** Without --parts: how long the worker count must hold still, and the longest wait for it. */
export const WORKERS_STEADY_MS = 2000;
export const WORKERS_WAIT_MS = 15_000;

/**
 * The parts of a search without --parts: one per worker connected to the queue. Workers
 * that are still starting would be missed by a count taken at once, so the count is
 * taken when it has not changed for WORKERS_STEADY_MS (at most WORKERS_WAIT_MS); with
 * no worker by then it is an error (the search would wait for ever), which says to
 * start workers or to give --parts.
 */
async function connectedWorkers(queue: Queue, connection: QueueConnection, log: (l: string) => void): Promise<number> {
  const t0 = performance.now();
  let n = await queue.getWorkersCount();
  let since = t0;
  for (;;) {
    const now = performance.now();
    if (n > 0 && now - since >= WORKERS_STEADY_MS) break;
    if (now - t0 >= WORKERS_WAIT_MS) break;
    await new Promise((res) => setTimeout(res, 250));
    const m = await queue.getWorkersCount();
    if (m !== n) { n = m; since = performance.now(); }
  }
  if (n === 0) {
    throw new QueueFailure(`no 'ringfence worker' is connected to ${connection.host}:${connection.port} (waited ${WORKERS_WAIT_MS / 1000} s): start workers first, or give --parts N and start N workers`);
  }
  log(`explore: ${n} worker${n === 1 ? '' : 's'} connected (the count held for ${WORKERS_STEADY_MS / 1000} s): one part each`);
  return n;
}

/** The coordinator: queue one part per partition, wait for all, sum them as the single-machine search does. */
export async function exploreQueue(spec: SearchSpec, o: { depth: number; perKind: number; parts?: number; compact?: boolean; onProgress?: (p: Progress) => void; log: (l: string) => void },
  connection: QueueConnection): Promise<ExploreResult> {
  const t0 = performance.now();
  const id = randomBytes(8).toString('hex');
  const reached = await reachRedis(connection);
  if (!reached.ok) throw new QueueFailure(reached.error.message);
  const queue = new Queue<PartJob, PartResult>(EXPLORE_QUEUE, { connection });
  const events = new QueueEvents(EXPLORE_QUEUE, { connection });
  const redis = new Redis({ ...connection });
  try {
    await events.waitUntilReady();
    const parts = o.parts ?? await connectedWorkers(queue, connection, o.log);
    o.log(`explore: search ${id}: ${parts} part${parts === 1 ? '' : 's'} queued on ${connection.host}:${connection.port} (a part needs a worker of its own for the whole search)`);
    const levelStates = new Map<number, number>();
    events.on('progress', ({ jobId, data }) => {
      if (!jobId.startsWith(id)) return;
      const p = data as { level: number; states: number; transitions: number };
      levelStates.set(p.level, (levelStates.get(p.level) ?? 0) + p.states);
      const states = [...levelStates.values()].reduce((a, b) => a + b, 1);
      const ms = performance.now() - t0;
      o.onProgress?.({ states, transitions: p.transitions, depth: p.level, left: 0, elapsedMs: ms, rate: states / Math.max(ms / 1000, 1e-3), etaMs: null });
    });
    const jobs = await queue.addBulk(Array.from({ length: parts }, (_, part) => ({
      name: 'part', data: { id, part, parts, spec, depth: o.depth, perKind: o.perKind, compact: o.compact ?? false, format: BATCH_FORMAT },
      opts: { jobId: `${id}-part-${part}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
    })));
    // A part whose worker dies cannot be run again elsewhere (its key set went with it): BullMQ
    // marks it stalled, and the search stops. Watched here, because the job is only failed
    // when a free worker next looks at it, and every worker may be busy with a part.
    let watching = true;
    const watch = (async () => {
      let warned = false;
      const since = performance.now();
      while (watching) {
        await new Promise((res) => setTimeout(res, 1000));
        if (!watching) return;
        // Parts not taken yet (a finished part is removed, and counts as taken).
        let waiting = 0;
        for (const j of jobs) {
          const now = await Job.fromId(queue, j.id!);
          if (!now) continue;
          const state = await now.getState();
          if (state === 'failed' || now.stalledCounter > 0) throw new QueueFailure(`a part of the search failed: part ${now.data.part}'s worker stopped (${now.failedReason || 'its job stalled'}); the search cannot go on without its key set`);
          if (state === 'waiting' || state === 'prioritized' || state === 'delayed') waiting++;
        }
        if (!warned && waiting > 0 && performance.now() - since > 30_000) {
          warned = true;
          o.log(`explore: only ${parts - waiting} of ${parts} parts have a worker: the search waits for ${waiting} more 'ringfence worker' process(es)`);
        }
      }
    })();
    const done = Promise.all(jobs.map((j) => j.waitUntilFinished(events) as Promise<PartResult>));
    let results: PartResult[];
    try {
      results = await Promise.race([done, watch.then(() => [] as PartResult[])]);
    } catch (e) {
      await redis.set(k(id, 'abort'), '1', 'EX', 86400);
      done.catch(() => undefined);
      if (e instanceof QueueFailure) throw e;
      throw new QueueFailure(`a part of the search failed: ${String((e as Error).message ?? e)}`);
    } finally {
      watching = false;
    }
    const perDepth: number[] = [];
    for (const r of results) r.perDepth.forEach((n, i) => { perDepth[i] = (perDepth[i] ?? 0) + n; });
    for (let i = 0; i <= o.depth; i++) perDepth[i] ??= 0;
    // As the single-machine search: a level with no new state ends the search.
    let reached = o.depth;
    for (let i = 1; i <= o.depth; i++) if (perDepth[i] === 0) { reached = i; break; }
    perDepth.length = reached + 1;
    const all = results.flatMap((r) => r.findings).sort((a, b) => a.depth - b.depth || a.moves.join(';').localeCompare(b.moves.join(';')));
    const kinds = new Map<string, number>();
    const elapsedMs = performance.now() - t0;
    const findings: Finding[] = [];
    for (const f of all) {
      const n = kinds.get(f.kind) ?? 0;
      if (n >= o.perKind) continue;
      kinds.set(f.kind, n + 1);
      const { depth, ...rest } = f;
      void depth;
      findings.push({ ...rest, foundAtMs: elapsedMs });
    }
    return {
      states: perDepth.reduce((a, b) => a + b, 0), transitions: results.reduce((a, r) => a + r.transitions, 0), perDepth,
      depthReached: reached, complete: true, stoppedBy: 'done', elapsedMs, findings, workers: parts,
    };
  } finally {
    // The search's lists and barriers go with it.
    const stale = await redis.keys(k(id, '*')).catch(() => [] as string[]);
    if (stale.length) await redis.del(...stale).catch(() => 0);
    redis.disconnect();
    await events.close();
    await queue.close();
  }
}
