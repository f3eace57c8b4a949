// A submission queue entry as the model reads it: the raw fields of struct
// io_uring_sqe plus the user memory its pointers point at (path, open_how,
// sockaddr). The trace's SqeSpec has this shape.

export interface Sqe {
  opcode: number;
  flags: number;
  ud: bigint;
  ioprio: number;
  fd: number;
  /** off / addr2 (CONNECT: addr_len; OPENAT2: the open_how pointer). */
  off: bigint;
  addr: bigint;
  /** len (OPENAT: mode; OPENAT2: sizeof(open_how); SOCKET: protocol). */
  len: number;
  /** The 32-bit op-flags word (rw_flags, open_flags, nop_flags, ...). */
  opf: number;
  /** buf_index / buf_group. */
  buf: number;
  /** personality. */
  pers: number;
  /** file_index. */
  fidx: number;
  addr3: bigint;
  /** The NUL-terminated string at `addr` (OPENAT, OPENAT2), when the pointer is valid. */
  path?: string;
  /** struct open_how at `off` (OPENAT2). */
  how?: { flags: bigint; mode: bigint; resolve: bigint };
  /** The sockaddr bytes at `addr` (CONNECT, BIND). */
  sockaddr?: Uint8Array;
}

/** A completion queue entry. */
export interface Cqe {
  userData: bigint;
  res: number;
  flags: number;
}
