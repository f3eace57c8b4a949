// Start-up of the built command (issue 16: `help` <= 150 ms, `replay` of one scenario
// <= 250 ms wall): spawns the bin package.json names, as an installed package runs it,
// several times per command, with NODE_EXTRA_CA_CERTS as the environment has it and
// unset (node parses the whole CA bundle at start when it is set: ~150 ms that no code
// of ours can avoid), beside `node -e 0`, node's own start. tsc's unbundled CLI is
// measured too while dist/ has it, to show what the bundle saves.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { BenchContext, BenchSuite } from './harness.ts';
import { assetPath } from '../package/layout.ts';

const RUNS = 9;
const CA = 'NODE_EXTRA_CA_CERTS';

interface Timing { median: number; min: number }

/** Wall milliseconds of `node ARGS` over RUNS runs (after one unmeasured run), or an error text. */
function time(args: string[], env: NodeJS.ProcessEnv): Timing | string {
  const ms: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: assetPath() });
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) return `exit ${r.status ?? r.signal}: ${String(r.stderr).trim().split('\n')[0]}`;
    if (i > 0) ms.push(t);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[ms.length >> 1], min: ms[0] };
}

/** The largest bundled scenario: the most parsing and replaying one file asks for. */
function largestScenario(): string {
  const dir = assetPath('scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.trace'));
  const size = (f: string) => statSync(`${dir}/${f}`).size;
  files.sort((a, b) => size(b) - size(a) || a.localeCompare(b));
  return `scenarios/${files[0]}`;
}

function measureEnv(b: BenchContext, label: string, env: NodeJS.ProcessEnv, cmds: [string, string[]][]): void {
  let base: number | undefined;
  for (const [name, args] of cmds) {
    const t = time(args, env);
    if (typeof t === 'string') {
      b.line(`  ${`${name}, ${label}`.padEnd(52)} failed: ${t}`);
      continue;
    }
    base ??= t.median;
    const ratio = `${(t.median / base).toFixed(2)}x node -e 0`;
    b.figure(`${name}, ${label}: median`, Math.round(t.median), 'ms', name === 'node -e 0' ? undefined : ratio);
    b.figure(`${name}, ${label}: min`, Math.round(t.min), 'ms');
  }
}

export const suite: BenchSuite = {
  name: 'startup',
  run(b) {
    const pkg = JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = pkg.bin.ringfence;
    if (!existsSync(assetPath(bin))) {
      b.line(`  skipped: ${bin} is not built (npm run build makes it)`);
      return;
    }
    const trace = largestScenario();
    const cmds: [string, string[]][] = [['node -e 0', ['-e', '0']], ['help', [bin, 'help']], ['replay', [bin, 'replay', trace]]];
    const unbundled = 'dist/sim/cli/ringfence.js';
    if (unbundled !== bin && existsSync(assetPath(unbundled))) {
      cmds.push(['help, tsc output', [unbundled, 'help']], ['replay, tsc output', [unbundled, 'replay', trace]]);
    }
    b.line(`  ${bin} help | replay ${trace}; ${unbundled} (tsc output, unbundled) for comparison`);
    b.line(`  ${RUNS} runs each, wall time; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    const unset = { ...process.env };
    delete unset[CA];
    if (process.env[CA]) {
      b.line(`  CA set: ${CA}=${process.env[CA]} as the environment has it; CA unset: without it`);
      measureEnv(b, 'CA set', process.env, cmds);
      measureEnv(b, 'CA unset', unset, cmds);
    } else {
      b.line(`  (${CA} is not set here: one environment only, "CA unset")`);
      measureEnv(b, 'CA unset', unset, cmds);
    }
    b.line(`  load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  },
};
