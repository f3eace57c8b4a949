// The compatibility matrix: every behaviour the bundled scenarios pin down, against
// every kernel the oracle recorded. A behaviour is one trace: its name, the comment
// under its `trace` line (what it shows), and its expectations. A cell says whether
// the real kernel's recorded records satisfy those expectations, so twins such as
// `...-shared` (kernels=7.0,7.1,7.2) and `...-private` (kernels=7.3) show where the
// kernels part. Pure: it takes file texts, so the CLI, the test and the page share it.

import { PROFILE_NAMES, getProfile, type ProfileName } from '../../model/profile/profiles.ts';
import type { TraceRecord } from '../trace/ast.ts';
import { checkExpectation } from '../trace/expect.ts';
import { FdUserData } from '../trace/fdops.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { parseRecords } from '../trace/records.ts';

/** Profiles with a real kernel recording (v5 was never released). */
export const RECORDED_PROFILES: readonly ProfileName[] = PROFILE_NAMES.filter((p) => getProfile(p)!.release !== null);

export type CellStatus = 'holds' | 'differs' | 'unrecorded' | 'not-meant';

export interface Cell {
  status: CellStatus;
  /** For `differs`: the first step whose expectation the kernel did not meet. */
  detail?: string;
}

export interface Behaviour {
  /** The scenario file, relative to scenarios/: `cow.trace`, `findings/01-....trace`. */
  file: string;
  trace: string;
  line: number;
  /** The comment under the trace line, joined (empty when none). */
  about: string;
  /** Expectations the trace carries. */
  expectations: number;
  cells: Record<string, Cell>;
}

export interface Matrix {
  profiles: readonly ProfileName[];
  behaviours: Behaviour[];
  /** Scenario files that did not parse or recordings that did not read (the command says so). */
  problems: string[];
}

export interface ScenarioText {
  /** Relative to scenarios/. */
  file: string;
  source: string;
}

export interface RecordingText {
  profile: string;
  /** Relative to scenarios/recorded/<profile>/: `cow.jsonl`. */
  file: string;
  text: string;
}

/** The comment lines right under `trace NAME` at 1-based `line`, as one paragraph. */
export function traceComment(source: string, line: number): string {
  const lines = source.split('\n');
  const out: string[] = [];
  for (let n = line; n < lines.length; n++) {
    const l = lines[n].trim();
    if (!l.startsWith('#')) break;
    out.push(l.replace(/^#\s?/, ''));
  }
  return out.join(' ');
}

/** The comment block at the top of a scenario file (before its first trace). */
export function fileComment(source: string): string {
  const out: string[] = [];
  for (const raw of source.split('\n')) {
    const l = raw.trim();
    if (l === '') { if (out.length) break; continue; }
    if (!l.startsWith('#')) break;
    out.push(l.replace(/^#\s?/, ''));
  }
  return out.join(' ');
}

export function compatibilityMatrix(scenarios: readonly ScenarioText[], recordings: readonly RecordingText[]): Matrix {
  const problems: string[] = [];
  const recs = new Map<string, Map<string, TraceRecord[]>>(); // profile/file.jsonl -> trace -> records
  for (const r of recordings) {
    const parsed = parseRecords(r.file, r.text);
    if (!parsed.ok) { problems.push(`scenarios/recorded/${r.profile}/${r.file}: ${parsed.error.message}`); continue; }
    const byTrace = new Map<string, TraceRecord[]>();
    for (const rec of parsed.value) byTrace.set(rec.trace, [...(byTrace.get(rec.trace) ?? []), rec]);
    recs.set(`${r.profile}/${r.file}`, byTrace);
  }
  const behaviours: Behaviour[] = [];
  for (const s of [...scenarios].sort((a, b) => a.file.localeCompare(b.file))) {
    const parsed = parseTraceFile(s.file, s.source);
    if (!parsed.ok) { problems.push(`scenarios/${s.file}: ${parsed.error[0].message}`); continue; }
    const jsonl = s.file.replace(/\.trace$/, '.jsonl');
    for (const t of parsed.value.traces) {
      const cells: Record<string, Cell> = {};
      for (const p of RECORDED_PROFILES) {
        const got = recs.get(`${p}/${jsonl}`)?.get(t.name);
        if (!got) { cells[p] = { status: t.kernels && !t.kernels.includes(p) ? 'not-meant' : 'unrecorded' }; continue; }
        const byI = new Map(got.map((r) => [r.i, r]));
        const fds = new FdUserData();
        let detail: string | undefined;
        for (const cmd of t.commands) {
          const rec = byI.get(cmd.i);
          if (!rec) { detail ??= `step ${cmd.i} (line ${cmd.loc.line}) was not recorded`; break; }
          if (rec.c === 'sqe' && rec.ud !== undefined && rec.op !== undefined) fds.note(rec.ud, rec.op);
          const f = checkExpectation(cmd, rec, fds);
          if (f) { detail ??= `line ${cmd.loc.line}: expected ${f.expected}, the kernel gave ${f.actual}`; break; }
        }
        cells[p] = detail ? { status: 'differs', detail } : { status: 'holds' };
      }
      behaviours.push({
        file: s.file, trace: t.name, line: t.loc.line, about: traceComment(s.source, t.loc.line),
        expectations: t.commands.filter((c) => c.expect).length, cells,
      });
    }
  }
  return { profiles: RECORDED_PROFILES, behaviours, problems };
}

export const CELL_TEXT: Record<CellStatus, string> = {
  holds: '✓',
  differs: '✗',
  unrecorded: '?',
  'not-meant': '—',
};

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/compatibility.md: one table per scenario file, then the cells that differ. */
export function matrixMarkdown(m: Matrix): string {
  const out: string[] = [];
  out.push('# Compatibility matrix');
  out.push('');
  out.push('<!-- Generated by `ringfence matrix` from scenarios/ and scenarios/recorded/; do not edit by hand. -->');
  out.push('');
  out.push('Every behaviour the bundled scenarios pin down (one row per trace: its name and the comment under');
  out.push('its `trace` line), against every kernel the oracle recorded. A cell says what the real kernel did:');
  out.push('');
  out.push(`- ${CELL_TEXT.holds} the recorded kernel meets every expectation of the trace;`);
  out.push(`- ${CELL_TEXT.differs} the recorded kernel gave something else (the first difference is listed below);`);
  out.push(`- ${CELL_TEXT['not-meant']} the trace is not meant for that kernel (its \`kernels=\` list leaves it out),`);
  out.push('  usually because a twin trace pins the other kernels\' behaviour;');
  out.push(`- ${CELL_TEXT.unrecorded} meant for that kernel, but no recording yet (\`npm run oracle\`).`);
  out.push('');
  const counts = Object.fromEntries(Object.keys(CELL_TEXT).map((k) => [k, 0])) as Record<CellStatus, number>;
  for (const b of m.behaviours) for (const p of m.profiles) counts[b.cells[p].status]++;
  out.push(`${m.behaviours.length} behaviours × ${m.profiles.length} kernels: ${counts.holds} ${CELL_TEXT.holds}, ${counts.differs} ${CELL_TEXT.differs}, ${counts['not-meant']} ${CELL_TEXT['not-meant']}, ${counts.unrecorded} ${CELL_TEXT.unrecorded}.`);
  const files = [...new Set(m.behaviours.map((b) => b.file))];
  for (const f of files) {
    out.push('');
    out.push(`## [${f}](../scenarios/${f})`);
    out.push('');
    out.push(`| behaviour | ${m.profiles.join(' | ')} |`);
    out.push(`|---|${m.profiles.map(() => ':-:').join('|')}|`);
    for (const b of m.behaviours.filter((x) => x.file === f)) {
      const about = b.about ? ` ${md(b.about)}` : '';
      out.push(`| [\`${b.trace}\`](../scenarios/${f}#L${b.line})${about} | ${m.profiles.map((p) => CELL_TEXT[b.cells[p].status]).join(' | ')} |`);
    }
  }
  const diffs = m.behaviours.flatMap((b) => m.profiles.filter((p) => b.cells[p].status === 'differs').map((p) => `- \`${b.trace}\` (${b.file}) on ${p}: ${b.cells[p].detail}`));
  if (diffs.length) {
    out.push('');
    out.push('## Where a recorded kernel differs');
    out.push('');
    out.push(...diffs);
  }
  return out.join('\n') + '\n';
}
