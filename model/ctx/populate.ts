// io_uring_populate_bpf_ctx (kernel-semantics.md §4.3): the words a filter sees.
// Loads are host-order (little-endian) 32-bit words, so each field is placed where
// a little-endian load of its word finds it. The opcode's payload is filled only
// when the profile's kernel has a populate handler for it.

import { AF } from '../abi/net.ts';
import type { KernelProfile } from '../profile/profiles.ts';
import type { Sqe } from '../ring/sqe.ts';

const lo = (v: bigint) => Number(v & 0xffffffffn);
const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const TWO32 = 2 ** 32;
const TWO53 = 2 ** 53;

/** What populate needs of a profile, as flat per-opcode tables (built once per profile). */
export interface CtxPlan {
  /** 16 words (the v5 layout) or 10. */
  readonly words: number;
  readonly v5: boolean;
  /** filter_pdu_size per opcode. */
  readonly pdu: Uint8Array;
  /** Payload handler per opcode: 0 none, 1 socket, 2 open, 3 connect. */
  readonly payload: Uint8Array;
  readonly socketTypeMasked: boolean;
}

const PAYLOAD_CODE = { socket: 1, open: 2, connect: 3 } as const;
const plans = new WeakMap<KernelProfile, CtxPlan>();

export function ctxPlan(profile: KernelProfile): CtxPlan {
  let p = plans.get(profile);
  if (!p) {
    const pdu = new Uint8Array(256);
    const payload = new Uint8Array(256);
    for (let op = 0; op < 256; op++) {
      pdu[op] = profile.pduSizes[op] ?? 0;
      const k = profile.payloads[op];
      payload[op] = k ? PAYLOAD_CODE[k] : 0;
    }
    p = { words: profile.ctx.size / 4, v5: profile.ctx.name === 'v5', pdu, payload, socketTypeMasked: profile.socketTypeMasked };
    plans.set(profile, p);
  }
  return p;
}

/**
 * Fill `out` (ctx.size/4 words) with the context for this request. `sqeFlags` is
 * req->flags after prep (kernel-added ASYNC included); `open` the prepared
 * open_how for OPENAT/OPENAT2.
 */
export function populateCtx(
  out: Uint32Array,
  plan: CtxPlan | KernelProfile,
  sqe: Sqe,
  sqeFlags: number,
  open?: { flags: bigint; mode: bigint; resolve: bigint },
): Uint32Array {
  return fillCtx(out, 'ctx' in plan ? ctxPlan(plan) : plan, sqe, sqeFlags, open);
}

/** populateCtx with the plan already made (the submission hot path). */
export function fillCtx(
  out: Uint32Array,
  p: CtxPlan,
  sqe: Sqe,
  sqeFlags: number,
  open?: { flags: bigint; mode: bigint; resolve: bigint },
): Uint32Array {
  for (let i = 3; i < out.length; i++) out[i] = 0;
  const flags = sqeFlags & 0x7f;
  // user_data words without BigInt arithmetic when it is below 2^53 (Number() is
  // exact there, and rounding keeps larger values at or above 2^53).
  const ud = sqe.ud;
  const n = Number(ud);
  let udLo: number, udHi: number;
  if (n >= 0 && n < TWO53) {
    udLo = n >>> 0;
    udHi = (n / TWO32) >>> 0;
  } else {
    udLo = lo(ud);
    udHi = hi(ud);
  }
  const op = sqe.opcode & 0xff;
  if (p.v5) {
    // v5 layout: opcode and flags first, user_data at 8, no pdu_size.
    out[0] = op | (flags << 8);
    out[1] = 0;
    out[2] = udLo;
    out[3] = udHi;
  } else {
    out[0] = udLo;
    out[1] = udHi;
    out[2] = op | (flags << 8) | (p.pdu[op] << 16);
  }
  switch (p.payload[op]) {
    case 1: {
      out[4] = sqe.fd >>> 0;
      const type = lo(sqe.off);
      out[5] = p.socketTypeMasked ? type & 0xf : type;
      out[6] = sqe.len >>> 0;
      break;
    }
    case 2:
      if (open) {
        out[4] = lo(open.flags); out[5] = hi(open.flags);
        out[6] = lo(open.mode); out[7] = hi(open.mode);
        out[8] = lo(open.resolve); out[9] = hi(open.resolve);
      }
      break;
    case 3:
      populateConnect(out, sqe);
      break;
  }
  return out;
}

/** io_connect_bpf_populate: family always (when addr_len >= 2), port and address when long enough. */
function populateConnect(out: Uint32Array, sqe: Sqe): void {
  const len = Number(BigInt.asIntN(32, sqe.off));
  const b = sqe.sockaddr;
  if (len < 2 || !b) return;
  const at = (i: number) => (i < len && i < b.length ? b[i] : 0);
  const family = at(0) | (at(1) << 8);
  out[4] = family;
  const word = (i: number) => (at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24)) >>> 0;
  if (family === AF.AF_INET && len >= 16) {
    out[5] = at(2) | (at(3) << 8);
    out[6] = word(4);
  } else if (family === AF.AF_INET6 && len >= 28) {
    out[5] = at(2) | (at(3) << 8);
    for (let i = 0; i < 4; i++) out[6 + i] = word(8 + 4 * i);
  }
}
