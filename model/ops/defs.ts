// Generic per-opcode properties io_init_req checks before prep (io_issue_defs):
// which opcodes accept ioprio, IOPOLL rings and BUFFER_SELECT. Kept as sets of
// opcode numbers; everything not listed has the property off.

import { OP } from '../abi/opcodes.ts';

const set = (...ops: number[]) => new Set<number>(ops);

/** def->ioprio: sqe->ioprio may be non-zero (read/write, and the net ops that reuse it for flags). */
export const IOPRIO_OPS = set(
  OP.READV, OP.WRITEV, OP.READ_FIXED, OP.WRITE_FIXED, OP.SENDMSG, OP.RECVMSG, OP.ACCEPT, OP.READ, OP.WRITE,
  OP.SEND, OP.RECV, OP.SEND_ZC, OP.SENDMSG_ZC, OP.READ_MULTISHOT, OP.RECV_ZC, OP.READV_FIXED, OP.WRITEV_FIXED,
);

/** def->iopoll: allowed on an IOPOLL ring. */
export const IOPOLL_OPS = set(
  OP.NOP, OP.READV, OP.WRITEV, OP.READ_FIXED, OP.WRITE_FIXED, OP.READ, OP.WRITE, OP.URING_CMD,
  OP.READV_FIXED, OP.WRITEV_FIXED, OP.NOP128, OP.URING_CMD128,
);

/** def->buffer_select: IOSQE_BUFFER_SELECT accepted. */
export const BUFFER_SELECT_OPS = set(OP.READV, OP.READ, OP.RECVMSG, OP.RECV, OP.READ_MULTISHOT, OP.SEND);

/** 128-byte SQE opcodes (need IORING_SETUP_SQE128, or SQE_MIXED). */
export const SQE128_OPS = set(OP.NOP128, OP.URING_CMD128);

/** SQE128_OPS as a flag per opcode (the submission hot path). */
export const IS_SQE128_OP: readonly boolean[] = Array.from({ length: 256 }, (_, op) => SQE128_OPS.has(op));
