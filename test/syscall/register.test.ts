// io_uring_register paths (kernel-semantics.md §2 and the errata), table-driven.
import { describe, expect, it } from 'vitest';
import { OP, IORING_OP_LAST } from '../../model/abi/opcodes.ts';
import { REG } from '../../model/abi/register.ts';
import { RESTRICTION, SETUP_FLAGS, FILTER_FLAGS } from '../../model/abi/flags.ts';
import { ALLOW, DENY_PROG, INIT, bpf, kernel, noViolations, run, sqe } from './helpers.ts';

const R = RESTRICTION;
const EINVAL = -22, EBADF = -9, EACCES = -13, EPERM = -1, EBUSY = -16, EBADFD = -77, EMSGSIZE = -90, EEXIST = -17, EOPNOTSUPP = -95;

describe('blind path, fd -1 (§2.1.1, erratum 3)', () => {
  it.each([
    ['6.18', EINVAL, EINVAL],
    ['7.0', 0, 0],
    ['7.3', 0, 0],
  ])('%s: RESTRICTIONS %i, BPF_FILTER %i', (p, restr, filt) => {
    expect(kernel(p).registerRestrictions(INIT, -1, [{ type: R.SQE_OP, value: OP.NOP }])).toBe(restr);
    expect(bpf(kernel(p), INIT, -1, OP.NOP, ALLOW).ret).toBe(filt);
  });
  it('other register ops on fd -1 are -EINVAL; fd errors come after the opcode range check', () => {
    const k = kernel('7.3');
    expect(k.register(INIT, -1, REG.PROBE)).toBe(EINVAL);
    expect(k.register(INIT, 999, 38)).toBe(EINVAL);
    expect(k.register(INIT, 999, REG.PROBE)).toBe(EBADF);
    expect(k.register(INIT, 0, REG.PROBE)).toBe(EOPNOTSUPP);
  });
});

describe('task legacy restrictions (§2.3, §8.11)', () => {
  it('once per lineage: -EPERM after any set, checked before the privilege rule', () => {
    const k = kernel('7.2');
    expect(bpf(k, INIT, -1, OP.NOP, ALLOW).ret).toBe(0);
    expect(k.setresuid(INIT, 65534)).toBe(0);
    expect(k.registerRestrictions(INIT, -1, [])).toBe(EPERM);
  });
  it('privilege: no_new_privs or CAP_SYS_ADMIN; setresuid to non-zero drops the capability', () => {
    const k = kernel('7.2');
    expect(k.setresuid(INIT, 65534)).toBe(0);
    expect(k.registerRestrictions(INIT, -1, [])).toBe(EACCES);
    expect(bpf(k, INIT, -1, OP.NOP, ALLOW).ret).toBe(EACCES);
    expect(k.setNoNewPrivs(INIT)).toBe(0);
    expect(k.registerRestrictions(INIT, -1, [{ type: R.SQE_OP, value: OP.NOP }])).toBe(0);
    expect(k.setresuid(INIT, 0)).toBe(EPERM);
  });
  it('v5 has no privilege rule', () => {
    const k = kernel('v5');
    k.setresuid(INIT, 65534);
    expect(k.registerRestrictions(INIT, -1, [])).toBe(0);
  });
  it('7.3 checks the task\'s own register list first (erratum 4); 7.2 does not', () => {
    for (const [p, want] of [['7.2', 0], ['7.3', EACCES]] as const) {
      const k = kernel(p);
      expect(k.registerRestrictions(INIT, -1, [{ type: R.REGISTER_OP, value: REG.PROBE }])).toBe(0);
      expect(bpf(k, INIT, -1, OP.NOP, ALLOW)).toEqual(want === 0 ? { ret: 0, pdu: 0 } : { ret: want });
      // Listed: allowed on both.
      const k2 = kernel(p);
      k2.registerRestrictions(INIT, -1, [{ type: R.REGISTER_OP, value: REG.BPF_FILTER }]);
      expect(bpf(k2, INIT, -1, OP.NOP, ALLOW).ret).toBe(0);
    }
  });
});

describe('BPF import (§2.4 A) and pdu negotiation', () => {
  const cases: [string, Record<string, unknown>, number, number | undefined][] = [
    ['cmd_type 0', { raw: { cmd_type: 0 } }, EINVAL, undefined],
    ['cmd_flags 1', { raw: { cmd_flags: 1 } }, EINVAL, undefined],
    ['resv 1', { raw: { resv: 1 } }, EINVAL, undefined],
    ['opcode IORING_OP_LAST', { opcode: IORING_OP_LAST }, EINVAL, undefined],
    ['unknown filter flag 4', { flags: 4 }, EINVAL, undefined],
    ['filter resv bytes', { raw: { filter_resv: 1 } }, EINVAL, undefined],
    ['resv2', { raw: { resv2: 1n } }, EINVAL, undefined],
    ['filter_len 0', { raw: { len: 0 } }, EINVAL, undefined],
    ['filter_len 4097', { raw: { len: 4097 } }, EINVAL, undefined],
    ['NOP pdu 1: -EMSGSIZE, 0 written back', { pdu: 1 }, EMSGSIZE, 0],
    ['SOCKET pdu 13: bigger is -EMSGSIZE', { opcode: OP.SOCKET, pdu: 13 }, EMSGSIZE, 12],
    ['SOCKET pdu 8 strict: -EMSGSIZE', { opcode: OP.SOCKET, pdu: 8, flags: FILTER_FLAGS.SZ_STRICT }, EMSGSIZE, 12],
    ['SOCKET pdu 8 non-strict: accepted, 12 written back', { opcode: OP.SOCKET, pdu: 8 }, 0, 12],
    ['OPENAT2 24 strict', { opcode: OP.OPENAT2, pdu: 24, flags: FILTER_FLAGS.SZ_STRICT }, 0, 24],
    ['NULL filter_ptr after negotiation: pdu still written', { opcode: OP.SOCKET, raw: { ptrNull: true } }, EINVAL, 12],
    ['a program the checker refuses: pdu still written', { opcode: OP.SOCKET, insns: [{ code: 0x30, jt: 0, jf: 0, k: 0 }, ...ALLOW] }, EINVAL, 12],
    ['nr_args 2', { raw: { nr_args: 2 } }, EINVAL, undefined],
  ];
  for (const [name, o, want, pdu] of cases) {
    it(`ring: ${name}`, () => {
      const k = kernel('7.3');
      const fd = k.setup(INIT, 8, 0);
      const r = k.registerBpf(INIT, fd, { opcode: OP.NOP, flags: 0, pdu: null, insns: ALLOW, raw: {}, ...o } as never);
      expect(r).toEqual(pdu === undefined ? { ret: want } : { ret: want, pdu });
      // A failed registration leaves nothing behind.
      if (want !== 0) expect(k.world.filters.tables.size).toBe(0);
      noViolations(k);
    });
  }
  it('CONNECT has no payload before 7.2: pdu 24 is -EMSGSIZE with 0 written back', () => {
    for (const [p, want] of [['7.1', { ret: EMSGSIZE, pdu: 0 }], ['7.2', { ret: 0, pdu: 24 }]] as const) {
      const k = kernel(p);
      expect(bpf(k, INIT, k.setup(INIT, 8, 0), OP.CONNECT, ALLOW, 0, 24)).toEqual(want);
    }
  });
  it('v5: offset 12 is a u32 resv (non-zero pdu is -EINVAL), SZ_STRICT unknown, nothing written back', () => {
    const k = kernel('v5');
    const fd = k.setup(INIT, 8, 0);
    expect(bpf(k, INIT, fd, OP.SOCKET, ALLOW, 0, 12)).toEqual({ ret: EINVAL });
    expect(bpf(k, INIT, fd, OP.SOCKET, ALLOW, FILTER_FLAGS.SZ_STRICT)).toEqual({ ret: EINVAL });
    expect(bpf(k, INIT, fd, OP.SOCKET, ALLOW)).toEqual({ ret: 0 });
  });
  it('6.18: BPF_FILTER does not exist (-EINVAL, even on a bad fd)', () => {
    const k = kernel('6.18');
    expect(bpf(k, INIT, 999, OP.NOP, ALLOW).ret).toBe(EINVAL);
  });
});

describe('ring register preamble (§2.1.2, §6.3, erratum 1)', () => {
  it('SINGLE_ISSUER: another task gets -EEXIST for register and enter', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SINGLE_ISSUER);
    const child = k.fork(INIT).child!;
    expect(k.register(child, fd, REG.PROBE)).toBe(EEXIST);
    k.queueSqe(child, fd, sqe(OP.NOP, 1));
    expect(k.enter(child, fd)).toEqual({ ret: EEXIST, left: 1 });
    expect(k.enter(INIT, fd)).toEqual({ ret: 1, left: 0 });
  });
  it('SINGLE_ISSUER with R_DISABLED: the enabling task becomes the submitter', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SINGLE_ISSUER | SETUP_FLAGS.R_DISABLED);
    const child = k.fork(INIT).child!;
    expect(k.enableRings(child, fd)).toBe(0);
    expect(k.register(INIT, fd, REG.PROBE)).toBe(EEXIST);
  });
  it('an enabled ring with a register list: unlisted ops -EACCES, even ENABLE_RINGS/RESTRICTIONS before -EBADFD', () => {
    const k = kernel('7.0');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
    expect(k.registerRestrictions(INIT, fd, [{ type: R.REGISTER_OP, value: REG.ENABLE_RINGS }])).toBe(0);
    expect(bpf(k, INIT, fd, OP.NOP, DENY_PROG).ret).toBe(0); // disabled: bypassed (§8.12)
    expect(k.enableRings(INIT, fd)).toBe(0);
    expect(bpf(k, INIT, fd, OP.NOP, ALLOW).ret).toBe(EACCES);
    expect(k.registerRestrictions(INIT, fd, [])).toBe(EACCES);
    expect(k.enableRings(INIT, fd)).toBe(EBADFD);
    expect(k.register(INIT, fd, REG.PROBE)).toBe(EACCES);
  });
  it('a list inherited from the task binds R_DISABLED rings from 7.2 on', () => {
    for (const [p, want] of [['7.1', 0], ['7.2', EACCES], ['7.3', EACCES]] as const) {
      const k = kernel(p);
      k.registerRestrictions(INIT, -1, [{ type: R.REGISTER_OP, value: REG.PROBE }]);
      const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
      expect(k.enableRings(INIT, fd)).toBe(want);
      expect(k.register(INIT, fd, REG.PROBE)).toBe(0);
    }
  });
});

describe('ring legacy restrictions (§2.2, §8.13, §8.18)', () => {
  it('needs R_DISABLED (-EBADFD), once (-EBUSY), and returns 0', () => {
    const k = kernel('7.3');
    expect(k.registerRestrictions(INIT, k.setup(INIT, 8, 0), [])).toBe(EBADFD);
    const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
    expect(k.registerRestrictions(INIT, fd, [{ type: R.SQE_OP, value: OP.NOP }, { type: R.SQE_OP, value: OP.SOCKET }])).toBe(0);
    expect(k.registerRestrictions(INIT, fd, [])).toBe(EBUSY);
  });
  it('a ring that inherited task legacy restrictions is -EBUSY; one that inherited only filters is not', () => {
    const k = kernel('7.3');
    k.registerRestrictions(INIT, -1, [{ type: R.SQE_OP, value: OP.NOP }]);
    expect(k.registerRestrictions(INIT, k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED), [])).toBe(EBUSY);
    const k2 = kernel('7.3');
    bpf(k2, INIT, -1, OP.SOCKET, DENY_PROG);
    expect(k2.registerRestrictions(INIT, k2.setup(INIT, 8, SETUP_FLAGS.R_DISABLED), [])).toBe(0);
  });
  it('a parse failure keeps the ring\'s inherited filters (7.0-final) or drops them (v5, 7.0-merge)', () => {
    for (const [p, nopAfter] of [['7.0', EACCES], ['v5', 0]] as const) {
      const k = kernel(p);
      bpf(k, INIT, -1, OP.NOP, DENY_PROG);
      const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
      expect(k.registerRestrictions(INIT, fd, [{ type: 7, value: 0 }])).toBe(EINVAL);
      expect(bpf(k, INIT, fd, OP.SOCKET, ALLOW).ret).toBe(0);
      expect(k.enableRings(INIT, fd)).toBe(0);
      expect(run(k, INIT, fd, [sqe(OP.NOP, 1)]).cqes).toEqual([[1, nopAfter]]);
      const bug = k.violations.filter((v) => !v.knownKernelBug);
      expect(bug).toEqual([]);
    }
  });
  it('before 7.0 restrictions arm at ENABLE_RINGS, both classes at once (§9)', () => {
    const k = kernel('6.18');
    const fd = k.setup(INIT, 8, SETUP_FLAGS.R_DISABLED);
    expect(k.registerRestrictions(INIT, fd, [{ type: R.REGISTER_OP, value: REG.PROBE }])).toBe(0);
    expect(k.register(INIT, fd, REG.FILES)).toBe(0); // not armed yet
    expect(k.enableRings(INIT, fd)).toBe(0);
    expect(k.register(INIT, fd, REG.PROBE)).toBe(0);
    expect(k.register(INIT, fd, REG.UNREGISTER_FILES)).toBe(EACCES);
    expect(run(k, INIT, fd, [sqe(OP.NOP, 1)]).cqes).toEqual([[1, EACCES]]); // empty sqe_op bitmap denies all
  });
});

describe('other register ops with the guest\'s arguments', () => {
  it('PROBE 0; FILES then -EBUSY; UNREGISTER_FILES then -ENXIO; PERSONALITY ids; NULL-argument ops -EINVAL', () => {
    const k = kernel('7.3');
    const fd = k.setup(INIT, 8, 0);
    expect(k.register(INIT, fd, REG.PROBE)).toBe(0);
    expect(k.register(INIT, fd, REG.FILES)).toBe(0);
    expect(k.register(INIT, fd, REG.FILES)).toBe(EBUSY);
    expect(k.register(INIT, fd, REG.UNREGISTER_FILES)).toBe(0);
    expect(k.register(INIT, fd, REG.UNREGISTER_FILES)).toBe(-6);
    expect(k.register(INIT, fd, REG.PERSONALITY)).toBe(1);
    expect(k.register(INIT, fd, REG.PERSONALITY)).toBe(2);
    expect(k.register(INIT, fd, REG.BUFFERS)).toBe(EINVAL);
    expect(k.register(INIT, fd, REG.IOWQ_MAX_WORKERS)).toBe(0);
    // Observed on 7.3.4 (oracle probe): UNREGISTER_IOWQ_AFF 0, ZCRX_CTRL -EFAULT, QUERY 0.
    expect(k.register(INIT, fd, REG.UNREGISTER_IOWQ_AFF)).toBe(0);
    expect(k.register(INIT, fd, REG.ZCRX_CTRL)).toBe(-14);
    expect(k.register(INIT, fd, REG.QUERY)).toBe(0);
  });
});
