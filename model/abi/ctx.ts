// struct io_uring_bpf_ctx: the bytes a filter program loads from.
// Two layouts: the 40-byte one of 7.0 and later, and the 64-byte one of the
// v5 patch set (kernel-semantics.md §1.4). Loads are little-endian words.

export type CtxLayoutName = 'v7' | 'v5';

export interface CtxField {
  /** Dotted name as the assembler and disassembler spell it: 'socket.family'. */
  name: string;
  offset: number;
  /** Size in bytes. */
  size: number;
  /** Which payload union member this belongs to, if any. */
  member?: 'socket' | 'open' | 'connect';
  /** Network byte order inside the host-order word (connect port and addresses). */
  bigEndian?: boolean;
  note?: string;
}

export interface CtxLayout {
  name: CtxLayoutName;
  size: number;
  fields: readonly CtxField[];
}

export const CTX_V7: CtxLayout = {
  name: 'v7',
  size: 40,
  fields: [
    { name: 'user_data', offset: 0, size: 8, note: 'SQE user_data (u64); [0] is the low word, [4] the high' },
    { name: 'opcode', offset: 8, size: 1 },
    { name: 'sqe_flags', offset: 9, size: 1, note: 'request flags after prep, & 0x7f' },
    { name: 'pdu_size', offset: 10, size: 1 },
    { name: 'pad', offset: 11, size: 5 },
    { name: 'socket.family', offset: 16, size: 4, member: 'socket' },
    { name: 'socket.type', offset: 20, size: 4, member: 'socket' },
    { name: 'socket.protocol', offset: 24, size: 4, member: 'socket' },
    { name: 'open.flags', offset: 16, size: 8, member: 'open' },
    { name: 'open.mode', offset: 24, size: 8, member: 'open' },
    { name: 'open.resolve', offset: 32, size: 8, member: 'open' },
    { name: 'connect.family', offset: 16, size: 4, member: 'connect' },
    { name: 'connect.port', offset: 20, size: 2, member: 'connect', bigEndian: true },
    { name: 'connect.pad', offset: 22, size: 2, member: 'connect' },
    { name: 'connect.v4_addr', offset: 24, size: 4, member: 'connect', bigEndian: true },
    { name: 'connect.v6_addr', offset: 24, size: 16, member: 'connect', bigEndian: true },
  ],
};

export const CTX_V5: CtxLayout = {
  name: 'v5',
  size: 64,
  fields: [
    { name: 'opcode', offset: 0, size: 1 },
    { name: 'sqe_flags', offset: 1, size: 1 },
    { name: 'pad', offset: 2, size: 6 },
    { name: 'user_data', offset: 8, size: 8, note: 'SQE user_data (u64); [8] is the low word, [12] the high' },
    { name: 'socket.family', offset: 16, size: 4, member: 'socket' },
    { name: 'socket.type', offset: 20, size: 4, member: 'socket' },
    { name: 'socket.protocol', offset: 24, size: 4, member: 'socket' },
    { name: 'resv', offset: 28, size: 36 },
  ],
};

export const CTX_LAYOUTS: Record<CtxLayoutName, CtxLayout> = { v7: CTX_V7, v5: CTX_V5 };

/** The fields that overlap the 4-byte word at `offset` (offset must be a multiple of 4). */
export function fieldsInWord(layout: CtxLayout, offset: number): CtxField[] {
  return layout.fields.filter((f) => f.offset < offset + 4 && f.offset + f.size > offset);
}
