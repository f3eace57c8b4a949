// A swarm of seeded random explorations (SPIN-swarm style): W random walks of up to
// D moves each, walk k seeded by (seed, k) alone, so any slice of the walks runs with
// no coordination (`explore --swarm --walks W --shard I/N`), and the slices' files
// merge (`ringfence merge`) into exactly what one run of all W walks prints. Each
// kind of finding is shown by its shortest witness (fewest moves, then lowest walk),
// replayed from its path of move indices, so a witness fails again when replayed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rfError } from '../../model/errors.ts';
import { EXIT, reportError } from '../cli/command.ts';
import type { Io } from '../cli/io.ts';
import { rng } from '../oracle/random.ts';
import { findingTrace, observe, slug } from '../explore/run.ts';
import { buildSearch, type SearchSpec } from '../explore/spec.ts';
import { applySteps, type Subject } from '../explore/subject.ts';
import type { Step } from '../explore/observe.ts';
import type { Universe } from '../explore/universe.ts';
import { sliceOf, type Shard } from './shard.ts';

export interface SwarmSpec {
  search: SearchSpec;
  depth: number;
  walks: number;
  seed: number;
}

export interface SwarmFinding {
  kind: string;
  message: string;
  walk: number;
  /** Move indices from the initial state; its length is the finding's depth. */
  path: number[];
}

export interface SwarmSliceFile {
  format: 'ringfence-swarm-slice/1';
  spec: SwarmSpec;
  shard: Shard;
  /** Moves made by the slice's walks. */
  moves: number;
  findings: SwarmFinding[];
}

/** Walk k's own seed: the swarm's seed and k mixed, so neighbouring walks diverge at once. */
export function walkSeed(seed: number, k: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}

/** Keep the better witness of each kind: fewer moves, then the lower walk. */
function keepBest(best: Map<string, SwarmFinding>, f: SwarmFinding): void {
  const had = best.get(f.kind);
  if (!had || f.path.length < had.path.length || (f.path.length === had.path.length && f.walk < had.walk)) best.set(f.kind, f);
}

/** Walks [from, to): each stops at its first finding or after `depth` moves. */
export function runWalks<S>(subject: Subject<S>, universe: Universe, spec: SwarmSpec, from: number, to: number): { moves: number; findings: SwarmFinding[] } {
  const best = new Map<string, SwarmFinding>();
  let made = 0;
  for (let k = from; k < to; k++) {
    const r = rng(walkSeed(spec.seed, k));
    let s = subject.init();
    const path: number[] = [];
    for (let d = 0; d < spec.depth; d++) {
      const moves = universe.moves(subject.shape(s));
      if (!moves.length) break;
      const mi = Math.floor(r() * moves.length);
      path.push(mi);
      made++;
      const { s: cur, issues } = applySteps(subject, s, moves[mi].steps);
      if (issues?.length) {
        for (const x of issues) keepBest(best, { kind: x.kind, message: x.message, walk: k, path: [...path] });
        break;
      }
      if (cur !== s) {
        const bad = subject.check(cur, s);
        if (bad.length) { keepBest(best, { kind: 'invariant', message: bad.join('; '), walk: k, path: [...path] }); break; }
      }
      s = cur;
    }
  }
  return { moves: made, findings: [...best.values()] };
}

/** The steps of a path of move indices. */
function stepsOf<S>(subject: Subject<S>, universe: Universe, path: number[]): { steps: Step[]; labels: string[] } {
  let s = subject.init();
  const steps: Step[] = [], labels: string[] = [];
  for (const i of path) {
    const m = universe.moves(subject.shape(s))[i];
    steps.push(...m.steps);
    labels.push(m.label);
    s = applySteps(subject, s, m.steps).s;
  }
  return { steps, labels };
}

/** What one run of the whole swarm prints, from every walk's findings. */
async function printSwarm(io: Io, spec: SwarmSpec, moves: number, all: SwarmFinding[], out: string | undefined, json: boolean): Promise<number> {
  const best = new Map<string, SwarmFinding>();
  for (const f of all) keepBest(best, f);
  const found = [...best.values()].sort((a, b) => a.path.length - b.path.length || a.walk - b.walk || a.kind.localeCompare(b.kind));
  const { subject, universe } = await buildSearch(spec.search);
  const s = spec.search.subject;
  const kernels = s.kind === 'diff' ? [s.a, s.b] : [s.profile];
  const shown = found.map((f, i) => {
    const { steps, labels } = stepsOf(subject, universe, f.path);
    const obs = observe(subject as Subject<unknown>, steps);
    const text = findingTrace({ kind: f.kind, message: f.message, steps, obs, moves: labels, foundAtMs: 0 }, `swarm_${i + 1}`, universe, [
      `ringfence explore --swarm found this (walk ${f.walk} of ${spec.walks}, seed ${spec.seed}, depth ${f.path.length}):`, f.message, '',
      'Moves: ' + labels.join('; '),
    ], s.kind === 'diff' ? undefined : kernels);
    let file = '';
    if (out) {
      mkdirSync(out, { recursive: true });
      file = join(out, `swarm-${i + 1}-${slug(f.kind)}.trace`);
      writeFileSync(file, text);
    }
    return { f, labels, text, file };
  });
  if (json) {
    io.out(JSON.stringify({ swarm: { walks: spec.walks, depth: spec.depth, seed: spec.seed }, subject: subject.name, moves,
      findings: shown.map(({ f, labels, file }) => ({ kind: f.kind, message: f.message, walk: f.walk, moves: labels, file })) }));
  } else {
    io.out(`swarm over ${subject.name}: ${spec.walks} walks of up to ${spec.depth} moves (seed ${spec.seed}), ${moves.toLocaleString('en-US')} moves made; ${found.length} kind(s) of finding`);
    for (const { f, labels, text, file } of shown) {
      io.out(`  [depth ${f.path.length}, walk ${f.walk}] ${f.kind}: ${labels.join('; ')}`);
      io.out(file ? `  wrote ${file}` : text);
    }
  }
  // Differences between profiles are the answer asked for; violations are failures.
  return found.length && s.kind === 'model' ? EXIT.FAILED : EXIT.OK;
}

/** `explore --swarm`: every walk here, or one slice written for `ringfence merge`. */
export async function swarm(io: Io, spec: SwarmSpec, shard: Shard | null, out: string | undefined, json: boolean): Promise<number> {
  const { subject, universe } = await buildSearch(spec.search);
  if (!shard) {
    const r = runWalks(subject, universe, spec, 0, spec.walks);
    return printSwarm(io, spec, r.moves, r.findings, out, json);
  }
  const { from, to } = sliceOf(spec.walks, shard);
  const r = runWalks(subject, universe, spec, from, to);
  const file: SwarmSliceFile = { format: 'ringfence-swarm-slice/1', spec, shard, moves: r.moves, findings: r.findings };
  const dir = out ?? '.';
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `swarm-slice-${shard.index}-of-${shard.count}.json`);
  writeFileSync(path, JSON.stringify(file) + '\n');
  io.out(`slice ${shard.index}/${shard.count}: walks ${from}..${to - 1}: ${r.moves} moves, ${r.findings.length} kind(s) of finding; wrote ${path}`);
  return EXIT.OK;
}

/** `ringfence merge` of swarm slices: every slice once, then what one run prints. */
export async function mergeSwarm(io: Io, files: { path: string; data: SwarmSliceFile }[], json = false): Promise<number> {
  const spec = files[0].data.spec;
  const same = JSON.stringify(spec);
  const count = files[0].data.shard.count;
  const have = new Set<number>();
  for (const f of files) {
    if (JSON.stringify(f.data.spec) !== same) return reportError(io, rfError('invalid', `${f.path}: a slice of another swarm`));
    if (f.data.shard.count !== count) return reportError(io, rfError('invalid', `${f.path}: a slice of ${f.data.shard.count}, not of ${count}`));
    have.add(f.data.shard.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i));
  if (missing.length) return reportError(io, rfError('invalid', `slices missing: ${missing.slice(0, 10).join(', ')} of ${count}`));
  // A slice given twice counts once.
  const once = new Map(files.map((f) => [f.data.shard.index, f.data]));
  const moves = [...once.values()].reduce((a, d) => a + d.moves, 0);
  return printSwarm(io, spec, moves, [...once.values()].flatMap((d) => d.findings), undefined, json);
}
