/**
 * `ringfence/kernel`: the simulated kernel as system calls. A kernel is made for one
 * profile; each call is made on behalf of a task, names fds by number and returns what
 * the real system call returns (a value, or -errno). Its state is an immutable world
 * value: read `kernel.world`, keep it, and `restore` it later to branch.
 *
 * @example
 * ```ts
 * import { createKernel, INIT_PID, OP, RESTRICTION, SETUP_FLAGS, blankSqe } from 'ringfence/kernel';
 *
 * const k = createKernel('7.3');
 * const ring = k.setup(INIT_PID, 8, SETUP_FLAGS.R_DISABLED);  // the ring's fd
 * k.registerRestrictions(INIT_PID, ring, [{ type: RESTRICTION.SQE_OP, value: OP.NOP }]);
 * k.enableRings(INIT_PID, ring);
 * const before = k.world;
 * k.queueSqe(INIT_PID, ring, blankSqe(OP.SOCKET, 1n));
 * k.enter(INIT_PID, ring);
 * const cqes = k.reapCqes(INIT_PID, ring);
 * console.log(cqes);                                            // [{ userData: 1n, res: -13, flags: 0 }]: -EACCES
 * k.restore(before);                                            // back to before the SQE
 * ```
 * @module ringfence/kernel
 */

import { createKernel as createSimKernel, type Kernel, type KernelOptions, type World } from '../syscall/kernel.ts';
import { toProfile, type ProfileLike } from './profile.ts';
import type { Sqe } from '../../model/ring/sqe.ts';

export { INIT_PID, type Pid, type Cqe, type Syscalls, type BpfRegistration } from '../syscall/api.ts';
export type { RestrictionEntry, SqeSpec, BpfRaw } from '../syscall/requests.ts';
export type { Kernel, KernelOptions, World, Sqe, ProfileLike };
export { PROFILES, PROFILE_NAMES, DEFAULT_PROFILE, getProfile, pduSizeFor, type KernelProfile, type ProfileName } from '../../model/profile/profiles.ts';
export { OP, OPCODE_NAMES, opcodeName, type OpcodeName } from '../../model/abi/opcodes.ts';
export { REG, REGISTER_OP_NAMES, registerOpName, type RegisterOpName } from '../../model/abi/register.ts';
export { ERRNO, errnoName, formatRet, type ErrnoName } from '../../model/abi/errno.ts';
export { SETUP_FLAGS, SQE_FLAGS, FILTER_FLAGS, RESTRICTION } from '../../model/abi/flags.ts';
export { AF, SOCK, IPPROTO } from '../../model/abi/net.ts';

/** A fresh simulated kernel of `profile` (a name such as '7.3' or a profile value), with `init` (pid 1, root) running. */
export function createKernel(profile: ProfileLike, opts: KernelOptions = {}): Kernel {
  return createSimKernel(toProfile(profile), opts);
}

/** An SQE of `opcode` with every field zero and user_data `ud`. */
export function blankSqe(opcode: number, ud: bigint): Sqe {
  return { opcode, flags: 0, ud, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n };
}
