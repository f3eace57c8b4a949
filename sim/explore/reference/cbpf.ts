// The reference model's own reading of what a filter sees and how a classic BPF
// program runs (kernel-semantics.md §4.3, §5.4). Deliberately separate from
// model/bpf: the point of a reference is to be a second, independent statement.

import type { Insn } from '../../../model/bpf/insn.ts';
import type { KernelProfile } from '../../../model/profile/profiles.ts';
import { SOCK_TYPE_MASK } from '../../../model/abi/net.ts';

/** The facts about one request that the filter context is built from. */
export interface Request {
  opcode: number;
  /** Request flags after prep (& 0x7f). */
  flags: number;
  ud: bigint;
  /** SOCKET: fd, off, len of the SQE (domain, type, protocol). */
  fd: number;
  off: bigint;
  len: number;
}

/** The context words (host order, little-endian) for a request under a profile. */
export function buildCtx(p: KernelProfile, r: Request): Uint32Array {
  const w = new Uint32Array(p.ctx.size / 4);
  const lo = Number(r.ud & 0xffffffffn) >>> 0;
  const hi = Number((r.ud >> 32n) & 0xffffffffn) >>> 0;
  const pdu = p.pduSizes[r.opcode] ?? 0;
  if (p.ctx.name === 'v5') {
    w[0] = (r.opcode & 0xff) | ((r.flags & 0x7f) << 8);
    w[2] = lo;
    w[3] = hi;
  } else {
    w[0] = lo;
    w[1] = hi;
    w[2] = ((r.opcode & 0xff) | ((r.flags & 0x7f) << 8) | ((pdu & 0xff) << 16)) >>> 0;
  }
  if (p.payloads[r.opcode] === 'socket') {
    const type = Number(r.off & 0xffffffffn) >>> 0;
    w[4] = r.fd >>> 0;
    w[5] = p.socketTypeMasked ? type & SOCK_TYPE_MASK : type;
    w[6] = r.len >>> 0;
  }
  return w;
}

/** Run a (kernel-accepted) program over the context; the u32 it returns. */
export function runCbpf(prog: readonly Insn[], ctx: Uint32Array, ctxSize: number): number {
  let A = 0, X = 0, pc = 0;
  const M = new Uint32Array(16);
  for (;;) {
    const { code, jt, jf, k } = prog[pc];
    const cls = code & 7;
    if (cls === 0 || cls === 1) {
      // LD / LDX: IMM, ABS (word from ctx), MEM, LEN.
      const mode = code & 0xe0;
      let v: number;
      if (mode === 0x00) v = k;
      else if (mode === 0x20) v = ctx[k >>> 2];
      else if (mode === 0x60) v = M[k];
      else if (mode === 0x80) v = ctxSize;
      else throw new Error(`reference cbpf: load mode ${mode}`);
      if (cls === 0) A = v >>> 0; else X = v >>> 0;
      pc++;
    } else if (cls === 2) { M[k] = A; pc++; }
    else if (cls === 3) { M[k] = X; pc++; }
    else if (cls === 4) {
      const v = code & 8 ? X : k;
      switch (code & 0xf0) {
        case 0x00: A = (A + v) >>> 0; break;
        case 0x10: A = (A - v) >>> 0; break;
        case 0x20: A = Math.imul(A, v) >>> 0; break;
        case 0x30: if (v === 0) return 0; A = Math.floor(A / v) >>> 0; break;
        case 0x40: A = (A | v) >>> 0; break;
        case 0x50: A = (A & v) >>> 0; break;
        case 0x60: A = (A << (v & 31)) >>> 0; break;
        case 0x70: A = A >>> (v & 31); break;
        case 0x80: A = (0 - A) >>> 0; break;
        case 0xa0: A = (A ^ v) >>> 0; break;
        default: throw new Error(`reference cbpf: alu ${code}`);
      }
      pc++;
    } else if (cls === 5) {
      const op = code & 0xf0;
      if (op === 0x00) { pc += 1 + k; continue; }
      const v = (code & 8 ? X : k) >>> 0;
      const c = op === 0x10 ? A === v : op === 0x20 ? A > v : op === 0x30 ? A >= v : (A & v) !== 0;
      pc += 1 + (c ? jt : jf);
    } else if (cls === 6) {
      return (code & 0x18) === 0x10 ? A : k >>> 0;
    } else {
      if (code & 0x80) A = X; else X = A;
      pc++;
    }
  }
}
