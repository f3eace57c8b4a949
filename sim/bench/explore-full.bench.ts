// A complete depth-6 exploration of the default universe on every CPU: about ten
// million distinct states, one and a half to two minutes and 1.7 GB on this machine. A fixed amount of
// work, so its rate moves less between runs than the 8-second figures of the
// explore suite (102,600 and 112,400 states/s in two runs on a quiet machine);
// opt-in (`npm run bench -- --only explore-full`) for its length.

import type { BenchSuite } from './harness.ts';
import { DEFAULT_UNIVERSE } from '../explore/universe.ts';
import { defaultWorkers, exploreSpec } from '../explore/parallel.ts';

export const suite: BenchSuite = {
  name: 'explore-full',
  optIn: true,
  async run(ctx) {
    const workers = defaultWorkers();
    const cpu0 = process.cpuUsage();
    const r = await exploreSpec({ subject: { kind: 'model', model: 'kernel', profile: '7.3' }, universe: DEFAULT_UNIVERSE }, { depth: 6 }, workers);
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    ctx.figure(`kernel(7.3) depth 6 complete, default universe, ${workers} thread${workers > 1 ? 's' : ''}`, r.states / (r.elapsedMs / 1000), 'states/s',
      `${r.states} states, ${r.transitions} transitions, ${(r.elapsedMs / 1000).toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)})${r.complete ? '' : ', capped'}`);
  },
};
