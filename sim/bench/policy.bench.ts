// Policy compiler: compile + proof time per shipped policy (target 20 ms each), and
// policy-random.bench.ts has the campaign of random policies.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, cpus } from 'node:os';
import { measure, type BenchSuite } from './harness.ts';
import { parsePolicy } from '../../model/policy/parse.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import { prove } from '../../model/policy/prove.ts';
import { assetPath } from '../package/layout.ts';

const DIR = assetPath('scenarios', 'policies');

export const suite: BenchSuite = {
  name: 'policy',
  run(b) {
    b.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.policy')).sort()) {
      const p = parsePolicy(f, readFileSync(join(DIR, f), 'utf8'));
      if (!p.ok) throw new Error(p.error[0].message);
      const m = measure(`compile + proof: ${f}`, (n) => {
        let ok = 0;
        for (let i = 0; i < n; i++) {
          const c = compilePolicy(p.value);
          if (c.ok && prove(c.value).ok) ok++;
        }
        return ok;
      }, { runs: 5, targetMs: 200 });
      b.record(m, `(${p.value.kernels.length} target kernels; target <= 20 ms)`);
    }
  },
};

