// How a replay's outcome reads for people: the first failing expectation with its
// source line, expected and actual; a run-time error; an invariant violation with
// the step and the state after it.

import { formatError } from '../../model/errors.ts';
import type { ReplayResult } from '../trace/replay.ts';
import { formatRecord } from '../trace/records.ts';
import { indent, sourceContext, where } from './context.ts';

export type Verdict = 'pass' | 'fail' | 'error' | 'invariant';

export function verdictOf(r: ReplayResult): Verdict {
  if (r.violation) return 'invariant';
  if (r.error) return 'error';
  return r.failures ? 'fail' : 'pass';
}

/** The details of a replay that did not pass (empty for a pass). */
export function describeOutcome(r: ReplayResult, source: string, profileLabel: string = r.profile.name): string {
  const head = `trace ${r.trace.name} under ${profileLabel}`;
  if (r.violation) {
    const v = r.violation;
    return [
      `${where(v.command.loc)}: ${head}: invariant violated after step ${v.command.i} (\`${v.command.text}\`): ${v.message}`,
      sourceContext(source, v.command.loc),
      '  state after the step:',
      indent(v.state, '    '),
    ].join('\n');
  }
  if (r.error) return `${head}: ${formatError(r.error, source)}`;
  const f = r.failure;
  if (!f) return '';
  const e = f.command.expect!;
  const more = r.failures > 1 ? ` (and ${r.failures - 1} more)` : '';
  return [
    `${where(e.loc)}: ${head}: expectation failed at step ${f.command.i}${more}`,
    sourceContext(source, e.loc),
    `    expected: => ${f.expected}`,
    `    actual:   => ${f.actual}`,
    `    record:   ${formatRecord(f.record)}`,
  ].join('\n');
}

/** A warning worth showing even when the trace passed, or ''. */
export function notesOf(r: ReplayResult): string {
  if (!r.unmodelled?.length) return '';
  return `note: trace ${r.trace.name} under ${r.profile.name} issued ${r.unmodelled.join(', ')}, which the model does not complete ` +
    `(it gave -EOPNOTSUPP): those results may differ from the kernel's`;
}

/**
 * Failures of one trace that read the same under several profiles, shown once:
 * "under 7.0, 7.1, 7.2" instead of three copies.
 */
export function groupedOutcomes(rs: readonly { result: ReplayResult; source: string }[]): string[] {
  const MARK = '\u0000profiles\u0000';
  const groups = new Map<string, string[]>();
  for (const { result, source } of rs) {
    const text = describeOutcome(result, source, MARK);
    const l = groups.get(text);
    if (l) l.push(result.profile.name); else groups.set(text, [result.profile.name]);
  }
  return [...groups].map(([text, ps]) => text.split(MARK).join(ps.join(', ')));
}
