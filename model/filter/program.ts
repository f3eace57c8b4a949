// What the filter machinery needs of a loaded cBPF program: something to run on a
// context. Programs come from model/bpf (validate + VM); this file only names the
// shape so the table code does not depend on how programs are built.

import type { Insn } from '../bpf/insn.ts';
import type { KernelProfile } from '../profile/profiles.ts';

export interface FilterProgram {
  /** Run on the context words; 0 denies, anything else allows (§4.2). */
  run(ctx: Uint32Array): number;
}

export type LoadResult =
  | { ok: true; program: FilterProgram }
  | { ok: false; errno: number; message?: string };

/** bpf_prog_create_from_user + io_uring_check_cbpf_filter: a program or a positive errno. */
export type ProgramLoader = (insns: readonly Insn[], profile: KernelProfile) => LoadResult;
