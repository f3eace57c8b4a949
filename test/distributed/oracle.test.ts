// A random oracle campaign run three ways gives one output: on one machine, as three
// static slices merged with `ringfence merge`, and as jobs on a real Redis queue
// served by three worker processes, one of them killed in the middle of a job. The
// guest is the fake (sim/distributed/fake-guest.ts): the simulator's records with
// every `register` ret changed, so there are mismatches to print and shrink.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS, NO_REDIS_MESSAGE, runCli, startRedis, startWorker, stopAll } from './servers.ts';

const FAKE = { RINGFENCE_FAKE_GUEST: 'sim,differ=register' };
const CAMPAIGN = ['oracle', '--random', '90', '--seed', '3', '--kernel', '7.2,7.3'];

afterAll(stopAll);

describe('oracle --random, cut into pieces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-oracle-'));
  let one: { code: number; out: string };
  let oneJson: { code: number; out: string };

  it('runs whole on one machine', async () => {
    one = await runCli([...CAMPAIGN, '--out', 'shrunk'], FAKE, dir);
    expect(one.code).toBe(1);
    expect(one.out).toMatch(/^\d+ passed, [1-9]\d* failed$/m);
    expect(one.out).toMatch(/^shrunk rnd3_\d+ \[7\.3\]/m);
  }, 120_000);

  it('with --json, one object saying what the text says', async () => {
    oneJson = await runCli([...CAMPAIGN, '--out', 'shrunk', '--json'], FAKE, dir);
    expect(oneJson.code).toBe(one.code);
    const j = JSON.parse(oneJson.out) as { passed: number; failed: number; unstable: number; shrunk: string[]; details: string[]; kernels: string[] };
    // The text's last line is the counts; what comes before it is the details (an entry can span lines).
    const lines = one.out.trimEnd().split('\n');
    expect(`${j.passed} passed, ${j.failed} failed`).toBe(lines[lines.length - 1]);
    expect(j.details.join('\n')).toBe(lines.slice(0, -1).join('\n'));
    expect(j.kernels).toEqual(['7.2', '7.3']);
    expect(j.shrunk.length).toBe(lines.filter((l) => l.startsWith('shrunk ')).length);
  }, 120_000);

  it('static slices merged print exactly what one run prints', async () => {
    const codes = [];
    for (const i of [0, 1, 2]) codes.push((await runCli([...CAMPAIGN, '--out', 'shrunk', '--shard', `${i}/3`], FAKE, dir)).code);
    expect(codes.every((c) => c === 0 || c === 1)).toBe(true);
    const slices = readdirSync(join(dir, 'shrunk')).filter((f) => f.startsWith('oracle-slice-')).map((f) => join('shrunk', f));
    expect(slices.length).toBe(3);
    const merged = await runCli(['merge', ...slices], {}, dir);
    expect(merged.out).toBe(one.out);
    expect(merged.code).toBe(one.code);
    const mergedJson = await runCli(['merge', '--json', ...slices], {}, dir);
    expect(mergedJson.out).toBe(oneJson.out);
    expect(mergedJson.code).toBe(one.code);
    // A slice with --json says what it did as one object.
    const slice = await runCli([...CAMPAIGN, '--out', 'shrunk', '--shard', '1/3', '--json'], FAKE, dir);
    expect(JSON.parse(slice.out)).toMatchObject({ shard: '1/3', from: 30, to: 60, wrote: join('shrunk', 'oracle-slice-1-of-3.json') });
    // A slice missing is an error, not a smaller campaign.
    const part = await runCli(['merge', ...slices.slice(1)], {}, dir);
    expect(part.code).toBe(2);
    expect(part.err).toMatch(/no outcome for 60 trace/);
  }, 180_000);

  it.skipIf(!HAVE_REDIS)('on a Redis queue with three workers, one killed mid-job, prints the same', async () => {
    const url = await startRedis();
    const slow = { RINGFENCE_FAKE_GUEST: 'sim,differ=register,ms=300' };
    const ws = [0, 1, 2].map(() => startWorker(url, slow, ['--lock-seconds', '2']));
    await Promise.all(ws.map((w) => w.saw(/waiting for jobs/)));
    const coord = runCli([...CAMPAIGN, '--out', 'shrunk', '--queue', url, '--batch', '5'], FAKE, dir);
    // Kill worker 1 once it has a job in hand: the job must run again elsewhere.
    await ws[1].saw(/: traces \d+\.\.\d+ on/);
    ws[1].proc.kill('SIGKILL');
    const q = await coord;
    expect(q.err).toMatch(/oracle: 36\/36 jobs, 180\/180 traces/);
    expect(q.out).toBe(one.out);
    expect(q.code).toBe(one.code);
    const qj = await runCli([...CAMPAIGN, '--out', 'shrunk', '--queue', url, '--batch', '5', '--json'], FAKE, dir);
    expect(qj.out).toBe(oneJson.out);
    expect(qj.code).toBe(one.code);
    const killedJob = /worker: (\S+): traces/.exec(ws[1].log.find((l) => /: traces/.test(l))!)![1];
    const redone = [ws[0], ws[2]].some((w) => w.log.some((l) => l.includes(`worker: ${killedJob}: traces`)));
    expect(redone).toBe(true);
    const shrunk = readFileSync(join(dir, /shrunk rnd3_\d+ \[7\.2\].*: (\S+)$/m.exec(q.out)![1]), 'utf8');
    expect(shrunk).toMatch(/register/);
  }, 240_000);

  it.runIf(!HAVE_REDIS)('says why the queue test did not run', () => {
    console.warn(NO_REDIS_MESSAGE);
  });
});
