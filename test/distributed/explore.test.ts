// `explore --queue`: the key space cut into partitions held by three worker processes
// on a real Redis server gives the single-machine search's JSON summary (states,
// transitions, per depth, findings), and a search whose worker dies fails cleanly.

import { afterAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import { BATCH_FORMAT, type PartJob } from '../../sim/distributed/explore.ts';
import { EXPLORE_QUEUE, parseQueueUrl } from '../../sim/distributed/queue.ts';
import { DEFAULT_UNIVERSE } from '../../sim/explore/universe.ts';
import { freePort, HAVE_REDIS, NO_REDIS_MESSAGE, runCli, startRedis, startWorker, stopAll } from './servers.ts';

afterAll(stopAll);

const summary = (out: string) => {
  const j = JSON.parse(out) as Record<string, unknown>;
  return { states: j.states, transitions: j.transitions, perDepth: j.perDepth, complete: j.complete, stoppedBy: j.stoppedBy,
    violations: (j.violations as { kind: string; moves: string[] }[]).map((v) => `${v.kind} @${v.moves.length}`) };
};

describe('a --queue URL where no Redis listens', () => {
  it('is one clear error and exit 2 for explore and oracle, not a wait for ever or the client\'s stack traces', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const ex = await runCli(['explore', '--depth', '2', '--json', '--queue', url]);
    expect(ex.code).toBe(2);
    expect(JSON.parse(ex.out.trim()).error.message).toMatch(/^cannot reach Redis at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    expect(ex.err).not.toMatch(/\n\s+at |ioredis/);
    const or = await runCli(['oracle', '--random', '4', '--kernel', '7.3', '--queue', url]);
    expect(or.code).toBe(2);
    expect(or.err).toMatch(/cannot reach Redis at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    expect(or.err).not.toMatch(/\n\s+at |ioredis/);
  }, 60_000);
});

describe.skipIf(!HAVE_REDIS)('explore --queue on three workers', () => {
  it('gives the single-machine counts at every depth, on two universes', async () => {
    const url = await startRedis();
    const ws = [0, 1, 2].map(() => startWorker(url, {}));
    await Promise.all(ws.map((w) => w.saw(/waiting for jobs/)));
    for (const args of [['--depth', '3'], ['--depth', '4', '--lean', '--tasks', '3', '--profile', '7.2']]) {
      const one = await runCli(['explore', ...args, '--json', '--workers', '1']);
      const dist = await runCli(['explore', ...args, '--json', '--queue', url, '--parts', '3']);
      expect(dist.code).toBe(one.code);
      expect(summary(dist.out)).toEqual(summary(one.out));
      // Keys kept in pieces (--compact-keys) dedupe exactly as whole keys do.
      const compact = await runCli(['explore', ...args, '--json', '--queue', url, '--parts', '3', '--compact-keys']);
      expect(summary(compact.out)).toEqual(summary(one.out));
      expect(ws.every((w) => w.log.some((l) => /part \d\/3 level 3/.test(l)))).toBe(true);
    }
    expect(ws.some((w) => w.log.some((l) => /part \d\/3 done: \d+ keys in \d+ pieces/.test(l)))).toBe(true);
  }, 240_000);

  it('without --parts has one part per connected worker, counted once the count holds still', async () => {
    const url = await startRedis();
    const ws = [0, 1].map(() => startWorker(url, {}));
    await Promise.all(ws.map((w) => w.saw(/waiting for jobs/)));
    const one = await runCli(['explore', '--depth', '3', '--json', '--workers', '1']);
    const dflt = await runCli(['explore', '--depth', '3', '--json', '--queue', url]);
    expect(dflt.err).toMatch(/explore: 2 workers connected \(the count held for 2 s\): one part each/);
    expect(dflt.err).toMatch(/2 parts queued/);
    expect(summary(dflt.out)).toEqual(summary(one.out));
  }, 240_000);

  it('without --parts and with no worker connected, says so instead of waiting for ever', async () => {
    const url = await startRedis();
    const r = await runCli(['explore', '--depth', '2', '--json', '--queue', url]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out.trim()).error.message).toMatch(/no 'ringfence worker' is connected .*give --parts N/);
  }, 120_000);

  it('a worker refuses a part whose coordinator writes batches in another format', async () => {
    const url = await startRedis();
    const w = startWorker(url, {});
    await w.saw(/waiting for jobs/);
    const parsed = parseQueueUrl(url);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const connection = parsed.value;
    const queue = new Queue<PartJob>(EXPLORE_QUEUE, { connection });
    const events = new QueueEvents(EXPLORE_QUEUE, { connection });
    try {
      await events.waitUntilReady();
      const data: PartJob = { id: 'older', part: 0, parts: 1, depth: 1, perKind: 1, format: BATCH_FORMAT - 1,
        spec: { subject: { kind: 'model', model: 'kernel', profile: '7.3' }, universe: DEFAULT_UNIVERSE } };
      const job = await queue.add('part', data, { attempts: 1 });
      await expect(job.waitUntilFinished(events)).rejects.toThrow(new RegExp(`batch format is ${BATCH_FORMAT}, the coordinator's ${BATCH_FORMAT - 1}`));
    } finally {
      await events.close();
      await queue.close();
    }
  }, 120_000);

  it('fails with a clear error when a part\'s worker is killed', async () => {
    const url = await startRedis();
    const ws = [0, 1, 2].map(() => startWorker(url, {}, ['--lock-seconds', '2']));
    await Promise.all(ws.map((w) => w.saw(/waiting for jobs/)));
    const run = runCli(['explore', '--depth', '5', '--json', '--queue', url, '--parts', '3']);
    await ws[1].saw(/part \d\/3 level 2/);
    ws[1].proc.kill('SIGKILL');
    const r = await run;
    expect(r.code).toBe(2);
    // With --json the error is a JSON object on standard output (docs/cli.md).
    expect(JSON.parse(r.out.trim().split('\n').pop()!).error.message).toMatch(/a part of the search failed/);
    expect(r.err + r.out).not.toMatch(/    at /);
  }, 240_000);
});

describe.runIf(!HAVE_REDIS)('explore --queue', () => {
  it('is not tested here', () => console.warn(NO_REDIS_MESSAGE));
});
