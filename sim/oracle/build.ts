// Compile the guest program (gcc -O2 -static) once per source version, into the cache.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rfError, type Result } from '../../model/errors.ts';
import { cacheRoot } from './kernels/fetch.ts';
import { assetPath } from '../package/layout.ts';

export const GUEST_DIR = assetPath('sim', 'oracle', 'guest');
const SOURCES = ['guest.c', 'abi.h'];

/** The path of the static guest binary, compiling it first when its sources changed. */
export function buildGuest(env = process.env): Result<string> {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(GUEST_DIR, f)));
  const out = join(cacheRoot(env), 'guest', `guest-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return { ok: true, value: out };
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O2', '-Wall', '-static', '-o', tmp, join(GUEST_DIR, 'guest.c')], { encoding: 'utf8' });
  if (r.error) {
    return { ok: false, error: rfError('io', `cannot run gcc: ${r.error.message}`, undefined, 'gcc and libc6-dev (apt-get install gcc libc6-dev)') };
  }
  if (r.status !== 0) {
    return { ok: false, error: rfError('io', `gcc failed to build the guest program:\n${r.stderr}`, undefined, 'gcc and libc6-dev with a static libc.a (apt-get install gcc libc6-dev)') };
  }
  renameSync(tmp, out);
  return { ok: true, value: out };
}
