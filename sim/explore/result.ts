// What an exploration is asked for and what it gives back, whether it runs in one
// thread (engine.ts) or in several (parallel.ts).

import type { Obs, Step } from './observe.ts';

export interface Finding {
  /** 'invariant' for a state that breaks an invariant, else the kind. */
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
  /** Frontier entries a shard expands at most between reports (tests: rounds that do not depend on time). */
  roundEntries?: number;
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
  /** Threads that explored (1: this one). */
  workers: number;
}
