// One share of a breadth-first exploration. A search runs one shard in this
// thread (engine.ts) or one per worker thread (parallel.ts); the search
// (search.ts) drives every shard in rounds: each round a shard takes its frontier
// entries for a while, applies every move, and keeps each state whose key no one
// has seen: it checks the invariants there and queues the state for the next level.
//
// With several shards the keys live in one set in shared memory (shared-keys.ts):
// a key belongs to the shard that inserted it first, which expands it at the next
// level. The first levels are small: every shard expands all of them alike
// (replicated), each with a set of its own, so that all shards hold the same
// frontier. At the first level with enough entries, shard i takes entries i, i + n,
// i + 2n, ...; from then on the shards use the shared set (each first puts in it
// the keys it knows) and expand the states they own. Breadth-first order is kept
// level by level, so the first finding of a kind is still at the smallest depth.
//
// The frontier holds paths, not states: a level can hold millions of states, and
// keeping them all alive made garbage collection a quarter of the run. A state is
// recomputed from its path when it is expanded; frontier entries come in the
// order their parents were expanded, so the states along the last path are kept
// and most entries cost one move.

import { KeyBuf } from '../../model/world/key.ts';
import { KeySet } from './keyset.ts';
import { SharedKeySet, type KeySpaceUpdate } from './shared-keys.ts';
import type { Obs, Step } from './observe.ts';
import { applySteps, type Subject } from './subject.ts';
import type { Move, Universe } from './universe.ts';

/** A path as a linked list from the root, so frontier entries share prefixes. */
export interface PathNode {
  prev: PathNode | null;
  move: Move;
  /** The move's place in its parent's move list (how a path is sent to another shard). */
  index: number;
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
  /** Go on to the next level first (every shard expanded its share of the current one). */
  advance: boolean;
  /** Expand for about this long (ms). */
  budgetMs: number;
  /** Stop expanding once this many keys are known. */
  maxStates?: number;
  /** Expand at most this many frontier entries. */
  maxEntries?: number;
  /** Room made in the shared key set since the last round (several shards only). */
  space?: KeySpaceUpdate;
  /** Hand this many of the level's entries still to expand to another shard (see `gift`). */
  give?: number;
  /** Entries of the current level another shard handed over (as Shard.give encodes them). */
  take?: Int32Array;
}

export interface StepReply {
  /** New states this shard found and owns, at level `depth`, and its findings. */
  kept: number;
  depth: number;
  findings: ShardFinding[];
  /** This shard has expanded its whole share of the current level. */
  exhausted: boolean;
  /** Entries of its share of the level still to expand. */
  left: number;
  transitions: number;
  /** Bytes left in its shared key-set arena (several shards only). */
  arenaFree?: number;
  /** This shard's level is its own (not replicated, not split by index), so entries can be handed over. */
  canGive: boolean;
  /** The entries it was asked to give, taken off its frontier. */
  gift?: Int32Array;
}

/** Levels with fewer entries than this many per shard are expanded by every shard alike. */
const SPLIT_PER_SHARD = 64;

export class Shard<S> {
  /** The keys this shard has seen, while it has a set of its own (one shard, or replicated levels). */
  private seen: KeySet | null = new KeySet();
  /** The set shared with the other shards, used from the split level on. */
  private readonly shared: SharedKeySet | null;
  private sharing = false;
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
    this.seen!.add(this.buf);
    this.frontier = [null];
    this.replicated = count > 1;
    this.shared = count > 1 ? new SharedKeySet(index) : null;
    this.startLevel();
  }

  step(req: StepRequest): StepReply {
    if (req.space) this.shared?.update(req.space);
    if (req.advance) this.advance();
    if (req.take) this.receive(req.take);
    const gift = req.give ? this.give(req.give) : undefined;
    const depth = this.depth;
    const kept = req.budgetMs > 0 ? this.expand(req.budgetMs, req.maxStates ?? Infinity, req.maxEntries ?? Infinity) : 0;
    const findings = this.pending;
    this.pending = [];
    const reply: StepReply = {
      kept, depth, findings,
      exhausted: this.fi >= this.frontier.length, left: this.left(), transitions: this.transitions,
      arenaFree: this.shared?.free, canGive: !this.replicated,
    };
    if (gift) reply.gift = gift;
    return reply;
  }

  /**
   * Take the last `count` entries still to expand off the frontier, as paths of move
   * indices: [length, index, index, ..., length, ...], in frontier order.
   */
  private give(count: number): Int32Array {
    const end = this.frontier.length;
    const from = Math.max(this.fi, end - count);
    const out: number[] = [];
    const idx: number[] = [];
    for (let i = from; i < end; i++) {
      idx.length = 0;
      for (let n = this.frontier[i]; n !== null; n = n.prev) idx.push(n.index);
      out.push(idx.length);
      for (let k = idx.length - 1; k >= 0; k--) out.push(idx[k]);
    }
    this.frontier.length = from;
    return Int32Array.from(out);
  }

  /** Add entries another shard gave (see give) to the current level, rebuilding their paths. */
  private receive(gift: Int32Array): void {
    const { subject, universe } = this;
    // The last path decoded: its indices, nodes, and the states after each node but the last.
    const idx: number[] = [], nodes: PathNode[] = [], states: S[] = [];
    for (let p = 0; p < gift.length;) {
      const len = gift[p++];
      let k = 0;
      while (k < len && k < idx.length && k <= states.length && idx[k] === gift[p + k]) k++;
      idx.length = nodes.length = k;
      states.length = Math.min(k, states.length);
      for (; k < len; k++) {
        const parent = k === 0 ? this.s0 : states[k - 1];
        const move = universe.moves(subject.shape(parent))[gift[p + k]];
        nodes.push({ prev: k === 0 ? null : nodes[k - 1], move, index: gift[p + k] });
        idx.push(gift[p + k]);
        // The entry's own state is computed when it is expanded.
        if (k < len - 1) states.push(applySteps(subject, parent, move.steps).s);
      }
      this.frontier.push(len === 0 ? null : nodes[len - 1]);
      p += len;
    }
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

  /** Whether this shard reports what it finds: always, except on levels every shard expands alike (shard 0 does). */
  private reports(): boolean {
    return !(this.replicated && !this.split) || this.index === 0;
  }

  /**
   * From the split level on, find keys in the shared set. Every shard first puts in
   * it all the keys it knows (the same ones in every shard), so that none can take
   * an old state for a new one, whichever shard gets there first.
   */
  private startSharing(): void {
    const seen = this.seen!, shared = this.shared!;
    for (let e = 0; e < seen.size; e++) {
      const b = seen.bytes(e);
      shared.addBytes(b, 0, b.length, seen.hashOf(e));
    }
    this.seen = null;
    this.sharing = true;
  }

  /** Expand for about budgetMs; how many new states this shard kept. */
  private expand(budgetMs: number, maxStates: number, maxEntries: number): number {
    if (this.split && !this.sharing) this.startSharing();
    const deadline = performance.now() + budgetMs;
    const { subject, universe, buf } = this;
    const seen = this.seen, shared = this.shared !== null && this.sharing ? this.shared : null;
    const size = () => (shared !== null ? shared.size : seen!.size);
    const reports = this.reports();
    // The last level is never expanded: a sound state there is only counted, and
    // needs no path (most states of a search are there).
    const last = this.depth >= this.maxDepth;
    let kept = 0;
    const stopAt = this.fi + maxEntries;
    while (this.fi < this.frontier.length && this.fi < stopAt && size() < maxStates) {
      if (shared !== null && shared.full()) break; // the coordinator makes room between rounds
      const i = this.fi++;
      if (!this.mine(i)) continue;
      const path = this.frontier[i];
      const s = this.stateOf(path);
      const moves = universe.moves(subject.shape(s));
      for (let mi = 0; mi < moves.length; mi++) {
        const move = moves[mi];
        const { s: cur, issues } = applySteps(subject, s, move.steps);
        if (reports) this.transitions++;
        if (issues) {
          // A diverged sequence says nothing more.
          if (reports) for (const x of issues) this.found(x.kind, x.message, { prev: path, move, index: mi });
          continue;
        }
        if (cur === s) continue; // unchanged: the state being expanded, seen already
        buf.reset();
        subject.encode(cur, buf);
        if (shared !== null ? !shared.addKey(buf) : seen!.addKey(buf) < 0) continue;
        const bad = subject.check(cur, s);
        if (reports) kept++;
        if (bad.length) {
          if (reports) this.found('invariant', bad.join('; '), { prev: path, move, index: mi });
        } else if (!last) this.next.push({ prev: path, move, index: mi });
        if (size() >= maxStates) break;
      }
      // Checked at every entry: the other shards wait at the round's end for the last to stop.
      if (performance.now() > deadline) break;
    }
    return kept;
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
