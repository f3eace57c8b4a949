// Cached kernels and the cached guest binary are re-checked against the hash recorded
// when they were made, at every use (issue 11 item 6); a mismatch is refetched or
// rebuilt with a message. Runs on a private cache (XDG_CACHE_HOME), no network.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedKernel, kernelDir, loadPins } from '../../sim/oracle/kernels/fetch.ts';
import { buildGuest } from '../../sim/oracle/build.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const cache = () => { const d = mkdtempSync(join(tmpdir(), 'rf-cache-')); dirs.push(d); return { XDG_CACHE_HOME: d } as NodeJS.ProcessEnv; };
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function plant(env: NodeJS.ProcessEnv, meta: Record<string, unknown>, bytes = 'ELF pretend vmlinux') {
  const pin = loadPins()['7.3'];
  const dir = kernelDir(pin, env);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vmlinux'), bytes);
  writeFileSync(join(dir, 'pin.json'), JSON.stringify({ profile: '7.3', ...pin, ...meta }));
  return { pin, dir };
}

describe('cached kernels', () => {
  it('a vmlinux matching the hash recorded at extraction is used', () => {
    const env = cache();
    const { dir } = plant(env, { vmlinuxSha256: sha('ELF pretend vmlinux') });
    expect(cachedKernel('7.3', env)?.vmlinux).toBe(join(dir, 'vmlinux'));
  });
  it('a changed vmlinux (same size) is not trusted, and the message says why', () => {
    const env = cache();
    const { dir } = plant(env, { vmlinuxSha256: sha('ELF pretend vmlinux') });
    writeFileSync(join(dir, 'vmlinux'), 'ELF pretend vmlinuX');
    const log: string[] = [];
    expect(cachedKernel('7.3', env, (l) => log.push(l))).toBeUndefined();
    expect(log.join('\n')).toMatch(/has sha256 [0-9a-f]{64}, not the [0-9a-f]{64} recorded when it was extracted; fetching it again/);
  });
  it('an entry without a recorded hash, or made from another package than pinned, is fetched again', () => {
    const env = cache();
    plant(env, {});
    expect(cachedKernel('7.3', env)).toBeUndefined();
    const env2 = cache();
    plant(env2, { sha256: '0'.repeat(64), vmlinuxSha256: sha('ELF pretend vmlinux') });
    expect(cachedKernel('7.3', env2)).toBeUndefined();
  });
});

const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;

describe.skipIf(!hasGcc)('the cached guest binary', () => {
  it('is rebuilt when it no longer matches the hash recorded at build time', () => {
    const env = cache();
    const first = buildGuest(env);
    if (!first.ok) throw new Error(first.error.message);
    const good = readFileSync(first.value);
    expect(readFileSync(`${first.value}.sha256`, 'utf8').trim()).toBe(sha(good));
    // Tampered: one byte changed in place.
    const bad = new Uint8Array(good);
    bad[bad.length - 1] ^= 0xff;
    writeFileSync(first.value, bad);
    const log: string[] = [];
    const again = buildGuest(env, (l) => log.push(l));
    expect(again.ok && again.value).toBe(first.value);
    expect(log.join('\n')).toMatch(/not the [0-9a-f]{64} recorded when it was built; rebuilding it/);
    expect(sha(readFileSync(first.value))).toBe(sha(good));
    // And a clean one is used without a word.
    const quiet: string[] = [];
    expect(buildGuest(env, (l) => quiet.push(l)).ok).toBe(true);
    expect(quiet).toEqual([]);
  }, 60_000);
});
