// Linux errno values (x86-64, asm-generic/errno-base.h and errno.h).

export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, ETIME: 62, EOVERFLOW: 75, EBADFD: 77, ENOTSOCK: 88, EDESTADDRREQ: 89, EMSGSIZE: 90,
  EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100,
  ENETUNREACH: 101, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107,
  ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
  ECANCELED: 125,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** Aliases accepted on input; output always uses the canonical name above. */
export const ERRNO_ALIASES: Record<string, number> = { ENOTSUP: 95, EWOULDBLOCK: 11, EDEADLOCK: 35 };

const BY_NUMBER = new Map<number, string>(Object.entries(ERRNO).map(([n, v]) => [v, n]));

/** 'EACCES' for 13; the number as text when unknown. */
export function errnoName(errno: number): string {
  return BY_NUMBER.get(Math.abs(errno)) ?? String(Math.abs(errno));
}

/** A return value for people: "0", "3", "-EACCES". */
export function formatRet(ret: number): string {
  return ret < 0 ? `-${errnoName(-ret)}` : String(ret);
}
