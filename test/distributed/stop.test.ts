// How a `ringfence worker` stops: at once when it has nothing in hand (also when
// Redis cannot be reached, where a graceful close used to wait for ever), after the
// job in hand on one signal, and without waiting for it on a second.

import { afterAll, describe, expect, it } from 'vitest';
import { freePort, HAVE_REDIS, NO_REDIS_MESSAGE, runCli, startRedis, startWorker, stopAll, type RunningWorker } from './servers.ts';

afterAll(stopAll);

/** The worker's exit code, or 'running' if it has not exited within ms. */
function exitWithin(w: RunningWorker, ms: number): Promise<number | 'running'> {
  if (w.proc.exitCode !== null) return Promise.resolve(w.proc.exitCode);
  return new Promise((res) => {
    const t = setTimeout(() => res('running'), ms);
    w.proc.once('exit', (code) => { clearTimeout(t); res(code ?? -1); });
  });
}

describe('ringfence worker stops', () => {
  it('at once on SIGTERM when Redis cannot be reached', async () => {
    const w = startWorker(`redis://127.0.0.1:${await freePort()}`, {}); // nothing listens there
    await w.saw(/waiting for jobs/);
    // Long enough for the connection to have failed and been retried.
    await w.saw(/ECONNREFUSED/);
    w.proc.kill('SIGTERM');
    expect(await exitWithin(w, 10_000)).toBe(0);
  }, 30_000);

  it.skipIf(!HAVE_REDIS)('after the job in hand on SIGTERM, and without waiting for it on a second', async () => {
    const url = await startRedis();
    // Each trace takes the fake guest 2 s: a batch of 5 is 10 s of work in hand.
    const w = startWorker(url, { RINGFENCE_FAKE_GUEST: 'sim,ms=2000' });
    await w.saw(/waiting for jobs/);
    void runCli(['oracle', '--random', '5', '--seed', '1', '--kernel', '7.3', '--queue', url, '--batch', '5'], { RINGFENCE_FAKE_GUEST: 'sim' });
    await w.saw(/: traces 0\.\.4 on 7\.3/);
    w.proc.kill('SIGTERM');
    await w.saw(/stopping once the job in hand is finished/);
    // Still at work: the first signal waits for the job.
    expect(await exitWithin(w, 1000)).toBe('running');
    w.proc.kill('SIGTERM');
    expect(await exitWithin(w, 5000)).toBe(0);
    expect(w.log.some((l) => /stopped without finishing the job in hand/.test(l))).toBe(true);
  }, 60_000);

  it.skipIf(!HAVE_REDIS)('with nothing in hand, at once while Redis is up', async () => {
    const url = await startRedis();
    const w = startWorker(url, {});
    await w.saw(/waiting for jobs/);
    w.proc.kill('SIGINT');
    expect(await exitWithin(w, 10_000)).toBe(0);
    expect(w.log.some((l) => /stopping once/.test(l))).toBe(false);
  }, 30_000);

  it.runIf(!HAVE_REDIS)('says why the Redis tests did not run', () => {
    console.warn(NO_REDIS_MESSAGE);
  });
});
