// Fixed-size bit sets as frozen arrays of u32 words: the register_op[38] and
// sqe_op[65] bitmaps of struct io_restriction. Values, never mutated once built.

import { copyOf } from '../pmap/copy.ts';

export type Bitmap = readonly number[];

export function emptyBitmap(bits: number): Bitmap {
  return Object.freeze(new Array<number>((bits + 31) >>> 5).fill(0));
}

export function testBit(b: Bitmap, bit: number): boolean {
  return ((b[bit >>> 5] ?? 0) >>> (bit & 31) & 1) === 1;
}

export function withBit(b: Bitmap, bit: number): Bitmap {
  const out = copyOf(b);
  out[bit >>> 5] = (out[bit >>> 5] | (1 << (bit & 31))) >>> 0;
  return Object.freeze(out);
}

export function bitsOf(b: Bitmap, bits: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits; i++) if (testBit(b, i)) out.push(i);
  return out;
}
