// The search that drives the shards of an exploration (shard.ts) round by round,
// the same way whether they run in this thread or in worker threads: it sums what
// they found, keeps findings (at most `perKind` of each kind, smallest depth
// first), closes a level once every shard has expanded its share, and stops at the
// depth, a time limit, a state limit or a finding asked for. With several shards it
// also makes room in their shared key set between rounds (shared-keys.ts).

import type { ExploreOptions, ExploreResult, Finding, Progress } from './result.ts';
import { KeySpace } from './shared-keys.ts';
import type { StepReply, StepRequest } from './shard.ts';

/** How long each shard expands before it reports to the search (ms). */
export const ROUND_MS = 100;

/**
 * A shard with no entries left is given half of a busy shard's remaining ones, if
 * that is at least this many: states belong to the shard that found them first, so
 * shares of a level differ, and without this the others would wait for the last.
 */
const MIN_GIFT = 16;

type Phase = 'expand' | 'finished';

export class Search {
  private readonly t0 = performance.now();
  private phase: Phase;
  private readonly space: KeySpace | null;
  private arenaFree: (number | undefined)[] | null = null;
  /** Entries to move: how many each shard gives next round, and to whom. */
  private give: { from: number; to: number; count: number }[] = [];
  /** Entries given and not yet taken, by receiving shard. */
  private take = new Map<number, Int32Array>();
  private advanceNext = false;
  private level = 1;
  private levelsDone = 0;
  private states = 1;
  private transitions = 0;
  private left = 0;
  private readonly perDepth = [1];
  private readonly findings: Finding[] = [];
  private readonly kindCount = new Map<string, number>();
  private stoppedBy: ExploreResult['stoppedBy'] = 'done';
  private lastProgress: number;

  constructor(private readonly opts: ExploreOptions, private readonly workers: number) {
    this.phase = opts.depth >= 1 ? 'expand' : 'finished';
    this.lastProgress = this.t0;
    this.space = workers > 1 ? new KeySpace(workers) : null;
  }

  get finished(): boolean {
    return this.phase === 'finished';
  }

  /** The next round's request for each shard. */
  request(): StepRequest[] {
    const advance = this.advanceNext;
    this.advanceNext = false;
    const space = this.space?.update(this.arenaFree);
    const reqs = Array.from({ length: this.workers }, () => {
      const req: StepRequest = { advance, budgetMs: ROUND_MS, maxStates: this.opts.maxStates };
      if (this.opts.roundEntries !== undefined) req.maxEntries = this.opts.roundEntries;
      if (space) req.space = space;
      return req;
    });
    for (const g of this.give) reqs[g.from].give = g.count;
    for (const [to, gift] of this.take) reqs[to].take = gift;
    this.take.clear();
    return reqs;
  }

  absorb(replies: StepReply[]): void {
    const now = performance.now();
    const found: { f: Finding; depth: number }[] = [];
    let transitions = 0, left = 0, exhausted = true;
    for (const r of replies) {
      if (r.kept) {
        while (this.perDepth.length <= r.depth) this.perDepth.push(0);
        this.perDepth[r.depth] += r.kept;
        this.states += r.kept;
      }
      for (const f of r.findings) {
        const { depth, ...rest } = f;
        found.push({ f: { ...rest, foundAtMs: now - this.t0 }, depth });
      }
      transitions += r.transitions;
      left += r.left;
      exhausted &&= r.exhausted;
    }
    this.arenaFree = replies.map((r) => r.arenaFree);
    for (const g of this.give) {
      const gift = replies[g.from].gift;
      if (gift && gift.length) { this.take.set(g.to, gift); exhausted = false; }
    }
    this.give = [];
    this.transitions = transitions;
    this.left = left;
    found.sort((a, b) => a.depth - b.depth);
    for (const { f } of found) this.record(f);
    this.next(now, exhausted);
    if (this.phase === 'expand' && !exhausted) this.balance(replies);
    if (this.opts.onProgress && now - this.lastProgress >= (this.opts.progressEveryMs ?? 250)) {
      this.lastProgress = now;
      this.opts.onProgress(this.progress(now));
    }
  }

  private next(now: number, exhausted: boolean): void {
    if (this.phase === 'finished' || this.stopFor(now) || !exhausted) return;
    // Every shard has expanded its share: the level is closed.
    this.levelsDone = this.level;
    if (this.level >= this.opts.depth || (this.perDepth[this.level] ?? 0) === 0) {
      while (this.perDepth.length <= this.level) this.perDepth.push(0);
      this.phase = 'finished';
      return;
    }
    this.level++;
    this.advanceNext = true;
  }

  /** Pair each shard that has run out with a busy one, which gives it half of what it has left. */
  private balance(replies: StepReply[]): void {
    const idle = replies.map((r, i) => i).filter((i) => replies[i].exhausted && replies[i].canGive && !this.take.has(i));
    const busy = replies.map((r, i) => i).filter((i) => replies[i].canGive && replies[i].left >= 2 * MIN_GIFT)
      .sort((a, b) => replies[b].left - replies[a].left);
    for (let k = 0; k < idle.length && k < busy.length; k++) {
      this.give.push({ from: busy[k], to: idle[k], count: Math.floor(replies[busy[k]].left / 2) });
    }
  }

  /** Whether a limit or a finding ends the search (then it is finished: rounds settle as they go). */
  private stopFor(now: number): boolean {
    const o = this.opts;
    let why: ExploreResult['stoppedBy'] | null = null;
    if (o.stopAtFirst && this.findings.length) why = 'first-finding';
    else if (o.wantKinds && [...this.kindCount.keys()].some(o.wantKinds)) why = 'wanted';
    else if (o.maxStates !== undefined && this.states >= o.maxStates) why = 'max-states';
    else if (o.timeLimitMs !== undefined && now - this.t0 > o.timeLimitMs) why = 'time';
    if (why === null) return false;
    this.stoppedBy = why;
    this.phase = 'finished';
    return true;
  }

  private record(f: Finding): void {
    if (this.opts.stopAtFirst && this.findings.length) return;
    const n = this.kindCount.get(f.kind) ?? 0;
    if (n >= (this.opts.perKind ?? 1)) return;
    this.kindCount.set(f.kind, n + 1);
    this.findings.push(f);
  }

  /**
   * A rough ETA: the current level's remaining work from its pace so far, then each
   * further level growing by the ratio of the last two levels.
   */
  private progress(now: number): Progress {
    const ms = now - this.t0;
    const rate = this.states / Math.max(ms / 1000, 1e-3);
    let etaMs: number | null = null;
    const prev = this.perDepth[this.level - 1] ?? 0;
    const sofar = this.perDepth[this.level] ?? 0;
    if (prev > 0 && rate > 0) {
      const done = Math.max(1, prev - this.left);
      let levelTotal = (sofar / done) * prev;
      let remaining = Math.max(0, levelTotal - sofar);
      const growth = Math.max(1, levelTotal / prev);
      for (let d = this.level + 1; d <= this.opts.depth; d++) { levelTotal *= growth; remaining += levelTotal; }
      etaMs = (remaining / rate) * 1000;
    }
    return { states: this.states, transitions: this.transitions, depth: this.level, left: this.left, elapsedMs: ms, rate, etaMs };
  }

  result(): ExploreResult {
    const complete = this.stoppedBy === 'done';
    return {
      states: this.states, transitions: this.transitions, perDepth: this.perDepth,
      depthReached: complete ? this.levelsDone : this.level, complete, stoppedBy: this.stoppedBy,
      elapsedMs: performance.now() - this.t0, findings: this.findings, workers: this.workers,
    };
  }
}
