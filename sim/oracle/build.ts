// Compile the guest program (gcc -O2 -static) once per source version, into the cache.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rfError, type Result } from '../../model/errors.ts';
import { cacheRoot } from './kernels/fetch.ts';
import { assetPath } from '../package/layout.ts';

export const GUEST_DIR = assetPath('sim', 'oracle', 'guest');
const SOURCES = ['guest.c', 'abi.h'];

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * The path of the static guest binary, compiling it first when its sources changed.
 * The binary's sha256 is recorded beside it (`<binary>.sha256`) when built and checked
 * at every use (a millisecond for a 1 MB binary): a binary that changed, or one
 * without a recorded hash, is rebuilt (`log` says why).
 */
export function buildGuest(env = process.env, log: (s: string) => void = () => {}): Result<string> {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(GUEST_DIR, f)));
  const out = join(cacheRoot(env), 'guest', `guest-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) {
    const recorded = existsSync(`${out}.sha256`) ? readFileSync(`${out}.sha256`, 'utf8').trim() : null;
    const sum = sha256(readFileSync(out));
    if (recorded === sum) return { ok: true, value: out };
    log(recorded === null ? `the cached guest ${out} has no recorded hash; rebuilding it` : `the cached guest ${out} has sha256 ${sum}, not the ${recorded} recorded when it was built; rebuilding it`);
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O2', '-Wall', '-static', '-o', tmp, join(GUEST_DIR, 'guest.c')], { encoding: 'utf8' });
  if (r.error) {
    return { ok: false, error: rfError('io', `cannot run gcc: ${r.error.message}`, undefined, 'gcc and libc6-dev (apt-get install gcc libc6-dev)') };
  }
  if (r.status !== 0) {
    return { ok: false, error: rfError('io', `gcc failed to build the guest program:\n${r.stderr}`, undefined, 'gcc and libc6-dev with a static libc.a (apt-get install gcc libc6-dev)') };
  }
  // Hash first, then the binary: a binary never stands without its hash.
  writeFileSync(`${out}.sha256`, sha256(readFileSync(tmp)) + '\n');
  renameSync(tmp, out);
  return { ok: true, value: out };
}
