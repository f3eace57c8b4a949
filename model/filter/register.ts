// io_register_bpf_filter (kernel-semantics.md §2.4) on one restriction set: the
// import checks of struct io_uring_bpf, pdu_size negotiation with its write-back,
// program creation, table selection (fresh, copy-on-write or in place) and commit.
// Pure: returns the new filter store and set, or the errno with both unchanged.

import type { Insn } from '../bpf/insn.ts';
import { IORING_OP_LAST } from '../abi/opcodes.ts';
import { BPF_MAXINSNS, FILTER_FLAGS, IO_URING_BPF_CMD_FILTER } from '../abi/flags.ts';
import { ERRNO } from '../abi/errno.ts';
import { type KernelProfile, pduSizeFor } from '../profile/profiles.ts';
import type { RestrictionSet } from '../restriction/set.ts';
import type { ProgramLoader } from './program.ts';
import { type FilterStore, allocTable, cowTable, dropTableRef, pushFilter } from './table.ts';

/** One IORING_REGISTER_BPF_FILTER argument as user space filled it. */
export interface BpfRequest {
  opcode: number;
  flags: number;
  /** filter.pdu_size as passed; null means the kernel's size for the opcode. */
  pdu: number | null;
  insns: readonly Insn[];
  /** A name for narration (the program's name in the trace). */
  label?: string;
  cmdType?: number;
  cmdFlags?: number;
  resv?: number;
  /** The resv2[5] words, folded: non-zero if any is. */
  resv2?: bigint;
  /** filter_len when it differs from insns.length. */
  len?: number;
  /** filter_ptr is NULL. */
  ptrNull?: boolean;
  /** filter.resv[3] bytes after pdu_size, as one value. */
  filterResv?: number;
}

export interface BpfOutcome {
  ret: number;
  /** pdu_size written back to user memory, when the import got that far. */
  pdu?: number;
  store: FilterStore;
  set: RestrictionSet;
}

export function registerBpfFilter(
  store: FilterStore,
  set: RestrictionSet,
  req: BpfRequest,
  profile: KernelProfile,
  load: ProgramLoader,
): BpfOutcome {
  // A. io_bpf_filter_import, in the kernel's order.
  if ((req.cmdType ?? IO_URING_BPF_CMD_FILTER) !== IO_URING_BPF_CMD_FILTER) return refused(store, set, ERRNO.EINVAL);
  if ((req.cmdFlags ?? 0) !== 0 || (req.resv ?? 0) !== 0) return refused(store, set, ERRNO.EINVAL);
  const opcode = req.opcode >>> 0;
  if (opcode >= IORING_OP_LAST) return refused(store, set, ERRNO.EINVAL);
  if ((req.flags >>> 0) & ~profile.filterFlagsMask) return refused(store, set, ERRNO.EINVAL);
  const kernelPdu = pduSizeFor(profile, opcode);
  const userPdu = (req.pdu ?? kernelPdu) & 0xff;
  if (profile.pduNegotiation) {
    if ((req.filterResv ?? 0) !== 0) return refused(store, set, ERRNO.EINVAL);
  } else if (userPdu !== 0 || (req.filterResv ?? 0) !== 0) {
    // Before 7.0-final offset 12 was a u32 resv that had to be zero.
    return refused(store, set, ERRNO.EINVAL);
  }
  if ((req.resv2 ?? 0n) !== 0n) return refused(store, set, ERRNO.EINVAL);
  const len = req.len ?? req.insns.length;
  if (len === 0 || len > BPF_MAXINSNS) return refused(store, set, ERRNO.EINVAL);
  let pdu: number | undefined;
  if (profile.pduNegotiation) {
    // Negotiate, then always write the kernel's size back (§2.4 A.9-10).
    pdu = kernelPdu;
    const strict = (req.flags & FILTER_FLAGS.SZ_STRICT) !== 0;
    if (userPdu !== kernelPdu && (strict || userPdu > kernelPdu)) return refused(store, set, ERRNO.EMSGSIZE, pdu);
  }

  // B. bpf_prog_create_from_user: NULL pointer, then the program itself.
  if (req.ptrNull) return refused(store, set, ERRNO.EINVAL, pdu);
  const insns = programWords(req.insns, len);
  const loaded = load(insns, profile);
  if (!loaded.ok) return refused(store, set, loaded.errno, pdu);

  // C. Table selection: fresh, copy-on-write, or in place.
  let s = store;
  let tableId: number;
  let oldShared: number | null = null;
  if (set.table === null) {
    const a = allocTable(s);
    s = a.store;
    tableId = a.id;
  } else if (set.cow) {
    const c = cowTable(s, set.table);
    s = c.store;
    tableId = c.id;
    oldShared = set.table;
  } else {
    tableId = set.table;
  }

  // E. Commit: drop the shared table's reference after a COW, push, DENY_REST.
  if (oldShared !== null) s = dropTableRef(s, oldShared);
  const denyRest = (req.flags & FILTER_FLAGS.DENY_REST) !== 0;
  s = pushFilter(s, tableId, opcode, loaded.program, insns, req.label ?? '', denyRest).store;
  const out: BpfOutcome = { ret: 0, store: s, set: { legacy: set.legacy, table: tableId, cow: false } };
  if (pdu !== undefined) out.pdu = pdu;
  return out;
}

/** The outcome of a refused registration: store and set unchanged (a function, not a closure: this is hot). */
function refused(store: FilterStore, set: RestrictionSet, errno: number, pdu?: number): BpfOutcome {
  return pdu === undefined ? { ret: -errno, store, set } : { ret: -errno, pdu, store, set };
}

/**
 * The filter_len instructions the kernel copies. A shorter filter_len truncates the
 * program; a longer one reads zero words past it (the replayer's buffer is zeroed),
 * which the checker then rejects for not ending in RET.
 */
function programWords(insns: readonly Insn[], len: number): readonly Insn[] {
  if (len === insns.length) return insns;
  if (len < insns.length) return insns.slice(0, len);
  const out = insns.slice();
  while (out.length < len) out.push({ code: 0, jt: 0, jf: 0, k: 0 });
  return out;
}
