// Replay with and without the invariant checks (issue 11 item 2): a doubling run of
// n forks from one restricted task with a ring (the shape that was quadratic when
// every step re-checked the whole world). Prints the seconds of each replay, the
// ratio with/without, and the growth per doubling (2.0 is linear). The default
// suite stops at 160,000 forks; `--only invariants-1m` (invariants-1m.bench.ts)
// goes on to 1,280,000.

import { cpus, loadavg } from 'node:os';
import type { BenchContext, BenchSuite } from './harness.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { replayTrace } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import type { Trace } from '../trace/ast.ts';

/** A trace of n forks of a task that holds a filter table and a ring. */
export function forkTrace(n: number): Trace {
  const lines = ['trace forks', '  bpf task op=NOP deny => 0', '  ring r => 0'];
  for (let i = 0; i < n; i++) lines.push(`  fork c${i}`);
  lines.push('end', '');
  const r = parseTraceFile('forks.trace', lines.join('\n'));
  if (!r.ok) throw new Error(`internal: the fork trace does not parse: ${r.error[0].message}`);
  return r.value.traces[0];
}

/** Wall and CPU seconds (user + system, GC threads included) of one replay. */
function seconds(trace: Trace, invariants: boolean): { wall: number; cpu: number } {
  const profile = getProfile('7.3')!;
  const opts = replayOptions({ invariants });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = replayTrace(trace, profile, opts);
  const c = process.cpuUsage(c0);
  const s = { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
  if (r.error || r.violation || r.failures) throw new Error(`internal: the fork trace did not pass (${r.error?.message ?? r.violation?.message ?? 'an expectation failed'})`);
  return s;
}

export function doubling(ctx: BenchContext, from: number, to: number): void {
  ctx.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (wall time: a busy machine inflates every figure)`);
  ctx.line('  (growth: time ratio to the previous size; 2.0 per doubling is linear)');
  let last: [number, number] | null = null;
  for (let n = from; n <= to; n *= 2) {
    const trace = forkTrace(n);
    const without = seconds(trace, false);
    const withInv = seconds(trace, true);
    const name = `${n.toLocaleString('en-US')} forks`;
    const cpu = `CPU ${without.cpu.toFixed(2)} s / ${withInv.cpu.toFixed(2)} s`;
    ctx.figure(`${name}, replay without invariants`, without.wall, 's', last ? `growth ${(without.wall / last[0]).toFixed(2)}` : undefined);
    ctx.figure(`${name}, replay with invariants`, withInv.wall, 's', `ratio with/without ${(withInv.wall / without.wall).toFixed(2)} (${cpu})${last ? `, growth ${(withInv.wall / last[1]).toFixed(2)}` : ''}`);
    last = [without.wall, withInv.wall];
  }
}

export const suite: BenchSuite = {
  name: 'invariants',
  run(ctx) {
    doubling(ctx, 10_000, 160_000);
  },
};
