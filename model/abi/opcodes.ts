// io_uring SQE opcodes (include/uapi/linux/io_uring.h, enum io_uring_op).
// The index in this array is the opcode number; IORING_OP_LAST is its length.

export const OPCODE_NAMES = [
  'NOP', 'READV', 'WRITEV', 'FSYNC', 'READ_FIXED', 'WRITE_FIXED', 'POLL_ADD', 'POLL_REMOVE',
  'SYNC_FILE_RANGE', 'SENDMSG', 'RECVMSG', 'TIMEOUT', 'TIMEOUT_REMOVE', 'ACCEPT', 'ASYNC_CANCEL',
  'LINK_TIMEOUT', 'CONNECT', 'FALLOCATE', 'OPENAT', 'CLOSE', 'FILES_UPDATE', 'STATX', 'READ', 'WRITE',
  'FADVISE', 'MADVISE', 'SEND', 'RECV', 'OPENAT2', 'EPOLL_CTL', 'SPLICE', 'PROVIDE_BUFFERS',
  'REMOVE_BUFFERS', 'TEE', 'SHUTDOWN', 'RENAMEAT', 'UNLINKAT', 'MKDIRAT', 'SYMLINKAT', 'LINKAT',
  'MSG_RING', 'FSETXATTR', 'SETXATTR', 'FGETXATTR', 'GETXATTR', 'SOCKET', 'URING_CMD', 'SEND_ZC',
  'SENDMSG_ZC', 'READ_MULTISHOT', 'WAITID', 'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_WAITV',
  'FIXED_FD_INSTALL', 'FTRUNCATE', 'BIND', 'LISTEN', 'RECV_ZC', 'EPOLL_WAIT', 'READV_FIXED',
  'WRITEV_FIXED', 'PIPE', 'NOP128', 'URING_CMD128',
] as const;

export type OpcodeName = (typeof OPCODE_NAMES)[number];

/** IORING_OP_LAST: one past the highest opcode (65 through 7.3). */
export const IORING_OP_LAST = OPCODE_NAMES.length;

export const OP = Object.fromEntries(OPCODE_NAMES.map((n, i) => [n, i])) as Record<OpcodeName, number>;

/** The name of an opcode number, or the number itself as text when it has none. */
export function opcodeName(op: number): string {
  return OPCODE_NAMES[op] ?? String(op);
}
