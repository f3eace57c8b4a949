// Kernel model benchmarks (issue item 8):
// - replay throughput: NOP SQEs per second through queueSqe + io_uring_enter +
//   reap, batches of 32, with 0, 1 and 4 stacked ten-instruction filters;
// - fork cost and memory: 1,000,000 tasks forked from one restricted parent,
//   ns per fork and retained heap bytes per task (heap delta after a full GC).

import { setFlagsFromString } from 'node:v8';
import { cpus, loadavg } from 'node:os';
import { runInNewContext } from 'node:vm';
import { measure, type BenchContext, type BenchSuite } from './harness.ts';
import { createKernel } from '../syscall/kernel.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION } from '../../model/abi/flags.ts';
import { INIT_PID } from '../syscall/api.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { SqeSpec } from '../trace/ast.ts';

/** Ten instructions that look at the context and allow NOP (nine run per SQE). */
export const TEN: Insn[] = [
  { code: 0x20, jt: 0, jf: 0, k: 8 }, // ld [8]          opcode | flags << 8 | pdu << 16
  { code: 0x54, jt: 0, jf: 0, k: 0xff }, // and #0xff
  { code: 0x15, jt: 0, jf: 6, k: 0 }, // jeq #NOP, next, deny
  { code: 0x20, jt: 0, jf: 0, k: 0 }, // ld [0]          user_data low word
  { code: 0x04, jt: 0, jf: 0, k: 1 }, // add #1
  { code: 0x02, jt: 0, jf: 0, k: 0 }, // st M[0]
  { code: 0x60, jt: 0, jf: 0, k: 0 }, // ld M[0]
  { code: 0x25, jt: 0, jf: 0, k: 0 }, // jgt #0, next, next
  { code: 0x06, jt: 0, jf: 0, k: 1 }, // ret #1
  { code: 0x06, jt: 0, jf: 0, k: 0 }, // ret #0
];

const nop = (ud: number): SqeSpec => ({ opcode: OP.NOP, flags: 0, ud: BigInt(ud), ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n });

/** CPU nanoseconds per call of body(n) over 7 runs (user + system, all threads): median and best. */
function cpuNsPerOp(body: (n: number) => unknown, n: number): { median: number; best: number } {
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    body(n);
    const c = process.cpuUsage(c0);
    runs.push(((c.user + c.system) * 1000) / n);
  }
  runs.sort((a, b) => a - b);
  return { median: runs[3], best: runs[0] };
}

function getGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export const suite: BenchSuite = {
  name: 'kernel',
  run(ctx) {
    ctx.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (wall figures include the neighbours; CPU figures much less)`);
    const profile = getProfile('7.3')!;
    const sqes = Array.from({ length: 32 }, (_, i) => nop(i + 1));
    for (const filters of [0, 1, 4]) {
      const k = createKernel(profile);
      const fd = k.setup(INIT_PID, 32, 0);
      for (let i = 0; i < filters; i++) k.registerBpf(INIT_PID, fd, { opcode: OP.NOP, flags: 0, pdu: null, insns: TEN, raw: {} });
      const batches = (n: number) => {
        let sink = 0;
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < 32; i++) k.queueSqe(INIT_PID, fd, sqes[i]);
          sink += k.enter(INIT_PID, fd).ret;
          const c = k.reapCqes(INIT_PID, fd);
          if (typeof c !== 'number' && c.length !== 32) throw new Error('lost CQEs');
        }
        return sink;
      };
      const m = measure(`enter: 32 NOPs, ${filters} stacked 10-insn filter(s)`, batches);
      ctx.record(m, `${(32e9 / m.nsPerOp / 1e6).toFixed(2)} M SQEs/s (wall)`);
      // CPU time too: the machine is shared, and wall time then measures the neighbours.
      const cpu = cpuNsPerOp(batches, m.opsPerRun);
      const med = cpu.median / 32, best = cpu.best / 32;
      ctx.figure(`SQEs per CPU second, ${filters} filter(s)`, 1e9 / med, 'SQE/s', `${med.toFixed(0)} CPU ns per SQE (median; best run ${best.toFixed(0)} ns = ${(1e3 / best).toFixed(1)} M/s)`);
    }

    // Fork: one restricted parent (legacy task restrictions + a task filter), 1,000,000 children.
    const gc = getGc();
    for (const name of ['7.3', '7.2'] as const) forkFigures(ctx, name, gc);
  },
};

/** 1,000,000 forks of one restricted parent: wall and CPU ns per fork, retained heap per task. */
function forkFigures(ctx: BenchContext, name: string, gc: () => void): void {
  {
    {
      gc();
      gc();
      const k = createKernel(getProfile(name)!);
      k.registerRestrictions(INIT_PID, -1, [{ type: RESTRICTION.SQE_OP, value: OP.NOP }, { type: RESTRICTION.SQE_OP, value: OP.SOCKET }]);
      k.registerBpf(INIT_PID, -1, { opcode: OP.SOCKET, flags: 0, pdu: null, insns: TEN, raw: {} });
      const N = 1_000_000;
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) k.fork(INIT_PID);
      const ns = Number(process.hrtime.bigint() - t0) / N;
      const c = process.cpuUsage(c0);
      gc();
      gc();
      const world = k.world; // keep everything alive through the measurement
      const bytes = (process.memoryUsage().heapUsed - before) / N;
      const tables = world.filters.tables.size;
      ctx.figure(`fork (${name}): ns per fork, 1M children`, ns, 'ns', `${(((c.user + c.system) * 1000) / N).toFixed(0)} CPU ns`);
      ctx.figure(`fork (${name}): retained heap per task`, bytes, 'bytes', `${world.tasks.size} tasks, ${tables} filter table(s) shared`);
    }
  }
}
