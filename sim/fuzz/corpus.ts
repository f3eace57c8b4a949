// The seeds the harness mutates: every bundled trace (scenarios/, test/bpf/traces/),
// every filter program those traces define, written in each filter-file format
// (bpf_asm text, C array, bpf_asm decimal, quads, binary), and the policy files of
// scenarios/policies/ when there are any.

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodeBinary, formatBpfAsm, formatC, formatQuads, loadProgram } from '../../model/bpf/index.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { findFiles } from '../trace/load.ts';
import { PACKAGE_ROOT } from '../package/layout.ts';

// The package root, the same from the sources and from dist/.
const ROOT = PACKAGE_ROOT;

export interface Seed {
  /** Where it came from (for reports). */
  from: string;
  /** Text, or the bytes of a binary filter file. */
  data: string | Uint8Array;
}

export interface Corpus {
  trace: Seed[];
  filter: Seed[];
  policy: Seed[];
}

function files(dir: string, ext: RegExp): string[] {
  return findFiles(dir, (n) => ext.test(n));
}

/** The bodies of a trace file's `program NAME ... end` blocks. */
export function programBlocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | null = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (cur === null) {
      if (/^program\s+\S+\s*$/.test(t)) cur = [];
    } else if (t === 'end') {
      if (cur.length) out.push(cur.join('\n') + '\n');
      cur = null;
    } else cur.push(t);
  }
  return out;
}

/** Traces taken from one file at most. */
const PER_FILE = 40;

/** The `trace ... end` blocks of a trace file, each a file of its own. */
export function traceBlocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | null = null;
  let inProgram = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (cur === null) {
      if (/^trace\s/.test(t)) cur = [line];
      continue;
    }
    cur.push(line);
    if (/^program\s/.test(t)) inProgram = true;
    else if (t === 'end') {
      if (inProgram) inProgram = false;
      else { out.push(cur.join('\n') + '\n'); cur = null; }
    }
  }
  return out;
}

let cached: Corpus | null = null;

export function loadCorpus(root = ROOT): Corpus {
  if (cached && root === ROOT) return cached;
  const rel = (p: string) => relative(root, p);
  const trace: Seed[] = [];
  const programs: Seed[] = [];
  for (const p of [...files(join(root, 'scenarios'), /\.trace$/), ...files(join(root, 'test', 'bpf', 'traces'), /\.trace$/)]) {
    const text = readFileSync(p, 'utf8');
    programs.push({ from: rel(p), data: text });
    // One seed per trace (a file of hundreds of traces would make every mutant slow),
    // at most PER_FILE of them per file, and the whole file when it is small.
    const blocks = traceBlocks(text);
    if (text.length <= 3072) trace.push({ from: rel(p), data: text });
    blocks.slice(0, PER_FILE).forEach((b, i) => trace.push({ from: `${rel(p)} trace ${i}`, data: b }));
  }
  const layout = getProfile('7.3')!.ctx;
  const filter: Seed[] = [];
  const seen = new Set<string>();
  for (const t of programs) {
    programBlocks(t.data as string).forEach((src, i) => {
      if (seen.has(src)) return;
      seen.add(src);
      const from = `${t.from} program ${i}`;
      filter.push({ from: `${from} (bpf_asm text)`, data: src });
      const r = loadProgram(new TextEncoder().encode(src), 'seed.bpf', 'auto', layout);
      if (!r.ok) return;
      const insns = r.value.insns;
      filter.push({ from: `${from} (C array)`, data: formatC(insns) });
      filter.push({ from: `${from} (bpf_asm decimal)`, data: formatBpfAsm(insns) });
      filter.push({ from: `${from} (quads)`, data: formatQuads(insns) });
      filter.push({ from: `${from} (binary)`, data: encodeBinary(insns) });
    });
  }
  const policy = files(join(root, 'scenarios', 'policies'), /./).map((p) => ({ from: rel(p), data: readFileSync(p, 'utf8') }));
  const c = { trace, filter, policy };
  if (root === ROOT) cached = c;
  return c;
}
