// Random traces for the oracle, and shrinking of the ones where the simulator and the
// kernel disagree.
//
// A random trace has a fork tree, task and ring filters with random valid cBPF
// programs, legacy restrictions, SQEs of the modelled opcodes with links, and exits.
// It is produced as v1 trace text and parsed by the project's parser, so every random
// trace is also a file a person can read and replay. To stay deterministic on the
// real kernel (real-kernel-oracle.md §8.12) a batch never ends inside a link chain,
// an OPENAT or an ASYNC request goes alone on a ring made for it (io-wq completions
// race the inline ones, and SQEs left pending on an older ring would join its batch),
// and every batch is reaped by the task that queued and submitted it.

import { rfError, type Result } from '../../model/errors.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import type { Trace, TraceFile } from '../trace/ast.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { replayTrace, type ReplayOptions } from '../trace/replay.ts';
import { formatRecords } from '../trace/records.ts';
import { compareTrace, comparisonPassed, describeComparison } from './compare.ts';
import { runOnKernel, type RunOptions } from './run.ts';

/** mulberry32: small, fast, and the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: Rand, p: number): boolean => r() < p;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

// Classic BPF opcodes used by the generator.
const LD_ABS = 0x20, LD_LEN = 0x80, LD_IMM = 0x00, LDX_IMM = 0x01, LDX_MEM = 0x61, ST = 0x02;
const AND_K = 0x54, RSH_K = 0x74, ADD_K = 0x04, DIV_X = 0x3c, JEQ = 0x15, JGT = 0x25, JSET = 0x45;
const RET_K = 0x06, RET_A = 0x16, TXA = 0x87;

/** A random program the io_uring checker accepts, as quads (one per line). */
export function randomProgram(r: Rand): string[] {
  const q = (c: number, jt: number, jf: number, k: number) => `${c}:${jt}:${jf}:${k >>> 0}`;
  const rets = () => (chance(r, 0.5) ? [q(RET_K, 0, 0, 1), q(RET_K, 0, 0, 0)] : [q(RET_K, 0, 0, 0), q(RET_K, 0, 0, pick(r, [1, 2, 0xffffffff]))]);
  switch (int(r, 0, 6)) {
    case 0: // a constant verdict
      return [q(RET_K, 0, 0, pick(r, [0, 1, 1, 7]))];
    case 1: { // a test on one context word
      const off = pick(r, [0, 4, 8, 16, 20, 24, 28, 32, 36]);
      const consts: Record<number, number[]> = {
        0: [0, 1, 2, 3, 5], 4: [0], 8: [0, 0x1000, 0x0400, 0x0c002d, 0x2d, 0x12, 0x180010, 0x18001c],
        16: [1, 2, 10, 0x41, 0x8000, 0x40], 20: [1, 2, 0x801, 0x80001, 0x1a4, 0x5000, 0xbb01], 24: [0, 6, 17, 0x1a4, 0x0100007f],
        28: [0], 32: [0, 0x10], 36: [0],
      };
      const prog = [q(LD_ABS, 0, 0, off)];
      if (chance(r, 0.3)) prog.push(q(AND_K, 0, 0, pick(r, [0xff, 0xff00, 0x800, 0x40, 1])));
      prog.push(q(pick(r, [JEQ, JEQ, JGT, JSET]), 0, 1, pick(r, consts[off])));
      return [...prog, ...rets()];
    }
    case 2: // user_data through scratch memory, returned as the verdict
      return [q(LD_ABS, 0, 0, 0), q(ST, 0, 0, 3), q(LDX_MEM, 0, 0, 3), q(TXA, 0, 0, 0), q(AND_K, 0, 0, pick(r, [1, 2, 3])), q(RET_A, 0, 0, 0)];
    case 3: // the context length
      return [q(LD_LEN, 0, 0, 0), q(JEQ, 0, 1, pick(r, [40, 64])), ...rets()];
    case 4: // division by a zero X denies
      return [q(LDX_IMM, 0, 0, pick(r, [0, 2])), q(LD_IMM, 0, 0, 7), q(DIV_X, 0, 0, 0), q(RET_A, 0, 0, 0)];
    case 5: // sqe_flags out of the packed word at offset 8
      return [q(LD_ABS, 0, 0, 8), q(RSH_K, 0, 0, 8), q(AND_K, 0, 0, 0xff), q(JSET, 0, 1, pick(r, [0x04, 0x10, 0x40, 0x01])), ...rets()];
    default: // arithmetic on the opcode
      return [q(LD_ABS, 0, 0, 8), q(AND_K, 0, 0, 0xff), q(ADD_K, 0, 0, int(r, 0, 3)), q(JGT, 0, 1, pick(r, [0, 18, 45, 46])), ...rets()];
  }
}

interface TaskGen {
  name: string;
  rings: string[];
}

const FILTER_OPS = ['NOP', 'NOP', 'SOCKET', 'SOCKET', 'OPENAT', 'OPENAT2', 'CONNECT', 'READ'];
const RESTRICT_ENTRIES = [
  'sqe_op:NOP', 'sqe_op:SOCKET', 'sqe_op:OPENAT', 'register_op:BPF_FILTER', 'register_op:ENABLE_RINGS',
  'register_op:RESTRICTIONS', 'register_op:PROBE', 'sqe_flags_allowed:IO_LINK', 'sqe_flags_allowed:IO_LINK|CQE_SKIP_SUCCESS',
];

/** The text of one random trace. */
export function randomTraceText(name: string, r: Rand): string {
  const programs: string[] = [];
  const cmds: string[] = [];
  const tasks: TaskGen[] = [{ name: 'init', rings: [] }];
  let nRing = 0, nTask = 0, nUd = 1, nFile = 0;
  // SQEs ever queued per ring: an upper bound on what can be pending in its SQ. Once that
  // could exceed the SQ (8 entries), SQEs left pending (a disabled ring's, a batch stopped
  // by a denial) can push a new batch past the SQ's end, and the part that fits may end
  // inside a link chain, which then completes from io-wq in no fixed order. So links are
  // only made while the ring's SQ cannot overflow.
  const queuedEver = new Map<string, number>();
  const SQ_ENTRIES = 8;
  const at = (t: TaskGen) => (t.name === 'init' ? '' : `@${t.name} `);
  const prog = (): string => {
    if (chance(r, 0.25)) return pick(r, ['allow', 'deny']);
    const p = `p${programs.length}`;
    programs.push(`  program ${p}\n${randomProgram(r).map((l) => `    ${l}`).join('\n')}\n  end`);
    return p;
  };
  const target = (t: TaskGen) => (t.rings.length && chance(r, 0.6) ? pick(r, t.rings) : 'task');
  const steps = int(r, 4, 14);
  for (let s = 0; s < steps; s++) {
    const t = pick(r, tasks);
    const w = r();
    if (w < 0.14 || !t.rings.length) {
      const ring = `r${nRing++}`;
      const flags = pick(r, ['', '', ' flags=R_DISABLED', ' flags=SUBMIT_ALL', ' flags=R_DISABLED|SUBMIT_ALL']);
      cmds.push(`${at(t)}ring ${ring}${flags}`);
      t.rings.push(ring);
      if (flags.includes('R_DISABLED') && chance(r, 0.4)) {
        const n = int(r, 0, 3);
        const es = Array.from({ length: n }, () => pick(r, RESTRICT_ENTRIES));
        cmds.push(`${at(t)}restrict ${ring}${es.length ? ' ' + es.join(' ') : ''}`);
      }
      if (flags.includes('R_DISABLED') && chance(r, 0.7)) cmds.push(`${at(t)}enable ${ring}`);
    } else if (w < 0.36) {
      const op = pick(r, FILTER_OPS);
      const fl = chance(r, 0.2) ? ' flags=DENY_REST' : '';
      cmds.push(`${at(t)}bpf ${target(t)} op=${op}${fl} ${prog()}`);
    } else if (w < 0.42) {
      const n = int(r, 0, 3);
      const es = Array.from({ length: n }, () => pick(r, RESTRICT_ENTRIES));
      cmds.push(`${at(t)}restrict ${target(t)}${es.length ? ' ' + es.join(' ') : ''}`);
    } else if (w < 0.46) {
      const ring = pick(r, t.rings);
      cmds.push(chance(r, 0.5) ? `${at(t)}enable ${ring}` : `${at(t)}register ${ring} PROBE`);
    } else if (w < 0.54 && tasks.length < 4) {
      const child = `c${nTask++}`;
      cmds.push(`${at(t)}fork ${child}`);
      tasks.push({ name: child, rings: [...t.rings] });
    } else if (w < 0.58 && t.name !== 'init') {
      cmds.push(`${at(t)}exit`);
      tasks.splice(tasks.indexOf(t), 1);
    } else if (w < 0.61) {
      cmds.push(`${at(t)}${chance(r, 0.7) ? 'nnp' : 'setuid 65534'}`);
    } else {
      // A batch: SQEs, submit, reap. A request that may complete from io-wq (OPENAT, or
      // anything with ASYNC) goes alone on a ring made for it, so no SQE left pending on
      // a ring (a disabled ring, a batch stopped by a denial) can join its batch.
      let ring = pick(r, t.rings);
      const alone = chance(r, 0.2);
      if (alone) {
        ring = `r${nRing++}`;
        cmds.push(`${at(t)}ring ${ring}`);
        t.rings.push(ring);
      }
      if (alone && chance(r, 0.6)) {
        const path = chance(r, 0.5) ? `/tmp/${name}_${nFile++}` : pick(r, ['/dev/null', '/tmp']);
        const ofl = path.startsWith('/tmp/') ? 'O_CREAT|O_WRONLY mode=0o644' : pick(r, ['O_RDONLY', 'O_RDONLY|O_CLOEXEC']);
        const op = chance(r, 0.7) ? 'OPENAT' : 'OPENAT2';
        const res = op === 'OPENAT2' && chance(r, 0.5) ? ` resolve=${pick(r, ['RESOLVE_IN_ROOT', 'RESOLVE_NO_SYMLINKS', 'RESOLVE_BENEATH'])}` : '';
        cmds.push(`${at(t)}sqe ${ring} op=${op} ud=${nUd++} path=${path} oflags=${ofl}${res}`);
        queuedEver.set(ring, (queuedEver.get(ring) ?? 0) + 1);
      } else {
        const n = alone ? 1 : int(r, 1, 4);
        const before = queuedEver.get(ring) ?? 0;
        const mayLink = before + n <= SQ_ENTRIES;
        queuedEver.set(ring, before + n);
        for (let k = 0; k < n; k++) {
          const flags: string[] = [];
          if (k < n - 1 && chance(r, 0.35) && mayLink) flags.push(pick(r, ['IO_LINK', 'IO_LINK', 'IO_HARDLINK']));
          if (chance(r, 0.1)) flags.push('CQE_SKIP_SUCCESS');
          if (alone) flags.push('ASYNC');
          const fl = flags.length ? ` flags=${flags.join('|')}` : '';
          const w2 = r();
          if (w2 < 0.5) cmds.push(`${at(t)}sqe ${ring} op=NOP ud=${nUd++}${fl}`);
          else if (w2 < 0.6) {
            // CONNECT on an fd that is not open: the filter sees the address, issue fails -EBADF.
            const addr = pick(r, ['family=AF_INET addr4=127.0.0.1 port=80', 'family=AF_INET addr4=10.0.0.1 port=443', 'family=AF_INET6 addr6=::1 port=80', 'family=AF_UNIX unix=/tmp/none']);
            cmds.push(`${at(t)}sqe ${ring} op=CONNECT ud=${nUd++}${fl} fd=999 ${addr}`);
          } else {
            const dom = pick(r, ['AF_UNIX', 'AF_INET', 'AF_INET6']);
            const ty = pick(r, ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_STREAM|SOCK_NONBLOCK', 'SOCK_DGRAM|SOCK_CLOEXEC']);
            cmds.push(`${at(t)}sqe ${ring} op=SOCKET ud=${nUd++}${fl} domain=${dom} type=${ty}`);
          }
        }
      }
      cmds.push(`${at(t)}submit ${ring}`);
      cmds.push(`${at(t)}cqes ${ring}`);
    }
  }
  return `trace ${name}\n${programs.join('\n')}${programs.length ? '\n' : ''}${cmds.map((c) => `  ${c}`).join('\n')}\nend\n`;
}

/**
 * N random traces for a seed, parsed. The same (n, seed) always gives the same file.
 * The text is parsed `chunk` traces at a time (each chunk preceded by blank lines, so
 * locations are those of the whole file): parsing 10,000 traces as one text takes about
 * twice as long.
 */
export function randomTraceFile(n: number, seed: number, tag = '', chunk = 1000): TraceFile {
  const r = rng(seed);
  const texts: string[] = [];
  for (let k = 0; k < n; k++) texts.push(randomTraceText(`rnd${seed}_${k}`, r));
  const file = `random-${seed}${tag ? '-' + tag : ''}.trace`;
  const traces: Trace[] = [];
  let line = 0;
  for (let k = 0; k < n; k += chunk) {
    const text = texts.slice(k, k + chunk).join('\n');
    const p = parseTraceFile(file, '\n'.repeat(line) + text);
    if (!p.ok) throw new Error(`the random trace generator made an invalid trace: ${p.error[0].message} at line ${p.error[0].loc?.line}`);
    traces.push(...p.value.traces);
    line += text.split('\n').length;
  }
  return { file, source: texts.join('\n'), traces };
}

/** A trace's text split into the part kept whole (header, programs) and its command lines. */
function splitTrace(source: string, trace: Trace): { head: string[]; cmds: string[] } {
  const lines = source.split('\n');
  const start = trace.loc.line - 1;
  let end = start + 1;
  let inProg = false;
  const head = [lines[start]];
  const cmds: string[] = [];
  for (; end < lines.length; end++) {
    const l = lines[end];
    const w = l.trim().split(/\s+/)[0];
    if (inProg) {
      head.push(l);
      if (w === 'end') inProg = false;
      continue;
    }
    if (w === 'program') { inProg = true; head.push(l); continue; }
    if (w === 'end') break;
    if (w && !w.startsWith('#')) cmds.push(l);
  }
  return { head, cmds };
}

export interface Shrunk {
  text: string;
  commands: number;
  report: string;
}

/**
 * Shrink a mismatching trace: drop blocks of command lines (4, then 2, then 1) while the
 * simulator and the kernel still disagree. Each round runs every candidate that parses
 * on the kernel, twice (two boots at once), and keeps only candidates whose two kernel
 * runs agree.
 */
export async function shrinkMismatch(file: TraceFile, trace: Trace, profile: string, ropts: ReplayOptions, ro: RunOptions): Promise<Result<Shrunk>> {
  const prof = getProfile(profile);
  if (!prof) return { ok: false, error: rfError('usage', `unknown profile ${profile}`) };
  const { head, cmds: cmds0 } = splitTrace(file.source, trace);
  let cmds = cmds0;
  let best: { text: string; report: string } | undefined;
  const textOf = (cs: string[]) => `${head.join('\n')}\n${cs.join('\n')}\nend\n`;
  for (let round = 0; round < 40; round++) {
    const cands: { cs: string[]; trace: Trace; text: string }[] = [];
    for (const size of [4, 2, 1]) {
      for (let k = 0; k + size <= cmds.length; k += size) {
        const cs = [...cmds.slice(0, k), ...cmds.slice(k + size)];
        const text = textOf(cs);
        const p = parseTraceFile(file.file, text);
        if (p.ok && p.value.traces.length === 1) cands.push({ cs, trace: p.value.traces[0], text });
      }
    }
    if (!cands.length) break;
    // Twice, in parallel: a candidate counts only if the kernel gives the same records both
    // times (deleting lines can make a trace that is not deterministic on the kernel).
    const traces = cands.map((c) => c.trace);
    const [run, again] = await Promise.all([runOnKernel(traces, profile, { ...ro, jobs: 1 }), runOnKernel(traces, profile, { ...ro, jobs: 1 })]);
    if (!run.ok) return run;
    if (!again.ok) return again;
    const hit = cands.findIndex((c, k) => {
      const kr = run.value.results[k];
      if (formatRecords(kr.records) !== formatRecords(again.value.results[k].records)) return false;
      const sim = replayTrace(c.trace, prof, ropts).records;
      const cmp = compareTrace(c.trace, profile, sim, kr.records, kr.status);
      if (comparisonPassed(cmp)) return false;
      best = { text: c.text, report: describeComparison(cmp, c.text) };
      return true;
    });
    if (hit < 0) break;
    cmds = cands[hit].cs;
  }
  if (!best) {
    // Nothing smaller still disagrees: the whole trace is the minimal one.
    const text = textOf(cmds0);
    return { ok: true, value: { text, commands: cmds0.length, report: '(no smaller trace disagrees)' } };
  }
  return { ok: true, value: { text: best.text, commands: cmds.length, report: best.report } };
}
