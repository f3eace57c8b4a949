// One share of a breadth-first exploration. A search runs one shard in this
// thread (engine.ts) or one per worker thread (parallel.ts); the search
// (search.ts) drives every shard through the same steps:
//
//   expand  take the shard's frontier entries for a while, apply every move, and
//           keep each state whose key it has not seen as a candidate;
//   settle  learn the keys every other shard found in that expansion. A key
//           several shards found in the same expansion belongs to one of them (a
//           rule all shards compute alike); the others drop their candidate. The
//           owner checks the invariants and queues the state for the next level.
//
// The first levels are small: every shard expands all of them alike (replicated),
// so that all shards hold the same frontier. At the first level with enough
// entries, shard i takes entries i, i + n, i + 2n, ...; from then on each shard
// expands the states it owns. Breadth-first order is kept level by level, so the
// first finding of a kind is still at the smallest depth.
//
// The frontier holds paths, not states: a level can hold millions of states, and
// keeping them all alive made garbage collection a quarter of the run. A state is
// recomputed from its path when it is expanded; frontier entries come in the
// order their parents were expanded, so the states along the last path are kept
// and most entries cost one move.

import { KeyBuf } from '../../model/world/key.ts';
import { KeySet } from './keyset.ts';
import type { Obs, Step } from './observe.ts';
import { applySteps, type Subject } from './subject.ts';
import type { Move, Universe } from './universe.ts';

/** A path as a linked list from the root, so frontier entries share prefixes. */
export interface PathNode {
  prev: PathNode | null;
  move: Move;
}

/** Keys found by one expansion, packed as the key set stores them. */
export interface PackedKeys {
  bytes: Uint8Array;
  lens: Int32Array;
  hashes: Uint32Array;
}

/** A finding as a shard reports it (the search adds the time). */
export interface ShardFinding {
  kind: string;
  message: string;
  depth: number;
  steps: Step[];
  obs: Obs[];
  moves: string[];
}

export interface StepRequest {
  /** Keys each shard found in the last expansion (index = shard), or null if there was none. */
  settle: PackedKeys[] | null;
  /** Go on to the next level first (every shard settled the current one). */
  advance: boolean;
  /** Expand for about this long (ms); 0: settle only. */
  budgetMs: number;
  /** Stop expanding once this many keys are known (exact with one shard). */
  maxStates?: number;
}

export interface StepReply {
  /** From settling: states this shard now owns, at level `settledDepth`, and its findings. */
  kept: number;
  settledDepth: number;
  findings: ShardFinding[];
  /** Keys this expansion found (settled by the next step). */
  keys: PackedKeys;
  /** This shard has expanded its whole share of the current level. */
  exhausted: boolean;
  /** Entries of its share of the level still to expand. */
  left: number;
  transitions: number;
  depth: number;
}

/** Levels with fewer entries than this many per shard are expanded by every shard alike. */
const SPLIT_PER_SHARD = 64;

const NO_KEYS: PackedKeys = { bytes: new Uint8Array(0), lens: new Int32Array(0), hashes: new Uint32Array(0) };

/** A state found by an expansion, checked at once so the state itself need not be kept. */
interface Candidate {
  node: PathNode;
  /** Invariant violations of the state (empty when none). */
  bad: string[];
}

export class Shard<S> {
  private readonly seen = new KeySet();
  private readonly buf = new KeyBuf();
  private frontier: (PathNode | null)[];
  private next: PathNode[] = [];
  /** The states along the last path recomputed: chain[k] is the node at depth k + 1. */
  private readonly chain: PathNode[] = [];
  private readonly chainStates: S[] = [];
  private readonly s0: S;
  private fi = 0;
  private depth = 1;
  private transitions = 0;
  /** All shards hold the same frontier and expand all of it. */
  private replicated: boolean;
  /** This level is the one the shards split between them. */
  private split = false;
  /** The last expansion was done alike by every shard. */
  private lastShared = true;
  /** Candidates of the last expansion, by key entry (null: a sound state of the last level). */
  private cand: (Candidate | null)[] = [];
  private candFrom = 0;
  private pending: ShardFinding[] = [];
  private readonly kinds = new Map<string, number>();

  constructor(
    private readonly subject: Subject<S>,
    private readonly universe: Universe,
    private readonly index: number,
    private readonly count: number,
    private readonly maxDepth: number,
    private readonly perKind: number,
  ) {
    const s0 = subject.init();
    this.s0 = s0;
    subject.encode(s0, this.buf);
    this.seen.add(this.buf);
    this.frontier = [null];
    this.replicated = count > 1;
    this.startLevel();
  }

  step(req: StepRequest): StepReply {
    const settledDepth = this.depth;
    const kept = req.settle ? this.settle(req.settle) : 0;
    const findings = this.pending;
    this.pending = [];
    if (req.advance) this.advance();
    const keys = req.budgetMs > 0 ? this.expand(req.budgetMs, req.maxStates ?? Infinity) : NO_KEYS;
    return {
      kept, settledDepth, findings, keys,
      exhausted: this.fi >= this.frontier.length, left: this.left(), transitions: this.transitions, depth: this.depth,
    };
  }

  private startLevel(): void {
    if (this.replicated && this.frontier.length >= SPLIT_PER_SHARD * this.count) this.split = true;
  }

  private advance(): void {
    if (this.split) { this.split = false; this.replicated = false; }
    this.frontier = this.next;
    this.next = [];
    this.fi = 0;
    this.depth++;
    this.startLevel();
  }

  private mine(i: number): boolean {
    return !this.split || i % this.count === this.index;
  }

  private left(): number {
    const len = this.frontier.length;
    if (!this.split) return Math.max(0, len - this.fi);
    // Entries i >= fi with i % count === index: counted, not walked (a level can hold a million).
    const below = (end: number) => Math.floor((end - this.index + this.count - 1) / this.count);
    return Math.max(0, below(len) - below(this.fi));
  }

  /** Who reports what every shard found alike: shard 0. */
  private reports(): boolean {
    return !this.lastShared || this.index === 0;
  }

  private expand(budgetMs: number, maxStates: number): PackedKeys {
    const deadline = performance.now() + budgetMs;
    const { subject, universe, seen, buf } = this;
    this.lastShared = this.replicated && !this.split;
    this.cand = [];
    this.candFrom = seen.size;
    // Transitions every shard made alike count once.
    const counts = this.reports();
    const last = this.depth >= this.maxDepth;
    while (this.fi < this.frontier.length && seen.size < maxStates) {
      const i = this.fi++;
      if (!this.mine(i)) continue;
      const path = this.frontier[i];
      const s = this.stateOf(path);
      for (const move of universe.moves(subject.shape(s))) {
        const { s: cur, issues } = applySteps(subject, s, move.steps);
        if (counts) this.transitions++;
        if (issues) {
          // A diverged sequence says nothing more.
          if (this.reports()) for (const x of issues) this.found(x.kind, x.message, { prev: path, move });
          continue;
        }
        if (cur === s) continue; // unchanged: the state being expanded, seen already
        buf.reset();
        subject.encode(cur, buf);
        if (seen.addKey(buf) < 0) continue;
        // Checked now, even if another shard turns out to own it: keeping every
        // state until the shards settle would keep a round's worth of worlds alive
        // through garbage collections, which cost more than the few extra checks.
        // A sound state of the last level is never expanded nor reported: it is
        // only counted, and needs no path (most states of a search are there).
        const bad = subject.check(cur, s);
        this.cand.push(last && bad.length === 0 ? null : { node: { prev: path, move }, bad });
        if (seen.size >= maxStates) break;
      }
      if ((i & 15) === 0 && performance.now() > deadline) break;
      if (seen.size >= maxStates) break;
    }
    return this.pack();
  }

  private pack(): PackedKeys {
    const n = this.cand.length;
    const lens = new Int32Array(n), hashes = new Uint32Array(n);
    let total = 0;
    for (let c = 0; c < n; c++) {
      lens[c] = this.seen.bytes(this.candFrom + c).length;
      hashes[c] = this.seen.hashOf(this.candFrom + c);
      total += lens[c];
    }
    const bytes = new Uint8Array(total);
    for (let c = 0, at = 0; c < n; c++) {
      bytes.set(this.seen.bytes(this.candFrom + c), at);
      at += lens[c];
    }
    return { bytes, lens, hashes };
  }

  /** Learn the other shards' keys, keep the candidates this shard owns; how many it kept. */
  private settle(all: PackedKeys[]): number {
    const cand = this.cand;
    this.cand = [];
    // Finders of each candidate other than this shard, as a bit mask.
    const others = new Int32Array(cand.length);
    if (!this.lastShared) {
      for (let j = 0; j < all.length; j++) {
        if (j === this.index) continue;
        const k = all[j];
        for (let c = 0, at = 0; c < k.lens.length; at += k.lens[c], c++) {
          const r = this.seen.addBytes(k.bytes, at, k.lens[c], k.hashes[c]);
          if (r >= 0) continue; // new to this shard: now known
          const mine = -1 - r - this.candFrom;
          if (mine >= 0 && mine < cand.length) others[mine] |= 1 << j;
        }
      }
    }
    let kept = 0;
    const last = this.depth >= this.maxDepth;
    for (let c = 0; c < cand.length; c++) {
      const x = cand[c];
      if (others[c] !== 0 && owner(this.seen.hashOf(this.candFrom + c), others[c] | (1 << this.index), this.count) !== this.index) continue;
      kept++;
      if (x === null) continue;
      if (x.bad.length) {
        if (this.reports()) this.found('invariant', x.bad.join('; '), x.node);
        continue;
      }
      // The last level is never expanded: keep no state for it.
      if (!last) this.next.push(x.node);
    }
    return this.reports() ? kept : 0;
  }

  /** The state at the end of a path, reusing the states of the last path's common prefix. */
  private stateOf(path: PathNode | null): S {
    const nodes: PathNode[] = [];
    for (let n = path; n !== null; n = n.prev) nodes.push(n);
    nodes.reverse();
    const { chain, chainStates } = this;
    let k = 0;
    while (k < nodes.length && k < chain.length && chain[k] === nodes[k]) k++;
    chain.length = k;
    chainStates.length = k;
    let s = k === 0 ? this.s0 : chainStates[k - 1];
    for (; k < nodes.length; k++) {
      s = applySteps(this.subject, s, nodes[k].move.steps).s;
      chain.push(nodes[k]);
      chainStates.push(s);
    }
    return s;
  }

  private found(kind: string, message: string, node: PathNode): void {
    const n = this.kinds.get(kind) ?? 0;
    if (n >= this.perKind) return;
    this.kinds.set(kind, n + 1);
    this.pending.push({ kind, message, depth: this.depth, ...replayPath(this.subject, node) });
  }
}

/** The shard a key belongs to among those that found it: the first finder from hash mod n on. */
export function owner(hash: number, finders: number, n: number): number {
  const p = hash % n;
  for (let k = 0; k < n; k++) {
    const i = (p + k) % n;
    if (finders & (1 << i)) return i;
  }
  return -1;
}

/** Re-run a path from the initial state to collect its steps and observations. */
export function replayPath<S>(subject: Subject<S>, last: PathNode): { steps: Step[]; obs: Obs[]; moves: string[] } {
  const moves: Move[] = [];
  for (let n: PathNode | null = last; n; n = n.prev) moves.push(n.move);
  moves.reverse();
  const steps: Step[] = [];
  const obs: Obs[] = [];
  let s = subject.init();
  for (const m of moves) {
    for (const step of m.steps) {
      const r = subject.apply(s, step);
      s = r.s;
      steps.push(step);
      obs.push(r.obs);
    }
  }
  return { steps, obs, moves: moves.map((m) => m.label) };
}
