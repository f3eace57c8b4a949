// io_uring_enter (kernel-semantics.md §4, real-kernel-oracle.md §5.1): check
// order, links, CQE order, batch stop, SUBMIT_ALL, CQE_SKIP_SUCCESS.
import { describe, expect, it } from 'vitest';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION, SETUP_FLAGS, SQE_FLAGS, FILTER_FLAGS } from '../../model/abi/flags.ts';
import { AF, SOCK, O } from '../../model/abi/net.ts';
import { ALLOW, DENY_PROG, INIT, bpf, denyIfWord, kernel, noViolations, retWord, run, sqe } from './helpers.ts';

const EACCES = -13, ECANCELED = -125, EINVAL = -22, EBADFD = -77, EOPNOTSUPP = -95;
const LINK = SQE_FLAGS.IO_LINK, HARD = SQE_FLAGS.IO_HARDLINK, SKIP = SQE_FLAGS.CQE_SKIP_SUCCESS;

/** A ring whose filter denies NOPs with user_data 2 (and 5). */
function setup(profile = '7.3', flags = 0) {
  const k = kernel(profile);
  const fd = k.setup(INIT, 16, flags);
  bpf(k, INIT, fd, OP.NOP, denyIfWord(0, 2));
  bpf(k, INIT, fd, OP.NOP, denyIfWord(0, 5));
  return { k, fd };
}
const nop = (ud: number, flags = 0) => sqe(OP.NOP, ud, { flags });

describe('batch stop and SUBMIT_ALL (§4.4, oracle §5.1)', () => {
  it('[1, 2 denied, 3]: submit 2, 1 left; the next submit takes 3', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1), nop(2), nop(3)])).toEqual({ ret: 2, left: 1, cqes: [[1, 0], [2, EACCES]] });
    expect(run(k, INIT, fd, [])).toEqual({ ret: 1, left: 0, cqes: [[3, 0]] });
    noViolations(k);
  });
  it('SUBMIT_ALL takes all three at once', () => {
    const { k, fd } = setup('7.3', SETUP_FLAGS.SUBMIT_ALL);
    expect(run(k, INIT, fd, [nop(1), nop(2), nop(3)])).toEqual({ ret: 3, left: 0, cqes: [[1, 0], [2, EACCES], [3, 0]] });
  });
  it('an empty SQ submits 0; a disabled ring is -EBADFD', () => {
    const k = kernel('7.3');
    expect(run(k, INIT, k.setup(INIT, 8, 0), [])).toEqual({ ret: 0, left: 0, cqes: [] });
    const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
    k.queueSqe(INIT, fd, nop(1));
    expect(k.enter(INIT, fd)).toEqual({ ret: EBADFD, left: 1 });
  });
});

describe('links (§4.4) and the observed CQE order', () => {
  it('[1|LINK, 2|LINK denied, 3]: all consumed; 1 and 3 cancelled', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(2, LINK), nop(3)])).toEqual({ ret: 3, left: 0, cqes: [[1, ECANCELED], [2, EACCES], [3, ECANCELED]] });
  });
  it('[1|LINK, 2|LINK denied, 3, 4] posts 1, 4, 2, 3 (oracle §5.1 worked example)', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(2, LINK), nop(3), nop(4)]).cqes).toEqual([[1, ECANCELED], [4, 0], [2, EACCES], [3, ECANCELED]]);
  });
  it('[1|LINK, 2 denied, 3]: the chain ends at 2 and the batch stops', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(2), nop(3)])).toEqual({ ret: 2, left: 1, cqes: [[1, ECANCELED], [2, EACCES]] });
  });
  it('hardlinks are downgraded when the chain fails at submission', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, HARD), nop(2, HARD), nop(3)]).cqes).toEqual([[1, ECANCELED], [2, EACCES], [3, ECANCELED]]);
  });
  it('a healthy chain: the head completes inline, later members in follow-up rounds', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(3, LINK), nop(4), nop(6)]).cqes).toEqual([[1, 0], [6, 0], [3, 0], [4, 0]]);
  });
  it('two healthy chains advance one member per round each', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(3), nop(4, LINK), nop(6)]).cqes).toEqual([[1, 0], [4, 0], [3, 0], [6, 0]]);
  });
  it('a chain left open at the end of the submission runs from io-wq', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK), nop(3, LINK), nop(4)]).cqes).toEqual([[1, 0], [3, 0], [4, 0]]);
    expect(run(k, INIT, fd, [nop(6), nop(7, LINK), nop(8, LINK)]).cqes).toEqual([[6, 0], [7, 0], [8, 0]]);
  });
  it('a failure at issue cancels the rest of a soft chain; a hardlink chain continues', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    const badSock = (ud: number, flags: number) => sqe(OP.SOCKET, ud, { flags, fd: 99, off: 1n });
    expect(run(k, INIT, fd, [badSock(1, LINK), nop(2)]).cqes).toEqual([[1, -97], [2, ECANCELED]]);
    expect(run(k, INIT, fd, [badSock(1, HARD), nop(2)]).cqes).toEqual([[1, -97], [2, 0]]);
  });
});

describe('CQE_SKIP_SUCCESS (§4.4)', () => {
  it('a successful request posts nothing; a failed one posts', () => {
    const { k, fd } = setup('7.3', SETUP_FLAGS.SUBMIT_ALL);
    expect(run(k, INIT, fd, [nop(1, SKIP), nop(2, SKIP), nop(3)]).cqes).toEqual([[2, EACCES], [3, 0]]);
  });
  it('a chain head with CQE_SKIP_SUCCESS suppresses every member\'s CQE, its own -EACCES included (oracle §5.3)', () => {
    const { k, fd } = setup();
    expect(run(k, INIT, fd, [nop(1, LINK | SKIP), nop(2, LINK), nop(3), nop(4)]).cqes).toEqual([[1, ECANCELED], [4, 0]]);
  });
  it('after CQE_SKIP_SUCCESS, IO_DRAIN is -EOPNOTSUPP on that ring', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
    expect(run(k, INIT, fd, [nop(1, SKIP), nop(2, SQE_FLAGS.IO_DRAIN)]).cqes).toEqual([[2, EOPNOTSUPP]]);
  });
});

describe('check order (§4.1, §8.6-8.7)', () => {
  it('opcode >= IORING_OP_LAST is -EINVAL even with DENY_REST installed', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    bpf(k, INIT, fd, OP.NOP, ALLOW, FILTER_FLAGS.DENY_REST);
    expect(run(k, INIT, fd, [sqe(65, 1), sqe(OP.READ, 2)]).cqes).toEqual([[1, EINVAL]]);
    expect(run(k, INIT, fd, [sqe(OP.READ, 2)]).cqes).toEqual([[2, EACCES]]);
  });
  it('flag bit 7 is -EINVAL before restrictions', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    bpf(k, INIT, fd, OP.NOP, DENY_PROG);
    expect(run(k, INIT, fd, [nop(1, 0x80)]).cqes).toEqual([[1, EINVAL]]);
  });
  it('prep errors beat the filter; legacy denial beats prep errors', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    bpf(k, INIT, fd, OP.SOCKET, DENY_PROG);
    expect(run(k, INIT, fd, [sqe(OP.SOCKET, 1, { fd: AF.AF_INET, off: 1n, addr: 1n })]).cqes).toEqual([[1, EINVAL]]);
    const k2 = kernel('7.3');
    const fd2 = k2.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
    k2.registerRestrictions(INIT, fd2, [{ type: RESTRICTION.SQE_OP, value: OP.NOP }]);
    k2.enableRings(INIT, fd2);
    expect(run(k2, INIT, fd2, [sqe(OP.SOCKET, 1, { fd: AF.AF_INET, off: 1n, addr: 1n })]).cqes).toEqual([[1, EACCES]]);
  });
  it('the filter sees post-prep flags: OPENAT with O_CREAT carries ASYNC (§8.22)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    // allow iff sqe_flags == 0: ld [8]; rsh #8; and #0xff; jeq #0 allow deny
    bpf(k, INIT, fd, OP.OPENAT, [
      { code: 0x20, jt: 0, jf: 0, k: 8 }, { code: 0x74, jt: 0, jf: 0, k: 8 }, { code: 0x54, jt: 0, jf: 0, k: 0xff },
      { code: 0x15, jt: 0, jf: 1, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
    const open = (ud: number, opf: number) => sqe(OP.OPENAT, ud, { fd: -100, addr: 1n, path: '/tmp/x_async', opf, len: 0o644 });
    expect(run(k, INIT, fd, [open(1, O.O_RDONLY)]).cqes).toEqual([[1, -2]]);
    expect(run(k, INIT, fd, [open(2, O.O_CREAT | O.O_WRONLY)]).cqes).toEqual([[2, EACCES]]);
  });
  it('filters run newest first and stop at the first deny; a DENY slot stays denied (§8.1-8.4)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    bpf(k, INIT, fd, OP.NOP, ALLOW, FILTER_FLAGS.DENY_REST);
    bpf(k, INIT, fd, OP.SOCKET, ALLOW);
    expect(run(k, INIT, fd, [sqe(OP.SOCKET, 1, { fd: AF.AF_UNIX, off: BigInt(SOCK.SOCK_STREAM) })]).cqes).toEqual([[1, EACCES]]);
    // ret a of word 8: NOP without flags gives 0 (deny), with ASYNC 0x1000 (allow).
    const k2 = kernel('7.3');
    const fd2 = k2.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
    bpf(k2, INIT, fd2, OP.NOP, retWord(8));
    expect(run(k2, INIT, fd2, [nop(1), nop(2, SQE_FLAGS.ASYNC)]).cqes).toEqual([[1, EACCES], [2, 0]]);
  });
});

describe('results of issued requests', () => {
  it('NOP 0; NOP with an injected result; SOCKET the lowest free fd', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
    expect(run(k, INIT, fd, [nop(1), sqe(OP.NOP, 2, { opf: 1, len: 0xffffffea }), sqe(OP.SOCKET, 3, { fd: AF.AF_INET, off: 1n }), sqe(OP.SOCKET, 4, { fd: AF.AF_UNIX, off: 2n })]).cqes)
      .toEqual([[1, 0], [2, EINVAL], [3, 4], [4, 5]]);
  });
  it('CONNECT: AF_UNIX to a missing path -ENOENT; IP is unreachable in the guest (no lo, 7.3.4); a bad fd -EBADF', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
    run(k, INIT, fd, [sqe(OP.SOCKET, 1, { fd: AF.AF_UNIX, off: 1n }), sqe(OP.SOCKET, 2, { fd: AF.AF_INET, off: 1n })]);
    const un = new Uint8Array(110); un[0] = 1; un.set(new TextEncoder().encode('/tmp/none'), 2);
    const inet = new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(run(k, INIT, fd, [
      sqe(OP.CONNECT, 3, { fd: 5, addr: 1n, off: 16n, sockaddr: inet }),
      sqe(OP.CONNECT, 4, { fd: 4, addr: 1n, off: 12n, sockaddr: un }),
      sqe(OP.CONNECT, 5, { fd: 77, addr: 1n, off: 16n, sockaddr: inet }),
    ]).cqes).toEqual([[3, -101], [4, -2], [5, -9]]);
  });
  it('file_index with CLOEXEC is a prep error that beats a deny filter; without CLOEXEC and files, -ENXIO (7.3.4)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    const s = (ud: number, type: number) => sqe(OP.SOCKET, ud, { fd: AF.AF_INET, off: BigInt(type), fidx: 1 });
    expect(run(k, INIT, fd, [s(1, SOCK.SOCK_STREAM | SOCK.SOCK_CLOEXEC)]).cqes).toEqual([[1, EINVAL]]);
    expect(run(k, INIT, fd, [s(2, SOCK.SOCK_STREAM)]).cqes).toEqual([[2, -6]]);
    bpf(k, INIT, fd, OP.SOCKET, DENY_PROG);
    expect(run(k, INIT, fd, [s(3, SOCK.SOCK_STREAM | SOCK.SOCK_CLOEXEC)]).cqes).toEqual([[3, EINVAL]]);
    expect(run(k, INIT, fd, [s(4, SOCK.SOCK_STREAM)]).cqes).toEqual([[4, EACCES]]);
  });
  it('NOP with IORING_NOP_FILE on a bad fd posts -EBADF and cancels its link (7.3.4 oracle)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    expect(run(k, INIT, fd, [sqe(OP.NOP, 1, { opf: 2, fd: 99, flags: LINK }), nop(2)]).cqes).toEqual([[1, -9], [2, ECANCELED]]);
  });
  it('SQPOLL: enter reports to_submit; the SQ thread has not run when the next command looks (7.3.4 oracle)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SQPOLL);
    expect(run(k, INIT, fd, [nop(1), nop(2)])).toEqual({ ret: 2, left: 2, cqes: [] });
  });
  it('an opcode the model does not know completes with -EOPNOTSUPP and is reported', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    expect(run(k, INIT, fd, [sqe(OP.FALLOCATE, 1)]).cqes).toEqual([[1, EOPNOTSUPP]]);
    expect([...k.unmodelled]).toEqual(['FALLOCATE']);
  });
  it('a modelled opcode in a case the model cannot follow is reported too (READ waiting on a UDP socket)', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    expect(run(k, INIT, fd, [sqe(OP.SOCKET, 1, { fd: 2, off: 2n })]).cqes).toEqual([[1, 4]]);
    expect(run(k, INIT, fd, [sqe(OP.READ, 2, { fd: 4 })]).cqes).toEqual([[2, 0]]);
    expect([...k.unmodelled]).toEqual([]);
    expect(run(k, INIT, fd, [sqe(OP.READ, 3, { fd: 4, addr: 0x1000n, len: 8 })]).cqes).toEqual([[3, EOPNOTSUPP]]);
    expect([...k.unmodelled]).toEqual(['READ']);
  });
});
