// IORING_OP_OPENAT and OPENAT2 (io_openat_prep, io_openat2_prep, io_openat2):
// prep builds the open_how the filter sees (§4.3: O_LARGEFILE added unless O_PATH,
// mode zeroed without O_CREAT/__O_TMPFILE for OPENAT, OPENAT2 copied unvalidated)
// and forces async for O_CREAT/O_TRUNC/__O_TMPFILE; issue validates like
// build_open_flags and opens on the trace world's file system.

import { ERRNO } from '../abi/errno.ts';
import { SQE_FLAGS } from '../abi/flags.ts';
import { AT_FDCWD, O, O_PATH_FLAGS, RESOLVE, VALID_OPEN_FLAGS } from '../abi/net.ts';
import { type Cred, MAY_EXEC, MAY_READ, MAY_WRITE, UMASK, permitted, walk, withNode } from '../fs/fs.ts';
import { lowestFreeFd, withFd } from '../task/fd.ts';
import { type Issued, type OpEnv, type OpHandler, type Prepared, issued } from './env.ts';
import { installFixed } from './fixed.ts';
import { RLIMIT_NOFILE } from './socket.ts';

const PATH_MAX = 4096;
const S_IALLUGO = 0o7777;
const OPEN_HOW_SIZE_VER0 = 24;
const VALID_RESOLVE = 0x3f;
const WILL_CREATE = O.O_CREAT | O.__O_TMPFILE;
const FORCE_ASYNC = O.O_TRUNC | O.O_CREAT | O.__O_TMPFILE;

type How = { flags: bigint; mode: bigint; resolve: bigint };

/** getname() + the common tail of __io_openat_prep. */
function commonPrep(sqe: Parameters<OpHandler['prep']>[0], how: How): Prepared | number {
  if (sqe.buf !== 0) return -ERRNO.EINVAL;
  if (sqe.flags & SQE_FLAGS.FIXED_FILE) return -ERRNO.EBADF;
  let flags = how.flags;
  // force_o_largefile(): every 64-bit kernel.
  if (!(flags & BigInt(O.O_PATH))) flags |= BigInt(O.O_LARGEFILE);
  if (sqe.addr === 0n || sqe.path === undefined) return -ERRNO.EFAULT;
  if (sqe.path === '') return -ERRNO.ENOENT;
  if (new TextEncoder().encode(sqe.path).length >= PATH_MAX) return -ERRNO.ENAMETOOLONG;
  if (sqe.fidx !== 0 && flags & BigInt(O.O_CLOEXEC)) return -ERRNO.EINVAL;
  return { forceAsync: (flags & BigInt(FORCE_ASYNC)) !== 0n, open: { flags, mode: how.mode, resolve: how.resolve } };
}

/** build_open_how(): what open(2)/openat(2) make of (flags, mode). */
export function buildOpenHow(flags: number, mode: number): How {
  let f = flags & VALID_OPEN_FLAGS;
  if (f & O.O_PATH) f &= O_PATH_FLAGS;
  const m = f & WILL_CREATE ? mode & 0xffff & S_IALLUGO : 0;
  return { flags: BigInt(f >>> 0), mode: BigInt(m), resolve: 0n };
}

export const openat: OpHandler = {
  prep(sqe) {
    return commonPrep(sqe, buildOpenHow(sqe.opf | 0, sqe.len));
  },
  issue: openIssue,
};

export const openat2: OpHandler = {
  prep(sqe) {
    const len = sqe.len >>> 0;
    if (len < OPEN_HOW_SIZE_VER0) return -ERRNO.EINVAL;
    // copy_struct_from_user: the replayer's buffer beyond open_how is zero.
    if (sqe.off === 0n || !sqe.how) return -ERRNO.EFAULT;
    return commonPrep(sqe, sqe.how);
  },
  issue: openIssue,
};

/** build_open_flags(): -errno, or the access mode wanted. */
function openFlags(how: How, extra: number): number | { acc: number; flags: number } {
  // 7.2 and 7.3 accept one more bit than VALID_OPEN_FLAGS (profile.openat2ExtraFlags, oracle probes).
  if (how.flags & ~BigInt((VALID_OPEN_FLAGS | extra) >>> 0)) return -ERRNO.EINVAL;
  const flags = Number(how.flags);
  if (how.resolve & ~BigInt(VALID_RESOLVE)) return -ERRNO.EINVAL;
  const resolve = Number(how.resolve);
  if (flags & WILL_CREATE) {
    if (how.mode & ~BigInt(S_IALLUGO)) return -ERRNO.EINVAL;
  } else if (how.mode !== 0n) return -ERRNO.EINVAL;
  if ((flags & (O.O_DIRECTORY | O.O_CREAT)) === (O.O_DIRECTORY | O.O_CREAT)) return -ERRNO.EINVAL;
  const accmode = flags & O.O_ACCMODE;
  let acc = accmode === O.O_RDONLY ? MAY_READ : accmode === O.O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
  if (flags & O.O_TRUNC) acc |= MAY_WRITE;
  if (flags & O.__O_TMPFILE) {
    if ((flags & (O.__O_TMPFILE | O.O_DIRECTORY | O.O_CREAT)) !== (O.__O_TMPFILE | O.O_DIRECTORY)) return -ERRNO.EINVAL;
    if (!(acc & MAY_WRITE)) return -ERRNO.EINVAL;
  }
  if (flags & O.O_PATH) {
    if (flags & ~O_PATH_FLAGS & ~O.O_LARGEFILE) return -ERRNO.EINVAL;
    acc = 0;
  }
  if ((resolve & RESOLVE.RESOLVE_BENEATH) && (resolve & RESOLVE.RESOLVE_IN_ROOT)) return -ERRNO.EINVAL;
  if (resolve & RESOLVE.RESOLVE_CACHED && flags & FORCE_ASYNC) return -ERRNO.EAGAIN;
  return { acc, flags };
}

function openIssue(sqe: Parameters<OpHandler['issue']>[0], p: Prepared, env: OpEnv, async: boolean): Issued {
  const how = p.open!;
  const of = openFlags(how, env.profile.openat2ExtraFlags ?? 0);
  if (typeof of === 'number') return issued(of);
  const { acc, flags } = of;
  const resolve = Number(how.resolve);
  const cred: Cred = { uid: env.uid, cap: env.cap };
  // The fd is reserved before the lookup (__get_unused_fd_flags).
  const fixed = sqe.fidx !== 0;
  if (!fixed && lowestFreeFd(env.fds) >= RLIMIT_NOFILE) return issued(-ERRNO.EMFILE);

  // dfd: AT_FDCWD is "/", else an open directory fd (absolute paths ignore it).
  let base = '/';
  if (!sqe.path!.startsWith('/') || resolve & RESOLVE.RESOLVE_IN_ROOT) {
    if ((sqe.fd | 0) !== AT_FDCWD) {
      const e = sqe.fd >= 0 ? env.fds[sqe.fd] : undefined;
      if (!e) return issued(-ERRNO.EBADF);
      if (e.kind !== 'file' || !e.dir) return issued(-ERRNO.ENOTDIR);
      base = e.path;
    }
  }
  const root = resolve & RESOLVE.RESOLVE_IN_ROOT ? base : '/';
  const w = walk(env.fs, cred, base, sqe.path!, root, (resolve & RESOLVE.RESOLVE_BENEATH) !== 0);
  // A lookup that cannot finish from the dcache (a missing name, an over-long one, a
  // scoped '..') fails the non-blocking attempt, and io-wq retries it (7.3.4 probes).
  const missing = !w.ok
    ? w.errno === ERRNO.ENOENT || w.errno === ERRNO.ENAMETOOLONG || (w.errno === ERRNO.EXDEV && !sqe.path!.startsWith('/'))
    : w.node === undefined;
  if (missing && resolve & RESOLVE.RESOLVE_CACHED) return issued(-ERRNO.EAGAIN);
  const deferred = async || missing;
  const out = (res: number) => issued(res, deferred);
  if (!w.ok) return out(-w.errno);

  const install = (entry: { path: string; dir: boolean }) => {
    if (fixed) return out(installFixed(env, sqe.fidx));
    const fd = lowestFreeFd(env.fds);
    env.fds = withFd(env.fds, fd, Object.freeze({ kind: 'file', path: entry.path, flags, dir: entry.dir }));
    return out(fd);
  };

  if (flags & O.__O_TMPFILE) {
    const dir = w.node;
    if (!dir) return out(-ERRNO.ENOENT);
    if (dir.kind !== 'dir') return out(-ERRNO.ENOTDIR);
    if (!permitted(dir, cred, MAY_WRITE | MAY_EXEC)) return out(-ERRNO.EACCES);
    return install({ path: `${w.path}/#tmpfile`, dir: false });
  }

  const node = w.node;
  if (!node) {
    if (!(flags & O.O_CREAT) || flags & O.O_PATH) return out(-ERRNO.ENOENT);
    if (w.trailingSlash) return out(-ERRNO.EISDIR);
    const parent = env.fs.nodes.get(w.parent)!;
    if (!permitted(parent, cred, MAY_WRITE | MAY_EXEC)) return out(-ERRNO.EACCES);
    env.fs = withNode(env.fs, w.path, Object.freeze({ kind: 'reg', mode: Number(how.mode) & ~UMASK & S_IALLUGO, uid: env.uid, gid: 0 }));
    return install({ path: w.path, dir: false });
  }
  if (flags & O.O_CREAT) {
    if (w.trailingSlash) return out(-ERRNO.EISDIR);
    if (flags & O.O_EXCL) return out(-ERRNO.EEXIST);
    if (node.kind === 'dir') return out(-ERRNO.EISDIR);
  }
  if ((flags & O.O_DIRECTORY || w.trailingSlash) && node.kind !== 'dir') return out(-ERRNO.ENOTDIR);
  if (flags & O.O_PATH) return install({ path: w.path, dir: node.kind === 'dir' });
  // may_open
  if (node.kind === 'dir' && acc & MAY_WRITE) return out(-ERRNO.EISDIR);
  if (acc && !permitted(node, cred, acc)) return out(-ERRNO.EACCES);
  if (flags & O.O_NOATIME && !(env.cap || env.uid === node.uid)) return out(-ERRNO.EPERM);
  return install({ path: w.path, dir: node.kind === 'dir' });
}
