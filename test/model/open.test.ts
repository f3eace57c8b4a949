// OPENAT/OPENAT2 on the trace world's file system (trace-format.md "The world a
// trace runs in"): the prepared open_how (§4.3) and the open result.
import { describe, expect, it } from 'vitest';
import { openat, openat2, buildOpenHow } from '../../model/ops/open.ts';
import type { OpEnv, Prepared } from '../../model/ops/env.ts';
import { INITIAL_FS } from '../../model/fs/fs.ts';
import { INIT_FDS } from '../../model/task/fd.ts';
import { NO_REGISTRATIONS, type Ring } from '../../model/ring/ring.ts';
import { EMPTY_SET } from '../../model/restriction/set.ts';
import { O, AT_FDCWD, RESOLVE } from '../../model/abi/net.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { profile, sqe } from '../syscall/helpers.ts';

const ring: Ring = { id: 1, flags: 0, sqEntries: 8, cqEntries: 16, disabled: false, submitter: null, rs: EMPTY_SET, opRestricted: false, regRestricted: false, regInherited: false, filterCache: null, fileRefs: 1, creator: 1, reg: NO_REGISTRATIONS };
const env = (uid = 0): OpEnv => ({ profile: profile('7.3'), ring, uid, cap: uid === 0, fds: INIT_FDS, fs: INITIAL_FS });
type Opened = { prep?: number; p?: Prepared; res?: number; deferred?: boolean };
const open = (path: string, flags: number, mode = 0, uid = 0, e = env(uid)): Opened => {
  const s = sqe(OP.OPENAT, 1, { fd: AT_FDCWD, addr: 1n, path, opf: flags, len: mode });
  const p = openat.prep(s, e);
  if (typeof p === 'number') return { prep: p };
  return { ...openat.issue(s, p, e, p.forceAsync), p };
};

describe('OPENAT prep (§4.3, §8.21-22)', () => {
  it('adds O_LARGEFILE unless O_PATH; zeroes mode without O_CREAT/__O_TMPFILE', () => {
    expect(buildOpenHow(O.O_RDONLY, 0o644)).toEqual({ flags: 0n, mode: 0n, resolve: 0n });
    expect(buildOpenHow(O.O_CREAT | O.O_WRONLY, 0o10644)).toEqual({ flags: BigInt(O.O_CREAT | O.O_WRONLY), mode: 0o644n, resolve: 0n });
    expect((open('/init', 0).p as Prepared).open!.flags).toBe(BigInt(O.O_LARGEFILE));
    expect((open('/init', O.O_PATH).p as Prepared).open!.flags).toBe(BigInt(O.O_PATH));
  });
  it('forces async for O_CREAT, O_TRUNC and __O_TMPFILE only', () => {
    expect((open('/tmp/a', O.O_CREAT | O.O_WRONLY, 0o600).p as Prepared).forceAsync).toBe(true);
    expect((open('/init', O.O_TRUNC).p as Prepared).forceAsync).toBe(true);
    expect((open('/init', 0).p as Prepared).forceAsync).toBe(false);
  });
  it('prep errors: empty path -ENOENT, no pointer -EFAULT, buf_index -EINVAL, FIXED_FILE -EBADF', () => {
    expect(open('', 0).prep).toBe(-2);
    expect(openat.prep(sqe(OP.OPENAT, 1), env())).toBe(-14);
    expect(openat.prep(sqe(OP.OPENAT, 1, { addr: 1n, path: '/init', buf: 1 }), env())).toBe(-22);
    expect(openat.prep(sqe(OP.OPENAT, 1, { addr: 1n, path: '/init', flags: 1 }), env())).toBe(-9);
  });
  it('OPENAT2 copies open_how unvalidated; a short size is -EINVAL', () => {
    const how = { flags: 0xffn << 40n, mode: 7n, resolve: 0x40n };
    const p = openat2.prep(sqe(OP.OPENAT2, 1, { addr: 1n, path: '/init', off: 2n, len: 24, how }), env()) as Prepared;
    expect(p.open).toEqual({ ...how, flags: how.flags | BigInt(O.O_LARGEFILE) });
    expect(openat2.prep(sqe(OP.OPENAT2, 1, { addr: 1n, path: '/init', off: 2n, len: 16, how }), env())).toBe(-22);
  });
});

describe('OPENAT issue on the trace world', () => {
  const cases: [string, string, number, number, number, number | 'fd'][] = [
    ['read /init', '/init', O.O_RDONLY, 0, 0, 'fd'],
    ['write /dev/null as nobody', '/dev/null', O.O_WRONLY, 0, 65534, 'fd'],
    ['/dev/console is 0600 root', '/dev/console', O.O_RDWR, 0, 65534, -13],
    ['/init is not writable by nobody', '/init', O.O_WRONLY, 0, 65534, -13],
    ['missing path', '/nope', 0, 0, 0, -2],
    ['missing parent', '/nope/x', O.O_CREAT | O.O_WRONLY, 0o644, 0, -2],
    ['a file as a directory', '/init/x', 0, 0, 0, -20],
    ['directory for writing', '/tmp', O.O_WRONLY, 0, 0, -21],
    ['O_DIRECTORY on a file', '/init', O.O_DIRECTORY, 0, 0, -20],
    ['O_CREAT|O_EXCL on an existing file', '/init', O.O_CREAT | O.O_EXCL | O.O_WRONLY, 0o644, 0, -17],
    ['O_CREAT on a directory', '/tmp', O.O_CREAT, 0, 0, -21],
    ['O_CREAT|O_DIRECTORY is -EINVAL', '/tmp/x', O.O_CREAT | O.O_DIRECTORY, 0, 0, -22],
    ['create in /tmp as nobody', '/tmp/n', O.O_CREAT | O.O_WRONLY, 0o600, 65534, 'fd'],
    ['create in / as nobody', '/n', O.O_CREAT | O.O_WRONLY, 0o600, 65534, -13],
    ['O_PATH skips permissions', '/dev/console', O.O_PATH, 0, 65534, 'fd'],
    ['O_TMPFILE in /tmp', '/tmp', O.O_TMPFILE | O.O_RDWR, 0o600, 0, 'fd'],
    ['O_TMPFILE needs write access', '/tmp', O.O_TMPFILE, 0, 0, -22],
    ['relative to AT_FDCWD (/)', 'tmp', O.O_DIRECTORY, 0, 0, 'fd'],
    ['.. stays at /', '/../init', 0, 0, 0, 'fd'],
  ];
  for (const [name, path, flags, mode, uid, want] of cases) {
    it(name, () => {
      const r = open(path, flags, mode, uid);
      expect('prep' in r ? r.prep : undefined).toBeUndefined();
      const res = (r as { res: number }).res;
      if (want === 'fd') expect(res).toBeGreaterThanOrEqual(3);
      else expect(res).toBe(want);
    });
  }
  it('a created file persists with mode & ~umask and is then opened inline', () => {
    const e = env(0);
    const r = open('/tmp/t1', O.O_CREAT | O.O_WRONLY, 0o666, 0, e) as { res: number; deferred: boolean };
    expect(r.res).toBe(3);
    expect(r.deferred).toBe(true);
    expect(e.fs.nodes.get('/tmp/t1')).toMatchObject({ kind: 'reg', mode: 0o644, uid: 0 });
    const again = open('/tmp/t1', O.O_RDONLY, 0, 0, e) as { res: number; deferred: boolean };
    expect(again.res).toBe(4);
    expect(again.deferred).toBe(false);
  });
  it('a missing path completes from io-wq (deferred); RESOLVE_CACHED gives -EAGAIN instead', () => {
    expect((open('/nope', 0) as { deferred: boolean }).deferred).toBe(true);
    const s = sqe(OP.OPENAT2, 1, { addr: 1n, path: '/nope', off: 2n, len: 24, how: { flags: 0n, mode: 0n, resolve: BigInt(RESOLVE.RESOLVE_CACHED) } });
    const e = env();
    const p = openat2.prep(s, e) as Prepared;
    expect(openat2.issue(s, p, e, false).res).toBe(-11);
  });
  it('RESOLVE_BENEATH refuses absolute paths with -EXDEV', () => {
    const s = sqe(OP.OPENAT2, 1, { addr: 1n, path: '/init', off: 2n, len: 24, how: { flags: 0n, mode: 0n, resolve: BigInt(RESOLVE.RESOLVE_BENEATH) } });
    const e = env();
    expect(openat2.issue(s, openat2.prep(s, e) as Prepared, e, false).res).toBe(-18);
  });
});
