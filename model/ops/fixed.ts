// Direct descriptors (file_index): the ring's registered file table. The model
// tracks only how many slots are registered, not what they hold.

import { ERRNO } from '../abi/errno.ts';
import type { OpEnv } from './env.ts';

/** IORING_FILE_INDEX_ALLOC: let the kernel pick a free slot. */
export const FILE_INDEX_ALLOC = 0xffffffff;

/** __io_fixed_fd_install: 0 (or the allocated slot), or -errno. */
export function installFixed(env: OpEnv, fileIndex: number): number {
  const slots = env.ring.reg.files;
  if (slots === 0) return -ERRNO.ENXIO;
  if (fileIndex >>> 0 === FILE_INDEX_ALLOC) return 0;
  const slot = (fileIndex >>> 0) - 1;
  return slot < slots ? 0 : -ERRNO.EINVAL;
}
