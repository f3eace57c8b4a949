// Kernel profiles as data: one object per release whose behaviour ringfence
// reproduces (trace-format.md "Kernel profiles", kernel-semantics.md §9 and errata).
// Code asks a profile a question ("does cloning mark the source COW?"); it never
// compares profile names.

import { OP, IORING_OP_LAST } from '../abi/opcodes.ts';
import { IORING_REGISTER_LAST } from '../abi/register.ts';
import { CTX_V5, CTX_V7, type CtxLayout } from '../abi/ctx.ts';
import type { SocketProtocols } from '../net/socket.ts';

export type ProfileName = '6.18' | '7.0' | '7.1' | '7.2' | '7.3' | 'v5';

export interface KernelProfile {
  name: ProfileName;
  /** The Debian kernel the oracle boots for this profile, or null (v5: never released). */
  release: string | null;
  summary: string;

  /** IORING_REGISTER_BPF_FILTER exists (7.0+, v5). Without it: -EINVAL on a ring, and fd -1 too. */
  bpfFilters: boolean;
  /** Task-level registration on fd -1 (RESTRICTIONS and BPF_FILTER). */
  taskRestrictions: boolean;
  /** errno for IORING_REGISTER_RESTRICTIONS / BPF_FILTER on fd -1 where the kernel has no blind path. */
  noBlindErrno: number;

  /** The filter context's layout (size 40, or 64 in v5). */
  ctx: CtxLayout;
  /** Kernel payload size per opcode (filter_pdu_size); absent opcodes have none. */
  pduSizes: Readonly<Record<number, number>>;
  /** Which context payload the kernel populates per opcode (v5 populates SOCKET without a pdu_size). */
  payloads: Readonly<Record<number, 'socket' | 'open' | 'connect'>>;
  /** struct io_uring_bpf_filter has pdu_size/SZ_STRICT at offset 12 (7.0-final+). */
  pduNegotiation: boolean;
  /** Filter flags the import accepts. */
  filterFlagsMask: number;

  /** io_bpf_filter_clone marks the source COW too (7.3, fix 50b617ba). */
  cloneMarksSourceCow: boolean;
  /** A failed ring RESTRICTIONS parse keeps bpf_filters (7.0-final, aa35dd6bdd03). */
  restrictionsParseFailureKeepsBpf: boolean;
  /** A register-op allow list inherited from the task also binds R_DISABLED rings (7.2+ erratum 1). */
  inheritedRegListBindsDisabled: boolean;
  /** SOCKET payload type has SOCK_NONBLOCK/SOCK_CLOEXEC stripped (7.3 erratum 2). */
  socketTypeMasked: boolean;
  /** Task-level RESTRICTIONS/BPF_FILTER are checked against the task's own register list (7.3 erratum 4). */
  taskRegisterCheckedAgainstOwnList: boolean;
  /** Task registration needs no_new_privs or CAP_SYS_ADMIN (v6+; v5 had no check). */
  taskRegistrationPrivileged: boolean;
  /**
   * Legacy restriction semantics: '7.0' splits op and register classes and arms them at
   * registration; 'pre-7.0' uses one `registered` flag armed by ENABLE_RINGS.
   */
  legacy: '7.0' | 'pre-7.0';
  /**
   * A NOP whose IORING_NOP_FILE lookup fails posts -EBADF (7.1.13, 7.2.13, 7.3.4); older
   * kernels post the injected result and only mark the request failed (6.18.15, 7.0.4).
   */
  nopFileFailurePostsError?: boolean;
  /** Open flags OPENAT2 accepts beyond VALID_OPEN_FLAGS (0x4000000 on 7.2.13 and 7.3.4; none before). */
  openat2ExtraFlags?: number;
  /**
   * What socket(2) finds registered in the Debian cloud kernel with no modules loaded:
   * UDP-Lite (gone in 7.1) and the netlink protocols (oracle: 6.18.15 has 7, SELINUX;
   * 7.2.13 and 7.3.4 have 12, NETFILTER).
   */
  sockets: SocketProtocols;
  /** SENDMSG_FLAGS: the io_uring send flags (sqe->ioprio) SEND accepts (7.2.13 and 7.3.4 add IORING_RECVSEND_FIXED_BUF). */
  sendFlags: number;
  /** RECVMSG_FLAGS: the io_uring recv flags (sqe->ioprio) RECV accepts (7.2.13 and 7.3.4 add IORING_RECVSEND_FIXED_BUF). */
  recvFlags: number;
  /** RWF_SUPPORTED: the rw_flags bits kiocb_set_rw_flags knows (others are -EOPNOTSUPP). */
  rwfSupported: number;
  /** IORING_OP_LAST of this kernel when it differs from the ABI tables' (6.18: 63, no NOP128/URING_CMD128). */
  opLast?: number;
  /** IORING_REGISTER_LAST of this kernel when it differs from the ABI tables' (6.18: 36, no ZCRX_CTRL/BPF_FILTER). */
  registerOpLast?: number;
}

const PDU_7_0 = { [OP.SOCKET]: 12, [OP.OPENAT]: 24, [OP.OPENAT2]: 24 };
const PDU_7_2 = { ...PDU_7_0, [OP.CONNECT]: 24 };
const PAYLOAD_7_0 = { [OP.SOCKET]: 'socket', [OP.OPENAT]: 'open', [OP.OPENAT2]: 'open' } as const;
const PAYLOAD_7_2 = { ...PAYLOAD_7_0, [OP.CONNECT]: 'connect' } as const;

// NETLINK_ROUTE, USERSOCK, SOCK_DIAG, AUDIT, FIB_LOOKUP, CONNECTOR, KOBJECT_UEVENT, GENERIC.
const NETLINK_7_0 = [0, 2, 4, 9, 10, 11, 15, 16];
const SOCKETS_7_0: SocketProtocols = { udplite: true, netlink: NETLINK_7_0 };
const SOCKETS_7_1: SocketProtocols = { udplite: false, netlink: NETLINK_7_0 };
const SOCKETS_7_2: SocketProtocols = { udplite: false, netlink: [0, 2, 4, 9, 10, 11, 12, 15, 16] };

const P_7_0: KernelProfile = {
  name: '7.0',
  release: '7.0.4',
  summary: 'cBPF filters as released in 7.0: COW marks only the new holder; R_DISABLED bypasses every register allow list',
  bpfFilters: true,
  taskRestrictions: true,
  noBlindErrno: 0,
  ctx: CTX_V7,
  pduSizes: PDU_7_0,
  payloads: PAYLOAD_7_0,
  pduNegotiation: true,
  filterFlagsMask: 3,
  cloneMarksSourceCow: false,
  restrictionsParseFailureKeepsBpf: true,
  inheritedRegListBindsDisabled: false,
  socketTypeMasked: false,
  taskRegisterCheckedAgainstOwnList: false,
  taskRegistrationPrivileged: true,
  legacy: '7.0',
  sockets: SOCKETS_7_0,
  // POLL_FIRST, BUNDLE, SEND_VECTORIZED; IORING_RECVSEND_FIXED_BUF is refused (6.18.15, 7.0.4, 7.1.13: rw-more.trace).
  sendFlags: 0x31,
  recvFlags: 0x13,
  rwfSupported: 0x1ff,
};

export const PROFILES: Record<ProfileName, KernelProfile> = {
  '6.18': {
    ...P_7_0,
    name: '6.18',
    release: '6.18.15',
    summary: 'before cBPF filters: legacy ring restrictions only, pre-7.0 semantics; fd -1 is -EINVAL',
    bpfFilters: false,
    taskRestrictions: false,
    noBlindErrno: 22,
    pduSizes: {},
    payloads: {},
    legacy: 'pre-7.0',
    // Observed on 6.18.15 (oracle): sqe_op 63 and register_op 36 are -EINVAL, PIPE (62) exists.
    opLast: 63,
    registerOpLast: 36,
    sockets: { udplite: true, netlink: [0, 2, 4, 7, 9, 10, 11, 15, 16] },
  },
  '7.0': P_7_0,
  '7.1': {
    ...P_7_0,
    name: '7.1',
    release: '7.1.13',
    summary: 'as 7.0, except that a NOP whose file lookup fails posts -EBADF and UDP-Lite is gone',
    nopFileFailurePostsError: true,
    sockets: SOCKETS_7_1,
  },
  '7.2': {
    ...P_7_0,
    name: '7.2',
    release: '7.2.13',
    summary: 'adds the CONNECT payload; an allow list inherited from task restrictions also binds R_DISABLED rings',
    pduSizes: PDU_7_2,
    payloads: PAYLOAD_7_2,
    inheritedRegListBindsDisabled: true,
    nopFileFailurePostsError: true,
    openat2ExtraFlags: 0x4000000,
    sockets: SOCKETS_7_2,
    sendFlags: 0x35,
    recvFlags: 0x17,
  },
  '7.3': {
    ...P_7_0,
    name: '7.3',
    release: '7.3.4',
    summary: 'both holders marked COW; SOCKET type masked; task registration checked against the task register list',
    pduSizes: PDU_7_2,
    payloads: PAYLOAD_7_2,
    inheritedRegListBindsDisabled: true,
    cloneMarksSourceCow: true,
    socketTypeMasked: true,
    taskRegisterCheckedAgainstOwnList: true,
    sendFlags: 0x35,
    recvFlags: 0x17,
    nopFileFailurePostsError: true,
    openat2ExtraFlags: 0x4000000,
    sockets: SOCKETS_7_2,
  },
  v5: {
    ...P_7_0,
    name: 'v5',
    release: null,
    summary: 'the January 2026 patch set as posted: 64-byte context, no pdu_size; for teaching and history',
    ctx: CTX_V5,
    pduSizes: {},
    payloads: { [OP.SOCKET]: 'socket' },
    pduNegotiation: false,
    filterFlagsMask: 1,
    restrictionsParseFailureKeepsBpf: false,
    taskRegistrationPrivileged: false,
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** The default profile: the newest real release. */
export const DEFAULT_PROFILE: ProfileName = '7.3';

export function getProfile(name: string): KernelProfile | undefined {
  return (PROFILES as Record<string, KernelProfile>)[name];
}

/** IORING_OP_LAST for a profile. */
export function opLastFor(profile: KernelProfile): number {
  return profile.opLast ?? IORING_OP_LAST;
}

/** IORING_REGISTER_LAST for a profile. */
export function registerOpLastFor(profile: KernelProfile): number {
  return profile.registerOpLast ?? IORING_REGISTER_LAST;
}

/** The kernel payload size for an opcode under a profile (0 when none). */
export function pduSizeFor(profile: KernelProfile, opcode: number): number {
  return profile.pduSizes[opcode] ?? 0;
}
