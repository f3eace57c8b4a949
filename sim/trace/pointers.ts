// The user-memory addresses the replayer puts in an SQE for data it points at.
// The simulated kernel reads the data itself from SqeSpec (`path`, `how`,
// `sockaddr`); the numbers only have to be non-zero and distinct, as real
// pointers would be. The oracle substitutes its own buffers' addresses.

/** OPENAT/OPENAT2 `path=`: the NUL-terminated path string (sqe->addr). */
export const PATH_PTR = 0x7f00_0000_1000n;
/** OPENAT2: struct open_how (sqe->addr2 / off). */
export const OPEN_HOW_PTR = 0x7f00_0000_2000n;
/** CONNECT/BIND: the sockaddr (sqe->addr). */
export const SOCKADDR_PTR = 0x7f00_0000_3000n;

/** sizeof(struct open_how): OPEN_HOW_SIZE_LATEST. */
export const OPEN_HOW_SIZE = 24;
