// What a caller hands the system-call facade (api.ts): the arguments of
// IORING_REGISTER_RESTRICTIONS, of IORING_REGISTER_BPF_FILTER's malformed-argument
// overrides, and the SQEs written into a ring. The facade owns these types; the trace
// language (sim/trace/ast.ts) parses into them, never the other way round.

import type { Sqe } from '../../model/ring/sqe.ts';

/** One struct io_uring_restriction. */
export interface RestrictionEntry {
  /** IORING_RESTRICTION_* (0..3). */
  type: number;
  /** register_op, sqe_op or a flag mask, per type. */
  value: number;
}

/**
 * An SQE as the caller fills it: the model's SQE (raw struct io_uring_sqe fields plus the
 * user memory its pointers point at).
 */
export type SqeSpec = Sqe;

/** Raw overrides for malformed BPF registrations (the trace's `cmd_type=` ... `ptr=null`). */
export interface BpfRaw {
  cmd_type?: number;
  cmd_flags?: number;
  resv?: number;
  /** The five u64 resv2 words; `resv2=N` sets the first. */
  resv2?: bigint;
  /** filter_len, when it differs from the program's length. */
  len?: number;
  nr_args?: number;
  /** filter_ptr is NULL. */
  ptrNull?: boolean;
  /** filter.resv[3] bytes (after pdu_size), as one value. */
  filter_resv?: number;
}
