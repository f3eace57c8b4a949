// `ringfence explore`: bounded exhaustive exploration of call sequences over a small
// universe, or (--diff A,B) the shortest sequences whose records differ between two
// kernel profiles. Findings are written as v1 traces.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, getProfile, PROFILE_NAMES, type KernelProfile } from '../../../model/profile/profiles.ts';
import { lookupSymbol } from '../../../model/abi/symbols.ts';
import type { Io } from '../io.ts';
import type { Progress } from '../../explore/engine.ts';
import { DEFAULT_UNIVERSE, Universe, type UniverseSpec } from '../../explore/universe.ts';
import { findingTrace, makeDiffSubject, observe, slug, type ModelChoice } from '../../explore/run.ts';
import { defaultWorkers, exploreSpec, PARALLEL_FROM_DEPTH, workersForDepth } from '../../explore/parallel.ts';
import { buildSearch, type SubjectSpec } from '../../explore/spec.ts';
import { DISTRIBUTED_EXPLORE_OPTIONS, explorer, swarmCommand } from '../../distributed/explore-options.ts';
import { QueueFailure } from '../../distributed/explore.ts';

const USAGE = `usage: ringfence explore [--depth N] [--profile P] [universe options] [--out DIR] [--json]
       ringfence explore --diff A,B [--depth N] [universe options] [--out DIR] [--json]

Explores every call sequence up to --depth moves (default 4) breadth-first, skipping
states already seen, and checks the invariants at every state. A violation is
written as the shortest v1 trace that shows it. With --diff, finds the shortest
sequences whose records differ between two kernel profiles, one per kind of
difference, each written as a trace.

  --depth N          moves per sequence (an io move is sqe + submit + cqes)
  --profile P        kernel profile (default ${DEFAULT_PROFILE}; one of ${PROFILE_NAMES.join(', ')})
  --model M          kernel (the simulated kernel), reference (the reference model) or
                     both (kernel checked against the reference after every command);
                     default kernel
  --tasks N          most tasks, init included (default ${DEFAULT_UNIVERSE.tasks})
  --rings N          ring names per task (default ${DEFAULT_UNIVERSE.rings})
  --opcodes LIST     opcodes for filters and io moves (default NOP,SOCKET)
  --programs LIST    allow,deny,arg (arg: SOCKET allows only AF_UNIX, others even user_data)
  --escapes          search for sandbox escapes instead: a task gets a request or a
                     register call through on a ring it holds that a ring it creates
                     now would deny (reference model; one trace per cause)
  --lean             no DENY_REST, nnp, setuid, close or exit moves
  --workers N        threads to explore with (default: one per CPU, here ${defaultWorkers()},
                     from depth ${PARALLEL_FROM_DEPTH}; shallower searches run in this thread).
                     Every thread runs a share of the same breadth-first search: the
                     states and the kinds of finding are the same; only --workers 1
                     prints the same witness traces on every run
  --max-states N     stop after N distinct states
  --seconds S        stop after S seconds
  --out DIR          write findings there (default: print them)
  --json             print a JSON summary instead of text
  --queue URL        run the search on 'ringfence worker' processes through a Redis queue
                     (redis://HOST:PORT): the key space is cut into --parts partitions
                     by hash, each held by one worker; the counts and the kinds of
                     finding are those of the search on one machine
  --swarm            instead of the complete search: --walks W seeded random walks of up
                     to --depth moves (walk k seeded by --seed S and k alone), each kind
                     of finding shown by its shortest witness; with --diff A,B, walks
                     that look for differences
  --shard I/N        --swarm: only slice I of N of the walks, written to
                     DIR/swarm-slice-I-of-N.json for 'ringfence merge' (default: from
                     JOB_COMPLETION_INDEX and JOB_COMPLETION_TOTAL when both are set)
  --parts N          partitions (1..1024; default: the workers connected now); each
                     needs a worker of its own for the whole search`;

function parseIntOpt(v: unknown, name: string, min: number): number | string {
  if (v === undefined) return NaN;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) return `--${name} wants an integer >= ${min}, got '${String(v)}'`;
  return n;
}

function bar(p: Progress, maxDepth: number): string {
  const eta = p.etaMs === null ? '?' : p.etaMs > 3.6e6 ? '>1h' : `${Math.round(p.etaMs / 1000)}s`;
  const frac = Math.min(1, (p.depth - 1) / maxDepth);
  const w = 20;
  const fill = Math.round(frac * w);
  return `\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] depth ${p.depth}/${maxDepth}  ${p.states.toLocaleString('en-US')} states  ${Math.round(p.rate).toLocaleString('en-US')} states/s  ETA ${eta}   `;
}

export const command: Command = {
  name: 'explore',
  summary: 'explore every call sequence of a small universe; --diff finds profile differences',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, {
      depth: { type: 'string' }, profile: { type: 'string' }, model: { type: 'string' }, diff: { type: 'string' },
      tasks: { type: 'string' }, rings: { type: 'string' }, opcodes: { type: 'string' }, programs: { type: 'string' },
      lean: { type: 'boolean' }, 'max-states': { type: 'string' }, seconds: { type: 'string' }, out: { type: 'string' },
      json: { type: 'boolean' }, escapes: { type: 'boolean' }, workers: { type: 'string' },
      ...DISTRIBUTED_EXPLORE_OPTIONS,
    }, false);
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const v = a.value.values;
    const usage = (m: string) => reportError(io, rfError('usage', m), undefined, USAGE);
    const nums: Record<string, number> = {};
    for (const [name, min] of [['depth', 0], ['tasks', 1], ['rings', 0], ['max-states', 1], ['seconds', 0], ['workers', 1]] as const) {
      const n = parseIntOpt(v[name], name, min);
      if (typeof n === 'string') return usage(n);
      nums[name] = n;
    }
    const depth = Number.isNaN(nums.depth) ? 4 : nums.depth;
    const workers = Number.isNaN(nums.workers) ? workersForDepth(depth) : nums.workers;
    const model = (v.model as string | undefined) ?? 'kernel';
    if (!['kernel', 'reference', 'both'].includes(model)) return usage(`--model wants kernel, reference or both, got '${model}'`);
    const spec: UniverseSpec = { ...DEFAULT_UNIVERSE };
    if (!Number.isNaN(nums.tasks)) spec.tasks = nums.tasks;
    if (!Number.isNaN(nums.rings)) spec.rings = nums.rings;
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
    const limits = {
      depth,
      maxStates: Number.isNaN(nums['max-states']) ? undefined : nums['max-states'],
      timeLimitMs: Number.isNaN(nums.seconds) ? undefined : nums.seconds * 1000,
      // A bar redrawn in place needs a raw write (Io.err ends every text with a newline);
      // it is only drawn on a terminal, where the Io is the process's.
      onProgress: io.isTty && !v.json ? (p: Progress) => void process.stderr.write(bar(p, depth)) : undefined,
    };
    const out = v.out as string | undefined;
    if (v.swarm) return swarmCommand(io, v, spec, depth, model as ModelChoice, USAGE);
    const run = explorer(v, (l) => io.err(l));
    if (!run.ok) return reportError(io, run.error, undefined, USAGE);
    if (v.diff !== undefined) {
      const names = String(v.diff).split(',');
      const ps = names.map((n) => getProfile(n.trim()));
      if (names.length !== 2 || ps.some((p) => !p)) return usage(`--diff wants two profiles such as 7.2,7.3 (known: ${PROFILE_NAMES.join(', ')})`);
      return diff(io, ps[0]!, ps[1]!, spec, model as ModelChoice, limits, out, Boolean(v.json), workers);
    }
    const profile = getProfile((v.profile as string | undefined) ?? DEFAULT_PROFILE);
    if (!profile) return usage(`--profile: unknown profile '${String(v.profile)}' (known: ${PROFILE_NAMES.join(', ')})`);
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
    if (limits.onProgress) process.stderr.write('\r' + ' '.repeat(90) + '\r');
    const written: string[] = [];
    r.findings.forEach((f, i) => {
      const label = v.escapes ? 'escape' : 'violation';
      const text = findingTrace(f, `${label}_${i + 1}`, universe, [
        `ringfence explore found this (${subject.name}, depth ${f.moves.length}):`, f.message, '',
        'Moves: ' + f.moves.join('; '),
      ], [profile.name]);
      written.push(emit(io, out, `${v.escapes ? 'escape' : 'violation'}-${i + 1}-${slug(f.kind)}.trace`, text, Boolean(v.json)));
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
};

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
  limits: { depth: number; maxStates?: number; timeLimitMs?: number; onProgress?: (p: Progress) => void }, out: string | undefined, json: boolean,
  workers: number): Promise<number> {
  const { subject, a, b, note } = await makeDiffSubject(model, pa, pb);
  if (note) io.err(`ringfence explore: ${note}`);
  const r = await exploreSpec({ subject: { kind: 'diff', model, a: pa.name, b: pb.name }, universe: spec }, { ...limits, perKind: 1 }, workers);
  if (limits.onProgress) process.stderr.write('\r' + ' '.repeat(90) + '\r');
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
