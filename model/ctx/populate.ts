// io_uring_populate_bpf_ctx (kernel-semantics.md §4.3): the words a filter sees.
// Loads are host-order (little-endian) 32-bit words, so each field is placed where
// a little-endian load of its word finds it. The opcode's payload is filled only
// when the profile's kernel has a populate handler for it.

import { AF } from '../abi/net.ts';
import type { KernelProfile } from '../profile/profiles.ts';
import { pduSizeFor } from '../profile/profiles.ts';
import type { Sqe } from '../ring/sqe.ts';

/** What prep decided, which the context reflects (§4.3, §8.21-22). */
export interface PreparedPayload {
  /** req->flags & 0x7f after prep (kernel-added ASYNC included). */
  sqeFlags: number;
  /** OPENAT/OPENAT2: the prepared open_how. */
  open?: { flags: bigint; mode: bigint; resolve: bigint };
}

const lo = (v: bigint) => Number(v & 0xffffffffn);
const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** Fill `out` (zeroed here) with the context for this request; `out` has ctx.size/4 words. */
export function populateCtx(out: Uint32Array, profile: KernelProfile, sqe: Sqe, prep: PreparedPayload): Uint32Array {
  out.fill(0);
  const flags = prep.sqeFlags & 0x7f;
  if (profile.ctx.name === 'v5') {
    out[0] = (sqe.opcode & 0xff) | (flags << 8);
    out[2] = lo(sqe.ud);
    out[3] = hi(sqe.ud);
  } else {
    out[0] = lo(sqe.ud);
    out[1] = hi(sqe.ud);
    out[2] = (sqe.opcode & 0xff) | (flags << 8) | ((pduSizeFor(profile, sqe.opcode) & 0xff) << 16);
  }
  switch (profile.payloads[sqe.opcode]) {
    case 'socket': {
      out[4] = sqe.fd >>> 0;
      const type = lo(sqe.off);
      out[5] = profile.socketTypeMasked ? type & 0xf : type;
      out[6] = sqe.len >>> 0;
      break;
    }
    case 'open': {
      const h = prep.open;
      if (h) {
        out[4] = lo(h.flags); out[5] = hi(h.flags);
        out[6] = lo(h.mode); out[7] = hi(h.mode);
        out[8] = lo(h.resolve); out[9] = hi(h.resolve);
      }
      break;
    }
    case 'connect':
      populateConnect(out, sqe);
      break;
    default:
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
