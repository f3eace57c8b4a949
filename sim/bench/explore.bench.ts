// Exploration throughput: distinct states per second at depth 6 (time-capped, so
// the figure is the rate over the first seconds of a depth-6 run, worker start-up
// included), with every CPU and with one thread; the same for a complete depth-4
// run (a fixed amount of work, so its CPU figure is comparable between runs); and
// how long the diff search takes to find the 7.2/7.3 copy-on-write difference and
// the 6.18/7.0 legacy split.

import type { BenchSuite } from './harness.ts';
import { DEFAULT_UNIVERSE, type UniverseSpec } from '../explore/universe.ts';
import type { ModelChoice } from '../explore/run.ts';
import { defaultWorkers, exploreSpec } from '../explore/parallel.ts';
import type { SubjectSpec } from '../explore/spec.ts';
import type { ExploreOptions, ExploreResult } from '../explore/result.ts';

const SECONDS = 8;

async function timed(subject: SubjectSpec, universe: UniverseSpec, opts: ExploreOptions, workers: number): Promise<{ r: ExploreResult; cpuS: number }> {
  const cpu0 = process.cpuUsage();
  const r = await exploreSpec({ subject, universe }, opts, workers);
  const cpu = process.cpuUsage(cpu0);
  return { r, cpuS: (cpu.user + cpu.system) / 1e6 };
}

export const suite: BenchSuite = {
  name: 'explore',
  async run(ctx) {
    const lean: UniverseSpec = { ...DEFAULT_UNIVERSE, denyRest: false, lifecycle: false };
    const all = defaultWorkers();
    const threads = all > 1 ? [all, 1] : [1];
    for (const model of ['kernel', 'reference'] as ModelChoice[]) {
      const subject: SubjectSpec = { kind: 'model', model, profile: '7.3' };
      const name = `${model}(7.3)`;
      for (const [label, spec] of [['default universe', DEFAULT_UNIVERSE], ['lean universe', lean]] as const) {
        for (const w of threads) {
          const { r, cpuS } = await timed(subject, spec, { depth: 6, timeLimitMs: SECONDS * 1000 }, w);
          ctx.figure(`${name} depth 6, ${label}, ${w} thread${w > 1 ? 's' : ''}`, r.states / (r.elapsedMs / 1000), 'states/s',
            `${r.states} states in ${(r.elapsedMs / 1000).toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU (${Math.round(r.states / cpuS)} states/cpu-s), ${r.complete ? 'complete' : 'capped'}`);
        }
      }
      for (const w of threads) {
        const { r, cpuS } = await timed(subject, DEFAULT_UNIVERSE, { depth: 4, timeLimitMs: 60_000 }, w);
        ctx.figure(`${name} depth 4 complete, default universe, ${w} thread${w > 1 ? 's' : ''}`, r.states / (r.elapsedMs / 1000), 'states/s',
          `${r.states} states, ${r.transitions} transitions, ${(r.elapsedMs / 1000).toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU (${Math.round(r.states / cpuS)} states/cpu-s)${r.complete ? '' : ', capped'}`);
      }
    }
    // Time to the first difference of a kind: the 7.3 copy-on-write snapshot, and the 7.0 legacy split.
    const diffs: [string, string, (k: string) => boolean, string][] = [
      ['7.2', '7.3', (k) => k.startsWith('cqes'), 'COW difference'],
      ['6.18', '7.0', (k) => k === 'register ret: -EACCES on 6.18, 0 on 7.0', 'legacy split'],
    ];
    for (const [a, b, want, what] of diffs) {
      for (const model of ['kernel', 'reference'] as ModelChoice[]) {
        for (const w of threads) {
          const { r, cpuS } = await timed({ kind: 'diff', model, a, b }, DEFAULT_UNIVERSE, { depth: 5, timeLimitMs: 30_000, wantKinds: want }, w);
          const f = r.findings.find((x) => want(x.kind));
          ctx.figure(`${model}(${a}) vs ${model}(${b}): time to the ${what}, ${w} thread${w > 1 ? 's' : ''}`, f ? f.foundAtMs / 1000 : NaN, 's',
            f ? `depth ${f.moves.length}: ${f.moves.join('; ')}; ${r.states} states, ${cpuS.toFixed(1)} s of CPU` : 'not found in 30 s');
        }
      }
    }
  },
};
