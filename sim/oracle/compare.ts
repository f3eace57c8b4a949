// Simulator against kernel for one trace: every differing record shown in context
// (the command's source line, both records), plus the kernel's own verdict on the
// trace's expectations, so a scenario the kernel disagrees with is named.

import type { Trace, TraceRecord } from '../trace/ast.ts';
import { diffRecords, formatNormal, type RecordDiff } from '../trace/compare.ts';
import { checkExpectation, type ExpectationFailure } from '../trace/expect.ts';
import { FdUserData } from '../trace/fdops.ts';
import { sourceContext, where } from '../report/context.ts';

export interface TraceComparison {
  trace: Trace;
  profile: string;
  diffs: RecordDiff[];
  /** Why the kernel run is not usable ("timeout at 3", ...), or undefined when it finished. */
  kernelStatus?: string;
  /** Expectations the kernel's records violate. */
  kernelExpectations: ExpectationFailure[];
}

export function compareTrace(trace: Trace, profile: string, sim: TraceRecord[], kernel: TraceRecord[], status: string): TraceComparison {
  const fds = new FdUserData();
  const kernelExpectations: ExpectationFailure[] = [];
  const byI = new Map(kernel.map((r) => [r.i, r]));
  for (const c of trace.commands) {
    const r = byI.get(c.i);
    if (!r) continue;
    if (r.c === 'sqe' && r.ud !== undefined && r.op !== undefined) fds.note(r.ud, r.op);
    const f = checkExpectation(c, r, fds);
    if (f) kernelExpectations.push(f);
  }
  return {
    trace,
    profile,
    diffs: diffRecords(sim, kernel),
    kernelStatus: status === 'ok' ? undefined : status,
    kernelExpectations,
  };
}

export function comparisonPassed(c: TraceComparison): boolean {
  return c.diffs.length === 0 && c.kernelStatus === undefined;
}

/** The differences of one trace for people: where, what the simulator said, what the kernel said. */
export function describeComparison(c: TraceComparison, source?: string): string {
  const out: string[] = [`${c.trace.name} [${c.profile}]  ${where(c.trace.loc)}`];
  if (c.kernelStatus) out.push(`  the kernel run did not finish: ${c.kernelStatus}`);
  for (const d of c.diffs) {
    const cmd = c.trace.commands.find((x) => x.i === d.i);
    if (cmd) {
      out.push(`  command ${d.i} at ${where(cmd.loc)}: ${cmd.text}`);
      if (source !== undefined) out.push(sourceContext(source, cmd.loc).split('\n').map((l) => '    ' + l).join('\n'));
    } else {
      out.push(`  command ${d.i}:`);
    }
    out.push(`    simulator: ${d.a ? formatNormal(d.a) : '(no record)'}`);
    out.push(`    kernel:    ${d.b ? formatNormal(d.b) : '(no record)'}`);
    out.push(`    differs in: ${d.fields.join(', ')}`);
  }
  for (const f of c.kernelExpectations) {
    out.push(`  the kernel also disagrees with the expectation at ${where(f.command.loc)}: expected ${f.expected}, kernel gave ${f.actual}`);
  }
  return out.join('\n');
}
