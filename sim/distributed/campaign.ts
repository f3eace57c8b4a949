// A random oracle campaign (`oracle --random N`) cut into pieces that can run apart:
// one call of runSlice checks some of the N traces on one kernel and gives back an
// outcome per trace; renderCampaign turns the outcomes of every trace, however they
// were gathered (one run, static shards, queue jobs), into exactly the text one run
// prints. Merging is by (profile, trace index), so a piece that ran twice counts once.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rfError, type Result } from '../../model/errors.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import type { Trace, TraceFile } from '../trace/ast.ts';
import { formatRecords } from '../trace/records.ts';
import { replayTrace } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import { compareTrace, comparisonPassed, describeComparison } from '../oracle/compare.ts';
import { randomTraceFile, shrinkMismatch } from '../oracle/random.ts';
import { runOnKernel, type KernelRun, type RunOptions } from '../oracle/run.ts';

/** Mismatches shrunk per kernel (as one run does). */
export const SHRINK_PER_KERNEL = 5;

export interface CampaignSpec {
  n: number;
  seed: number;
  profiles: string[];
  /** Directory the shrunk traces are written to (as printed). */
  outDir: string;
}

/** What happened to one trace on one kernel. */
export interface TraceOutcome {
  profile: string;
  index: number;
  verdict: 'passed' | 'failed' | 'unstable';
  /** Lines one run prints for it (empty when it passed). */
  out: string[];
  /** For a failure: the shrunk trace, written only if it is among the kernel's first SHRINK_PER_KERNEL. */
  shrink?: { path: string; text: string; out: string[] };
}

const files = new Map<string, TraceFile>();

/** The campaign's traces for a kernel (the same on every machine: a seeded generator). */
export function campaignFile(n: number, seed: number, profile: string): TraceFile {
  const key = `${n}/${seed}/${profile}`;
  let f = files.get(key);
  if (!f) {
    if (files.size > 8) files.clear();
    files.set(key, (f = randomTraceFile(n, seed, profile)));
  }
  return f;
}

/**
 * Check traces [from, to) of the campaign on one kernel: run them, compare with the
 * simulator, run the suspects again (a difference counts only if the kernel repeats
 * itself), shrink this slice's first SHRINK_PER_KERNEL failures.
 */
export async function runSlice(spec: CampaignSpec, profile: string, from: number, to: number, ro: RunOptions,
  onRun?: (run: KernelRun) => void, shrink = true): Promise<Result<TraceOutcome[]>> {
  const prof = getProfile(profile);
  if (!prof) return { ok: false, error: rfError('usage', `unknown profile '${profile}'`) };
  const file = campaignFile(spec.n, spec.seed, profile);
  const traces = file.traces.slice(from, to);
  const opts = replayOptions({ invariants: false });
  const run = await runOnKernel(traces, profile, ro);
  if (!run.ok) return run;
  onRun?.(run.value);
  const outcomes: TraceOutcome[] = [];
  const suspects: number[] = [];
  traces.forEach((t, k) => {
    const r = run.value.results[k];
    const sim = replayTrace(t, prof, opts).records;
    if (comparisonPassed(compareTrace(t, profile, sim, r.records, r.status))) outcomes.push({ profile, index: from + k, verdict: 'passed', out: [] });
    else suspects.push(k);
  });
  const failures: { o: TraceOutcome; t: Trace }[] = [];
  if (suspects.length) {
    const again = await runOnKernel(suspects.map((k) => traces[k]), profile, ro);
    if (!again.ok) return again;
    suspects.forEach((k, j) => {
      const t = traces[k];
      const r = run.value.results[k];
      if (formatRecords(r.records) !== formatRecords(again.value.results[j].records)) {
        outcomes.push({ profile, index: from + k, verdict: 'unstable', out: [`${t.name} [${profile}]: UNSTABLE: two kernel runs gave different records; not counted`] });
        return;
      }
      const sim = replayTrace(t, prof, opts).records;
      const o: TraceOutcome = { profile, index: from + k, verdict: 'failed', out: [describeComparison(compareTrace(t, profile, sim, r.records, r.status), file.source)] };
      outcomes.push(o);
      failures.push({ o, t });
    });
  }
  for (const { o } of shrink ? failures.slice(0, SHRINK_PER_KERNEL) : []) {
    const s = await shrinkOne(spec, profile, o.index, ro);
    if (!s.ok) return s;
    o.shrink = s.value;
  }
  outcomes.sort((a, b) => a.index - b.index);
  return { ok: true, value: outcomes };
}

/** Shrink the campaign's trace `index` on a kernel, where it failed. */
export async function shrinkOne(spec: CampaignSpec, profile: string, index: number, ro: RunOptions): Promise<Result<NonNullable<TraceOutcome['shrink']>>> {
  const file = campaignFile(spec.n, spec.seed, profile);
  const t = file.traces[index];
  const s = await shrinkMismatch(file, t, profile, replayOptions({ invariants: false }), ro);
  if (!s.ok) return s;
  const path = join(spec.outDir, `oracle-mismatch-${profile}-${spec.seed}-${t.name}.trace`);
  return { ok: true, value: { path, text: s.value.text, out: [`shrunk ${t.name} [${profile}] from ${t.commands.length} to ${s.value.commands} commands: ${path}`, s.value.report] } };
}

/** The failures renderCampaign shows shrunk: the first SHRINK_PER_KERNEL of each kernel, in campaign order. */
export function toShrink(profiles: string[], merged: TraceOutcome[]): TraceOutcome[] {
  return profiles.flatMap((p) => merged.filter((o) => o.profile === p && o.verdict === 'failed').slice(0, SHRINK_PER_KERNEL));
}

/**
 * Put outcomes gathered from anywhere in campaign order, one per trace. Two outcomes
 * of one trace must agree (a job that ran twice); a trace with none is an error.
 */
export function mergeOutcomes(spec: Pick<CampaignSpec, 'n' | 'profiles'>, all: Iterable<TraceOutcome>): Result<TraceOutcome[]> {
  const byKey = new Map<string, TraceOutcome>();
  for (const o of all) {
    const key = `${o.profile}/${o.index}`;
    const had = byKey.get(key);
    if (had && had.verdict !== o.verdict) {
      return { ok: false, error: rfError('invalid', `trace ${o.index} on ${o.profile} has two different outcomes (${had.verdict}, ${o.verdict})`) };
    }
    if (!had || (!had.shrink && o.shrink)) byKey.set(key, o);
  }
  const merged: TraceOutcome[] = [];
  const missing: string[] = [];
  for (const p of spec.profiles) {
    for (let k = 0; k < spec.n; k++) {
      const o = byKey.get(`${p}/${k}`);
      if (o) merged.push(o);
      else if (missing.length < 5) missing.push(`${p}/${k}`);
    }
  }
  if (merged.length !== byKey.size) return { ok: false, error: rfError('invalid', `outcomes for traces outside the campaign (${byKey.size - merged.length})`) };
  if (missing.length) return { ok: false, error: rfError('invalid', `no outcome for ${spec.n * spec.profiles.length - merged.length} trace(s), e.g. ${missing.join(', ')}`) };
  return { ok: true, value: merged };
}

export interface Rendered {
  lines: string[];
  passed: number;
  failed: number;
  unstable: number;
  /** Shrunk traces to write (path, text): the first SHRINK_PER_KERNEL failures of each kernel. */
  writes: { path: string; text: string }[];
}

/** What one run prints for a campaign's merged outcomes (in campaign order). */
export function renderCampaign(profiles: string[], merged: TraceOutcome[]): Result<Rendered> {
  const lines: string[] = [];
  const writes: Rendered['writes'] = [];
  let passed = 0, failed = 0, unstable = 0;
  for (const p of profiles) {
    const mine = merged.filter((o) => o.profile === p);
    for (const o of mine) {
      if (o.verdict === 'passed') passed++;
      else if (o.verdict === 'unstable') unstable++;
      else failed++;
      lines.push(...o.out);
    }
    for (const o of toShrink([p], mine)) {
      if (!o.shrink) return { ok: false, error: rfError('internal', `trace ${o.index} on ${p} failed but was not shrunk`) };
      writes.push({ path: o.shrink.path, text: o.shrink.text });
      lines.push(...o.shrink.out);
    }
  }
  if (unstable) lines.push(`${unstable} trace${unstable === 1 ? '' : 's'} not deterministic on the kernel (not counted)`);
  lines.push(`${passed} passed, ${failed} failed`);
  return { ok: true, value: { lines, passed, failed, unstable, writes } };
}

/**
 * What `oracle --random N --json` prints: the counts, the shrunk traces written, and
 * the lines the text output has before its count line (as `oracle --compare --json`
 * puts them in `details`). One function for every mode, as renderCampaign is.
 */
export function campaignJson(spec: Pick<CampaignSpec, 'n' | 'seed' | 'profiles'>, r: Rendered): string {
  return JSON.stringify({
    kernels: spec.profiles, random: spec.n, seed: spec.seed, passed: r.passed, failed: r.failed, unstable: r.unstable,
    shrunk: r.writes.map((w) => w.path), details: r.lines.slice(0, -1),
  });
}

/** Write the shrunk traces a rendering names. */
export function writeShrunk(r: Rendered): void {
  for (const w of r.writes) writeFileSync(w.path, w.text);
}
