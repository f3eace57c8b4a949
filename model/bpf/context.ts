// Building a filter context by field name: bytes laid out as struct io_uring_bpf_ctx
// (host little-endian, network order for the connect fields that are __be), then
// read back as the little-endian words a program loads.

import { err, ok, rfError, type Result } from '../errors.ts';
import type { CtxField, CtxLayout } from '../abi/ctx.ts';

export function findField(layout: CtxLayout, name: string): CtxField | undefined {
  return layout.fields.find((f) => f.name === name);
}

/** Write `value` into `bytes` at the field's place; false when it does not fit the field. */
export function writeField(bytes: Uint8Array, f: CtxField, value: bigint): boolean {
  const bits = BigInt(f.size * 8);
  if (value < 0n) value = BigInt.asUintN(Number(bits), value);
  if (value >> bits !== 0n) return false;
  for (let b = 0; b < f.size; b++) {
    const byte = Number((value >> BigInt(8 * b)) & 0xffn);
    // little-endian: least significant byte first; network order: most significant first
    bytes[f.offset + (f.bigEndian ? f.size - 1 - b : b)] = byte;
  }
  return true;
}

/** The context as little-endian words. */
export function contextWords(bytes: Uint8Array): Uint32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = new Uint32Array(bytes.length / 4);
  for (let w = 0; w < words.length; w++) words[w] = dv.getUint32(w * 4, true);
  return words;
}

/** Pack named values into a context; an unknown name or a value too wide is an error. */
export function packContext(layout: CtxLayout, values: ReadonlyArray<[string, bigint]>): Result<Uint32Array> {
  const bytes = new Uint8Array(layout.size);
  for (const [name, v] of values) {
    const f = findField(layout, name);
    if (!f) return err(rfError('name', `unknown context field '${name}'`, undefined, layout.fields.map((x) => x.name).join(', ')));
    if (!writeField(bytes, f, v)) return err(rfError('range', `${v} does not fit '${name}' (${f.size} bytes)`));
  }
  return ok(contextWords(bytes));
}
