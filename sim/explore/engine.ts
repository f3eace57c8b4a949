// Bounded exhaustive exploration: breadth-first over every move sequence up to a
// depth, skipping states whose canonical key was already seen. Breadth-first order
// makes the first path found to any issue a shortest one.

import type { Obs, Step } from './observe.ts';
import { KeyBuf } from '../../model/world/key.ts';
import { KeySet } from './keyset.ts';
import { applySteps, type Subject } from './subject.ts';
import type { Move, Universe } from './universe.ts';

/** A path as a linked list from the root, so frontier entries share prefixes. */
interface PathNode {
  prev: PathNode | null;
  move: Move;
}

export interface Finding {
  /** 'invariant' for a state that breaks an invariant, else the issue's kind. */
  kind: string;
  message: string;
  /** The shortest sequence found, command by command, and what each showed. */
  steps: Step[];
  obs: Obs[];
  moves: string[];
  /** ms from the start of the run until it was found. */
  foundAtMs: number;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  /** Frontier entries still to expand at this depth. */
  left: number;
  elapsedMs: number;
  /** Distinct states per second so far. */
  rate: number;
  /** Estimated ms to finish, or null before it can be guessed. */
  etaMs: number | null;
}

export interface ExploreOptions {
  depth: number;
  maxStates?: number;
  timeLimitMs?: number;
  /** Stop after the first finding of any kind. */
  stopAtFirst?: boolean;
  /** Keep at most this many findings per kind (default 1). */
  perKind?: number;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** Stop once every one of these kinds has been found. */
  wantKinds?: (kind: string) => boolean;
}

export interface ExploreResult {
  states: number;
  transitions: number;
  /** New distinct states found at each depth (index 0 = the initial state). */
  perDepth: number[];
  depthReached: number;
  /** Every sequence up to the depth was covered. */
  complete: boolean;
  stoppedBy: 'done' | 'max-states' | 'time' | 'first-finding' | 'wanted';
  elapsedMs: number;
  findings: Finding[];
}

export function explore<S>(subject: Subject<S>, universe: Universe, opts: ExploreOptions): ExploreResult {
  const t0 = performance.now();
  const seen = new KeySet();
  const buf = new KeyBuf();
  const s0 = subject.init();
  subject.encode(s0, buf);
  seen.add(buf);
  let frontier: { s: S; path: PathNode | null }[] = [{ s: s0, path: null }];
  const perDepth = [1];
  const findings: Finding[] = [];
  const kindCount = new Map<string, number>();
  const perKind = opts.perKind ?? 1;
  let transitions = 0;
  let stoppedBy: ExploreResult['stoppedBy'] = 'done';
  let lastProgress = t0;
  const every = opts.progressEveryMs ?? 250;
  const maxStates = opts.maxStates ?? Infinity;
  const deadline = opts.timeLimitMs ? t0 + opts.timeLimitMs : Infinity;
  let depth = 0;

  const record = (kind: string, message: string, path: PathNode) => {
    const n = kindCount.get(kind) ?? 0;
    if (n >= perKind) return;
    kindCount.set(kind, n + 1);
    findings.push({ kind, message, ...replayPath(subject, path), foundAtMs: performance.now() - t0 });
  };

  outer: for (depth = 1; depth <= opts.depth && frontier.length; depth++) {
    const next: typeof frontier = [];
    let found = 0;
    for (let fi = 0; fi < frontier.length; fi++) {
      const { s, path } = frontier[fi];
      const last = depth === opts.depth;
      for (const move of universe.moves(subject.shape(s))) {
        const { s: cur, issues } = applySteps(subject, s, move.steps);
        transitions++;
        if (issues) {
          const node: PathNode = { prev: path, move };
          for (const i of issues) record(i.kind, i.message, node);
          if (opts.stopAtFirst) { stoppedBy = 'first-finding'; break outer; }
          if (opts.wantKinds && [...kindCount.keys()].some(opts.wantKinds)) { stoppedBy = 'wanted'; break outer; }
          continue; // a diverged sequence says nothing more
        }
        if (cur === s) continue; // unchanged: the state being expanded, seen already
        buf.reset();
        subject.encode(cur, buf);
        if (!seen.add(buf)) continue;
        found++;
        const node: PathNode = { prev: path, move };
        const bad = subject.check(cur, s);
        if (bad.length) {
          record('invariant', bad.join('; '), node);
          if (opts.stopAtFirst) { stoppedBy = 'first-finding'; break outer; }
          continue;
        }
        // The last level is never expanded: keep no state for it.
        if (!last) next.push({ s: cur, path: node });
        if (seen.size >= maxStates) { stoppedBy = 'max-states'; break outer; }
      }
      if ((fi & 15) === 0) {
        const now = performance.now();
        if (now > deadline) { stoppedBy = 'time'; break outer; }
        if (opts.onProgress && now - lastProgress >= every) {
          lastProgress = now;
          opts.onProgress(progress(seen.size, transitions, depth, frontier.length - fi, now - t0, perDepth, found, fi, opts.depth));
        }
      }
    }
    perDepth.push(found);
    frontier = next;
  }
  const complete = stoppedBy === 'done';
  return {
    states: seen.size, transitions, perDepth, depthReached: complete ? Math.min(depth - 1, opts.depth) : depth, complete, stoppedBy,
    elapsedMs: performance.now() - t0, findings,
  };
}

/**
 * A rough ETA: the current level's remaining work from its pace so far, then each
 * further level growing by the ratio of the last two levels.
 */
function progress(states: number, transitions: number, depth: number, left: number, ms: number, perDepth: number[],
  foundThisLevel: number, doneThisLevel: number, maxDepth: number): Progress {
  const rate = states / Math.max(ms / 1000, 1e-3);
  let etaMs: number | null = null;
  if (doneThisLevel > 0 && rate > 0) {
    const perEntry = foundThisLevel / doneThisLevel;
    let levelTotal = foundThisLevel + perEntry * left;
    let remaining = perEntry * left;
    const prev = perDepth[perDepth.length - 1] || 1;
    const growth = Math.max(1, levelTotal / prev);
    for (let d = depth + 1; d <= maxDepth; d++) { levelTotal *= growth; remaining += levelTotal; }
    etaMs = (remaining / rate) * 1000;
  }
  return { states, transitions, depth, left, elapsedMs: ms, rate, etaMs };
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
