// A worker killed with SIGKILL takes its guest with it: the guest (qemu, or here a
// `sleep` standing in for it) is started under `setpriv --pdeathsig KILL`
// (sim/oracle/child.ts). Without setpriv the child is started plainly.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS, ROOT, runCli, startRedis, startWorker, stopAll } from './servers.ts';

afterAll(stopAll);

const HAVE_SETPRIV = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).status === 0;

/** Whether pid is a live process (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Poll until the process is gone, for at most 10 s; gives whether it went. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Start the fixture parent; resolves with it and what it printed. */
function parent(env: Record<string, string>): Promise<{ kill: () => void; bound: boolean; child: number }> {
  const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/distributed/fixtures/bound-parent.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /bound=(true|false) child=(\d+)/.exec(out);
      if (m) res({ kill: () => p.kill('SIGKILL'), bound: m[1] === 'true', child: Number(m[2]) });
    });
    p.once('exit', () => rej(new Error(`the parent exited early: ${out}`)));
  });
}

describe('a guest dies with its worker', () => {
  it.skipIf(!HAVE_SETPRIV)('a bound child is killed when its parent is SIGKILLed', async () => {
    const p = await parent({});
    expect(p.bound).toBe(true);
    expect(alive(p.child)).toBe(true);
    p.kill();
    expect(await gone(p.child)).toBe(true);
  }, 60_000);

  it('without setpriv the child is started all the same (and outlives its parent)', async () => {
    // No PATH: `setpriv` is not found, /bin/sleep is named in full.
    const p = await parent({ PATH: '' });
    expect(p.bound).toBe(false);
    expect(alive(p.child)).toBe(true);
    p.kill();
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(p.child)).toBe(true);
    process.kill(p.child, 'SIGKILL');
  }, 60_000);

  it.skipIf(!HAVE_SETPRIV || !HAVE_REDIS)('a queue worker killed mid-job takes its stand-in guest along', async () => {
    const url = await startRedis();
    const w = startWorker(url, { RINGFENCE_FAKE_GUEST: 'sim,ms=30000,child' });
    await w.saw(/waiting for jobs/);
    const coord = runCli(['oracle', '--random', '5', '--kernel', '7.3', '--queue', url, '--batch', '5'], { RINGFENCE_FAKE_GUEST: 'sim' });
    await w.saw(/fake guest: child \d+/);
    const child = Number(/fake guest: child (\d+)/.exec(w.log.find((l) => /fake guest: child/.test(l))!)![1]);
    expect(alive(child)).toBe(true);
    w.proc.kill('SIGKILL');
    expect(await gone(child)).toBe(true);
    await stopAll();
    await coord;
  }, 120_000);
});
