// `ringfence explore`: bounded exhaustive exploration of call sequences over a small
// universe, or (--diff A,B) the shortest sequences whose records differ between two
// kernel profiles. Findings are written as v1 traces.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, reportError } from '../command.ts';
import { rfError } from '../../../model/errors.ts';
import { defineCommand, flagOption, intOption, kernelOption, MAX_SECONDS, stringOption } from '../options.ts';
import { progress } from '../progress.ts';
import { DEFAULT_PROFILE, getProfile, type KernelProfile } from '../../../model/profile/profiles.ts';
import { lookupSymbol } from '../../../model/abi/symbols.ts';
import type { Io } from '../io.ts';
import type { Progress } from '../../explore/engine.ts';
import { DEFAULT_UNIVERSE, Universe, type UniverseSpec } from '../../explore/universe.ts';
import { findingTrace, makeDiffSubject, observe, slug, type ModelChoice } from '../../explore/run.ts';
import { defaultWorkers, exploreSpec, PARALLEL_FROM_DEPTH, workersForDepth } from '../../explore/parallel.ts';
import { buildSearch, type SubjectSpec } from '../../explore/spec.ts';
import { explorer, swarmCommand } from '../../distributed/explore-options.ts';
import { QueueFailure } from '../../distributed/queue.ts';

/** Threads an exploration may use: each holds its share of the seen-state set, so more than this only costs memory. */
export const MAX_WORKERS = 32;
/** Deepest search: the state count grows exponentially with depth; --seconds and --max-states bound a deep one. */
export const MAX_DEPTH = 32;
/** The universe's largest task count and ring names per task. */
export const MAX_TASKS = 8;
export const MAX_RINGS = 8;

/** The progress line: how deep, how many states, how fast, and a guess at the time left. */
function line(p: Progress, maxDepth: number): string {
  const eta = p.etaMs === null ? '?' : p.etaMs > 3.6e6 ? '>1h' : `${Math.round(p.etaMs / 1000)}s`;
  const frac = Math.min(1, (p.depth - 1) / maxDepth);
  const w = 20;
  const fill = Math.round(frac * w);
  return `[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] depth ${p.depth}/${maxDepth}  ${p.states.toLocaleString('en-US')} states  ${Math.round(p.rate).toLocaleString('en-US')} states/s  ETA ${eta}`;
}

export const command = defineCommand({
  name: 'explore',
  summary: 'explore every call sequence of a small universe; --diff finds profile differences',
  positionals: { min: 0, max: 0 },
  synopsis: ['[--depth N] [--kernel P] [universe options] [--out DIR] [--json]', '--diff A,B [--depth N] [universe options] [--out DIR] [--json]', '--depth N --queue URL [--parts N] [--compact-keys] [universe options] [--json]', '--swarm [--walks W] [--seed S] [--shard I/N] [--diff A,B] [--depth N] [--out DIR]'],
  about: `Explores every call sequence up to --depth moves breadth-first, skipping
states already seen, and checks the invariants at every state. A violation is
written as the shortest v1 trace that shows it. With --diff, finds the shortest
sequences whose records differ between two kernel profiles, one per kind of
difference, each written as a trace. On a terminal, progress is shown on standard error.`,
  options: {
    depth: intOption('moves per sequence (an io move is sqe + submit + cqes)', { arg: 'N', min: 0, max: MAX_DEPTH, default: 4 }),
    kernel: kernelOption(`kernel profile (default ${DEFAULT_PROFILE})`, { aliases: ['profile'] }),
    diff: kernelOption('find the records that differ between profiles A and B', { arg: 'A,B', list: true, count: 2 }),
    model: stringOption(`kernel (the simulated kernel), reference (the reference model) or
both (kernel checked against the reference after every command)`, { arg: 'M', choices: ['kernel', 'reference', 'both'], default: 'kernel' }),
    tasks: intOption('most tasks, init included', { arg: 'N', min: 1, max: MAX_TASKS, default: DEFAULT_UNIVERSE.tasks }),
    rings: intOption('ring names per task', { arg: 'N', min: 0, max: MAX_RINGS, default: DEFAULT_UNIVERSE.rings }),
    opcodes: stringOption('opcodes for filters and io moves (default NOP,SOCKET)', { arg: 'LIST' }),
    programs: stringOption('allow,deny,arg (arg: SOCKET allows only AF_UNIX, others even user_data)', { arg: 'LIST' }),
    escapes: flagOption(`search for sandbox escapes instead: a task gets a request or a
register call through on a ring it holds that a ring it creates
now would deny (reference model; one trace per cause)`),
    lean: flagOption('no DENY_REST, nnp, setuid, close or exit moves'),
    workers: intOption(`threads to explore with (default: one per CPU, here ${defaultWorkers()},
from depth ${PARALLEL_FROM_DEPTH}; shallower searches run in this thread).
Every thread runs a share of the same breadth-first search: the
states and the kinds of finding are the same; only --workers 1
prints the same witness traces on every run`, { arg: 'N', min: 1, max: MAX_WORKERS }),
    'max-states': intOption('stop after N distinct states; deterministic with --workers 1, NOT with more: the count is N every run, but which states of the level being cut are kept (and so transitions and findings) differs, as the threads race for them', { arg: 'N', min: 1, max: Number.MAX_SAFE_INTEGER }),
    seconds: intOption('stop after S seconds', { arg: 'S', min: 0, max: MAX_SECONDS }),
    out: stringOption('write findings there (default: print them)', { arg: 'DIR', complete: 'dir' }),
    json: flagOption('print a JSON summary instead of text'),
    queue: stringOption(`run the search on 'ringfence worker' processes through a Redis queue
(redis://HOST:PORT): the key space is cut into --parts partitions
by hash, each held by one worker; the counts and the kinds of
finding are those of the search on one machine`, { arg: 'URL' }),
    parts: intOption(`partitions, each held by a worker of its own for the whole search (default: the
workers connected, counted once the count holds for 2 s; none in 15 s is an error)`, { arg: 'N', min: 1, max: 1024 }),
    'compact-keys': flagOption(`--queue: each worker keeps its keys as lists of interned 16-byte
pieces, about a fifth of the memory for some more CPU (exact: the
counts are the same); what a depth-7 search needs on one machine`),
    swarm: flagOption(`instead of the complete search: --walks W seeded random walks of up
to --depth moves (walk k seeded by --seed S and k alone), each kind
of finding shown by its shortest witness; with --diff A,B, walks
that look for differences`),
    walks: intOption('--swarm: how many walks (default 1000)', { arg: 'W', min: 1, max: 1e9 }),
    seed: intOption('--swarm: the seed walk k is made from, with k (default 1)', { arg: 'S', min: 0, max: 0xffffffff }),
    shard: stringOption(`--swarm: only slice I of N of the walks, written to
DIR/swarm-slice-I-of-N.json for 'ringfence merge' (default: from
JOB_COMPLETION_INDEX and JOB_COMPLETION_TOTAL when both are set)`, { arg: 'I/N' }),
  },
  exit: '0 explored (escapes are answers), 1 an invariant violated, 2 bad usage',
  async run({ opts: v }, io, cx) {
    const usage = cx.usage;
    const depth = v.depth;
    const workers = v.workers ?? workersForDepth(depth);
    const model = v.model;
    const spec: UniverseSpec = { ...DEFAULT_UNIVERSE, tasks: v.tasks, rings: v.rings };
    if (v.opcodes !== undefined) {
      const ops: number[] = [];
      for (const name of String(v.opcodes).split(',')) {
        const n = lookupSymbol(name.trim(), ['opcode']);
        if (n === undefined) return usage(`--opcodes: unknown opcode '${name}' (expected names such as NOP, SOCKET)`);
        ops.push(n as number);
      }
      spec.opcodes = ops;
    }
    if (v.programs !== undefined) {
      const ps = String(v.programs).split(',').map((s) => s.trim());
      for (const p of ps) if (!['allow', 'deny', 'arg'].includes(p)) return usage(`--programs: unknown program '${p}' (expected allow, deny, arg)`);
      spec.programs = ps as UniverseSpec['programs'];
    }
    if (v.lean) { spec.denyRest = false; spec.lifecycle = false; }
    const bar = progress(io, v.json);
    const limits = {
      depth,
      maxStates: v['max-states'],
      timeLimitMs: v.seconds === undefined ? undefined : v.seconds * 1000,
      onProgress: bar.enabled ? (p: Progress) => bar.update(line(p, depth)) : undefined,
    };
    const out = v.out;
    // The distributed options (sim/distributed/) read the values by their option names.
    const dv: Record<string, unknown> = {
      queue: v.queue, parts: v.parts, 'compact-keys': v['compact-keys'] ? true : undefined, walks: v.walks, seed: v.seed, shard: v.shard, out: v.out, json: v.json,
      'max-states': v['max-states'], seconds: v.seconds, diff: v.diff?.join(','), profile: v.kernel,
      escapes: v.escapes ? true : undefined,
    };
    if (v.swarm) return swarmCommand(io, dv, spec, depth, model as ModelChoice, cx.help);
    const run = explorer(dv, (l) => io.err(l));
    if (!run.ok) return reportError(io, run.error, undefined, cx.help);
    if (v.diff !== undefined) {
      const [pa, pb] = v.diff.map((n) => getProfile(n)!);
      return diff(io, pa, pb, spec, model as ModelChoice, { ...limits, done: () => bar.done() }, out, v.json, workers);
    }
    const profile = getProfile(v.kernel ?? DEFAULT_PROFILE)!;
    const what: SubjectSpec = v.escapes ? { kind: 'escapes', profile: profile.name } : { kind: 'model', model: model as ModelChoice, profile: profile.name };
    // Built here too (the threads build their own) for its name, the note and the traces' programs.
    const { subject, universe, note } = await buildSearch({ subject: what, universe: spec });
    if (note) io.err(`ringfence explore: ${note}`);
    let r;
    try {
      r = await run.value({ subject: what, universe: spec }, { ...limits, perKind: 1 }, workers);
    } catch (e) {
      if (e instanceof QueueFailure) return reportError(io, rfError('io', e.message));
      throw e;
    }
    bar.done();
    const written: string[] = [];
    r.findings.forEach((f, i) => {
      const label = v.escapes ? 'escape' : 'violation';
      const text = findingTrace(f, `${label}_${i + 1}`, universe, [
        `ringfence explore found this (${subject.name}, depth ${f.moves.length}):`, f.message, '',
        'Moves: ' + f.moves.join('; '),
      ], [profile.name]);
      written.push(emit(io, out, `${v.escapes ? 'escape' : 'violation'}-${i + 1}-${slug(f.kind)}.trace`, text, v.json));
    });
    const rate = r.states / Math.max(r.elapsedMs / 1000, 1e-3);
    if (v.json) {
      io.out(JSON.stringify({
        subject: subject.name, profile: profile.name, universe: spec, depth, states: r.states, transitions: r.transitions,
        perDepth: r.perDepth, complete: r.complete, stoppedBy: r.stoppedBy, elapsedMs: Math.round(r.elapsedMs), workers: r.workers,
        statesPerSecond: Math.round(rate), violations: r.findings.map((f, i) => ({ kind: f.kind, message: f.message, moves: f.moves, file: written[i] })),
      }));
    } else {
      io.out(`explored ${subject.name}: ${r.states.toLocaleString('en-US')} distinct states, ${r.transitions.toLocaleString('en-US')} transitions, depth ${r.depthReached}${r.complete ? ' (complete)' : ` (stopped: ${r.stoppedBy})`}`);
      io.out(`new states per depth: ${r.perDepth.join(' ')}`);
      io.out(`${(r.elapsedMs / 1000).toFixed(2)} s, ${Math.round(rate).toLocaleString('en-US')} states/s, ${r.workers} thread${r.workers === 1 ? '' : 's'}`);
      if (v.escapes) for (const f of r.findings) io.out(`  [depth ${f.moves.length}] ${f.kind}: ${f.moves.join('; ')}`);
      else io.out(r.findings.length ? `${r.findings.length} violation(s)` : 'no invariant violated');
    }
    // Escapes are the answer asked for; violations are failures.
    return r.findings.length && !v.escapes ? EXIT.FAILED : EXIT.OK;
  },
});

function emit(io: Io, dir: string | undefined, file: string, text: string, json: boolean): string {
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    writeFileSync(path, text);
    if (!json) io.out(`wrote ${path}`);
    return path;
  }
  if (!json) io.out(text);
  return '';
}

async function diff(io: Io, pa: KernelProfile, pb: KernelProfile, spec: UniverseSpec, model: ModelChoice,
  limits: { depth: number; maxStates?: number; timeLimitMs?: number; onProgress?: (p: Progress) => void; done: () => void }, out: string | undefined, json: boolean,
  workers: number): Promise<number> {
  const { subject, a, b, note } = await makeDiffSubject(model, pa, pb);
  if (note) io.err(`ringfence explore: ${note}`);
  const r = await exploreSpec({ subject: { kind: 'diff', model, a: pa.name, b: pb.name }, universe: spec }, { ...limits, perKind: 1 }, workers);
  limits.done();
  const universe = new Universe(spec, pa);
  const kernels = [pa.name, pb.name];
  const groups = r.findings.map((f, i) => {
    const other = observe(b, f.steps);
    const mine = observe(a, f.steps);
    const text = findingTrace({ ...f, obs: mine }, `diff_${slug(pa.name)}_${slug(pb.name)}_${i + 1}`.replace(/-/g, '_'), universe, [
      `ringfence explore --diff ${pa.name},${pb.name}: the records differ at the last command.`,
      f.kind, '', 'Moves: ' + f.moves.join('; '),
    ], kernels, other);
    return { kind: f.kind, moves: f.moves, depth: f.moves.length, foundAtMs: Math.round(f.foundAtMs), file: emit(io, out, `diff-${slug(pa.name)}-${slug(pb.name)}-${i + 1}.trace`, text, json) };
  });
  if (json) {
    io.out(JSON.stringify({ profiles: kernels, subject: subject.name, depth: limits.depth, states: r.states, transitions: r.transitions,
      complete: r.complete, stoppedBy: r.stoppedBy, elapsedMs: Math.round(r.elapsedMs), workers: r.workers, differences: groups }));
  } else {
    io.out(`${groups.length} kind(s) of difference between ${pa.name} and ${pb.name} (${r.states.toLocaleString('en-US')} states, ${(r.elapsedMs / 1000).toFixed(2)} s${r.complete ? '' : `, stopped: ${r.stoppedBy}`}):`);
    for (const g of groups) io.out(`  [depth ${g.depth}, found at ${(g.foundAtMs / 1000).toFixed(2)} s] ${g.kind}`);
  }
  return EXIT.OK;
}
