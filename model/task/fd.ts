// A task's file descriptor table as a value: a dense array indexed by fd, shared
// between parent and child after fork until either side changes it.

import { copyOf } from '../pmap/copy.ts';

export type FdEntry =
  | { readonly kind: 'ring'; readonly ring: number }
  | { readonly kind: 'socket'; readonly family: number; readonly type: number; readonly protocol: number }
  | { readonly kind: 'file'; readonly path: string; readonly flags: number; readonly dir: boolean };

export type FdTable = readonly (FdEntry | undefined)[];

/** /dev/console on 0, 1 and 2, as the kernel opens it for init. */
const CONSOLE: FdEntry = Object.freeze({ kind: 'file', path: '/dev/console', flags: 2, dir: false });
export const INIT_FDS: FdTable = Object.freeze([CONSOLE, CONSOLE, CONSOLE]);

/** The lowest free fd (get_unused_fd_flags). */
export function lowestFreeFd(fds: FdTable): number {
  for (let i = 0; i < fds.length; i++) if (fds[i] === undefined) return i;
  return fds.length;
}

export function withFd(fds: FdTable, fd: number, e: FdEntry | undefined): FdTable {
  const out = copyOf(fds);
  out[fd] = e;
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return Object.freeze(out);
}
