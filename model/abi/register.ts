// io_uring_register(2) opcodes (enum io_uring_register_op). Names drop the
// IORING_REGISTER_ prefix; the IORING_UNREGISTER_* ones keep UNREGISTER_.

export const REGISTER_OP_NAMES = [
  'BUFFERS', 'UNREGISTER_BUFFERS', 'FILES', 'UNREGISTER_FILES', 'EVENTFD', 'UNREGISTER_EVENTFD',
  'FILES_UPDATE', 'EVENTFD_ASYNC', 'PROBE', 'PERSONALITY', 'UNREGISTER_PERSONALITY', 'RESTRICTIONS',
  'ENABLE_RINGS', 'FILES2', 'FILES_UPDATE2', 'BUFFERS2', 'BUFFERS_UPDATE', 'IOWQ_AFF',
  'UNREGISTER_IOWQ_AFF', 'IOWQ_MAX_WORKERS', 'RING_FDS', 'UNREGISTER_RING_FDS', 'PBUF_RING',
  'UNREGISTER_PBUF_RING', 'SYNC_CANCEL', 'FILE_ALLOC_RANGE', 'PBUF_STATUS', 'NAPI', 'UNREGISTER_NAPI',
  'CLOCK', 'CLONE_BUFFERS', 'SEND_MSG_RING', 'ZCRX_IFQ', 'RESIZE_RINGS', 'MEM_REGION', 'QUERY',
  'ZCRX_CTRL', 'BPF_FILTER',
] as const;

export type RegisterOpName = (typeof REGISTER_OP_NAMES)[number];

/** IORING_REGISTER_LAST (38 through 7.3). */
export const IORING_REGISTER_LAST = REGISTER_OP_NAMES.length;

export const REG = Object.fromEntries(REGISTER_OP_NAMES.map((n, i) => [n, i])) as Record<RegisterOpName, number>;

/** Flag OR-ed into the register opcode to name a registered ring index instead of an fd. */
export const IORING_REGISTER_USE_REGISTERED_RING = 0x80000000;

export function registerOpName(op: number): string {
  return REGISTER_OP_NAMES[op] ?? String(op);
}
