// The kernel's verdict on loading a program as an io_uring filter: the length and
// pointer checks, the generic classic checker, then io_uring's allow list and
// rewrites against the profile's context size (kernel-semantics.md §5.1-5.3).
// Every rejection is -EINVAL; the rule and instruction index are for people.

import { ERRNO } from '../abi/errno.ts';
import type { KernelProfile } from '../profile/profiles.ts';
import { findBadInsn, type Insn } from './insn.ts';
import { BPF_MAXINSNS } from './isa.ts';
import { checkClassic, type Rejection } from './check-classic.ts';
import { checkIoUring } from './check-io-uring.ts';
import type { Program } from './program.ts';
import { makeProgram, type TierOptions } from './tiered.ts';

export type Verdict =
  | { ok: true; program: Program }
  | { ok: false; errno: number; rule: string; index: number | null; message: string };

/** Every rule, in the order the kernel applies them, with where it lives. */
export const RULES: ReadonlyArray<{ rule: string; source: string; summary: string }> = [
  { rule: 'insn-field', source: 'struct sock_filter (the library boundary: the kernel gets C integers)', summary: 'not an array of {code u16, jt u8, jf u8, k u32} integers' },
  { rule: 'len-zero', source: 'io_bpf_filter_import / bpf_check_basics_ok', summary: 'the program has no instructions' },
  { rule: 'len-max', source: 'io_bpf_filter_import / bpf_check_basics_ok', summary: 'more than 4096 instructions' },
  { rule: 'ptr-null', source: 'bpf_check_basics_ok', summary: 'filter_ptr is NULL' },
  { rule: 'code-unknown', source: 'bpf_check_classic (chk_code_allowed)', summary: 'a code outside the classic instruction set' },
  { rule: 'div-by-zero', source: 'bpf_check_classic', summary: 'div #0 or mod #0' },
  { rule: 'shift-range', source: 'bpf_check_classic', summary: 'lsh/rsh by a constant of 32 or more' },
  { rule: 'mem-range', source: 'bpf_check_classic', summary: 'M[k] with k of 16 or more' },
  { rule: 'ja-range', source: 'bpf_check_classic', summary: 'ja lands past the last instruction' },
  { rule: 'jump-range', source: 'bpf_check_classic', summary: 'a conditional jump target past the last instruction' },
  { rule: 'ancillary-unknown', source: 'bpf_check_classic (bpf_anc_helper)', summary: 'a load at SKF_AD_OFF or above that names no extension' },
  { rule: 'ret-last', source: 'bpf_check_classic', summary: 'the last instruction is not ret #k or ret a' },
  { rule: 'uninit-mem', source: 'check_load_and_stores', summary: 'M[k] read on a path that never wrote it' },
  { rule: 'ld-abs-range', source: 'io_uring_check_cbpf_filter', summary: 'ld [k] at or beyond the context size' },
  { rule: 'ld-abs-align', source: 'io_uring_check_cbpf_filter', summary: 'ld [k] with k not a multiple of 4' },
  { rule: 'io-uring-code', source: 'io_uring_check_cbpf_filter', summary: 'an instruction io_uring does not allow (mod, ldh, ldb, indirect loads, ldxb, ...)' },
];

function reject(r: Rejection): Verdict {
  return { ok: false, errno: ERRNO.EINVAL, rule: r.rule, index: r.index, message: r.message };
}

/**
 * Would the kernel of `profile` accept these instructions as an io_uring filter?
 * On success the Program holds the rewritten instructions and runs them.
 */
export function validate(insns: readonly Insn[], profile: KernelProfile, opts: { ptrNull?: boolean } & TierOptions = {}): Verdict {
  // Callers may hand over parsed JSON: nothing but integers in range goes further.
  const bad = findBadInsn(insns);
  if (bad) return reject({ rule: 'insn-field', index: bad.index, message: bad.message });
  // io_bpf_filter_import checks the length before bpf_check_basics_ok looks at the pointer
  if (insns.length === 0) return reject({ rule: 'len-zero', index: null, message: 'the program has no instructions (filter_len 0)' });
  if (insns.length > BPF_MAXINSNS) return reject({ rule: 'len-max', index: null, message: `${insns.length} instructions; the kernel takes at most ${BPF_MAXINSNS}` });
  if (opts.ptrNull) return reject({ rule: 'ptr-null', index: null, message: 'filter_ptr is NULL' });
  const classic = checkClassic(insns);
  if (classic) return reject(classic);
  const size = profile.ctx.size;
  const io = checkIoUring(insns, size);
  if (!io.ok) return reject(io.rejection);
  return { ok: true, program: makeProgram(io.insns, size / 4, opts) };
}
