// The pure pieces of the distributed modes: slices cover the work exactly once, URLs
// and --shard are parsed with ranges, and merging outcomes counts each trace once.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseShard, sliceOf } from '../../sim/distributed/shard.ts';
import { parseQueueUrl } from '../../sim/distributed/queue.ts';
import { mergeOutcomes, type TraceOutcome } from '../../sim/distributed/campaign.ts';
import { hashedTextNumber } from '../../sim/distributed/explore.ts';
import { walkSeed } from '../../sim/distributed/swarm.ts';

describe('sliceOf', () => {
  it('cuts 0..n into contiguous slices that cover every item once', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 300 }), (n, count) => {
      const seen = new Array(n).fill(0);
      let prevTo = 0;
      for (let index = 0; index < count; index++) {
        const { from, to } = sliceOf(n, { index, count });
        expect(from).toBe(prevTo);
        expect(to - from === Math.floor(n / count) || to - from === Math.ceil(n / count)).toBe(true);
        for (let k = from; k < to; k++) seen[k]++;
        prevTo = to;
      }
      expect(prevTo).toBe(n);
      expect(seen.every((c) => c === 1)).toBe(true);
    }));
  });
});

describe('parseShard', () => {
  it('takes I/N, /N with JOB_COMPLETION_INDEX, or both Kubernetes variables', () => {
    expect(parseShard('2/5', {})).toEqual({ ok: true, value: { index: 2, count: 5 } });
    expect(parseShard(undefined, {})).toEqual({ ok: true, value: null });
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '3' })).toEqual({ ok: true, value: null });
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '3', JOB_COMPLETION_TOTAL: '4' })).toEqual({ ok: true, value: { index: 3, count: 4 } });
    expect(parseShard('/8', { JOB_COMPLETION_INDEX: '7' })).toEqual({ ok: true, value: { index: 7, count: 8 } });
  });
  it('refuses what is out of range, with the rule in the message', () => {
    for (const bad of ['5/5', '1/0', 'x/3', '1/100001', '/3', '-1/3', '1.5/3']) {
      const r = parseShard(bad, {});
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('usage');
    }
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '4', JOB_COMPLETION_TOTAL: '4' }).ok).toBe(false);
  });
});

describe('parseQueueUrl', () => {
  it('reads host, port, database and credentials', () => {
    const r = parseQueueUrl('redis://u:p%40ss@10.0.0.5:6380/2');
    expect(r.ok && r.value).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'u', password: 'p@ss' });
    expect(parseQueueUrl('redis://localhost').ok && parseQueueUrl('redis://localhost')).toMatchObject({ value: { port: 6379, db: 0 } });
  });
  it('refuses other schemes, ports and databases out of range', () => {
    for (const bad of ['http://h:1', 'redis://h:70000', 'redis://h/16', 'redis://h/x', 'nonsense']) expect(parseQueueUrl(bad).ok).toBe(false);
  });
});

describe('mergeOutcomes', () => {
  const o = (profile: string, index: number, verdict: TraceOutcome['verdict'] = 'passed'): TraceOutcome => ({ profile, index, verdict, out: [] });
  const spec = { n: 3, profiles: ['7.2', '7.3'] };
  const all = ['7.2', '7.3'].flatMap((p) => [0, 1, 2].map((i) => o(p, i)));
  it('puts outcomes in campaign order and counts a repeated one once', () => {
    const shuffled = [...all].reverse().concat(all.slice(0, 2));
    const r = mergeOutcomes(spec, shuffled);
    expect(r.ok && r.value.map((x) => `${x.profile}/${x.index}`)).toEqual(all.map((x) => `${x.profile}/${x.index}`));
  });
  it('refuses a missing trace, one from outside, and two outcomes that disagree', () => {
    expect(mergeOutcomes(spec, all.slice(1)).ok).toBe(false);
    expect(mergeOutcomes(spec, [...all, o('7.3', 3)]).ok).toBe(false);
    expect(mergeOutcomes(spec, [...all, o('7.2', 1, 'failed')]).ok).toBe(false);
  });
});

describe('text numbers and walk seeds', () => {
  it('numbers texts by content: equal texts alike, distinct texts of a universe apart, \'\' as 0', () => {
    expect(hashedTextNumber('')).toBe(0);
    const texts = Array.from({ length: 2000 }, (_, i) => `n${i}`);
    const nums = texts.map(hashedTextNumber);
    expect(new Set(nums).size).toBe(texts.length);
    expect(texts.map(hashedTextNumber)).toEqual(nums);
    expect(nums.every((n) => n > 0 && n <= 0x7fffffff)).toBe(true);
  });
  it('gives every walk of a swarm its own seed', () => {
    const seeds = new Set(Array.from({ length: 10000 }, (_, k) => walkSeed(1, k)));
    expect(seeds.size).toBe(10000);
    expect(walkSeed(1, 5)).not.toBe(walkSeed(2, 5));
  });
});
