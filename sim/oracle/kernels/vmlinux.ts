// From a bzImage to the ELF vmlinux that qemu boots through PVH. Booting the ELF
// skips the in-guest zstd decompressor, which saves about 0.5 s per boot under TCG.
//
// The x86 boot protocol's setup header says where the compressed payload is
// (payload_offset/payload_length, relative to the protected-mode code, which starts
// after the setup sectors); the build appends the uncompressed size as a
// little-endian u32 to the payload, which we use to check the result.

import { spawnSync } from 'node:child_process';
import { rfError, type Result } from '../../../model/errors.ts';

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export interface Payload {
  /** The zstd frame, without the appended size. */
  frame: Uint8Array;
  /** The uncompressed size the build recorded. */
  size: number;
}

/** Locate the zstd-compressed kernel inside a bzImage. */
export function bzImagePayload(bz: Uint8Array): Result<Payload> {
  const dv = new DataView(bz.buffer, bz.byteOffset, bz.byteLength);
  if (bz.length < 0x250 || dv.getUint32(0x202, true) !== 0x53726448 /* "HdrS" */) {
    return { ok: false, error: rfError('invalid', 'not a bzImage (no HdrS setup header)') };
  }
  const setupSects = bz[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + dv.getUint32(0x248, true);
  const len = dv.getUint32(0x24c, true);
  if (len < 8 || start + len > bz.length) {
    return { ok: false, error: rfError('invalid', 'bzImage payload lies outside the file') };
  }
  const p = bz.subarray(start, start + len);
  if (!ZSTD_MAGIC.every((b, i) => p[i] === b)) {
    return {
      ok: false,
      error: rfError('invalid', 'the bzImage payload is not zstd-compressed', undefined, 'a kernel built with CONFIG_KERNEL_ZSTD (Debian 6.x/7.x)'),
    };
  }
  return { ok: true, value: { frame: p.subarray(0, len - 4), size: dv.getUint32(start + len - 4, true) } };
}

/** Decompress with the zstd command (Debian's `zstd` package). */
export function extractVmlinux(bz: Uint8Array): Result<Uint8Array> {
  const p = bzImagePayload(bz);
  if (!p.ok) return p;
  const r = spawnSync('zstd', ['-dc'], { input: p.value.frame, maxBuffer: 512 << 20 });
  if (r.error) {
    return { ok: false, error: rfError('io', `cannot run zstd: ${r.error.message}`, undefined, 'the zstd command (apt-get install zstd)') };
  }
  if (r.status !== 0) return { ok: false, error: rfError('io', `zstd failed: ${String(r.stderr).trim()}`) };
  const out = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  if (out.length !== p.value.size || out[0] !== 0x7f || out[1] !== 0x45 || out[2] !== 0x4c || out[3] !== 0x46) {
    return { ok: false, error: rfError('invalid', `decompressed kernel is not the expected ELF of ${p.value.size} bytes`) };
  }
  return { ok: true, value: out };
}
