// Exploration throughput: distinct states per second at depth 6 (time-capped, so
// the figure is the rate over the first seconds of a depth-6 run), the same for a
// complete depth-4 run (a fixed amount of work, so its CPU figure is comparable
// between runs), and how long the diff search takes to find the 7.2/7.3
// copy-on-write difference and the 6.18/7.0 legacy split.

import type { BenchSuite } from './harness.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { DEFAULT_UNIVERSE, type UniverseSpec } from '../explore/universe.ts';
import { makeDiffSubject, makeSubject, runExplore, type ModelChoice } from '../explore/run.ts';

const SECONDS = 4;

export const suite: BenchSuite = {
  name: 'explore',
  async run(ctx) {
    const p = getProfile('7.3')!;
    const lean: UniverseSpec = { ...DEFAULT_UNIVERSE, denyRest: false, lifecycle: false };
    for (const model of ['reference', 'kernel'] as ModelChoice[]) {
      for (const [label, spec] of [['default universe', DEFAULT_UNIVERSE], ['lean universe', lean]] as const) {
        const { subject, note } = await makeSubject(model, p);
        if (note) { ctx.line(`  (${note})`); break; }
        const cpu0 = process.cpuUsage();
        const r = runExplore(subject, spec, p, { depth: 6, timeLimitMs: SECONDS * 1000 });
        const cpu = process.cpuUsage(cpu0);
        const cpuS = (cpu.user + cpu.system) / 1e6;
        ctx.figure(`${subject.name} depth 6, ${label}`, r.states / (r.elapsedMs / 1000), 'states/s',
          `${r.states} states in ${(r.elapsedMs / 1000).toFixed(1)} s wall, ${r.complete ? 'complete' : 'capped'}`);
        // On a shared machine the wall-clock rate depends on the load; CPU time does less.
        ctx.figure(`${subject.name} depth 6, ${label}, per CPU second`, r.states / cpuS, 'states/cpu-s', `${cpuS.toFixed(1)} s of CPU`);
      }
      const { subject } = await makeSubject(model, p);
      const cpu0 = process.cpuUsage();
      const r = runExplore(subject, DEFAULT_UNIVERSE, p, { depth: 4, timeLimitMs: 60_000 });
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      ctx.figure(`${subject.name} depth 4 complete, default universe, per CPU second`, r.states / cpuS, 'states/cpu-s',
        `${r.states} states, ${r.transitions} transitions, ${cpuS.toFixed(1)} s of CPU, ${(r.elapsedMs / 1000).toFixed(1)} s wall${r.complete ? '' : ', capped'}`);
    }
    // Time to the first difference of a kind: the 7.3 copy-on-write snapshot, and the 7.0 legacy split.
    const diffs: [string, string, (k: string) => boolean, string][] = [
      ['7.2', '7.3', (k) => k.startsWith('cqes'), 'COW difference'],
      ['6.18', '7.0', (k) => k === 'register ret: -EACCES on 6.18, 0 on 7.0', 'legacy split'],
    ];
    for (const [a, b, want, what] of diffs) {
      for (const model of ['reference', 'kernel'] as ModelChoice[]) {
        const { subject, note } = await makeDiffSubject(model, getProfile(a)!, getProfile(b)!);
        if (note) { ctx.line(`  (${note})`); continue; }
        const cpu0 = process.cpuUsage();
        const r = runExplore(subject, DEFAULT_UNIVERSE, getProfile(a)!, { depth: 5, timeLimitMs: 30_000, wantKinds: want });
        const cpu = process.cpuUsage(cpu0);
        const f = r.findings.find((x) => want(x.kind));
        ctx.figure(`${subject.name}: time to the ${what}`, f ? f.foundAtMs / 1000 : NaN, 's',
          f ? `depth ${f.moves.length}: ${f.moves.join('; ')}; ${r.states} states, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU` : 'not found in 30 s');
      }
    }
  },
};
