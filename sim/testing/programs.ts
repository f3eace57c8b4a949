// fast-check generators of cBPF programs and filter contexts: ringfence's own property
// tests use them, and ringfence/testing offers them to users' suites.
import fc from 'fast-check';
import type { Insn } from '../../model/bpf/insn.ts';

/** Any 8 bytes: the round-trip properties must hold even for garbage. */
export const anyInsn: fc.Arbitrary<Insn> = fc.record({
  code: fc.integer({ min: 0, max: 0xffff }),
  jt: fc.integer({ min: 0, max: 255 }),
  jf: fc.integer({ min: 0, max: 255 }),
  k: fc.integer({ min: 0, max: 0xffffffff }),
});

// Interesting 32-bit values: the edges of unsigned arithmetic and small numbers.
export const u32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 31, 32, 33, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 40, 64),
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0, max: 0xffffffff }),
);

const ALU_K = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0xa4];
const ALU_X = [0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x6c, 0x7c, 0xac];
const JMP = [0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d];

/**
 * A program io_uring accepts (valid against the `ctxSize` context): straight-line
 * instructions from its allow list, forward jumps within range, scratch cells
 * written in a prologue before any read, and a final return.
 */
export function validProgram(ctxSize = 40, maxLen = 24): fc.Arbitrary<Insn[]> {
  return fc.record({
    cells: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { minLength: 0, maxLength: 4 }),
    body: fc.array(fc.tuple(fc.integer({ min: 0, max: 99 }), u32, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { minLength: 0, maxLength: maxLen }),
    last: fc.tuple(fc.boolean(), u32),
  }).map(({ cells, body, last }) => {
    const out: Insn[] = cells.map((c, n) => ({ code: n % 2 ? 0x03 : 0x02, jt: 0, jf: 0, k: c }));
    const total = out.length + body.length + 1;
    for (const [pick, v, jt, jf] of body) {
      const pc = out.length;
      const room = total - pc - 1; // instructions after this one
      const k = v >>> 0;
      if (pick < 25) out.push({ code: ALU_K[pick % ALU_K.length], jt: 0, jf: 0, k: fixAlu(ALU_K[pick % ALU_K.length], k) });
      else if (pick < 40) out.push({ code: ALU_X[pick % ALU_X.length], jt: 0, jf: 0, k: 0 });
      else if (pick < 55) out.push({ code: JMP[pick % JMP.length], jt: jt % Math.min(room, 256), jf: jf % Math.min(room, 256), k: (pick % 2) ? 0 : k });
      else if (pick < 58) out.push({ code: 0x05, jt: 0, jf: 0, k: k % room });
      else if (pick < 70) out.push({ code: 0x20, jt: 0, jf: 0, k: (k % (ctxSize / 4)) * 4 });
      else if (pick < 76) out.push({ code: pick % 2 ? 0x00 : 0x01, jt: 0, jf: 0, k });
      else if (pick < 80) out.push({ code: pick % 2 ? 0x80 : 0x81, jt: 0, jf: 0, k: 0 });
      else if (pick < 84) out.push({ code: pick % 2 ? 0x07 : 0x87, jt: 0, jf: 0, k: 0 });
      else if (pick < 86) out.push({ code: 0x84, jt: 0, jf: 0, k: 0 });
      else if (pick < 90) out.push({ code: pick % 2 ? 0x02 : 0x03, jt: 0, jf: 0, k: k % 16 });
      else if (pick < 95 && cells.length) out.push({ code: pick % 2 ? 0x60 : 0x61, jt: 0, jf: 0, k: cells[k % cells.length] });
      else out.push({ code: pick % 2 ? 0x06 : 0x16, jt: 0, jf: 0, k: pick % 2 ? k : 0 });
    }
    out.push({ code: last[0] ? 0x06 : 0x16, jt: 0, jf: 0, k: last[0] ? last[1] >>> 0 : 0 });
    return out;
  });
}

function fixAlu(code: number, k: number): number {
  if (code === 0x34) return k === 0 ? 1 : k; // div #0 is rejected
  if (code === 0x64 || code === 0x74) return k % 32; // shifts by 32+ are rejected
  return k;
}

/** A context whose words are often the constants a program compares against. */
export function ctxFor(insns: readonly Insn[], words = 10): fc.Arbitrary<Uint32Array> {
  const ks = [...new Set(insns.map((i) => i.k >>> 0))];
  const word = ks.length ? fc.oneof(u32, fc.constantFrom(...ks)) : u32;
  return fc.array(word, { minLength: words, maxLength: words }).map((w) => Uint32Array.from(w));
}
