// Shared builders for the kernel tests: SQEs, small programs, a kernel per profile.

import { createKernel, type Kernel } from '../../sim/syscall/kernel.ts';
import { getProfile, type KernelProfile } from '../../model/profile/profiles.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { SqeSpec } from '../../sim/trace/ast.ts';
import { INIT_PID } from '../../sim/syscall/api.ts';

export const INIT = INIT_PID;

export function profile(name: string): KernelProfile {
  const p = getProfile(name);
  if (!p) throw new Error(`no profile ${name}`);
  return p;
}

export function kernel(name: string, invariants = true): Kernel {
  return createKernel(profile(name), { invariants });
}

export function sqe(opcode: number, ud: number, more: Partial<SqeSpec> = {}): SqeSpec {
  return { opcode, flags: 0, ud: BigInt(ud), ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n, ...more };
}

export const ret = (k: number): Insn[] => [{ code: 0x06, jt: 0, jf: 0, k }];
export const ALLOW = ret(1);
export const DENY_PROG = ret(0);
/** ld [off]; jeq #v, deny, allow */
export const denyIfWord = (off: number, v: number): Insn[] => [
  { code: 0x20, jt: 0, jf: 0, k: off },
  { code: 0x15, jt: 0, jf: 1, k: v },
  { code: 0x06, jt: 0, jf: 0, k: 0 },
  { code: 0x06, jt: 0, jf: 0, k: 1 },
];
/** ret a after ld [off]: the word itself is the verdict. */
export const retWord = (off: number): Insn[] => [
  { code: 0x20, jt: 0, jf: 0, k: off },
  { code: 0x16, jt: 0, jf: 0, k: 0 },
];

export function bpf(k: Kernel, pid: number, fd: number, opcode: number, insns: Insn[], flags = 0, pdu: number | null = null, raw = {}) {
  return k.registerBpf(pid, fd, { opcode, flags, pdu, insns, raw });
}

/** Queue the SQEs, submit, reap: [ret, left, [[ud, res], ...]]. */
export function run(k: Kernel, pid: number, fd: number, sqes: SqeSpec[]): { ret: number; left: number; cqes: [number, number][] } {
  for (const s of sqes) k.queueSqe(pid, fd, s);
  const e = k.enter(pid, fd);
  const c = k.reapCqes(pid, fd);
  if (typeof c === 'number') throw new Error(`reap failed ${c}`);
  return { ret: e.ret, left: e.left, cqes: c.map((q) => [Number(q.userData), q.res]) };
}

export function noViolations(k: Kernel): void {
  if (k.violations.length) throw new Error(`invariant violations:\n${k.violations.map((v) => `${v.step}: ${v.kind}: ${v.message}\n${v.state}`).join('\n')}`);
}
