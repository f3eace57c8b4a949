// cBPF engine speed: ns per evaluation for the interpreter and the compiled evaluator
// on (a) a one-instruction allow, (b) a ten-instruction socket filter, (c) a
// hundred-instruction filter with scratch memory and jumps, (d) a thousand distinct
// programs round-robin; plus assemble-and-validate time for 4,096 instructions.

import { loadavg, cpus } from 'node:os';
import { measure, type BenchSuite } from './harness.ts';
import { assemble, validate, type Program } from '../../model/bpf/index.ts';
import { getProfile } from '../../model/profile/profiles.ts';

const PROFILE = getProfile('7.3')!;

/** (b): allow TCP over IPv4 and anything over AF_UNIX, deny the rest. */
export function socketFilter(family = 'AF_INET', unix = 'AF_UNIX'): string {
  return `
    ld [socket.family]
    jeq #${family}, v4, other
v4: ld [socket.type]
    and #0xf
    jeq #SOCK_STREAM, tcp, deny
tcp: ld [socket.protocol]
    jeq #IPPROTO_TCP, allow, deny
other: jeq #${unix}, allow, deny
allow: ret #1
deny: ret #0`;
}

/** (c): 100 instructions; every block loads a word, keeps a running sum in M[], and branches. */
export function scratchFilter(blocks = 12): string {
  const lines = ['ld #0', 'st M[0]'];
  for (let b = 0; b < blocks; b++) {
    const cell = 1 + (b % 15);
    lines.push(
      `ld [${(b % 10) * 4}]`,
      `st M[${cell}]`,
      'ldx M[0]',
      'add x',
      `jgt #${1000 + b}, big${b}, small${b}`,
      `big${b}: rsh #1`,
      `small${b}: st M[0]`,
      `ldx M[${cell}]`,
    );
  }
  lines.push('ld M[0]', 'jset #1, odd', 'ret #2', 'odd: ret a');
  // pad to exactly 100 with arithmetic before the tail
  while (lines.length < 100) lines.splice(lines.length - 4, 0, 'add #1');
  return lines.join('\n');
}

/** 4,096 instructions of assorted forms, for the assemble-and-validate figure. */
export function bigProgram(): string {
  const lines = ['ld #0', 'st M[0]'];
  let n = 2;
  while (n < 4094) {
    lines.push(`l${n}: ld [socket.type]`, 'and #SOCK_NONBLOCK|SOCK_CLOEXEC', `jeq #AF_INET, l${n + 4}, m${n}`, `m${n}: ldx M[0]`);
    n += 4;
  }
  lines.push(`l${n}: ld M[0]`, 'ret a');
  return lines.join('\n');
}

function load(text: string, hotThreshold: number): Program {
  const a = assemble(text);
  if (!a.ok) throw new Error(a.error.message);
  const v = validate(a.value, PROFILE, { hotThreshold });
  if (!v.ok) throw new Error(v.message);
  // Make the tier switch happen now, before a timing loop exists: a loop whose call site
  // first saw the cold wrapper and then the compiled function stays polymorphic and
  // measures V8's call dispatch (9-15 ns here) instead of the steady state of a hot filter.
  if (hotThreshold === 0) v.program.run(new Uint32Array(v.program.ctxWords));
  return v.program;
}

function contexts(): Uint32Array[] {
  // AF_INET/SOCK_STREAM/TCP, AF_INET/DGRAM, AF_UNIX, AF_INET6
  return [[2, 1, 6], [2, 2, 17], [1, 1, 0], [10, 1, 6]].map(([f, t, p]) => {
    const c = new Uint32Array(10);
    c[2] = 45; c[4] = f; c[5] = t; c[6] = p;
    return c;
  });
}

/**
 * A fresh copy of the timing loop for every measurement: V8 keeps type feedback per
 * function, so one shared loop would see every case's `run` and turn megamorphic,
 * charging later cases for earlier ones. `progs` are run round-robin.
 */
let loops = 0;
function loop(progs: Program[], ctxs: Uint32Array[]): (n: number) => number {
  // The numbered comment makes every loop's source unique: V8's compilation cache hands
  // `new Function` bodies with identical source the same feedback, which would pile
  // every case's `run` targets onto one call site after all.
  const body = new Function('progs', 'ctxs', `// timing loop ${++loops}
    const m = progs.length;
    return function (n) {
      let acc = 0;
      for (let i = 0, j = 0; i < n; i++) {
        acc += progs[j].run(ctxs[i & 3]);
        if (++j === m) j = 0;
      }
      return acc;
    };`) as (p: Program[], c: Uint32Array[]) => (n: number) => number;
  return body(progs, ctxs);
}

/**
 * The same work timed by CPU time (process.cpuUsage) instead of wall time, with the
 * iteration count the wall-time measurement calibrated: on a shared machine a process
 * waits for a core, and wall time charges that wait to the code under test.
 */
function cpuNs(body: (n: number) => number, n: number, runs = 7): number {
  const samples: number[] = [];
  let sink = 0;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    sink += body(n);
    const c = process.cpuUsage(c0);
    samples.push(((c.user + c.system) * 1000) / n);
  }
  samples.sort((p, q) => p - q);
  return samples[samples.length >> 1] + (sink === -1 ? 1 : 0);
}

export const suite: BenchSuite = {
  name: 'bpf',
  run(b) {
    // Figures from a busy machine are inflated; say how busy it was, and time a fixed
    // reference loop (about 0.5 ns per character on an idle x86-64) to scale them by.
    b.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    const ref = 'x'.repeat(1 << 17);
    const mr = measure('calibration: charCodeAt over 128 KiB, per character', (n) => {
      let acc = 0;
      for (let r = 0; r < n; r++) for (let i = 0; i < ref.length; i++) acc += ref.charCodeAt(i);
      return acc;
    });
    b.record({ ...mr, nsPerOp: mr.nsPerOp / ref.length });
    const ctxs = contexts();
    const cases: Array<[string, string]> = [
      ['(a) 1-instruction allow', 'ret #1'],
      ['(b) 10-instruction socket filter', socketFilter()],
      ['(c) 100-instruction scratch/jump filter', scratchFilter()],
    ];
    const ns: Record<string, number> = {};
    for (const [name, text] of cases) {
      const interp = load(text, Infinity);
      const comp = load(text, 0);
      const li = loop([interp], ctxs);
      const lc = loop([comp], ctxs);
      const mi = measure(`${name}, interpreter`, li);
      const mc = measure(`${name}, compiled`, lc);
      const ci = cpuNs(li, mi.opsPerRun);
      const cc = cpuNs(lc, mc.opsPerRun);
      b.record(mi, `CPU time ${ci.toFixed(1)} ns`);
      b.record(mc, `CPU time ${cc.toFixed(1)} ns; ${(ci / cc).toFixed(1)}x faster compiled`);
      ns[name + 'i'] = ci;
      ns[name + 'c'] = cc;
    }

    // (d) a thousand distinct programs (different constants), round-robin
    const texts = Array.from({ length: 1000 }, (_, i) => socketFilter(String(2 + (i % 500)), String(1 + Math.floor(i / 500) * 1000)));
    for (const [tier, threshold] of [['interpreter', Infinity], ['compiled', 0]] as const) {
      const progs = texts.map((t) => load(t, threshold));
      const ld = loop(progs, ctxs);
      const m = measure(`(d) 1000 distinct socket filters round-robin, ${tier}`, ld);
      const cd = cpuNs(ld, m.opsPerRun);
      const base = ns[`(b) 10-instruction socket filter${tier === 'interpreter' ? 'i' : 'c'}`];
      b.record(m, `CPU time ${cd.toFixed(1)} ns, ${(cd / base).toFixed(2)}x of (b) ${tier} (target <= 2x)`);
    }

    // the kernel model's hot path: 4 stacked 10-instruction filters per SQE
    const stack = [0, 1, 2, 3].map(() => load(socketFilter('AF_INET', 'AF_INET'), 0));
    const m4 = measure('4 stacked (b) filters, compiled (one SQE)', (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const c = ctxs[0];
        for (let f = 0; f < 4; f++) if (stack[f].run(c) === 0) break;
        acc++;
      }
      return acc;
    });
    b.record(m4, `${(1e3 / m4.nsPerOp).toFixed(1)} M SQEs/s of filtering`);

    const big = bigProgram();
    const ma = measure('assemble + validate 4,096 instructions', (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const a = assemble(big);
        if (!a.ok) throw new Error(a.error.message);
        const v = validate(a.value, PROFILE);
        if (!v.ok) throw new Error(v.message);
        acc += v.program.insns.length;
      }
      return acc;
    }, { runs: 9, targetMs: 300 });
    b.record(ma, '(target <= 1 ms)');
    // CPU time is less inflated than wall time on a shared machine; and the same work in
    // units of the calibration loop over 128 KiB gives a figure that travels between machines.
    const cpuMs = (f: () => unknown, n: number) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) f();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1000 / n;
    };
    const once = () => { const a = assemble(big); if (a.ok) validate(a.value, PROFILE); };
    let sink = 0;
    const loop128k = () => { for (let i = 0; i < ref.length; i++) sink += ref.charCodeAt(i); };
    const cpu: number[] = [];
    const ratio: number[] = [];
    for (let r = 0; r < 9; r++) {
      const c = cpuMs(loop128k, 10);
      const a = cpuMs(once, 3);
      cpu.push(a);
      ratio.push(a / c);
    }
    cpu.sort((p, q) => p - q);
    ratio.sort((p, q) => p - q);
    b.figure('assemble + validate 4,096, CPU time', cpu[4], 'ms', `median of 9 (sink ${sink > 0 ? 'ok' : '0'})`);
    b.figure('assemble + validate 4,096, in calibration loops', ratio[4], 'x', `at 0.5 ns/char that is ${(ratio[4] * ref.length * 0.5e-6).toFixed(2)} ms`);
    const pre = assemble(big);
    if (!pre.ok) throw new Error(pre.error.message);
    const insns = pre.value;
    const mv = measure('  of which validate alone', (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += validate(insns, PROFILE).ok ? 1 : 0;
      return acc;
    }, { runs: 9, targetMs: 200 });
    b.record(mv);

    b.line('');
    b.line(`  ratios (CPU time): (b) interpreter/compiled ${(ns['(b) 10-instruction socket filteri'] / ns['(b) 10-instruction socket filterc']).toFixed(1)}x; ` +
      `(c)/(b) compiled ${(ns['(c) 100-instruction scratch/jump filterc'] / ns['(b) 10-instruction socket filterc']).toFixed(1)}x`);
    b.line('  targets: (b) compiled <= 10 ns, interpreter <= 30 ns; (d) <= 2x (b); assemble+validate 4,096 <= 1 ms');
  },
};
