// Flag words of the io_uring ABI that restrictions and filters look at.

/** io_uring_setup(2) flags (IORING_SETUP_*), without the prefix. */
export const SETUP_FLAGS = {
  IOPOLL: 1 << 0,
  SQPOLL: 1 << 1,
  SQ_AFF: 1 << 2,
  CQSIZE: 1 << 3,
  CLAMP: 1 << 4,
  ATTACH_WQ: 1 << 5,
  R_DISABLED: 1 << 6,
  SUBMIT_ALL: 1 << 7,
  COOP_TASKRUN: 1 << 8,
  TASKRUN_FLAG: 1 << 9,
  SQE128: 1 << 10,
  CQE32: 1 << 11,
  SINGLE_ISSUER: 1 << 12,
  DEFER_TASKRUN: 1 << 13,
  NO_MMAP: 1 << 14,
  REGISTERED_FD_ONLY: 1 << 15,
  NO_SQARRAY: 1 << 16,
  HYBRID_IOPOLL: 1 << 17,
  CQE_MIXED: 1 << 18,
  SQE_MIXED: 1 << 19,
  SQ_REWIND: 1 << 20,
} as const;

/** SQE flags (IOSQE_*), without the prefix. LINK, HARDLINK and DRAIN are accepted aliases. */
export const SQE_FLAGS = {
  FIXED_FILE: 0x01,
  IO_DRAIN: 0x02,
  IO_LINK: 0x04,
  IO_HARDLINK: 0x08,
  ASYNC: 0x10,
  BUFFER_SELECT: 0x20,
  CQE_SKIP_SUCCESS: 0x40,
} as const;

export const SQE_FLAG_ALIASES = { LINK: 0x04, HARDLINK: 0x08, DRAIN: 0x02 } as const;

/** SQE_VALID_FLAGS: every defined IOSQE bit; bit 7 is invalid. */
export const SQE_VALID_FLAGS = 0x7f;

/** struct io_uring_bpf_filter flags. */
export const FILTER_FLAGS = {
  DENY_REST: 1,
  SZ_STRICT: 2,
} as const;

/** io_uring_bpf cmd_type. */
export const IO_URING_BPF_CMD_FILTER = 1;

/** struct io_uring_restriction opcode (IORING_RESTRICTION_*). */
export const RESTRICTION = {
  REGISTER_OP: 0,
  SQE_OP: 1,
  SQE_FLAGS_ALLOWED: 2,
  SQE_FLAGS_REQUIRED: 3,
} as const;
export const IORING_RESTRICTION_LAST = 4;

/** cBPF limits (linux/filter.h, linux/bpf_common.h). */
export const BPF_MAXINSNS = 4096;
export const BPF_MEMWORDS = 16;
