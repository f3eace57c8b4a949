// A completion-order rule the real kernel settled (7.3.4, via the oracle): the
// members of a failed chain are all cancelled in one task-work round, so two
// failed chains complete head1 head2 members1 members2. Both models must say so.

import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayReference, traceSteps } from '../../sim/explore/reference/replay.ts';
import { loadFacade, facadeSubject } from '../../sim/explore/facade.ts';
import { observe } from '../../sim/explore/run.ts';

const TRACE = `trace two-failed-chains kernels=7.3
  ring r0
  bpf r0 op=NOP deny
  sqe r0 op=NOP ud=2 flags=IO_HARDLINK
  sqe r0 op=NOP ud=6 flags=IO_HARDLINK
  sqe r0 op=SOCKET ud=10 domain=AF_UNIX type=SOCK_STREAM
  sqe r0 op=NOP ud=12 flags=IO_HARDLINK
  sqe r0 op=NOP ud=14
  submit r0 => 5
  cqes r0 => 2:-EACCES 12:-EACCES 6:-EACCES 10:-ECANCELED 14:-EACCES
end
`;

describe('failed chains complete head1 head2 members1 members2', () => {
  const p = getProfile('7.3')!;
  const parsed = parseTraceFile('order.trace', TRACE);
  if (!parsed.ok) throw new Error(parsed.error[0].message);
  const t = parsed.value.traces[0];
  const want = [['2', -13, 0], ['12', -13, 0], ['6', -13, 0], ['10', -125, 0], ['14', -13, 0]];
  it('in the reference model', () => {
    expect(replayReference(t, p).obs[8].cqes).toEqual(want);
  });
  it('in the kernel model', async () => {
    const f = await loadFacade();
    if (!f.ok) throw new Error(f.error.message);
    expect(observe(facadeSubject(f.value, p), traceSteps(t))[8].cqes).toEqual(want);
  });
});
