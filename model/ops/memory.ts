// User memory as the model sees it: a trace has no buffers, so every address it names
// is taken as unmapped (a copy from or to it faults), and only access_ok, the range
// check that needs no mapping, can pass. x86-64 with 4-level page tables.

/** USER_PTR_MAX: TASK_SIZE_MAX - 1 (TASK_SIZE_MAX = 2^47 - 4096). */
const USER_PTR_MAX = (1n << 47n) - 4096n - 1n;

/** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
export const MAX_RW_COUNT = 0x7ffff000;

/** UIO_MAXIOV. */
export const UIO_MAXIOV = 1024;

/** access_ok(addr, size): addr + size neither wraps nor passes USER_PTR_MAX. */
export function accessOk(addr: bigint, size: number): boolean {
  const sum = addr + BigInt(size);
  return sum <= USER_PTR_MAX;
}

/** import_ubuf: the length clamped to MAX_RW_COUNT, then access_ok. Returns the length or -EFAULT. */
export function importUbuf(addr: bigint, len: number): number {
  const n = Math.min(len >>> 0, MAX_RW_COUNT);
  return accessOk(addr, n) ? n : -14;
}
