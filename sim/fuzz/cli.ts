// `ringfence fuzz --inputs` (and the second half of `--all`): the mutation harness
// from the command line. A campaign prints its seed first, each finding with the
// command that makes and runs that one input again, and a summary; `--index I`
// runs one input (and `--out FILE` writes it to the file the user named).

import { writeFileSync } from 'node:fs';
import type { Io } from '../cli/io.ts';
import { EXIT } from '../cli/command.ts';
import { ENTRIES } from './entries.ts';
import { availableEntries, judge, makeInput, replayCommand, runInput, type Finding } from './harness.ts';
import { runCampaign } from './pool.ts';

export interface InputsOptions {
  seed: number;
  /** Entry names; empty: every entry. */
  entries: string[];
  count: number;
  from: number;
  seconds: number;
  workers: number;
  index?: number;
  out?: string;
}

export function describeFinding(f: Finding): string {
  return `${f.entry} #${f.index}: ${f.problem.kind}${f.from ? ` (a mutant of ${f.from})` : ''}\n` +
    f.problem.detail.split('\n').map((l) => `    ${l}`).join('\n') +
    `\n  again with: ${replayCommand(f.seed, f.entry, f.index)} [--out FILE]`;
}

/** Returns the exit code; `usage` reports a usage error. */
export async function inputsCommand(o: InputsOptions, io: Io, usage: (m: string) => number): Promise<number> {
  const av = availableEntries(o.entries);
  if (av.unknown.length) return usage(`--entry: unknown entry point '${av.unknown[0]}' (known: ${ENTRIES.map((e) => e.name).join(', ')})`);
  for (const n of av.notices) io.err(`notice: ${n}`);
  if (!av.entries.length) return usage('no entry point can run here');

  if (o.index !== undefined) {
    if (av.entries.length !== 1) return usage('--index needs one --entry');
    const e = av.entries[0];
    const input = makeInput(e, o.seed, o.index);
    if (o.out) {
      writeFileSync(o.out, input.data);
      io.out(`wrote input ${e.name} #${o.index} (seed ${o.seed}, a mutant of ${input.from}) to ${o.out}; run it as: ringfence ${e.argv(o.out).join(' ')}`);
    }
    const r = await runInput(e, input);
    const p = judge(input, r);
    io.out(`${e.name} #${o.index} (seed ${o.seed}): ringfence ${e.argv(input.file).join(' ')} -> exit ${r.code} in ${r.ms.toFixed(0)} ms`);
    // (A mutant's line can be 100,000 characters long: show the start of each.)
    if (r.stderr) io.out(r.stderr.trimEnd().split('\n').slice(0, 20).map((l) => `  | ${l.length > 200 ? `${l.slice(0, 200)}... (${l.length} characters)` : l}`).join('\n'));
    io.out(p ? `problem: ${p.kind}` : 'no problem');
    return p ? EXIT.FAILED : EXIT.OK;
  }

  io.out(`mutation fuzzing ${av.entries.map((e) => e.name).join(', ')}: seed ${o.seed}, inputs ${o.from}..${o.from + o.count - 1} of each` +
    `${o.seconds ? `, at most ${o.seconds} s` : ''}, ${o.workers} worker${o.workers > 1 ? 's' : ''}`);
  const kinds = new Map<string, number>();
  const t0 = Date.now();
  let shown = t0;
  const r = await runCampaign({
    onProgress(n) {
      // On stderr, every ten seconds or so: a long campaign shows it is alive.
      const now = Date.now();
      if (now - shown < 10_000) return;
      shown = now;
      io.err(`${n.toLocaleString('en-US')} inputs, ${(n / ((now - t0) / 1000)).toFixed(0)}/s`);
    },
    seed: o.seed, entries: av.entries.map((e) => e.name), from: o.from, count: o.count, seconds: o.seconds, workers: o.workers,
    onFinding(f) {
      kinds.set(f.problem.kind, (kinds.get(f.problem.kind) ?? 0) + 1);
      // The first few of each kind in full; the rest are counted.
      if ((kinds.get(f.problem.kind) ?? 0) <= 20) io.out(describeFinding(f));
    },
  });
  const rate = r.inputs / Math.max(r.ms / 1000, 1e-3);
  const per = Object.entries(r.perEntryMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`).join(', ');
  io.out(`${r.inputs.toLocaleString('en-US')} inputs in ${(r.ms / 1000).toFixed(1)} s (${rate.toFixed(0)}/s; time per entry: ${per})`);
  io.out(r.findings ? `${r.findings} findings: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}` : 'no crash, no exit 3, no hang, no unlocated error');
  return r.findings ? EXIT.FAILED : EXIT.OK;
}
