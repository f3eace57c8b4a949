// The mutation harness: input `index` of entry E under seed S is a mutant of one of
// E's seeds, made by a generator seeded from (S, E, index) alone, so any input is
// made again from those three numbers. Each input runs through the CLI's
// main(argv, io) in this thread with an in-memory Io, and the outcome is judged:
// no exit 3 (an internal error or an exception main caught), no exit code outside
// 0-2, every error located (FILE:LINE:COL; for a binary filter file, the byte or
// instruction), no input slower than the hang limit.

import { main, COMMANDS } from '../cli/main.ts';
import type { Io } from '../cli/io.ts';
import { rfError, type Result } from '../../model/errors.ts';
import { loadCorpus, type Corpus, type Seed } from './corpus.ts';
import { ENTRIES, type Entry } from './entries.ts';
import { BPF_WORDS, POLICY_WORDS, TRACE_WORDS, mutateBinary, mutateText } from './mutate.ts';
import { inputRng } from './rng.ts';

/** An input slower than this is a hang (issue 11: no hang over 5 s). */
export const HANG_MS = 5000;
/** Output kept per input (the rest is counted, not kept). */
const KEEP_OUT = 1 << 16;

export interface Input {
  entry: string;
  index: number;
  /** The file name the command is given (it names the format: .bin is binary). */
  file: string;
  data: string | Uint8Array;
  /** The seed it was made from. */
  from: string;
}

const WORDS: Record<keyof Corpus, readonly string[]> = { trace: TRACE_WORDS, filter: BPF_WORDS, policy: POLICY_WORDS };
const FILE: Record<keyof Corpus, string> = { trace: 'in.trace', filter: 'in.bpf', policy: 'in.policy' };

/** Input `index` of an entry under a seed. */
export function makeInput(entry: Entry, seed: number, index: number, corpus: Corpus = loadCorpus()): Input {
  const seeds = corpus[entry.kind];
  const rng = inputRng(seed, entry.name, index);
  const s: Seed = rng.pick(seeds);
  if (typeof s.data !== 'string') return { entry: entry.name, index, file: 'in.bin', data: mutateBinary(s.data, rng), from: s.from };
  const others = seeds.filter((x): x is Seed & { data: string } => typeof x.data === 'string').map((x) => x.data);
  return { entry: entry.name, index, file: FILE[entry.kind], data: mutateText(s.data, rng, { words: WORDS[entry.kind] }, others), from: s.from };
}

export interface Outcome {
  code: number;
  stderr: string;
  outBytes: number;
  ms: number;
}

function inputIo(input: Input, o: { stderr: string; outBytes: number }): Io {
  const read = (path: string): Result<Uint8Array> => (path === input.file
    ? { ok: true, value: typeof input.data === 'string' ? new TextEncoder().encode(input.data) : input.data }
    : { ok: false, error: rfError('io', `cannot read ${path}: no such file`) });
  return {
    isTty: false,
    out(t) { o.outBytes += t.length; },
    err(t) { if (o.stderr.length < KEEP_OUT) o.stderr += t.endsWith('\n') ? t : t + '\n'; },
    readFile(path) {
      const r = read(path);
      return r.ok ? { ok: true, value: new TextDecoder().decode(r.value) } : r;
    },
    readBinary: read,
  };
}

/** Run one input through its entry's command. */
export async function runInput(entry: Entry, input: Input): Promise<Outcome> {
  const o = { stderr: '', outBytes: 0 };
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(entry.argv(input.file), inputIo(input, o));
  } catch (e) {
    // main catches what a command throws; anything here escaped it.
    o.stderr += `uncaught: ${String((e as Error).stack ?? e)}\n`;
    code = -1;
  }
  return { code, stderr: o.stderr, outBytes: o.outBytes, ms: performance.now() - t0 };
}

export type ProblemKind = 'exit 3' | 'uncaught' | 'bad exit code' | 'unlocated error' | 'hang';

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether every error names where it is: FILE:LINE:COL; or the file and a byte or
 * instruction (a binary filter file has no lines); or the file, for an error about
 * the file as a whole (it holds no trace, no instruction, is empty).
 */
/** A source line quoted under an error: the line number gutter of formatError. */
const EXCERPT = /^\s*\d+ \| /;

export function located(stderr: string, input: Input): boolean {
  const f = escapeRe(input.file);
  // The excerpt under a located error quotes the input (`   3 | ...`), which may
  // itself say `error:`; only the messages are judged.
  const lines = stderr.split('\n').filter((l) => /\berror:/.test(l) && !EXCERPT.test(l));
  if (!lines.length) return false;
  const text = new RegExp(`${f}:\\d+:\\d+: error:`);
  const place = new RegExp(`error: ${f}\\b.*\\b(byte|instruction)s? \\d+`);
  const whole = new RegExp(`error: ${f}(:| holds| has| is| looks)`);
  return lines.every((l) => text.test(l) || place.test(l) || (whole.test(l) && WHOLE_FILE.test(l)));
}

/** Messages about a file as a whole, where no line or column applies. */
const WHOLE_FILE = /holds no trace|empty file|no instructions|is empty|no '\{ code, jt, jf, k \}' initialisers found|looks like (a C array|bpf_asm's decimal output|binary)|not a whole number of 8-byte instructions/;

export function judge(input: Input, o: Outcome): Problem | null {
  if (o.code === -1) return { kind: 'uncaught', detail: firstLines(o.stderr) };
  if (o.code === 3) return { kind: 'exit 3', detail: firstLines(o.stderr) };
  if (o.code !== 0 && o.code !== 1 && o.code !== 2) return { kind: 'bad exit code', detail: `exit ${o.code}` };
  if (o.ms > HANG_MS) return { kind: 'hang', detail: `${Math.round(o.ms)} ms` };
  if (o.code === 2 && !located(o.stderr, input)) return { kind: 'unlocated error', detail: firstLines(o.stderr) };
  return null;
}

function firstLines(t: string, n = 6): string {
  return t.split('\n').slice(0, n).join('\n').slice(0, 1200);
}

/** The rows that can run here, and a notice for each that cannot. */
export function availableEntries(names?: readonly string[]): { entries: Entry[]; notices: string[]; unknown: string[] } {
  const corpus = loadCorpus();
  const notices: string[] = [];
  const want = names?.length ? names : ENTRIES.map((e) => e.name);
  const unknown = want.filter((n) => !ENTRIES.some((e) => e.name === n));
  const entries: Entry[] = [];
  for (const e of ENTRIES) {
    if (!want.includes(e.name)) continue;
    if (e.requires && !(COMMANDS as readonly string[]).includes(e.requires)) {
      notices.push(`entry '${e.name}' skipped: there is no 'ringfence ${e.requires}' command yet`);
      continue;
    }
    if (!corpus[e.kind].length) {
      notices.push(`entry '${e.name}' skipped: no ${e.kind} seeds in the corpus`);
      continue;
    }
    entries.push(e);
  }
  return { entries, notices, unknown };
}

export interface Finding {
  entry: string;
  index: number;
  seed: number;
  problem: Problem;
  from: string;
}

/** The command that makes and runs one input again. */
export function replayCommand(seed: number, entry: string, index: number): string {
  return `ringfence fuzz --inputs --seed ${seed} --entry ${entry} --index ${index}`;
}
